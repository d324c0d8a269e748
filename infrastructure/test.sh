#!/usr/bin/env bash
# `npm test`: set up what is missing, start the local services if they are down, then run every
# check: type-check (the build), lint, unit and integration tests, then the e2e tests (which start
# the whole system and stop and start stores, so they run one file at a time, last).
# Ends with one line the CI reads: `N passed, N failed`.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# Services default to production (CONTRACT "Environment"); the tests run them as tests.
export NODE_ENV=test
set +e
cd "$REPO_ROOT"
results="$DATA_DIR/test-results"
rm -rf "$results"
mkdir -p "$results"
passed=0
failed=0

check() { # check <name> <command...>: a pass/fail step that is not a test file
  step "$1"
  if "${@:2}"; then passed=$((passed + 1)); else
    failed=$((failed + 1))
    printf '%s✗ %s failed%s\n' "$c_red" "$1" "$c_off"
  fi
}

# tests <name> <node --test options and files...>: counts come from the TAP copy of the run.
tests() {
  local name=$1
  shift
  step "$name"
  node --enable-source-maps --test --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$results/$name.tap" "$@"
  local p f
  p=$(sed -nE 's/^# pass ([0-9]+)$/\1/p' "$results/$name.tap" | tail -n 1)
  f=$(sed -nE 's/^# fail ([0-9]+)$/\1/p' "$results/$name.tap" | tail -n 1)
  passed=$((passed + ${p:-0}))
  # A run that crashed before reporting counts as one failure, never as silence.
  if [ -z "$p" ]; then failed=$((failed + 1)); else failed=$((failed + ${f:-0})); fi
}

bash "$INFRA_DIR/setup.sh" || { echo "0 passed, 1 failed"; exit 1; }
bash "$INFRA_DIR/infra.sh" up || { echo "0 passed, 1 failed"; exit 1; }

check "type-check (tsc -b)" npx --no-install tsc -b
check "lint (eslint)" npx --no-install eslint --max-warnings=0 .
mapfile -t unit < <(find packages -path '*/node_modules' -prune -o -path '*/dist/*.test.js' -print | sort)
tests unit-and-integration --test-concurrency=2 "${unit[@]}"
mapfile -t e2e < <(find e2e/dist -name '*.test.js' | sort)
tests e2e --test-concurrency=1 "${e2e[@]}"

echo
echo "local services left running (npm run infra -- status | down)"
# What failed, with its error, just before the count: the end of the output is what a CI summary shows.
if [ "$failed" -gt 0 ]; then
  for tap in "$results"/*.tap; do awk -f "$INFRA_DIR/tap-failures.awk" "$tap"; done
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
