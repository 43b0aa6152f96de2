// The fast lane of `signRequest` / `presignUrl` and of the `Signer` (src/web/fast.js,
// src/web/fast.rs) against the checking lane (the "general path").
//
//   node --test tests/crosscheck/signer-fast-lane.test.mjs
//
// A plain call object is packed in JS and read without JSON; anything unusual goes through
// `JSON.stringify` and a type check of each field in JS (the general path) into the same packed
// string. Each input below is signed twice: as given (plain
// object: the fast lane when it qualifies) and as a copy whose prototype is null (never the fast
// lane). Both must give the same answer or the same error, in both packages.
// Counting `JSON.stringify` calls tells which lane ran, so the test knows the fast lane was
// exercised (and that unusual input really left it).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';

const ROOT = new URL('../../', import.meta.url);

async function load(js, wasm) {
  try {
    const m = await import(new URL(js, ROOT));
    m.initSync({ module: fs.readFileSync(new URL(wasm, ROOT)) });
    return m;
  } catch {
    return null;
  }
}
const full = await load('pkg/oss_direct_upload.js', 'pkg/oss_direct_upload_bg.wasm');
const sign = await load('pkg/sign/sign.js', 'pkg/sign/sign_bg.wasm');

const TOKEN = `CAIS${'8w1q6Ft5B2yfSjIr5bEfvH/3OxGx46qSB7Lo2Y+Q/ls2p'.repeat(4)}==`;
const OPTIONS = {
  region: 'cn-hangzhou',
  bucket: 'examplebucket',
  credentials: { accessKeyId: 'STS.example', accessKeySecret: 'secret-example', securityToken: TOKEN },
};
const T = new Date('2024-05-20T09:09:10.987Z');

/** [name, input, fast]: `fast` says whether the fast lane must take the plain input. */
const CASES = [
  ['PUT with headers', { method: 'PUT', key: 'a/b.txt', headers: { 'Content-Type': 'text/plain', 'x-oss-meta-a': ' b ' }, signTime: T }, true],
  ['CJK key, odd characters', { method: 'put', key: "报告 (1)+%~*'//x/", signTime: T }, true],
  ['bucket-level, no key', { method: 'GET', query: { uploads: null }, signTime: T }, true],
  ['another bucket', { method: 'GET', bucket: 'other-bucket', key: 'k', signTime: T }, true],
  ['query values: null, empty, text, undefined', { method: 'GET', key: 'k', query: { a: null, b: '', c: 'x y', d: undefined }, signTime: T }, true],
  ['header null and undefined are skipped', { method: 'PUT', key: 'k', headers: { 'x-oss-meta-a': null, 'x-oss-meta-b': undefined, 'x-oss-meta-c': 'c' }, signTime: T }, true],
  ['additional headers', { method: 'PUT', key: 'k', headers: { Host: 'examplebucket.oss-cn-hangzhou.aliyuncs.com', 'Cache-Control': 'no-cache' }, additionalHeaders: ['host', 'cache-control', 'absent'], signTime: T }, true],
  ['non-ASCII meta value (sent as bytes)', { method: 'PUT', key: 'k', headers: { 'x-oss-meta-name': 'café 雪' }, signTime: T }, true],
  ['a header called __proto__', { method: 'PUT', key: 'k', headers: { ['__proto__']: 'x' }, additionalHeaders: ['__proto__'], signTime: T }, true],
  ['signTime as milliseconds', { method: 'PUT', key: 'k', signTime: T.getTime() }, true],
  ['signTime null means now (compared to the second)', { method: 'PUT', key: 'k', signTime: null }, true],
  ['signTime 0', { method: 'PUT', key: 'k', signTime: 0 }, true],
  // Errors the fast lane reports itself (from the same checks, in the same order).
  ['bad method', { method: 'P UT', key: 'k', signTime: T }, true],
  ['empty key', { method: 'PUT', key: '', signTime: T }, true],
  ['key starting with /', { method: 'PUT', key: '/k', signTime: T }, true],
  ['bad bucket', { method: 'PUT', bucket: 'Bad_Bucket', key: 'k', signTime: T }, true],
  ['header with CR', { method: 'PUT', key: 'k', headers: { 'x-oss-meta-a': 'a\rb' }, signTime: T }, true],
  ['bad header name', { method: 'PUT', key: 'k', headers: { 'bad name': 'x' }, signTime: T }, true],
  ['header set by the signer', { method: 'PUT', key: 'k', headers: { 'x-oss-date': 'x' }, signTime: T }, true],
  ['duplicate header', { method: 'PUT', key: 'k', headers: { 'X-Oss-Meta-A': '1', 'x-oss-meta-a': '2' }, signTime: T }, true],
  ['empty query name', { method: 'GET', key: 'k', query: { '': 'x' }, signTime: T }, true],
  ['bad additional header', { method: 'PUT', key: 'k', additionalHeaders: ['bad name'], signTime: T }, true],
  ['host differing', { method: 'PUT', key: 'k', headers: { host: 'evil.example' }, signTime: T }, true],
  // Input the fast lane leaves to the general path.
  ['method missing', { key: 'k', signTime: T }, false],
  ['method not a string', { method: 1, key: 'k', signTime: T }, false],
  ['key not a string', { method: 'PUT', key: 7, signTime: T }, false],
  ['NUL in the key', { method: 'PUT', key: 'a\0b', signTime: T }, false],
  ['NUL in a header value', { method: 'PUT', key: 'k', headers: { 'x-oss-meta-a': 'a\0b' }, signTime: T }, false],
  ['NUL in a query name', { method: 'GET', key: 'k', query: { 'a\0': 'b' }, signTime: T }, false],
  ['number header value', { method: 'PUT', key: 'k', headers: { 'x-oss-meta-a': 1 }, signTime: T }, false],
  ['number query value', { method: 'GET', key: 'k', query: { 'max-keys': 10 }, signTime: T }, false],
  ['headers not an object', { method: 'PUT', key: 'k', headers: 'x', signTime: T }, false],
  ['headers an array', { method: 'PUT', key: 'k', headers: ['x'], signTime: T }, false],
  ['additionalHeaders not an array', { method: 'PUT', key: 'k', additionalHeaders: 'host', signTime: T }, false],
  ['additionalHeaders with a number', { method: 'PUT', key: 'k', additionalHeaders: [1], signTime: T }, false],
  ['invalid Date', { method: 'PUT', key: 'k', signTime: new Date(NaN) }, false],
  ['Date before 1970', { method: 'PUT', key: 'k', signTime: new Date(-1000) }, false],
  ['Date after 9999', { method: 'PUT', key: 'k', signTime: new Date('+010000-01-01T00:00:00Z') }, false],
  ['fractional milliseconds', { method: 'PUT', key: 'k', signTime: 1.5 }, false],
  ['signTime a string', { method: 'PUT', key: 'k', signTime: '2024-05-20T09:09:10Z' }, false],
  ['a field fixed by the Signer', { method: 'PUT', key: 'k', region: 'cn-beijing', signTime: T }, false],
  ['credentials in a call', { method: 'PUT', key: 'k', credentials: OPTIONS.credentials, signTime: T }, false],
  ['a toJSON member', { method: 'PUT', key: 'k', signTime: T, toJSON() { return { method: 'GET', key: 'other' }; } }, false],
];

/** expiresInSecs cases (presignUrl only). */
const PRESIGN = [
  ['900 s', 900, true],
  ['1 s', 1, true],
  ['604800 s', 604800, true],
  ['0 s', 0, false],
  ['604801 s', 604801, false],
  ['1.5 s', 1.5, false],
  ['a string', '900', false],
  ['missing', undefined, false],
];

/** The same data with a null prototype (and null-prototype maps): the general path only. */
function general(input) {
  const o = Object.create(null);
  for (const [k, v] of Object.entries(input)) {
    o[k] = v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date) ? Object.assign(Object.create(null), v) : v;
  }
  if (typeof input.toJSON === 'function') o.toJSON = input.toJSON;
  return o;
}

