// Scans everything the e2e and robustness runs recorded (target/e2e-trace/*.jsonl, written by
// tests/e2e/lib/harness.mjs) for every AccessKeySecret and SecurityToken the emulators issued,
// raw, URL-encoded and Base64-encoded (at any alignment).
//
// Allowed, because OSS requires it: a SecurityToken in the `x-oss-security-token` header, in the
// `x-oss-security-token` query parameter (presigned URLs) or in the `x-oss-security-token` and
// `policy` fields of a PostObject form, in a request to a bucket host (and in Chromium's own
// network-error console message quoting such a presigned URL). The text fields of every
// PostObject form come from the emulators (`postform` records), since Chromium's DevTools do not
// show a multipart body that holds a Blob. An AccessKeySecret is allowed nowhere. Responses are not recorded (the STS answer carries the secret by design).
//
// Prints what it scanned and every finding (secrets masked), writes target/robustness/secrets.json
// (`secretsScanned`: places scanned, `secretsFound`: findings), exits 1 on a finding or when
// nothing was recorded.
import { readdirSync, readFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..');
const TOKEN_NAME = 'x-oss-security-token';
const KEY = 12; // prefix length of the lookup index

/** `s` shown safely in a report. */
export const mask = (s) => `${s.slice(0, 4)}…(${s.length} chars)`;

/** Every form in which `s` may appear: raw, URL-encoded (upper and lower hex, once and twice),
 *  and the alignment-independent middle of its standard and URL-safe Base64. */
export function variants(s) {
  const out = new Map([[s, 'raw']]);
  const add = (text, form) => { if (!out.has(text)) out.set(text, form); };
  const enc = encodeURIComponent(s);
  add(enc, 'url-encoded');
  add(enc.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()), 'url-encoded');
  add(encodeURIComponent(enc), 'url-encoded twice');
  add(enc.replace(/%20/g, '+'), 'form-encoded');
  const bytes = Buffer.from(s, 'utf8');
  for (let k = 0; k < 3; k++) {
    const b64 = Buffer.concat([Buffer.alloc(k), bytes]).toString('base64');
    // The first group mixes in the k bytes before, the last ones the bytes after: drop them.
    const mid = b64.slice(k === 0 ? 0 : 4, -4);
    if (mid.length >= 16) {
      add(mid, `base64 (offset ${k})`);
      add(mid.replace(/\+/g, '-').replace(/\//g, '_'), `base64url (offset ${k})`);
    }
  }
  return out;
}

class Index {
  constructor() { this.map = new Map(); this.count = 0; }
  add(text, info) {
    if (text.length < KEY) return;
    const k = text.slice(0, KEY);
    let list = this.map.get(k);
    if (!list) this.map.set(k, (list = []));
    if (!list.some((x) => x.text === text)) { list.push({ text, ...info }); this.count++; }
  }
  /** Every entry found in `text`. */
  find(text) {
    const hits = [];
    if (typeof text !== 'string' || text.length < KEY) return hits;
    for (let i = 0; i + KEY <= text.length; i++) {
      const list = this.map.get(text.slice(i, i + KEY));
      if (!list) continue;
      for (const e of list) if (text.startsWith(e.text, i)) hits.push(e);
    }
    return hits;
  }
}

/** The bucket hosts of every emulator (`<bucket>.localhost:<port>`, path style
 *  `localhost:<port>/<bucket>/`) and real OSS (`*.aliyuncs.com`). */
function bucketTarget(urlText, emulators) {
  let u;
  try { u = new URL(urlText); } catch { return false; }
  if (u.hostname.endsWith('.aliyuncs.com')) return true;
  for (const { port, buckets } of emulators) {
    if (String(u.port) !== String(port)) continue;
    for (const b of buckets) {
      if (u.hostname === `${b}.localhost` || u.hostname === `${b}.127.0.0.1`) return true;
      if (['localhost', '127.0.0.1'].includes(u.hostname) && (u.pathname === `/${b}` || u.pathname.startsWith(`/${b}/`))) return true;
    }
  }
  return false;
}

/** The PostObject form fields that may carry the token, as [name, value] pairs, and the body
 *  without them. */
function splitForm(body) {
  const allowed = [];
  const rest = body.replace(/(name="(x-oss-security-token|policy)"\r?\n(?:[^\r\n]+\r?\n)*\r?\n)([^\r\n]*)/gi, (_, head, name, value) => {
    allowed.push([name, value]);
    return `${head}[allowed ${name}]`;
  });
  return { allowed, rest };
}

/** Splits one record into places: { where, text, tokenAllowed }. */
function places(rec, emulators) {
  switch (rec.kind) {
    case 'request': {
      const out = [];
      const toBucket = bucketTarget(rec.url, emulators);
      let url = rec.url;
      if (toBucket) {
        try {
          const u = new URL(rec.url);
          const v = u.searchParams.get(TOKEN_NAME);
          if (v != null) {
            out.push({ where: `request ${rec.method} query ${TOKEN_NAME}`, text: v, tokenAllowed: true });
            u.searchParams.delete(TOKEN_NAME);
            url = u.href;
          }
        } catch { /* scanned whole below */ }
      }
      out.push({ where: `request ${rec.method} URL`, text: url });
      for (const [k, v] of Object.entries(rec.headers ?? {})) {
        out.push({ where: `request ${rec.method} header ${k}`, text: `${k}: ${v}`, tokenAllowed: toBucket && k.toLowerCase() === TOKEN_NAME });
      }
      if (typeof rec.postData === 'string') {
        if (toBucket && rec.method === 'POST') {
          const { allowed, rest } = splitForm(rec.postData);
          for (const [name, value] of allowed) out.push({ where: `request POST form field ${name}`, text: value, tokenAllowed: true });
          out.push({ where: 'request POST body', text: rest });
        } else {
          out.push({ where: `request ${rec.method} body`, text: rec.postData });
        }
      }
      for (const run of rec.postDataRuns ?? []) out.push({ where: `request ${rec.method} body (binary, printable run)`, text: run });
      return out;
    }
    case 'console': {
      // Chromium's own network-error messages quote the URL that failed; a presigned URL to the
      // bucket carries its token by design (its other parts are still scanned).
      if (rec.type === 'error' && /^(Access to \w+ at '|Failed to load resource)/.test(rec.text)) {
        const out = [];
        const text = rec.text.replace(/'(https?:\/\/[^'\s]+)'/g, (m, url) => {
          if (!bucketTarget(url, emulators)) return m;
          const u = new URL(url);
          const v = u.searchParams.get(TOKEN_NAME);
          if (v == null) return m;
          out.push({ where: `console.error (browser) quoting a presigned URL's ${TOKEN_NAME}`, text: v, tokenAllowed: true });
          u.searchParams.delete(TOKEN_NAME);
          return `'${u.href}'`;
        });
        return [...out, { where: 'console.error (browser)', text }];
      }
      return [{ where: `console.${rec.type}`, text: rec.text }];
    }
    case 'pageerror': return [{ where: 'page error', text: `${rec.message}\n${rec.stack ?? ''}` }];
    case 'inPageError': return [{ where: 'error thrown to the test (message, diagnosis, …)', text: JSON.stringify(rec.error) }];
    case 'inPageErrorText': return (rec.texts ?? []).map((text) => ({ where: 'error message or diagnosis a test caught in the page', text }));
    case 'storage': {
      const out = [];
      for (const area of ['localStorage', 'sessionStorage']) out.push({ where: `${area} (${rec.when})`, text: JSON.stringify(rec[area] ?? {}) });
      for (const db of rec.indexedDB ?? []) out.push({ where: `IndexedDB ${db.name} (${rec.when})`, text: JSON.stringify(db) });
      if (rec.error) out.push({ where: 'storage dump error', text: rec.error });
      return out;
    }
    case 'worker': return [{ where: 'worker URL', text: rec.url }];
    case 'postform':
      // A PostObject form's text fields as the emulator received them (DevTools do not show
      // multipart bodies that hold a Blob): the token may be in its own field and in the policy.
      return (rec.fields ?? []).map(([name, value]) => ({
        where: `PostObject form field ${name} (as the emulator received it)`,
        text: value,
        tokenAllowed: [TOKEN_NAME, 'policy'].includes(String(name).toLowerCase()),
      }));
    default: return [];
  }
}

