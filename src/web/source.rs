//! Credential sources in the browser: a URL (with method, headers, body, cookie mode and a
//! timeout), an async JS function, and the opt-in cross-tab sharing (BroadcastChannel + Web
//! Locks) so tabs of one origin make one fetch. Credentials stay in memory only.

use super::bindings::{global_fetch, AbortController, BroadcastChannel, Response};
use super::input::Obj;
use super::locks::{self, Release};
use super::transport::{js_message, now_ms, sleep_ms};
use crate::credentials::cache::{CredentialSource, SourceFailure, SourceResponse};
use crate::credentials::response;
use crate::error::{Error, Result};
use core::cell::RefCell;
use js_sys::futures::JsFuture;
use js_sys::{Function, Object, Promise, Reflect};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Default timeout of a credential request.
const DEFAULT_TIMEOUT_MS: u32 = 10_000;

/// A credential endpoint.
#[derive(Debug, Clone)]
pub(crate) struct UrlSource {
    url: String,
    method: String,
    headers: Vec<(String, String)>,
    body: Option<String>,
    credentials: String,
    timeout_ms: u32,
}

fn failure(error: Error, retryable: bool) -> SourceFailure {
    SourceFailure { error, retryable }
}

fn set(obj: &Object, k: &str, v: &JsValue) {
    let _ = Reflect::set(obj, &JsValue::from_str(k), v);
}

impl UrlSource {
    async fn fetch_once(&self) -> core::result::Result<SourceResponse, SourceFailure> {
        let init = Object::new();
        set(&init, "method", &JsValue::from_str(&self.method));
        let h = Object::new();
        for (k, v) in &self.headers {
            set(&h, k, &JsValue::from_str(v));
        }
        set(&init, "headers", &h);
        if let Some(b) = &self.body {
            set(&init, "body", &JsValue::from_str(b));
        }
        set(&init, "credentials", &JsValue::from_str(&self.credentials));
        set(&init, "cache", &JsValue::from_str("no-store"));
        let ctl = AbortController::new();
        set(&init, "signal", &ctl.signal());
        let ctl2 = ctl.clone();
        let timer = Closure::<dyn FnMut()>::new(move || ctl2.abort());
        let id = super::bindings::set_timeout(
            timer.as_ref().unchecked_ref(),
            i32::try_from(self.timeout_ms).unwrap_or(i32::MAX),
        );
        let deadline = Deadline {
            id,
            _timer: timer,
            ctl: ctl.clone(),
        };
        let sent_ms = now_ms();
        let result = self.exchange(&init).await;
        let timed_out = ctl.signal().aborted();
        drop(deadline);
        let (status, date, body) = result.map_err(|e| {
            let mut m = String::from("credential request to ");
            m.push_str(&self.url);
            m.push_str(" failed: ");
            m.push_str(&if timed_out {
                let mut t = String::from("timed out after ");
                t.push_str(&self.timeout_ms.to_string());
                t.push_str(" ms");
                t
            } else {
                js_message(&e)
            });
            failure(Error::CredentialProvider(m), true)
        })?;
        if !(200..300).contains(&status) {
            let mut m = String::from("credential endpoint ");
            m.push_str(&self.url);
            m.push_str(" answered HTTP ");
            m.push_str(&status.to_string());
            return Err(failure(
                Error::CredentialProvider(m),
                status >= 500 || status == 429 || status == 408,
            ));
        }
        Ok(SourceResponse {
            body,
            date,
            sent_ms,
            received_ms: now_ms(),
        })
    }

    async fn exchange(
        &self,
        init: &Object,
    ) -> core::result::Result<(u16, Option<String>, String), JsValue> {
        let resp: Response = JsFuture::from(global_fetch(&self.url, init))
            .await?
            .unchecked_into();
        let date = resp.headers().get("date").ok().flatten();
        let text = JsFuture::from(resp.text()?)
            .await?
            .as_string()
            .unwrap_or_default();
        Ok((resp.status(), date, text))
    }
}

/// A credential request's timeout. Dropped when the request ends, or when the call waiting for
/// it stops (an abort): its timer is cleared before its closure goes (a timer firing into a
/// dropped closure throws in the page), and an unfinished request is cancelled.
struct Deadline {
    id: JsValue,
    _timer: Closure<dyn FnMut()>,
    ctl: AbortController,
}

impl Drop for Deadline {
    fn drop(&mut self) {
        super::bindings::clear_timeout(&self.id);
        self.ctl.abort();
    }
}

