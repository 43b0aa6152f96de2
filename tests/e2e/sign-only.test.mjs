// The signing-only build (`oss-direct-upload/sign`, pkg/sign/) in a real page: a PUT signed with
// signRequest, a GET presigned with presignUrl and a PostObject form from buildPostPolicy, all with
// STS credentials from the emulator's /sts, all accepted by the emulator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, session } from './lib/harness.mjs';

let emu;
let browser;
let page;

session({}, (s) => { ({ emu, browser, page } = s); });

test('pkg/package.json exports ./sign with its types', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'pkg', 'package.json'), 'utf8'));
  assert.deepEqual(pkg.exports['./sign'], { types: './sign/sign.d.ts', default: './sign/sign.js' });
  for (const f of ['sign/sign.js', 'sign/sign_bg.wasm', 'sign/sign.d.ts']) assert.ok(pkg.files.includes(f), f);
  const dts = readFileSync(join(ROOT, 'pkg', 'sign', 'sign.d.ts'), 'utf8');
  for (const name of ['signRequest', 'presignUrl', 'signPostPolicy', 'buildPostPolicy', 'OssError']) assert.match(dts, new RegExp(name));
  assert.doesNotMatch(dts, /OssClient/);
});

test('the signing-only build signs a PUT, a presigned GET and a POST form the emulator accepts', async () => {
  const r = await page.evaluate(async (endpoint) => {
    const sign = await import('/pkg/sign/sign.js');
    await sign.default();
    const sts = (await (await fetch('/sts')).json()).Credentials;
    const credentials = { accessKeyId: sts.AccessKeyId, accessKeySecret: sts.AccessKeySecret, securityToken: sts.SecurityToken };
    const common = { bucket: 'demo', region: 'cn-hangzhou', endpoint, credentials };
    const put = sign.signRequest({ ...common, method: 'PUT', key: 'sign-only/put.txt', headers: { 'Content-Type': 'text/plain' } });
    const putRes = await fetch(put.url, { method: 'PUT', headers: put.headers, body: 'signed by /sign' });
    const get = sign.presignUrl({ ...common, method: 'GET', key: 'sign-only/put.txt', expiresInSecs: 60 });
    const getRes = await fetch(get.url);
    // One allowed type: the answer's fields carry the Content-Type the policy's "eq" condition
    // names (they did not, and the form got 403).
    const form = sign.buildPostPolicy({ ...common, key: 'sign-only/form.txt', expiresInSecs: 300, maxBytes: 1024, contentTypes: ['text/plain'] });
    const fd = new FormData();
    for (const [k, v] of Object.entries(form.fields)) fd.append(k, v);
    fd.append('file', new Blob(['posted by /sign'], { type: 'text/plain' }), 'form.txt');
    const postRes = await fetch(form.url, { method: 'POST', body: fd });
    let bad;
    try {
      sign.signRequest({ ...common, method: 'PUT', key: '/leading-slash' });
    } catch (e) {
      bad = { name: e.name, code: e.code, field: e.field, isError: e instanceof Error };
    }
    return { put: putRes.status, get: getRes.status, body: await getRes.text(), post: postRes.status, bad, hasClient: 'OssClient' in sign };
  }, emu.endpoint);
  assert.equal(r.put, 200);
  assert.equal(r.get, 200);
  assert.equal(r.body, 'signed by /sign');
  assert.ok(r.post >= 200 && r.post < 300, `POST status ${r.post}`);
  assert.deepEqual(r.bad, { name: 'OssError', code: 'InvalidArgument', field: 'key', isError: true });
  assert.equal(r.hasClient, false);
  assert.equal((await emu.object('sign-only/form.txt'))?.size, 'posted by /sign'.length);
});
