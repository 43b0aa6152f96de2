// Bad input, in headless Chromium against the emulator: a table of bad inputs across every public
// function and option of the package. Each row must reject (throw, or reject its promise) with
// the expected `code` (and `field` where the library names one), send NO request (counted both by
// playwright's page.on('request') and by the emulator's /_emulator/requests/count), and leave the
// wasm instance working: a valid signRequest right after the row succeeds, and a real putObject
// after each group stores its object. A panic would kill the instance ('unreachable').
//
// Figures: target/robustness/bad-input.json (badInputsTried, badInputsRejected).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { startEmulator, launchBrowser, openPage, ROOT } from '../e2e/lib/harness.mjs';

let emu, browser, page;
let pageRequests = 0;
const seen = [];

/** In the page: fixtures every row can use, as `T`. */
function SETUP() {
  const lib = window.lib;
  const loc = { region: 'cn-hangzhou', bucket: 'demo', endpoint: location.origin };
  const creds = { accessKeyId: 'STS.badinput', accessKeySecret: 'bad-input-secret', securityToken: 'bad-input-token' };
  const bytes = (n, seed = 7) => {
    const a = new Uint8Array(n);
    let x = seed;
    for (let i = 0; i < n; i++) { x = (x * 1103515245 + 12345) >>> 0; a[i] = x >>> 24; }
    return a;
  };
  const b64 = (s) => btoa(String.fromCharCode(...new TextEncoder().encode(s)));
  window.T = {
    loc, creds, bytes, b64,
    sign: (extra = {}) => lib.signRequest({ ...loc, method: 'PUT', key: 'k.txt', credentials: creds, ...extra }),
    presign: (extra = {}) => lib.presignUrl({ ...loc, method: 'PUT', key: 'k.txt', credentials: creds, expiresInSecs: 60, ...extra }),
    signPolicy: (extra = {}) => lib.signPostPolicy({ policy: { expiration: '2099-01-01T00:00:00.000Z', conditions: [] }, region: 'cn-hangzhou', credentials: creds, ...extra }),
    buildPolicy: (extra = {}) => lib.buildPostPolicy({ ...loc, credentials: creds, expiresInSecs: 60, ...extra }),
    opts: (extra = {}) => ({ region: 'cn-hangzhou', bucket: 'demo', endpoint: location.origin, credentials: '/sts', ...extra }),
    mk: (extra = {}) => new lib.OssClient(T.opts(extra)),
    /** A client whose credentials function returns `value` (no request of its own). */
    fromFn: (value) => new lib.OssClient(T.opts({ credentials: async () => value, retry: { maxAttempts: 1 } })),
    /** STS-shaped credentials expiring at `exp`. */
    stsBody: (exp) => ({ Credentials: { AccessKeyId: 'STS.x', AccessKeySecret: 's', SecurityToken: 't', Expiration: exp } }),
    /** Starts a multipart upload of `file` in 100 KiB parts, one at a time, and pauses it once a
     *  part is stored; resolves to the rejection's code and the uploadId. */
    pauseAfterOnePart: async (client, key, file) => {
      let id;
      const run = client.multipartUpload(key, file, {
        partSize: 102400, concurrency: 1,
        onProgress: (p) => { if (p.partsDone >= 1 && p.uploadId && !id) { id = p.uploadId; client.pause(id); } },
      });
      let code;
      try { await run; code = 'completed'; } catch (e) { code = e.code; id = id ?? e.uploadId; }
      return { code, id };
    },
    alive: () => {
      try {
        const s = lib.signRequest({ ...loc, method: 'PUT', key: 'alive.txt', credentials: creds });
        return typeof s.url === 'string' && s.url.includes('/alive.txt');
      } catch (e) {
        return false;
      }
    },
  };
}

/** In the page: server-signed URL and fields, and a multipart upload paused after its first
 *  part (test setup: these requests are not counted against any row). */
async function SETUP_SERVER_AND_PAUSE() {
  const lib = window.lib;
  const T = window.T;
  T.signedUrl = (await (await fetch('/get_presigned_url_for_oss_upload?key=bad-input/ok.txt')).json()).url;
  T.postFields = await (await fetch('/get_post_signature_for_oss_upload?dir=bad-input/')).json();
  // A 3 MiB file uploaded in 100 KiB parts, one at a time, paused once a part is stored.
  const content = T.bytes(3 << 20, 11);
  const lastModified = 1_700_000_000_000;
  T.pauseFile = new File([content], 'paused.bin', { lastModified, type: 'application/octet-stream' });
  const changedHead = content.slice();
  changedHead[100] ^= 0xff;
  T.changed = {
    size: new File([content.subarray(0, content.length - 1)], 'paused.bin', { lastModified }),
    lastModified: new File([content], 'paused.bin', { lastModified: lastModified + 1000 }),
    firstMiB: new File([changedHead], 'paused.bin', { lastModified }),
    name: new File([content], 'other-name.bin', { lastModified }),
  };
  T.client = T.mk();
  const { code, id } = await T.pauseAfterOnePart(T.client, 'bad-input/paused.bin', T.pauseFile);
  T.pausedId = id;
  return { code, id, listed: (await T.client.listResumableUploads()).map((u) => u.uploadId) };
}

/** Node: a file on disk picked through an <input type=file> (a disk-backed File, as users pick
 *  them), uploaded in parts and paused; then the file is rewritten on disk, as if the user saved
 *  it again before resuming. */
async function setupDiskFile() {
  const path = join(tmpdir(), `bad-input-${process.pid}.bin`);
  writeFileSync(path, randomBytes(1536 * 1024));
  await page.evaluate(() => {
    const i = document.createElement('input');
    i.type = 'file';
    i.id = 'bad-input-file';
    document.body.append(i);
  });
  await page.setInputFiles('#bad-input-file', path);
  const r = await page.evaluate(async () => {
    const T = window.T;
    T.diskFile = document.getElementById('bad-input-file').files[0];
    const out = await T.pauseAfterOnePart(T.client, 'bad-input/disk.bin', T.diskFile);
    T.diskId = out.id;
    return out;
  });
  await settle(200);
  writeFileSync(path, randomBytes(1536 * 1024 + 4096));
  return { ...r, path };
}

const IA = 'InvalidArgument';
const CPE = 'CredentialProviderError';

