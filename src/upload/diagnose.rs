//! Plain-words diagnosis of `SignatureDoesNotMatch`: compares what was signed with what OSS
//! says it received (its `<CanonicalRequest>` / `<StringToSign>`) and names the first difference.

use crate::credentials::redact;
use crate::error::ServiceError;

struct Canonical<'a> {
    method: &'a str,
    uri: &'a str,
    query: &'a str,
    headers: Vec<(&'a str, &'a str)>,
    additional: &'a str,
}

fn parse(text: &str) -> Option<Canonical<'_>> {
    let mut lines = text.split('\n');
    let method = lines.next()?;
    let uri = lines.next()?;
    let query = lines.next()?;
    let mut headers = Vec::new();
    for line in lines.by_ref() {
        if line.is_empty() {
            break;
        }
        let (k, v) = line.split_once(':')?;
        headers.push((k, v));
    }
    let additional = lines.next().unwrap_or("");
    Some(Canonical {
        method,
        uri,
        query,
        headers,
        additional,
    })
}

/// `content-type` → `Content-Type`; `x-oss-*` as is.
fn display_name(lower: &str) -> &str {
    match lower {
        "content-type" => "Content-Type",
        "content-md5" => "Content-MD5",
        "host" => "Host",
        other => other,
    }
}

fn quoted(out: &mut String, v: &str) {
    if v.is_empty() {
        out.push_str("(empty)");
    } else {
        out.push_str(v);
    }
}

fn differs(what: &str, signed: &str, sent: &str) -> String {
    let mut m = String::from(what);
    m.push_str(" signed as ");
    quoted(&mut m, signed);
    m.push_str(" but sent as ");
    quoted(&mut m, sent);
    m
}

/// The first difference between the canonical request we signed and the one OSS computed. The
/// SecurityToken is redacted in both first (OSS's copy arrives redacted from
/// `xml::service_error`), so it is never compared nor quoted.
pub fn compare_canonical(signed: &str, received: &str) -> Option<String> {
    let (signed, received) = (redact::text(signed), redact::text(received));
    let (a, b) = (parse(&signed)?, parse(&received)?);
    if a.method != b.method {
        return Some(differs("method", a.method, b.method));
    }
    if a.uri != b.uri {
        return Some(differs("path", a.uri, b.uri));
    }
    if a.query != b.query {
        return Some(differs("query", a.query, b.query));
    }
    for (name, value) in &a.headers {
        match b.headers.iter().find(|(n, _)| n == name) {
            Some((_, v)) if v == value => {}
            Some((_, v)) => return Some(differs(display_name(name), value, v)),
            None => {
                let mut m = String::from(display_name(name));
                m.push_str(" signed as ");
                quoted(&mut m, value);
                m.push_str(" but not sent");
                return Some(m);
            }
        }
    }
    for (name, value) in &b.headers {
        if !a.headers.iter().any(|(n, _)| n == name) {
            let mut m = String::from(display_name(name));
            m.push_str(" sent as ");
            quoted(&mut m, value);
            m.push_str(" but not signed (the browser or a proxy added it after signing)");
            return Some(m);
        }
    }
    if a.additional != b.additional {
        return Some(differs("AdditionalHeaders", a.additional, b.additional));
    }
    None
}

/// The Content-Type OSS saw, from its canonical request (V4) or string to sign (V1, line 3).
fn received_content_type(err: &ServiceError) -> Option<String> {
    if let Some(c) = err.canonical_request.as_deref().and_then(parse) {
        return Some(
            c.headers
                .iter()
                .find(|(n, _)| *n == "content-type")
                .map(|(_, v)| (*v).to_owned())
                .unwrap_or_default(),
        );
    }
    let sts = err.string_to_sign.as_deref()?;
    if sts.starts_with("OSS4-HMAC-SHA256") {
        return None;
    }
    sts.split('\n').nth(2).map(str::to_owned)
}

/// Diagnosis for a request this library signed (`signed_*` are ours).
pub fn diagnose_signed(
    err: &ServiceError,
    signed_canonical: &str,
    signed_string_to_sign: &str,
    access_key_id: &str,
) -> String {
    if let Some(received) = &err.canonical_request {
        if let Some(d) = compare_canonical(signed_canonical, received) {
            return d;
        }
    }
    if let Some(sts) = &err.string_to_sign {
        let mine: Vec<&str> = signed_string_to_sign.split('\n').collect();
        let theirs: Vec<&str> = sts.split('\n').collect();
        if mine.get(1) != theirs.get(1) {
            return differs(
                "signing time",
                mine.get(1).copied().unwrap_or(""),
                theirs.get(1).copied().unwrap_or(""),
            );
        }
        if mine.get(2) != theirs.get(2) {
            return differs(
                "scope (date/region/product)",
                mine.get(2).copied().unwrap_or(""),
                theirs.get(2).copied().unwrap_or(""),
            );
        }
        if mine == theirs {
            let mut m = String::from("the request OSS received is exactly the one signed, so the AccessKeySecret does not belong to AccessKeyId ");
            m.push_str(access_key_id);
            m.push_str(": check what the credential endpoint returns");
            return m;
        }
    }
    String::from("OSS did not return its StringToSign/CanonicalRequest to compare with: check the AccessKeySecret, and that no proxy changes the request")
}

