//! The browser transport: global `fetch` (XMLHttpRequest when byte progress is asked for), an
//! `AbortSignal` that really cancels the request in flight, timeouts, and the clock.

use super::bindings::{
    clear_timeout, global_fetch, set_timeout, AbortController, AbortSignal, Blob, FormData,
    Response, XMLHttpRequest,
};
use crate::error::{Error, Result};
use crate::upload::client::cors_hint;
use crate::upload::transport::{HttpRequest, HttpResponse, Transport};
use core::cell::{Cell, RefCell};
use js_sys::futures::JsFuture;
use js_sys::{Function, Object, Promise, Reflect};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Response headers read back (others are never needed; CORS may hide any of them).
const READ_HEADERS: [&str; 9] = [
    "etag",
    "x-oss-request-id",
    "x-oss-hash-crc64ecma",
    "date",
    "x-oss-ec",
    "x-oss-err",
    "age",
    // HeadObject's, for a FileAlreadyExists that may be this upload's own object.
    "last-modified",
    "content-type",
];

/// `Date.now()`.
pub(crate) fn now_ms() -> i64 {
    #[allow(clippy::cast_possible_truncation)]
    let ms = js_sys::Date::now() as i64;
    ms
}

/// `globalThis.location.origin`, or "" (for messages).
pub(crate) fn origin() -> String {
    Reflect::get(&js_sys::global(), &JsValue::from_str("location"))
        .and_then(|l| Reflect::get(&l, &JsValue::from_str("origin")))
        .ok()
        .and_then(|o| o.as_string())
        .unwrap_or_default()
}

/// A promise resolved after `ms` milliseconds.
pub(crate) async fn sleep_ms(ms: u32) {
    let p = Promise::new(&mut |resolve, _| {
        let _ = set_timeout(&resolve, i32::try_from(ms).unwrap_or(i32::MAX));
    });
    let _ = JsFuture::from(p).await;
}

/// The message of a thrown JS value.
pub(crate) fn js_message(e: &JsValue) -> String {
    if let Some(s) = e.as_string() {
        return s;
    }
    Reflect::get(e, &JsValue::from_str("message"))
        .ok()
        .and_then(|m| m.as_string())
        .unwrap_or_else(|| String::from("unknown error"))
}

/// The slowest uplink a request body is given time for on top of `timeoutMs` (16 KiB/s: a part
/// of 8 MiB gets 512 s more, one of four at once on a 64 KiB/s line).
const SLOWEST_UPLINK_BYTES_PER_SEC: f64 = 16_384.0;

/// One call's settings: its signal, timeout and progress callback.
pub(crate) struct WebTransport {
    signal: Option<AbortSignal>,
    timeout_ms: u32,
    on_progress: Option<Function>,
    /// Total bytes of the body, for progress events.
    total: Cell<f64>,
    /// Requests sharing the uplink with this one ([`WebTransport::shared_by`]).
    sharing: u32,
}

/// Cancels an in-flight request when the caller's signal fires or the timeout passes; undoes
/// its listeners when dropped.
struct Canceller {
    controller: AbortController,
    signal: Option<AbortSignal>,
    on_abort: Option<Closure<dyn FnMut()>>,
    timer: Option<(JsValue, Closure<dyn FnMut()>)>,
    timed_out: Rc<Cell<bool>>,
    extra: Rc<RefCell<Option<XMLHttpRequest>>>,
}

impl Canceller {
    fn new(signal: Option<&AbortSignal>, timeout_ms: u32) -> Self {
        let controller = AbortController::new();
        let extra: Rc<RefCell<Option<XMLHttpRequest>>> = Rc::default();
        let timed_out = Rc::new(Cell::new(false));
        let abort_all = {
            let ctl = controller.clone();
            let extra = Rc::clone(&extra);
            move || {
                ctl.abort();
                if let Some(x) = extra.borrow().as_ref() {
                    x.abort();
                }
            }
        };
        let on_abort = signal.map(|s| {
            let f = abort_all.clone();
            let cl = Closure::<dyn FnMut()>::new(f);
            s.add_event_listener("abort", cl.as_ref().unchecked_ref());
            cl
        });
        let timer = (timeout_ms > 0).then(|| {
            let flag = Rc::clone(&timed_out);
            let f = abort_all;
            let cl = Closure::<dyn FnMut()>::new(move || {
                flag.set(true);
                f();
            });
            let id = set_timeout(
                cl.as_ref().unchecked_ref(),
                i32::try_from(timeout_ms).unwrap_or(i32::MAX),
            );
            (id, cl)
        });
        Self {
            controller,
            signal: signal.cloned(),
            on_abort,
            timer,
            timed_out,
            extra,
        }
    }

