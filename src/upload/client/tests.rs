use super::*;
use crate::upload::testing::{
    header, http_date, ok, oss_error, run_all, run_one, FakeSource, FakeTransport, ManualClock,
};
use core::cell::Cell;
use core::future::Future;
use core::pin::Pin;
use std::rc::Rc;

const T0: i64 = 1_700_000_000_000;

fn config() -> ClientConfig {
    ClientConfig {
        region: Region::new("cn-hangzhou").unwrap(),
        bucket: Bucket::new("demo").unwrap(),
        endpoint: Some("http://localhost:9000".into()),
        cname: false,
        path_style: false,
        endpoint_kind: crate::endpoint::EndpointKind::Public,
        cloud_box_id: None,
        refresh_before_secs: 60,
        retry: RetryPolicy::default(),
        allow_insecure_http: false,
    }
}

fn put(key: &str) -> PutObjectInput<Rc<Vec<u8>>> {
    PutObjectInput {
        key: key.into(),
        body: Rc::new(b"hello".to_vec()),
        content_type: "text/plain".into(),
        headers: vec![("x-oss-meta-a".into(), "1".into())],
    }
}

fn client(clock: &Rc<ManualClock>, ttl_ms: i64) -> Client<FakeSource> {
    Client::new(config(), FakeSource::new(clock, ttl_ms)).unwrap()
}

/// A fake OSS that accepts tokens `token-N` until `expiry[N]` and checks the clock.
fn always_ok() -> crate::upload::testing::Handler {
    Box::new(|_, now| Ok(ok(now)))
}

#[test]
fn put_object_signs_and_sends_the_content_type() {
    let clock = ManualClock::at(T0);
    let c = client(&clock, 900_000);
    let t = FakeTransport::new(&clock, always_ok());
    let out = run_one(&clock, c.put_object(&t, put("dir/a b.txt"))).unwrap();
    assert_eq!(out.etag.as_deref(), Some("\"ETAG\""));
    assert_eq!(out.request_id.as_deref(), Some("RID"));
    assert_eq!(out.url, "http://demo.localhost:9000/dir/a%20b.txt");
    let sent = t.sent.borrow();
    let req = &sent[0];
    assert_eq!(req.method, "PUT");
    assert_eq!(header(req, "content-type"), Some("text/plain"));
    assert_eq!(header(req, "x-oss-security-token"), Some("token-1"));
    assert!(header(req, "authorization")
        .unwrap()
        .contains("AdditionalHeaders")
        .eq(&false));
    assert_eq!(req.body.as_deref().map(Vec::as_slice), Some(&b"hello"[..]));
}

#[test]
fn fifty_concurrent_uploads_with_short_credentials_fetch_once_per_window() {
    let clock = ManualClock::at(T0);
    let c = client(&clock, 5_000);
    let t = FakeTransport::new(&clock, always_ok());
    // 50 uploads started together, then 50 more every second for 12 seconds.
    let mut total = 0;
    for _ in 0..12 {
        let futs: Vec<Pin<Box<dyn Future<Output = Result<UploadOutput>> + '_>>> = (0..50)
            .map(|i| {
                Box::pin(c.put_object(&t, put(&format!("k{i}"))))
                    as Pin<Box<dyn Future<Output = _>>>
            })
            .collect();
        for r in run_all(&clock, futs) {
            r.unwrap();
            total += 1;
        }
        clock.advance(1_000);
    }
    assert_eq!(total, 600);
    let fetches = c.source().calls.get();
    // ~13 s of work with 5 s credentials refreshed at 80 % of their life: one fetch per 4 s.
    assert!((3..=5).contains(&fetches), "{fetches} fetches");
}

#[test]
fn expired_token_is_refetched_once_and_the_request_re_signed() {
    let clock = ManualClock::at(T0);
    let c = client(&clock, 900_000);
    let t = FakeTransport::new(
        &clock,
        Box::new(|req, now| {
            Ok(match header(req, "x-oss-security-token") {
                Some("token-1") => oss_error(403, "SecurityTokenExpired", "", now),
                _ => ok(now),
            })
        }),
    );
    run_one(&clock, c.put_object(&t, put("k"))).unwrap();
    assert_eq!(c.source().calls.get(), 2);
    assert_eq!(t.count("PUT"), 2);
    // Concurrent requests failing with the same token share the refetch.
    let clock = ManualClock::at(T0);
    let c = client(&clock, 900_000);
    let t = FakeTransport::new(
        &clock,
        Box::new(|req, now| {
            Ok(match header(req, "x-oss-security-token") {
                Some("token-1") => oss_error(403, "InvalidAccessKeyId", "", now),
                _ => ok(now),
            })
        }),
    );
    let futs: Vec<Pin<Box<dyn Future<Output = Result<UploadOutput>> + '_>>> = (0..10)
        .map(|_| Box::pin(c.put_object(&t, put("k"))) as Pin<Box<dyn Future<Output = _>>>)
        .collect();
    assert!(run_all(&clock, futs).iter().all(Result::is_ok));
    assert_eq!(c.source().calls.get(), 2);
}

#[test]
fn token_error_after_refetch_is_returned_not_looped() {
    let clock = ManualClock::at(T0);
    let c = client(&clock, 900_000);
    let t = FakeTransport::new(
        &clock,
        Box::new(|_, now| Ok(oss_error(403, "InvalidSecurityToken", "", now))),
    );
    let e = run_one(&clock, c.put_object(&t, put("k"))).unwrap_err();
    assert_eq!(e.code(), "InvalidSecurityToken");
    assert_eq!(t.count("PUT"), 2);
    assert_eq!(c.source().calls.get(), 2);
}

