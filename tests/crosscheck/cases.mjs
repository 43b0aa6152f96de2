// Cases for the ali-oss cross-check: hand-written ones that each pin one rule, the official
// vectors, and seeded random ones. Deterministic: the same seed gives the same cases, byte for byte.
//
// A case is plain data:
//   { name, kind: 'header' | 'presign' | 'post' | 'reject',
//     method, bucket, key /* undefined = bucket-level */, region /* may carry "oss-" */,
//     credentials: { accessKeyId, accessKeySecret, securityToken? }, signTime: Date,
//     headers: {name: value}, query: {name: value | null}, queryVia: 'query' | 'subres',
//     additionalHeaders?: string[], expiresInSecs?: number,       // presign
//     policy?: object | string,                                   // post
//     rejects?: 'header' | 'presign',                             // reject: which export must throw
//     expected?: {...}                                            // official vector outputs
//   }
// `queryVia` only matters to ali-oss's header path (lib/common/utils/createRequest.ts): parameters
// given as `subres` have '' mapped to null, parameters given as `query` are signed as given.

import fs from 'node:fs';

export const DEFAULT_SEED = 0x0551_2024;

/** mulberry32: small, fast, good enough to pick test inputs; fully determined by the seed. */
export function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)); // inclusive
  const pick = (xs) => xs[Math.floor(next() * xs.length)];
  const chance = (p) => next() < p;
  const str = (alphabet, lo, hi) => {
    let s = '';
    for (let n = int(lo, hi); n > 0; n--) s += pick(alphabet);
    return s;
  };
  return { next, int, pick, chance, str };
}

const ALNUM = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'];
const LOWER_DIGIT = [...'abcdefghijklmnopqrstuvwxyz0123456789'];
const B64 = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'];
const REGIONS = ['cn-hangzhou', 'cn-shanghai', 'cn-beijing', 'ap-southeast-1', 'us-west-1', 'eu-central-1'];
const METHODS = ['PUT', 'PUT', 'GET', 'POST', 'DELETE', 'HEAD'];

// Key material: every character class the issue names, plus the rest of printable ASCII.
const KEY_WORDS = ['photos', 'Data', 'file', '2024', 'a', 'read me', '中文', '文件夹', '日本語', 'нет', 'café', '😀', '🚀👍'];
const KEY_SPECIALS = [' ', '+', '%', '%20', '%2F', '~', '*', "'", '!', '(', ')', '&', '=', '?', '#', ',', ';',
  ':', '@', '$', '[', ']', '\\', '-', '_', '.', '^', '`', '{', '}', '|', '"', '<', '>'];
const EXTS = ['.txt', '.jpg', '.json', '.bin', '', '', '.tar.gz'];

// Query parameter names that sort the same under localeCompare and byte order (ali-oss agrees),
// and names that don't (upper case, `_`, `|` … against lower case: ali-oss departs).
const Q_NAMES_PLAIN = ['uploadId', 'partNumber', 'uploads', 'acl', 'x-oss-process', 'response-content-type',
  'response-content-disposition', 'versionId', 'position', 'append', 'tagging', 'a b', '+plus', '中文', 'k*', '~t'];
const Q_NAMES_MIXED = ['Param', 'UPPER', 'Z', '_under', '|pipe', 'a.dot', 'a-dash', 'a_under', 'Ab', 'aB', '%25'];
const Q_VALUES = [null, 'value', '1', '0', 'a b', 'a+b', '/path/to', '中文', '😀', '=&?', "it's", '~*()!', 'attachment; filename="x y.txt"'];

const META_NAMES = ['author', 'Magic', 'project-id', 'UPPER', 'x'];
const META_VALUES = ['alice', '  padded both  ', 'trailing ', ' leading', 'inner  double  space', '张三', '😀 emoji',
  'a=b;c', "o'neil", 'café'];

function randomCase(r, s) {
  const cased = (name) => [...name].map((ch) => (r.chance(0.35) ? ch.toUpperCase() : ch)).join('');
  return cased(s);
}

function bucketName(r) {
  return r.str(LOWER_DIGIT, 1, 1) + r.str([...LOWER_DIGIT, '-'], 1, 20) + r.str(LOWER_DIGIT, 1, 1);
}

