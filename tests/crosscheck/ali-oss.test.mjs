// Cross-check of this library's signatures against the official SDKs (issue 2, "Proof").
//
//   node --test tests/crosscheck/
//
// Every case is signed three ways, all with the same fixed time and no network:
//   1. the official `ali-oss` npm SDK (ali_side.mjs: its own createRequest / signatureUrlV4 /
//      signPostObjectPolicyV4),
//   2. the official Python SDK `alibabacloud-oss-v2` (py_oracle.py, run with .venv/bin/python),
//   3. this library, loaded from the built npm package in pkg/.
// Where ali-oss agrees with alibabacloud-oss-v2, our value must equal both, byte for byte. Where
// ali-oss departs from the other official SDKs (oss-v4-signing.md §10: '' query value signed as
// `key=`, localeCompare query order, absent additional header throws, string policies
// re-serialised), the case is named so and our value must equal the majority's, computed by
// alibabacloud-oss-v2. A disagreement between ali-oss and alibabacloud-oss-v2 that is not one of
// those departures fails the case: it would mean the harness or the rules are wrong.
//
// Python v2 does not trim header values (§10; Go v2, PHP v2, Java and ali-oss do, and browsers
// send trimmed values), so it is handed the trimmed values, i.e. what goes on the wire.
//
// Keys starting with `/` or `\` (and the empty key) are not signed: OSS forbids such object names,
// so our library refuses them with code "InvalidArgument" and those cases assert the error.
//
// Cases: cases.mjs (hand-written, the official vectors, and seeded random ones; seed fixed,
// override with CROSSCHECK_SEED=<int> to explore). CROSSCHECK_SDKS_ONLY=1 checks the two SDKs
// against each other without pkg/.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { DEFAULT_SEED, generatedCases, isoBasic, namedCases, vectorCases } from './cases.mjs';
import { ALI_OSS_VERSION, aliHeader, aliPost, aliPresign } from './ali_side.mjs';

const ROOT = new URL('../../', import.meta.url);
const PYTHON = process.env.CROSSCHECK_PYTHON || fileURLToPath(new URL('.venv/bin/python', ROOT));
const ORACLE = fileURLToPath(new URL('py_oracle.py', import.meta.url));
const SEED = process.env.CROSSCHECK_SEED ? Number(process.env.CROSSCHECK_SEED) : DEFAULT_SEED;

// ---------------------------------------------------------------------------------------------
// Our library, from the npm package.

let lib = null;
let libError = null;
try {
  lib = await import(new URL('pkg/oss_direct_upload.js', ROOT));
  lib.initSync({ module: fs.readFileSync(new URL('pkg/oss_direct_upload_bg.wasm', ROOT)) });
} catch (e) {
  lib = null;
  libError = e;
}

// The signing-only package (`oss-direct-upload/sign`, pkg/sign/): every call below also runs
// through it, and its answers must equal the full package's, byte for byte (errors included).
let signLib = null;
let signLibError = null;
try {
  signLib = await import(new URL('pkg/sign/sign.js', ROOT));
  signLib.initSync({ module: fs.readFileSync(new URL('pkg/sign/sign_bg.wasm', ROOT)) });
} catch (e) {
  signLib = null;
  signLibError = e;
}

/** Runs `call(lib)` on our package (and on the signing-only package, kept in `signOnly`). */
function ours(call) {
  const run = (l) => {
    try {
      return { value: call(l) };
    } catch (e) {
      return { thrown: e };
    }
  };
  const r = run(lib);
  if (signLib) r.signOnly = run(signLib);
  return r;
}

// The `Signer` object: the same input split into what `new Signer(...)` takes once (location,
// credentials and, on every other call, the bucket) and what each call takes. Its answers,
// errors included, must equal the standalone functions' on every case, in both packages.
const SIGNER_FIXED = new Set(['region', 'endpoint', 'endpointType', 'cname', 'pathStyle', 'cloudBoxId', 'allowInsecureHttp', 'credentials']);
let signerCalls = 0;
/** `l.Signer` used as `l[fn](input)` would be: a new signer, one call, `free()`. */
function viaSigner(l, fn, input) {
  const bucketInSigner = signerCalls++ % 2 === 0;
  const opts = {};
  const call = {};
  if (input !== null && typeof input === 'object') {
    for (const [k, v] of Object.entries(input)) {
      (SIGNER_FIXED.has(k) || (k === 'bucket' && bucketInSigner) ? opts : call)[k] = v;
    }
  } else {
    // Not an object: the call itself is what is refused.
    Object.assign(opts, { region: 'cn-hangzhou', credentials: { accessKeyId: 'id', accessKeySecret: 'secret' } });
  }
  const signer = new l.Signer(opts);
  try {
    return signer[fn](typeof input === 'object' && input !== null ? call : input);
  } finally {
    signer.free();
  }
}
/** A stand-in for a package whose signRequest / presignUrl go through its Signer. */
const signerOf = (l) => l && ({
  ...l,
  signRequest: (input) => viaSigner(l, 'signRequest', input),
  presignUrl: (input) => viaSigner(l, 'presignUrl', input),
});
const signerLib = signerOf(lib);
const signerSignLib = signerOf(signLib);

