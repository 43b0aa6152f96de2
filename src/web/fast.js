// How `signRequest` / `presignUrl` and the `Signer` read their argument (src/web/fast.rs).
//
// Every argument crosses into wasm as ONE packed string of fields, which the Rust side splits
// without copying; the answer comes back as one string that `unpackSigned` splits. Two lanes
// write the same packed fields:
// - the fast lane: a plain object whose fields already have the right types (and no NUL in its
//   strings) is packed as it is, with no copy and no `JSON.stringify`;
// - the checking lane, for everything else: `JSON.stringify` (dates become ISO text, `toJSON` is
//   applied, functions and `undefined` members vanish, NaN and ±Infinity are marked), then each
//   field is type-checked in the order the answer documents, and a wrong type throws an
//   `OssError` (code InvalidArgument, `field` naming it) here, before wasm is entered. Values
//   (bucket names, keys, headers, endpoints, credentials) are checked in Rust either way.
// tests/crosscheck/signer-fast-lane.test.mjs runs both lanes on the same inputs.
//
// Packed call: MARK, [location,] time, expires ('' for signRequest), method, bucket, key,
// nh, (name, value)*nh, nq, (name, value)*nq, na, name*na — each followed by SEP. An optional
// string is '' when absent and '=' + text when given; a query value is '' for null (`?uploads`)
// and '=' + text otherwise. time is milliseconds (a string signTime is read as ISO 8601 here).
// The location (standalone functions and `new Signer`): region, cloudBoxId?, endpoint?,
// endpointType?, three flags '0'/'1' (cname, pathStyle, allowInsecureHttp), accessKeyId,
// accessKeySecret, securityToken? — each followed by SEP.
// MARK is U+0080 with SEP = NUL (the fast lane), or U+0081 followed by SEP, a character that
// occurs in no field (the checking lane, whose strings may hold NUL). The packed text is handed
// to wasm at once and never kept.

const NUL = '\0';
// Made at run time, never written as literals: a bundler's minifier (terser) writes '\u0080' as
// the raw character, which a page decoded as Latin-1 or GBK (no `<meta charset="utf-8">`)
// would turn into another one, and every packed call would be refused. (esbuild folds
// String.fromCharCode into a literal; it leaves decodeURIComponent alone.)
const MARK = decodeURIComponent('%C2%80');
const CHECKED = decodeURIComponent('%C2%81');
const FIXED = ['credentials', 'region', 'endpoint', 'endpointType', 'cname', 'pathStyle', 'cloudBoxId', 'allowInsecureHttp'];
// The per-request fields of signRequest / presignUrl (and of a Signer's calls).
const REQUEST = ['method', 'bucket', 'key', 'headers', 'query', 'additionalHeaders', 'signTime'];
const CREDENTIALS = ['accessKeyId', 'accessKeySecret', 'securityToken', 'stsToken'];

// The members an input may have; anything else (not null or undefined) is refused, as
// OssClient's options are: a misspelt option must not vanish. `expiresInSecs` everywhere: one
// input object may serve signRequest and presignUrl. Sets: the fast lane checks every member of
// every call.
const PER_CALL = new Set([...REQUEST, 'expiresInSecs']);
const STANDALONE = new Set([...PER_CALL, ...FIXED]);
const known = (k, standalone) => (standalone ? STANDALONE : PER_CALL).has(k);
// 9999-12-31T23:59:59.999Z, the last instant the signer accepts.
const MAX_MS = 253402300799999;

const plain = (o) => o !== null && typeof o === 'object' && Object.getPrototypeOf(o) === Object.prototype
  && o.toJSON === undefined;
/**
 * Whether `s` has no lone surrogate (half of a UTF-16 pair). Strings cross into wasm as UTF-8,
 * which cannot hold one: TextEncoder would write U+FFFD, and another key or value than the one
 * given would be signed and sent (two such keys, one object). Also called from wasm
 * (src/web/input.rs) on `OssClient`'s strings.
 */
