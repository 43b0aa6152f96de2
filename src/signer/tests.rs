//! Stage tests: each stage is fed the previous stage's literal output (official vector
//! `auth_header_basic`, and the check values of `oss-v4-signing.md` §4).

#![allow(clippy::too_many_lines)] // case tables
use super::*;
use crate::endpoint::EndpointOptions;

const CANONICAL_BASIC: &str = concat!(
    "PUT\n",
    "/bucket/1234%2B-/123/1.txt\n",
    "%2Bparam1=value3&%2Bparam2&%7Cparam1=value4&%7Cparam2&param1=value1&param2\n",
    "content-type:text/plain\n",
    "x-oss-content-sha256:UNSIGNED-PAYLOAD\n",
    "x-oss-date:20231216T162057Z\n",
    "x-oss-head1:value\n",
    "\n",
    "\n",
    "UNSIGNED-PAYLOAD"
);

fn vector_query() -> Vec<(String, Option<String>)> {
    [
        ("param1", Some("value1")),
        ("+param1", Some("value3")),
        ("|param1", Some("value4")),
        ("+param2", None),
        ("|param2", Some("")),
        ("param2", None),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), v.map(str::to_owned)))
    .collect()
}

fn vector_headers(content_type: &str) -> Vec<(String, String)> {
    [
        ("x-oss-head1", "value"),
        ("abc", "value"),
        ("ZAbc", "value"),
        ("XYZ", "value"),
        ("content-type", content_type),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect()
}

fn vector_request(content_type: &str, additional: &[&str]) -> Request {
    Request::new(RequestParts {
        method: "put",
        bucket: "bucket",
        key: Some("1234+-/123/1.txt"),
        region: "cn-hangzhou",
        headers: vector_headers(content_type),
        query: vector_query(),
        additional_headers: additional.iter().map(|s| (*s).to_owned()).collect(),
        ..Default::default()
    })
    .unwrap()
}

#[test]
fn canonical_query_sorts_encoded_names_and_drops_empty_values() {
    let q = vector_query();
    assert_eq!(
        canonical_query(q.iter().map(|(k, v)| (k.as_str(), v.as_deref()))),
        "%2Bparam1=value3&%2Bparam2&%7Cparam1=value4&%7Cparam2&param1=value1&param2"
    );
    assert_eq!(
        canonical_query([("position", Some("0")), ("append", None)]),
        "append&position=0"
    );
    assert_eq!(canonical_query([]), "");
}

#[test]
fn canonical_headers_end_each_line_with_newline() {
    let lines = vec![
        ("content-type".to_owned(), "text/plain".to_owned()),
        ("x-oss-date".to_owned(), "20231216T162057Z".to_owned()),
    ];
    assert_eq!(
        canonical_headers(&lines),
        "content-type:text/plain\nx-oss-date:20231216T162057Z\n"
    );
}

#[test]
fn canonical_request_stage_matches_vector() {
    let got = canonical_request(
        "PUT",
        "/bucket/1234%2B-/123/1.txt",
        "%2Bparam1=value3&%2Bparam2&%7Cparam1=value4&%7Cparam2&param1=value1&param2",
        "content-type:text/plain\nx-oss-content-sha256:UNSIGNED-PAYLOAD\nx-oss-date:20231216T162057Z\nx-oss-head1:value\n",
        "",
    );
    assert_eq!(got, CANONICAL_BASIC);
}

#[test]
fn string_to_sign_stage_matches_check_value() {
    let sts = string_to_sign(
        "20231216T162057Z",
        "20231216/cn-hangzhou/oss/aliyun_v4_request",
        CANONICAL_BASIC,
    );
    assert_eq!(
        sts,
        "OSS4-HMAC-SHA256\n20231216T162057Z\n20231216/cn-hangzhou/oss/aliyun_v4_request\nf4613657f1b108998e8dbd10a1aa5da621dc2c6e02c9ddec0f163664848704c4"
    );
}

#[test]
fn signature_stage_matches_check_value() {
    let key = key::derive_signing_key("sk", "20231216", "cn-hangzhou", "oss");
    let sts = "OSS4-HMAC-SHA256\n20231216T162057Z\n20231216/cn-hangzhou/oss/aliyun_v4_request\nf4613657f1b108998e8dbd10a1aa5da621dc2c6e02c9ddec0f163664848704c4";
    assert_eq!(
        hex::encode(key::hmac_sha256(&key, sts.as_bytes())),
        "e21d18daa82167720f9b1047ae7e7f1ce7cb77a31e8203a7d5f4624fa0284afe"
    );
}

#[test]
fn sign_request_end_to_end_matches_vector() {
    let creds = Credentials::new("ak", "sk", None).unwrap();
    let now = UnixTime::from_secs(1_702_743_657).unwrap();
    let s = sign_request(
        &vector_request("text/plain", &[]),
        &creds,
        now,
        &mut SigningKeyCache::new(),
    );
    assert_eq!(s.canonical_request, CANONICAL_BASIC);
    let auth = s
        .headers
        .iter()
        .find(|(k, _)| k == "authorization")
        .unwrap();
    assert_eq!(
        auth.1,
        "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,Signature=e21d18daa82167720f9b1047ae7e7f1ce7cb77a31e8203a7d5f4624fa0284afe"
    );
    assert!(s.url.starts_with("https://bucket.oss-cn-hangzhou.aliyuncs.com/1234%2B-/123/1.txt?param1=value1&%2Bparam1=value3"));
}

#[test]
fn additional_headers_drop_default_signed_and_missing_names() {
    let creds = Credentials::new("ak", "sk", None).unwrap();
    let now = UnixTime::from_secs(1_702_747_512).unwrap();
    let mut cache = SigningKeyCache::new();
    let a = sign_request(
        &vector_request("text/plain", &["ZAbc", "abc"]),
        &creds,
        now,
        &mut cache,
    );
    let b = sign_request(
        &vector_request(
            "text/plain",
            &["x-oss-no-exist", "abc", "x-oss-head1", "ZAbc", "abc"],
        ),
        &creds,
        now,
        &mut cache,
    );
    let auth = |s: &SignedRequest| {
        s.headers
            .iter()
            .find(|(k, _)| k == "authorization")
            .unwrap()
            .1
            .clone()
    };
    assert_eq!(auth(&a), auth(&b));
    assert!(auth(&a).contains(",AdditionalHeaders=abc;zabc,Signature=4a4183c187c07c8947db7620deb0a6b38d9fbdd34187b6dbaccb316fa251212f"));
}

#[test]
fn presign_puts_signer_params_after_caller_params() {
    let creds = Credentials::new("ak", "sk", Some("token".into())).unwrap();
    let now = UnixTime::from_secs(1_702_785_388).unwrap();
    let p = presign(
        &vector_request("application/octet-stream", &[]),
        &creds,
        now,
        599,
        &mut SigningKeyCache::new(),
    )
    .unwrap();
    assert!(
        p.url.ends_with(
            "&x-oss-signature=3817ac9d206cd6dfc90f1c09c00be45005602e55898f26f5ddb06d7892e1f8b5"
        ),
        "{}",
        p.url
    );
    assert!(p
        .url
        .contains("x-oss-credential=ak%2F20231217%2Fcn-hangzhou%2Foss%2Faliyun_v4_request"));
    assert_eq!(p.expires_at.secs(), 1_702_785_388 + 599);
    let names: Vec<&str> = p.headers.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["x-oss-head1", "content-type"]);
}

