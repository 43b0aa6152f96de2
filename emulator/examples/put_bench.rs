//! Streaming PutObject throughput of the `oss-emulator` binary on loopback, from a native client.
//!
//! `npm run bench:emulator` (builds what it needs), or
//! `cargo build --release -p oss-emulator --bin oss-emulator --example put_bench &&
//!  target/release/examples/put_bench [--runs 5] [--size-mib 1024] [--mode both|md5|fast]
//!  [--data-dir DIR] [--bin PATH] [--no-sink]`
//!
//! Starts the release emulator as a child process (data dir: a fresh directory on /dev/shm when
//! it exists, so the disk is not what is measured), presigns a V4 PUT with the development key,
//! and streams the body over a plain blocking `TcpStream` in 8 MiB `write_all` calls from memory
//! (no copy on the client side). Each response is checked: status 200, `x-oss-hash-crc64ecma`
//! against an independent table CRC-64, and in the default mode `ETag` against an independent
//! MD5 (the `md-5` crate). The object is deleted after each run.
//!
//! It prints a markdown table per emulator mode: min / median / max MB/s over the runs, and the
//! CPU time (user + sys, from /proc/PID/stat) the emulator and the client spent per GB, which
//! depends much less on other load than the wall time does. It also prints the same client into
//! a discard-only sink (what loopback plus this client allow on this machine) and the
//! single-core MD5 and CRC-64 rates (a PUT in the default mode computes MD5 over the whole body
//! in order, so it cannot go faster than one core's MD5).
//!
//! Target (issue 3): at least 1 GB/s. MB = 10^6 bytes, GB = 10^9 bytes.

use oss_emulator::client_sign::{self, Creds};
use oss_emulator::state::{DEV_ACCESS_KEY_ID, DEV_ACCESS_KEY_SECRET};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

const MIB: usize = 1 << 20;
const WRITE: usize = 8 * MIB;
const BUCKET: &str = "demo";
const REGION: &str = "cn-hangzhou";

type Res<T> = Result<T, String>;

struct Args {
    runs: usize,
    size: usize,
    modes: Vec<Mode>,
    data_dir: Option<PathBuf>,
    bin: PathBuf,
    sink: bool,
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Md5,
    Fast,
}

impl Mode {
    fn label(self) -> &'static str {
        match self {
            Mode::Md5 => "default (MD5 ETag, as OSS)",
            Mode::Fast => "--fast-etag (no MD5)",
        }
    }
}

fn parse_args() -> Res<Args> {
    let exe_dir = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().and_then(Path::parent).map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("target/release"));
    let mut a = Args {
        runs: 5,
        size: 1024 * MIB,
        modes: vec![Mode::Md5, Mode::Fast],
        data_dir: None,
        bin: std::env::var_os("OSS_EMULATOR_BIN")
            .map_or_else(|| exe_dir.join("oss-emulator"), PathBuf::from),
        sink: true,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut val = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--runs" => a.runs = val()?.parse().map_err(|_| "bad --runs")?,
            "--size-mib" => {
                a.size = val()?
                    .parse::<usize>()
                    .map_err(|_| "bad --size-mib")?
                    .saturating_mul(MIB);
            }
            "--mode" => {
                a.modes = match val()?.as_str() {
                    "both" => vec![Mode::Md5, Mode::Fast],
                    "md5" => vec![Mode::Md5],
                    "fast" | "fast-etag" => vec![Mode::Fast],
                    m => return Err(format!("bad --mode {m} (both, md5, fast)")),
                }
            }
            "--data-dir" => a.data_dir = Some(PathBuf::from(val()?)),
            "--bin" => a.bin = PathBuf::from(val()?),
            "--no-sink" => a.sink = false,
            "-h" | "--help" => {
                return Err(
                    "usage: put_bench [--runs N] [--size-mib N] [--mode both|md5|fast] \
                            [--data-dir DIR] [--bin PATH] [--no-sink]"
                        .into(),
                )
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if a.runs == 0 || a.size == 0 {
        return Err("--runs and --size-mib must be positive".into());
    }
    Ok(a)
}

// ---------------------------------------------------------------------------- machine

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

/// User + system CPU seconds of a process (all its threads, live and exited).
fn cpu_secs(pid: &str) -> f64 {
    let Ok(s) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return f64::NAN;
    };
    // Fields after the command name (which may hold spaces) start at field 3 (state).
    let rest = s.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        f.get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    // utime is field 14, stime field 15 (1-based); here field 3 is index 0.
    (ticks(11) + ticks(12)) / clock_ticks()
}

