//! OSS Signature V4 (`OSS4-HMAC-SHA256`): header-signed requests, presigned URLs and PostObject
//! policies. Pure functions of their inputs: the signing time is always passed in.
//!
//! Stages, each tested on the previous stage's literal output:
//! [`canonical_query`] / [`canonical_headers`] → [`canonical_request`] → [`string_to_sign`] →
//! signing key (`key`) → signature.

mod key;
mod post;
pub(crate) mod sha256;

pub use key::SigningKeyCache;
pub use post::{
    check_policy_text, sign_post_policy, ContentTypeCondition, KeyCondition, PostPolicy,
    PostSignature,
};

use crate::credentials::{redact, Credentials};
use crate::endpoint::{canonical_uri, Endpoint, EndpointOptions};
use crate::error::{Error, Result};
use crate::names::{Bucket, ObjectKey, Region};
use crate::prelude::*;
use crate::text::{cat, push_hex};
use crate::time::UnixTime;
use sha256::Sha256;

/// The signature algorithm name.
pub const ALGORITHM: &str = "OSS4-HMAC-SHA256";
/// The scope terminator.
pub const REQUEST_TYPE: &str = "aliyun_v4_request";
/// The payload hash OSS accepts from header-signed requests.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// The longest validity of a presigned URL, in seconds (7 days).
pub const MAX_PRESIGN_SECS: i64 = 604_800;
/// The default signing product.
pub const PRODUCT_OSS: &str = "oss";

/// Header names on the wire (lower case).
pub mod header {
    /// `authorization`
    pub const AUTHORIZATION: &str = "authorization";
    /// `x-oss-date`
    pub const X_OSS_DATE: &str = "x-oss-date";
    /// `x-oss-content-sha256`
    pub const X_OSS_CONTENT_SHA256: &str = "x-oss-content-sha256";
    /// `x-oss-security-token`
    pub const X_OSS_SECURITY_TOKEN: &str = "x-oss-security-token";
    /// `content-type`
    pub const CONTENT_TYPE: &str = "content-type";
    /// `content-md5`
    pub const CONTENT_MD5: &str = "content-md5";
    /// `host`
    pub const HOST: &str = "host";
}

/// Query and form parameter names of V4.
pub mod param {
    /// `x-oss-signature-version`
    pub const X_OSS_SIGNATURE_VERSION: &str = "x-oss-signature-version";
    /// `x-oss-credential`
    pub const X_OSS_CREDENTIAL: &str = "x-oss-credential";
    /// `x-oss-date`
    pub const X_OSS_DATE: &str = "x-oss-date";
    /// `x-oss-expires`
    pub const X_OSS_EXPIRES: &str = "x-oss-expires";
    /// `x-oss-security-token`
    pub const X_OSS_SECURITY_TOKEN: &str = "x-oss-security-token";
    /// `x-oss-additional-headers`
    pub const X_OSS_ADDITIONAL_HEADERS: &str = "x-oss-additional-headers";
    /// `x-oss-signature`
    pub const X_OSS_SIGNATURE: &str = "x-oss-signature";
    /// `policy` (PostObject)
    pub const POLICY: &str = "policy";
}

/// One request header: the name as given, its lower-case form and the trimmed UTF-8 value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    name: String,
    lower: String,
    value: String,
}

impl Header {
    /// The name as the caller wrote it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The trimmed value (UTF-8 text, as it is signed).
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The value as a fetch `ByteString`: ASCII as is; otherwise each UTF-8 byte becomes one
    /// char U+0000–U+00FF, so the bytes on the wire are the UTF-8 text that was signed.
    pub fn wire_value(&self) -> String {
        wire_value(&self.value)
    }
}

fn wire_value(v: &str) -> String {
    if v.is_ascii() {
        v.to_owned()
    } else {
        let mut out = String::with_capacity(v.len() * 2);
        for b in v.bytes() {
            out.push(char::from(b));
        }
        out
    }
}

