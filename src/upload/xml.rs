//! Reading OSS's XML answers: `<Error>` bodies (also base64 in `x-oss-err` for HEAD) and the
//! few result elements single-request uploads need. Flat documents: a tag reader suffices.

use super::transport::HttpResponse;
use crate::credentials::redact;
use crate::error::{Error, ServiceError};

/// The text of the first `<name>…</name>` element, entities decoded.
pub fn element(xml: &str, name: &str) -> Option<String> {
    let mut open = String::with_capacity(name.len() + 2);
    open.push('<');
    open.push_str(name);
    let mut from = 0;
    let start = loop {
        let at = from + xml.get(from..)?.find(&open)?;
        let after = at + open.len();
        match xml.as_bytes().get(after) {
            Some(b'>') => break after + 1,
            Some(b' ' | b'\t' | b'\n' | b'\r') => {
                let close = after + xml.get(after..)?.find('>')?;
                if xml.as_bytes().get(close.checked_sub(1)?) == Some(&b'/') {
                    return Some(String::new());
                }
                break close + 1;
            }
            Some(b'/') if xml.as_bytes().get(after + 1) == Some(&b'>') => {
                return Some(String::new())
            }
            _ => from = after,
        }
    };
    let mut close = String::with_capacity(name.len() + 3);
    close.push_str("</");
    close.push_str(name);
    close.push('>');
    let end = start + xml.get(start..)?.find(&close)?;
    Some(decode_entities(xml.get(start..end)?))
}

/// Decodes the five XML entities and numeric character references; CDATA is kept as text.
pub fn decode_entities(s: &str) -> String {
    if let Some(inner) = s
        .trim()
        .strip_prefix("<![CDATA[")
        .and_then(|r| r.strip_suffix("]]>"))
    {
        return inner.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(rest.get(..amp).unwrap_or_default());
        let tail = rest.get(amp..).unwrap_or_default();
        let Some(semi) = tail.find(';').filter(|&i| i <= 10) else {
            out.push('&');
            rest = tail.get(1..).unwrap_or_default();
            continue;
        };
        let entity = tail.get(1..semi).unwrap_or_default();
        let ch = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e => e
                .strip_prefix("#x")
                .or_else(|| e.strip_prefix("#X"))
                .map(|h| u32::from_str_radix(h, 16))
                .or_else(|| e.strip_prefix('#').map(str::parse::<u32>))
                .and_then(core::result::Result::ok)
                .and_then(char::from_u32),
        };
        if let Some(c) = ch {
            out.push(c);
            rest = tail.get(semi + 1..).unwrap_or_default();
        } else {
            out.push('&');
            rest = tail.get(1..).unwrap_or_default();
        }
    }
    out.push_str(rest);
    out
}

/// Standard Base64 decoding (for `x-oss-err`); `None` on malformed input.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let val = |c: u8| -> Option<u32> {
        Some(u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        }))
    };
    let bytes: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    let body = bytes
        .strip_suffix(b"==")
        .or_else(|| bytes.strip_suffix(b"="))
        .unwrap_or(&bytes);
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    for chunk in body.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= val(c)? << (18 - 6 * i);
        }
        let [_, a, b, c] = n.to_be_bytes();
        match chunk.len() {
            4 => out.extend_from_slice(&[a, b, c]),
            3 => out.extend_from_slice(&[a, b]),
            2 => out.push(a),
            _ => return None,
        }
    }
    Some(out)
}

/// The `ServiceError` for a non-2xx response: the `<Error>` body (or `x-oss-err`), falling back
/// to the status and the `x-oss-*` headers when the body is empty or not OSS XML.
pub fn service_error(resp: &HttpResponse) -> ServiceError {
    let from_header = resp
        .header("x-oss-err")
        .and_then(base64_decode)
        .and_then(|b| String::from_utf8(b).ok());
    let xml = if resp.body.contains("<Error") {
        resp.body.as_str()
    } else {
        from_header.as_deref().unwrap_or("")
    };
    let code = element(xml, "Code").unwrap_or_else(|| status_code_name(resp.status).to_owned());
    let message = element(xml, "Message").unwrap_or_else(|| {
        let mut m = String::from("HTTP ");
        m.push_str(&resp.status.to_string());
        m
    });
    ServiceError {
        status: resp.status,
        code,
        message,
        request_id: element(xml, "RequestId")
            .or_else(|| resp.header("x-oss-request-id").map(str::to_owned)),
        ec: element(xml, "EC").or_else(|| resp.header("x-oss-ec").map(str::to_owned)),
        // OSS echoes the SecurityToken in both (a V4 header line, a V1 x-oss-* line): never
        // keep it where it could be logged.
        string_to_sign: element(xml, "StringToSign").map(|s| redact::text(&s)),
        canonical_request: element(xml, "CanonicalRequest").map(|s| redact::text(&s)),
        server_time: element(xml, "ServerTime"),
        host_id: element(xml, "HostId"),
        diagnosis: None,
    }
}