#[test]
fn presign_rejects_expiry_out_of_range() {
    let creds = Credentials::new("ak", "sk", None).unwrap();
    let now = UnixTime::from_secs(1_702_785_388).unwrap();
    let req = vector_request("text/plain", &[]);
    for bad in [0, -1, 604_801] {
        let e = presign(&req, &creds, now, bad, &mut SigningKeyCache::new()).unwrap_err();
        assert_eq!(e.field(), Some("expiresInSecs"));
    }
    assert!(presign(&req, &creds, now, 604_800, &mut SigningKeyCache::new()).is_ok());
}

#[test]
fn utf8_metadata_is_signed_as_text_and_sent_as_bytes() {
    let creds = Credentials::new("ak", "sk", None).unwrap();
    let req = Request::new(RequestParts {
        method: "PUT",
        bucket: "bucket",
        key: Some("k"),
        region: "cn-hangzhou",
        headers: vec![("x-oss-meta-author".into(), "  张三  ".into())],
        ..Default::default()
    })
    .unwrap();
    let s = sign_request(
        &req,
        &creds,
        UnixTime::from_secs(1_702_743_657).unwrap(),
        &mut SigningKeyCache::new(),
    );
    assert!(s.canonical_request.contains("\nx-oss-meta-author:张三\n"));
    let sent = &s
        .headers
        .iter()
        .find(|(k, _)| k == "x-oss-meta-author")
        .unwrap()
        .1;
    assert_eq!(
        sent.chars()
            .map(|c| u8::try_from(u32::from(c)).unwrap())
            .collect::<Vec<u8>>(),
        "张三".as_bytes()
    );
}

