//! Browser bindings (wasm32 only).