/// Absolute http(s) URLs must be https unless loopback (relative URLs share the page's origin).
fn check_url(field: &str, url: &str, allow_insecure_http: bool) -> Result<()> {
    if url.contains("://") {
        crate::upload::signed::check_scheme(field, url, allow_insecure_http)
    } else {
        Ok(())
    }
}

/// An async function returning credentials (or their JSON text).
#[derive(Debug, Clone)]
pub(crate) struct FnSource(Function);

impl FnSource {
    async fn fetch_once(&self) -> core::result::Result<SourceResponse, SourceFailure> {
        let sent_ms = now_ms();
        let provider_error = |e: &JsValue| {
            let mut m = String::from("credentials function failed: ");
            m.extend(js_message(e).chars().take(200));
            failure(Error::CredentialProvider(m), may_pass(e))
        };
        let mut v = self
            .0
            .call0(&JsValue::NULL)
            .map_err(|e| provider_error(&e))?;
        if let Some(p) = v.dyn_ref::<Promise>() {
            v = JsFuture::from(p.clone())
                .await
                .map_err(|e| provider_error(&e))?;
        }
        let body = if let Some(s) = v.as_string() {
            s
        } else if v.is_object() {
            js_sys::JSON::stringify(&v)
                .ok()
                .and_then(|s| s.as_string())
                .ok_or_else(|| {
                    failure(
                        Error::CredentialProvider(
                            "credentials function returned a value JSON.stringify cannot serialise"
                                .into(),
                        ),
                        false,
                    )
                })?
        } else {
            return Err(failure(
                Error::CredentialProvider("credentials function must return an object with accessKeyId, accessKeySecret, securityToken and expiration".into()),
                false,
            ));
        };
        Ok(SourceResponse {
            body,
            date: None,
            sent_ms,
            received_ms: now_ms(),
        })
    }
}

/// Whether what a credentials function threw may pass on another call: fetch's `TypeError` (a
/// network failure) or `TimeoutError` (`AbortSignal.timeout`), axios's `ERR_NETWORK`, or an
/// error whose `status` (or `response.status`) is 408, 429 or 5xx. Anything else (the app's
/// "401 login required") is its answer: not called again, not `retryable`.
fn may_pass(e: &JsValue) -> bool {
    let get = |v: &JsValue, name: &str| Reflect::get(v, &JsValue::from_str(name)).ok();
    let name = get(e, "name").and_then(|n| n.as_string());
    let code = get(e, "code").and_then(|c| c.as_string());
    if e.is_instance_of::<js_sys::TypeError>()
        || name.as_deref() == Some("TimeoutError")
        || code.as_deref() == Some("ERR_NETWORK")
    {
        return true;
    }
    let response = get(e, "response").filter(JsValue::is_object);
    #[allow(clippy::cast_possible_truncation)] // saturating; a fraction is no status anyway
    let status = get(e, "status")
        .and_then(|s| s.as_f64())
        .or_else(|| {
            response
                .and_then(|r| get(&r, "status"))
                .and_then(|s| s.as_f64())
        })
        .map_or(0, |s| s as i64);
    status >= 500 || status == 429 || status == 408
}

/// Either kind of source.
#[derive(Debug, Clone)]
pub(crate) enum Direct {
    Url(UrlSource),
    Function(FnSource),
}

impl Direct {
    async fn fetch_once(&self) -> core::result::Result<SourceResponse, SourceFailure> {
        match self {
            Self::Url(u) => u.fetch_once().await,
            Self::Function(f) => f.fetch_once().await,
        }
    }

