//! PostObject policy documents: parsing and condition checking (V1 and V4 forms).

use crate::error::OssError;
use crate::time;
use base64::Engine;
use serde_json::Value;

/// A decoded policy.
#[derive(Debug, Clone)]
pub struct PostPolicy {
    /// Expiration, unix ms.
    pub expiration_ms: i64,
    /// Raw conditions.
    pub conditions: Vec<Value>,
}

fn policy_error(msg: &str, ec: &str) -> OssError {
    OssError::new(400, "InvalidPolicyDocument", msg, ec)
}

fn cond_failed(c: &Value) -> OssError {
    let text = match c {
        Value::Array(a) => format!(
            "[{}]",
            a.iter()
                .map(std::string::ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    };
    OssError::new(
        403,
        "AccessDenied",
        &format!("Invalid according to Policy: Policy Condition failed: {text}"),
        "0006-00000227",
    )
}

/// Decode the base64 `policy` field.
pub fn decode(b64: &str) -> Result<PostPolicy, OssError> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|_| policy_error("Invalid Policy: Invalid Base64 Encoding.", "0006-00000201"))?;
    let v: Value = serde_json::from_slice(&bytes)
        .map_err(|_| policy_error("Invalid Policy: Invalid JSON.", "0006-00000201"))?;
    let exp = v
        .get("expiration")
        .and_then(Value::as_str)
        .ok_or_else(|| policy_error("Invalid Policy: Missing expiration.", "0006-00000201"))?;
    let expiration_ms = time::parse_iso8601_ms(exp).ok_or_else(|| {
        policy_error(
            "Invalid Policy: Invalid 'expiration' value.",
            "0006-00000201",
        )
    })?;
    let conditions = v
        .get("conditions")
        .and_then(Value::as_array)
        .cloned()
        .ok_or_else(|| policy_error("Invalid Policy: Missing conditions.", "0006-00000201"))?;
    Ok(PostPolicy {
        expiration_ms,
        conditions,
    })
}

/// Form fields seen so far (lower-case names).
pub trait Fields {
    /// Value of a field (case-insensitive name).
    fn field(&self, name: &str) -> Option<&str>;
}

