// Node half of the signing benchmark (used by bench/sign.mjs and section 1 of bench/run.mjs).
// The page half is bench/lib/sign-page.mjs, loaded next to ali-oss's browser build.

import { fmtInt, median, mdTable } from './common.mjs';

/** HTML of the signing page: ali-oss's dist (global OSS) and sign-page.mjs as `window.signBench`. */
export const SIGN_PAGE = `<!doctype html><meta charset="utf-8"><title>sign bench</title>
<script src="/node_modules/ali-oss/dist/aliyun-oss-sdk.min.js"></script>
<script type="module">
  import * as bench from '/bench/lib/sign-page.mjs';
  window.signBench = bench;
  bench.setup().then(() => { window.benchReady = true; }, (e) => { window.benchError = String(e && e.stack || e); });
</script>`;

export const SIGN_OPS = [
  { op: 'header signature (PUT, STS, 3 headers)', ours: 'oursHeader', signOnly: 'signOnlyHeader', ali: 'aliHeaderSignOnly', aliPath: 'aliHeaderRequestPath',
    signer: 'signerHeader', signerSignOnly: 'signOnlySignerHeader' },
  { op: 'presigned URL (GET, 900 s, STS)', ours: 'oursPresign', signOnly: 'signOnlyPresign', ali: 'aliPresign',
    signer: 'signerPresign', signerSignOnly: 'signOnlySignerPresign' },
];

/**
 * Checks that both sign the same request to the same bytes, warms up, then runs every contender
 * for `ms` in `rounds` alternating rounds. Returns per-contender samples and medians (ops/s).
 */
export async function measureSigning(page, { rounds = 5, ms = 1000, log = () => {} } = {}) {
  const chk = await page.call('window.signBench.check');
  if (chk.headerOurs !== chk.headerAliSignOnly) {
    throw new Error(`Authorization differs:\n  ours    ${chk.headerOurs}\n  ali-oss ${chk.headerAliSignOnly}`);
  }
  if (chk.headerSignOnly !== chk.headerOurs || chk.urlSignOnly !== chk.urlOurs) {
    throw new Error(`the signing-only build differs from the full package:\n  ${chk.headerSignOnly}\n  ${chk.headerOurs}`);
  }
  if (chk.headerSigner !== chk.headerOurs || chk.headerSignOnlySigner !== chk.headerOurs
    || chk.urlSigner !== chk.urlOurs || chk.urlSignOnlySigner !== chk.urlOurs) {
    throw new Error(`the Signer differs from signRequest/presignUrl:\n  ${chk.headerSigner}\n  ${chk.headerOurs}\n  ${chk.urlSigner}\n  ${chk.urlOurs}`);
  }
  if (chk.presignOurs !== chk.presignAli) {
    throw new Error(`presigned URL signature differs: ours ${chk.presignOurs}, ali-oss ${chk.presignAli}`);
  }
  const names = [...new Set(SIGN_OPS.flatMap((o) => [o.ours, o.signOnly, o.signer, o.signerSignOnly, o.ali, o.aliPath].filter(Boolean)))];
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  const run = (n, t) => page.call('window.signBench.run', n, t);
  for (const n of names) await run(n, Math.min(300, ms)); // warm-up: JIT, wasm tier-up
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? [...names].reverse() : names; // alternate who goes first
    for (const n of order) samples[n].push(await run(n, ms));
    log(`signing round ${r + 1}/${rounds}: ${order.map((n) => `${n} ${fmtInt(samples[n].at(-1))}/s`).join(', ')}`);
  }
  const medians = Object.fromEntries(names.map((n) => [n, median(samples[n])]));
  // Paired runs: ours and ali-oss in alternating 20 ms slices, so both see the same load.
  const paired = {};
  for (const o of SIGN_OPS) {
    for (const who of [o.ours, o.signOnly, o.signer, o.signerSignOnly]) {
      const ratios = [];
      for (let r = 0; r < rounds; r++) {
        const p = await page.call('window.signBench.runPair', who, o.ali, ms);
        ratios.push(p.a / p.b);
      }
      paired[who] = { ratios, median: median(ratios) };
      log(`paired ${who} / ${o.ali}: ${ratios.map((x) => x.toFixed(1)).join(', ')}`);
    }
  }
  const rows = SIGN_OPS.map((o) => ({
    op: o.op,
    ours: medians[o.ours],
    ali: medians[o.ali],
    ratio: medians[o.ours] / medians[o.ali],
    paired: paired[o.ours].median,
    signOnly: medians[o.signOnly],
    ratioSignOnly: medians[o.signOnly] / medians[o.ali],
    pairedSignOnly: paired[o.signOnly].median,
    signer: medians[o.signer],
    ratioSigner: medians[o.signer] / medians[o.ali],
    pairedSigner: paired[o.signer].median,
    signerSignOnly: medians[o.signerSignOnly],
    ratioSignerSignOnly: medians[o.signerSignOnly] / medians[o.ali],
    pairedSignerSignOnly: paired[o.signerSignOnly].median,
    aliRequestPath: o.aliPath ? medians[o.aliPath] : undefined,
    ratioRequestPath: o.aliPath ? medians[o.ours] / medians[o.aliPath] : undefined,
  }));
  return { rounds, ms, names, samples, medians, paired, rows };
}