/** `ours(call)`, also run through the Signer of both packages (kept in `signer`, `signerSignOnly`). */
function oursAndSigner(call) {
  const r = ours(call);
  const run = (l) => {
    try {
      return { value: call(l) };
    } catch (e) {
      return { thrown: e };
    }
  };
  r.signer = run(signerLib);
  if (signerSignLib) r.signerSignOnly = run(signerSignLib);
  return r;
}

/** A call's outcome as comparable JSON: the value, or the error's name, code, field and message. */
function outcome(r) {
  if (!r) return null;
  if ('thrown' in r) {
    const e = r.thrown;
    return { thrown: { name: e && e.name, code: e && e.code, field: e && e.field, message: e && e.message, retryable: e && e.retryable } };
  }
  return { value: JSON.parse(JSON.stringify(r.value)) };
}

const describeThrown = (e) => `${e && e.code ? `[${e.code}] ` : ''}${e && e.message ? e.message : String(e)}`;

// ---------------------------------------------------------------------------------------------
// Rules shared by the assertions.

const stdRegion = (r) => r.replace(/^oss-/, '');
/** RFC 3986 unreserved kept, everything else %XX (what every SDK uses for query names). */
const enc = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
const isDefaultSigned = (lk) => lk === 'content-type' || lk === 'content-md5' || lk.startsWith('x-oss-');
/** AdditionalHeaders as every SDK normalises it (lower-case, dedup, no default-signed names, sorted). */
const fixAdditional = (list) =>
  [...new Set((list || []).map((h) => h.toLowerCase()))].filter((h) => !isDefaultSigned(h)).sort();
const lowerKeys = (h) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
/** A header value as sent: a non-Latin-1 value may be sent as its UTF-8 bytes in a binary string. */
const sameWireValue = (got, want) =>
  got === want || Buffer.from(got, 'latin1').toString('utf8') === want;

/** The ways ali-oss departs from the other official SDKs on this case (oss-v4-signing.md §10). */
function aliDepartures(c) {
  const d = [];
  if (c.kind === 'header' || c.kind === 'presign') {
    const passedAsIs = c.kind === 'presign' || c.queryVia === 'query';
    if (passedAsIs && Object.values(c.query).some((v) => v === '')) d.push('empty-query-value');
    const names = Object.keys(c.query);
    if (c.kind === 'presign') {
      names.push('x-oss-credential', 'x-oss-date', 'x-oss-expires', 'x-oss-signature-version');
      if (c.credentials.securityToken) names.push('x-oss-security-token');
      if (fixAdditional(c.additionalHeaders).length) names.push('x-oss-additional-headers');
    }
    const aliOrder = [...names].sort((a, b) => a.localeCompare(b)).map(enc).join('&');
    const byteOrder = names.map(enc).sort().join('&');
    if (aliOrder !== byteOrder) d.push('locale-sort');
    const present = new Set(Object.keys(c.headers).map((k) => k.toLowerCase()));
    if (fixAdditional(c.additionalHeaders).some((h) => !present.has(h))) d.push('additional-header-absent');
  }
  if (c.kind === 'post' && typeof c.policy === 'string' && JSON.stringify(JSON.parse(c.policy)) !== c.policy) {
    d.push('string-policy-reserialised');
  }
  return d;
}

// ---------------------------------------------------------------------------------------------
// Build every case and sign it with ali-oss and with our library, then with Python in one batch.

const cases = [...vectorCases(), ...namedCases(), ...generatedCases(SEED)];
const SIGNED_BY_US_ONLY = new Set(['authorization', 'user-agent', 'x-oss-date', 'x-oss-content-sha256', 'x-oss-security-token']);

for (const c of cases) {
  c.departures = aliDepartures(c);
  if (c.name.startsWith('gen-') && c.departures.length) {
    c.name += ` [${c.departures.join(', ')}] (ali-oss departs: §10)`;
  }

  if (c.kind === 'header') {
    c.ali = await aliHeader(c);
    // The request ali-oss would send, less the headers the signer adds itself: that is what our
    // library and Python are given (ali-oss may have added a Content-Type from the extension).
    const sent = c.ali.headers
      ? Object.fromEntries(Object.entries(c.ali.headers).filter(([k]) => !SIGNED_BY_US_ONLY.has(k.toLowerCase())))
      : { ...c.headers };
    c.sentHeaders = sent;
    if (lib) {
      c.ours = oursAndSigner((l) => l.signRequest({
        method: c.method, bucket: c.bucket, key: c.key, region: c.region, headers: { ...sent },
        query: { ...c.query }, additionalHeaders: c.additionalHeaders, credentials: { ...c.credentials },
        signTime: c.signTime,
      }));
    }
  } else if (c.kind === 'presign') {
    c.ali = await aliPresign(c);
    if (lib) {
      c.ours = oursAndSigner((l) => l.presignUrl({
        method: c.method, bucket: c.bucket, key: c.key, region: c.region, headers: { ...c.headers },
        query: { ...c.query }, additionalHeaders: c.additionalHeaders, credentials: { ...c.credentials },
        signTime: c.signTime, expiresInSecs: c.expiresInSecs,
      }));
    }
  } else if (c.kind === 'post') {
    if (lib) {
      c.ours = ours((l) => l.signPostPolicy({
        policy: c.policy, region: c.region, bucket: c.bucket, credentials: { ...c.credentials }, signTime: c.signTime,
      }));
      if (c.ours.value) c.sentPolicyText = Buffer.from(c.ours.value.policy, 'base64').toString('utf8');
    }
    // What ali-oss signs: JSON.stringify(policy) or JSON.stringify(JSON.parse(text)).
    c.ali = aliPost(c, c.policy);
    c.aliText = typeof c.policy === 'string' ? JSON.stringify(JSON.parse(c.policy)) : JSON.stringify(c.policy);
    // The bytes that will be sent: ours when we have them, else the caller's text / JSON.stringify.
    c.textToSign = c.sentPolicyText ?? (typeof c.policy === 'string' ? c.policy : JSON.stringify(c.policy));
  } else if (c.kind === 'reject' && lib) {
    const input = {
      method: c.method, bucket: c.bucket, key: c.key, region: c.region, headers: {}, query: {},
      credentials: { ...c.credentials }, signTime: c.signTime, expiresInSecs: c.expiresInSecs,
    };
    c.ours = oursAndSigner((l) => (c.rejects === 'header' ? l.signRequest(input) : l.presignUrl(input)));
  }
}

