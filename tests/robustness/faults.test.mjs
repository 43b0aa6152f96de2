// Faults through the emulator's injection, in headless Chromium (issue 7): (a) 10 % of part and
// PUT requests failing with 503, 500 or a dropped connection (at once or half-way through the
// body); (b) the STS endpoint failing 2 calls in 3; (c) tokens expired during multipart uploads
// and during a batch of PUTs; (d) the server clock 1 hour off both ways; (e) ETag hidden by CORS;
// (f) the page reloaded mid-upload; and beyond the list: (g) answers lost after the
// request landed (every CompleteMultipartUpload's among them), (h) answers slower than the
// client's timeout, (i) an abort whose AbortMultipartUpload keeps failing.
//
// Every upload must either complete with exact bytes (the library's CRC64, the emulator's size
// and CRC64, and a read-back of the bytes hashed in the page all equal the source's), or fail with
// a clear OssError code and — for a multipart upload past Initiate — a resumable checkpoint (the
// uploadId on the error, listed by listResumableUploads, held by OSS — or completed after all,
// the checkpoint then marked completing —, no partial object; resumed at the end of its
// scenario, with the faults off, it completes under the same uploadId). The emulator's request
// journal (/_emulator/requests) is audited for every key: one object write for a completed
// upload and none for a failed one (plus the same bytes again when an answer was lost), never a
// part stored twice (idem); and the page's own log of what the library sent shows no
// CompleteMultipartUpload after one landed (Chromium itself may resend a request whose reused
// connection closed unanswered: that is not the library). The object listing never holds a
// truncated or 0-byte object; after an abort ListMultipartUploads (/_emulator/uploads) holds
// nothing for the key. Every upload must settle (a watchdog fails the test on a stuck promise).
//
// Figures: target/robustness/faults.json. faultsInjected counts what the emulator did to the
// requests of these uploads: injected errors and dropped connections (its fault counters and
// journal), SecurityTokenExpired and RequestTimeTooSkewed answers, part answers whose ETag CORS
// hid, and page reloads. A fault is survived when the upload it hit still completed without
// help (a failed upload's faults, and STS faults in a scenario where an upload failed on its
// credentials, are not counted as survived).
//
// SOAK=N (N > 1; any other non-empty value means 10) multiplies the number of uploads by N and
// the file sizes by up to 4 (npm run soak).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, startEmulator, launchBrowser, openPage, inPage } from '../e2e/lib/harness.mjs';

const SOAK = process.env.SOAK && process.env.SOAK !== '0'
  ? (Number(process.env.SOAK) > 1 ? Number(process.env.SOAK) : 10) : 1;
const BIG = Math.min(4, SOAK); // file size multiplier
const KIB = 1024;
const MIB = 1024 * KIB;
const STUCK_MS = 90_000 * (SOAK > 1 ? 4 : 1);
const SEED = Number(process.env.FAULTS_SEED || 20261122);
/** Every failure mode at once: 503, 500, a connection dropped before the body, or half-way. */
const MIX = [
  { status: 503, code: 'ServiceUnavailable' },
  { status: 500, code: 'InternalError' },
  { dropAfterBytes: 0 },
  { dropMidBody: true },
];
/** Codes a failed upload may end with here: each names its cause. */
const CLEAR_CODES = new Set(['CredentialProviderError', 'CredentialsExpired', 'NetworkError', 'ServiceUnavailable',
  'InternalError', 'CorsExposeHeadersMissing', 'InvalidResponse', 'SecurityTokenExpired', 'RequestTimeTooSkewed',
  'InvalidAccessKeyId']);

const fig = { label: 'faults', uploadsAttempted: 0, uploadsCompleted: 0, uploadsFailedClearly: 0, bytesVerified: 0, faultsInjected: 0, faultsSurvived: 0 };
const extra = { aborted: 0, resumed: 0, scenarios: {} };
let emu, browser, page;
/** Every journal entry seen, and the last sequence number read. */
const journal = [];
let journalLast = 0;

before(async () => {
  emu = await startEmulator();
  browser = await launchBrowser();
  page = await openPage(browser, emu);
  await page.evaluate(HELPERS);
  await readJournal();
});

after(async () => {
  await browser?.close();
  await emu?.stop();
  mkdirSync(join(ROOT, 'target', 'robustness'), { recursive: true });
  writeFileSync(join(ROOT, 'target', 'robustness', 'faults.json'), `${JSON.stringify(fig, null, 2)}\n`);
  console.log(`# faults: ${JSON.stringify(fig)}`);
  console.log(`# faults: ${extra.aborted} aborted (nothing left behind), ${extra.resumed} resumed after a clear failure; per scenario ${JSON.stringify(extra.scenarios)}`);
});