fn clock_ticks() -> f64 {
    // USER_HZ: 100 on every Linux ABI in use; `getconf CLK_TCK` says so.
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

// ---------------------------------------------------------------------------- emulator

struct Emulator {
    child: Child,
    addr: String,
}

impl Emulator {
    fn start(bin: &Path, data_dir: &Path, mode: Mode) -> Res<Self> {
        let mut cmd = Command::new(bin);
        cmd.args([
            "--port",
            "0",
            "--bucket",
            BUCKET,
            "--region",
            REGION,
            "--data-dir",
        ])
        .arg(data_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
        if mode == Mode::Fast {
            cmd.arg("--fast-etag");
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        let out = child.stdout.take().ok_or("no stdout")?;
        let mut lines = BufReader::new(out).lines();
        let addr = loop {
            match lines.next() {
                Some(Ok(l)) => {
                    if let Some(u) = l.split("listening on http://").nth(1) {
                        break u.trim().to_string();
                    }
                }
                _ => {
                    let _ = child.kill();
                    return Err("oss-emulator exited before printing its address".into());
                }
            }
        };
        // Keep draining its one-line-per-request log so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines.by_ref() {});
        Ok(Self { child, addr })
    }

    fn pid(&self) -> String {
        self.child.id().to_string()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        // SIGTERM first (it exits cleanly on it, and a wrapper such as valgrind can write its
        // report), SIGKILL after 30 s.
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid()])
            .stderr(Stdio::null())
            .status();
        let t = Instant::now();
        while t.elapsed().as_secs() < 30 {
            if !matches!(self.child.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn now_s() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
}

fn presigned(method: &str, key: &str) -> String {
    let creds = Creds {
        access_key_id: DEV_ACCESS_KEY_ID.into(),
        access_key_secret: DEV_ACCESS_KEY_SECRET.into(),
        security_token: None,
    };
    client_sign::presign_v4(
        &creds,
        REGION,
        method,
        BUCKET,
        key,
        3600,
        &[],
        &[],
        now_s(),
        false,
    )
}

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One request with `Connection: close`; the body (if any) goes out in `WRITE`-sized
/// `write_all` calls straight from `body`.
fn request(addr: &str, method: &str, target: &str, body: &[u8]) -> Res<Response> {
    let mut s = TcpStream::connect(addr).map_err(|e| format!("connect {addr}: {e}"))?;
    s.set_nodelay(true).map_err(|e| e.to_string())?;
    let head = format!(
        "{method} {target} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).map_err(|e| e.to_string())?;
    for c in body.chunks(WRITE) {
        s.write_all(c).map_err(|e| format!("send: {e}"))?;
    }
    let mut resp = Vec::new();
    s.read_to_end(&mut resp)
        .map_err(|e| format!("read response: {e}"))?;
    let text = String::from_utf8_lossy(&resp);
    let (head, _) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("bad response: {text}"))?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    if status >= 300 {
        return Err(format!("{method} {target}: HTTP {status}\n{text}"));
    }
    Ok(Response { status, headers })
}

// ---------------------------------------------------------------------------- runs

struct Run {
    secs: f64,
    emulator_cpu: f64,
    client_cpu: f64,
}

struct Expect {
    etag: String,
    crc: String,
}

fn put_runs(args: &Args, body: &[u8], mode: Mode, expect: &Expect, dir: &Path) -> Res<Vec<Run>> {
    let emu = Emulator::start(&args.bin, dir, mode)?;
    let pid = emu.pid();
    let mut runs = Vec::new();
    for i in 0..args.runs {
        let key = format!("bench/put-{i}.bin");
        let target = presigned("PUT", &key);
        let (e0, c0) = (cpu_secs(&pid), cpu_secs("self"));
        let t = Instant::now();
        let r = request(&emu.addr, "PUT", &target, body)?;
        let secs = t.elapsed().as_secs_f64();
        let (e1, c1) = (cpu_secs(&pid), cpu_secs("self"));
        if r.status != 200 {
            return Err(format!("PUT: HTTP {}", r.status));
        }
        let crc = r.header("x-oss-hash-crc64ecma").unwrap_or("");
        if crc != expect.crc {
            return Err(format!("x-oss-hash-crc64ecma {crc} != {}", expect.crc));
        }
        let etag = r.header("etag").unwrap_or("");
        if mode == Mode::Md5 && etag != expect.etag {
            return Err(format!("ETag {etag} != {}", expect.etag));
        }
        request(&emu.addr, "DELETE", &presigned("DELETE", &key), &[])?;
        runs.push(Run {
            secs,
            emulator_cpu: e1 - e0,
            client_cpu: c1 - c0,
        });
    }
    Ok(runs)
}

/// The same client into a thread that reads and discards (in this process).
fn sink_runs(args: &Args, body: &[u8]) -> Res<Vec<Run>> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let addr = l.local_addr().map_err(|e| e.to_string())?.to_string();
    let n = args.runs;
    let server = std::thread::spawn(move || {
        let mut buf = vec![0u8; MIB];
        for _ in 0..n {
            let Ok((mut c, _)) = l.accept() else { return };
            let mut head = Vec::new();
            let mut len = None;
            let mut got = 0usize;
            while len.is_none() {
                let Ok(k) = c.read(&mut buf) else { return };
                if k == 0 {
                    return;
                }
                head.extend_from_slice(buf.get(..k).unwrap_or(&[]));
                if let Some(p) = head.windows(4).position(|w| w == b"\r\n\r\n") {
                    let h = String::from_utf8_lossy(head.get(..p).unwrap_or(&[])).to_lowercase();
                    len = h
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse::<usize>().ok());
                    got = head.len() - p - 4;
                }
            }
            let len = len.unwrap_or(0);
            while got < len {
                match c.read(&mut buf) {
                    Ok(0) | Err(_) => return,
                    Ok(k) => got += k,
                }
            }
            let _ =
                c.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    let mut runs = Vec::new();
    for _ in 0..n {
        let c0 = cpu_secs("self");
        let t = Instant::now();
        request(&addr, "PUT", "/sink", body)?;
        let secs = t.elapsed().as_secs_f64();
        runs.push(Run {
            secs,
            emulator_cpu: f64::NAN,
            client_cpu: cpu_secs("self") - c0, // client + sink thread
        });
    }
    let _ = server.join();
    Ok(runs)
}

fn hash_rates(body: &[u8]) -> (f64, f64) {
    let part = body.get(..body.len().min(256 * MIB)).unwrap_or(body);
    let mb = part.len() as f64 / 1e6;
    let t = Instant::now();
    let mut m = oss_emulator::md5::Md5::new();
    for c in part.chunks(MIB) {
        m.update(c);
    }
    std::hint::black_box(m.finalize());
    let md5 = mb / t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut c = oss_emulator::crc64::Crc64::new();
    for ch in part.chunks(MIB) {
        c.update(ch);
    }
    std::hint::black_box(c.value());
    (md5, mb / t.elapsed().as_secs_f64())
}

// ---------------------------------------------------------------------------- main

fn body_of(size: usize) -> Vec<u8> {
    // xorshift64*: incompressible, reproducible, fast to make.
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let mut v = Vec::with_capacity(size + 8);
    while v.len() < size {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        v.extend_from_slice(&x.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    v.truncate(size);
    v
}

fn expected(body: &[u8], md5: bool) -> Expect {
    use md5::Digest;
    let crc = crc::Crc::<u64, crc::Table<16>>::new(&crc::CRC_64_XZ);
    Expect {
        etag: if md5 {
            format!("\"{}\"", hex::encode_upper(md5::Md5::digest(body)))
        } else {
            String::new()
        },
        crc: crc.checksum(body).to_string(),
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// One table row. `bound`: the MD5 rate that caps this row, when it is the default mode.
fn row(name: &str, runs: &[Run], size: usize, target: bool, bound: Option<f64>) -> String {
    let mut rates: Vec<f64> = runs.iter().map(|r| size as f64 / r.secs / 1e6).collect();
    let gb = size as f64 / 1e9;
    let mut emu: Vec<f64> = runs.iter().map(|r| r.emulator_cpu / gb).collect();
    let mut cli: Vec<f64> = runs.iter().map(|r| r.client_cpu / gb).collect();
    let med = median(&mut rates);
    let (min, max) = (rates[0], rates[rates.len() - 1]);
    let emu = median(&mut emu);
    let cli = median(&mut cli);
    let cpu = |v: f64| {
        if v.is_nan() {
            "n/a".to_string()
        } else {
            format!("{v:.2}")
        }
    };
    let verdict = if !target {
        "n/a".to_string()
    } else if med >= 1000.0 {
        "met".to_string()
    } else if let Some(b) = bound {
        format!("MISSED (MD5-bound: one core hashes {b:.0} MB/s)")
    } else {
        "MISSED".to_string()
    };
    format!(
        "| {name} | {min:.0} | {med:.0} | {max:.0} | {:.2} | {} | {} | {verdict} |",
        med / 1000.0,
        cpu(emu),
        cpu(cli)
    )
}

fn main() {
    if let Err(e) = run() {
        eprintln!("put_bench: {e}");
        std::process::exit(1);
    }
}

fn run() -> Res<()> {
    let args = parse_args()?;
    if !args.bin.is_file() {
        return Err(format!(
            "{} not found: cargo build --release -p oss-emulator --bin oss-emulator (or --bin PATH)",
            args.bin.display()
        ));
    }
    let load_before = loadavg();
    let shm = Path::new("/dev/shm");
    let (dir, temp) = match &args.data_dir {
        Some(d) => (d.clone(), false),
        None => {
            let root = if shm.is_dir() {
                shm.to_path_buf()
            } else {
                std::env::temp_dir()
            };
            let d = root.join(format!("oss-emu-bench-{}", std::process::id()));
            (d, true)
        }
    };
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    println!("# oss-emulator streaming PUT benchmark (native client)\n");
    println!(
        "- machine: {} CPUs, {}; load average (1, 5, 15 min) {load_before} at the start",
        std::thread::available_parallelism().map_or(0, usize::from),
        cpu_model()
    );
    println!(
        "- emulator: {} (data dir {})",
        args.bin.display(),
        dir.display()
    );
    println!(
        "- body: {} bytes ({} MiB) of pseudo-random data, presigned V4 PUT over loopback, \
         {} runs per row, {} MiB writes from memory",
        args.size,
        args.size / MIB,
        args.runs,
        WRITE / MIB
    );
    let body = body_of(args.size);
    let expect = expected(&body, args.modes.contains(&Mode::Md5));
    let mut results = Vec::new();
    let result = (|| -> Res<()> {
        for &mode in &args.modes {
            results.push((mode, put_runs(&args, &body, mode, &expect, &dir)?));
        }
        Ok(())
    })()
    .and_then(|()| {
        if args.sink {
            sink_runs(&args, &body).map(Some)
        } else {
            Ok(None)
        }
    });
    if temp {
        let _ = std::fs::remove_dir_all(&dir);
    }
    let sink = result?;
    let load_after = loadavg();
    let (md5, crc) = hash_rates(&body);
    let mut rows: Vec<String> = results
        .iter()
        .map(|(mode, runs)| {
            let bound = (*mode == Mode::Md5).then_some(md5);
            row(mode.label(), runs, args.size, true, bound)
        })
        .collect();
    if let Some(runs) = sink {
        rows.push(row(
            "same client → discard sink (no emulator: the loopback ceiling)",
            &runs,
            args.size,
            false,
            None,
        ));
    }
    println!("- load average at the end: {load_after}\n");
    println!(
        "| emulator mode | min MB/s | median MB/s | max MB/s | median GB/s | \
         emulator CPU s/GB | client CPU s/GB | target ≥ 1 GB/s |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for r in rows {
        println!("{r}");
    }
    println!(
        "\nOne core of this machine: MD5 {md5:.0} MB/s, CRC-64 {crc:.0} MB/s (the emulator's own \
         code). A default-mode PUT hashes the whole body with MD5 in order, so it cannot beat the \
         MD5 rate."
    );
    println!(
        "MB = 10^6 bytes, GB = 10^9 bytes. Time: first request byte to the end of the response. \
         CPU s/GB: user + sys from /proc/PID/stat (10 ms ticks), median over the runs; the sink \
         row's client CPU includes the sink thread. Every PUT's x-oss-hash-crc64ecma was checked \
         (and its ETag = MD5 in the default mode)."
    );
    Ok(())
}
