#!/usr/bin/env bash
# `npm run soak`: the robustness tests (tests/robustness/) scaled up with SOAK=1 — 5,000 files
# through one client, 10 tabs sharing credentials for a minute, and whatever the other robustness
# tests scale — then the summary table and the load figures: uploads/s, MB/s, STS calls per
# credential window, peak uploads in flight. Figures are noisy on a loaded machine: the load
# average is printed before and after.
#   SOAK_ONLY=load   runs only tests/robustness/<word>*.test.mjs
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

echo "soak: building the npm package (pkg/) and the emulator…"
bash scripts/build.sh || exit 1
cargo build --quiet --release -p oss-emulator || exit 1

tests=(tests/robustness/)
if [ -n "${SOAK_ONLY:-}" ]; then
  tests=()
  for w in $SOAK_ONLY; do tests+=(tests/robustness/"$w"*.test.mjs); done
fi

rm -rf target/robustness
echo "soak: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start, commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
t0=$SECONDS
SOAK=1 node --test --test-concurrency=1 --test-reporter=spec "${tests[@]}"
status=$?
echo "soak: tests took $((SECONDS - t0)) s, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"

node tests/robustness/summary.mjs || status=1

# The load figures in one table (from target/robustness/load*.json).
node --input-type=module - <<'EOF' || status=1
import { readdirSync, readFileSync, existsSync } from 'node:fs';
const dir = 'target/robustness';
const runs = existsSync(dir) ? readdirSync(dir).filter((f) => /^load.*\.json$/.test(f)).sort() : [];
if (!runs.length) process.exit(0);
const cols = [['uploads', (r) => r.uploadsCompleted], ['MB', (r) => r.figures?.totalMB ?? ''],
  ['seconds', (r) => r.figures?.durationS], ['uploads/s', (r) => r.figures?.uploadsPerSec],
  ['MB/s', (r) => r.figures?.MBPerSec], ['lifetimes', (r) => r.figures?.lifetimes],
  ['STS calls (bound)', (r) => `${r.figures?.stsCalls} (${r.figures?.stsBound})`],
  ['STS per 10 s window', (r) => r.figures?.stsPer10sWindow],
  ['peak in flight', (r) => r.figures?.peakUploadsInFlight ?? r.figures?.peakUploadsInFlightPerTab]];
const rows = runs.map((f) => JSON.parse(readFileSync(`${dir}/${f}`, 'utf8')));
const cells = rows.map((r) => [r.label, ...cols.map(([, get]) => String(get(r) ?? ''))]);
const head = ['load run', ...cols.map(([h]) => h)];
const w = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
const line = (c) => c.map((x, i) => (i === 0 ? x.padEnd(w[i]) : x.padStart(w[i]))).join('  ');
console.log(`\nsoak load figures\n${line(head)}\n${line(w.map((n) => '-'.repeat(n)))}`);
for (const c of cells) console.log(line(c));
EOF
exit $status
