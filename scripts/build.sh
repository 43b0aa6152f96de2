#!/usr/bin/env bash
# Builds the npm package in pkg/: wasm-pack (release, ES module for browsers, bundlers and
# workers), then Debian's wasm-opt -Oz. Two builds of the one crate:
#   pkg/oss_direct_upload*   the full package (default features: the upload client too);
#   pkg/sign/sign*           the signing core only (`--no-default-features`: no_std, no core::fmt),
#                            exported as `oss-direct-upload/sign`.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

# --low-memory-unused: Rust lays the stack out first ([0, 1 MiB), growing down), then data and
# heap above 1 MiB, so nothing lives below address 1024 unless the stack is all but exhausted;
# wasm-opt may then fold constant offsets into loads and stores (-0.2 KB gzip for /sign, -1 KB
# for the full package, with --converge).
WASM_OPT_FLAGS=(-Oz --converge --low-memory-unused --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals
  --strip-target-features --strip-debug --strip-producers)

# build OUT_DIR OUT_NAME [cargo args...]
build() {
  local out="$1" name="$2"
  shift 2
  wasm-pack build --release --target web --out-dir "$out" --out-name "$name" --mode no-install --no-pack . -- "$@" \
    >/dev/null 2>build.log || {
    cat build.log >&2
    exit 1
  }
  rm -f build.log
  [ "$out" = pkg ] || rm -f "$out/.gitignore"
  # Lifetime errors of exported objects (use after free, free during a call) as OssErrors.
  node scripts/patch-glue.mjs "$out/$name.js"
  # wasm-bindgen's glue minified (its docs are in the .d.ts, which editors read), with the
  # snippets it imports bundled in: one module to fetch, one gzip stream. Exported classes and
  # functions get their names back (`Signer.name`, console output); stack traces show the
  # minified names of the glue's internals.
  node_modules/.bin/esbuild --bundle --minify --format=esm --log-level=warning \
    "$out/$name.js" --outfile="$out/$name.js" --allow-overwrite
  node scripts/keep-export-names.mjs "$out/$name.js"
  rm -rf "$out/snippets"
  local wasm="$out/${name}_bg.wasm"
  wasm-opt "${WASM_OPT_FLAGS[@]}" "$wasm" -o "$wasm.opt"
  mv "$wasm.opt" "$wasm"
  # wasm-bindgen's hashed import names, shortened in the module and the glue alike.
  node scripts/minify-imports.mjs "$wasm" "$out/$name.js"
}

build pkg/sign sign --no-default-features
build pkg oss_direct_upload
node scripts/package-json.mjs
echo "built pkg/ ($(wc -c <pkg/oss_direct_upload_bg.wasm) bytes of wasm; signing core pkg/sign/: $(wc -c <pkg/sign/sign_bg.wasm) bytes)"