#[test]
fn bad_headers_and_query_are_rejected_with_field() {
    let base = || RequestParts {
        method: "PUT",
        bucket: "bucket",
        key: Some("k"),
        region: "cn-hangzhou",
        ..Default::default()
    };
    let cases: Vec<(RequestParts<'_>, &str)> = vec![
        (
            RequestParts {
                headers: vec![("x-oss-meta-a".into(), "a\r\nb".into())],
                ..base()
            },
            "headers.x-oss-meta-a",
        ),
        (
            RequestParts {
                headers: vec![("bad name".into(), "v".into())],
                ..base()
            },
            "headers.bad name",
        ),
        (
            RequestParts {
                headers: vec![("A".into(), "1".into()), ("a".into(), "2".into())],
                ..base()
            },
            "headers.a",
        ),
        (
            RequestParts {
                headers: vec![("Authorization".into(), "x".into())],
                ..base()
            },
            "headers.Authorization",
        ),
        (
            RequestParts {
                headers: vec![("x-oss-content-sha256".into(), "abc".into())],
                ..base()
            },
            "headers.x-oss-content-sha256",
        ),
        (
            RequestParts {
                headers: vec![("host".into(), "evil.example.com".into())],
                ..base()
            },
            "headers.host",
        ),
        (
            RequestParts {
                query: vec![(String::new(), None)],
                ..base()
            },
            "query",
        ),
        (
            RequestParts {
                query: vec![("x-oss-signature".into(), None)],
                ..base()
            },
            "query.x-oss-signature",
        ),
        (
            RequestParts {
                additional_headers: vec!["a;b".into()],
                ..base()
            },
            "additionalHeaders",
        ),
        (
            RequestParts {
                method: "P UT",
                ..base()
            },
            "method",
        ),
        (
            RequestParts {
                key: Some("/k"),
                ..base()
            },
            "key",
        ),
        (
            RequestParts {
                bucket: "B",
                ..base()
            },
            "bucket",
        ),
        (
            RequestParts {
                region: "cn_hangzhou",
                ..base()
            },
            "region",
        ),
    ];
    for (parts, field) in cases {
        let e = Request::new(parts).unwrap_err();
        assert_eq!((e.code(), e.field()), ("InvalidArgument", Some(field)));
    }
}

#[test]
fn path_style_and_cname_keep_bucket_in_canonical_uri() {
    let creds = Credentials::new("ak", "sk", None).unwrap();
    let now = UnixTime::from_secs(1_702_743_657).unwrap();
    for (endpoint, cname, url) in [
        (
            "http://127.0.0.1:9000",
            false,
            "http://127.0.0.1:9000/bucket/a%20b",
        ),
        (
            "https://cdn.example.com",
            true,
            "https://cdn.example.com/a%20b",
        ),
    ] {
        let req = Request::new(RequestParts {
            method: "GET",
            bucket: "bucket",
            key: Some("a b"),
            region: "cn-hangzhou",
            endpoint: EndpointOptions {
                endpoint: Some(endpoint),
                cname,
                ..Default::default()
            },
            ..Default::default()
        })
        .unwrap();
        let s = sign_request(&req, &creds, now, &mut SigningKeyCache::new());
        assert_eq!(s.url, url);
        assert!(s.canonical_request.starts_with("GET\n/bucket/a%20b\n"));
    }
}

#[cfg(not(target_arch = "wasm32"))]
proptest::proptest! {
    /// Canonicalisation and signing never panic, whatever the key, headers and query; bad input
    /// is an `InvalidArgument`, good input signs.
    #[test]
    fn canonicalization_never_panics(
        key in proptest::prelude::any::<String>(),
        header_name in "[ -~]{0,12}",
        header_value in proptest::prelude::any::<String>(),
        query in proptest::collection::vec((proptest::prelude::any::<String>(), proptest::option::of(proptest::prelude::any::<String>())), 0..4),
        additional in proptest::collection::vec("[ -~]{0,8}", 0..3),
    ) {
        let parts = RequestParts {
            method: "PUT",
            bucket: "bucket",
            key: Some(&key),
            region: "cn-hangzhou",
            headers: vec![(header_name, header_value)],
            query,
            additional_headers: additional,
            ..Default::default()
        };
        match Request::new(parts) {
            Ok(req) => {
                let creds = Credentials::new("ak", "sk", Some("tok".into())).unwrap();
                let now = UnixTime::from_secs(1_702_743_657).unwrap();
                let mut cache = SigningKeyCache::new();
                let s = sign_request(&req, &creds, now, &mut cache);
                proptest::prop_assert!(s.canonical_request.ends_with("UNSIGNED-PAYLOAD"));
                let _ = presign(&req, &creds, now, 60, &mut cache);
            }
            Err(e) => proptest::prop_assert_eq!(e.code(), "InvalidArgument"),
        }
    }
}

