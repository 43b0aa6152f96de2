//! wasm-bindgen tests of `maxConcurrentUploads` in headless Chromium, against a stand-in for the
//! global `fetch` that answers every upload after a delay and counts the requests in flight:
//! no more uploads than the limit at once, every upload method shares the limit, a waiting
//! upload whose signal aborts leaves the queue without a request, and bad values are rejected.
#![cfg(target_arch = "wasm32")]
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::expect_used,
    clippy::float_cmp,
    clippy::indexing_slicing,
    missing_docs
)]

use core::future::Future;
use core::pin::Pin;
use js_sys::{Date, Function, Reflect, JSON};
use oss_direct_upload::upload::multipart::join_all;
use oss_direct_upload::web::OssClient;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn get(v: &JsValue, k: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(k)).unwrap()
}

fn num(k: &str) -> f64 {
    get(&js_sys::global(), k).as_f64().unwrap()
}

/// Replaces `fetch`: each request is answered 200 after `delay_ms`; `fakeInFlight`,
/// `fakePeak` and `fakeUrls` record what was sent.
fn fake_fetch(delay_ms: u32) {
    Function::new_no_args(&format!(
        "globalThis.fakeInFlight = 0; globalThis.fakePeak = 0; globalThis.fakeUrls = [];
         globalThis.fetch = (url, init) => {{
           fakeUrls.push(String(url));
           fakeInFlight++; fakePeak = Math.max(fakePeak, fakeInFlight);
           return new Promise((r) => setTimeout(r, {delay_ms})).then(() => {{
             fakeInFlight--;
             return new Response('', {{ status: 200, headers: {{ etag: '\"ETAG\"',
               'x-oss-request-id': 'RID', date: new Date().toUTCString() }} }});
           }});
         }};"
    ))
    .call0(&JsValue::NULL)
    .unwrap();
}

fn client(extra: &str) -> OssClient {
    let exp = String::from(Date::new(&JsValue::from_f64(Date::now() + 600_000.0)).to_iso_string());
    let o = JSON::parse(&format!(
        r#"{{"region":"cn-hangzhou","bucket":"demo","endpoint":"http://localhost:9","pathStyle":true{extra}}}"#
    ))
    .unwrap();
    let body = format!(
        r#"{{"accessKeyId":"STS.k","accessKeySecret":"s","securityToken":"t","expiration":"{exp}"}}"#
    );
    let provider = Function::new_no_args(&format!("return {body};"));
    Reflect::set(&o, &JsValue::from_str("credentials"), &provider).unwrap();
    OssClient::new(&o).unwrap()
}

/// An upload's outcome as JS sees it (`putObject` rejects with a JS error that may carry an
/// `uploadId`; the others with an `OssError` made from the crate's error).
type Upload<'a> = Pin<Box<dyn Future<Output = Result<JsValue, JsValue>> + 'a>>;