function objectKey(r) {
  const segs = [];
  for (let n = r.int(1, 4); n > 0; n--) {
    let seg = '';
    for (let m = r.int(1, 3); m > 0; m--) seg += r.chance(0.6) ? r.pick(KEY_WORDS) : r.pick(KEY_SPECIALS);
    // A `.` or `..` segment is rewritten by every URL parser (WHATWG removes dot segments, even
    // percent-encoded ones), so such a key can't be addressed from a browser: not generated.
    segs.push(seg === '.' || seg === '..' ? `${seg}x` : seg);
  }
  let key = segs.join(r.chance(0.2) ? '//' : '/');
  if (r.chance(0.2)) key += '/';
  else key += r.pick(EXTS);
  // OSS forbids a leading `/` or `\`; those are the reject cases, not generated here.
  if (key.startsWith('/') || key.startsWith('\\')) key = 'k' + key;
  return key;
}

function credentials(r, sts) {
  const c = {
    accessKeyId: (sts ? 'STS.' : 'LTAI') + r.str(ALNUM, 16, 24),
    accessKeySecret: r.str(ALNUM, 30, 30),
  };
  if (sts) c.securityToken = 'CAIS' + r.str(B64, 60, 200) + r.pick(['', '=', '==']);
  return c;
}

function signTime(r) {
  // whole seconds in [2021-01-01, 2031-01-01)
  return new Date((1609459200 + r.int(0, 315_360_000 - 1)) * 1000);
}

function md5Base64(r) {
  return Buffer.from(Array.from({ length: 16 }, () => r.int(0, 255))).toString('base64');
}

function headers(r, bucket, region) {
  const h = {};
  if (r.chance(0.5)) h[r.pick(['Content-Type', 'content-type'])] = r.pick(['text/plain', 'image/png', 'application/octet-stream', 'text/html; charset=utf-8']);
  if (r.chance(0.3)) h[r.pick(['Content-MD5', 'content-md5'])] = md5Base64(r);
  const metas = new Set();
  for (let n = r.int(0, 3); n > 0; n--) metas.add(r.pick(META_NAMES));
  for (const m of metas) h[randomCase(r, `x-oss-meta-${m}`)] = r.pick(META_VALUES);
  if (r.chance(0.3)) h[randomCase(r, 'x-oss-object-acl')] = r.pick(['private', 'public-read', ' public-read ']);
  if (r.chance(0.2)) h['x-oss-storage-class'] = r.pick(['Standard', 'IA']);
  if (r.chance(0.2)) h['x-oss-forbid-overwrite'] = 'true';
  if (r.chance(0.15)) h['x-oss-tagging'] = 'a=1&b=2';
  if (r.chance(0.35)) h[r.pick(['Cache-Control', 'cache-control'])] = r.pick(['no-cache', 'max-age=3600', ' max-age=60 ']);
  if (r.chance(0.3)) h['Content-Disposition'] = r.pick(['attachment; filename="a.txt"', 'inline']);
  if (r.chance(0.2)) h['Content-Encoding'] = 'gzip';
  if (r.chance(0.2)) h.host = `${bucket}.oss-${region.replace(/^oss-/, '')}.aliyuncs.com`;
  return h;
}

function additionalHeaders(r, h) {
  // Only names present on the request (ali-oss throws on an absent one; that is a named case),
  // in random case, with duplicates and default-signed names mixed in as noise.
  const unsigned = Object.keys(h).filter((k) => !/^(content-type|content-md5|x-oss-)/i.test(k));
  if (unsigned.length === 0 || r.chance(0.4)) return undefined;
  const list = [];
  for (const k of unsigned) if (r.chance(0.7)) list.push(randomCase(r, k));
  if (list.length === 0) list.push(unsigned[0]);
  if (r.chance(0.3)) list.push(list[0].toUpperCase());
  if (r.chance(0.3)) list.push(r.pick(['content-type', 'Content-MD5', 'x-oss-meta-author', 'x-oss-date']));
  return list;
}

