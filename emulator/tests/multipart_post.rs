//! Multipart upload, PostObject, app-server stand-ins, faults and persistence.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::*;
use oss_emulator::client_sign;
use oss_emulator::crc64::crc64;
use serde_json::json;

fn part_data(n: usize, fill: u8) -> Vec<u8> {
    (0..n).map(|i| fill.wrapping_add((i % 251) as u8)).collect()
}

async fn initiate(r: &oss_emulator::Running, c: &client_sign::Creds, key: &str) -> String {
    let resp = signed(
        r,
        c,
        "POST",
        Some(key),
        &[("uploads", "")],
        &[("Content-Type", "video/mp4")],
        b"",
    )
    .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    resp.xml("UploadId").unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multipart_happy_path_and_listing() {
    let r = start().await;
    let c = sts(&r, "").await;
    let id = initiate(&r, &c, "big/file.bin").await;
    let p1 = part_data(100 * 1024, 1);
    let p2 = part_data(5000, 7);
    let u1 = signed(
        &r,
        &c,
        "PUT",
        Some("big/file.bin"),
        &[("partNumber", "1"), ("uploadId", &id)],
        &[],
        &p1,
    )
    .await;
    assert_eq!(u1.status, 200, "{}", u1.text());
    assert_eq!(
        u1.header("x-oss-hash-crc64ecma").unwrap(),
        crc64(&p1).to_string()
    );
    let u2 = signed(
        &r,
        &c,
        "PUT",
        Some("big/file.bin"),
        &[("partNumber", "2"), ("uploadId", &id)],
        &[],
        &p2,
    )
    .await;
    let e1 = u1.header("etag").unwrap().to_string();
    let e2 = u2.header("etag").unwrap().to_string();

    let lp = signed(
        &r,
        &c,
        "GET",
        Some("big/file.bin"),
        &[("uploadId", &id)],
        &[],
        b"",
    )
    .await;
    assert_eq!(lp.status, 200);
    assert!(lp.text().contains("<PartNumber>2</PartNumber>"));
    let lu = signed(&r, &c, "GET", None, &[("uploads", "")], &[], b"").await;
    assert_eq!(lu.status, 200, "{}", lu.text());
    assert!(lu.text().contains(&format!("<UploadId>{id}</UploadId>")));

    let xml = format!("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{e1}</ETag></Part><Part><PartNumber>2</PartNumber><ETag>{e2}</ETag></Part></CompleteMultipartUpload>");
    let done = signed(
        &r,
        &c,
        "POST",
        Some("big/file.bin"),
        &[("uploadId", &id)],
        &[],
        xml.as_bytes(),
    )
    .await;
    assert_eq!(done.status, 200, "{}", done.text());
    let etag = done.xml("ETag").unwrap();
    assert!(
        etag.ends_with("-2\"") || etag.ends_with("-2&quot;"),
        "{etag}"
    );
    let mut all = p1.clone();
    all.extend_from_slice(&p2);
    assert_eq!(
        done.header("x-oss-hash-crc64ecma").unwrap(),
        crc64(&all).to_string()
    );
    let get = signed(&r, &c, "GET", Some("big/file.bin"), &[], &[], b"").await;
    assert_eq!(get.body, all);
    assert_eq!(get.header("content-type"), Some("video/mp4"));
    assert_eq!(get.header("x-oss-object-type"), Some("Multipart"));
    // the upload is gone
    signed(
        &r,
        &c,
        "GET",
        Some("big/file.bin"),
        &[("uploadId", &id)],
        &[],
        b"",
    )
    .await
    .assert_error(404, "NoSuchUpload", "0042-00000002");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multipart_errors() {
    let r = start().await;
    let c = dev_creds();
    let key = Some("mp/e.bin");
    let id = initiate(&r, &c, "mp/e.bin").await;
    for bad in ["0", "10001", "x"] {
        let resp = signed(
            &r,
            &c,
            "PUT",
            key,
            &[("partNumber", bad), ("uploadId", &id)],
            &[],
            b"x",
        )
        .await;
        resp.assert_error(400, "InvalidArgument", "0017-00000220");
        assert_eq!(resp.xml("ArgumentName").as_deref(), Some("PartNumber"));
    }
    signed(
        &r,
        &c,
        "PUT",
        key,
        &[("partNumber", "1"), ("uploadId", "DEADBEEF")],
        &[],
        b"x",
    )
    .await
    .assert_error(404, "NoSuchUpload", "0042-00000104");
    signed(
        &r,
        &c,
        "POST",
        key,
        &[("uploadId", "DEADBEEF")],
        &[],
        b"<CompleteMultipartUpload/>",
    )
    .await
    .assert_error(404, "NoSuchUpload", "0042-00000002");
    let s1 = signed(
        &r,
        &c,
        "PUT",
        key,
        &[("partNumber", "1"), ("uploadId", &id)],
        &[],
        b"small-1",
    )
    .await;
    let s2 = signed(
        &r,
        &c,
        "PUT",
        key,
        &[("partNumber", "2"), ("uploadId", &id)],
        &[],
        b"small-2",
    )
    .await;
    let (e1, e2) = (
        s1.header("etag").unwrap().to_string(),
        s2.header("etag").unwrap().to_string(),
    );
    let body = |parts: &[(u32, &str)]| {
        let mut x = String::from("<CompleteMultipartUpload>");
        for (n, e) in parts {
            x.push_str(&format!(
                "<Part><PartNumber>{n}</PartNumber><ETag>{e}</ETag></Part>"
            ));
        }
        x.push_str("</CompleteMultipartUpload>");
        x
    };
    let complete = |x: String| {
        let r = &r;
        let c = &c;
        let id = id.clone();
        async move { signed(r, c, "POST", key, &[("uploadId", &id)], &[], x.as_bytes()).await }
    };
    complete(body(&[(2, &e2), (1, &e1)]))
        .await
        .assert_error(400, "InvalidPartOrder", "");
    complete(body(&[(1, &e2), (2, &e2)]))
        .await
        .assert_error(400, "InvalidPart", "");
    complete(body(&[(1, &e1), (3, &e2)]))
        .await
        .assert_error(400, "InvalidPart", "");
    complete(body(&[(1, &e1), (2, &e2)])).await.assert_error(
        400,
        "EntityTooSmall",
        "0042-00000213",
    );
    complete("<nope".into())
        .await
        .assert_error(400, "MalformedXML", "0015-00000231");
    // complete-all with a body is refused
    let resp = signed(
        &r,
        &c,
        "POST",
        key,
        &[("uploadId", &id)],
        &[("x-oss-complete-all", "yes")],
        body(&[(1, &e1)]).as_bytes(),
    )
    .await;
    resp.assert_error(400, "InvalidArgument", "0042-00000216");
    // a single small part is fine (the last part may be small), via complete-all
    let id2 = initiate(&r, &c, "mp/one.bin").await;
    signed(
        &r,
        &c,
        "PUT",
        Some("mp/one.bin"),
        &[("partNumber", "1"), ("uploadId", &id2)],
        &[],
        b"only",
    )
    .await;
    let done = signed(
        &r,
        &c,
        "POST",
        Some("mp/one.bin"),
        &[("uploadId", &id2)],
        &[("x-oss-complete-all", "yes")],
        b"",
    )
    .await;
    assert_eq!(done.status, 200, "{}", done.text());
    // abort
    assert_eq!(
        signed(&r, &c, "DELETE", key, &[("uploadId", &id)], &[], b"")
            .await
            .status,
        204
    );
    signed(&r, &c, "DELETE", key, &[("uploadId", &id)], &[], b"")
        .await
        .assert_error(404, "NoSuchUpload", "0042-00000002");
    // forbid overwrite at initiate
    signed(
        &r,
        &c,
        "POST",
        Some("mp/one.bin"),
        &[("uploads", "")],
        &[("x-oss-forbid-overwrite", "true")],
        b"",
    )
    .await
    .assert_error(409, "FileAlreadyExists", "0026-00000002");
}

fn v4_form(
    c: &client_sign::Creds,
    now: i64,
    extra: Vec<serde_json::Value>,
    fields: &[(&str, &str)],
) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect();
    f.extend(client_sign::post_v4_fields(
        c, REGION, "demo", extra, 600, now,
    ));
    f
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_object_v4_and_policy_conditions() {
    let r = start().await;
    let c = sts(&r, "").await;
    let t = now_s(&r);
    let port = r.addr.port();
    let host = format!("demo.localhost:{port}");
    let post = |fields: Vec<(String, String)>, file: &'static [u8]| {
        let host = host.clone();
        let addr = r.addr;
        async move {
            let (ct, body) = form(&fields, Some(("a.txt", "text/plain", file)));
            send(
                addr,
                "POST",
                &host,
                "/",
                &h(&[("Content-Type", &ct)]),
                &body,
            )
            .await
        }
    };
    // default 204
    let f = v4_form(
        &c,
        t,
        vec![json!(["starts-with", "$key", "up/"])],
        &[("key", "up/${filename}")],
    );
    let resp = post(f, b"post body").await;
    assert_eq!(resp.status, 204, "{}", resp.text());
    assert!(resp.header("etag").is_some());
    assert_eq!(
        resp.header("x-oss-hash-crc64ecma").unwrap(),
        crc64(b"post body").to_string()
    );
    let get = signed(&r, &c, "GET", Some("up/a.txt"), &[], &[], b"").await;
    assert_eq!(get.body, b"post body");
    assert_eq!(get.header("content-type"), Some("text/plain"));
    // The form's text fields are kept for leak scans (never the file).
    let forms = admin(&r, "GET", "post-forms", "").await;
    assert_eq!(forms.status, 200);
    let forms: serde_json::Value = serde_json::from_slice(&forms.body).unwrap();
    let last = forms["forms"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["bucket"], "demo");
    let fields = last["fields"].as_array().unwrap();
    let field = |n: &str| {
        fields
            .iter()
            .find(|f| f[0] == n)
            .map(|f| f[1].as_str().unwrap().to_owned())
    };
    assert_eq!(field("key").as_deref(), Some("up/${filename}"));
    assert_eq!(field("x-oss-security-token"), c.security_token.clone());
    assert!(field("file").is_none());
    assert!(!String::from_utf8_lossy(&serde_json::to_vec(&forms).unwrap()).contains("post body"));
    // 200 and 201
    let f = v4_form(
        &c,
        t,
        vec![json!(["eq", "$success_action_status", "200"])],
        &[("key", "up/200"), ("success_action_status", "200")],
    );
    assert_eq!(post(f, b"x").await.status, 200);
    let f = v4_form(
        &c,
        t,
        vec![],
        &[
            ("key", "up/201"),
            ("success_action_status", "201"),
            ("Content-Type", "image/png"),
            ("x-oss-content-type", "image/gif"),
        ],
    );
    let resp = post(f, b"x").await;
    assert_eq!(resp.status, 201);
    assert_eq!(resp.xml("Key").as_deref(), Some("up/201"));
    assert_eq!(resp.xml("Bucket").as_deref(), Some("demo"));
    assert_eq!(
        signed(&r, &c, "HEAD", Some("up/201"), &[], &[], b"")
            .await
            .header("content-type"),
        Some("image/gif")
    );
    let f = v4_form(
        &c,
        t,
        vec![],
        &[("key", "up/ct"), ("Content-Type", "image/png")],
    );
    assert_eq!(post(f, b"x").await.status, 204);
    assert_eq!(
        signed(&r, &c, "HEAD", Some("up/ct"), &[], &[], b"")
            .await
            .header("content-type"),
        Some("image/png")
    );

    // condition failures
    type Case<'a> = (Vec<serde_json::Value>, Vec<(&'a str, &'a str)>);
    let cases: Vec<Case> = vec![
        (
            vec![json!(["starts-with", "$key", "other/"])],
            vec![("key", "up/x")],
        ),
        (
            vec![json!(["eq", "$success_action_status", "201"])],
            vec![("key", "up/x"), ("success_action_status", "200")],
        ),
        (
            vec![json!(["in", "$content-type", ["image/png"]])],
            vec![("key", "up/x"), ("Content-Type", "text/plain")],
        ),
        (
            vec![json!(["not-in", "$cache-control", ["no-cache"]])],
            vec![("key", "up/x"), ("Cache-Control", "no-cache")],
        ),
        (vec![json!({"bucket": "elsewhere"})], vec![("key", "up/x")]),
    ];
    for (conds, fields) in cases {
        let f = v4_form(&c, t, conds, &fields);
        post(f, b"x")
            .await
            .assert_error(403, "AccessDenied", "0006-00000227");
    }
    let f = v4_form(
        &c,
        t,
        vec![json!(["content-length-range", 1, 3])],
        &[("key", "up/x")],
    );
    post(f, b"too long")
        .await
        .assert_error(400, "EntityTooLarge", "");
    let f = v4_form(
        &c,
        t,
        vec![json!(["content-length-range", 5, 10])],
        &[("key", "up/x")],
    );
    post(f, b"x").await.assert_error(400, "EntityTooSmall", "");
    // expired policy
    let f: Vec<(String, String)> = {
        let mut f = vec![("key".to_string(), "up/x".to_string())];
        let creds = c.clone();
        let mut fields = client_sign::post_v4_fields(&creds, REGION, "demo", vec![], -10, t);
        f.append(&mut fields);
        f
    };
    let resp = post(f, b"x").await;
    assert_eq!(resp.status, 403);
    assert!(resp.xml("Message").unwrap().contains("Policy expired"));
    // tampered signature
    let mut f = v4_form(&c, t, vec![], &[("key", "up/x")]);
    for (k, v) in &mut f {
        if k == "x-oss-signature" {
            *v = "0".repeat(64);
        }
    }
    post(f, b"x")
        .await
        .assert_error(403, "SignatureDoesNotMatch", "0002-00000201");
    // wrong token
    let mut f = v4_form(&c, t, vec![], &[("key", "up/x")]);
    for (k, v) in &mut f {
        if k == "x-oss-security-token" {
            *v = "CAISnope".into();
        }
    }
    post(f, b"x")
        .await
        .assert_error(403, "InvalidSecurityToken", "");
    // no file
    let f = v4_form(&c, t, vec![], &[("key", "up/x")]);
    let (ct, body) = form(&f, None);
    let resp = send(
        r.addr,
        "POST",
        &host,
        "/",
        &h(&[("Content-Type", &ct)]),
        &body,
    )
    .await;
    assert_eq!(resp.status, 400);
    // forbid overwrite
    let f = v4_form(
        &c,
        t,
        vec![],
        &[("key", "up/a.txt"), ("x-oss-forbid-overwrite", "true")],
    );
    post(f, b"x")
        .await
        .assert_error(409, "FileAlreadyExists", "0026-00000002");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_object_v1() {
    let r = start().await;
    let d = dev_creds();
    let t = now_s(&r);
    let (policy, sig) = client_sign::post_v1_policy(
        &d,
        "demo",
        vec![json!(["starts-with", "$key", "v1/"])],
        t + 600,
    );
    let fields = vec![
        ("key".to_string(), "v1/x.txt".to_string()),
        ("OSSAccessKeyId".to_string(), d.access_key_id.clone()),
        ("policy".to_string(), policy.clone()),
        ("Signature".to_string(), sig.clone()),
    ];
    let (ct, body) = form(&fields, Some(("x.txt", "text/plain", b"v1 post")));
    let resp = send(
        r.addr,
        "POST",
        "127.0.0.1",
        "/demo",
        &h(&[("Content-Type", &ct)]),
        &body,
    )
    .await;
    assert_eq!(resp.status, 204, "{}", resp.text());
    let mut bad = fields.clone();
    bad[3].1 = "AAAA".into();
    let (ct, body) = form(&bad, Some(("x.txt", "text/plain", b"v1 post")));
    send(
        r.addr,
        "POST",
        "127.0.0.1",
        "/demo",
        &h(&[("Content-Type", &ct)]),
        &body,
    )
    .await
    .assert_error(403, "SignatureDoesNotMatch", "0002-00000705");
    let missing = vec![fields[0].clone(), fields[1].clone(), fields[3].clone()];
    let (ct, body) = form(&missing, Some(("x.txt", "text/plain", b"v1 post")));
    send(
        r.addr,
        "POST",
        "127.0.0.1",
        "/demo",
        &h(&[("Content-Type", &ct)]),
        &body,
    )
    .await
    .assert_error(400, "InvalidArgument", "0002-00000702");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_server_stand_ins_sign_usable_requests() {
    let r = start().await;
    let port = r.addr.port();
    // V4 PostObject fields
    let v = send(
        r.addr,
        "GET",
        "localhost",
        "/get_post_signature_for_oss_upload",
        &h(&[("Origin", "http://x.test")]),
        b"",
    )
    .await;
    assert_eq!(v.status, 200);
    assert_eq!(
        v.header("access-control-allow-origin"),
        Some("http://x.test")
    );
    let j = v.json();
    for k in [
        "dir",
        "host",
        "policy",
        "security_token",
        "signature",
        "x_oss_credential",
        "x_oss_date",
        "x_oss_signature_version",
    ] {
        assert!(j[k].is_string(), "{k}");
    }
    assert_eq!(j["host"], format!("http://demo.localhost:{port}"));
    let dir = j["dir"].as_str().unwrap();
    let fields = vec![
        ("key".to_string(), format!("{dir}from-v4.txt")),
        (
            "policy".to_string(),
            j["policy"].as_str().unwrap().to_string(),
        ),
        (
            "x-oss-signature-version".to_string(),
            j["x_oss_signature_version"].as_str().unwrap().to_string(),
        ),
        (
            "x-oss-credential".to_string(),
            j["x_oss_credential"].as_str().unwrap().to_string(),
        ),
        (
            "x-oss-date".to_string(),
            j["x_oss_date"].as_str().unwrap().to_string(),
        ),
        (
            "x-oss-signature".to_string(),
            j["signature"].as_str().unwrap().to_string(),
        ),
        (
            "x-oss-security-token".to_string(),
            j["security_token"].as_str().unwrap().to_string(),
        ),
        ("success_action_status".to_string(), "200".to_string()),
    ];
    let (ct, body) = form(&fields, Some(("f.txt", "text/plain", b"via v4 form")));
    let resp = send(
        r.addr,
        "POST",
        &format!("demo.localhost:{port}"),
        "/",
        &h(&[("Content-Type", &ct)]),
        &body,
    )
    .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    // V1 shape
    let j = send(
        r.addr,
        "GET",
        "localhost",
        "/get_post_signature_for_oss_upload?version=v1",
        &[],
        b"",
    )
    .await
    .json();
    for k in ["ossAccessKeyId", "policy", "signature", "dir", "host"] {
        assert!(j[k].is_string(), "{k}");
    }
    assert!(j["expire"].is_i64());
    let fields = vec![
        (
            "key".to_string(),
            format!("{}from-v1.txt", j["dir"].as_str().unwrap()),
        ),
        (
            "OSSAccessKeyId".to_string(),
            j["ossAccessKeyId"].as_str().unwrap().to_string(),
        ),
        (
            "policy".to_string(),
            j["policy"].as_str().unwrap().to_string(),
        ),
        (
            "Signature".to_string(),
            j["signature"].as_str().unwrap().to_string(),
        ),
    ];
    let (ct, body) = form(&fields, Some(("f.txt", "text/plain", b"via v1 form")));
    let resp = send(
        r.addr,
        "POST",
        &format!("demo.localhost:{port}"),
        "/",
        &h(&[("Content-Type", &ct)]),
        &body,
    )
    .await;
    assert_eq!(resp.status, 204, "{}", resp.text());
    // presigned PUT URLs
    for version in ["", "&version=v1"] {
        let j = send(
            r.addr,
            "GET",
            "localhost",
            &format!(
                "/get_presigned_url_for_oss_upload?key=ps/a%20b.png&contentType=image/png{version}"
            ),
            &[],
            b"",
        )
        .await
        .json();
        let url = j["url"].as_str().unwrap();
        let rest = url
            .strip_prefix(&format!("http://demo.localhost:{port}"))
            .unwrap();
        let ok = send(
            r.addr,
            "PUT",
            &format!("demo.localhost:{port}"),
            rest,
            &h(&[("Content-Type", "image/png")]),
            b"png",
        )
        .await;
        assert_eq!(ok.status, 200, "{version}: {}", ok.text());
        let bad = send(
            r.addr,
            "PUT",
            &format!("demo.localhost:{port}"),
            rest,
            &h(&[("Content-Type", "image/jpeg")]),
            b"png",
        )
        .await;
        assert_eq!(bad.status, 403);
        assert_eq!(bad.code(), "SignatureDoesNotMatch");
    }
    // these mints do not count as /sts calls
    assert_eq!(admin(&r, "GET", "sts/count", "").await.json()["count"], 0);
    let objs = admin(&r, "GET", "objects", "").await.json();
    assert_eq!(objs["objects"].as_array().unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_injection() {
    let r = start().await;
    let c = dev_creds();
    let f = admin(
        &r,
        "POST",
        "faults",
        r#"{"method":"PUT","path":"/flaky","times":2,"status":503,"code":"ServiceUnavailable"}"#,
    )
    .await;
    assert_eq!(f.status, 200, "{}", f.text());
    signed(&r, &c, "PUT", Some("flaky"), &[], &[], b"x")
        .await
        .assert_error(503, "ServiceUnavailable", "");
    signed(&r, &c, "PUT", Some("flaky"), &[], &[], b"x")
        .await
        .assert_error(503, "ServiceUnavailable", "");
    assert_eq!(
        signed(&r, &c, "PUT", Some("flaky"), &[], &[], b"x")
            .await
            .status,
        200
    );
    // by part number
    let id = initiate(&r, &c, "fp").await;
    admin(
        &r,
        "POST",
        "faults",
        r#"{"partNumber":2,"status":500,"code":"InternalError"}"#,
    )
    .await;
    assert_eq!(
        signed(
            &r,
            &c,
            "PUT",
            Some("fp"),
            &[("partNumber", "1"), ("uploadId", &id)],
            &[],
            b"x"
        )
        .await
        .status,
        200
    );
    signed(
        &r,
        &c,
        "PUT",
        Some("fp"),
        &[("partNumber", "2"), ("uploadId", &id)],
        &[],
        b"x",
    )
    .await
    .assert_error(500, "InternalError", "");
    // drop the connection mid-body
    admin(
        &r,
        "POST",
        "faults",
        r#"{"method":"PUT","path":"/dropme","dropAfterBytes":1000}"#,
    )
    .await;
    let t = now_s(&r);
    let mut headers = vec![];
    client_sign::sign_v4_headers(
        &c,
        REGION,
        "PUT",
        Some("demo"),
        Some("dropme"),
        &[],
        &mut headers,
        &[],
        t,
    );
    let body = vec![7u8; 200_000];
    let resp = try_send(r.addr, "PUT", "127.0.0.1", "/demo/dropme", &headers, &body).await;
    assert!(
        resp.is_none(),
        "expected a dropped connection, got {resp:?}"
    );
    signed(&r, &c, "GET", Some("dropme"), &[], &[], b"")
        .await
        .assert_error(404, "NoSuchKey", "0026-00000001");
    // delay
    admin(&r, "POST", "faults", r#"{"path":"/slow","delayMs":300}"#).await;
    let start = std::time::Instant::now();
    assert_eq!(
        signed(&r, &c, "PUT", Some("slow"), &[], &[], b"x")
            .await
            .status,
        200
    );
    assert!(start.elapsed() >= std::time::Duration::from_millis(300));
    // faults on /sts and reset
    admin(
        &r,
        "POST",
        "faults",
        r#"{"path":"/sts","status":500,"code":"InternalError","times":5}"#,
    )
    .await;
    assert_eq!(
        send(r.addr, "GET", "localhost", "/sts", &[], b"")
            .await
            .status,
        500
    );
    assert_eq!(
        admin(&r, "GET", "faults", "").await.json()["faults"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    admin(&r, "POST", "reset", "").await;
    assert_eq!(
        send(r.addr, "GET", "localhost", "/sts", &[], b"")
            .await
            .status,
        200
    );
    let ups = admin(&r, "GET", "uploads", "").await.json();
    assert_eq!(ups["uploads"][0]["uploadId"], id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_dir_survives_restart_including_uploads() {
    let dir = std::env::temp_dir().join(format!("emu-persist-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let cfg = oss_emulator::state::Config {
        data_dir: Some(dir.clone()),
        ..Default::default()
    };
    let c = dev_creds();
    let p1 = part_data(100 * 1024, 3);
    let (id, e1) = {
        let r = start_with(cfg.clone()).await;
        assert_eq!(
            signed(
                &r,
                &c,
                "PUT",
                Some("keep.txt"),
                &[],
                &[("x-oss-meta-k", "v")],
                b"kept"
            )
            .await
            .status,
            200
        );
        let id = initiate(&r, &c, "resume.bin").await;
        let u = signed(
            &r,
            &c,
            "PUT",
            Some("resume.bin"),
            &[("partNumber", "1"), ("uploadId", &id)],
            &[],
            &p1,
        )
        .await;
        r.task.abort();
        (id, u.header("etag").unwrap().to_string())
    };
    let r = start_with(cfg).await;
    let get = signed(&r, &c, "GET", Some("keep.txt"), &[], &[], b"").await;
    assert_eq!(get.body, b"kept");
    assert_eq!(get.header("x-oss-meta-k"), Some("v"));
    let lp = signed(
        &r,
        &c,
        "GET",
        Some("resume.bin"),
        &[("uploadId", &id)],
        &[],
        b"",
    )
    .await;
    assert!(lp.text().contains(&e1));
    signed(
        &r,
        &c,
        "PUT",
        Some("resume.bin"),
        &[("partNumber", "2"), ("uploadId", &id)],
        &[],
        b"tail",
    )
    .await;
    let done = signed(
        &r,
        &c,
        "POST",
        Some("resume.bin"),
        &[("uploadId", &id)],
        &[("x-oss-complete-all", "yes")],
        b"",
    )
    .await;
    assert_eq!(done.status, 200, "{}", done.text());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fast_etag_mode_and_config() {
    let r = start_with(oss_emulator::state::Config {
        fast_etag: true,
        ..Default::default()
    })
    .await;
    let c = dev_creds();
    let put = signed(&r, &c, "PUT", Some("f"), &[], &[], b"fast").await;
    assert_eq!(put.status, 200);
    let etag = put.header("etag").unwrap();
    assert_eq!(etag.len(), 34);
    assert!(etag.starts_with(&format!("\"{:016X}", crc64(b"fast"))));
    assert!(put.header("content-md5").is_none());
    // Content-MD5 is still checked
    signed(
        &r,
        &c,
        "PUT",
        Some("f"),
        &[],
        &[("Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg==")],
        b"x",
    )
    .await
    .assert_error(400, "InvalidDigest", "0017-00000503");
    let cfg = admin(&r, "GET", "config", "").await.json();
    assert_eq!(cfg["mode"], "emulator");
    assert_eq!(cfg["buckets"][0]["name"], "demo");
}

/// A V4 form whose policy has exactly `conditions` (nothing added), signed for `now`.
fn v4_form_raw(
    c: &client_sign::Creds,
    now: i64,
    conditions: &dyn Fn(&str, &str) -> Vec<serde_json::Value>,
    fields: &[(&str, &str)],
) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect();
    f.extend(client_sign::post_v4_fields_exact(
        c, REGION, conditions, 600, now,
    ));
    f
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_object_v4_policy_must_carry_the_signature_conditions() {
    let r = start().await;
    let c = dev_creds();
    let t = now_s(&r);
    let addr = r.addr;
    let post = |fields: Vec<(String, String)>| async move {
        let (ct, body) = form(&fields, Some(("a.txt", "text/plain", b"x")));
        send(
            addr,
            "POST",
            "127.0.0.1",
            "/demo",
            &h(&[("Content-Type", &ct)]),
            &body,
        )
        .await
    };
    const VERSION: &str = "OSS4-HMAC-SHA256";
    // all three as {"name": value}: accepted (no bucket condition needed)
    let f = v4_form_raw(
        &c,
        t,
        &|cred, dt| {
            vec![
                json!({"x-oss-signature-version": VERSION}),
                json!({"x-oss-credential": cred}),
                json!({"x-oss-date": dt}),
            ]
        },
        &[("key", "req/ok1")],
    );
    let resp = post(f).await;
    assert_eq!(resp.status, 204, "{}", resp.text());
    // all three as ["eq", "$name", value]: accepted
    let f = v4_form_raw(
        &c,
        t,
        &|cred, dt| {
            vec![
                json!(["eq", "$x-oss-signature-version", VERSION]),
                json!(["eq", "$x-oss-credential", cred]),
                json!(["eq", "$x-oss-date", dt]),
            ]
        },
        &[("key", "req/ok2")],
    );
    let resp = post(f).await;
    assert_eq!(resp.status, 204, "{}", resp.text());
    // no conditions at all
    let f = v4_form_raw(&c, t, &|_, _| vec![], &[("key", "req/none")]);
    let resp = post(f).await;
    resp.assert_error(403, "AccessDenied", "0006-00000227");
    assert!(
        resp.xml("Message")
            .unwrap()
            .starts_with("Invalid according to Policy: Policy Condition failed: "),
        "{}",
        resp.text()
    );
    // each one missing (a starts-with does not count as the required condition)
    for missing in 0..3 {
        let f = v4_form_raw(
            &c,
            t,
            &|cred, dt| {
                let all = [
                    ("x-oss-signature-version", VERSION.to_string()),
                    ("x-oss-credential", cred.to_string()),
                    ("x-oss-date", dt.to_string()),
                ];
                let mut out = vec![json!({"bucket": "demo"})];
                for (i, (n, v)) in all.iter().enumerate() {
                    if i == missing {
                        out.push(json!(["starts-with", format!("${n}"), ""]));
                    } else {
                        out.push(json!({ *n: v }));
                    }
                }
                out
            },
            &[("key", "req/missing")],
        );
        let resp = post(f).await;
        resp.assert_error(403, "AccessDenied", "0006-00000227");
        let name = ["x-oss-signature-version", "x-oss-credential", "x-oss-date"][missing];
        assert!(
            resp.xml("Message")
                .unwrap()
                .contains(&format!("\"${name}\"")),
            "{}",
            resp.text()
        );
    }
    // the form's x-oss-date differs from the policy's (same day, valid, signed)
    let f = v4_form_raw(
        &c,
        t,
        &|cred, dt| {
            let mut other = dt.to_string();
            other.replace_range(13..15, if &dt[13..15] == "00" { "01" } else { "00" });
            vec![
                json!({"x-oss-signature-version": VERSION}),
                json!({"x-oss-credential": cred}),
                json!(["eq", "$x-oss-date", other]),
            ]
        },
        &[("key", "req/date")],
    );
    post(f)
        .await
        .assert_error(403, "AccessDenied", "0006-00000227");
    // nothing was stored by the refused forms
    for k in ["req/none", "req/missing", "req/date"] {
        assert_eq!(
            signed(&r, &c, "HEAD", Some(k), &[], &[], b"").await.status,
            404
        );
    }
    // V1 forms are not affected: a policy without those conditions is fine
    let (policy, sig) = client_sign::post_v1_policy(&c, "demo", vec![], t + 600);
    let fields = vec![
        ("key".to_string(), "req/v1".to_string()),
        ("OSSAccessKeyId".to_string(), c.access_key_id.clone()),
        ("policy".to_string(), policy),
        ("Signature".to_string(), sig),
    ];
    assert_eq!(post(fields).await.status, 204);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abort_multipart_upload_checks_the_key() {
    let r = start().await;
    let c = dev_creds();
    let id = initiate(&r, &c, "mp/mine.bin").await;
    signed(
        &r,
        &c,
        "PUT",
        Some("mp/mine.bin"),
        &[("partNumber", "1"), ("uploadId", &id)],
        &[],
        b"part",
    )
    .await;
    // another key with this upload id: 404, and the upload survives
    signed(
        &r,
        &c,
        "DELETE",
        Some("mp/other.bin"),
        &[("uploadId", &id)],
        &[],
        b"",
    )
    .await
    .assert_error(404, "NoSuchUpload", "0042-00000002");
    let parts = signed(
        &r,
        &c,
        "GET",
        Some("mp/mine.bin"),
        &[("uploadId", &id)],
        &[],
        b"",
    )
    .await;
    assert_eq!(parts.status, 200, "{}", parts.text());
    assert_eq!(parts.xml("PartNumber").as_deref(), Some("1"));
    // the right key aborts it
    let resp = signed(
        &r,
        &c,
        "DELETE",
        Some("mp/mine.bin"),
        &[("uploadId", &id)],
        &[],
        b"",
    )
    .await;
    assert_eq!(resp.status, 204, "{}", resp.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn result_roots_carry_the_oss_namespace_when_asked() {
    const NS: &str = r#" xmlns="http://doc.oss-cn-hangzhou.aliyuncs.com">"#;
    for ns in [false, true] {
        let r = start_with(oss_emulator::state::Config {
            xml_namespace: ns,
            ..Default::default()
        })
        .await;
        let c = dev_creds();
        let root = |name: &str| {
            if ns {
                format!("<{name}{NS}")
            } else {
                format!("<{name}>")
            }
        };
        let init = signed(&r, &c, "POST", Some("ns.bin"), &[("uploads", "")], &[], b"").await;
        assert_eq!(init.status, 200);
        assert!(
            init.text().contains(&root("InitiateMultipartUploadResult")),
            "{}",
            init.text()
        );
        let id = init.xml("UploadId").unwrap();
        signed(
            &r,
            &c,
            "PUT",
            Some("ns.bin"),
            &[("partNumber", "1"), ("uploadId", &id)],
            &[],
            b"x",
        )
        .await;
        let list = signed(
            &r,
            &c,
            "GET",
            Some("ns.bin"),
            &[("uploadId", &id)],
            &[],
            b"",
        )
        .await;
        assert!(
            list.text().contains(&root("ListPartsResult")),
            "{}",
            list.text()
        );
        let done = signed(
            &r,
            &c,
            "POST",
            Some("ns.bin"),
            &[("uploadId", &id)],
            &[("x-oss-complete-all", "yes")],
            b"",
        )
        .await;
        assert_eq!(done.status, 200, "{}", done.text());
        assert!(
            done.text().contains(&root("CompleteMultipartUploadResult")),
            "{}",
            done.text()
        );
        // never on Error documents
        let err = signed(&r, &c, "GET", Some("missing"), &[], &[], b"").await;
        assert_eq!(err.status, 404);
        assert!(err.text().contains("<Error>"), "{}", err.text());
        assert!(!err.text().contains("xmlns"));
    }
}
