// Demo shell: loads the wasm package and mounts one module per upload mode.
import init from '/pkg/oss_direct_upload.js';
import { credentials, log, describeError, resetCredentials } from './lib.js';

const $ = (id) => document.getElementById(id);

await init();
$('fetch-creds').addEventListener('click', () => { resetCredentials(); credentials().catch((e) => log(describeError(e), 'err')); });
$('clear-log').addEventListener('click', () => { $('log').innerHTML = ''; });

for (const mode of ['sts-put', 'sign-url']) {
  const el = $(`mode-${mode}`);
  const mod = await import(`./modes/${mode}.js`);
  mod.mount(el);
}
document.body.dataset.ready = 'true';
