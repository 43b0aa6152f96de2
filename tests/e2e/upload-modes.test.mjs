// Every upload mode, end to end in headless Chromium against the emulator; the stored bytes and
// Content-Type are read back and compared with what was sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { session, inPage } from './lib/harness.mjs';

let emu; let browser; let page;

session({}, async (s) => {
  ({ emu, browser, page } = s);
  await inPage(page, (lib, endpoint) => {
    window.client = new lib.OssClient({ region: 'cn-hangzhou', bucket: 'demo', endpoint, credentials: '/sts' });
    // Reads an object back through a presigned GET: its bytes and Content-Type.
    window.readBack = async (key) => {
      const { url } = await window.client.presignUrl(key, { method: 'GET', expiresInSecs: 60 });
      const res = await fetch(url);
      return { status: res.status, type: res.headers.get('content-type'), bytes: [...new Uint8Array(await res.arrayBuffer())] };
    };
  }, emu.endpoint);
});

const bytesOf = (s) => [...Buffer.from(s)];

test('STS PutObject: File, Blob, ArrayBuffer, Uint8Array and string bodies, Content-Type exactly as resolved', async () => {
  const r = await inPage(page, async () => {
    const cases = [
      ['put/file.png', new File([new Uint8Array([137, 80, 78, 71, 1, 2, 3])], 'file.png', { type: 'image/png' }), undefined],
      ['put/blob.json', new Blob(['{"a":1}']), undefined],
      ['put/buffer.bin', new Uint8Array([0, 255, 10, 13]).buffer, 'application/x-custom'],
      ['put/array', new Uint8Array([1, 2, 3, 4, 5]), undefined],
      ['put/text.txt', 'héllo wörld', undefined],
      ['put/typed-file.txt', new File(['explicit wins'], 'x.txt', { type: 'text/plain' }), 'text/markdown'],
    ];
    const out = [];
    for (const [key, body, contentType] of cases) {
      const res = await window.client.putObject(key, body, contentType ? { contentType } : undefined);
      out.push({ res, back: await window.readBack(key) });
    }
    return out;
  });
  assert.ok(r.ok, JSON.stringify(r.error));
  const want = [
    ['image/png', [137, 80, 78, 71, 1, 2, 3]],
    ['application/json', bytesOf('{"a":1}')],
    ['application/x-custom', [0, 255, 10, 13]],
    ['application/octet-stream', [1, 2, 3, 4, 5]],
    ['text/plain', bytesOf('héllo wörld')],
    ['text/markdown', bytesOf('explicit wins')],
  ];
  for (const [i, { res, back }] of r.value.entries()) {
    assert.equal(back.status, 200);
    assert.equal(back.type, want[i][0], res.key);
    assert.deepEqual(back.bytes, want[i][1], res.key);
    assert.match(res.etag, /^"[0-9A-F]{32}"$/);
    assert.match(res.requestId, /^[0-9A-F]{24}$/);
    const stored = await emu.object(res.key);
    assert.equal(stored.etag.replaceAll('"', ''), res.etag.replaceAll('"', ''));
    assert.equal(stored.crc64, res.crc64);
    assert.equal(stored.contentType, want[i][0]);
  }
});

test('upload headers are sent and stored; others are refused before any request', async () => {
  const r = await inPage(page, async () => {
    await window.client.putObject('put/meta.txt', 'meta', { headers: { 'x-oss-meta-owner': 'e2e', 'Cache-Control': 'no-cache', 'Content-Disposition': 'attachment' } });
    let refused;
    try { await window.client.putObject('put/bad.txt', 'x', { headers: { 'x-oss-callback': 'x' } }); } catch (e) { refused = { code: e.code, field: e.field }; }
    return refused;
  });
  assert.ok(r.ok, JSON.stringify(r.error));
  assert.deepEqual(r.value, { code: 'InvalidArgument', field: 'headers.x-oss-callback' });
  const stored = await emu.object('put/meta.txt');
  const headers = Object.fromEntries(stored.headers.map(([k, v]) => [k.toLowerCase(), v]));
  assert.equal(headers['x-oss-meta-owner'], 'e2e');
  assert.equal(headers['cache-control'], 'no-cache');
  assert.equal(await emu.object('put/bad.txt'), undefined);
});