fn is_token_byte(b: u8) -> bool {
    matches!(b, b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z' | b'!' | b'#'..=b'\'' | b'*' | b'+' | b'-' | b'.' | b'^'..=b'`' | b'|' | b'~')
}

/// `v` without leading and trailing spaces and tabs (what V4 trims from header values).
fn trim_space_tab(v: &str) -> &str {
    let kept = |c: &u8| *c != b' ' && *c != b'\t';
    let b = v.as_bytes();
    let start = b.iter().position(kept).unwrap_or(b.len());
    let end = b.iter().rposition(kept).map_or(start, |i| i + 1);
    // Spaces and tabs are ASCII: both ends are char boundaries.
    v.get(start..end).unwrap_or_default()
}

/// Headers of a request, checked: names are HTTP tokens, unique ignoring case; values carry no
/// CR, LF or NUL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers(Vec<Header>);

impl Headers {
    /// Checks `pairs`.
    pub fn new(pairs: impl IntoIterator<Item = (String, String)>) -> Result<Self> {
        let mut out: Vec<Header> = Vec::new();
        for (name, value) in pairs {
            let field = || cat(&["headers.", &name]);
            if name.is_empty() || !crate::text::all_bytes(&name, is_token_byte) {
                return Err(Error::invalid(field(), "is not a valid HTTP header name"));
            }
            if !crate::text::all_bytes(&value, |b| !matches!(b, b'\r' | b'\n' | 0)) {
                return Err(Error::invalid(
                    field(),
                    "value must not contain CR, LF or NUL",
                ));
            }
            let lower = name.to_ascii_lowercase();
            let value = trim_space_tab(&value).to_owned();
            match lower.as_str() {
                header::AUTHORIZATION | header::X_OSS_DATE | header::X_OSS_SECURITY_TOKEN => {
                    return Err(Error::invalid(field(), "is set by the signer"));
                }
                header::X_OSS_CONTENT_SHA256 if value != UNSIGNED_PAYLOAD => {
                    return Err(Error::invalid(field(), "OSS only accepts UNSIGNED-PAYLOAD"));
                }
                _ => {}
            }
            if out.iter().any(|h| h.lower == lower) {
                return Err(Error::invalid(
                    field(),
                    "is given twice (header names ignore case)",
                ));
            }
            out.push(Header { name, lower, value });
        }
        Ok(Self(out))
    }

    /// The value of a header by lower-case name.
    pub fn get(&self, lower: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|h| h.lower == lower)
            .map(|h| h.value.as_str())
    }

    /// Iterates over the headers.
    pub fn iter(&self) -> impl Iterator<Item = &Header> {
        self.0.iter()
    }
}

/// Whether a lower-case header name is always signed when present.
fn is_default_signed(lower: &str) -> bool {
    lower.starts_with("x-oss-") || lower == header::CONTENT_TYPE || lower == header::CONTENT_MD5
}

/// The inputs of a request to sign, as plain values (see [`Request::new`]).
#[derive(Debug, Clone, Default)]
pub struct RequestParts<'a> {
    /// HTTP method (any case).
    pub method: &'a str,
    /// Bucket name.
    pub bucket: &'a str,
    /// Object key; `None` for bucket-level requests.
    pub key: Option<&'a str>,
    /// Region ID (`cn-hangzhou` or `oss-cn-hangzhou`).
    pub region: &'a str,
    /// Signing product; `oss` unless given (`oss-cloudbox` for CloudBox).
    pub product: Option<&'a str>,
    /// Endpoint choice.
    pub endpoint: EndpointOptions<'a>,
    /// Headers to send (and sign where V4 says so).
    pub headers: Vec<(String, String)>,
    /// Query parameters in order; `None` is a parameter without value (`?uploads`).
    pub query: Vec<(String, Option<String>)>,
    /// Extra header names to sign (`host`, `cache-control`, …).
    pub additional_headers: Vec<String>,
}

