// This package, the same job as the anchors' entries: a client with STS credentials that uploads
// (putObject; multipartUpload when the build has it) and presigns. The wasm file is added separately
// (esbuild leaves `new URL('oss_direct_upload_bg.wasm', import.meta.url)` as an asset reference).
import init, { OssClient } from 'oss-direct-upload';
export async function go(file) {
  await init();
  const c = new OssClient({ region: 'cn-hangzhou', bucket: 'b', credentials: '/sts' });
  await c.putObject('k', file);
  if (c.multipartUpload) await c.multipartUpload('k', file, { concurrency: 4 });
  return (await c.presignUrl('k', { method: 'PUT', expiresInSecs: 600 })).url;
}
