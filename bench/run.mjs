// `npm run bench`: every benchmark of issue 6 in one run, in headless Chromium against the local
// emulator, this library side by side with ali-oss (and the limit of the machine). Prints one
// markdown table per section and writes bench/out/results.md, results.json and chart.png.
//
//   node bench/run.mjs                    # full run (1 GiB uploads; several minutes)
//   BENCH_QUICK=1 node bench/run.mjs      # smoke run: small sizes, 1 round (< 1 minute)
//
// Environment:
//   BENCH_QUICK=1        small sizes (8 and 32 MiB, 2 MiB parts), 1 round, short timings
//   BENCH_BIG_MIB=N      the large body in MiB (default 1024; 32 in quick mode)
//   BENCH_SMALL_MIB=N    the small body in MiB (default 64; 8 in quick mode)
//   BENCH_PART_MIB=N     multipart part size for both libraries (default 8; 2 in quick mode)
//   BENCH_SECTIONS=1,2…  run only these sections (1 signing, 2 upload, 3 memory, 4 CRC-64,
//                        5 size, 6 cold start)
//   BENCH_PKG=dir        the npm package to measure (default pkg/; `npm run build` makes it)
//   OSS_EMULATOR_BIN=f   the emulator (default target/release/oss-emulator;
//                        `cargo build --release -p oss-emulator` makes it)
//
// How each figure is measured is written next to its table (and in results.md).

import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import {
  MIB, OUT_DIR, PKG, ROOT, aliVersion, fmtFixed, fmtInt, fmtMB, fmtRatio, loadAvg, machineInfo, mdTable, median,
  procCpu, procMemory, rendererPids, requireFiles, serve, startEmulator,
} from './lib/common.mjs';
import { launch, openBenchPage } from './lib/cdp.mjs';
import { SIGN_PAGE, measureSigning, signingMarkdown } from './lib/signing.mjs';
import { COLD_ALI, COLD_OURS, uploadPage } from './lib/pages.mjs';
import { COLORS, chartPage, hbars } from './lib/chart.mjs';

const QUICK = process.env.BENCH_QUICK === '1';
const num = (name, dflt) => (process.env[name] ? Number(process.env[name]) : dflt);
const SMALL_MIB = num('BENCH_SMALL_MIB', QUICK ? 8 : 64);
const BIG_MIB = num('BENCH_BIG_MIB', QUICK ? 32 : 1024);
const PART_MIB = num('BENCH_PART_MIB', QUICK ? 2 : 8);
const SIGN_ROUNDS = QUICK ? 1 : 5;
const SIGN_MS = QUICK ? 200 : 1000;
const ROUNDS = { small: QUICK ? 1 : 5, big: QUICK ? 1 : 3 };
const COLD_N = QUICK ? 3 : 15;
const CRC_MIB = QUICK ? 16 : 64;
const CRC_REPS = QUICK ? 2 : 7;
const CONCURRENCY = [1, 4, 8];
const MEM_CONCURRENCY = 4;
const SECTIONS = new Set((process.env.BENCH_SECTIONS || '1,2,3,4,5,6').split(',').map((s) => Number(s.trim())));
const TARGETS = { signRatio: 10, uploadVsRaw: 0.95, crcGBps: 1, sizeGzip: 30_000, memExtra: 32 * MIB };
const ANCHORS_GZIP = { aliDist: 173_376, aws: 87_188, awsLibStorage: 112_094, uppy: 23_879 }; // anchors.md §4
const BUCKET = 'demo';
const REGION = 'cn-hangzhou';

const log = (s) => process.stderr.write(`${s}\n`);
const mib = (n) => (n >= 1024 && n % 1024 === 0 ? `${n / 1024} GiB` : `${n} MiB`);
const results = { sections: {} };
const md = {}; // section number → markdown

// ---------------------------------------------------------------------------------------------------

async function main() {
  requireFiles([path.join(PKG, 'oss_direct_upload.js'), path.join(PKG, 'oss_direct_upload_bg.wasm'),
    path.join(ROOT, 'node_modules/ali-oss/dist/aliyun-oss-sdk.min.js')]);
  const started = new Date();
  const machine = machineInfo();
  log(`oss-direct-upload bench${QUICK ? ' (quick)' : ''}: load average at start ${loadAvg()}`);

  const needEmu = SECTIONS.has(2) || SECTIONS.has(3) || SECTIONS.has(4);
  const emu = needEmu ? await startEmulator() : null;
  const cfg = emu && { endpoint: emu.endpoint, bucket: BUCKET, region: REGION, partSize: PART_MIB * MIB };
  const pages = { '/sign.html': SIGN_PAGE, '/cold-ours.html': COLD_OURS, '/cold-ali.html': COLD_ALI };
  if (cfg) {
    pages['/upload.html'] = uploadPage(cfg);
    pages['/upload-ours.html'] = uploadPage(cfg, { withAli: false });
    pages['/upload-ali.html'] = uploadPage(cfg, { withOurs: false });
  }
  const routes = {
    // Credentials for both libraries come from the emulator's /sts, proxied so the page's own
    // origin answers `credentials: '/sts'` (as an app server would).
    '/sts': async (req, res) => {
      const body = await emu.sts();
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(body);
    },
  };
  const { server, base } = await serve({ pages, routes });
  const browser = await launch();
  const ctx = { browser, base, emu, cfg };
  try {
    results.meta = {
      date: started.toISOString(), quick: QUICK, chromium: browser.version, aliOss: aliVersion(), ...machine,
      package: path.relative(ROOT, PKG) || PKG, commit: gitCommit(), sizes: { smallMiB: SMALL_MIB, bigMiB: BIG_MIB, partMiB: PART_MIB },
    };
    if (SECTIONS.has(1)) await section1(ctx);
    if (SECTIONS.has(2)) await section2(ctx);
    if (SECTIONS.has(3)) await section3(ctx);
    if (SECTIONS.has(4)) await section4(ctx);
    if (SECTIONS.has(5)) await section5(ctx);
    if (SECTIONS.has(6)) await section6(ctx);
    results.meta.loadAvgEnd = machineInfo().loadAvg;
    results.meta.seconds = Math.round((Date.now() - started) / 1000);
    await writeOutputs(ctx);
  } finally {
    await browser.close();
    server.close();
    if (emu) await emu.stop();
  }
}

