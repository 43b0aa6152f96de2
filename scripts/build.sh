#!/usr/bin/env bash
# Builds the npm package in pkg/: wasm-pack (release, ES module for browsers, bundlers and
# workers), then Debian's wasm-opt -Oz.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

wasm-pack build --release --target web --out-dir pkg --mode no-install --no-pack . >/dev/null 2>build.log || {
  cat build.log >&2
  exit 1
}
rm -f build.log
wasm="pkg/oss_direct_upload_bg.wasm"
wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals --strip-target-features \
  --strip-debug --strip-producers "$wasm" -o "$wasm.opt"
mv "$wasm.opt" "$wasm"
node scripts/package-json.mjs
echo "built pkg/ ($(wc -c <"$wasm") bytes of wasm)"
