//! Uploads signed by the app's server: a presigned PUT URL (V4 or V1), and the PostObject fields
//! of either JSON shape of the browser-upload guide.

// The signing-only build uses only the URL checks.
#![cfg_attr(not(feature = "client"), allow(dead_code, unused_imports))]

use super::skew::ServerNow;
#[cfg(test)]
use super::skew::DEVICE_CLOCK_SLACK_SECS;
use crate::encode::uri_decode;
use crate::error::{Error, Result, ServiceError};
use crate::json;
use crate::prelude::*;
use crate::time::UnixTime;

/// Whether a host (with optional port) is loopback: `localhost`, `*.localhost`, `127.x.x.x`,
/// `[::1]`.
pub fn is_loopback_host(host_port: &str) -> bool {
    // Byte scans rather than `str` splitting: the signing-only wasm links no panic formatting.
    let b = host_port.as_bytes();
    let host = if let Some(rest) = b.strip_prefix(b"[") {
        let end = rest.iter().position(|&c| c == b']').unwrap_or(rest.len());
        rest.get(..end).unwrap_or_default()
    } else {
        match b.iter().rposition(|&c| c == b':') {
            Some(colon) => b.get(..colon).unwrap_or_default(),
            None => b,
        }
    };
    let host = host.to_ascii_lowercase();
    host == b"localhost"
        || host.ends_with(b".localhost")
        || host == b"::1"
        || host.strip_prefix(b"127.").is_some_and(is_three_u8s)
}

/// `a.b.c` where each part is what `str::parse::<u8>` accepts (optional `+`, digits, ≤ 255).
fn is_three_u8s(s: &[u8]) -> bool {
    let (mut parts, mut value, mut digits, mut plus) = (1, 0u32, 0, false);
    for &c in s {
        match c {
            b'.' if digits > 0 => (parts, value, digits, plus) = (parts + 1, 0, 0, false),
            b'+' if digits == 0 && !plus => plus = true,
            b'0'..=b'9' => {
                value = value * 10 + u32::from(c - b'0');
                digits += 1;
                if value > 255 {
                    return false;
                }
            }
            _ => return false,
        }
    }
    parts == 3 && digits > 0
}

/// Splits `scheme://host/path?query` into (scheme, host, query).
fn split_url(url: &str) -> Option<(&str, &str, &str)> {
    let sep = url.as_bytes().windows(3).position(|w| w == b"://")?;
    let (scheme, rest) = (url.get(..sep)?, url.get(sep + 3..)?);
    let host_end = rest
        .bytes()
        .position(|c| matches!(c, b'/' | b'?' | b'#'))
        .unwrap_or(rest.len());
    let host = rest.get(..host_end)?;
    let query = match rest.bytes().position(|c| c == b'?') {
        Some(q) => {
            let q = rest.get(q + 1..).unwrap_or_default();
            q.get(..q.bytes().position(|c| c == b'#').unwrap_or(q.len()))
                .unwrap_or_default()
        }
        None => "",
    };
    Some((scheme, host, query))
}

/// Why a plain-http URL to a host that is not loopback is refused.
pub const PLAIN_HTTP: &str = "is plain http: credentials and signed URLs would travel in clear text; use https (or set allowInsecureHttp)";

/// Refuses plain-http URLs except to loopback, unless `allow_insecure_http`.
pub fn check_scheme(field: &str, url: &str, allow_insecure_http: bool) -> Result<()> {
    let Some((scheme, host, _)) = split_url(url.trim()) else {
        return Err(Error::invalid(field, "must be an absolute http(s) URL"));
    };
    if host.is_empty() {
        return Err(Error::invalid(field, "has no host"));
    }
    if scheme.eq_ignore_ascii_case("https") {
        return Ok(());
    }
    if !scheme.eq_ignore_ascii_case("http") {
        return Err(Error::invalid(field, "must be an http(s) URL"));
    }
    if allow_insecure_http || is_loopback_host(host) {
        Ok(())
    } else {
        Err(Error::invalid(field, PLAIN_HTTP))
    }
}

/// Refuses a URL that carries no signature (`x-oss-signature` of V4, `Signature` of V1): it
/// is not a presigned URL, and OSS would only answer AccessDenied.
pub fn check_has_signature(field: &str, url: &str) -> Result<()> {
    let query = split_url(url.trim()).map_or("", |(_, _, q)| q);
    if query_param(query, "x-oss-signature").is_some() || query_param(query, "Signature").is_some()
    {
        Ok(())
    } else {
        Err(Error::invalid(
            field,
            "carries no signature (x-oss-signature or Signature): not a presigned URL",
        ))
    }
}

/// Refuses a URL (or form host) that is not under `bucket_url` (the client's
/// `scheme://host/[bucket/]`): a URL signed for another bucket or host than the client's. The
/// standalone functions take URLs for any bucket.
pub fn check_same_bucket(field: &str, url: &str, bucket_url: &str) -> Result<()> {
    let url = url.trim();
    let base = url.split(['?', '#']).next().unwrap_or(url);
    let mut with_slash = without_default_port(base);
    if !with_slash.ends_with('/') {
        with_slash.push('/');
    }
    let same = with_slash
        .get(..bucket_url.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(bucket_url));
    if same {
        return Ok(());
    }
    let mut m = String::from("is not for this client's bucket: it must start with ");
    m.push_str(bucket_url);
    m.push_str(" (use the standalone function for other buckets or hosts)");
    Err(Error::invalid(field, m))
}