function gitCommit() {
  try {
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'emulator', 'Cargo.toml'], { cwd: ROOT }).toString().trim() ? '+local changes' : '';
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).toString().trim() + dirty;
  } catch {
    return 'unknown';
  }
}

function header() {
  const m = results.meta;
  return [
    `# oss-direct-upload benchmarks${m.quick ? ' (quick run: small sizes, 1 round — not for publishing)' : ''}`,
    '',
    `Machine: ${m.cpu}, ${m.logicalCpus} logical CPUs, ${m.memoryGiB} GiB RAM, ${m.kernel}; load average ${m.loadAvg.join(' ')} at start,`,
    `${(m.loadAvgEnd ?? []).join(' ')} at the end. Chromium ${m.chromium} (headless, Debian), node ${m.node}, ali-oss ${m.aliOss}.`,
    `Date ${m.date}; ${m.seconds ?? '?'} s; source at commit ${m.commit}, package from ${m.package}. Every figure below comes from \`${m.quick ? 'npm run bench:quick' : 'npm run bench'}\` (bench/run.mjs); nothing is typed in.`,
  ].join('\n');
}

// --- 1. signing --------------------------------------------------------------------------------

async function section1({ browser, base }) {
  log('\n[1/6] signing');
  const page = await openBenchPage(browser, `${base}/sign.html`);
  try {
    const res = await measureSigning(page, { rounds: SIGN_ROUNDS, ms: SIGN_MS, log });
    results.sections.signing = res;
    const { table, notes } = signingMarkdown(res, { aliVersion: aliVersion(), target: TARGETS.signRatio });
    md[1] = [`## 1. Signing throughput (target: at least ${TARGETS.signRatio}× ali-oss)`, '', table, '', notes].join('\n');
  } finally {
    await page.close();
  }
}

// --- 2. upload throughput ------------------------------------------------------------------------

const UPLOADS = [
  { id: 'raw', label: 'raw fetch PUT of the Blob to a presigned URL (the limit)', lib: 'limit', name: 'raw' },
  { id: 'oursPut', label: 'oss-direct-upload putObject', lib: 'ours', name: 'oursPut' },
  ...CONCURRENCY.map((c) => ({ id: `oursMp${c}`, label: `oss-direct-upload multipartUpload, concurrency ${c}`, lib: 'ours', name: 'oursMp', arg: c, multipart: true })),
  { id: 'aliPut', label: 'ali-oss put', lib: 'ali', name: 'aliPut' },
  ...CONCURRENCY.map((c) => ({ id: `aliMp${c}`, label: `ali-oss multipartUpload, parallel ${c}`, lib: 'ali', name: 'aliMp', arg: c })),
];

async function openUploadPage(ctx, pathName = '/upload.html') {
  const page = await openBenchPage(ctx.browser, `${ctx.base}${pathName}`);
  const info = await page.evaluate('window.benchInfo');
  return { page, info, close: () => page.close() };
}

/** Checks the stored object after an upload: size, and CRC-64 equal to the limit's (same bytes). */
async function verify(emu, key, bytes, refCrc) {
  const o = await emu.object(key);
  if (!o) throw new Error(`no object ${key} after the upload`);
  if (o.size !== bytes) throw new Error(`stored ${o.size} bytes, expected ${bytes}`);
  if (refCrc && o.crc64 && String(o.crc64) !== String(refCrc)) throw new Error(`stored CRC-64 ${o.crc64} differs from the raw PUT's ${refCrc}`);
  return o.crc64;
}

