//! wasm-bindgen tests of the multipart JS boundary in headless Chromium, without a network: the
//! `crc64` export against the OSS SDK check values, continuation and every input type, and
//! `multipartUpload` rejecting bad options with `OssError` naming the field.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used, missing_docs)]

use js_sys::futures::JsFuture;
use js_sys::{Array, Object, Reflect, Uint8Array, JSON};
use oss_direct_upload::web::{crc64_js, OssClient};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn get(v: &JsValue, k: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(k)).unwrap()
}

/// The wasm instance's memory, in bytes (it grows, never shrinks).
fn memory_bytes() -> u32 {
    wasm_bindgen::memory()
        .unchecked_into::<js_sys::WebAssembly::Memory>()
        .buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length()
}

#[wasm_bindgen_test]
fn crc64_matches_the_oss_sdk_check_values_for_every_input_type() {
    let s = |v: &JsValue, prev: Option<&str>| crc64_js(v, prev.map(JsValue::from_str)).unwrap();
    assert_eq!(
        s(&JsValue::from_str("123456789"), None),
        "11051210869376104954"
    );
    let bytes = Uint8Array::from(&b"123456789"[..]);
    assert_eq!(s(&bytes, None), "11051210869376104954");
    assert_eq!(s(&bytes.buffer(), None), "11051210869376104954");
    let first = s(&JsValue::from_str("12345"), None);
    assert_eq!(first, "6748440630437108969");
    assert_eq!(
        s(&JsValue::from_str("67890"), Some(&first)),
        "12811388247244714686"
    );
    assert_eq!(s(&JsValue::from_str(""), None), "0");
    // A string is its UTF-8 (encoded in JS, read in chunks), emoji and a multi-MB one included.
    let text = "héllo wörld 😀 ".repeat(200_000);
    assert_eq!(
        s(&JsValue::from_str(&text), None),
        s(&Uint8Array::from(text.as_bytes()), None)
    );
    // Regression: a string was copied whole into wasm memory, which never shrinks.
    let big = js_sys::JsString::from("x").repeat(48 << 20);
    let before = memory_bytes();
    assert_eq!(
        s(&big, None),
        s(&js_sys::JsString::from("x").repeat(48 << 20), None)
    );
    assert!(
        memory_bytes() - before < 16 << 20,
        "{} MB more",
        (memory_bytes() - before) >> 20
    );
    let big = Uint8Array::new_with_length(3 << 20);
    big.fill(7, 0, 3 << 20);
    let whole = s(&big, None);
    let half = s(&big.subarray(0, 1_500_000), None);
    assert_eq!(s(&big.subarray(1_500_000, 3 << 20), Some(&half)), whole);
    let e: JsValue = crc64_js(&JsValue::from(5), None).unwrap_err().into();
    assert_eq!(
        get(&e, "code").as_string().as_deref(),
        Some("InvalidArgument")
    );
    assert_eq!(get(&e, "field").as_string().as_deref(), Some("data"));
    let e: JsValue = crc64_js(&JsValue::from_str("x"), Some("nope".into()))
        .unwrap_err()
        .into();
    assert_eq!(get(&e, "field").as_string().as_deref(), Some("previous"));
}

#[wasm_bindgen_test]
async fn multipart_upload_rejects_bad_options_naming_the_field() {
    let opts = JSON::parse(
        r#"{"region":"cn-hangzhou","bucket":"demo","endpoint":"http://127.0.0.1:1","credentials":"http://127.0.0.1:1/sts"}"#,
    )
    .unwrap();
    let client = OssClient::new(&opts).unwrap();
    let blob: JsValue = web_blob(&[1, 2, 3]);
    for (file, options, field) in [
        (JsValue::from_str("text"), "{}", "file"),
        (blob.clone(), r#"{"partSize": 1000}"#, "partSize"),
        (blob.clone(), r#"{"concurrency": 33}"#, "concurrency"),
        (blob.clone(), r#"{"checkpoint": "somewhere"}"#, "checkpoint"),
        (blob.clone(), r#"{"onProgress": 1}"#, "onProgress"),
    ] {
        let p = client.multipart_upload("k.bin".into(), file, Some(JSON::parse(options).unwrap()));
        let e = JsFuture::from(p).await.unwrap_err();
        assert_eq!(get(&e, "name").as_string().as_deref(), Some("OssError"));
        assert_eq!(
            get(&e, "code").as_string().as_deref(),
            Some("InvalidArgument")
        );
        assert_eq!(get(&e, "field").as_string().as_deref(), Some(field));
    }
    assert!(!client.pause(&"no-such-upload".into()).unwrap());
    // A wrong type is an OssError naming the argument, not a TypeError from the glue.
    let e = client.pause(&JsValue::from_f64(42.0)).unwrap_err();
    assert_eq!(e.field(), Some("uploadId"));
}

fn web_blob(bytes: &[u8]) -> JsValue {
    let ctor = get(&js_sys::global(), "Blob");
    let parts = Array::of1(&Uint8Array::from(bytes));
    Reflect::construct(
        ctor.unchecked_ref::<js_sys::Function>(),
        &Array::of1(&parts),
    )
    .unwrap_or_else(|_| Object::new().into())
}