/// The object key a URL addresses, still percent-encoded: its path after `bucket_url` (the
/// client's, [`check_same_bucket`]) when given, else after the host, less the bucket's segment
/// when the host cannot name a bucket (path style: an IP address, `localhost`, an OSS endpoint
/// `oss-*.aliyuncs.com`).
pub fn object_path(url: &str, bucket_url: Option<&str>) -> String {
    let base = without_default_port(url.split(['?', '#']).next().unwrap_or(url));
    if let Some(b) = bucket_url {
        if base
            .get(..b.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(b))
        {
            return base.get(b.len()..).unwrap_or_default().to_owned();
        }
    }
    let Some((_, rest)) = base.split_once("://") else {
        return String::new();
    };
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    if is_path_style_host(host) {
        path.split_once('/').map_or("", |(_, key)| key).to_owned()
    } else {
        path.to_owned()
    }
}

/// A host that holds no bucket name: the bucket is the path's first segment. IP hosts are path
/// style as for endpoints ([`crate::endpoint::is_ip_literal`]).
fn is_path_style_host(host_port: &str) -> bool {
    let host = host_port
        .split(':')
        .next()
        .unwrap_or(host_port)
        .to_ascii_lowercase();
    crate::endpoint::is_ip_literal(host_port)
        || host == "localhost"
        || (host.split('.').count() == 3
            && host.starts_with("oss-")
            && host.ends_with(".aliyuncs.com"))
}

/// `url` without the scheme's default port (`https://h:443/…` → `https://h/…`), as URL parsers
/// write it and as the client's endpoint is kept (`crate::endpoint`).
fn without_default_port(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let default = if scheme.eq_ignore_ascii_case("https") {
        ":443"
    } else if scheme.eq_ignore_ascii_case("http") {
        ":80"
    } else {
        ""
    };
    match authority.strip_suffix(default) {
        Some(host) if !default.is_empty() => crate::text::cat(&[scheme, "://", host, path]),
        _ => url.to_owned(),
    }
}

/// Checks the headers of a credential endpoint request, as `fetch` would take them: HTTP-token
/// names; values without CR, LF or NUL and within Latin-1 (a `ByteString`), else `fetch` fails
/// at the first upload instead of here.
pub fn check_fetch_headers(field: &str, headers: &[(String, String)]) -> Result<()> {
    for (name, value) in headers {
        let name_ok = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        let reason = if !name_ok {
            "is not a valid HTTP header name"
        } else if value.contains(['\r', '\n', '\0']) {
            "value must not contain CR, LF or NUL"
        } else if value.chars().any(|c| u32::from(c) > 0xff) {
            "value must be Latin-1 (fetch sends header values as bytes U+0000-U+00FF)"
        } else {
            continue;
        };
        let mut f = String::from(field);
        f.push('.');
        f.push_str(name);
        return Err(Error::invalid(f, reason));
    }
    Ok(())
}

fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let k = uri_decode(k)?;
        k.eq_ignore_ascii_case(name)
            .then(|| uri_decode(v))
            .flatten()
    })
}

/// `20231216T162057Z` → instant.
fn parse_iso_basic(s: &str) -> Option<UnixTime> {
    let b = s.as_bytes();
    if b.len() != 16 || b.get(8) != Some(&b'T') || b.get(15) != Some(&b'Z') {
        return None;
    }
    let part = |from: usize, to: usize| s.get(from..to);
    let mut iso = String::with_capacity(20);
    for (p, sep) in [
        (part(0, 4)?, "-"),
        (part(4, 6)?, "-"),
        (part(6, 8)?, "T"),
        (part(9, 11)?, ":"),
        (part(11, 13)?, ":"),
        (part(13, 15)?, "Z"),
    ] {
        iso.push_str(p);
        iso.push_str(sep);
    }
    UnixTime::parse_iso8601(&iso).ok()
}

/// Whether a PUT to `url` with `headers` asks OSS for an upload callback (the `callback` /
/// `x-oss-callback` query parameter of a presigned URL, or the `x-oss-callback` header).
pub fn has_callback(url: &str, headers: &[(String, String)]) -> bool {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    query_param(query, "callback").is_some()
        || query_param(query, "x-oss-callback").is_some()
        || headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("x-oss-callback"))
}

/// When a presigned URL stops working: `x-oss-date + x-oss-expires` (V4) or `Expires` (V1).
pub fn url_expiry(url: &str) -> Option<UnixTime> {
    let (_, _, query) = split_url(url.trim())?;
    if let (Some(date), Some(expires)) = (
        query_param(query, "x-oss-date"),
        query_param(query, "x-oss-expires"),
    ) {
        let start = parse_iso_basic(&date)?;
        return Some(start.plus_secs(expires.parse().ok()?));
    }
    UnixTime::from_secs(query_param(query, "Expires")?.parse().ok()?)
}

fn expired_message(what: &str, at: UnixTime, now: ServerNow) -> String {
    let mut m = String::from(what);
    m.push_str(" expired at ");
    m.push_str(&at.iso8601_millis());
    m.push_str(" (");
    m.push_str(&(now.at.secs() - at.secs()).to_string());
    m.push_str(if now.learned {
        " s ago by OSS's clock"
    } else {
        " s ago by this device's clock"
    });
    m.push_str("): ask the server for a new one");
    m
}

/// Refuses, before sending, what expired at `at` by more than `now` may be wrong
/// ([`ServerNow::slack_secs`]): by OSS's clock when it is known, else only past
/// [`super::skew::DEVICE_CLOCK_SLACK_SECS`] by this device's. OSS judges the rest, and its answer is
/// [`expired_answer`].
pub fn check_not_expired(what: &str, at: UnixTime, now: ServerNow) -> Result<()> {
    if at.secs().saturating_add(now.slack_secs) < now.at.secs() {
        return Err(Error::SignedUrlExpired(expired_message(what, at, now)));
    }
    Ok(())
}

/// Refuses a presigned URL that is already expired at `now` ([`check_not_expired`]).
pub fn check_url_not_expired(url: &str, now: ServerNow) -> Result<Option<UnixTime>> {
    let at = url_expiry(url);
    if let Some(at) = at {
        check_not_expired("the signed URL", at, now)?;
    }
    Ok(at)
}

