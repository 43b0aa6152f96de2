//! PostObject (HTML form upload) V4: a policy builder and the policy signature.
//!
//! The string to sign is the Base64 text of the policy itself, so the exact bytes sent are the
//! bytes signed: a policy given as text is never re-serialised.

use super::{param, SigningKeyCache, ALGORITHM, PRODUCT_OSS, REQUEST_TYPE};
use crate::credentials::{redact, Credentials};
use crate::error::{Error, Result};
use crate::names::{Bucket, Region};
use crate::prelude::*;
use crate::text::{cat, hex, push_uint};
use crate::time::UnixTime;

/// The form fields of a signed policy. Its Debug output hides the SecurityToken (also inside
/// the Base64 policy).
#[derive(Clone)]
pub struct PostSignature {
    /// The `policy` field: standard Base64 of the policy's UTF-8 bytes.
    pub policy: String,
    /// The `x-oss-signature` field.
    pub signature: String,
    /// Every signature field in form order: `policy`, `x-oss-signature-version`,
    /// `x-oss-credential`, `x-oss-date`, `x-oss-signature`, and `x-oss-security-token` for STS.
    pub fields: Vec<(String, String)>,
}

impl core::fmt::Debug for PostSignature {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PostSignature")
            .field("policy", &redact::REDACTED)
            .field("signature", &self.signature)
            .field("fields", &redact::Pairs(&self.fields))
            .finish()
    }
}

/// Signs the policy text `policy_json` exactly as given, at `now`.
pub fn sign_post_policy(
    policy_json: &str,
    creds: &Credentials,
    region: &Region,
    product: Option<&str>,
    now: UnixTime,
    cache: &mut SigningKeyCache,
) -> Result<PostSignature> {
    if policy_json.trim_ascii().is_empty() {
        return Err(Error::invalid("policy", "must not be empty"));
    }
    let product = product.unwrap_or(PRODUCT_OSS);
    let date = now.date_stamp();
    let policy = crate::encode::base64_encode(policy_json.as_bytes());
    let signature = hex(&cache.sign(
        &creds.access_key_secret,
        &date,
        region.as_str(),
        product,
        policy.as_bytes(),
    ));
    let mut fields = vec![
        (param::POLICY.to_owned(), policy.clone()),
        (
            param::X_OSS_SIGNATURE_VERSION.to_owned(),
            ALGORITHM.to_owned(),
        ),
        (
            param::X_OSS_CREDENTIAL.to_owned(),
            credential(creds, &date, region, product),
        ),
        (param::X_OSS_DATE.to_owned(), now.iso8601_basic()),
        (param::X_OSS_SIGNATURE.to_owned(), signature.clone()),
    ];
    if let Some(t) = &creds.security_token {
        fields.push((
            param::X_OSS_SECURITY_TOKEN.to_owned(),
            t.expose().to_owned(),
        ));
    }
    Ok(PostSignature {
        policy,
        signature,
        fields,
    })
}

fn credential(creds: &Credentials, date: &str, region: &Region, product: &str) -> String {
    cat(&[
        &creds.access_key_id,
        "/",
        date,
        "/",
        region.as_str(),
        "/",
        product,
        "/",
        REQUEST_TYPE,
    ])
}

/// A condition on the object key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyCondition {
    /// The key must be exactly this.
    Eq(String),
    /// The key must start with this prefix.
    StartsWith(String),
}

/// A condition on the `Content-Type` form field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContentTypeCondition {
    /// Exactly this type.
    Eq(String),
    /// One of these types.
    In(Vec<String>),
    /// A type starting with this prefix (`image/`).
    StartsWith(String),
}

