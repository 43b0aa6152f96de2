// Mode 2 — a URL presigned by the library: presignUrl returns the URL and the headers its user
// must send; uploadToSignedUrl sends exactly those.
import { uploadToSignedUrl } from '/pkg/oss_direct_upload.js';

export const label = 'Presigned URL (signed here)';
export const help = 'OssClient.presignUrl signs a PUT URL (its expiry capped at the credentials\' expiry), then the file is PUT to it with exactly the signed Content-Type.';

export async function upload({ client, file, key, contentType, signal, log }) {
  const type = contentType || file.type || 'application/octet-stream';
  const p = await client.presignUrl(key, { method: 'PUT', contentType: type, expiresInSecs: 900 });
  log(`presigned PUT ${key}, expires ${p.expiresAt.toLocaleTimeString()}${p.capped ? ' (capped at the credentials\' expiry)' : ''}`);
  const r = await uploadToSignedUrl(p.url, file, { contentType: type, signal });
  return { ...r, extra: [['presigned URL', p.url], ['headers to send', JSON.stringify(p.headers)]] };
}
