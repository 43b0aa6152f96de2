// In-page half of `npm run bench:sign` (bench/sign.mjs serves and drives it).
// Loads this library's npm package (ESM + wasm) next to ali-oss's browser build (global `OSS`,
// loaded by a classic <script> in the page) and exposes `window.signBench`.
//
// Both contenders get the same request: an STS-credential PUT of a CJK key with Content-Type and
// x-oss-* headers (header signing), and a GET presigned for 900 s with a response-content-*
// override (presigned URL).

import init, { Signer, presignUrl, signRequest } from '/pkg/oss_direct_upload.js';
// The signing-only build of the same package (`oss-direct-upload/sign`, pkg/sign/).
import initSign, { Signer as SignerSign, presignUrl as presignUrlSign, signRequest as signRequestSign } from '/pkg/sign/sign.js';

const OSS = globalThis.OSS;

const SIGN_TIME = new Date('2024-05-20T09:09:10Z');
const INPUT = {
  bucket: 'examplebucket',
  key: 'uploads/2024/05/报告 final (1).pdf',
  region: 'cn-hangzhou',
  credentials: {
    accessKeyId: 'STS.NTExampleTemporaryAccessKeyId',
    accessKeySecret: 'TmpSecretExample0123456789abcdefghijklmn',
    // STS tokens are several hundred characters of base64.
    securityToken: `CAIS${'8w1q6Ft5B2yfSjIr5bEfvH/3OxGx46qSB7Lo2Y+Q/ls2p/h0jz2IHtKfnZgB+Aav/8znW9Z6f8dlqV/RoRZRVLD'.repeat(6)}==`,
  },
  headers: {
    'Content-Type': 'application/pdf',
    'x-oss-meta-author': 'alice',
    'x-oss-forbid-overwrite': 'true',
  },
};
const PRESIGN_QUERY = { 'response-content-disposition': 'attachment; filename="report.pdf"' };

let ali;           // ali-oss client whose transport is a stub (no network)
let signer;        // ours, created once like ali-oss's client: new Signer({region, bucket, credentials})
let signerSign;    // the same on the signing-only build
let lastAliHeaders; // headers ali-oss handed to its transport on the last request

export async function setup() {
  await init();
  await initSign();
  const signerOptions = { region: INPUT.region, bucket: INPUT.bucket, credentials: INPUT.credentials };
  signer = new Signer(signerOptions);
  signerSign = new SignerSign(signerOptions);
  ali = new OSS({
    region: `oss-${INPUT.region}`,
    bucket: INPUT.bucket,
    accessKeyId: INPUT.credentials.accessKeyId,
    accessKeySecret: INPUT.credentials.accessKeySecret,
    stsToken: INPUT.credentials.securityToken,
    authorizationV4: true,
    // `urllib` is ali-oss's documented hook for a custom HTTP client: it receives the URL and the
    // fully signed request. We answer 200 at once and keep the headers.
    urllib: {
      request: async (url, params) => {
        lastAliHeaders = params.headers;
        return { status: 200, headers: {}, data: '', res: { status: 200, headers: {} } };
      },
    },
  });
}

// --- the four contenders -----------------------------------------------------------------------

/** Ours: one header-signed PUT (signing key cached per secret/day/region, as in real use). */
export function oursHeader() {
  return signRequest({ method: 'PUT', ...INPUT, signTime: SIGN_TIME }).headers.authorization;
}

/**
 * ali-oss: one header-signed PUT through the path its browser client takes for every request:
 * `client.request(params)` -> `createRequest` (adds x-oss-date, x-oss-content-sha256,
 * x-oss-security-token, x-oss-user-agent, Content-Type) -> `client.authorizationV4` ->
 * `signUtils.authorizationV4`, then the (stub) transport. This is what `put()` runs after reading
 * the body; `createRequest` itself is not exported from the browser build.
 */
export async function aliHeaderRequestPath() {
  await ali.request({
    method: 'PUT', bucket: INPUT.bucket, object: INPUT.key, headers: { ...INPUT.headers }, successStatuses: [200],
  });
  return lastAliHeaders.authorization;
}

/**
 * ali-oss: the signing step alone, `client.authorizationV4(method, {headers, queries}, bucket,
 * key)` (lib/browser/client.js -> signUtils.authorizationV4), on headers prepared once as
 * createRequest would prepare them. Cheaper than the request path; the ratio uses this one, so
 * it is the conservative comparison.
 */
const aliPrepared = {
  ...INPUT.headers,
  'x-oss-date': '20240520T090910Z',
  'x-oss-content-sha256': 'UNSIGNED-PAYLOAD',
  'x-oss-security-token': INPUT.credentials.securityToken,
};
export function aliHeaderSignOnly() {
  return ali.authorizationV4('PUT', { headers: aliPrepared, queries: {} }, INPUT.bucket, INPUT.key);
}

/** Ours, signing-only build: the same call. */
export function signOnlyHeader() {
  return signRequestSign({ method: 'PUT', ...INPUT, signTime: SIGN_TIME }).headers.authorization;
}

/** Ours: one presigned GET URL, 900 s, signed now. */
export function oursPresign() {
  return presignUrl({ method: 'GET', ...INPUT, headers: {}, query: PRESIGN_QUERY, expiresInSecs: 900 }).url;
}

