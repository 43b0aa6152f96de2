// Multipart: a big file generated in the page (a repeated Blob, never a big JS buffer) uploaded
// with 4 parts in flight; the object read back has the same CRC64 and bytes; page memory (JS heap
// + wasm memory) is sampled throughout and its peak printed; CRC64 throughput in wasm.
//   MULTIPART_BIG_MIB (default 256) sets the file size; the full proof runs it at 1024.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { session, inPage, pageFiles } from './lib/harness.mjs';

const BIG_MIB = Number(process.env.MULTIPART_BIG_MIB || 256);
const PART_MIB = 8;
const CONCURRENCY = 4;
let emu, browser, page;

session({ extra: ['--fast-etag'] }, (s) => { ({ emu, browser, page } = s); });

/** Page helpers (after `pageFiles`): an XHR in-flight counter. */
const HELPERS = () => {
  window.xhrStats = { active: 0, max: 0, puts: 0 };
  const open = XMLHttpRequest.prototype.open;
  const send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.open = function (m, u, ...r) { this._isPart = m === 'PUT' && /partNumber=/.test(u); return open.call(this, m, u, ...r); };
  XMLHttpRequest.prototype.send = function (b) {
    if (this._isPart) {
      const s = window.xhrStats; s.active++; s.puts++; s.max = Math.max(s.max, s.active);
      // Done at readyState 4, which comes before 'load' (where the next part may already start).
      const done = () => { if (this.readyState === 4) { s.active--; this.removeEventListener('readystatechange', done); } };
      this.addEventListener('readystatechange', done);
    }
    return send.call(this, b);
  };
};

// CRC64 speed is a figure, not a pass/fail on a shared machine: the test checks the CRC is right
// (the CRC-64/XZ check value, and 64 MiB hashed whole equals the same bytes hashed in pieces and
// combined) and prints the best of 16 rounds; `CRC64_MIN_GBPS=1` makes the speed a gate too (the
// issue's proof on a quiet machine). `npm run bench` prints the same figure.
const CRC_FLOOR = Number(process.env.CRC64_MIN_GBPS || 0);
test('CRC64 in wasm: exact on a known value and on 64 MiB in pieces; prints GB/s (best of 16 rounds)', async () => {
  const r = await inPage(page, (lib) => {
    const check = lib.crc64(new TextEncoder().encode('123456789'));
    const data = new Uint8Array(64 << 20);
    for (let i = 0; i < data.length; i += 4096) data[i] = i & 255;
    let pieces;
    for (let off = 0; off < data.length; off += 7 << 20) pieces = lib.crc64(data.subarray(off, off + (7 << 20)), pieces);
    let best = 0;
    let crc;
    for (let round = 0; round < 16; round++) {
      const t0 = performance.now();
      crc = lib.crc64(data);
      const secs = (performance.now() - t0) / 1000;
      best = Math.max(best, data.length / secs / 1e9);
    }
    return { gbps: best, crc, pieces, check };
  });
  assert.ok(r.ok, JSON.stringify(r.error));
  assert.equal(BigInt(r.value.check), 0x995dc9bbdf1939fan, 'CRC-64/XZ check value of "123456789"');
  assert.equal(r.value.crc, r.value.pieces, 'whole vs chained pieces');
  console.log(`# crc64 (package build, 64 MiB Uint8Array copied into wasm 1 MiB at a time, best of 16): ${r.value.gbps.toFixed(2)} GB/s`);
  if (CRC_FLOOR > 0) assert.ok(r.value.gbps >= CRC_FLOOR, `CRC64 at ${r.value.gbps.toFixed(2)} GB/s`);
});

