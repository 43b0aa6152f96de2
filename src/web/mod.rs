//! Browser bindings (wasm32 only): JS input parsing, JS errors, the clock and the exports.
//!
//! Public so that `tests/web.rs` can call the exports exactly as JS does.

mod api;
mod clock;
mod input;
mod js_error;

pub use api::{build_post_policy, presign_url, sign_post_policy, sign_request};
