#!/usr/bin/env bash
# Redis beyond one server, with Debian's redis-server alone, all on 127.0.0.1: what the failover
# and cluster drills run on, and how to try Sentinel or Cluster locally. Every server has its own
# directory, AOF and `maxmemory-policy noeviction` (BullMQ's requirement).
#
#   redis-topology.sh sentinel <dir> <primary> <replica> <sentinel1> <sentinel2> <sentinel3> [name]
#       a primary, a replica of it, and three sentinels monitoring it as <name> (steadfast),
#       quorum 2, down after 2 s. Then: REDIS_SENTINELS=127.0.0.1:<s1>,… REDIS_SENTINEL_NAME=<name>
#   redis-topology.sh cluster <dir> <port1> <port2> <port3>
#       three primaries in cluster mode, slots shared by `redis-cli --cluster create`. Each node's
#       cluster bus listens on <port>+100 (`cluster-port`), not Redis's default <port>+10000: for
#       the drills' ports (26320…) that default lands in the ephemeral range (32768-60999), where
#       any client socket of a busy machine may hold it and the node then fails to start.
#       Then: REDIS_CLUSTER_NODES=127.0.0.1:<port1>,…
#   redis-topology.sh pid <dir> <port>      the pid of the server on <port> (to SIGKILL it)
#   redis-topology.sh down <dir>            stops every server started under <dir>
set -euo pipefail

die() { echo "redis-topology.sh: $*" >&2; exit 1; }
command -v redis-server >/dev/null || die "redis-server is not installed (npm run setup installs it)"

# server <dir> <port> [extra conf lines…]: a persistent, non-evicting redis-server, daemonized.
server() {
  local dir=$1 port=$2
  shift 2
  if redis-cli -p "$port" ping >/dev/null 2>&1; then die "port $port is taken by a running Redis (redis-topology.sh down <its dir>)"; fi
  mkdir -p "$dir/$port"
  {
    echo "port $port"
    echo "bind 127.0.0.1"
    echo "dir $dir/$port"
    echo "daemonize yes"
    echo "pidfile $dir/$port/redis.pid"
    echo "logfile $dir/$port/redis.log"
    echo "appendonly yes"
    echo "appendfilename appendonly-$port.aof"
    echo "dbfilename dump-$port.rdb"
    echo "maxmemory-policy noeviction"
    printf '%s\n' "$@"
  } >"$dir/$port/redis.conf"
  redis-server "$dir/$port/redis.conf"
}

wait_ping() { # wait_ping <dir> <port>: fails with the end of the server's log, which says why
  local log
  for _ in $(seq 1 100); do
    redis-cli -p "$2" ping 2>/dev/null | grep -q PONG && return 0
    sleep 0.1
  done
  log=$(ls "$1/$2"/*.log 2>/dev/null | head -1 || true)
  die "redis on port $2 did not answer in 10 s${log:+; the end of $log:
$(tail -n 5 "$log")}"
}

sentinel() {
  local dir=$1 primary=$2 replica=$3 name=${7:-steadfast}
  mkdir -p "$dir"
  server "$dir" "$primary"
  wait_ping "$dir" "$primary"
  server "$dir" "$replica" "replicaof 127.0.0.1 $primary"
  wait_ping "$dir" "$replica"
  for port in "$4" "$5" "$6"; do
    if redis-cli -p "$port" ping >/dev/null 2>&1; then die "port $port is taken by a running Redis"; fi
    mkdir -p "$dir/$port"
    # A sentinel rewrites its own conf (the primary it follows, the other sentinels).
    cat >"$dir/$port/sentinel.conf" <<CONF
port $port
bind 127.0.0.1
dir $dir/$port
daemonize yes
pidfile $dir/$port/redis.pid
logfile $dir/$port/sentinel.log
sentinel monitor $name 127.0.0.1 $primary 2
sentinel down-after-milliseconds $name 2000
sentinel failover-timeout $name 10000
sentinel parallel-syncs $name 1
CONF
    redis-server "$dir/$port/sentinel.conf" --sentinel
    wait_ping "$dir" "$port"
  done
  # Ready when the replica is in sync and every sentinel knows the primary.
  sentinels_know() {
    local port
    for port in "$@"; do redis-cli -p "$port" sentinel get-master-addr-by-name "$name" | grep -qx "$primary" || return 1; done
  }
  for _ in $(seq 1 100); do
    if redis-cli -p "$replica" info replication | grep -q 'master_link_status:up' && sentinels_know "$4" "$5" "$6"; then
      echo "sentinel: primary $primary, replica $replica, sentinels $4 $5 $6 (name $name)"
      return 0
    fi
    sleep 0.1
  done
  die "the sentinel setup under $dir did not come up"
}

cluster() {
  local dir=$1
  shift
  mkdir -p "$dir"
  for port in "$@"; do
    server "$dir" "$port" "cluster-enabled yes" "cluster-config-file nodes-$port.conf" "cluster-node-timeout 5000" "cluster-port $((port + 100))"
    wait_ping "$dir" "$port"
  done
  local nodes=()
  for port in "$@"; do nodes+=("127.0.0.1:$port"); done
  redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >"$dir/cluster-create.log"
  for _ in $(seq 1 100); do
    if redis-cli -p "$1" cluster info | grep -q 'cluster_state:ok'; then
      echo "cluster: ${nodes[*]}"
      return 0
    fi
    sleep 0.1
  done
  die "the cluster under $dir did not reach cluster_state:ok"
}

down() {
  local dir=$1 pid
  for file in "$dir"/*/redis.pid; do
    [ -f "$file" ] || continue
    pid=$(cat "$file")
    kill "$pid" 2>/dev/null || true
  done
  for file in "$dir"/*/redis.pid; do
    [ -f "$file" ] || continue
    pid=$(cat "$file")
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$file"
  done
}

case "${1:-}" in
  sentinel) [ $# -ge 7 ] || die "usage: sentinel <dir> <primary> <replica> <s1> <s2> <s3> [name]"; sentinel "${@:2}" ;;
  cluster) [ $# -ge 5 ] || die "usage: cluster <dir> <port1> <port2> <port3>"; cluster "${@:2}" ;;
  pid) cat "${2:?dir}/${3:?port}/redis.pid" ;;
  down) down "${2:?usage: down <dir>}" ;;
  *) die "usage: sentinel|cluster|pid|down (see the header of this script)" ;;
esac
