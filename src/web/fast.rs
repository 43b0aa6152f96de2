//! How `signRequest` / `presignUrl` and the `Signer` read their argument, and the answer format
//! of every signed request and presigned URL. Its JS half is src/web/fast.js (a wasm-bindgen
//! snippet; the packed format is described there).
//!
//! Every argument is packed in JS into one string of fields, read here without copying: a plain
//! object with the right types as it is (the fast lane), anything else after `JSON.stringify`
//! and a type check of each field in JS, which throws an `OssError` naming the field. Values are
//! checked here. tests/crosscheck/signer-fast-lane.test.mjs runs both lanes on the same inputs.

use crate::credentials::Credentials;
use crate::error::{Error, Result};
use crate::prelude::*;
use crate::signer::{self, Request, SigningKeyCache};
use crate::text::parse_int;
use crate::time::UnixTime;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/web/fast.js")]
extern "C" {
    /// The packed call; throws an `OssError` on a wrong type.
    #[wasm_bindgen(catch, js_name = packCall)]
    pub(super) fn pack_call(
        input: &JsValue,
        presign: bool,
        standalone: bool,
    ) -> core::result::Result<String, JsValue>;
    /// `new Signer(options)` packed: bucket?, then the location.
    #[wasm_bindgen(catch, js_name = packSigner)]
    pub(super) fn pack_signer(options: &JsValue) -> core::result::Result<String, JsValue>;
    /// `setCredentials(credentials)` packed: id, secret, token?.
    #[wasm_bindgen(catch, js_name = packCredentials)]
    pub(super) fn pack_credentials(credentials: &JsValue) -> core::result::Result<String, JsValue>;
    /// `signPostPolicy(input)` packed (policy text checked); throws an `OssError` on a wrong type.
    #[wasm_bindgen(catch, js_name = packSignPolicy)]
    pub(super) fn pack_sign_policy(input: &JsValue) -> core::result::Result<String, JsValue>;
    /// `buildPostPolicy(input)` packed; throws an `OssError` on a wrong type.
    #[wasm_bindgen(catch, js_name = packBuildPolicy)]
    pub(super) fn pack_build_policy(input: &JsValue) -> core::result::Result<String, JsValue>;
    #[wasm_bindgen(js_name = unpackSigned)]
    fn unpack_signed(packed: &str, expires_ms: f64) -> JsValue;
    /// The answer of `signPostPolicy` / `buildPostPolicy` (src/web/api.rs `post_result`).
    #[wasm_bindgen(js_name = unpackPost)]
    pub(super) fn unpack_post(packed: &str, key: &str, built: &str, expires_ms: f64) -> JsValue;
}

/// `{url, headers[, expiresAt]}` of a signed request or presigned URL, crossing the boundary as
/// one string, `url NUL (name NUL value NUL)*`, that `unpackSigned` splits. Header values never
/// hold NUL (refused on input), nor does a URL (percent-encoded).
pub(super) fn result(
    url: &str,
    headers: &[(String, String)],
    expires_at: Option<UnixTime>,
) -> JsValue {
    let mut len = url.len() + 1;
    for (k, v) in headers {
        len += k.len() + v.len() + 2;
    }
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

/// Signs `req` (or, with `expires`, presigns it for that many seconds) and answers as
/// [`result`] does: the end of every `signRequest` / `presignUrl` call, standalone or a Signer's.
pub(super) fn sign(
    req: &Request,
    creds: &Credentials,
    now: UnixTime,
    expires: Option<i64>,
    keys: &mut SigningKeyCache,
) -> Result<JsValue> {
    Ok(if let Some(secs) = expires {
        let p = signer::presign(req, creds, now, secs, keys)?;
        result(&p.url, &p.headers, Some(p.expires_at))
    } else {
        let signed = signer::sign_request(req, creds, now, keys);
        result(&signed.url, &signed.headers, None)
    })
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

/// A packed argument that `fast.js` did not write (never, short of a bug).
pub(super) fn malformed() -> Error {
    Error::invalid("input", "could not be read")
}

/// A type error that the checking lane of fast.js found in a field which the general API reads
/// after some of wasm's own checks: raised at that stage (for requests: 0 after the endpoint
/// type, 1 after the request, 2 after plain http or the Signer's location, 3 after the
/// credentials; the post-policy exports number their own checks), so that the same bad input
/// names the same field first whichever lane or export reads it.
#[derive(Default)]
pub(super) struct Pending<'a>(Option<(u8, &'a str, &'a str)>);

impl Pending<'_> {
    /// The pending error when it belongs at `stage` or before.
    pub(super) fn at(&self, stage: u8) -> Result<()> {
        match self.0 {
            Some((s, field, why)) if s <= stage => Err(Error::invalid(field, why)),
            _ => Ok(()),
        }
    }
}

/// The fields of a packed argument, split at its separator (see fast.js): the text not yet read
/// and the separator. A byte search is exact: the separator is a character that occurs in no
/// field, and UTF-8 never encodes one character inside another.
pub(super) struct Reader<'a> {
    rest: &'a str,
    sep: &'a str,
}

