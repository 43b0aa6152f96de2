//! Client-side signing used by the app-server stand-ins (and by the tests): presigned V4/V1 URLs,
//! PostObject V4/V1 fields, V4 header signing. Built on the same primitives as the verifier.

use crate::encode::{build_query, uri_encode};
use crate::sign::{self, V4Request};
use crate::time;
use base64::Engine;

/// Long-term or STS credentials.
#[derive(Debug, Clone)]
pub struct Creds {
    /// AccessKeyId.
    pub access_key_id: String,
    /// AccessKeySecret.
    pub access_key_secret: String,
    /// STS token.
    pub security_token: Option<String>,
}

/// Add V4 header-signing headers (`x-oss-date`, `x-oss-content-sha256`, token, `authorization`)
/// to `headers` for a request. `query` are decoded pairs.
#[allow(clippy::too_many_arguments)]
pub fn sign_v4_headers(
    creds: &Creds,
    region: &str,
    method: &str,
    bucket: Option<&str>,
    key: Option<&str>,
    query: &[(String, String)],
    headers: &mut Vec<(String, String)>,
    additional: &[String],
    now_s: i64,
) {
    let dt = time::iso8601_basic(now_s);
    let date = dt.get(..8).unwrap_or("").to_string();
    headers.push(("x-oss-date".into(), dt.clone()));
    headers.push(("x-oss-content-sha256".into(), sign::UNSIGNED_PAYLOAD.into()));
    if let Some(t) = &creds.security_token {
        headers.push(("x-oss-security-token".into(), t.clone()));
    }
    let additional = sign::normalize_additional(additional, headers);
    let canonical = sign::canonical_request(&V4Request {
        method,
        bucket,
        key,
        query,
        headers,
        additional: &additional,
    });
    let scope = sign::scope(&date, region, "oss");
    let sts = sign::string_to_sign(&dt, &scope, &canonical);
    let sig = sign::v4_signature(
        &sign::signing_key(&creds.access_key_secret, &date, region, "oss"),
        &sts,
    );
    let add = if additional.is_empty() {
        String::new()
    } else {
        format!(",AdditionalHeaders={}", additional.join(";"))
    };
    headers.push((
        "authorization".into(),
        format!(
            "{} Credential={}/{scope}{add},Signature={sig}",
            sign::ALGORITHM,
            creds.access_key_id
        ),
    ));
}

/// Presigned V4 URL path+query (`/key?…` relative to the bucket origin when `virtual_host`,
/// else `/bucket/key?…`). `headers` are the headers the eventual request will carry.
#[allow(clippy::too_many_arguments)]
pub fn presign_v4(
    creds: &Creds,
    region: &str,
    method: &str,
    bucket: &str,
    key: &str,
    expires_secs: u64,
    headers: &[(String, String)],
    extra_query: &[(String, String)],
    now_s: i64,
    virtual_host: bool,
) -> String {
    let dt = time::iso8601_basic(now_s);
    let date = dt.get(..8).unwrap_or("").to_string();
    let scope = sign::scope(&date, region, "oss");
    let mut q: Vec<(String, String)> = extra_query.to_vec();
    q.push(("x-oss-signature-version".into(), sign::ALGORITHM.into()));
    q.push(("x-oss-date".into(), dt.clone()));
    q.push(("x-oss-expires".into(), expires_secs.to_string()));
    q.push((
        "x-oss-credential".into(),
        format!("{}/{scope}", creds.access_key_id),
    ));
    if let Some(t) = &creds.security_token {
        q.push(("x-oss-security-token".into(), t.clone()));
    }
    let canonical = sign::canonical_request(&V4Request {
        method,
        bucket: Some(bucket),
        key: Some(key),
        query: &q,
        headers,
        additional: &[],
    });
    let sts = sign::string_to_sign(&dt, &scope, &canonical);
    let sig = sign::v4_signature(
        &sign::signing_key(&creds.access_key_secret, &date, region, "oss"),
        &sts,
    );
    q.push(("x-oss-signature".into(), sig));
    let path = if virtual_host {
        uri_encode(&format!("/{key}"), true)
    } else {
        uri_encode(&format!("/{bucket}/{key}"), true)
    };
    format!("{path}?{}", build_query(&q))
}

