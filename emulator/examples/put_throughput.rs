//! Streaming PutObject throughput on loopback, server and client in one process:
//! `cargo run --release -p oss-emulator --example put_throughput -- [SIZE_MIB] [RUNS] [DATA_DIR] [fast]`
//! (`fast` = the `--fast-etag` mode, no MD5).
//! The client sends a presigned V4 PUT from memory in 1 MiB writes.

use oss_emulator::client_sign;
use oss_emulator::state::Config;
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mib: usize = args.first().and_then(|s| s.parse().ok()).unwrap_or(1024);
    let runs: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(3);
    let cfg = Config {
        data_dir: args
            .get(2)
            .filter(|d| !d.is_empty())
            .map(std::path::PathBuf::from),
        fast_etag: args.get(3).is_some_and(|f| f == "fast"),
        ..Config::default()
    };
    let r = oss_emulator::start(cfg).await?;
    let body: Vec<u8> = (0..mib << 20).map(|i| (i * 7 + (i >> 12)) as u8).collect();
    let creds = client_sign::Creds {
        access_key_id: oss_emulator::state::DEV_ACCESS_KEY_ID.into(),
        access_key_secret: oss_emulator::state::DEV_ACCESS_KEY_SECRET.into(),
        security_token: None,
    };
    println!("| run | MiB | seconds | MB/s |");
    println!("|---|---|---|---|");
    for run in 1..=runs {
        let now = r.state.now_ms() / 1000;
        let target = client_sign::presign_v4(
            &creds,
            "cn-hangzhou",
            "PUT",
            "demo",
            &format!("bench-{run}.bin"),
            900,
            &[],
            &[],
            now,
            false,
        );
        let t = Instant::now();
        let mut s = tokio::net::TcpStream::connect(r.addr).await?;
        s.set_nodelay(true)?;
        let head = format!(
            "PUT {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        s.write_all(head.as_bytes()).await?;
        for c in body.chunks(1 << 20) {
            s.write_all(c).await?;
        }
        let mut resp = Vec::new();
        s.read_to_end(&mut resp).await?;
        let secs = t.elapsed().as_secs_f64();
        let status = String::from_utf8_lossy(resp.get(..12).unwrap_or(&[])).into_owned();
        if !status.contains("200") {
            eprintln!("unexpected response: {}", String::from_utf8_lossy(&resp));
        }
        println!(
            "| {run} | {mib} | {secs:.2} | {:.0} |",
            body.len() as f64 / 1e6 / secs
        );
    }
    Ok(())
}