/// OSS's own answer to an expired presigned URL ("Request has expired.", EC 0002-00000236) or
/// post policy ("Invalid according to Policy: Policy expired."), with the code a check before
/// sending gives, `SignedUrlExpired`, and OSS's status, request ID, EC and host kept; OSS's own
/// code and its time go to the diagnosis. Other errors are returned as they are.
pub fn expired_answer(mut se: Box<ServiceError>) -> Error {
    let message = se.message.trim();
    let expired = se.status == 403
        && se.code == "AccessDenied"
        && (message == "Request has expired."
            || message == "Invalid according to Policy: Policy expired."
            || se.ec.as_deref() == Some("0002-00000236"));
    if expired {
        let mut d = String::from("OSS answered AccessDenied");
        if let Some(t) = &se.server_time {
            d.push_str(" at ");
            d.push_str(t);
        }
        d.push_str(" by its clock: ask the server for a new one");
        "SignedUrlExpired".clone_into(&mut se.code);
        se.diagnosis = Some(d);
    }
    Error::Service(se)
}

/// The PostObject form assembled from a server's JSON. Its Debug output hides the
/// SecurityToken.
#[derive(Clone, PartialEq, Eq)]
pub struct ServerPostForm {
    /// Where to POST.
    pub url: String,
    /// Form fields in order (the file goes last, after these).
    pub fields: Vec<(String, String)>,
    /// `"v1"` or `"v4"`.
    pub version: &'static str,
    /// The policy's expiration.
    pub expires_at: Option<UnixTime>,
    /// The object's (and the file's) Content-Type, once [`complete_server_form`] set it.
    pub content_type: String,
}

impl core::fmt::Debug for ServerPostForm {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ServerPostForm")
            .field("url", &self.url)
            .field("fields", &crate::credentials::redact::Pairs(&self.fields))
            .field("version", &self.version)
            .field("expires_at", &self.expires_at)
            .field("content_type", &self.content_type)
            .finish()
    }
}

/// The first non-empty value of the server's answer named by one of `names`, whatever the case
/// of its letters and whether it writes `-` or `_` (servers serialise the guide's fields as
/// `accessid`, `Accessid` (C#), `x_oss_credential` or `x-oss-credential`…).
fn lookup<'a>(fields: &'a [(String, String)], names: &[&str]) -> Option<&'a str> {
    let same = |a: &str, b: &str| {
        a.len() == b.len()
            && a.bytes().zip(b.bytes()).all(|(x, y)| {
                let fold = |c: u8| {
                    if c == b'-' {
                        b'_'
                    } else {
                        c.to_ascii_lowercase()
                    }
                };
                fold(x) == fold(y)
            })
    };
    names.iter().find_map(|n| {
        fields
            .iter()
            .find(|(k, v)| same(k, n) && !v.is_empty())
            .map(|(_, v)| v.as_str())
    })
}

#[cfg(feature = "client")]
/// The policy's JSON, decoded from its Base64.
fn policy_json(policy_b64: &str) -> Option<json::Value> {
    let bytes = super::xml::base64_decode(policy_b64)?;
    json::parse(&String::from_utf8(bytes).ok()?).ok()
}

#[cfg(feature = "client")]
/// Refuses a key the server's policy would refuse: its `$key` conditions (`eq`, `starts-with`,
/// `{"key": …}`), checked as OSS checks them; a policy without one takes any key. When the
/// policy cannot be read, the key must start with the server's `dir`, as the guide's servers
/// intend.
fn check_key_against_policy(key: &str, policy: Option<&json::Value>, dir: &str) -> Result<()> {
    let refuse = |how: &str, value: &str| {
        Err(Error::invalid(
            "key",
            crate::text::cat(&[how, " \"", value, "\" (the server's policy requires it)"]),
        ))
    };
    let Some(policy) = policy else {
        if key.starts_with(dir) {
            return Ok(());
        }
        return refuse("must start with the server's dir", dir);
    };
    let Some(json::Value::Array(conditions)) = policy.get("conditions") else {
        return Ok(());
    };
    for c in conditions {
        let (op, value) = match c {
            json::Value::Array(parts) => match parts.as_slice() {
                [op, field, value]
                    if field
                        .as_str()
                        .is_some_and(|f| f.eq_ignore_ascii_case("$key")) =>
                {
                    (
                        op.as_str().unwrap_or_default(),
                        value.as_str().unwrap_or_default(),
                    )
                }
                _ => continue,
            },
            json::Value::Object(members) => match members.as_slice() {
                [(field, value)] if field.eq_ignore_ascii_case("key") => {
                    ("eq", value.as_str().unwrap_or_default())
                }
                _ => continue,
            },
            _ => continue,
        };
        if op.eq_ignore_ascii_case("eq") && key != value {
            return refuse("must be", value);
        }
        if op.eq_ignore_ascii_case("starts-with") && !key.starts_with(value) {
            return refuse("must start with", value);
        }
    }
    Ok(())
}