function outcome(fn) {
  try {
    const r = fn();
    return { ok: { url: r.url, headers: { ...r.headers }, expiresAt: r.expiresAt && r.expiresAt.getTime() } };
  } catch (e) {
    return { err: { code: e.code, field: e.field, message: e.message, name: e.name } };
  }
}

/** Runs `fn` and counts JSON.stringify calls (the general path makes one). */
function counting(fn) {
  const real = JSON.stringify;
  let n = 0;
  JSON.stringify = function (...a) {
    n++;
    return real.apply(this, a);
  };
  try {
    return { result: outcome(fn), stringified: n };
  } finally {
    JSON.stringify = real;
  }
}

/** signTime null means now: both lanes read the clock, so compare with x-oss-date blanked. */
function settle(o, name) {
  if (!name.startsWith('signTime null') || !o.ok) return o;
  const strip = (s) => s.replace(/\d{8}T\d{6}Z/g, 'DATE').replace(/\d{8}\//g, 'DAY/').replace(/(Signature|signature)=[0-9a-f]{64}/g, '$1=SIG');
  return { ok: { url: strip(o.ok.url), headers: Object.fromEntries(Object.entries(o.ok.headers).map(([k, v]) => [k, strip(v)])) } };
}

/**
 * `check(name, call, input, wantFast)` runs `run(call, input)` on the input as given and on its
 * null-prototype copy, and requires: the copy took the general path, the input took the fast lane
 * exactly when `wantFast`, and both answered alike. `tally` counts fast-lane calls and successes.
 */
function laneChecker(run) {
  const tally = { fast: 0, signed: 0 };
  const check = (name, call, input, wantFast) => {
    const a = counting(() => run(call, input));
    const b = counting(() => run(call, general(input)));
    assert.equal(b.stringified, 1, `${name}: the null-prototype copy went the general path`);
    assert.equal(a.stringified === 0, wantFast, `${name}: fast lane ${wantFast ? 'expected' : 'not expected'} (JSON.stringify calls: ${a.stringified})`);
    assert.deepEqual(settle(a.result, name), settle(b.result, name), `${name} (${call})`);
    if (a.stringified === 0) tally.fast++;
    if (a.result.ok) tally.signed++;
  };
  return { check, tally };
}

for (const [label, lib] of [['full package', full], ['signing-only package', sign]]) {
  test(`Signer fast lane = general path (${label})`, { skip: !lib && 'pkg/ is not built' }, () => {
    const signer = new lib.Signer(OPTIONS);
    const { check, tally } = laneChecker((call, input) => signer[call](input));
    for (const [name, input, fast] of CASES) {
      check(name, 'signRequest', input, fast);
      for (const [pname, secs, pfast] of PRESIGN) {
        check(`${name}, expires ${pname}`, 'presignUrl', { ...input, expiresInSecs: secs }, fast && pfast);
      }
    }
    assert.ok(tally.fast >= 60 && tally.signed >= 40, `fast lane taken ${tally.fast} times, ${tally.signed} signed`);
    signer.free();
  });
}

/** Location and credential cases of the standalone functions (each merged over STANDALONE). */
const STANDALONE = { region: 'cn-hangzhou', bucket: 'examplebucket', credentials: OPTIONS.credentials };
const LOCATIONS = [
  ['defaults', {}, true],
  ['oss- region prefix', { region: 'oss-cn-beijing' }, true],
  ['internal endpoint', { endpointType: 'internal' }, true],
  ['accelerate endpoint', { endpointType: 'accelerate' }, true],
  ['explicit endpoint', { endpoint: 'https://oss-cn-shanghai.aliyuncs.com' }, true],
  ['cname', { endpoint: 'https://static.example.com', cname: true }, true],
  ['path style', { endpoint: 'http://127.0.0.1:9000', pathStyle: true, cname: false }, true],
  ['loopback http', { endpoint: 'http://localhost:9000' }, true],
  ['plain http allowed', { endpoint: 'http://oss.example.net', allowInsecureHttp: true }, true],
  ['CloudBox', { cloudBoxId: 'cb-123' }, true],
  ['stsToken alias', { credentials: { accessKeyId: 'id', accessKeySecret: 's', stsToken: 'tok' } }, true],
  ['securityToken null, stsToken given', { credentials: { accessKeyId: 'id', accessKeySecret: 's', securityToken: null, stsToken: 'tok' } }, true],
  ['no token', { credentials: { accessKeyId: 'id', accessKeySecret: 's' } }, true],
  ['bad endpointType', { endpointType: 'fast' }, true],
  ['bad region', { region: 'cn hangzhou' }, true],
  ['plain http refused', { endpoint: 'http://oss.example.net' }, true],
  ['empty accessKeyId', { credentials: { accessKeyId: '', accessKeySecret: 's' } }, true],
  ['CR in the token', { credentials: { accessKeyId: 'id', accessKeySecret: 's', securityToken: 'a\rb' } }, true],
  ['bad endpoint', { endpoint: 'ftp://x' }, true],
  ['bucket missing', { bucket: undefined }, false],
  ['region missing', { region: undefined }, false],
  ['credentials missing', { credentials: undefined }, false],
  ['secret missing', { credentials: { accessKeyId: 'id' } }, false],
  ['token a number', { credentials: { accessKeyId: 'id', accessKeySecret: 's', securityToken: 5 } }, false],
  ['cname a string', { cname: 'yes' }, false],
  ['NUL in the secret', { credentials: { accessKeyId: 'id', accessKeySecret: 's\0' } }, false],
  ['credentials a class instance', { credentials: new (class C { constructor() { this.accessKeyId = 'id'; this.accessKeySecret = 's'; } })() }, false],
];

for (const [label, lib] of [['full package', full], ['signing-only package', sign]]) {
  test(`signRequest / presignUrl fast lane = general path (${label})`, { skip: !lib && 'pkg/ is not built' }, () => {
    const { check, tally } = laneChecker((call, input) => lib[call](input));
    const drop = (o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
    for (const [lname, loc, lfast] of LOCATIONS) {
      for (const [name, input, fast] of CASES) {
        if (name.startsWith('a field fixed') || name.startsWith('credentials in a call')) continue;
        const merged = drop({ ...STANDALONE, ...input, ...loc });
        check(`${lname} / ${name}`, 'signRequest', merged, lfast && fast);
        for (const [pname, secs, pfast] of PRESIGN) {
          check(`${lname} / ${name}, expires ${pname}`, 'presignUrl', { ...merged, expiresInSecs: secs }, lfast && fast && pfast);
        }
      }
    }
    assert.ok(tally.fast >= 1000 && tally.signed >= 500, `fast lane taken ${tally.fast} times, ${tally.signed} signed`);
  });
}

test('both packages give the same fast-lane answers', { skip: !(full && sign) && 'pkg/ is not built' }, () => {
  const a = new full.Signer(OPTIONS);
  const b = new sign.Signer(OPTIONS);
  for (const [name, input] of CASES) {
    if (name.startsWith('signTime null')) continue;
    assert.deepEqual(outcome(() => a.signRequest(input)), outcome(() => b.signRequest(input)), name);
    const p = { ...input, expiresInSecs: 900 };
    assert.deepEqual(outcome(() => a.presignUrl(p)), outcome(() => b.presignUrl(p)), `${name} (presign)`);
  }
  a.free();
  b.free();
});

test('NaN and Infinity are refused by name, not read as null (both packages)', { skip: !(full && sign) && 'pkg/ is not built' }, () => {
  const base = { ...STANDALONE, method: 'PUT', key: 'k', signTime: T };
  const rows = [
    ['signRequest', { ...base, headers: { 'x-oss-meta-a': NaN } }, 'headers.x-oss-meta-a'],
    ['signRequest', { ...base, query: { a: Infinity } }, 'query.a'],
    ['signRequest', { ...base, cname: NaN }, 'cname'],
    ['signRequest', { ...base, signTime: NaN }, 'signTime'],
    ['presignUrl', { ...base, expiresInSecs: NaN }, 'expiresInSecs'],
    ['presignUrl', { ...base, expiresInSecs: -Infinity }, 'expiresInSecs'],
  ];
  for (const lib of [full, sign]) {
    const signer = new lib.Signer(OPTIONS);
    for (const [fn, input, field] of rows) {
      const { region, bucket, credentials, cname, ...call } = input;
      for (const [how, run] of [['standalone', () => lib[fn](input)], ['Signer', () => signer[fn](cname === undefined ? call : { ...call, pathStyle: cname })]]) {
        const r = outcome(run);
        const want = how === 'Signer' && field === 'cname' ? 'pathStyle' : field;
        assert.equal(r.err && r.err.code, 'InvalidArgument', `${fn} ${how} ${JSON.stringify(Object.keys(input))}: ${JSON.stringify(r)}`);
        assert.equal(r.err.field, want, `${fn} ${how}: ${r.err.message}`);
      }
    }
    assert.equal(outcome(() => new lib.Signer({ ...OPTIONS, pathStyle: NaN })).err.field, 'pathStyle');
    signer.free();
  }
});

// Regression: a getter that throws while the input was packed went through wasm uncaught and left
// the full package's Signer borrowed for good ("recursive use of an object detected…" on every
// later call). It must be an OssError (input could not be read), and the Signer must keep working.
test('an input whose getter throws leaves the Signer usable (both packages)', { skip: !(full && sign) && 'pkg/ is not built' }, () => {
  for (const lib of [full, sign]) {
    const signer = new lib.Signer(OPTIONS);
    const good = { method: 'PUT', key: 'k', signTime: T };
    const before = outcome(() => signer.signRequest(good));
    assert.ok(before.ok, JSON.stringify(before));
    for (const call of ['signRequest', 'presignUrl']) {
      const r = outcome(() => signer[call]({ get method() { throw new Error('boom'); }, expiresInSecs: 60 }));
      assert.deepEqual(r.err && [r.err.name, r.err.code, r.err.field], ['OssError', 'InvalidArgument', 'input'], JSON.stringify(r));
      assert.deepEqual(outcome(() => signer.signRequest(good)), before, `after a throwing ${call}`);
    }
    const s = outcome(() => lib.signRequest({ ...STANDALONE, get key() { throw new Error('boom'); }, method: 'PUT' }));
    assert.equal(s.err && s.err.code, 'InvalidArgument', JSON.stringify(s));
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    for (const input of [proxy, { ...STANDALONE, method: 'PUT', headers: proxy }]) {
      const p = outcome(() => lib.signRequest(input));
      assert.equal(p.err && p.err.code, 'InvalidArgument', `revoked Proxy: ${JSON.stringify(p)}`);
    }
    signer.free();
  }
});

// Regression: after `free()` a Signer threw wasm-bindgen's plain `Error("null pointer passed to
// rust")` (no code), and so did a second `free()` (which `using` plus an explicit free() makes).
// scripts/patch-glue.mjs turns wasm-bindgen's lifetime errors into OssErrors.
test('a freed Signer throws InvalidState; free() twice is harmless; re-entrant calls are refused (both packages)', { skip: !(full && sign) && 'pkg/ is not built' }, () => {
  for (const lib of [full, sign]) {
    const signer = new lib.Signer(OPTIONS);
    const call = { method: 'PUT', key: 'k', signTime: T };
    // Re-entrancy: a getter of the input calls the same signer.
    const inner = outcome(() => signer.signRequest({ ...call, get key() { return signer.signRequest(call).url; } }));
    assert.equal(inner.err && inner.err.code, 'InvalidState', JSON.stringify(inner));
    assert.ok(outcome(() => signer.signRequest(call)).ok, 'usable after the refused re-entrant call');
    signer.free();
    assert.doesNotThrow(() => signer.free());
    assert.doesNotThrow(() => signer[Symbol.dispose]());
    for (const f of [() => signer.signRequest(call), () => signer.presignUrl({ ...call, expiresInSecs: 60 }), () => signer.setCredentials(OPTIONS.credentials)]) {
      const r = outcome(f);
      assert.equal(r.err && r.err.name, 'OssError', JSON.stringify(r));
      assert.equal(r.err.code, 'InvalidState');
      assert.match(r.err.message, /freed/);
    }
  }
});

// signPostPolicy and buildPostPolicy are packed in JS too (types there, values in wasm): with two
// faults, the one the API reads first is named, whichever side checks it (a value checked in
// wasm before a type checked in JS, or the reverse). Expected fields are those of the build that
// read these objects field by field from wasm.
test('post-policy exports name the first fault in reading order (both packages)', { skip: !(full && sign) && 'pkg/ is not built' }, () => {
  const base = { region: 'cn-hangzhou', bucket: 'bkt', credentials: OPTIONS.credentials, expiresInSecs: 600 };
  const build = [
    [{ bucket: 'Bad_B', credentials: 5 }, 'bucket'],
    [{ region: 'bad region', bucket: 7 }, 'region'],
    [{ endpointType: 'bogus', cname: 'x' }, 'endpointType'],
    [{ endpoint: 'http://oss.example.net', credentials: 5 }, 'endpoint'],
    [{ credentials: { accessKeyId: '', accessKeySecret: 's' }, signTime: 'x' }, 'credentials.accessKeyId'],
    [{ key: '', minBytes: 'x' }, 'key'],
    [{ minBytes: 5, maxBytes: 1, contentTypes: 'x' }, 'maxBytes'],
    [{ contentTypes: ['bad'], contentTypePrefix: 5 }, 'contentTypes'],
    [{ contentTypes: ['a/b'], contentTypePrefix: 'c/', successActionStatus: 'x' }, 'contentTypePrefix'],
    [{ expiresInSecs: 0, key: 5 }, 'expiresInSecs'],
  ];
  const policy = { expiration: '2030-01-01T00:00:00Z', conditions: [] };
  const signed = [
    [{ policy, region: 5, bucket: 'Bad_B' }, 'region'],
    [{ policy, region: 'cn-hangzhou', bucket: 'Bad_B', credentials: 5 }, 'bucket'],
    [{ policy, region: 'cn-hangzhou', credentials: { accessKeyId: '', accessKeySecret: 's' }, signTime: 'x' }, 'credentials.accessKeyId'],
    [{ policy: 'x', region: 5 }, 'policy'],
  ];
  for (const lib of [full, sign]) {
    for (const [input, field] of build) {
      const r = outcome(() => lib.buildPostPolicy({ ...base, ...input }));
      assert.equal(r.err && r.err.field, field, `buildPostPolicy ${JSON.stringify(input)}: ${JSON.stringify(r)}`);
    }
    for (const [input, field] of signed) {
      const r = outcome(() => lib.signPostPolicy({ credentials: OPTIONS.credentials, ...input }));
      assert.equal(r.err && r.err.field, field, `signPostPolicy ${JSON.stringify(input)}: ${JSON.stringify(r)}`);
    }
  }
});

// Regression (adversarial review): values JSON drops or flattens without a word were read as
// absent or empty. A `key` given as a function, symbol, BigInt or invalid Date signed a
// bucket-level request (a PUT became PutBucket); a Map, Headers or URLSearchParams as `headers`
// or `query` signed without them; `query: NaN` signed `?%00=NaN`. Each is now refused by name. And
// a post-policy option whose getter throws was read as absent, signing a looser policy.
test('values JSON would drop are refused by name; unreadable post-policy options are errors (both packages)', { skip: !(full && sign) && 'pkg/ is not built' }, () => {
  const base = { ...STANDALONE, method: 'PUT', signTime: T };
  const rows = [
    [{ ...base, key: Symbol('k') }, 'key', 'a symbol'],
    [{ ...base, key: () => 'k' }, 'key', 'a function'],
    [{ ...base, key: 1n }, 'key', 'a bigint'],
    [{ ...base, key: new Date(NaN) }, 'key', 'an invalid Date'],
    [{ ...base, key: 'k', headers: new Map([['x-oss-meta-a', 'b']]) }, 'headers', 'a Map'],
    [{ ...base, key: 'k', query: new URLSearchParams('a=1') }, 'query', 'a URLSearchParams object'],
    [{ ...base, key: 'k', query: NaN }, 'query', 'NaN or Infinity'],
    [{ ...base, key: 'k', headers: { 'x-oss-meta-a': () => 1 } }, 'headers.x-oss-meta-a', 'a function'],
  ];
  const boom = (o, p) => Object.defineProperty({ ...o }, p, { get() { throw new Error('boom'); }, enumerable: true });
  for (const lib of [full, sign]) {
    const signer = new lib.Signer(OPTIONS);
    for (const [input, field, what] of rows) {
      const { region, bucket, credentials, ...call } = input;
      for (const [how, run] of [['signRequest', () => lib.signRequest(input)], ['presignUrl', () => lib.presignUrl({ ...input, expiresInSecs: 60 })], ['Signer', () => signer.signRequest(call)]]) {
        const r = outcome(run);
        assert.equal(r.err && r.err.field, field, `${how} ${field}: ${JSON.stringify(r)}`);
        assert.match(r.err.message, new RegExp(`got ${what}$`), how);
      }
    }
    signer.free();
    const policy = { region: 'cn-hangzhou', bucket: 'bkt', credentials: OPTIONS.credentials, expiresInSecs: 60, key: 'only/this', maxBytes: 10 };
    for (const name of ['key', 'maxBytes', 'contentTypes']) {
      const r = outcome(() => lib.buildPostPolicy(boom(policy, name)));
      assert.equal(r.err && r.err.field, name, JSON.stringify(r));
      assert.match(r.err.message, /could not be read/);
    }
  }
});

// Regression: `contentTypes` were checked with their surrounding ASCII whitespace trimmed (as
// documented) but written into the policy as given, so `[" image/png"]` signed
// `["eq","$content-type"," image/png"]`, which a form sending `image/png` cannot meet (and
// createPostPolicy's `Content-Type` field carried the spaces too).
test('contentTypes are written into the policy trimmed, as they were checked', { skip: !(full && sign) && 'pkg/ is not built' }, async () => {
  const base = { region: 'cn-hangzhou', bucket: 'bkt', credentials: OPTIONS.credentials, expiresInSecs: 600, signTime: T };
  const conditionOf = (text) => JSON.parse(text).conditions.find((c) => Array.isArray(c) && c[1] === '$content-type');
  for (const lib of [full, sign]) {
    assert.deepEqual(conditionOf(lib.buildPostPolicy({ ...base, contentTypes: [' image/png\t'] }).policyText), ['eq', '$content-type', 'image/png']);
    assert.deepEqual(conditionOf(lib.buildPostPolicy({ ...base, contentTypes: ['image/png ', '\r\ntext/plain'] }).policyText), ['in', '$content-type', ['image/png', 'text/plain']]);
  }
  const c = new full.OssClient({ region: 'cn-hangzhou', bucket: 'bkt', credentials: async () => OPTIONS.credentials });
  const one = await c.createPostPolicy({ contentTypes: [' image/gif '] });
  assert.deepEqual(conditionOf(one.policy), ['eq', '$content-type', 'image/gif']);
  assert.equal(one.fields['Content-Type'], 'image/gif');
  const two = await c.createPostPolicy({ contentTypes: ['\timage/gif', 'image/png '] });
  assert.deepEqual(conditionOf(two.policy), ['in', '$content-type', ['image/gif', 'image/png']]);
  // An allow-list filtered down to nothing does not allow every type (review regression).
  await assert.rejects(c.createPostPolicy({ contentTypes: [] }), (e) => e.code === 'InvalidArgument' && e.field === 'contentTypes');
  c.free();
});

// Regressions (review of the post-policy and location paths):
// - buildPostPolicy ignored `cloudBoxId` (signed for the region and "oss": SignatureDoesNotMatch
//   on CloudBox), and signPostPolicy had no way to name one;
// - signRequest / presignUrl / Signer built `https://BUCKET.oss-<cloudBoxId>.aliyuncs.com` (no such
//   host) when `cloudBoxId` came without its endpoint, named a bad ID `region`, and never checked
//   the region;
// - buildPostPolicy gave a single allowed type no `Content-Type` field (the form got 403 from its
//   own "eq" condition; createPostPolicy had it), and wrote `contentTypePrefix` unchecked and
//   untrimmed;
// - createPostPolicy dropped options it does not know (`maxbytes`, `contentTypePrefix`) and with
//   them their limits; conditions JSON writes as a string (a Date) or `[]` were accepted.
test('post policies and CloudBox locations are signed as documented (both packages)', { skip: !(full && sign) && 'pkg/ is not built' }, async () => {
  const creds = { accessKeyId: 'AKID', accessKeySecret: 'secret' };
  const base = { region: 'cn-hangzhou', bucket: 'bkt', credentials: creds, expiresInSecs: 600, signTime: T };
  const box = { cloudBoxId: 'cb-123abc', endpoint: 'https://cb-123abc.cn-hangzhou.oss-cloudbox.aliyuncs.com' };
  const scope = 'AKID/20240520/cb-123abc/oss-cloudbox/aliyun_v4_request';
  const ctOf = (text) => JSON.parse(text).conditions.find((c) => Array.isArray(c) && c[1] === '$content-type');
  for (const lib of [full, sign]) {
    const req = { ...base, ...box, method: 'PUT', key: 'k' };
    assert.match(lib.signRequest(req).headers.authorization, new RegExp(`Credential=${scope},`));
    const built = lib.buildPostPolicy({ ...base, ...box, key: 'k' });
    assert.equal(built.fields['x-oss-credential'], scope);
    assert.ok(JSON.parse(built.policyText).conditions.some((c) => c['x-oss-credential'] === scope));
    assert.equal(built.url, 'https://bkt.cb-123abc.cn-hangzhou.oss-cloudbox.aliyuncs.com/');
    const signed = lib.signPostPolicy({ policy: built.policyText, region: 'cn-hangzhou', cloudBoxId: 'cb-123abc', credentials: creds, signTime: T });
    assert.equal(signed.signature, built.signature);
    // A Signer takes the location and credentials only (anything else is refused).
    const { expiresInSecs: _e, signTime: _t, ...location } = base;
    const signer = new lib.Signer({ ...location, ...box });
    assert.equal(signer.signRequest({ method: 'PUT', key: 'k', signTime: T }).headers.authorization, lib.signRequest(req).headers.authorization);
    signer.free();
    const err = (f) => { try { f(); return 'no error'; } catch (e) { return `${e.code} ${e.field}`; } };
    for (const [o, field] of [[{ endpoint: undefined }, 'endpoint'], [{ ...box, cloudBoxId: 'bad id' }, 'cloudBoxId'], [{ ...box, region: 'bad region' }, 'region']]) {
      for (const [name, f] of [['signRequest', () => lib.signRequest({ ...req, ...o })], ['presignUrl', () => lib.presignUrl({ ...req, ...o })], ['Signer', () => new lib.Signer({ ...location, ...box, ...o })], ['buildPostPolicy', () => lib.buildPostPolicy({ ...base, ...box, ...o })]]) {
        assert.equal(err(f), `InvalidArgument ${field}`, `${name} ${JSON.stringify(o)}`);
      }
    }
    assert.equal(err(() => lib.signPostPolicy({ policy: built.policyText, region: 'cn-hangzhou', cloudBoxId: 'bad id', credentials: creds })), 'InvalidArgument cloudBoxId');
    // One allowed type: an "eq" condition and the field the form must send, after the key.
    const one = lib.buildPostPolicy({ ...base, key: 'k', contentTypes: ['image/png'] });
    assert.deepEqual(Object.keys(one.fields).slice(0, 3), ['key', 'Content-Type', 'policy']);
    assert.equal(one.fields['Content-Type'], 'image/png');
    assert.equal(lib.buildPostPolicy({ ...base, contentTypes: ['image/png', 'image/gif'] }).fields['Content-Type'], undefined);
    assert.deepEqual(ctOf(lib.buildPostPolicy({ ...base, contentTypePrefix: ' image/\t' }).policyText), ['starts-with', '$content-type', 'image/']);
    for (const p of ['imáge/', 'image/\r\nx']) assert.equal(err(() => lib.buildPostPolicy({ ...base, contentTypePrefix: p })), 'InvalidArgument contentTypePrefix', p);
    for (const c of [new Date(0), [], { toJSON: () => 'x' }]) assert.equal(err(() => lib.buildPostPolicy({ ...base, conditions: [c] })), 'InvalidArgument conditions', String(c));
  }
  const c = new full.OssClient({ region: 'cn-hangzhou', bucket: 'bkt', credentials: async () => OPTIONS.credentials });
  const rej = (p) => p.then(() => 'no error', (e) => `${e.code} ${e.field}`);
  assert.equal(await rej(c.createPostPolicy({ maxbytes: 10 })), 'InvalidArgument maxbytes');
  assert.deepEqual(ctOf((await c.createPostPolicy({ contentTypePrefix: ' image/' })).policy), ['starts-with', '$content-type', 'image/']);
  assert.equal(await rej(c.createPostPolicy({ contentTypes: ['image/png'], contentTypePrefix: 'image/' })), 'InvalidArgument contentTypePrefix');
  for (const cond of [new Date(0), []]) assert.equal(await rej(c.createPostPolicy({ conditions: [cond] })), 'InvalidArgument conditions');
  c.free();
});

// Regression (review): keys with `.` or `..` segments were signed as given, and fetch resolves
// them before sending: `a/../b.txt` reached `/b.txt` (SignatureDoesNotMatch), `dir/..` the bucket.
test('keys with dot segments are refused (both packages)', { skip: !(full && sign) && 'pkg/ is not built' }, async () => {
  const err = (f) => { try { f(); return 'no error'; } catch (e) { return `${e.code} ${e.field}`; } };
  for (const lib of [full, sign]) {
    const signer = new lib.Signer(OPTIONS);
    for (const key of ['a/../b.txt', '..', '.', 'dir/..', 'a/./b']) {
      assert.equal(err(() => lib.signRequest({ ...STANDALONE, method: 'PUT', key })), 'InvalidArgument key', key);
      assert.equal(err(() => signer.presignUrl({ method: 'PUT', key, expiresInSecs: 60 })), 'InvalidArgument key', key);
    }
    assert.equal(err(() => lib.signRequest({ ...STANDALONE, method: 'PUT', key: 'a/.../b..c/.d' })), 'no error');
    signer.free();
  }
  const c = new full.OssClient({ region: 'cn-hangzhou', bucket: 'bkt', credentials: async () => OPTIONS.credentials });
  assert.equal(await c.putObject('a/../b.txt', 'x').then(() => 'no error', (e) => `${e.code} ${e.field}`), 'InvalidArgument key');
  c.free();
});

// Regression (review): a lone surrogate (half of a UTF-16 pair) crossed into wasm as U+FFFD, so
// `photo-\uD83D.jpg` was signed and uploaded as `photo-\uFFFD.jpg`: another key than the one
// given (and two such keys one object). Refused by name now; a real U+FFFD and pairs still sign.
test('strings with a lone surrogate are refused, by every export (both packages)', { skip: !(full && sign) && 'pkg/ is not built' }, async () => {
  const err = (f) => { try { f(); return 'no error'; } catch (e) { return `${e.code} ${e.field}${/lone surrogate/.test(e.message) ? '' : ` (${e.message})`}`; } };
  const lone = 'photo-\uD83D.jpg';
  const base = { ...STANDALONE, method: 'PUT', signTime: T };
  for (const lib of [full, sign]) {
    const signer = new lib.Signer(OPTIONS);
    const rows = [
      [{ key: lone }, 'key'],
      [{ key: 'k', headers: { 'x-oss-meta-a': 'a\uDC00' } }, 'headers.x-oss-meta-a'],
      [{ key: 'k', query: { ['\uD800']: 'v' } }, 'query'],
      [{ key: 'k', query: { a: 'x\uDFFF' } }, 'query.a'],
      [{ key: 'k', additionalHeaders: ['x\uD800'] }, 'additionalHeaders'],
      [{ key: 'k', bucket: 'b\uD800' }, 'bucket'],
    ];
    for (const [o, field] of rows) {
      const { region, credentials, bucket, ...call } = { ...base, ...o };
      assert.equal(err(() => lib.signRequest({ ...base, ...o })), `InvalidArgument ${field}`, `signRequest ${field}`);
      assert.equal(err(() => lib.presignUrl({ ...base, ...o, expiresInSecs: 60 })), `InvalidArgument ${field}`, `presignUrl ${field}`);
      assert.equal(err(() => signer.signRequest({ ...call, ...(o.bucket ? { bucket } : {}) })), `InvalidArgument ${field}`, `Signer ${field}`);
    }
    assert.equal(err(() => lib.signRequest({ ...base, credentials: { accessKeyId: 'id', accessKeySecret: 's\uD800' }, key: 'k' })), 'InvalidArgument credentials.accessKeySecret');
    assert.equal(err(() => lib.signPostPolicy({ policy: '{"expiration":"2030-01-01T00:00:00Z","conditions":[["eq","$key","\uD800"]]}', region: 'cn-hangzhou', credentials: OPTIONS.credentials })), 'InvalidArgument policy');
    assert.equal(err(() => lib.buildPostPolicy({ region: 'cn-hangzhou', bucket: 'bkt', credentials: OPTIONS.credentials, expiresInSecs: 60, key: lone })), 'InvalidArgument key');
    // A real U+FFFD and a surrogate pair are text like any other.
    assert.match(lib.signRequest({ ...base, key: 'a\uFFFD\uD83D\uDE00' }).url, /a%EF%BF%BD%F0%9F%98%80$/);
    signer.free();
  }
  const c = new full.OssClient({ region: 'cn-hangzhou', bucket: 'bkt', credentials: async () => OPTIONS.credentials });
  const rej = (p) => p.then(() => 'no error', (e) => `${e.code} ${e.field}`);
  assert.equal(await rej(c.putObject(lone, 'x')), 'InvalidArgument key');
  assert.equal(await rej(c.presignUrl('k', { headers: { 'x-oss-meta-a': '\uDC00' } })), 'InvalidArgument headers.x-oss-meta-a');
  assert.equal(await rej(c.createPostPolicy({ keyPrefix: 'u/\uD800' })), 'InvalidArgument keyPrefix');
  c.free();
});

// Regression (review): postWithServerSignature read a fixed list of field names, so the guide's
// fields under other spellings never reached the form: the C# sample's JsonConvert names
// (`Accessid`, `Host`, `Policy`…) failed with "fields.host is missing", a V4 server's
// form-ready `x-oss-*` names were read as V1, and `stsToken` was dropped. The form is now built
// (the POST goes to a closed loopback port: a network error, not a bad argument).
test('postWithServerSignature reads the server fields whatever their spelling', { skip: !full && 'pkg/ is not built' }, async () => {
  const policy = Buffer.from(JSON.stringify({ expiration: '2099-01-01T00:00:00.000Z', conditions: [] })).toString('base64');
  const shapes = [
    { Accessid: 'LTAI', Host: 'http://127.0.0.1:1', Policy: policy, Signature: 'sig', Expire: 4070908800, Dir: 'up/' },
    { host: 'http://127.0.0.1:1', policy, 'x-oss-signature': 'hex', 'x-oss-credential': 'STS.a/20231216/cn-hangzhou/oss/aliyun_v4_request', 'x-oss-date': '20231216T162057Z', 'x-oss-signature-version': 'OSS4-HMAC-SHA256', stsToken: 'tok', dir: 'up/' },
  ];
  for (const fields of shapes) {
    const r = await full.postWithServerSignature(fields, new Blob(['x']), { filename: 'a.txt' }).then(() => 'sent', (e) => e.code);
    assert.equal(r, 'NetworkError', JSON.stringify(Object.keys(fields)));
  }
});

// Regression (adversarial review): OssClient read an option whose getter throws as absent, so
// createPostPolicy signed a policy without the `key` or `maxBytes` limit it was given.
test('OssClient: an option whose getter throws is an error, not absent', { skip: !full && 'pkg/ is not built' }, async () => {
  const c = new full.OssClient({ region: 'cn-hangzhou', bucket: 'bkt', credentials: async () => OPTIONS.credentials });
  const boom = (o, p) => Object.defineProperty({ ...o }, p, { get() { throw new Error('boom'); }, enumerable: true });
  for (const name of ['key', 'keyPrefix', 'maxBytes', 'contentTypes', 'conditions']) {
    const r = await c.createPostPolicy(boom({ maxBytes: 10 }, name)).then((v) => ({ ok: v.policyText }), (e) => ({ code: e.code, field: e.field, message: e.message }));
    assert.equal(r.field, name, JSON.stringify(r));
    assert.match(r.message, /could not be read/);
  }
  c.free();
});

// Regression (adversarial review): a detached ArrayBuffer (transferred to a worker, say) was
// uploaded as a 0-byte object and reported as a success, and crc64 of one threw a TypeError that
// unwound through wasm; crc64's `previous` accepted " 1" and "+1".
test('detached buffers are refused by name; crc64 previous is digits only', { skip: !full && 'pkg/ is not built' }, async () => {
  const detachedBuffer = () => { const b = new ArrayBuffer(8); structuredClone(b, { transfer: [b] }); return b; };
  // A view made before its buffer was transferred (one cannot be made after).
  const detachedView = () => { const b = new ArrayBuffer(8); const v = new Uint8Array(b); structuredClone(b, { transfer: [b] }); return v; };
  const err = (f) => { try { f(); return null; } catch (e) { return { name: e.name, code: e.code, field: e.field }; } };
  assert.deepEqual(err(() => full.crc64(detachedBuffer())), { name: 'OssError', code: 'InvalidArgument', field: 'data' });
  assert.deepEqual(err(() => full.crc64(detachedView())), { name: 'OssError', code: 'InvalidArgument', field: 'data' });
  for (const p of [' 1', '+1', '1 ', '']) assert.equal(err(() => full.crc64('x', p))?.field, 'previous', JSON.stringify(p));
  assert.equal(full.crc64('123456789', '0'), '11051210869376104954');
  const c = new full.OssClient({ region: 'cn-hangzhou', bucket: 'bkt', credentials: async () => OPTIONS.credentials });
  for (const body of [detachedBuffer(), detachedView()]) {
    const r = await c.putObject('k', body).then(() => 'uploaded', (e) => ({ code: e.code, field: e.field }));
    assert.deepEqual(r, { code: 'InvalidArgument', field: 'body' });
  }
  c.free();
});

// Regression (adversarial review): OssClient options whose getters or Proxy traps throw (or a
// revoked Proxy) made the built-in that read them throw through wasm: the async methods' promises
// never settled (an uncaught error instead), the constructor threw a TypeError.
test('OssClient: unreadable options reject with InvalidArgument instead of hanging', { skip: !full && 'pkg/ is not built' }, async () => {
  const c = new full.OssClient({ region: 'cn-hangzhou', bucket: 'bkt', credentials: async () => OPTIONS.credentials });
  const boom = (o, p) => Object.defineProperty({ ...o }, p, { get() { throw new Error('boom'); }, enumerable: true });
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  const settle = (p) => Promise.race([p.then(() => 'resolved', (e) => ({ code: e.code, field: e.field })), new Promise((r) => setTimeout(() => r('never settled'), 3000))]);
  assert.deepEqual(await settle(c.putObject('g.txt', 'x', { headers: boom({}, 'x-oss-meta-a') })), { code: 'InvalidArgument', field: 'headers' });
  assert.deepEqual(await settle(c.presignUrl('g.txt', { query: boom({}, 'a') })), { code: 'InvalidArgument', field: 'query' });
  assert.deepEqual(await settle(c.putObject('g.txt', 'x', { headers: proxy })), { code: 'InvalidArgument', field: 'headers' });
  assert.deepEqual(await settle(c.createPostPolicy({ conditions: proxy })), { code: 'InvalidArgument', field: 'conditions' });
  assert.equal((await settle(c.presignUrl('g.txt', proxy))).code, 'InvalidArgument');
  assert.throws(() => new full.OssClient(proxy), (e) => e.code === 'InvalidArgument');
  c.free();
});

// Regression (adversarial review): a credential function that never settles hung every call for
// good: neither the call's signal nor timeoutMs ended the wait.
test('OssClient: a credential source that never answers is cut short by the signal or timeoutMs', { skip: !full && 'pkg/ is not built' }, async () => {
  const never = () => new Promise(() => {});
  // Generous bounds: the point is that the wait ends, near timeoutMs, on a machine that may be
  // busy (timers fire late under load, never early).
  const settle = (p) => { const t0 = Date.now(); return Promise.race([p.then(() => 'resolved', (e) => ({ code: e.code, ms: Date.now() - t0 })), new Promise((r) => setTimeout(() => r('never settled'), 10000))]); };
  const timed = new full.OssClient({ region: 'cn-hangzhou', bucket: 'bkt', credentials: never, timeoutMs: 500 });
  const r1 = await settle(timed.presignUrl('a.txt'));
  assert.equal(r1.code, 'NetworkError', JSON.stringify(r1));
  assert.ok(r1.ms >= 450 && r1.ms < 5000, JSON.stringify(r1));
  const untimed = new full.OssClient({ region: 'cn-hangzhou', bucket: 'bkt', credentials: never, timeoutMs: 0 });
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 200);
  const r2 = await settle(untimed.putObject('a.txt', 'x', { signal: ac.signal }));
  assert.equal(r2.code, 'RequestAborted', JSON.stringify(r2));
  timed.free();
  untimed.free();
});

test('a string signTime is ISO 8601 read as the signer reads STS times (both packages)', { skip: !(full && sign) && 'pkg/ is not built' }, () => {
  // [text, the instant it names (ISO, whole second) or null when refused]. The grammar is
  // src/time.rs parse_iso8601's (fast.js reads it for the signer): fraction ignored, Z or a
  // numeric offset, Unicode White_Space trimmed, wall time and instant within 1970–9999.
  const cases = [
    ['2024-05-20T09:09:10Z', '2024-05-20T09:09:10Z'],
    ['2024-05-20t09:09:10.999z', '2024-05-20T09:09:10Z'],
    ['2024-05-20 09:09:10.Z', '2024-05-20T09:09:10Z'],
    ['2024-05-20 09:09:10.5+08:00', '2024-05-20T01:09:10Z'],
    ['2024-05-20T09:09:10+99:99', '2024-05-16T04:30:10Z'],
    ['\u0085\u30002024-02-29T23:59:60Z\t', '2024-02-29T23:59:59Z'],
    ['\ufeff2024-05-20T09:09:10Z', null],
    ['2023-02-29T00:00:00Z', null],
    ['2024-04-31T00:00:00Z', null],
    ['2024-13-01T00:00:00Z', null],
    ['2024-01-01T24:00:00Z', null],
    ['2024-01-01T00:00:61Z', null],
    ['2024-01-01T00:00:00', null],
    ['2024-01-01T00:00:00+0800', null],
    ['0070-01-01T00:00:00Z', null],
    ['1970-01-01T00:00:00-01:00', '1970-01-01T01:00:00Z'],
    ['1969-12-31T23:00:00-01:00', null],
    ['1970-01-01T00:59:59+01:00', null],
    ['1970-01-01T01:00:00+01:00', '1970-01-01T00:00:00Z'],
    ['9999-12-31T23:59:59Z', '9999-12-31T23:59:59Z'],
    ['9999-12-31T23:59:59-00:01', null],
  ];
  for (const lib of [full, sign]) {
    for (const [text, instant] of cases) {
      const input = { ...OPTIONS, method: 'PUT', key: 'k' };
      const got = (() => {
        try {
          return lib.signRequest({ ...input, signTime: text }).headers['x-oss-date'];
        } catch (e) {
          assert.equal(e.code, 'InvalidArgument', text);
          assert.equal(e.field, 'signTime', text);
          return null;
        }
      })();
      const want = instant === null ? null : lib.signRequest({ ...input, signTime: new Date(instant) }).headers['x-oss-date'];
      assert.equal(got, want, JSON.stringify(text));
    }
  }
});

// Regression (review): an endpoint was used as typed, so with `additionalHeaders: ['host']` the
// signature covered `host:…:443` (or `:80` for http) while fetch sends Host without the
// scheme's default port, and a `Host` header given in upper case was signed as given while
// browsers send the URL's host in lower case: SignatureDoesNotMatch. The host signed must be
// `new URL(url).host`, checked here with an independent V4 signer (reference §3–§6).
const hmac = (key, text) => crypto.createHmac('sha256', key).update(text).digest();
const uriEncode = (s, keepSlash) =>
  Array.from(Buffer.from(s, 'utf8'), (b) => {
    const c = String.fromCharCode(b);
    return /[A-Za-z0-9\-_.~]/.test(c) || (keepSlash && c === '/') ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }).join('');
/** The V4 signature of a request for `/bucket/key` over `query` pairs and `headers`, signing `additional`. */
function v4Signature({ method, bucket, key, query = [], headers, additional, secret, date }) {
  const q = query.map(([k, v]) => [uriEncode(k), uriEncode(v ?? '')]).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : 1));
  const lines = Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v.trim()]).sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const canonical = [method, uriEncode(`/${bucket}/${key}`, true), q.map(([k, v]) => (v ? `${k}=${v}` : k)).join('&'), lines.map(([k, v]) => `${k}:${v}\n`).join(''), additional.join(';'), 'UNSIGNED-PAYLOAD'].join('\n');
  const scope = `${date.slice(0, 8)}/cn-hangzhou/oss/aliyun_v4_request`;
  const sts = ['OSS4-HMAC-SHA256', date, scope, crypto.createHash('sha256').update(canonical).digest('hex')].join('\n');
  let k = hmac(`aliyun_v4${secret}`, date.slice(0, 8));
  for (const part of ['cn-hangzhou', 'oss', 'aliyun_v4_request']) k = hmac(k, part);
  return hmac(k, sts).toString('hex');
}

