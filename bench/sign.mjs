// `npm run bench:sign`: signing throughput of this library vs ali-oss's browser build, in headless
// Chromium, same page, same inputs. A script that prints a table, not a test.
//
//   node bench/sign.mjs [--rounds 5] [--ms 1000]
//
// Serves the repository root on 127.0.0.1 (port chosen by the OS), opens a page (Debian's headless
// Chromium driven over a DevTools pipe, bench/lib/cdp.mjs) that loads
// node_modules/ali-oss/dist/aliyun-oss-sdk.min.js (global OSS), pkg/oss_direct_upload.js and the
// signing-only build pkg/sign/sign.js, checks all sign the same request to the same bytes, then runs each contender for about 1 s, in
// alternating order, for several rounds, and reports the medians. The table also goes to
// bench/out/sign.md. Needs pkg/ (the npm script builds it first; BENCH_PKG=dir uses another build).
// The same measurement is section 1 of `npm run bench` (bench/run.mjs).

import fs from 'node:fs';
import path from 'node:path';
import { OUT_DIR, PKG, ROOT, aliVersion, loadAvg, machineInfo, requireFiles, serve } from './lib/common.mjs';
import { launch, openBenchPage } from './lib/cdp.mjs';
import { SIGN_PAGE, measureSigning, signingMarkdown } from './lib/signing.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const ROUNDS = opt('rounds', 5);
const MS = opt('ms', 1000);
const OUT = path.join(OUT_DIR, 'sign.md');

async function main() {
  requireFiles([path.join(PKG, 'oss_direct_upload.js'), path.join(PKG, 'oss_direct_upload_bg.wasm'), path.join(PKG, 'sign', 'sign_bg.wasm'),
    path.join(ROOT, 'node_modules/ali-oss/dist/aliyun-oss-sdk.min.js')]);
  const ver = aliVersion();
  const { server, base } = await serve({ pages: { '/bench.html': SIGN_PAGE } });
  const browser = await launch();
  try {
    const page = await openBenchPage(browser, `${base}/bench.html`);
    const res = await measureSigning(page, { rounds: ROUNDS, ms: MS, log: (s) => process.stderr.write(`${s}\n`) });
    const m = machineInfo();
    const { table, notes, details } = signingMarkdown(res, { aliVersion: ver });
    const md = [
      `## Signing throughput in headless Chromium: oss-direct-upload vs ali-oss ${ver}`,
      '',
      `Chromium ${browser.version}; CPU ${m.cpu} (${m.logicalCpus} logical CPUs); load average ${loadAvg()} (1/5/15 min, after the run); node ${m.node}; ${new Date().toISOString()}.`,
      '',
      table,
      '',
      notes,
      '',
      details,
    ].join('\n');
    console.log(md);
    fs.mkdirSync(OUT_DIR, { recursive: true });
    fs.writeFileSync(OUT, `${md}\n`);
    console.error(`\nwritten to ${path.relative(ROOT, OUT)}`);
  } finally {
    await browser.close();
    server.close();
  }
}

main().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
