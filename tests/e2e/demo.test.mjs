// The demo page (www/) in headless Chromium: every mode uploads a file chosen through the file
// input, the result shows the key, ETag and CRC64, the credential panel fills in, and errors show
// their code, drag-and-drop works. DEMO_SCREENSHOT=path.png saves a screenshot of the page at the end.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ROOT, startEmulator, launchBrowser } from './lib/harness.mjs';

let emu; let browser; let page;

before(async () => {
  emu = await startEmulator({ www: join(ROOT, 'www') });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1180, height: 1200 } });
  page.on('pageerror', (e) => console.error('pageerror:', e.message));
  await page.goto(`${emu.base}/index.html`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 10_000 });
});

after(async () => {
  await browser?.close();
  await emu?.stop();
});

const modes = ['sts-put', 'sign-url', 'server-url', 'post-here', 'post-server'];

test('every demo mode uploads the chosen file and shows key, ETag and CRC64', async () => {
  for (const mode of modes) {
    await page.check(`input[name="mode"][value="${mode}"]`);
    const name = `demo-${mode}.txt`;
    await page.setInputFiles('#file', { name, mimeType: 'text/plain', buffer: Buffer.from(`uploaded by the ${mode} mode\n`) });
    await page.fill('#key', mode === 'post-server' ? '' : `demo/${name}`);
    await page.click('#go');
    await page.waitForSelector('#result .ok, #result .err', { timeout: 10_000 });
    const text = await page.textContent('#result');
    assert.match(text, /Uploaded/, `${mode}: ${text}`);
    assert.match(text, /ETag"?[0-9A-F"]{10,}/i, text);
    const key = mode === 'post-server' ? `uploads/${name}` : `demo/${name}`;
    const stored = await emu.object(key);
    assert.ok(stored, `${mode}: ${key} stored`);
    assert.equal(stored.contentType, 'text/plain', mode);
  }
  const panel = await page.textContent('#creds-panel');
  assert.match(panel, /expire in \d+ min/);
  assert.match(panel, /fetched 1 time/);
});

test('errors show their code and diagnosis', async () => {
  await page.check('input[name="mode"][value="server-url"]');
  await emu.admin('faults', 'POST', { method: 'PUT', path: '/demo/', status: 403, code: 'AccessDenied', message: 'You have no right to access this object.' });
  await page.setInputFiles('#file', { name: 'denied.txt', mimeType: 'text/plain', buffer: Buffer.from('no') });
  await page.fill('#key', 'demo/denied.txt');
  await page.click('#go');
  await page.waitForSelector('#result .err', { timeout: 10_000 });
  const text = await page.textContent('#result');
  assert.match(text, /AccessDenied/);
  assert.match(text, /request id/);
  await emu.admin('faults', 'DELETE');
});

test('dropping a file on the drop zone chooses it', async () => {
  await page.check('input[name="mode"][value="sts-put"]');
  await page.evaluate(() => {
    const dt = new DataTransfer();
    dt.items.add(new File(['dropped bytes'], 'dropped.md', { type: '' }));
    document.getElementById('drop').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  });
  assert.match(await page.textContent('#file-info'), /dropped\.md · 13 bytes/);
  await page.fill('#key', '');
  await page.click('#go');
  await page.waitForSelector('#result .ok, #result .err', { timeout: 10_000 });
  const stored = await emu.object('uploads/dropped.md');
  assert.ok(stored, await page.textContent('#result'));
  assert.equal(stored.contentType, 'text/markdown', 'type by extension when the file has none');
  if (process.env.DEMO_SCREENSHOT) await page.screenshot({ path: process.env.DEMO_SCREENSHOT, fullPage: true });
});
