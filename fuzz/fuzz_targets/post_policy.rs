//! The PostObject policy builder: any conditions make valid JSON (checked with serde_json) that
//! says exactly what was asked, and signing it never panics.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use oss_direct_upload::credentials::Credentials;
use oss_direct_upload::encode::base64_encode;
use oss_direct_upload::names::{Bucket, Region};
use oss_direct_upload::signer::{
    sign_post_policy, ContentTypeCondition, KeyCondition, PostPolicy, SigningKeyCache,
};
use oss_direct_upload::time::UnixTime;
use serde_json::{json, Value};

#[derive(Arbitrary, Debug)]
struct Input {
    key: Option<(bool, String)>,
    range: Option<(u64, u64)>,
    content_type: Option<(u8, Vec<String>)>,
    status: Option<u16>,
    extra: Vec<String>,
    expires_in: i64,
    now: u32,
    id: String,
    secret: String,
    token: Option<String>,
    bucket: Option<String>,
    region: String,
}

fuzz_target!(|inp: Input| {
    let Ok(creds) = Credentials::new(inp.id.clone(), inp.secret.clone(), inp.token.clone()) else {
        return;
    };
    let region = Region::new(&inp.region).unwrap_or_else(|_| Region::new("cn-hangzhou").unwrap());
    let now = UnixTime::from_secs(1_700_000_000 + i64::from(inp.now)).unwrap();
    let key = inp.key.map(|(eq, k)| {
        if eq {
            KeyCondition::Eq(k)
        } else {
            KeyCondition::StartsWith(k)
        }
    });
    let content_type = inp
        .content_type
        .map(|(kind, list)| match (kind % 3, list.first()) {
            (0, Some(t)) => ContentTypeCondition::Eq(t.clone()),
            (1, Some(t)) => ContentTypeCondition::StartsWith(t.clone()),
            _ => ContentTypeCondition::In(list),
        });
    // Extra conditions are JSON texts the caller vouches for: keep the valid ones.
    let extra: Vec<String> = inp
        .extra
        .into_iter()
        .filter(|c| serde_json::from_str::<Value>(c).is_ok())
        .collect();
    let policy = PostPolicy {
        expiration: UnixTime::from_secs(now.secs().saturating_add(inp.expires_in)),
        bucket: inp.bucket.as_deref().and_then(|b| Bucket::new(b).ok()),
        key: key.clone(),
        content_length_range: inp.range,
        content_type: content_type.clone(),
        success_action_status: inp.status,
        extra_conditions: extra.clone(),
    };
    let Ok(text) = policy.to_json(&creds, &region, None, now) else {
        return;
    };
    let doc: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("invalid policy JSON ({e}): {text}"));
    let conds = doc["conditions"].as_array().expect("conditions array");
    let has = |want: &Value| conds.iter().any(|c| c == want);
    match &key {
        Some(KeyCondition::Eq(k)) => assert!(has(&json!(["eq", "$key", k]))),
        Some(KeyCondition::StartsWith(p)) => assert!(has(&json!(["starts-with", "$key", p]))),
        None => {}
    }
    match &content_type {
        Some(ContentTypeCondition::Eq(t)) => assert!(has(&json!(["eq", "$content-type", t]))),
        Some(ContentTypeCondition::StartsWith(t)) => {
            assert!(has(&json!(["starts-with", "$content-type", t])))
        }
        Some(ContentTypeCondition::In(l)) => assert!(has(&json!(["in", "$content-type", l]))),
        None => {}
    }
    if let Some(t) = &creds.security_token {
        assert!(has(&json!({ "x-oss-security-token": t.expose() })));
    }
    for e in &extra {
        assert!(has(&serde_json::from_str::<Value>(e).unwrap()));
    }
    let signed = sign_post_policy(
        &text,
        &creds,
        &region,
        None,
        now,
        &mut SigningKeyCache::new(),
    )
    .expect("signs");
    assert_eq!(signed.policy, base64_encode(text.as_bytes()));
    assert_eq!(signed.signature.len(), 64);
});
