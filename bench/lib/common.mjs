// Shared node-side plumbing for the benchmarks (bench/run.mjs, bench/sign.mjs): the machine,
// Debian's headless Chromium, a static server for the bench pages, the release emulator, and the
// small statistics every table uses. Nothing here is timed. The browser driver is bench/lib/cdp.mjs.

import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const OUT_DIR = path.join(ROOT, 'bench', 'out');
/** The npm package under test: `BENCH_PKG` (a separate build, e.g. in a git worktree) or pkg/. */
export const PKG = path.resolve(process.env.BENCH_PKG || path.join(ROOT, 'pkg'));
export const EMULATOR_BIN = path.resolve(process.env.OSS_EMULATOR_BIN || path.join(ROOT, 'target', 'release', 'oss-emulator'));

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export const MIB = 1024 * 1024;

// --- statistics and formatting ---------------------------------------------------------------

export const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
export const fmtInt = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
export const fmtFixed = (n, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
export const fmtRatio = (n, d = 2) => (Number.isFinite(n) ? `${n.toFixed(d)}×` : 'n/a');
export const fmtBytes = (n) => (Number.isFinite(n) ? `${Math.round(n).toLocaleString('en-US')} B` : 'n/a');
export const fmtMB = (n, d = 1) => (Number.isFinite(n) ? `${(n / 1e6).toFixed(d)} MB` : 'n/a');

/** Rows of cells → a markdown table; `align` is a string of `l`/`r` per column. */
export function mdTable(header, rows, align = '') {
  const sep = header.map((_, i) => (align[i] === 'r' ? '---:' : '---'));
  return [header, sep, ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

// --- the machine -------------------------------------------------------------------------------

export function machineInfo() {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpu = m[1].trim();
  } catch { /* not Linux */ }
  return {
    cpu,
    logicalCpus: os.cpus().length,
    memoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    loadAvg: os.loadavg().map((x) => Number(x.toFixed(2))),
  };
}

export const loadAvg = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');

// --- /proc: renderer processes of this benchmark's Chromium -------------------------------------

function procTable() {
  const rows = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8');
      rows.push({ pid: Number(d), ppid, cmd });
    } catch { /* gone */ }
  }
  return rows;
}

/** PIDs of Chromium renderer processes descended from this node process (not other users'). */
export function rendererPids() {
  try {
    const rows = procTable();
    const kids = new Map();
    for (const r of rows) kids.set(r.ppid, [...(kids.get(r.ppid) ?? []), r]);
    const out = [];
    const stack = [process.pid];
    while (stack.length) {
      for (const r of kids.get(stack.pop()) ?? []) {
        // --top-chrome-webui renderers belong to the browser's own UI, not to a page
        if (r.cmd.includes('--type=renderer') && !r.cmd.includes('--top-chrome-webui')) out.push(r.pid);
        stack.push(r.pid);
      }
    }
    return out;
  } catch {
    return [];
  }
}

/** CPU time (user + system, clock ticks) of `pid`, or 0. */
export function procCpu(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0;
  }
}

/** `{ rss, hwm }` in bytes from /proc/PID/status (VmRSS, VmHWM = peak RSS), or null. */
export function procMemory(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1]) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return null;
  }
}

// --- static server for the bench pages --------------------------------------------------------

const TYPES = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html; charset=utf-8',
  '.json': 'application/json', '.svg': 'image/svg+xml' };

/**
 * Serves the repository (bench/, node_modules/) on 127.0.0.1, with /pkg/ mapped to PKG and
 * `pages` (path → HTML string) and `routes` (path → async (req, res)) answered first. Resolves
 * to `{ server, base }`.
 */
export function serve({ pages = {}, routes = {} } = {}) {
  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url, 'http://x');
      if (pages[url.pathname] !== undefined) {
        res.writeHead(200, { 'content-type': TYPES['.html'], 'cache-control': 'no-store' });
        res.end(pages[url.pathname]);
        return;
      }
      if (routes[url.pathname]) {
        await routes[url.pathname](req, res, url);
        return;
      }
      const p = decodeURIComponent(url.pathname);
      const [base, rel] = p.startsWith('/pkg/') ? [PKG, p.slice(5)] : [ROOT, p.slice(1)];
      const file = path.join(base, rel);
      if (!file.startsWith(base) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
        res.writeHead(404);
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream', 'cache-control': 'no-store' });
      fs.createReadStream(file).pipe(res);
    } catch (e) {
      res.writeHead(500);
      res.end(String(e));
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    resolve({ server, base: `http://127.0.0.1:${server.address().port}` });
  }));
}

// --- the emulator ------------------------------------------------------------------------------

/**
 * Starts the release `oss-emulator --port 0 --fast-etag` with its data on tmpfs (`dataDir`,
 * removed by `stop()`). Resolves once it prints its URL.
 */
export async function startEmulator({ dataDir, stsTtl = 3600, fastEtag = true, onLine = () => {} } = {}) {
  if (!fs.existsSync(EMULATOR_BIN)) throw new Error(`${EMULATOR_BIN} is missing: cargo build --release -p oss-emulator`);
  const dir = dataDir ?? fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'oss-bench-'));
  const args = ['--port', '0', '--bucket', 'demo', '--region', 'cn-hangzhou', '--sts-ttl', String(stsTtl), '--data-dir', dir];
  if (fastEtag) args.push('--fast-etag');
  const proc = spawn(EMULATOR_BIN, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: proc.stdout });
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('emulator did not start in 10 s')), 10_000);
    proc.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
    lines.once('line', (line) => {
      clearTimeout(timer);
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(line);
      if (m) resolve(Number(m[1])); else reject(new Error(`unexpected first line: ${line}`));
    });
  });
  lines.on('line', onLine); // keep draining the request log
  const admin = async (p, method = 'GET', body) => {
    const res = await fetch(`http://127.0.0.1:${port}/_emulator/${p}`, {
      method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined,
    });
    if (!res.ok) throw new Error(`admin ${method} ${p}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  return {
    port,
    pid: proc.pid,
    endpoint: `http://localhost:${port}`,
    bucketUrl: `http://demo.localhost:${port}`,
    admin,
    object: async (key) => (await admin('objects?bucket=demo')).objects.find((o) => o.key === key),
    sts: async () => (await fetch(`http://127.0.0.1:${port}/sts`)).text(),
    stop: () => new Promise((resolve) => {
      proc.once('exit', () => {
        fs.rmSync(dir, { recursive: true, force: true });
        resolve();
      });
      proc.kill('SIGTERM');
    }),
  };
}

export function requireFiles(files) {
  for (const f of files) {
    if (!fs.existsSync(f)) throw new Error(`${path.relative(ROOT, f) || f} is missing: run \`npm run build\` (and npm install) first`);
  }
}

export const aliVersion = () => JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules/ali-oss/package.json'), 'utf8')).version;