    /// Reads the `credentials` option: URL string, `{ url, method, headers, body, credentials,
    /// timeoutMs }`, or a function.
    pub(crate) fn from_option(v: &JsValue, allow_insecure_http: bool) -> Result<Self> {
        if let Some(url) = super::input::text_of(v, "credentials")? {
            if url.trim().is_empty() {
                return Err(Error::invalid("credentials", "must not be empty"));
            }
            check_url("credentials", &url, allow_insecure_http)?;
            return Ok(Self::Url(UrlSource {
                url,
                method: "GET".into(),
                headers: Vec::new(),
                body: None,
                credentials: "same-origin".into(),
                timeout_ms: DEFAULT_TIMEOUT_MS,
            }));
        }
        if let Some(f) = v.dyn_ref::<Function>() {
            return Ok(Self::Function(FnSource(f.clone())));
        }
        let o = Obj::new(v, "credentials")?;
        let url = o.string("url")?;
        check_url("credentials.url", &url, allow_insecure_http)?;
        let method = o
            .opt_string("method")?
            .unwrap_or_else(|| "GET".into())
            .to_ascii_uppercase();
        if !["GET", "POST", "PUT"].contains(&method.as_str()) {
            return Err(Error::invalid(
                "credentials.method",
                "must be GET, POST or PUT",
            ));
        }
        let credentials = o
            .opt_string("credentials")?
            .unwrap_or_else(|| "same-origin".into());
        if !["include", "same-origin", "omit"].contains(&credentials.as_str()) {
            return Err(Error::invalid(
                "credentials.credentials",
                "must be \"include\", \"same-origin\" or \"omit\"",
            ));
        }
        let body = match o.get("body")? {
            None => None,
            Some(b) => Some(match super::input::text_of(&b, "credentials.body")? {
                Some(s) => s,
                None => match js_sys::JSON::stringify(&b) {
                    Ok(text) => super::input::text_of(&text, "credentials.body")?,
                    Err(_) => None,
                }
                .ok_or_else(|| {
                    Error::invalid("credentials.body", "must be a string or JSON-serialisable")
                })?,
            }),
        };
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let timeout_ms = o
            .opt_int("timeoutMs", 1, 600_000)?
            .map_or(DEFAULT_TIMEOUT_MS, |t| t as u32);
        let headers = o.string_map("headers")?;
        crate::upload::signed::check_fetch_headers("credentials.headers", &headers)?;
        Ok(Self::Url(UrlSource {
            url,
            method,
            headers,
            body,
            credentials,
            timeout_ms,
        }))
    }

    /// A name for the cross-tab channel and lock: tabs share credentials only when they would
    /// fetch the same ones, for the same bucket. A URL source is named by its whole request
    /// (method, headers, body and cookie mode too: two requests for differently scoped
    /// credentials must not share), a function by its source text; hashed, so that no header
    /// or body value appears in a lock or channel name.
    pub(crate) fn share_key(&self, bucket: &str) -> String {
        let mut h = crate::signer::sha256::Sha256::new();
        let mut part = |s: &str| {
            h.update(&(s.len() as u64).to_be_bytes());
            h.update(s.as_bytes());
        };
        match self {
            Self::Url(u) => {
                part("url");
                part(&u.url);
                part(&u.method);
                part(&u.credentials);
                part(u.body.as_deref().unwrap_or(""));
                for (k, v) in &u.headers {
                    part(&k.to_ascii_lowercase());
                    part(v);
                }
            }
            Self::Function(f) => {
                part("fn");
                part(&String::from(f.0.to_string()));
            }
        }
        let mut k = String::from("oss-direct-upload:");
        k.push_str(bucket);
        k.push(':');
        crate::text::push_hex(&mut k, h.finalize().get(..16).unwrap_or_default());
        k
    }
}

/// What another tab broadcast, and when it arrived.
#[derive(Default)]
struct Received {
    body: Option<String>,
    at_ms: i64,
}

impl core::fmt::Debug for Received {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // The body holds the secret.
        f.debug_struct("Received")
            .field("body", &self.body.as_ref().map(String::len))
            .field("at_ms", &self.at_ms)
            .finish()
    }
}

/// Whether a credentials body still has most of its life (60 %) ahead, `at_ms` being when it
/// was obtained.
fn fresh(body: &str, at_ms: i64) -> bool {
    let Ok(parsed) = response::parse(body) else {
        return false;
    };
    parsed
        .expiration_ms
        .map_or(true, |exp| exp - now_ms() >= (exp - at_ms) * 6 / 10)
}

/// Posts `{ [name]: value }` on `channel`.
fn post(channel: &BroadcastChannel, name: &str, value: &JsValue) {
    let msg = Object::new();
    set(&msg, name, value);
    let _ = channel.post_message(&msg);
}

/// How long a tab that finds nothing waits for an answer from the other open tabs.
const ASK_WAIT_MS: u32 = 300;

/// `navigator.locks.query()`.
async fn lock_query(locks: &JsValue) -> Option<JsValue> {
    let query: Function = Reflect::get(locks, &JsValue::from_str("query"))
        .ok()?
        .dyn_into()
        .ok()?;
    let promise: Promise = query.call0(locks).ok()?.dyn_into().ok()?;
    JsFuture::from(promise).await.ok()
}

/// Takes the Web Lock `name` and never releases it (it goes with the page).
fn hold_forever(name: &str) {
    if let Some(release) = locks::hold(name) {
        core::mem::forget(release);
    }
}

/// How long a tab that waited behind another tab's fetch waits for its broadcast.
const HANDOFF_WAIT_MS: u32 = 2_000;
/// How long a tab waits for a broadcast when tabs asked for the lock at the same moment (the
/// first one fetches; the others usually hear from it well within this).
const HANDOFF_RACE_MS: u32 = 1_000;

