// The demo page: one OssClient built from the settings, a mode selector over the five upload
// modes (one module each), drag-and-drop, progress, results with a link back, the credential
// state, and errors with their code and diagnosis.
import init, { OssClient } from '/pkg/oss_direct_upload.js';
import { log, kvTable, escapeHtml } from '../lib.js';
import * as stsPut from './sts-put.js';
import * as signUrl from './sign-url.js';
import * as serverUrl from './server-url.js';
import * as postHere from './post-here.js';
import * as postServer from './post-server.js';
import * as multipart from './multipart.js';

const MODES = { 'sts-put': stsPut, 'sign-url': signUrl, 'server-url': serverUrl, 'post-here': postHere, 'post-server': postServer, multipart };
const $ = (id) => document.getElementById(id);

await init();

let client = null;
let file = null;
let controller = null;

/** The client for the current settings (rebuilt when they change). */
function currentClient() {
  if (!client) {
    client = new OssClient({
      region: $('region').value.trim(),
      bucket: $('bucket').value.trim(),
      endpoint: $('endpoint').value.trim() || location.origin,
      credentials: $('sts-url').value.trim(),
      shareAcrossTabs: $('share-tabs').checked,
    });
  }
  return client;
}
for (const id of ['bucket', 'region', 'endpoint', 'sts-url', 'share-tabs']) {
  $(id).addEventListener('change', () => {
    // A client still uploading is dropped, not freed: its calls finish on their own.
    client = null;
    showCredentials();
  });
}

/** The credential panel: expiry, refreshes, clock offset — never the secret. */
function showCredentials() {
  const panel = $('creds-panel');
  if (!client) {
    panel.textContent = 'No credentials yet: the client fetches them from the STS endpoint on first use and keeps them in memory only.';
    panel.className = 'creds muted';
    return;
  }
  const s = client.credentialStatus();
  if (!s.expiresAt) return;
  const secs = Math.max(0, s.expiresInSecs);
  const offset = Math.round(s.clockOffsetMs / 1000);
  panel.innerHTML = `<span class="pill ${secs > 60 ? 'ok' : 'err'}">STS credentials in memory</span>
    expire in <b>${Math.floor(secs / 60)} min ${secs % 60} s</b> (${escapeHtml(s.expiresAt.toLocaleTimeString())})
    · fetched <b>${s.refreshCount}</b> time${s.refreshCount === 1 ? '' : 's'}
    · clock offset vs OSS <b>${offset} s</b>${$('share-tabs').checked ? ' · shared across tabs' : ''}`;
  panel.className = 'creds';
}
setInterval(showCredentials, 1000);

// Mode selector.
const modes = $('modes');
modes.innerHTML = '<legend>Mode</legend>' + Object.entries(MODES).map(([id, m], i) =>
  `<label class="mode"><input type="radio" name="mode" value="${id}"${i === 0 ? ' checked' : ''}> ${escapeHtml(m.label)}</label>`).join('');
const mode = () => modes.querySelector('input[name="mode"]:checked').value;
const showHelp = () => {
  $('mode-help').textContent = MODES[mode()].help;
  if (mode() === 'multipart') multipart.refreshResumable(currentClient());
};
modes.addEventListener('change', showHelp);
showHelp();

// File picker and drag-and-drop.
function choose(f) {
  file = f;
  $('file-info').textContent = f ? `${f.name} · ${f.size.toLocaleString()} bytes · ${f.type || 'no type'}` : 'No file chosen: a small text file is generated.';
  $('key').placeholder = `uploads/${f ? f.name : 'hello.txt'}`;
}
$('pick').addEventListener('click', () => $('file').click());
$('file').addEventListener('change', () => choose($('file').files[0]));
const drop = $('drop');
drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('over'); choose(e.dataTransfer.files[0]); });

$('fetch-creds').addEventListener('click', async () => {
  try {
    await currentClient().presignUrl('probe', { expiresInSecs: 60 });
    showCredentials();
    log('credentials ready', 'ok');
  } catch (e) { showError(e); }
});
$('clear-log').addEventListener('click', () => { $('log').innerHTML = ''; });
$('abort').addEventListener('click', () => controller?.abort());

function showError(e) {
  const rows = [['code', `<b>${escapeHtml(e.code || e.name)}</b>`], ['message', escapeHtml(e.message)]];
  if (e.diagnosis) rows.push(['diagnosis', `<b>${escapeHtml(e.diagnosis)}</b>`]);
  if (e.status) rows.push(['HTTP status', String(e.status)]);
  if (e.requestId) rows.push(['request id', escapeHtml(e.requestId)]);
  if (e.ec) rows.push(['EC', escapeHtml(e.ec)]);
  if (e.retryable !== undefined) rows.push(['retryable', String(e.retryable)]);
  $('result').innerHTML = '<p class="err">Upload failed</p>' + kvTable(rows);
  log(e.code && !String(e.message).startsWith(e.code) ? `${e.code}: ${e.message}` : String(e.message), 'err');
}

$('go').addEventListener('click', async () => {
  const f = file || new File([`hello from oss-direct-upload at ${new Date().toISOString()}\n`], 'hello.txt', { type: 'text/plain' });
  const key = $('key').value.trim() || `uploads/${f.name}`;
  const m = MODES[mode()];
  const bar = $('progress');
  controller = new AbortController();
  $('go').disabled = true;
  $('abort').disabled = false;
  $('result').innerHTML = '';
  bar.value = 0;
  if (!m.progress) bar.removeAttribute('value');
  $('progress-text').textContent = m.progress ? '0 %' : 'uploading…';
  const started = performance.now();
  try {
    const c = currentClient();
    const r = await m.upload({
      client: c, file: f, key, contentType: $('content-type').value.trim() || undefined, signal: controller.signal, log,
      onProgress: ({ loaded, total }) => { bar.value = total ? loaded / total : 1; $('progress-text').textContent = `${Math.round(100 * loaded / (total || 1))} %`; },
    });
    const ms = Math.round(performance.now() - started);
    bar.value = 1;
    $('progress-text').textContent = `done in ${ms} ms`;
    const view = await c.presignUrl(r.key, { method: 'GET', expiresInSecs: 600 });
    $('result').innerHTML = `<p class="ok">Uploaded <b>${escapeHtml(r.key)}</b> (${f.size.toLocaleString()} bytes) with ${escapeHtml(m.label)}</p>` + kvTable([
      ['key', escapeHtml(r.key)],
      ['ETag', escapeHtml(r.etag ?? '(hidden by CORS)')],
      ['CRC64', escapeHtml(r.crc64 ?? '(hidden by CORS)') + (r.crc64 ? ' <span class="ok">✓ checked</span>' : '')],
      ['request id', escapeHtml(r.requestId ?? '')],
      ['fetch it back', `<a href="${escapeHtml(view.url)}" target="_blank" rel="noopener">presigned GET, valid 10 min</a>`],
      ...(r.extra || []).map(([k, v]) => [k, `<code>${escapeHtml(v)}</code>`]),
    ]);
    log(`${m.label}: ${r.key} → ${r.etag ?? 'stored'} (${ms} ms)`, 'ok');
  } catch (e) {
    bar.value = 0;
    $('progress-text').textContent = '';
    showError(e);
  } finally {
    $('go').disabled = false;
    $('abort').disabled = true;
    showCredentials();
  }
});

document.body.dataset.ready = 'true';
