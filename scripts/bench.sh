#!/usr/bin/env bash
# Runs the benchmarks (release builds) and prints one figure a line beside its goal.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cargo build --locked --release --bins -p control-plane -p runtime
for bench in $(ls tests/benches/*.rs | xargs -n1 basename | sed 's/\.rs$//'); do
  cargo bench --locked -p system-tests --bench "$bench" 2>/dev/null
done