test('PUT to a URL presigned by the library, with the headers it says to send', async () => {
  const r = await inPage(page, async (lib) => {
    const p = await window.client.presignUrl('presigned/local.csv', { method: 'PUT', contentType: 'text/csv', expiresInSecs: 300 });
    const viaFetch = await fetch(p.url, { method: 'PUT', headers: p.headers, body: new Blob(['a,b\n1,2\n'], { type: 'text/csv' }) });
    const p2 = await window.client.presignUrl('presigned/local2.csv', { method: 'PUT', contentType: 'text/csv' });
    const viaLib = await lib.uploadToSignedUrl(p2.url, 'c,d\n', { contentType: 'text/csv' });
    return { status: viaFetch.status, headers: p.headers, capped: p.capped, expiresAt: p.expiresAt instanceof Date, viaLib, back: await window.readBack('presigned/local.csv'), back2: await window.readBack('presigned/local2.csv') };
  });
  assert.ok(r.ok, JSON.stringify(r.error));
  assert.equal(r.value.status, 200);
  assert.deepEqual(r.value.headers, { 'Content-Type': 'text/csv' });
  assert.equal(r.value.capped, false);
  assert.ok(r.value.expiresAt);
  assert.equal(r.value.back.type, 'text/csv');
  assert.deepEqual(r.value.back.bytes, bytesOf('a,b\n1,2\n'));
  assert.deepEqual(r.value.back2.bytes, bytesOf('c,d\n'));
  assert.equal(r.value.viaLib.key, 'presigned/local2.csv');
});

for (const version of ['v4', 'v1']) {
  test(`PUT to a server-signed URL (${version}) with exactly the signed Content-Type`, async () => {
    const r = await inPage(page, async (lib, v) => {
      const key = `server/${v}.png`;
      const s = await (await fetch(`/get_presigned_url_for_oss_upload?key=${key}&contentType=image/png&version=${v}`)).json();
      const res = await lib.uploadToSignedUrl(s.url, new Blob([new Uint8Array([1, 2, 3])]), { contentType: 'image/png' });
      // A URL signed without Content-Type: the library sends none (the browser must not add one).
      const key2 = `server/${v}-none.bin`;
      const s2 = await (await fetch(`/get_presigned_url_for_oss_upload?key=${key2}&version=${v}`)).json();
      const res2 = await lib.uploadToSignedUrl(s2.url, 'plain text, no type');
      return { res, res2, back: await window.readBack(key), back2: await window.readBack(key2) };
    }, version);
    assert.ok(r.ok, JSON.stringify(r.error));
    assert.equal(r.value.back.type, 'image/png');
    assert.deepEqual(r.value.back.bytes, [1, 2, 3]);
    assert.deepEqual(r.value.back2.bytes, bytesOf('plain text, no type'));
    assert.equal(r.value.res.key, `server/${version}.png`);
  });

  test(`PostObject with the server's ${version} fields, assembled with the file last`, async () => {
    const r = await inPage(page, async (lib, v) => {
      const fields = await (await fetch(`/get_post_signature_for_oss_upload?version=${v}`)).json();
      const file = new File([`posted ${v}`], `post-${v}.txt`, { type: 'text/plain' });
      const res = await lib.postWithServerSignature(fields, file);
      return { res, dir: fields.dir, back: await window.readBack(res.key) };
    }, version);
    assert.ok(r.ok, JSON.stringify(r.error));
    assert.equal(r.value.res.key, `${r.value.dir}post-${version}.txt`);
    assert.deepEqual(r.value.back.bytes, bytesOf(`posted ${version}`));
    assert.equal(r.value.back.type, 'text/plain');
  });

  // Regression (review): only the signature fields were sent, so a server policy with the
  // browser-upload guide's ["in", "$content-type", [...]] (or any other field condition) was a 403.
  test(`PostObject with the server's ${version} fields under content-type, metadata and status conditions`, async () => {
    const r = await inPage(page, async (lib, v) => {
      const get = async (q) => (await fetch(`/get_post_signature_for_oss_upload?version=${v}&${q}`)).json();
      const typed = await get('contentTypes=image/jpeg,image/png');
      const png = await lib.postWithServerSignature(typed, new File([new Uint8Array([137, 80])], `typed-${v}.png`, { type: 'image/png' }));
      const named = await lib.postWithServerSignature(await get('contentTypes=image/jpeg,image/png'), new Blob(['x']), { key: `uploads/named-${v}.jpg`, contentType: 'image/jpeg' });
      const meta = await lib.postWithServerSignature(await get('owner=ann&status=201'), new Blob(['m']), { key: `uploads/meta-${v}.txt`, fields: { 'x-oss-meta-owner': 'ann', success_action_status: '201' } });
      let refused;
      try { await lib.postWithServerSignature(typed, new Blob(['t']), { key: `uploads/t-${v}.txt` }); } catch (e) { refused = { code: e.code, message: e.message }; }
      let own;
      try { await lib.postWithServerSignature(typed, new Blob(['t']), { key: `uploads/t-${v}.txt`, fields: { policy: 'x' } }); } catch (e) { own = { code: e.code, field: e.field }; }
      return { png, named, meta, refused, own, backPng: await window.readBack(png.key), backNamed: await window.readBack(named.key) };
    }, version);
    assert.ok(r.ok, JSON.stringify(r.error));
    assert.equal(r.value.backPng.type, 'image/png');
    assert.equal(r.value.backNamed.type, 'image/jpeg');
    assert.equal(r.value.meta.status, 201);
    const head = await emu.object(`uploads/meta-${version}.txt`);
    assert.ok(JSON.stringify(head).includes('ann'), JSON.stringify(head));
    // A type the policy does not allow: OSS's 403 names the condition.
    assert.equal(r.value.refused.code, 'AccessDenied');
    assert.match(r.value.refused.message, /content-type/);
    assert.deepEqual(r.value.own, { code: 'InvalidArgument', field: 'fields.policy' });
  });
}