#[cfg(feature = "client")]
/// Assembles the PostObject form from the server's fields (V1: `ossAccessKeyId`, `policy`,
/// `signature`, `dir`, `host`; V4: `policy`, `signature`, `x_oss_credential`, `x_oss_date`,
/// `x_oss_signature_version`, `security_token`, `dir`, `host`) for object `key` (or
/// `dir + filename`), checking the policy has not expired at `now` ([`check_not_expired`]).
#[allow(clippy::too_many_lines)]
pub fn server_post_form(
    server: &[(String, String)],
    key: Option<&str>,
    filename: Option<&str>,
    now: ServerNow,
    allow_insecure_http: bool,
) -> Result<ServerPostForm> {
    let need = |names: &[&str], label: &str| {
        lookup(server, names).ok_or_else(|| {
            let mut f = String::from("fields.");
            f.push_str(label);
            Error::invalid(f, "is missing from the server's answer")
        })
    };
    let host = need(&["host", "Host", "url"], "host")?;
    check_scheme("fields.host", host, allow_insecure_http)?;
    let policy = need(&["policy", "Policy"], "policy")?;
    let dir = lookup(server, &["dir", "Dir"]).unwrap_or("");
    let key = match (key, filename) {
        (Some(k), _) => k.to_owned(),
        (None, Some(name)) => {
            let mut k = dir.to_owned();
            k.push_str(name.rsplit(['/', '\\']).next().unwrap_or(name));
            k
        }
        (None, None) => return Err(Error::invalid("key", "give key or filename")),
    };
    crate::names::ObjectKey::new(&key)?;
    // The policy decoded once: its key conditions and its expiration.
    let decoded = policy_json(policy);
    check_key_against_policy(&key, decoded.as_ref(), dir)?;
    let expires_at = decoded
        .as_ref()
        .and_then(|v| v.get("expiration")?.as_str())
        .and_then(|e| UnixTime::parse_iso8601(e).ok())
        .or_else(|| {
            lookup(server, &["expire", "Expire"])
                .and_then(|e| e.parse().ok())
                .and_then(UnixTime::from_secs)
        });
    if let Some(at) = expires_at {
        check_not_expired("the server's post policy", at, now)?;
    }
    let mut fields = vec![("key".to_owned(), key)];
    let push =
        |f: &mut Vec<(String, String)>, k: &str, v: &str| f.push((k.to_owned(), v.to_owned()));
    let token = lookup(
        server,
        &[
            "security_token",
            "securityToken",
            "x-oss-security-token",
            "stsToken",
        ],
    );
    let version = if let Some(cred) = lookup(server, &["x_oss_credential", "x-oss-credential"]) {
        push(&mut fields, "policy", policy);
        push(
            &mut fields,
            "x-oss-signature-version",
            lookup(
                server,
                &["x_oss_signature_version", "x-oss-signature-version"],
            )
            .unwrap_or(crate::signer::ALGORITHM),
        );
        push(&mut fields, "x-oss-credential", cred);
        push(
            &mut fields,
            "x-oss-date",
            need(&["x_oss_date", "x-oss-date"], "x_oss_date")?,
        );
        push(
            &mut fields,
            "x-oss-signature",
            need(
                &["signature", "x_oss_signature", "x-oss-signature"],
                "signature",
            )?,
        );
        "v4"
    } else {
        let id = need(
            &["ossAccessKeyId", "OSSAccessKeyId", "accessid", "accessId"],
            "ossAccessKeyId",
        )?;
        push(&mut fields, "OSSAccessKeyId", id);
        push(&mut fields, "policy", policy);
        push(
            &mut fields,
            "Signature",
            need(&["signature", "Signature"], "signature")?,
        );
        "v1"
    };
    if let Some(t) = token {
        push(&mut fields, "x-oss-security-token", t);
    }
    push(&mut fields, "success_action_status", "200");
    let mut url = host.trim_end_matches('/').to_owned();
    url.push('/');
    Ok(ServerPostForm {
        url,
        fields,
        version,
        expires_at,
        content_type: String::new(),
    })
}

/// The `Content-Type` the server's answer names for the object (`buildPostPolicy`'s fields carry
/// one when the policy allows a single type).
pub fn server_content_type(server: &[(String, String)]) -> Option<&str> {
    lookup(server, &["content-type"])
}

/// Form fields [`server_post_form`] writes itself: `fields` given by the caller may not replace
/// them (lower case).
const OWN_FIELDS: [&str; 11] = [
    "key",
    "content-type",
    "policy",
    "ossaccesskeyid",
    "signature",
    "x-oss-signature-version",
    "x-oss-credential",
    "x-oss-date",
    "x-oss-signature",
    "x-oss-security-token",
    "file",
];

