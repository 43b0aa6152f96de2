// In-page half of sections 2–4 of `npm run bench` (bench/run.mjs serves and drives it).
// Loads this library's npm package and, when the page also loaded ali-oss's browser build
// (global `OSS`), an ali-oss client pointed at the same emulator bucket. Exposes
// `window.uploadBench`.
//
// Every contender uploads the SAME Blob (generated once per size in this page) to the same key;
// node checks the stored object (size, CRC-64) after each upload through the emulator's admin API.

const OSS = globalThis.OSS;
const TYPE = 'application/octet-stream';

let cfg;      // { endpoint, bucket, region, partSize, ours }
let lib;      // the package's module (not loaded when cfg.ours === false: ali-oss memory runs)
let wasm;     // the package's InitOutput (its `memory` is the wasm linear memory)
let ours;     // OssClient with credentials: '/sts'
let ali;      // ali-oss client with STS credentials from /sts
let sts;      // the last /sts answer (camelCase)
const blobs = new Map();

async function fetchSts() {
  const j = await (await fetch('/sts')).json();
  const c = j.Credentials ?? j;
  sts = { accessKeyId: c.AccessKeyId, accessKeySecret: c.AccessKeySecret, securityToken: c.SecurityToken };
  return sts;
}

export async function setup(c) {
  cfg = c;
  await fetchSts();
  if (cfg.ours !== false) {
    lib = await import('/pkg/oss_direct_upload.js');
    wasm = await lib.default();
    ours = new lib.OssClient({ region: cfg.region, bucket: cfg.bucket, endpoint: cfg.endpoint, credentials: '/sts', timeoutMs: 0 });
  }
  if (OSS) {
    ali = new OSS({
      region: `oss-${cfg.region}`,
      bucket: cfg.bucket,
      endpoint: cfg.endpoint,
      secure: false,
      authorizationV4: true,
      accessKeyId: sts.accessKeyId,
      accessKeySecret: sts.accessKeySecret,
      stsToken: sts.securityToken,
      refreshSTSToken: async () => {
        const s = await fetchSts();
        return { accessKeyId: s.accessKeyId, accessKeySecret: s.accessKeySecret, stsToken: s.securityToken };
      },
      refreshSTSTokenInterval: 30 * 60 * 1000,
      timeout: 30 * 60 * 1000,
    });
  }
  return { hasMultipart: typeof ours?.multipartUpload === 'function', hasOurs: !!ours, hasAli: !!ali, exports: lib ? Object.keys(lib) : [] };
}

// --- inputs ----------------------------------------------------------------------------------------

/**
 * A Blob of `bytes` bytes: a 1 MiB pseudo-random block repeated, each MiB prefixed by its own
 * index, so a misplaced part changes the CRC. Built from parts (never one huge ArrayBuffer).
 */
export function makeBlob(bytes) {
  if (blobs.has(bytes)) return blobs.get(bytes).size;
  const MIB = 1 << 20;
  const block = new Uint8Array(MIB - 8);
  let x = 0x9e3779b9;
  for (let i = 0; i < block.length; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    block[i] = x & 0xff;
  }
  const parts = [];
  for (let at = 0, i = 0; at < bytes; i++) {
    const head = new Uint8Array(8);
    new DataView(head.buffer).setFloat64(0, i);
    const n = Math.min(MIB, bytes - at);
    parts.push(n >= 8 ? head : head.subarray(0, n));
    if (n > 8) parts.push(n - 8 === block.length ? block : block.subarray(0, n - 8));
    at += n;
  }
  const blob = new Blob(parts, { type: TYPE });
  blobs.set(bytes, blob);
  return blob.size;
}

export function dropBlobs() {
  blobs.clear();
}

// --- the contenders ---------------------------------------------------------------------------------

const presigned = new Map();

/** The limit: fetch PUT of the Blob to a URL presigned before timing (no per-request work). */
async function raw(key, blob) {
  const url = presigned.get(key);
  const res = await fetch(url, { method: 'PUT', body: blob });
  if (!res.ok) throw new Error(`raw PUT: ${res.status} ${await res.text()}`);
}

export const contenders = {
  raw,
  oursPut: (key, blob) => ours.putObject(key, blob, { contentType: TYPE }),
  oursMp: (key, blob, c) => ours.multipartUpload(key, blob, { partSize: cfg.partSize, concurrency: c, checkpoint: false }),
  aliPut: (key, blob) => ali.put(key, blob, { mime: TYPE, timeout: 30 * 60 * 1000 }),
  aliMp: (key, blob, c) => ali.multipartUpload(key, blob, { partSize: cfg.partSize, parallel: c, mime: TYPE, timeout: 30 * 60 * 1000 }),
};

/** Presigns the raw contender's PUT for `key` (untimed). */
export function prepareRaw(key) {
  const p = lib.presignUrl({
    method: 'PUT', bucket: cfg.bucket, region: cfg.region, endpoint: cfg.endpoint, key,
    headers: { 'Content-Type': TYPE }, credentials: sts, expiresInSecs: 3 * 3600,
  });
  presigned.set(key, p.url);
}

