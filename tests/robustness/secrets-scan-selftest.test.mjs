// The secrets scan can fail: synthetic traces with a secret in each place it must catch, in
// each encoding, and the places OSS requires the token, which it must let through.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scan, variants } from './secrets-scan.mjs';

const SCRIPT = fileURLToPath(new URL('./secrets-scan.mjs', import.meta.url));
const SECRET = 'Zx9fQ3kLmN0pR7sT2uV5wX8yA1bC4dE6gH9jK2mP';
const TOKEN = `CAIS${Buffer.from('a synthetic security token: '.repeat(4)).toString('base64')}+/=`;
const PORT = 40123;
const BUCKET = `http://demo.localhost:${PORT}`;
const issued = { kind: 'issued', port: PORT, buckets: ['demo'], accessKeySecrets: ['emulator-dev-secret-not-for-production', SECRET], securityTokens: [TOKEN] };
const form = (fields) => fields.map(([k, v]) => `------b\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`).join('');
const policy = Buffer.from(JSON.stringify({ conditions: [{ 'x-oss-security-token': TOKEN }] })).toString('base64');

/** What OSS requires: the token to the bucket host in a header, a presigned URL, a form. */
const allowed = [
  { kind: 'request', method: 'PUT', url: `${BUCKET}/a.txt`, headers: { 'x-oss-security-token': TOKEN, authorization: 'OSS4-HMAC-SHA256 Credential=STS.x/…' } },
  { kind: 'request', method: 'PUT', url: `${BUCKET}/b.txt?x-oss-date=20260101T000000Z&x-oss-security-token=${encodeURIComponent(TOKEN)}&x-oss-signature=ab`, headers: {} },
  { kind: 'request', method: 'POST', url: `${BUCKET}/`, headers: { 'content-type': 'multipart/form-data; boundary=----b' }, postData: form([['key', 'k'], ['policy', policy], ['x-oss-security-token', TOKEN]]) },
  { kind: 'request', method: 'GET', url: `http://localhost:${PORT}/sts`, headers: {} },
  { kind: 'console', type: 'log', text: 'uploaded a.txt' },
  { kind: 'console', type: 'error', text: `Access to fetch at '${BUCKET}/e.txt?x-oss-security-token=${encodeURIComponent(TOKEN)}&x-oss-signature=ab' from origin 'http://localhost:${PORT}' has been blocked by CORS policy` },
  { kind: 'postform', port: PORT, bucket: 'demo', fields: [['key', 'k'], ['policy', policy], ['x-oss-security-token', TOKEN]] },
  { kind: 'storage', when: 'browser.close', localStorage: { theme: 'dark' }, sessionStorage: {}, indexedDB: [{ name: 'oss-direct-upload', stores: { checkpoints: [['k', { uploadId: 'U1', parts: [] }]] } }] },
];

/** Leaks, each in a different place or encoding. */
const leaks = [
  { kind: 'console', type: 'log', text: `credentials ${JSON.stringify({ securityToken: TOKEN })}` },
  { kind: 'console', type: 'error', text: `secret=${SECRET}` },
  { kind: 'console', type: 'error', text: `Access to fetch at 'http://localhost:${PORT}/log?t=${encodeURIComponent(TOKEN)}' from origin 'http://localhost:${PORT}' has been blocked by CORS policy` },
  { kind: 'pageerror', message: 'boom', stack: `at x (${encodeURIComponent(TOKEN)})` },
  { kind: 'inPageError', error: { message: 'SignatureDoesNotMatch', diagnosis: `x-oss-security-token signed as ${TOKEN}` } },
  { kind: 'inPageErrorText', texts: ['fine', `credential provider failed: ${SECRET}`] },
  { kind: 'request', method: 'GET', url: `http://localhost:${PORT}/sts?token=${encodeURIComponent(TOKEN)}`, headers: {} },
  { kind: 'request', method: 'PUT', url: `http://localhost:${PORT}/log`, headers: { 'x-oss-security-token': TOKEN } },
  { kind: 'request', method: 'PUT', url: `${BUCKET}/c.txt`, headers: { 'x-oss-security-token': SECRET } },
  { kind: 'request', method: 'POST', url: `${BUCKET}/`, headers: {}, postData: form([['x-oss-security-token', TOKEN], ['note', TOKEN]]) },
  { kind: 'request', method: 'PUT', url: `${BUCKET}/d.bin`, headers: {}, postDataRuns: [`xx${SECRET}yy`] },
  { kind: 'postform', port: PORT, bucket: 'demo', fields: [['x-oss-security-token', TOKEN], ['x-oss-meta-note', TOKEN]] },
  { kind: 'postform', port: PORT, bucket: 'demo', fields: [['key', 'k'], ['success_action_status', Buffer.from(SECRET).toString('base64')]] },
  { kind: 'storage', when: 'page.close', localStorage: { creds: Buffer.from(`{"s":"${SECRET}"}`).toString('base64') }, sessionStorage: {}, indexedDB: [] },
  { kind: 'storage', when: 'page.close', localStorage: {}, sessionStorage: { t: Buffer.from(`..${TOKEN}`).toString('base64url') }, indexedDB: [] },
  { kind: 'storage', when: 'page.close', localStorage: {}, sessionStorage: {}, indexedDB: [{ name: 'db', stores: { s: [['k', { bytes: `\u0000${SECRET}` }]] } }] },
];