/** [group, label, code, field (undefined: none expected), fn(lib, T)] */
const ROWS = [
  // signRequest
  ['signRequest', 'input null', IA, 'input', (lib) => lib.signRequest(null)],
  ['signRequest', 'input undefined', IA, 'input', (lib) => lib.signRequest(undefined)],
  ['signRequest', 'input a string', IA, 'input', (lib) => lib.signRequest('PUT /k')],
  ['signRequest', 'method missing', IA, 'method', (lib, T) => T.sign({ method: undefined })],
  ['signRequest', 'method "P UT"', IA, 'method', (lib, T) => T.sign({ method: 'P UT' })],
  ['signRequest', 'method null', IA, 'method', (lib, T) => T.sign({ method: null })],
  ['signRequest', 'method a number', IA, 'method', (lib, T) => T.sign({ method: 42 })],
  ['signRequest', 'bucket "Bad_Bucket"', IA, 'bucket', (lib, T) => T.sign({ bucket: 'Bad_Bucket' })],
  ['signRequest', 'bucket "ab" (too short)', IA, 'bucket', (lib, T) => T.sign({ bucket: 'ab' })],
  ['signRequest', 'bucket "-abc"', IA, 'bucket', (lib, T) => T.sign({ bucket: '-abc' })],
  ['signRequest', 'bucket 64 chars', IA, 'bucket', (lib, T) => T.sign({ bucket: 'a'.repeat(64) })],
  ['signRequest', 'bucket null', IA, 'bucket', (lib, T) => T.sign({ bucket: null })],
  ['signRequest', 'bucket a number', IA, 'bucket', (lib, T) => T.sign({ bucket: 123 })],
  ['signRequest', 'key empty', IA, 'key', (lib, T) => T.sign({ key: '' })],
  ['signRequest', 'key "/"-leading', IA, 'key', (lib, T) => T.sign({ key: '/a.txt' })],
  ['signRequest', 'key "\\"-leading', IA, 'key', (lib, T) => T.sign({ key: '\\a.txt' })],
  ['signRequest', 'key 1,024 UTF-8 bytes', IA, 'key', (lib, T) => T.sign({ key: 'é'.repeat(512) })],
  ['signRequest', 'key with CR LF', IA, 'key', (lib, T) => T.sign({ key: 'a\r\nb' })],
  ['signRequest', 'key an object', IA, 'key', (lib, T) => T.sign({ key: { toString: () => 'k' } })],
  ['signRequest', 'region empty', IA, 'region', (lib, T) => T.sign({ region: '' })],
  ['signRequest', 'region "cn hangzhou"', IA, 'region', (lib, T) => T.sign({ region: 'cn hangzhou' })],
  ['signRequest', 'endpoint plain http, not loopback', IA, 'endpoint', (lib, T) => T.sign({ endpoint: 'http://oss-cn-hangzhou.aliyuncs.com' })],
  ['signRequest', 'endpoint ftp://', IA, 'endpoint', (lib, T) => T.sign({ endpoint: 'ftp://oss.example.com' })],
  ['signRequest', 'endpoint with a path', IA, 'endpoint', (lib, T) => T.sign({ endpoint: 'https://oss.example.com/x' })],
  ['signRequest', 'endpoint already names the bucket', IA, 'endpoint', (lib, T) => T.sign({ endpoint: 'https://demo.oss-cn-hangzhou.aliyuncs.com' })],
  ['presignUrl', 'endpoint already names the bucket', IA, 'endpoint', (lib, T) => T.presign({ endpoint: 'https://demo.oss-cn-hangzhou.aliyuncs.com' })],
  ['buildPostPolicy', 'endpoint already names the bucket', IA, 'endpoint', (lib, T) => T.buildPolicy({ endpoint: 'https://demo.oss-cn-hangzhou.aliyuncs.com' })],
  ['new OssClient', 'endpoint already names the bucket', IA, 'endpoint', (lib, T) => new lib.OssClient(T.opts({ endpoint: 'https://demo.oss-cn-hangzhou.aliyuncs.com' }))],
  ['signRequest', 'endpointType "private"', IA, 'endpointType', (lib, T) => T.sign({ endpoint: undefined, endpointType: 'private' })],
  ['signRequest', 'cname "yes"', IA, 'cname', (lib, T) => T.sign({ cname: 'yes' })],
  ['signRequest', 'pathStyle 1', IA, 'pathStyle', (lib, T) => T.sign({ pathStyle: 1 })],
  ['signRequest', 'cloudBoxId a number', IA, 'cloudBoxId', (lib, T) => T.sign({ cloudBoxId: 7 })],
  ['signRequest', 'x-oss-meta value with CR LF', IA, 'headers.x-oss-meta-a', (lib, T) => T.sign({ headers: { 'x-oss-meta-a': 'v\r\nx-injected: 1' } })],
  ['signRequest', 'Content-Type value with LF', IA, 'headers.Content-Type', (lib, T) => T.sign({ headers: { 'Content-Type': 'text/plain\n' } })],
  ['signRequest', 'header name non-ASCII', IA, 'headers.x-oss-meta-名', (lib, T) => T.sign({ headers: { 'x-oss-meta-名': 'v' } })],
  ['signRequest', 'header name with CR LF', IA, 'headers.x-a\r\nb', (lib, T) => T.sign({ headers: { 'x-a\r\nb': 'v' } })],
  ['signRequest', 'header value a number', IA, 'headers.x-oss-meta-a', (lib, T) => T.sign({ headers: { 'x-oss-meta-a': 42 } })],
  ['signRequest', 'headers an array', IA, 'headers', (lib, T) => T.sign({ headers: ['x-oss-meta-a', 'v'] })],
  ['signRequest', 'Authorization header given', IA, 'headers.Authorization', (lib, T) => T.sign({ headers: { Authorization: 'x' } })],
  ['signRequest', 'host header for another host', IA, 'headers.host', (lib, T) => T.sign({ headers: { host: 'evil.example.com' } })],
  ['signRequest', 'query x-oss-signature', IA, 'query.x-oss-signature', (lib, T) => T.sign({ query: { 'x-oss-signature': 'x' } })],
  ['signRequest', 'query value an object', IA, 'query.a', (lib, T) => T.sign({ query: { a: {} } })],
  ['signRequest', 'query value an array', IA, 'query.a', (lib, T) => T.sign({ query: { a: ['1', '2'] } })],
  ['signRequest', 'query name empty', IA, 'query', (lib, T) => T.sign({ query: { '': 'v' } })],
  ['signRequest', 'additionalHeaders a string', IA, 'additionalHeaders', (lib, T) => T.sign({ additionalHeaders: 'host' })],
  ['signRequest', 'additionalHeaders bad name', IA, 'additionalHeaders', (lib, T) => T.sign({ additionalHeaders: ['bad header'] })],
  ['signRequest', 'credentials missing', IA, 'credentials', (lib, T) => T.sign({ credentials: undefined })],
  ['signRequest', 'credentials a string', IA, 'credentials', (lib, T) => T.sign({ credentials: 'STS.x:secret' })],
  ['signRequest', 'accessKeyId empty', IA, 'credentials.accessKeyId', (lib, T) => T.sign({ credentials: { ...T.creds, accessKeyId: '' } })],
  ['signRequest', 'accessKeyId with "/"', IA, 'credentials.accessKeyId', (lib, T) => T.sign({ credentials: { ...T.creds, accessKeyId: 'a/b' } })],
  ['signRequest', 'accessKeySecret a number', IA, 'credentials.accessKeySecret', (lib, T) => T.sign({ credentials: { ...T.creds, accessKeySecret: 42 } })],
  ['signRequest', 'securityToken with LF', IA, 'credentials.securityToken', (lib, T) => T.sign({ credentials: { ...T.creds, securityToken: 'tok\nen' } })],
  ['signRequest', 'signTime a string', IA, 'signTime', (lib, T) => T.sign({ signTime: 'yesterday' })],
  ['signRequest', 'signTime Invalid Date', IA, 'signTime', (lib, T) => T.sign({ signTime: new Date(NaN) })],
  ['signRequest', 'signTime Infinity', IA, 'signTime', (lib, T) => T.sign({ signTime: Infinity })],

  // presignUrl (standalone)
  ['presignUrl', 'expiresInSecs 0', IA, 'expiresInSecs', (lib, T) => T.presign({ expiresInSecs: 0 })],
  ['presignUrl', 'expiresInSecs 604801', IA, 'expiresInSecs', (lib, T) => T.presign({ expiresInSecs: 604801 })],
  ['presignUrl', 'expiresInSecs NaN', IA, 'expiresInSecs', (lib, T) => T.presign({ expiresInSecs: NaN })],
  ['presignUrl', 'expiresInSecs -60', IA, 'expiresInSecs', (lib, T) => T.presign({ expiresInSecs: -60 })],
  ['presignUrl', 'expiresInSecs Infinity', IA, 'expiresInSecs', (lib, T) => T.presign({ expiresInSecs: Infinity })],
  ['presignUrl', 'expiresInSecs "60"', IA, 'expiresInSecs', (lib, T) => T.presign({ expiresInSecs: '60' })],
  ['presignUrl', 'expiresInSecs 1.5', IA, 'expiresInSecs', (lib, T) => T.presign({ expiresInSecs: 1.5 })],
  ['presignUrl', 'expiresInSecs null', IA, 'expiresInSecs', (lib, T) => T.presign({ expiresInSecs: null })],
  ['presignUrl', 'expiresInSecs undefined', IA, 'expiresInSecs', (lib, T) => T.presign({ expiresInSecs: undefined })],
  ['presignUrl', 'key "/"-leading', IA, 'key', (lib, T) => T.presign({ key: '/k' })],
  ['presignUrl', 'plain-http endpoint', IA, 'endpoint', (lib, T) => T.presign({ endpoint: 'http://10.1.2.3:9000' })],
  ['presignUrl', 'input null', IA, 'input', (lib) => lib.presignUrl(null)],

  // signPostPolicy / buildPostPolicy
  ['signPostPolicy', 'policy missing', IA, 'policy', (lib, T) => T.signPolicy({ policy: undefined })],
  ['signPostPolicy', 'policy a number', IA, 'policy', (lib, T) => T.signPolicy({ policy: 42 })],
  ['signPostPolicy', 'policy text not JSON', IA, 'policy', (lib, T) => T.signPolicy({ policy: 'not json' })],
  ['signPostPolicy', 'policy without conditions', IA, 'policy', (lib, T) => T.signPolicy({ policy: { expiration: '2099-01-01T00:00:00.000Z' } })],
  ['signPostPolicy', 'region invalid', IA, 'region', (lib, T) => T.signPolicy({ region: 'CN' })],
  ['signPostPolicy', 'bucket invalid', IA, 'bucket', (lib, T) => T.signPolicy({ bucket: 'UPPER' })],
  ['signPostPolicy', 'credentials null', IA, 'credentials', (lib, T) => T.signPolicy({ credentials: null })],
  ['signPostPolicy', 'input a number', IA, 'input', (lib) => lib.signPostPolicy(5)],
  ['buildPostPolicy', 'expiresInSecs 0', IA, 'expiresInSecs', (lib, T) => T.buildPolicy({ expiresInSecs: 0 })],
  ['buildPostPolicy', 'expiresInSecs 604801', IA, 'expiresInSecs', (lib, T) => T.buildPolicy({ expiresInSecs: 604801 })],
  ['buildPostPolicy', 'expiresInSecs NaN', IA, 'expiresInSecs', (lib, T) => T.buildPolicy({ expiresInSecs: NaN })],
  ['buildPostPolicy', 'expiresInSecs "900"', IA, 'expiresInSecs', (lib, T) => T.buildPolicy({ expiresInSecs: '900' })],
  ['buildPostPolicy', 'key and keyPrefix', IA, 'keyPrefix', (lib, T) => T.buildPolicy({ key: 'a', keyPrefix: 'b' })],
  ['buildPostPolicy', 'key "/"-leading', IA, 'key', (lib, T) => T.buildPolicy({ key: '/a' })],
  ['buildPostPolicy', 'keyPrefix "\\"-leading', IA, 'keyPrefix', (lib, T) => T.buildPolicy({ keyPrefix: '\\up/' })],
  ['buildPostPolicy', 'keyPrefix with LF', IA, 'keyPrefix', (lib, T) => T.buildPolicy({ keyPrefix: 'up\n' })],
  ['buildPostPolicy', 'minBytes -1', IA, 'minBytes', (lib, T) => T.buildPolicy({ minBytes: -1 })],
  ['buildPostPolicy', 'minBytes above maxBytes', IA, 'maxBytes', (lib, T) => T.buildPolicy({ minBytes: 10, maxBytes: 5 })],
  ['buildPostPolicy', 'maxBytes a string', IA, 'maxBytes', (lib, T) => T.buildPolicy({ maxBytes: '1MB' })],
  ['buildPostPolicy', 'contentTypes non-Latin-1', IA, 'contentTypes', (lib, T) => T.buildPolicy({ contentTypes: ['图像/png'] })],
  ['buildPostPolicy', 'contentTypes a string', IA, 'contentTypes', (lib, T) => T.buildPolicy({ contentTypes: 'image/png' })],
  ['buildPostPolicy', 'successActionStatus 302', IA, 'successActionStatus', (lib, T) => T.buildPolicy({ successActionStatus: 302 })],
  ['buildPostPolicy', 'conditions a string', IA, 'conditions', (lib, T) => T.buildPolicy({ conditions: 'x' })],
  ['buildPostPolicy', 'conditions [42]', IA, 'conditions', (lib, T) => T.buildPolicy({ conditions: [42] })],
  ['buildPostPolicy', 'plain-http endpoint', IA, 'endpoint', (lib, T) => T.buildPolicy({ endpoint: 'http://oss.example.com' })],

  // crc64
  ['crc64', 'data a number', IA, 'data', (lib) => lib.crc64(42)],
  ['crc64', 'previous not decimal', IA, 'previous', (lib) => lib.crc64('x', 'abc')],
  ['crc64', 'previous a number', IA, 'previous', (lib) => lib.crc64('x', 42)],

  // OssClient constructor
  ['new OssClient', 'options null', IA, 'input', (lib) => new lib.OssClient(null)],
  ['new OssClient', 'options undefined', IA, 'input', (lib) => new lib.OssClient(undefined)],
  ['new OssClient', 'options a string', IA, 'input', (lib) => new lib.OssClient('cn-hangzhou')],
  ['new OssClient', 'region missing', IA, 'region', (lib, T) => new lib.OssClient(T.opts({ region: undefined }))],
  ['new OssClient', 'region a number', IA, 'region', (lib, T) => new lib.OssClient(T.opts({ region: 1 }))],
  ['new OssClient', 'bucket "My_Bucket"', IA, 'bucket', (lib, T) => new lib.OssClient(T.opts({ bucket: 'My_Bucket' }))],
  ['new OssClient', 'bucket "a.b.c"', IA, 'bucket', (lib, T) => new lib.OssClient(T.opts({ bucket: 'a.b.c' }))],
  ['new OssClient', 'bucket null', IA, 'bucket', (lib, T) => new lib.OssClient(T.opts({ bucket: null }))],
  ['new OssClient', 'endpoint http, not loopback', IA, 'endpoint', (lib, T) => new lib.OssClient(T.opts({ endpoint: 'http://oss-cn-hangzhou.aliyuncs.com' }))],
  ['new OssClient', 'endpoint http IP, not loopback', IA, 'endpoint', (lib, T) => new lib.OssClient(T.opts({ endpoint: 'http://192.168.1.10:9000' }))],
  ['new OssClient', 'endpoint with user info', IA, 'endpoint', (lib, T) => new lib.OssClient(T.opts({ endpoint: 'https://u:p@oss.example.com' }))],
  ['new OssClient', 'endpoint a number', IA, 'endpoint', (lib, T) => new lib.OssClient(T.opts({ endpoint: 9000 }))],
  ['new OssClient', 'cname without endpoint', IA, 'cname', (lib, T) => new lib.OssClient(T.opts({ endpoint: undefined, cname: true }))],
  ['new OssClient', 'pathStyle "true"', IA, 'pathStyle', (lib, T) => new lib.OssClient(T.opts({ pathStyle: 'true' }))],
  ['new OssClient', 'retry a number', IA, 'retry', (lib, T) => new lib.OssClient(T.opts({ retry: 3 }))],
  ['new OssClient', 'retry.maxAttempts 0', IA, 'retry.maxAttempts', (lib, T) => new lib.OssClient(T.opts({ retry: { maxAttempts: 0 } }))],
  ['new OssClient', 'retry.baseDelayMs NaN', IA, 'retry.baseDelayMs', (lib, T) => new lib.OssClient(T.opts({ retry: { baseDelayMs: NaN } }))],
  ['new OssClient', 'timeoutMs -1', IA, 'timeoutMs', (lib, T) => new lib.OssClient(T.opts({ timeoutMs: -1 }))],
  ['new OssClient', 'timeoutMs Infinity', IA, 'timeoutMs', (lib, T) => new lib.OssClient(T.opts({ timeoutMs: Infinity }))],
  ['new OssClient', 'refreshBeforeExpirySecs "60"', IA, 'refreshBeforeExpirySecs', (lib, T) => new lib.OssClient(T.opts({ refreshBeforeExpirySecs: '60' }))],
  ['new OssClient', 'shareAcrossTabs "yes"', IA, 'shareAcrossTabs', (lib, T) => new lib.OssClient(T.opts({ shareAcrossTabs: 'yes' }))],
  ['new OssClient', 'allowInsecureHttp 1', IA, 'allowInsecureHttp', (lib, T) => new lib.OssClient(T.opts({ allowInsecureHttp: 1 }))],
  ['credential source', 'credentials missing', IA, 'credentials', (lib, T) => new lib.OssClient(T.opts({ credentials: undefined }))],
  ['credential source', 'credentials null', IA, 'credentials', (lib, T) => new lib.OssClient(T.opts({ credentials: null }))],
  ['credential source', 'credentials a number', IA, 'credentials', (lib, T) => new lib.OssClient(T.opts({ credentials: 42 }))],
  ['credential source', 'credentials URL empty', IA, 'credentials', (lib, T) => new lib.OssClient(T.opts({ credentials: '  ' }))],
  ['credential source', 'credentials URL plain http', IA, 'credentials', (lib, T) => new lib.OssClient(T.opts({ credentials: 'http://app.example.com/sts' }))],
  ['credential source', 'credentials.url ftp://', IA, 'credentials.url', (lib, T) => new lib.OssClient(T.opts({ credentials: { url: 'ftp://app.example.com/sts' } }))],
  ['credential source', 'credentials.url missing', IA, 'credentials.url', (lib, T) => new lib.OssClient(T.opts({ credentials: { method: 'POST' } }))],
  ['credential source', 'credentials.method DELETE', IA, 'credentials.method', (lib, T) => new lib.OssClient(T.opts({ credentials: { url: '/sts', method: 'DELETE' } }))],
  ['credential source', 'credentials.credentials "always"', IA, 'credentials.credentials', (lib, T) => new lib.OssClient(T.opts({ credentials: { url: '/sts', credentials: 'always' } }))],
  ['credential source', 'credentials.timeoutMs 0', IA, 'credentials.timeoutMs', (lib, T) => new lib.OssClient(T.opts({ credentials: { url: '/sts', timeoutMs: 0 } }))],
  ['credential source', 'credentials.headers value CR LF', IA, 'credentials.headers.x-app', (lib, T) => new lib.OssClient(T.opts({ credentials: { url: '/sts', headers: { 'x-app': 'a\r\nb' } } }))],
  ['credential source', 'credentials.headers value non-Latin-1', IA, 'credentials.headers.x-app', (lib, T) => new lib.OssClient(T.opts({ credentials: { url: '/sts', headers: { 'x-app': '令牌' } } }))],
  ['credential source', 'credentials.headers bad name', IA, 'credentials.headers.x app', (lib, T) => new lib.OssClient(T.opts({ credentials: { url: '/sts', headers: { 'x app': 'v' } } }))],

  // STS responses from a credentials function: used on the first upload, which must not go out.
  ['STS response', 'malformed JSON text', CPE, undefined, (lib, T) => T.fromFn('{"AccessKeyId": STS').putObject('sts/a.txt', 'x')],
  ['STS response', 'truncated JSON text', CPE, undefined, (lib, T) => T.fromFn('{"Credentials":{"AccessKeyId":"STS.a","AccessKeySecret":"s').putObject('sts/a.txt', 'x')],
  ['STS response', 'huge (10 MB) JSON text', CPE, undefined, (lib, T) => T.fromFn(JSON.stringify({ AccessKeyId: 'STS.a', AccessKeySecret: 's', SecurityToken: 'x'.repeat(10 << 20) })).putObject('sts/a.txt', 'x')],
  ['STS response', 'huge (10 MB) object', CPE, undefined, (lib, T) => T.fromFn({ accessKeyId: 'STS.a', accessKeySecret: 's', pad: 'y'.repeat(10 << 20) }).putObject('sts/a.txt', 'x')],
  ['STS response', 'already expired', CPE, undefined, (lib, T) => T.fromFn(T.stsBody('2020-01-01T00:00:00Z')).putObject('sts/a.txt', 'x')],
  ['STS response', 'Expiration epoch seconds in the past', CPE, undefined, (lib, T) => T.fromFn({ accessKeyId: 'STS.a', accessKeySecret: 's', securityToken: 't', expiration: 1_600_000_000 }).putObject('sts/a.txt', 'x')],
  ['STS response', 'Expiration not a time', CPE, undefined, (lib, T) => T.fromFn(T.stsBody('tomorrow')).putObject('sts/a.txt', 'x')],
  ['STS response', 'no AccessKeySecret', CPE, undefined, (lib, T) => T.fromFn({ Credentials: { AccessKeyId: 'STS.a', SecurityToken: 't' } }).putObject('sts/a.txt', 'x')],
  ['STS response', 'SecurityToken a number', CPE, undefined, (lib, T) => T.fromFn({ accessKeyId: 'STS.a', accessKeySecret: 's', securityToken: 7 }).putObject('sts/a.txt', 'x')],
  ['STS response', 'SecurityToken with CR LF', CPE, undefined, (lib, T) => T.fromFn({ accessKeyId: 'STS.a', accessKeySecret: 's', securityToken: 't\r\nx' }).putObject('sts/a.txt', 'x')],
  ['STS response', 'an STS error body', CPE, undefined, (lib, T) => T.fromFn({ Code: 'NoPermission', Message: 'denied' }).putObject('sts/a.txt', 'x')],
  ['STS response', 'a JSON array', CPE, undefined, (lib, T) => T.fromFn('[1,2]').putObject('sts/a.txt', 'x')],
  ['STS response', 'null', CPE, undefined, (lib, T) => T.fromFn(null).putObject('sts/a.txt', 'x')],
  ['STS response', 'function throws', CPE, undefined, (lib, T) => new lib.OssClient(T.opts({ credentials: () => { throw new Error('no session'); }, retry: { maxAttempts: 1 } })).putObject('sts/a.txt', 'x')],
  ['STS response', 'deeply nested JSON', CPE, undefined, (lib, T) => T.fromFn('['.repeat(100000)).putObject('sts/a.txt', 'x')],

  // putObject
  ['putObject', 'key empty', IA, 'key', (lib, T) => T.mk().putObject('', 'x')],
  ['putObject', 'key "/"-leading', IA, 'key', (lib, T) => T.mk().putObject('/abs.txt', 'x')],
  ['putObject', 'key "\\"-leading', IA, 'key', (lib, T) => T.mk().putObject('\\abs.txt', 'x')],
  ['putObject', 'key 1,024 ASCII bytes', IA, 'key', (lib, T) => T.mk().putObject('k'.repeat(1024), 'x')],
  ['putObject', 'key 1,026 UTF-8 bytes', IA, 'key', (lib, T) => T.mk().putObject('中'.repeat(342), 'x')],
  ['putObject', 'key with LF', IA, 'key', (lib, T) => T.mk().putObject('a\nb.txt', 'x')],
  ['putObject', 'key a number', IA, 'key', (lib, T) => T.mk().putObject(42, 'x')],
  ['putObject', 'key null', IA, 'key', (lib, T) => T.mk().putObject(null, 'x')],
  ['putObject', 'x-oss-meta-* over 8 KB in total', IA, 'headers', (lib, T) => T.mk().putObject('k.txt', 'x', { headers: { 'x-oss-meta-a': 'v'.repeat(5000), 'x-oss-meta-b': 'v'.repeat(5000) } })],
  ['putObject', 'key undefined', IA, 'key', (lib, T) => T.mk().putObject(undefined, 'x')],
  ['putObject', 'key an object claiming length 4e9', IA, 'key', (lib, T) => T.mk().putObject({ length: 4e9, charCodeAt: () => 97, slice: () => '' }, 'x')],
  ['putObject', 'body a number', IA, 'body', (lib, T) => T.mk().putObject('k.txt', 42)],
  ['putObject', 'body null', IA, 'body', (lib, T) => T.mk().putObject('k.txt', null)],
  ['putObject', 'body undefined', IA, 'body', (lib, T) => T.mk().putObject('k.txt', undefined)],
  ['putObject', 'body a plain object', IA, 'body', (lib, T) => T.mk().putObject('k.txt', { size: 3 })],
  ['putObject', 'options a string', IA, 'options', (lib, T) => T.mk().putObject('k.txt', 'x', 'text/plain')],
  ['putObject', 'contentType "not a type"', IA, 'contentType', (lib, T) => T.mk().putObject('k.txt', 'x', { contentType: 'not a type' })],
  ['putObject', 'contentType non-Latin-1', IA, 'contentType', (lib, T) => T.mk().putObject('k.txt', 'x', { contentType: 'text/纯文本' })],
  ['putObject', 'contentType a number', IA, 'contentType', (lib, T) => T.mk().putObject('k.txt', 'x', { contentType: 7 })],
  ['putObject', 'x-oss-meta value with CR LF', IA, 'headers.x-oss-meta-a', (lib, T) => T.mk().putObject('k.txt', 'x', { headers: { 'x-oss-meta-a': 'v\r\nx-oss-acl: public-read' } })],
  ['putObject', 'x-oss-meta value with NUL', IA, 'headers.x-oss-meta-a', (lib, T) => T.mk().putObject('k.txt', 'x', { headers: { 'x-oss-meta-a': 'v\0' } })],
  ['putObject', 'Cache-Control with LF', IA, 'headers.Cache-Control', (lib, T) => T.mk().putObject('k.txt', 'x', { headers: { 'Cache-Control': 'no-cache\nx: y' } })],
  ['putObject', 'x-oss-meta name non-ASCII', IA, 'headers.x-oss-meta-名', (lib, T) => T.mk().putObject('k.txt', 'x', { headers: { 'x-oss-meta-名': 'v' } })],
  ['putObject', 'header not for uploads (Range)', IA, 'headers.Range', (lib, T) => T.mk().putObject('k.txt', 'x', { headers: { Range: 'bytes=0-1' } })],
  ['putObject', 'header value undefined', IA, 'headers.x-oss-meta-a', (lib, T) => T.mk().putObject('k.txt', 'x', { headers: { 'x-oss-meta-a': undefined } })],
  ['putObject', 'Content-Type header non-Latin-1', IA, 'contentType', (lib, T) => T.mk().putObject('k.txt', 'x', { headers: { 'Content-Type': 'text/plain; name=文件' } })],
  ['putObject', 'signal a string', IA, 'signal', (lib, T) => T.mk().putObject('k.txt', 'x', { signal: 'abort' })],
  ['putObject', 'onProgress a number', IA, 'onProgress', (lib, T) => T.mk().putObject('k.txt', 'x', { onProgress: 1 })],
  ['putObject', 'multipartThreshold -1', IA, 'multipartThreshold', (lib, T) => T.mk().putObject('k.txt', new Blob(['x']), { multipartThreshold: -1 })],
  ['putObject', 'multipartThreshold NaN', IA, 'multipartThreshold', (lib, T) => T.mk().putObject('k.txt', new Blob(['x']), { multipartThreshold: NaN })],
  ['putObject', 'multipartThreshold "1MB"', IA, 'multipartThreshold', (lib, T) => T.mk().putObject('k.txt', new Blob(['x']), { multipartThreshold: '1MB' })],

  // presignUrl (client)
  ['client.presignUrl', 'expiresInSecs 0', IA, 'expiresInSecs', (lib, T) => T.mk().presignUrl('k.txt', { expiresInSecs: 0 })],
  ['client.presignUrl', 'expiresInSecs 604801', IA, 'expiresInSecs', (lib, T) => T.mk().presignUrl('k.txt', { expiresInSecs: 604801 })],
  ['client.presignUrl', 'expiresInSecs NaN', IA, 'expiresInSecs', (lib, T) => T.mk().presignUrl('k.txt', { expiresInSecs: NaN })],
  ['client.presignUrl', 'expiresInSecs -1', IA, 'expiresInSecs', (lib, T) => T.mk().presignUrl('k.txt', { expiresInSecs: -1 })],
  ['client.presignUrl', 'expiresInSecs Infinity', IA, 'expiresInSecs', (lib, T) => T.mk().presignUrl('k.txt', { expiresInSecs: Infinity })],
  ['client.presignUrl', 'expiresInSecs "900"', IA, 'expiresInSecs', (lib, T) => T.mk().presignUrl('k.txt', { expiresInSecs: '900' })],
  ['client.presignUrl', 'method DELETE', IA, 'method', (lib, T) => T.mk().presignUrl('k.txt', { method: 'DELETE' })],
  ['client.presignUrl', 'key empty', IA, 'key', (lib, T) => T.mk().presignUrl('')],
  ['client.presignUrl', 'key null', IA, 'key', (lib, T) => T.mk().presignUrl(null)],
  ['client.presignUrl', 'x-oss-meta with CR LF', IA, 'headers.x-oss-meta-a', (lib, T) => T.mk().presignUrl('k.txt', { method: 'PUT', headers: { 'x-oss-meta-a': 'a\r\nb' } })],
  ['client.presignUrl', 'query x-oss-signature', IA, 'query.x-oss-signature', (lib, T) => T.mk().presignUrl('k.txt', { query: { 'x-oss-signature': 's' } })],

  // createPostPolicy / postObject
  ['createPostPolicy', 'expiresInSecs 0', IA, 'expiresInSecs', (lib, T) => T.mk().createPostPolicy({ expiresInSecs: 0 })],
  ['createPostPolicy', 'expiresInSecs NaN', IA, 'expiresInSecs', (lib, T) => T.mk().createPostPolicy({ expiresInSecs: NaN })],
  ['createPostPolicy', 'key "/"-leading', IA, 'key', (lib, T) => T.mk().createPostPolicy({ key: '/k' })],
  ['createPostPolicy', 'keyPrefix with CR', IA, 'keyPrefix', (lib, T) => T.mk().createPostPolicy({ keyPrefix: 'up\r' })],
  ['createPostPolicy', 'minBytes above maxBytes', IA, 'maxBytes', (lib, T) => T.mk().createPostPolicy({ minBytes: 100, maxBytes: 1 })],
  ['createPostPolicy', 'contentTypes non-Latin-1', IA, 'contentTypes', (lib, T) => T.mk().createPostPolicy({ contentTypes: ['图像/png'] })],
  ['createPostPolicy', 'successActionStatus 500', IA, 'successActionStatus', (lib, T) => T.mk().createPostPolicy({ successActionStatus: 500 })],
  ['createPostPolicy', 'conditions [null]', IA, 'conditions', (lib, T) => T.mk().createPostPolicy({ conditions: [null] })],
  ['postObject', 'key "/"-leading', IA, 'key', (lib, T) => T.mk().postObject('/k.txt', 'x')],
  ['postObject', 'key undefined', IA, 'key', (lib, T) => T.mk().postObject(undefined, 'x')],
  ['postObject', 'file undefined', IA, 'file', (lib, T) => T.mk().postObject('k.txt')],
  ['postObject', 'file null', IA, 'file', (lib, T) => T.mk().postObject('k.txt', null)],
  ['postObject', 'contentType bad', IA, 'contentType', (lib, T) => T.mk().postObject('k.txt', 'x', { contentType: 'bad' })],
  ['postObject', 'signal an object', IA, 'signal', (lib, T) => T.mk().postObject('k.txt', 'x', { signal: {} })],

  // uploads to server-signed URLs and forms
  ['uploadToSignedUrl', 'url plain http, not loopback', IA, 'url', (lib) => lib.uploadToSignedUrl('http://demo.oss-cn-hangzhou.aliyuncs.com/k?x-oss-signature=s&x-oss-date=20990101T000000Z&x-oss-expires=60', 'x')],
  ['uploadToSignedUrl', 'url not absolute', IA, 'url', (lib) => lib.uploadToSignedUrl('/k?x-oss-signature=s', 'x')],
  ['uploadToSignedUrl', 'url without a signature', IA, 'url', (lib, T) => lib.uploadToSignedUrl(T.signedUrl.split('?')[0], 'x')],
  ['uploadToSignedUrl', 'url a number', IA, 'url', (lib) => lib.uploadToSignedUrl(42, 'x')],
  ['uploadToSignedUrl', 'url null', IA, 'url', (lib) => lib.uploadToSignedUrl(null, 'x')],
  ['uploadToSignedUrl', 'V4 url already expired', 'SignedUrlExpired', undefined, (lib, T) => lib.uploadToSignedUrl(T.signedUrl.replace(/x-oss-date=\d{8}T/, 'x-oss-date=20200101T'), 'x')],
  ['uploadToSignedUrl', 'V1 url already expired', 'SignedUrlExpired', undefined, (lib, T) => lib.uploadToSignedUrl(`${T.signedUrl.split('?')[0]}?OSSAccessKeyId=a&Expires=1000&Signature=s`, 'x')],
  ['uploadToSignedUrl', 'header value with CR LF', IA, 'headers.x-oss-meta-a', (lib, T) => lib.uploadToSignedUrl(T.signedUrl, 'x', { headers: { 'x-oss-meta-a': 'a\r\nb' } })],
  ['uploadToSignedUrl', 'contentType non-Latin-1', IA, 'contentType', (lib, T) => lib.uploadToSignedUrl(T.signedUrl, 'x', { contentType: 'text/文' })],
  ['uploadToSignedUrl', 'body undefined', IA, 'body', (lib, T) => lib.uploadToSignedUrl(T.signedUrl)],
  ['uploadToSignedUrl', 'options a number', IA, 'options', (lib, T) => lib.uploadToSignedUrl(T.signedUrl, 'x', 1)],
  ['uploadToSignedUrl', 'body null', IA, 'body', (lib, T) => lib.uploadToSignedUrl(T.signedUrl, null)],
  ['uploadToSignedUrl', 'allowInsecureHttp "yes"', IA, 'allowInsecureHttp', (lib, T) => lib.uploadToSignedUrl(T.signedUrl, 'x', { allowInsecureHttp: 'yes' })],
  ['client.uploadToSignedUrl', 'url for another bucket', IA, 'url', (lib, T) => T.mk().uploadToSignedUrl(T.signedUrl.replace('//demo.', '//other.'), 'x')],
  ['client.uploadToSignedUrl', 'url for another host', IA, 'url', (lib, T) => T.mk().uploadToSignedUrl(T.signedUrl.replace(/\/\/demo\.localhost:\d+/, '//demo.oss-cn-beijing.aliyuncs.com').replace('http:', 'https:'), 'x')],
  ['postWithServerSignature', 'fields a string', IA, 'fields', (lib, T) => lib.postWithServerSignature(JSON.stringify(T.postFields), new File(['x'], 'a.txt'))],
  ['postWithServerSignature', 'file undefined', IA, 'file', (lib, T) => lib.postWithServerSignature(T.postFields)],
  ['postWithServerSignature', 'fields null', IA, 'fields', (lib) => lib.postWithServerSignature(null, new File(['x'], 'a.txt'))],
  ['postWithServerSignature', 'fields without host', IA, 'fields.host', (lib, T) => lib.postWithServerSignature({ ...T.postFields, host: undefined }, new File(['x'], 'a.txt'))],
  ['postWithServerSignature', 'host plain http, not loopback', IA, 'fields.host', (lib, T) => lib.postWithServerSignature({ ...T.postFields, host: 'http://demo.oss-cn-hangzhou.aliyuncs.com' }, new File(['x'], 'a.txt'))],
  // policy: base64 of {"expiration":"2020-01-01T00:00:00.000Z","conditions":[]}
  ['postWithServerSignature', 'policy already expired', 'SignedUrlExpired', undefined, (lib, T) => lib.postWithServerSignature({ ...T.postFields, policy: 'eyJleHBpcmF0aW9uIjoiMjAyMC0wMS0wMVQwMDowMDowMC4wMDBaIiwiY29uZGl0aW9ucyI6W119' }, new File(['x'], 'a.txt'))],
  ['postWithServerSignature', 'policy an object', IA, 'fields.policy', (lib, T) => lib.postWithServerSignature({ ...T.postFields, policy: {} }, new File(['x'], 'a.txt'))],
  ['postWithServerSignature', 'key outside the server dir', IA, 'key', (lib, T) => lib.postWithServerSignature(T.postFields, 'x', { key: 'elsewhere/a.txt' })],
  ['postWithServerSignature', 'no key and no file name', IA, 'key', (lib, T) => lib.postWithServerSignature(T.postFields, new Blob(['x']))],
  ['postWithServerSignature', 'key "/"-leading', IA, 'key', (lib, T) => lib.postWithServerSignature(T.postFields, 'x', { key: '/bad-input/a.txt' })],
  ['client.postWithServerSignature', 'host of another bucket', IA, 'fields.host', (lib, T) => T.mk().postWithServerSignature({ ...T.postFields, host: T.postFields.host.replace('//demo.', '//other.') }, new File(['x'], 'a.txt'))],

  // multipart
  ['multipartUpload', 'key empty', IA, 'key', (lib, T) => T.mk().multipartUpload('', new Blob(['x']))],
  ['multipartUpload', 'key a number', IA, 'key', (lib, T) => T.mk().multipartUpload(7, new Blob(['x']))],
  ['multipartUpload', 'file a string', IA, 'file', (lib, T) => T.mk().multipartUpload('m.bin', 'x')],
  ['multipartUpload', 'file undefined', IA, 'file', (lib, T) => T.mk().multipartUpload('m.bin')],
  ['multipartUpload', 'file null', IA, 'file', (lib, T) => T.mk().multipartUpload('m.bin', null)],
  ['multipartUpload', 'partSize 1', IA, 'partSize', (lib, T) => T.mk().multipartUpload('m.bin', new Blob(['x']), { partSize: 1, checkpoint: false })],
  ['multipartUpload', 'partSize NaN', IA, 'partSize', (lib, T) => T.mk().multipartUpload('m.bin', new Blob(['x']), { partSize: NaN, checkpoint: false })],
  ['multipartUpload', 'partSize 6 GiB', IA, 'partSize', (lib, T) => T.mk().multipartUpload('m.bin', new Blob(['x']), { partSize: 6 * 2 ** 30, checkpoint: false })],
  ['multipartUpload', 'concurrency 0', IA, 'concurrency', (lib, T) => T.mk().multipartUpload('m.bin', new Blob(['x']), { concurrency: 0, checkpoint: false })],
  ['multipartUpload', 'concurrency "4"', IA, 'concurrency', (lib, T) => T.mk().multipartUpload('m.bin', new Blob(['x']), { concurrency: '4', checkpoint: false })],
  ['multipartUpload', 'headers with Content-MD5', IA, 'headers.Content-MD5', (lib, T) => T.mk().multipartUpload('m.bin', new Blob(['x']), { headers: { 'Content-MD5': 'x' }, checkpoint: false })],
  ['multipartUpload', 'x-oss-meta with CR LF', IA, 'headers.x-oss-meta-a', (lib, T) => T.mk().multipartUpload('m.bin', new Blob(['x']), { headers: { 'x-oss-meta-a': '1\r\n2' }, checkpoint: false })],
  ['multipartUpload', 'onProgress a string', IA, 'onProgress', (lib, T) => T.mk().multipartUpload('m.bin', new Blob(['x']), { onProgress: 'log', checkpoint: false })],
  ['multipartUpload', 'signal a plain object', IA, 'signal', (lib, T) => T.mk().multipartUpload('m.bin', new Blob(['x']), { signal: { aborted: false }, checkpoint: false })],
  ['multipartUpload', 'checkpoint "localStorage"', IA, 'checkpoint', (lib, T) => T.mk().multipartUpload('m.bin', new Blob(['x']), { checkpoint: 'localStorage' })],
  ['multipartUpload', 'checkpoint store missing methods', IA, 'checkpoint', (lib, T) => T.mk().multipartUpload('m.bin', new Blob(['x']), { checkpoint: { get() {}, set() {} } })],
  ['multipartUpload', 'options a number', IA, 'options', (lib, T) => T.mk().multipartUpload('m.bin', new Blob(['x']), 5)],
  ['pause', 'uploadId a number', IA, 'uploadId', (lib, T) => T.client.pause(42)],
  ['pause', 'uploadId undefined', IA, 'uploadId', (lib, T) => T.client.pause()],
  ['resume', 'file changed: size', IA, 'file', (lib, T) => T.client.resume(T.pausedId, T.changed.size)],
  ['resume', 'file changed: lastModified', IA, 'file', (lib, T) => T.client.resume(T.pausedId, T.changed.lastModified)],
  ['resume', 'file changed: first MiB', IA, 'file', (lib, T) => T.client.resume(T.pausedId, T.changed.firstMiB)],
  ['resume', 'file changed: name', IA, 'file', (lib, T) => T.client.resume(T.pausedId, T.changed.name)],
  ['resume', 'file a string', IA, 'file', (lib, T) => T.client.resume(T.pausedId, 'paused.bin')],
  ['resume', 'file on disk rewritten since the pause (same page, no file given)', IA, 'file', (lib, T) => T.client.resume(T.diskId)],
  ['resume', 'file on disk rewritten since the pause (the same File given)', IA, 'file', (lib, T) => T.client.resume(T.diskId, T.diskFile)],
  ['resume', 'uploadId null', IA, 'uploadId', (lib, T) => T.client.resume(null, T.pauseFile)],
  ['resume', 'unknown uploadId', IA, 'uploadId', (lib, T) => T.client.resume('0123456789ABCDEF', T.pauseFile)],
  ['resume', 'uploadId a number', IA, 'uploadId', (lib, T) => T.client.resume(42, T.pauseFile)],
  ['resume', 'uploadId empty', IA, 'uploadId', (lib, T) => T.client.resume('', T.pauseFile)],
  ['resume', 'partSize 1 with the file', IA, 'partSize', (lib, T) => T.client.resume(T.pausedId, T.pauseFile, { partSize: 1 })],
  ['resume', 'checkpoint "indexedDB" (wrong case)', IA, 'checkpoint', (lib, T) => T.client.resume(T.pausedId, T.pauseFile, { checkpoint: 'indexedDB' })],
  ['abortMultipartUpload', 'key "/"-leading', IA, 'key', (lib, T) => T.mk().abortMultipartUpload('/m.bin', 'ABC')],
  ['abortMultipartUpload', 'uploadId empty', IA, 'uploadId', (lib, T) => T.mk().abortMultipartUpload('m.bin', '')],
  ['abortMultipartUpload', 'uploadId null', IA, 'uploadId', (lib, T) => T.mk().abortMultipartUpload('m.bin', null)],
  ['abortMultipartUpload', 'uploadId with CR LF', IA, 'uploadId', (lib, T) => T.mk().abortMultipartUpload('m.bin', 'A\r\nB')],
  ['abortMultipartUpload', 'checkpoint 42', IA, 'checkpoint', (lib, T) => T.mk().abortMultipartUpload('m.bin', 'ABC', { checkpoint: 42 })],
  ['listParts', 'key empty', IA, 'key', (lib, T) => T.mk().listParts('', 'ABC')],
  ['listParts', 'uploadId empty', IA, 'uploadId', (lib, T) => T.mk().listParts('m.bin', '')],
  ['listParts', 'uploadId undefined', IA, 'uploadId', (lib, T) => T.mk().listParts('m.bin')],
  ['listResumableUploads', 'checkpoint "yes"', IA, 'checkpoint', (lib, T) => T.mk().listResumableUploads({ checkpoint: 'yes' })],
  ['listResumableUploads', 'options a string', IA, 'options', (lib, T) => T.mk().listResumableUploads('all')],
  ['discardResumableUpload', 'uploadId a number', IA, 'uploadId', (lib, T) => T.mk().discardResumableUpload(42)],
  ['discardResumableUpload', 'uploadId empty', IA, 'uploadId', (lib, T) => T.mk().discardResumableUpload('')],
  ['discardResumableUpload', 'abort "yes"', IA, 'abort', (lib, T) => T.mk().discardResumableUpload('ABC', { abort: 'yes' })],
  ['discardResumableUpload', 'abort of an unknown uploadId', IA, 'uploadId', (lib, T) => T.mk().discardResumableUpload('0123456789ABCDEF', { abort: true })],
];