async function section2(ctx) {
  log(`\n[2/6] upload throughput: ${mib(SMALL_MIB)} and ${mib(BIG_MIB)}, part size ${PART_MIB} MiB`);
  let p = await openUploadPage(ctx);
  const hasMp = p.info.hasMultipart;
  const sizes = [{ key: 'small', mib: SMALL_MIB, rounds: ROUNDS.small }, { key: 'big', mib: BIG_MIB, rounds: ROUNDS.big }];
  const out = { hasMultipart: hasMp, partMiB: PART_MIB, sizes: {} };
  try {
    for (const s of sizes) {
      const bytes = s.mib * MIB;
      const key = `bench/upload-${s.mib}MiB`;
      const t0 = Date.now();
      await p.page.call('window.uploadBench.makeBlob', bytes);
      log(`  ${mib(s.mib)} Blob generated in the page in ${Date.now() - t0} ms`);
      await p.page.call('window.uploadBench.prepareRaw', key);
      const active = UPLOADS.filter((u) => !(u.multipart && !hasMp));
      const samples = Object.fromEntries(UPLOADS.map((u) => [u.id, []]));
      const errors = {};
      let refCrc = null;
      // Round 0 is a warm-up at the small size only (credentials, JIT, CORS preflight cache): discarded.
      const warm = s.key === 'small' ? 1 : 0;
      for (let r = 0; r < s.rounds + warm; r++) {
        const order = r % 2 ? [...active].reverse() : active;
        // the raw PUT goes first once so the reference CRC exists
        const list = refCrc ? order : [active[0], ...order.filter((u) => u !== active[0])];
        for (const u of list) {
          // Hygiene between contenders, outside the timing: collect the previous one's garbage (ali-oss put
          // leaves GBs of ArrayBuffers behind at 1 GiB) and let the browser settle.
          await p.page.send('HeapProfiler.collectGarbage').catch(() => {});
          await new Promise((r) => setTimeout(r, s.mib >= 256 ? 1000 : 200));
          try {
            const ms = await p.page.call('window.uploadBench.upload', u.name, key, bytes, u.arg ?? null);
            const crc = await verify(ctx.emu, key, bytes, refCrc);
            if (!refCrc) refCrc = crc;
            const mbps = bytes / 1e6 / (ms / 1000);
            if (r >= warm) samples[u.id].push(mbps);
            log(`  ${mib(s.mib)} ${r < warm ? 'warm-up' : `round ${r + 1 - warm}/${s.rounds}`}: ${u.id} ${fmtFixed(mbps, 0)} MB/s (${fmtInt(ms)} ms)`);
          } catch (e) {
            const msg = String(e.message || e).split('\n')[0].slice(0, 200);
            errors[u.id] = { count: (errors[u.id]?.count ?? 0) + (r >= warm ? 1 : 0), msg };
            log(`  ${mib(s.mib)} ${r < warm ? 'warm-up' : `round ${r + 1 - warm}/${s.rounds}`}: ${u.id} FAILED ${msg}`);
            if (p.page.crashed || /crash|exited|closed/i.test(msg)) {
              await p.close().catch(() => {});
              p = await openUploadPage(ctx);
              await p.page.call('window.uploadBench.makeBlob', bytes);
              await p.page.call('window.uploadBench.prepareRaw', key);
            }
          }
        }
      }
      const med = Object.fromEntries(UPLOADS.map((u) => [u.id, median(samples[u.id])]));
      out.sizes[s.key] = { mib: s.mib, rounds: s.rounds, samples, medians: med, errors, crc64: refCrc };
      await p.page.call('window.uploadBench.dropBlobs');
    }
  } finally {
    await p.close();
  }
  results.sections.upload = out;

  const cell = (sz, u) => {
    const d = out.sizes[sz];
    if (u.multipart && !hasMp) return ['n/a (not in this build)', ''];
    const v = d.medians[u.id];
    const err = d.errors[u.id];
    const note = err ? ` (${err.count} of ${d.rounds} rounds failed: ${err.msg.replace(/\|/g, '/')})` : '';
    if (!Number.isFinite(v)) return [`failed${note}`, ''];
    return [`${fmtInt(v)}${note}`, u.id === 'raw' ? '1.00×' : fmtRatio(v / d.medians.raw)];
  };
  const aliBest = (sz) => Math.max(...UPLOADS.filter((u) => u.lib === 'ali').map((u) => out.sizes[sz].medians[u.id]).filter(Number.isFinite));
  const verdict = (u) => {
    if (u.lib !== 'ours') return '';
    if (u.multipart && !hasMp) return 'n/a';
    return ['small', 'big'].map((sz) => {
      const v = out.sizes[sz].medians[u.id];
      if (!Number.isFinite(v)) return `${mib(out.sizes[sz].mib)}: n/a`;
      const r = v / out.sizes[sz].medians.raw;
      const a = aliBest(sz);
      const okRaw = r >= TARGETS.uploadVsRaw;
      const okAli = !Number.isFinite(a) || v > a;
      const parts = [okRaw ? `≥ ${TARGETS.uploadVsRaw}× raw` : `${fmtRatio(r)} raw, short by ${((TARGETS.uploadVsRaw - r) * 100).toFixed(1)} points`];
      parts.push(Number.isFinite(a) ? (okAli ? `ahead of ali-oss (${fmtRatio(v / a)})` : `behind ali-oss's best (${fmtRatio(v / a)})`) : 'ali-oss n/a');
      return `${mib(out.sizes[sz].mib)}: ${okRaw && okAli ? 'met' : 'MISSED'}, ${parts.join(', ')}`;
    }).join('; ');
  };
  const rows = UPLOADS.map((u) => [u.label, ...cell('small', u), ...cell('big', u), verdict(u)]);
  const table = mdTable(['contender', `${mib(SMALL_MIB)} (MB/s)`, '× raw', `${mib(BIG_MIB)} (MB/s)`, '× raw', `target: ≥ ${TARGETS.uploadVsRaw}× raw and ahead of ali-oss`], rows, 'lrrrrl');
  md[2] = [`## 2. Upload throughput to the emulator (target: at least ${TARGETS.uploadVsRaw}× the raw fetch, and ahead of ali-oss)`, '',
    table, '',
    `Same Blob for every contender (generated in the page: a 1 MiB pseudo-random block repeated, each MiB tagged with its index),`,
    `same key on \`oss-emulator --fast-etag\` (data on /dev/shm, no MD5), uploaded from a page on another origin (CORS, as in production).`,
    `MB/s = 10^6 bytes per second, from the call to the settled promise (multipart: initiate, parts, complete); medians of`,
    `${out.sizes.small.rounds} (${mib(SMALL_MIB)}) and ${out.sizes.big.rounds} (${mib(BIG_MIB)}) rounds in alternating order, after one discarded warm-up upload each.`,
    `Multipart part size ${PART_MIB} MiB for both libraries. The raw row is \`fetch(url, {method: 'PUT', body: blob})\` to a URL presigned before`,
    `timing: no signing, no CRC, no retries. After every upload the stored object's size and CRC-64 (emulator admin API) must`,
    `equal the raw PUT's. Chromium keeps at most 6 HTTP/1.1 connections per host, so concurrency 8 runs 6 requests at a time.`,
    hasMp ? '' : 'multipartUpload is not in this build of the package (issue 5): those rows are n/a.',
  ].join('\n').trimEnd();
}

// --- 3. memory -----------------------------------------------------------------------------------