test('the places OSS requires the token pass; the dev secret counts too', () => {
  const r = scan([{ name: 'ok.jsonl', records: [issued, ...allowed] }]);
  assert.deepEqual(r.findings, []);
  assert.equal(r.secrets, 2);
  assert.equal(r.tokens, 1);
  assert.ok(r.scanned >= 10);
});

test('every leak is found, in every encoding, and the report masks the secret', () => {
  const r = scan([{ name: 'leaky.jsonl', records: [issued, ...allowed, ...leaks] }]);
  const hitRecords = new Set(r.findings.map((f) => f.record - 1 - 1 - allowed.length));
  for (const [i, leak] of leaks.entries()) assert.ok(hitRecords.has(i), `missed leak ${i}: ${JSON.stringify(leak).slice(0, 120)}`);
  const forms = new Set(r.findings.map((f) => f.form.split(' ')[0]));
  for (const f of ['raw', 'url-encoded', 'base64']) assert.ok(forms.has(f), f);
  const report = JSON.stringify(r.findings);
  assert.ok(!report.includes(TOKEN) && !report.includes(SECRET));
  // The form field that carries the token is allowed; the other field holding it is not.
  assert.ok(r.findings.some((f) => f.where === 'request POST body'));
});

test('base64 forms are found at every alignment', () => {
  for (let k = 0; k < 3; k++) {
    const text = Buffer.from(`${'#'.repeat(k)}${SECRET}!`).toString('base64');
    assert.ok([...variants(SECRET).keys()].some((v) => v.length >= 16 && text.includes(v)), `offset ${k}`);
  }
});

test('the command exits 1 on a leak, 0 on a clean trace, and writes its figures', () => {
  const dir = mkdtempSync(join(tmpdir(), 'secrets-scan-'));
  const out = join(dir, 'out');
  const run = (records) => {
    writeFileSync(join(dir, 't.jsonl'), records.map((r) => JSON.stringify(r)).join('\n'));
    return spawnSync(process.execPath, [SCRIPT], { env: { ...process.env, E2E_TRACE_DIR: dir, SECRETS_SCAN_OUT: out }, encoding: 'utf8' });
  };
  try {
    const bad = run([issued, ...allowed, leaks[0]]);
    assert.equal(bad.status, 1, bad.stdout + bad.stderr);
    assert.match(bad.stdout, /SecurityToken \(raw\) in console\.log/);
    assert.ok(!bad.stdout.includes(TOKEN));
    assert.equal(JSON.parse(readFileSync(join(out, 'secrets.json'), 'utf8')).secretsFound, 1);
    const good = run([issued, ...allowed]);
    assert.equal(good.status, 0, good.stdout + good.stderr);
    const figures = JSON.parse(readFileSync(join(out, 'secrets.json'), 'utf8'));
    assert.equal(figures.label, 'secrets');
    assert.equal(figures.secretsFound, 0);
    assert.ok(figures.secretsScanned > 0);
    const empty = run([]);
    assert.equal(empty.status, 1, 'nothing recorded is a failure, not a pass');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
