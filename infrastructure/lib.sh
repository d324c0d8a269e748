# Shared settings and helpers for the local-service scripts. Sourced, never run.
#
# Where things live (each overridable by environment):
#   STEADFAST_CACHE  downloads and builds, outside the repository  (~/.cache/steadfast)
#   STEADFAST_DATA   service data, logs and pid files, git-ignored  (<repo>/.data)
# Ports follow ../shared/CONTRACT.md and are overridable: REDIS_PORT, MONGO_PORT, MINIO_PORT,
# MINIO_CONSOLE_PORT, ES_PORT.

set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
INFRA_DIR="$REPO_ROOT/infrastructure"
CACHE_DIR=${STEADFAST_CACHE:-"$HOME/.cache/steadfast"}
DATA_DIR=${STEADFAST_DATA:-"$REPO_ROOT/.data"}
BIN_DIR="$CACHE_DIR/bin"
DOWNLOAD_DIR="$CACHE_DIR/downloads"
RUN_DIR="$DATA_DIR/run"
LOG_DIR="$DATA_DIR/logs"

# Pinned versions. Changing one makes the next `npm run setup` install it.
FERRETDB_VERSION=v1.24.0
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c   # no semver tags upstream: last code fix
ES_VERSION=8.19.21                                 # newest 8.x on Maven Central

# The FerretDB binary of this checkout: its name carries a hash of our wrapper's sources and
# patches, so checkouts with different patches (branches, worktrees) each run their own build.
ferretdb_bin() {
  local src="$INFRA_DIR/ferretdb"
  echo "$BIN_DIR/steadfast-ferretdb-$(cat "$src/go.mod" "$src/go.sum" "$src"/*.go "$src"/patches/*.patch | sha256sum | cut -c1-12)"
}

REDIS_PORT=${REDIS_PORT:-6379}
MONGO_PORT=${MONGO_PORT:-27017}
MINIO_PORT=${MINIO_PORT:-9000}
MINIO_CONSOLE_PORT=${MINIO_CONSOLE_PORT:-9001}
ES_PORT=${ES_PORT:-9200}
# Elasticsearch refuses to run as root; when we are root it runs as this system user, so its
# files must sit where that user can reach them (not under root's 0700 home).
ES_USER=${STEADFAST_ES_USER:-steadfast}
if [ "$(id -u)" -eq 0 ]; then
  ES_HOME=${STEADFAST_ES_HOME:-"/opt/steadfast/elasticsearch-$ES_VERSION"}
else
  ES_HOME=${STEADFAST_ES_HOME:-"$CACHE_DIR/elasticsearch-$ES_VERSION"}
fi

SERVICES=(redis mongo minio elasticsearch)

if [ -t 1 ]; then
  c_bold=$'\e[1m' c_green=$'\e[32m' c_red=$'\e[31m' c_yellow=$'\e[33m' c_off=$'\e[0m'
else
  c_bold='' c_green='' c_red='' c_yellow='' c_off=''
fi

step() { printf '%s==>%s %s\n' "$c_bold" "$c_off" "$*"; }
ok() { printf '    %s✓%s %s\n' "$c_green" "$c_off" "$*"; }
warn() { printf '    %s!%s %s\n' "$c_yellow" "$c_off" "$*" >&2; }
# die <what went wrong> <how to fix it>
die() {
  printf '%s✗ %s%s\n' "$c_red" "$1" "$c_off" >&2
  [ $# -ge 2 ] && printf '  fix: %s\n' "$2" >&2
  exit 1
}

need() { # need <command> <how to get it>
  command -v "$1" >/dev/null 2>&1 || die "'$1' is not installed" "$2"
}

is_root() { [ "$(id -u)" -eq 0 ]; }

# Run a command as root: directly when we are root, else through sudo.
as_root() {
  if is_root; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "'$*' needs root and sudo is missing" "run 'npm run setup' as root once, or install sudo"
  fi
}

port_open() { # port_open <port>: something accepts TCP connections on 127.0.0.1:<port>
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# wait_for <seconds> <description> <command...>: poll until the command succeeds.
wait_for() {
  local timeout=$1 what=$2
  shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -ge $deadline ] && return 1
    sleep 0.25
  done
  return 0
}

ensure_dirs() { mkdir -p "$CACHE_DIR/logs" "$BIN_DIR" "$DOWNLOAD_DIR" "$RUN_DIR" "$LOG_DIR"; }

# The JDK Elasticsearch runs on: $ES_JAVA_HOME, else the one `java` on PATH belongs to (17+).
es_java_home() {
  local home=${ES_JAVA_HOME:-}
  if [ -z "$home" ]; then
    command -v java >/dev/null 2>&1 || return 1
    home=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
  fi
  local major
  major=$("$home/bin/java" -XshowSettings:properties -version 2>&1 |
    sed -nE 's/^ *java\.specification\.version = ([0-9]+).*/\1/p')
  [ -n "$major" ] && [ "$major" -ge 17 ] || return 1
  echo "$home"
}