/// Diagnosis for a URL or form signed by the app's server, from what was sent.
pub fn diagnose_server_signed(err: &ServiceError, sent_content_type: Option<&str>) -> String {
    let sent = received_content_type(err)
        .filter(|s| !s.is_empty())
        .or_else(|| sent_content_type.map(str::to_owned));
    match sent {
        Some(ct) => {
            let mut m = String::from("Content-Type sent as ");
            m.push_str(&ct);
            m.push_str(", which the server did not sign: pass the contentType the server signed the URL with (or have it sign ");
            m.push_str(&ct);
            m.push(')');
            m
        }
        None => String::from("sent without Content-Type: if the server signed the URL with a Content-Type, pass the same contentType; otherwise check the server's AccessKeySecret and the URL (it must be used exactly as signed)"),
    }
}

/// OSS's `InvalidArgument` for a request signed for another region than the bucket's ("The
/// signing region in credential is invalid.", EC 0002-00000715) says nothing of the region
/// signed: names it, and what to give instead.
#[inline(never)] // one copy for every transport the request loop is built for
pub fn wrong_region(se: &mut ServiceError, region: &str) {
    if se.code == "InvalidArgument"
        && (se.ec.as_deref() == Some("0002-00000715") || se.message.contains("signing region"))
    {
        se.diagnosis = Some(crate::text::cat(&[
            "the request was signed for region ",
            region,
            ", and the bucket is in another: give the bucket's region (the oss-REGION of its \
             endpoint)",
        ]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIGNED: &str = "PUT\n/b/k.png\n\ncontent-type:image/png\nx-oss-content-sha256:UNSIGNED-PAYLOAD\nx-oss-date:20240101T000000Z\n\n\nUNSIGNED-PAYLOAD";

    #[test]
    fn names_a_changed_content_type() {
        let got = SIGNED.replace("image/png", "image/jpeg");
        assert_eq!(
            compare_canonical(SIGNED, &got).unwrap(),
            "Content-Type signed as image/png but sent as image/jpeg"
        );
    }

    #[test]
    fn names_added_missing_headers_and_paths() {
        let added = SIGNED.replace(
            "content-type:image/png\n",
            "content-type:image/png\ncontent-md5:abc\n",
        );
        assert!(compare_canonical(SIGNED, &added)
            .unwrap()
            .starts_with("Content-MD5 sent as abc but not signed"));
        let missing = SIGNED.replace("content-type:image/png\n", "");
        assert_eq!(
            compare_canonical(SIGNED, &missing).unwrap(),
            "Content-Type signed as image/png but not sent"
        );
        let path = SIGNED.replace("/b/k.png", "/b/k%2Epng");
        assert_eq!(
            compare_canonical(SIGNED, &path).unwrap(),
            "path signed as /b/k.png but sent as /b/k%2Epng"
        );
        let method = SIGNED.replacen("PUT", "POST", 1);
        assert!(compare_canonical(SIGNED, &method)
            .unwrap()
            .starts_with("method signed as PUT"));
        assert_eq!(compare_canonical(SIGNED, SIGNED), None);
    }

    /// Issue 7: a diagnosis named the header that differed and quoted both values, so a token
    /// that differed (or was sent unsigned) ended up in the error message.
    #[test]
    fn never_quotes_a_security_token() {
        let ours = SIGNED.replace(
            "x-oss-date:20240101T000000Z\n",
            "x-oss-date:20240101T000000Z\nx-oss-security-token:CAIS-ours\n",
        );
        let theirs = ours.replace("CAIS-ours", "CAIS-theirs");
        let unsigned = SIGNED.replace(
            "x-oss-date:20240101T000000Z\n",
            "x-oss-date:20240101T000000Z\nx-oss-security-token:CAIS-theirs\n",
        );
        for (a, b) in [
            (&ours, &theirs),
            (&ours, &SIGNED.to_owned()),
            (&SIGNED.to_owned(), &unsigned),
        ] {
            let d = compare_canonical(a, b).unwrap_or_default();
            assert!(!d.contains("CAIS"), "{d}");
        }
        assert_eq!(
            compare_canonical(SIGNED, &unsigned).unwrap(),
            "x-oss-security-token sent as [redacted] but not signed (the browser or a proxy added it after signing)"
        );
    }

    #[test]
    fn falls_back_to_string_to_sign_and_secret() {
        let sts =
            "OSS4-HMAC-SHA256\n20240101T000000Z\n20240101/cn-hangzhou/oss/aliyun_v4_request\nabc";
        let err = ServiceError {
            canonical_request: Some(SIGNED.into()),
            string_to_sign: Some(sts.into()),
            ..Default::default()
        };
        assert!(diagnose_signed(&err, SIGNED, sts, "STS.x")
            .contains("AccessKeySecret does not belong to AccessKeyId STS.x"));
        let other = sts.replace("cn-hangzhou", "cn-beijing");
        assert!(diagnose_signed(&err, SIGNED, &other, "STS.x").starts_with("scope"));
        let none = ServiceError::default();
        assert!(diagnose_signed(&none, SIGNED, sts, "a").contains("did not return"));
    }

    #[test]
    fn server_signed_names_the_sent_type() {
        let v4 = ServiceError {
            canonical_request: Some(SIGNED.replace("image/png", "text/plain")),
            ..Default::default()
        };
        assert!(diagnose_server_signed(&v4, None).starts_with("Content-Type sent as text/plain"));
        let v1 = ServiceError {
            string_to_sign: Some("PUT\n\ntext/plain\n1700000000\n/b/k".into()),
            ..Default::default()
        };
        assert!(diagnose_server_signed(&v1, None).starts_with("Content-Type sent as text/plain"));
        let bare = ServiceError::default();
        assert!(diagnose_server_signed(&bare, None).starts_with("sent without Content-Type"));
        assert!(diagnose_server_signed(&bare, Some("a/b")).starts_with("Content-Type sent as a/b"));
    }
}
