//! Upload bodies: File | Blob | ArrayBuffer | Uint8Array | string, re-typed so the browser sends
//! exactly the Content-Type that was signed (or none), and their CRC64 computed in chunks —
//! a File is streamed, bytes and a string's UTF-8 copied a chunk at a time: no body is ever read
//! whole into wasm memory (which never shrinks).

use super::bindings::Blob;
use crate::credentials::flight::Flight;
use crate::error::{Error, Result};
use core::cell::Cell;
use js_sys::futures::JsFuture;
use js_sys::{Array, ArrayBuffer, Object, Reflect, Uint8Array};
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};

const CHUNK: u32 = 1 << 20;

enum Kind {
    Blob(Blob),
    /// An ArrayBuffer's or Uint8Array's bytes, or a string's UTF-8 (encoded in JS).
    Bytes(Uint8Array),
}

/// A body as given by the caller.
pub(crate) struct Body {
    kind: Kind,
    value: JsValue,
    /// The CRC64 of bytes or text, taken with the snapshot `retyped` sends.
    snapshot_crc: Cell<Option<u64>>,
}

/// Whether an `ArrayBuffer` was transferred or detached: `ArrayBuffer.prototype.detached`, or
/// where an engine lacks it, a 0-byte buffer that cannot be sliced.
pub(crate) fn is_detached(buf: &JsValue) -> bool {
    let get = |name: &str| Reflect::get(buf, &JsValue::from_str(name)).ok();
    match get("detached").and_then(|v| v.as_bool()) {
        Some(d) => d,
        None => {
            get("byteLength").and_then(|v| v.as_f64()) == Some(0.0)
                && get("slice")
                    .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
                    .is_some_and(|f| f.call0(buf).is_err())
        }
    }
}

impl Body {
    /// Classifies `value`; anything else is rejected naming `field`.
    pub(crate) fn read(value: &JsValue, field: &str) -> Result<Self> {
        // A transferred (detached) buffer reads as empty: refused rather than uploaded as an
        // empty object (and `new Uint8Array` of one throws).
        let refused = || {
            Error::invalid(
                field,
                "is backed by a detached ArrayBuffer (transferred or resized away): no bytes to send",
            )
        };
        let kind = if let Some(b) = value.dyn_ref::<Blob>() {
            Kind::Blob(b.clone())
        } else if let Some(buf) = value.dyn_ref::<ArrayBuffer>() {
            if is_detached(buf) {
                return Err(refused());
            }
            Kind::Bytes(Uint8Array::new(buf))
        } else if let Some(a) = value.dyn_ref::<Uint8Array>() {
            if is_detached(&a.buffer()) {
                return Err(refused());
            }
            Kind::Bytes(a.clone())
        } else if value.is_string() {
            // TextEncoder writes U+FFFD for a lone surrogate, as the Blob sent is made.
            Kind::Bytes(super::bindings::TextEncoder::new().encode(value))
        } else {
            return Err(Error::invalid(
                field,
                "must be a File, Blob, ArrayBuffer, Uint8Array or string",
            ));
        };
        Ok(Self {
            kind,
            value: value.clone(),
            snapshot_crc: Cell::new(None),
        })
    }

    /// The Blob's own type (File/Blob only), if not empty.
    pub(crate) fn own_type(&self) -> Option<String> {
        match &self.kind {
            Kind::Blob(b) => Some(b.blob_type()).filter(|t| !t.is_empty()),
            Kind::Bytes(_) => None,
        }
    }

    /// The File's name, if any.
    pub(crate) fn name(&self) -> Option<String> {
        match &self.kind {
            Kind::Blob(b) => Reflect::get(b, &JsValue::from_str("name"))
                .ok()
                .and_then(|n| n.as_string())
                .filter(|n| !n.is_empty()),
            Kind::Bytes(_) => None,
        }
    }

    /// Size in bytes.
    pub(crate) fn size(&self) -> f64 {
        match &self.kind {
            Kind::Blob(b) => b.size(),
            Kind::Bytes(a) => f64::from(a.length()),
        }
    }