/** Scans `files` ([{ name, records }]); returns the figures and findings. */
export function scan(files) {
  const emulators = [];
  const secrets = new Set();
  const tokens = new Set();
  for (const f of files) {
    for (const r of f.records) {
      if (r.kind !== 'issued') continue;
      if (r.port) emulators.push({ port: r.port, buckets: r.buckets ?? [] });
      for (const s of r.accessKeySecrets ?? []) secrets.add(s);
      for (const t of r.securityTokens ?? []) tokens.add(t);
    }
  }
  const index = new Index();
  for (const s of secrets) for (const [text, form] of variants(s)) index.add(text, { secret: s, type: 'AccessKeySecret', form });
  for (const t of tokens) for (const [text, form] of variants(t)) index.add(text, { secret: t, type: 'SecurityToken', form });

  const findings = [];
  const kinds = {};
  let scanned = 0;
  const allowed = {};
  for (const f of files) {
    for (const [i, r] of f.records.entries()) {
      const ps = places(r, emulators);
      if (ps.length) kinds[r.kind] = (kinds[r.kind] ?? 0) + 1;
      for (const p of ps) {
        scanned++;
        const seen = new Set();
        for (const hit of index.find(p.text)) {
          if (hit.type === 'SecurityToken' && p.tokenAllowed) {
            const where = p.where.replace(/^request \w+ /, '');
            allowed[where] = (allowed[where] ?? 0) + 1;
            continue;
          }
          const id = `${hit.secret}|${hit.form}`;
          if (seen.has(id)) continue;
          seen.add(id);
          findings.push({ file: f.name, record: i + 1, kind: r.kind, where: p.where, type: hit.type, form: hit.form, secret: mask(hit.secret), url: r.url });
        }
      }
    }
  }
  return { emulators: emulators.length, secrets: secrets.size, tokens: tokens.size, variants: index.count, kinds, scanned, allowed, findings };
}

