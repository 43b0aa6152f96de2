// An app bundled by webpack that imports the package and its signing-only build by name, as
// users do after `npm install`: both .wasm files must be emitted next to the bundle and load.
import init, { OssClient } from 'oss-direct-upload';
import initSign, { signRequest } from 'oss-direct-upload/sign';

try {
  await init();
  await initSign();
} catch (e) {
  window.initError = String(e);
}
window.upload = async (key, text) => {
  const client = new OssClient({ region: 'cn-hangzhou', bucket: 'demo', endpoint: location.origin, credentials: '/sts' });
  const r = await client.putObject(key, text, { contentType: 'text/plain' });
  return { key: r.key, etag: r.etag };
};
window.sign = (key) => signRequest({
  method: 'PUT', bucket: 'demo', key, region: 'cn-hangzhou',
  credentials: { accessKeyId: 'STS.id', accessKeySecret: 'secret', securityToken: 'token' },
});
window.ready = true;
