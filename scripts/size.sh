#!/usr/bin/env bash
# Prints the npm package's sizes (raw and gzip -9); with --check, fails when the wasm or the JS
# glue grows past size-budget.json (size is deterministic, unlike time).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f pkg/oss_direct_upload_bg.wasm ] || bash scripts/build.sh >/dev/null

row() { printf '| %-28s | %9s | %9s |\n' "$1" "$2" "$3"; }
sizes() { echo "$(wc -c <"$1") $(gzip -9c "$1" | wc -c)"; }
read -r wasm_raw wasm_gz < <(sizes pkg/oss_direct_upload_bg.wasm)
read -r js_raw js_gz < <(sizes pkg/oss_direct_upload.js)
total_raw=$((wasm_raw + js_raw))
total_gz=$((wasm_gz + js_gz))
row "file" "raw (B)" "gzip (B)"
row "----" "---:" "---:"
row "oss_direct_upload_bg.wasm" "$wasm_raw" "$wasm_gz"
row "oss_direct_upload.js (glue)" "$js_raw" "$js_gz"
row "total" "$total_raw" "$total_gz"

if [ "${1:-}" = "--check" ]; then
  budget_wasm=$(node -p "require('./size-budget.json').wasmGzipBytes")
  budget_js=$(node -p "require('./size-budget.json').jsGzipBytes")
  ok=1
  if [ "$wasm_gz" -gt "$budget_wasm" ]; then echo "size: wasm is $wasm_gz B gzip, over the budget of $budget_wasm B (size-budget.json)"; ok=0; fi
  if [ "$js_gz" -gt "$budget_js" ]; then echo "size: JS glue is $js_gz B gzip, over the budget of $budget_js B (size-budget.json)"; ok=0; fi
  [ $ok -eq 1 ] && echo "size: within budget (wasm $wasm_gz/$budget_wasm B, glue $js_gz/$budget_js B gzip)"
  [ $ok -eq 1 ]
fi