/// OSS whose clock is `skew_ms` ahead; rejects x-oss-date more than 15 min off.
fn skewed_oss(skew_ms: i64, send_date: bool) -> crate::upload::testing::Handler {
    Box::new(move |req, now| {
        let server = now + skew_ms;
        let date = header(req, "x-oss-date").unwrap();
        let sent = crate::upload::signed::url_expiry(&format!(
            "http://x/?x-oss-date={date}&x-oss-expires=0"
        ))
        .unwrap();
        let mut r = if (sent.secs() * 1000 - server).abs() > 900_000 {
            let st = UnixTime::from_secs(server / 1000).unwrap().iso8601_millis();
            oss_error(
                403,
                "RequestTimeTooSkewed",
                &format!("<ServerTime>{st}</ServerTime>"),
                server,
            )
        } else {
            ok(server)
        };
        if !send_date {
            r.headers.retain(|(k, _)| k != "date");
        }
        Ok(r)
    })
}

#[test]
fn skew_is_learned_from_server_time_and_the_request_re_signed() {
    let clock = ManualClock::at(T0);
    let c = client(&clock, 36_000_000);
    let t = FakeTransport::new(&clock, skewed_oss(7_200_000, false));
    run_one(&clock, c.put_object(&t, put("k"))).unwrap();
    assert_eq!(t.count("PUT"), 2);
    assert!((c.clock().offset_ms() - 7_200_000).abs() < 1_000);
    // Later requests, presigned URLs and policies use the corrected clock.
    run_one(&clock, c.put_object(&t, put("k"))).unwrap();
    assert_eq!(t.count("PUT"), 3);
    let p = run_one(&clock, c.presign(&t, "GET", "k", 60, vec![], vec![])).unwrap();
    assert_eq!(
        p.expires_at.secs(),
        (clock.now() + c.clock().offset_ms()) / 1000 + 60
    );
}

#[test]
fn skew_learned_from_date_header_too() {
    let clock = ManualClock::at(T0);
    let c = client(&clock, 36_000_000);
    let t = FakeTransport::new(&clock, skewed_oss(-7_200_000, true));
    run_one(&clock, c.put_object(&t, put("k"))).unwrap();
    assert!((c.clock().offset_ms() + 7_200_000).abs() < 2_000);
}

#[test]
fn transient_failures_are_retried_with_backoff() {
    let clock = ManualClock::at(T0);
    let c = client(&clock, 900_000);
    let n = Rc::new(Cell::new(0));
    let n2 = Rc::clone(&n);
    let t = FakeTransport::new(
        &clock,
        Box::new(move |_, now| {
            n2.set(n2.get() + 1);
            match n2.get() {
                1 => Ok(oss_error(503, "ServiceUnavailable", "", now)),
                2 => Err(Error::Network("reset".into())),
                _ => Ok(ok(now)),
            }
        }),
    );
    let start = clock.now();
    run_one(&clock, c.put_object(&t, put("k"))).unwrap();
    assert_eq!(n.get(), 3);
    // 50 ms credential fetch, 3 × 20 ms requests, waits of 150 ms and 300 ms.
    assert_eq!(clock.now() - start, 50 + 60 + 150 + 300);
    let t = FakeTransport::new(
        &clock,
        Box::new(|_, now| Ok(oss_error(500, "InternalError", "", now))),
    );
    let e = run_one(&clock, c.put_object(&t, put("k"))).unwrap_err();
    assert!(e.is_retryable());
    assert_eq!(t.count("PUT"), 3);
    let t = FakeTransport::new(
        &clock,
        Box::new(|_, now| Ok(oss_error(403, "AccessDenied", "", now))),
    );
    assert_eq!(
        run_one(&clock, c.put_object(&t, put("k")))
            .unwrap_err()
            .code(),
        "AccessDenied"
    );
    assert_eq!(t.count("PUT"), 1);
}

/// PutObject with `x-oss-forbid-overwrite: true`: the first attempt fails with `first` (if
/// any), every other PUT with FileAlreadyExists; HEAD answers an object stored `age_ms` ago.
fn forbid_overwrite_after(
    first: Option<Error>,
    age_ms: i64,
) -> (FakeTransport, Rc<ManualClock>, Client<FakeSource>) {
    let clock = ManualClock::at(T0);
    let c = client(&clock, 900_000);
    let first = core::cell::RefCell::new(first);
    let t = FakeTransport::new(
        &clock,
        Box::new(
            move |req, now| match (req.method.as_str(), first.borrow_mut().take()) {
                ("HEAD", _) => {
                    let mut r = ok(now);
                    r.headers
                        .push(("last-modified".into(), http_date(now - age_ms)));
                    r.headers.push(("content-type".into(), "text/plain".into()));
                    Ok(r)
                }
                (_, Some(e)) => Err(e),
                _ => Ok(oss_error(409, "FileAlreadyExists", "", now)),
            },
        ),
    );
    (t, clock, c)
}

/// Any request, for a handler asked what it would answer.
fn any_req() -> crate::upload::transport::HttpRequest<Rc<Vec<u8>>> {
    crate::upload::transport::HttpRequest {
        method: "HEAD".into(),
        url: String::new(),
        headers: Vec::new(),
        body: None,
    }
}

fn put_forbidding(key: &str) -> PutObjectInput<Rc<Vec<u8>>> {
    let mut input = put(key);
    input
        .headers
        .push(("X-Oss-Forbid-Overwrite".into(), " TRUE".into()));
    input
}

