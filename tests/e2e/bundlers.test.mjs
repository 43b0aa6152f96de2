// The npm package bundled by Vite 7 (and webpack 5, below) uploads for real. Vite is resolved
// from the project's node_modules, or from $VITE_DIR (a folder where `npm install vite@7` ran);
// skipped without it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, startEmulator, launchBrowser, openPage } from './lib/harness.mjs';

async function loadVite() {
  const candidates = [join(ROOT, 'node_modules', 'vite'), process.env.VITE_DIR && join(process.env.VITE_DIR, 'node_modules', 'vite')].filter(Boolean);
  for (const dir of candidates) {
    const entry = join(dir, 'dist', 'node', 'index.js');
    if (existsSync(entry)) return import(pathToFileURL(entry).href);
  }
  return null;
}

test('a Vite 7 build of an app importing the package uploads to the emulator', async (t) => {
  const vite = await loadVite();
  if (!vite) {
    t.skip('vite is not installed (npm install -D vite@7, or set VITE_DIR)');
    return;
  }
  assert.match(vite.version, /^7\./, `vite ${vite.version}`);
  const outDir = mkdtempSync(join(tmpdir(), 'oss-vite-'));
  await vite.build({
    root: join(ROOT, 'tests', 'e2e', 'vite-app'),
    logLevel: 'warn',
    resolve: { alias: { 'oss-direct-upload': join(ROOT, 'pkg', 'oss_direct_upload.js') } },
    build: { outDir, emptyOutDir: true, target: 'esnext' },
  });
  const emu = await startEmulator({ www: outDir });
  const browser = await launchBrowser();
  try {
    const page = await openPage(browser, emu, '/index.html');
    const r = await page.evaluate(() => window.upload('vite/hello.txt', 'bundled by vite'));
    assert.equal(r.key, 'vite/hello.txt');
    const stored = await emu.object('vite/hello.txt');
    assert.equal(stored.size, 'bundled by vite'.length);
    assert.equal(stored.contentType, 'text/plain');
  } finally {
    await browser.close();
    await emu.stop();
    rmSync(outDir, { recursive: true, force: true });
  }
});

// webpack 5 (the README says the package works with it): its production build turns the glue's
// `new URL('…_bg.wasm', import.meta.url)` into emitted assets, for the package and for
// oss-direct-upload/sign, with no loader or experiments option. Resolved from the project's
// node_modules, or from $WEBPACK_DIR (where `npm install webpack@5` ran); skipped without it.
async function loadWebpack() {
  const candidates = [join(ROOT, 'node_modules', 'webpack'), process.env.WEBPACK_DIR && join(process.env.WEBPACK_DIR, 'node_modules', 'webpack')].filter(Boolean);
  for (const dir of candidates) {
    const entry = join(dir, 'lib', 'index.js');
    if (existsSync(entry)) return (await import(pathToFileURL(entry).href)).default;
  }
  return null;
}

