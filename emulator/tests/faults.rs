//! Fault rules over HTTP: rate + mix, pattern, dropMidBody, counters and the request journal.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::*;
use oss_emulator::client_sign;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_rules_fail_about_their_share_and_are_counted_and_journaled() {
    let r = start().await;
    let c = dev_creds();
    let f = admin(
        &r,
        "POST",
        "faults",
        r#"{"method":"PUT","path":"/rate/","rate":0.25,"seed":3,
            "mix":[{"status":503,"code":"ServiceUnavailable"},{"status":500,"code":"InternalError"},{"dropAfterBytes":0}]}"#,
    )
    .await;
    assert_eq!(f.status, 200, "{}", f.text());
    let (mut ok, mut s503, mut s500, mut dropped) = (0, 0, 0, 0);
    for i in 0..120 {
        let key = format!("rate/{i}");
        let mut headers = vec![];
        client_sign::sign_v4_headers(
            &c,
            REGION,
            "PUT",
            Some("demo"),
            Some(&key),
            &[],
            &mut headers,
            &[],
            now_s(&r),
        );
        match try_send(
            r.addr,
            "PUT",
            "127.0.0.1",
            &format!("/demo/{key}"),
            &headers,
            b"abc",
        )
        .await
        {
            None => dropped += 1,
            Some(resp) if resp.status == 200 => ok += 1,
            Some(resp) if resp.status == 503 => {
                resp.assert_error(503, "ServiceUnavailable", "0000-00000000");
                s503 += 1;
            }
            Some(resp) => {
                resp.assert_error(500, "InternalError", "0000-00000000");
                s500 += 1;
            }
        }
    }
    let failed = s503 + s500 + dropped;
    assert!(
        (15..=50).contains(&failed),
        "{failed} of 120 failed at rate 0.25"
    );
    assert!(
        s503 > 0 && s500 > 0 && dropped > 0,
        "{s503} {s500} {dropped}"
    );
    assert_eq!(ok + failed, 120);
    // the rule stays (unlimited), with its counters
    let listed = admin(&r, "GET", "faults", "").await.json();
    assert_eq!(listed["faults"][0]["matched"], 120);
    assert_eq!(listed["faults"][0]["injected"], failed);
    let stats = admin(&r, "GET", "faults/stats", "").await.json();
    assert_eq!(stats["injected"], failed);
    assert_eq!(stats["drops"], dropped);
    assert_eq!(stats["status"], s503 + s500);
    assert_eq!(listed["stats"], stats);
    // the journal has one entry per request, faults marked
    let j = admin(&r, "GET", "requests", "").await.json();
    let reqs = j["requests"].as_array().unwrap();
    assert_eq!(reqs.len(), 120);
    let marked = |kind: &str| reqs.iter().filter(|e| e["fault"] == kind).count();
    assert_eq!(marked("drop"), dropped);
    assert_eq!(marked("status"), s503 + s500);
    assert_eq!(
        reqs.iter()
            .filter(|e| e["status"] == 0 && e["code"] == "DROP")
            .count(),
        dropped
    );
    assert_eq!(
        reqs.iter()
            .filter(|e| e["status"] == 200 && e["fault"].is_null())
            .count(),
        ok
    );
    // objects exist exactly for the successful PUTs
    let objs = admin(&r, "GET", "objects", "").await.json();
    assert_eq!(objs["objects"].as_array().unwrap().len(), ok);
    // paging with since/limit
    let last = j["last"].as_u64().unwrap();
    let page = admin(
        &r,
        "GET",
        &format!("requests?since={}&limit=5", last - 10),
        "",
    )
    .await
    .json();
    assert_eq!(page["requests"].as_array().unwrap().len(), 5);
    assert_eq!(page["last"], last - 5);
    // counters survive DELETE faults, reset on DELETE faults/stats
    admin(&r, "DELETE", "faults", "").await;
    assert_eq!(
        admin(&r, "GET", "faults/stats", "").await.json()["injected"],
        failed
    );
    admin(&r, "DELETE", "faults/stats", "").await;
    assert_eq!(
        admin(&r, "GET", "faults/stats", "").await.json()["injected"],
        0
    );
    admin(&r, "DELETE", "requests", "").await;
    assert_eq!(
        admin(&r, "GET", "requests", "").await.json()["requests"],
        serde_json::json!([])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pattern_on_sts_fails_two_calls_in_three() {
    let r = start().await;
    let f = admin(
        &r,
        "POST",
        "faults",
        r#"{"path":"/sts","pattern":"FF.","status":503,"code":"ServiceUnavailable"}"#,
    )
    .await;
    assert_eq!(f.status, 200, "{}", f.text());
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(
            send(r.addr, "GET", "localhost", "/sts", &[], b"")
                .await
                .status,
        );
    }
    assert_eq!(statuses, [503, 503, 200, 503, 503, 200]);
    assert_eq!(admin(&r, "GET", "sts/count", "").await.json()["count"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_mid_body_cuts_the_body_half_way_and_stores_nothing() {
    let r = start().await;
    let c = dev_creds();
    admin(
        &r,
        "POST",
        "faults",
        r#"{"method":"PUT","path":"/half","dropMidBody":true}"#,
    )
    .await;
    let mut headers = vec![];
    client_sign::sign_v4_headers(
        &c,
        REGION,
        "PUT",
        Some("demo"),
        Some("half"),
        &[],
        &mut headers,
        &[],
        now_s(&r),
    );
    let body = vec![9u8; 300_000];
    let resp = try_send(r.addr, "PUT", "127.0.0.1", "/demo/half", &headers, &body).await;
    assert!(
        resp.is_none(),
        "expected a dropped connection, got {resp:?}"
    );
    signed(&r, &c, "GET", Some("half"), &[], &[], b"")
        .await
        .assert_error(404, "NoSuchKey", "0026-00000001");
    let stats = admin(&r, "GET", "faults/stats", "").await.json();
    assert_eq!(
        (stats["drops"].as_u64(), stats["injected"].as_u64()),
        (Some(1), Some(1))
    );
    // a bad rule is refused, saying why
    let bad = admin(&r, "POST", "faults", r#"{"status":503,"rate":2}"#).await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.text().contains("rate must be in (0, 1]"),
        "{}",
        bad.text()
    );
    let bad = admin(&r, "POST", "faults", r#"{"path":"/x"}"#).await;
    assert_eq!(bad.status, 400);
    assert!(bad.text().contains("a fault needs"), "{}", bad.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lose_answer_stores_the_object_then_closes_without_answering() {
    let r = start().await;
    let c = dev_creds();
    admin(
        &r,
        "POST",
        "faults",
        r#"{"method":"PUT","path":"/lost","loseAnswer":true}"#,
    )
    .await;
    let mut headers = vec![];
    client_sign::sign_v4_headers(
        &c,
        REGION,
        "PUT",
        Some("demo"),
        Some("lost"),
        &[],
        &mut headers,
        &[],
        now_s(&r),
    );
    let resp = try_send(
        r.addr,
        "PUT",
        "127.0.0.1",
        "/demo/lost",
        &headers,
        b"landed",
    )
    .await;
    assert!(resp.is_none(), "expected no answer, got {resp:?}");
    let got = signed(&r, &c, "GET", Some("lost"), &[], &[], b"").await;
    assert_eq!((got.status, got.text().as_str()), (200, "landed"));
    let stats = admin(&r, "GET", "faults/stats", "").await.json();
    assert_eq!(
        (stats["lost"].as_u64(), stats["injected"].as_u64()),
        (Some(1), Some(1))
    );
    let j = admin(&r, "GET", "requests", "").await.json();
    let e = &j["requests"][0];
    assert_eq!(
        (e["status"].as_u64(), e["fault"].as_str()),
        (Some(200), Some("lost"))
    );
    // with a status too, the request is still handled (the status is ignored)
    admin(
        &r,
        "POST",
        "faults",
        r#"{"path":"/lost2","loseAnswer":true,"status":503}"#,
    )
    .await;
    let mut headers = vec![];
    client_sign::sign_v4_headers(
        &c,
        REGION,
        "PUT",
        Some("demo"),
        Some("lost2"),
        &[],
        &mut headers,
        &[],
        now_s(&r),
    );
    assert!(
        try_send(r.addr, "PUT", "127.0.0.1", "/demo/lost2", &headers, b"x")
            .await
            .is_none()
    );
    assert_eq!(
        signed(&r, &c, "GET", Some("lost2"), &[], &[], b"")
            .await
            .status,
        200
    );
}
