import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const OSS = require('ali-oss');
const { createRequest } = require('ali-oss/lib/common/utils/createRequest.js');
const RealDate = Date;
async function withClock(t, fn) {
  const ms = t.getTime();
  class FixedDate extends RealDate { constructor(...a) { if (a.length === 0) super(ms); else super(...a); } static now() { return ms; } }
  globalThis.Date = FixedDate;
  try { return await fn(); } finally { globalThis.Date = RealDate; }
}
const vec = JSON.parse(require('fs').readFileSync('/work/shared/reference/oss-v4-sdk-vectors.json','utf8'));
for (const v of vec.vectors) {
  const c = v.case;
  const opts = { region: c.region, accessKeyId: c.accessKeyId, accessKeySecret: c.accessKeySecret, bucket: c.bucket, authorizationV4: true };
  if (c.securityToken) opts.stsToken = c.securityToken;
  if (c.product === 'oss-cloudbox') { opts.cloudBoxId = c.region; opts.region = 'cn-hangzhou'; }
  const client = new OSS(opts);
  let got;
  const t = new RealDate(c.signTime);
  try {
  if (c.kind === 'header') {
    const r = await withClock(t, () => createRequest.call(client, { method: c.method, bucket: c.bucket, object: c.key, headers: { ...c.headers }, query: c.query, additionalHeaders: c.additionalHeaders }));
    got = r.params.headers.authorization;
    console.log(v.name, got === v.expected.authorization ? 'OK' : 'DIFF', got);
  } else {
    const url = await withClock(t, () => client.signatureUrlV4(c.method, c.expires, { headers: c.headers, queries: c.query }, c.key, c.additionalHeaders));
    const sig = new URL(url).searchParams.get('x-oss-signature');
    console.log(v.name, sig === v.expected['x-oss-signature'] ? 'OK' : 'DIFF', url);
  }
  } catch (e) { console.log(v.name, 'ERR', e.message); }
}