#[wasm_bindgen_test]
async fn uploads_beyond_the_limit_wait_their_turn() {
    fake_fetch(30);
    let c = client(r#","maxConcurrentUploads":3"#);
    let mut uploads: Vec<Upload<'_>> = Vec::new();
    for i in 0..12 {
        uploads.push(Box::pin(c.put_object(
            JsValue::from(format!("q/{i}.txt")),
            JsValue::from_str("x"),
            None,
        )));
    }
    // The other upload methods share the same slots.
    for i in 0..3 {
        let c = &c;
        uploads.push(Box::pin(async move {
            c.post_object(
                JsValue::from(format!("q/post{i}.txt")),
                JsValue::from_str("y"),
                None,
            )
            .await
            .map_err(JsValue::from)
        }));
        uploads.push(Box::pin(async move {
            c.upload_to_signed_url_method(
                JsValue::from(format!(
                    "http://localhost:9/demo/q/signed{i}.txt?x-oss-date=20991231T000000Z&x-oss-expires=900&x-oss-signature=ab"
                )),
                JsValue::from_str("z"),
                None,
            )
            .await
            .map_err(JsValue::from)
        }));
    }
    let out = join_all(uploads).await;
    for r in &out {
        assert!(r.is_ok(), "{r:?}");
    }
    assert_eq!(num("fakePeak"), 3.0, "never more than the limit in flight");
    assert_eq!(sent(), 18);
}

/// Requests the stand-in received.
fn sent() -> u32 {
    js_sys::Array::from(&get(&js_sys::global(), "fakeUrls")).length()
}

#[wasm_bindgen_test]
async fn default_limit_is_six() {
    fake_fetch(20);
    let c = client("");
    let uploads: Vec<Upload<'_>> = (0..20)
        .map(|i| {
            Box::pin(c.put_object(
                JsValue::from(format!("d/{i}.txt")),
                JsValue::from_str("x"),
                None,
            )) as Upload<'_>
        })
        .collect();
    assert!(join_all(uploads).await.iter().all(Result::is_ok));
    assert_eq!(num("fakePeak"), 6.0);
}

#[wasm_bindgen_test]
async fn an_aborted_waiting_upload_leaves_the_queue_without_a_request() {
    fake_fetch(150);
    let c = client(r#","maxConcurrentUploads":1"#);
    let controller = Function::new_no_args(
        "globalThis.ctl = new AbortController(); setTimeout(() => ctl.abort(), 40); return ctl.signal;",
    )
    .call0(&JsValue::NULL)
    .unwrap();
    let opts = js_sys::Object::new();
    Reflect::set(&opts, &JsValue::from_str("signal"), &controller).unwrap();
    let uploads: Vec<Upload<'_>> = vec![
        Box::pin(c.put_object("a/first.txt".into(), JsValue::from_str("1"), None)),
        Box::pin(c.put_object(
            "a/aborted.txt".into(),
            JsValue::from_str("2"),
            Some(opts.into()),
        )),
        Box::pin(c.put_object("a/third.txt".into(), JsValue::from_str("3"), None)),
    ];
    let out = join_all(uploads).await;
    assert!(out[0].is_ok() && out[2].is_ok(), "{out:?}");
    let e = out[1].as_ref().unwrap_err().clone();
    assert_eq!(
        get(&e, "code").as_string().as_deref(),
        Some("RequestAborted")
    );
    let urls: Vec<String> = js_sys::Array::from(&get(&js_sys::global(), "fakeUrls"))
        .iter()
        .map(|u| u.as_string().unwrap())
        .collect();
    assert_eq!(urls.len(), 2, "{urls:?}");
    assert!(urls.iter().all(|u| !u.contains("aborted")), "{urls:?}");
    // An upload whose signal is aborted before it is called never queues.
    let pre = Function::new_no_args("const c = new AbortController(); c.abort(); return c.signal;")
        .call0(&JsValue::NULL)
        .unwrap();
    let opts = js_sys::Object::new();
    Reflect::set(&opts, &JsValue::from_str("signal"), &pre).unwrap();
    let e = c
        .put_object(
            "a/never.txt".into(),
            JsValue::from_str("4"),
            Some(opts.into()),
        )
        .await
        .unwrap_err();
    assert_eq!(
        get(&e, "code").as_string().as_deref(),
        Some("RequestAborted")
    );
    assert_eq!(sent(), 2);
}

#[wasm_bindgen_test]
fn bad_limits_are_invalid_arguments() {
    for bad in ["0", "-1", "1025", "2.5", "\"4\"", "true", "{}"] {
        let o = JSON::parse(&format!(
            r#"{{"region":"cn-hangzhou","bucket":"demo","credentials":"/sts","maxConcurrentUploads":{bad}}}"#
        ))
        .unwrap();
        let e: JsValue = OssClient::new(&o).unwrap_err().into();
        assert_eq!(
            get(&e, "code").as_string().as_deref(),
            Some("InvalidArgument"),
            "{bad}"
        );
        assert_eq!(
            get(&e, "field").as_string().as_deref(),
            Some("maxConcurrentUploads"),
            "{bad}"
        );
    }
    for good in ["1", "1024", "null"] {
        let o = JSON::parse(&format!(
            r#"{{"region":"cn-hangzhou","bucket":"demo","credentials":"/sts","maxConcurrentUploads":{good}}}"#
        ))
        .unwrap();
        assert!(OssClient::new(&o).is_ok(), "{good}");
    }
}