/** The signing table (and its notes) in markdown; `target` = the issue's ratio target. */
export function signingMarkdown(res, { aliVersion, target = 10 } = {}) {
  const rows = [];
  for (const r of res.rows) {
    const verdict = (x) => (x >= target ? `met (≥ ${target}×)` : `missed by ${(target - x).toFixed(1)}× (${((1 - x / target) * 100).toFixed(0)} % short)`);
    rows.push([r.op, fmtInt(r.ours), fmtInt(r.ali), `${r.ratio.toFixed(1)}×`, `**${r.paired.toFixed(1)}×**`, verdict(r.paired)]);
    rows.push(['↳ signing-only build (`oss-direct-upload/sign`), same call', fmtInt(r.signOnly), fmtInt(r.ali),
      `${r.ratioSignOnly.toFixed(1)}×`, `**${r.pairedSignOnly.toFixed(1)}×**`, verdict(r.pairedSignOnly)]);
    rows.push(['↳ `Signer` created once (`signer.signRequest` / `signer.presignUrl`), same request', fmtInt(r.signer), fmtInt(r.ali),
      `${r.ratioSigner.toFixed(1)}×`, `**${r.pairedSigner.toFixed(1)}×**`, verdict(r.pairedSigner)]);
    rows.push(['↳ `Signer` of the signing-only build', fmtInt(r.signerSignOnly), fmtInt(r.ali),
      `${r.ratioSignerSignOnly.toFixed(1)}×`, `**${r.pairedSignerSignOnly.toFixed(1)}×**`, verdict(r.pairedSignerSignOnly)]);
    if (r.aliRequestPath !== undefined) {
      rows.push(['↳ ali-oss through its request path (createRequest → authorizationV4, stub transport)', '', fmtInt(r.aliRequestPath),
        `${r.ratioRequestPath.toFixed(1)}×`, '', '']);
    }
  }
  const table = mdTable(['operation', 'oss-direct-upload (ops/s)', `ali-oss ${aliVersion} (ops/s)`, 'ratio of medians', 'paired ratio', `target ≥ ${target}×`], rows, 'lrrrrl');
  const notes = [
    'Header signature: ours is `signRequest` (headers out, Authorization included); ali-oss is',
    '`client.authorizationV4` on headers prepared once (the signing step alone, its cheapest path:',
    'the ratio in bold uses it). The ↳ row runs ali-oss\'s full per-request path, as `put()` does after',
    'reading the body. Presigned URL: `presignUrl` vs `client.signatureUrlV4`, both signing "now".',
    'The ↳ signing-only row is the same call on `oss-direct-upload/sign` (pkg/sign/, the no_std signing core).',
    'The ↳ `Signer` rows use `new Signer({region, bucket, credentials})` created once, as ali-oss\'s client is',
    '(`new OSS({...})`, reused by every ali-oss row): each call passes only method, key, headers/query, signTime/expiresInSecs.',
    `Paired ratio (the one judged against the target): ours and ali-oss run in alternating 20 ms slices for ~${res.ms} ms,`,
    `${res.rounds} times, median of the ${res.rounds} ratios; both see the same machine load, unlike separate runs.`,
    `All sign the same request to the same bytes (checked before timing). ${res.rounds} alternating rounds of ~${res.ms} ms per contender, medians.`,
  ].join('\n');
  const details = [
    '<details><summary>all rounds (ops/s)</summary>',
    '',
    mdTable(['contender', ...res.samples[res.names[0]].map((_, i) => `round ${i + 1}`)],
      res.names.map((n) => [n, ...res.samples[n].map(fmtInt)]), `l${'r'.repeat(res.rounds)}`),
    '',
    '</details>',
  ].join('\n');
  return { table, notes, details };
}