impl<'a> Reader<'a> {
    /// The reader of the fields, after the pending error of the checking lane.
    pub(super) fn new(packed: &'a str) -> Result<(Self, Pending<'a>)> {
        if let Some(rest) = packed.strip_prefix('\u{80}') {
            return Ok((Self { rest, sep: "\0" }, Pending::default()));
        }
        let text = packed.strip_prefix('\u{81}').ok_or_else(malformed)?;
        let sep_len = text.chars().next().ok_or_else(malformed)?.len_utf8();
        let mut it = Self {
            rest: text.get(sep_len..).unwrap_or_default(),
            sep: text.get(..sep_len).unwrap_or_default(),
        };
        let stage = it.next();
        let (field, why) = (it.next(), it.next());
        let pending = if stage.is_empty() {
            None
        } else {
            let s = parse_int(stage).and_then(|s| u8::try_from(s).ok());
            Some((s.ok_or_else(malformed)?, field, why))
        };
        Ok((it, Pending(pending)))
    }

    /// The next field (every field, the last included, ends with the separator). The reader
    /// never fails: fast.js writes every field an export reads, so a missing one (a bug, never
    /// input) reads as empty and then fails the value checks like an empty field.
    pub(super) fn next(&mut self) -> &'a str {
        let bytes = self.rest.as_bytes();
        let sep = self.sep.as_bytes();
        let first = sep.first().copied().unwrap_or_default();
        let mut i = 0;
        while let Some(&b) = bytes.get(i) {
            if b == first && bytes.get(i..i + sep.len()) == Some(sep) {
                let field = self.rest.get(..i).unwrap_or_default();
                self.rest = self.rest.get(i + sep.len()..).unwrap_or_default();
                return field;
            }
            i += 1;
        }
        core::mem::take(&mut self.rest)
    }

    /// `''` → absent, `'=' + text` → the text.
    pub(super) fn optional(&mut self) -> Option<&'a str> {
        self.next().get(1..)
    }

    /// id, secret, token? as packed, checked.
    pub(super) fn credentials(&mut self) -> Result<Credentials> {
        let id = self.next();
        let secret = self.next();
        Credentials::new(id, secret, self.optional().map(str::to_owned))
    }

    /// An optional whole number (its range checked in JS): `''` → absent.
    pub(super) fn opt_int(&mut self) -> Option<i64> {
        parse_int(self.next())
    }

    /// A count of the fields that follow; never more than the bytes left (each field ends with
    /// a separator), so a loop over it stays within the input whatever the count says.
    pub(super) fn count(&mut self) -> usize {
        parse_int(self.next())
            .and_then(|n| usize::try_from(n).ok())
            .map_or(0, |n| n.min(self.rest.len()))
    }

    fn location(&mut self) -> Location<'a> {
        let region = self.next();
        let cloud_box_id = self.optional();
        let endpoint = self.optional();
        let endpoint_type = self.optional();
        let flags = self.next().as_bytes();
        let flag = |i: usize| flags.get(i) == Some(&b'1');
        Location {
            region,
            cloud_box_id,
            endpoint,
            endpoint_type,
            cname: flag(0),
            path_style: flag(1),
            allow_insecure_http: flag(2),
            access_key_id: self.next(),
            access_key_secret: self.next(),
            security_token: self.optional(),
        }
    }
}