test('PostObject signed here: createPostPolicy fields in a FormData, and postObject', async () => {
  const r = await inPage(page, async () => {
    const p = await window.client.createPostPolicy({ keyPrefix: 'form/', maxBytes: 1000, contentTypes: ['image/gif'], successActionStatus: 201 });
    const form = new FormData();
    for (const [k, v] of Object.entries(p.fields)) form.append(k, v);
    form.append('key', 'form/manual.gif');
    form.append('file', new Blob(['GIF89a'], { type: 'image/gif' }), 'manual.gif');
    const res = await fetch(p.url, { method: 'POST', body: form });
    const tooBig = new FormData();
    for (const [k, v] of Object.entries(p.fields)) tooBig.append(k, v);
    tooBig.append('key', 'form/big.gif');
    tooBig.append('file', new Blob([new Uint8Array(2000)]), 'big.gif');
    const big = await fetch(p.url, { method: 'POST', body: tooBig });
    const posted = await window.client.postObject('form/direct.webp', new Blob(['RIFF']), {});
    return { status: res.status, bigStatus: big.status, fieldNames: Object.keys(p.fields), posted, back: await window.readBack('form/manual.gif'), back2: await window.readBack('form/direct.webp') };
  });
  assert.ok(r.ok, JSON.stringify(r.error));
  assert.equal(r.value.status, 201);
  assert.equal(r.value.bigStatus, 400);
  // One allowed type: the form field is filled in too.
  assert.deepEqual(r.value.fieldNames.slice(0, 2), ['Content-Type', 'policy']);
  assert.ok(r.value.fieldNames.includes('x-oss-security-token'));
  assert.equal(r.value.back.type, 'image/gif');
  assert.deepEqual(r.value.back.bytes, bytesOf('GIF89a'));
  assert.equal(r.value.back2.type, 'image/webp');
  assert.equal(r.value.posted.key, 'form/direct.webp');
  assert.equal(r.value.posted.status, 200);
});

test('the package works from a module Web Worker (no window)', async () => {
  const r = await page.evaluate(async (endpoint) => new Promise((resolve) => {
    const w = new Worker('/worker.js', { type: 'module' });
    w.onmessage = ({ data }) => resolve(data);
    w.onerror = (e) => resolve({ ok: false, message: e.message });
    w.postMessage({ endpoint, key: 'worker/hello.txt', text: 'from a worker' });
  }), emu.endpoint);
  assert.ok(r.ok, JSON.stringify(r));
  const back = await inPage(page, () => window.readBack('worker/hello.txt'));
  assert.deepEqual(back.value.bytes, bytesOf('from a worker'));
  assert.equal(back.value.type, 'text/plain');
});

