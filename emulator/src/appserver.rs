//! `/sts` (AssumeRole stand-in) and the app-server stand-ins of the browser-upload guide.

use crate::client_sign::{self, Creds};
use crate::encode::parse_query;
use crate::http::{read_small, Reply};
use crate::policy::Policy;
use crate::server::Ctx;
use crate::store::random_hex_upper;
use crate::time;
use hyper::body::Incoming;
use serde_json::{json, Value};
use std::sync::Arc;

fn sts_error(status: u16, code: &str, msg: &str) -> Reply {
    let mut r = Reply::json(
        status,
        &json!({"RequestId": request_uuid(), "Code": code, "Message": msg, "HostId": "sts.aliyuncs.com"}),
    );
    r.code = code.to_string();
    r
}

fn request_uuid() -> String {
    let h = random_hex_upper(16);
    format!(
        "{}-{}-{}-{}-{}",
        h.get(0..8).unwrap_or(""),
        h.get(8..12).unwrap_or(""),
        h.get(12..16).unwrap_or(""),
        h.get(16..20).unwrap_or(""),
        h.get(20..32).unwrap_or("")
    )
}

/// The AssumeRole JSON for minted credentials.
pub fn assume_role_json(c: &crate::state::StsCred) -> Value {
    json!({
        "RequestId": request_uuid(),
        "AssumedRoleUser": {
            "Arn": "acs:ram::1000000000000000:role/oss-emulator-role/emulator-session",
            "AssumedRoleId": "300000000000000000:emulator-session",
        },
        "Credentials": {
            "AccessKeyId": c.access_key_id,
            "AccessKeySecret": c.access_key_secret,
            "SecurityToken": c.security_token,
            "Expiration": time::iso8601(c.expires_ms.div_euclid(1000)),
        }
    })
}

/// `/sts`: mint credentials (or call the real STS in real mode).
pub async fn sts(ctx: &Ctx, body: &mut Option<Incoming>) -> Reply {
    if ctx.method != "GET" && ctx.method != "POST" {
        return sts_error(405, "MethodNotAllowed", "Use GET or POST.");
    }
    let mut ttl: Option<u64> = None;
    let mut policy_src: Option<String> = None;
    if let Some(t) = ctx.param("ttl").or_else(|| ctx.param("DurationSeconds")) {
        match t.parse() {
            Ok(v) => ttl = Some(v),
            Err(_) => {
                return sts_error(
                    400,
                    "InvalidParameter.DurationSeconds",
                    "ttl must be a number of seconds.",
                )
            }
        }
    }
    if let Some(p) = ctx.param("policy").or_else(|| ctx.param("Policy")) {
        policy_src = Some(p.to_string());
    }
    if ctx.method == "POST" {
        if let Some(b) = body.take() {
            let Ok(raw) = read_small(b, 1024 * 1024).await else {
                return sts_error(400, "InvalidParameter", "Body too large.");
            };
            if !raw.is_empty() {
                let ct = ctx.header("content-type").unwrap_or("");
                if ct.contains("application/x-www-form-urlencoded") {
                    for (k, v) in parse_query(&String::from_utf8_lossy(&raw)) {
                        match k.as_str() {
                            "ttl" | "DurationSeconds" => ttl = v.parse().ok().or(ttl),
                            "policy" | "Policy" => policy_src = Some(v),
                            _ => {}
                        }
                    }
                } else {
                    match serde_json::from_slice::<Value>(&raw) {
                        Ok(v) => {
                            if let Some(t) = v
                                .get("ttl")
                                .or_else(|| v.get("DurationSeconds"))
                                .and_then(Value::as_u64)
                            {
                                ttl = Some(t);
                            }
                            match v.get("policy").or_else(|| v.get("Policy")) {
                                Some(Value::String(s)) => policy_src = Some(s.clone()),
                                Some(o @ Value::Object(_)) => policy_src = Some(o.to_string()),
                                _ => {}
                            }
                        }
                        Err(_) => {
                            return sts_error(400, "InvalidParameter", "The body is not JSON.")
                        }
                    }
                }
            }
        }
    }
    if let Some(real) = &ctx.state.cfg.real_sts {
        return crate::realsts::assume_role(real, ttl, policy_src.as_deref()).await;
    }
    let policy_src = policy_src.or_else(|| ctx.state.cfg.sts_policy.clone());
    let policy = match policy_src.as_deref().map(Policy::parse) {
        None => None,
        Some(Ok(p)) => Some(Arc::new(p)),
        Some(Err(e)) => return sts_error(400, "InvalidParameter.PolicyGrammar", &e),
    };
    let ttl = ttl.unwrap_or(ctx.state.cfg.sts_ttl_secs).max(1);
    let cred = ctx.state.mint(ttl, policy, true);
    Reply::json(200, &assume_role_json(&cred))
}

fn bucket_url(ctx: &Ctx, bucket: &str) -> String {
    format!("http://{bucket}.localhost:{}", ctx.state.port())
}

