// PutObject with STS credentials: sign the request in wasm, send the file with fetch.
import { signRequest, presignUrl } from '/pkg/oss_direct_upload.js';
import { credentials, settings, log, describeError, kvTable, escapeHtml } from '../lib.js';

export function mount(el) {
  el.innerHTML = `
    <h2>Upload a file (PutObject with STS credentials)</h2>
    <div class="grid">
      <label>File <input name="file" type="file"></label>
      <label>Key prefix <input name="prefix" value="uploads/"></label>
    </div>
    <div class="row"><button name="go">Upload</button></div>
    <div class="result"></div>`;
  const field = (n) => el.querySelector(`[name="${n}"]`);
  const out = el.querySelector('.result');
  field('go').addEventListener('click', async () => {
    const file = field('file').files[0] || new File([`hello from oss-direct-upload at ${new Date().toISOString()}\n`], 'hello.txt', { type: 'text/plain' });
    const key = field('prefix').value + file.name;
    const type = file.type || 'application/octet-stream';
    try {
      const started = performance.now();
      const signed = signRequest({ ...settings(), method: 'PUT', key, headers: { 'Content-Type': type }, credentials: await credentials() });
      // Re-type the body so the browser sends exactly the Content-Type that was signed.
      const res = await fetch(signed.url, { method: 'PUT', headers: signed.headers, body: file.slice(0, file.size, type) });
      const text = await res.text();
      if (!res.ok) {
        const code = (text.match(/<Code>([^<]*)<\/Code>/) || [])[1] || res.status;
        throw Object.assign(new Error(`OSS answered ${res.status}`), { code });
      }
      const ms = Math.round(performance.now() - started);
      const view = presignUrl({ ...settings(), method: 'GET', key, expiresInSecs: 600, credentials: await credentials() });
      out.innerHTML = `<p class="ok">Uploaded ${escapeHtml(key)} (${file.size} bytes) in ${ms} ms</p>` + kvTable([
        ['ETag', escapeHtml(res.headers.get('ETag'))],
        ['x-oss-request-id', escapeHtml(res.headers.get('x-oss-request-id'))],
        ['x-oss-hash-crc64ecma', escapeHtml(res.headers.get('x-oss-hash-crc64ecma'))],
        ['view (presigned GET, 10 min)', `<a href="${escapeHtml(view.url)}" target="_blank">${escapeHtml(signed.url)}</a>`],
      ]);
      log(`PUT ${key} → ${res.status} (${ms} ms)`, 'ok');
    } catch (e) {
      out.innerHTML = `<span class="err">${escapeHtml(describeError(e))}</span>`;
      log(describeError(e), 'err');
    }
  });
}
