#!/usr/bin/env bash
# Runs Runtime Manager on the embedded default (the local control plane, started in-process).
# Installs what it needs first. With no display it runs under Xvfb on :99 so it can be screenshotted.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh
(cd ui && npm run build)
cargo build --locked -p runtime-manager -p runtime

if [ -z "${DISPLAY:-}" ]; then
  echo "No DISPLAY: starting Xvfb on :99 (screenshot with: DISPLAY=:99 import -window root shot.png)"
  Xvfb :99 -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
  export DISPLAY=:99
  sleep 1
fi
exec ./target/debug/runtime-manager "$@"
