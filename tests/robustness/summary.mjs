// Prints the robustness suite's summary table from the figures each test wrote to
// target/robustness/*.json. Each file holds any of the counters below (missing ones count 0)
// plus an optional `label`. Exits non-zero if a secret was found or no figures were written.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..');
const DIR = join(ROOT, 'target', 'robustness');
const COUNTERS = [
  ['uploadsAttempted', 'uploads attempted'],
  ['uploadsCompleted', 'uploads completed'],
  ['uploadsFailedClearly', 'uploads failed with a clear error + checkpoint'],
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
const rows = files.map((f) => ({ file: f, ...JSON.parse(readFileSync(join(DIR, f), 'utf8')) }));
const total = Object.fromEntries(COUNTERS.map(([k]) => [k, rows.reduce((s, r) => s + (Number(r[k]) || 0), 0)]));

const w = Math.max(...COUNTERS.map(([, l]) => l.length));
console.log('\nrobustness summary');
console.log(`${'source'.padEnd(28)} ${COUNTERS.map(([k]) => k.replace(/[a-z]+/g, (s) => s.slice(0, 3)).padStart(9)).join('')}`);
for (const r of rows) {
  console.log(`${(r.label ?? r.file).slice(0, 28).padEnd(28)} ${COUNTERS.map(([k]) => String(r[k] ?? 0).padStart(9)).join('')}`);
}
console.log('');
for (const [k, l] of COUNTERS) console.log(`${l.padEnd(w)}  ${total[k]}`);
if (total.secretsFound > 0) {
  console.error('\nFAIL: secrets found');
  process.exit(1);
}