// Regression (review): a PutObject with x-oss-forbid-overwrite whose first answer was lost
// rejected with FileAlreadyExists although the object stored was its own.
#[test]
fn forbid_overwrite_conflict_reads_the_object_it_may_have_stored() {
    let unconfirmed = |first, age_ms| {
        let (t, clock, c) = forbid_overwrite_after(first, age_ms);
        let out = run_one(&clock, c.put_object(&t, put_forbidding("k")));
        (
            out.map(|o| o.unconfirmed.map(|e| e.code().to_owned())),
            t.count("PUT"),
            t.count("HEAD"),
        )
    };
    // Retried after a lost answer: the object stored since is handed over, with its CRC-64.
    let lost = || Some(Error::Network("reset".into()));
    assert_eq!(
        unconfirmed(lost(), 0),
        (Ok(Some("FileAlreadyExists".into())), 2, 1)
    );
    // The same on the first attempt (a browser resent it unseen).
    assert_eq!(
        unconfirmed(None, 1000),
        (Ok(Some("FileAlreadyExists".into())), 1, 1)
    );
    // Stored before this upload began: someone else's.
    let (e, puts, heads) = unconfirmed(lost(), 60_000);
    assert_eq!(
        (e.unwrap_err().code(), puts, heads),
        ("FileAlreadyExists", 2, 1)
    );
    // Not retried (aborted): no HEAD.
    let (e, puts, heads) = unconfirmed(Some(Error::Aborted), 0);
    assert_eq!(
        (e.unwrap_err().code(), puts, heads),
        ("RequestAborted", 1, 0)
    );
    // Without the header, FileAlreadyExists is OSS's answer as is: no HEAD.
    let (t, clock, c) = forbid_overwrite_after(lost(), 0);
    let e = run_one(&clock, c.put_object(&t, put("k"))).unwrap_err();
    assert_eq!((e.code(), t.count("HEAD")), ("FileAlreadyExists", 0));
}

// Regressions (review): an object of the same bytes stored by someone else (another type)
// during the upload resolved as this upload's; a HEAD that failed (no oss:GetObject) or was
// aborted, or an answer without Date, hid why nothing could be told.
#[test]
fn forbid_overwrite_conflict_is_ours_only_when_it_can_be_told() {
    let diagnosis = |r: Result<UploadOutput>| match r {
        Err(Error::Service(s)) => (s.code.clone(), s.diagnosis.clone().unwrap_or_default()),
        other => (format!("{other:?}"), String::new()),
    };
    let run = |first: Option<Error>, head: crate::upload::testing::Handler| {
        let clock = ManualClock::at(T0);
        let source = FakeSource::new(&clock, 900_000);
        // No Date from the credential endpoint either when the HEAD has none.
        source
            .send_date
            .set(head(&any_req(), T0).is_ok_and(|h| h.header("date").is_some()));
        let c = Client::new(config(), source).unwrap();
        let first = core::cell::RefCell::new(first);
        let t = FakeTransport::new(
            &clock,
            Box::new(
                move |req, now| match (req.method.as_str(), first.borrow_mut().take()) {
                    ("HEAD", _) => head(req, now),
                    (_, Some(e)) => Err(e),
                    _ => {
                        // Without a Date here either when the HEAD has none (OSS's time unknown).
                        let mut r = oss_error(409, "FileAlreadyExists", "", now);
                        if head(req, now).is_ok_and(|h| h.header("date").is_none()) {
                            r.headers.retain(|(k, _)| k != "date");
                        }
                        Ok(r)
                    }
                },
            ),
        );
        run_one(&clock, c.put_object(&t, put_forbidding("k")))
    };
    let head_with = |ct: &'static str, date: bool| -> crate::upload::testing::Handler {
        Box::new(move |_, now| {
            let mut r = ok(now);
            r.headers.retain(|(k, _)| date || k != "date");
            r.headers.push(("last-modified".into(), http_date(now)));
            r.headers.push(("content-type".into(), ct.into()));
            Ok(r)
        })
    };
    let lost = || Some(Error::Network("reset".into()));
    // Another Content-Type: someone else's object, whatever its bytes.
    let (code, d) = diagnosis(run(lost(), head_with("image/png", true)));
    assert_eq!((code.as_str(), d.as_str()), ("FileAlreadyExists", ""));
    // No Date, OSS's time unknown: cannot be told; said so after a retry only.
    let (code, d) = diagnosis(run(lost(), head_with("text/plain", false)));
    assert_eq!(code, "FileAlreadyExists");
    assert!(d.contains("does not expose Date"), "{d}");
    let (_, d) = diagnosis(run(None, head_with("text/plain", false)));
    assert_eq!(d, "");
    // HeadObject refused: the same.
    let denied = || -> crate::upload::testing::Handler {
        Box::new(|_, now| Ok(oss_error(403, "AccessDenied", "", now)))
    };
    let (code, d) = diagnosis(run(lost(), denied()));
    assert_eq!(code, "FileAlreadyExists");
    assert!(d.contains("oss:GetObject"), "{d}");
    let (_, d) = diagnosis(run(None, denied()));
    assert_eq!(d, "");
    // Aborted during the HEAD: RequestAborted, not FileAlreadyExists.
    let e = run(lost(), Box::new(|_, _| Err(Error::Aborted))).unwrap_err();
    assert_eq!(e.code(), "RequestAborted");
}