/// The product a CloudBox signs for.
pub(super) const CLOUD_BOX_PRODUCT: &str = "oss-cloudbox";

/// OSS on CloudBox (`cloudBoxId`, which needs its `endpoint`): the ID, checked, for which
/// requests and policies are signed as for a region.
pub(super) fn cloud_box(
    id: Option<&str>,
    endpoint: Option<&str>,
) -> Result<Option<crate::names::Region>> {
    let Some(id) = id else { return Ok(None) };
    let id = crate::names::cloud_box_id(id)?;
    if endpoint.is_none() {
        return Err(crate::error::Error::invalid(
            "endpoint",
            crate::names::CLOUD_BOX_ENDPOINT,
        ));
    }
    Ok(Some(id))
}

/// Where a standalone `signRequest` / `presignUrl` call or a `Signer` signs, and with what
/// credentials (their types checked in JS, their values by [`Location::credentials`]).
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

impl Location<'_> {
    /// The signing region and product: `cloudBoxId` and "oss-cloudbox" for OSS on CloudBox,
    /// which needs its endpoint (checked here with the region, as `OssClient` checks them;
    /// without a CloudBox the region is checked with the request).
    pub(super) fn region_product(&self) -> Result<(&str, Option<&'static str>)> {
        match self.cloud_box_id {
            Some(id) => {
                crate::names::Region::new(self.region)?;
                cloud_box(Some(id), self.endpoint)?;
                Ok((id, Some(CLOUD_BOX_PRODUCT)))
            }
            None => Ok((self.region, None)),
        }
    }

    /// The credentials, checked.
    pub(super) fn credentials(&self) -> Result<Credentials> {
        Credentials::new(
            self.access_key_id,
            self.access_key_secret,
            self.security_token.map(str::to_owned),
        )
    }
}

/// A call packed by `packCall`.
pub(super) struct FastCall<'a> {
    pub(super) pending: Pending<'a>,
    /// Standalone calls only (a `Signer` has its own).
    pub(super) location: Option<Location<'a>>,
    /// `signTime` as packed: read by [`sign_time`], last.
    pub(super) time: &'a str,
    /// `expiresInSecs` of `presignUrl`, else 0.
    pub(super) expires: i64,
    pub(super) fields: CallFields<'a>,
}

impl<'a> FastCall<'a> {
    pub(super) fn parse(packed: &'a str, standalone: bool) -> Result<Self> {
        let (mut it, pending) = Reader::new(packed)?;
        let location = if standalone {
            Some(it.location())
        } else {
            None
        };
        let time = it.next();
        let expires = parse_int(it.next()).unwrap_or_default();
        let method = it.next();
        let bucket = it.optional();
        let key = it.optional();
        let mut headers = Vec::with_capacity(4);
        for _ in 0..it.count() {
            headers.push((it.next().to_owned(), it.next().to_owned()));
        }
        let mut query = Vec::new();
        for _ in 0..it.count() {
            let k = it.next().to_owned();
            query.push((k, it.optional().map(str::to_owned)));
        }
        let mut additional = Vec::new();
        for _ in 0..it.count() {
            additional.push(it.next().to_owned());
        }
        Ok(Self {
            pending,
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

/// The signing time as packed: milliseconds (fast.js reads a string `signTime` as ISO 8601).
pub(super) fn sign_time(t: &str) -> Result<UnixTime> {
    parse_int(t)
        .and_then(|ms| UnixTime::from_secs(ms.div_euclid(1000)))
        .ok_or_else(|| Error::invalid("signTime", "must be a valid Date between 1970 and 9999"))
}

/// `new Signer(options)` as `packSigner` writes it: the default bucket and the location.
pub(super) fn parse_signer(packed: &str) -> Result<(Option<&str>, Location<'_>, Pending<'_>)> {
    let (mut it, pending) = Reader::new(packed)?;
    let bucket = it.optional();
    Ok((bucket, it.location(), pending))
}

/// `setCredentials(credentials)` as `packCredentials` writes it.
pub(super) fn parse_credentials(packed: &str) -> Result<Credentials> {
    let (mut it, pending) = Reader::new(packed)?;
    pending.at(0)?;
    it.credentials()
}