function pyRequest(c) {
  const common = {
    region: stdRegion(c.region),
    accessKeyId: c.credentials.accessKeyId,
    accessKeySecret: c.credentials.accessKeySecret,
    securityToken: c.credentials.securityToken ?? null,
    signTimeUnix: Math.floor(c.signTime.getTime() / 1000),
  };
  if (c.kind === 'post') {
    return { kind: 'post', ...common, policyBase64: Buffer.from(c.textToSign, 'utf8').toString('base64') };
  }
  if (c.kind !== 'header' && c.kind !== 'presign') return { kind: 'none' };
  const headers = c.kind === 'header' ? c.sentHeaders : c.headers;
  return {
    kind: c.kind, ...common, method: c.method.toUpperCase(), bucket: c.bucket, key: c.key ?? null,
    headers: Object.entries(headers).map(([k, v]) => [k, String(v).trim()]),
    query: Object.entries(c.query),
    additionalHeaders: c.additionalHeaders ?? [],
    expires: c.expiresInSecs,
  };
}

let pyVersion = null;
let pyError = null;
{
  const reqs = cases.map(pyRequest).map((r) => (r.kind === 'none' ? { kind: 'post', region: 'x', accessKeySecret: 'x', signTimeUnix: 0, policyBase64: '' } : r));
  const ver = spawnSync(PYTHON, [ORACLE, '--version'], { encoding: 'utf8' });
  if (ver.status !== 0) {
    pyError = `cannot run the Python oracle (${PYTHON} ${ORACLE}): ${ver.error ? ver.error.message : ver.stderr}\n` +
      'run `npm run bootstrap` (it creates .venv from tests/conformance/requirements.txt, which pins alibabacloud-oss-v2)';
  } else {
    pyVersion = ver.stdout.trim();
    const run = spawnSync(PYTHON, [ORACLE], { input: JSON.stringify(reqs), encoding: 'utf8', maxBuffer: 64 << 20 });
    if (run.status !== 0) pyError = `py_oracle.py failed: ${run.stderr}`;
    else JSON.parse(run.stdout).forEach((res, i) => { cases[i].py = res; });
  }
}

// ---------------------------------------------------------------------------------------------
// Tallies for the summary line.

const tally = { header: 0, presign: 0, post: 0, reject: 0, aliDirect: 0, majority: 0, vectors: 0, failed: 0 };
const departureCounts = {};

// ---------------------------------------------------------------------------------------------
// Assertions.

test('Python oracle (alibabacloud-oss-v2) runs', () => {
  assert.equal(pyError, null, pyError ?? '');
});

test('our package loads from pkg/', { skip: process.env.CROSSCHECK_SDKS_ONLY === '1' && 'CROSSCHECK_SDKS_ONLY=1' }, () => {
  assert.equal(libError, null, `pkg/ is missing or broken (run \`npm run build\`): ${libError && libError.message}`);
});

