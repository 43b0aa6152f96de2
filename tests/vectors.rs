//! The 16 official OSS V4 vectors (`tests/vectors/oss-v4-sdk-vectors.json`, copied from
//! `shared/reference/`), signed by the core and compared byte for byte.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]
use oss_direct_upload::credentials::Credentials;
use oss_direct_upload::signer::{self, Request, RequestParts, SigningKeyCache};
use oss_direct_upload::time::UnixTime;
use serde_json::Value;

fn vectors() -> Vec<Value> {
    let text = include_str!("vectors/oss-v4-sdk-vectors.json");
    let doc: Value = serde_json::from_str(text).expect("vector file is JSON");
    doc["vectors"].as_array().expect("vectors array").clone()
}

fn string_pairs(v: &Value) -> Vec<(String, String)> {
    v.as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

fn run(case: &Value) -> (Option<String>, Option<String>, Option<String>) {
    let s = |k: &str| case[k].as_str().map(str::to_owned);
    let query: Vec<(String, Option<String>)> = case["query"]
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_str().map(str::to_owned)))
                .collect()
        })
        .unwrap_or_default();
    let additional: Vec<String> = case["additionalHeaders"]
        .as_array()
        .map(|a| a.iter().map(|v| v.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default();
    let (method, bucket, key, region) = (
        s("method").unwrap(),
        s("bucket").unwrap(),
        s("key"),
        s("region").unwrap(),
    );
    let product = s("product");
    let req = Request::new(RequestParts {
        method: &method,
        bucket: &bucket,
        key: key.as_deref(),
        region: &region,
        product: product.as_deref(),
        headers: string_pairs(&case["headers"]),
        query,
        additional_headers: additional,
        ..Default::default()
    })
    .unwrap();
    let creds = Credentials::new(
        s("accessKeyId").unwrap(),
        s("accessKeySecret").unwrap(),
        s("securityToken"),
    )
    .unwrap();
    let now = UnixTime::parse_iso8601(&s("signTime").unwrap()).unwrap();
    let mut cache = SigningKeyCache::new();
    if case["kind"] == "header" {
        let signed = signer::sign_request(&req, &creds, now, &mut cache);
        let find = |n: &str| {
            signed
                .headers
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.clone())
        };
        (find("authorization"), find("x-oss-date"), None)
    } else {
        let p = signer::presign(
            &req,
            &creds,
            now,
            case["expires"].as_i64().unwrap(),
            &mut cache,
        )
        .unwrap();
        (None, None, Some(p.url))
    }
}

fn query_param(url: &str, name: &str) -> Option<String> {
    let q = url.split_once('?')?.1;
    q.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (k == name).then(|| oss_direct_upload::encode::uri_decode(v).unwrap())
    })
}

#[test]
fn official_vectors_match_byte_for_byte() {
    let all = vectors();
    assert_eq!(all.len(), 16);
    for v in &all {
        let name = v["name"].as_str().unwrap();
        let expected = &v["expected"];
        let (auth, date, url) = run(&v["case"]);
        if let Some(want) = expected["authorization"].as_str() {
            assert_eq!(auth.as_deref(), Some(want), "{name}");
        }
        if let Some(want) = expected["x-oss-date"].as_str() {
            match &url {
                Some(u) => assert_eq!(
                    query_param(u, "x-oss-date").as_deref(),
                    Some(want),
                    "{name}"
                ),
                None => assert_eq!(date.as_deref(), Some(want), "{name}"),
            }
        }
        if let Some(u) = &url {
            for field in [
                "x-oss-signature",
                "x-oss-credential",
                "x-oss-expires",
                "x-oss-signature-version",
                "x-oss-security-token",
                "x-oss-additional-headers",
            ] {
                match &expected[field] {
                    Value::String(want) => assert_eq!(
                        query_param(u, field).as_deref(),
                        Some(want.as_str()),
                        "{name} {field}"
                    ),
                    Value::Null if expected.as_object().unwrap().contains_key(field) => {
                        assert_eq!(query_param(u, field), None, "{name} {field}");
                    }
                    _ => {}
                }
            }
            if let Some(want) = expected["url"].as_str() {
                // The vector's URL layout is PHP's (sorted); compare the path and the parameter set.
                let (want_base, want_q) = want.split_once('?').unwrap();
                let (got_base, got_q) = u.split_once('?').unwrap();
                assert_eq!(got_base, want_base, "{name}");
                let norm = |q: &str| {
                    let mut v: Vec<String> = q
                        .split('&')
                        .map(|kv| kv.trim_end_matches('=').to_owned())
                        .collect();
                    v.sort();
                    v
                };
                assert_eq!(norm(got_q), norm(want_q), "{name}");
            }
        }
    }
}