const MEM_RUNS = [
  { id: 'oursMp', label: `oss-direct-upload multipartUpload, concurrency ${MEM_CONCURRENCY}`, lib: 'ours', name: 'oursMp', arg: MEM_CONCURRENCY, multipart: true, target: true },
  { id: 'aliMp', label: `ali-oss multipartUpload, parallel ${MEM_CONCURRENCY}`, lib: 'ali', name: 'aliMp', arg: MEM_CONCURRENCY, target: true },
  { id: 'oursPut', label: 'oss-direct-upload putObject (for reference)', lib: 'ours', name: 'oursPut' },
  { id: 'aliPut', label: 'ali-oss put (for reference)', lib: 'ali', name: 'aliPut' },
];

async function section3(ctx) {
  log(`\n[3/6] memory during a ${mib(BIG_MIB)} upload (fresh page per run, one library loaded)`);
  const bytes = BIG_MIB * MIB;
  const target = MEM_CONCURRENCY * PART_MIB * MIB + TARGETS.memExtra;
  const out = { bigMiB: BIG_MIB, partMiB: PART_MIB, concurrency: MEM_CONCURRENCY, targetBytes: target, runs: {} };
  for (const run of MEM_RUNS) {
    const before = new Set(rendererPids());
    const p = await openUploadPage(ctx, run.lib === 'ours' ? '/upload-ours.html' : '/upload-ali.html');
    try {
      if (run.multipart && !p.info.hasMultipart) {
        out.runs[run.id] = { na: 'not in this build' };
        continue;
      }
      const candidates = rendererPids().filter((x) => !before.has(x));
      const key = `bench/memory-${run.id}`;
      await p.page.call('window.uploadBench.makeBlob', bytes);
      // A new context brings a few spare renderers; the page's is the one that did the work (the Blob).
      const pagePid = candidates.reduce((best, x) => (best === null || procCpu(x) > procCpu(best) ? x : best), null);
      const cdp = p.page;
      await cdp.send('HeapProfiler.collectGarbage').catch(() => {});
      await new Promise((r) => setTimeout(r, 500));
      const sample = async () => {
        const h = await cdp.send('Runtime.getHeapUsage');
        const w = await cdp.evaluate('window.uploadBench.wasmBytes()');
        return { used: h.usedSize, backing: h.backingStorageSize ?? NaN, wasm: w };
      };
      const rssNow = () => (pagePid ? procMemory(pagePid)?.rss ?? NaN : NaN);
      const base = { ...(await sample()), rss: rssNow() };
      const samples = [];
      const rss = [];
      let done = false;
      const sampler = (async () => {
        while (!done) {
          try { samples.push(await sample()); } catch { /* page busy or gone */ }
          await new Promise((r) => setTimeout(r, 50));
        }
      })();
      const rssTimer = setInterval(() => rss.push(rssNow()), 50);
      let ms;
      let error;
      try {
        ms = await p.page.call('window.uploadBench.upload', run.name, key, bytes, run.arg ?? null);
        await verify(ctx.emu, key, bytes, null);
      } catch (e) {
        error = String(e.message || e).split('\n')[0].slice(0, 200);
      }
      done = true;
      clearInterval(rssTimer);
      await sampler;
      const peak = (f) => Math.max(...samples.map(f));
      const r = {
        samples: samples.length,
        ms,
        error,
        base,
        peakUsed: peak((s) => s.used),
        peakBacking: peak((s) => s.backing),
        peakWasm: peak((s) => s.wasm),
        peakHeapPlusWasm: peak((s) => s.used + (Number.isFinite(s.backing) ? s.backing : 0) + s.wasm),
        peakRss: Math.max(base.rss, ...rss.filter(Number.isFinite)),
        rssGrowth: Math.max(base.rss, ...rss.filter(Number.isFinite)) - base.rss,
        rendererPid: pagePid,
      };
      out.runs[run.id] = r;
      log(`  ${run.id}: ${samples.length} samples, peak JS heap ${fmtMB(r.peakUsed)}, ArrayBuffers ${fmtMB(r.peakBacking)}, wasm ${fmtMB(r.peakWasm)}, renderer RSS ${fmtMB(base.rss)} → ${fmtMB(r.peakRss)}${error ? `, FAILED ${error}` : ''}`);
    } finally {
      await p.close();
    }
  }
  results.sections.memory = out;
  const rows = MEM_RUNS.map((run) => {
    const r = out.runs[run.id];
    if (r.na) return [run.label, 'n/a', 'n/a', 'n/a', `n/a (${r.na})`, 'n/a', run.target ? 'n/a' : ''];
    const total = r.peakHeapPlusWasm;
    // A failed upload measured nothing: never judged met.
    const v = !run.target ? '' : r.error ? 'not measured (the upload failed)'
      : total <= target ? `met (${fmtMB(target - total)} to spare)` : `MISSED by ${fmtMB(total - target)}`;
    return [run.label + (r.error ? ` (failed: ${r.error.replace(/\|/g, '/')})` : ''), fmtMB(r.peakUsed), fmtMB(r.peakBacking), fmtMB(r.peakWasm), `**${fmtMB(total)}**`, `+${fmtMB(r.rssGrowth)}`, v];
  });
  const table = mdTable([`${mib(BIG_MIB)} upload, part size ${PART_MIB} MiB`, 'peak JS heap used', 'peak ArrayBuffer backing stores', 'wasm memory', 'peak heap + ArrayBuffers + wasm',
    'renderer RSS growth', `target < ${MEM_CONCURRENCY} × ${PART_MIB} MiB + 32 MiB = ${fmtMB(target)}`], rows, 'lrrrrrl');
  md[3] = [`## 3. Page memory during a ${mib(BIG_MIB)} upload (target: under concurrency × partSize + 32 MiB)`, '', table, '',
    'A fresh page (new browser context, new renderer) per run with only that library loaded; the Blob is generated first',
    '(its bytes live in the browser process\'s blob store, not in the page). Sampled every ~50 ms during the upload over CDP:',
    '`Runtime.getHeapUsage` (usedSize = V8 heap; backingStorageSize = ArrayBuffer and external-string backing stores) and the',
    'package\'s exported `memory.buffer.byteLength` (wasm linear memory: it only grows). Renderer RSS growth is the peak VmRSS of',
    'the page\'s renderer process (/proc, every 50 ms) during the upload minus its value just before (after the Blob was built and',
    'a forced GC): everything the tab added, whatever kind of memory; not compared with the target.',
    `MB = 10^6 bytes. Baseline before the upload: ${MEM_RUNS.map((run) => {
      const r = out.runs[run.id];
      return r.na ? null : `${run.id} ${fmtMB(r.base.used + (Number.isFinite(r.base.backing) ? r.base.backing : 0) + r.base.wasm)}`;
    }).filter(Boolean).join(', ')}.`,
  ].join('\n');
}

