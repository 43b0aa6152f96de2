// Mode 1 — PutObject with STS credentials: the client fetches (and refreshes) credentials, signs
// in wasm and sends the file with byte progress.
export const label = 'STS PutObject';
export const help = 'OssClient.putObject: credentials from the STS endpoint (cached, refreshed before expiry, shared by concurrent uploads), the body re-typed so the Content-Type sent is the one signed.';
export const progress = true;

export async function upload({ client, file, key, contentType, signal, onProgress }) {
  return client.putObject(key, file, { contentType, signal, onProgress });
}
