//! The binary: first stdout line, serving, and cleanup of the temporary data dir on SIGTERM.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

#[test]
fn prints_listening_line_serves_and_cleans_up_on_sigterm() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_oss-emulator"))
        .args([
            "--port",
            "0",
            "--bucket",
            "demo",
            "--bucket",
            "more",
            "--region",
            "cn-hangzhou",
            "--sts-ttl",
            "3",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().unwrap().unwrap();
    let port: u16 = first
        .strip_prefix("oss-emulator listening on http://127.0.0.1:")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .parse()
        .unwrap();
    let mut banner = Vec::new();
    let mut data_dir = None;
    for l in lines.by_ref() {
        let l = l.unwrap();
        if let Some(d) = l.trim().strip_prefix("data dir:") {
            data_dir = Some(d.trim().split(' ').next().unwrap().to_string());
            banner.push(l);
            break;
        }
        banner.push(l);
    }
    let text = banner.join("\n");
    assert!(
        text.contains(&format!("http://demo.localhost:{port}")),
        "{text}"
    );
    assert!(
        text.contains(&format!("http://more.localhost:{port}")),
        "{text}"
    );
    assert!(text.contains("/sts"));
    let data_dir = data_dir.unwrap();
    assert!(std::path::Path::new(&data_dir).exists());

    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(b"GET /sts HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    assert!(resp.contains("\"AccessKeyId\":\"STS."));
    // one log line per request
    let log = lines.next().unwrap().unwrap();
    assert!(log.starts_with("GET /sts 200 - "), "{log}");
    assert!(log.ends_with("ms"));

    // SIGTERM: exits and removes its temporary data dir
    let _ = Command::new("kill").arg(child.id().to_string()).status();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    assert!(!std::path::Path::new(&data_dir).exists());
}

#[test]
fn bad_arguments_exit_with_usage() {
    let out = Command::new(env!("CARGO_BIN_EXE_oss-emulator"))
        .args(["--nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("usage: oss-emulator"));
}