#[test]
fn token_bytes_are_rfc_9110_tchar() {
    for b in 0..=255u8 {
        let tchar = b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
        assert_eq!(super::is_token_byte(b), tchar, "byte {b:#04x}");
    }
}

#[test]
fn header_values_lose_only_spaces_and_tabs_at_the_ends() {
    for (raw, want) in [
        (" \t a b \t ", "a b"),
        ("\u{a0}x\u{a0}", "\u{a0}x\u{a0}"),
        ("", ""),
        (" \t", ""),
    ] {
        assert_eq!(super::trim_space_tab(raw), want);
    }
}

#[test]
fn methods_trim_ascii_whitespace_only() {
    assert_eq!(check_method(" put\r\n").unwrap(), "PUT");
    for m in ["\u{a0}PUT", "PUT\u{3000}", "\u{b}PUT", ""] {
        assert_eq!(
            check_method(m).unwrap_err().field(),
            Some("method"),
            "{m:?}"
        );
    }
}

#[test]
fn additional_headers_are_lower_cased_unique_and_sorted() {
    let req = Request::new(RequestParts {
        method: "PUT",
        bucket: "examplebucket",
        key: Some("k"),
        region: "cn-hangzhou",
        headers: vec![
            ("Cache-Control".into(), "no-cache".into()),
            ("Accept".into(), "*/*".into()),
            ("Content-Type".into(), "text/plain".into()),
        ],
        additional_headers: vec![
            "cache-control".into(),
            "HOST".into(),
            "Cache-Control".into(),
            "accept".into(),
            "content-type".into(),
            "absent".into(),
            "host".into(),
        ],
        ..Default::default()
    })
    .unwrap();
    let (names, host) = req.normalized_additional();
    assert_eq!(names, ["accept", "cache-control", "host"]);
    assert_eq!(host, "examplebucket.oss-cn-hangzhou.aliyuncs.com");
}

#[test]
fn host_is_signed_as_the_url_host_browsers_send() {
    let creds = Credentials::new("ak", "sk", None).unwrap();
    let now = UnixTime::from_secs(1_702_743_657).unwrap();
    let request = |endpoint: &'static str, headers: Vec<(String, String)>| {
        Request::new(RequestParts {
            method: "PUT",
            bucket: "bkt",
            key: Some("k"),
            region: "cn-hangzhou",
            endpoint: EndpointOptions {
                endpoint: Some(endpoint),
                ..Default::default()
            },
            headers,
            additional_headers: vec!["host".into()],
            ..Default::default()
        })
    };
    for (endpoint, headers, host) in [
        (
            "https://OSS-CN-HANGZHOU.aliyuncs.com:443",
            vec![],
            "bkt.oss-cn-hangzhou.aliyuncs.com",
        ),
        ("http://127.0.0.1:80", vec![], "127.0.0.1"),
        // A `Host` header in another case is signed as the URL's host (what is sent).
        (
            "oss-cn-hangzhou.aliyuncs.com",
            vec![(
                "Host".to_owned(),
                "BKT.OSS-CN-HANGZHOU.ALIYUNCS.COM".to_owned(),
            )],
            "bkt.oss-cn-hangzhou.aliyuncs.com",
        ),
    ] {
        let req = request(endpoint, headers).unwrap();
        let line = cat(&["\nhost:", host, "\n"]);
        let s = sign_request(&req, &creds, now, &mut SigningKeyCache::new());
        assert!(s.canonical_request.contains(&line), "{endpoint}");
        assert!(s.url.contains(&cat(&["://", host, "/"])), "{}", s.url);
        assert!(s
            .headers
            .iter()
            .all(|(n, _)| !n.eq_ignore_ascii_case("host")));
        let p = presign(&req, &creds, now, 60, &mut SigningKeyCache::new()).unwrap();
        assert!(p.canonical_request.contains(&line), "{endpoint}");
        assert!(p.url.contains(&cat(&["://", host, "/"])), "{}", p.url);
        assert!(p
            .headers
            .iter()
            .all(|(n, _)| !n.eq_ignore_ascii_case("host")));
    }
    // The header must still be the URL's host (the default port is not part of it).
    let e = request(
        "https://oss-cn-hangzhou.aliyuncs.com:443",
        vec![(
            "host".to_owned(),
            "bkt.oss-cn-hangzhou.aliyuncs.com:443".to_owned(),
        )],
    )
    .unwrap_err();
    assert_eq!(e.field(), Some("headers.host"));
}