export const wellFormed = typeof ''.isWellFormed === 'function' ? (s) => s.isWellFormed() : (s) => !/\p{Cs}/u.test(s);
const LONE = 'has a lone surrogate (half of a UTF-16 pair), which UTF-8 cannot carry';
const text = (s) => typeof s === 'string' && s.length <= MAX_TEXT && !s.includes(NUL) && wellFormed(s);
/**
 * The most text one call packs, in UTF-16 code units: far above what OSS takes (8 KB of
 * metadata, 2 MB per form field), far below what could exhaust wasm memory (a 400 MB query
 * value, percent-encoded and copied, once trapped the signer).
 */
const MAX_TEXT = 1 << 22;
const TOO_LARGE = `is too long: over ${MAX_TEXT} characters`;
/** Whether `s` is a string over `MAX_TEXT` (`OssClient`'s strings: src/web/input.rs). */
export const tooLong = (s) => typeof s === 'string' && s.length > MAX_TEXT;
/** Whether the names and string values of an object or array (an `OssClient` map or list)
 *  are over `MAX_TEXT` together; false when they cannot be read (the reader says why). */
export function tooMuch(o) {
  try {
    let n = 0;
    for (const [k, v] of Object.entries(o)) {
      const m = typeof v === 'string' ? v.length : 0;
      // One string too long on its own is named by its reader.
      if (k.length > MAX_TEXT || m > MAX_TEXT) return false;
      n += k.length + m;
    }
    return n > MAX_TEXT;
  } catch {
    return false;
  }
}

/**
 * The packed call. `standalone`: a call of `signRequest` / `presignUrl`, which carries its
 * location and credentials (else a Signer's). Throws an `OssError` on a wrong type.
 */
export function packCall(o, presign, standalone) {
  let fast;
  try {
    fast = fastCall(o, presign, standalone);
  } catch (e) {
    // A getter or Proxy trap of the caller's object threw (or a revoked Proxy): an OssError, as
    // OssClient's options give, rather than the caller's exception escaping as is. One of ours
    // (a getter that called this signer again: InvalidState) passes through.
    if (e instanceof Error && e.name === 'OssError') throw e;
    throw invalid(new Bad('input', 'could not be read (a getter or Proxy threw)'));
  }
  // Too large for the fast lane: the checking lane names the error.
  return fast?.length <= MAX_TEXT ? fast : checked(() => checkedCall(o, presign, standalone));
}

/** The fast lane, or undefined when anything about `o` is unusual. */
function fastCall(o, presign, standalone) {
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
  }
  for (const n in o) if (o[n] != null && !known(n, standalone)) return undefined;
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
    if (!text(k)) return null;
    if (v === null) part += k + NUL + NUL;
    else if (text(v)) part += k + NUL + (isQuery ? `=${v}` : v) + NUL;
    else return null;
    n++;
  }
  return n + NUL + part;
}

// --- the checking lane -----------------------------------------------------------------------
//
// Types are checked here, values in wasm, in the order the general API documents: a field whose
// type is read after some of wasm's own checks (`cname` after the endpoint type, `credentials`
// after the request…) must not report its error before them. So the first such error is not
// thrown but packed with its stage, and wasm raises it at that point (`Pending` in fast.rs):
// the same bad input names the same field first whichever lane or export reads it.
// Stages: 0 after the endpoint type, 1 after the request, 2 after plain http (the location of a
// Signer), 3 after the credentials. The checking lane's packed text starts with stage, field,
// reason ('' when nothing is pending); wasm never reads the placeholders packed after one.

/** A wrong type in the argument, thrown as an `OssError` (or packed, see above). */
class Bad {
  constructor(field, why) {
    this.field = field;
    this.why = why;
  }
}

/** An `OssError` for a bad argument, shaped as the ones wasm throws (src/web/js_error.rs). */
function invalid({ field, why }) {
  return ossError(`invalid ${field}: ${why}`, 'InvalidArgument', field, false);
}

/** An `OssError` (the signing-only wasm's errors: src/web/js_error.rs), `field` when not ''. */
export function ossError(message, code, field, retryable) {
  const e = new Error(message);
  e.name = 'OssError';
  e.code = code;
  e.retryable = retryable;
  if (field) e.field = field;
  return e;
}

