//! Canonicalization and signing: URI encoding round-trips; any request that passes `Request::new`
//! signs and presigns without panicking into a URL and headers that can be sent as they are
//! (ASCII URL without spaces or controls; header values fetch ByteStrings without CR, LF or NUL).
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use oss_direct_upload::credentials::Credentials;
use oss_direct_upload::encode::{uri_decode, uri_encode};
use oss_direct_upload::endpoint::{EndpointKind, EndpointOptions};
use oss_direct_upload::signer::{self, canonical_query, Request, RequestParts, SigningKeyCache};
use oss_direct_upload::time::UnixTime;

#[derive(Arbitrary, Debug)]
struct Input {
    text: String,
    method: String,
    bucket: String,
    key: Option<String>,
    region: String,
    endpoint: Option<String>,
    kind: u8,
    cname: bool,
    path_style: bool,
    headers: Vec<(String, String)>,
    query: Vec<(String, Option<String>)>,
    additional: Vec<String>,
    expires: i64,
    now: u32,
    token: bool,
}

fn sendable_url(url: &str) {
    assert!(
        url.starts_with("https://") || url.starts_with("http://"),
        "{url}"
    );
    assert!(
        url.bytes().all(|b| b.is_ascii_graphic()),
        "unsendable URL {url:?}"
    );
}

fn sendable_headers(headers: &[(String, String)]) {
    for (k, v) in headers {
        assert!(
            !k.is_empty() && k.bytes().all(|b| b.is_ascii_graphic() && b != b':'),
            "header name {k:?}"
        );
        assert!(
            v.chars()
                .all(|c| u32::from(c) <= 0xFF && !matches!(c, '\r' | '\n' | '\0')),
            "header {k}: {v:?}"
        );
    }
}

fuzz_target!(|inp: Input| {
    for keep_slash in [false, true] {
        let enc = uri_encode(&inp.text, keep_slash);
        assert!(enc
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.~%/".contains(&b)));
        assert_eq!(uri_decode(&enc).as_deref(), Some(inp.text.as_str()));
    }
    let q = canonical_query(inp.query.iter().map(|(k, v)| (k.as_str(), v.as_deref())));
    assert!(q.is_ascii());

    // Mostly valid names, so most inputs get past validation into canonicalization and signing.
    let valid = inp.kind & 0x80 == 0;
    let method = if valid { "PUT" } else { inp.method.as_str() };
    let bucket = if valid {
        "demo-bucket"
    } else {
        inp.bucket.as_str()
    };
    let region = if valid {
        "cn-hangzhou"
    } else {
        inp.region.as_str()
    };
    let Ok(req) = Request::new(RequestParts {
        method,
        bucket,
        key: inp.key.as_deref(),
        region,
        product: None,
        endpoint: EndpointOptions {
            endpoint: inp.endpoint.as_deref(),
            kind: match inp.kind % 3 {
                0 => EndpointKind::Public,
                1 => EndpointKind::Internal,
                _ => EndpointKind::Accelerate,
            },
            cname: inp.cname,
            path_style: inp.path_style,
        },
        headers: inp.headers.clone(),
        query: inp.query.clone(),
        additional_headers: inp.additional.clone(),
    }) else {
        return;
    };
    let creds = Credentials::new(
        "STS.fuzz",
        "fuzz-secret",
        inp.token.then(|| "fuzz-token".to_owned()),
    )
    .unwrap();
    let now = UnixTime::from_secs(1_700_000_000 + i64::from(inp.now)).unwrap();
    let mut cache = SigningKeyCache::new();
    let s = signer::sign_request(&req, &creds, now, &mut cache);
    sendable_url(&s.url);
    sendable_headers(&s.headers);
    assert!(s.canonical_request.ends_with("\nUNSIGNED-PAYLOAD"));
    assert!(s.headers.iter().any(
        |(k, v)| k == "authorization" && v.starts_with("OSS4-HMAC-SHA256 Credential=STS.fuzz/")
    ));
    if let Ok(p) = signer::presign(&req, &creds, now, inp.expires, &mut cache) {
        sendable_url(&p.url);
        sendable_headers(&p.headers);
        assert!(p.url.contains("x-oss-signature="));
        assert_eq!(p.expires_at.secs(), now.secs() + inp.expires);
    }
});
