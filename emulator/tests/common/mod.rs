//! Test helpers: start the emulator in-process, a tiny HTTP/1.1 client, signing shortcuts.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use oss_emulator::client_sign::{self, Creds};
use oss_emulator::state::Config;
use oss_emulator::Running;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const REGION: &str = "cn-hangzhou";

pub async fn start() -> Running {
    start_with(Config::default()).await
}

pub async fn start_with(mut cfg: Config) -> Running {
    cfg.port = 0;
    cfg.host = "127.0.0.1".into();
    oss_emulator::start(cfg).await.unwrap()
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, n: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.as_str())
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn xml(&self, el: &str) -> Option<String> {
        let t = self.text();
        let open = format!("<{el}>");
        let close = format!("</{el}>");
        let a = t.find(&open)? + open.len();
        let b = t[a..].find(&close)? + a;
        Some(t[a..b].to_string())
    }
    pub fn code(&self) -> String {
        self.xml("Code").unwrap_or_default()
    }
    pub fn ec(&self) -> String {
        self.xml("EC").unwrap_or_default()
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
    /// Assert an OSS error: status, Code, EC (body and x-oss-ec header).
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str, ec: &str) {
        assert_eq!(self.status, status, "status; body: {}", self.text());
        assert_eq!(self.code(), code, "code; body: {}", self.text());
        if !ec.is_empty() {
            assert_eq!(self.ec(), ec, "EC; body: {}", self.text());
            assert_eq!(self.header("x-oss-ec"), Some(ec));
        }
        let rid = self.header("x-oss-request-id").unwrap();
        assert_eq!(rid.len(), 24);
        assert_eq!(self.xml("RequestId").as_deref(), Some(rid));
    }
}

/// Send one request (Connection: close). `target` is path+query. Returns None if the server
/// dropped the connection without a response.
pub async fn try_send(
    addr: std::net::SocketAddr,
    method: &str,
    host: &str,
    target: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Option<Resp> {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut req = format!("{method} {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if !headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-length"))
    {
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(body);
    if s.write_all(&bytes).await.is_err() {
        return None;
    }
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out).await;
    if out.is_empty() {
        return None;
    }
    let end = out.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&out[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = out[end + 4..].to_vec();
    if headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"))
    {
        let mut dec = Vec::new();
        let mut rest = &body[..];
        loop {
            let nl = rest.windows(2).position(|w| w == b"\r\n")?;
            let n =
                usize::from_str_radix(std::str::from_utf8(&rest[..nl]).ok()?.trim(), 16).ok()?;
            if n == 0 {
                break;
            }
            dec.extend_from_slice(&rest[nl + 2..nl + 2 + n]);
            rest = &rest[nl + 2 + n + 2..];
        }
        body = dec;
    }
    Some(Resp {
        status,
        headers,
        body,
    })
}

pub async fn send(
    addr: std::net::SocketAddr,
    method: &str,
    host: &str,
    target: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Resp {
    try_send(addr, method, host, target, headers, body)
        .await
        .expect("server closed the connection without a response")
}

pub fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect()
}

pub fn dev_creds() -> Creds {
    Creds {
        access_key_id: oss_emulator::state::DEV_ACCESS_KEY_ID.into(),
        access_key_secret: oss_emulator::state::DEV_ACCESS_KEY_SECRET.into(),
        security_token: None,
    }
}

pub fn now_s(r: &Running) -> i64 {
    r.state.now_ms() / 1000
}

/// Mint STS credentials through `/sts`.
pub async fn sts(r: &Running, query: &str) -> Creds {
    let resp = send(
        r.addr,
        "GET",
        "localhost",
        &format!("/sts{query}"),
        &[],
        b"",
    )
    .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let v = resp.json();
    let c = &v["Credentials"];
    Creds {
        access_key_id: c["AccessKeyId"].as_str().unwrap().into(),
        access_key_secret: c["AccessKeySecret"].as_str().unwrap().into(),
        security_token: Some(c["SecurityToken"].as_str().unwrap().into()),
    }
}

/// A V4 header-signed request, path style (`/bucket/key`), at time `t`.
#[allow(clippy::too_many_arguments)]
pub async fn signed_at(
    r: &Running,
    creds: &Creds,
    method: &str,
    bucket: &str,
    key: Option<&str>,
    query: &[(&str, &str)],
    extra: &[(&str, &str)],
    body: &[u8],
    t: i64,
) -> Resp {
    let q: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect();
    let mut headers = h(extra);
    client_sign::sign_v4_headers(
        creds,
        REGION,
        method,
        Some(bucket),
        key,
        &q,
        &mut headers,
        &[],
        t,
    );
    let path = oss_emulator::encode::uri_encode(&format!("/{bucket}/{}", key.unwrap_or("")), true);
    let target = if q.is_empty() {
        path
    } else {
        format!("{path}?{}", oss_emulator::encode::build_query(&q))
    };
    send(r.addr, method, "127.0.0.1", &target, &headers, body).await
}

pub async fn signed(
    r: &Running,
    creds: &Creds,
    method: &str,
    key: Option<&str>,
    query: &[(&str, &str)],
    extra: &[(&str, &str)],
    body: &[u8],
) -> Resp {
    signed_at(r, creds, method, "demo", key, query, extra, body, now_s(r)).await
}

/// multipart/form-data body; fields in order, file last.
pub fn form(fields: &[(String, String)], file: Option<(&str, &str, &[u8])>) -> (String, Vec<u8>) {
    let b = "----emutestboundary7MA4YWxkTrZu0gW";
    let mut out = Vec::new();
    for (k, v) in fields {
        out.extend_from_slice(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    if let Some((name, ct, data)) = file {
        out.extend_from_slice(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: {ct}\r\n\r\n").as_bytes(),
        );
        out.extend_from_slice(data);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{b}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={b}"), out)
}

pub async fn admin(r: &Running, method: &str, path: &str, body: &str) -> Resp {
    send(
        r.addr,
        method,
        "127.0.0.1",
        &format!("/_emulator/{path}"),
        &h(&[("Content-Type", "application/json")]),
        body.as_bytes(),
    )
    .await
}
