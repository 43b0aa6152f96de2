// The package's TypeScript types: a usage file type-checks under --strict, and misuse is
// rejected. Uses the project's typescript, or $TSC_DIR; skipped without one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT } from './lib/harness.mjs';

test('pkg/*.d.ts types the documented API and rejects misuse', (t) => {
  const tsc = [join(ROOT, 'node_modules', '.bin', 'tsc'), process.env.TSC_DIR && join(process.env.TSC_DIR, 'node_modules', '.bin', 'tsc')]
    .filter(Boolean).find((p) => existsSync(p));
  if (!tsc) {
    t.skip('typescript is not installed (npm install -D typescript, or set TSC_DIR)');
    return;
  }
  const r = spawnSync(tsc, ['--noEmit', '--strict', '--target', 'es2022', '--module', 'es2022', '--moduleResolution', 'bundler',
    '--lib', 'esnext,dom', '--skipLibCheck', 'false', join(ROOT, 'tests', 'e2e', 'types', 'usage.ts')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});
