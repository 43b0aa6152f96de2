//! The 16 official V4 vectors (oss-v4-sdk-vectors.json) verify in the emulator's own verifier.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use oss_emulator::auth::{authenticate, RequestParts};
use oss_emulator::encode::parse_query;
use oss_emulator::sign::{self, V4Request};
use oss_emulator::state::{Config, State};
use serde_json::Value;

fn load() -> Value {
    let shared = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/reference/oss-v4-sdk-vectors.json"
    );
    let local = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/oss-v4-sdk-vectors.json"
    );
    let text = std::fs::read_to_string(shared)
        .or_else(|_| std::fs::read_to_string(local))
        .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn sign_time(inputs: &Value) -> i64 {
    if let Some(t) = inputs["signTimeUnix"].as_i64() {
        return t;
    }
    let s = inputs["signTime"].as_str().unwrap();
    oss_emulator::time::parse_iso8601_ms(s).unwrap() / 1000
}

fn state_for(ak: &str, sk: &str, region: &str) -> State {
    State::new(Config {
        region: region.into(),
        buckets: vec![],
        dev_access_key_id: ak.into(),
        dev_access_key_secret: sk.into(),
        ..Config::default()
    })
    .unwrap()
}

struct Req {
    method: String,
    bucket: String,
    key: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
}

