// Compiled with `tsc --noEmit --strict` against pkg/oss_direct_upload.d.ts: the documented API
// type-checks, and misuse does not (the @ts-expect-error lines must be errors).
import init, { OssClient, Signer, uploadToSignedUrl, postWithServerSignature, type OssError, type UploadResult, type PresignResult, type PostPolicyResult, type CredentialStatus, type SignedRequest, type PresignedUrl } from '../../../pkg/oss_direct_upload.js';
import { Signer as SignOnlySigner } from '../../../pkg/sign/sign.js';

export async function demo(file: File, signal: AbortSignal): Promise<void> {
  await init();
  const oss = new OssClient({
    region: 'cn-hangzhou', bucket: 'b', credentials: { url: '/sts', method: 'POST', credentials: 'include', timeoutMs: 5000 },
    refreshBeforeExpirySecs: 300, shareAcrossTabs: true, retry: { maxAttempts: 4, baseDelayMs: 100 }, timeoutMs: 60_000,
  });
  const fromFn = new OssClient({ region: 'cn-hangzhou', bucket: 'b', credentials: async () => ({ accessKeyId: 'a', accessKeySecret: 's', securityToken: 't', expiration: '2030-01-01T00:00:00Z' }) });
  const put: UploadResult = await oss.putObject('k', file, { contentType: 'image/png', headers: { 'x-oss-meta-a': '1' }, signal, onProgress: (p) => console.log(p.loaded / p.total) });
  const etag: string | undefined = put.etag;
  const partsOf: number | undefined = put.parts; // set when putObject went multipart
  const idOf: string | undefined = put.uploadId;
  await oss.putObject('k', new Uint8Array([1]));
  await oss.putObject('k', 'text');
  await oss.putObject('k', new ArrayBuffer(1));
  const url: PresignResult = await oss.presignUrl('k', { method: 'PUT', expiresInSecs: 600, contentType: 'text/plain' });
  const when: Date = url.expiresAt;
  const capped: boolean = url.capped;
  const policy: PostPolicyResult = await fromFn.createPostPolicy({ keyPrefix: 'u/', maxBytes: 1024, contentTypes: ['image/png'], successActionStatus: 201 });
  const form = new FormData();
  for (const [k, v] of Object.entries(policy.fields)) form.append(k, v);
  await oss.postObject('u/k', file, { signal });
  await uploadToSignedUrl('https://b.oss-cn-hangzhou.aliyuncs.com/k?x', file, { contentType: 'image/png', signal });
  await postWithServerSignature({ host: 'https://b', policy: 'p', signature: 's', dir: 'd/', ossAccessKeyId: 'a' }, file, { filename: 'a.png' });
  const status: CredentialStatus = oss.credentialStatus();
  const n: number = status.refreshCount + status.clockOffsetMs;
  try {
    await oss.putObject('k', file);
  } catch (e) {
    const err = e as OssError;
    const code: string = err.code;
    const d: string | undefined = err.diagnosis;
    const retry: boolean = err.retryable;
    console.log(code, d, retry, err.requestId, err.hostId, err.ec, err.status);
  }
  // @ts-expect-error a number is not a body
  await oss.putObject('k', 42);
  // @ts-expect-error DELETE cannot be presigned here
  await oss.presignUrl('k', { method: 'DELETE' });
  // @ts-expect-error credentials are required
  new OssClient({ region: 'cn-hangzhou', bucket: 'b' });
  console.log(etag, when, capped, n, partsOf, idOf);
}

export function signer(): void {
  const s = new Signer({ region: 'cn-hangzhou', bucket: 'b', endpoint: 'https://oss.example.com', pathStyle: true,
    credentials: { accessKeyId: 'STS.a', accessKeySecret: 's', securityToken: 't' } });
  const signed: SignedRequest = s.signRequest({ method: 'PUT', key: 'k', headers: { 'Content-Type': 'text/plain' }, signTime: new Date() });
  const url: PresignedUrl = s.presignUrl({ method: 'GET', bucket: 'other', key: 'k', query: { 'x-oss-process': null }, expiresInSecs: 60 });
  s.setCredentials({ accessKeyId: 'STS.b', accessKeySecret: 's2', securityToken: 't2' });
  // @ts-expect-error expiresInSecs is required to presign
  s.presignUrl({ method: 'GET', key: 'k' });
  // @ts-expect-error credentials are required
  new Signer({ region: 'cn-hangzhou' });
  // @ts-expect-error credentials belong to the signer, not to a call
  s.signRequest({ method: 'PUT', key: 'k', credentials: { accessKeyId: 'a', accessKeySecret: 's' } });
  s.free();
  const t = new SignOnlySigner({ region: 'cn-hangzhou', credentials: { accessKeyId: 'a', accessKeySecret: 's' } });
  const h: Record<string, string> = t.signRequest({ method: 'GET', bucket: 'b' }).headers;
  t.free();
  console.log(signed.headers.authorization, url.expiresAt, h);
}
