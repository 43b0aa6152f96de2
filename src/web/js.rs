//! The few JS built-ins the signing exports use. With the `client` feature they are `js-sys`'s;
//! the signing-only build declares them itself, because linking `js-sys` at all brings ~6 KB of
//! closure and task plumbing into the wasm's function table that nothing can remove.
#![allow(missing_docs, unreachable_pub, non_snake_case)]

#[cfg(feature = "client")]
pub(crate) use js_sys::{Array, Error, Number, Object, Reflect};

#[cfg(not(feature = "client"))]
pub(crate) use own::{Array, Number, Object, Reflect};

#[cfg(not(feature = "client"))]
mod own {
    use crate::prelude::*;
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        #[derive(Debug, Clone)]
        pub type Array;
        #[wasm_bindgen(static_method_of = Array, js_name = isArray)]
        pub fn is_array(value: &JsValue) -> bool;
        #[wasm_bindgen(static_method_of = Array)]
        pub fn from(value: &JsValue) -> Array;
        #[wasm_bindgen(method, getter)]
        pub fn length(this: &Array) -> u32;
        #[wasm_bindgen(method, indexing_getter)]
        pub fn get(this: &Array, index: u32) -> JsValue;

        #[derive(Debug, Clone)]
        pub type Object;
        #[wasm_bindgen(constructor)]
        pub fn new() -> Object;
        #[wasm_bindgen(static_method_of = Object)]
        pub fn entries(object: &Object) -> Array;

        /// `String(n)`: JS's own number formatting.
        #[wasm_bindgen(js_name = String)]
        fn number_string(n: f64) -> String;
    }

    impl Array {
        /// The elements, in order.
        pub fn iter(&self) -> impl Iterator<Item = JsValue> + '_ {
            (0..self.length()).map(move |i| self.get(i))
        }
    }

    /// A JS number (only formatted here).
    #[derive(Debug, Clone, Copy)]
    pub struct Number(f64);

    impl From<f64> for Number {
        fn from(n: f64) -> Self {
            Self(n)
        }
    }

    /// A number's text, as `js_sys::JsString` would give it.
    #[derive(Debug)]
    pub struct NumberText(String);

    impl From<NumberText> for String {
        fn from(t: NumberText) -> Self {
            t.0
        }
    }

    impl Number {
        /// `String(n)` (the radix is always 10 here); the signature of `js_sys::Number`'s.
        #[allow(clippy::wrong_self_convention, clippy::unnecessary_wraps)]
        pub fn to_string_with_radix(&self, _radix: u8) -> Result<NumberText, JsValue> {
            Ok(NumberText(number_string(self.0)))
        }
    }

    pub mod Reflect {
        use wasm_bindgen::prelude::*;

        #[wasm_bindgen]
        extern "C" {
            #[wasm_bindgen(js_namespace = Reflect, catch)]
            pub fn get(target: &JsValue, key: &JsValue) -> Result<JsValue, JsValue>;
            #[wasm_bindgen(js_namespace = Reflect, catch)]
            pub fn set(target: &JsValue, key: &JsValue, value: &JsValue) -> Result<bool, JsValue>;
        }
    }
}
