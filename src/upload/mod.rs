//! Uploads: OSS XML parsing, retry policy, Content-Type resolution, clock skew, CRC64,
//! diagnosis, server-signed uploads, the pure pieces of multipart uploads ([`multipart`]), and
//! the orchestration of single-request and multipart uploads through a [`Transport`].

// The signing-only build (no `client` feature) keeps the two checks its exports share with the
// client: Content-Type values and plain-http URLs (`signed`, with the clock reading its expiry
// checks take from `skew`; unused there, so not linked).
#[cfg(feature = "client")]
pub mod client;
pub mod content_type;
#[cfg(feature = "client")]
pub mod diagnose;
#[cfg(feature = "client")]
pub mod limit;
#[cfg(feature = "client")]
pub mod multipart;
#[cfg(feature = "client")]
pub mod retry;
pub mod signed;
pub mod skew;
#[cfg(feature = "client")]
pub mod transport;
#[cfg(feature = "client")]
pub mod xml;

#[cfg(test)]
pub(crate) mod testing;

#[cfg(feature = "client")]
pub use client::{Client, ClientConfig, PutObjectInput, UploadOutput};
#[cfg(feature = "client")]
pub use retry::RetryPolicy;
#[cfg(feature = "client")]
pub use transport::{HttpRequest, HttpResponse, Transport};