/** Uploads the Blob of `bytes` with contender `name`; resolves to elapsed ms. */
export async function upload(name, key, bytes, arg) {
  const blob = blobs.get(bytes);
  if (!blob) throw new Error(`no blob of ${bytes} bytes`);
  const t0 = performance.now();
  await contenders[name](key, blob, arg);
  return performance.now() - t0;
}

// --- memory ---------------------------------------------------------------------------------------

/** The package's wasm linear memory, in bytes (0 when the package is not initialised). */
export function wasmBytes() {
  return wasm?.memory?.buffer?.byteLength ?? 0;
}

// --- CRC-64 -----------------------------------------------------------------------------------------

/** Fills `n` bytes with a pseudo-random pattern. */
function bytesOf(n) {
  const a = new Uint8Array(n);
  const w = new Uint32Array(a.buffer, 0, n >> 2);
  let x = 0x12345678;
  for (let i = 0; i < w.length; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    w[i] = x;
  }
  return a;
}

/**
 * CRC-64 throughput of the crate's own src/crc64.rs compiled alone to wasm32 (bench/crc64-probe,
 * same release profile and wasm-opt flags as the package). `update` over `mib` MiB already in wasm
 * memory, best of `reps`. Returns { gbps, crcHex }.
 */
export async function crcProbe(url, mib, reps) {
  const { instance } = await WebAssembly.instantiateStreaming(fetch(url), {});
  const e = instance.exports;
  const n = mib << 20;
  const ptr = e.buf(n); // may grow the memory: take e.memory.buffer after it
  new Uint8Array(e.memory.buffer, ptr, n).set(bytesOf(n));
  e.crc(0n, 1024); // builds the tables (first use)
  let best = Infinity;
  let crc = 0n;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    crc = e.crc(0n, n);
    best = Math.min(best, performance.now() - t0);
  }
  return { gbps: n / best / 1e6, crcHex: BigInt.asUintN(64, crc).toString(16), ms: best };
}

/** Known CRC-64/XZ check value of "123456789", to prove the probe computes the right function. */
export async function crcProbeCheck(url) {
  const { instance } = await WebAssembly.instantiateStreaming(fetch(url), {});
  const e = instance.exports;
  const s = new TextEncoder().encode('123456789');
  const ptr = e.buf(s.length);
  new Uint8Array(e.memory.buffer, ptr, s.length).set(s);
  return BigInt.asUintN(64, e.crc(0n, s.length)).toString(16);
}

/** A function the package exports for CRC-64, if any (name matching /crc/i). */
export function crcExportName() {
  return Object.keys(lib).find((k) => /crc/i.test(k) && typeof lib[k] === 'function') ?? null;
}

/** Throughput of the package's own CRC-64 export on `mib` MiB (best of `reps`), or null when
 *  there is none. Its result, as hex, is returned for comparison with the probe's. */
export function crcExport(mib, reps) {
  const name = crcExportName();
  if (!name) return null;
  const data = bytesOf(mib << 20);
  let best = Infinity;
  let out;
  try {
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now();
      out = lib[name](data);
      best = Math.min(best, performance.now() - t0);
    }
  } catch (e) {
    return { name, error: String(e && e.message || e) };
  }
  let hex = null;
  try { hex = BigInt.asUintN(64, BigInt(typeof out === 'string' && /^[0-9a-f]+$/i.test(out) && /[a-f]/i.test(out) ? `0x${out}` : out)).toString(16); } catch { /* not a number */ }
  return { name, gbps: data.length / best / 1e6, out: String(out), hex, ms: best };
}

/**
 * CRC-64 through the package's shipped code path: `putObject(key, Uint8Array)` computes the body's
 * CRC in wasm (1 MiB copies into wasm memory, then crc64::update) synchronously before it asks
 * for credentials. With a credential source that records the time and fails, the interval from
 * the call to that moment is the body's pre-upload work: its Blob copy, the copies into wasm and
 * the CRC. A lower bound for the CRC alone; the Blob copy is timed separately for reference.
 * Best of `reps`.
 */
export async function crcViaPutObject(mib, reps) {
  const data = bytesOf(mib << 20);
  let tCred = 0;
  const client = new lib.OssClient({
    region: cfg.region, bucket: cfg.bucket, endpoint: cfg.endpoint, retry: { maxAttempts: 1 },
    credentials: () => { tCred = performance.now(); throw new Error('stop here'); },
  });
  let bestBlob = Infinity;
  let bestTotal = Infinity;
  for (let r = 0; r < reps; r++) {
    const b0 = performance.now();
    const blob = new Blob([data], { type: TYPE });
    bestBlob = Math.min(bestBlob, performance.now() - b0);
    if (blob.size !== data.length) throw new Error('blob');
    tCred = 0;
    const t0 = performance.now();
    let err;
    try { await client.putObject('crc-probe', data, { contentType: TYPE }); } catch (e) { err = e; }
    if (!err || !tCred) throw new Error(`putObject did not stop at the credential source: ${err}`);
    bestTotal = Math.min(bestTotal, tCred - t0);
  }
  client.free();
  return { gbps: data.length / bestTotal / 1e6, blobMs: bestBlob, totalMs: bestTotal };
}