/// A PostObject policy to build. [`PostPolicy::to_json`] adds the credential, date, signature
/// version and security-token conditions itself, so the form and the policy always agree.
#[derive(Debug, Clone, Default)]
pub struct PostPolicy {
    /// When the policy stops being accepted.
    pub expiration: Option<UnixTime>,
    /// `{"bucket": …}`.
    pub bucket: Option<Bucket>,
    /// `["eq"|"starts-with", "$key", …]`.
    pub key: Option<KeyCondition>,
    /// `["content-length-range", min, max]`.
    pub content_length_range: Option<(u64, u64)>,
    /// Condition on `$content-type`.
    pub content_type: Option<ContentTypeCondition>,
    /// `["eq", "$success_action_status", "…"]` (200, 201 or 204).
    pub success_action_status: Option<u16>,
    /// Further conditions, each one JSON value (`{"x-oss-object-acl":"private"}`, `[…]`).
    pub extra_conditions: Vec<String>,
}

/// Appends `s` as a JSON string literal.
pub(crate) fn push_json_string(out: &mut String, s: &str) {
    out.push('"');
    let mut run = 0; // start of the pending run of characters copied as they are
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1F => "",
            _ => continue,
        };
        // Only ASCII bytes stop a run, so every boundary is a char boundary.
        out.push_str(s.get(run..i).unwrap_or_default());
        if escape.is_empty() {
            out.push_str("\\u00");
            crate::text::push_hex(out, &[b]);
        } else {
            out.push_str(escape);
        }
        run = i + 1;
    }
    out.push_str(s.get(run..).unwrap_or_default());
    out.push('"');
}

/// `["content-length-range",MIN,MAX]`.
fn length_range(min: u64, max: u64) -> String {
    let mut c = String::from("[\"content-length-range\",");
    push_uint(&mut c, min, 1);
    c.push(',');
    push_uint(&mut c, max, 1);
    c.push(']');
    c
}

impl PostPolicy {
    /// The policy JSON for `creds` signing at `now` in `region`.
    pub fn to_json(
        &self,
        creds: &Credentials,
        region: &Region,
        product: Option<&str>,
        now: UnixTime,
    ) -> Result<String> {
        let expiration = self
            .expiration
            .ok_or_else(|| Error::invalid("expiresInSecs", "is required"))?;
        if expiration <= now {
            return Err(Error::invalid(
                "expiresInSecs",
                "the policy would already be expired",
            ));
        }
        if expiration.secs() - now.secs() > super::MAX_PRESIGN_SECS {
            return Err(Error::invalid(
                "expiresInSecs",
                "must be at most 604800 (7 days)",
            ));
        }
        if let Some((min, max)) = self.content_length_range {
            if min > max {
                return Err(Error::invalid("maxBytes", "must not be less than minBytes"));
            }
        }
        if let Some(s) = self.success_action_status {
            if ![200, 201, 204].contains(&s) {
                return Err(Error::invalid(
                    "successActionStatus",
                    "must be 200, 201 or 204",
                ));
            }
        }
        let product = product.unwrap_or(PRODUCT_OSS);
        let date = now.date_stamp();
        // Each condition is written with a leading comma, the first one's dropped at the end.
        let mut conds = String::with_capacity(512);
        let pair = |out: &mut String, k: &str, v: &str| {
            out.push_str(",{");
            push_json_string(out, k);
            out.push(':');
            push_json_string(out, v);
            out.push('}');
        };
        // `head` is the condition's constant start, e.g. `["eq","$key",`.
        let op = |out: &mut String, head: &str, v: &str| {
            out.push_str(head);
            push_json_string(out, v);
            out.push(']');
        };
        pair(&mut conds, param::X_OSS_SIGNATURE_VERSION, ALGORITHM);
        pair(
            &mut conds,
            param::X_OSS_CREDENTIAL,
            &credential(creds, &date, region, product),
        );
        pair(&mut conds, param::X_OSS_DATE, &now.iso8601_basic());
        if let Some(t) = &creds.security_token {
            pair(&mut conds, param::X_OSS_SECURITY_TOKEN, t.expose());
        }
        if let Some(b) = &self.bucket {
            pair(&mut conds, "bucket", b.as_str());
        }
        match &self.key {
            Some(KeyCondition::Eq(k)) => op(&mut conds, ",[\"eq\",\"$key\",", k),
            Some(KeyCondition::StartsWith(p)) => op(&mut conds, ",[\"starts-with\",\"$key\",", p),
            None => {}
        }
        if let Some((min, max)) = self.content_length_range {
            conds.push(',');
            conds.push_str(&length_range(min, max));
        }
        match &self.content_type {
            Some(ContentTypeCondition::Eq(t)) => op(&mut conds, ",[\"eq\",\"$content-type\",", t),
            Some(ContentTypeCondition::StartsWith(t)) => {
                op(&mut conds, ",[\"starts-with\",\"$content-type\",", t);
            }
            Some(ContentTypeCondition::In(list)) => {
                conds.push_str(",[\"in\",\"$content-type\",[");
                for (i, t) in list.iter().enumerate() {
                    if i > 0 {
                        conds.push(',');
                    }
                    push_json_string(&mut conds, t);
                }
                conds.push_str("]]");
            }
            None => {}
        }
        if let Some(s) = self.success_action_status {
            let status = crate::text::int(i64::from(s));
            op(&mut conds, ",[\"eq\",\"$success_action_status\",", &status);
        }
        for c in &self.extra_conditions {
            conds.push(',');
            conds.push_str(c);
        }
        let mut json = String::from("{\"expiration\":");
        push_json_string(&mut json, &expiration.iso8601_millis());
        json.push_str(",\"conditions\":[");
        json.push_str(conds.get(1..).unwrap_or_default());
        json.push_str("]}");
        Ok(json)
    }
}