// --- 4. CRC-64 -----------------------------------------------------------------------------------

function buildCrcProbe() {
  const target = path.join(ROOT, 'target', 'bench-crc64-probe');
  execFileSync('cargo', ['build', '--quiet', '--release', '--target', 'wasm32-unknown-unknown', '--manifest-path',
    path.join(ROOT, 'bench', 'crc64-probe', 'Cargo.toml')], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, CARGO_TARGET_DIR: target } });
  const raw = path.join(target, 'wasm32-unknown-unknown', 'release', 'crc64_probe.wasm');
  const opt = path.join(OUT_DIR, 'crc64-probe.wasm');
  fs.mkdirSync(OUT_DIR, { recursive: true });
  // The same wasm-opt flags as scripts/build.sh uses for the package.
  execFileSync('wasm-opt', ['-Oz', '--enable-bulk-memory', '--enable-nontrapping-float-to-int', '--enable-sign-ext', '--enable-mutable-globals',
    '--strip-target-features', '--strip-debug', '--strip-producers', raw, '-o', opt]);
  return '/bench/out/crc64-probe.wasm';
}

async function section4(ctx) {
  log('\n[4/6] CRC-64 in wasm');
  const out = {};
  let url = null;
  try {
    url = buildCrcProbe();
  } catch (e) {
    out.probeError = String(e.message || e).split('\n')[0];
  }
  const p = await openUploadPage(ctx, '/upload-ours.html');
  try {
    if (url) {
      const check = await p.page.call('window.uploadBench.crcProbeCheck', url);
      if (check !== '995dc9bbdf1939fa') throw new Error(`CRC-64 probe computes ${check} for "123456789", not 995dc9bbdf1939fa`);
      out.probe = await p.page.call('window.uploadBench.crcProbe', url, CRC_MIB, CRC_REPS);
    }
    out.exported = await p.page.call('window.uploadBench.crcExport', CRC_MIB, CRC_REPS);
    out.viaPutObject = await p.page.call('window.uploadBench.crcViaPutObject', CRC_MIB, CRC_REPS);
  } finally {
    await p.close();
  }
  out.mib = CRC_MIB;
  out.reps = CRC_REPS;
  results.sections.crc64 = out;
  const verdict = (g) => (!Number.isFinite(g) ? 'n/a' : g >= TARGETS.crcGBps ? 'met' : `MISSED by ${(TARGETS.crcGBps - g).toFixed(2)} GB/s (${((1 - g / TARGETS.crcGBps) * 100).toFixed(0)} % short)`);
  const rows = [
    ['src/crc64.rs alone in wasm (bench/crc64-probe: same file, release profile and wasm-opt flags as the package); data already in wasm memory',
      out.probe ? fmtFixed(out.probe.gbps, 2) : `n/a (${out.probeError ?? 'probe not built'})`, out.probe ? verdict(out.probe.gbps) : 'n/a'],
    [out.exported ? `the package's own export \`${out.exported.name}(Uint8Array)\` (includes copying into wasm)${out.exported.hex && out.probe
      ? (out.exported.hex === out.probe.crcHex ? '; same CRC as the probe' : `; CRC ${out.exported.hex} ≠ probe's ${out.probe.crcHex}`) : ''}` : 'the package\'s own CRC-64 export',
    out.exported ? (out.exported.error ? `n/a (it threw: ${out.exported.error})` : fmtFixed(out.exported.gbps, 2)) : 'n/a (no CRC-64 export in this build)',
    out.exported && !out.exported.error ? verdict(out.exported.gbps) : 'n/a'],
    ['the package\'s putObject(Uint8Array) pre-upload work: Blob copy + 1 MiB copies into wasm + CRC (a lower bound for the CRC)',
      fmtFixed(out.viaPutObject.gbps, 2), verdict(out.viaPutObject.gbps)],
  ];
  const table = mdTable(['CRC-64/ECMA-182 in wasm, Chromium', 'GB/s', `target ≥ ${TARGETS.crcGBps} GB/s`], rows, 'lrl');
  md[4] = [`## 4. CRC-64 throughput in wasm in Chromium (target: at least ${TARGETS.crcGBps} GB/s)`, '', table, '',
    `${CRC_MIB} MiB of pseudo-random bytes, best of ${CRC_REPS}; GB/s = 10^9 bytes per second. The probe is checked against the CRC-64/XZ`,
    'check value of "123456789" (995dc9bbdf1939fa) first. The putObject row times `putObject(key, Uint8Array)` from the call to the',
    'moment it asks a failing credential source for credentials: the body\'s CRC is computed synchronously before that, after the',
    `body is copied into a Blob (the page alone takes ${fmtFixed(out.viaPutObject.blobMs, 1)} ms for that copy of ${CRC_MIB} MiB) and in 1 MiB pieces into wasm memory.`,
  ].join('\n');
}

// --- 5. size --------------------------------------------------------------------------------------

function gzipSize(file) {
  return execFileSync('gzip', ['-9', '-c', file], { maxBuffer: 64 * MIB }).length;
}

function esbuild(entry, outfile, extra = []) {
  const bin = path.join(ROOT, 'node_modules', '.bin', 'esbuild');
  if (!fs.existsSync(bin)) return null;
  execFileSync(bin, [entry, '--bundle', '--minify', '--format=esm', '--platform=browser', '--target=es2020', `--outfile=${outfile}`,
    '--log-level=error', ...extra], { cwd: ROOT });
  return outfile;
}