/** `fn()`, with a wrong type thrown as an `OssError`. */
function checked(fn) {
  try {
    return fn();
  } catch (e) {
    if (e instanceof Bad) throw invalid(e);
    // One of ours passes through (a getter that called a Signer again: InvalidState); anything
    // else is the caller's object failing to be read (a revoked Proxy, a trap that throws).
    if (e instanceof Error && e.name === 'OssError') throw e;
    throw invalid(new Bad('input', 'could not be read (a getter or Proxy threw)'));
  }
}

/** `o[n]`; a getter (or Proxy trap) that throws is an error naming the field. */
function read(o, n, field) {
  try {
    return o[n];
  } catch {
    throw new Bad(field, 'could not be read (its getter threw)');
  }
}

/**
 * The fields `names` of `o` as a plain object, read as properties (a class's getters and
 * inherited members included: JSON sees own enumerable members only, and a `key` behind a getter
 * would vanish, signing a bucket-level request). `credentials` are picked too (their other
 * members ignored).
 */
function pick(o, field, names) {
  if (o === null || typeof o !== 'object' || Array.isArray(o) || mark(o) !== undefined) return o;
  if (typeof o.toJSON === 'function') return o; // what toJSON gives is what JSON sees
  const out = {};
  for (const n of names) {
    let x = read(o, n, field === 'credentials' ? `${field}.${n}` : n);
    if (n === 'credentials') x = pick(x, n, CREDENTIALS);
    if (x !== undefined) out[n] = x;
  }
  return out;
}

/** Refuses a member of `o` (neither null nor undefined) that is not one of `names`, as OssClient
 *  does: a misspelt option must not be dropped without a word. For a `signer`'s call, a location
 *  field gets the Signer's own message. */
function refuseUnknown(o, names, api, signer) {
  for (const k of Object.keys(o)) {
    if (read(o, k, k) == null || names.includes(k)) continue;
    throw new Bad(k, signer && FIXED.includes(k) ? 'is fixed when the Signer is created (new credentials: setCredentials)'
      : `is not an option of ${api}`);
  }
}

/** The text of a value JSON cannot write as it is (see `snapshot`), or undefined. */
function marked(v) {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const k = Object.keys(v);
  return k.length === 1 && k[0] === NUL && typeof v[NUL] === 'string' ? v[NUL] : undefined;
}

/** How an error names the type of a JSON value. */
function typeName(v) {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return 'an array';
  if (typeof v !== 'object') return `a ${typeof v}`;
  const m = marked(v);
  if (m === undefined) return 'an object';
  return m === 'NaN' || m.endsWith('Infinity') ? 'NaN or Infinity' : m;
}

// Unicode White_Space, which Rust's `str::trim` removes (JS's `trim` differs: U+0085, U+FEFF).
const SPACE = '[\\t-\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]+';
const TRIM = new RegExp(`^${SPACE}|${SPACE}$`, 'g');
const ISO = /^(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:\.\d*)?(?:[Zz]|([+-])(\d\d):(\d\d))$/;
const MAX_SECS = Math.floor(MAX_MS / 1000);

/**
 * A string `signTime` (a Date after `JSON.stringify`, or text): ISO 8601 as the signer reads
 * STS and OSS times (src/time.rs `parse_iso8601`, the same grammar: optional fraction, ignored;
 * `Z` or a numeric offset; the wall time and the instant both within 1970–9999), as packed
 * milliseconds of a whole second; undefined when it is not one.
 */
function isoMillis(text) {
  const m = ISO.exec(text.replace(TRIM, ''));
  if (m === null) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
  // Before 1970 the wall time is out of range (and Date.UTC would read years 0–99 as 19xx).
  const wall = y < 1970 ? -1 : Date.UTC(y, mo - 1, d, h, mi, Math.min(s, 59)) / 1000;
  const day = new Date(wall * 1000);
  if (day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== d || h > 23 || mi > 59 || s > 60) return undefined;
  const offset = m[7] === undefined ? 0 : (m[7] === '+' ? -1 : 1) * (Number(m[8]) * 3600 + Number(m[9]) * 60);
  const secs = wall + offset;
  return wall < 0 || wall > MAX_SECS || secs < 0 || secs > MAX_SECS ? undefined : String(secs * 1000);
}

