//! Real STS mode: AssumeRole against `https://sts.aliyuncs.com` with the RPC-style HMAC-SHA1
//! signature (SignatureVersion 1.0), as the official Alibaba Cloud SDKs (aliyun-python-sdk-core)
//! compute it. The HTTPS client is behind the `real-sts` cargo feature.

use crate::encode::uri_encode;
use crate::http::Reply;
use crate::state::RealSts;
use crate::store::random_hex_upper;
use serde_json::json;

/// RPC percent-encoding (RFC 3986 unreserved kept; space `%20`, `*` `%2A`, `~` kept).
pub fn rpc_encode(s: &str) -> String {
    uri_encode(s, false)
}

/// `METHOD&%2F&encode(sorted canonical query)`.
pub fn rpc_string_to_sign(method: &str, params: &[(String, String)]) -> String {
    let mut p: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (rpc_encode(k), rpc_encode(v)))
        .collect();
    p.sort();
    let q = p
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    format!("{method}&{}&{}", rpc_encode("/"), rpc_encode(&q))
}

/// Base64 HMAC-SHA1 with key `secret + "&"`.
pub fn rpc_signature(method: &str, params: &[(String, String)], secret: &str) -> String {
    use base64::Engine;
    let sts = rpc_string_to_sign(method, params);
    base64::engine::general_purpose::STANDARD.encode(crate::sign::hmac1(
        format!("{secret}&").as_bytes(),
        sts.as_bytes(),
    ))
}

/// The AssumeRole parameters (without `Signature`).
pub fn assume_role_params(
    real: &RealSts,
    ttl: u64,
    policy: Option<&str>,
    timestamp: &str,
    nonce: &str,
) -> Vec<(String, String)> {
    let mut p: Vec<(String, String)> = vec![
        ("AccessKeyId".into(), real.access_key_id.clone()),
        ("Action".into(), "AssumeRole".into()),
        ("DurationSeconds".into(), ttl.to_string()),
        ("Format".into(), "JSON".into()),
        ("RoleArn".into(), real.role_arn.clone()),
        ("RoleSessionName".into(), "oss-emulator".into()),
        ("SignatureMethod".into(), "HMAC-SHA1".into()),
        ("SignatureNonce".into(), nonce.into()),
        ("SignatureVersion".into(), "1.0".into()),
        ("Timestamp".into(), timestamp.into()),
        ("Version".into(), "2015-04-01".into()),
    ];
    if let Some(pol) = policy {
        p.push(("Policy".into(), pol.to_string()));
    }
    p
}

/// Call the real STS and relay its JSON.
pub async fn assume_role(real: &RealSts, ttl: Option<u64>, policy: Option<&str>) -> Reply {
    // real STS: DurationSeconds minimum 900
    let ttl = ttl.unwrap_or(3600).max(900);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    let mut params = assume_role_params(
        real,
        ttl,
        policy,
        &crate::time::iso8601(now),
        &random_hex_upper(16),
    );
    let sig = rpc_signature("POST", &params, &real.access_key_secret);
    params.push(("Signature".into(), sig));
    let body = params
        .iter()
        .map(|(k, v)| format!("{}={}", rpc_encode(k), rpc_encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    send(body).await
}

#[cfg(feature = "real-sts")]
async fn send(body: String) -> Reply {
    let res = tokio::task::spawn_blocking(move || {
        ureq::post("https://sts.aliyuncs.com/")
            .set("Content-Type", "application/x-www-form-urlencoded")
            .timeout(std::time::Duration::from_secs(15))
            .send_string(&body)
    })
    .await;
    match res {
        Ok(Ok(resp)) => {
            let status = resp.status();
            let text = resp.into_string().unwrap_or_default();
            Reply::new(status, crate::http::full(text)).header("Content-Type", "application/json")
        }
        Ok(Err(ureq::Error::Status(code, resp))) => {
            let text = resp.into_string().unwrap_or_default();
            let mut r = Reply::new(code, crate::http::full(text))
                .header("Content-Type", "application/json");
            r.code = "RealStsError".into();
            r
        }
        Ok(Err(e)) => {
            let mut r = Reply::json(
                502,
                &json!({"Code": "RealStsUnreachable", "Message": e.to_string()}),
            );
            r.code = "RealStsUnreachable".into();
            r
        }
        Err(e) => Reply::json(
            500,
            &json!({"Code": "InternalError", "Message": e.to_string()}),
        ),
    }
}

#[cfg(not(feature = "real-sts"))]
async fn send(_body: String) -> Reply {
    let mut r = Reply::json(
        501,
        &json!({"Code": "RealStsDisabled", "Message": "real STS mode needs the emulator built with `--features real-sts`"}),
    );
    r.code = "RealStsDisabled".into();
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected value produced by the official `aliyun-python-sdk-core` 2.16.1 (PyPI):
    /// `rpc_signature_composer.__compose_string_to_sign("POST", params)` and
    /// `__get_signature(sts, "testsecret")` for exactly these parameters.
    #[test]
    fn rpc_signature_matches_aliyun_python_sdk_core() {
        let real = RealSts {
            access_key_id: "testid".into(),
            access_key_secret: "testsecret".into(),
            role_arn: "acs:ram::123456789012:role/oss-upload".into(),
            bucket: None,
            region: None,
        };
        let policy = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:PutObject"],"Resource":["acs:oss:*:*:demo/uploads/*"]}]}"#;
        let p = assume_role_params(
            &real,
            900,
            Some(policy),
            "2026-01-02T03:04:05Z",
            "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
        );
        assert_eq!(
            rpc_string_to_sign("POST", &p),
            "POST&%2F&AccessKeyId%3Dtestid%26Action%3DAssumeRole%26DurationSeconds%3D900%26Format%3DJSON%26Policy%3D%257B%2522Version%2522%253A%25221%2522%252C%2522Statement%2522%253A%255B%257B%2522Effect%2522%253A%2522Allow%2522%252C%2522Action%2522%253A%255B%2522oss%253APutObject%2522%255D%252C%2522Resource%2522%253A%255B%2522acs%253Aoss%253A%252A%253A%252A%253Ademo%252Fuploads%252F%252A%2522%255D%257D%255D%257D%26RoleArn%3Dacs%253Aram%253A%253A123456789012%253Arole%252Foss-upload%26RoleSessionName%3Doss-emulator%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26Timestamp%3D2026-01-02T03%253A04%253A05Z%26Version%3D2015-04-01"
        );
        assert_eq!(
            rpc_signature("POST", &p, "testsecret"),
            "sB+RKe5aHgLpOsHR8xvQKsaKy04="
        );
    }
}
