//! Browser bindings (wasm32 only): JS input parsing, JS errors, the clock and the exports.
//!
//! Public so that `tests/web.rs` can call the exports exactly as JS does.

mod api;
#[cfg(feature = "client")]
mod bindings;
#[cfg(feature = "client")]
mod body;
#[cfg(feature = "client")]
mod checkpoint;
#[cfg(feature = "client")]
mod client;
mod fast;
// The signing-only build uses part of it (signPostPolicy, buildPostPolicy).
#[cfg_attr(not(feature = "client"), allow(dead_code))]
mod input;
mod js;
mod js_error;
#[cfg(feature = "client")]
mod locks;
#[cfg(feature = "client")]
mod multipart;
mod signer;
#[cfg(feature = "client")]
mod source;
#[cfg(feature = "client")]
mod transport;

pub use api::{build_post_policy, presign_url, sign_post_policy, sign_request};
#[cfg(feature = "client")]
pub use client::{post_with_server_signature, upload_to_signed_url, OssClient};
#[cfg(feature = "client")]
pub use multipart::crc64_js;
pub use signer::Signer;