/** What JSON would drop or flatten silently, marked so that no field accepts it. */
function mark(raw) {
  if (typeof raw === 'number') return Number.isFinite(raw) ? undefined : String(raw);
  if (typeof raw === 'function' || typeof raw === 'symbol' || typeof raw === 'bigint') return `a ${typeof raw}`;
  if (raw === null || typeof raw !== 'object') return undefined;
  if (raw instanceof Date) return Number.isNaN(raw.getTime()) ? 'an invalid Date' : undefined;
  if (raw instanceof Map) return 'a Map';
  if (raw instanceof Set) return 'a Set';
  if (typeof Headers === 'function' && raw instanceof Headers) return 'a Headers object';
  if (typeof URLSearchParams === 'function' && raw instanceof URLSearchParams) return 'a URLSearchParams object';
  return undefined;
}

/**
 * `o` as JSON sees it, except what JSON would turn into null, drop or flatten without a word:
 * NaN and ±Infinity (null would drop a header, make a query value a bare `?name` or a bound its
 * default), functions, symbols and BigInts (dropped: a `key` given as one would sign a
 * bucket-level request), invalid Dates (null), Maps, Sets, `Headers` and `URLSearchParams`
 * (written as `{}`: their entries would vanish). Each is written as `{"\0": "what it is"}`, which
 * no field accepts and errors name.
 */
function snapshot(o, field, names, api, signer) {
  if (typeof o === 'function') throw new Bad(field, 'must be an object, got a function');
  const picked = pick(o, field, names);
  let json;
  try {
    json = JSON.stringify(picked, function (k, v) {
      const m = mark(this[k]);
      return m === undefined ? v : { [NUL]: m };
    });
  } catch {
    throw new Bad(field, 'could not be read (JSON.stringify failed: a cycle, or a getter that throws?)');
  }
  const v = json === undefined ? undefined : JSON.parse(json);
  if (v === null || typeof v !== 'object' || Array.isArray(v) || marked(v) !== undefined) {
    throw new Bad(field, `must be an object, got ${typeName(v)}`);
  }
  if (api && picked !== o) refuseUnknown(o, names, api, signer);
  return new Fields(v, field === 'credentials' ? field : '');
}

/** Typed reads of a JSON object whose fields are named `path.name` (or `name` at the root). */
class Fields {
  constructor(v, path) {
    this.v = v;
    this.path = path;
    /** The first pending error: [stage, field, reason]. */
    this.late = null;
  }

  name(n) {
    return this.path ? `${this.path}.${n}` : n;
  }

  /** The member, undefined when absent or null. */
  get(n) {
    const x = Object.hasOwn(this.v, n) ? this.v[n] : undefined;
    return x === null ? undefined : x;
  }

  /** How an error names the type of `x`. */
  type(x) {
    return typeName(x);
  }

  /** `read()` of a field checked at `stage`: a wrong type is kept pending and `fallback` returned. */
  at(stage, read, fallback) {
    if (this.late) return fallback;
    try {
      return read();
    } catch (e) {
      if (!(e instanceof Bad)) throw e;
      this.late = [String(stage), e.field, e.why];
      return fallback;
    }
  }

  optStr(n) {
    const x = this.get(n);
    if (x === undefined) return x;
    if (typeof x !== 'string') throw new Bad(this.name(n), `must be a string, got ${this.type(x)}`);
    if (!wellFormed(x)) throw new Bad(this.name(n), LONE);
    return x;
  }

  str(n) {
    const x = this.optStr(n);
    if (x === undefined) throw new Bad(this.name(n), 'is required');
    return x;
  }

  /** An optional string as packed: '' when absent, '=' + text. */
  opt(n) {
    const x = this.optStr(n);
    return x === undefined ? '' : `=${x}`;
  }

  /** A boolean as packed: '1' or '0' (absent). */
  flag(n) {
    const x = this.get(n);
    if (x === undefined || typeof x === 'boolean') return x ? '1' : '0';
    throw new Bad(this.name(n), `must be a boolean, got ${this.type(x)}`);
  }

