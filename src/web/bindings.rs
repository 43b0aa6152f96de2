//! Hand-written bindings to the few Web APIs the client uses, all reached from the global scope
//! so they work in windows and workers alike (no `window()`), and no web-sys features to pay for.
#![allow(missing_docs, unreachable_pub, clippy::struct_field_names)]

use js_sys::{Array, Function, Object, Promise};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// The global `fetch` (Window or WorkerGlobalScope).
    #[wasm_bindgen(js_name = fetch)]
    pub fn global_fetch(input: &str, init: &JsValue) -> Promise;

    #[wasm_bindgen(js_name = setTimeout)]
    pub fn set_timeout(handler: &Function, ms: i32) -> JsValue;

    #[wasm_bindgen(js_name = clearTimeout)]
    pub fn clear_timeout(id: &JsValue);

    #[derive(Debug, Clone)]
    pub type Response;
    #[wasm_bindgen(method, getter)]
    pub fn status(this: &Response) -> u16;
    #[wasm_bindgen(method, getter)]
    pub fn headers(this: &Response) -> Headers;
    #[wasm_bindgen(method, catch)]
    pub fn text(this: &Response) -> Result<Promise, JsValue>;

    /// `TextEncoder`: a string body's UTF-8 bytes, made in JS and kept there (read into wasm a
    /// chunk at a time, never whole).
    #[derive(Debug, Clone)]
    pub type TextEncoder;
    #[wasm_bindgen(constructor)]
    pub fn new() -> TextEncoder;
    #[wasm_bindgen(method)]
    pub fn encode(this: &TextEncoder, text: &JsValue) -> js_sys::Uint8Array;

    #[derive(Debug, Clone)]
    pub type Headers;
    #[wasm_bindgen(method, catch)]
    pub fn get(this: &Headers, name: &str) -> Result<Option<String>, JsValue>;

    #[derive(Debug, Clone)]
    pub type AbortController;
    #[wasm_bindgen(constructor)]
    pub fn new() -> AbortController;
    #[wasm_bindgen(method, getter)]
    pub fn signal(this: &AbortController) -> AbortSignal;
    #[wasm_bindgen(method)]
    pub fn abort(this: &AbortController);

    #[derive(Debug, Clone)]
    pub type AbortSignal;
    #[wasm_bindgen(method, getter)]
    pub fn aborted(this: &AbortSignal) -> bool;
    #[wasm_bindgen(method, js_name = addEventListener)]
    pub fn add_event_listener(this: &AbortSignal, kind: &str, f: &Function);
    #[wasm_bindgen(method, js_name = removeEventListener)]
    pub fn remove_event_listener(this: &AbortSignal, kind: &str, f: &Function);

    #[derive(Debug, Clone)]
    pub type Blob;
    #[wasm_bindgen(constructor, catch)]
    pub fn new(parts: &Array, options: &Object) -> Result<Blob, JsValue>;
    #[wasm_bindgen(method)]
    pub fn slice(this: &Blob, start: f64, end: f64, content_type: &str) -> Blob;
    #[wasm_bindgen(method, getter)]
    pub fn size(this: &Blob) -> f64;
    #[wasm_bindgen(method, getter, js_name = type)]
    pub fn blob_type(this: &Blob) -> String;
    #[wasm_bindgen(method, catch)]
    pub fn stream(this: &Blob) -> Result<JsValue, JsValue>;

    #[derive(Debug, Clone)]
    pub type FormData;
    #[wasm_bindgen(constructor)]
    pub fn new() -> FormData;
    #[wasm_bindgen(method)]
    pub fn append(this: &FormData, name: &str, value: &str);
    #[wasm_bindgen(method, js_name = append)]
    pub fn append_blob(this: &FormData, name: &str, value: &Blob, filename: &str);
    #[wasm_bindgen(method)]
    pub fn get(this: &FormData, name: &str) -> JsValue;

    #[derive(Debug, Clone)]
    pub type XMLHttpRequest;
    #[wasm_bindgen(constructor, catch)]
    pub fn new() -> Result<XMLHttpRequest, JsValue>;
    #[wasm_bindgen(method, catch)]
    pub fn open(this: &XMLHttpRequest, method: &str, url: &str) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = setRequestHeader)]
    pub fn set_request_header(
        this: &XMLHttpRequest,
        name: &str,
        value: &str,
    ) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch)]
    pub fn send(this: &XMLHttpRequest, body: &JsValue) -> Result<(), JsValue>;
    #[wasm_bindgen(method)]
    pub fn abort(this: &XMLHttpRequest);
    #[wasm_bindgen(method, getter)]
    pub fn status(this: &XMLHttpRequest) -> u16;
    #[wasm_bindgen(method, getter, js_name = responseText)]
    pub fn response_text(this: &XMLHttpRequest) -> Option<String>;
    #[wasm_bindgen(method, js_name = getAllResponseHeaders)]
    pub fn get_all_response_headers(this: &XMLHttpRequest) -> String;
    #[wasm_bindgen(method, getter)]
    pub fn upload(this: &XMLHttpRequest) -> JsValue;
    #[wasm_bindgen(method, setter)]
    pub fn set_onload(this: &XMLHttpRequest, f: &Function);
    #[wasm_bindgen(method, setter)]
    pub fn set_onerror(this: &XMLHttpRequest, f: &Function);
    #[wasm_bindgen(method, setter)]
    pub fn set_onabort(this: &XMLHttpRequest, f: &Function);

    #[derive(Debug, Clone)]
    pub type BroadcastChannel;
    #[wasm_bindgen(constructor, catch)]
    pub fn new(name: &str) -> Result<BroadcastChannel, JsValue>;
    #[wasm_bindgen(method, catch, js_name = postMessage)]
    pub fn post_message(this: &BroadcastChannel, msg: &JsValue) -> Result<(), JsValue>;
    #[wasm_bindgen(method, setter)]
    pub fn set_onmessage(this: &BroadcastChannel, f: &JsValue);
    #[wasm_bindgen(method)]
    pub fn close(this: &BroadcastChannel);
}
