// Prints the robustness suite's summary table from the figures each test wrote to
// target/robustness/*.json. Each file holds any of the counters below (a counter a file does not
// have shows as "-", not 0), an optional `label`, and optional `figures` (name → number or text)
// printed under the table. Exits non-zero if a secret was found or no figures were written.
//
//   node tests/robustness/summary.mjs [--json]   (--json: the totals as one JSON line too)
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..');
const DIR = join(ROOT, 'target', 'robustness');
const COUNTERS = [
  ['uploadsAttempted', 'uploads attempted'],
  ['uploadsCompleted', 'uploads completed (exact bytes)'],
  ['uploadsFailedClearly', 'uploads failed clearly (error + checkpoint)'],
  ['bytesVerified', 'bytes verified (read back)'],
  ['faultsInjected', 'faults injected'],
  ['faultsSurvived', 'faults survived'],
  ['badInputsTried', 'bad inputs tried'],
  ['badInputsRejected', 'bad inputs rejected with the right code'],
  ['secretsScanned', 'places scanned for secrets'],
  ['secretsFound', 'secrets found'],
];

const files = existsSync(DIR) ? readdirSync(DIR).filter((f) => f.endsWith('.json')).sort() : [];
if (files.length === 0) {
  console.error(`no figures in ${DIR}: run the robustness tests first`);
  process.exit(1);
}
const rows = files.map((f) => {
  try {
    return { file: f, ...JSON.parse(readFileSync(join(DIR, f), 'utf8')) };
  } catch (e) {
    return { file: f, label: `${f} (unreadable: ${e.message})` };
  }
});
const has = (r, k) => r[k] !== undefined && r[k] !== null && Number.isFinite(Number(r[k]));
const total = Object.fromEntries(COUNTERS.map(([k]) => [k, rows.reduce((s, r) => s + (has(r, k) ? Number(r[k]) : 0), 0)]));

// Counters down the side, one column per source, then the total: counter names stay readable
// however many sources there are.
const group = (n) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const name = (r) => String(r.label ?? r.file.replace(/\.json$/, ''));
const cols = [...rows.map((r) => ({ head: name(r), cell: (k) => (has(r, k) ? group(Number(r[k])) : '-') })),
  { head: 'total', cell: (k) => group(total[k]) }];
const widths = cols.map((c) => Math.max(c.head.length, ...COUNTERS.map(([k]) => c.cell(k).length)));
const side = Math.max(...COUNTERS.map(([, l]) => l.length));
const line = (first, cells) => `${first.padEnd(side)}  ${cells.map((c, i) => c.padStart(widths[i])).join('  ')}`;

console.log(`\nrobustness summary (${files.length} file${files.length === 1 ? '' : 's'} in target/robustness/)\n`);
console.log(line('', cols.map((c) => c.head)));
console.log(line('-'.repeat(side), widths.map((w) => '-'.repeat(w))));
for (const [k, l] of COUNTERS) console.log(line(l, cols.map((c) => c.cell(k))));

// Each source's own figures (rates, timings, bounds), one line per source.
const withFigures = rows.filter((r) => r.figures && typeof r.figures === 'object');
if (withFigures.length) {
  console.log('\nfigures');
  for (const r of withFigures) {
    const parts = Object.entries(r.figures).map(([k, v]) => `${k} ${typeof v === 'number' ? group(v) : v}`);
    console.log(`  ${name(r)}: ${parts.join(', ')}`);
  }
}

// The promises of issue 7, checked on the totals. Only a found secret fails this script (the
// tests themselves assert the rest); the others are shown so a gap is never silent.
const lost = total.uploadsAttempted - total.uploadsCompleted - total.uploadsFailedClearly;
const checks = [ // [what, measured at all, ok, why not]
  ['no secret found', total.secretsScanned > 0 || total.secretsFound > 0, total.secretsFound === 0, `${total.secretsFound} found`],
  ['every upload completed or failed clearly', total.uploadsAttempted > 0, lost === 0, `${lost} neither`],
  ['every bad input rejected with the right code', total.badInputsTried > 0, total.badInputsRejected === total.badInputsTried,
    `${total.badInputsTried - total.badInputsRejected} not`],
];
console.log('\nchecks');
for (const [what, measured, ok, why] of checks) {
  console.log(`  ${!measured ? 'n/a ' : ok ? 'ok  ' : 'FAIL'} ${what}${!measured ? ' (no figures)' : ok ? '' : ` (${why})`}`);
}
if (process.argv.includes('--json')) console.log(JSON.stringify(total));
if (total.secretsFound > 0) {
  console.error('\nFAIL: secrets found');
  process.exit(1);
}
