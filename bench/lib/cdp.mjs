// A minimal Chrome DevTools Protocol driver over --remote-debugging-pipe, for the benchmarks.
//
// Why not playwright-core (which the tests use): playwright enables the DevTools Network domain on
// every page it controls, and with it Chromium's inspector processes every request body. For
// ArrayBuffer bodies (what ali-oss uploads: it reads each part into memory, then sends it with
// XHR) that cost 5–9× in upload time on this machine (32 MiB: 2.8–6.9 s under playwright vs
// 0.65–0.73 s with no DevTools client), while Blob bodies were unaffected: it would have skewed the
// comparison. This driver enables no domain at all: it creates contexts and pages (Target), runs
// `Runtime.evaluate`, reads `Runtime.getHeapUsage`, and takes screenshots (Page).

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CHROMIUM_ARGS } from './common.mjs';

export async function launch({ executablePath = '/usr/bin/chromium', args = CHROMIUM_ARGS } = {}) {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oss-bench-chromium-'));
  const proc = spawn(executablePath, [...args, '--remote-debugging-pipe', `--user-data-dir=${userDataDir}`, 'about:blank'],
    { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] });
  const toChrome = proc.stdio[3];
  const fromChrome = proc.stdio[4];
  let nextId = 1;
  const pending = new Map();
  const listeners = new Set();
  let buf = '';
  let exited = false;
  fromChrome.setEncoding('utf8');
  fromChrome.on('data', (chunk) => {
    buf += chunk;
    let i;
    while ((i = buf.indexOf('\0')) >= 0) {
      const msg = JSON.parse(buf.slice(0, i));
      buf = buf.slice(i + 1);
      if (msg.id && pending.has(msg.id)) {
        const { resolve, reject, method } = pending.get(msg.id);
        pending.delete(msg.id);
        if (msg.error) reject(new Error(`${method}: ${msg.error.message}`));
        else resolve(msg.result);
      } else if (msg.method) {
        for (const l of listeners) l(msg);
      }
    }
  });
  const failAll = (why) => {
    for (const { reject, method } of pending.values()) reject(new Error(`${method}: ${why}`));
    pending.clear();
  };
  proc.on('exit', () => { exited = true; failAll('browser exited'); });
  toChrome.on('error', () => {});

  const send = (method, params = {}, sessionId) => new Promise((resolve, reject) => {
    if (exited) { reject(new Error(`${method}: browser exited`)); return; }
    const id = nextId++;
    pending.set(id, { resolve, reject, method });
    toChrome.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
  });

  const version = await send('Browser.getVersion');

  /** A page in a new browser context (own cache, cookies, and renderer process). */
  async function newPage(url, { width = 1280, height = 800 } = {}) {
    const { browserContextId } = await send('Target.createBrowserContext', { disposeOnDetach: true });
    const { targetId } = await send('Target.createTarget', { url: 'about:blank', browserContextId });
    const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
    let crashed = false;
    const onEvent = (m) => {
      if (m.sessionId === sessionId && m.method === 'Inspector.targetCrashed') crashed = true;
      if (m.method === 'Target.targetCrashed' && m.params.targetId === targetId) crashed = true;
    };
    listeners.add(onEvent);
    const s = (method, params) => send(method, params, sessionId);
    await s('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false });
    const page = {
      sessionId,
      get crashed() { return crashed; },
      send: s,
      async goto(u) {
        await s('Page.navigate', { url: u });
      },
      /** Evaluates `expr` (awaiting a promise) and returns its JSON value; a thrown error rejects. */
      async evaluate(expr) {
        const r = await s('Runtime.evaluate', { expression: expr, awaitPromise: true, returnByValue: true });
        if (r.exceptionDetails) {
          const d = r.exceptionDetails;
          throw new Error(d.exception?.description || d.exception?.value || d.text);
        }
        return r.result.value;
      },
      /** Calls `window.<path>(...args)` with JSON arguments. */
      call(fn, ...args) {
        return page.evaluate(`(${fn})(...${JSON.stringify(args)})`);
      },
      async waitFor(expr, timeoutMs = 30_000) {
        const t0 = Date.now();
        for (;;) {
          const v = await page.evaluate(expr).catch(() => undefined);
          if (v) return v;
          if (crashed) throw new Error('page crashed');
          if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${expr}`);
          await new Promise((r) => setTimeout(r, 25));
        }
      },
      async screenshot(file) {
        const m = await s('Page.getLayoutMetrics');
        const { width: w, height: h } = m.cssContentSize ?? m.contentSize;
        await s('Emulation.setDeviceMetricsOverride', { width: Math.ceil(w), height: Math.ceil(h), deviceScaleFactor: 1, mobile: false });
        const { data } = await s('Page.captureScreenshot', { format: 'png', clip: { x: 0, y: 0, width: Math.ceil(w), height: Math.ceil(h), scale: 1 } });
        fs.writeFileSync(file, Buffer.from(data, 'base64'));
      },
      async close() {
        listeners.delete(onEvent);
        await send('Target.disposeBrowserContext', { browserContextId }).catch(() => {});
      },
    };
    if (url) await page.goto(url);
    return page;
  }

  return {
    /** "156.0.8078.79" */
    version: version.product.replace(/^[^/]*\//, ''),
    newPage,
    async close() {
      if (!exited) {
        await send('Browser.close').catch(() => {});
        await new Promise((r) => { if (exited) r(); else proc.once('exit', r); setTimeout(r, 5000); });
      }
      if (!exited) proc.kill('SIGKILL');
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Opens `url` in a fresh context and waits for `window.benchReady` (or throws `window.benchError`). */
export async function openBenchPage(browser, url, opts) {
  const page = await browser.newPage(url, opts);
  await page.waitFor('window.benchReady || window.benchError');
  const err = await page.evaluate('window.benchError');
  if (err) {
    await page.close();
    throw new Error(`page setup failed: ${err}`);
  }
  return page;
}