test('the signing-only package (pkg/sign) answers every case exactly as the full package', { skip: !lib && 'pkg/ did not load' }, () => {
  assert.equal(signLibError, null, `pkg/sign/ is missing or broken (run \`npm run build\`): ${signLibError && signLibError.message}`);
  let compared = 0;
  for (const c of cases) {
    if (!c.ours) continue;
    assert.deepEqual(outcome(c.ours.signOnly), outcome(c.ours), `case '${c.name}'`);
    compared++;
  }
  // Rejections and the policy builder, which the SDK cases do not reach.
  const creds = { accessKeyId: 'STS.id', accessKeySecret: 'secret', securityToken: 'tok' };
  const signTime = new Date('2024-05-20T09:09:10Z');
  const base = { method: 'PUT', bucket: 'bkt', key: 'a/b.txt', region: 'cn-hangzhou', credentials: creds, signTime };
  const extra = [
    (l) => l.signRequest({ ...base, bucket: 'Bad_Bucket' }),
    (l) => l.signRequest({ ...base, region: 'cn hangzhou' }),
    (l) => l.signRequest({ ...base, headers: { 'x-oss-meta-a': 'x\r\ny' } }),
    (l) => l.signRequest({ ...base, headers: { 'bad name': 'x' } }),
    (l) => l.signRequest({ ...base, headers: { 'x-oss-meta-a': 5 } }),
    (l) => l.signRequest({ ...base, query: { 'x-oss-signature': 'x' } }),
    (l) => l.signRequest({ ...base, additionalHeaders: ['a b'] }),
    (l) => l.signRequest({ ...base, credentials: { accessKeyId: 'a' } }),
    (l) => l.signRequest({ ...base, credentials: undefined }),
    (l) => l.signRequest({ ...base, signTime: new Date(NaN) }),
    (l) => l.signRequest({ ...base, signTime: 1716196150000 }),
    (l) => l.signRequest({ ...base, endpoint: 'ftp://x' }),
    (l) => l.signRequest({ ...base, endpoint: 'http://oss.example.com' }),
    (l) => l.signRequest({ ...base, endpoint: 'http://oss.example.com', allowInsecureHttp: true }),
    (l) => l.presignUrl({ ...base, expiresInSecs: 60, endpoint: 'http://127.0.0.1:9000' }),
    (l) => l.buildPostPolicy({ bucket: 'bkt', region: 'cn-hangzhou', credentials: creds, signTime, expiresInSecs: 600, contentTypes: ['nope'] }),
    (l) => l.signRequest({ ...base, endpoint: 'http://localhost:9000', additionalHeaders: ['host'] }),
    (l) => l.signRequest({ ...base, endpointType: 'internal', headers: { 'x-oss-meta-名': 'v' } }),
    (l) => l.signRequest({ ...base, headers: { 'x-oss-meta-a': '中文 ' } }),
    (l) => l.signRequest({ ...base, cloudBoxId: 'cb-123', endpoint: 'cb-123.cn-hangzhou.oss-cloudbox.aliyuncs.com' }),
    (l) => l.signRequest('nope'),
    (l) => l.signRequest(() => 1),
    (l) => l.presignUrl({ ...base, expiresInSecs: 0 }),
    (l) => l.presignUrl({ ...base, expiresInSecs: 604801 }),
    (l) => l.presignUrl({ ...base, expiresInSecs: 1.5 }),
    (l) => l.presignUrl({ ...base }),
    (l) => l.presignUrl({ ...base, expiresInSecs: 60, query: { uploads: null, n: 1, 'x-oss-date': 'x' } }),
    (l) => l.presignUrl({ ...base, expiresInSecs: 60, pathStyle: true, query: { uploads: null, n: 1 } }),
    (l) => l.signPostPolicy({ policy: 5, region: 'cn-hangzhou', credentials: creds, signTime }),
    (l) => l.signPostPolicy({ policy: ' ', region: 'cn-hangzhou', credentials: creds, signTime }),
    (l) => l.signPostPolicy({ policy: { conditions: [] }, region: 'cn-hangzhou', bucket: 'B', credentials: creds, signTime }),
    (l) => l.buildPostPolicy({ bucket: 'bkt', region: 'cn-hangzhou', credentials: creds, signTime, expiresInSecs: 600,
      keyPrefix: 'u/"x"/', minBytes: 1, maxBytes: 10, contentTypes: ['image/png', 'image/jpeg'], successActionStatus: 201,
      conditions: [{ 'x-oss-object-acl': 'private' }] }),
    (l) => l.buildPostPolicy({ bucket: 'bkt', region: 'cn-hangzhou', credentials: creds, signTime, expiresInSecs: 600, key: 'k', contentTypes: ['text/plain'] }),
    (l) => l.buildPostPolicy({ bucket: 'bkt', region: 'cn-hangzhou', credentials: creds, signTime, expiresInSecs: 600, key: 'k', keyPrefix: 'p' }),
    (l) => l.buildPostPolicy({ bucket: 'bkt', region: 'cn-hangzhou', credentials: creds, signTime, expiresInSecs: 600, minBytes: 9, maxBytes: 1 }),
    (l) => l.buildPostPolicy({ bucket: 'bkt', region: 'cn-hangzhou', credentials: creds, signTime, expiresInSecs: 600, successActionStatus: 302 }),
    (l) => l.buildPostPolicy({ bucket: 'bkt', region: 'cn-hangzhou', credentials: creds, signTime, expiresInSecs: 600, conditions: 'x' }),
  ];
  for (const [i, call] of extra.entries()) {
    assert.deepEqual(outcome(ours(call).signOnly), outcome(ours(call)), `extra input ${i}: ${call}`);
    compared++;
  }
  console.log(`signing-only package: ${compared} calls answered exactly as the full package`);
});