test(`a ${BIG_MIB} MiB file goes up in ${PART_MIB} MiB parts, ${CONCURRENCY} in flight, and reads back identical`, async () => {
  await page.evaluate(pageFiles);
  await page.evaluate(HELPERS);
  const cdp = await page.context().newCDPSession(page);
  let peak = 0;
  const sample = async () => {
    const heap = (await cdp.send('Runtime.getHeapUsage')).usedSize;
    const wasm = await page.evaluate(() => window.wasmMemory?.() ?? 0);
    peak = Math.max(peak, heap + wasm);
  };
  await page.evaluate(async () => {
    const w = await window.lib.default(); // already initialised: returns the exports
    window.wasmMemory = () => w.memory.buffer.byteLength;
  });
  await sample();
  const sampler = setInterval(() => { sample().catch(() => {}); }, 250);
  const key = `big/${BIG_MIB}mib.bin`;
  const started = Date.now();
  const r = await inPage(page, async (lib, { mib, part, conc, key }) => {
    const file = window.bigFile(mib);
    const oss = new lib.OssClient({ region: 'cn-hangzhou', bucket: 'demo', endpoint: location.origin, credentials: '/sts' });
    const events = [];
    const t0 = performance.now();
    const out = await oss.multipartUpload(key, file, {
      partSize: part << 20, concurrency: conc, checkpoint: false,
      onProgress: (p) => { if (events.length < 20000) events.push(p); },
    });
    const secs = (performance.now() - t0) / 1000;
    const phases = [...new Set(events.map((e) => e.phase))];
    let monotonic = true;
    for (let i = 1; i < events.length; i++) if (events[i].partsDone < events[i - 1].partsDone) monotonic = false;
    const byteEvents = events.filter((e) => e.phase === 'uploading' && e.loaded % (part << 20) !== 0).length;
    const last = events[events.length - 1];
    const localCrc = await window.crcOf(file, lib);
    // Read the object back through a presigned GET, streaming it through the CRC.
    const { url } = await oss.presignUrl(key, { expiresInSecs: 600 });
    const res = await fetch(url);
    const reader = res.body.getReader();
    let crc; let got = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      crc = lib.crc64(value, crc); got += value.length;
    }
    // And a few byte ranges compared exactly.
    const same = [];
    for (const at of [0, (part << 20) - 3, file.size >> 1, file.size - 100]) {
      const a = new Uint8Array(await (await fetch(url, { headers: { Range: `bytes=${at}-${at + 99}` } })).arrayBuffer());
      const b = new Uint8Array(await file.slice(at, at + 100).arrayBuffer());
      same.push(a.length === b.length && a.every((v, i) => v === b[i]));
    }
    return { out, secs, phases, monotonic, byteEvents, last, localCrc, readCrc: crc, readBytes: got, size: file.size, same,
      maxInFlight: window.xhrStats.max, puts: window.xhrStats.puts };
  }, { mib: BIG_MIB, part: PART_MIB, conc: CONCURRENCY, key });
  clearInterval(sampler);
  await sample();
  assert.ok(r.ok, JSON.stringify(r.error));
  const v = r.value;
  const stored = await emu.object(key);
  const mbps = v.size / v.secs / 1e6;
  const budget = CONCURRENCY * PART_MIB * 1048576 + 32 * 1048576;
  console.log(`# ${BIG_MIB} MiB: ${v.secs.toFixed(1)} s, ${mbps.toFixed(0)} MB/s, ${v.out.parts} parts, max ${v.maxInFlight} in flight, ` +
    `${v.puts} part requests; peak page memory (JS heap + wasm) ${(peak / 1048576).toFixed(1)} MiB ` +
    `(budget ${(budget / 1048576).toFixed(0)} MiB); crc64 ${v.out.crc64}; wall ${((Date.now() - started) / 1000).toFixed(1)} s`);
  assert.equal(v.out.crc64, v.localCrc, 'CRC64 of the parts combined = CRC64 of the file');
  assert.equal(stored.crc64, v.localCrc, 'the emulator stored the same CRC64');
  assert.equal(stored.size, v.size);
  assert.equal(v.readBytes, v.size);
  assert.equal(v.readCrc, v.localCrc, 'read back: same CRC64');
  assert.deepEqual(v.same, [true, true, true, true], 'read back: same bytes');
  assert.equal(v.maxInFlight, CONCURRENCY);
  assert.equal(v.puts, v.out.parts, 'every part sent once');
  assert.deepEqual(v.phases, ['initiating', 'uploading', 'completing', 'done']);
  assert.ok(v.monotonic);
  assert.ok(v.byteEvents > v.out.parts, `byte-level progress (${v.byteEvents} events inside parts)`);
  assert.equal(v.last.loaded, v.size);
  assert.ok(peak < budget, `peak ${peak} B over ${budget} B`);
  assert.equal((await emu.admin('uploads')).uploads.length, 0);
});

// Each part is hashed in reads of up to 8 MiB (src/web/multipart.rs): a part larger than that is
// hashed across several reads, chained. A wrong chain fails the per-part CRC check against OSS's
// x-oss-hash-crc64ecma (CrcMismatch) or the object's CRC below.
test('parts larger than one 8 MiB read (17 MiB: 8 + 8 + 1) are hashed across reads and match OSS', async () => {
  await page.evaluate(pageFiles);
  const key = 'big/17mib-parts.bin';
  const r = await inPage(page, async (lib, key) => {
    // 37 MiB + 5 bytes: parts of 17 MiB, 17 MiB and 3 MiB + 5 bytes.
    const file = new File([window.bigFile(37), new Uint8Array([1, 2, 3, 4, 5])], 'odd.bin');
    const oss = new lib.OssClient({ region: 'cn-hangzhou', bucket: 'demo', endpoint: location.origin, credentials: '/sts' });
    const out = await oss.multipartUpload(key, file, { partSize: 17 << 20, concurrency: 2, checkpoint: false });
    return { out, localCrc: await window.crcOf(file, lib), size: file.size };
  }, key);
  assert.ok(r.ok, JSON.stringify(r.error));
  const stored = await emu.object(key);
  assert.equal(r.value.out.parts, 3);
  assert.equal(r.value.out.crc64, r.value.localCrc, 'CRC64 of the parts combined = CRC64 of the file');
  assert.equal(stored.crc64, r.value.localCrc, 'the emulator stored the same CRC64');
  assert.equal(stored.size, r.value.size);
});
