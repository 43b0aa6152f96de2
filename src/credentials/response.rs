//! Reading a credential endpoint's response: the STS AssumeRole body, a bare object with the same
//! fields, camelCase (`accessKeyId`, `accessKeySecret`, `securityToken` | `stsToken`,
//! `expiration`), and any of these under `credentials` or `data`.
//!
//! Errors name the missing or malformed field and never quote a value.

use super::Credentials;
use crate::error::{Error, Result};
use crate::json::{self, Value};
use crate::time::UnixTime;

/// How long credentials without an `Expiration` are trusted: 15 minutes (the shortest lifetime
/// STS AssumeRole grants).
pub const DEFAULT_LIFETIME_SECS: i64 = 900;

/// Credentials and, when the response said so, their expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemporaryCredentials {
    /// The key pair and token.
    pub credentials: Credentials,
    /// `Expiration`, if the response had one.
    pub expiration_ms: Option<i64>,
}

const ID: [&str; 2] = ["AccessKeyId", "accessKeyId"];
const SECRET: [&str; 2] = ["AccessKeySecret", "accessKeySecret"];
const TOKEN: [&str; 3] = ["SecurityToken", "securityToken", "stsToken"];
const EXPIRATION: [&str; 2] = ["Expiration", "expiration"];

fn provider(msg: impl Into<String>) -> Error {
    Error::CredentialProvider(msg.into())
}

fn first<'v>(obj: &'v Value, names: &[&'static str]) -> Option<(&'static str, &'v Value)> {
    names
        .iter()
        .find_map(|n| obj.get(n).filter(|v| **v != Value::Null).map(|v| (*n, v)))
}

/// The object holding the fields, and its path for messages.
fn locate(root: &Value) -> Option<(String, &Value)> {
    let mut candidates: Vec<(String, &Value)> = vec![(String::new(), root)];
    for wrapper in ["Credentials", "credentials", "data", "Data"] {
        if let Some(inner) = root.get(wrapper) {
            candidates.push((wrapper.to_owned(), inner));
            for w2 in ["Credentials", "credentials"] {
                if let Some(inner2) = inner.get(w2) {
                    let mut p = wrapper.to_owned();
                    p.push('.');
                    p.push_str(w2);
                    candidates.push((p, inner2));
                }
            }
        }
    }
    candidates
        .into_iter()
        .find(|(_, v)| first(v, &ID).is_some() || first(v, &SECRET).is_some())
}

fn path(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        let mut p = prefix.to_owned();
        p.push('.');
        p.push_str(name);
        p
    }
}

