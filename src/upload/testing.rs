//! Test doubles: a manual clock, a fake transport with a scripted OSS, a fake credential source,
//! and a tiny single-threaded executor that advances the clock when every task is asleep.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    unreachable_pub,
    missing_docs
)]

use super::transport::{HttpRequest, HttpResponse, Transport};
use crate::credentials::cache::{CredentialSource, SourceFailure, SourceResponse};
use crate::error::{Error, Result};
use crate::time::UnixTime;
use core::cell::{Cell, RefCell};
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::Wake;

/// A clock that only moves when told (or when the executor finds everyone asleep).
#[derive(Debug, Default)]
pub struct ManualClock {
    now: Cell<i64>,
    timers: RefCell<Vec<i64>>,
}

impl ManualClock {
    pub fn at(ms: i64) -> Rc<Self> {
        Rc::new(Self {
            now: Cell::new(ms),
            timers: RefCell::default(),
        })
    }
    pub fn now(&self) -> i64 {
        self.now.get()
    }
    pub fn advance(&self, ms: i64) {
        self.now.set(self.now.get() + ms);
    }
    pub fn sleep(self: &Rc<Self>, ms: i64) -> Sleep {
        Sleep {
            clock: Rc::clone(self),
            deadline: self.now() + ms,
        }
    }
    fn next_timer(&self) -> Option<i64> {
        let now = self.now();
        let t = self
            .timers
            .borrow()
            .iter()
            .copied()
            .filter(|d| *d > now)
            .min();
        self.timers.borrow_mut().clear();
        t
    }
}

pub struct Sleep {
    clock: Rc<ManualClock>,
    deadline: i64,
}

impl Future for Sleep {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        if self.clock.now() >= self.deadline {
            Poll::Ready(())
        } else {
            self.clock.timers.borrow_mut().push(self.deadline);
            Poll::Pending
        }
    }
}

struct Flag(AtomicBool);
impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Runs every future to completion on one thread; when all are blocked, jumps the clock to the
/// next timer.
pub fn run_all<'a, T>(
    clock: &ManualClock,
    futs: Vec<Pin<Box<dyn Future<Output = T> + 'a>>>,
) -> Vec<T> {
    let flag = Arc::new(Flag(AtomicBool::new(false)));
    let waker = Waker::from(Arc::clone(&flag));
    let mut cx = Context::from_waker(&waker);
    let mut slots: Vec<Option<Pin<Box<dyn Future<Output = T> + 'a>>>> =
        futs.into_iter().map(Some).collect();
    let mut out: Vec<Option<T>> = slots.iter().map(|_| None).collect();
    for _ in 0..1_000_000 {
        flag.0.store(false, Ordering::SeqCst);
        let mut completed = false;
        for (i, slot) in slots.iter_mut().enumerate() {
            if let Some(f) = slot {
                if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                    out[i] = Some(v);
                    *slot = None;
                    completed = true;
                }
            }
        }
        if slots.iter().all(Option::is_none) {
            return out.into_iter().map(Option::unwrap).collect();
        }
        if !completed && !flag.0.load(Ordering::SeqCst) {
            match clock.next_timer() {
                Some(t) => clock.now.set(t),
                None => panic!("deadlock: every task waits and no timer is set"),
            }
        }
    }
    panic!("did not finish");
}

pub fn run_one<T>(clock: &ManualClock, f: impl Future<Output = T>) -> T {
    run_all(clock, vec![Box::pin(f)]).pop().unwrap()
}

/// What the fake OSS decides for a request.
pub type Handler = Box<dyn Fn(&HttpRequest<Rc<Vec<u8>>>, i64) -> Result<HttpResponse>>;

/// A transport recording every request and answering through `handler` after `latency_ms`.
pub struct FakeTransport {
    pub clock: Rc<ManualClock>,
    pub handler: RefCell<Handler>,
    pub sent: RefCell<Vec<HttpRequest<Rc<Vec<u8>>>>>,
    pub latency_ms: i64,
    pub aborted: Cell<bool>,
}

impl FakeTransport {
    pub fn new(clock: &Rc<ManualClock>, handler: Handler) -> Self {
        Self {
            clock: Rc::clone(clock),
            handler: RefCell::new(handler),
            sent: RefCell::default(),
            latency_ms: 20,
            aborted: Cell::new(false),
        }
    }
    pub fn count(&self, method: &str) -> usize {
        self.sent
            .borrow()
            .iter()
            .filter(|r| r.method == method)
            .count()
    }
}

impl Transport for FakeTransport {
    type Body = Rc<Vec<u8>>;

    async fn send(&self, req: HttpRequest<Self::Body>) -> Result<HttpResponse> {
        self.sent.borrow_mut().push(req.clone());
        self.clock.sleep(self.latency_ms).await;
        if self.aborted.get() {
            return Err(Error::Aborted);
        }
        let now = self.clock.now();
        (self.handler.borrow())(&req, now)
    }