    /// The error for a rejection: aborted by the caller, timed out, or a network failure.
    fn error(&self, e: &JsValue, method: &str, url: &str, timeout_ms: u32) -> Error {
        if self.signal.as_ref().is_some_and(AbortSignal::aborted) {
            return Error::Aborted;
        }
        let mut m = String::new();
        if self.timed_out.get() {
            m.push_str("timed out after ");
            m.push_str(&timeout_ms.to_string());
            m.push_str(" ms");
        } else {
            m.push_str(&js_message(e));
        }
        m.push_str(" (");
        m.push_str(method);
        m.push(' ');
        m.push_str(url.split('?').next().unwrap_or(url));
        m.push(')');
        // A request the browser refused looks like any network failure; one that ran out of
        // time got through, so CORS advice would send the reader the wrong way.
        if !self.timed_out.get() {
            m.push_str("; ");
            m.push_str(&cors_hint(&origin(), method));
        }
        Error::Network(m)
    }
}

impl Drop for Canceller {
    fn drop(&mut self) {
        if let (Some(s), Some(cl)) = (&self.signal, &self.on_abort) {
            s.remove_event_listener("abort", cl.as_ref().unchecked_ref());
        }
        if let Some((id, _)) = &self.timer {
            clear_timeout(id);
        }
    }
}

/// The bytes of a request body: a Blob's size (a form's file), or a string's UTF-8 length.
fn body_size(b: &JsValue) -> f64 {
    let file = b.dyn_ref::<FormData>().map(|f| f.get("file"));
    let b = file.as_ref().unwrap_or(b);
    #[allow(clippy::cast_precision_loss)]
    b.dyn_ref::<Blob>()
        .map_or_else(|| b.as_string().map_or(0.0, |s| s.len() as f64), Blob::size)
}

fn set(obj: &Object, k: &str, v: &JsValue) {
    let _ = Reflect::set(obj, &JsValue::from_str(k), v);
}

impl WebTransport {
    pub(crate) fn new(
        signal: Option<AbortSignal>,
        timeout_ms: u32,
        on_progress: Option<Function>,
    ) -> Self {
        Self {
            signal,
            timeout_ms,
            on_progress,
            total: Cell::new(0.0),
            sharing: 1,
        }
    }

    /// This request shares the uplink with `n - 1` others sent with it (the parts of a
    /// multipart upload in flight at once): each gets the time its bytes take at 1/n of
    /// [`SLOWEST_UPLINK_BYTES_PER_SEC`].
    pub(crate) fn shared_by(mut self, n: usize) -> Self {
        self.sharing = u32::try_from(n.max(1)).unwrap_or(u32::MAX);
        self
    }

    pub(crate) fn set_total(&self, bytes: f64) {
        self.total.set(bytes);
    }

    /// The timeout of a request with `body`: `timeout_ms`, plus the time its bytes take at
    /// [`SLOWEST_UPLINK_BYTES_PER_SEC`]. The timeout is there for requests that hang, not for
    /// ones still sending: a flat 120 s failed every 8 MiB part, or 100 MiB file, on an uplink
    /// slower than 280 KB/s (4 parts at once) or 850 KB/s, attempt after attempt.
    fn timeout_for(&self, body: Option<&JsValue>) -> u32 {
        if self.timeout_ms == 0 {
            return 0;
        }
        let bytes = body.map_or(0.0, body_size);
        let rate = SLOWEST_UPLINK_BYTES_PER_SEC / f64::from(self.sharing);
        let ms = f64::from(self.timeout_ms) + bytes * 1000.0 / rate;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let ms = ms.min(f64::from(u32::MAX)) as u32;
        ms
    }

