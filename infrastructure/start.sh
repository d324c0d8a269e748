#!/usr/bin/env bash
# `npm start`: set up what is missing, start the local services if they are down, then run every
# Steadfast service in the foreground. Ctrl-C stops them gracefully; the stores keep running
# (stop them with `npm run infra -- down`).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# Services default to production (CONTRACT "Environment"); `npm start` is development (demo
# users, development secrets) unless the caller says otherwise.
export NODE_ENV="${NODE_ENV:-development}"
bash "$INFRA_DIR/setup.sh"
bash "$INFRA_DIR/infra.sh" up
exec node --enable-source-maps "$REPO_ROOT/packages/launcher/dist/main.js" "$@"
