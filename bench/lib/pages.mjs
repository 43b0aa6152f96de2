// HTML of the pages bench/run.mjs serves (from bench/lib/common.mjs `serve`, on 127.0.0.1).

const ALI = '<script src="/node_modules/ali-oss/dist/aliyun-oss-sdk.min.js"></script>';

/** The upload page: the package unless `withOurs` is false, ali-oss unless `withAli` is false
 *  (memory runs load one library). */
export function uploadPage(cfg, { withAli = true, withOurs = true } = {}) {
  return `<!doctype html><meta charset="utf-8"><title>upload bench</title>
${withAli ? ALI : ''}
<script type="module">
  import * as bench from '/bench/lib/upload-page.mjs';
  window.uploadBench = bench;
  bench.setup(${JSON.stringify({ ...cfg, ours: withOurs })}).then((info) => { window.benchInfo = info; window.benchReady = true; },
    (e) => { window.benchError = String(e && e.stack || e); });
</script>`;
}

// Cold start: each page is opened in a fresh browser context (empty HTTP cache, new renderer).
// Times are performance.now() deltas from just before the import / script load.

const SIGN_INPUT = `{
  method: 'PUT', bucket: 'examplebucket', region: 'cn-hangzhou', key: 'uploads/cold.bin',
  headers: { 'Content-Type': 'application/octet-stream' },
  credentials: { accessKeyId: 'STS.NTExampleTemporaryAccessKeyId', accessKeySecret: 'TmpSecretExample0123456789abcdefghijklmn',
    securityToken: 'CAIS' + 'x'.repeat(500) + '==' },
}`;

/** This library: import → init() (wasm fetch + compile + instantiate) → first signRequest; or
 *  → new OssClient + first presignUrl (credentials from a function: no network). */
export const COLD_OURS = `<!doctype html><meta charset="utf-8"><title>cold ours</title>
<script type="module">
  const input = ${SIGN_INPUT};
  const mode = new URLSearchParams(location.search).get('mode');
  try {
    const t0 = performance.now();
    const lib = await import('/pkg/oss_direct_upload.js');
    const t1 = performance.now();
    await lib.default();
    const t2 = performance.now();
    let out;
    if (mode === 'client') {
      const c = new lib.OssClient({ region: input.region, bucket: input.bucket, credentials: async () => input.credentials });
      out = (await c.presignUrl(input.key, { method: 'PUT', expiresInSecs: 600 })).url;
    } else {
      out = lib.signRequest(input).headers.authorization;
    }
    const t3 = performance.now();
    if (!out) throw new Error('nothing signed');
    window.coldResult = { load: t1 - t0, init: t2 - t1, first: t3 - t2, total: t3 - t0 };
  } catch (e) { window.coldResult = { error: String(e && e.stack || e) }; }
</script>`;

/** ali-oss: load aliyun-oss-sdk.min.js (script element) → new OSS → first authorizationV4
 *  (header signature) or signatureUrlV4 (presigned URL). */
export const COLD_ALI = `<!doctype html><meta charset="utf-8"><title>cold ali</title>
<script type="module">
  const input = ${SIGN_INPUT};
  const mode = new URLSearchParams(location.search).get('mode');
  try {
    const t0 = performance.now();
    await new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = '/node_modules/ali-oss/dist/aliyun-oss-sdk.min.js';
      s.onload = resolve; s.onerror = reject;
      document.head.append(s);
    });
    const t1 = performance.now();
    const c = new OSS({ region: 'oss-' + input.region, bucket: input.bucket, accessKeyId: input.credentials.accessKeyId,
      accessKeySecret: input.credentials.accessKeySecret, stsToken: input.credentials.securityToken, authorizationV4: true });
    const t2 = performance.now();
    let out;
    if (mode === 'client') {
      out = await c.signatureUrlV4('PUT', 600, { headers: {} }, input.key);
    } else {
      const now = new Date().toISOString().replace(/[-:]|\\.\\d{3}/g, '');
      out = c.authorizationV4('PUT', { headers: { ...input.headers, 'x-oss-date': now, 'x-oss-content-sha256': 'UNSIGNED-PAYLOAD',
        'x-oss-security-token': input.credentials.securityToken }, queries: {} }, input.bucket, input.key);
    }
    const t3 = performance.now();
    if (!out) throw new Error('nothing signed');
    window.coldResult = { load: t1 - t0, init: t2 - t1, first: t3 - t2, total: t3 - t0 };
  } catch (e) { window.coldResult = { error: String(e && e.stack || e) }; }
</script>`;