fn base(inputs: &Value) -> Req {
    let query = inputs["query_in_order"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|p| {
                    (
                        p[0].as_str().unwrap().to_string(),
                        p[1].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let headers = inputs["headers"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.as_str().unwrap().to_string()))
        .collect();
    Req {
        method: inputs["method"].as_str().unwrap().into(),
        bucket: inputs["bucket"].as_str().unwrap().into(),
        key: inputs["key"].as_str().unwrap().into(),
        query,
        headers,
    }
}

/// For a product other than `oss` (CloudBox) the server would refuse the scope, so check the
/// signature with the verifier's stages directly.
fn verify_stages(
    r: &Req,
    datetime: &str,
    ak_scope: &str,
    sk: &str,
    additional: &[String],
    provided: &str,
) {
    let parts: Vec<&str> = ak_scope.split('/').collect();
    let (date, region, product) = (parts[1], parts[2], parts[3]);
    let add = sign::normalize_additional(additional, &r.headers);
    let canonical = sign::canonical_request(&V4Request {
        method: &r.method,
        bucket: Some(&r.bucket),
        key: Some(&r.key),
        query: &r.query,
        headers: &r.headers,
        additional: &add,
    });
    let sts = sign::string_to_sign(datetime, &sign::scope(date, region, product), &canonical);
    let sig = sign::v4_signature(&sign::signing_key(sk, date, region, product), &sts);
    assert_eq!(sig, provided);
}

#[test]
fn official_vectors_verify() {
    let doc = load();
    let vectors = doc["vectors"].as_array().unwrap();
    assert_eq!(vectors.len(), 16);
    let mut checked = 0;
    for v in vectors {
        let name = v["name"].as_str().unwrap();
        let inputs = &v["inputs"];
        let exp = &v["expected"];
        let ak = inputs["credentials"]["accessKeyId"].as_str().unwrap();
        let sk = inputs["credentials"]["accessKeySecret"].as_str().unwrap();
        let region = inputs["region"].as_str().unwrap();
        let product = inputs["product"].as_str().unwrap_or("oss");
        let t = sign_time(inputs);
        let datetime = oss_emulator::time::iso8601_basic(t);
        let token = inputs["securityToken"].as_str();
        let mut r = base(inputs);
        if name.starts_with("auth_header") || name == "doc_example_header_additional_host" {
            r.headers.push(("x-oss-date".into(), datetime.clone()));
            if !r.headers.iter().any(|(k, _)| k == "x-oss-content-sha256") {
                r.headers
                    .push(("x-oss-content-sha256".into(), "UNSIGNED-PAYLOAD".into()));
            }
            if let Some(tok) = token {
                r.headers.push(("x-oss-security-token".into(), tok.into()));
            }
            let auth = exp["authorization"].as_str().unwrap();
            if product != "oss" {
                let h = oss_emulator::auth::parse_v4_authorization(auth).unwrap();
                let add: Vec<String> = h
                    .additional
                    .map(|a| a.split(';').map(str::to_string).collect())
                    .unwrap_or_default();
                verify_stages(&r, &datetime, &h.credential, sk, &add, &h.signature);
            } else {
                r.headers.push(("authorization".into(), auth.into()));
                let state = state_for(ak, sk, region);
                let parts = RequestParts {
                    method: &r.method,
                    bucket: Some(&r.bucket),
                    key: Some(&r.key),
                    query: &r.query,
                    headers: &r.headers,
                };
                let p = authenticate(&state, &parts, t * 1000)
                    .unwrap_or_else(|e| panic!("{name}: {}", e.to_xml("", "")))
                    .unwrap();
                assert_eq!(p.access_key_id, ak);
                // tamper: one signature character changed must fail
                let flipped = if auth.ends_with('0') { '1' } else { '0' };
                let bad = format!("{}{flipped}", &auth[..auth.len() - 1]);
                let mut bad_headers = r.headers.clone();
                bad_headers.pop();
                bad_headers.push(("authorization".into(), bad));
                let parts = RequestParts {
                    headers: &bad_headers,
                    ..parts
                };
                let e = authenticate(&state, &parts, t * 1000).unwrap_err();
                assert_eq!(e.code, "SignatureDoesNotMatch", "{name}");
            }
            checked += 1;
            continue;
        }
        // presigned (query) vectors
        if let Some(url) = exp["url"].as_str() {
            let (_, rest) = url.split_once("://").unwrap();
            let (_, pq) = rest.split_once('/').unwrap();
            let (path, raw_query) = pq.split_once('?').unwrap();
            r.key = oss_emulator::encode::decode_str(path, false);
            r.query = parse_query(raw_query);
        } else {
            for (k, val) in exp.as_object().unwrap() {
                if let Some(s) = val.as_str() {
                    r.query.push((k.clone(), s.to_string()));
                }
            }
            // the signer always adds these; some vectors list only the fields they assert
            if exp.get("x-oss-signature-version").is_none() {
                r.query
                    .push(("x-oss-signature-version".into(), "OSS4-HMAC-SHA256".into()));
            }
            if exp.get("x-oss-date").is_none() {
                r.query.push(("x-oss-date".into(), datetime.clone()));
            }
        }
        if product != "oss" {
            let provided = r
                .query
                .iter()
                .find(|(k, _)| k == "x-oss-signature")
                .unwrap()
                .1
                .clone();
            let cred = r
                .query
                .iter()
                .find(|(k, _)| k == "x-oss-credential")
                .unwrap()
                .1
                .clone();
            let add: Vec<String> = r
                .query
                .iter()
                .find(|(k, _)| k == "x-oss-additional-headers")
                .map(|(_, v)| v.split(';').map(str::to_string).collect())
                .unwrap_or_default();
            let q: Vec<(String, String)> = r
                .query
                .iter()
                .filter(|(k, _)| k != "x-oss-signature")
                .cloned()
                .collect();
            let r2 = Req { query: q, ..r };
            verify_stages(&r2, &datetime, &cred, sk, &add, &provided);
        } else {
            let state = state_for(ak, sk, region);
            let parts = RequestParts {
                method: &r.method,
                bucket: Some(&r.bucket),
                key: Some(&r.key),
                query: &r.query,
                headers: &r.headers,
            };
            let p = authenticate(&state, &parts, t * 1000)
                .unwrap_or_else(|e| panic!("{name}: {}", e.to_xml("", "")))
                .unwrap();
            assert_eq!(p.scheme, "v4-query", "{name}");
        }
        checked += 1;
    }
    assert_eq!(checked, 16);
}