// Review: OSS's answer to a wrong region is an InvalidArgument of its own, without a word
// about which region was signed.
#[test]
fn wrong_region_is_diagnosed() {
    let clock = ManualClock::at(T0);
    let c = client(&clock, 900_000);
    let t = FakeTransport::new(
        &clock,
        Box::new(|_, now| {
            Ok(oss_error(
                400,
                "InvalidArgument",
                "<EC>0002-00000715</EC>",
                now,
            ))
        }),
    );
    let e = run_one(&clock, c.put_object(&t, put("k"))).unwrap_err();
    let Error::Service(se) = e else {
        panic!("{e:?}")
    };
    assert_eq!(se.status, 400);
    let d = se.diagnosis.unwrap_or_default();
    assert!(d.contains("signed for region cn-hangzhou"), "{d}");
    assert_eq!(t.count("PUT"), 1);
}

#[test]
fn abort_is_not_retried() {
    let clock = ManualClock::at(T0);
    let c = client(&clock, 900_000);
    let t = FakeTransport::new(&clock, always_ok());
    t.aborted.set(true);
    assert_eq!(
        run_one(&clock, c.put_object(&t, put("k")))
            .unwrap_err()
            .code(),
        "RequestAborted"
    );
    assert_eq!(t.count("PUT"), 0);
}

#[test]
fn signature_mismatch_names_the_changed_content_type() {
    let clock = ManualClock::at(T0);
    let c = client(&clock, 900_000);
    let captured = Rc::new(core::cell::RefCell::new(String::new()));
    let t = FakeTransport::new(
        &clock,
        Box::new(|req, now| {
            // OSS computes the canonical request from what it received: here the browser changed
            // the Content-Type.
            let date = header(req, "x-oss-date").unwrap();
            let canonical = format!(
            "PUT\n/demo/k\n\ncontent-type:image/jpeg\nx-oss-content-sha256:UNSIGNED-PAYLOAD\nx-oss-date:{date}\nx-oss-meta-a:1\nx-oss-security-token:token-1\n\n\nUNSIGNED-PAYLOAD"
        );
            Ok(oss_error(403, "SignatureDoesNotMatch", &format!("<CanonicalRequest>{canonical}</CanonicalRequest><StringToSign>x</StringToSign>"), now))
        }),
    );
    let _ = captured;
    let mut input = put("k");
    input.content_type = "image/png".into();
    let e = run_one(&clock, c.put_object(&t, input)).unwrap_err();
    let Error::Service(s) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(
        s.diagnosis.as_deref(),
        Some("Content-Type signed as image/png but sent as image/jpeg")
    );
    assert!(e
        .to_string()
        .contains("signed as image/png but sent as image/jpeg"));
}

#[test]
fn hidden_etag_is_a_clear_error() {
    let clock = ManualClock::at(T0);
    let c = client(&clock, 900_000);
    let t = FakeTransport::new(
        &clock,
        Box::new(|_, now| {
            let mut r = ok(now);
            r.headers.retain(|(k, _)| k != "etag");
            Ok(r)
        }),
    );
    let e = run_one(&clock, c.put_object(&t, put("k"))).unwrap_err();
    // The same code as a multipart upload's, for the same CORS rule.
    assert_eq!(e.code(), "CorsExposeHeadersMissing");
    assert!(e.to_string().contains("ExposeHeader ETag"), "{e}");
}

#[test]
fn presign_and_policy_are_capped_at_credential_expiry() {
    let clock = ManualClock::at(T0);
    let c = client(&clock, 600_000);
    let t = FakeTransport::new(&clock, always_ok());
    let p = run_one(
        &clock,
        c.presign(
            &t,
            "PUT",
            "k",
            3600,
            vec![("Content-Type".into(), "image/png".into())],
            vec![],
        ),
    )
    .unwrap();
    assert!(p.capped);
    let creds_exp = c.credential_status().expires_at_ms.unwrap() / 1000;
    assert_eq!(p.expires_at.secs(), creds_exp);
    assert!(p.url.contains("x-oss-expires="));
    assert_eq!(
        p.headers,
        vec![("Content-Type".to_owned(), "image/png".to_owned())]
    );
    let p = run_one(&clock, c.presign(&t, "GET", "k", 60, vec![], vec![])).unwrap();
    assert!(!p.capped);
    let input = PostPolicyInput {
        key: Some(KeyCondition::StartsWith("u/".into())),
        expires_in_secs: 7200,
        content_length_range: Some((1, 10)),
        ..Default::default()
    };
    let pp = run_one(&clock, c.create_post_policy(&t, &input)).unwrap();
    assert!(pp.capped);
    assert_eq!(pp.expires_at.secs(), creds_exp);
    assert!(pp.policy_text.contains("[\"content-length-range\",1,10]"));
    assert_eq!(pp.url, "http://demo.localhost:9000/");
    assert_eq!(t.sent.borrow().len(), 0, "signing sends nothing");
}

#[test]
fn bad_input_sends_nothing() {
    let clock = ManualClock::at(T0);
    let c = client(&clock, 900_000);
    let t = FakeTransport::new(&clock, always_ok());
    assert_eq!(
        run_one(&clock, c.put_object(&t, put("/abs")))
            .unwrap_err()
            .field(),
        Some("key")
    );
    let mut bad = put("k");
    bad.headers.push(("x-oss-meta-b".into(), "a\nb".into()));
    assert!(run_one(&clock, c.put_object(&t, bad)).is_err());
    assert!(run_one(&clock, c.presign(&t, "GET", "k", 0, vec![], vec![])).is_err());
    assert_eq!(t.sent.borrow().len(), 0);
    assert_eq!(c.source().calls.get(), 0);
}