  /** A required whole number from `min` to `max`, as packed. */
  int(n, min, max) {
    const x = this.optInt(n, min, max);
    if (x === '') throw new Bad(this.name(n), 'is required');
    return x;
  }

  /** An optional whole number from `min` to `max`, as packed ('' when absent). */
  optInt(n, min, max) {
    const x = this.get(n);
    if (x === undefined) return '';
    if (Number.isInteger(x) && x >= min && x <= max) return String(x);
    throw new Bad(this.name(n), `must be a whole number from ${min} to ${max}`);
  }

  /** A nested object, undefined when absent. */
  nested(n) {
    const x = this.get(n);
    if (x === undefined) return undefined;
    if (typeof x === 'object' && !Array.isArray(x) && marked(x) === undefined) return new this.constructor(x, n);
    throw new Bad(this.name(n), `must be an object, got ${this.type(x)}`);
  }

  /** count, then (name, value)* of `Record<string, string>` (null members skipped) or, with
   *  `isQuery`, `Record<string, string | null>` (a number kept as JSON writes it). */
  pairs(n, isQuery) {
    const m = this.nested(n);
    const out = [];
    for (const [k, x] of Object.entries(m ? m.v : {})) {
      // A name that is not well formed is named by its map (an error's field is well formed).
      if (!wellFormed(k)) throw new Bad(this.name(n), LONE);
      if (typeof x === 'string' && !wellFormed(x)) throw new Bad(m.name(k), LONE);
      if (typeof x === 'string') out.push(k, isQuery ? `=${x}` : x);
      else if (x === null && !isQuery) continue;
      else if (x === null) out.push(k, '');
      else if (isQuery && typeof x === 'number') out.push(k, `=${x}`);
      else throw new Bad(m.name(k), `must be a string${isQuery ? ' or null' : ''}, got ${typeName(x)}`);
    }
    return [String(out.length / 2), ...out];
  }

  /** count, then the strings of a `string[]` (with `nonEmpty`, one that is given must not be
   *  empty: an allow-list filtered down to nothing must not allow everything). */
  list(n, nonEmpty) {
    const x = this.get(n);
    if (x === undefined) return ['0'];
    if (!Array.isArray(x)) throw new Bad(this.name(n), `must be an array of strings, got ${this.type(x)}`);
    if (nonEmpty && x.length === 0) throw new Bad(this.name(n), 'is empty: list at least one type (leave it out to allow any)');
    if (!x.every((s) => typeof s === 'string')) throw new Bad(this.name(n), 'must contain only strings');
    if (!x.every(wellFormed)) throw new Bad(this.name(n), LONE);
    return [String(x.length), ...x];
  }

  /** id, secret, token? of `{ accessKeyId, accessKeySecret, securityToken? | stsToken? }` at `n`
   *  (or of this object when `n` is undefined). */
  credentials(n) {
    const c = n === undefined ? this : this.nested(n);
    if (c === undefined) throw new Bad(n, 'is required');
    let token = c.opt('securityToken');
    if (token === '') token = c.opt('stsToken');
    return [c.str('accessKeyId'), c.str('accessKeySecret'), token];
  }

  /** `signTime?: Date | number` (a string is read as ISO 8601), as packed; defaults to now.
   *  `raw`: the argument itself, which tells an Invalid Date (JSON null) from null ("now"). */
  signTime(raw) {
    const x = Object.hasOwn(this.v, 'signTime') ? this.v.signTime : undefined;
    if (x == null) {
      if (x === null && raw.signTime != null) throw new Bad('signTime', 'must be a valid Date between 1970 and 9999');
      return String(Date.now());
    }
    if (typeof x === 'string') {
      const ms = isoMillis(x);
      if (ms === undefined) throw new Bad('signTime', 'must be a valid Date between 1970 and 9999');
      return ms;
    }
    if (marked(x) === 'an invalid Date') throw new Bad('signTime', 'must be a valid Date between 1970 and 9999');
    if (typeof x !== 'number') throw new Bad('signTime', `must be a Date, got ${typeName(x)}`);
    if (Number.isInteger(x) && x >= 0 && x <= MAX_MS) return String(x);
    throw new Bad('signTime', 'must be a valid Date between 1970 and 9999');
  }

