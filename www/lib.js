// Shared by the demo's modes: settings, STS credentials (in memory only), log and formatting.

const $ = (id) => document.getElementById(id);

export const log = (text, cls = '') => {
  const li = document.createElement('li');
  li.textContent = `${new Date().toLocaleTimeString()}  ${text}`;
  if (cls) li.className = cls;
  $('log').prepend(li);
};

/** Current settings; `endpoint` defaults to this page's origin (the emulator). */
export const settings = () => ({
  bucket: $('bucket').value.trim(),
  region: $('region').value.trim(),
  endpoint: $('endpoint').value.trim() || location.origin,
});

let creds = null;

/** Forgets the credentials so the next call fetches new ones. */
export const resetCredentials = () => { creds = null; };

/** STS credentials from the STS endpoint, fetched again when they are about to expire. */
export async function credentials() {
  if (creds && Date.parse(creds.expiration) - Date.now() > 60_000) return creds;
  const res = await fetch($('sts-url').value.trim());
  if (!res.ok) throw new Error(`STS endpoint answered ${res.status}`);
  const body = await res.json();
  const c = body.Credentials || body;
  creds = {
    accessKeyId: c.AccessKeyId,
    accessKeySecret: c.AccessKeySecret,
    securityToken: c.SecurityToken,
    expiration: c.Expiration,
  };
  $('creds-status').textContent = `${creds.accessKeyId} · expires ${new Date(creds.expiration).toLocaleTimeString()}`;
  $('creds-status').className = 'ok';
  log(`fetched STS credentials ${creds.accessKeyId}`);
  return creds;
}

/** Shows an error with its stable code. */
export const describeError = (e) => (e && e.code ? `${e.code}: ${e.message}` : String(e && e.message || e));

export const kvTable = (rows) =>
  `<table class="kv">${rows.map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${v}</td></tr>`).join('')}</table>`;

export const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

