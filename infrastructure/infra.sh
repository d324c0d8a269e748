#!/usr/bin/env bash
# Runs the local services installed by install.sh, bound to 127.0.0.1, data under $STEADFAST_DATA.
#
# usage: infra.sh up | down | status
#        infra.sh start <service> | stop <service>        service: redis mongo minio elasticsearch
#
# Each service has a pid file in $RUN_DIR and a log in $LOG_DIR. `up` and `start` return once the
# service answers; `stop` waits until the process is gone, so data is flushed.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pidfile() { echo "$RUN_DIR/$1.pid"; }

# The pid of a service we started, if that process is still alive.
running_pid() {
  local f
  f=$(pidfile "$1")
  [ -f "$f" ] || return 1
  local pid
  pid=$(cat "$f" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

# The pid of a service we started whose process group has a stopped process (SIGSTOP, or a
# debugger): it holds its port and its clients' connections but answers nothing. A drill that
# freezes a store (`npm run drill`) continues it itself, but not if the drill is killed first.
frozen_pid() {
  local pid
  pid=$(running_pid "$1") || return 1
  ps -eo pgid=,stat= | awk -v g="$pid" '$1 == g && $2 ~ /^T/ { found = 1 } END { exit !found }' || return 1
  echo "$pid"
}

port_of() {
  case $1 in
    redis) echo "$REDIS_PORT" ;; mongo) echo "$MONGO_PORT" ;;
    minio) echo "$MINIO_PORT" ;; elasticsearch) echo "$ES_PORT" ;;
  esac
}