/// Checks the text of a policy given to sign as is: a JSON object with an `expiration` string
/// and a `conditions` array, as OSS requires (anything else would only fail at upload time).
pub fn check_policy_text(policy_json: &str) -> Result<()> {
    let bad = |why: &str| Error::invalid("policy", why);
    let v = crate::json::parse(policy_json)
        .map_err(|_| bad("must be JSON text (or an object) of a post policy"))?;
    if !v.is_object() {
        return Err(bad("must be a JSON object with expiration and conditions"));
    }
    if v.get("expiration")
        .and_then(crate::json::Value::as_str)
        .is_none()
    {
        return Err(bad("needs an \"expiration\" string (ISO 8601, UTC)"));
    }
    if !matches!(v.get("conditions"), Some(crate::json::Value::Array(_))) {
        return Err(bad("needs a \"conditions\" array"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::key::hmac_sha256;
    use super::*;
    use base64::Engine as _;

    fn creds(token: Option<&str>) -> Credentials {
        Credentials::new("ak", "sk", token.map(str::to_owned)).unwrap()
    }

    #[test]
    fn signs_the_base64_of_the_exact_text() {
        let now = UnixTime::from_secs(1_702_743_657).unwrap();
        let region = Region::new("cn-hangzhou").unwrap();
        let text =
            "{\"expiration\":\"2023-12-17T00:00:00.000Z\",\"conditions\":[ {\"bucket\":\"b\"} ]}";
        let s = sign_post_policy(
            text,
            &creds(None),
            &region,
            None,
            now,
            &mut SigningKeyCache::new(),
        )
        .unwrap();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(&s.policy)
            .unwrap();
        assert_eq!(decoded, text.as_bytes());
        // signing key of the reference check value, then HMAC over the Base64 text
        let key = super::super::key::derive_signing_key("sk", "20231216", "cn-hangzhou", "oss");
        assert_eq!(
            s.signature,
            hex::encode(hmac_sha256(&key, s.policy.as_bytes()))
        );
        let names: Vec<&str> = s.fields.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "policy",
                "x-oss-signature-version",
                "x-oss-credential",
                "x-oss-date",
                "x-oss-signature"
            ]
        );
        assert_eq!(
            s.fields[2].1,
            "ak/20231216/cn-hangzhou/oss/aliyun_v4_request"
        );
    }

    #[test]
    fn builder_adds_signing_conditions_and_escapes() {
        let now = UnixTime::from_secs(1_702_743_657).unwrap();
        let region = Region::new("cn-hangzhou").unwrap();
        let p = PostPolicy {
            expiration: Some(now.plus_secs(600)),
            bucket: Some(Bucket::new("bkt").unwrap()),
            key: Some(KeyCondition::StartsWith("u/\"x\"/".into())),
            content_length_range: Some((1, 10)),
            content_type: Some(ContentTypeCondition::In(vec![
                "image/png".into(),
                "image/jpeg".into(),
            ])),
            success_action_status: Some(201),
            extra_conditions: vec!["{\"x-oss-object-acl\":\"private\"}".into()],
        };
        let json = p.to_json(&creds(Some("tok")), &region, None, now).unwrap();
        assert_eq!(
            json,
            concat!(
                "{\"expiration\":\"2023-12-16T16:30:57.000Z\",\"conditions\":[",
                "{\"x-oss-signature-version\":\"OSS4-HMAC-SHA256\"},",
                "{\"x-oss-credential\":\"ak/20231216/cn-hangzhou/oss/aliyun_v4_request\"},",
                "{\"x-oss-date\":\"20231216T162057Z\"},",
                "{\"x-oss-security-token\":\"tok\"},",
                "{\"bucket\":\"bkt\"},",
                "[\"starts-with\",\"$key\",\"u/\\\"x\\\"/\"],",
                "[\"content-length-range\",1,10],",
                "[\"in\",\"$content-type\",[\"image/png\",\"image/jpeg\"]],",
                "[\"eq\",\"$success_action_status\",\"201\"],",
                "{\"x-oss-object-acl\":\"private\"}]}"
            )
        );
        let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(parsed["conditions"][5][2], "u/\"x\"/");
    }

    #[test]
    fn json_strings_escape_quotes_and_control_characters() {
        let mut out = String::new();
        push_json_string(&mut out, "a\"b\\c\n\u{1}é中");
        assert_eq!(out, "\"a\\\"b\\\\c\\n\\u0001é中\"");
        let back: String = serde_json::from_str(&out).unwrap();
        assert_eq!(back, "a\"b\\c\n\u{1}é中");
    }

    #[test]
    fn builder_rejects_bad_ranges_and_expiry() {
        let now = UnixTime::from_secs(1_702_743_657).unwrap();
        let region = Region::new("cn-hangzhou").unwrap();
        let c = creds(None);
        let base = PostPolicy {
            expiration: Some(now.plus_secs(60)),
            ..Default::default()
        };
        let bad = [
            PostPolicy {
                expiration: None,
                ..base.clone()
            },
            PostPolicy {
                expiration: Some(now),
                ..base.clone()
            },
            PostPolicy {
                expiration: Some(now.plus_secs(604_801)),
                ..base.clone()
            },
            PostPolicy {
                content_length_range: Some((5, 4)),
                ..base.clone()
            },
            PostPolicy {
                success_action_status: Some(302),
                ..base.clone()
            },
        ];
        for p in bad {
            assert_eq!(
                p.to_json(&c, &region, None, now).unwrap_err().code(),
                "InvalidArgument"
            );
        }
        assert!(base.to_json(&c, &region, None, now).is_ok());
    }

    #[test]
    fn policy_text_needs_expiration_and_conditions() {
        assert!(
            check_policy_text(r#"{"expiration":"2099-01-01T00:00:00.000Z","conditions":[]}"#)
                .is_ok()
        );
        for bad in [
            "not json",
            "[]",
            r#"{"conditions":[]}"#,
            r#"{"expiration":"2099-01-01T00:00:00.000Z"}"#,
            r#"{"expiration":1,"conditions":[]}"#,
            r#"{"expiration":"2099-01-01T00:00:00.000Z","conditions":{}}"#,
        ] {
            assert_eq!(
                check_policy_text(bad).unwrap_err().field(),
                Some("policy"),
                "{bad}"
            );
        }
    }
}
