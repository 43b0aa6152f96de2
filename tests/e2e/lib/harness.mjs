// Shared e2e plumbing: start the release emulator on a free port, launch Debian's Chromium
// headless through playwright-core, open the test page, talk to the emulator's admin API.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const EMULATOR = join(ROOT, 'target', 'release', 'oss-emulator');

/** Starts `oss-emulator --port 0`; resolves once it prints its URL. */
export async function startEmulator({ stsTtl = 900, www = join(ROOT, 'tests', 'e2e', 'www'), extra = [] } = {}) {
  if (!existsSync(EMULATOR)) throw new Error(`${EMULATOR} is missing: cargo build --release -p oss-emulator`);
  if (!existsSync(join(ROOT, 'pkg', 'oss_direct_upload.js'))) throw new Error('pkg/ is missing: npm run build');
  const proc = spawn(EMULATOR, ['--port', '0', '--bucket', 'demo', '--region', 'cn-hangzhou',
    '--sts-ttl', String(stsTtl), '--www', www, '--pkg', join(ROOT, 'pkg'), ...extra],
  { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: proc.stdout });
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('emulator did not start in 10 s')), 10_000);
    proc.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
    lines.once('line', (line) => {
      clearTimeout(timer);
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(line);
      m ? resolve(Number(m[1])) : reject(new Error(`unexpected first line: ${line}`));
    });
  });
  lines.on('line', () => {}); // keep draining the request log
  const base = `http://localhost:${port}`;
  const admin = async (path, method = 'GET', body) => {
    const res = await fetch(`http://127.0.0.1:${port}/_emulator/${path}`, {
      method, headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!res.ok) throw new Error(`admin ${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  return {
    port, base, endpoint: base, bucketUrl: `http://demo.localhost:${port}`, admin,
    stsCount: async () => (await admin('sts/count')).count,
    object: async (key) => (await admin('objects?bucket=demo')).objects.find((o) => o.key === key),
    stop: () => new Promise((resolve) => { proc.once('exit', resolve); proc.kill('SIGTERM'); }),
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Opens the e2e page (or `path`) and waits until the package is initialised. */
export async function openPage(browser, emu, path = '/index.html', context) {
  const ctx = context ?? await browser.newContext();
  const page = await ctx.newPage();
  page.on('pageerror', (e) => console.error('pageerror:', e.message));
  await page.goto(`${emu.base}${path}`);
  await page.waitForFunction(() => window.ready === true, null, { timeout: 10_000 });
  return page;
}

/** Runs `fn(lib, arg)` in the page, returning `{ ok, value }` or `{ ok: false, error }` with
 *  every OssError property. */
export async function inPage(page, fn, arg) {
  return page.evaluate(async ([src, a]) => {
    const f = new Function(`return (${src})`)();
    try {
      return { ok: true, value: await f(window.lib, a) };
    } catch (e) {
      return { ok: false, error: { name: e.name, message: e.message, code: e.code, status: e.status, requestId: e.requestId,
        ec: e.ec, hostId: e.hostId, diagnosis: e.diagnosis, retryable: e.retryable, field: e.field, isError: e instanceof Error } };
    }
  }, [fn.toString(), arg]);
}