test('the host signed is the URL host fetch sends: default port dropped, lower case (both packages)', { skip: !(full && sign) && 'pkg/ is not built' }, () => {
  const credentials = { accessKeyId: 'ak', accessKeySecret: 'sk' };
  const base = { method: 'PUT', region: 'cn-hangzhou', bucket: 'bkt', key: 'k', credentials, signTime: T, additionalHeaders: ['host'] };
  const ENDPOINTS = [
    ['https://oss-cn-hangzhou.aliyuncs.com:443', 'bkt.oss-cn-hangzhou.aliyuncs.com'],
    ['oss-cn-hangzhou.aliyuncs.com:443', 'bkt.oss-cn-hangzhou.aliyuncs.com'],
    ['HTTPS://OSS-CN-Hangzhou.AliyunCS.com', 'bkt.oss-cn-hangzhou.aliyuncs.com'],
    ['http://127.0.0.1:80', '127.0.0.1'],
    ['http://LOCALHOST:80/', 'bkt.localhost'],
    ['http://[::1]:80', '[::1]'],
    ['http://Localhost:9000', 'bkt.localhost:9000'],
    ['https://localhost:80', 'bkt.localhost:80'],
  ];
  const checkHeaderSigned = (r, label) => {
    const host = new URL(r.url).host;
    assert.equal(r.url.split('/')[2], host, `${label}: the URL as written is what URL parsers give`);
    assert.ok(!Object.keys(r.headers).some((h) => h.toLowerCase() === 'host'), `${label}: host is not sent by the caller`);
    const headers = Object.fromEntries(Object.entries(r.headers).filter(([h]) => h !== 'authorization'));
    const want = v4Signature({ method: 'PUT', bucket: 'bkt', key: 'k', headers: { ...headers, host }, additional: ['host'], secret: 'sk', date: r.headers['x-oss-date'] });
    assert.match(r.headers.authorization, /,AdditionalHeaders=host,Signature=/, label);
    assert.equal(r.headers.authorization.split('Signature=')[1], want, `${label}: signed over host:${host}`);
  };
  const checkPresigned = (r, label) => {
    const u = new URL(r.url);
    assert.equal(r.url.split('/')[2], u.host, label);
    const query = [...u.searchParams].filter(([k]) => k !== 'x-oss-signature');
    const want = v4Signature({ method: 'PUT', bucket: 'bkt', key: 'k', query, headers: { host: u.host }, additional: ['host'], secret: 'sk', date: u.searchParams.get('x-oss-date') });
    assert.equal(u.searchParams.get('x-oss-signature'), want, `${label}: presigned over host:${u.host}`);
  };
  for (const [name, lib] of [['full', full], ['sign', sign]]) {
    for (const [endpoint, host] of ENDPOINTS) {
      const label = `${name} ${endpoint}`;
      const r = lib.signRequest({ ...base, endpoint });
      assert.equal(new URL(r.url).host, host, label);
      checkHeaderSigned(r, label);
      checkPresigned(lib.presignUrl({ ...base, endpoint, expiresInSecs: 600 }), label);
      const signer = new lib.Signer({ region: 'cn-hangzhou', bucket: 'bkt', endpoint, credentials });
      const call = { method: 'PUT', key: 'k', signTime: T, additionalHeaders: ['host'] };
      assert.deepEqual(signer.signRequest(call), r, `${label} (Signer)`);
      checkPresigned(signer.presignUrl({ ...call, expiresInSecs: 600 }), `${label} (Signer)`);
      signer.free();
    }
    // A Host header in another case is accepted and signed as the URL's host (what is sent).
    for (const Host of ['BKT.OSS-CN-HANGZHOU.ALIYUNCS.COM', 'bkt.oss-cn-hangzhou.aliyuncs.com']) {
      for (const endpoint of [undefined, 'https://OSS-CN-HANGZHOU.aliyuncs.com:443']) {
        const input = { ...base, endpoint, headers: { Host } };
        checkHeaderSigned(lib.signRequest(input), `${name} Host: ${Host}`);
        checkPresigned(lib.presignUrl({ ...input, expiresInSecs: 600 }), `${name} Host: ${Host}`);
        assert.deepEqual(lib.signRequest(input), lib.signRequest({ ...base, endpoint }), `${name}: the same request as without the header`);
      }
    }
    // It must still be that host: the default port is not part of it.
    assert.throws(() => lib.signRequest({ ...base, headers: { host: 'bkt.oss-cn-hangzhou.aliyuncs.com:443' } }), { code: 'InvalidArgument', field: 'headers.host' });
  }
});

