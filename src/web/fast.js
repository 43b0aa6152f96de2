// The fast lane of `signRequest` / `presignUrl` and of the `Signer`'s methods (src/web/fast.rs).
//
// `packCall` turns a plain call object into one NUL-separated string that the Rust side splits
// without copying, or returns `undefined` when anything about the input is unusual (a non-plain
// object, a wrong type, a NUL inside a string, an invalid or out-of-range date or expiry, a field
// fixed by the Signer given to one of its calls, a `toJSON` member). Then the Rust side takes its
// general path (`JSON.stringify` and its reader), which gives every error its code and field. So
// this lane only ever sees input the general path accepts as is, and the answers are the same
// bytes.
//
// `unpackSigned` builds the answer object from the NUL-separated result.
//
// Packed call: U+0080, [location,] time_ms, expires ('' for signRequest), method, bucket, key,
// nh, (name, value)*nh, nq, (name, value)*nq, na, name*na — each followed by NUL. An optional
// string is '' when absent and '=' + text when given; a query value is '' for null (`?uploads`)
// and '=' + text otherwise.
// The location (standalone functions only; a Signer has its own): region, cloudBoxId?, endpoint?,
// endpointType?, three flags '0'/'1' (cname, pathStyle, allowInsecureHttp), accessKeyId,
// accessKeySecret, securityToken? — each followed by NUL. The packed text is handed to wasm at
// once and never kept.

const NUL = '\0';
const MARK = '\u0080';
const FIXED = ['credentials', 'region', 'endpoint', 'endpointType', 'cname', 'pathStyle', 'cloudBoxId', 'allowInsecureHttp'];
// 9999-12-31T23:59:59.999Z, the last instant the signer accepts.
const MAX_MS = 253402300799999;

const plain = (o) => o !== null && typeof o === 'object' && Object.getPrototypeOf(o) === Object.prototype
  && o.toJSON === undefined;
const text = (s) => typeof s === 'string' && !s.includes(NUL);

/**
 * The packed call, or undefined: the general path then reads `o`. `standalone`: a call of
 * `signRequest` / `presignUrl`, which carries its location and credentials (else a Signer's).
 */
export function packCall(o, presign, standalone) {
  if (!plain(o)) return undefined;
  const { method, bucket, key, headers, query, additionalHeaders, signTime } = o;
  // A first character beyond ASCII makes wasm-bindgen hand the whole text to the engine's
  // TextEncoder.encodeInto at once instead of copying its ASCII prefix a character at a time in JS
  // (3 µs instead of 1 µs for a call carrying an STS token).
  let s = MARK;
  if (standalone) {
    const l = location(o);
    if (l === null || bucket == null) return undefined;
    s += l;
  } else {
    for (let i = 0; i < FIXED.length; i++) if (o[FIXED[i]] != null) return undefined;
  }
  let t;
  if (signTime == null) t = Date.now();
  else if (signTime instanceof Date && Object.getPrototypeOf(signTime) === Date.prototype) t = signTime.getTime();
  else if (typeof signTime === 'number') t = signTime;
  else return undefined;
  if (!Number.isSafeInteger(t) || t < 0 || t > MAX_MS) return undefined;
  s += t + NUL;
  if (presign) {
    const e = o.expiresInSecs;
    if (!Number.isInteger(e) || e < 1 || e > 604800) return undefined;
    s += e;
  }
  s += NUL;
  if (!text(method)) return undefined;
  const b = optional(bucket);
  const k = optional(key);
  const h = map(headers, false);
  const q = map(query, true);
  if (b === null || k === null || h === null || q === null) return undefined;
  s += method + NUL + b + k + h + q;
  if (additionalHeaders == null) return `${s}0${NUL}`;
  if (!Array.isArray(additionalHeaders)) return undefined;
  s += additionalHeaders.length + NUL;
  for (const h of additionalHeaders) {
    if (!text(h)) return undefined;
    s += h + NUL;
  }
  return s;
}

/** The location part of a standalone call; null when the fast lane cannot pack it. */
function location(o) {
  const c = o.credentials;
  if (!text(o.region) || !plain(c) || !text(c.accessKeyId) || !text(c.accessKeySecret)) return null;
  const parts = [optional(o.cloudBoxId), optional(o.endpoint), optional(o.endpointType),
    optional(c.securityToken != null ? c.securityToken : c.stsToken)];
  let flags = '';
  for (const f of [o.cname, o.pathStyle, o.allowInsecureHttp]) {
    if (f == null || f === false) flags += '0';
    else if (f === true) flags += '1';
    else return null;
  }
  if (parts.includes(null)) return null;
  return o.region + NUL + parts[0] + parts[1] + parts[2] + flags + NUL + c.accessKeyId + NUL + c.accessKeySecret + NUL + parts[3];
}

/** '' when absent, '=' + text when given; null when the fast lane cannot pack it. */
function optional(v) {
  if (v == null) return NUL;
  return text(v) ? `=${v}${NUL}` : null;
}

/**
 * count, then (name, value)* of a headers (null members skipped) or query (null = no value) map;
 * null when the fast lane cannot pack it.
 */
function map(m, isQuery) {
  if (m == null) return `0${NUL}`;
  if (!plain(m)) return null;
  let n = 0;
  let part = '';
  for (const k of Object.keys(m)) {
    const v = m[k];
    if (v === undefined || (v === null && !isQuery)) continue;
    if (k.includes(NUL)) return null;
    if (v === null) part += k + NUL + NUL;
    else if (text(v)) part += k + NUL + (isQuery ? `=${v}` : v) + NUL;
    else return null;
    n++;
  }
  return n + NUL + part;
}

/** `{url, headers}` (and `expiresAt` unless `expiresMs` is NaN) of `url NUL (name NUL value NUL)*`. */
export function unpackSigned(packed, expiresMs) {
  const headers = {};
  let i = packed.indexOf(NUL);
  const url = packed.slice(0, i);
  for (let j = packed.indexOf(NUL, i + 1); j > 0; j = packed.indexOf(NUL, i + 1)) {
    const k = packed.indexOf(NUL, j + 1);
    const name = packed.slice(i + 1, j);
    const value = packed.slice(j + 1, k);
    // A header may be called `__proto__` (a valid HTTP token): make it a property, as JSON.parse does.
    if (name === '__proto__') Object.defineProperty(headers, name, { value, enumerable: true, writable: true, configurable: true });
    else headers[name] = value;
    i = k;
  }
  return expiresMs === expiresMs ? { url, headers, expiresAt: new Date(expiresMs) } : { url, headers };
}

/**
 * The general path's JSON text of `o`. A number JSON cannot write (NaN, ±Infinity) becomes
 * `{"\0": "NaN"}`, which the reader refuses by name, instead of `null`, which would drop a
 * header, turn a query value into a bare `?name` or a bound into its default.
 */
export function snapshotText(o) {
  return JSON.stringify(o, nonFinite);
}

function nonFinite(k, v) {
  return typeof v === 'number' && !Number.isFinite(v) ? { [NUL]: String(v) } : v;
}
