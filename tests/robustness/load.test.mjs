// Load (issue 7): hundreds of files through one OssClient with a limit on uploads in flight while
// STS credentials live 10 seconds, then five tabs sharing one credential fetch per window.
// Every object is read back byte for byte (presigned GET) and its CRC64 compared with the
// emulator's own; the STS endpoint is counted by the emulator and timed in the page.
//
// SOAK=1 (npm run soak) scales it up: 5,000 files, 10 tabs, longer runs.
//
// Uploads in flight are counted in the page by wrapping `fetch` (the library calls the global
// one): an upload is in flight while a request for its object key is pending, so a multipart
// upload with several parts on the wire counts once, as the limit counts it. The emulator
// delays every upload request (an emulated round trip, `delayMs` fault) so the run spans
// several credential lifetimes on any machine and the queue really fills.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, startEmulator, launchBrowser, openPage, inPage } from '../e2e/lib/harness.mjs';

const SOAK = process.env.SOAK === '1';
const TTL_SECS = 10;
const FILES = SOAK ? 5000 : 500;
const LIMIT = 8;
/** Emulated round trip of each upload request (ms): 500 × 400 / 8 ≥ 25 s, 2.5 lifetimes. */
const RTT_MS = SOAK ? 100 : 400;
const TABS = SOAK ? 10 : 5;
const TAB_RUN_MS = SOAK ? 60_000 : 25_000;
const MIB = 1024 * 1024;

// The refresh rule (src/credentials/cache.rs): credentials are refreshed once less than a fifth
// of their life remains (the 60 s default margin is clamped to a fifth of short lifetimes). Their
// life, as the page sees it, is TTL minus up to 1 s (Expiration has whole seconds) and minus the
// error of the clock offset learned from whole-second Date headers (up to 0.5 s here, where both
// clocks are the same). So two fetches are at least
//   GAP = 0.8 × (TTL − 1 s) − 0.5 s = 6.7 s
// apart, and a run of D seconds makes at most floor(D / GAP) + 1 fetches (one at the start, one
// per GAP after). Twice the same window (a thundering herd) would show as a gap near 0.
const GAP_MS = 0.8 * (TTL_SECS - 1) * 1000 - 500;
const stsBound = (durationMs) => Math.floor(durationMs / GAP_MS) + 1;

let emu; let browser;

before(async () => {
  emu = await startEmulator({ stsTtl: TTL_SECS });
  browser = await launchBrowser();
  // The emulated round trip: every upload request (PutObject, parts, PostObject, Initiate and
  // Complete) waits RTT_MS before it is handled.
  await emu.admin('faults', 'POST', { method: 'PUT', path: '/load', delayMs: RTT_MS, times: 1e9 });
  await emu.admin('faults', 'POST', { method: 'POST', path: '/', delayMs: RTT_MS, times: 1e9 });
});

after(async () => {
  await browser?.close();
  await emu?.stop();
});

/** Deterministic sizes: 1 B and the 1 MiB chunk edges, 1-5 MiB every 50th file (200th in a
 *  soak), a 6-7 MiB multipart upload every 250th (1000th), and 1 B to 256 KiB (log-uniform)
 *  for the rest: about 65 MB for 500 files, 220 MB for 5,000. */
function plan(n, prefix) {
  const [bigEvery, multipartEvery] = SOAK ? [200, 1000] : [50, 250];
  let x = 0x9e3779b9;
  const rand = () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return (x >>> 0) / 2 ** 32; };
  return Array.from({ length: n }, (_, i) => {
    let size; let mode = 'put';
    if (i < 4) size = [1, MIB - 1, MIB, MIB + 1][i];
    else if (i % multipartEvery === 100) { size = 6 * MIB + Math.floor(rand() * MIB); mode = 'multipart'; }
    else if (i % bigEvery === 25) size = MIB + Math.floor(rand() * 4 * MIB);
    else size = Math.max(1, Math.floor(Math.exp(rand() * Math.log(256 * 1024))));
    if (mode === 'put' && i % 10 === 3) mode = 'post';
    return { key: `${prefix}${String(i).padStart(5, '0')}.bin`, size, seed: i + 1, mode };
  });
}

