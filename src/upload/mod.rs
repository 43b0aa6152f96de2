//! Uploads: OSS XML parsing, retry policy, Content-Type resolution, clock skew, CRC64,
//! diagnosis, server-signed uploads, the pure pieces of multipart uploads ([`multipart`]), and
//! the orchestration of single-request and multipart uploads through a [`Transport`].

pub mod client;
pub mod content_type;
pub mod diagnose;
pub mod limit;
pub mod multipart;
pub mod retry;
pub mod signed;
pub mod skew;
pub mod transport;
pub mod xml;

#[cfg(test)]
pub(crate) mod testing;

pub use client::{Client, ClientConfig, PutObjectInput, UploadOutput};
pub use retry::RetryPolicy;
pub use transport::{HttpRequest, HttpResponse, Transport};
