// Drives the official ali-oss SDK (npm `ali-oss`, node build) with its clock fixed, the way its
// own code signs:
//  - header signing: `createRequest.call(client, params)` (lib/common/utils/createRequest.ts), the
//    function the node client's `request()` calls before sending. It adds x-oss-date,
//    x-oss-content-sha256, x-oss-security-token, guesses Content-Type from the key's extension
//    when none is given, and calls `client.authorizationV4` -> `signUtils.authorizationV4`.
//    We take the Authorization header and every header it would put on the wire.
//  - presigned URLs: `client.signatureUrlV4(method, expires, {headers, queries}, key, additionalHeaders)`.
//  - post policy: `client.signPostObjectPolicyV4(policy, date)`.
// The client is created with `authorizationV4: true`. Nothing is sent: no network.

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const OSS = require('ali-oss');
const { createRequest } = require('ali-oss/lib/common/utils/createRequest.js');

export const ALI_OSS_VERSION = require('ali-oss/package.json').version;

const RealDate = Date;

/** Runs `fn` with `new Date()` / `Date.now()` fixed at `t` (ali-oss reads the clock with both). */
export async function withFixedClock(t, fn) {
  const ms = t.getTime();
  class FixedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(ms);
      else super(...args);
    }
    static now() {
      return ms;
    }
  }
  globalThis.Date = FixedDate;
  try {
    return await fn();
  } finally {
    globalThis.Date = RealDate;
  }
}

function client(c) {
  const opts = {
    region: c.region,
    accessKeyId: c.credentials.accessKeyId,
    accessKeySecret: c.credentials.accessKeySecret,
    bucket: c.bucket,
    authorizationV4: true,
  };
  if (c.credentials.securityToken) opts.stsToken = c.credentials.securityToken;
  // ali-oss warns on stdout-less consoles when an STS token comes without refreshSTSToken;
  // the warning is noise here.
  const warn = console.warn;
  console.warn = () => {};
  try {
    return new OSS(opts);
  } finally {
    console.warn = warn;
  }
}

/** Header-signed request. Returns { authorization, headers (as sent), url } or { error }. */
export async function aliHeader(c) {
  try {
    const cl = client(c);
    const params = {
      method: c.method,
      bucket: c.bucket,
      object: c.key,
      headers: { ...c.headers },
      additionalHeaders: c.additionalHeaders,
    };
    if (c.queryVia === 'subres') params.subres = { ...c.query };
    else params.query = { ...c.query };
    const req = await withFixedClock(c.signTime, () => createRequest.call(cl, params));
    const headers = { ...req.params.headers };
    return { authorization: headers.authorization, headers, url: req.url };
  } catch (e) {
    return { error: e.message };
  }
}

/** Presigned URL. Returns { url, params: URLSearchParams } or { error }. */
export async function aliPresign(c) {
  try {
    const cl = client(c);
    const url = await withFixedClock(c.signTime, () =>
      cl.signatureUrlV4(c.method, c.expiresInSecs, { headers: { ...c.headers }, queries: { ...c.query } }, c.key,
        c.additionalHeaders));
    return { url, params: new URL(url).searchParams };
  } catch (e) {
    return { error: e.message };
  }
}

/** Post-policy signature (hex) for `policy` (object or JSON text) at the case's sign time. */
export function aliPost(c, policy) {
  try {
    return { signature: client(c).signPostObjectPolicyV4(policy, c.signTime) };
  } catch (e) {
    return { error: e.message };
  }
}