/** Defines `window.kit` in a page: deterministic bytes, and a `fetch` wrapper counting uploads
 *  in flight (distinct object keys with a pending request) and timing STS calls. */
function installKit() {
  const bucketHost = /^https?:\/\/demo\.localhost:/;
  const state = { watching: false, inFlight: new Map(), peakKeys: 0, peakRequests: 0, requests: 0, pending: 0, sts: [] };
  const keyOf = (url, init) => {
    const body = init?.body;
    if (body instanceof FormData && body.has('key')) return body.get('key');
    return decodeURIComponent(new URL(url).pathname.slice(1));
  };
  const realFetch = window.fetch.bind(window);
  window.fetch = (input, init) => {
    const url = String(input);
    if (url.includes('/sts')) state.sts.push(Date.now());
    if (!state.watching || !bucketHost.test(url)) return realFetch(input, init);
    const key = keyOf(url, init);
    state.inFlight.set(key, (state.inFlight.get(key) ?? 0) + 1);
    state.requests += 1; state.pending += 1;
    state.peakKeys = Math.max(state.peakKeys, state.inFlight.size);
    state.peakRequests = Math.max(state.peakRequests, state.pending);
    const done = () => {
      state.pending -= 1;
      const n = state.inFlight.get(key) - 1;
      if (n === 0) state.inFlight.delete(key); else state.inFlight.set(key, n);
    };
    return realFetch(input, init).then((r) => { done(); return r; }, (e) => { done(); throw e; });
  };
  const bytes = (seed, size) => {
    const out = new Uint8Array(size);
    const words = new Uint32Array(out.buffer, 0, size >>> 2);
    let x = (Math.imul(seed, 2654435761) >>> 0) || 1;
    const next = () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return x >>> 0; };
    for (let i = 0; i < words.length; i++) words[i] = next();
    for (let i = words.length * 4; i < size; i++) out[i] = next() & 255;
    return out;
  };
  /** Reads each object back through a presigned GET (8 at a time) and compares every byte. */
  const readBack = async (client, files) => {
    let verified = 0; const bad = []; let next = 0;
    const worker = async () => {
      while (next < files.length) {
        const f = files[next++];
        const { url } = await client.presignUrl(f.key, { expiresInSecs: 300 });
        const got = new Uint8Array(await (await fetch(url)).arrayBuffer());
        const want = bytes(f.seed, f.size);
        let same = got.length === want.length;
        for (let i = 0; same && i < want.length; i++) same = got[i] === want[i];
        if (same) verified += f.size; else bad.push(`${f.key}: ${got.length} of ${want.length} B`);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    return { verified, bad };
  };
  window.kit = { state, bytes, readBack };
}

async function kitPage(context) {
  const page = await openPage(browser, emu, '/index.html', context);
  await page.evaluate(`(${installKit.toString()})()`);
  return page;
}

function writeFigures(name, figures) {
  const dir = join(ROOT, 'target', 'robustness');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(figures, null, 2)}\n`);
}

/** The emulator's objects under `prefix`, by key. */
async function objects(prefix) {
  const { objects: all } = await emu.admin('objects?bucket=demo');
  return new Map(all.filter((o) => o.key.startsWith(prefix)).map((o) => [o.key, o]));
}

/** Checks every planned object against the emulator's listing (size, CRC64 computed by the
 *  emulator's own code) and the CRC64 the page computed; returns the keys that differ. */
function compareListing(files, listed, crcs) {
  const wrong = [];
  for (const [i, f] of files.entries()) {
    const o = listed.get(f.key);
    if (!o) wrong.push(`${f.key}: missing`);
    else if (o.size !== f.size || o.crc64 !== crcs[i]) wrong.push(`${f.key}: ${o.size} B crc ${o.crc64}, want ${f.size} B crc ${crcs[i]}`);
  }
  for (const k of listed.keys()) if (!files.some((f) => f.key === k)) wrong.push(`${k}: unexpected`);
  return wrong;
}

const fmt = (n, d = 1) => n.toFixed(d);

test(`load: ${FILES} files through one OssClient (maxConcurrentUploads ${LIMIT}) with ${TTL_SECS}-second credentials`, async () => {
  const page = await kitPage();
  const files = plan(FILES, 'load/one/');
  const stsBefore = await emu.stsCount();
  const up = await inPage(page, async (lib, { endpoint, files, limit, mib }) => {
    const { state, bytes } = window.kit;
    const client = new lib.OssClient({ region: 'cn-hangzhou', bucket: 'demo', endpoint, credentials: '/sts',
      maxConcurrentUploads: limit });
    window.loadClient = client;
    const crcs = [];
    const blobs = files.map((f, i) => {
      const b = bytes(f.seed, f.size);
      crcs[i] = lib.crc64(b);
      return new Blob([b], { type: 'application/octet-stream' });
    });
    state.watching = true;
    state.sts.length = 0;
    const t0 = Date.now();
    // Every upload is started at once; the client queues all but `limit` of them.
    const settled = await Promise.allSettled(files.map((f, i) => {
      if (f.mode === 'post') return client.postObject(f.key, blobs[i]);
      if (f.mode === 'multipart') {
        return client.putObject(f.key, blobs[i], { multipartThreshold: 5 * mib, partSize: mib, concurrency: 3, checkpoint: false });
      }
      return client.putObject(f.key, blobs[i]);
    }));
    const durationMs = Date.now() - t0;
    state.watching = false;
    const failed = settled.map((s, i) => [s, i]).filter(([s]) => s.status === 'rejected')
      .map(([s, i]) => `${files[i].key}: ${s.reason?.code} ${s.reason?.message}`);
    const crcMismatch = settled.map((s, i) => [s, i])
      .filter(([s, i]) => s.status === 'fulfilled' && s.value.crc64 !== undefined && s.value.crc64 !== crcs[i])
      .map(([, i]) => files[i].key);
    return { durationMs, failed, crcMismatch, crcs, completed: settled.filter((s) => s.status === 'fulfilled').length,
      peakKeys: state.peakKeys, peakRequests: state.peakRequests, requests: state.requests, stsTimes: [...state.sts] };
  }, { endpoint: emu.endpoint, files, limit: LIMIT, mib: MIB });
  assert.ok(up.ok, JSON.stringify(up.error));
  const r = up.value;
  const stsCalls = (await emu.stsCount()) - stsBefore;

  // Read-back (after the STS count: presigning may fetch once more).
  const back = await inPage(page, (lib, files) => window.kit.readBack(window.loadClient, files), files);
  assert.ok(back.ok, JSON.stringify(back.error));
  const listing = compareListing(files, await objects('load/one/'), r.crcs);
  const leftover = (await emu.admin('uploads')).uploads.filter((u) => u.key.startsWith('load/one/'));

  const totalBytes = files.reduce((s, f) => s + f.size, 0);
  const gaps = r.stsTimes.slice(1).map((t, i) => t - r.stsTimes[i]);
  const perWindow = {};
  for (const t of r.stsTimes) { const w = Math.floor((t - r.stsTimes[0]) / (TTL_SECS * 1000)); perWindow[w] = (perWindow[w] ?? 0) + 1; }
  const figures = {
    label: 'load',
    uploadsAttempted: FILES,
    uploadsCompleted: r.completed,
    bytesVerified: back.value.verified,
    figures: {
      files: FILES, totalMB: +fmt(totalBytes / 1e6), maxConcurrentUploads: LIMIT, emulatedRttMs: RTT_MS,
      durationS: +fmt(r.durationMs / 1000, 2), uploadsPerSec: +fmt(FILES / (r.durationMs / 1000)),
      MBPerSec: +fmt(totalBytes / 1e6 / (r.durationMs / 1000), 2), credentialTtlS: TTL_SECS,
      lifetimes: +fmt(r.durationMs / 1000 / TTL_SECS, 2), stsCalls, stsBound: stsBound(r.durationMs),
      stsPer10sWindow: Object.values(perWindow).join(' '), minStsGapS: gaps.length ? +fmt(Math.min(...gaps) / 1000, 2) : null,
      peakUploadsInFlight: r.peakKeys, peakRequestsInFlight: r.peakRequests, requests: r.requests,
    },
  };
  writeFigures('load', figures);
  console.log(`load: ${JSON.stringify(figures.figures)}`);

  assert.deepEqual(r.failed, [], 'every upload succeeds');
  assert.deepEqual(r.crcMismatch, [], 'OSS CRC64 = the page\'s');
  assert.equal(r.completed, FILES);
  assert.deepEqual(back.value.bad, [], 'every object reads back byte for byte');
  assert.equal(back.value.verified, totalBytes);
  assert.deepEqual(listing, [], 'the emulator holds exactly these objects, sizes and CRC64s');
  assert.deepEqual(leftover, [], 'no multipart upload left behind');
  assert.ok(r.peakKeys <= LIMIT, `${r.peakKeys} uploads in flight > limit ${LIMIT}`);
  assert.equal(r.peakKeys, LIMIT, 'the queue filled the limit (else the bound proves nothing)');
  assert.ok(r.durationMs > 2 * TTL_SECS * 1000, `the run (${r.durationMs} ms) spans more than 2 credential lifetimes`);
  assert.ok(stsCalls >= 2, 'credentials were refreshed during the run');
  assert.ok(stsCalls <= stsBound(r.durationMs), `${stsCalls} STS calls in ${r.durationMs} ms > bound ${stsBound(r.durationMs)}`);
  assert.equal(r.stsTimes.length, stsCalls, 'the page saw every STS call the emulator counted');
  assert.ok(gaps.every((g) => g >= GAP_MS), `STS calls closer than ${GAP_MS} ms: ${gaps}`);
  await page.close();
});

test(`load: ${TABS} tabs with shareAcrossTabs upload at once: one credential fetch per window between them`, async () => {
  const context = await browser.newContext();
  const pages = [];
  for (let t = 0; t < TABS; t++) pages.push(await kitPage(context));
  const prefix = 'load/tabs/';
  const stsBefore = await emu.stsCount();
  // Each tab uploads 4 at a time until the run time is over, files of 1 B to 64 KiB.
  const runs = await Promise.all(pages.map((p, tab) => inPage(p, async (lib, { endpoint, tab, prefix, runMs }) => {
    const { state, bytes } = window.kit;
    const client = new lib.OssClient({ region: 'cn-hangzhou', bucket: 'demo', endpoint, credentials: '/sts',
      shareAcrossTabs: true, maxConcurrentUploads: 4 });
    window.loadClient = client;
    state.watching = true;
    state.sts.length = 0;
    const t0 = Date.now();
    const files = []; const failed = []; const crcs = [];
    let n = 0;
    const worker = async () => {
      while (Date.now() - t0 < runMs) {
        const i = n++;
        const f = { key: `${prefix}t${tab}-${String(i).padStart(5, '0')}.bin`, seed: tab * 100_000 + i + 1, size: 1 + ((i * 7919) % 65536) };
        const b = bytes(f.seed, f.size);
        try {
          const res = await client.putObject(f.key, new Blob([b]));
          files.push(f); crcs.push(lib.crc64(b));
          if (res.crc64 !== crcs.at(-1)) failed.push(`${f.key}: crc ${res.crc64}`);
        } catch (e) { failed.push(`${f.key}: ${e.code} ${e.message}`); }
      }
    };
    await Promise.all(Array.from({ length: 4 }, worker));
    state.watching = false;
    return { files, crcs, failed, attempted: n, durationMs: Date.now() - t0, t0, stsTimes: [...state.sts],
      peakKeys: state.peakKeys, refreshCount: client.credentialStatus().refreshCount };
  }, { endpoint: emu.endpoint, tab, prefix, runMs: TAB_RUN_MS })));
  for (const r of runs) assert.ok(r.ok, JSON.stringify(r.error));
  const stsCalls = (await emu.stsCount()) - stsBefore;
  const rs = runs.map((r) => r.value);
  const start = Math.min(...rs.map((r) => r.t0));
  const durationMs = Math.max(...rs.map((r) => r.t0 + r.durationMs)) - start;
  const stsTimes = rs.flatMap((r) => r.stsTimes).sort((a, b) => a - b);
  const gaps = stsTimes.slice(1).map((t, i) => t - stsTimes[i]);

  let verified = 0; const bad = [];
  for (const [t, p] of pages.entries()) {
    const back = await inPage(p, (lib, files) => window.kit.readBack(window.loadClient, files), rs[t].files);
    assert.ok(back.ok, JSON.stringify(back.error));
    verified += back.value.verified; bad.push(...back.value.bad);
  }
  const files = rs.flatMap((r) => r.files);
  const listing = compareListing(files, await objects(prefix), rs.flatMap((r) => r.crcs));
  const totalBytes = files.reduce((s, f) => s + f.size, 0);
  const perWindow = {};
  for (const t of stsTimes) { const w = Math.floor((t - start) / (TTL_SECS * 1000)); perWindow[w] = (perWindow[w] ?? 0) + 1; }
  const figures = {
    label: `load ${TABS} tabs`,
    uploadsAttempted: rs.reduce((s, r) => s + r.attempted, 0),
    uploadsCompleted: files.length,
    bytesVerified: verified,
    figures: {
      tabs: TABS, totalMB: +fmt(totalBytes / 1e6), durationS: +fmt(durationMs / 1000, 2), uploadsPerSec: +fmt(files.length / (durationMs / 1000)),
      MBPerSec: +fmt(totalBytes / 1e6 / (durationMs / 1000), 2), lifetimes: +fmt(durationMs / 1000 / TTL_SECS, 2),
      stsCalls, stsBound: stsBound(durationMs), stsPer10sWindow: Object.values(perWindow).join(' '),
      minStsGapS: gaps.length ? +fmt(Math.min(...gaps) / 1000, 2) : null,
      fetchesByTab: rs.map((r) => r.stsTimes.length).join(' '),
      peakUploadsInFlightPerTab: Math.max(...rs.map((r) => r.peakKeys)),
    },
  };
  writeFigures('load-tabs', figures);
  console.log(`load, tabs: ${JSON.stringify(figures.figures)}`);

  assert.deepEqual(rs.flatMap((r) => r.failed), [], 'every upload succeeds');
  assert.deepEqual(bad, [], 'every object reads back byte for byte');
  assert.equal(verified, totalBytes);
  assert.deepEqual(listing, []);
  assert.ok(durationMs > 2 * TTL_SECS * 1000);
  assert.ok(stsCalls >= 2, 'credentials were refreshed during the run');
  assert.ok(stsCalls <= stsBound(durationMs), `${stsCalls} STS calls for ${TABS} tabs in ${durationMs} ms > bound ${stsBound(durationMs)}`);
  assert.equal(stsTimes.length, stsCalls, 'the tabs saw every STS call the emulator counted');
  assert.ok(gaps.every((g) => g >= GAP_MS), `STS calls closer than ${GAP_MS} ms between tabs: ${gaps}`);
  await context.close();
});
