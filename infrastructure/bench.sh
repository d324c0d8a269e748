#!/usr/bin/env bash
# `npm run bench [-- --quick] [--burst N] [--rounds N]`: builds, starts the local services if they
# are down, then runs the benchmark (packages/bench). The Steadfast services it starts listen on
# BENCH_PORT_BASE (default 25070) and the next ports; everything it writes uses its own names.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"
step "build (tsc -b)"
npx --no-install tsc -b
bash "$INFRA_DIR/infra.sh" up
step "benchmark"
exec node --enable-source-maps packages/bench/dist/main.js "$@"