/// Where a request goes, checked: see [`Request::at`].
#[derive(Debug, Clone)]
pub struct Target {
    /// Upper-case method ([`check_method`]).
    pub method: String,
    /// Bucket.
    pub bucket: Bucket,
    /// Object key; `None` for bucket-level requests.
    pub key: Option<ObjectKey>,
    /// Signing region.
    pub region: Region,
    /// Signing product ([`check_product`]).
    pub product: String,
    /// Resolved endpoint.
    pub endpoint: Endpoint,
}

/// The method, trimmed and upper-cased: letters only, not empty.
pub fn check_method(method: &str) -> Result<String> {
    let method = method.trim_ascii();
    if method.is_empty() || !crate::text::all_bytes(method, |b| b.is_ascii_alphabetic()) {
        return Err(Error::invalid("method", "must be an HTTP method like PUT"));
    }
    Ok(method.to_ascii_uppercase())
}

/// The signing product: `oss` when not given; lower-case letters and `-`.
pub fn check_product(product: Option<&str>) -> Result<&str> {
    let product = product.unwrap_or(PRODUCT_OSS);
    if product.is_empty()
        || !crate::text::all_bytes(product, |b| b.is_ascii_lowercase() || b == b'-')
    {
        return Err(Error::invalid("product", "must be like \"oss\""));
    }
    Ok(product)
}

/// A checked request, ready to be signed any number of times.
#[derive(Debug, Clone)]
pub struct Request {
    method: String,
    bucket: Bucket,
    key: Option<ObjectKey>,
    region: Region,
    product: String,
    endpoint: Endpoint,
    headers: Headers,
    query: Vec<(String, Option<String>)>,
    additional_headers: Vec<String>,
}

impl Request {
    /// Checks every input; nothing is sent or signed yet.
    pub fn new(parts: RequestParts<'_>) -> Result<Self> {
        let method = check_method(parts.method)?;
        let bucket = Bucket::new(parts.bucket)?;
        let key = parts.key.map(ObjectKey::new).transpose()?;
        let region = Region::new(parts.region)?;
        let product = check_product(parts.product)?;
        let endpoint = Endpoint::resolve(&region, &parts.endpoint)?;
        Self::at(
            Target {
                method,
                bucket,
                key,
                region,
                product: product.to_owned(),
                endpoint,
            },
            parts.headers,
            parts.query,
            parts.additional_headers,
        )
    }

    /// A request to a target already checked (method, bucket, key) and resolved (region,
    /// product, endpoint: see [`check_product`], [`Endpoint::resolve`]); the rest is checked as
    /// by [`Request::new`], in the same order and with the same errors. Used by signers that
    /// resolve the location once and sign many requests there.
    pub fn at(
        target: Target,
        headers: Vec<(String, String)>,
        query: Vec<(String, Option<String>)>,
        additional_headers: Vec<String>,
    ) -> Result<Self> {
        let Target {
            method,
            bucket,
            key,
            region,
            product,
            endpoint,
        } = target;
        endpoint.check_bucket(&bucket)?;
        let headers = Headers::new(headers)?;
        if let Some(host) = headers.get(header::HOST) {
            if !host.eq_ignore_ascii_case(&endpoint.host_for(&bucket)) {
                return Err(Error::invalid(
                    "headers.host",
                    "differs from the host the request is sent to (leave it out: it is known)",
                ));
            }
        }
        for (name, _) in &query {
            if name.is_empty() {
                return Err(Error::invalid("query", "parameter names must not be empty"));
            }
            if name.eq_ignore_ascii_case(param::X_OSS_SIGNATURE) {
                return Err(Error::invalid(
                    cat(&["query.", name]),
                    "is set by the signer",
                ));
            }
        }
        for name in &additional_headers {
            if name.is_empty() || !crate::text::all_bytes(name, is_token_byte) {
                return Err(Error::invalid(
                    "additionalHeaders",
                    cat(&["\"", name, "\" is not a header name"]),
                ));
            }
        }
        Ok(Self {
            method,
            bucket,
            key,
            region,
            product,
            endpoint,
            headers,
            query,
            additional_headers,
        })
    }

