//! The fast lane of `signRequest` / `presignUrl` and of the `Signer`'s methods, and the answer
//! format of every signed request and presigned URL. Its JS half is src/web/fast.js (a
//! wasm-bindgen snippet; the packed format is described there).
//!
//! Plain input is packed in JS without `JSON.stringify` and read here without copying; anything
//! unusual makes `packCall` return `undefined` and the caller reads its JSON snapshot instead
//! (the general path, which has every error). tests/crosscheck/signer-fast-lane.test.mjs runs
//! both lanes on the same inputs.

use super::packed::Packed;
use crate::error::{Error, Result};
use crate::prelude::*;
use crate::text::parse_int;
use crate::time::UnixTime;
use wasm_bindgen::prelude::*;

/// Fields fixed when a `Signer` is created; a call that gives one is refused rather than
/// silently signing with the signer's value (fast.js has the same list).
pub(super) const FIXED: [&str; 8] = [
    "credentials",
    "region",
    "endpoint",
    "endpointType",
    "cname",
    "pathStyle",
    "cloudBoxId",
    "allowInsecureHttp",
];

#[wasm_bindgen(module = "/src/web/fast.js")]
extern "C" {
    #[wasm_bindgen(js_name = packCall)]
    pub(super) fn pack_call(input: &JsValue, presign: bool, standalone: bool) -> Option<String>;
    /// `JSON.stringify` with non-finite numbers marked (see `Packed`); throws on a cycle or a
    /// BigInt.
    #[wasm_bindgen(catch, js_name = snapshotText)]
    pub(super) fn snapshot_text(input: &JsValue) -> core::result::Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = unpackSigned)]
    fn unpack_signed(packed: &str, expires_ms: f64) -> JsValue;
}

/// `{url, headers[, expiresAt]}` of a signed request or presigned URL, crossing the boundary as
/// one string, `url NUL (name NUL value NUL)*`, that `unpackSigned` splits. Header values never
/// hold NUL (refused on input), nor does a URL (percent-encoded).
pub(super) fn result(
    url: &str,
    headers: &[(String, String)],
    expires_at: Option<UnixTime>,
) -> JsValue {
    let len = url.len()
        + headers
            .iter()
            .map(|(k, v)| k.len() + v.len() + 2)
            .sum::<usize>()
        + 1;
    let mut out = String::with_capacity(len);
    out.push_str(url);
    out.push('\0');
    for (k, v) in headers {
        out.push_str(k);
        out.push('\0');
        out.push_str(v);
        out.push('\0');
    }
    #[allow(clippy::cast_precision_loss)]
    let expires_ms = expires_at.map_or(f64::NAN, |t| t.secs() as f64 * 1000.0);
    unpack_signed(&out, expires_ms)
}

/// The per-request fields of one call, in the order `signRequest` reads them.
pub(super) struct CallFields<'a> {
    pub(super) method: &'a str,
    pub(super) bucket: Option<&'a str>,
    pub(super) key: Option<&'a str>,
    pub(super) headers: Vec<(String, String)>,
    pub(super) query: Vec<(String, Option<String>)>,
    pub(super) additional: Vec<String>,
}

impl<'a> CallFields<'a> {
    /// From the general path's JSON snapshot, refusing fields fixed by the signer.
    pub(super) fn read(input: &Packed<'a>) -> Result<Self> {
        for name in FIXED {
            if input.has(name) {
                return Err(Error::invalid(
                    name,
                    "is fixed when the Signer is created (new credentials: setCredentials)",
                ));
            }
        }
        Ok(Self {
            method: input.str("method")?,
            bucket: input.opt_str("bucket")?,
            key: input.opt_str("key")?,
            headers: input.string_map("headers")?,
            query: input.query_map("query")?,
            additional: input.string_list("additionalHeaders")?,
        })
    }
}

/// Text that `packCall` did not write.
struct Malformed;

/// `''` → absent, `'=' + text` → the text.
fn optional(v: &str) -> core::result::Result<Option<&str>, Malformed> {
    if v.is_empty() {
        Ok(None)
    } else {
        v.get(1..).map(Some).ok_or(Malformed)
    }
}

fn count(v: &str) -> Option<usize> {
    usize::try_from(parse_int(v)?).ok()
}

/// Where a standalone `signRequest` / `presignUrl` call signs, and with what credentials.
pub(super) struct Location<'a> {
    pub(super) region: &'a str,
    pub(super) cloud_box_id: Option<&'a str>,
    pub(super) endpoint: Option<&'a str>,
    pub(super) endpoint_type: Option<&'a str>,
    pub(super) cname: bool,
    pub(super) path_style: bool,
    pub(super) allow_insecure_http: bool,
    pub(super) access_key_id: &'a str,
    pub(super) access_key_secret: &'a str,
    pub(super) security_token: Option<&'a str>,
}

/// A call packed by `packCall`.
pub(super) struct FastCall<'a> {
    /// Standalone calls only (a `Signer` has its own).
    pub(super) location: Option<Location<'a>>,
    pub(super) time: UnixTime,
    /// `expiresInSecs` of `presignUrl`, else 0.
    pub(super) expires: i64,
    pub(super) fields: CallFields<'a>,
}

impl<'a> FastCall<'a> {
    /// `None` when the text is not what `packCall` writes (then the general path reads the input).
    pub(super) fn parse(packed: &'a str, standalone: bool) -> Option<Self> {
        let mut it = packed.strip_prefix('\u{80}')?.split('\0');
        let location = if standalone {
            let region = it.next()?;
            let cloud_box_id = optional(it.next()?).ok()?;
            let endpoint = optional(it.next()?).ok()?;
            let endpoint_type = optional(it.next()?).ok()?;
            let flags = it.next()?.as_bytes();
            let flag = |i: usize| flags.get(i) == Some(&b'1');
            Some(Location {
                region,
                cloud_box_id,
                endpoint,
                endpoint_type,
                cname: flag(0),
                path_style: flag(1),
                allow_insecure_http: flag(2),
                access_key_id: it.next()?,
                access_key_secret: it.next()?,
                security_token: optional(it.next()?).ok()?,
            })
        } else {
            None
        };
        let time = UnixTime::from_secs(parse_int(it.next()?)?.div_euclid(1000))?;
        let expires = match it.next()? {
            "" => 0,
            e => parse_int(e)?,
        };
        let method = it.next()?;
        let bucket = optional(it.next()?).ok()?;
        let key = optional(it.next()?).ok()?;
        let mut headers = Vec::with_capacity(4);
        for _ in 0..count(it.next()?)? {
            headers.push((it.next()?.to_owned(), it.next()?.to_owned()));
        }
        let mut query = Vec::new();
        for _ in 0..count(it.next()?)? {
            let k = it.next()?.to_owned();
            query.push((k, optional(it.next()?).ok()?.map(str::to_owned)));
        }
        let mut additional = Vec::new();
        for _ in 0..count(it.next()?)? {
            additional.push(it.next()?.to_owned());
        }
        Some(Self {
            location,
            time,
            expires,
            fields: CallFields {
                method,
                bucket,
                key,
                headers,
                query,
                additional,
            },
        })
    }
}