#[test]
fn insecure_endpoint_is_refused_unless_loopback_or_allowed() {
    let clock = ManualClock::at(T0);
    let mut cfg = config();
    cfg.endpoint = Some("http://oss.example.com".into());
    let e = Client::new(cfg.clone(), FakeSource::new(&clock, 1)).unwrap_err();
    assert_eq!(e.field(), Some("endpoint"));
    cfg.allow_insecure_http = true;
    assert!(Client::new(cfg, FakeSource::new(&clock, 1)).is_ok());
}

#[test]
fn post_object_sends_a_form_with_the_file_last() {
    let clock = ManualClock::at(T0);
    let c = client(&clock, 900_000);
    let t = FakeTransport::new(&clock, always_ok());
    let out = run_one(
        &clock,
        c.post_object(&t, "u/a.png", Rc::new(b"PNG".to_vec()), "image/png"),
    )
    .unwrap();
    assert_eq!(out.key, "u/a.png");
    let sent = t.sent.borrow();
    assert_eq!(sent[0].method, "POST");
    assert_eq!(sent[0].url, "http://demo.localhost:9000/");
    let body = String::from_utf8(sent[0].body.as_ref().unwrap().to_vec()).unwrap();
    let names: Vec<&str> = body.lines().map(|l| l.split('=').next().unwrap()).collect();
    assert_eq!(
        names,
        [
            "key",
            "Content-Type",
            "policy",
            "x-oss-signature-version",
            "x-oss-credential",
            "x-oss-date",
            "x-oss-signature",
            "x-oss-security-token",
            "success_action_status",
            "file"
        ]
    );
    assert!(body.starts_with("key=u/a.png\nContent-Type=image/png\n"));
}

/// OSS as the browser sees it with the guides' CORS rule (no readable `Date`), its clock
/// `offset_ms` from this device's: refuses a V4 URL past its expiry as OSS does.
fn oss_checking_expiry(offset_ms: i64) -> crate::upload::testing::Handler {
    Box::new(move |req, now| {
        let server = UnixTime::from_secs((now + offset_ms) / 1000).unwrap();
        let mut resp = match signed::url_expiry(&req.url) {
            Some(at) if at < server => oss_error(
                403,
                "AccessDenied",
                &format!("<ServerTime>{}</ServerTime>", server.iso8601_millis()),
                0,
            ),
            _ => ok(0),
        };
        resp.headers.retain(|(k, _)| k != "date");
        resp.body = resp.body.replace(
            "<Message>m</Message>",
            "<Message>Request has expired.</Message>",
        );
        Ok(resp)
    })
}

fn put_signed(
    clock: &ManualClock,
    t: &FakeTransport,
    skew: &SkewClock,
    url: &str,
) -> Result<UploadOutput> {
    run_one(
        clock,
        upload_to_signed_url(
            t,
            skew,
            RetryPolicy::default(),
            url,
            Rc::new(vec![1]),
            vec![],
            false,
            None,
        ),
    )
}

fn url_signed_at(secs: i64, expires: i64) -> String {
    format!(
        "http://demo.localhost:1/d/k%20x?x-oss-date={}&x-oss-expires={expires}&x-oss-signature=x",
        UnixTime::from_secs(secs).unwrap().iso8601_basic()
    )
}

// Regression (review): a device 20 minutes fast refused every fresh 15-minute URL "by OSS's
// clock" before OSS was asked. Until OSS's time is known, OSS decides; its "expired" answer is
// SignedUrlExpired and teaches the clock, so the next stale URL is refused before sending.
#[test]
fn signed_url_expiry_is_checked_by_oss_s_clock() {
    let clock = ManualClock::at(T0);
    let skew = SkewClock::new();
    let t = FakeTransport::new(&clock, oss_checking_expiry(-20 * 60_000));
    // Signed by the server 10 s ago (its clock), valid 15 minutes: this device says it expired.
    let fresh = url_signed_at((T0 - 20 * 60_000) / 1000 - 10, 900);
    let out = put_signed(&clock, &t, &skew, &fresh).unwrap();
    assert_eq!(out.key, "d/k x");
    assert!(
        t.sent.borrow()[0].headers.is_empty(),
        "no Content-Type unless given"
    );
    // Really expired by OSS's clock: OSS refuses, the error is the one a check gives.
    let stale = url_signed_at((T0 - 20 * 60_000) / 1000 - 1_000, 900);
    let e = put_signed(&clock, &t, &skew, &stale).unwrap_err();
    assert_eq!(e.code(), "SignedUrlExpired");
    assert!(
        e.to_string()
            .contains("Request has expired. (OSS answered AccessDenied at "),
        "{e}"
    );
    assert_eq!(t.sent.borrow().len(), 2);
    // OSS's time is learned now: the same URL is refused before sending, by OSS's clock.
    assert!(skew.is_learned());
    let e = put_signed(&clock, &t, &skew, &stale).unwrap_err();
    assert_eq!(e.code(), "SignedUrlExpired");
    assert!(e.to_string().contains("s ago by OSS's clock"), "{e}");
    assert_eq!(t.sent.borrow().len(), 2);
    // ... and a fresh one still goes.
    put_signed(&clock, &t, &skew, &fresh).unwrap();
    // A URL this device says expired over a day ago is refused before OSS's time is known.
    let skew = SkewClock::new();
    let e = put_signed(
        &clock,
        &t,
        &skew,
        &url_signed_at(T0 / 1000 - 2 * 86_400, 60),
    )
    .unwrap_err();
    assert_eq!(e.code(), "SignedUrlExpired");
    assert!(
        e.to_string().contains("s ago by this device's clock"),
        "{e}"
    );
    assert_eq!(t.sent.borrow().len(), 3);
}

