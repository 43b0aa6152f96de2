#!/usr/bin/env bash
# Builds the package and the emulator, then serves the demo page on the local OSS + STS emulator.
#   PORT=9000 (default)   DATA_DIR=dir to keep uploads across restarts
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

echo "demo: building the npm package (pkg/) and the emulator…"
bash scripts/build.sh
cargo build --quiet --release -p oss-emulator

args=(--port "${PORT:-9000}" --bucket demo --region cn-hangzhou --www www --pkg pkg)
[ -n "${DATA_DIR:-}" ] && args+=(--data-dir "$DATA_DIR")
echo "demo: open http://localhost:${PORT:-9000}/ in a browser (Ctrl-C stops the emulator)"
exec target/release/oss-emulator "${args[@]}"