/// Cross-tab sharing: before fetching, take the Web Lock of this endpoint; if another tab fetched
/// while we waited (or recently enough), use what it broadcast; otherwise fetch and broadcast.
pub(crate) struct Shared {
    inner: Direct,
    channel: BroadcastChannel,
    lock_name: String,
    /// This tab's presence lock (held while the source lives), so tabs can tell others exist.
    presence: String,
    received: Rc<RefCell<Received>>,
    /// The body this source last handed out: never handed out again (the cache only asks
    /// again when it needs other credentials, e.g. after OSS rejected these).
    last: RefCell<Option<String>>,
    _on_message: Closure<dyn FnMut(JsValue)>,
}

impl core::fmt::Debug for Shared {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // `last` and `received` hold credential bodies (with the secret): lengths only.
        f.debug_struct("Shared")
            .field("inner", &self.inner)
            .field("lock_name", &self.lock_name)
            .field("presence", &self.presence)
            .field("received", &self.received)
            .field(
                "last",
                &self
                    .last
                    .try_borrow()
                    .ok()
                    .and_then(|l| l.as_ref().map(String::len)),
            )
            .finish_non_exhaustive()
    }
}

impl Shared {
    /// Joins the channel `key`; `None` when BroadcastChannel is unavailable.
    pub(crate) fn new(inner: Direct, key: &str) -> Option<Self> {
        let channel = BroadcastChannel::new(key).ok()?;
        let received: Rc<RefCell<Received>> = Rc::default();
        let r = Rc::clone(&received);
        let answer_on = channel.clone();
        let on_message = Closure::<dyn FnMut(JsValue)>::new(move |ev: JsValue| {
            let data = Reflect::get(&ev, &JsValue::from_str("data")).unwrap_or(JsValue::NULL);
            if let Some(body) = Reflect::get(&data, &JsValue::from_str("credentials"))
                .ok()
                .and_then(|b| b.as_string())
            {
                let mut r = r.borrow_mut();
                r.body = Some(body);
                r.at_ms = now_ms();
            } else if Reflect::get(&data, &JsValue::from_str("ask")).is_ok_and(|a| a.is_truthy()) {
                // A tab that opened after our fetch asks for what we hold.
                let r = r.borrow();
                if let Some(body) = r.body.as_deref().filter(|b| fresh(b, r.at_ms)) {
                    post(&answer_on, "credentials", &JsValue::from_str(body));
                }
            }
        });
        channel.set_onmessage(on_message.as_ref());
        // A random integer: formatting the f64 itself would link Rust's float printing (~10 KB
        // gzip of wasm) for this name alone.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let id = (js_sys::Math::random() * 9_007_199_254_740_992.0) as u64;
        let presence = format!("{key}#tab#{id}");
        hold_forever(&presence);
        Some(Self {
            inner,
            channel,
            lock_name: key.to_owned(),
            presence,
            received,
            last: RefCell::new(None),
            _on_message: on_message,
        })
    }

    /// Whether another tab sharing this source is open (its presence lock is held).
    async fn others_present(&self, locks: &JsValue) -> bool {
        let prefix = format!("{}#tab#", self.lock_name);
        let Some(state) = lock_query(locks).await else {
            return false;
        };
        let held = Reflect::get(&state, &JsValue::from_str("held")).unwrap_or(JsValue::NULL);
        js_sys::Array::is_array(&held)
            && js_sys::Array::from(&held).iter().any(|l| {
                Reflect::get(&l, &JsValue::from_str("name"))
                    .ok()
                    .and_then(|n| n.as_string())
                    .is_some_and(|n| n.starts_with(&prefix) && n != self.presence)
            })
    }

    /// A broadcast body still good for most of its life (at least 60 % left), received after
    /// `since_ms`.
    fn usable(&self, since_ms: i64) -> Option<SourceResponse> {
        let r = self.received.borrow();
        let body = r.body.as_ref()?;
        if r.at_ms < since_ms || self.last.borrow().as_ref() == Some(body) || !fresh(body, r.at_ms)
        {
            return None;
        }
        Some(SourceResponse {
            body: body.clone(),
            date: None,
            sent_ms: r.at_ms,
            received_ms: r.at_ms,
        })
    }