/// Presigned V1 URL path+query (`Expires` absolute).
#[allow(clippy::too_many_arguments)]
pub fn presign_v1(
    creds: &Creds,
    method: &str,
    bucket: &str,
    key: &str,
    expires_at_s: i64,
    headers: &[(String, String)],
    virtual_host: bool,
) -> String {
    let mut sub: Vec<(String, String)> = Vec::new();
    if let Some(t) = &creds.security_token {
        sub.push(("security-token".into(), t.clone()));
    }
    let resource = sign::v1_resource(Some(bucket), Some(key), &sub);
    let sts = sign::v1_string_to_sign(method, headers, &expires_at_s.to_string(), &resource);
    let sig = sign::v1_signature(&creds.access_key_secret, &sts);
    let mut q = vec![
        ("OSSAccessKeyId".to_string(), creds.access_key_id.clone()),
        ("Expires".to_string(), expires_at_s.to_string()),
        ("Signature".to_string(), sig),
    ];
    q.extend(sub);
    let path = if virtual_host {
        uri_encode(&format!("/{key}"), true)
    } else {
        uri_encode(&format!("/{bucket}/{key}"), true)
    };
    format!("{path}?{}", build_query(&q))
}

/// PostObject V4 form fields for a policy whose extra conditions are given as JSON values (the
/// bucket, signing and token conditions are added).
pub fn post_v4_fields(
    creds: &Creds,
    region: &str,
    bucket: &str,
    conditions: Vec<serde_json::Value>,
    expires_secs: i64,
    now_s: i64,
) -> Vec<(String, String)> {
    let all = |credential: &str, dt: &str| {
        let mut conds = vec![
            serde_json::json!({ "bucket": bucket }),
            serde_json::json!({ "x-oss-signature-version": sign::ALGORITHM }),
            serde_json::json!({ "x-oss-credential": credential }),
            serde_json::json!({ "x-oss-date": dt }),
        ];
        if let Some(t) = &creds.security_token {
            conds.push(serde_json::json!({ "x-oss-security-token": t }));
        }
        conds.extend(conditions.iter().cloned());
        conds
    };
    post_v4_fields_exact(creds, region, &all, expires_secs, now_s)
}

/// PostObject V4 form fields for a policy whose conditions are exactly what `conditions` gives
/// for the credential and x-oss-date the form carries (nothing added): for forms OSS refuses.
pub fn post_v4_fields_exact(
    creds: &Creds,
    region: &str,
    conditions: &dyn Fn(&str, &str) -> Vec<serde_json::Value>,
    expires_secs: i64,
    now_s: i64,
) -> Vec<(String, String)> {
    let dt = time::iso8601_basic(now_s);
    let date = dt.get(..8).unwrap_or("").to_string();
    let credential = format!(
        "{}/{}",
        creds.access_key_id,
        sign::scope(&date, region, "oss")
    );
    let policy = serde_json::json!({
        "expiration": time::iso8601_millis((now_s + expires_secs) * 1000),
        "conditions": conditions(&credential, &dt),
    });
    let b64 = base64::engine::general_purpose::STANDARD.encode(policy.to_string());
    let sig = sign::v4_signature(
        &sign::signing_key(&creds.access_key_secret, &date, region, "oss"),
        &b64,
    );
    let mut out = vec![
        ("policy".to_string(), b64),
        (
            "x-oss-signature-version".to_string(),
            sign::ALGORITHM.to_string(),
        ),
        ("x-oss-credential".to_string(), credential),
        ("x-oss-date".to_string(), dt),
        ("x-oss-signature".to_string(), sig),
    ];
    if let Some(t) = &creds.security_token {
        out.push(("x-oss-security-token".to_string(), t.clone()));
    }
    out
}

/// PostObject V1: (base64 policy, signature) for a policy with these conditions.
pub fn post_v1_policy(
    creds: &Creds,
    bucket: &str,
    conditions: Vec<serde_json::Value>,
    expires_at_s: i64,
) -> (String, String) {
    let mut conds = vec![serde_json::json!({ "bucket": bucket })];
    conds.extend(conditions);
    let policy = serde_json::json!({
        "expiration": time::iso8601_millis(expires_at_s * 1000),
        "conditions": conds,
    });
    let b64 = base64::engine::general_purpose::STANDARD.encode(policy.to_string());
    let sig = sign::v1_signature(&creds.access_key_secret, &b64);
    (b64, sig)
}
