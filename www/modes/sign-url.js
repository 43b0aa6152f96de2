// Presign a URL locally (wasm), with STS credentials from the STS endpoint.
import { presignUrl } from '/pkg/oss_direct_upload.js';
import { credentials, settings, log, describeError, kvTable, escapeHtml } from '../lib.js';

export function mount(el) {
  el.innerHTML = `
    <h2>Presign a URL</h2>
    <p class="muted">Signs a V4 presigned URL in the page. Whoever uses it must send the headers listed with it.</p>
    <div class="grid">
      <label>Key <input name="key" value="uploads/hello.txt"></label>
      <label>Method <select name="method"><option>PUT</option><option>GET</option></select></label>
      <label>Content-Type <input name="type" value="text/plain"></label>
      <label>Expires in (s) <input name="expires" type="number" value="900" min="1" max="604800"></label>
    </div>
    <div class="row"><button name="go">Presign</button></div>
    <div class="result"></div>`;
  const field = (n) => el.querySelector(`[name="${n}"]`);
  const out = el.querySelector('.result');
  field('go').addEventListener('click', async () => {
    try {
      const c = await credentials();
      const method = field('method').value;
      const headers = method === 'PUT' && field('type').value ? { 'Content-Type': field('type').value } : {};
      const p = presignUrl({ ...settings(), method, key: field('key').value, headers,
        expiresInSecs: Number(field('expires').value), credentials: c });
      out.innerHTML = kvTable([
        ['url', `<code>${escapeHtml(p.url)}</code>`],
        ['expires', escapeHtml(p.expiresAt.toISOString())],
        ['send these headers', `<code>${escapeHtml(JSON.stringify(p.headers))}</code>`],
      ]);
      log(`presigned ${method} ${field('key').value}`);
    } catch (e) {
      out.innerHTML = `<span class="err">${escapeHtml(describeError(e))}</span>`;
      log(describeError(e), 'err');
    }
  });
}
