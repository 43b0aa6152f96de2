//! Browser bindings (wasm32 only): JS input parsing, JS errors, the clock and the exports.

mod api;
mod clock;
mod input;
mod js_error;