  /** The pending error (or three empty fields), then `fields`, packed with a separator that
   *  occurs in none of them: NUL unless one holds it. */
  pack(fields) {
    const all = [...(this.late || ['', '', '']), ...fields];
    const text = all.join('');
    if (text.length > MAX_TEXT) throw new Bad(this.path || 'input', TOO_LARGE);
    for (let c = 0; c < 0xd800; c++) {
      const sep = String.fromCharCode(c);
      if (!text.includes(sep)) return `${CHECKED}${sep}${all.join(sep)}${sep}`;
    }
    throw new Bad(this.path || 'input', 'could not be read (its text uses every character)');
  }
}

/** The checking lane of `packCall`. */
function checkedCall(o, presign, standalone) {
  const f = snapshot(o, 'input', [...REQUEST, 'expiresInSecs', ...(standalone ? FIXED : [])], presign ? 'presignUrl' : 'signRequest', !standalone);
  const method = f.str('method');
  const bucket = standalone ? `=${f.str('bucket')}` : f.opt('bucket');
  const key = f.opt('key');
  if (!standalone) {
    const fields = [method, bucket, key, ...f.pairs('headers', false), ...f.pairs('query', true), ...f.list('additionalHeaders')];
    const expires = presign ? f.at(1, () => f.int('expiresInSecs', 1, 604800), '1') : '';
    return f.pack([f.at(1, () => f.signTime(o), '0'), expires, ...fields]);
  }
  const loc = [f.str('region'), f.opt('cloudBoxId'), f.opt('endpoint'), f.opt('endpointType')];
  const flags = f.at(0, () => f.flag('cname') + f.flag('pathStyle'), '00');
  const maps = f.at(0, () => [...f.pairs('headers', false), ...f.pairs('query', true), ...f.list('additionalHeaders')], ['0', '0', '0']);
  loc.push(flags + f.at(1, () => f.flag('allowInsecureHttp'), '0'));
  const expires = presign ? f.at(2, () => f.int('expiresInSecs', 1, 604800), '1') : '';
  loc.push(...f.at(2, () => f.credentials('credentials'), ['', '', '']));
  return f.pack([...loc, f.at(3, () => f.signTime(o), '0'), expires, method, bucket, key, ...maps]);
}

/** `new Signer(options)` packed: bucket?, then the location. Throws an `OssError` on a wrong type
 *  of a field read before wasm's checks. */
export function packSigner(options) {
  return checked(() => {
    const f = snapshot(options, 'options', ['bucket', ...FIXED], 'Signer');
    const head = [f.opt('bucket'), f.str('region'), f.opt('cloudBoxId'), f.opt('endpoint'), f.opt('endpointType')];
    const flags = f.at(0, () => f.flag('cname') + f.flag('pathStyle') + f.flag('allowInsecureHttp'), '000');
    return f.pack([...head, flags, ...f.at(2, () => f.credentials('credentials'), ['', '', ''])]);
  });
}

/** `signer.setCredentials(credentials)` packed: id, secret, token?. */
export function packCredentials(credentials) {
  return checked(() => {
    if (credentials == null) throw new Bad('credentials', 'is required');
    const f = snapshot(credentials, 'credentials', CREDENTIALS);
    return f.pack(f.credentials());
  });
}

// --- signPostPolicy and buildPostPolicy -------------------------------------------------------
//
// Their argument is read as a JS object (not through JSON, which they never used): members
// through the prototype chain, a getter that throws is an error, `signTime` a Date or
// milliseconds (fractions floored), types named as JS sees them. Same packing and stages as
// above; the stages count wasm's checks (src/web/api.rs) in the order the answer reads them.

/** Typed reads of a JS object (see above). */
class Raw extends Fields {
  /** The argument of an export: an object (not an array or a function). */
  static root(o, names, api) {
    if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new Bad('input', `must be an object, got ${Raw.prototype.type(o)}`);
    refuseUnknown(o, names, api, false);
    return new Raw(o, '');
  }

  /** A getter (or Proxy trap) that throws is an error, never "absent": an option that cannot
   *  be read must not silently drop a limit from a policy. */
  get(n) {
    let x;
    try {
      x = this.v[n];
    } catch {
      throw new Bad(this.name(n), 'could not be read (its getter threw)');
    }
    return x === null ? undefined : x;
  }

