// Shared e2e plumbing: start the release emulator on a free port, launch Debian's Chromium
// headless through playwright-core, open the test page, talk to the emulator's admin API.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { basename, dirname, join } from 'node:path';
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const EMULATOR = join(ROOT, 'target', 'release', 'oss-emulator');

// ---- Trace for the secrets scan (tests/robustness/secrets-scan.mjs) ----
// Everything a page shows or sends (console, page errors, requests, storage at close, inPage
// errors) and the secrets each emulator issued go to target/e2e-trace/<test file>-<pid>.jsonl.
// E2E_TRACE=0 turns it off. Responses are not recorded (the STS answer holds the secret by design).
export const TRACE_DIR = join(ROOT, 'target', 'e2e-trace');
const TRACING = process.env.E2E_TRACE !== '0';
const TRACE_FILE = join(TRACE_DIR, `${basename(process.argv[1] ?? 'node', '.mjs')}-${process.pid}.jsonl`);
let traceReady = false;
let pageSeq = 0;

/** Appends one record to this process's trace. */
export function trace(kind, data) {
  if (!TRACING) return;
  if (!traceReady) { mkdirSync(TRACE_DIR, { recursive: true }); traceReady = true; }
  appendFileSync(TRACE_FILE, `${JSON.stringify({ kind, ...data })}\n`);
}

const MAX_TEXT_BODY = 256 * 1024;
/** A request body as text when it is text; otherwise its printable runs (where a leaked token
 *  in a binary body would show). */
function bodyRecord(req) {
  let buf;
  try { buf = req.postDataBuffer(); } catch { return {}; }
  if (!buf || buf.length === 0) return {};
  const head = buf.subarray(0, MAX_TEXT_BODY);
  const latin1 = head.toString('latin1');
  // eslint-disable-next-line no-control-regex
  if (!/[\x00-\x08\x0e-\x1f]/.test(latin1)) return { postData: head.toString('utf8'), postDataBytes: buf.length };
  return { postDataRuns: latin1.match(/[\x20-\x7e]{16,}/g) ?? [], postDataBytes: buf.length };
}

/** Dumps localStorage, sessionStorage and every IndexedDB database of the page's origin. */
async function dumpStorage(page, when, again = false) {
  if (page.isClosed() || page.__dumped) return;
  if (!again) page.__dumped = true; // the page is closing: one dump (page.close of browser.newPage closes its context too)
  const id = page.__traceId;
  const dump = page.evaluate(async () => {
    const text = (v, depth = 0) => {
      if (v == null || typeof v !== 'object') return v;
      if (depth > 8) return '[deep]';
      if (v instanceof Blob) return { blob: v.size, type: v.type };
      if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) {
        const u8 = v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
        return { bytes: new TextDecoder('latin1').decode(u8.subarray(0, 65536)) };
      }
      if (v instanceof Date) return v.toISOString();
      if (v instanceof Map) return [...v].map(([k, x]) => [text(k, depth + 1), text(x, depth + 1)]);
      if (v instanceof Set) return [...v].map((x) => text(x, depth + 1));
      if (Array.isArray(v)) return v.map((x) => text(x, depth + 1));
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, text(x, depth + 1)]));
    };
    const store = (s) => { try { return Object.fromEntries(Object.entries(s)); } catch (e) { return { error: String(e) }; } };
    const out = { origin: location.origin, url: location.href, localStorage: store(localStorage), sessionStorage: store(sessionStorage), indexedDB: [] };
    const dbs = (await indexedDB.databases?.()) ?? [];
    for (const { name, version } of dbs) {
      const db = await new Promise((resolve, reject) => {
        const r = indexedDB.open(name);
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
        r.onblocked = () => reject(new Error('blocked'));
      }).catch((e) => ({ error: String(e) }));
      if (db.error) { out.indexedDB.push({ name, version, error: db.error }); continue; }
      const stores = {};
      for (const s of db.objectStoreNames) {
        stores[s] = await new Promise((resolve) => {
          const tx = db.transaction(s, 'readonly');
          const os = tx.objectStore(s);
          const [keys, values] = [os.getAllKeys(), os.getAll()];
          tx.oncomplete = () => resolve(keys.result.map((k, i) => [text(k), text(values.result[i])]));
          tx.onerror = () => resolve({ error: String(tx.error) });
        });
      }
      db.close();
      out.indexedDB.push({ name, version, stores });
    }
    return out;
  });
  const timeout = new Promise((resolve) => { setTimeout(resolve, 5000, { error: 'storage dump timed out' }).unref(); });
  const data = await Promise.race([dump, timeout]).catch((e) => ({ error: String(e.message ?? e) }));
  trace('storage', { page: id, when, ...data });
}

/** Records what a page logs, throws and sends; its storage is dumped before it closes. */
function tracePage(page) {
  if (!TRACING || page.__traceId) return;
  const id = page.__traceId = ++pageSeq;
  page.on('console', (m) => trace('console', { page: id, type: m.type(), text: m.text(), location: m.location()?.url }));
  page.on('pageerror', (e) => trace('pageerror', { page: id, message: e.message, stack: e.stack }));
  page.on('request', (r) => trace('request', { page: id, method: r.method(), url: r.url(), headers: r.headers(), ...bodyRecord(r) }));
  page.on('worker', (w) => trace('worker', { page: id, url: w.url() }));
  // After a reload, storage holds what the page saved before it (checkpoints of an upload cut short).
  let loads = 0;
  page.on('load', () => { if (++loads > 1) dumpStorage(page, 'reload', true).catch(() => {}); });
  const close = page.close.bind(page);
  page.close = async (...args) => { await dumpStorage(page, 'page.close'); return close(...args); };
}

