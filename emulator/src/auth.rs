//! Request authentication as OSS does it: V4 header, V4 presigned URL, V1 header, V1 URL.
//! (PostObject form signatures are in `post.rs`.) Order of checks: parse → credential format →
//! region → date/skew → AccessKeyId known → STS token → signature.

use crate::error::{codes, OssError};
use crate::policy::Policy;
use crate::sign::{self, ct_eq, V4Request};
use crate::state::State;
use crate::time;
use std::sync::Arc;

/// Maximum clock skew (15 minutes).
pub const MAX_SKEW_MS: i64 = 900_000;

/// Who signed the request.
#[derive(Debug, Clone)]
pub struct Principal {
    /// AccessKeyId.
    pub access_key_id: String,
    /// Inline policy of minted credentials.
    pub policy: Option<Arc<Policy>>,
    /// Which scheme.
    pub scheme: &'static str,
}

/// What the verifier needs to know about a request.
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    /// Method.
    pub method: &'a str,
    /// Bucket.
    pub bucket: Option<&'a str>,
    /// Decoded key.
    pub key: Option<&'a str>,
    /// Decoded query pairs.
    pub query: &'a [(String, String)],
    /// Headers (lower-case names).
    pub headers: &'a [(String, String)],
}

impl RequestParts<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Secret and policy for an AccessKeyId, checking the STS token.
pub fn lookup(
    state: &State,
    ak: &str,
    token: Option<&str>,
    now_ms: i64,
) -> Result<(String, Option<Arc<Policy>>), OssError> {
    if ak == state.cfg.dev_access_key_id {
        return Ok((state.cfg.dev_access_key_secret.clone(), None));
    }
    let Some(cred) = state.sts_cred(ak) else {
        return Err(codes::invalid_ak(ak));
    };
    match token {
        None | Some("") => return Err(codes::invalid_token()),
        Some(t) if !ct_eq(t.as_bytes(), cred.security_token.as_bytes()) => {
            return Err(if state.token_known(t) {
                codes::token_mismatch()
            } else {
                codes::invalid_token()
            });
        }
        Some(_) => {}
    }
    if now_ms > cred.expires_ms {
        return Err(
            if state
                .expired_as_invalid_ak
                .load(std::sync::atomic::Ordering::Relaxed)
            {
                codes::invalid_ak(ak)
            } else {
                codes::token_expired()
            },
        );
    }
    Ok((cred.access_key_secret, cred.policy))
}

/// A parsed `x-oss-credential` / `Credential=`.
#[derive(Debug, Clone)]
pub struct Credential {
    /// AccessKeyId.
    pub access_key_id: String,
    /// yyyyMMdd.
    pub date: String,
    /// Region.
    pub region: String,
    /// Product.
    pub product: String,
}

/// Parse and check a V4 credential against the configured region.
pub fn parse_credential(s: &str, region: &str, arg_name: &str) -> Result<Credential, OssError> {
    let parts: Vec<&str> = s.trim().split('/').collect();
    let [ak, date, reg, product, term] = parts.as_slice() else {
        return Err(codes::invalid_argument(
            "Invalid credential in Authorization header.",
            "0002-00000710",
        )
        .with("ArgumentName", arg_name)
        .with("ArgumentValue", s));
    };
    if ak.is_empty() {
        return Err(codes::invalid_argument(
            "Invalid credential.",
            "0002-00000710",
        ));
    }
    if time::parse_yyyymmdd(date).is_none() {
        return Err(codes::invalid_argument(
            "Invalid signing date in Authorization header.",
            "0002-00000212",
        )
        .with("ArgumentName", arg_name)
        .with("ArgumentValue", s));
    }
    if *term != sign::REQUEST_TYPE || *product != "oss" {
        return Err(codes::invalid_argument(
            "Invalid signing product or terminator in credential.",
            "0002-00000213",
        )
        .with("ArgumentName", arg_name)
        .with("ArgumentValue", s));
    }
    if *reg != region {
        return Err(codes::invalid_argument(
            "The signing region in credential is invalid.",
            "0002-00000226",
        )
        .with("ArgumentName", arg_name)
        .with("ArgumentValue", s));
    }
    Ok(Credential {
        access_key_id: (*ak).to_string(),
        date: (*date).to_string(),
        region: (*reg).to_string(),
        product: (*product).to_string(),
    })
}