    async fn fetch(&self, req: HttpRequest<JsValue>) -> Result<HttpResponse> {
        let timeout_ms = self.timeout_for(req.body.as_ref());
        let cancel = Canceller::new(self.signal.as_ref(), timeout_ms);
        let init = Object::new();
        set(&init, "method", &JsValue::from_str(&req.method));
        let headers = Object::new();
        for (k, v) in &req.headers {
            set(&headers, k, &JsValue::from_str(v));
        }
        set(&init, "headers", &headers);
        if let Some(b) = &req.body {
            set(&init, "body", b);
        }
        set(&init, "signal", &cancel.controller.signal());
        set(&init, "cache", &JsValue::from_str("no-store"));
        set(&init, "credentials", &JsValue::from_str("omit"));
        set(&init, "mode", &JsValue::from_str("cors"));
        let resp = JsFuture::from(global_fetch(&req.url, &init))
            .await
            .map_err(|e| cancel.error(&e, &req.method, &req.url, timeout_ms))?;
        let resp: Response = resp.unchecked_into();
        let h = resp.headers();
        let headers = READ_HEADERS
            .iter()
            .filter_map(|n| h.get(n).ok().flatten().map(|v| ((*n).to_owned(), v)))
            .collect();
        let text = match resp.text() {
            Ok(p) => JsFuture::from(p)
                .await
                .map_err(|e| cancel.error(&e, &req.method, &req.url, timeout_ms))?
                .as_string()
                .unwrap_or_default(),
            Err(_) => String::new(),
        };
        Ok(HttpResponse {
            status: resp.status(),
            headers,
            body: text,
        })
    }

    /// XMLHttpRequest, for upload progress events (fetch has none).
    async fn xhr(
        &self,
        xhr: XMLHttpRequest,
        req: HttpRequest<JsValue>,
        on_progress: &Function,
    ) -> Result<HttpResponse> {
        let timeout_ms = self.timeout_for(req.body.as_ref());
        let cancel = Canceller::new(self.signal.as_ref(), timeout_ms);
        xhr.open(&req.method, &req.url)
            .map_err(|e| Error::invalid("url", js_message(&e)))?;
        for (k, v) in &req.headers {
            xhr.set_request_header(k, v)
                .map_err(|e| Error::invalid("headers", js_message(&e)))?;
        }
        *cancel.extra.borrow_mut() = Some(xhr.clone());
        let total = self.total.get();
        let progress_cb = on_progress.clone();
        let progress = Closure::<dyn FnMut(JsValue)>::new(move |ev: JsValue| {
            let loaded =
                Reflect::get(&ev, &JsValue::from_str("loaded")).unwrap_or(JsValue::from(0));
            let info = Object::new();
            set(&info, "loaded", &loaded);
            set(&info, "total", &JsValue::from_f64(total));
            let _ = progress_cb.call1(&JsValue::NULL, &info);
        });
        let _ = Reflect::set(
            &xhr.upload(),
            &JsValue::from_str("onprogress"),
            progress.as_ref(),
        );
        let outcome: Rc<Cell<u8>> = Rc::default(); // 1 load, 2 error, 3 abort
        let mut handlers: Vec<Closure<dyn FnMut()>> = Vec::new();
        let done = Promise::new(&mut |resolve, _| {
            for (code, setter) in [
                (
                    1u8,
                    XMLHttpRequest::set_onload as fn(&XMLHttpRequest, &Function),
                ),
                (2, XMLHttpRequest::set_onerror),
                (3, XMLHttpRequest::set_onabort),
            ] {
                let o = Rc::clone(&outcome);
                let r = resolve.clone();
                let cl = Closure::<dyn FnMut()>::new(move || {
                    o.set(code);
                    let _ = r.call0(&JsValue::NULL);
                });
                setter(&xhr, cl.as_ref().unchecked_ref());
                handlers.push(cl);
            }
        });
        if cancel.signal.as_ref().is_some_and(AbortSignal::aborted) {
            return Err(Error::Aborted);
        }
        xhr.send(req.body.as_ref().unwrap_or(&JsValue::NULL))
            .map_err(|e| cancel.error(&e, &req.method, &req.url, timeout_ms))?;
        let _ = JsFuture::from(done).await;
        // Detach every handler before its closure is dropped: a late event must find none.
        let _ = Reflect::set(
            &xhr.upload(),
            &JsValue::from_str("onprogress"),
            &JsValue::NULL,
        );
        for name in ["onload", "onerror", "onabort"] {
            let _ = Reflect::set(&xhr, &JsValue::from_str(name), &JsValue::NULL);
        }
        drop(handlers);
        drop(progress);
        match outcome.get() {
            1 => {
                let headers = crate::upload::transport::pick_headers(
                    &xhr.get_all_response_headers(),
                    &READ_HEADERS,
                );
                if xhr.status() == 0 {
                    return Err(cancel.error(
                        &JsValue::from_str("request failed"),
                        &req.method,
                        &req.url,
                        timeout_ms,
                    ));
                }
                Ok(HttpResponse {
                    status: xhr.status(),
                    headers,
                    body: xhr.response_text().unwrap_or_default(),
                })
            }
            _ => Err(cancel.error(
                &JsValue::from_str("Failed to fetch"),
                &req.method,
                &req.url,
                timeout_ms,
            )),
        }
    }
}