test('a webpack 5 production build of an app importing the package uploads and signs', async (t) => {
  const webpack = await loadWebpack();
  if (!webpack) {
    t.skip('webpack is not installed (npm install -D webpack@5, or set WEBPACK_DIR)');
    return;
  }
  assert.match(webpack.version, /^5\./, `webpack ${webpack.version}`);
  const { copyFileSync, cpSync, readdirSync, statSync } = await import('node:fs');
  const app = join(ROOT, 'tests', 'e2e', 'webpack-app');
  const outDir = mkdtempSync(join(tmpdir(), 'oss-webpack-'));
  // An installed copy of the package: webpack resolves both specifiers through its `exports`,
  // as after `npm install`.
  const modules = mkdtempSync(join(tmpdir(), 'oss-webpack-modules-'));
  cpSync(join(ROOT, 'pkg'), join(modules, 'oss-direct-upload'), { recursive: true, dereference: true });
  try {
    const compiler = webpack({
      mode: 'production',
      target: 'web',
      context: app,
      entry: './main.js',
      output: { path: outDir, clean: true },
      resolve: { modules: [modules, 'node_modules'] },
      infrastructureLogging: { level: 'error' },
    });
    const stats = await new Promise((resolve, reject) => compiler.run((err, s) => (err ? reject(err) : resolve(s))));
    await new Promise((resolve) => compiler.close(resolve));
    const { errors, warnings } = stats.compilation;
    assert.deepEqual(errors.map((e) => e.message), [], 'webpack errors');
    // The only warnings are the size hints (the package's .wasm is over webpack's 244 KiB hint).
    const sizeHints = ['AssetsOverSizeLimitWarning', 'EntrypointsOverSizeLimitWarning', 'NoAsyncChunksWarning'];
    assert.deepEqual(warnings.filter((w) => !sizeHints.includes(w.name)).map((w) => w.message), [], 'webpack warnings');
    // Both .wasm files are emitted as they are (not inlined, not left behind).
    const wasmSizes = readdirSync(outDir).filter((f) => f.endsWith('.wasm')).map((f) => statSync(join(outDir, f)).size).sort((a, b) => a - b);
    const pkgSizes = ['oss_direct_upload_bg.wasm', join('sign', 'sign_bg.wasm')].map((f) => statSync(join(ROOT, 'pkg', f)).size).sort((a, b) => a - b);
    assert.deepEqual(wasmSizes, pkgSizes, 'emitted .wasm files');
    copyFileSync(join(app, 'index.html'), join(outDir, 'index.html'));
    const emu = await startEmulator({ www: outDir });
    const browser = await launchBrowser();
    try {
      const page = await openPage(browser, emu, '/index.html');
      assert.equal(await page.evaluate(() => window.initError), undefined);
      const r = await page.evaluate(() => window.upload('webpack/hello.txt', 'bundled by webpack'));
      assert.equal(r.key, 'webpack/hello.txt');
      const stored = await emu.object('webpack/hello.txt');
      assert.equal(stored.size, 'bundled by webpack'.length);
      assert.equal(stored.contentType, 'text/plain');
      const signed = await page.evaluate(() => window.sign('webpack/signed.txt'));
      assert.equal(signed.url, 'https://demo.oss-cn-hangzhou.aliyuncs.com/webpack/signed.txt');
      assert.ok(signed.headers.authorization.startsWith('OSS4-HMAC-SHA256 '), signed.headers.authorization);
    } finally {
      await browser.close();
      await emu.stop();
    }
  } finally {
    rmSync(outDir, { recursive: true, force: true });
    rmSync(modules, { recursive: true, force: true });
  }
});

