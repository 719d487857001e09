#!/usr/bin/env bash
# Runs the benchmarks (release builds) and prints one figure a line beside its goal.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
# The app embeds ui/dist at compile time; its benchmark drives the release window under Xvfb.
(cd ui && npm run build >/dev/null)
cargo build --locked --release --bins -p control-plane -p runtime -p runtime-manager
# The launch floor the app's launch is read beside: a bare Tauri window painting a small table.
cargo build --locked --release -p runtime-manager --example launch_floor --features launch-floor
for bench in $(ls tests/benches/*.rs | xargs -n1 basename | sed 's/\.rs$//'); do
  xvfb-run -a -s "-screen 0 1280x800x24" cargo bench --locked -p system-tests --bench "$bench" \
    2>/dev/null
done
