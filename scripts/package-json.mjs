// Writes pkg/package.json for the npm package from Cargo.toml's metadata.
import { readFileSync, writeFileSync, copyFileSync, existsSync } from 'node:fs';

const cargo = readFileSync('Cargo.toml', 'utf8');
const pkgSection = cargo.slice(cargo.indexOf('[package]'));
const field = (name) => (pkgSection.match(new RegExp(`^${name}\\s*=\\s*"([^"]*)"`, 'm')) || [])[1];
// `repository.workspace = true` in [package]: the URL is in [workspace.package].
const repo = (cargo.match(/^repository\s*=\s*"([^"]*)"/m) || [])[1];

const pkg = {
  name: 'oss-direct-upload',
  version: field('version'),
  description: field('description'),
  license: 'MIT OR Apache-2.0',
  // npmjs.com resolves the README's relative links and images against the repository.
  repository: { type: 'git', url: `git+${repo}.git` },
  homepage: `${repo}#readme`,
  type: 'module',
  main: 'oss_direct_upload.js',
  module: 'oss_direct_upload.js',
  types: 'oss_direct_upload.d.ts',
  exports: {
    '.': { types: './oss_direct_upload.d.ts', default: './oss_direct_upload.js' },
    './oss_direct_upload_bg.wasm': './oss_direct_upload_bg.wasm',
    // The signing core alone (signRequest, presignUrl, signPostPolicy, buildPostPolicy): a
    // separate, much smaller wasm for pages that only sign.
    './sign': { types: './sign/sign.d.ts', default: './sign/sign.js' },
    './sign/sign_bg.wasm': './sign/sign_bg.wasm',
    './package.json': './package.json',
  },
  files: ['oss_direct_upload_bg.wasm', 'oss_direct_upload.js', 'oss_direct_upload.d.ts', 'oss_direct_upload_bg.wasm.d.ts',
    'sign/sign_bg.wasm', 'sign/sign.js', 'sign/sign.d.ts', 'sign/sign_bg.wasm.d.ts', 'README.md', 'CHANGELOG.md', 'LICENSE-MIT', 'LICENSE-APACHE'],
  sideEffects: false,
  keywords: ['oss', 'aliyun', 'alibaba-cloud', 'upload', 'sts', 'wasm', 'presigned-url', 'multipart'],
};
writeFileSync('pkg/package.json', JSON.stringify(pkg, null, 2) + '\n');
for (const f of ['README.md', 'CHANGELOG.md', 'LICENSE-MIT', 'LICENSE-APACHE']) if (existsSync(f)) copyFileSync(f, `pkg/${f}`);
