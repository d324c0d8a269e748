#!/usr/bin/env bash
# Installs the four local services Steadfast runs against, without Docker:
#   Redis (Debian's redis-server), FerretDB v1.24 (MongoDB wire protocol, SQLite backend),
#   MinIO (S3), Elasticsearch 8.x (integ-test zip from Maven Central).
# Idempotent: whatever is already installed at the pinned version is skipped in milliseconds.
# Builds and downloads are cached in $STEADFAST_CACHE, outside the repository.
#
# usage: install.sh [redis|mongo|minio|elasticsearch|chromium ...]   (default: the four services)
# `chromium` is Debian's browser for the admin console's end-to-end test (e2e/src/admin-console.test.ts,
# driven by puppeteer-core); `npm run setup` installs it after the services. Nothing is downloaded at
# test time.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# run_logged <log> <description> <command...>: run a long command with its output in a log,
# printing a heartbeat so a cold install is visibly alive; on failure show the log's tail.
run_logged() {
  local log=$1 what=$2
  shift 2
  local start=$SECONDS
  "$@" >"$log" 2>&1 &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 15
    kill -0 "$pid" 2>/dev/null && printf '    … %s (%ss, log: %s)\n' "$what" $((SECONDS - start)) "$log"
  done
  if ! wait "$pid"; then
    tail -n 25 "$log" >&2
    return 1
  fi
  ok "$what done in $((SECONDS - start))s"
}

apt_install() { # apt_install <package...>: only the missing ones
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  need apt-get "this installer targets Debian; install ${missing[*]} with your package manager"
  step "apt-get install ${missing[*]}"
  run_logged "$CACHE_DIR/logs/apt.log" "apt-get update" as_root apt-get update ||
    die "apt-get update failed" "check network access to Debian's mirrors (see $CACHE_DIR/logs/apt.log)"
  run_logged "$CACHE_DIR/logs/apt.log" "apt-get install ${missing[*]}" \
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" ||
    die "apt-get install ${missing[*]} failed" "see $CACHE_DIR/logs/apt.log"
}

install_redis() {
  if ! command -v redis-server >/dev/null 2>&1; then
    apt_install redis-server
    # Debian's package starts its own redis on 6379 under systemd; ours runs with our config.
    if [ -d /run/systemd/system ]; then
      as_root systemctl disable --now redis-server >/dev/null 2>&1 || true
    fi
  fi
  ok "redis $(redis-server --version | sed -E 's/.*v=([^ ]+).*/\1/')"
}

go_env_check() {
  need go "install Go 1.22 or newer (https://go.dev/doc/install or 'apt-get install golang')"
}