fn string_field(obj: &Value, prefix: &str, names: &[&'static str]) -> Result<Option<String>> {
    match first(obj, names) {
        None => Ok(None),
        Some((_, Value::String(s))) => Ok(Some(s.clone())),
        Some((n, _)) => Err(provider(format!(
            "credential response field {} must be a string",
            path(prefix, n)
        ))),
    }
}

/// Parses `Expiration`: an ISO 8601 string, or a number of milliseconds (or, below 10^11, of
/// seconds) since the epoch.
fn expiration_ms(obj: &Value, prefix: &str) -> Result<Option<i64>> {
    let Some((name, v)) = first(obj, &EXPIRATION) else {
        return Ok(None);
    };
    let bad = || {
        provider(format!(
            "credential response field {} must be an ISO 8601 time like 2024-01-31T12:00:00Z",
            path(prefix, name)
        ))
    };
    match v {
        Value::String(s) => UnixTime::parse_iso8601(s)
            .map(|t| Some(t.secs().saturating_mul(1000)))
            .map_err(|_| bad()),
        // Seconds below 10^11 (year 5138), milliseconds below 10^14; fractions (Python's
        // `time.time() + 900`) are cut. Microseconds and beyond are refused, not read as a
        // date 56,000 years away that would never be refreshed.
        // (Read by hand: float parsing would add 16 KB of wasm.)
        Value::Number(n) => {
            let (whole, frac) = n.split_once('.').unwrap_or((n.as_str(), ""));
            let digits =
                |s: &str| !s.is_empty() && s.len() <= 15 && s.bytes().all(|c| c.is_ascii_digit());
            let whole = (digits(whole) && (frac.is_empty() || digits(frac)))
                .then(|| whole.parse::<i64>().ok())
                .flatten()
                .filter(|n| *n > 0);
            // Milliseconds of a fraction of seconds: its first three digits.
            let frac_ms = || {
                frac.bytes()
                    .chain(core::iter::repeat(b'0'))
                    .take(3)
                    .fold(0i64, |acc, c| acc * 10 + i64::from(c - b'0'))
            };
            match whole {
                Some(n) if n < 100_000_000_000 => Ok(Some(n * 1000 + frac_ms())),
                Some(n) if n < 100_000_000_000_000 => Ok(Some(n)),
                _ => Err(provider(format!(
                    "credential response field {} must be seconds or milliseconds since the epoch, or an ISO 8601 time",
                    path(prefix, name)
                ))),
            }
        }
        _ => Err(bad()),
    }
}

/// Reads credentials from a parsed response.
pub fn from_value(root: &Value) -> Result<TemporaryCredentials> {
    if !root.is_object() {
        return Err(provider(
            "credential response must be a JSON object with AccessKeyId, AccessKeySecret, SecurityToken and Expiration",
        ));
    }
    let Some((prefix, obj)) = locate(root) else {
        let mut m = String::from("credential response has no AccessKeyId (expected the STS AssumeRole body {\"Credentials\":{\"AccessKeyId\",…}} or {accessKeyId, accessKeySecret, securityToken, expiration}, optionally under \"credentials\" or \"data\")");
        // An STS or app error body: its code is safe to show and says what went wrong.
        if let Some(code) = first(root, &["Code", "code", "ErrorCode", "errorCode", "error"])
            .and_then(|(_, v)| v.as_str())
        {
            m.push_str("; the endpoint answered error ");
            m.extend(code.chars().filter(char::is_ascii_graphic).take(80));
        }
        return Err(provider(m));
    };
    let id = string_field(obj, &prefix, &ID)?.ok_or_else(|| {
        provider(format!(
            "credential response has no {}",
            path(&prefix, ID[0])
        ))
    })?;
    let secret = string_field(obj, &prefix, &SECRET)?.ok_or_else(|| {
        provider(format!(
            "credential response has no {}",
            path(&prefix, SECRET[0])
        ))
    })?;
    // Whitespace around them (a line end in a value read from a file) is no part of a key:
    // kept, it fails later as SignatureDoesNotMatch far from its cause.
    let secret = secret
        .trim_matches(|c: char| c.is_ascii_whitespace())
        .to_owned();
    let token = string_field(obj, &prefix, &TOKEN)?
        .map(|t| t.trim_matches(|c: char| c.is_ascii_whitespace()).to_owned());
    let expiration_ms = expiration_ms(obj, &prefix)?;
    let credentials = Credentials::new(id, secret, token).map_err(|e| {
        let field = e.field().unwrap_or("credentials");
        let mut m = String::from("credential response field ");
        m.push_str(field.trim_start_matches("credentials."));
        m.push_str(" is unusable: ");
        m.push_str(match &e {
            Error::InvalidArgument(e) => &e.reason,
            _ => "invalid",
        });
        provider(m)
    })?;
    Ok(TemporaryCredentials {
        credentials,
        expiration_ms,
    })
}

/// Parses a response body.
pub fn parse(text: &str) -> Result<TemporaryCredentials> {
    from_value(&json::parse(text)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXP: i64 = 1_428_580_339_000;

    #[test]
    fn accepts_every_documented_shape() {
        let bodies = [
            r#"{"RequestId":"x","AssumedRoleUser":{},"Credentials":{"AccessKeyId":"STS.a","AccessKeySecret":"s","SecurityToken":"t","Expiration":"2015-04-09T11:52:19Z"}}"#,
            r#"{"AccessKeyId":"STS.a","AccessKeySecret":"s","SecurityToken":"t","Expiration":"2015-04-09T11:52:19Z"}"#,
            r#"{"accessKeyId":"STS.a","accessKeySecret":"s","securityToken":"t","expiration":"2015-04-09T11:52:19.000Z"}"#,
            r#"{"accessKeyId":"STS.a","accessKeySecret":"s","stsToken":"t","expiration":1428580339000}"#,
            r#"{"credentials":{"accessKeyId":"STS.a","accessKeySecret":"s","stsToken":"t","expiration":1428580339}}"#,
            r#"{"code":0,"data":{"AccessKeyId":"STS.a","AccessKeySecret":"s","SecurityToken":"t","Expiration":"2015-04-09T19:52:19+08:00"}}"#,
            r#"{"data":{"Credentials":{"AccessKeyId":"STS.a","AccessKeySecret":"s","SecurityToken":"t","Expiration":"2015-04-09T11:52:19Z"}}}"#,
            // Review: a float (Python's time.time() + 900), an offset without its colon, a
            // secret and token read from a file with their line end.
            r#"{"accessKeyId":"STS.a","accessKeySecret":"s\n","stsToken":" t\r\n","expiration":1428580339.0004}"#,
            r#"{"AccessKeyId":"STS.a","AccessKeySecret":"s","SecurityToken":"t","Expiration":"2015-04-09T19:52:19+0800"}"#,
        ];
        for b in bodies {
            let c = parse(b).unwrap_or_else(|e| panic!("{b}: {e}"));
            assert_eq!(c.credentials.access_key_id, "STS.a", "{b}");
            assert_eq!(c.credentials.access_key_secret.expose(), "s");
            assert_eq!(c.credentials.security_token.as_ref().unwrap().expose(), "t");
            assert_eq!(c.expiration_ms, Some(EXP), "{b}");
        }
    }

    #[test]
    fn expirations_in_microseconds_are_refused_and_error_codes_shown() {
        let e = parse(r#"{"accessKeyId":"a","accessKeySecret":"s","expiration":1428580339000000}"#)
            .unwrap_err();
        assert!(e.to_string().contains("seconds or milliseconds"), "{e}");
        let e = parse(
            r#"{"StatusCode":500,"ErrorCode":"InvalidAccessKeyId.NotFound","ErrorMessage":"x"}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("InvalidAccessKeyId.NotFound"), "{e}");
    }

    #[test]
    fn expiration_is_optional() {
        let c = parse(r#"{"accessKeyId":"a","accessKeySecret":"s"}"#).unwrap();
        assert_eq!(c.expiration_ms, None);
        assert!(c.credentials.security_token.is_none());
    }

    #[test]
    fn missing_fields_are_named_and_secrets_never_echoed() {
        let cases = [
            (
                r#"{"Credentials":{"AccessKeyId":"STS.a","SecurityToken":"tok-SECRET1"}}"#,
                "Credentials.AccessKeySecret",
            ),
            (
                r#"{"accessKeySecret":"SECRET2","stsToken":"SECRET3"}"#,
                "no AccessKeyId",
            ),
            (
                r#"{"data":{"accessKeyId":"a","accessKeySecret":"SECRET4","expiration":"tomorrow"}}"#,
                "data.expiration",
            ),
            (
                r#"{"accessKeyId":"a","accessKeySecret":"SECRET5","securityToken":7}"#,
                "securityToken must be a string",
            ),
            (
                r#"{"accessKeyId":"a","accessKeySecret":"SECRET6","securityToken":"bad\ntoken SECRET7"}"#,
                "securityToken is unusable",
            ),
            (
                r#"{"Code":"NoPermission","Message":"SECRET8"}"#,
                "error NoPermission",
            ),
            (r#"["SECRET9"]"#, "must be a JSON object"),
            (
                r#"{"accessKeyId":"a","accessKeySecret":"SECRET10""#,
                "not valid JSON",
            ),
        ];
        for (body, want) in cases {
            let e = parse(body).unwrap_err();
            let text = format!("{e} {e:?}");
            assert_eq!(e.code(), "CredentialProviderError");
            assert!(text.contains(want), "{body}: {text}");
            assert!(!text.contains("SECRET"), "{body}: {text}");
        }
    }

    #[test]
    fn huge_response_is_rejected() {
        let body = format!(
            r#"{{"accessKeyId":"a","accessKeySecret":"{}"}}"#,
            "x".repeat(300_000)
        );
        assert!(parse(&body).unwrap_err().to_string().contains("256 KB"));
    }
}
