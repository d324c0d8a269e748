#!/usr/bin/env bash
# The image's entrypoint: `start.sh <service>` (or STEADFAST_SERVICE) runs one Steadfast service.
# `exec` makes the service PID 1, so `docker stop` (SIGTERM) stops it gracefully.
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
service=${1:-${STEADFAST_SERVICE:-}}
known=$(bash "$here/image.sh" services)
if ! grep -qx -- "$service" <<<"$known"; then
  echo "start.sh: which service? one of: $(tr '\n' ' ' <<<"$known")(got \"${service:0:40}\")" >&2
  exit 64
fi
cd "$here/../.."
exec node --enable-source-maps "packages/$service/dist/main.js"