    /// A Blob of the same bytes whose type is exactly `content_type` ("" = none), so fetch and
    /// XMLHttpRequest send that Content-Type and no other.
    pub(crate) fn retyped(&self, content_type: &str) -> Result<JsValue> {
        // Bytes and text are hashed now, with the copy taken here, not when the upload starts: a
        // buffer the caller refills while the upload waits for a slot must not be what is
        // hashed (the copy is what is sent).
        self.snapshot_crc.set(self.bytes_crc64());
        let blob = match &self.kind {
            Kind::Blob(b) => b.slice(0.0, b.size(), content_type),
            Kind::Bytes(_) => {
                let opts = Object::new();
                let _ = Reflect::set(
                    &opts,
                    &JsValue::from_str("type"),
                    &JsValue::from_str(content_type),
                );
                Blob::new(&Array::of1(&self.value), &opts)
                    .map_err(|e| Error::invalid("body", super::transport::js_message(&e)))?
            }
        };
        Ok(blob.into())
    }

    /// The CRC64 of bytes or text, at once (`None` for a Blob, read in the background).
    fn bytes_crc64(&self) -> Option<u64> {
        match &self.kind {
            Kind::Bytes(a) => Some(bytes_crc(a, 0, &mut Vec::new())),
            Kind::Blob(_) => None,
        }
    }

    /// Starts computing the CRC64 in the background (streaming a Blob in chunks); the result is
    /// awaited after the upload. `cancel` stops it early.
    pub(crate) fn crc64_task(&self, cancel: &Rc<Cell<bool>>) -> Rc<Flight<Option<u64>>> {
        let flight = Flight::new();
        if cancel.get() {
            flight.complete(None);
            return flight;
        }
        match &self.kind {
            Kind::Bytes(_) => {
                flight.complete(self.snapshot_crc.get().or_else(|| self.bytes_crc64()));
            }
            Kind::Blob(b) => {
                let b = b.clone();
                let f = Rc::clone(&flight);
                let cancel = Rc::clone(cancel);
                js_sys::futures::spawn_local(async move {
                    let v = blob_crc(&b, &cancel).await;
                    f.complete(v);
                });
            }
        }
        flight
    }
}

/// The CRC64 of `a` continued from `crc`, through a copy into wasm memory [`CHUNK`] bytes at a
/// time (in `buf`, which the caller may reuse).
pub(crate) fn bytes_crc(a: &Uint8Array, mut crc: u64, buf: &mut Vec<u8>) -> u64 {
    let len = a.length();
    let mut at = 0;
    while at < len {
        let end = len.min(at.saturating_add(CHUNK));
        buf.resize(usize::try_from(end - at).unwrap_or(0), 0);
        a.subarray(at, end).copy_to(buf);
        crc = crate::crc64::update(crc, buf);
        at = end;
    }
    crc
}

async fn blob_crc(b: &Blob, cancel: &Cell<bool>) -> Option<u64> {
    let stream = b.stream().ok()?;
    let get_reader: js_sys::Function = Reflect::get(&stream, &JsValue::from_str("getReader"))
        .ok()?
        .dyn_into()
        .ok()?;
    let reader = get_reader.call0(&stream).ok()?;
    let read: js_sys::Function = Reflect::get(&reader, &JsValue::from_str("read"))
        .ok()?
        .dyn_into()
        .ok()?;
    let mut crc = 0u64;
    let mut buf = Vec::new();
    loop {
        if cancel.get() {
            if let Ok(c) = Reflect::get(&reader, &JsValue::from_str("cancel")) {
                if let Some(f) = c.dyn_ref::<js_sys::Function>() {
                    let _ = f.call0(&reader);
                }
            }
            return None;
        }
        let p: js_sys::Promise = read.call0(&reader).ok()?.dyn_into().ok()?;
        let chunk = JsFuture::from(p).await.ok()?;
        if Reflect::get(&chunk, &JsValue::from_str("done"))
            .ok()?
            .as_bool()
            == Some(true)
        {
            return Some(crc);
        }
        let value: Uint8Array = Reflect::get(&chunk, &JsValue::from_str("value"))
            .ok()?
            .dyn_into()
            .ok()?;
        buf.resize(usize::try_from(value.length()).unwrap_or(0), 0);
        value.copy_to(&mut buf);
        crc = crate::crc64::update(crc, &buf);
    }
}
