#!/usr/bin/env bash
# `npm run fuzz`: runs each cargo-fuzz target (fuzz/fuzz_targets/) for FUZZ_SECS seconds (default
# 60) on its corpus, fuzz/corpus/<target> (seeds committed, the rest kept between runs), then
# prints runs, execs/s, corpus size and crashes per target. Exits non-zero on a crash; the input
# is in fuzz/artifacts/<target>/ (replay: cargo fuzz run <target> <file>).
#   FUZZ_TARGETS="oss_xml canonicalize"  only these targets
#   FUZZ_SANITIZER=none|address          default address
#   FUZZ_TOOLCHAIN=stable                force stable + RUSTC_BOOTSTRAP=1 (default: nightly if installed)
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TERM_COLOR=never
secs=${FUZZ_SECS:-60}
sanitizer=${FUZZ_SANITIZER:-address}
targets=${FUZZ_TARGETS:-$(ls fuzz/fuzz_targets | sed -n 's/\.rs$//p' | tr '\n' ' ')}

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked || exit 1
toolchain=${FUZZ_TOOLCHAIN:-}
if [ -z "$toolchain" ]; then
  if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then toolchain=nightly; else toolchain=stable; fi
fi
if [ "$toolchain" = nightly ]; then
  fuzz=(cargo +nightly fuzz)
else
  # cargo-fuzz needs nightly flags (-Z sanitizer, sancov); stable accepts them when bootstrapping.
  export RUSTC_BOOTSTRAP=1
  fuzz=(cargo "+$toolchain" fuzz)
fi
echo "fuzzing with $toolchain ($(rustc "+$toolchain" --version)), sanitizer $sanitizer, ${secs}s per target"

for t in $targets; do "${fuzz[@]}" build --fuzz-dir fuzz --sanitizer "$sanitizer" "$t" || exit 1; done

mkdir -p target/fuzz
rows=() failed=0
for t in $targets; do
  corpus=fuzz/corpus/$t
  mkdir -p "$corpus" "fuzz/artifacts/$t"
  before=$(ls "fuzz/artifacts/$t" | wc -l)
  log=target/fuzz/$t.log
  echo "=== $t (${secs}s, corpus $(ls "$corpus" | wc -l) inputs)"
  "${fuzz[@]}" run --fuzz-dir fuzz --sanitizer "$sanitizer" "$t" "$corpus" -- \
    -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1
  rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  crashes=$(( $(ls "fuzz/artifacts/$t" | wc -l) - before ))
  if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then crashes=1; fi
  if [ "$crashes" -ne 0 ]; then
    failed=$((failed + 1))
    grep -E "panicked|ERROR|SUMMARY|Test unit written" "$log" | head -8
  fi
  rows+=("$(printf '%-22s %12s %10s %8s %8s' "$t" "${runs:-?}" "${rate:-?}" "$(ls "$corpus" | wc -l)" "$crashes")")
done

printf '\n%-22s %12s %10s %8s %8s\n' target runs execs/s corpus crashes
printf '%s\n' "${rows[@]}"
printf '\nlogs in target/fuzz/; crash inputs in fuzz/artifacts/<target>/\n'
[ "$failed" -eq 0 ]