/** Ours, signing-only build: the same call. */
export function signOnlyPresign() {
  return presignUrlSign({ method: 'GET', ...INPUT, headers: {}, query: PRESIGN_QUERY, expiresInSecs: 900 }).url;
}

/** Ours, `Signer` created once (location and credentials fixed): per-call fields only. */
const SIGNER_PUT = { method: 'PUT', key: INPUT.key, headers: INPUT.headers, signTime: SIGN_TIME };
const SIGNER_GET = { method: 'GET', key: INPUT.key, query: PRESIGN_QUERY, expiresInSecs: 900 };
export function signerHeader() {
  return signer.signRequest(SIGNER_PUT).headers.authorization;
}
export function signOnlySignerHeader() {
  return signerSign.signRequest(SIGNER_PUT).headers.authorization;
}
export function signerPresign() {
  return signer.presignUrl(SIGNER_GET).url;
}
export function signOnlySignerPresign() {
  return signerSign.presignUrl(SIGNER_GET).url;
}

/** ali-oss: one presigned GET URL, 900 s, signed now (`client.signatureUrlV4`, async). */
export function aliPresign() {
  return ali.signatureUrlV4('GET', 900, { headers: {}, queries: { ...PRESIGN_QUERY } }, INPUT.key);
}

export const contenders = {
  oursHeader, signOnlyHeader, aliHeaderRequestPath, aliHeaderSignOnly, oursPresign, signOnlyPresign, aliPresign,
  signerHeader, signOnlySignerHeader, signerPresign, signOnlySignerPresign,
};

// --- checks and timing ---------------------------------------------------------------------------

/** Same inputs, same answers: compares what both sign before anything is timed. */
export async function check() {
  const ours = oursHeader();
  const aliSignOnly = aliHeaderSignOnly();
  // The request path signs with the current time; compare it at a fixed one.
  const RealDate = Date;
  const ms = SIGN_TIME.getTime();
  globalThis.Date = class extends RealDate {
    constructor(...a) { if (a.length === 0) super(ms); else super(...a); }
    static now() { return ms; }
  };
  let aliPath;
  let aliUrl;
  let oursUrl;
  try {
    aliPath = await aliHeaderRequestPath();
    aliUrl = await aliPresign();
  } finally {
    globalThis.Date = RealDate;
  }
  oursUrl = presignUrl({ method: 'GET', ...INPUT, headers: {}, query: PRESIGN_QUERY, expiresInSecs: 900, signTime: SIGN_TIME }).url;
  const signOnlyUrl = presignUrlSign({ method: 'GET', ...INPUT, headers: {}, query: PRESIGN_QUERY, expiresInSecs: 900, signTime: SIGN_TIME }).url;
  const sig = (u) => new URL(u).searchParams.get('x-oss-signature');
  const signerGet = { ...SIGNER_GET, signTime: SIGN_TIME };
  return {
    headerSigner: signerHeader(),
    headerSignOnlySigner: signOnlySignerHeader(),
    urlSigner: signer.presignUrl(signerGet).url,
    urlSignOnlySigner: signerSign.presignUrl(signerGet).url,
    headerOurs: ours,
    headerSignOnly: signOnlyHeader(),
    urlOurs: oursUrl,
    urlSignOnly: signOnlyUrl,
    headerAliSignOnly: aliSignOnly,
    // ali-oss's request path also signs x-oss-user-agent, which only it adds: it differs by design.
    headerAliRequestPath: aliPath,
    presignOurs: sig(oursUrl),
    presignAli: sig(aliUrl),
  };
}

const ASYNC = new Set(['aliHeaderRequestPath', 'aliPresign']);

/**
 * Runs `a` and `b` in alternating slices of `slice` ms for about `ms` ms in all; returns both
 * rates (ops/s). On a loaded machine both see the same load, so their ratio is far steadier than
 * the ratio of two separate runs.
 */
export async function runPair(a, b, ms, slice = 20) {
  const acc = { [a]: [0, 0], [b]: [0, 0] };
  let sink = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    for (const name of [a, b]) {
      const fn = contenders[name];
      const s = performance.now();
      let n = 0;
      let t = s;
      while (t - s < slice) {
        for (let i = 0; i < 8; i++) sink += (ASYNC.has(name) ? await fn() : fn()).length;
        n += 8;
        t = performance.now();
      }
      acc[name][0] += n;
      acc[name][1] += t - s;
    }
  }
  if (sink === 0) throw new Error('no output');
  return { a: (acc[a][0] * 1000) / acc[a][1], b: (acc[b][0] * 1000) / acc[b][1] };
}

/** Runs `name` repeatedly for about `ms` milliseconds; returns operations per second. */
export async function run(name, ms) {
  const fn = contenders[name];
  const isAsync = name === 'aliHeaderRequestPath' || name === 'aliPresign';
  let n = 0;
  let sink = 0;
  const t0 = performance.now();
  let t = t0;
  if (isAsync) {
    while (t - t0 < ms) {
      for (let i = 0; i < 16; i++) sink += (await fn()).length;
      n += 16;
      t = performance.now();
    }
  } else {
    while (t - t0 < ms) {
      for (let i = 0; i < 64; i++) sink += fn().length;
      n += 64;
      t = performance.now();
    }
  }
  if (sink === 0) throw new Error('no output');
  return (n * 1000) / (t - t0);
}
