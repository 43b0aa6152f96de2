//! Response plumbing: body types, reply builder, small helpers over hyper.

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Frame, Incoming};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::sync::mpsc;

/// Response body type.
pub type Body = BoxBody<Bytes, io::Error>;

/// A body fed through a channel (used to stream files).
#[derive(Debug)]
pub struct ChannelBody {
    rx: mpsc::Receiver<io::Result<Bytes>>,
}

impl hyper::body::Body for ChannelBody {
    type Data = Bytes;
    type Error = io::Error;
    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        match self.rx.poll_recv(cx) {
            Poll::Ready(Some(Ok(b))) => Poll::Ready(Some(Ok(Frame::data(b)))),
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// A full body.
pub fn full(b: impl Into<Bytes>) -> Body {
    Full::new(b.into()).map_err(|never| match never {}).boxed()
}

/// An empty body.
pub fn empty() -> Body {
    Empty::<Bytes>::new()
        .map_err(|never| match never {})
        .boxed()
}

/// Stream `len` bytes of a file from `offset`.
pub fn file_body(path: std::path::PathBuf, offset: u64, len: u64) -> Body {
    let (tx, rx) = mpsc::channel::<io::Result<Bytes>>(8);
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncSeekExt};
        let mut f = match tokio::fs::File::open(&path).await {
            Ok(f) => f,
            Err(e) => {
                let _ = tx.send(Err(e)).await;
                return;
            }
        };
        if offset > 0 {
            if let Err(e) = f.seek(io::SeekFrom::Start(offset)).await {
                let _ = tx.send(Err(e)).await;
                return;
            }
        }
        let mut left = len;
        while left > 0 {
            let n = usize::try_from(left.min(1 << 20)).unwrap_or(1 << 20);
            let mut buf = vec![0u8; n];
            match f.read(&mut buf).await {
                Ok(0) => {
                    let _ = tx
                        .send(Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "short file",
                        )))
                        .await;
                    return;
                }
                Ok(r) => {
                    buf.truncate(r);
                    left -= r as u64;
                    if tx.send(Ok(Bytes::from(buf))).await.is_err() {
                        return;
                    }
                }
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            }
        }
    });
    ChannelBody { rx }.boxed()
}

/// A reply under construction.
#[derive(Debug)]
pub struct Reply {
    /// Status.
    pub status: u16,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Body,
    /// OSS error code for the log (or `-`).
    pub code: String,
    /// CORS policy to apply.
    pub cors: CorsMode,
}

/// How CORS headers are added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsMode {
    /// Use the bucket's rules.
    Bucket(String),
    /// Any origin (STS, app-server stand-ins, admin, static).
    Open,
    /// Already set (preflight).
    Done,
}

impl Reply {
    /// New reply.
    pub fn new(status: u16, body: Body) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body,
            code: "-".into(),
            cors: CorsMode::Open,
        }
    }
    /// Add a header.
    #[must_use]
    pub fn header(mut self, n: &str, v: impl Into<String>) -> Self {
        self.headers.push((n.to_string(), v.into()));
        self
    }
    /// JSON reply.
    pub fn json(status: u16, v: &serde_json::Value) -> Self {
        Self::new(status, full(v.to_string())).header("Content-Type", "application/json")
    }
    /// XML reply.
    pub fn xml(status: u16, s: String) -> Self {
        Self::new(status, full(s)).header("Content-Type", "application/xml")
    }
}

/// Read a small body fully (error if over `limit`).
pub async fn read_small(body: Incoming, limit: usize) -> Result<Vec<u8>, &'static str> {
    let mut body = body;
    let mut out = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| "body read error")?;
        if let Ok(d) = frame.into_data() {
            if out.len() + d.len() > limit {
                return Err("body too large");
            }
            out.extend_from_slice(&d);
        }
    }
    Ok(out)
}
