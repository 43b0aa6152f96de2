// Mode 4 — PostObject signed here: a policy for exactly this key and type, signed in wasm with
// the STS credentials, sent as a form with the file last.
export const label = 'PostObject (signed here)';
export const help = 'OssClient.postObject builds and signs a V4 post policy (eq $key, eq $content-type, x-oss-security-token) and POSTs the form. createPostPolicy gives the same fields for your own <form>.';

export async function upload({ client, file, key, contentType, signal }) {
  return client.postObject(key, file, { contentType, signal });
}
