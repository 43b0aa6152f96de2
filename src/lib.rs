//! # oss-direct-upload
//!
//! Upload files from a web page straight to Alibaba Cloud OSS with STS temporary credentials,
//! signing OSS Signature V4 (`OSS4-HMAC-SHA256`) locally in WebAssembly.
//!
//! The core is sans-IO and reads no clock: every signing function takes the signing instant.
//! The `web` module (wasm32 only) binds it to JavaScript.
//!
//! Layers, bottom up:
//! - [`signer`]: OSS V4 header signing, presigned URLs and PostObject policies;
//! - [`credentials`]: redacted secrets, credential-endpoint responses (read by the small,
//!   depth-limited [`json`] reader), and the cache with single-flight refresh;
//! - [`upload`]: OSS XML errors, retry policy, Content-Type resolution, clock skew, signature
//!   diagnosis, multipart plans, checkpoints and resume, and the orchestration of single-request
//!   and multipart uploads through a [`upload::Transport`] — tested natively with a fake
//!   transport and a manual clock;
//! - `web` (wasm32): the global-`fetch` transport, credential sources (URL, function, shared
//!   across tabs), IndexedDB checkpoints, and the `OssClient` class.
//!
//! ```
//! use oss_direct_upload::{credentials::Credentials, signer, time::UnixTime};
//!
//! let creds = Credentials::new("STS.id", "secret", Some("token".into()))?;
//! let req = signer::Request::new(signer::RequestParts {
//!     method: "PUT",
//!     bucket: "examplebucket",
//!     key: Some("photos/cat.jpg"),
//!     region: "cn-hangzhou",
//!     headers: vec![("Content-Type".into(), "image/jpeg".into())],
//!     ..Default::default()
//! })?;
//! let now = UnixTime::from_secs(1_702_743_657).ok_or("time")?;
//! let signed = signer::sign_request(&req, &creds, now, &mut signer::SigningKeyCache::new());
//! assert_eq!(signed.url, "https://examplebucket.oss-cn-hangzhou.aliyuncs.com/photos/cat.jpg");
//! assert!(signed.headers.iter().any(|(k, v)| k == "authorization" && v.starts_with("OSS4-HMAC-SHA256 ")));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// Without the `client` feature the crate is the signing core only, and `no_std` (alloc only) so
// that the signing-only wasm links no `std` panic machinery and no `core::fmt`.
#![cfg_attr(not(feature = "client"), no_std)]

extern crate alloc;

mod prelude;
#[cfg(all(target_arch = "wasm32", not(feature = "client")))]
mod runtime;

#[cfg(feature = "client")]
pub mod crc64;
pub mod credentials;
pub mod encode;
pub mod endpoint;
pub mod error;
pub mod json;
pub mod names;
pub mod signer;
mod text;
pub mod time;
pub mod upload;

#[cfg(target_arch = "wasm32")]
pub mod web;

pub use error::{Error, Invalid, Result, ServiceError};