    /// From `navigator.locks.query()`: whether this source's lock is held, and how many
    /// requests for it are pending (ours included).
    async fn lock_state(&self, locks: &JsValue) -> (bool, usize) {
        let Some(state) = lock_query(locks).await else {
            return (false, 0);
        };
        let count = |list: &str| {
            let v = Reflect::get(&state, &JsValue::from_str(list)).unwrap_or(JsValue::NULL);
            if !js_sys::Array::is_array(&v) {
                return 0;
            }
            js_sys::Array::from(&v)
                .iter()
                .filter(|l| {
                    Reflect::get(l, &JsValue::from_str("name"))
                        .ok()
                        .and_then(|n| n.as_string())
                        .is_some_and(|n| n == self.lock_name)
                })
                .count()
        };
        (count("held") > 0, count("pending"))
    }

    /// Tells the other tabs, and remembers the body to answer tabs that ask later.
    fn broadcast(&self, body: &str) {
        post(&self.channel, "credentials", &JsValue::from_str(body));
        let mut r = self.received.borrow_mut();
        r.body = Some(body.to_owned());
        r.at_ms = now_ms();
    }

    async fn fetch_shared(&self) -> core::result::Result<SourceResponse, SourceFailure> {
        let r = self.fetch_shared_once().await?;
        *self.last.borrow_mut() = Some(r.body.clone());
        Ok(r)
    }

    async fn fetch_shared_once(&self) -> core::result::Result<SourceResponse, SourceFailure> {
        if let Some(r) = self.usable(i64::MIN) {
            return Ok(r);
        }
        let waited_since = now_ms();
        let Some(locks) = locks::web_locks() else {
            let r = self.inner.fetch_once().await?;
            self.broadcast(&r.body);
            return Ok(r);
        };
        // navigator.locks.request(name, cb): cb runs holding the lock until the promise it
        // returns settles. Release = resolve the promise we hand back.
        let (Some((held, release)), Some((got, granted))) = (locks::deferred(), locks::deferred())
        else {
            return self.inner.fetch_once().await;
        };
        // Released however this call ends, a caller that stops waiting (an abort, a timeout)
        // included: a lock left held would stop every tab's credential fetches for good. A
        // lock granted after the release is let go at once (its promise is already settled).
        let release = Release(release);
        let is_granted = Rc::new(RefCell::new(false));
        let flag = Rc::clone(&is_granted);
        let cb = Closure::once_into_js(move |_lock: JsValue| -> JsValue {
            *flag.borrow_mut() = true;
            let _ = granted.call0(&JsValue::NULL);
            held.into()
        });
        let Some(request) = locks::request_fn(&locks) else {
            return self.inner.fetch_once().await;
        };
        if request
            .call2(&locks, &JsValue::from_str(&self.lock_name), &cb)
            .is_err()
        {
            return self.inner.fetch_once().await;
        }
        // Our request is queued: if the lock is still not ours while it is held or others wait
        // for it, another tab is fetching and its broadcast is on its way. The lock can be
        // granted here before that message is delivered (they travel apart), so then wait for
        // the message instead of fetching a second time.
        let (held, waiting) = self.lock_state(&locks).await;
        let wait_ms = if *is_granted.borrow() {
            0 // ours already: we fetch
        } else if held {
            HANDOFF_WAIT_MS // another tab holds it: it is fetching
        } else if waiting > 1 {
            HANDOFF_RACE_MS // tabs asked together; one of them will fetch first
        } else {
            0
        };
        let _ = JsFuture::from(got).await;
        if wait_ms > 0 {
            let mut waited = 0;
            while waited < wait_ms && self.usable(waited_since).is_none() {
                sleep_ms(10).await;
                waited += 10;
            }
        }
        // Still nothing: a tab opened before us may hold fresh credentials it fetched before we
        // joined the channel; ask, and give it a moment to answer.
        if self.usable(waited_since).is_none() && self.others_present(&locks).await {
            post(&self.channel, "ask", &JsValue::TRUE);
            let mut waited = 0;
            while waited < ASK_WAIT_MS && self.usable(waited_since).is_none() {
                sleep_ms(10).await;
                waited += 10;
            }
        }
        let result = if let Some(r) = self.usable(waited_since) {
            Ok(r)
        } else {
            let r = self.inner.fetch_once().await;
            if let Ok(ok) = &r {
                self.broadcast(&ok.body);
            }
            r
        };
        drop(release);
        result
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // Detach before the closure goes, so a late message cannot call a dropped closure.
        self.channel.set_onmessage(&JsValue::NULL);
        self.channel.close();
    }
}

/// The source an `OssClient` uses.
#[derive(Debug)]
pub(crate) enum JsSource {
    Direct(Direct),
    Shared(Shared),
}

impl CredentialSource for JsSource {
    async fn fetch(&self) -> core::result::Result<SourceResponse, SourceFailure> {
        match self {
            Self::Direct(d) => d.fetch_once().await,
            Self::Shared(s) => s.fetch_shared().await,
        }
    }
}
