//! The admin API under `/_emulator/` (loopback only; JSON in and out).

use crate::cors::CorsRule;
use crate::http::{read_small, Reply};
use crate::server::Ctx;
use crate::state::Fault;
use hyper::body::Incoming;
use serde_json::{json, Value};

fn bad(msg: &str) -> Reply {
    let mut r = Reply::json(400, &json!({"error": msg}));
    r.code = "BadAdminRequest".into();
    r
}

async fn body_json(body: &mut Option<Incoming>) -> Result<Value, String> {
    let Some(b) = body.take() else {
        return Ok(Value::Null);
    };
    let raw = read_small(b, 1024 * 1024).await.map_err(str::to_string)?;
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(&raw).map_err(|e| format!("body is not JSON: {e}"))
}

/// Dispatch an admin request; `rest` is the path after `/_emulator/`.
#[allow(clippy::too_many_lines)]
pub async fn handle(ctx: &Ctx, rest: &str, body: &mut Option<Incoming>) -> Reply {
    let st = &ctx.state;
    let m = ctx.method.as_str();
    let parts: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
    match (m, parts.as_slice()) {
        ("GET", ["health"]) => Reply::json(200, &json!({"ok": true, "port": st.port()})),
        ("GET", ["config"]) => {
            let port = st.port();
            let buckets: Vec<Value> = st
                .cfg
                .buckets
                .iter()
                .map(|b| json!({"name": b, "url": format!("http://{b}.localhost:{port}"), "pathStyleUrl": format!("http://127.0.0.1:{port}/{b}")}))
                .collect();
            let real = st.cfg.real_sts.as_ref().map(|r| {
                let region = r.region.clone().unwrap_or_else(|| st.cfg.region.clone());
                json!({
                    "bucket": r.bucket,
                    "region": region,
                    "url": r.bucket.as_ref().map(|b| format!("https://{b}.oss-{region}.aliyuncs.com")),
                })
            });
            Reply::json(
                200,
                &json!({
                    "mode": if real.is_some() { "real-sts" } else { "emulator" },
                    "region": st.cfg.region,
                    "buckets": buckets,
                    "stsUrl": format!("http://localhost:{port}/sts"),
                    "stsTtlSecs": st.cfg.sts_ttl_secs,
                    "real": real,
                    "devAccessKeyId": st.cfg.dev_access_key_id,
                }),
            )
        }
        ("GET", ["requests", "count"]) => Reply::json(200, &json!({"count": st.request_count()})),
        ("GET", ["sts", "count"]) => Reply::json(200, &json!({"count": st.sts_count()})),
        ("GET", ["sts", "issued"]) => {
            let (secrets, tokens) = st.issued_secrets();
            Reply::json(
                200,
                &json!({"accessKeySecrets": secrets, "securityTokens": tokens}),
            )
        }
        ("GET", ["post-forms"]) => Reply::json(200, &json!({"forms": st.post_forms()})),
        ("POST", ["sts", "expire-all"]) => {
            let n = st.expire_all();
            Reply::json(200, &json!({"expired": n}))
        }
        ("POST" | "PUT", ["sts", "expired-code"]) => match body_json(body).await {
            Ok(v) => {
                let code = v
                    .get("code")
                    .and_then(Value::as_str)
                    .unwrap_or("SecurityTokenExpired");
                let invalid = code == "InvalidAccessKeyId";
                st.expired_as_invalid_ak
                    .store(invalid, std::sync::atomic::Ordering::Relaxed);
                Reply::json(
                    200,
                    &json!({"code": if invalid {"InvalidAccessKeyId"} else {"SecurityTokenExpired"}}),
                )
            }
            Err(e) => bad(&e),
        },
        ("GET", ["clock"]) => Reply::json(
            200,
            &json!({"skewSeconds": st.skew_secs(), "nowMs": st.now_ms()}),
        ),
        ("POST" | "PUT", ["clock"]) => match body_json(body).await {
            Ok(v) => match v.get("skewSeconds").and_then(Value::as_i64) {
                Some(s) => {
                    st.set_skew_secs(s);
                    Reply::json(200, &json!({"skewSeconds": s, "nowMs": st.now_ms()}))
                }
                None => bad("expected {\"skewSeconds\": N}"),
            },
            Err(e) => bad(&e),
        },
        ("GET", ["faults"]) => Reply::json(
            200,
            &json!({"faults": st.faults(), "stats": st.faults.stats()}),
        ),
        ("POST", ["faults"]) => match body_json(body).await {
            Ok(v) => match serde_json::from_value::<Fault>(v) {
                Ok(f) => {
                    let id = st.add_fault(f);
                    Reply::json(200, &json!({"id": id}))
                }
                Err(e) => bad(&format!("bad fault: {e}")),
            },
            Err(e) => bad(&e),
        },
        ("GET", ["faults", "stats"]) => Reply::json(200, &json!(st.faults.stats())),
        ("DELETE", ["faults", "stats"]) => {
            st.faults.reset_stats();
            Reply::json(200, &json!(st.faults.stats()))
        }
        ("GET", ["requests"]) => {
            let since = ctx.param("since").and_then(|s| s.parse().ok()).unwrap_or(0);
            let limit = ctx
                .param("limit")
                .and_then(|s| s.parse().ok())
                .unwrap_or(crate::faults::JOURNAL_CAP);
            let (requests, last) = st.faults.journal(since, limit);
            Reply::json(200, &json!({"requests": requests, "last": last}))
        }
        ("DELETE", ["requests"]) => {
            st.faults.clear_journal();
            Reply::json(200, &json!({"ok": true}))
        }
        ("DELETE", ["faults"]) => {
            st.clear_faults();
            Reply::json(200, &json!({"ok": true}))
        }
        ("GET", ["throttle"]) => Reply::json(200, &json!({"bytesPerSec": st.throttle.get()})),
        ("POST" | "PUT", ["throttle"]) => match body_json(body).await {
            Ok(v) => match v.get("bytesPerSec").map(|b| b.as_u64().ok_or(b)) {
                Some(Ok(bps)) => {
                    st.throttle.set(bps);
                    Reply::json(200, &json!({"bytesPerSec": bps}))
                }
                Some(Err(Value::Null)) | None => {
                    st.throttle.set(0);
                    Reply::json(200, &json!({"bytesPerSec": 0}))
                }
                Some(Err(_)) => bad("expected {\"bytesPerSec\": N} (0 or null: off)"),
            },
            Err(e) => bad(&e),
        },
        ("POST", ["reset"]) => {
            st.clear_faults();
            st.throttle.set(0);
            st.set_skew_secs(0);
            st.reset_cors();
            st.expired_as_invalid_ak
                .store(false, std::sync::atomic::Ordering::Relaxed);
            Reply::json(200, &json!({"ok": true}))
        }
        ("GET", ["objects"]) => {
            let bucket = ctx.param("bucket");
            let mut out = Vec::new();
            for b in &st.cfg.buckets {
                if bucket.is_some_and(|x| x != b) {
                    continue;
                }
                for o in st.store.list(b) {
                    out.push(json!({
                        "bucket": b, "key": o.key, "size": o.size, "etag": o.etag,
                        "crc64": o.crc64.to_string(), "contentType": o.content_type,
                        "objectType": o.object_type, "lastModifiedMs": o.last_modified_ms,
                        "headers": o.headers.iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>(),
                    }));
                }
            }
            Reply::json(200, &json!({"objects": out}))
        }
        ("GET", ["uploads"]) => {
            let mut out = Vec::new();
            for b in &st.cfg.buckets {
                for u in st.store.uploads(b) {
                    let parts: Vec<Value> = st
                        .store
                        .parts(b, &u.upload_id)
                        .iter()
                        .map(|p| json!({"partNumber": p.number, "size": p.size, "etag": p.etag}))
                        .collect();
                    out.push(json!({"bucket": b, "key": u.key, "uploadId": u.upload_id, "initiatedMs": u.initiated_ms, "parts": parts}));
                }
            }
            Reply::json(200, &json!({"uploads": out}))
        }
        ("GET", ["buckets", b, "cors"]) if st.has_bucket(b) => {
            Reply::json(200, &json!({"rules": st.cors_rules(b)}))
        }
        ("PUT" | "POST", ["buckets", b, "cors"]) if st.has_bucket(b) => {
            match body_json(body).await {
                Ok(v) => {
                    let rules = v.get("rules").cloned().unwrap_or(v);
                    match serde_json::from_value::<Vec<CorsRule>>(rules) {
                        Ok(r) if r.len() <= 10 => {
                            st.set_cors_rules(b, r);
                            Reply::json(200, &json!({"rules": st.cors_rules(b)}))
                        }
                        Ok(_) => bad("at most 10 rules"),
                        Err(e) => bad(&format!("bad rules: {e}")),
                    }
                }
                Err(e) => bad(&e),
            }
        }
        ("DELETE", ["buckets", b, "cors"]) if st.has_bucket(b) => {
            st.set_cors_rules(b, Vec::new());
            Reply::json(200, &json!({"rules": []}))
        }
        ("POST", ["buckets", b, "cors", "hide-etag"]) if st.has_bucket(b) => {
            let mut rules = st.cors_rules(b);
            for r in &mut rules {
                r.expose_headers.retain(|h| !h.eq_ignore_ascii_case("etag"));
            }
            st.set_cors_rules(b, rules);
            Reply::json(200, &json!({"rules": st.cors_rules(b)}))
        }
        ("POST", ["buckets", b, "cors", "reset"]) if st.has_bucket(b) => {
            st.set_cors_rules(b, vec![crate::cors::default_rule(&st.cfg.cors_expose)]);
            Reply::json(200, &json!({"rules": st.cors_rules(b)}))
        }
        ("POST", ["cors", "hide-etag"]) => {
            for b in &st.cfg.buckets {
                let mut rules = st.cors_rules(b);
                for r in &mut rules {
                    r.expose_headers.retain(|h| !h.eq_ignore_ascii_case("etag"));
                }
                st.set_cors_rules(b, rules);
            }
            Reply::json(200, &json!({"ok": true}))
        }
        _ => {
            let mut r = Reply::json(
                404,
                &json!({"error": format!("no admin endpoint {m} /_emulator/{rest}")}),
            );
            r.code = "NoSuchAdminEndpoint".into();
            r
        }
    }
}