test('the Signer answers every case exactly as signRequest / presignUrl (both packages)', { skip: !lib && 'pkg/ did not load' }, () => {
  assert.equal(typeof lib.Signer, 'function', 'the full package exports Signer');
  assert.equal(typeof (signLib && signLib.Signer), 'function', 'the signing-only package exports Signer');
  let compared = 0;
  let values = 0;
  for (const c of cases) {
    if (!c.ours || !c.ours.signer) continue;
    const want = outcome(c.ours);
    assert.deepEqual(outcome(c.ours.signer), want, `case '${c.name}' (Signer, full package)`);
    assert.deepEqual(outcome(c.ours.signerSignOnly), want, `case '${c.name}' (Signer, signing-only package)`);
    if ('value' in want) values++;
    compared++;
  }
  assert.ok(compared >= 100 && values >= 80, `only ${compared} cases (${values} signed) went through the Signer`);
  // Rejections, endpoints and options the SDK cases do not reach (the same list as above).
  const creds = { accessKeyId: 'STS.id', accessKeySecret: 'secret', securityToken: 'tok' };
  const signTime = new Date('2024-05-20T09:09:10Z');
  const base = { method: 'PUT', bucket: 'bkt', key: 'a/b.txt', region: 'cn-hangzhou', credentials: creds, signTime };
  const extra = [
    { ...base, bucket: 'Bad_Bucket' },
    { ...base, bucket: undefined },
    { ...base, method: 'P UT' },
    { ...base, key: '/abs' },
    { ...base, key: 'k'.repeat(1024) },
    { ...base, region: 'cn hangzhou' },
    { ...base, region: 'oss-cn-shanghai' },
    { ...base, headers: { 'x-oss-meta-a': 'x\r\ny' } },
    { ...base, headers: { 'bad name': 'x' } },
    { ...base, headers: { 'x-oss-meta-a': 5 } },
    { ...base, headers: 'x' },
    { ...base, headers: { Authorization: 'x' } },
    { ...base, query: { 'x-oss-signature': 'x' } },
    { ...base, query: { a: 1, b: null, c: '' } },
    { ...base, additionalHeaders: ['a b'] },
    { ...base, additionalHeaders: ['host', 'Cache-Control'], headers: { 'cache-control': 'no-cache' } },
    { ...base, credentials: { accessKeyId: 'a' } },
    { ...base, credentials: { accessKeyId: 'a', accessKeySecret: 's', stsToken: 'legacy-alias' } },
    { ...base, credentials: { accessKeyId: ' ', accessKeySecret: 's' } },
    { ...base, credentials: undefined },
    { ...base, credentials: 'x' },
    { ...base, signTime: new Date(NaN) },
    { ...base, signTime: 1716196150000 },
    { ...base, signTime: 'yesterday' },
    { ...base, endpoint: 'ftp://x' },
    { ...base, endpoint: 'http://oss.example.com' },
    { ...base, endpoint: 'http://oss.example.com', allowInsecureHttp: true },
    { ...base, endpoint: 'http://127.0.0.1:9000' },
    { ...base, endpoint: 'http://localhost:9000', additionalHeaders: ['host'] },
    { ...base, endpoint: 'https://cdn.example.com', cname: true },
    { ...base, pathStyle: true, key: undefined },
    { ...base, endpointType: 'internal', headers: { 'x-oss-meta-名': 'v' } },
    { ...base, endpointType: 'accelerate' },
    { ...base, endpointType: 'nope' },
    { ...base, headers: { 'x-oss-meta-a': '中文 ' } },
    { ...base, cloudBoxId: 'cb-123', endpoint: 'cb-123.cn-hangzhou.oss-cloudbox.aliyuncs.com' },
    'nope',
    () => 1,
  ];
  // One bad field per call: with two, the Signer names the one it checks at creation first.
  const valid = (input) => !('thrown' in outcome(ours((l) => l.presignUrl({ ...input, expiresInSecs: 60 }))));
  for (const [i, input] of extra.entries()) {
    for (const fn of ['signRequest', 'presignUrl']) {
      const expiries = fn !== 'presignUrl' ? [undefined] : typeof input === 'object' && valid(input) ? [60, 0, 604801, 1.5, undefined] : [60];
      for (const expiresInSecs of expiries) {
        const withExpiry = typeof input === 'object' && expiresInSecs !== undefined ? { ...input, expiresInSecs } : input;
        const r = oursAndSigner((l) => l[fn](withExpiry));
        const want = outcome(r);
        assert.deepEqual(outcome(r.signer), want, `extra input ${i} (${fn}, Signer): ${JSON.stringify(withExpiry)}`);
        assert.deepEqual(outcome(r.signerSignOnly), want, `extra input ${i} (${fn}, Signer, signing-only)`);
        compared++;
      }
    }
  }
  console.log(`Signer: ${compared} calls answered exactly as the standalone functions, in both packages`);
});