// Regression (review): once learned, an offset went stale when the device clock was set right
// (a slow device fixed), and every fresh URL was refused before sending, so OSS could never
// correct it. A learned offset is trusted only up to the time since it was learned.
#[test]
fn a_learned_offset_does_not_outlive_a_device_clock_fix() {
    let clock = ManualClock::at(T0);
    let skew = SkewClock::new();
    // A device 20 minutes slow learns OSS's time from an expired URL's answer.
    let slow = FakeTransport::new(&clock, oss_checking_expiry(20 * 60_000));
    let stale = url_signed_at(T0 / 1000 - 3_600, 900);
    let e = put_signed(&clock, &slow, &skew, &stale).unwrap_err();
    assert_eq!(e.code(), "SignedUrlExpired");
    assert!(skew.is_learned());
    // Stale URLs are refused before sending right after.
    let e = put_signed(&clock, &slow, &skew, &stale).unwrap_err();
    assert!(e.to_string().contains("by OSS's clock"), "{e}");
    assert_eq!(slow.sent.borrow().len(), 1);
    // The user sets the clock right: it jumps 20 minutes forward; OSS's time goes on.
    clock.advance(20 * 60_000);
    let fixed = FakeTransport::new(&clock, oss_checking_expiry(0));
    let fresh = url_signed_at(clock.now() / 1000 - 10, 900);
    put_signed(&clock, &fixed, &skew, &fresh).unwrap();
    assert_eq!(fixed.sent.borrow().len(), 1);
}

#[test]
fn server_signed_mismatch_names_the_content_type() {
    let clock = ManualClock::at(T0);
    let skew = SkewClock::new();
    let t = FakeTransport::new(
        &clock,
        Box::new(|_, now| {
            Ok(oss_error(
                403,
                "SignatureDoesNotMatch",
                "<StringToSign>PUT\n\ntext/plain\n1700000600\n/demo/k</StringToSign>",
                now,
            ))
        }),
    );
    let url = "http://demo.localhost:1/k?OSSAccessKeyId=a&Expires=1700000600&Signature=s";
    let e = run_one(
        &clock,
        upload_to_signed_url(
            &t,
            &skew,
            RetryPolicy::default(),
            url,
            Rc::new(vec![]),
            vec![("Content-Type".into(), "text/plain".into())],
            false,
            None,
        ),
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("Content-Type sent as text/plain"),
        "{e}"
    );
}

// Regression (review): a signed URL carrying an upload callback was sent again after a lost
// answer, so a callback that had reached the app's server reached it twice. Without a callback
// the lost answer is retried as before.
#[test]
fn signed_url_with_a_callback_is_not_resent_after_a_lost_answer() {
    let clock = ManualClock::at(T0);
    let skew = SkewClock::new();
    let lose_first = || -> crate::upload::testing::Handler {
        let lost = Cell::new(true);
        Box::new(move |_, now| {
            if lost.replace(false) {
                Err(Error::Network("reset".into()))
            } else {
                Ok(ok(now))
            }
        })
    };
    let url = url_signed_at(T0 / 1000, 900);
    let t = FakeTransport::new(&clock, lose_first());
    let e = put_signed(&clock, &t, &skew, &format!("{url}&callback=eyJ9")).unwrap_err();
    assert_eq!((e.code(), t.count("PUT")), ("NetworkError", 1));
    let t = FakeTransport::new(&clock, lose_first());
    put_signed(&clock, &t, &skew, &url).unwrap();
    assert_eq!(t.count("PUT"), 2);
}

#[test]
fn crc_and_cors_helpers() {
    assert!(verify_crc64(5, Some("5")).is_ok());
    assert!(verify_crc64(5, None).is_ok());
    assert_eq!(
        verify_crc64(5, Some("6")).unwrap_err().code(),
        "CrcMismatch",
        "as a multipart upload's (review regression: was InvalidResponse)"
    );
    assert!(cors_hint("http://localhost:1", "PUT")
        .contains("AllowedOrigin http://localhost:1, AllowedMethod PUT"));
    let _ = http_date(T0);
}

#[test]
fn server_post_sends_the_assembled_form_and_retries_503() {
    let clock = ManualClock::at(T0);
    let skew = SkewClock::new();
    let n = Rc::new(Cell::new(0));
    let n2 = Rc::clone(&n);
    let t = FakeTransport::new(
        &clock,
        Box::new(move |_, now| {
            n2.set(n2.get() + 1);
            Ok(if n2.get() == 1 {
                oss_error(503, "ServiceUnavailable", "", now)
            } else {
                let mut r = ok(now);
                r.status = 204;
                r
            })
        }),
    );
    let policy = crate::encode::base64_encode(
        br#"{"expiration":"2030-01-01T00:00:00.000Z","conditions":[]}"#,
    );
    let fields: Vec<(String, String)> = [
        ("ossAccessKeyId", "LTAI"),
        ("policy", policy.as_str()),
        ("signature", "sig"),
        ("dir", "up/"),
        ("host", "http://demo.localhost:9"),
    ]
    .iter()
    .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
    .collect();
    let now = SkewClock::new().server_now(T0).unwrap();
    let form = signed::server_post_form(&fields, None, Some("a b.txt"), now, false).unwrap();
    let out = run_one(
        &clock,
        post_with_server_signature(
            &t,
            &skew,
            RetryPolicy::default(),
            &form,
            Rc::new(b"x".to_vec()),
        ),
    )
    .unwrap();
    assert_eq!(n.get(), 2);
    assert_eq!(out.key, "up/a b.txt");
    assert_eq!(out.url, "http://demo.localhost:9/up/a%20b.txt");
    assert_eq!(out.status, 204);
    let body = String::from_utf8(t.sent.borrow()[1].body.as_ref().unwrap().to_vec()).unwrap();
    assert!(body.starts_with("key=up/a b.txt\nOSSAccessKeyId=LTAI\npolicy="));
    assert!(body.ends_with("success_action_status=200\nfile=x"));
}

