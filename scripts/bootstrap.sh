#!/usr/bin/env bash
# Installs whatever this project needs and is missing, and says what it did. Idempotent: on a
# machine that has everything it only checks (a few seconds).
#   wasm32 target · wasm-bindgen-cli (the Cargo.lock version) · wasm-pack · Debian's chromium,
#   chromium-driver, binaryen (wasm-opt) · npm dev dependencies · Python venv for conformance
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

did=()
say() { printf 'bootstrap: %s\n' "$*"; }

# Rust target.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding rustup target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown >/dev/null
  did+=("wasm32 target")
fi

# cargo install, falling back to a fresh resolution when a locked dependency is not on the
# registry (the locked tree can name a crate version newer than the registry has).
cargo_install() {
  local crate=$1 version=${2:-}
  local args=(install --quiet "$crate")
  [ -n "$version" ] && args+=(--version "$version")
  cargo "${args[@]}" --locked 2>/dev/null || cargo "${args[@]}"
}

# wasm-bindgen-cli at exactly the version in Cargo.lock.
want_wb=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
have_wb=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have_wb" != "$want_wb" ]; then
  say "installing wasm-bindgen-cli $want_wb (found: ${have_wb:-none}); this takes a few minutes once"
  cargo_install wasm-bindgen-cli "$want_wb"
  did+=("wasm-bindgen-cli $want_wb")
fi

if ! command -v wasm-pack >/dev/null; then
  say "installing wasm-pack; this takes a few minutes once"
  cargo_install wasm-pack
  did+=("wasm-pack")
fi

# Debian packages.
missing=()
for p in chromium chromium-driver binaryen; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  say "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  did+=("${missing[@]}")
fi

# npm dev dependencies (ali-oss for the cross-check and benchmarks, playwright-core for e2e).
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm dev dependencies"
  # `npm install` honours package-lock.json like `npm ci`, but tolerates the optional
  # platform packages (rollup's) that this machine's registry does not serve.
  npm install --no-audit --no-fund --loglevel=error >/dev/null
  did+=("npm dependencies")
fi

# Python venv with the official OSS SDK (conformance tests of the emulator).
req=tests/conformance/requirements.txt
if [ -f "$req" ]; then
  stamp=.venv/.requirements.sha256
  want=$(sha256sum "$req" | cut -d' ' -f1)
  if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "creating .venv with $req"
    python3 -m venv .venv
    .venv/bin/pip install --quiet --disable-pip-version-check -r "$req"
    echo "$want" >"$stamp"
    did+=("python venv")
  fi
fi

if [ ${#did[@]} -eq 0 ]; then
  say "everything already installed"
else
  say "installed: ${did[*]}"
fi