/** In the page: deterministic Files, CRC64, clients, an upload runner with a watchdog. */
function HELPERS() {
  window.makeFile = (size, seed, name) => {
    const B = 64 << 10;
    const block = new Uint8Array(B - 8);
    let x = (Math.imul(seed + 1, 2654435761) >>> 0) || 1;
    for (let i = 0; i < block.length; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; block[i] = x & 255; }
    const blk = new Blob([block]);
    const parts = [];
    for (let i = 0; i * B < size; i++) parts.push(String(i).padStart(8, '0'), blk);
    return new File([new Blob(parts).slice(0, size)], name, { type: 'application/octet-stream', lastModified: 1_700_000_000_000 + seed });
  };
  window.crcOf = async (blob) => {
    let crc;
    for (let at = 0; at < blob.size; at += 8 << 20) {
      crc = window.lib.crc64(new Uint8Array(await blob.slice(at, Math.min(blob.size, at + (8 << 20))).arrayBuffer()), crc);
    }
    return crc ?? '0';
  };
  window.client = (extra = {}) => new window.lib.OssClient({ region: 'cn-hangzhou', bucket: 'demo', endpoint: location.origin, credentials: '/sts', ...extra });
  window.clients = {};
  window.admin = async (path, body) => {
    const r = await fetch(`/_emulator/${path}`, { method: 'POST', headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
    return r.json();
  };
  window.errInfo = (e) => ({ name: e?.name, message: String(e?.message ?? e), code: e?.code, status: e?.status, uploadId: e?.uploadId, retryable: e?.retryable, isError: e instanceof Error });
  window.settle = async (p, ms) => {
    let timer;
    const watchdog = new Promise((r) => { timer = setTimeout(() => r({ stuck: true }), ms); });
    try {
      return await Promise.race([p.then((v) => ({ ok: true, value: v }), (e) => ({ ok: false, error: window.errInfo(e) })), watchdog]);
    } finally { clearTimeout(timer); }
  };
  /** Runs `specs` at once through `window.clients[name]`. A spec: { kind: 'mp' | 'put', key, size, seed, partSize?,
   *  abortAfterParts?, adminAfterParts?: [n, path, body] }. `batch.adminAfterSettled: [n, path, body]` calls the admin API
   *  once n uploads have settled. */
  window.runUploads = async (name, specs, stuckMs, batch = {}) => {
    const c = window.clients[name];
    let settled = 0;
    const fired = new Set();
    const fire = async (tag, [path, body]) => { if (!fired.has(tag)) { fired.add(tag); await window.admin(path, body); } };
    return Promise.all(specs.map(async (s) => {
      const file = window.makeFile(s.size, s.seed, s.key.split('/').pop());
      const crc = await window.crcOf(file);
      let p;
      if (s.kind === 'mp') {
        const ac = new AbortController();
        const opts = { partSize: s.partSize, concurrency: 3, signal: ac.signal };
        opts.onProgress = (x) => {
          if (s.abortAfterParts && x.partsDone >= s.abortAfterParts) ac.abort();
          if (s.adminAfterParts && x.partsDone >= s.adminAfterParts[0]) fire(`p:${s.key}`, s.adminAfterParts.slice(1));
          window.progress[s.key] = x;
        };
        p = c.multipartUpload(s.key, file, opts);
      } else {
        p = c.putObject(s.key, file);
      }
      const r = await window.settle(p, stuckMs);
      settled++;
      if (batch.adminAfterSettled && settled >= batch.adminAfterSettled[0]) await fire('batch', batch.adminAfterSettled.slice(1));
      const v = r.value;
      return { ...s, crc, ok: !!r.ok, stuck: !!r.stuck, error: r.error,
        value: v && { crc64: v.crc64, uploadId: v.uploadId, partsReused: v.partsReused, parts: v.parts, etag: v.etag } };
    }));
  };
  window.progress = {};
  // What the library itself sends (fetch and XMLHttpRequest), with start/end times and outcome:
  // the browser's own resends of a request whose connection closed unanswered do not show here.
  window.sentLog = [];
  if (!window.fetch.wrapped) {
    const f0 = window.fetch.bind(window);
    window.fetch = async (input, init) => {
      const rec = { method: (init?.method ?? input?.method ?? 'GET').toUpperCase(), url: String(input?.url ?? input), startMs: Date.now(), status: -1 };
      window.sentLog.push(rec);
      try {
        const r = await f0(input, init);
        rec.status = r.status;
        return r;
      } catch (e) {
        rec.status = 0;
        throw e;
      } finally { rec.endMs = Date.now(); }
    };
    window.fetch.wrapped = true;
    const open = XMLHttpRequest.prototype.open;
    const send = XMLHttpRequest.prototype.send;
    XMLHttpRequest.prototype.open = function (m, u, ...r) { this._rec = { method: m.toUpperCase(), url: String(u), status: -1 }; return open.call(this, m, u, ...r); };
    XMLHttpRequest.prototype.send = function (b) {
      const rec = this._rec;
      rec.startMs = Date.now();
      window.sentLog.push(rec);
      this.addEventListener('loadend', () => { rec.status = this.status; rec.endMs = Date.now(); }, { once: true });
      return send.call(this, b);
    };
  }
  window.takeSent = () => window.sentLog.splice(0);
  /** Reads `keys` back through presigned GETs of a fresh client: size and CRC64 of the bytes. */
  window.readBack = async (keys) => {
    const c = window.client();
    return Promise.all(keys.map(async (key) => {
      const { url } = await c.presignUrl(key, { method: 'GET', expiresInSecs: 300 });
      const res = await fetch(url);
      const bytes = new Uint8Array(await res.arrayBuffer());
      return { key, status: res.status, size: bytes.length, crc: window.lib.crc64(bytes) };
    }));
  };
}

// ---- emulator side ----

/** Every request the library sent (the page's log, across reloads). */
const sent = [];
async function readSent() {
  const r = await inPage(page, () => window.takeSent());
  assert.ok(r.ok, JSON.stringify(r.error));
  for (const x of r.value) {
    const u = new URL(x.url, emu.base);
    if (u.hostname !== 'demo.localhost') continue;
    sent.push({ ...x, path: u.pathname, query: u.search.slice(1) });
  }
}

async function readJournal() {
  await readSent();
  for (;;) {
    const j = await emu.admin(`requests?since=${journalLast}&limit=50000`);
    journal.push(...j.requests);
    journalLast = j.last;
    if (j.requests.length < 50000) return;
  }
}

function kindOf(e) {
  const q = new URLSearchParams(e.query);
  if (e.method === 'PUT' && q.has('partNumber')) return 'part';
  if (e.method === 'PUT') return 'put';
  if (e.method === 'POST' && q.has('uploads')) return 'initiate';
  if (e.method === 'POST' && q.has('uploadId')) return 'complete';
  if (e.method === 'DELETE' && q.has('uploadId')) return 'abort';
  if (e.method === 'GET' && q.has('uploadId')) return 'listParts';
  return `${e.method.toLowerCase()}`;
}

const keyOf = (e) => decodeURIComponent(e.path.replace(/^\//, ''));
const entriesOf = (key) => journal.filter((e) => keyOf(e) === key);
const uploadsOf = async (key) => (await emu.admin('uploads')).uploads.filter((u) => u.key === key);
const objects = async () => (await emu.admin('objects?bucket=demo')).objects;
const TOKEN_OR_CLOCK = new Set(['SecurityTokenExpired', 'InvalidAccessKeyId', 'RequestTimeTooSkewed']);
/** Faults the emulator did to the requests of `key`: injected (status, drop, lost) and token/clock answers. */
const faultsOn = (key) => entriesOf(key).filter((e) => ['status', 'drop', 'lost'].includes(e.fault) || TOKEN_OR_CLOCK.has(e.code)).length;

/** Journal audit of one key: exactly one object write if completed, none if failed (a write
 *  whose answer was lost, then retried, may write the same bytes again: PutObject is idempotent);
 *  no part stored twice (unless its first answer was lost); no CompleteMultipartUpload after one
 *  succeeded, whether its answer arrived or not. */
function auditJournal(key, { completed, writesAllowed }) {
  const es = entriesOf(key);
  const writes = es.filter((e) => e.status === 200 && (kindOf(e) === 'put' || kindOf(e) === 'complete'));
  const lostWrites = writes.filter((e) => e.fault === 'lost').length;
  if (writesAllowed === undefined) {
    if (completed) assert.ok(writes.length >= 1 && writes.length <= 1 + lostWrites, `${key}: ${writes.length} object writes (${lostWrites} answers lost)`);
    else assert.equal(writes.length, 0, `${key}: failed but written ${writes.length} times`);
  } else {
    assert.ok(writes.length <= writesAllowed, `${key}: ${writes.length} object writes`);
  }
  const stored = new Map();
  const landed = new Map();
  for (const e of es) {
    const q = new URLSearchParams(e.query);
    const id = q.get('uploadId');
    if (kindOf(e) === 'part' && e.status === 200) {
      const k = `${id}#${q.get('partNumber')}`;
      const n = stored.get(k) ?? { stored: 0, lost: 0 };
      n.stored++;
      if (e.fault === 'lost') n.lost++;
      stored.set(k, n);
    }
    if (kindOf(e) === 'complete' && e.status === 200) {
      assert.ok(!landed.has(id), `${key}: two CompleteMultipartUploads of ${id} succeeded`);
      landed.set(id, e);
    }
  }
  for (const [k, n] of stored) assert.ok(n.stored <= 1 + n.lost, `${key}: part ${k} stored ${n.stored} times (${n.lost} answers lost)`);
  // Once a Complete has landed (answered or not), the library never sends another one: the
  // browser may resend it by itself (Chromium does, on a reused connection closed unanswered),
  // which OSS answers NoSuchUpload, but the library must look (HeadObject) instead.
  const path = `/${key.split('/').map(encodeURIComponent).join('/')}`;
  for (const [id, e] of landed) {
    const again = sent.filter((x) => x.method === 'POST' && x.path === path && new URLSearchParams(x.query).get('uploadId') === id && x.startMs > e.endMs);
    assert.deepEqual(again.map((x) => x.status), [], `${key}: the library sent CompleteMultipartUpload again after it landed`);
  }
  return { partsStored: stored.size };
}

/** Checks every outcome of a scenario and returns what the figures need. */
async function verify(name, outcomes, { stsFaults = 0, allowWrites = {} } = {}) {
  await readJournal();
  const done = outcomes.filter((o) => o.ok);
  const back = done.length ? await inPage(page, (lib, keys) => window.readBack(keys), done.map((o) => o.key)) : { ok: true, value: [] };
  assert.ok(back.ok, JSON.stringify(back.error));
  const backBy = new Map(back.value.map((b) => [b.key, b]));
  const objs = new Map((await objects()).map((o) => [o.key, o]));
  const s = { attempted: 0, completed: 0, failed: 0, aborted: 0, bytes: 0, faults: stsFaults, survived: 0, codes: {} };
  let credentialFailures = 0;
  const failed = [];
  for (const o of outcomes) {
    assert.ok(!o.stuck, `${o.key}: the promise did not settle within ${STUCK_MS} ms`);
    const obj = objs.get(o.key);
    const faults = faultsOn(o.key);
    s.faults += faults;
    if (o.abortAfterParts) {
      // Aborted on purpose: RequestAborted, nothing left on OSS, no object, no checkpoint.
      assert.equal(o.ok, false, `${o.key}: aborted upload resolved`);
      assert.equal(o.error.code, 'RequestAborted', JSON.stringify(o.error));
      assert.deepEqual(await uploadsOf(o.key), [], `${o.key}: upload left behind after abort`);
      assert.equal(obj, undefined, `${o.key}: object after abort`);
      auditJournal(o.key, { completed: false });
      s.aborted++;
      continue;
    }
    s.attempted++;
    if (o.ok) {
      assert.equal(o.value.crc64, o.crc, `${o.key}: library CRC64`);
      assert.ok(obj, `${o.key}: completed but no object`);
      assert.equal(obj.size, o.size, `${o.key}: stored size`);
      assert.equal(obj.crc64, o.crc, `${o.key}: stored CRC64`);
      const b = backBy.get(o.key);
      assert.equal(b.status, 200, `${o.key}: read-back status`);
      assert.equal(b.size, o.size, `${o.key}: read-back size`);
      assert.equal(b.crc, o.crc, `${o.key}: read-back CRC64`);
      auditJournal(o.key, { completed: true, writesAllowed: allowWrites[o.key] });
      s.completed++;
      s.bytes += o.size;
      s.survived += faults;
    } else {
      const e = o.error;
      assert.ok(e.isError && e.name === 'OssError', `${o.key}: not an OssError: ${JSON.stringify(e)}`);
      assert.ok(CLEAR_CODES.has(e.code), `${o.key}: unexpected code ${e.code}: ${e.message}`);
      assert.ok(e.message.length > 20, `${o.key}: message too short: ${e.message}`);
      s.codes[e.code] = (s.codes[e.code] ?? 0) + 1;
      if (/^Credential/.test(e.code)) credentialFailures++;
      // A write that landed after the library stopped waiting (answer lost, or slower than
      // its timeout) may leave the object: whole, and for a multipart upload with its
      // checkpoint marked completing.
      const unanswered = entriesOf(o.key).filter((x) => x.status === 200 && (kindOf(x) === 'put' || kindOf(x) === 'complete') && (x.fault === 'lost' || x.fault === 'delay')).length;
      const mayWrite = allowWrites[o.key] ?? unanswered;
      if (obj) {
        assert.ok(mayWrite > 0, `${o.key}: failed but an object exists`);
        assert.equal(obj.size, o.size, `${o.key}: stored size`);
        assert.equal(obj.crc64, o.crc, `${o.key}: stored CRC64`);
      }
      auditJournal(o.key, { completed: false, writesAllowed: mayWrite });
      if (o.kind === 'mp' && e.uploadId) {
        // Resumable: OSS holds the upload (or it completed after all), the page its checkpoint.
        o.held = (await uploadsOf(o.key)).some((u) => u.uploadId === e.uploadId);
        assert.ok(o.held || obj, `${o.key}: upload ${e.uploadId} neither held by OSS nor completed`);
        failed.push(o);
      }
      s.failed++;
    }
  }
  if (!credentialFailures) s.survived += stsFaults; // else the STS faults were not survived
  // No truncated or 0-byte object anywhere under the scenario's prefix.
  const prefix = `${name}/`;
  const bySource = new Map(outcomes.map((o) => [o.key, o]));
  for (const [key, o] of objs) {
    if (!key.startsWith(prefix)) continue;
    const src = bySource.get(key);
    assert.ok(src, `${key}: unexpected object`);
    assert.ok(o.size > 0, `${key}: 0-byte object`);
    assert.equal(o.size, src.size, `${key}: truncated object`);
  }
  if (failed.length) {
    const listed = await inPage(page, () => window.client().listResumableUploads());
    assert.ok(listed.ok, JSON.stringify(listed.error));
    for (const o of failed) {
      const cps = listed.value.filter((c) => c.uploadId === o.error.uploadId);
      assert.equal(cps.length, 1, `${o.key}: no checkpoint for ${o.error.uploadId}`);
      if (!o.held) assert.equal(cps[0].completing, true, `${o.key}: completed on OSS but its checkpoint is not marked completing`);
    }
  }
  return { s, failed };
}

/** Resumes clearly failed multipart uploads with the faults off: each completes, same uploadId. */
async function resumeFailed(failed) {
  if (!failed.length) return { count: 0, bytes: 0 };
  await emu.admin('faults', 'DELETE');
  const r = await inPage(page, async (lib, [specs, ms]) => {
    window.clients.resume = window.client();
    return window.runUploads('resume', specs.map((s) => ({ ...s, adminAfterParts: undefined })), ms);
  }, [failed.map(({ kind, key, size, seed, partSize }) => ({ kind, key, size, seed, partSize })), STUCK_MS]);
  assert.ok(r.ok, JSON.stringify(r.error));
  await readJournal();
  const objs = new Map((await objects()).map((o) => [o.key, o]));
  const back = await inPage(page, (lib, keys) => window.readBack(keys), r.value.map((o) => o.key));
  let bytes = 0;
  for (const [i, o] of r.value.entries()) {
    assert.ok(o.ok, `${o.key}: resume failed: ${JSON.stringify(o.error)}`);
    assert.equal(o.value.uploadId, failed[i].error.uploadId, `${o.key}: a new upload instead of resuming`);
    assert.equal(o.value.crc64, o.crc);
    assert.equal(objs.get(o.key).size, o.size);
    assert.equal(objs.get(o.key).crc64, o.crc);
    assert.equal(back.value[i].crc, o.crc, `${o.key}: read-back after resume`);
    auditJournal(o.key, { completed: true });
    assert.deepEqual(await uploadsOf(o.key), [], `${o.key}: upload left after completing`);
    bytes += o.size;
  }
  return { count: r.value.length, bytes };
}

function record(name, s, resumed = { count: 0, bytes: 0 }, extraFaults = 0, extraSurvived = 0) {
  fig.uploadsAttempted += s.attempted;
  fig.uploadsCompleted += s.completed;
  fig.uploadsFailedClearly += s.failed;
  fig.bytesVerified += s.bytes + resumed.bytes;
  fig.faultsInjected += s.faults + extraFaults;
  fig.faultsSurvived += s.survived + extraSurvived;
  extra.aborted += s.aborted;
  extra.resumed += resumed.count;
  extra.scenarios[name] = { attempted: s.attempted, completed: s.completed, failed: s.failed, faults: s.faults + extraFaults, survived: s.survived + extraSurvived, ...(Object.keys(s.codes).length ? { codes: s.codes } : {}) };
  console.log(`# ${name}: ${s.attempted} uploads, ${s.completed} completed, ${s.failed} failed clearly (${JSON.stringify(s.codes)}), ${resumed.count} resumed; ${s.faults + extraFaults} faults injected, ${s.survived + extraSurvived} survived`);
}

/** Uploads: `mp` multipart ones of about `mpSize` bytes and `put` PutObjects of about `putSize`. */
function specs(prefix, { mp = 0, put = 0, mpSize = 3 * MIB, putSize = 256 * KIB, partSize = 256 * KIB, seed = 0 }) {
  const out = [];
  for (let i = 0; i < mp; i++) {
    out.push({ kind: 'mp', key: `${prefix}/mp-${i}.bin`, size: Math.round(mpSize * BIG * (0.75 + ((i * 37) % 50) / 100)) + i, seed: seed + i, partSize: partSize * BIG });
  }
  for (let i = 0; i < put; i++) {
    out.push({ kind: 'put', key: `${prefix}/put-${i}.bin`, size: Math.round(putSize * BIG * (0.2 + ((i * 53) % 100) / 100)) + 1, seed: seed + 1000 + i });
  }
  return out;
}

async function run(name, list, batch) {
  const r = await inPage(page, (lib, [name, list, ms, batch]) => window.runUploads(name, list, ms, batch), [name, list, STUCK_MS, batch]);
  assert.ok(r.ok, JSON.stringify(r.error));
  return r.value;
}

async function statsInjected() {
  return (await emu.admin('faults/stats')).injected;
}

// ---- scenarios ----

test('(a) 10 % of part and PUT requests fail with 503, 500 or a dropped connection', async () => {
  await emu.admin('reset', 'POST');
  await emu.admin('faults', 'POST', { method: 'PUT', path: 'uploadId=', rate: 0.1, seed: SEED, mix: MIX });
  await emu.admin('faults', 'POST', { method: 'PUT', path: '/fa/put-', rate: 0.1, seed: SEED + 1, mix: MIX });
  // The abort's first DELETE fails: it is retried, and nothing is left behind.
  await emu.admin('faults', 'POST', { method: 'DELETE', path: 'uploadId=', pattern: 'F.', status: 503, code: 'ServiceUnavailable' });
  const before = await statsInjected();
  const list = [...specs('fa', { mp: 8 * SOAK, put: 30 * SOAK, seed: 100 }),
    { kind: 'mp', key: 'fa/aborted.bin', size: 3 * MIB, seed: 99, partSize: 256 * KIB, abortAfterParts: 3 }];
  await inPage(page, () => { window.clients.a = window.client(); });
  const out = await run('a', list);
  const injected = (await statsInjected()) - before;
  const { s, failed } = await verify('fa', out);
  const resumed = await resumeFailed(failed);
  assert.ok(injected >= 3, `only ${injected} faults injected`);
  const partFaults = journal.filter((e) => e.fault && keyOf(e).startsWith('fa/')).length;
  assert.ok(partFaults >= injected - 1, 'the journal marks the injected faults');
  record('a: 10% part/PUT faults', s, resumed);
});

test('(b) the STS endpoint fails 2 calls in 3 (two clients, credentials expired mid-way)', async () => {
  await emu.admin('reset', 'POST');
  await readJournal();
  const seqBefore = journalLast;
  const before = await statsInjected();
  await emu.admin('faults', 'POST', { path: '/sts', pattern: 'FF.', mix: MIX.slice(0, 3) });
  await inPage(page, () => { window.clients.b1 = window.client(); window.clients.b2 = window.client(); });
  const [o1, o2] = await Promise.all([
    run('b1', specs('fb', { mp: 2 * SOAK, put: 6 * SOAK, mpSize: 2 * MIB, seed: 200 }).map((s) => ({ ...s, key: s.key.replace('fb/', 'fb/c1-') })),
      { adminAfterSettled: [3, 'sts/expire-all'] }),
    run('b2', specs('fb', { mp: 2 * SOAK, put: 6 * SOAK, mpSize: 2 * MIB, seed: 300 }).map((s) => ({ ...s, key: s.key.replace('fb/', 'fb/c2-') }))),
  ]);
  await emu.admin('faults', 'DELETE');
  const stsFaults = (await statsInjected()) - before;
  await readJournal();
  const stsCalls = journal.filter((e) => e.path === '/sts' && e.seq > seqBefore);
  assert.ok(stsFaults >= 4, `STS faults: ${stsFaults}`);
  const { s, failed } = await verify('fb', [...o1, ...o2], { stsFaults });
  const resumed = await resumeFailed(failed);
  console.log(`# b: ${stsFaults} of ${stsCalls.length} STS calls failed by injection`);
  record('b: STS fails 2 in 3', s, resumed);
});

test('(c) tokens expired mid-upload: during multipart uploads and during a batch of PUTs', async () => {
  await emu.admin('reset', 'POST');
  // Parts are held 100 ms so the expiry lands while parts are in flight.
  await emu.admin('faults', 'POST', { method: 'PUT', path: 'uploadId=', delayMs: 100, times: 1_000_000 });
  await inPage(page, () => { window.clients.c = window.client(); });
  const mp = specs('fc', { mp: 3 * SOAK, seed: 400 }).map((s, i) => (i === 0 ? { ...s, adminAfterParts: [4, 'sts/expire-all'] } : s));
  const outMp = await run('c', mp);
  const outPut = await run('c', specs('fc', { put: 24 * SOAK, seed: 500 }), { adminAfterSettled: [6, 'sts/expire-all'] });
  await emu.admin('faults', 'DELETE');
  const { s, failed } = await verify('fc', [...outMp, ...outPut]);
  const resumed = await resumeFailed(failed);
  assert.ok(s.faults >= 2, `only ${s.faults} SecurityTokenExpired answers: the expiry missed the uploads`);
  record('c: tokens expired mid-upload', s, resumed);
});

test('(d) the server clock 1 hour off, both directions, during uploads and for a new client', async () => {
  await emu.admin('reset', 'POST');
  await emu.admin('faults', 'POST', { method: 'PUT', path: 'uploadId=', delayMs: 60, times: 1_000_000 });
  await emu.admin('faults', 'POST', { method: 'PUT', path: '/fd/back-', delayMs: 80, times: 1_000_000 });
  try {
    await inPage(page, async () => { window.clients.d = window.client(); await window.clients.d.presignUrl('warm', {}); });
    // +1 h while multipart uploads run (the client learned offset 0), then -1 h during PUTs.
    const mp = specs('fd', { mp: 3 * SOAK, seed: 600 }).map((s, i) => (i === 0 ? { ...s, adminAfterParts: [3, 'clock', { skewSeconds: 3600 }] } : s));
    const o1 = await run('d', mp);
    const o2 = await run('d', specs('fd', { put: 20 * SOAK, seed: 700 }).map((s) => ({ ...s, key: s.key.replace('put-', 'back-') })),
      { adminAfterSettled: [3, 'clock', { skewSeconds: -3600 }] });
    // A new client while the clock is 1 hour behind.
    await inPage(page, () => { window.clients.d2 = window.client(); });
    const o3 = await run('d2', specs('fd', { mp: 1 * SOAK, put: 5 * SOAK, seed: 800 }).map((s) => ({ ...s, key: s.key.replace('fd/', 'fd/new-') })));
    const skew = (await emu.admin('clock')).skewSeconds;
    assert.equal(skew, -3600, 'the clock moved');
    const { s, failed } = await verify('fd', [...o1, ...o2, ...o3]);
    const resumed = await resumeFailed(failed);
    // Each shift hit requests in flight (the client then learns the offset from OSS's Date).
    const hit = (re) => journal.filter((e) => TOKEN_OR_CLOCK.has(e.code) && re.test(keyOf(e)));
    const ahead = hit(/^fd\/mp-/);
    const behind = hit(/^fd\/back-/);
    const count = (l) => JSON.stringify(l.reduce((m, e) => ({ ...m, [e.code]: (m[e.code] ?? 0) + 1 }), {}));
    console.log(`# d: answers to the +1 h shift ${count(ahead)}, to the -1 h shift ${count(behind)}`);
    assert.ok(ahead.some((e) => e.code === 'RequestTimeTooSkewed'), 'the +1 h shift hit no request');
    assert.ok(behind.some((e) => e.code === 'RequestTimeTooSkewed'), 'the -1 h shift hit no request');
    record('d: clock 1 h off', s, resumed);
  } finally {
    await emu.admin('clock', 'POST', { skewSeconds: 0 });
    await emu.admin('faults', 'DELETE');
  }
});

test('(e) ETag hidden by CORS: CorsExposeHeadersMissing naming the rule, a resumable checkpoint, no object', async () => {
  await emu.admin('reset', 'POST');
  await emu.admin('buckets/demo/cors/hide-etag', 'POST');
  let out;
  try {
    await inPage(page, () => { window.clients.e = window.client(); });
    out = await run('e', [...specs('fe', { mp: 2 * SOAK, mpSize: 1.5 * MIB, seed: 900 }),
      { kind: 'put', key: 'fe/put.bin', size: 100 * KIB, seed: 950 }]);
  } finally {
    await emu.admin('buckets/demo/cors/reset', 'POST');
  }
  for (const o of out) {
    assert.equal(o.ok, false, `${o.key} resolved with ETag hidden`);
    if (o.kind === 'mp') {
      assert.equal(o.error.code, 'CorsExposeHeadersMissing', JSON.stringify(o.error));
      assert.match(o.error.message, /Add this CORS rule to the bucket: AllowedOrigin http:\/\/localhost:\d+, AllowedMethod GET, PUT, POST, DELETE, HEAD, AllowedHeader \*, ExposeHeader ETag, x-oss-request-id, x-oss-hash-crc64ecma, Date/);
      assert.ok(o.error.uploadId, 'the error carries the uploadId');
    } else {
      // A single PutObject's bytes are stored before the browser hides the answer's ETag: the
      // same code, naming the rule, and the object is whole.
      assert.equal(o.error.code, 'CorsExposeHeadersMissing', JSON.stringify(o.error));
      assert.match(o.error.message, /ExposeHeader ETag, x-oss-request-id, x-oss-hash-crc64ecma, Date/);
    }
  }
  const { s, failed } = await verify('fe', out, { allowWrites: { 'fe/put.bin': 1 } });
  assert.equal(failed.length, 2 * SOAK, 'every multipart upload is resumable');
  const resumed = await resumeFailed(failed);
  // One fault per upload: the part answer whose ETag the browser hid.
  record('e: ETag hidden by CORS', s, resumed, out.length, 0);
});

test('(f) the page reloaded mid-upload (10 % part faults on): the same file resumes, no part sent twice', async () => {
  await emu.admin('reset', 'POST');
  const before = await statsInjected();
  await emu.admin('faults', 'POST', { method: 'PUT', path: 'uploadId=', rate: 0.1, seed: SEED + 7, mix: MIX });
  await emu.admin('faults', 'POST', { method: 'PUT', path: 'uploadId=', delayMs: 120, times: 1_000_000 });
  const n = 2 * SOAK;
  const list = specs('ff', { mp: n, mpSize: 4 * MIB, seed: 1000 });
  const started = await inPage(page, async (lib, list) => {
    window.clients.f = window.client();
    window.runUploads('f', list, 600_000); // abandoned by the reload
    const t0 = Date.now();
    while (!list.every((s) => window.progress[s.key]?.partsDone >= 4)) {
      if (Date.now() - t0 > 60_000) throw new Error('no progress');
      await new Promise((r) => setTimeout(r, 20));
    }
    return list.map((s) => window.progress[s.key].uploadId);
  }, list);
  assert.ok(started.ok, JSON.stringify(started.error));
  await readSent();
  await page.reload();
  await page.waitForFunction(() => window.ready === true);
  await page.evaluate(HELPERS);
  await new Promise((r) => setTimeout(r, 800)); // what was in flight lands or is dropped
  await readJournal();
  const storedBefore = await Promise.all(list.map(async (s) => (await uploadsOf(s.key))[0]?.parts.length ?? 0));
  const listed = await inPage(page, () => window.client().listResumableUploads());
  assert.ok(listed.ok, JSON.stringify(listed.error));
  for (const id of started.value) assert.equal(listed.value.filter((c) => c.uploadId === id).length, 1, `checkpoint of ${id} after the reload`);
  await inPage(page, () => { window.clients.f = window.client(); });
  const out = await run('f', list);
  await emu.admin('faults', 'DELETE');
  const injected = (await statsInjected()) - before;
  const { s, failed } = await verify('ff', out);
  const resumedFailed = await resumeFailed(failed);
  for (const [i, o] of out.entries()) {
    if (!o.ok) continue;
    assert.equal(o.value.uploadId, started.value[i], `${o.key}: resumed the same upload`);
    assert.ok(o.value.partsReused >= storedBefore[i], `${o.key}: reused ${o.value.partsReused} of ${storedBefore[i]} stored parts`);
  }
  console.log(`# f: parts stored before the reload ${JSON.stringify(storedBefore)}; reused ${JSON.stringify(out.map((o) => o.value?.partsReused))}; ${injected} part faults`);
  // The reload itself is one fault per upload it interrupted; survived when that upload completed.
  record('f: reload mid-upload', s, resumedFailed, n, out.filter((o) => o.ok).length);
});

test('(g) answers lost after the request landed: Complete never sent twice, PUT and part retries write the same bytes', async () => {
  await emu.admin('reset', 'POST');
  const n = 4 * SOAK;
  // Every CompleteMultipartUpload is handled, then its answer is lost (and so are the browser's
  // own resends of it, answered NoSuchUpload): the library sees a network error.
  await emu.admin('faults', 'POST', { method: 'POST', path: 'uploadId=', loseAnswer: true, rate: 1 });
  await emu.admin('faults', 'POST', { method: 'PUT', path: 'uploadId=', rate: 0.1, seed: SEED + 11, loseAnswer: true });
  await emu.admin('faults', 'POST', { method: 'PUT', path: '/fg/put-', rate: 0.1, seed: SEED + 12, loseAnswer: true });
  await inPage(page, () => { window.clients.g = window.client(); });
  const out = await run('g', specs('fg', { mp: n, put: 20 * SOAK, mpSize: 2 * MIB, seed: 1100 }));
  await emu.admin('faults', 'DELETE');
  const { s, failed } = await verify('fg', out);
  const resumed = await resumeFailed(failed);
  const lostCompletes = journal.filter((e) => e.fault === 'lost' && kindOf(e) === 'complete' && e.status === 200 && keyOf(e).startsWith('fg/')).length;
  assert.equal(lostCompletes, n, 'every Complete landed and lost its answer');
  record('g: answers lost', s, resumed);
});

test('(h) answers slower than the client\'s timeout: parts, PUTs and Complete', async () => {
  await emu.admin('reset', 'POST');
  const n = 3 * SOAK;
  const delaysBefore = (await emu.admin('faults/stats')).delays;
  // Every first Complete outlives the 1.5 s timeout; so do 10 % of parts and PUTs.
  await emu.admin('faults', 'POST', { method: 'POST', path: 'uploadId=', delayMs: 2500, times: n });
  await emu.admin('faults', 'POST', { method: 'PUT', path: 'uploadId=', rate: 0.1, seed: SEED + 21, delayMs: 2500 });
  await emu.admin('faults', 'POST', { method: 'PUT', path: '/fh/put-', rate: 0.1, seed: SEED + 22, delayMs: 2500 });
  await inPage(page, () => { window.clients.h = window.client({ timeoutMs: 1500 }); });
  const out = await run('h', specs('fh', { mp: n, put: 12 * SOAK, mpSize: 2 * MIB, seed: 1300 }));
  await emu.admin('faults', 'DELETE');
  const delayed = (await emu.admin('faults/stats')).delays - delaysBefore;
  const { s, failed } = await verify('fh', out);
  const resumed = await resumeFailed(failed);
  // The emulator drops a request whose client has gone: count, from the library's side, the
  // requests it gave up on after its timeout (each a fault injected; survived when its upload
  // still completed).
  const timedOut = (key) => sent.filter((x) => x.status === 0 && x.endMs - x.startMs >= 1400 && decodeURIComponent(x.path.slice(1)) === key).length;
  const injected = out.reduce((m, o) => m + timedOut(o.key), 0);
  const survived = out.filter((o) => o.ok).reduce((m, o) => m + timedOut(o.key), 0);
  console.log(`# h: ${injected} requests timed out (${delayed} delayed in all); outcomes ${JSON.stringify(out.map((o) => o.ok || o.error.code))}`);
  assert.ok(injected >= n, `only ${injected} requests timed out`);
  record('h: answers slower than the timeout', s, resumed, injected, survived);
});

test('(i) an abort whose AbortMultipartUpload keeps failing: the upload stays listed, and is cleaned up later', async () => {
  await emu.admin('reset', 'POST');
  await emu.admin('faults', 'POST', { method: 'PUT', path: 'uploadId=', delayMs: 100, times: 1_000_000 });
  await emu.admin('faults', 'POST', { method: 'DELETE', path: 'uploadId=', status: 503, code: 'ServiceUnavailable', times: 1000 });
  await inPage(page, () => { window.clients.i = window.client(); });
  const key = 'fi/abort.bin';
  const [o] = await run('i', [{ kind: 'mp', key, size: 3 * MIB, seed: 1200, partSize: 256 * KIB }].map((x) => ({ ...x, abortAfterParts: 3 })));
  const deletes = (await emu.admin('faults')).faults.find((f) => f.method === 'DELETE').injected;
  await emu.admin('faults', 'DELETE');
  assert.equal(o.ok, false);
  assert.equal(o.error.code, 'RequestAborted');
  assert.ok(deletes >= 1, 'the abort was sent');
  // OSS still holds the upload, so the page must still know it.
  assert.equal((await uploadsOf(key)).length, 1, 'the failed abort left the upload on OSS');
  const r = await inPage(page, async (lib, [key, id]) => {
    const c = window.client();
    const listed = (await c.listResumableUploads()).filter((x) => x.key === key).map((x) => x.uploadId);
    await c.discardResumableUpload(id, { abort: true });
    return { listed, after: (await c.listResumableUploads()).filter((x) => x.key === key).length };
  }, [key, o.error.uploadId]);
  assert.ok(r.ok, JSON.stringify(r.error));
  assert.deepEqual(r.value, { listed: [o.error.uploadId], after: 0 }, 'listed until discarded');
  assert.deepEqual(await uploadsOf(key), [], 'nothing left after discardResumableUpload({ abort: true })');
  assert.equal(await emu.object(key), undefined);
  await readJournal();
  auditJournal(key, { completed: false });
  extra.aborted++;
  fig.faultsInjected += deletes;
  extra.scenarios['i: abort failing'] = { faults: deletes, survived: 0 };
});