    /// The bucket.
    pub fn bucket(&self) -> &Bucket {
        &self.bucket
    }

    /// The key, if any.
    pub fn key(&self) -> Option<&ObjectKey> {
        self.key.as_ref()
    }

    /// The region.
    pub fn region(&self) -> &Region {
        &self.region
    }

    /// The headers.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// Where the request goes.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The `Host` the request goes to.
    pub fn host(&self) -> String {
        self.endpoint.host_for(&self.bucket)
    }

    /// The URL without query.
    pub fn base_url(&self) -> String {
        self.endpoint.url_for(&self.bucket, self.key.as_ref())
    }

    /// The header value the signature covers: for `host` the URL's host (computed by the
    /// caller only when `host` is an additional header), which is what browsers send, whatever
    /// the case of a `Host` header given (checked equal to it ignoring case, and never sent);
    /// else the given header.
    fn header_value<'a>(&'a self, lower: &str, host: &'a str) -> Option<&'a str> {
        if lower == header::HOST {
            Some(host)
        } else {
            self.headers.get(lower)
        }
    }

    /// Additional headers after V4's normalisation: lower-cased, de-duplicated, without
    /// default-signed names or names absent from the request, sorted. `host` is the URL's host
    /// when an additional header is `host`, else empty.
    fn normalized_additional(&self) -> (Vec<String>, String) {
        if self.additional_headers.is_empty() {
            return (Vec::new(), String::new());
        }
        let host = if self
            .additional_headers
            .iter()
            .any(|n| n.eq_ignore_ascii_case(header::HOST))
        {
            self.host()
        } else {
            String::new()
        };
        let mut names: Vec<String> = Vec::with_capacity(self.additional_headers.len());
        for n in &self.additional_headers {
            let n = n.to_ascii_lowercase();
            let signed = !is_default_signed(&n)
                && self.header_value(&n, &host).is_some_and(|v| !v.is_empty());
            if signed && !names.contains(&n) {
                names.push(n);
            }
        }
        crate::encode::sort_small(&mut names);
        (names, host)
    }

    /// The signed header lines (lower-case name, trimmed value), sorted, for `extra` headers
    /// that the signer adds.
    fn signed_headers<'a>(
        &'a self,
        additional: &'a [String],
        host: &'a str,
        extra: &[(&'a str, &'a str)],
    ) -> Vec<(&'a str, &'a str)> {
        let mut lines: Vec<(&str, &str)> =
            Vec::with_capacity(self.headers.0.len() + additional.len() + extra.len());
        for h in self.headers.iter() {
            if is_default_signed(&h.lower) {
                lines.push((&h.lower, &h.value));
            }
        }
        for name in additional {
            if let Some(v) = self.header_value(name, host) {
                lines.push((name, v));
            }
        }
        for &(name, value) in extra {
            if !lines.iter().any(|(n, _)| *n == name) {
                lines.push((name, value));
            }
        }
        crate::encode::sort_small(&mut lines);
        lines
    }

    /// `date/region/product/aliyun_v4_request`.
    fn scope(&self, now: UnixTime) -> String {
        let mut s = String::with_capacity(
            27 + self.region.as_str().len() + self.product.len() + REQUEST_TYPE.len(),
        );
        now.push_date_stamp(&mut s);
        for part in [self.region.as_str(), &self.product, REQUEST_TYPE] {
            s.push('/');
            s.push_str(part);
        }
        s
    }

    /// The hex signature of `string_to_sign` with the (cached) signing key.
    fn signature(
        &self,
        creds: &Credentials,
        scope: &str,
        string_to_sign: &str,
        cache: &mut SigningKeyCache,
    ) -> String {
        let date = scope.get(..8).unwrap_or_default();
        let signature = cache.sign(
            &creds.access_key_secret,
            date,
            self.region.as_str(),
            &self.product,
            string_to_sign.as_bytes(),
        );
        let mut hex = String::with_capacity(64);
        push_hex(&mut hex, &signature);
        hex
    }
}

