//! Browser bindings (wasm32 only): JS input parsing, JS errors, the clock and the exports.
//!
//! Public so that `tests/web.rs` can call the exports exactly as JS does.

mod api;
mod bindings;
mod body;
mod checkpoint;
mod client;
mod clock;
mod input;
mod js_error;
mod multipart;
mod packed;
mod source;
mod transport;

pub use api::{build_post_policy, presign_url, sign_post_policy, sign_request};
pub use client::{post_with_server_signature, upload_to_signed_url, OssClient};
pub use multipart::crc64_js;