async function section5() {
  log('\n[5/6] size');
  const dir = path.join(OUT_DIR, 'size');
  fs.mkdirSync(dir, { recursive: true });
  const wasm = path.join(PKG, 'oss_direct_upload_bg.wasm');
  const glue = path.join(PKG, 'oss_direct_upload.js');
  const m = (f) => ({ raw: fs.statSync(f).size, gzip: gzipSize(f) });
  const ours = { wasm: m(wasm), glue: m(glue) };
  ours.total = { raw: ours.wasm.raw + ours.glue.raw, gzip: ours.wasm.gzip + ours.glue.gzip };
  const entries = path.join(ROOT, 'bench', 'size');
  const bundle = (name, extra) => {
    try {
      const f = esbuild(path.join(entries, `${name}.js`), path.join(dir, `${name}.min.js`), extra);
      return f ? m(f) : null;
    } catch (e) {
      return { error: String(e.message || e).split('\n')[0] };
    }
  };
  const oursBundle = bundle('oss-direct-upload', [`--alias:oss-direct-upload=${glue}`]);
  if (oursBundle && !oursBundle.error) ours.bundled = { raw: oursBundle.raw + ours.wasm.raw, gzip: oursBundle.gzip + ours.wasm.gzip, glueMin: oursBundle };
  const aliDist = m(path.join(ROOT, 'node_modules/ali-oss/dist/aliyun-oss-sdk.min.js'));
  const anchors = [
    { id: 'aliDist', label: `ali-oss ${aliVersion()}: shipped dist/aliyun-oss-sdk.min.js`, v: aliDist },
    { id: 'aliBundle', label: 'ali-oss: esbuild bundle of `import OSS from \'ali-oss\'`', v: bundle('ali-oss') },
    { id: 'aws', label: 'AWS SDK v3: S3Client + PutObjectCommand + getSignedUrl (esbuild)', v: bundle('aws-put-presign') },
    { id: 'awsLibStorage', label: 'AWS SDK v3: same + @aws-sdk/lib-storage Upload (esbuild)', v: bundle('aws-put-presign-libstorage') },
    { id: 'uppy', label: 'Uppy: @uppy/core + @uppy/aws-s3 (esbuild)', v: bundle('uppy-aws-s3') },
  ];
  const versions = {};
  for (const p of ['@aws-sdk/client-s3', '@aws-sdk/lib-storage', '@aws-sdk/s3-request-presigner', '@uppy/core', '@uppy/aws-s3', 'esbuild']) {
    try { versions[p] = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', p, 'package.json'), 'utf8')).version; } catch { versions[p] = null; }
  }
  results.sections.size = { ours, anchors: Object.fromEntries(anchors.map((a) => [a.id, a.v])), versions, targetGzip: TARGETS.sizeGzip };
  const oursGz = ours.bundled?.gzip ?? ours.total.gzip;
  const sizeRow = (label, v, fallback) => {
    if (v && !v.error) return [label, fmtInt(v.raw), fmtInt(v.gzip), fmtRatio(v.gzip / oursGz, 1), ''];
    const note = fallback !== undefined ? `${fmtInt(fallback)} (from anchors.md §4, not re-measured${v?.error ? `: ${v.error}` : ''})` : 'n/a';
    return [label, 'n/a', note, Number.isFinite(fallback) ? fmtRatio(fallback / oursGz, 1) : '', ''];
  };
  const miss = (g) => (g < TARGETS.sizeGzip ? `met (${fmtInt(TARGETS.sizeGzip - g)} B under)` : `MISSED by ${fmtInt(g - TARGETS.sizeGzip)} B (${(g / TARGETS.sizeGzip).toFixed(2)}× the budget)`);
  const rows = [
    ['**oss-direct-upload: wasm + JS glue as shipped in the package**', fmtInt(ours.total.raw), `**${fmtInt(ours.total.gzip)}**`, fmtRatio(ours.total.gzip / oursGz, 2), miss(ours.total.gzip)],
    ['↳ oss_direct_upload_bg.wasm', fmtInt(ours.wasm.raw), fmtInt(ours.wasm.gzip), '', ''],
    ['↳ oss_direct_upload.js (glue)', fmtInt(ours.glue.raw), fmtInt(ours.glue.gzip), '', ''],
    ours.bundled
      ? ['oss-direct-upload: esbuild bundle of an app entry (OssClient upload + presign) + the wasm', fmtInt(ours.bundled.raw), fmtInt(ours.bundled.gzip), '1.0×', miss(ours.bundled.gzip)]
      : ['oss-direct-upload: esbuild bundle', 'n/a', 'n/a (esbuild not installed)', '', ''],
    ...anchors.map((a) => sizeRow(a.label, a.v, ANCHORS_GZIP[a.id])),
  ];
  const table = mdTable(['what', 'raw (B)', 'gzip -9 (B)', '× ours (bundled)', `target < ${fmtInt(TARGETS.sizeGzip)} B gzip`], rows, 'lrrrl');
  md[5] = [`## 5. Size (target: under ${fmtInt(TARGETS.sizeGzip)} B gzip for everything)`, '', table, '',
    'Measured as anchors.md §4 does: esbuild ' + (versions.esbuild ?? '?') + ' `--bundle --minify --format=esm --platform=browser --target=es2020` of the',
    'same entry files (bench/size/*.js, copied from anchors.md), then GNU `gzip -9 -c | wc -c`. Versions: ' +
      Object.entries(versions).filter(([k]) => k !== 'esbuild').map(([k, v]) => `${k} ${v ?? 'not installed'}`).join(', ') + '.',
    'Our wasm is counted whole in both of our rows (esbuild leaves the `.wasm` as a separate asset). anchors.md §4 had ali-oss',
    `${fmtInt(ANCHORS_GZIP.aliDist)}, AWS ${fmtInt(ANCHORS_GZIP.aws)} / ${fmtInt(ANCHORS_GZIP.awsLibStorage)}, Uppy ${fmtInt(ANCHORS_GZIP.uppy)} B gzip.`,
  ].join('\n');
}

// --- 6. cold start -------------------------------------------------------------------------------

async function section6({ browser, base }) {
  log(`\n[6/6] cold start: fresh context per run, ${COLD_N} runs each`);
  const runs = [
    { id: 'oursSign', lib: 'ours', url: '/cold-ours.html?mode=sign' },
    { id: 'aliSign', lib: 'ali', url: '/cold-ali.html?mode=sign' },
    { id: 'oursClient', lib: 'ours', url: '/cold-ours.html?mode=client' },
    { id: 'aliClient', lib: 'ali', url: '/cold-ali.html?mode=client' },
  ];
  const samples = Object.fromEntries(runs.map((r) => [r.id, []]));
  for (let i = 0; i < COLD_N; i++) {
    for (const r of i % 2 ? [...runs].reverse() : runs) {
      const page = await browser.newPage(`${base}${r.url}`);
      try {
        const res = await page.waitFor('window.coldResult');
        if (res.error) throw new Error(`${r.id}: ${res.error}`);
        samples[r.id].push(res);
      } finally {
        await page.close();
      }
    }
  }
  const med = (id, f) => median(samples[id].map((s) => s[f]));
  const M = Object.fromEntries(runs.map((r) => [r.id, Object.fromEntries(['load', 'init', 'first', 'total'].map((f) => [f, med(r.id, f)]))]));
  results.sections.coldStart = { n: COLD_N, samples, medians: M };
  log(`  medians: ${runs.map((r) => `${r.id} ${fmtFixed(M[r.id].total)} ms`).join(', ')}`);
  const ms = (v) => fmtFixed(v, 1);
  const rows = [
    ['load: `import()` of the glue / `<script>` of aliyun-oss-sdk.min.js', ms(M.oursSign.load), ms(M.aliSign.load), fmtRatio(M.aliSign.load / M.oursSign.load, 1)],
    ['init: `await init()` (wasm fetch + compile + instantiate) / `new OSS(…)`', ms(M.oursSign.init), ms(M.aliSign.init), ''],
    ['first header signature: `signRequest` / `authorizationV4`', ms(M.oursSign.first), ms(M.aliSign.first), ''],
    ['**total: import → first header signature**', `**${ms(M.oursSign.total)}**`, `**${ms(M.aliSign.total)}**`, `**${fmtRatio(M.aliSign.total / M.oursSign.total, 1)}**`],
    ['total: import → `new OssClient` + first `presignUrl` / `new OSS` + first `signatureUrlV4`', ms(M.oursClient.total), ms(M.aliClient.total), fmtRatio(M.aliClient.total / M.oursClient.total, 1)],
  ];
  const table = mdTable(['cold start (ms, median)', 'oss-direct-upload', 'ali-oss', 'ali-oss ÷ ours'], rows, 'lrrr');
  md[6] = [`## 6. Cold start: from import to the first signed request (median of ${COLD_N} fresh pages each)`, '', table, '',
    'Each run opens a new browser context (empty HTTP cache, so no wasm code cache either) and page; the page\'s module script takes',
    '`performance.now()` just before `import(\'/pkg/oss_direct_upload.js\')` (or appending ali-oss\'s `<script>`) and after the first',
    'signature is computed. Files come from a local server on 127.0.0.1 (no network latency, no compression); credentials are static',
    '(no STS fetch). Runs alternate between the libraries.',
  ].join('\n');
}

// --- outputs -------------------------------------------------------------------------------------

function chartPanels() {
  const panels = [];
  const s = results.sections;
  if (s.signing) {
    const bars = [];
    for (const r of s.signing.rows) {
      const short = r.op.startsWith('header') ? 'header signature' : 'presigned URL';
      bars.push({ label: `${short}: oss-direct-upload`, value: r.ours, color: COLORS.ours, text: `${fmtInt(r.ours)}/s (${r.ratio.toFixed(1)}×)` });
      bars.push({ label: `${short}: ali-oss`, value: r.ali, color: COLORS.ali, text: `${fmtInt(r.ali)}/s` });
    }
    panels.push(hbars({ title: '1. Signing throughput', unit: 'operations/s, higher is better', bars }));
  }
  if (s.upload) {
    for (const sz of ['small', 'big']) {
      const d = s.upload.sizes[sz];
      const bars = UPLOADS.map((u) => ({
        label: u.label.replace('oss-direct-upload ', 'ours ').replace(' of the Blob to a presigned URL (the limit)', ' (limit)').replace('multipartUpload', 'multipart').replace(', concurrency ', ' c').replace(', parallel ', ' c'),
        value: d.medians[u.id],
        color: COLORS[u.lib],
        text: u.multipart && !s.upload.hasMultipart ? 'n/a (not in this build)' : !Number.isFinite(d.medians[u.id]) ? 'failed'
          : `${fmtInt(d.medians[u.id])} MB/s${d.errors[u.id] ? ` (${d.errors[u.id].count} failed)` : ''}`,
      }));
      const lines = Number.isFinite(d.medians.raw) ? [{ value: d.medians.raw * TARGETS.uploadVsRaw, label: `${TARGETS.uploadVsRaw}× raw` }] : [];
      panels.push(hbars({ title: `2. Upload throughput, ${mib(d.mib)} body`, unit: 'MB/s, higher is better', bars, lines }));
    }
  }
  if (s.memory) {
    const bars = MEM_RUNS.map((run) => {
      const r = s.memory.runs[run.id];
      return { label: run.label.replace('oss-direct-upload ', 'ours ').replace(' (for reference)', '').replace('multipartUpload', 'multipart').replace(', concurrency ', ' c').replace(', parallel ', ' c'),
        value: r.na ? NaN : r.peakHeapPlusWasm / 1e6, color: COLORS[run.lib], text: r.na ? `n/a (${r.na})` : fmtMB(r.peakHeapPlusWasm) };
    });
    panels.push(hbars({ title: `3. Peak JS heap + ArrayBuffers + wasm, ${mib(s.memory.bigMiB)} upload`, unit: 'MB, lower is better', bars, log: true,
      lines: [{ value: s.memory.targetBytes / 1e6, label: `target ${fmtMB(s.memory.targetBytes, 0)}` }] }));
  }
  if (s.crc64) {
    const c = s.crc64;
    const bars = [
      { label: 'src/crc64.rs in wasm (probe)', value: c.probe?.gbps ?? NaN, color: COLORS.ours, text: c.probe ? `${fmtFixed(c.probe.gbps, 2)} GB/s` : 'n/a' },
      { label: 'package CRC export', value: c.exported?.gbps ?? NaN, color: COLORS.ours, text: c.exported ? `${fmtFixed(c.exported.gbps, 2)} GB/s` : 'n/a (no export)' },
      { label: 'putObject pre-upload (CRC + copies)', value: c.viaPutObject?.gbps ?? NaN, color: COLORS.ours, text: `${fmtFixed(c.viaPutObject?.gbps, 2)} GB/s` },
    ];
    panels.push(hbars({ title: '4. CRC-64 in wasm (Chromium)', unit: 'GB/s, higher is better', bars, lines: [{ value: TARGETS.crcGBps, label: `target ${TARGETS.crcGBps} GB/s` }] }));
  }
  if (s.size) {
    const z = s.size;
    const kb = (v, fb) => (v && !v.error ? v.gzip / 1000 : fb / 1000);
    const bars = [
      { label: 'ours: wasm + glue (shipped)', value: z.ours.total.gzip / 1000, color: COLORS.ours, text: `${fmtFixed(z.ours.total.gzip / 1000, 1)} KB` },
      { label: 'ali-oss dist min.js', value: kb(z.anchors.aliDist, ANCHORS_GZIP.aliDist), color: COLORS.ali, text: `${fmtFixed(kb(z.anchors.aliDist, ANCHORS_GZIP.aliDist), 1)} KB` },
      { label: 'AWS v3 put + presign', value: kb(z.anchors.aws, ANCHORS_GZIP.aws), color: COLORS.other, text: `${fmtFixed(kb(z.anchors.aws, ANCHORS_GZIP.aws), 1)} KB` },
      { label: 'AWS v3 + lib-storage', value: kb(z.anchors.awsLibStorage, ANCHORS_GZIP.awsLibStorage), color: COLORS.other, text: `${fmtFixed(kb(z.anchors.awsLibStorage, ANCHORS_GZIP.awsLibStorage), 1)} KB` },
      { label: 'Uppy core + aws-s3', value: kb(z.anchors.uppy, ANCHORS_GZIP.uppy), color: COLORS.other, text: `${fmtFixed(kb(z.anchors.uppy, ANCHORS_GZIP.uppy), 1)} KB` },
    ];
    panels.push(hbars({ title: '5. Size, gzip -9', unit: 'KB (10^3 B), lower is better', bars, lines: [{ value: TARGETS.sizeGzip / 1000, label: 'target 30 KB' }] }));
  }
  if (s.coldStart) {
    const M = s.coldStart.medians;
    const bars = [
      { label: 'ours: import → header signature', value: M.oursSign.total, color: COLORS.ours, text: `${fmtFixed(M.oursSign.total, 1)} ms` },
      { label: 'ali-oss: script → header signature', value: M.aliSign.total, color: COLORS.ali, text: `${fmtFixed(M.aliSign.total, 1)} ms` },
      { label: 'ours: import → client presign', value: M.oursClient.total, color: COLORS.ours, text: `${fmtFixed(M.oursClient.total, 1)} ms` },
      { label: 'ali-oss: script → client presign', value: M.aliClient.total, color: COLORS.ali, text: `${fmtFixed(M.aliClient.total, 1)} ms` },
    ];
    panels.push(hbars({ title: '6. Cold start (fresh page)', unit: 'ms, lower is better', bars }));
  }
  return panels;
}

async function writeOutputs({ browser, base }) {
  const body = [header(), ...[1, 2, 3, 4, 5, 6].filter((n) => md[n]).map((n) => md[n])].join('\n\n');
  console.log(body);
  fs.mkdirSync(OUT_DIR, { recursive: true });
  fs.writeFileSync(path.join(OUT_DIR, 'results.md'), `${body}\n`);
  fs.writeFileSync(path.join(OUT_DIR, 'results.json'), `${JSON.stringify(results, (k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`);
  const m = results.meta;
  const html = chartPage({
    title: `oss-direct-upload vs ali-oss ${m.aliOss}${m.quick ? ' (quick run)' : ''}`,
    caption: `${m.cpu}, ${m.logicalCpus} logical CPUs · Chromium ${m.chromium} headless · ${m.date.slice(0, 10)} · load ${m.loadAvg.join(' ')} · npm run ${m.quick ? 'bench:quick' : 'bench'}`,
    panels: chartPanels(),
  });
  fs.writeFileSync(path.join(OUT_DIR, 'chart.html'), html);
  const page = await browser.newPage(`${base}/bench/out/chart.html`, { width: 1360, height: 900 });
  try {
    await page.waitFor("document.readyState === 'complete'");
    await page.screenshot(path.join(OUT_DIR, 'chart.png'));
  } finally {
    await page.close();
  }
  log(`\nwritten: ${['results.md', 'results.json', 'chart.png'].map((f) => path.relative(ROOT, path.join(OUT_DIR, f))).join(', ')}; load average at the end ${loadAvg()}`);
}

main().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