/// `name=value&…` (or bare `name` for an empty value) of encoded pairs sorted by encoded name,
/// then encoded value.
pub fn canonical_query<'a>(pairs: impl IntoIterator<Item = (&'a str, Option<&'a str>)>) -> String {
    let pairs = pairs.into_iter();
    let mut encoded: Vec<(String, Option<String>)> = Vec::with_capacity(pairs.size_hint().0);
    encoded.extend(pairs.map(|(k, v)| {
        (
            crate::encode::uri_encode(k, false),
            v.map(|v| crate::encode::uri_encode(v, false)),
        )
    }));
    canonical_query_of(&encoded)
}

/// Query pairs percent-encoded once: the canonical query sorts them, the URL keeps their order
/// (an STS token in a presigned URL is ~500 characters: encoding it twice was a tenth of the
/// work of a presigned URL).
fn encode_query(pairs: &[(String, Option<String>)], extra: usize) -> Vec<(String, Option<String>)> {
    let mut out = Vec::with_capacity(pairs.len() + extra);
    for (k, v) in pairs {
        out.push((
            crate::encode::uri_encode(k, false),
            v.as_deref().map(|v| crate::encode::uri_encode(v, false)),
        ));
    }
    out
}

/// [`canonical_query`] of pairs already encoded (`None` and `Some("")` both sign as a bare name).
fn canonical_query_of(encoded: &[(String, Option<String>)]) -> String {
    let mut sorted: Vec<(&str, &str)> = Vec::with_capacity(encoded.len());
    for (k, v) in encoded {
        sorted.push((k, v.as_deref().unwrap_or("")));
    }
    crate::encode::sort_small(&mut sorted);
    let mut len = 0;
    for (k, v) in &sorted {
        len += k.len() + v.len() + 2;
    }
    let mut out = String::with_capacity(len);
    for (i, (k, v)) in sorted.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        if !v.is_empty() {
            out.push('=');
            out.push_str(v);
        }
    }
    out
}

/// `name:value\n` for each sorted signed header line.
pub fn canonical_headers<N: AsRef<str>, V: AsRef<str>>(lines: &[(N, V)]) -> String {
    let mut len = 0;
    for (n, v) in lines {
        len += n.as_ref().len() + v.as_ref().len() + 2;
    }
    let mut out = String::with_capacity(len);
    for (name, value) in lines {
        let (name, value) = (name.as_ref(), value.as_ref());
        out.push_str(name);
        out.push(':');
        out.push_str(value);
        out.push('\n');
    }
    out
}

/// The canonical request: method, URI, query, headers (ending in `\n`), additional headers,
/// payload hash, joined by `\n`.
pub fn canonical_request(
    method: &str,
    uri: &str,
    query: &str,
    headers: &str,
    additional: &str,
) -> String {
    let mut out = String::with_capacity(
        method.len() + uri.len() + query.len() + headers.len() + additional.len() + 24,
    );
    for part in [method, uri, query, headers, additional] {
        out.push_str(part);
        out.push('\n');
    }
    out.push_str(UNSIGNED_PAYLOAD);
    out
}

/// `OSS4-HMAC-SHA256\n<datetime>\n<scope>\n<hex sha256 of the canonical request>`.
pub fn string_to_sign(datetime: &str, scope: &str, canonical_request: &str) -> String {
    let hash = Sha256::digest(canonical_request.as_bytes());
    let mut out = String::with_capacity(ALGORITHM.len() + datetime.len() + scope.len() + 67);
    for part in [ALGORITHM, datetime, scope] {
        out.push_str(part);
        out.push('\n');
    }
    push_hex(&mut out, &hash);
    out
}

/// A header-signed request: the URL and every header to send. Its Debug output hides the
/// SecurityToken.
#[derive(Clone)]
pub struct SignedRequest {
    /// Upper-case method.
    pub method: String,
    /// The full URL with query.
    pub url: String,
    /// Every header to send, `authorization` included, values as fetch `ByteString`s. `host` is
    /// never in it (browsers set it).
    pub headers: Vec<(String, String)>,
    /// The canonical request that was signed (contains the STS token when there is one).
    pub canonical_request: String,
    /// The string that was signed.
    pub string_to_sign: String,
}