fn skew_error(req_ms: i64, now_ms: i64) -> OssError {
    OssError::new(
        403,
        "RequestTimeTooSkewed",
        "The difference between the request time and the current time is too large.",
        "0002-00000504",
    )
    .with("MaxAllowedSkewMilliseconds", MAX_SKEW_MS.to_string())
    .with("RequestTime", time::iso8601_millis(req_ms))
    .with("ServerTime", time::iso8601_millis(now_ms))
}

fn mismatch_v4(ak: &str, provided: &str, sts: &str, canonical: &str) -> OssError {
    codes::signature_v4()
        .with("OSSAccessKeyId", ak)
        .with("SignatureProvided", provided)
        .with("StringToSign", sts)
        .with("StringToSignBytes", hex_bytes(sts))
        .with("CanonicalRequest", canonical)
        .with("CanonicalRequestBytes", hex_bytes(canonical))
}

fn hex_bytes(s: &str) -> String {
    s.bytes()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Parsed V4 Authorization header.
#[derive(Debug, Clone)]
pub struct V4Header {
    /// Credential.
    pub credential: String,
    /// AdditionalHeaders as given (None = absent).
    pub additional: Option<String>,
    /// Signature.
    pub signature: String,
}

/// Parse `OSS4-HMAC-SHA256 Credential=…,AdditionalHeaders=…,Signature=…` (spaces optional, any order).
pub fn parse_v4_authorization(v: &str) -> Result<V4Header, OssError> {
    let bad = |m: &str| codes::invalid_argument(m, "0002-00000202");
    let rest = v
        .trim()
        .strip_prefix(sign::ALGORITHM)
        .ok_or_else(|| bad("Authorization header is invalid: unsupported algorithm."))?;
    if !rest.starts_with(' ') {
        return Err(bad("Authorization header is invalid."));
    }
    let (mut cred, mut add, mut sig) = (None, None, None);
    for field in rest.split(',') {
        let field = field.trim();
        if field.is_empty() {
            continue;
        }
        let (k, v) = field
            .split_once('=')
            .ok_or_else(|| bad("Authorization header is invalid."))?;
        match k.trim() {
            "Credential" => cred = Some(v.trim().to_string()),
            "AdditionalHeaders" => add = Some(v.trim().to_string()),
            "Signature" => sig = Some(v.trim().to_string()),
            _ => return Err(bad("Authorization header is invalid: unknown field.")),
        }
    }
    let (Some(credential), Some(signature)) = (cred, sig) else {
        return Err(codes::invalid_argument(
            "Authorization header is invalid: Credential and Signature are required.",
            "0002-00000205",
        ));
    };
    Ok(V4Header {
        credential,
        additional: add,
        signature,
    })
}

fn check_additional(list: Option<&str>) -> Result<Vec<String>, OssError> {
    match list {
        None => Ok(Vec::new()),
        Some("") => Err(codes::invalid_argument(
            "AdditionalHeaders is empty.",
            "0002-00000209",
        )),
        Some(l) => {
            let items: Vec<String> = l.split(';').map(|s| s.trim().to_string()).collect();
            if items.iter().any(String::is_empty) {
                return Err(codes::invalid_argument(
                    "AdditionalHeaders has an empty element.",
                    "0002-00000210",
                ));
            }
            Ok(items)
        }
    }
}

/// Authenticate a request (not PostObject). `Ok(None)` means anonymous.
pub fn authenticate(
    state: &State,
    r: &RequestParts<'_>,
    now_ms: i64,
) -> Result<Option<Principal>, OssError> {
    if let Some(auth) = r.header("authorization") {
        let auth = auth.trim();
        if auth.starts_with(sign::ALGORITHM) {
            return v4_header(state, r, auth, now_ms).map(Some);
        }
        if let Some(rest) = auth.strip_prefix("OSS ") {
            return v1_header(state, r, rest, now_ms).map(Some);
        }
        return Err(codes::invalid_argument(
            "Authorization header is invalid.",
            "0002-00000202",
        ));
    }
    if r.param("x-oss-signature-version").is_some() || r.param("x-oss-signature").is_some() {
        return v4_query(state, r, now_ms).map(Some);
    }
    if r.param("OSSAccessKeyId").is_some() || r.param("Signature").is_some() {
        return v1_query(state, r, now_ms).map(Some);
    }
    Ok(None)
}

fn v4_header(
    state: &State,
    r: &RequestParts<'_>,
    auth: &str,
    now_ms: i64,
) -> Result<Principal, OssError> {
    let h = parse_v4_authorization(auth)?;
    let cred = parse_credential(&h.credential, &state.cfg.region, "Credential")?;
    let additional = check_additional(h.additional.as_deref())?;
    if let Some(sha) = r.header("x-oss-content-sha256") {
        if sha.trim() != sign::UNSIGNED_PAYLOAD {
            return Err(codes::invalid_argument(
                "x-oss-content-sha256 must be UNSIGNED-PAYLOAD.",
                "0002-00000214",
            ));
        }
    }
    let (datetime, req_ms) = match (r.header("x-oss-date"), r.header("date")) {
        (Some(d), _) => match time::parse_iso8601_basic(d.trim()) {
            Some(t) => (d.trim().to_string(), t * 1000),
            None => return Err(codes::access_denied("Invalid x-oss-date.", "0002-00000502")),
        },
        (None, Some(d)) => match time::parse_rfc1123(d) {
            Some(t) => (time::iso8601_basic(t), t * 1000),
            None => {
                return Err(codes::access_denied(
                    "Invalid Date header.",
                    "0002-00000502",
                ))
            }
        },
        (None, None) => {
            return Err(codes::access_denied(
                "Missing x-oss-date or Date header.",
                "0002-00000503",
            ))
        }
    };
    if (now_ms - req_ms).abs() > MAX_SKEW_MS {
        return Err(skew_error(req_ms, now_ms));
    }
    if datetime.get(..8) != Some(cred.date.as_str()) {
        return Err(codes::invalid_argument(
            "The date in the credential scope does not match x-oss-date.",
            "0002-00000212",
        ));
    }
    let (secret, policy) = lookup(
        state,
        &cred.access_key_id,
        r.header("x-oss-security-token").map(str::trim),
        now_ms,
    )?;
    let additional = sign::normalize_additional(&additional, r.headers);
    let canonical = sign::canonical_request(&V4Request {
        method: r.method,
        bucket: r.bucket,
        key: r.key,
        query: r.query,
        headers: r.headers,
        additional: &additional,
    });
    let scope = sign::scope(&cred.date, &cred.region, &cred.product);
    let sts = sign::string_to_sign(&datetime, &scope, &canonical);
    let key = sign::signing_key(&secret, &cred.date, &cred.region, &cred.product);
    let expected = sign::v4_signature(&key, &sts);
    if !ct_eq(expected.as_bytes(), h.signature.as_bytes()) {
        return Err(mismatch_v4(
            &cred.access_key_id,
            &h.signature,
            &sts,
            &canonical,
        ));
    }
    Ok(Principal {
        access_key_id: cred.access_key_id,
        policy,
        scheme: "v4-header",
    })
}

fn v4_query(state: &State, r: &RequestParts<'_>, now_ms: i64) -> Result<Principal, OssError> {
    let version = r.param("x-oss-signature-version").unwrap_or("");
    if version != sign::ALGORITHM {
        return Err(codes::invalid_argument(
            "x-oss-signature-version must be OSS4-HMAC-SHA256.",
            "0002-00000215",
        ));
    }
    let Some(cred_s) = r.param("x-oss-credential") else {
        return Err(codes::invalid_argument(
            "Missing x-oss-credential.",
            "0002-00000215",
        ));
    };
    let cred = parse_credential(cred_s, &state.cfg.region, "x-oss-credential")?;
    let additional = check_additional(r.param("x-oss-additional-headers"))?;
    let Some(datetime) = r.param("x-oss-date") else {
        return Err(codes::access_denied("Missing x-oss-date.", "0002-00000503"));
    };
    let Some(req_ms) = time::parse_iso8601_basic(datetime).map(|t| t * 1000) else {
        return Err(codes::access_denied("Invalid x-oss-date.", "0002-00000502"));
    };
    let expires: i64 = match r.param("x-oss-expires").map(str::parse::<i64>) {
        Some(Ok(e)) if (1..=604_800).contains(&e) => e,
        _ => {
            return Err(codes::invalid_argument(
                "x-oss-expires must be an integer between 1 and 604800.",
                "0002-00000232",
            )
            .with("ArgumentName", "x-oss-expires"))
        }
    };
    if datetime.get(..8) != Some(cred.date.as_str()) {
        return Err(codes::invalid_argument(
            "The date in the credential scope does not match x-oss-date.",
            "0002-00000212",
        ));
    }
    if req_ms - now_ms > MAX_SKEW_MS {
        return Err(skew_error(req_ms, now_ms));
    }
    if now_ms > req_ms + expires * 1000 {
        return Err(
            codes::access_denied("Request has expired.", "0002-00000236")
                .with("Expires", time::iso8601_millis(req_ms + expires * 1000))
                .with("ServerTime", time::iso8601_millis(now_ms)),
        );
    }
    let (secret, policy) = lookup(
        state,
        &cred.access_key_id,
        r.param("x-oss-security-token"),
        now_ms,
    )?;
    let provided = r.param("x-oss-signature").unwrap_or("");
    let query: Vec<(String, String)> = r
        .query
        .iter()
        .filter(|(k, _)| k != "x-oss-signature")
        .cloned()
        .collect();
    let additional = sign::normalize_additional(&additional, r.headers);
    let canonical = sign::canonical_request(&V4Request {
        method: r.method,
        bucket: r.bucket,
        key: r.key,
        query: &query,
        headers: r.headers,
        additional: &additional,
    });
    let scope = sign::scope(&cred.date, &cred.region, &cred.product);
    let sts = sign::string_to_sign(datetime, &scope, &canonical);
    let key = sign::signing_key(&secret, &cred.date, &cred.region, &cred.product);
    let expected = sign::v4_signature(&key, &sts);
    if !ct_eq(expected.as_bytes(), provided.as_bytes()) {
        return Err(mismatch_v4(&cred.access_key_id, provided, &sts, &canonical));
    }
    Ok(Principal {
        access_key_id: cred.access_key_id,
        policy,
        scheme: "v4-query",
    })
}

fn mismatch_v1(ak: &str, provided: &str, sts: &str) -> OssError {
    codes::signature_v1()
        .with("OSSAccessKeyId", ak)
        .with("SignatureProvided", provided)
        .with("StringToSign", sts)
        .with("StringToSignBytes", hex_bytes(sts))
}

fn v1_header(
    state: &State,
    r: &RequestParts<'_>,
    rest: &str,
    now_ms: i64,
) -> Result<Principal, OssError> {
    let Some((ak, sig)) = rest.trim().split_once(':') else {
        return Err(codes::invalid_argument(
            "Authorization header is invalid.",
            "0002-00000202",
        ));
    };
    let date = r
        .header("date")
        .or_else(|| r.header("x-oss-date"))
        .map(str::trim)
        .unwrap_or("");
    if date.is_empty() {
        return Err(codes::access_denied(
            "Missing Date header.",
            "0002-00000503",
        ));
    }
    let Some(req_s) = time::parse_rfc1123(date).or_else(|| time::parse_iso8601_basic(date)) else {
        return Err(codes::access_denied(
            "Invalid Date header.",
            "0002-00000502",
        ));
    };
    if (now_ms - req_s * 1000).abs() > MAX_SKEW_MS {
        return Err(skew_error(req_s * 1000, now_ms));
    }
    let (secret, policy) = lookup(
        state,
        ak,
        r.header("x-oss-security-token").map(str::trim),
        now_ms,
    )?;
    let resource = sign::v1_resource(r.bucket, r.key, r.query);
    let sts = sign::v1_string_to_sign(r.method, r.headers, date, &resource);
    let expected = sign::v1_signature(&secret, &sts);
    if !ct_eq(expected.as_bytes(), sig.trim().as_bytes()) {
        return Err(mismatch_v1(ak, sig.trim(), &sts));
    }
    Ok(Principal {
        access_key_id: ak.to_string(),
        policy,
        scheme: "v1-header",
    })
}

fn v1_query(state: &State, r: &RequestParts<'_>, now_ms: i64) -> Result<Principal, OssError> {
    let (Some(ak), Some(expires), Some(sig)) = (
        r.param("OSSAccessKeyId"),
        r.param("Expires"),
        r.param("Signature"),
    ) else {
        return Err(codes::invalid_argument(
            "OSSAccessKeyId, Expires and Signature are all required.",
            "0002-00000202",
        ));
    };
    let Ok(exp) = expires.parse::<i64>() else {
        return Err(codes::invalid_argument("Invalid Expires.", "0002-00000202"));
    };
    if now_ms > exp * 1000 {
        return Err(codes::access_denied("Request has expired.", "")
            .with("Expires", time::iso8601_millis(exp * 1000))
            .with("ServerTime", time::iso8601_millis(now_ms)));
    }
    let (secret, policy) = lookup(state, ak, r.param("security-token"), now_ms)?;
    let resource = sign::v1_resource(r.bucket, r.key, r.query);
    let sts = sign::v1_string_to_sign(r.method, r.headers, expires, &resource);
    let expected = sign::v1_signature(&secret, &sts);
    if !ct_eq(expected.as_bytes(), sig.as_bytes()) {
        return Err(mismatch_v1(ak, sig, &sts));
    }
    Ok(Principal {
        access_key_id: ak.to_string(),
        policy,
        scheme: "v1-query",
    })
}