/// An error code for a bodiless error status.
fn status_code_name(status: u16) -> &'static str {
    match status {
        400 => "BadRequest",
        403 => "AccessDenied",
        404 => "NoSuchKey",
        409 => "Conflict",
        412 => "PreconditionFailed",
        429 => "TooManyRequests",
        500 => "InternalError",
        503 => "ServiceUnavailable",
        _ => "UnknownError",
    }
}

/// `Error::Service` for a non-2xx response.
pub fn error_from(resp: &HttpResponse) -> Error {
    Error::Service(Box::new(service_error(resp)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, body: &str, headers: &[(&str, &str)]) -> HttpResponse {
        HttpResponse {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            body: body.to_owned(),
        }
    }

    #[test]
    fn parses_skew_error() {
        let body = r#"<?xml version="1.0" encoding="UTF-8"?>
<Error>
  <Code>RequestTimeTooSkewed</Code>
  <Message>The difference between the request time and the current time is too large.</Message>
  <RequestId>66F10B88708A5D313649AD20</RequestId>
  <HostId>bucket.oss-cn-hangzhou.aliyuncs.com</HostId>
  <MaxAllowedSkewMilliseconds>900000</MaxAllowedSkewMilliseconds>
  <RequestTime>2024-09-22T06:32:38.000Z</RequestTime>
  <ServerTime>2024-09-23T06:32:40.000Z</ServerTime>
  <EC>0002-00000504</EC>
</Error>"#;
        let e = service_error(&resp(403, body, &[]));
        assert_eq!(e.code, "RequestTimeTooSkewed");
        assert_eq!(e.request_id.as_deref(), Some("66F10B88708A5D313649AD20"));
        assert_eq!(
            e.host_id.as_deref(),
            Some("bucket.oss-cn-hangzhou.aliyuncs.com")
        );
        assert_eq!(e.server_time.as_deref(), Some("2024-09-23T06:32:40.000Z"));
        assert_eq!(e.ec.as_deref(), Some("0002-00000504"));
        assert_eq!(e.status, 403);
    }

    #[test]
    fn parses_signature_mismatch_with_canonical_request() {
        let body = "<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided.</Message>\
<StringToSign>OSS4-HMAC-SHA256\n20231216T162057Z\n20231216/cn-hangzhou/oss/aliyun_v4_request\nabc</StringToSign>\
<CanonicalRequest>PUT\n/bucket/k\n\ncontent-type:image/jpeg\nx-oss-content-sha256:UNSIGNED-PAYLOAD\n\n\nUNSIGNED-PAYLOAD</CanonicalRequest>\
<EC>0002-00000201</EC></Error>";
        let e = service_error(&resp(403, body, &[("x-oss-request-id", "RID")]));
        assert_eq!(e.code, "SignatureDoesNotMatch");
        assert!(e
            .string_to_sign
            .unwrap()
            .starts_with("OSS4-HMAC-SHA256\n2023"));
        assert!(e
            .canonical_request
            .unwrap()
            .contains("content-type:image/jpeg\n"));
        assert_eq!(e.request_id.as_deref(), Some("RID"));
    }

    #[test]
    fn decodes_entities_and_header_errors() {
        assert_eq!(
            decode_entities("a&amp;b&lt;c&gt;&quot;&apos;&#233;&#x4E2D;&bogus;&"),
            "a&b<c>\"'é中&bogus;&"
        );
        let xml = "<Error><Code>NoSuchKey</Code><Message>x</Message></Error>";
        let b64 = crate::encode::base64_encode(xml.as_bytes());
        let e = service_error(&resp(
            404,
            "",
            &[("x-oss-err", &b64), ("x-oss-ec", "0026-00000001")],
        ));
        assert_eq!(e.code, "NoSuchKey");
        assert_eq!(e.ec.as_deref(), Some("0026-00000001"));
        let e = service_error(&resp(503, "<html>busy</html>", &[]));
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            ("ServiceUnavailable", "HTTP 503")
        );
        assert_eq!(element("<A x=\"1\">v</A><B/>", "A").as_deref(), Some("v"));
        assert_eq!(
            element("<AB>no</AB><A>yes</A>", "A").as_deref(),
            Some("yes")
        );
        assert_eq!(element("<B/>", "B").as_deref(), Some(""));
        assert_eq!(element("<A>unterminated", "A"), None);
    }

    #[test]
    fn base64_round_trips() {
        for s in ["", "f", "fo", "foo", "foob", "fooba", "foobar"] {
            assert_eq!(
                base64_decode(&crate::encode::base64_encode(s.as_bytes())).unwrap(),
                s.as_bytes()
            );
        }
        assert_eq!(base64_decode("a"), None);
        assert_eq!(base64_decode("!!!!"), None);
    }
}