impl core::fmt::Debug for SignedRequest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SignedRequest")
            .field("method", &self.method)
            .field("url", &redact::Text(&self.url))
            .field("headers", &redact::Pairs(&self.headers))
            .field("canonical_request", &redact::Text(&self.canonical_request))
            .field("string_to_sign", &self.string_to_sign)
            .finish()
    }
}

/// Appends `?name=value&…` of pairs already encoded, in their order (`None`: a bare name).
fn append_query(url: &mut String, encoded: &[(String, Option<String>)]) {
    for (i, (k, v)) in encoded.iter().enumerate() {
        url.push(if i == 0 { '?' } else { '&' });
        url.push_str(k);
        if let Some(v) = v {
            url.push('=');
            url.push_str(v);
        }
    }
}

/// Signs `req` in the `Authorization` header at `now`.
pub fn sign_request(
    req: &Request,
    creds: &Credentials,
    now: UnixTime,
    cache: &mut SigningKeyCache,
) -> SignedRequest {
    let datetime = now.iso8601_basic();
    let (names, host) = req.normalized_additional();
    let additional = crate::text::join(&names, ";");
    let mut extra: [(&str, &str); 3] = [
        (header::X_OSS_DATE, &datetime),
        (header::X_OSS_CONTENT_SHA256, UNSIGNED_PAYLOAD),
        ("", ""),
    ];
    let extra: &[(&str, &str)] = match &creds.security_token {
        Some(t) => {
            if let Some(slot) = extra.get_mut(2) {
                *slot = (header::X_OSS_SECURITY_TOKEN, t.expose());
            }
            &extra
        }
        None => extra.get(..2).unwrap_or_default(),
    };
    let lines = req.signed_headers(&names, &host, extra);
    let encoded_query = encode_query(&req.query, 0);
    let query = canonical_query_of(&encoded_query);
    let canonical = canonical_request(
        &req.method,
        &canonical_uri(&req.bucket, req.key.as_ref()),
        &query,
        &canonical_headers(&lines),
        &additional,
    );
    let scope = req.scope(now);
    let sts = string_to_sign(&datetime, &scope, &canonical);
    let signature = req.signature(creds, &scope, &sts, cache);

    let mut authorization = String::with_capacity(
        ALGORITHM.len() + creds.access_key_id.len() + scope.len() + additional.len() + 110,
    );
    for part in [ALGORITHM, " Credential=", &creds.access_key_id, "/", &scope] {
        authorization.push_str(part);
    }
    if !additional.is_empty() {
        authorization.push_str(",AdditionalHeaders=");
        authorization.push_str(&additional);
    }
    authorization.push_str(",Signature=");
    authorization.push_str(&signature);

    let mut headers: Vec<(String, String)> = Vec::with_capacity(req.headers.0.len() + 4);
    for h in req.headers.iter() {
        if h.lower != header::HOST {
            headers.push((h.name.clone(), h.wire_value()));
        }
    }
    for &(name, value) in extra {
        if req.headers.get(name).is_none() {
            headers.push((name.to_owned(), value.to_owned()));
        }
    }
    headers.push((header::AUTHORIZATION.to_owned(), authorization));

    let mut url = req.base_url();
    append_query(&mut url, &encoded_query);
    SignedRequest {
        method: req.method.clone(),
        url,
        headers,
        canonical_request: canonical,
        string_to_sign: sts,
    }
}

/// A presigned URL and the headers its user must send with it. The URL carries the
/// SecurityToken (OSS requires it): treat it as a bearer token. Its Debug output hides the token.
#[derive(Clone)]
pub struct PresignedUrl {
    /// Upper-case method the URL is valid for.
    pub method: String,
    /// The URL, signature in the query.
    pub url: String,
    /// `x-oss-date + x-oss-expires`.
    pub expires_at: UnixTime,
    /// Headers that were signed and so must be sent exactly (`content-type`, `content-md5`,
    /// `x-oss-*`, additional headers other than `host`), as fetch `ByteString`s.
    pub headers: Vec<(String, String)>,
    /// The canonical request that was signed.
    pub canonical_request: String,
    /// The string that was signed.
    pub string_to_sign: String,
}

