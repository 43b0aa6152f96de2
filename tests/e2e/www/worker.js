// A module Web Worker using the package: no window, only the worker's global fetch.
import init, { OssClient } from '/pkg/oss_direct_upload.js';

self.onmessage = async ({ data }) => {
  try {
    await init();
    const client = new OssClient({ region: 'cn-hangzhou', bucket: 'demo', endpoint: data.endpoint, credentials: '/sts' });
    const r = await client.putObject(data.key, data.text, { contentType: 'text/plain' });
    self.postMessage({ ok: true, etag: r.etag, key: r.key });
  } catch (e) {
    self.postMessage({ ok: false, code: e.code, message: e.message });
  }
};
