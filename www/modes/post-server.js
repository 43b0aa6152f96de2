// Mode 5 — PostObject signed by the app's server (method 2 of the guide): the server returns
// policy + signature fields (V1 or V4 shape); postWithServerSignature assembles the form.
import { postWithServerSignature } from '/pkg/oss_direct_upload.js';

export const label = 'PostObject (signed by the server)';
export const help = 'GET /get_post_signature_for_oss_upload returns {policy, signature, x_oss_credential, …, dir, host}; the key is dir + file name, the form is assembled in order with the file last.';

export async function upload({ file, signal }) {
  const res = await fetch('/get_post_signature_for_oss_upload');
  if (!res.ok) throw new Error(`the app server answered ${res.status}`);
  const fields = await res.json();
  const r = await postWithServerSignature(fields, file, { filename: file.name, signal });
  return { ...r, extra: [['server policy', `${fields.x_oss_signature_version || 'V1'}, dir ${fields.dir}`]] };
}
