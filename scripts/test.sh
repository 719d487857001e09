#!/usr/bin/env bash
# Runs every test of Runtime Manager: UI unit tests, Rust unit and contract tests, whole-system
# tests, and the end-to-end test in the real webview under Xvfb. Installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh

# Konnect's OpenAPI documents: the contract tests fail (never skip) when they are missing.
export KONNECT_OPENAPI_DIR="${KONNECT_OPENAPI_DIR:-$(cd .. && pwd)/shared/konnect-openapi}"

# House style gates first, as they are quickest to fail: rustfmt and Prettier at width 100,
# clippy with warnings as errors, ESLint with Vue's and TypeScript's recommended rules.
cargo fmt --all --check
(cd ui && npm run lint)

# The UI first: the app embeds ui/dist at compile time.
(cd ui && npm run build && npm test)

cargo clippy --locked --workspace --all-targets -- -D warnings

# The app and tool binaries the system tests launch.
cargo build --locked --workspace --bins

# Their .deb (bundled from that debug build, no second compile), which the package test unpacks
# into a clean root and drives to the overview.
./scripts/package.sh --debug

# Every Rust test, with an X display for the real-webview tests. CI=true makes a missing
# display a failure rather than a skip.
mkdir -p target
xvfb-run -a -s "-screen 0 1280x800x24" cargo test --locked --workspace 2>&1 | tee target/test-output.log

# The TypeScript types are generated from Rust by the test run above; they must be committed.
if ! git diff --quiet -- ui/src/bindings || [ -n "$(git ls-files --others --exclude-standard ui/src/bindings)" ]; then
  echo "ui/src/bindings is out of date: commit the files cargo test regenerated" >&2
  git status --short ui/src/bindings >&2
  exit 1
fi

# One closing line for the whole run (cargo's last line is a doc-test run that may count 0).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "Tests: %d passed, %d failed\n", p, f }' target/test-output.log