// Vite's dev server pre-bundles dependencies into node_modules/.vite/deps/, away from the .wasm
// the glue loads next to itself (`new URL('…_bg.wasm', import.meta.url)`): init() then fetched
// index.html and failed ("expected magic word 00 61 73 6d"). The README tells Vite users to
// exclude the package from pre-bundling; this runs the dev server on an installed copy of the
// package (node_modules, not an alias) with that setting.
test('the Vite 7 dev server with the README\'s optimizeDeps.exclude loads the package', async (t) => {
  const vite = await loadVite();
  if (!vite) {
    t.skip('vite is not installed (npm install -D vite@7, or set VITE_DIR)');
    return;
  }
  const { cpSync, mkdirSync, writeFileSync } = await import('node:fs');
  const root = mkdtempSync(join(tmpdir(), 'oss-vite-dev-'));
  cpSync(join(ROOT, 'pkg'), join(root, 'node_modules', 'oss-direct-upload'), { recursive: true, dereference: true });
  mkdirSync(join(root, 'src'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><script type="module" src="/src/dev.js"></script>');
  writeFileSync(join(root, 'src', 'dev.js'), `
import init, { signRequest } from 'oss-direct-upload';
import initSign, { presignUrl } from 'oss-direct-upload/sign';
const credentials = { accessKeyId: 'id', accessKeySecret: 'secret' };
try {
  await init();
  await initSign();
  window.result = [
    signRequest({ method: 'GET', bucket: 'demo', key: 'k', region: 'cn-hangzhou', credentials }).url,
    presignUrl({ method: 'GET', bucket: 'demo', key: 'k', region: 'cn-hangzhou', credentials, expiresInSecs: 60 }).url.split('?')[0],
  ];
} catch (e) { window.result = String(e); }
window.ready = true;
`);
  const server = await vite.createServer({
    root, configFile: false, logLevel: 'warn',
    optimizeDeps: { exclude: ['oss-direct-upload'] },
    server: { host: '127.0.0.1', port: 0, strictPort: false },
  });
  await server.listen();
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await page.goto(server.resolvedUrls.local[0]);
    await page.waitForFunction(() => window.ready === true, null, { timeout: 30_000 });
    assert.deepEqual(await page.evaluate(() => window.result), [
      'https://demo.oss-cn-hangzhou.aliyuncs.com/k',
      'https://demo.oss-cn-hangzhou.aliyuncs.com/k',
    ]);
  } finally {
    await browser.close();
    await server.close();
    rmSync(root, { recursive: true, force: true });
  }
});

// Regression (review): the glue's packing marks were string literals ('\u0080', '\u0081'). A
// bundler's minifier (terser; esbuild with charset=utf8, as here) writes them as raw characters,
// and a classic script on a page decoded as windows-1252 or GBK (no `<meta charset="utf-8">`,
// no charset header) read them as other characters: every signRequest, presignUrl and Signer
// call was refused ("could not be read"). The marks are made at run time now.
test('bundled with raw non-ASCII output into a page decoded as windows-1252, both builds sign', async () => {
  const esbuild = await import('esbuild');
  const browser = await launchBrowser();
  try {
    for (const [entry, wasm] of [['sign/sign.js', 'sign/sign_bg.wasm'], ['oss_direct_upload.js', 'oss_direct_upload_bg.wasm']]) {
      const out = await esbuild.build({
        stdin: {
          contents: `import init, { signRequest, presignUrl, Signer } from ${JSON.stringify(join(ROOT, 'pkg', entry))};
            window.run = async () => {
              await init({ module_or_path: '/lib.wasm' });
              const credentials = { accessKeyId: 'STS.id', accessKeySecret: 'secret', securityToken: 'token' };
              const input = { method: 'PUT', bucket: 'demo', key: 'a.txt', region: 'cn-hangzhou', credentials };
              const signer = new Signer({ region: 'cn-hangzhou', bucket: 'demo', credentials });
              return [
                signRequest(input).headers.authorization,
                presignUrl({ ...input, expiresInSecs: 60 }).url,
                signer.signRequest({ method: 'PUT', key: 'a.txt' }).headers.authorization,
              ];
            };`,
          resolveDir: ROOT,
        },
        bundle: true, format: 'iife', minify: true, charset: 'utf8', write: false, logLevel: 'silent',
      });
      const js = out.outputFiles[0].contents;
      const page = await (await browser.newContext()).newPage();
      await page.route('http://latin1.test/**', (route) => {
        const path = new URL(route.request().url()).pathname;
        if (path === '/app.js') return route.fulfill({ body: Buffer.from(js), contentType: 'text/javascript' });
        if (path === '/lib.wasm') return route.fulfill({ path: join(ROOT, 'pkg', wasm), contentType: 'application/wasm' });
        return route.fulfill({ body: '<!doctype html><meta charset="windows-1252"><script src="/app.js"></script>', contentType: 'text/html; charset=windows-1252' });
      });
      await page.goto('http://latin1.test/index.html');
      const r = await page.evaluate(() => window.run().then((v) => ({ v }), (e) => ({ e: `${e.code}: ${e.message}` })));
      assert.ok(r.v, `${entry}: ${r.e}`);
      assert.match(r.v[0], /^OSS4-HMAC-SHA256 Credential=STS\.id\//);
      assert.match(r.v[1], /x-oss-signature=[0-9a-f]{64}/);
      assert.equal(r.v[2].split('Signature=')[0], r.v[0].split('Signature=')[0]);
    }
  } finally {
    await browser.close();
  }
});
