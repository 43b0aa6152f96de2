// Multipart with short credentials: the emulator mints 20-second STS credentials and reads
// request bodies through a shared bandwidth throttle, so a 9 MiB upload in 128 KiB parts,
// 4 in flight, lasts about 3 minutes (some 9 credential lifetimes). It must complete with the
// same CRC64 and bytes, fetching credentials about once per lifetime, and no part may fail for
// an expired token (each part is signed just before it is sent).
//   MULTIPART_STS_SECS (default 183) sets the planned upload time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { session, inPage, pageFiles } from './lib/harness.mjs';

const TTL_SECS = 20;
const PLANNED_SECS = Number(process.env.MULTIPART_STS_SECS || 183);
const FILE_MIB = 9;
const PART_BYTES = 128 << 10;
const CONCURRENCY = 4;
let emu, browser, page;

session({ stsTtl: TTL_SECS, extra: ['--fast-etag'] }, (s) => { ({ emu, browser, page } = s); });

/** In the page (after `pageFiles`): a log of every request's
 *  outcome (parts through XMLHttpRequest, the rest through fetch) with the OSS error code. */
function HELPERS() {
  const codeOf = (text) => /<Code>([^<]*)<\/Code>/.exec(text || '')?.[1] ?? '';
  window.log = [];
  window.inFlight = { active: 0, max: 0 };
  const open = XMLHttpRequest.prototype.open;
  const send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.open = function (m, u, ...r) { this._what = `${m} ${/partNumber=(\d+)/.exec(u)?.[0] ?? u}`; return open.call(this, m, u, ...r); };
  XMLHttpRequest.prototype.send = function (b) {
    const s = window.inFlight; s.active++; s.max = Math.max(s.max, s.active);
    const t0 = Date.now();
    // Done at readyState 4, which comes before 'load' (where the next part may already start).
    const done = () => { if (this.readyState === 4) { s.active--; this.removeEventListener('readystatechange', done); } };
    this.addEventListener('readystatechange', done);
    this.addEventListener('loadend', () => {
      window.log.push({ what: this._what, status: this.status, code: this.status >= 400 ? codeOf(this.responseText) : '', ms: Date.now() - t0 });
    }, { once: true });
    return send.call(this, b);
  };
  const fetch0 = window.fetch;
  window.fetch = async (input, init) => {
    const what = `${init?.method ?? 'GET'} ${typeof input === 'string' ? input : input.url}`;
    try {
      const res = await fetch0(input, init);
      const code = res.status >= 400 ? codeOf(await res.clone().text()) : '';
      window.log.push({ what, status: res.status, code });
      return res;
    } catch (e) {
      window.log.push({ what, status: 0, code: e.name });
      throw e;
    }
  };
}

test(`credentials living ${TTL_SECS} s during a ${PLANNED_SECS} s multipart upload: no failure`, { timeout: (PLANNED_SECS + 120) * 1000 }, async () => {
  await page.evaluate(pageFiles);
  await page.evaluate(HELPERS);
  const bytesPerSec = Math.round(FILE_MIB * 1048576 / PLANNED_SECS);
  await emu.admin('throttle', 'POST', { bytesPerSec });
  const stsBefore = await emu.stsCount();
  const key = 'sts/long.bin';
  const r = await inPage(page, async (lib, { key, mib, part, conc }) => {
    const file = window.bigFile(mib);
    const oss = new lib.OssClient({ region: 'cn-hangzhou', bucket: 'demo', endpoint: location.origin, credentials: '/sts' });
    let last;
    const t0 = performance.now();
    const out = await oss.multipartUpload(key, file, { partSize: part, concurrency: conc, checkpoint: false, onProgress: (p) => { last = p; } });
    const secs = (performance.now() - t0) / 1000;
    const crc = await window.crcOf(file);
    const { url } = await oss.presignUrl(key, { expiresInSecs: 600 });
    const back = new Uint8Array(await (await fetch(url)).arrayBuffer());
    const local = new Uint8Array(await file.arrayBuffer());
    const same = back.length === local.length && back.every((v, i) => v === local[i]);
    return { out, secs, crc, same, size: file.size, last, maxInFlight: window.inFlight.max, log: window.log };
  }, { key, mib: FILE_MIB, part: PART_BYTES, conc: CONCURRENCY });
  await emu.admin('throttle', 'POST', { bytesPerSec: 0 });
  assert.ok(r.ok, JSON.stringify(r.error));
  const v = r.value;
  const fetched = (await emu.stsCount()) - stsBefore;
  const parts = v.log.filter((e) => /partNumber=/.test(e.what));
  const expired = v.log.filter((e) => /SecurityTokenExpired|InvalidAccessKeyId|Request has expired/.test(e.code));
  const partFailures = parts.filter((e) => e.status !== 200);
  const windows = v.secs / TTL_SECS;
  const longest = Math.max(...parts.map((e) => e.ms)) / 1000;
  console.log(`# ${TTL_SECS} s credentials, ${(v.size / 1048576).toFixed(0)} MiB at ${(bytesPerSec / 1024).toFixed(1)} KiB/s: ` +
    `upload ${v.secs.toFixed(1)} s (${windows.toFixed(1)} credential lifetimes), ${fetched} credential fetches, ` +
    `${v.out.parts} parts, ${parts.length} part requests (${partFailures.length} failed, longest ${longest.toFixed(1)} s), ` +
    `max ${v.maxInFlight} in flight, ${expired.length} requests failed with an expired token`);
  assert.ok(v.secs >= 180, `the upload lasted at least 3 minutes (${v.secs.toFixed(1)} s)`);
  assert.equal(v.out.crc64, v.crc, 'CRC64 of the parts combined = CRC64 of the file');
  const stored = await emu.object(key);
  assert.equal(stored.crc64, v.crc, 'the emulator stored the same CRC64');
  assert.equal(stored.size, v.size);
  assert.ok(v.same, 'read back: same bytes');
  assert.equal(v.last.phase, 'done');
  assert.equal(v.last.loaded, v.size);
  assert.equal(v.maxInFlight, CONCURRENCY, 'several parts in flight');
  assert.equal(expired.length, 0, `no request failed with an expired token: ${JSON.stringify(expired)}`);
  assert.equal(parts.length, v.out.parts, 'each part sent once');
  // One fetch per lifetime, give or take: a refresh starts 4 s before expiry (a fifth of the
  // lifetime), so up to lifetime/16 s, and never fewer than the lifetimes the upload spans.
  assert.ok(fetched >= Math.floor(windows), `at least one fetch per lifetime (${fetched} for ${windows.toFixed(1)})`);
  assert.ok(fetched <= Math.ceil(v.secs / (TTL_SECS - 4)) + 2, `about one fetch per lifetime (${fetched} for ${windows.toFixed(1)})`);
  assert.deepEqual((await emu.admin('uploads')).uploads, []);
});
