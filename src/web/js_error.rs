//! `Error` → a real JS `Error` named `OssError` with `code`, `field`, `status`, `requestId`,
//! `ec` and `retryable` properties.

use crate::error::Error;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_ERROR: &str = r#"
/** Every error thrown or rejected by this library. */
export interface OssError extends Error {
  name: "OssError";
  /** Stable code: "InvalidArgument", "InvalidState" (a freed object), "CredentialProviderError", "NetworkError",
   *  "RequestAborted", "InvalidResponse", "SignedUrlExpired", "CrcMismatch", "CorsExposeHeadersMissing", "UploadPaused",
   *  or the OSS error code ("SignatureDoesNotMatch", "NoSuchUpload", …). */
  code: string;
  /** The option that was rejected (InvalidArgument only), e.g. "key" or "headers.x-oss-meta-a". */
  field?: string;
  /** HTTP status of an OSS error. */
  status?: number;
  /** OSS request id. */
  requestId?: string;
  /** OSS detailed error code (EC). */
  ec?: string;
  /** The host OSS saw (`<HostId>`). */
  hostId?: string;
  /** SignatureDoesNotMatch: the first difference between what was signed and what OSS received,
   *  e.g. "Content-Type signed as image/png but sent as image/jpeg". */
  diagnosis?: string;
  /** Whether retrying the same request may succeed. */
  retryable: boolean;
}
"#;

#[cfg(feature = "client")]
fn set(obj: &JsValue, key: &str, value: &JsValue) {
    // Setting a property on a fresh Error object cannot fail; ignore the Result either way.
    let _ = super::js::Reflect::set(obj, &JsValue::from_str(key), value);
}

#[cfg(feature = "client")]
impl From<Error> for JsValue {
    fn from(e: Error) -> Self {
        let js = super::js::Error::new(&e.message());
        js.set_name("OssError");
        let v: JsValue = js.into();
        set(&v, "code", &JsValue::from_str(e.code()));
        set(&v, "retryable", &JsValue::from_bool(e.is_retryable()));
        if let Some(f) = e.field() {
            set(&v, "field", &JsValue::from_str(f));
        }
        if let Error::Service(s) = &e {
            set(&v, "status", &JsValue::from(s.status));
            if let Some(id) = &s.request_id {
                set(&v, "requestId", &JsValue::from_str(id));
            }
            if let Some(ec) = &s.ec {
                set(&v, "ec", &JsValue::from_str(ec));
            }
            if let Some(h) = &s.host_id {
                set(&v, "hostId", &JsValue::from_str(h));
            }
            if let Some(d) = &s.diagnosis {
                set(&v, "diagnosis", &JsValue::from_str(d));
            }
        }
        v
    }
}

#[cfg(not(feature = "client"))]
#[wasm_bindgen(module = "/src/web/fast.js")]
extern "C" {
    /// `new Error(message)` named `OssError` with `code`, `retryable` and `field` (when not
    /// empty): the signing-only build's errors carry nothing else.
    #[wasm_bindgen(js_name = ossError)]
    fn oss_error(message: &str, code: &str, field: &str, retryable: bool) -> JsValue;
}

/// The signing-only build: the error object is made in JS (smaller than setting its properties
/// one by one from wasm).
#[cfg(not(feature = "client"))]
impl From<Error> for JsValue {
    fn from(e: Error) -> Self {
        // Only InvalidArgument can arise without the client; its message is built here so that
        // `Error::message` (every variant's wording) is not linked.
        match &e {
            Error::InvalidArgument(e) => oss_error(
                &crate::text::cat(&["invalid ", &e.field, ": ", &e.reason]),
                "InvalidArgument",
                &e.field,
                false,
            ),
            other => oss_error(other.code(), other.code(), "", other.is_retryable()),
        }
    }
}