/// `/get_post_signature_for_oss_upload` and `/get_presigned_url_for_oss_upload`.
pub fn handle(ctx: &Ctx, path: &str) -> Reply {
    if ctx.method != "GET" && ctx.method != "POST" {
        return Reply::json(405, &json!({"error": "use GET"}));
    }
    let bucket = ctx
        .param("bucket")
        .map(str::to_string)
        .or_else(|| ctx.state.cfg.buckets.first().cloned())
        .unwrap_or_default();
    if !ctx.state.has_bucket(&bucket) {
        return Reply::json(400, &json!({"error": format!("unknown bucket {bucket:?}")}));
    }
    let v1 = ctx
        .param("version")
        .is_some_and(|v| v.eq_ignore_ascii_case("v1"));
    let now_s = ctx.state.now_ms().div_euclid(1000);
    let region = ctx.state.cfg.region.clone();
    let dev = Creds {
        access_key_id: ctx.state.cfg.dev_access_key_id.clone(),
        access_key_secret: ctx.state.cfg.dev_access_key_secret.clone(),
        security_token: None,
    };
    let expires: i64 = ctx
        .param("expires")
        .and_then(|e| e.parse().ok())
        .unwrap_or(3600)
        .clamp(1, 604_800);
    if path == "/get_post_signature_for_oss_upload" {
        let dir = ctx.param("dir").unwrap_or("uploads/").to_string();
        let max: u64 = ctx
            .param("maxSize")
            .and_then(|m| m.parse().ok())
            .unwrap_or(1_048_576_000);
        let mut conds = vec![
            json!(["content-length-range", 0, max]),
            json!(["starts-with", "$key", dir]),
        ];
        // What the guides' servers and their users add: allowed types (the browser-upload
        // guide's `["in", "$content-type", [...]]`), a required metadata field, a status.
        if let Some(types) = ctx.param("contentTypes") {
            conds.push(json!([
                "in",
                "$content-type",
                types.split(',').collect::<Vec<_>>()
            ]));
        }
        if let Some(owner) = ctx.param("owner") {
            conds.push(json!(["eq", "$x-oss-meta-owner", owner]));
        }
        if let Some(status) = ctx.param("status") {
            conds.push(json!(["eq", "$success_action_status", status]));
        }
        if v1 {
            let expire = now_s + expires;
            let (policy, signature) = client_sign::post_v1_policy(&dev, &bucket, conds, expire);
            return Reply::json(
                200,
                &json!({
                    "ossAccessKeyId": dev.access_key_id,
                    "policy": policy,
                    "signature": signature,
                    "dir": dir,
                    "host": bucket_url(ctx, &bucket),
                    "expire": expire,
                }),
            );
        }
        let cred = ctx.state.mint(
            ctx.state.cfg.sts_ttl_secs.max(expires.unsigned_abs()),
            None,
            false,
        );
        let creds = Creds {
            access_key_id: cred.access_key_id.clone(),
            access_key_secret: cred.access_key_secret.clone(),
            security_token: Some(cred.security_token.clone()),
        };
        let f = client_sign::post_v4_fields(&creds, &region, &bucket, conds, expires, now_s);
        let get = |n: &str| {
            f.iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        return Reply::json(
            200,
            &json!({
                "dir": dir,
                "host": bucket_url(ctx, &bucket),
                "policy": get("policy"),
                "security_token": get("x-oss-security-token"),
                "signature": get("x-oss-signature"),
                "x_oss_credential": get("x-oss-credential"),
                "x_oss_date": get("x-oss-date"),
                "x_oss_signature_version": get("x-oss-signature-version"),
            }),
        );
    }
    // presigned PUT URL
    let Some(key) = ctx.param("key").filter(|k| !k.is_empty()) else {
        return Reply::json(400, &json!({"error": "key is required"}));
    };
    let content_type = ctx.param("contentType").filter(|c| !c.is_empty());
    let headers: Vec<(String, String)> = content_type
        .map(|c| vec![("content-type".to_string(), c.to_string())])
        .unwrap_or_default();
    let path_q = if v1 {
        client_sign::presign_v1(&dev, "PUT", &bucket, key, now_s + expires, &headers, true)
    } else {
        client_sign::presign_v4(
            &dev,
            &region,
            "PUT",
            &bucket,
            key,
            expires.unsigned_abs(),
            &headers,
            &[],
            now_s,
            true,
        )
    };
    let mut hdrs = serde_json::Map::new();
    if let Some(c) = content_type {
        hdrs.insert("Content-Type".into(), Value::String(c.to_string()));
    }
    Reply::json(
        200,
        &json!({
            "url": format!("{}{path_q}", bucket_url(ctx, &bucket)),
            "method": "PUT",
            "headers": hdrs,
            "key": key,
            "bucket": bucket,
            "expiresInSecs": expires,
            "signatureVersion": if v1 { "v1" } else { "v4" },
        }),
    )
}
