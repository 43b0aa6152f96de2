// STS credentials done right, proven against the emulator's STS counter: one fetch per lifetime
// window under load, transparent refetch of an expired token, endpoint retries, clear errors for
// malformed responses, and one fetch for several tabs with shareAcrossTabs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { session, openPage, inPage } from './lib/harness.mjs';

let emu; let browser; let page;

session({}, (s) => { ({ emu, browser, page } = s); });

test('50 concurrent uploads with 5-second credentials: one STS fetch per lifetime window', async () => {
  const before = await emu.stsCount();
  const r = await inPage(page, async (lib, endpoint) => {
    const client = new lib.OssClient({ region: 'cn-hangzhou', bucket: 'demo', endpoint, credentials: '/sts?ttl=5' });
    const wave = (n) => Promise.all(Array.from({ length: 50 }, (_, i) => client.putObject(`load/w${n}-${i}.txt`, `wave ${n} upload ${i}`)));
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
    const t0 = Date.now();
    const results = [];
    for (const [n, at] of [[0, 0], [1, 2500], [2, 6000], [3, 8000]]) {
      await sleep(Math.max(0, at - (Date.now() - t0)));
      results.push(...await wave(n));
    }
    return { ok: results.filter((x) => x.etag).length, status: client.credentialStatus(), elapsedMs: Date.now() - t0 };
  }, emu.endpoint);
  assert.ok(r.ok, JSON.stringify(r.error));
  assert.equal(r.value.ok, 200);
  const fetches = (await emu.stsCount()) - before;
  // 200 uploads over ~8.5 s with 5 s credentials (Expiration has whole seconds, so 4-5 s of
  // life) refreshed at 80 % of their life: one fetch per window — 2 to 4 here, never 200.
  assert.ok(fetches >= 2 && fetches <= 4, `${fetches} STS fetches for 200 uploads`);
  assert.equal(r.value.status.refreshCount, fetches);
  assert.ok(r.value.status.expiresAt);
});

test('token expired by the emulator between two uploads: refetched once, re-signed, transparent', async () => {
  const client = async (fn) => inPage(page, fn, emu.endpoint);
  await client((lib, endpoint) => {
    window.c2 = new lib.OssClient({ region: 'cn-hangzhou', bucket: 'demo', endpoint, credentials: { url: '/sts', method: 'POST', body: { ttl: 900 }, headers: { 'content-type': 'application/json' } } });
    return window.c2.putObject('expire/one.txt', 'one');
  });
  const before = await emu.stsCount();
  await emu.admin('sts/expire-all', 'POST');
  const r = await client(() => window.c2.putObject('expire/two.txt', 'two'));
  assert.ok(r.ok, JSON.stringify(r.error));
  assert.equal((await emu.stsCount()) - before, 1);
  // Some OSS answers InvalidAccessKeyId for expired STS keys: the same recovery.
  await emu.admin('sts/expired-code', 'POST', { code: 'InvalidAccessKeyId' });
  await emu.admin('sts/expire-all', 'POST');
  const r2 = await client(() => window.c2.putObject('expire/three.txt', 'three'));
  await emu.admin('sts/expired-code', 'POST', { code: 'SecurityTokenExpired' });
  assert.ok(r2.ok, JSON.stringify(r2.error));
  assert.equal((await emu.stsCount()) - before, 2);
  assert.ok(await emu.object('expire/three.txt'));
});

test('credential endpoint failures are retried with backoff before rejecting', async () => {
  await emu.admin('faults', 'POST', { path: '/sts', status: 503, times: 2 });
  const r = await inPage(page, async (lib, endpoint) => {
    const c = new lib.OssClient({ region: 'cn-hangzhou', bucket: 'demo', endpoint, credentials: '/sts', retry: { maxAttempts: 3, baseDelayMs: 50 } });
    return c.putObject('retry/creds.txt', 'ok after two 503s');
  }, emu.endpoint);
  assert.ok(r.ok, JSON.stringify(r.error));
  await emu.admin('faults', 'POST', { path: '/sts', status: 500, times: 3 });
  const r2 = await inPage(page, async (lib, endpoint) => {
    const c = new lib.OssClient({ region: 'cn-hangzhou', bucket: 'demo', endpoint, credentials: '/sts', retry: { maxAttempts: 3, baseDelayMs: 50 } });
    return c.putObject('retry/creds-fail.txt', 'x');
  }, emu.endpoint);
  await emu.admin('faults', 'DELETE');
  assert.equal(r2.ok, false);
  assert.equal(r2.error.code, 'CredentialProviderError');
  assert.match(r2.error.message, /answered HTTP 500/);
});