/// Completes a server's form with what the upload and the app add, after the signature fields
/// (the file goes last):
/// - `Content-Type`: the object's type, which `$content-type` conditions check (kept in
///   [`ServerPostForm::content_type`] for the file's own type);
/// - from the server's answer, `callback` and the callback's `x:` variables (the upload-callback
///   guide's servers return them for the form), other `x-oss-*` fields (`x-oss-meta-*`…), and
///   its `success_action_status` in place of 200;
/// - `extra`, the caller's own fields (`x-oss-meta-*`, `Cache-Control`, `success_action_status`
///   …), which may not replace the fields above.
pub fn complete_server_form(
    form: &mut ServerPostForm,
    server: &[(String, String)],
    content_type: String,
    extra: &[(String, String)],
) -> Result<()> {
    let fields = &mut form.fields;
    let mut set = |name: &str, value: &str| match fields
        .iter_mut()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
    {
        Some(field) => value.clone_into(&mut field.1),
        None => fields.push((name.to_owned(), value.to_owned())),
    };
    set("Content-Type", &content_type);
    if let Some(status) = lookup(server, &["success_action_status"]) {
        set("success_action_status", status);
    }
    if let Some(callback) = lookup(server, &["callback"]) {
        set("callback", callback);
    }
    // The callback's variables, and form fields the server wrote under their own names
    // (`x-oss-meta-*`, `x-oss-object-acl`…: what `buildPostPolicy` returns, say).
    for (name, value) in server {
        let lower = name.to_ascii_lowercase();
        if lower.starts_with("x:")
            || (lower.starts_with("x-oss-") && !OWN_FIELDS.contains(&lower.as_str()))
        {
            set(name, value);
        }
    }
    for (name, value) in extra {
        let lower = name.to_ascii_lowercase();
        if name.is_empty()
            || OWN_FIELDS.contains(&lower.as_str())
            || name.bytes().any(|c| matches!(c, b'\r' | b'\n' | b'"'))
        {
            return Err(Error::invalid(
                crate::text::cat(&["fields.", name]),
                "is not a field the app may add (the upload writes key, Content-Type: see contentType, file and the server's signature fields)",
            ));
        }
        set(name, value);
    }
    form.content_type = content_type;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `str`-splitting versions these replaced (kept to prove the byte scans equal).
    fn is_loopback_host_str(host_port: &str) -> bool {
        let host = if let Some(rest) = host_port.strip_prefix('[') {
            rest.split(']').next().unwrap_or("")
        } else {
            host_port.rsplit_once(':').map_or(host_port, |(h, _)| h)
        };
        let host = host.to_ascii_lowercase();
        host == "localhost"
            || host.ends_with(".localhost")
            || host == "::1"
            || host.strip_prefix("127.").is_some_and(|r| {
                r.split('.').count() == 3 && r.split('.').all(|p| p.parse::<u8>().is_ok())
            })
    }

    fn split_url_str(url: &str) -> Option<(&str, &str, &str)> {
        let (scheme, rest) = url.split_once("://")?;
        let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let host = rest.get(..host_end)?;
        let query = rest
            .split_once('?')
            .map_or("", |(_, q)| q.split('#').next().unwrap_or(""));
        Some((scheme, host, query))
    }

    #[test]
    fn byte_scans_equal_the_str_versions() {
        for h in [
            "localhost",
            "LOCALHOST:9000",
            "a.localhost",
            "a.localhost:1",
            "[::1]",
            "[::1]:80",
            "[::1",
            "127.0.0.1",
            "127.0.0.1:9000",
            "127.255.255.255",
            "127.256.0.1",
            "127.0.0",
            "127.0.0.0.1",
            "127.+1.2.3",
            "127.1.+2.3",
            "127.++1.2.3",
            "127.1..3",
            "127.01.002.3",
            "127.0000000001.2.3",
            "127.1.2.",
            "127.a.b.c",
            "128.0.0.1",
            "::1",
            "",
            ":",
            "[]",
            "x.localhostx",
            "localhost.",
            "127.1.2.3:",
        ] {
            assert_eq!(is_loopback_host(h), is_loopback_host_str(h), "{h}");
        }
        for u in [
            "http://a",
            "https://a/b?c#d",
            "http://a?b",
            "http://a#b?c",
            "http://a/b?c?d#e#f",
            "a://",
            "://",
            "noscheme",
            "http:/a",
            "http://",
            "http://中/路?查=询#片",
            "x://y?",
            "h://a:1/?q#",
        ] {
            assert_eq!(split_url(u), split_url_str(u), "{u}");
        }
    }

    fn t(secs: i64) -> UnixTime {
        UnixTime::from_secs(secs).unwrap()
    }

    /// OSS's time, learned.
    fn oss(secs: i64) -> ServerNow {
        ServerNow {
            at: t(secs),
            learned: true,
            slack_secs: 0,
        }
    }

    /// This device's clock only (OSS's time not learned yet).
    fn device(secs: i64) -> ServerNow {
        ServerNow {
            at: t(secs),
            learned: false,
            slack_secs: DEVICE_CLOCK_SLACK_SECS,
        }
    }

    #[test]
    fn fetch_headers_are_byte_strings() {
        let h = |n: &str, v: &str| vec![(n.to_owned(), v.to_owned())];
        assert!(
            check_fetch_headers("credentials.headers", &h("Authorization", "Bearer é")).is_ok()
        );
        for (n, v) in [
            ("x-a", "a\r\nb"),
            ("x-a", "a\0"),
            ("x-a", "令牌"),
            ("x a", "v"),
            ("", "v"),
        ] {
            let e = check_fetch_headers("credentials.headers", &h(n, v)).unwrap_err();
            assert_eq!(
                e.field(),
                Some(format!("credentials.headers.{n}").as_str()),
                "{n:?}={v:?}"
            );
        }
    }

    #[test]
    fn signed_url_must_carry_a_signature() {
        for ok in [
            "https://b.oss-cn-hangzhou.aliyuncs.com/k?x-oss-date=20990101T000000Z&x-oss-signature=ab",
            "https://b.oss-cn-hangzhou.aliyuncs.com/k?OSSAccessKeyId=a&Expires=1&Signature=x%2B",
        ] {
            assert!(check_has_signature("url", ok).is_ok(), "{ok}");
        }
        for bad in [
            "https://b.oss-cn-hangzhou.aliyuncs.com/k",
            "https://b.oss-cn-hangzhou.aliyuncs.com/k?x-oss-date=20990101T000000Z",
            "https://b.oss-cn-hangzhou.aliyuncs.com/k#x-oss-signature=ab",
        ] {
            assert_eq!(
                check_has_signature("url", bad).unwrap_err().field(),
                Some("url"),
                "{bad}"
            );
        }
    }

    #[test]
    fn client_urls_must_be_for_its_bucket() {
        let base = "http://demo.localhost:9000/";
        assert!(check_same_bucket("url", "http://demo.localhost:9000/k?x=1", base).is_ok());
        assert!(check_same_bucket("url", "HTTP://Demo.LocalHost:9000/a/b", base).is_ok());
        assert!(check_same_bucket("fields.host", "http://demo.localhost:9000", base).is_ok());
        for bad in [
            "http://other.localhost:9000/k",
            "http://demo.localhost:9001/k",
            "https://demo.localhost:9000/k",
            "http://demo.localhost:9000.evil.com/k",
            "http://demo.oss-cn-beijing.aliyuncs.com/k",
        ] {
            assert_eq!(
                check_same_bucket("url", bad, base).unwrap_err().field(),
                Some("url"),
                "{bad}"
            );
        }
        // Regression: the client keeps its endpoint without the scheme's default port, as URL
        // parsers write it; a URL that spells the port out is the same place.
        let https = "https://demo.oss-cn-hangzhou.aliyuncs.com/";
        for ok in [
            "https://demo.oss-cn-hangzhou.aliyuncs.com:443/k?x=1",
            "HTTPS://demo.oss-cn-hangzhou.aliyuncs.com:443",
            "https://demo.oss-cn-hangzhou.aliyuncs.com/k",
        ] {
            assert!(check_same_bucket("url", ok, https).is_ok(), "{ok}");
        }
        assert!(check_same_bucket(
            "url",
            "http://demo.localhost:80/k",
            "http://demo.localhost/"
        )
        .is_ok());
        assert!(check_same_bucket(
            "url",
            "https://demo.oss-cn-hangzhou.aliyuncs.com:4430/k",
            https
        )
        .is_err());
        assert!(check_same_bucket(
            "url",
            "http://demo.oss-cn-hangzhou.aliyuncs.com:443/k",
            https
        )
        .is_err());
        let path_style = "http://127.0.0.1:9000/demo/";
        assert!(check_same_bucket("url", "http://127.0.0.1:9000/demo/k", path_style).is_ok());
        assert!(check_same_bucket("url", "http://127.0.0.1:9000/demo2/k", path_style).is_err());
    }

    #[test]
    fn loopback_and_scheme_rules() {
        for h in [
            "localhost",
            "localhost:9000",
            "demo.localhost:1",
            "127.0.0.1",
            "127.1.2.3:80",
            "[::1]:8080",
        ] {
            assert!(is_loopback_host(h), "{h}");
        }
        for h in [
            "example.com",
            "127.0.0.1.evil.com",
            "10.0.0.1",
            "localhost.example.com",
        ] {
            assert!(!is_loopback_host(h), "{h}");
        }
        assert!(check_scheme("u", "https://x.com/a", false).is_ok());
        assert!(check_scheme("u", "http://demo.localhost:9/a", false).is_ok());
        assert_eq!(
            check_scheme("u", "http://x.com/a", false)
                .unwrap_err()
                .field(),
            Some("u")
        );
        assert!(check_scheme("u", "http://x.com/a", true).is_ok());
        assert!(check_scheme("u", "ftp://x.com/a", true).is_err());
        assert!(check_scheme("u", "/relative", true).is_err());
    }

    // Regression (review): uploadToSignedUrl's `key` held the bucket for path-style URLs.
    #[test]
    fn object_paths_of_virtual_hosted_path_style_and_client_urls() {
        let q = "?x-oss-signature=s";
        for (url, bucket_url, key) in [
            (
                "https://b.oss-cn-hangzhou.aliyuncs.com/d/k%20x",
                None,
                "d/k%20x",
            ),
            ("https://oss-cn-hangzhou.aliyuncs.com/b/d/k", None, "d/k"),
            (
                "https://oss-cn-hangzhou-internal.aliyuncs.com/b/k",
                None,
                "k",
            ),
            ("https://oss-b.oss-cn-hangzhou.aliyuncs.com/k", None, "k"),
            ("http://127.0.0.1:9000/demo/a/b.txt", None, "a/b.txt"),
            ("http://localhost:9000/demo/k", None, "k"),
            ("http://[::1]:9000/demo/k", None, "k"),
            ("http://demo.localhost:9000/k", None, "k"),
            ("https://cdn.example.com/k/x", None, "k/x"),
            ("http://127.0.0.1/demo", None, ""),
            (
                "https://cdn.example.com:443/demo/k",
                Some("https://cdn.example.com/demo/"),
                "k",
            ),
            (
                "http://127.0.0.1:9000/demo/k",
                Some("http://127.0.0.1:9000/demo/"),
                "k",
            ),
        ] {
            assert_eq!(object_path(&format!("{url}{q}"), bucket_url), key, "{url}");
        }
    }

    #[test]
    fn server_forms_carry_the_type_the_callback_and_the_app_s_fields() {
        let policy = crate::encode::base64_encode(
            br#"{"expiration":"2030-01-01T00:00:00Z","conditions":[]}"#,
        );
        let server = pairs(&[
            ("accessid", "a"),
            ("policy", &policy),
            ("signature", "s"),
            ("host", "https://h.example.com"),
            ("callback", "eyJjYWxsYmFja1VybCI6Ii4uLiJ9"),
            ("x:uid", "7"),
            ("expire", "1900000000"),
            ("x-oss-meta-team", "blue"),
            ("x_oss_credential_typo", "not a field"),
        ]);
        let mut form = server_post_form(&server, Some("k.png"), None, oss(0), false).unwrap();
        let extra = pairs(&[
            ("x-oss-meta-owner", "ann"),
            ("Success_Action_Status", "201"),
        ]);
        complete_server_form(&mut form, &server, "image/png".into(), &extra).unwrap();
        let names: Vec<_> = form
            .fields
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        assert_eq!(
            names,
            [
                "key=k.png",
                "OSSAccessKeyId=a",
                &format!("policy={policy}"),
                "Signature=s",
                "success_action_status=201",
                "Content-Type=image/png",
                "callback=eyJjYWxsYmFja1VybCI6Ii4uLiJ9",
                "x:uid=7",
                "x-oss-meta-team=blue",
                "x-oss-meta-owner=ann",
            ]
        );
        for own in [
            "Policy",
            "KEY",
            "content-type",
            "x-oss-signature",
            "file",
            "",
            "a\r\nb",
        ] {
            let mut form = server_post_form(&server, Some("k"), None, oss(0), false).unwrap();
            let e = complete_server_form(&mut form, &server, "t/t".into(), &pairs(&[(own, "v")]))
                .unwrap_err();
            assert_eq!(e.field(), Some(format!("fields.{own}").as_str()), "{own}");
        }
    }

    #[test]
    fn callbacks_of_signed_urls() {
        let h = |k: &str| vec![(k.to_owned(), "e30=".to_owned())];
        assert!(has_callback("https://b/k?callback=e30%3D&Signature=s", &[]));
        assert!(has_callback(
            "https://b/k?x-oss-callback=e30%3D&x-oss-signature=s",
            &[]
        ));
        assert!(has_callback(
            "https://b/k?x-oss-signature=s",
            &h("X-OSS-Callback")
        ));
        assert!(!has_callback(
            "https://b/k?x-oss-signature=s",
            &h("x-oss-meta-callback")
        ));
        assert!(!has_callback("https://b/callback?x-oss-signature=s", &[]));
    }

    #[test]
    fn url_expiry_v4_and_v1() {
        let v4 = "http://b.localhost:1/k?x-oss-signature-version=OSS4-HMAC-SHA256&x-oss-date=20231216T162057Z&x-oss-expires=599&x-oss-signature=ab";
        assert_eq!(url_expiry(v4), Some(t(1_702_743_657 + 599)));
        assert!(check_url_not_expired(v4, oss(1_702_743_657 + 598)).is_ok());
        let e = check_url_not_expired(v4, oss(1_702_743_657 + 700)).unwrap_err();
        assert_eq!(e.code(), "SignedUrlExpired");
        assert!(e.to_string().contains("101 s ago"), "{e}");
        let v1 = "https://b.oss-cn-hangzhou.aliyuncs.com/k?OSSAccessKeyId=a&Expires=1700000000&Signature=x%2By";
        assert_eq!(url_expiry(v1), Some(t(1_700_000_000)));
        assert!(check_url_not_expired(v1, oss(1_700_000_001)).is_err());
        assert_eq!(url_expiry("https://b/k"), None);
        assert!(check_url_not_expired("https://b/k", oss(5)).is_ok());
    }

    // Regression (review): a device whose clock is 20 minutes fast could never use a fresh
    // 15-minute URL or policy: it was refused "by OSS's clock" before OSS was ever asked. Until
    // OSS's time is learned, only what this device says expired over a day ago is refused.
    #[test]
    fn an_unlearned_device_clock_refuses_only_the_implausible() {
        let v4 = "http://b.localhost:1/k?x-oss-date=20231216T162057Z&x-oss-expires=900&x-oss-signature=ab";
        let at = 1_702_743_657 + 900;
        assert!(check_url_not_expired(v4, device(at + 1_200)).is_ok());
        assert!(check_url_not_expired(v4, device(at + DEVICE_CLOCK_SLACK_SECS)).is_ok());
        let e = check_url_not_expired(v4, device(at + DEVICE_CLOCK_SLACK_SECS + 1)).unwrap_err();
        assert_eq!(e.code(), "SignedUrlExpired");
        assert!(
            e.to_string().contains("s ago by this device's clock"),
            "{e}"
        );
        let e = check_url_not_expired(v4, oss(at + 1)).unwrap_err();
        assert!(e.to_string().contains("1 s ago by OSS's clock"), "{e}");
        let policy = crate::encode::base64_encode(
            br#"{"expiration":"2023-11-14T00:15:00.000Z","conditions":[]}"#,
        );
        let fields = pairs(&[
            ("policy", &policy),
            ("signature", "s"),
            ("OSSAccessKeyId", "a"),
            ("host", "https://h.example.com"),
        ]);
        let late = 1_699_921_800 + 1_200;
        assert!(server_post_form(&fields, Some("k"), None, device(late), false).is_ok());
        let e = server_post_form(&fields, Some("k"), None, oss(late), false).unwrap_err();
        assert_eq!(e.code(), "SignedUrlExpired");
    }

    #[test]
    fn oss_expired_answers_become_signed_url_expired() {
        let answer = |status: u16, code: &str, message: &str, ec: Option<&str>| {
            expired_answer(Box::new(ServiceError {
                status,
                code: code.into(),
                message: message.into(),
                request_id: Some("RID".into()),
                ec: ec.map(Into::into),
                string_to_sign: None,
                canonical_request: None,
                server_time: Some("2026-11-23T01:00:00.000Z".into()),
                host_id: None,
                diagnosis: None,
            }))
        };
        let e = answer(
            403,
            "AccessDenied",
            "Request has expired.",
            Some("0002-00000236"),
        );
        assert_eq!(e.code(), "SignedUrlExpired");
        assert_eq!(
            e.to_string(),
            "SignedUrlExpired: Request has expired. (OSS answered AccessDenied at 2026-11-23T01:00:00.000Z by its clock: ask the server for a new one)"
        );
        // OSS's details stay: status, request ID, EC.
        let Error::Service(se) = &e else {
            panic!("{e:?}")
        };
        assert_eq!(
            (se.status, se.request_id.as_deref(), se.ec.as_deref()),
            (403, Some("RID"), Some("0002-00000236"))
        );
        assert!(!e.is_retryable());
        let policy = answer(
            403,
            "AccessDenied",
            "Invalid according to Policy: Policy expired.",
            None,
        );
        assert_eq!(policy.code(), "SignedUrlExpired");
        let v4 = answer(403, "AccessDenied", "", Some("0002-00000236"));
        assert_eq!(v4.code(), "SignedUrlExpired");
        // Regression (review): a condition on a field whose value says "has expired" was taken
        // for an expired URL.
        for other in [
            answer(
                403,
                "AccessDenied",
                "Invalid according to Policy: Policy Condition failed: [\"eq\", \"$x-oss-meta-note\", \"Request has expired.\"]",
                None,
            ),
            answer(
                403,
                "SecurityTokenExpired",
                "The security token you provided has expired.",
                None,
            ),
            answer(400, "AccessDenied", "Request has expired.", None),
        ] {
            assert_ne!(other.code(), "SignedUrlExpired", "{other}");
        }
    }

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    #[test]
    fn assembles_v1_and_v4_forms() {
        let policy = crate::encode::base64_encode(
            br#"{"expiration":"2030-01-01T00:00:00.000Z","conditions":[]}"#,
        );
        let v1 = pairs(&[
            ("ossAccessKeyId", "LTAI"),
            ("policy", &policy),
            ("signature", "sig"),
            ("dir", "up/"),
            ("host", "http://demo.localhost:9"),
        ]);
        let f =
            server_post_form(&v1, None, Some("C:\\x\\a.txt"), oss(1_700_000_000), false).unwrap();
        assert_eq!(f.version, "v1");
        assert_eq!(f.url, "http://demo.localhost:9/");
        let names: Vec<&str> = f.fields.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "key",
                "OSSAccessKeyId",
                "policy",
                "Signature",
                "success_action_status"
            ]
        );
        assert_eq!(f.fields[0].1, "up/a.txt");
        let v4 = pairs(&[
            ("policy", &policy),
            ("signature", "hex"),
            (
                "x_oss_credential",
                "STS.a/20231216/cn-hangzhou/oss/aliyun_v4_request",
            ),
            ("x_oss_date", "20231216T162057Z"),
            ("x_oss_signature_version", "OSS4-HMAC-SHA256"),
            ("security_token", "tok"),
            ("dir", "up/"),
            ("host", "https://b.example.com/"),
        ]);
        let f = server_post_form(&v4, Some("up/k"), None, oss(1_700_000_000), false).unwrap();
        let names: Vec<&str> = f.fields.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "key",
                "policy",
                "x-oss-signature-version",
                "x-oss-credential",
                "x-oss-date",
                "x-oss-signature",
                "x-oss-security-token",
                "success_action_status"
            ]
        );
        assert_eq!(f.url, "https://b.example.com/");
        // A policy without a $key condition takes any key (OSS does), `dir` or not.
        assert!(server_post_form(&v4, Some("other/k"), None, oss(0), false).is_ok());
        let e = server_post_form(&v4, Some("up/k"), None, oss(1_900_000_000), false).unwrap_err();
        assert_eq!(e.code(), "SignedUrlExpired");
        let missing = pairs(&[("policy", &policy), ("host", "https://h")]);
        assert_eq!(
            server_post_form(&missing, Some("k"), None, oss(0), false)
                .unwrap_err()
                .field(),
            Some("fields.ossAccessKeyId")
        );
        let insecure = pairs(&[("policy", &policy), ("host", "http://h.example.com")]);
        assert_eq!(
            server_post_form(&insecure, Some("k"), None, oss(0), false)
                .unwrap_err()
                .field(),
            Some("fields.host")
        );
    }

    // Regression (review): a key outside the server's `dir` was refused "(its policy requires it)"
    // even when the policy had no $key condition; now the policy's own conditions are checked.
    #[test]
    fn key_is_checked_against_the_policy_conditions() {
        let form = |policy: &str, key: &str| {
            let p = crate::encode::base64_encode(policy.as_bytes());
            let server = pairs(&[
                ("accessid", "LTAI"),
                ("policy", &p),
                ("signature", "sig"),
                ("dir", "up/"),
                ("host", "https://b.example.com"),
            ]);
            server_post_form(&server, Some(key), None, oss(1_700_000_000), false)
        };
        let starts =
            r#"{"expiration":"2030-01-01T00:00:00Z","conditions":[["starts-with","$key","up/"]]}"#;
        assert!(form(starts, "up/a").is_ok());
        let e = form(starts, "other/a").unwrap_err();
        assert_eq!(e.field(), Some("key"));
        assert!(e.to_string().contains("must start with \"up/\""), "{e}");
        let eq = r#"{"expiration":"2030-01-01T00:00:00Z","conditions":[["eq","$Key","up/x"],{"bucket":"b"}]}"#;
        assert!(form(eq, "up/x").is_ok());
        assert!(form(eq, "up/y").is_err());
        let object = r#"{"expiration":"2030-01-01T00:00:00Z","conditions":[{"key":"up/x"}]}"#;
        assert!(form(object, "up/y").is_err());
        let none =
            r#"{"expiration":"2030-01-01T00:00:00Z","conditions":[["content-length-range",0,10]]}"#;
        assert!(form(none, "elsewhere/a").is_ok());
        // A policy that cannot be read: the key must start with the server's dir.
        assert!(form("not json", "elsewhere/a").is_err());
        assert!(form("not json", "up/a").is_ok());
    }

    // Regression (review): the guide's fields under other spellings were never read: the C#
    // sample's JsonConvert names (`Accessid`, `Host`, `Policy`…: "fields.host is missing"),
    // a V4 server's form-ready `x-oss-*` names (read as V1), and `stsToken` (dropped).
    #[test]
    fn reads_server_fields_whatever_their_spelling() {
        let policy = crate::encode::base64_encode(
            br#"{"expiration":"2030-01-01T00:00:00.000Z","conditions":[]}"#,
        );
        let csharp = pairs(&[
            ("Accessid", "LTAI"),
            ("Host", "https://b.example.com"),
            ("Policy", &policy),
            ("Signature", "sig"),
            ("Expire", "1900000000"),
            ("Dir", "up/"),
        ]);
        let f = server_post_form(&csharp, None, Some("a.txt"), oss(1_700_000_000), false).unwrap();
        assert_eq!(f.version, "v1");
        assert_eq!(
            f.fields[..2],
            [
                ("key".into(), "up/a.txt".into()),
                ("OSSAccessKeyId".into(), "LTAI".into())
            ]
        );
        let v4_dashed = pairs(&[
            ("policy", &policy),
            ("x-oss-signature", "hex"),
            (
                "x-oss-credential",
                "STS.a/20231216/cn-hangzhou/oss/aliyun_v4_request",
            ),
            ("x-oss-date", "20231216T162057Z"),
            ("x-oss-signature-version", "OSS4-HMAC-SHA256"),
            ("stsToken", "tok"),
            ("host", "https://b.example.com/"),
        ]);
        let f = server_post_form(&v4_dashed, Some("k"), None, oss(1_700_000_000), false).unwrap();
        assert_eq!(f.version, "v4");
        assert!(f.fields.contains(&("x-oss-signature".into(), "hex".into())));
        assert!(f
            .fields
            .contains(&("x-oss-security-token".into(), "tok".into())));
    }
}