// Regression: a Service Worker has fetch but no XMLHttpRequest, and every upload with
// onProgress (which uses XHR for byte progress) failed there with "NetworkError: XMLHttpRequest
// is not defined". Without XHR the upload goes through fetch, with one progress event per
// request once its body is sent.
test('the package uploads from a module Service Worker, onProgress included (no XMLHttpRequest)', async () => {
  const r = await page.evaluate(async (endpoint) => {
    const reg = await navigator.serviceWorker.register('/sw.js', { type: 'module', scope: '/' });
    try {
      const sw = reg.active || reg.installing || reg.waiting;
      if (sw.state !== 'activated') {
        await new Promise((res) => sw.addEventListener('statechange', () => { if (sw.state === 'activated') res(); }));
      }
      return await new Promise((resolve) => {
        const ch = new MessageChannel();
        ch.port1.onmessage = ({ data }) => resolve(data);
        sw.postMessage({ endpoint, key: 'sw/hello.txt', text: 'from a service worker' }, [ch.port2]);
      });
    } finally {
      await reg.unregister();
    }
  }, emu.endpoint);
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.put.crc64, (await emu.object('sw/hello.txt')).crc64);
  assert.equal(r.mp.crc64, (await emu.object('sw/hello.txt.mp')).crc64);
  assert.equal(r.mp.parts, 3);
  // The put: one event once its body is sent, all of it (XHR's last event says the same).
  const bytes = 'from a service worker'.length;
  assert.deepEqual(r.putEvents, [[bytes, bytes]]);
  // The parts (one at a time): each part's bytes count once it is sent, before it is done.
  const sent = r.mpEvents.filter(([loaded], i) => i > 0 && loaded > r.mpEvents[i - 1][0]);
  assert.deepEqual(sent.map(([loaded]) => loaded), [102_400, 204_800, 250_000], JSON.stringify(r.mpEvents));
  const back = await inPage(page, () => window.readBack('sw/hello.txt'));
  assert.deepEqual(back.value.bytes, bytesOf('from a service worker'));
  assert.equal(back.value.type, 'text/plain');
});

// Regression: XHR uploads (the ones with onProgress) asked `getResponseHeader` for x-oss-ec,
// x-oss-err and age, which the bucket's CORS rule does not expose, and Chromium logged "Refused
// to get unsafe header" for each, three red console errors per request. Response headers are now
// read from `getAllResponseHeaders()`, which leaves hidden ones out silently.
test('uploads with onProgress (XHR) log nothing to the console and still read ETag and CRC-64', async () => {
  const logged = [];
  const onConsole = (m) => { if (m.type() === 'error' || m.type() === 'warning') logged.push(m.text()); };
  page.on('console', onConsole);
  try {
    const r = await inPage(page, async () => {
      const seen = [];
      const onProgress = (p) => seen.push(p.loaded);
      const put = await window.client.putObject('xhr/put.bin', new Uint8Array(300_000), { onProgress });
      const mp = await window.client.multipartUpload('xhr/mp.bin', new Blob([new Uint8Array(250_000)]), { partSize: 102_400, onProgress });
      return { put, mp, progressEvents: seen.length };
    });
    assert.ok(r.ok, JSON.stringify(r.error));
    assert.ok(r.value.progressEvents > 0);
    assert.match(r.value.put.etag, /^"[0-9A-F]{32}"$/);
    assert.equal(r.value.put.crc64, (await emu.object('xhr/put.bin')).crc64);
    assert.equal(r.value.mp.crc64, (await emu.object('xhr/mp.bin')).crc64);
  } finally {
    page.off('console', onConsole);
  }
  assert.deepEqual(logged, []);
});

// Regression: `free()` while an upload was in flight threw "attempted to take ownership of Rust
// value while it was borrowed" (and the client was released anyway once the upload ended); any
// call after `free()` threw wasm-bindgen's plain Error without a code. Now free() during a call
// releases the client when its calls end, and later calls throw OssError InvalidState.
test('OssClient.free() during an upload lets it finish; later calls reject with InvalidState', async () => {
  const r = await inPage(page, async (lib, endpoint) => {
    const c = new lib.OssClient({ region: 'cn-hangzhou', bucket: 'demo', endpoint, credentials: '/sts' });
    const upload = c.putObject('free/during.bin', new Uint8Array(200_000));
    let freeError = null;
    try { c.free(); } catch (e) { freeError = `${e.name} ${e.code} ${e.message}`; }
    const done = await upload.then((v) => ({ etag: v.etag }), (e) => ({ code: e.code, message: e.message }));
    const after = await Promise.resolve().then(() => c.presignUrl('k')).then(() => 'signed', (e) => ({ name: e.name, code: e.code, message: e.message }));
    let second = null;
    try { c.free(); } catch (e) { second = e.message; }
    return { freeError, done, after, second };
  }, emu.endpoint);
  assert.ok(r.ok, JSON.stringify(r.error));
  assert.equal(r.value.freeError, null);
  assert.match(r.value.done.etag || '', /^"[0-9A-F]{32}"$/, JSON.stringify(r.value.done));
  assert.equal(r.value.after.name, 'OssError', JSON.stringify(r.value.after));
  assert.equal(r.value.after.code, 'InvalidState');
  assert.match(r.value.after.message, /freed/);
  assert.equal(r.value.second, null);
});