function traceContext(ctx) {
  if (!TRACING || ctx.__traced) return ctx;
  ctx.__traced = true;
  ctx.on('page', tracePage);
  for (const p of ctx.pages()) tracePage(p);
  const close = ctx.close.bind(ctx);
  ctx.close = async (...args) => {
    for (const p of ctx.pages()) await dumpStorage(p, 'context.close');
    return close(...args);
  };
  return ctx;
}

function traceBrowser(browser) {
  if (!TRACING) return browser;
  const newContext = browser.newContext.bind(browser);
  // browser.newPage() goes through this.newContext(), so its pages are covered too.
  browser.newContext = async (...args) => traceContext(await newContext(...args));
  for (const c of browser.contexts()) traceContext(c);
  const close = browser.close.bind(browser);
  browser.close = async (...args) => {
    for (const c of browser.contexts()) for (const p of c.pages()) await dumpStorage(p, 'browser.close');
    return close(...args);
  };
  return browser;
}

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
  const kill = () => new Promise((resolve) => { proc.once('exit', resolve); proc.kill('SIGTERM'); });
  return {
    port, base, endpoint: base, bucketUrl: `http://demo.localhost:${port}`, admin,
    stsCount: async () => (await admin('sts/count')).count,
    object: async (key) => (await admin('objects?bucket=demo')).objects.find((o) => o.key === key),
    stop: async () => {
      // Save what this emulator issued before it forgets: the secrets scan looks for each one.
      if (TRACING && proc.exitCode === null) {
        try {
          const [issued, config] = [await admin('sts/issued'), await admin('config')];
          trace('issued', { port, buckets: config.buckets.map((b) => b.name), ...issued });
          // PostObject forms as received: DevTools do not show multipart bodies holding a Blob.
          for (const f of (await admin('post-forms')).forms) trace('postform', { port, ...f });
        } catch (e) { trace('issued', { port, error: String(e.message ?? e) }); }
      }
      return kill();
    },
  };
}

export async function launchBrowser() {
  return traceBrowser(await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  }));
}

/** Opens the e2e page (or `path`) and waits until the package is initialised. */
export async function openPage(browser, emu, path = '/index.html', context) {
  const ctx = traceContext(context ?? await browser.newContext());
  const page = await ctx.newPage();
  tracePage(page);
  page.on('pageerror', (e) => console.error('pageerror:', e.message));
  await page.goto(`${emu.base}${path}`);
  await page.waitForFunction(() => window.ready === true, null, { timeout: 10_000 });
  return page;
}

/** Runs `fn(lib, arg)` in the page, returning `{ ok, value }` or `{ ok: false, error }` with
 *  every OssError property. */
export async function inPage(page, fn, arg) {
  const r = await page.evaluate(async ([src, a]) => {
    const f = new Function(`return (${src})`)();
    try {
      return { ok: true, value: await f(window.lib, a) };
    } catch (e) {
      return { ok: false, error: { name: e.name, message: e.message, code: e.code, status: e.status, requestId: e.requestId,
        ec: e.ec, hostId: e.hostId, diagnosis: e.diagnosis, retryable: e.retryable, field: e.field, isError: e instanceof Error } };
    }
  }, [fn.toString(), arg]);
  if (!r.ok) trace('inPageError', { page: page.__traceId, error: r.error });
  else {
    // Errors a test caught in the page and returned ({ code, message, diagnosis }…).
    const texts = errorTexts(r.value);
    if (texts.length) trace('inPageErrorText', { page: page.__traceId, texts });
  }
  return r;
}

/** The `message`, `diagnosis` and `stack` strings anywhere in a value. */
function errorTexts(v, depth = 0, out = []) {
  if (!TRACING || v == null || typeof v !== 'object' || depth > 6 || out.length > 1000) return out;
  for (const [k, x] of Object.entries(v).slice(0, 1000)) {
    if (typeof x === 'string' && ['message', 'diagnosis', 'stack'].includes(k)) out.push(x);
    else errorTexts(x, depth + 1, out);
  }
  return out;
}

/**
 * The usual session of a test file: an emulator (`startEmulator(options)`), a browser and a page
 * on it, started before the file's tests and closed after them. `onReady({ emu, browser, page })`
 * runs (and is awaited) once all three are up: the file keeps them and adds its own setup.
 */
export function session(options, onReady) {
  const s = {};
  before(async () => {
    s.emu = await startEmulator(options);
    s.browser = await launchBrowser();
    s.page = await openPage(s.browser, s.emu);
    await onReady(s);
  });
  after(async () => {
    await s.browser?.close();
    await s.emu?.stop();
  });
  return s;
}

/**
 * Page helpers, for `page.evaluate`: `bigFile(mib, name, seed)`, a deterministic File built from
 * one 1 MiB Blob repeated (each MiB with an 8-byte header so parts differ), and
 * `crcOf(blob, lib = window.lib)`, its CRC-64 through the package, 8 MiB at a time.
 */
export function pageFiles() {
  window.bigFile = (mib, name = 'big.bin', seed = 2463534242) => {
    const block = new Uint8Array((1 << 20) - 8);
    let x = seed;
    for (let i = 0; i < block.length; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; block[i] = x & 255; }
    const blk = new Blob([block]);
    const parts = [];
    for (let i = 0; i < mib; i++) parts.push(String(i).padStart(8, '0'), blk);
    return new File(parts, name, { type: 'application/octet-stream', lastModified: 1_700_000_000_000 });
  };
  window.crcOf = async (blob, lib = window.lib) => {
    let crc;
    for (let at = 0; at < blob.size; at += 8 << 20) {
      crc = lib.crc64(new Uint8Array(await blob.slice(at, Math.min(blob.size, at + (8 << 20))).arrayBuffer()), crc);
    }
    return crc ?? '0';
  };
}