// Regression (review): with the server's callback now sent, OSS's 203 CallbackFailed resolved
// as a success, and the app server's answer to the callback was nowhere.
#[test]
fn server_post_with_a_callback_reports_its_answer_and_its_failure() {
    let clock = ManualClock::at(T0);
    let skew = SkewClock::new();
    let fail = Rc::new(Cell::new(false));
    let fail2 = Rc::clone(&fail);
    let t = FakeTransport::new(
        &clock,
        Box::new(move |_, now| {
            let mut r = ok(now);
            if fail2.get() {
                r = oss_error(203, "CallbackFailed", "", now);
            } else {
                r.body = String::from(r#"{"fileId":7}"#);
            }
            Ok(r)
        }),
    );
    let policy = crate::encode::base64_encode(
        br#"{"expiration":"2030-01-01T00:00:00.000Z","conditions":[]}"#,
    );
    let server: Vec<(String, String)> = [
        ("accessid", "LTAI"),
        ("policy", policy.as_str()),
        ("signature", "sig"),
        ("host", "http://demo.localhost:9"),
        ("callback", "eyJjYWxsYmFja1VybCI6Imh0dHA6Ly9hcHAvY2IifQ=="),
    ]
    .iter()
    .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
    .collect();
    let now = SkewClock::new().server_now(T0).unwrap();
    let mut form = signed::server_post_form(&server, Some("k.txt"), None, now, false).unwrap();
    signed::complete_server_form(&mut form, &server, "text/plain".into(), &[]).unwrap();
    let post = |form: &signed::ServerPostForm| {
        run_one(
            &clock,
            post_with_server_signature(
                &t,
                &skew,
                RetryPolicy::default(),
                form,
                Rc::new(b"x".to_vec()),
            ),
        )
    };
    let out = post(&form).unwrap();
    assert_eq!(out.callback_response.as_deref(), Some(r#"{"fileId":7}"#));
    fail.set(true);
    let e = post(&form).unwrap_err();
    assert_eq!(e.code(), "CallbackFailed");
    assert!(e.to_string().contains("the object was stored"), "{e}");
    assert!(!e.is_retryable());
    assert_eq!(t.sent.borrow().len(), 2, "a failed callback is not retried");
    // Regression (review): a lost answer was retried, and a callback that had reached the
    // app's server would reach it twice.
    let lost = Rc::new(Cell::new(true));
    let lost2 = Rc::clone(&lost);
    let t2 = FakeTransport::new(
        &clock,
        Box::new(move |_, now| {
            if lost2.replace(false) {
                Err(Error::Network("reset".into()))
            } else {
                Ok(ok(now))
            }
        }),
    );
    let e = run_one(
        &clock,
        post_with_server_signature(
            &t2,
            &skew,
            RetryPolicy::default(),
            &form,
            Rc::new(b"x".to_vec()),
        ),
    )
    .unwrap_err();
    assert_eq!((e.code(), t2.sent.borrow().len()), ("NetworkError", 1));
    // Without a callback, a body is no callback answer.
    fail.set(false);
    form.fields.retain(|(k, _)| k != "callback");
    assert_eq!(post(&form).unwrap().callback_response, None);
}

#[test]
fn create_post_policy_fields_are_form_ready() {
    let clock = ManualClock::at(T0);
    let c = client(&clock, 900_000);
    let t = FakeTransport::new(&clock, always_ok());
    let input = PostPolicyInput {
        key: Some(KeyCondition::Eq("u/a.png".into())),
        content_types: vec!["image/png".into(), "image/gif".into()],
        expires_in_secs: 60,
        success_action_status: Some(201),
        conditions: vec![r#"{"x-oss-object-acl":"private"}"#.into()],
        ..PostPolicyInput::default()
    };
    let p = run_one(&clock, c.create_post_policy(&t, &input)).unwrap();
    let names: Vec<&str> = p.fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "key",
            "policy",
            "x-oss-signature-version",
            "x-oss-credential",
            "x-oss-date",
            "x-oss-signature",
            "x-oss-security-token",
            "success_action_status"
        ]
    );
    assert!(!p.capped);
    assert!(p
        .policy_text
        .contains(r#"["in","$content-type",["image/png","image/gif"]]"#));
    assert!(p.policy_text.contains(r#"{"x-oss-object-acl":"private"}"#));
    assert!(p.policy_text.contains(r#"["eq","$key","u/a.png"]"#));
    let bad = PostPolicyInput {
        key: Some(KeyCondition::Eq("/abs".into())),
        expires_in_secs: 60,
        ..PostPolicyInput::default()
    };
    assert_eq!(
        run_one(&clock, c.create_post_policy(&t, &bad))
            .unwrap_err()
            .field(),
        Some("key")
    );
}

/// Issue 7: no AccessKeySecret or SecurityToken in any Debug or Display string of what holds
/// credentials (the client and its cache, the source's answer, requests, presigned URLs,
/// policies, server forms) or of an error, even when OSS echoes the token back.
#[test]
#[allow(clippy::too_many_lines)] // one walk through every type that holds credentials
fn debug_and_display_of_everything_holding_credentials_hide_them() {
    const SECRET: &str = "SECRET-a8f3c1d9e7b2-never-printed";
    const TOKEN: &str = "CAIS+TOKEN/b7e2f9a1c4d8==never-printed";
    let tok_enc = crate::encode::uri_encode(TOKEN, false);
    let clean = |what: &str, s: &str| {
        for needle in [
            SECRET,
            TOKEN,
            tok_enc.as_str(),
            "a8f3c1d9e7b2",
            "b7e2f9a1c4d8",
        ] {
            assert!(!s.contains(needle), "{what} shows {needle:?}: {s}");
        }
    };
    let clock = ManualClock::at(T0);
    let source = FakeSource::new(&clock, 900_000);
    *source.body.borrow_mut() = Some(format!(
        r#"{{"Credentials":{{"AccessKeyId":"STS.debug","AccessKeySecret":"{SECRET}","SecurityToken":"{TOKEN}","Expiration":{}}}}}"#,
        T0 + 3_600_000
    ));
    let c = Client::new(config(), source).unwrap();
    let echo = format!(
        "<StringToSign>PUT\n\ntext/plain\n1\nx-oss-security-token:{TOKEN}\n/demo/x</StringToSign>\
         <CanonicalRequest>PUT\n/demo/x\n\ncontent-type:text/plain\nx-oss-security-token:{TOKEN}\n\n\nUNSIGNED-PAYLOAD</CanonicalRequest>"
    );
    let t = FakeTransport::new(
        &clock,
        Box::new(move |req, now| {
            if req.url.contains("/mismatch") {
                Ok(oss_error(403, "SignatureDoesNotMatch", &echo, now))
            } else {
                Ok(ok(now))
            }
        }),
    );
    run_one(&clock, c.put_object(&t, put("a.txt"))).unwrap();
    let err = run_one(&clock, c.put_object(&t, put("mismatch"))).unwrap_err();
    assert_eq!(err.code(), "SignatureDoesNotMatch");
    let Error::Service(service) = &err else {
        panic!("{err:?}")
    };
    assert!(service
        .canonical_request
        .as_deref()
        .unwrap()
        .contains("x-oss-security-token:[redacted]"));
    clean("error", &format!("{err} {err:?} {:?}", service.diagnosis));

    let presigned = run_one(&clock, c.presign(&t, "GET", "a.txt", 600, vec![], vec![])).unwrap();
    assert!(
        presigned.url.contains(&tok_enc),
        "the URL itself carries the token"
    );
    clean("PresignOutput", &format!("{presigned:?}"));
    let input = PostPolicyInput {
        key: Some(KeyCondition::StartsWith("u/".into())),
        expires_in_secs: 60,
        ..PostPolicyInput::default()
    };
    let policy = run_one(&clock, c.create_post_policy(&t, &input)).unwrap();
    assert!(policy.policy_text.contains(TOKEN));
    clean("PostPolicyOutput", &format!("{policy:?}"));
    let creds = run_one(&clock, c.credentials(&t)).unwrap();
    clean("CachedCredentials", &format!("{creds:?}"));
    let answer = run_one(&clock, c.source().fetch()).unwrap();
    clean("SourceResponse", &format!("{answer:?}"));
    // The fake source keeps the test's body; the browser's sources print lengths only.
    *c.source().body.borrow_mut() = None;
    clean("Client", &format!("{c:?} {c:#?}"));
    clean("ClientConfig", &format!("{:?}", c.config()));
    clean("HttpRequest", &format!("{:?}", *t.sent.borrow()));

    // The signer's own outputs.
    let req = crate::signer::Request::new(crate::signer::RequestParts {
        method: "PUT",
        bucket: "demo",
        key: Some("k"),
        region: "cn-hangzhou",
        ..Default::default()
    })
    .unwrap();
    clean("RequestParts/Request", &format!("{req:?}"));
    let now = crate::time::UnixTime::from_secs(T0 / 1000).unwrap();
    let mut keys = crate::signer::SigningKeyCache::new();
    let signed = crate::signer::sign_request(&req, &creds.credentials, now, &mut keys);
    assert!(signed.canonical_request.contains(TOKEN));
    clean("SignedRequest", &format!("{signed:?}"));
    let p = crate::signer::presign(&req, &creds.credentials, now, 60, &mut keys).unwrap();
    clean("PresignedUrl", &format!("{p:?}"));
    let ps = crate::signer::sign_post_policy(
        &policy.policy_text,
        &creds.credentials,
        &Region::new("cn-hangzhou").unwrap(),
        None,
        now,
        &mut keys,
    )
    .unwrap();
    clean("PostSignature", &format!("{ps:?}"));
    clean("SigningKeyCache", &format!("{keys:?}"));
    let form = signed::server_post_form(
        &[
            (
                "host".into(),
                "https://demo.oss-cn-hangzhou.aliyuncs.com".into(),
            ),
            ("dir".into(), "u/".into()),
            ("policy".into(), ps.policy.clone()),
            ("signature".into(), "abc".into()),
            (
                "x_oss_credential".into(),
                "STS.debug/20231114/cn-hangzhou/oss/aliyun_v4_request".into(),
            ),
            ("x_oss_date".into(), now.iso8601_basic()),
            ("x_oss_signature_version".into(), "OSS4-HMAC-SHA256".into()),
            ("security_token".into(), TOKEN.into()),
        ],
        Some("u/a.png"),
        None,
        SkewClock::new().server_now(T0).unwrap(),
        false,
    )
    .unwrap();
    assert!(form.fields.iter().any(|(_, v)| v == TOKEN));
    clean("ServerPostForm", &format!("{form:?}"));
}