// Regression (review): endpoints no URL parser takes were accepted, and the URL returned then
// made `new URL`/fetch throw a bare TypeError; some others (`127.000.000.001`) parse as another
// host than the one signed.
test('endpoints URL parsers refuse or rewrite are refused with field endpoint (both packages)', { skip: !(full && sign) && 'pkg/ is not built' }, () => {
  const base = { method: 'PUT', region: 'cn-hangzhou', bucket: 'bkt', key: 'k', credentials: { accessKeyId: 'ak', accessKeySecret: 'sk' }, signTime: T, allowInsecureHttp: true };
  const BAD = ['::1', 'http://::1', 'oss.example.com:abc', 'oss.example.com:99999', 'oss.example.com:65536', 'oss.example.com:0', 'oss.example.com:', 'example.com:80:80', '[zz]', 'https://[::1', '[2001:db8::1]', 'http://127.000.000.001:9000', 'http://0x7f.0.0.1', '1.2.3', '999.1.1.1', 'a..b', '.example.com'];
  for (const [name, lib] of [['full', full], ['sign', sign]]) {
    for (const endpoint of BAD) {
      const label = `${name} ${endpoint}`;
      assert.throws(() => lib.signRequest({ ...base, endpoint }), { code: 'InvalidArgument', field: 'endpoint' }, label);
      assert.throws(() => lib.presignUrl({ ...base, endpoint, expiresInSecs: 60 }), { code: 'InvalidArgument', field: 'endpoint' }, label);
      assert.throws(() => new lib.Signer({ region: 'cn-hangzhou', bucket: 'bkt', endpoint, allowInsecureHttp: true, credentials: base.credentials }), { code: 'InvalidArgument', field: 'endpoint' }, label);
      assert.throws(() => lib.buildPostPolicy({ region: 'cn-hangzhou', bucket: 'bkt', endpoint, allowInsecureHttp: true, credentials: base.credentials, expiresInSecs: 60, signTime: T }), { code: 'InvalidArgument', field: 'endpoint' }, label);
    }
    // What is taken makes a URL that URL parsers take as written.
    for (const endpoint of ['oss-cn-hangzhou.aliyuncs.com', 'http://localhost:9000', 'http://127.0.0.1:9000', 'http://[::1]:9000', 'https://x.example.com.:8443', 'https://0.0.0.0']) {
      const url = lib.signRequest({ ...base, endpoint }).url;
      assert.equal(new URL(url).href, url, `${name} ${endpoint}`);
    }
  }
});