before(async () => {
  emu = await startEmulator();
  browser = await launchBrowser();
  page = await openPage(browser, emu);
  page.on('request', (r) => { pageRequests += 1; seen.push(r.url()); });
  await page.evaluate(SETUP);
});
after(async () => {
  await browser?.close();
  await emu?.stop();
});

const emuRequests = async () => (await emu.admin('requests/count')).count;
const settle = (ms) => new Promise((r) => setTimeout(r, ms));

/** Runs one row in the page: how it failed (or that it did not). */
function runRow([src]) {
  const f = new Function(`return (${src})`)();
  return (async () => {
    try {
      const v = await f(window.lib, window.T);
      return { accepted: true, value: typeof v === 'object' ? 'object' : String(v) };
    } catch (e) {
      return {
        accepted: false, code: e?.code, field: e?.field, name: e?.name,
        message: String(e?.message ?? e).slice(0, 240),
        panic: e instanceof WebAssembly.RuntimeError || /unreachable/.test(String(e?.message)),
      };
    }
  })();
}

test(`bad input: ${ROWS.length} rows reject with the right code, send nothing, and leave the instance working`, { timeout: 300_000 }, async () => {
  const setup = await page.evaluate(SETUP_SERVER_AND_PAUSE);
  assert.equal(setup.code, 'UploadPaused', `setup: the multipart upload should pause (${JSON.stringify(setup)})`);
  assert.ok(setup.listed.includes(setup.id), 'setup: the paused upload has a checkpoint');
  const disk = await setupDiskFile();
  assert.equal(disk.code, 'UploadPaused', `setup: the upload of the file on disk should pause (${JSON.stringify(disk)})`);

  const results = [];
  let group = null;
  const groupChecks = [];
  const groupPut = async (name) => {
    // A real upload through a fresh client: the instance still signs and sends.
    const key = `bad-input/alive-${groupChecks.length}.txt`;
    const r = await page.evaluate(async (k) => {
      try { return { ok: true, etag: (await window.T.mk().putObject(k, 'still alive')).etag }; } catch (e) { return { ok: false, code: e.code, message: e.message }; }
    }, key);
    const stored = await emu.object(key);
    groupChecks.push({ group: name, ok: r.ok && stored?.size === 11, detail: r });
  };
  for (const [g, label, code, field, fn] of ROWS) {
    if (group !== null && g !== group) await groupPut(group);
    group = g;
    const p0 = pageRequests;
    const e0 = await emuRequests();
    const out = await page.evaluate(runRow, [fn.toString()]);
    await settle(30); // a late request would still be counted
    const pageDelta = pageRequests - p0;
    const emuDelta = await emuRequests() - e0 - 0;
    const alive = await page.evaluate(() => window.T.alive());
    const requests = Math.max(pageDelta, emuDelta);
    const codeOk = !out.accepted && out.code === code && (field === undefined || out.field === field);
    results.push({ group: g, label, code, field, out, requests, alive, pass: codeOk && requests === 0 && alive });
    if (!alive) {
      // A dead instance would fail every later row: reload so the rest are still measured.
      page = await openPage(browser, emu);
      page.on('request', () => { pageRequests += 1; });
      await page.evaluate(SETUP);
      await page.evaluate(SETUP_SERVER_AND_PAUSE);
    }
  }
  await groupPut(group);
  rmSync(disk.path, { force: true });

  const tried = results.length;
  const rejected = results.filter((r) => r.pass).length;
  mkdirSync(join(ROOT, 'target', 'robustness'), { recursive: true });
  writeFileSync(join(ROOT, 'target', 'robustness', 'bad-input.json'),
    `${JSON.stringify({ label: 'bad input', badInputsTried: tried, badInputsRejected: rejected }, null, 2)}\n`);

  const clip = (s, n) => (s.length > n ? `${s.slice(0, n - 1)}…` : s).padEnd(n);
  console.log(`\n${clip('function', 26)} ${clip('bad input', 44)} ${clip('expected', 48)} ${clip('got', 48)} req alive`);
  for (const r of results) {
    const want = `${r.code}${r.field ? `:${r.field}` : ''}`;
    const got = r.out.accepted ? `ACCEPTED (${r.out.value})` : `${r.out.code ?? r.out.name}${r.out.field ? `:${r.out.field}` : ''}${r.out.panic ? ' PANIC' : ''}`;
    console.log(`${clip(r.group, 26)} ${clip(r.label, 44)} ${clip(want.replace(/[\r\n]/g, (c) => (c === '\r' ? '\\r' : '\\n')), 48)} ${clip(got.replace(/[\r\n]/g, (c) => (c === '\r' ? '\\r' : '\\n')), 48)} ${String(r.requests).padStart(3)} ${r.alive ? 'yes' : 'NO'}${r.pass ? '' : '  <-- FAIL'}`);
  }
  console.log(`\nbad inputs tried ${tried}, rejected with the right code, no request and a working instance ${rejected}`);
  for (const c of groupChecks) if (!c.ok) console.log(`group ${c.group}: the putObject after it failed: ${JSON.stringify(c.detail)}`);
  const failed = results.filter((r) => !r.pass);
  for (const r of failed) console.log(`FAIL ${r.group} / ${r.label}: ${JSON.stringify(r.out)} requests=${r.requests} alive=${r.alive}`);

  assert.ok(tried >= 60, `at least 60 bad inputs (${tried})`);
  assert.deepEqual(failed.map((r) => `${r.group} / ${r.label}`), []);
  assert.deepEqual(groupChecks.filter((c) => !c.ok).map((c) => c.group), [], 'a valid putObject succeeds after every group');
  assert.equal(new Set(ROWS.map((r) => `${r[0]} / ${r[1]}`)).size, ROWS.length, 'every row is distinct');
});

test('opt-ins still work: allowInsecureHttp and loopback http endpoints are accepted', async () => {
  const r = await page.evaluate(() => {
    const lib = window.lib;
    const T = window.T;
    const out = [];
    for (const endpoint of ['http://localhost:9000', 'http://127.0.0.1:9000', 'http://[::1]:9000']) {
      out.push(T.sign({ endpoint }).url.startsWith('http://'));
      out.push(!!new lib.OssClient(T.opts({ endpoint })));
    }
    out.push(T.sign({ endpoint: 'http://oss.example.com', allowInsecureHttp: true }).url.startsWith('http://demo.oss.example.com/'));
    out.push(!!new lib.OssClient(T.opts({ endpoint: 'http://oss.example.com', allowInsecureHttp: true })));
    return out;
  });
  assert.deepEqual(r, r.map(() => true));
});

test('cleanup: the paused upload is aborted', async () => {
  const r = await page.evaluate(async () => {
    try { await window.T.client.discardResumableUpload(window.T.pausedId, { abort: true }); return 'ok'; } catch (e) { return e.code; }
  });
  assert.equal(r, 'ok');
});