    async fn sleep(&self, ms: u32) {
        self.clock.sleep(i64::from(ms)).await;
    }

    fn now_ms(&self) -> i64 {
        self.clock.now()
    }

    fn jitter(&self) -> u32 {
        0x8000_0000
    }

    fn check_aborted(&self) -> Result<()> {
        if self.aborted.get() {
            Err(Error::Aborted)
        } else {
            Ok(())
        }
    }

    fn form(&self, fields: &[(String, String)], file: &Self::Body) -> Self::Body {
        let mut out = Vec::new();
        for (k, v) in fields {
            out.extend_from_slice(k.as_bytes());
            out.push(b'=');
            out.extend_from_slice(v.as_bytes());
            out.push(b'\n');
        }
        out.extend_from_slice(b"file=");
        out.extend_from_slice(file);
        Rc::new(out)
    }
}

/// A credential endpoint minting `STS.<n>` keys valid for `ttl_ms` of its clock (which may be
/// skewed from the device by `server_skew_ms`).
#[derive(Debug)]
pub struct FakeSource {
    pub clock: Rc<ManualClock>,
    pub ttl_ms: Cell<i64>,
    pub latency_ms: i64,
    pub calls: Cell<u32>,
    pub fail_next: Cell<u32>,
    pub server_skew_ms: Cell<i64>,
    /// Whether answers carry a `Date` (a credential function's do not).
    pub send_date: Cell<bool>,
    pub body: RefCell<Option<String>>,
    /// What the next failures are (default: a retryable network error).
    pub failure: RefCell<Option<SourceFailure>>,
}

impl FakeSource {
    pub fn new(clock: &Rc<ManualClock>, ttl_ms: i64) -> Self {
        Self {
            clock: Rc::clone(clock),
            ttl_ms: Cell::new(ttl_ms),
            latency_ms: 50,
            calls: Cell::new(0),
            fail_next: Cell::new(0),
            server_skew_ms: Cell::new(0),
            send_date: Cell::new(true),
            body: RefCell::default(),
            failure: RefCell::default(),
        }
    }
}

pub fn http_date(ms: i64) -> String {
    // RFC 1123 from the ISO form: good enough for tests.
    let t = UnixTime::from_secs(ms.div_euclid(1000)).unwrap();
    let iso = t.iso8601_millis(); // 2024-01-02T03:04:05.000Z
    let month: usize = iso[5..7].parse().unwrap();
    format!(
        "Mon, {} {} {} {} GMT",
        &iso[8..10],
        MONTHS[month - 1],
        &iso[0..4],
        &iso[11..19]
    )
}

impl CredentialSource for FakeSource {
    async fn fetch(&self) -> core::result::Result<SourceResponse, SourceFailure> {
        let sent = self.clock.now();
        self.clock.sleep(self.latency_ms).await;
        let n = self.calls.get() + 1;
        self.calls.set(n);
        if self.fail_next.get() > 0 {
            self.fail_next.set(self.fail_next.get() - 1);
            return Err(self.failure.borrow().clone().unwrap_or(SourceFailure {
                error: Error::Network("connection reset".into()),
                retryable: true,
            }));
        }
        let server_now = self.clock.now() + self.server_skew_ms.get();
        let body = self.body.borrow().clone().unwrap_or_else(|| {
            format!(
                r#"{{"Credentials":{{"AccessKeyId":"STS.{n}","AccessKeySecret":"secret-{n}","SecurityToken":"token-{n}","Expiration":{}}}}}"#,
                server_now + self.ttl_ms.get()
            )
        });
        Ok(SourceResponse {
            body,
            date: self.send_date.get().then(|| http_date(server_now)),
            sent_ms: sent,
            received_ms: self.clock.now(),
        })
    }
}

pub fn header<'a>(req: &'a HttpRequest<Rc<Vec<u8>>>, name: &str) -> Option<&'a str> {
    req.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

pub fn ok(server_ms: i64) -> HttpResponse {
    HttpResponse {
        status: 200,
        headers: vec![
            ("etag".into(), "\"ETAG\"".into()),
            ("x-oss-request-id".into(), "RID".into()),
            ("x-oss-hash-crc64ecma".into(), "0".into()),
            ("date".into(), http_date(server_ms)),
        ],
        body: String::new(),
    }
}

pub fn oss_error(status: u16, code: &str, extra: &str, server_ms: i64) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![("date".into(), http_date(server_ms)), ("x-oss-request-id".into(), "RID".into())],
        body: format!("<?xml version=\"1.0\"?><Error><Code>{code}</Code><Message>m</Message><RequestId>RID</RequestId>{extra}</Error>"),
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