// Regressions (review of the signing API):
// - a class instance went through JSON.stringify, which sees own enumerable members only: a `key`
//   behind a getter vanished and a PutObject was signed as a bucket-level PUT;
// - misspelt options (`maxbytes`, `endpiont`, `additionalheaders`…) were dropped without a word,
//   a post policy then losing its size or type limit;
// - a revoked Proxy escaped signPostPolicy / buildPostPolicy as a bare TypeError;
// - `contentTypes: []` allowed every type;
// - a secret with a line end was signed as is (every request a 403; ali-oss trims it);
// - an endpoint with user info or a query was quoted in the error message.
test('class getters, unknown options, revoked Proxies, empty type lists, secret whitespace (both packages)', { skip: !(full && sign) && 'pkg/ is not built' }, () => {
  const creds = { accessKeyId: 'AKID', accessKeySecret: 'secret' };
  const base = { region: 'cn-hangzhou', bucket: 'bkt', credentials: creds, signTime: T };
  const err = (f) => { try { f(); return 'no error'; } catch (e) { return `${e.name} ${e.code} ${e.field}: ${e.message}`; } };
  for (const lib of [full, sign]) {
    class Upload {
      constructor(key) { this.method = 'PUT'; Object.assign(this, base); this._key = key; }
      get key() { return this._key; }
    }
    const byClass = err(() => lib.signRequest(new Upload('photos/cat.jpg')));
    assert.match(byClass, /_key: is not an option of signRequest/, 'a private member is an unknown option');
    class Upload2 {
      constructor(key) { this.method = 'PUT'; Object.assign(this, base); Object.defineProperty(this, 'k', { value: key }); }
      get key() { return this.k; }
    }
    const want = lib.signRequest({ ...base, method: 'PUT', key: 'photos/cat.jpg' });
    assert.deepEqual(lib.signRequest(new Upload2('photos/cat.jpg')), want, 'the getter is read');
    assert.equal(want.url, 'https://bkt.oss-cn-hangzhou.aliyuncs.com/photos/cat.jpg');
    const signer = new lib.Signer({ region: 'cn-hangzhou', bucket: 'bkt', credentials: creds });
    assert.deepEqual(signer.signRequest(Object.assign(Object.create({ get key() { return 'photos/cat.jpg'; } }), { method: 'PUT', signTime: T })), want);
    for (const [f, field, api] of [
      [() => lib.signRequest({ ...base, method: 'PUT', endpiont: 'http://localhost:9000' }), 'endpiont', 'signRequest'],
      [() => lib.presignUrl({ ...base, method: 'PUT', expiresInSecs: 60, pathstyle: true }), 'pathstyle', 'presignUrl'],
      [() => signer.signRequest({ method: 'PUT', additionalheaders: ['host'] }), 'additionalheaders', 'signRequest'],
      [() => new lib.Signer({ region: 'cn-hangzhou', credentials: creds, endpiont: 'x' }), 'endpiont', 'Signer'],
      [() => lib.signPostPolicy({ policy: { expiration: '2030-01-01T00:00:00.000Z', conditions: [] }, region: 'cn-hangzhou', credentials: creds, cloudboxId: 'x' }), 'cloudboxId', 'signPostPolicy'],
      [() => lib.buildPostPolicy({ ...base, expiresInSecs: 60, maxbytes: 10 }), 'maxbytes', 'buildPostPolicy'],
      [() => lib.buildPostPolicy({ ...base, expiresInSecs: 60, contenttypes: ['image/png'] }), 'contenttypes', 'buildPostPolicy'],
    ]) {
      assert.equal(err(f), `OssError InvalidArgument ${field}: invalid ${field}: is not an option of ${api}`);
    }
    // null and undefined members are absent, as before; one input may serve both functions.
    assert.doesNotThrow(() => lib.signRequest({ ...base, method: 'GET', key: 'k', endpoint: null, extra: undefined, expiresInSecs: 60 }));
    assert.match(err(() => signer.signRequest({ method: 'GET', endpoint: 'https://x' })), /endpoint: invalid endpoint: is fixed when the Signer is created/);
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    for (const f of [
      () => lib.signPostPolicy(proxy),
      () => lib.buildPostPolicy(proxy),
      () => lib.buildPostPolicy({ ...base, expiresInSecs: 60, contentTypes: proxy }),
      () => lib.signPostPolicy({ policy: proxy, region: 'cn-hangzhou', credentials: creds }),
      () => lib.signRequest(proxy),
      () => new lib.Signer(proxy),
    ]) {
      assert.match(err(f), /^OssError InvalidArgument /);
    }
    assert.equal(err(() => lib.buildPostPolicy({ ...base, expiresInSecs: 60, contentTypes: [] })),
      'OssError InvalidArgument contentTypes: invalid contentTypes: is empty: list at least one type (leave it out to allow any)');
    const trimmed = lib.signRequest({ ...base, method: 'PUT', key: 'k', credentials: { accessKeyId: 'AKID', accessKeySecret: 'secret\n' } });
    assert.deepEqual(trimmed, lib.signRequest({ ...base, method: 'PUT', key: 'k' }), 'the secret is trimmed as ali-oss does');
    for (const endpoint of ['https://AK:Secret@oss.example.com', 'https://oss.example.com/?security-token=Tok']) {
      const m = err(() => lib.signRequest({ ...base, method: 'GET', endpoint }));
      assert.match(m, /^OssError InvalidArgument endpoint/);
      assert.ok(!m.includes('Secret') && !m.includes('Tok'), m);
    }
    signer.free();
  }
});