/** Reads every trace file of `dir`. */
export function readTraces(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort().map((name) => ({
    name,
    records: readFileSync(join(dir, name), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)),
  }));
}

function main() {
  const dir = process.env.E2E_TRACE_DIR ?? join(ROOT, 'target', 'e2e-trace');
  const files = readTraces(dir);
  const r = scan(files);
  console.log(`secrets scan of ${dir}`);
  console.log(`  trace files: ${files.length}; records by kind: ${JSON.stringify(r.kinds)}`);
  console.log(`  emulators that reported what they issued: ${r.emulators}`);
  console.log(`  looked for: ${r.secrets} AccessKeySecrets and ${r.tokens} SecurityTokens (${r.variants} raw, URL-encoded and Base64 forms)`);
  console.log(`  places scanned: ${r.scanned}`);
  console.log(`  tokens where OSS requires them (allowed): ${JSON.stringify(r.allowed)}`);
  console.log(`  findings: ${r.findings.length}`);
  for (const f of r.findings.slice(0, 50)) {
    console.log(`    ${f.type} (${f.form}) in ${f.where} [${f.file} record ${f.record}${f.url ? ` ${f.url.split('?')[0]}` : ''}]: ${f.secret}`);
  }
  if (r.findings.length > 50) console.log(`    … and ${r.findings.length - 50} more`);
  const out = process.env.SECRETS_SCAN_OUT ?? join(ROOT, 'target', 'robustness');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'secrets.json'), JSON.stringify({ label: 'secrets', secretsScanned: r.scanned, secretsFound: r.findings.length }, null, 2));
  if (files.length === 0 || r.emulators === 0 || r.tokens === 0) {
    console.error('FAIL: nothing to scan (run the end-to-end and robustness tests first: they record target/e2e-trace/)');
    process.exit(1);
  }
  if (r.findings.length > 0) {
    console.error(`FAIL: ${r.findings.length} leaked secret(s)`);
    process.exit(1);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