  type(x) {
    if (x === null) return 'null';
    if (Array.isArray(x)) return 'an array';
    const t = typeof x;
    return t === 'undefined' ? t : t === 'string' || t === 'number' || t === 'boolean' || t === 'function' ? `a ${t}` : 'an object';
  }

  /** `signTime?: Date | number`, as packed milliseconds of a whole second; defaults to now. */
  rawSignTime() {
    const x = this.get('signTime');
    if (x === undefined) return String(Date.now());
    let ms = x instanceof Date ? x.getTime() : x;
    if (typeof ms !== 'number') throw new Bad('signTime', 'must be a Date');
    ms = Math.floor(ms / 1000);
    if (!(ms >= 0 && ms <= Math.floor(MAX_MS / 1000))) throw new Bad('signTime', 'must be a valid Date between 1970 and 9999');
    return String(ms * 1000);
  }
}

/** `signPostPolicy(input)` packed: policy text, region, cloudBoxId?, bucket?, id, secret,
 *  token?, time, then what the policy requires of the signing fields (`signingConditions`). */
export function packSignPolicy(o) {
  return checked(() => {
    const f = Raw.root(o, ['policy', 'region', 'cloudBoxId', 'bucket', 'credentials', 'signTime'], 'signPostPolicy');
    const [text, conditions] = policyOf(f.get('policy'));
    const region = f.str('region');
    const [cloudBox, bucket] = f.at(0, () => [f.opt('cloudBoxId'), f.opt('bucket')], ['', '']);
    const creds = f.at(1, () => f.credentials('credentials'), ['', '', '']);
    return f.pack([text, region, cloudBox, bucket, ...creds, f.at(2, () => f.rawSignTime(), '0'), ...signingConditions(conditions)]);
  });
}

/**
 * The value the policy's conditions require of each V4 signing field OSS needs them to name
 * (`{"name": value}` or `["eq", "$name", value]`, the name in any case): `'=' + value`, or `''`
 * when none names it. Compared in wasm with the fields it signs.
 */
function signingConditions(conditions) {
  return ['x-oss-signature-version', 'x-oss-credential', 'x-oss-date'].map((name) => {
    const values = new Set();
    for (const c of conditions) {
      if (Array.isArray(c)) {
        if (String(c[0]).toLowerCase() !== 'eq' || String(c[1]).toLowerCase() !== `$${name}`) continue;
        // OSS takes an `eq` of exactly three items.
        values.add(c.length === 3 ? c[2] : c);
      } else if (c !== null && typeof c === 'object') {
        for (const k of Object.keys(c)) if (k.toLowerCase().replace(/^\$/, '') === name) values.add(c[k]);
      }
    }
    // None, or two that disagree (OSS checks each): nothing the form's value can meet.
    const [v] = values;
    if (values.size !== 1) return values.size ? '=\0' : '';
    return `=${typeof v === 'string' ? v : JSON.stringify(v)}`;
  });
}

/**
 * `buildPostPolicy(input)` packed: region, bucket, endpoint?, endpointType?, cloudBoxId?, flags (cname,
 * pathStyle, allowInsecureHttp), id, secret, token?, time, expiresInSecs, key?, keyPrefix?,
 * minBytes?, maxBytes?, count + contentTypes, contentTypePrefix?, successActionStatus?,
 * count + condition texts (each `JSON.stringify` of an object or array).
 */
