#!/usr/bin/env bash
# Builds Runtime Manager's Linux packages with Tauri's bundler (the @tauri-apps/cli npm package's
# prebuilt binary): a .deb and an .rpm that install the app as /usr/bin/runtime-manager, the
# `runtime` and `control-plane` binaries in /usr/lib/runtime-manager/, a desktop entry (which also
# handles runtime-manager:// links), icons from 16 to 512 px and AppStream metadata.
#
#   ./scripts/package.sh           release build → target/release/bundle/{deb,rpm}/
#   ./scripts/package.sh --debug   bundles the debug build already compiled into a .deb only
#                                  (scripts/test.sh, before the package test: no second compile)
set -euo pipefail
cd "$(dirname "$0")/.."

profile=release
if [ "${1:-}" = "--debug" ]; then profile=debug; fi
target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
case "$target_dir" in /*) ;; *) target_dir="$PWD/$target_dir" ;; esac
tauri=ui/node_modules/.bin/tauri

# The helper binaries from this build's profile. src-tauri/tauri.conf.json names the release ones
# (for `tauri build` run by hand); this overrides them with the profile and target dir in use.
overlay=$(cat <<JSON
{"bundle": {"linux": {
  "deb": {"files": {
    "/usr/lib/runtime-manager/runtime": "$target_dir/$profile/runtime",
    "/usr/lib/runtime-manager/control-plane": "$target_dir/$profile/control-plane"}},
  "rpm": {"files": {
    "/usr/lib/runtime-manager/runtime": "$target_dir/$profile/runtime",
    "/usr/lib/runtime-manager/control-plane": "$target_dir/$profile/control-plane"}}}}}
JSON
)

if [ "$profile" = debug ]; then
  for bin in runtime-manager runtime control-plane; do
    [ -x "$target_dir/debug/$bin" ] || {
      echo "$target_dir/debug/$bin is missing: cargo build --workspace --bins first" >&2
      exit 1
    }
  done
  rm -f "$target_dir"/debug/bundle/deb/*.deb
  # No binary patching: the packaged app stays byte for byte the one the tests ran, so the package
  # test can tell a stale .deb from a fresh one.
  "$tauri" bundle --ci --debug --bundles deb --no-binary-patching --config "$overlay"
  ls -l "$target_dir"/debug/bundle/deb/*.deb
  exit 0
fi

./scripts/setup.sh
(cd ui && npm run build)
rm -f "$target_dir"/release/bundle/deb/*.deb "$target_dir"/release/bundle/rpm/*.rpm
# `tauri build` compiles the app with Tauri's production settings (custom-protocol), and the helper
# binaries in the same cargo run: built apart, their shared dependencies' features differ and
# about half of them compile twice.
"$tauri" build --ci --bundles deb,rpm --config "$overlay" \
  -- --locked -p runtime-manager -p runtime -p control-plane
ls -l "$target_dir"/release/bundle/deb/*.deb "$target_dir"/release/bundle/rpm/*.rpm
