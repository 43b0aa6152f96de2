// Mode 6 — multipart upload for large files: parts sent 4 at a time, byte progress with MB/s and
// ETA, pause / resume in the page, abort (AbortMultipartUpload), and resume after a reload: the
// checkpoint (never credentials) lives in IndexedDB, so choosing the same file again under the
// same key uploads only the missing parts.
import { OssClient } from '/pkg/oss_direct_upload.js';
import { escapeHtml } from '../lib.js';

export const label = 'Multipart (large files)';
export const help = 'OssClient.multipartUpload: the file is cut into parts read lazily with Blob.slice, 4 in flight, each signed just before it is sent and checked by CRC64; pause keeps the upload, abort deletes it, and after a reload the same file resumes where it stopped.';
export const progress = true;

const $ = (id) => document.getElementById(id);
let state = null; // { client, key, uploadId, paused, resume: () => void }

/** The panel under the progress bar: speed, ETA, pause/resume, and resumable uploads. */
function panel() {
  let el = $('mp-panel');
  if (el) return el;
  el = document.createElement('div');
  el.id = 'mp-panel';
  el.className = 'muted';
  el.innerHTML = `
    <div class="row">
      <span id="mp-status">Parts, speed and ETA appear here.</span>
      <button id="mp-pause" class="secondary small" disabled>Pause</button>
      <button id="mp-resume" class="secondary small" disabled>Resume</button>
    </div>
    <div id="mp-resumable"></div>`;
  ($('progress')?.closest('.row') ?? $('upload')).after(el);
  $('mp-pause').addEventListener('click', () => {
    if (state?.uploadId && state.client.pause(state.uploadId)) $('mp-status').textContent = 'pausing…';
  });
  $('mp-resume').addEventListener('click', () => state?.resume?.());
  return el;
}

function show(visible) {
  const el = panel();
  el.hidden = !visible;
}

const clock = (secs) => {
  if (!Number.isFinite(secs)) return '–';
  const s = Math.round(secs);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};

function status(p) {
  const mbps = p.bytesPerSec / 1e6;
  const eta = p.bytesPerSec > 0 ? (p.total - p.loaded) / p.bytesPerSec : NaN;
  $('mp-status').textContent = `${p.phase} · parts ${p.partsDone}/${p.partsTotal} · ${mbps.toFixed(1)} MB/s · ETA ${clock(eta)}`;
}

/** Lists checkpoints that a reload left behind, with a way to discard each. */
export async function refreshResumable(client) {
  const box = $('mp-resumable');
  if (!box || !client) return;
  let list = [];
  try { list = await client.listResumableUploads(); } catch { /* IndexedDB unavailable */ }
  if (!list.length) { box.innerHTML = ''; return; }
  box.innerHTML = '<p>Unfinished uploads (choose the same file under the same key and press Upload to resume):</p><ul>' +
    list.map((c) => `<li><code>${escapeHtml(c.key)}</code> — ${escapeHtml(c.fileName || 'blob')}, ${c.partsDone}/${c.partsTotal} parts,
      ${(c.bytesDone / 1e6).toFixed(1)} of ${(c.size / 1e6).toFixed(1)} MB
      <button class="small secondary" data-discard="${escapeHtml(c.uploadId)}">Discard</button></li>`).join('') + '</ul>';
  for (const b of box.querySelectorAll('[data-discard]')) {
    b.addEventListener('click', async () => {
      await client.discardResumableUpload(b.dataset.discard, { abort: true }).catch(() => client.discardResumableUpload(b.dataset.discard));
      refreshResumable(client);
    });
  }
}

export async function upload({ client, file, key, contentType, signal, onProgress, log }) {
  show(true);
  state = { client, key, uploadId: null };
  const buttons = (running) => {
    $('mp-pause').disabled = !running;
    $('mp-resume').disabled = running || !state.uploadId;
  };
  buttons(true);
  const options = {
    contentType, signal,
    onProgress: (p) => {
      if (p.uploadId && !state.uploadId) {
        state.uploadId = p.uploadId;
        log(`multipart upload ${p.uploadId}: ${p.partsTotal} parts${p.partsDone ? `, ${p.partsDone} already stored (resumed)` : ''}`);
      }
      onProgress(p);
      status(p);
    },
  };
  let run = () => client.multipartUpload(key, file, options);
  try {
    for (;;) {
      try {
        const r = await run();
        return { ...r, extra: [['uploadId', r.uploadId], ['parts', `${r.parts} (${r.partsReused} reused from a checkpoint)`]] };
      } catch (e) {
        if (e.code !== 'UploadPaused') throw e;
        // Paused: wait for Resume (or Abort, which deletes the upload on OSS).
        log(`paused ${state.uploadId}; Resume continues it, Abort deletes it`);
        $('mp-status').textContent = 'paused';
        buttons(false);
        await new Promise((resolve, reject) => {
          state.resume = () => { state.resume = null; resolve(); };
          // The library aborts a paused upload on OSS when its signal fires.
          signal.addEventListener('abort', () => {
            reject(Object.assign(new Error('aborted: the upload was deleted on OSS'), { code: 'RequestAborted' }));
          }, { once: true });
        });
        buttons(true);
        run = () => client.resume(state.uploadId);
      }
    }
  } finally {
    buttons(false);
    $('mp-resume').disabled = true;
    refreshResumable(client);
  }
}

/** A client for listing checkpoints (no credentials are fetched for that). */
let lister = null;
function listingClient() {
  return lister ??= new OssClient({
    region: $('region').value.trim(), bucket: $('bucket').value.trim(),
    endpoint: $('endpoint').value.trim() || location.origin, credentials: $('sts-url').value.trim(),
  });
}

// Show the panel only with this mode selected, with the uploads a reload left unfinished.
const modes = $('modes');
const sync = () => {
  const on = modes?.querySelector('input[name="mode"]:checked')?.value === 'multipart';
  show(on);
  if (on) {
    try { refreshResumable(listingClient()); } catch { /* the package is still loading */ }
  }
};
modes?.addEventListener('change', sync);
queueMicrotask(sync);
