// A/B of multipartUpload throughput between two builds of the package, each against its own
// emulator (--fast-etag, data in /dev/shm), rounds alternating between builds and contenders,
// every figure also as a ratio to a raw fetch PUT of the same Blob measured in the same page.
//   node bench/multipart-ab.mjs A_PKG_DIR B_PKG_DIR   (env: AB_MIB=128, AB_ROUNDS=3, AB_PART_MIB=8)
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { startEmulator, launchBrowser, openPage, inPage } from '../tests/e2e/lib/harness.mjs';

const [A, B] = process.argv.slice(2);
if (!A || !B) throw new Error('usage: node bench/multipart-ab.mjs A_PKG_DIR B_PKG_DIR');
const MIB = Number(process.env.AB_MIB || 128);
const ROUNDS = Number(process.env.AB_ROUNDS || 3);
const PART = Number(process.env.AB_PART_MIB || 8) << 20;
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const browser = await launchBrowser();
const sides = [];
for (const [name, pkg] of [['A', A], ['B', B]]) {
  const dir = mkdtempSync('/dev/shm/mp-ab-');
  const emu = await startEmulator({ extra: ['--fast-etag', '--pkg', pkg, '--data-dir', dir] });
  const page = await openPage(browser, emu);
  await page.evaluate((mib) => {
    const block = new Uint8Array((1 << 20) - 8);
    let x = 2463534242;
    for (let i = 0; i < block.length; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; block[i] = x & 255; }
    const blk = new Blob([block]);
    const parts = [];
    for (let i = 0; i < mib; i++) parts.push(String(i).padStart(8, '0'), blk);
    window.file = new File(parts, 'ab.bin', { type: 'application/octet-stream' });
    window.oss = new window.lib.OssClient({ region: 'cn-hangzhou', bucket: 'demo', endpoint: location.origin, credentials: '/sts' });
  }, MIB);
  sides.push({ name, pkg, emu, page, dir, mbps: { raw: [], fetch: [], xhr: [] } });
}
const run = (side, kind) => inPage(side.page, async (lib, [kind, part]) => {
  const t0 = performance.now();
  if (kind === 'raw') {
    const { url } = await window.oss.presignUrl('ab/raw.bin', { method: 'PUT', expiresInSecs: 900, contentType: window.file.type });
    const t1 = performance.now();
    const res = await fetch(url, { method: 'PUT', body: window.file });
    if (!res.ok) throw new Error(`raw PUT ${res.status}`);
    return window.file.size / ((performance.now() - t1) / 1000) / 1e6;
  }
  await window.oss.multipartUpload(`ab/${kind}.bin`, window.file, { partSize: part, concurrency: 4, checkpoint: false,
    ...(kind === 'xhr' ? { onProgress: () => {} } : {}) });
  return window.file.size / ((performance.now() - t0) / 1000) / 1e6;
}, [kind, PART]);
try {
for (const side of sides) await run(side, 'fetch'); // warm-up
for (let r = 0; r < ROUNDS; r++) {
  for (const kind of ['raw', 'fetch', 'xhr']) {
    for (const side of r % 2 ? [...sides].reverse() : sides) {
      const v = await run(side, kind);
      if (!v.ok) throw new Error(JSON.stringify(v.error));
      side.mbps[kind].push(v.value);
    }
  }
}
console.log(`multipartUpload A/B: ${MIB} MiB, ${PART >> 20} MiB parts, concurrency 4, medians of ${ROUNDS} rounds (load ${(await import('node:os')).loadavg()[0].toFixed(1)})`);
console.log('| build | raw fetch PUT MB/s | multipart (fetch) MB/s | × raw | multipart (XHR, onProgress) MB/s | × raw |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const s of sides) {
  const raw = median(s.mbps.raw); const f = median(s.mbps.fetch); const x = median(s.mbps.xhr);
  console.log(`| ${s.name} ${s.pkg} | ${raw.toFixed(0)} | ${f.toFixed(0)} | ${(f / raw).toFixed(2)}× | ${x.toFixed(0)} | ${(x / raw).toFixed(2)}× |`);
}
} finally {
  await browser.close();
  for (const s of sides) { await s.emu.stop(); rmSync(s.dir, { recursive: true, force: true }); }
}
