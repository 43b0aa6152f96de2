//! Credentials and the secret newtypes that never print their value; reading credential
//! endpoint responses ([`response`]); the cache with single-flight refresh ([`cache`]).

#[cfg(feature = "client")]
pub mod cache;
#[cfg(feature = "client")]
pub mod flight;
pub(crate) mod redact;
#[cfg(feature = "client")]
pub mod response;

use crate::error::{Error, Result};
use crate::prelude::*;
use core::fmt;

/// `Debug` and `Display` that never print the value.
macro_rules! redacted {
    ($name:ident) => {
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("[redacted]")
            }
        }
    };
}

/// An AccessKeySecret (long-term or STS). It carries its SHA-256, computed once, by which the
/// signing-key cache finds the keys derived from it without keeping the secret itself.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessKeySecret {
    value: String,
    hash: [u8; 32],
}

impl AccessKeySecret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        let value = value.into();
        let hash = crate::signer::sha256::Sha256::digest(value.as_bytes());
        Self { value, hash }
    }

    /// The secret itself.
    ///
    /// # Security warning
    /// Use it only to sign; never log, store or send it.
    pub fn expose(&self) -> &str {
        &self.value
    }

    /// SHA-256 of the secret (to tell secrets apart without keeping them).
    pub(crate) fn hash(&self) -> &[u8; 32] {
        &self.hash
    }
}

redacted!(AccessKeySecret);

/// An STS SecurityToken.
#[derive(Clone, PartialEq, Eq)]
pub struct SecurityToken(String);

impl SecurityToken {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself.
    ///
    /// # Security warning
    /// Use it only to sign or to send it where OSS requires it; never log or store it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

redacted!(SecurityToken);

/// An AccessKey pair, with the STS token when the keys are temporary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    /// AccessKeyId (`STS.…` for temporary credentials); not a secret.
    pub access_key_id: String,
    /// AccessKeySecret.
    pub access_key_secret: AccessKeySecret,
    /// SecurityToken of STS credentials.
    pub security_token: Option<SecurityToken>,
}

impl Credentials {
    /// Checks and wraps a key pair (ASCII whitespace around the id and the secret dropped); an
    /// empty token counts as none.
    pub fn new(
        access_key_id: impl Into<String>,
        access_key_secret: impl Into<String>,
        security_token: Option<String>,
    ) -> Result<Self> {
        let access_key_id = access_key_id.into();
        let secret = access_key_secret.into();
        let id = access_key_id.trim_ascii();
        if id.is_empty() {
            return Err(Error::invalid("credentials.accessKeyId", "is required"));
        }
        if !crate::text::all_bytes(id, |b| b.is_ascii_graphic() && b != b'/') {
            return Err(Error::invalid(
                "credentials.accessKeyId",
                "must be printable ASCII without '/'",
            ));
        }
        // Copy-paste whitespace around the secret is dropped as around the id (and as ali-oss
        // does): signed as given, it made every request a SignatureDoesNotMatch.
        let secret: String = if secret.trim_ascii().len() == secret.len() {
            secret
        } else {
            secret.trim_ascii().to_owned()
        };
        if secret.is_empty() {
            return Err(Error::invalid("credentials.accessKeySecret", "is required"));
        }
        let security_token = match security_token {
            Some(t) if !t.is_empty() => {
                if !t.bytes().all(|b| b.is_ascii_graphic()) {
                    return Err(Error::invalid(
                        "credentials.securityToken",
                        "must be printable ASCII (a header value)",
                    ));
                }
                Some(SecurityToken::new(t))
            }
            _ => None,
        };
        // Temporary keys are useless without their token: OSS would answer every request with
        // a bare InvalidSecurityToken.
        if security_token.is_none() && id.starts_with("STS.") {
            return Err(Error::invalid(
                "credentials.securityToken",
                "is required with an STS AccessKeyId (STS.…): pass the SecurityToken that came with it",
            ));
        }
        Ok(Self {
            access_key_id: id.to_owned(),
            access_key_secret: AccessKeySecret::new(secret),
            security_token,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Review: an STS AccessKeyId without its token was accepted, and OSS answered every request
    // with a bare InvalidSecurityToken.
    #[test]
    fn an_sts_access_key_id_needs_its_token() {
        for token in [None, Some(String::new())] {
            let e = Credentials::new("STS.abc", "s", token).unwrap_err();
            assert_eq!(e.field(), Some("credentials.securityToken"));
            assert!(e.to_string().contains("STS AccessKeyId"), "{e}");
        }
        assert!(Credentials::new("STS.abc", "s", Some("t".into())).is_ok());
        assert!(Credentials::new("LTAIabc", "s", None).is_ok());
    }

    /// Regression (review): a secret with a line end was signed as is (every request a 403).
    #[test]
    fn access_key_secret_trims_ascii_whitespace() {
        let a = Credentials::new("id", "sk\n", None).unwrap();
        let b = Credentials::new("id", " \tsk\r\n", None).unwrap();
        assert_eq!(a.access_key_secret.expose(), "sk");
        assert_eq!(b.access_key_secret.expose(), "sk");
        assert!(Credentials::new("id", " \n", None).is_err());
    }

    /// Copy-paste whitespace (ASCII) around an AccessKeyId is forgiven; any other character,
    /// Unicode spaces included, is refused rather than silently dropped.
    #[test]
    fn access_key_id_trims_ascii_whitespace_only() {
        for id in [" id", "id\n", "\t id \r\n"] {
            assert_eq!(Credentials::new(id, "s", None).unwrap().access_key_id, "id");
        }
        for id in ["\u{a0}id", "id\u{3000}", "\u{b}id", "\u{85}id"] {
            let e = Credentials::new(id, "s", None).unwrap_err();
            assert_eq!(e.field(), Some("credentials.accessKeyId"), "{id:?}");
        }
    }

    #[test]
    fn debug_and_display_never_show_secrets() {
        let c =
            Credentials::new("STS.id", "the-secret-value", Some("the-token-value".into())).unwrap();
        let dbg = format!("{c:?} {c:#?}");
        assert!(dbg.contains("STS.id"));
        assert!(
            !dbg.contains("the-secret-value") && !dbg.contains("the-token-value"),
            "{dbg}"
        );
        assert!(dbg.contains("[redacted]"));
        assert_eq!(c.access_key_secret.to_string(), "[redacted]");
        assert_eq!(c.security_token.as_ref().unwrap().to_string(), "[redacted]");
    }

    #[test]
    fn rejects_missing_or_unprintable_parts() {
        assert_eq!(
            Credentials::new("", "s", None).unwrap_err().field(),
            Some("credentials.accessKeyId")
        );
        assert_eq!(
            Credentials::new("a", "", None).unwrap_err().field(),
            Some("credentials.accessKeySecret")
        );
        let e = Credentials::new("a", "s", Some("t\r\nx".into())).unwrap_err();
        assert_eq!(e.field(), Some("credentials.securityToken"));
        assert!(!e.to_string().contains("t\r\nx"));
        assert!(Credentials::new("a", "s", Some(String::new()))
            .unwrap()
            .security_token
            .is_none());
    }
}
