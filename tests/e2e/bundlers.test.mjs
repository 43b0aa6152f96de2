// The npm package bundled by Vite 7 uploads for real. Vite is resolved from the project's
// node_modules, or from $VITE_DIR (a folder where `npm install vite@7` ran); skipped without it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, startEmulator, launchBrowser, openPage } from './lib/harness.mjs';

async function loadVite() {
  const candidates = [join(ROOT, 'node_modules', 'vite'), process.env.VITE_DIR && join(process.env.VITE_DIR, 'node_modules', 'vite')].filter(Boolean);
  for (const dir of candidates) {
    const entry = join(dir, 'dist', 'node', 'index.js');
    if (existsSync(entry)) return import(pathToFileURL(entry).href);
  }
  return null;
}

test('a Vite 7 build of an app importing the package uploads to the emulator', async (t) => {
  const vite = await loadVite();
  if (!vite) {
    t.skip('vite is not installed (npm install -D vite@7, or set VITE_DIR)');
    return;
  }
  assert.match(vite.version, /^7\./, `vite ${vite.version}`);
  const outDir = mkdtempSync(join(tmpdir(), 'oss-vite-'));
  await vite.build({
    root: join(ROOT, 'tests', 'e2e', 'vite-app'),
    logLevel: 'warn',
    resolve: { alias: { 'oss-direct-upload': join(ROOT, 'pkg', 'oss_direct_upload.js') } },
    build: { outDir, emptyOutDir: true, target: 'esnext' },
  });
  const emu = await startEmulator({ www: outDir });
  const browser = await launchBrowser();
  try {
    const page = await openPage(browser, emu, '/index.html');
    const r = await page.evaluate(() => window.upload('vite/hello.txt', 'bundled by vite'));
    assert.equal(r.key, 'vite/hello.txt');
    const stored = await emu.object('vite/hello.txt');
    assert.equal(stored.size, 'bundled by vite'.length);
    assert.equal(stored.contentType, 'text/plain');
  } finally {
    await browser.close();
    await emu.stop();
    rmSync(outDir, { recursive: true, force: true });
  }
});