# build_ferretdb <src> <out>: build our FerretDB wrapper against FerretDB's module with the
# patches in <src>/patches applied (see the header of each patch for why).
build_ferretdb() {
  local src=$1 out=$2 work
  work=$(mktemp -d "$CACHE_DIR/ferretdb-build.XXXXXX")
  trap 'rm -rf "$work"' RETURN
  cp "$src"/go.mod "$src"/go.sum "$src"/*.go "$work/"
  local module
  module=$(env -C "$work" go mod download -json github.com/FerretDB/FerretDB | sed -nE 's/^\t"Dir": "(.*)",$/\1/p')
  [ -d "$module" ] || { echo "go mod download gave no directory for FerretDB" >&2; return 1; }
  cp -R "$module" "$work/FerretDB"
  chmod -R u+w "$work/FerretDB"
  local patch
  for patch in "$src"/patches/*.patch; do
    echo "applying $(basename "$patch")"
    # (the ceiling keeps git from taking an enclosing repository as the patch's root)
    (cd "$work" && GIT_CEILING_DIRECTORIES=$(dirname "$work") git apply --directory=FerretDB "$patch") || return 1
  done
  env -C "$work" go mod edit -replace github.com/FerretDB/FerretDB=./FerretDB
  env -C "$work" CGO_ENABLED=0 go build -trimpath -o "$out" .
}

install_mongo() {
  go_env_check
  local src="$INFRA_DIR/ferretdb"
  # The binary's name carries a hash of its sources and patches, so an edit or a version bump
  # rebuilds it.
  local bin
  bin=$(ferretdb_bin)
  if [ ! -x "$bin" ]; then
    need git "install git (apt-get install git): it applies our FerretDB patches"
    step "building FerretDB $FERRETDB_VERSION with our patches (first time: about 2 minutes)"
    run_logged "$CACHE_DIR/logs/ferretdb-build.log" "go build FerretDB" build_ferretdb "$src" "$bin.tmp" ||
      die "FerretDB build failed" "check access to the Go module proxy (see $CACHE_DIR/logs/ferretdb-build.log)"
    mv "$bin.tmp" "$bin"
  fi
  ln -sfn "$bin" "$BIN_DIR/steadfast-ferretdb"
  ok "ferretdb $FERRETDB_VERSION (sqlite, patched)"
}

install_minio() {
  local bin="$BIN_DIR/minio-$MINIO_VERSION"
  if [ ! -x "$bin" ]; then
    go_env_check
    step "building MinIO $MINIO_VERSION with go install (first time: 3 to 6 minutes)"
    local gobin
    gobin=$(mktemp -d)
    run_logged "$CACHE_DIR/logs/minio-build.log" "go install MinIO" \
      env CGO_ENABLED=0 GOBIN="$gobin" GOFLAGS=-mod=mod go install "github.com/minio/minio@$MINIO_VERSION" ||
      die "MinIO build failed" "check access to the Go module proxy (see $CACHE_DIR/logs/minio-build.log)"
    mv "$gobin/minio" "$bin"
    rmdir "$gobin"
  fi
  ln -sfn "$bin" "$BIN_DIR/minio"
  ok "minio $MINIO_VERSION"
}

install_elasticsearch() {
  local zip="$DOWNLOAD_DIR/elasticsearch-$ES_VERSION.zip"
  es_java_home >/dev/null || die "Elasticsearch $ES_VERSION needs a JDK 17 or newer" \
    "apt-get install openjdk-17-jdk-headless, or set ES_JAVA_HOME"
  if [ ! -f "$zip" ]; then
    need mvn "apt-get install maven (it fetches the Elasticsearch zip from Maven Central)"
    step "downloading Elasticsearch $ES_VERSION from Maven Central (~110 MB)"
    run_logged "$CACHE_DIR/logs/es-download.log" "download" \
      mvn -B -ntp dependency:copy \
      "-Dartifact=org.elasticsearch.distribution.integ-test-zip:elasticsearch:$ES_VERSION:zip" \
      "-DoutputDirectory=$DOWNLOAD_DIR" ||
      die "Elasticsearch download failed" "check access to Maven Central (see $CACHE_DIR/logs/es-download.log)"
  fi
  if [ ! -x "$ES_HOME/bin/elasticsearch" ]; then
    command -v unzip >/dev/null 2>&1 || apt_install unzip
    step "unpacking Elasticsearch into $ES_HOME"
    local tmp
    mkdir -p "$(dirname "$ES_HOME")"
    tmp=$(mktemp -d "$(dirname "$ES_HOME")/.es-unpack.XXXXXX")
    unzip -q "$zip" -d "$tmp"
    rm -rf "$ES_HOME"
    mv "$tmp/elasticsearch-$ES_VERSION" "$ES_HOME"
    rm -rf "$tmp"
  fi
  if is_root; then
    id "$ES_USER" >/dev/null 2>&1 ||
      useradd --system --no-create-home --shell /usr/sbin/nologin "$ES_USER" ||
      die "cannot create the user '$ES_USER' that Elasticsearch runs as" "create it, or set STEADFAST_ES_USER"
    chown -R "$ES_USER:" "$ES_HOME"
  fi
  ok "elasticsearch $ES_VERSION (JDK: $(es_java_home))"
}

# Debian's chromium, for the admin console's browser test; puppeteer-core drives /usr/bin/chromium.
install_chromium() {
  if ! command -v chromium >/dev/null 2>&1; then
    apt_install chromium
  fi
  ok "$(chromium --version 2>/dev/null || echo 'chromium (version unknown)')"
}

main() {
  ensure_dirs
  local targets=("$@")
  [ ${#targets[@]} -eq 0 ] && targets=("${SERVICES[@]}")
  for s in "${targets[@]}"; do
    case $s in
      redis | mongo | minio | elasticsearch | chromium) "install_$s" ;;
      *) die "unknown service '$s'" "use one of: ${SERVICES[*]} chromium" ;;
    esac
  done
}

main "$@"