impl Fields for Vec<(String, String)> {
    fn field(&self, name: &str) -> Option<&str> {
        self.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn value_of<'a>(fields: &'a dyn Fields, bucket: &'a str, name: &str) -> Option<&'a str> {
    let name = name.strip_prefix('$').unwrap_or(name);
    if name.eq_ignore_ascii_case("bucket") {
        return Some(bucket);
    }
    fields.field(name)
}

fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Check every condition except `content-length-range`; returns the (min, max) range if any.
/// `v4`: the form is signed with V4, whose policy must also carry [`V4_REQUIRED_CONDITIONS`].
pub fn check(
    policy: &PostPolicy,
    fields: &dyn Fields,
    bucket: &str,
    now_ms: i64,
    v4: bool,
) -> Result<Option<(u64, u64)>, OssError> {
    if now_ms > policy.expiration_ms {
        return Err(OssError::new(
            403,
            "AccessDenied",
            "Invalid according to Policy: Policy expired.",
            "0006-00000228",
        ));
    }
    if v4 {
        check_v4_required(policy, fields)?;
    }
    let mut range = None;
    for c in &policy.conditions {
        match c {
            Value::Object(map) => {
                for (k, v) in map {
                    let want = as_text(v).ok_or_else(|| {
                        policy_error("Invalid Policy: bad condition value.", "0006-00000222")
                    })?;
                    if value_of(fields, bucket, k) != Some(want.as_str()) {
                        return Err(cond_failed(&Value::Array(vec![
                            Value::String("eq".into()),
                            Value::String(format!("${k}")),
                            v.clone(),
                        ])));
                    }
                }
            }
            Value::Array(a) => {
                let mode = a
                    .first()
                    .and_then(Value::as_str)
                    .map(str::to_ascii_lowercase)
                    .unwrap_or_default();
                if mode == "content-length-range" {
                    let (Some(min), Some(max)) =
                        (a.get(1).and_then(num_u64), a.get(2).and_then(num_u64))
                    else {
                        return Err(policy_error(
                            "Invalid Policy: content-length-range needs two integers.",
                            "0006-00000219",
                        ));
                    };
                    if a.len() != 3 {
                        return Err(policy_error(
                            "Invalid Policy: too many items in condition.",
                            "0006-00000218",
                        ));
                    }
                    if max < min {
                        return Err(policy_error(
                            "Invalid Policy: content-length-range max is less than min.",
                            "0006-00000223",
                        ));
                    }
                    range = Some((min, max));
                    continue;
                }
                if !matches!(mode.as_str(), "eq" | "starts-with" | "in" | "not-in") {
                    return Err(policy_error(
                        "Invalid Policy: unknown condition mode.",
                        "0006-00000216",
                    ));
                }
                if a.len() != 3 {
                    return Err(policy_error(
                        "Invalid Policy: wrong number of items in condition.",
                        "0006-00000218",
                    ));
                }
                let field = a.get(1).and_then(Value::as_str).ok_or_else(|| {
                    policy_error("Invalid Policy: bad field name.", "0006-00000216")
                })?;
                let actual = value_of(fields, bucket, field);
                let ok = match mode.as_str() {
                    "eq" => {
                        let want = a.get(2).and_then(as_text);
                        actual.is_some() && actual.map(str::to_string) == want
                    }
                    "starts-with" => {
                        let prefix = a.get(2).and_then(as_text).unwrap_or_default();
                        actual.unwrap_or("").starts_with(&prefix)
                    }
                    "in" | "not-in" => {
                        let list: Vec<String> = a
                            .get(2)
                            .and_then(Value::as_array)
                            .ok_or_else(|| {
                                policy_error(
                                    "Invalid Policy: in/not-in needs a list.",
                                    "0006-00000216",
                                )
                            })?
                            .iter()
                            .filter_map(as_text)
                            .collect();
                        let inside = actual.is_some_and(|v| list.iter().any(|x| x == v));
                        if mode == "in" {
                            inside
                        } else {
                            !inside
                        }
                    }
                    _ => false,
                };
                if !ok {
                    return Err(cond_failed(c));
                }
            }
            _ => {
                return Err(policy_error(
                    "Invalid Policy: a condition must be an object or a list.",
                    "0006-00000222",
                ))
            }
        }
    }
    Ok(range)
}

/// Form fields every V4 policy must name in an exact-match condition (`{"name": value}` or
/// `["eq", "$name", value]`); the condition's value is then checked against the form by
/// [`check`], so the form's `x-oss-date` must equal the policy's.
pub const V4_REQUIRED_CONDITIONS: [&str; 3] =
    ["x-oss-signature-version", "x-oss-credential", "x-oss-date"];

fn has_exact_condition(policy: &PostPolicy, name: &str) -> bool {
    let same = |field: &str| {
        field
            .strip_prefix('$')
            .unwrap_or(field)
            .eq_ignore_ascii_case(name)
    };
    policy.conditions.iter().any(|c| match c {
        Value::Object(map) => map.keys().any(|k| same(k)),
        Value::Array(a) => {
            a.len() == 3
                && a.first()
                    .and_then(Value::as_str)
                    .is_some_and(|m| m.eq_ignore_ascii_case("eq"))
                && a.get(1).and_then(Value::as_str).is_some_and(same)
        }
        _ => false,
    })
}

/// V4 forms only: the policy must carry the [`V4_REQUIRED_CONDITIONS`]. A missing one fails like
/// any other policy condition (403 `AccessDenied`, EC 0006-00000227), quoting the condition the
/// form would have needed.
pub fn check_v4_required(policy: &PostPolicy, fields: &dyn Fields) -> Result<(), OssError> {
    for name in V4_REQUIRED_CONDITIONS {
        if !has_exact_condition(policy, name) {
            return Err(cond_failed(&Value::Array(vec![
                Value::String("eq".into()),
                Value::String(format!("${name}")),
                Value::String(fields.field(name).unwrap_or("").to_string()),
            ])));
        }
    }
    Ok(())
}

fn num_u64(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pol(conds: &str) -> PostPolicy {
        let json = format!(r#"{{"expiration":"2100-01-01T00:00:00.000Z","conditions":{conds}}}"#);
        decode(&base64::engine::general_purpose::STANDARD.encode(json)).unwrap()
    }

    #[test]
    fn conditions() {
        let f: Vec<(String, String)> = vec![
            ("key".into(), "uploads/a.txt".into()),
            ("Content-Type".into(), "text/plain".into()),
            ("success_action_status".into(), "200".into()),
        ];
        let p = pol(
            r#"[{"bucket":"demo"},["starts-with","$key","uploads/"],["in","$content-type",["text/plain","image/png"]],["not-in","$cache-control",["no-cache"]],["eq","$success_action_status","200"],["content-length-range",1,10]]"#,
        );
        assert_eq!(check(&p, &f, "demo", 0, false).unwrap(), Some((1, 10)));
        assert_eq!(
            check(&p, &f, "other", 0, false).unwrap_err().ec,
            "0006-00000227"
        );
        let p = pol(r#"[["starts-with","$key","x/"]]"#);
        assert_eq!(
            check(&p, &f, "demo", 0, false).unwrap_err().code,
            "AccessDenied"
        );
        let p = pol(r#"[["not-in","$content-type",["text/plain"]]]"#);
        assert!(check(&p, &f, "demo", 0, false).is_err());
        let p = pol(r#"[["bogus","$key","x"]]"#);
        assert_eq!(
            check(&p, &f, "demo", 0, false).unwrap_err().ec,
            "0006-00000216"
        );
        let p = pol(r#"["scalar"]"#);
        assert_eq!(
            check(&p, &f, "demo", 0, false).unwrap_err().ec,
            "0006-00000222"
        );
        let p = pol(r#"[["content-length-range",10,1]]"#);
        assert_eq!(
            check(&p, &f, "demo", 0, false).unwrap_err().ec,
            "0006-00000223"
        );
        let p = pol("[]");
        assert_eq!(
            check(&p, &f, "demo", 5_000_000_000_000, false)
                .unwrap_err()
                .message,
            "Invalid according to Policy: Policy expired."
        );
    }

    #[test]
    fn v4_policy_requires_the_signature_conditions() {
        let f: Vec<(String, String)> = vec![
            ("key".into(), "k".into()),
            ("x-oss-signature-version".into(), "OSS4-HMAC-SHA256".into()),
            (
                "x-oss-credential".into(),
                "ak/20240520/cn-hangzhou/oss/aliyun_v4_request".into(),
            ),
            ("x-oss-date".into(), "20240520T090910Z".into()),
        ];
        let v = r#"{"x-oss-signature-version":"OSS4-HMAC-SHA256"}"#;
        let c = r#"["eq","$x-oss-credential","ak/20240520/cn-hangzhou/oss/aliyun_v4_request"]"#;
        let d = r#"{"x-oss-date":"20240520T090910Z"}"#;
        assert_eq!(
            check(&pol(&format!("[{v},{c},{d}]")), &f, "b", 0, true).unwrap(),
            None
        );
        // V1: nothing required
        assert!(check(&pol("[]"), &f, "b", 0, false).is_ok());
        for p in [
            "[]".to_string(),
            format!("[{c},{d}]"),
            format!("[{v},{d}]"),
            format!("[{v},{c}]"),
            format!(r#"[{v},{c},["starts-with","$x-oss-date","2024"]]"#),
            // present but not equal to the form's x-oss-date
            format!(r#"[{v},{c},{{"x-oss-date":"20240520T090911Z"}}]"#),
        ] {
            let e = check(&pol(&p), &f, "b", 0, true).unwrap_err();
            assert_eq!(
                (e.status, e.code.as_str(), e.ec.as_str()),
                (403, "AccessDenied", "0006-00000227"),
                "{p}"
            );
            assert!(
                e.message.starts_with(
                    "Invalid according to Policy: Policy Condition failed: [\"eq\", \"$x-oss-"
                ),
                "{}",
                e.message
            );
        }
        let e = check(&pol(&format!("[{v},{c}]")), &f, "b", 0, true).unwrap_err();
        assert_eq!(
            e.message,
            r#"Invalid according to Policy: Policy Condition failed: ["eq", "$x-oss-date", "20240520T090910Z"]"#
        );
    }
}