# Readiness: the service answers a real request, not merely an open port.
ready_redis() { [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; }
ready_mongo() { port_open "$MONGO_PORT"; }
ready_minio() { curl -sf -o /dev/null "http://127.0.0.1:$MINIO_PORT/minio/health/live"; }
ready_elasticsearch() {
  curl -sf -o /dev/null "http://127.0.0.1:$ES_PORT/_cluster/health?wait_for_status=yellow&timeout=1s"
}

# spawn <service> <command...>: start a foreground server detached, with its pid recorded.
spawn() {
  local name=$1
  shift
  setsid "$@" >>"$LOG_DIR/$name.log" 2>&1 </dev/null &
  echo $! >"$(pidfile "$name")"
}

launch_redis() {
  command -v redis-server >/dev/null || die "redis-server is not installed" "run: npm run setup"
  mkdir -p "$DATA_DIR/redis"
  # BullMQ needs noeviction (an evicted job key is a lost submission) and AOF persistence.
  cat >"$DATA_DIR/redis/redis.conf" <<EOF
bind 127.0.0.1
port $REDIS_PORT
protected-mode yes
daemonize no
dir $DATA_DIR/redis
appendonly yes
appendfsync everysec
maxmemory-policy noeviction
save 3600 1 300 100 60 10000
# A job is a hash whose data field (the submission) is 1-2 KB. Past 64 B a value makes Redis keep
# the hash as a table, ~500 B more per waiting job than the compact listpack it keeps below this.
hash-max-listpack-value 4096
EOF
  spawn redis redis-server "$DATA_DIR/redis/redis.conf"
}

launch_mongo() {
  # This checkout's build (its patches), not whichever build the last setup linked.
  local bin
  bin=$(ferretdb_bin)
  [ -x "$bin" ] || die "FerretDB (with this checkout's patches) is not installed" "run: npm run setup"
  # FERRETDB_PPROF=127.0.0.1:6060 serves Go's profiler, to see where FerretDB spends its CPU.
  # GOGC 400, not Go's 100: FerretDB's live heap is ~15 MB, and at 100 its collector ran every
  # ~15 MB of allocation, 17% of its CPU under the bench's load (every stored document is
  # decoded into Go values on each read and update). At 400 the heap reaches ~75 MB between
  # collections and the collector drops out of the profile (FERRETDB_GOGC to change it).
  spawn mongo env GOGC="${FERRETDB_GOGC:-400}" "$bin" -listen "127.0.0.1:$MONGO_PORT" -data "$DATA_DIR/ferretdb" ${FERRETDB_PPROF:+-pprof "$FERRETDB_PPROF"}
}

launch_minio() {
  [ -x "$BIN_DIR/minio" ] || die "MinIO is not installed" "run: npm run setup"
  mkdir -p "$DATA_DIR/minio"
  spawn minio env MINIO_ROOT_USER="${MINIO_ROOT_USER:-minioadmin}" \
    MINIO_ROOT_PASSWORD="${MINIO_ROOT_PASSWORD:-minioadmin}" MINIO_UPDATE=off \
    MINIO_BROWSER=off "$BIN_DIR/minio" server "$DATA_DIR/minio" --quiet \
    --address "127.0.0.1:$MINIO_PORT" --console-address "127.0.0.1:$MINIO_CONSOLE_PORT"
}

# Elasticsearch's own files (data, logs) must be writable by the user it runs as. They live in
# .data/elasticsearch; when that user cannot reach the repository (e.g. under root's home), they
# live in /var/lib/steadfast instead, with .data/elasticsearch a symlink to them.
es_state_dir() {
  local dir="$DATA_DIR/elasticsearch"
  is_root || { mkdir -p "$dir" && echo "$dir" && return; }
  if [ ! -L "$dir" ]; then
    mkdir -p "$dir"
    chown "$ES_USER:" "$dir"
    if ! runuser -u "$ES_USER" -- test -w "$dir" 2>/dev/null; then
      local elsewhere
      elsewhere="/var/lib/steadfast/es-$(echo "$DATA_DIR" | sha256sum | cut -c1-12)"
      mkdir -p "$elsewhere"
      chown "$ES_USER:" "$elsewhere"
      rmdir "$dir" 2>/dev/null || die "$dir is not empty and '$ES_USER' cannot write to it" \
        "make the repository readable by '$ES_USER', or move its contents away"
      ln -s "$elsewhere" "$dir"
    fi
  fi
  readlink -f "$dir"
}

launch_elasticsearch() {
  [ -x "$ES_HOME/bin/elasticsearch" ] || die "Elasticsearch is not installed" "run: npm run setup"
  local java state
  java=$(es_java_home) || die "no JDK 17+ for Elasticsearch" "install openjdk-17-jdk-headless or set ES_JAVA_HOME"
  state=$(es_state_dir)
  local cmd=(env ES_JAVA_HOME="$java" ES_JAVA_OPTS="${ES_JAVA_OPTS:--Xms512m -Xmx512m}"
    "$ES_HOME/bin/elasticsearch"
    -Ediscovery.type=single-node -Enetwork.host=127.0.0.1 "-Ehttp.port=$ES_PORT"
    -Etransport.port=9300-9399 -Ecluster.name=steadfast-local
    -Ecluster.routing.allocation.disk.threshold_enabled=false
    -Eaction.destructive_requires_name=false
    "-Epath.data=$state/data" "-Epath.logs=$state/logs")
  [ -d "$ES_HOME/modules/x-pack-security" ] && cmd+=(-Expack.security.enabled=false)
  if is_root; then
    spawn elasticsearch runuser -u "$ES_USER" -- "${cmd[@]}"
  else
    spawn elasticsearch "${cmd[@]}"
  fi
}

start_service() {
  local name=$1 port
  port=$(port_of "$name")
  if pid=$(frozen_pid "$name"); then
    warn "$name (pid $pid) was stopped (SIGSTOP) and answered nothing; continuing it (SIGCONT)"
    kill -CONT -- "-$pid" 2>/dev/null || kill -CONT "$pid"
    wait_for 30 "$name" "ready_$name" || die "$name did not answer after SIGCONT" "read $LOG_DIR/$name.log"
    ok "$name ready on 127.0.0.1:$port (pid $pid)"
    return 0
  fi
  if pid=$(running_pid "$name"); then
    ok "$name already running (pid $pid, port $port)"
    return 0
  fi
  if port_open "$port"; then
    "ready_$name" || die "port $port is taken by a process that is not $name" \
      "stop whatever listens on 127.0.0.1:$port (see: ss -ltnp | grep :$port)"
    warn "$name answers on port $port but was not started by these scripts; using it as is"
    return 0
  fi
  ensure_dirs
  "launch_$name"
  local timeout=30
  [ "$name" = elasticsearch ] && timeout=120
  if ! wait_for "$timeout" "$name" "ready_$name"; then
    tail -n 20 "$LOG_DIR/$name.log" >&2 || true
    die "$name did not become ready within ${timeout}s" "read $LOG_DIR/$name.log"
  fi
  ok "$name ready on 127.0.0.1:$port (pid $(running_pid "$name" || echo '?'))"
}

stop_service() {
  local name=$1 pid
  if ! pid=$(running_pid "$name"); then
    ok "$name is not running"
    rm -f "$(pidfile "$name")"
    return 0
  fi
  # The pid is a session leader (setsid): signal the whole group, e.g. runuser and its java.
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  if ! wait_for 60 "$name to stop" bash -c "! kill -0 $pid 2>/dev/null"; then
    warn "$name did not stop within 60s; killing it"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
  # Wait until the port is free too, so an immediate start cannot collide with the old process.
  wait_for 15 "$name port" bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$(port_of "$name")) 2>/dev/null" || true
  rm -f "$(pidfile "$name")"
  ok "$name stopped"
}

status() {
  local down=0
  printf '%-14s %-8s %-8s %s\n' SERVICE STATE PID ADDRESS
  for s in "${SERVICES[@]}"; do
    local port state pid
    port=$(port_of "$s")
    pid=$(running_pid "$s" || echo -)
    # A stopped process accepts connections and never answers: not asked (redis-cli would wait for ever).
    if frozen_pid "$s" >/dev/null; then
      state=frozen
      down=1
    elif "ready_$s"; then state=up; else
      state=down
      down=1
    fi
    printf '%-14s %-8s %-8s 127.0.0.1:%s\n' "$s" "$state" "$pid" "$port"
  done
  return $down
}

check_service() {
  case ${1:-} in
    redis | mongo | minio | elasticsearch) ;;
    "") die "which service?" "name one of: ${SERVICES[*]}" ;;
    *) die "unknown service '$1'" "name one of: ${SERVICES[*]}" ;;
  esac
}

case ${1:-} in
  up) for s in "${SERVICES[@]}"; do start_service "$s"; done ;;
  down) for s in "${SERVICES[@]}"; do stop_service "$s"; done ;;
  status) status ;;
  start) check_service "${2:-}" && start_service "$2" ;;
  stop) check_service "${2:-}" && stop_service "$2" ;;
  *)
    echo "usage: npm run infra -- up|down|status|start <service>|stop <service>" >&2
    echo "services: ${SERVICES[*]}" >&2
    exit 2
    ;;
esac
