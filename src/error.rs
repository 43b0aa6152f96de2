//! One error type with stable codes shared with OSS's PascalCase vocabulary.

use crate::prelude::*;
use core::fmt;

/// A failure with a stable, machine-readable [`code`](Error::code).
///
/// Messages never contain an AccessKeySecret or a SecurityToken.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// An argument was rejected before any request was made. Boxed: errors travel through every
    /// `?` of the signing path, and a small `Error` is less code to move (smaller wasm).
    InvalidArgument(Box<Invalid>),
    /// The credential provider failed or returned an unusable response.
    CredentialProvider(String),
    /// The credential provider failed in a way that may pass (a timeout, a 5xx or 429 from the
    /// credential endpoint), after the library's own retries: the same code as
    /// [`Error::CredentialProvider`], but retryable.
    CredentialProviderUnavailable(String),
    /// The credentials expired before they could be used.
    CredentialsExpired,
    /// The request failed at the network level (fetch `TypeError`; CORS failures look the same).
    Network(String),
    /// The request was aborted through its `AbortSignal`.
    Aborted,
    /// OSS answered with an error.
    Service(Box<ServiceError>),
    /// OSS answered with something this library could not understand, or hid what it needs
    /// (a response header the bucket's CORS rule does not expose).
    InvalidResponse(String),
    /// A signed URL or post policy handed to the library expired: refused before sending when
    /// OSS's clock says so (or this device's, by over a day), or OSS answered that it expired.
    SignedUrlExpired(String),
    /// The CRC64 OSS computed differs from the data sent, after every retry (multipart).
    CrcMismatch(String),
    /// The browser hid a response header an upload needs (`ETag`): the bucket's CORS rule must
    /// expose it. The message gives the rule.
    CorsExposeHeadersMissing(String),
    /// A multipart upload was paused; its uploadId and checkpoint are kept for `resume`.
    UploadPaused(String),
}

/// What an [`Error::InvalidArgument`] says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// The option or field that was rejected (`key`, `bucket`, `headers.x-oss-meta-a`…).
    pub field: String,
    /// Why it was rejected.
    pub reason: String,
}

/// An error answered by OSS (the parsed `<Error>` XML and response metadata).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceError {
    /// HTTP status.
    pub status: u16,
    /// OSS error code (`SignatureDoesNotMatch`, `AccessDenied`, …).
    pub code: String,
    /// OSS error message.
    pub message: String,
    /// `x-oss-request-id` / `<RequestId>`.
    pub request_id: Option<String>,
    /// OSS detailed error code (`<EC>`, `x-oss-ec`).
    pub ec: Option<String>,
    /// The string to sign OSS computed (`SignatureDoesNotMatch` only), the SecurityToken
    /// redacted.
    pub string_to_sign: Option<String>,
    /// The canonical request OSS computed (`SignatureDoesNotMatch` only), the SecurityToken
    /// redacted.
    pub canonical_request: Option<String>,
    /// `<ServerTime>` (`RequestTimeTooSkewed`, expired requests).
    pub server_time: Option<String>,
    /// `<HostId>`: the host OSS saw.
    pub host_id: Option<String>,
    /// For `SignatureDoesNotMatch`: the first difference between what was signed and what OSS
    /// received, in plain words. For other codes, a hint when one is known.
    pub diagnosis: Option<String>,
}

impl Error {
    /// Shorthand for [`Error::InvalidArgument`].
    pub fn invalid(field: impl AsRef<str>, reason: impl AsRef<str>) -> Self {
        Self::invalid_str(field.as_ref(), reason.as_ref())
    }

    /// One out-of-line constructor for the hundred call sites (smaller wasm).
    #[inline(never)]
    fn invalid_str(field: &str, reason: &str) -> Self {
        Self::InvalidArgument(Box::new(Invalid {
            field: field.to_owned(),
            reason: reason.to_owned(),
        }))
    }

    /// The stable code: `InvalidArgument`, `CredentialProviderError`, `CredentialsExpired`,
    /// `NetworkError`, `RequestAborted`, `InvalidResponse`, `SignedUrlExpired`, `CrcMismatch`,
    /// `CorsExposeHeadersMissing`, `UploadPaused`, or the OSS code verbatim.
    pub fn code(&self) -> &str {
        match self {
            Self::InvalidArgument(_) => "InvalidArgument",
            Self::CredentialProvider(_) | Self::CredentialProviderUnavailable(_) => {
                "CredentialProviderError"
            }
            Self::CredentialsExpired => "CredentialsExpired",
            Self::Network(_) => "NetworkError",
            Self::Aborted => "RequestAborted",
            Self::Service(e) => &e.code,
            Self::InvalidResponse(_) => "InvalidResponse",
            Self::SignedUrlExpired(_) => "SignedUrlExpired",
            Self::CrcMismatch(_) => "CrcMismatch",
            Self::CorsExposeHeadersMissing(_) => "CorsExposeHeadersMissing",
            Self::UploadPaused(_) => "UploadPaused",
        }
    }

    /// Whether retrying the same request may succeed: 5xx, 429 and network errors.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Network(_) | Self::CredentialProviderUnavailable(_) => true,
            Self::Service(e) => e.status >= 500 || e.status == 429,
            _ => false,
        }
    }

    /// The field an `InvalidArgument` names.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::InvalidArgument(e) => Some(&e.field),
            _ => None,
        }
    }
}

impl Error {
    /// The message of [`Display`](fmt::Display), built without `core::fmt` (the signing-only
    /// wasm links no formatting code; JS errors get this text).
    pub fn message(&self) -> String {
        use crate::text::cat;
        match self {
            Self::InvalidArgument(e) => cat(&["invalid ", &e.field, ": ", &e.reason]),
            Self::CredentialProvider(m) | Self::CredentialProviderUnavailable(m) => {
                cat(&["credential provider failed: ", m])
            }
            Self::CredentialsExpired => "credentials expired".to_owned(),
            Self::Network(m) => cat(&["network error: ", m]),
            Self::Aborted => "request aborted".to_owned(),
            Self::Service(e) => match &e.diagnosis {
                Some(d) => cat(&[&e.code, ": ", &e.message, " (", d, ")"]),
                None => cat(&[&e.code, ": ", &e.message]),
            },
            Self::InvalidResponse(m) => cat(&["unexpected response: ", m]),
            Self::SignedUrlExpired(m) => cat(&["signed URL expired: ", m]),
            Self::CrcMismatch(m) => cat(&["CRC64 mismatch: ", m]),
            Self::CorsExposeHeadersMissing(m) | Self::UploadPaused(m) => m.clone(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl core::error::Error for Error {}

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = core::result::Result<T, E>;
