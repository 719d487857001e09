#!/usr/bin/env bash
# Installs everything Runtime Manager needs to build, run and test on a fresh Debian 12 machine.
# Safe to run again: each step is skipped when its result is already present.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# Debian packages: Tauri's build deps, Xvfb + WebKitWebDriver for the real-webview tests,
# gnome-keyring + dbus for the OS keyring, imagemagick for window screenshots.
packages=(
  libwebkit2gtk-4.1-dev build-essential curl wget file libxdo-dev libssl-dev
  libayatana-appindicator3-dev librsvg2-dev pkg-config
  xvfb xauth webkit2gtk-driver imagemagick
  gnome-keyring libsecret-tools keyutils dbus dbus-user-session
  nginx-light wrk
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# rustfmt and clippy for the house style gates of scripts/test.sh.
for component in rustfmt clippy; do
  if ! cargo "$( [ "$component" = rustfmt ] && echo fmt || echo clippy )" --version >/dev/null 2>&1; then
    rustup component add "$component"
  fi
done

# tauri-driver bridges WebDriver to WebKitWebDriver for the end-to-end tests.
if ! command -v tauri-driver >/dev/null 2>&1; then
  cargo install tauri-driver --locked
fi

# Front-end packages, pinned by package-lock.json.
if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  (cd ui && npm ci --no-audit --no-fund)
fi