impl core::fmt::Debug for PresignedUrl {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PresignedUrl")
            .field("method", &self.method)
            .field("url", &redact::Text(&self.url))
            .field("expires_at", &self.expires_at)
            .field("headers", &redact::Pairs(&self.headers))
            .field("canonical_request", &redact::Text(&self.canonical_request))
            .field("string_to_sign", &self.string_to_sign)
            .finish()
    }
}

/// Presigns `req` at `now` for `expires_secs` (1 to 604,800).
pub fn presign(
    req: &Request,
    creds: &Credentials,
    now: UnixTime,
    expires_secs: i64,
    cache: &mut SigningKeyCache,
) -> Result<PresignedUrl> {
    if !(1..=MAX_PRESIGN_SECS).contains(&expires_secs) {
        return Err(Error::invalid(
            "expiresInSecs",
            "must be an integer from 1 to 604800 (7 days)",
        ));
    }
    for (name, _) in &req.query {
        let lower = name.to_ascii_lowercase();
        if [
            param::X_OSS_SIGNATURE_VERSION,
            param::X_OSS_CREDENTIAL,
            param::X_OSS_DATE,
            param::X_OSS_EXPIRES,
            param::X_OSS_SECURITY_TOKEN,
            param::X_OSS_ADDITIONAL_HEADERS,
        ]
        .contains(&lower.as_str())
        {
            return Err(Error::invalid(
                cat(&["query.", name]),
                "is set by the signer",
            ));
        }
    }
    let datetime = now.iso8601_basic();
    let scope = req.scope(now);
    let (names, host) = req.normalized_additional();
    let additional = crate::text::join(&names, ";");
    // Encoded once, for the canonical query and for the URL.
    let mut query = encode_query(&req.query, 7);
    let mut add = |k: &str, v: &str| {
        query.push((
            crate::encode::uri_encode(k, false),
            Some(crate::encode::uri_encode(v, false)),
        ));
    };
    add(param::X_OSS_SIGNATURE_VERSION, ALGORITHM);
    add(param::X_OSS_DATE, &datetime);
    add(param::X_OSS_EXPIRES, &crate::text::int(expires_secs));
    add(
        param::X_OSS_CREDENTIAL,
        &cat(&[&creds.access_key_id, "/", &scope]),
    );
    if let Some(t) = &creds.security_token {
        add(param::X_OSS_SECURITY_TOKEN, t.expose());
    }
    if !additional.is_empty() {
        add(param::X_OSS_ADDITIONAL_HEADERS, &additional);
    }
    let lines = req.signed_headers(&names, &host, &[]);
    let canonical = canonical_request(
        &req.method,
        &canonical_uri(&req.bucket, req.key.as_ref()),
        &canonical_query_of(&query),
        &canonical_headers(&lines),
        &additional,
    );
    let sts = string_to_sign(&datetime, &scope, &canonical);
    let signature = req.signature(creds, &scope, &sts, cache);
    // Lower-case hex: nothing to encode.
    query.push((param::X_OSS_SIGNATURE.to_owned(), Some(signature)));

    let mut url = req.base_url();
    append_query(&mut url, &query);
    let mut headers = Vec::with_capacity(req.headers.0.len());
    for h in req.headers.iter() {
        if h.lower != header::HOST && (is_default_signed(&h.lower) || names.contains(&h.lower)) {
            headers.push((h.name.clone(), h.wire_value()));
        }
    }
    Ok(PresignedUrl {
        method: req.method.clone(),
        url,
        expires_at: now.plus_secs(expires_secs),
        headers,
        canonical_request: canonical,
        string_to_sign: sts,
    })
}

#[cfg(test)]
mod tests;