export function packBuildPolicy(o) {
  return checked(() => {
    const f = Raw.root(o, [...FIXED, 'bucket', 'signTime', 'expiresInSecs', 'key', 'keyPrefix', 'minBytes', 'maxBytes', 'contentTypes',
      'contentTypePrefix', 'successActionStatus', 'conditions'], 'buildPostPolicy');
    const region = f.str('region');
    const bucket = f.at(0, () => f.str('bucket'), '');
    const [endpoint, endpointType, cloudBox] = f.at(1, () => [f.opt('endpoint'), f.opt('endpointType'), f.opt('cloudBoxId')], ['', '', '']);
    const flags = f.at(2, () => f.flag('cname') + f.flag('pathStyle'), '00') + f.at(3, () => f.flag('allowInsecureHttp'), '0');
    const creds = f.at(4, () => f.credentials('credentials'), ['', '', '']);
    const time = f.at(5, () => f.rawSignTime(), '0');
    const expires = f.at(5, () => f.int('expiresInSecs', 1, 604800), '1');
    const key = f.at(5, () => [f.opt('key'), f.opt('keyPrefix')], ['', '']);
    const range = f.at(6, () => [f.optInt('minBytes', 0, 5368709120), f.optInt('maxBytes', 0, 5368709120)], ['', '']);
    const types = f.at(7, () => f.list('contentTypes', true), ['0']);
    const prefix = f.at(8, () => f.opt('contentTypePrefix'), '');
    const status = f.at(9, () => f.optInt('successActionStatus', 200, 204), '');
    const conds = f.at(9, () => conditionsOf(f.get('conditions')), ['0']);
    return f.pack([region, bucket, endpoint, endpointType, cloudBox, flags, ...creds, time, expires, ...key, ...range, ...types, prefix, status, ...conds]);
  });
}

/** count, then the JSON text of each extra condition (objects or arrays). */
function conditionsOf(list) {
  if (list === undefined) return ['0'];
  if (!Array.isArray(list)) throw new Bad('conditions', 'must be an array of policy conditions');
  const out = [String(list.length)];
  for (const c of list) {
    if (typeof c !== 'object' || c === null) throw new Bad('conditions', CONDITION);
    let text;
    try {
      text = JSON.stringify(c);
    } catch {
      text = undefined;
    }
    if (typeof text !== 'string') throw new Bad('conditions', 'could not be serialised with JSON.stringify');
    // What JSON writes: a Date becomes a string, an object with toJSON anything. OSS refuses a
    // condition that is not an object or a non-empty array (src/web/client.rs checks the same).
    if (!(text[0] === '{' || (text[0] === '[' && text !== '[]'))) throw new Bad('conditions', CONDITION);
    out.push(text);
  }
  return out;
}

const CONDITION = 'each condition must be an object or a non-empty array (as JSON writes it)';

/**
 * The exact text `signPostPolicy` signs: `policy` as given when a string, else `JSON.stringify`
 * of the object. Either must be a JSON object with an `expiration` string and a `conditions`
 * array (checked here with the engine's JSON parser, so that the signing core needs none).
 */
function policyOf(policy) {
  const bad = (why) => new Bad('policy', why);
  if (policy === undefined) throw bad('is required');
  let text = policy;
  if (typeof policy === 'object') {
    try {
      text = JSON.stringify(policy);
    } catch {
      text = undefined;
    }
    if (typeof text !== 'string') throw bad('could not be serialised with JSON.stringify');
  } else if (typeof policy !== 'string') {
    throw bad('must be an object or a JSON string');
  } else if (!wellFormed(policy)) {
    throw bad(LONE);
  }
  let v;
  try {
    v = JSON.parse(text);
  } catch {
    throw bad('must be JSON text (or an object) of a post policy');
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad('must be a JSON object with expiration and conditions');
  if (typeof v.expiration !== 'string') throw bad('needs an "expiration" string (ISO 8601, UTC)');
  if (!Array.isArray(v.conditions)) throw bad('needs a "conditions" array');
  return [text, v.conditions];
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
 * `{policy, signature, fields}` of a signed post policy from `policy NUL signature NUL (name NUL
 * value NUL)*` (no value holds NUL but the key, given apart: '' when absent, first of the fields),
 * plus `url`, `policyText` and `expiresAt` when `built` (`url NUL policyText`) is not ''.
 */
export function unpackPost(packed, key, built, expiresMs) {
  const p = packed.split(NUL);
  const fields = {};
  if (key) fields.key = key;
  for (let i = 2; i + 1 < p.length; i += 2) fields[p[i]] = p[i + 1];
  const out = { policy: p[0], signature: p[1], fields };
  if (!built) return out;
  const [url, policyText] = built.split(NUL);
  return Object.assign(out, { url, policyText, expiresAt: new Date(expiresMs) });
}
