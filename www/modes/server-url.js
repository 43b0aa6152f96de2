// Mode 3 — a URL signed by the app's server (method 3 of Alibaba Cloud's browser-upload guide):
// the server signs a PUT for a key and a Content-Type; the page sends exactly that type.
import { uploadToSignedUrl } from '/pkg/oss_direct_upload.js';

export const label = 'Server-signed URL';
export const help = 'GET /get_presigned_url_for_oss_upload (V4) returns a URL the server signed; uploadToSignedUrl refuses it if already expired and sends exactly the Content-Type that was signed — a mismatch is named in the error.';

export async function upload({ file, key, contentType, signal }) {
  const type = contentType || file.type || 'application/octet-stream';
  const res = await fetch(`/get_presigned_url_for_oss_upload?key=${encodeURIComponent(key)}&contentType=${encodeURIComponent(type)}`);
  if (!res.ok) throw new Error(`the app server answered ${res.status}`);
  const signed = await res.json();
  const r = await uploadToSignedUrl(signed.url, file, { contentType: type, signal });
  return { ...r, extra: [['server-signed URL', signed.url]] };
}
