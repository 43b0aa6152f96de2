#!/usr/bin/env bash
# The whole test suite (`npm test`, and CI through .ci/run). Runs every step even when one fails,
# prints each runner's own summary, then a table of steps; exits non-zero if any step failed.
#   ONLY="clippy wasm" runs just the steps whose names contain one of the words.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TERM_COLOR=never
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
export CHROMEDRIVER=/usr/bin/chromedriver
export OSS_EMULATOR_BIN="$PWD/target/release/oss-emulator"
selected() { [ -z "${ONLY:-}" ] || grep -qiE "$(echo "$ONLY" | tr ' ' '|')" <<<"$1"; }
# What the e2e and robustness pages logged, stored and sent (tests/e2e/lib/harness.mjs), for the
# secrets scan; a run that includes those tests starts from an empty trace.
if selected "end-to-end" || selected "robustness"; then rm -rf target/e2e-trace; fi

names=() results=() times=()
step() {
  local name=$1; shift
  selected "$name" || return 0
  printf '\n=== %s\n' "$name"
  local t0=$SECONDS
  if "$@"; then results+=(pass); else results+=(FAIL); fi
  names+=("$name") times+=($((SECONDS - t0)))
}

step "cargo fmt --check" cargo fmt --all --check
step "clippy (host, -D warnings)" cargo clippy --workspace --all-targets --quiet -- -D warnings
step "clippy (wasm32, -D warnings)" cargo clippy -p oss-direct-upload --target wasm32-unknown-unknown --all-targets --quiet -- -D warnings
step "clippy (wasm32 signing-only build, -D warnings)" cargo clippy -p oss-direct-upload --target wasm32-unknown-unknown --no-default-features --lib --quiet -- -D warnings
step "cargo doc (-D warnings)" env RUSTDOCFLAGS="-D warnings" cargo doc -p oss-direct-upload --no-deps --quiet
step "native tests (library + emulator)" cargo test --workspace --quiet
step "wasm tests (headless Chromium)" cargo test -p oss-direct-upload --target wasm32-unknown-unknown --test "web*"
step "build npm package (pkg/)" bash scripts/build.sh
step "size budget (size-budget.json)" bash scripts/size.sh --check
step "build emulator (release)" cargo build --release -p oss-emulator --quiet
step "ali-oss cross-check (node)" node --test tests/crosscheck/
step "emulator conformance (official Python SDK)" .venv/bin/python -m pytest -q tests/conformance
if compgen -G "tests/e2e/*.test.mjs" >/dev/null; then
  step "end-to-end (headless Chromium + emulator)" node --test --test-concurrency=1 tests/e2e/
fi
# Robustness (issue 7): load, faults and bad input, then a scan of everything the e2e and
# robustness runs recorded for leaked secrets, then the figures table. Figures go to
# target/robustness/*.json; a run starts from an empty directory.
rm -rf target/robustness
if compgen -G "tests/robustness/*.test.mjs" >/dev/null; then
  step "robustness (load, faults, bad input)" node --test --test-concurrency=1 tests/robustness/
  if [ -f tests/robustness/secrets-scan.mjs ]; then
    step "secrets scan (everything recorded)" node tests/robustness/secrets-scan.mjs
  fi
  step "robustness summary" node tests/robustness/summary.mjs
fi

printf '\n%-48s %6s %6s\n' "step" "result" "secs"
failed=0
for i in "${!names[@]}"; do
  printf '%-48s %6s %6s\n' "${names[$i]}" "${results[$i]}" "${times[$i]}"
  [ "${results[$i]}" = pass ] || failed=$((failed + 1))
done
printf '\nsteps: %d passed, %d failed\n' $((${#names[@]} - failed)) "$failed"
[ "$failed" -eq 0 ]