test('a Signer is reused: many calls, setCredentials, fixed fields refused, free', { skip: !lib && 'pkg/ did not load' }, () => {
  const signTime = new Date('2024-05-20T09:09:10Z');
  const a = { accessKeyId: 'STS.a', accessKeySecret: 'secret-a', securityToken: 'token-a' };
  const b = { accessKeyId: 'LTAI.b', accessKeySecret: 'secret-b' };
  for (const l of [lib, signLib]) {
    const s = new l.Signer({ region: 'oss-cn-hangzhou', bucket: 'bkt', credentials: a });
    try {
      // Interleaved calls (the signer's key cache is hit) equal fresh standalone calls.
      for (let i = 0; i < 3; i++) {
        for (const call of [
          { method: 'PUT', key: `k${i}`, headers: { 'Content-Type': 'text/plain' }, signTime },
          { method: 'GET', bucket: 'other-bucket', key: `k${i}`, query: { 'x-oss-process': 'image/resize,w_100' }, signTime },
        ]) {
          const want = l.signRequest({ region: 'oss-cn-hangzhou', bucket: 'bkt', credentials: a, ...call });
          assert.deepEqual(s.signRequest(call), want);
          const wantUrl = l.presignUrl({ region: 'oss-cn-hangzhou', bucket: 'bkt', credentials: a, ...call, expiresInSecs: 900 });
          assert.deepEqual(s.presignUrl({ ...call, expiresInSecs: 900 }), wantUrl);
        }
      }
      // STS rotation: same object, new credentials, the answers follow them.
      s.setCredentials(b);
      const call = { method: 'PUT', key: 'k', signTime };
      const got = s.signRequest(call);
      assert.deepEqual(got, l.signRequest({ region: 'cn-hangzhou', bucket: 'bkt', credentials: b, ...call }));
      assert.ok(!('x-oss-security-token' in got.headers));
      assert.match(got.headers.authorization, /Credential=LTAI\.b\//);
      // Bad credentials are refused and the signer keeps the ones it had.
      assert.throws(() => s.setCredentials({ accessKeyId: 'x' }), (e) => e.code === 'InvalidArgument' && e.field === 'credentials.accessKeySecret');
      assert.throws(() => s.setCredentials(null), (e) => e.code === 'InvalidArgument' && e.field === 'credentials');
      assert.throws(() => s.setCredentials('x'), (e) => e.code === 'InvalidArgument' && e.field === 'credentials');
      assert.deepEqual(s.signRequest(call), got);
      // Fields fixed at creation are refused per call, never silently ignored.
      for (const f of ['credentials', 'region', 'endpoint', 'cname', 'pathStyle', 'allowInsecureHttp']) {
        assert.throws(() => s.signRequest({ ...call, [f]: a }), (e) => e.code === 'InvalidArgument' && e.field === f, f);
      }
      // No secret in errors.
      try {
        s.presignUrl({ ...call, expiresInSecs: 0 });
        assert.fail('expected a throw');
      } catch (e) {
        assert.equal(e.field, 'expiresInSecs');
        assert.ok(!String(e.message).includes('secret-b'));
      }
    } finally {
      s.free();
    }
    assert.throws(() => s.signRequest({ method: 'GET', key: 'k', signTime }), 'a freed signer cannot sign');
  }
});

test('the cases cover every input class the issue names', () => {
  const compared = cases.filter((c) => c.kind === 'header' || c.kind === 'presign');
  const keys = compared.map((c) => c.key ?? '');
  const heads = compared.flatMap((c) => Object.entries(c.headers));
  const has = {
    'key: CJK': keys.some((k) => /[\u4e00-\u9fff]/u.test(k)),
    'key: emoji': keys.some((k) => /\p{Extended_Pictographic}/u.test(k)),
    'key: space': keys.some((k) => k.includes(' ')),
    'key: +': keys.some((k) => k.includes('+')),
    'key: %': keys.some((k) => k.includes('%')),
    'key: ~': keys.some((k) => k.includes('~')),
    'key: *': keys.some((k) => k.includes('*')),
    "key: '": keys.some((k) => k.includes("'")),
    'key: //': keys.some((k) => k.includes('//')),
    'key: trailing /': keys.some((k) => k.endsWith('/')),
    'key: leading / (rejected)': cases.some((c) => c.kind === 'reject' && c.key.startsWith('/')),
    'query: empty value': compared.some((c) => Object.values(c.query).includes('')),
    'query: null value': compared.some((c) => Object.values(c.query).includes(null)),
    'header: mixed-case name': heads.some(([k]) => k !== k.toLowerCase() && k !== 'Content-Type'),
    'header: surrounding spaces': heads.some(([, v]) => v !== v.trim()),
    'header: x-oss-meta-*': heads.some(([k]) => /^x-oss-meta-/i.test(k)),
    'header: Content-MD5': heads.some(([k]) => /^content-md5$/i.test(k)),
    'with security token': compared.some((c) => c.credentials.securityToken),
    'without security token': compared.some((c) => !c.credentials.securityToken),
    'additional headers': compared.some((c) => fixAdditional(c.additionalHeaders).length > 0),
    'post policy with and without token': cases.some((c) => c.kind === 'post' && c.credentials.securityToken) &&
      cases.some((c) => c.kind === 'post' && !c.credentials.securityToken),
  };
  const missing = Object.entries(has).filter(([, ok]) => !ok).map(([k]) => k);
  assert.deepEqual(missing, []);
  const generated = cases.filter((c) => c.name.startsWith('gen-')).length;
  assert.ok(generated >= 40, `only ${generated} generated cases`);
});

test('named departures are exactly the cases ali-oss departs on', () => {
  for (const c of cases) {
    if (c.name.startsWith('gen-')) continue;
    assert.equal(c.name.includes('ali-oss departs'), c.departures.length > 0,
      `${c.name}: detected departures ${JSON.stringify(c.departures)}`);
  }
});

/**
 * Decides the value our library must produce. `aliValue` and `pyValue` are the two SDKs' values
 * (or undefined if one threw); returns the expected value and records which oracle it came from.
 */
function expectedValue(c, aliValue, pyValue, what) {
  assert.ok(pyValue !== undefined, `alibabacloud-oss-v2 gave no ${what}: ${JSON.stringify(c.py)}`);
  if (c.departures.length === 0) {
    assert.equal(aliValue, pyValue,
      `ali-oss and alibabacloud-oss-v2 disagree on ${what} in a case that is not a §10 departure` +
      (c.ali && c.ali.error ? ` (ali-oss threw: ${c.ali.error})` : ''));
    return { value: aliValue, from: 'ali-oss = alibabacloud-oss-v2' };
  }
  // The departure must be real, or the case is misnamed.
  assert.notEqual(aliValue, pyValue, `${c.departures.join(', ')} predicted, but ali-oss agrees with the majority`);
  return { value: pyValue, from: 'majority (alibabacloud-oss-v2); ali-oss departs' };
}

function checkHeader(c) {
  const exp = expectedValue(c, c.ali.authorization, c.py.authorization, 'Authorization');
  if (c.expected && c.expected.authorization) assert.equal(exp.value, c.expected.authorization, 'official vector');
  const r = c.ours;
  if (r.thrown && c.departures.includes('additional-header-absent') && r.thrown.code === 'InvalidArgument') {
    return exp; // refusing early is allowed (§10 "drop (or fail early)")
  }
  assert.ok(!r.thrown, `our signRequest threw ${describeThrown(r.thrown)}`);
  const h = r.value.headers;
  assert.equal(h.authorization, exp.value, `Authorization (expected from ${exp.from})`);
  assert.equal(h['x-oss-date'], isoBasic(c.signTime), 'x-oss-date');
  assert.equal(h['x-oss-content-sha256'], 'UNSIGNED-PAYLOAD', 'x-oss-content-sha256');
  assert.equal(h['x-oss-security-token'], c.credentials.securityToken, 'x-oss-security-token');
  // Every signed header ali-oss would send, we send with the same (trimmed) value; no others.
  const mine = lowerKeys(h);
  const theirs = lowerKeys(c.ali.headers || c.sentHeaders);
  for (const [k, v] of Object.entries(theirs)) {
    if (!isDefaultSigned(k) || k === 'x-oss-date') continue;
    assert.ok(k in mine, `we don't send signed header ${k}`);
    assert.ok(sameWireValue(String(mine[k]).trim(), String(v).trim()), `header ${k}: ${JSON.stringify(mine[k])} vs ${JSON.stringify(v)}`);
  }
  for (const k of Object.keys(mine)) {
    if (isDefaultSigned(k) && !SIGNED_BY_US_ONLY.has(k)) assert.ok(k in theirs, `we send an extra signed header ${k}`);
  }
  return exp;
}

function checkPresign(c) {
  const aliSig = c.ali.params ? c.ali.params.get('x-oss-signature') : undefined;
  const exp = expectedValue(c, aliSig, c.py.signature, 'x-oss-signature');
  if (c.expected && c.expected['x-oss-signature']) assert.equal(exp.value, c.expected['x-oss-signature'], 'official vector');
  const r = c.ours;
  if (r.thrown && c.departures.includes('additional-header-absent') && r.thrown.code === 'InvalidArgument') return exp;
  assert.ok(!r.thrown, `our presignUrl threw ${describeThrown(r.thrown)}`);
  const u = new URL(r.value.url);
  const q = u.searchParams;
  assert.equal(q.get('x-oss-signature'), exp.value, `x-oss-signature (expected from ${exp.from})`);
  const date = isoBasic(c.signTime);
  const additional = fixAdditional(c.additionalHeaders)
    .filter((h) => Object.keys(c.headers).some((k) => k.toLowerCase() === h));
  const want = {
    'x-oss-signature-version': 'OSS4-HMAC-SHA256',
    'x-oss-credential': `${c.credentials.accessKeyId}/${date.slice(0, 8)}/${stdRegion(c.region)}/oss/aliyun_v4_request`,
    'x-oss-date': date,
    'x-oss-expires': String(c.expiresInSecs),
    'x-oss-security-token': c.credentials.securityToken ?? null,
    'x-oss-additional-headers': additional.length ? additional.join(';') : null,
  };
  for (const [k, v] of Object.entries(want)) {
    assert.equal(q.get(k), v, `query ${k}`);
    if (c.ali.params) assert.equal(c.ali.params.get(k), v, `ali-oss query ${k} (harness check)`);
  }
  for (const [k, v] of Object.entries(c.query)) assert.equal(q.get(k), v ?? '', `caller query ${k}`);
  assert.equal(u.host, `${c.bucket}.oss-${stdRegion(c.region)}.aliyuncs.com`, 'host');
  assert.equal(decodeURIComponent(u.pathname), `/${c.key ?? ''}`, 'path');
  assert.equal(r.value.expiresAt.getTime(), c.signTime.getTime() + c.expiresInSecs * 1000, 'expiresAt');
  // The headers the URL's user must send: every signed header of the request, same value.
  const mine = lowerKeys(r.value.headers);
  for (const [k, v] of Object.entries(lowerKeys(c.headers))) {
    if (!isDefaultSigned(k)) continue;
    assert.ok(k in mine, `headers to send lacks ${k}`);
    assert.ok(sameWireValue(String(mine[k]).trim(), String(v).trim()), `header ${k}: ${JSON.stringify(mine[k])} vs ${JSON.stringify(v)}`);
  }
  return exp;
}

function checkPost(c) {
  const r = c.ours;
  assert.ok(!r.thrown, `our signPostPolicy threw ${describeThrown(r.thrown)}`);
  const out = r.value;
  if (typeof c.policy === 'string') {
    assert.equal(c.sentPolicyText, c.policy, 'a string policy is signed and sent exactly as given');
  } else {
    assert.deepEqual(JSON.parse(c.sentPolicyText), c.policy, 'an object policy is sent as that object');
  }
  // ali-oss signs policy2Str(policy); it is a valid oracle when that is the text we send.
  let exp;
  if (c.aliText === c.sentPolicyText) {
    exp = expectedValue(c, c.ali.signature, c.py.signature, 'post signature');
  } else {
    // Pretty string policy (ali-oss departs), or an object we serialise differently from
    // JSON.stringify (key order): the expected value is the signature of the bytes we send.
    exp = { value: c.py.signature, from: 'alibabacloud-oss-v2 over the exact bytes sent' };
    if (c.departures.length === 0) {
      // Not a departure: ali-oss must still agree when handed our exact (compact) text.
      const again = aliPost(c, c.sentPolicyText);
      if (JSON.stringify(JSON.parse(c.sentPolicyText)) === c.sentPolicyText) assert.equal(again.signature, exp.value);
    } else {
      assert.notEqual(c.ali.signature, c.py.signature, 'departure predicted but ali-oss agrees');
    }
  }
  assert.equal(out.signature, exp.value, `signature (expected from ${exp.from})`);
  const date = isoBasic(c.signTime);
  const f = out.fields;
  assert.equal(f.policy, out.policy, 'fields.policy');
  assert.equal(f['x-oss-signature'], out.signature, 'fields.x-oss-signature');
  assert.equal(f['x-oss-signature-version'], 'OSS4-HMAC-SHA256');
  assert.equal(f['x-oss-credential'], `${c.credentials.accessKeyId}/${date.slice(0, 8)}/${stdRegion(c.region)}/oss/aliyun_v4_request`);
  assert.equal(f['x-oss-date'], date);
  assert.equal(f['x-oss-security-token'], c.credentials.securityToken);
  return exp;
}

for (const c of cases) {
  test(`case '${c.name}'`, { skip: !lib && c.kind === 'reject' ? 'pkg/ did not load' : false }, () => {
    tally[c.kind]++;
    if (c.name.startsWith('vector:')) tally.vectors++;
    for (const d of c.departures) departureCounts[d] = (departureCounts[d] || 0) + 1;
    try {
      if (c.kind === 'reject') {
        assert.ok(c.ours.thrown, `expected InvalidArgument for key ${JSON.stringify(c.key)}, got ${JSON.stringify(c.ours.value)}`);
        assert.equal(c.ours.thrown.code, 'InvalidArgument', describeThrown(c.ours.thrown));
        return;
      }
      assert.ok(c.py && !c.py.error, `alibabacloud-oss-v2: ${c.py && c.py.error}`);
      if (!lib) {
        // Without pkg/, still prove the two SDKs agree (or depart exactly where predicted).
        let exp = { from: 'majority' };
        if (c.kind === 'header') exp = expectedValue(c, c.ali.authorization, c.py.authorization, 'Authorization');
        if (c.kind === 'presign') exp = expectedValue(c, c.ali.params && c.ali.params.get('x-oss-signature'), c.py.signature, 'x-oss-signature');
        if (c.kind === 'post' && c.aliText === c.textToSign) exp = expectedValue(c, c.ali.signature, c.py.signature, 'post signature');
        if (exp.from.startsWith('ali-oss')) tally.aliDirect++;
        else tally.majority++;
        // CROSSCHECK_SDKS_ONLY=1: check the harness (the two SDKs) alone, e.g. while pkg/ is rebuilt.
        if (process.env.CROSSCHECK_SDKS_ONLY === '1') return;
        assert.fail("pkg/ did not load (see test 'our package loads from pkg/'): our library was not compared");
      }
      const exp = c.kind === 'header' ? checkHeader(c) : c.kind === 'presign' ? checkPresign(c) : checkPost(c);
      if (exp.from.startsWith('ali-oss')) tally.aliDirect++;
      else tally.majority++;
    } catch (e) {
      tally.failed++;
      throw e;
    }
  });
}

after(() => {
  const deps = Object.entries(departureCounts).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
  const what = lib ? 'cases compared' : 'cases, SDKs only (pkg/ did not load: our library NOT compared)';
  const line = `crosscheck: ${tally.header + tally.presign + tally.post + tally.reject} ${what} ` +
    `(${tally.header} Authorization, ${tally.presign} presigned URL, ${tally.post} post policy, ` +
    `${tally.reject} rejected keys; ${tally.vectors} official vectors; seed ${SEED}); ` +
    `equal to ali-oss ${ALI_OSS_VERSION} and alibabacloud-oss-v2 ${pyVersion}: ${tally.aliDirect}; ` +
    `equal to the majority where ali-oss departs (${deps}): ${tally.majority}; failed: ${tally.failed}`;
  console.log(line);
});