impl Transport for WebTransport {
    type Body = JsValue;

    async fn send(&self, req: HttpRequest<JsValue>) -> Result<HttpResponse> {
        self.check_aborted()?;
        // Without XMLHttpRequest (a Service Worker), fetch, which reports no upload progress:
        // one event once the body is sent, as XHR's last one.
        let progress = match (&self.on_progress, &req.body) {
            (Some(f), Some(body)) => match XMLHttpRequest::new() {
                Ok(xhr) => return self.xhr(xhr, req, f).await,
                Err(_) => Some((f, body_size(body))),
            },
            _ => None,
        };
        let resp = self.fetch(req).await?;
        if let Some((f, bytes)) = progress {
            let info = Object::new();
            set(&info, "loaded", &JsValue::from_f64(bytes));
            set(&info, "total", &JsValue::from_f64(self.total.get()));
            let _ = f.call1(&JsValue::NULL, &info);
        }
        Ok(resp)
    }

    /// A retry's backoff, ended early by the caller's signal (the next `send` then rejects with
    /// RequestAborted): an abort must not wait out a backoff of up to 10 s.
    async fn sleep(&self, ms: u32) {
        let Some(signal) = &self.signal else {
            return sleep_ms(ms).await;
        };
        if signal.aborted() {
            return;
        }
        let mut done: Option<Function> = None;
        let p = Promise::new(&mut |resolve, _| {
            let _ = set_timeout(&resolve, i32::try_from(ms).unwrap_or(i32::MAX));
            done = Some(resolve);
        });
        let Some(done) = done else { return };
        let on_abort = Closure::<dyn FnMut()>::new(move || {
            let _ = done.call0(&JsValue::NULL);
        });
        signal.add_event_listener("abort", on_abort.as_ref().unchecked_ref());
        let _listening = super::client::Listening { signal, on_abort };
        let _ = JsFuture::from(p).await;
    }

    fn now_ms(&self) -> i64 {
        now_ms()
    }

    fn jitter(&self) -> u32 {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let j = (js_sys::Math::random() * 4_294_967_296.0) as u32;
        j
    }

    fn check_aborted(&self) -> Result<()> {
        if self.signal.as_ref().is_some_and(AbortSignal::aborted) {
            Err(Error::Aborted)
        } else {
            Ok(())
        }
    }

    fn interruptible(&self) -> Option<u32> {
        (self.signal.is_some() || self.timeout_ms > 0).then_some(self.timeout_ms)
    }

    fn form(&self, fields: &[(String, String)], file: &JsValue) -> JsValue {
        let form = FormData::new();
        for (k, v) in fields {
            form.append(k, v);
        }
        if let Some(b) = file.dyn_ref::<Blob>() {
            let name = Reflect::get(b, &JsValue::from_str("name"))
                .ok()
                .and_then(|n| n.as_string())
                .unwrap_or_else(|| String::from("blob"));
            form.append_blob("file", b, &name);
        }
        form.into()
    }
}
