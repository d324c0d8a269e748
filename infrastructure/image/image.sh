#!/usr/bin/env bash
# What the Steadfast image holds, in one place: the Dockerfile runs this script, and so does the
# test that assembles the image without a Docker engine (e2e/src/image.test.ts). A new service
# is added to PACKAGES here and nowhere else.
#
#   image.sh packages           the service packages, one a line (commons is the library they share)
#   image.sh build              in a source tree: install every dependency, compile the packages
#   image.sh stage <dir>        copy what the runtime needs (manifests, lock file, dist) to <dir>
#   image.sh install            in a staged tree: production dependencies only, from the lock file
set -euo pipefail

PACKAGES=(commons records auth config workflow events gateway)
# The services the image can start (PACKAGE=<one of them>); commons is their library.
SERVICES=(auth config workflow events gateway)

paths() { printf 'packages/%s\n' "${PACKAGES[@]}"; }

case "${1:-}" in
  packages) printf '%s\n' "${PACKAGES[@]}" ;;
  services) printf '%s\n' "${SERVICES[@]}" ;;
  build)
    mapfile -t dirs < <(paths)
    # Every workspace's dependencies as the lock file has them (dev ones too: tsc is one).
    npm ci --no-audit --no-fund --loglevel=error
    npx --no-install tsc -b "${dirs[@]}"
    for dir in "${dirs[@]}"; do
      [ -f "$dir/dist/index.js" ] || { echo "image.sh: $dir was not built" >&2; exit 1; }
    done
    ;;
  stage)
    dest=${2:?usage: image.sh stage <dir>}
    mkdir -p "$dest"
    # The root manifest keeps its scripts (`npm run users`); its workspaces are narrowed to the
    # packages staged, so `npm ci` installs theirs from the same lock file and nothing else.
    node -e '
      const fs = require("node:fs");
      const [dest, ...dirs] = process.argv.slice(1);
      const root = JSON.parse(fs.readFileSync("package.json", "utf8"));
      root.workspaces = dirs;
      delete root.devDependencies;
      fs.writeFileSync(`${dest}/package.json`, JSON.stringify(root, null, 2) + "\n");
    ' "$dest" $(paths)
    cp package-lock.json "$dest/"
    # Fixes to dependencies, applied by the root manifest's postinstall (patch-package) at install.
    cp -R patches "$dest/"
    # This script and the entrypoint travel with the image.
    mkdir -p "$dest/infrastructure/image"
    cp infrastructure/image/image.sh infrastructure/image/start.sh "$dest/infrastructure/image/"
    for dir in $(paths); do
      mkdir -p "$dest/$dir"
      cp "$dir/package.json" "$dest/$dir/"
      cp -R "$dir/dist" "$dest/$dir/dist"
      # Compiled tests are not part of a release.
      find "$dest/$dir/dist" \( -name '*.test.js' -o -name '*.test.js.map' -o -name '*.test.d.ts' \) -delete
    done
    ;;
  install)
    mapfile -t dirs < <(paths)
    npm ci --omit=dev --no-audit --no-fund --loglevel=error
    for dir in "${dirs[@]}"; do
      [ -f "$dir/dist/main.js" ] || [ "$dir" = packages/commons ] || [ "$dir" = packages/records ] || { echo "image.sh: $dir has no dist/main.js" >&2; exit 1; }
    done
    ;;
  *)
    echo "usage: image.sh packages|services|build|stage <dir>|install" >&2
    exit 2
    ;;
esac
