#!/usr/bin/env bash
# `npm run setup`: everything Steadfast needs on a fresh Debian machine, idempotently:
# npm dependencies (from the lock file), the four local services, and the TypeScript build.
# A second run only checks, and takes seconds.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
started=$SECONDS
cd "$REPO_ROOT"

step "Node.js"
need node "install Node.js 20.19 or newer (https://nodejs.org or NodeSource's Debian packages)"
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' ||
  die "Node.js $(node -v) is too old" "install Node.js 20.19 or newer"
ok "node $(node -v), npm $(npm -v)"

step "npm dependencies"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error || die "npm ci failed" "read the error above; the npm registry must be reachable"
  ok "installed from package-lock.json"
else
  ok "up to date with package-lock.json"
fi

step "local services"
bash "$INFRA_DIR/install.sh"

step "browser for the admin console's end-to-end test (Debian's chromium)"
bash "$INFRA_DIR/install.sh" chromium

step "TypeScript build (tsc -b, incremental)"
npx --no-install tsc -b || die "the TypeScript build failed" "fix the type errors above"
ok "built"

ok "setup finished in $((SECONDS - started))s — next: npm start, or npm test"