// Regressions (review of the single-request paths):
// - a CRC-64 mismatch of a single request rejected with InvalidResponse, not CrcMismatch (as a
//   multipart upload's and as documented);
// - putObject accepted verifyCrc64 but ignored it (false still rejected; a non-boolean passed);
// - a Uint8Array refilled while its putObject waited for an upload slot was hashed after the
//   wait: the snapshot sent was intact, yet the call rejected as "corrupted in transit".
test('CRC-64 mismatches are CrcMismatch; verifyCrc64: false skips the check; a refilled buffer is hashed as sent', async () => {
  // OSS answering another CRC-64 than the bytes' (what corruption in transit looks like). The
  // rewrite fetches from node, which does not resolve *.localhost: a path-style IP endpoint.
  await page.route((u) => u.pathname.startsWith('/demo/'), async (route) => {
    const req = route.request();
    // A PostObject goes to the bucket, its key in the form.
    if (!req.url().includes('/crc/') && req.method() !== 'POST') return route.continue();
    const resp = await route.fetch();
    await route.fulfill({ response: resp, headers: { ...resp.headers(), 'x-oss-hash-crc64ecma': '12345' } });
  });
  let r;
  try {
    r = await inPage(page, async (lib, endpoint) => {
      const out = {};
      const c = new lib.OssClient({ region: 'cn-hangzhou', bucket: 'demo', endpoint, credentials: '/sts' });
      const p = await c.presignUrl('crc/g.txt', { method: 'PUT', contentType: 'text/plain' });
      for (const [name, fn] of Object.entries({
        string: () => c.putObject('crc/a.txt', 'hello'),
        blob: () => c.putObject('crc/b.bin', new Blob([new Uint8Array(1000)])),
        xhr: () => c.putObject('crc/c.bin', new Uint8Array(1000), { onProgress() {} }),
        post: () => c.postObject('crc/f.bin', new Blob(['x'])),
        signedUrl: () => lib.uploadToSignedUrl(p.url, 'hello', { contentType: 'text/plain' }),
        verifyOff: () => c.putObject('crc/d.bin', new Uint8Array(10), { verifyCrc64: false }),
        verifyJunk: () => c.putObject('crc/e.bin', new Uint8Array(10), { verifyCrc64: 'no' }),
      })) {
        out[name] = await fn().then(() => 'resolved', (e) => `${e.code}${e.field ? ` ${e.field}` : ''}`);
      }
      return out;
    }, emu.endpoint.replace('localhost', '127.0.0.1'));
  } finally {
    await page.unrouteAll();
  }
  assert.ok(r.ok, JSON.stringify(r.error));
  for (const k of ['string', 'blob', 'xhr', 'post', 'signedUrl']) assert.equal(r.value[k], 'CrcMismatch', k);
  assert.equal(r.value.verifyOff, 'resolved');
  assert.equal(r.value.verifyJunk, 'InvalidArgument verifyCrc64');

  await emu.admin('faults', 'POST', { method: 'PUT', path: '/queued/first', delayMs: 1500, times: 1 });
  const q = await inPage(page, async (lib, endpoint) => {
    const c = new lib.OssClient({ region: 'cn-hangzhou', bucket: 'demo', endpoint, credentials: '/sts', maxConcurrentUploads: 1 });
    const first = c.putObject('queued/first', 'slow one');
    const buf = new Uint8Array(1000).fill(1);
    const want = lib.crc64(buf);
    const second = c.putObject('queued/second', buf).then((v) => ({ crc: v.crc64 }), (e) => ({ error: `${e.code}: ${e.message}` }));
    await new Promise((res) => setTimeout(res, 100));
    buf.fill(2); // the app reuses its buffer while the call waits for its turn
    await first;
    return { ...(await second), want };
  }, emu.endpoint);
  await emu.admin('faults', 'DELETE');
  assert.ok(q.ok, JSON.stringify(q.error));
  assert.equal(q.value.crc, q.value.want, JSON.stringify(q.value));
  assert.equal((await emu.object('queued/second')).crc64, q.value.want);
});
