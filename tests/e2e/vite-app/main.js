// An app bundled by Vite that imports the package by name, as users do after `npm install`.
import init, { OssClient } from 'oss-direct-upload';

await init();
window.upload = async (key, text) => {
  const client = new OssClient({ region: 'cn-hangzhou', bucket: 'demo', endpoint: location.origin, credentials: '/sts' });
  const r = await client.putObject(key, text, { contentType: 'text/plain' });
  return { key: r.key, etag: r.etag };
};
window.ready = true;