// Regression (review): a credentials function throwing "401 login required" was called three
// times per upload and its error was flagged retryable.
test("a credentials function's own refusal is not retried; its network failure or 5xx is", async () => {
  const r = await inPage(page, async (lib, endpoint) => {
    const out = {};
    const refusal = Object.assign(new Error('401 login required'), { status: 401 });
    const cases = {
      refusal: () => { throw refusal; },
      plain: async () => { throw new Error('no session'); },
      offline: async () => { throw new TypeError('Failed to fetch'); },
      unavailable: async () => { throw Object.assign(new Error('app server busy'), { status: 503 }); },
      timeout: async () => { throw new DOMException('signal timed out', 'TimeoutError'); },
      axios: async () => { throw Object.assign(new Error('Request failed with status code 502'), { response: { status: 502 } }); },
    };
    for (const [name, fn] of Object.entries(cases)) {
      let calls = 0;
      const credentials = () => { calls++; return fn(); };
      const c = new lib.OssClient({ region: 'cn-hangzhou', bucket: 'demo', endpoint, credentials, retry: { maxAttempts: 3, baseDelayMs: 10 } });
      const e = await c.putObject('never.txt', 'x').then(() => null, (e) => e);
      out[name] = { calls, code: e?.code, retryable: e?.retryable, message: e?.message };
    }
    return out;
  }, emu.endpoint);
  assert.ok(r.ok, JSON.stringify(r.error));
  const v = r.value;
  for (const name of ['refusal', 'plain']) {
    assert.deepEqual([v[name].calls, v[name].code, v[name].retryable], [1, 'CredentialProviderError', false], JSON.stringify(v[name]));
  }
  assert.match(v.refusal.message, /401 login required/);
  for (const name of ['offline', 'unavailable', 'timeout', 'axios']) {
    assert.deepEqual([v[name].calls, v[name].code, v[name].retryable], [3, 'CredentialProviderError', true], JSON.stringify(v[name]));
  }
  assert.equal(await emu.object('never.txt'), undefined);
});

test('malformed credential responses name the missing field and never echo a secret', async () => {
  const r = await inPage(page, async (lib, endpoint) => {
    const errors = [];
    const providers = [
      async () => ({ accessKeyId: 'STS.x', securityToken: 'TOKEN-SECRET-1' }),
      async () => ({ data: { AccessKeyId: 'STS.x', AccessKeySecret: 'SECRET-2', Expiration: 'soon' } }),
      async () => '{"AccessKeyId":"STS.x","AccessKeySecret":"SECRET-3"',
      async () => ({ accessKeyId: 'STS.x', accessKeySecret: 'SECRET-4', securityToken: 'TOKEN-SECRET-4', expiration: '2001-01-01T00:00:00Z' }),
      async () => { throw new Error('app server down'); },
      // Temporary keys without their token (OSS would answer InvalidSecurityToken to each request).
      async () => ({ accessKeyId: 'STS.x', accessKeySecret: 'SECRET-6', expiration: '2099-01-01T00:00:00Z' }),
    ];
    for (const credentials of providers) {
      const c = new lib.OssClient({ region: 'cn-hangzhou', bucket: 'demo', endpoint, credentials, retry: { maxAttempts: 1 } });
      try { await c.putObject('never.txt', 'x'); errors.push(null); } catch (e) { errors.push({ code: e.code, message: e.message, name: e.name }); }
    }
    return errors;
  }, emu.endpoint);
  assert.ok(r.ok, JSON.stringify(r.error));
  const want = [/no accessKeySecret|no AccessKeySecret/, /data\.Expiration/, /not valid JSON/, /already past/, /app server down/,
    /securityToken is unusable: is required with an STS AccessKeyId/];
  for (const [i, e] of r.value.entries()) {
    assert.equal(e.code, 'CredentialProviderError', JSON.stringify(e));
    assert.equal(e.name, 'OssError');
    assert.match(e.message, want[i]);
    assert.doesNotMatch(e.message, /SECRET/);
  }
  assert.equal(await emu.object('never.txt'), undefined);
});

test('shareAcrossTabs: two tabs of one origin make one credential fetch', async () => {
  const ctx = await browser.newContext();
  const [a, b] = [await openPage(browser, emu, '/index.html', ctx), await openPage(browser, emu, '/index.html', ctx)];
  const make = (p, key) => inPage(p, (lib, [endpoint, k]) => {
    window.shared = window.shared || new lib.OssClient({ region: 'cn-hangzhou', bucket: 'demo', endpoint, credentials: '/sts?ttl=600', shareAcrossTabs: true });
    return window.shared.putObject(k, 'shared');
  }, [emu.endpoint, key]);
  const before = await emu.stsCount();
  const [ra, rb] = await Promise.all([make(a, 'tabs/a.txt'), make(b, 'tabs/b.txt')]);
  assert.ok(ra.ok && rb.ok, JSON.stringify([ra.error, rb.error]));
  assert.equal((await emu.stsCount()) - before, 1, 'one fetch for two tabs');
  // Both tabs keep using the shared credentials without fetching again.
  await Promise.all([make(a, 'tabs/a2.txt'), make(b, 'tabs/b2.txt')]);
  assert.equal((await emu.stsCount()) - before, 1);
  // Tokens expired under both tabs: one of them refetches, the other takes what it broadcast.
  await emu.admin('sts/expire-all', 'POST');
  const [ea, eb] = await Promise.all([make(a, 'tabs/a3.txt'), make(b, 'tabs/b3.txt')]);
  assert.ok(ea.ok && eb.ok, JSON.stringify([ea.error, eb.error]));
  assert.equal((await emu.stsCount()) - before, 2);
  // Without the option each tab fetches for itself.
  const [c, d] = [await openPage(browser, emu, '/index.html', ctx), await openPage(browser, emu, '/index.html', ctx)];
  const solo = (p, key) => inPage(p, (lib, [endpoint, k]) => new lib.OssClient({ region: 'cn-hangzhou', bucket: 'demo', endpoint, credentials: '/sts?ttl=600' }).putObject(k, 'solo'), [emu.endpoint, key]);
  const mid = await emu.stsCount();
  await Promise.all([solo(c, 'tabs/c.txt'), solo(d, 'tabs/d.txt')]);
  assert.equal((await emu.stsCount()) - mid, 2);
  await ctx.close();
});