function query(r, allowMixed) {
  const q = {};
  for (let n = r.int(0, 4); n > 0; n--) {
    const name = allowMixed && r.chance(0.5) ? r.pick(Q_NAMES_MIXED) : r.pick(Q_NAMES_PLAIN);
    q[name] = r.chance(0.1) ? '' : r.pick(Q_VALUES);
  }
  return q;
}

function policyObject(r, c) {
  const date = isoBasic(c.signTime);
  const region = c.region.replace(/^oss-/, '');
  const conditions = [
    { bucket: c.bucket },
    ['starts-with', '$key', r.pick(['user/', 'uploads/中文/', 'a b/', ''])],
    ['content-length-range', 1, r.int(1024, 104857600)],
    { 'x-oss-signature-version': 'OSS4-HMAC-SHA256' },
    { 'x-oss-credential': `${c.credentials.accessKeyId}/${date.slice(0, 8)}/${region}/oss/aliyun_v4_request` },
    { 'x-oss-date': date },
  ];
  if (c.credentials.securityToken) conditions.push({ 'x-oss-security-token': c.credentials.securityToken });
  if (r.chance(0.5)) conditions.push(['in', '$content-type', ['image/jpeg', 'image/png']]);
  if (r.chance(0.5)) conditions.push(['eq', '$success_action_status', '201']);
  if (r.chance(0.4)) conditions.push({ 'x-oss-meta-owner': r.pick(['张三', 'alice', 'café "quoted" \\ slash/']) });
  return {
    expiration: new Date(c.signTime.getTime() + r.int(60, 86400) * 1000).toISOString(),
    conditions,
  };
}

/** yyyyMMdd'T'HHmmss'Z' */
export function isoBasic(d) {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

function base(r, kind) {
  const region = r.pick(REGIONS);
  const bucket = bucketName(r);
  return {
    kind,
    method: r.pick(METHODS),
    bucket,
    key: objectKey(r),
    region: r.chance(0.3) ? `oss-${region}` : region,
    credentials: credentials(r, r.chance(0.5)),
    signTime: signTime(r),
    headers: {},
    query: {},
    queryVia: r.chance(0.5) ? 'subres' : 'query',
  };
}

/** Seeded random cases: `n` of each kind. Half of them use only query names on which
 * localeCompare and byte order agree, so ali-oss is compared directly on most cases. */
export function generatedCases(seed = DEFAULT_SEED, n = 48) {
  const r = rng(seed);
  const out = [];
  for (let i = 0; i < n; i++) {
    const c = base(r, 'header');
    if (r.chance(0.1)) c.key = undefined;
    c.headers = headers(r, c.bucket, c.region);
    c.additionalHeaders = additionalHeaders(r, c.headers);
    c.query = query(r, i % 2 === 1);
    c.name = `gen-header-${String(i).padStart(2, '0')}`;
    out.push(c);
  }
  for (let i = 0; i < n; i++) {
    const c = base(r, 'presign');
    if (r.chance(0.1)) c.key = undefined;
    c.headers = headers(r, c.bucket, c.region);
    c.additionalHeaders = additionalHeaders(r, c.headers);
    c.query = query(r, i % 2 === 1);
    c.expiresInSecs = r.pick([1, 60, 599, 900, 3600, 86400, 604800, r.int(1, 604800)]);
    c.name = `gen-presign-${String(i).padStart(2, '0')}`;
    out.push(c);
  }
  for (let i = 0; i < Math.ceil(n / 2); i++) {
    const c = base(r, 'post');
    const obj = policyObject(r, c);
    // object | compact JSON text | pretty JSON text (the last one ali-oss re-serialises)
    c.policy = [obj, JSON.stringify(obj), JSON.stringify(obj, null, 2)][i % 3];
    c.name = `gen-post-${String(i).padStart(2, '0')}-${['object', 'compact-string', 'pretty-string'][i % 3]}`;
    out.push(c);
  }
  return out;
}

// A fixed, readable request most hand-written cases start from.
const T0 = new Date('2024-05-20T09:09:10Z');
const AK = { accessKeyId: 'LTAI5tExampleKeyId', accessKeySecret: 'ExampleSecretKey0123456789abcd' };
const STS = { accessKeyId: 'STS.NTExampleTemporaryId', accessKeySecret: 'TmpSecret0123456789abcdefghijk',
  securityToken: 'CAIS+8w1q6Ft5B2yfSjIr5bEfvH/3OxGx46qSB7Lo2Y+Q/ls2p/h0jz2IHtKfnZgB+Aav/8znW9Z6f8dlqV/RoRZRVLDNdGVyM8yxOxL==' };

function hand(kind, name, over) {
  return { kind, name, method: 'PUT', bucket: 'examplebucket', key: 'dir/object.bin', region: 'cn-hangzhou',
    credentials: AK, signTime: T0, headers: {}, query: {}, queryVia: 'query', ...over };
}

/** Hand-written cases: each pins one rule the issue lists, for header signing and presigning. */
export function namedCases() {
  const out = [];
  const both = (name, over) => {
    out.push(hand('header', `header: ${name}`, over));
    out.push(hand('presign', `presign: ${name}`, { expiresInSecs: 900, ...over }));
  };
  both('key CJK', { key: '中文/文件夹/报告.pdf' });
  both('key emoji', { key: 'emoji/😀🚀 party.png' });
  both('key spaces', { key: 'my folder/a b  c.txt' });
  both('key plus', { key: 'a+b/c++.txt' });
  both('key percent', { key: '100%/%20literal%2F.txt' });
  both('key tilde', { key: '~user/~file~' });
  both('key star', { key: '*/a*b*.txt' });
  both("key apostrophe", { key: "it's/o'neil's.txt" });
  both('key double slash', { key: 'a//b///c.txt' });
  both('key trailing slash (folder object)', { key: 'folder/sub/' });
  both('key every printable ASCII special', { key: "x !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~" });
  both('bucket-level request (no key), ?acl', { key: undefined, method: 'GET', query: { acl: null } });
  both('query null value (bare name)', { query: { uploads: null } });
  both('query value "0" keeps its "="', { method: 'POST', query: { append: null, position: '0' } });
  both('query needs encoding', { query: { 'response-content-disposition': 'attachment; filename="a b+c.txt"', 'x-oss-process': 'image/resize,w_100' } });
  both('mixed-case header names', { headers: { 'Content-Type': 'text/plain', 'X-OSS-Meta-Author': 'alice', 'x-Oss-Object-Acl': 'private' } });
  both('header values with surrounding spaces', { headers: { 'content-type': '  text/plain  ', 'x-oss-meta-a': '  padded  ', 'x-oss-meta-b': 'in  ner' } });
  both('header value with tab padding', { headers: { 'x-oss-meta-tab': '\tvalue\t' } });
  both('x-oss-meta UTF-8 values', { headers: { 'x-oss-meta-author': '张三', 'x-oss-meta-emoji': '😀', 'x-oss-meta-latin1': 'café' } });
  both('Content-MD5', { headers: { 'Content-MD5': 'eB5eJF1ptWaXm4bijSPyxw==', 'Content-Type': 'text/html' } });
  both('security token', { credentials: STS, headers: { 'content-type': 'image/png' } });
  both('additional headers (noise: dupes, case, default-signed names)', {
    headers: { 'Cache-Control': 'no-cache', 'Content-Disposition': 'inline', host: 'examplebucket.oss-cn-hangzhou.aliyuncs.com', 'x-oss-meta-a': '1' },
    additionalHeaders: ['Host', 'cache-control', 'HOST', 'content-type', 'x-oss-meta-a', 'Content-Disposition'],
  });
  both('region given as oss-cn-shanghai', { region: 'oss-cn-shanghai' });
  both('sign time 23:59:59 UTC (scope date = that day)', { signTime: new Date('2024-02-29T23:59:59Z') });
  both('empty x-oss-meta value', { headers: { 'x-oss-meta-empty': '' } });

  // Where ali-oss departs from Go v2 / Python v2 / PHP v2 / Java (oss-v4-signing.md §10): the
  // expected value is the majority's (computed by alibabacloud-oss-v2), never ali-oss's.
  both('empty-query-value (ali-oss departs: §10)', { query: { uploads: '' } });
  both('empty-query-value mixed with null and set values (ali-oss departs: §10)', { query: { a: '', b: null, c: 'v' } });
  both('locale-sort: upper case before lower case (ali-oss departs: §10)', { query: { b: '1', B: '2', a: '3', Z: '4' } });
  both('locale-sort: "_" and "-" against letters (ali-oss departs: §10)', { query: { a_b: '1', 'a-b': '2', ab: '3', 'a.b': '4' } });
  // Given as a sub-resource, '' is mapped to null by ali-oss's createRequest: no departure.
  out.push(hand('header', 'header: empty query value via ali-oss subres (no departure)', { query: { uploads: '' }, queryVia: 'subres' }));

  // The additional header list names a header the request lacks: Go/Python/PHP/Java drop it,
  // ali-oss throws. Our library may drop it (majority) or refuse with InvalidArgument.
  for (const kind of ['header', 'presign']) {
    out.push(hand(kind, `${kind}: additional-header-absent (ali-oss departs: throws, §10)`, {
      expiresInSecs: 900, headers: { 'cache-control': 'no-cache' }, additionalHeaders: ['cache-control', 'x-absent'],
    }));
  }

  // Expiry boundaries.
  out.push(hand('presign', 'presign: expiry 1 s', { expiresInSecs: 1 }));
  out.push(hand('presign', 'presign: expiry 604800 s (7 days)', { expiresInSecs: 604800 }));

  // OSS object names must not start with `/` or `\` (oss-v4-signing.md §3.2, DOC-NAME). ali-oss's
  // put() strips leading slashes, its signers don't; our library refuses such keys with
  // InvalidArgument and sends nothing, so these cases assert the error instead of a signature.
  for (const key of ['/leading-slash.txt', '//double-leading/x', '\\leading-backslash.txt', '']) {
    for (const rejects of ['header', 'presign']) {
      out.push(hand('reject', `reject (${rejects}): key ${JSON.stringify(key)}`, { key, rejects, expiresInSecs: 900 }));
    }
  }

  // Post policies.
  const pol = (c) => ({
    expiration: '2024-05-20T10:09:10.000Z',
    conditions: [
      { bucket: c.bucket },
      ['starts-with', '$key', 'user/中文/'],
      ['content-length-range', 1, 10485760],
      { 'x-oss-signature-version': 'OSS4-HMAC-SHA256' },
      { 'x-oss-credential': `${c.credentials.accessKeyId}/20240520/cn-hangzhou/oss/aliyun_v4_request` },
      { 'x-oss-date': '20240520T090910Z' },
      ...(c.credentials.securityToken ? [{ 'x-oss-security-token': c.credentials.securityToken }] : []),
    ],
  });
  for (const credentials of [AK, STS]) {
    const who = credentials.securityToken ? 'with token' : 'no token';
    const c = hand('post', '', { credentials });
    out.push({ ...c, name: `post: object policy, ${who}`, policy: pol(c) });
    out.push({ ...c, name: `post: compact JSON string, ${who}`, policy: JSON.stringify(pol(c)) });
    out.push({ ...c, name: `post: pretty JSON string (ali-oss departs: re-serialises string policies, §7/§10), ${who}`,
      policy: JSON.stringify(pol(c), null, 2) });
  }
  return out;
}

/** The official vectors (tests/vectors/, a copy of shared/reference/oss-v4-sdk-vectors.json) our API can express (not CloudBox). */
export function vectorCases(file = new URL('../vectors/oss-v4-sdk-vectors.json', import.meta.url)) {
  const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  const out = [];
  for (const v of doc.vectors) {
    const c = v.case;
    if (c.product && c.product !== 'oss') continue; // CloudBox: not part of this library's API
    out.push({
      kind: c.kind,
      name: `vector: ${v.name}`,
      method: c.method,
      bucket: c.bucket,
      key: c.key,
      region: c.region,
      credentials: { accessKeyId: c.accessKeyId, accessKeySecret: c.accessKeySecret,
        ...(c.securityToken ? { securityToken: c.securityToken } : {}) },
      signTime: new Date(c.signTime),
      headers: c.headers || {},
      query: c.query || {},
      queryVia: 'query',
      additionalHeaders: c.additionalHeaders,
      expiresInSecs: c.expires,
      expected: v.expected,
    });
  }
  return out;
}
