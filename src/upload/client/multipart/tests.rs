#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::many_single_char_names,
    clippy::too_many_lines,
    clippy::map_unwrap_or,
    clippy::format_push_string,
    clippy::cast_possible_truncation,
    clippy::cloned_ref_to_slice_refs,
    clippy::struct_excessive_bools
)]

use super::*;
use crate::names::{Bucket, Region};
use crate::upload::client::ClientConfig;
use crate::upload::multipart::MIN_PART_SIZE;
use crate::upload::retry::RetryPolicy;
use crate::upload::testing::{
    header, http_date, oss_error, run_one, FakeSource, FakeTransport, ManualClock,
};
use std::collections::BTreeMap;
use std::rc::Rc;

const T0: i64 = 1_700_000_000_000;
const PARTS: u64 = 11;

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

enum Fault {
    Status(u16, &'static str),
    Network,
}

/// A fake OSS with just enough multipart behaviour, recording what it was asked.
#[derive(Default)]
struct Oss {
    uploads: BTreeMap<String, BTreeMap<u32, (String, Vec<u8>)>>,
    objects: BTreeMap<String, Vec<u8>>,
    next_id: u32,
    completes: u32,
    aborts: u32,
    /// (part number, answer time) of every UploadPart that reached OSS.
    part_puts: Vec<(u32, i64)>,
    faults: Vec<(u32, Fault)>,
    bad_crc: BTreeMap<u32, u32>,
    hide_etag: bool,
    hide_crc: bool,
    lose_complete_answer: bool,
    complete_then_503: bool,
    /// A Complete that takes this long at OSS: the client's request fails at once (its timeout),
    /// the object appears this many ms later.
    slow_complete_ms: Option<i64>,
    /// (key, bytes, time) of a slow Complete not finished yet.
    finishing: Option<(String, Vec<u8>, i64)>,
    tokens: Vec<String>,
}

impl Oss {
    /// Finishes a slow Complete whose time has come.
    fn finished(&mut self, now: i64) -> &Self {
        if self.finishing.as_ref().is_some_and(|f| f.2 <= now) {
            let (k, data, _) = self.finishing.take().unwrap();
            self.objects.insert(k, data);
        }
        self
    }
}

fn query(url: &str) -> BTreeMap<String, String> {
    url.split_once('?')
        .map(|(_, q)| q)
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_owned(), crate::encode::uri_decode(v).unwrap())
        })
        .collect()
}

fn resp(status: u16, now: i64, headers: Vec<(&str, String)>, body: String) -> HttpResponse {
    let mut h: Vec<(String, String)> = headers
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    h.push(("date".into(), http_date(now)));
    h.push(("x-oss-request-id".into(), "RID".into()));
    HttpResponse {
        status,
        headers: h,
        body,
    }
}

fn handle(oss: &RefCell<Oss>, req: &HttpRequest<Rc<Vec<u8>>>, now: i64) -> Result<HttpResponse> {
    let q = query(&req.url);
    let key = req
        .url
        .split_once("localhost:9000/")
        .map(|(_, r)| r.split('?').next().unwrap_or(""))
        .unwrap_or("")
        .to_owned();
    let mut o = oss.borrow_mut();
    if let Some(tok) = header(req, "x-oss-security-token") {
        o.tokens.push(tok.to_owned());
    }
    let no_upload = || Ok(oss_error(404, "NoSuchUpload", "", now));
    match (req.method.as_str(), q.get("uploadId")) {
        ("POST", None) => {
            o.next_id += 1;
            let id = format!("UP{}", o.next_id);
            o.uploads.insert(id.clone(), BTreeMap::new());
            Ok(resp(
                200,
                now,
                vec![],
                format!("<InitiateMultipartUploadResult><UploadId>{id}</UploadId></InitiateMultipartUploadResult>"),
            ))
        }
        ("PUT", Some(id)) => {
            let n: u32 = q["partNumber"].parse().unwrap();
            o.part_puts.push((n, now));
            if let Some(i) = o.faults.iter().position(|(p, _)| *p == n) {
                let (_, f) = o.faults.remove(i);
                return match f {
                    Fault::Status(s, c) => Ok(oss_error(s, c, "", now)),
                    Fault::Network => Err(Error::Network("connection dropped".into())),
                };
            }
            let body = req.body.as_ref().unwrap().to_vec();
            let mut crc = crate::crc64::checksum(&body);
            if let Some(left) = o.bad_crc.get_mut(&n) {
                if *left > 0 {
                    *left -= 1;
                    crc ^= 1;
                }
            }
            let etag = format!("\"E{n}-{}\"", body.len());
            let hide = o.hide_etag;
            let Some(up) = o.uploads.get_mut(id) else {
                return no_upload();
            };
            up.insert(n, (etag.clone(), body));
            let mut h = Vec::new();
            if !o.hide_crc {
                h.push(("x-oss-hash-crc64ecma", crc.to_string()));
            }
            if !hide {
                h.push(("etag", etag));
            }
            Ok(resp(200, now, h, String::new()))
        }
        ("GET", Some(id)) => {
            let Some(up) = o.uploads.get(id) else {
                return no_upload();
            };
            let mut body = String::from("<ListPartsResult><IsTruncated>false</IsTruncated>");
            for (n, (etag, data)) in up {
                body.push_str(&format!(
                    "<Part><PartNumber>{n}</PartNumber><ETag>{etag}</ETag><HashCrc64ecma>{}</HashCrc64ecma><Size>{}</Size></Part>",
                    crate::crc64::checksum(data),
                    data.len()
                ));
            }
            body.push_str("</ListPartsResult>");
            Ok(resp(200, now, vec![], body))
        }
        ("POST", Some(id)) => {
            let Some(up) = o.uploads.remove(id) else {
                return no_upload();
            };
            let xml = String::from_utf8(req.body.as_ref().unwrap().to_vec()).unwrap();
            let mut data = Vec::new();
            for (n, (etag, part)) in &up {
                assert!(xml.contains(&format!("<PartNumber>{n}</PartNumber><ETag>{etag}</ETag>")));
                data.extend_from_slice(part);
            }
            let crc = crate::crc64::checksum(&data);
            o.completes += 1;
            if let Some(ms) = o.slow_complete_ms {
                o.finishing = Some((key, data, now + ms));
                return Err(Error::Network("timed out after 1000 ms".into()));
            }
            o.objects.insert(key, data);
            if o.lose_complete_answer {
                return Err(Error::Network("connection reset".into()));
            }
            if o.complete_then_503 {
                o.complete_then_503 = false;
                return Ok(oss_error(503, "ServiceUnavailable", "", now));
            }
            Ok(resp(
                200,
                now,
                vec![("x-oss-hash-crc64ecma", crc.to_string())],
                "<CompleteMultipartUploadResult><ETag>\"OBJ-11\"</ETag></CompleteMultipartUploadResult>".into(),
            ))
        }
        ("DELETE", Some(id)) => {
            if o.uploads.remove(id).is_none() {
                return no_upload();
            }
            o.aborts += 1;
            Ok(resp(204, now, vec![], String::new()))
        }
        ("HEAD", None) => match o.finished(now).objects.get(&key) {
            Some(d) => Ok(resp(
                200,
                now,
                vec![
                    (
                        "x-oss-hash-crc64ecma",
                        crate::crc64::checksum(d).to_string(),
                    ),
                    ("etag", "\"OBJ-11\"".into()),
                ],
                String::new(),
            )),
            None => Ok(oss_error(404, "NoSuchKey", "", now)),
        },
        _ => panic!("unexpected {} {}", req.method, req.url),
    }
}

struct Bytes(Rc<Vec<u8>>);

impl PartSource for Bytes {
    type Body = Rc<Vec<u8>>;
    fn slice(&self, start: u64, end: u64) -> Rc<Vec<u8>> {
        Rc::new(self.0[start as usize..end as usize].to_vec())
    }
    fn text(&self, text: &str) -> Rc<Vec<u8>> {
        Rc::new(text.as_bytes().to_vec())
    }
    async fn crc64(&self, start: u64, end: u64) -> Result<u64> {
        Ok(crate::crc64::checksum(
            &self.0[start as usize..end as usize],
        ))
    }
}

#[derive(Default)]
struct Obs<'a> {
    saves: RefCell<Vec<Checkpoint>>,
    discarded: RefCell<Vec<String>>,
    phases: RefCell<Vec<Phase>>,
    done: RefCell<Vec<u32>>,
    abort_after: Option<(usize, &'a FakeTransport)>,
    abort_when_completing: Option<&'a FakeTransport>,
}

impl MultipartObserver for Obs<'_> {
    fn started(&self, _: &Checkpoint) {}
    fn phase(&self, phase: Phase) {
        self.phases.borrow_mut().push(phase);
        if let (Phase::Completing, Some(t)) = (phase, self.abort_when_completing) {
            t.aborted.set(true);
        }
    }
    fn part_started(&self, _: u32) {}
    fn part_done(&self, n: u32, _: u64) {
        self.done.borrow_mut().push(n);
        if let Some((k, t)) = self.abort_after {
            if self.done.borrow().len() >= k {
                t.aborted.set(true);
            }
        }
    }
    async fn save(&self, cp: &Checkpoint) {
        self.saves.borrow_mut().push(cp.clone());
    }
    async fn discard(&self, id: &str) {
        self.discarded.borrow_mut().push(id.to_owned());
    }
}

impl Obs<'_> {
    fn last(&self) -> Checkpoint {
        self.saves.borrow().last().unwrap().clone()
    }
}

struct World {
    clock: Rc<ManualClock>,
    oss: Rc<RefCell<Oss>>,
    t: FakeTransport,
    client: Client<FakeSource>,
    data: Rc<Vec<u8>>,
}

fn world() -> World {
    let clock = ManualClock::at(T0);
    let oss = Rc::new(RefCell::new(Oss::default()));
    let o = Rc::clone(&oss);
    let t = FakeTransport::new(&clock, Box::new(move |req, now| handle(&o, req, now)));
    let client = Client::new(config(), FakeSource::new(&clock, 900_000)).unwrap();
    let data: Vec<u8> = (0..(PARTS - 1) * MIN_PART_SIZE + 5)
        .map(|i| (i * 131 % 251) as u8)
        .collect();
    World {
        clock,
        oss,
        t,
        client,
        data: Rc::new(data),
    }
}

fn input(w: &World, resume: Option<Checkpoint>) -> MultipartInput {
    MultipartInput {
        key: "big/file.bin".into(),
        content_type: "application/octet-stream".into(),
        headers: Vec::new(),
        part_size: Some(MIN_PART_SIZE),
        concurrency: 4,
        fingerprint: Fingerprint {
            name: "file.bin".into(),
            size: w.data.len() as u64,
            ..Fingerprint::default()
        },
        resume,
        origin: "http://localhost:8080".into(),
        verify_crc64: true,
    }
}

/// The part transport: the same fake, borrowed.
struct Part<'a>(&'a FakeTransport);

impl Transport for Part<'_> {
    type Body = Rc<Vec<u8>>;
    async fn send(&self, req: HttpRequest<Self::Body>) -> Result<HttpResponse> {
        self.0.send(req).await
    }
    async fn sleep(&self, ms: u32) {
        self.0.sleep(ms).await;
    }
    fn now_ms(&self) -> i64 {
        self.0.now_ms()
    }
    fn jitter(&self) -> u32 {
        self.0.jitter()
    }
    fn check_aborted(&self) -> Result<()> {
        self.0.check_aborted()
    }
    fn form(&self, fields: &[(String, String)], file: &Self::Body) -> Self::Body {
        self.0.form(fields, file)
    }
}

fn upload(w: &World, obs: &Obs<'_>, resume: Option<Checkpoint>) -> Result<MultipartOutput> {
    let src = Bytes(Rc::clone(&w.data));
    let part_t = |_: u32| Part(&w.t);
    run_one(
        &w.clock,
        w.client
            .multipart_upload(&w.t, &w.t, &part_t, &src, obs, input(w, resume)),
    )
}

fn puts(w: &World) -> Vec<u32> {
    w.oss.borrow().part_puts.iter().map(|(n, _)| *n).collect()
}

#[test]
fn parts_go_four_at_a_time_and_complete_once_with_the_whole_crc() {
    let w = world();
    let obs = Obs::default();
    let out = upload(&w, &obs, None).unwrap();
    let oss = w.oss.borrow();
    assert_eq!(oss.objects["big/file.bin"], *w.data);
    assert_eq!(oss.completes, 1);
    assert_eq!(out.crc64, crate::crc64::checksum(&w.data).to_string());
    assert_eq!(out.etag.as_deref(), Some("\"OBJ-11\""));
    assert_eq!((out.parts, out.parts_reused), (11, 0));
    let mut sent = puts(&w);
    sent.sort_unstable();
    assert_eq!(sent, (1..=11).collect::<Vec<_>>());
    let mut per_instant: BTreeMap<i64, usize> = BTreeMap::new();
    for (_, at) in &oss.part_puts {
        *per_instant.entry(*at).or_default() += 1;
    }
    assert_eq!(per_instant.values().max(), Some(&4), "{per_instant:?}");
    assert_eq!(
        *obs.phases.borrow(),
        [
            Phase::Initiating,
            Phase::Uploading,
            Phase::Completing,
            Phase::Done
        ]
    );
    assert_eq!(*obs.discarded.borrow(), [out.upload_id.clone()]);
    // Checkpoints hold no credential of any kind.
    for cp in obs.saves.borrow().iter() {
        let text = cp.encode();
        assert!(!text.contains("secret") && !text.contains("token") && !text.contains("STS."));
    }
}

#[test]
fn parts_failing_with_503_500_and_dropped_connections_recover_intact() {
    let w = world();
    w.oss.borrow_mut().faults = vec![
        (2, Fault::Status(503, "ServiceUnavailable")),
        (2, Fault::Status(503, "ServiceUnavailable")),
        (3, Fault::Status(500, "InternalError")),
        // More failures than one retry policy allows: the part-level round takes over.
        (5, Fault::Network),
        (5, Fault::Network),
        (5, Fault::Network),
        (5, Fault::Network),
    ];
    let obs = Obs::default();
    upload(&w, &obs, None).unwrap();
    let oss = w.oss.borrow();
    assert_eq!(oss.objects["big/file.bin"], *w.data);
    assert_eq!(oss.completes, 1);
    assert!(oss.faults.is_empty());
}

#[test]
fn a_part_out_of_retries_fails_the_upload_keeping_it_then_resume_sends_only_what_is_missing() {
    let w = world();
    w.oss.borrow_mut().faults = vec![(7, Fault::Status(403, "AccessDenied"))];
    let obs = Obs::default();
    let err = upload(&w, &obs, None).unwrap_err();
    assert_eq!(err.code(), "AccessDenied");
    assert_eq!(w.oss.borrow().completes, 0);
    assert!(obs.discarded.borrow().is_empty(), "checkpoint kept");
    assert_eq!(w.oss.borrow().uploads.len(), 1, "uploadId kept");
    let mut cp = obs.last();
    assert!(!cp.parts.iter().any(|p| p.number == 7));
    let stored: Vec<u32> = w
        .oss
        .borrow()
        .uploads
        .values()
        .next()
        .unwrap()
        .keys()
        .copied()
        .collect();
    // A part that finished after the last save (a reload) is found by ListParts, not re-sent.
    let forgotten = cp.parts.remove(0).number;
    let before = puts(&w).len();
    let obs2 = Obs::default();
    let out = upload(&w, &obs2, Some(cp.clone())).unwrap();
    let resent = &puts(&w)[before..];
    assert!(
        resent.iter().all(|n| !stored.contains(n)),
        "{resent:?} vs {stored:?}"
    );
    assert!(resent.contains(&7));
    assert!(!resent.contains(&forgotten));
    assert_eq!(out.upload_id, cp.upload_id);
    assert_eq!(
        out.parts_reused as usize,
        stored.len(),
        "the forgotten part counts: verified, not sent"
    );
    let oss = w.oss.borrow();
    assert_eq!(oss.completes, 1);
    assert_eq!(oss.objects["big/file.bin"], *w.data);
}

// Regression (review): a checkpoint's parts were reused on its word, without reading the local
// bytes: another file with the same fingerprint (name, size, date, first and last MiB) resumed
// the upload and the object mixed both files, its CRC64 agreeing with the parts OSS held.
#[test]
fn a_resume_with_another_file_of_the_same_fingerprint_keeps_none_of_its_parts() {
    let w = world();
    w.oss.borrow_mut().faults = vec![(9, Fault::Status(403, "AccessDenied"))];
    let obs = Obs::default();
    upload(&w, &obs, None).unwrap_err();
    let cp = obs.last();
    assert!(cp.parts.iter().any(|p| p.number == 3));
    // The other file: the same size, ends and name; parts 3 and 4 differ.
    let mut other = (*w.data).clone();
    let (a, b) = (
        2 * MIN_PART_SIZE as usize + 10,
        4 * MIN_PART_SIZE as usize - 10,
    );
    for byte in &mut other[a..b] {
        *byte ^= 0x5a;
    }
    let w = World {
        data: Rc::new(other),
        ..w
    };
    let before = puts(&w).len();
    let saved_parts = cp.parts.clone();
    let obs2 = Obs::default();
    let out = upload(&w, &obs2, Some(cp)).unwrap();
    // Regression (review): the resume saved a checkpoint without any part before verifying
    // them, losing their CRC-64s to a pause or a closed tab.
    assert_eq!(obs2.saves.borrow()[0].parts, saved_parts);
    let resent = &puts(&w)[before..];
    assert!(resent.contains(&3) && resent.contains(&4), "{resent:?}");
    assert!(!resent.contains(&1) && !resent.contains(&5), "{resent:?}");
    assert_eq!(w.oss.borrow().objects["big/file.bin"], *w.data);
    assert_eq!(out.crc64, crate::crc64::checksum(&w.data).to_string());
}

#[test]
fn a_wrong_part_crc_is_resent_and_a_persistent_one_fails_with_crc_mismatch() {
    let w = world();
    w.oss.borrow_mut().bad_crc.insert(2, 1);
    let obs = Obs::default();
    upload(&w, &obs, None).unwrap();
    assert_eq!(puts(&w).iter().filter(|n| **n == 2).count(), 2);

    let w = world();
    w.oss.borrow_mut().bad_crc.insert(3, 100);
    let obs = Obs::default();
    let err = upload(&w, &obs, None).unwrap_err();
    assert_eq!(err.code(), "CrcMismatch");
    assert!(err.to_string().contains("part 3"), "{err}");
    assert_eq!(w.oss.borrow().completes, 0);
}

#[test]
fn a_lost_complete_answer_is_confirmed_by_head_and_never_resent() {
    let w = world();
    w.oss.borrow_mut().lose_complete_answer = true;
    let obs = Obs::default();
    let out = upload(&w, &obs, None).unwrap();
    assert_eq!(out.crc64, crate::crc64::checksum(&w.data).to_string());
    assert_eq!(w.oss.borrow().completes, 1);
    let completes_sent =
        w.t.sent
            .borrow()
            .iter()
            .filter(|r| r.method == "POST" && r.url.contains("uploadId="))
            .count();
    assert_eq!(completes_sent, 1);
}

#[test]
fn a_complete_that_landed_but_answered_503_is_confirmed_not_repeated_into_an_error() {
    let w = world();
    w.oss.borrow_mut().complete_then_503 = true;
    let obs = Obs::default();
    let out = upload(&w, &obs, None).unwrap();
    assert_eq!(out.crc64, crate::crc64::checksum(&w.data).to_string());
    assert_eq!(w.oss.borrow().completes, 1);
    assert_eq!(w.t.count("HEAD"), 1, "confirmed with HeadObject");
}

#[test]
fn a_complete_that_finishes_after_its_timeout_is_found_by_looking_again() {
    let w = world();
    w.oss.borrow_mut().slow_complete_ms = Some(2_500);
    let obs = Obs::default();
    let out = upload(&w, &obs, None).unwrap();
    assert_eq!(out.crc64, crate::crc64::checksum(&w.data).to_string());
    assert_eq!(w.oss.borrow().completes, 1);
    assert_eq!(
        w.t.count("POST") - 1,
        1,
        "Complete sent once (plus Initiate)"
    );
    // At once, after 1 s (not yet), after 1 + 2 s (done at 2.5 s).
    assert_eq!(w.t.count("HEAD"), 3);
    assert_eq!(obs.discarded.borrow().len(), 1, "checkpoint discarded");
}

#[test]
fn a_complete_that_never_lands_fails_after_looking_for_15_s_and_keeps_its_checkpoint() {
    let w = world();
    w.oss.borrow_mut().slow_complete_ms = Some(i64::MAX / 2);
    let obs = Obs::default();
    let t0 = w.clock.now();
    let err = upload(&w, &obs, None).unwrap_err();
    assert_eq!(err.code(), "NetworkError");
    assert_eq!(w.t.count("HEAD"), 5, "at once, then after 1, 2, 4 and 8 s");
    assert!(w.clock.now() - t0 >= 15_000);
    let cp = obs.last();
    assert!(
        cp.completing,
        "it may still land: resume looks before sending anything"
    );
    assert!(obs.discarded.borrow().is_empty());
    assert_eq!(w.oss.borrow().completes, 1);
}

#[test]
fn a_pause_while_looking_for_a_late_complete_keeps_the_checkpoint_completing() {
    let w = world();
    w.oss.borrow_mut().slow_complete_ms = Some(i64::MAX / 2);
    let obs = Obs::default();
    let src = Bytes(Rc::clone(&w.data));
    let part_t = |_: u32| Part(&w.t);
    let start = w.clock.now();
    let out = crate::upload::testing::run_all(
        &w.clock,
        vec![
            Box::pin(async {
                let r = w
                    .client
                    .multipart_upload(&w.t, &w.t, &part_t, &src, &obs, input(&w, None))
                    .await;
                r.map(|_| ()).map_err(|e| e.code().to_owned())
            }),
            Box::pin(async {
                // Parts and the Complete take well under 2 s here; the looks go on for 15 s.
                w.clock.sleep(4_000).await;
                assert_eq!(w.oss.borrow().completes, 1, "the Complete was sent");
                w.t.aborted.set(true);
                Ok(())
            }),
        ],
    );
    assert_eq!(out[0], Err("RequestAborted".to_owned()));
    assert!(
        w.clock.now() - start < 15_000,
        "stopped looking when paused"
    );
    assert!(w.t.count("HEAD") < 5);
    assert!(
        obs.last().completing,
        "it may still land: resume looks first"
    );
}

#[test]
fn resuming_a_checkpoint_whose_complete_landed_does_not_complete_again() {
    let w = world();
    let obs = Obs::default();
    upload(&w, &obs, None).unwrap();
    let completing = obs
        .saves
        .borrow()
        .iter()
        .find(|c| c.completing)
        .cloned()
        .unwrap();
    let sent_before = w.t.sent.borrow().len();
    let obs2 = Obs::default();
    let out = upload(&w, &obs2, Some(completing)).unwrap();
    assert_eq!(out.parts_reused, 11);
    assert_eq!(w.oss.borrow().completes, 1);
    let methods: Vec<String> = w.t.sent.borrow()[sent_before..]
        .iter()
        .map(|r| r.method.clone())
        .collect();
    assert_eq!(methods, ["GET", "HEAD"]);
}

#[test]
fn a_resumed_upload_that_oss_forgot_starts_over() {
    let w = world();
    let obs = Obs::default();
    let mut cp = Checkpoint {
        upload_id: "GONE".into(),
        bucket: "demo".into(),
        key: "big/file.bin".into(),
        part_size: MIN_PART_SIZE,
        ..Checkpoint::default()
    };
    cp.fingerprint.size = w.data.len() as u64;
    let out = upload(&w, &obs, Some(cp)).unwrap();
    assert_ne!(out.upload_id, "GONE");
    assert!(obs.discarded.borrow().contains(&"GONE".to_owned()));
    assert_eq!(w.oss.borrow().objects["big/file.bin"], *w.data);
}

#[test]
fn an_upload_that_oss_forgets_mid_way_fails_clearly_and_drops_its_checkpoint() {
    let w = world();
    w.oss.borrow_mut().faults = vec![(6, Fault::Status(404, "NoSuchUpload"))];
    let obs = Obs::default();
    let err = upload(&w, &obs, None).unwrap_err();
    assert_eq!(err.code(), "NoSuchUpload");
    let Error::Service(s) = &err else {
        panic!("{err:?}")
    };
    assert!(
        s.diagnosis
            .as_deref()
            .unwrap()
            .contains("checkpoint was discarded"),
        "{s:?}"
    );
    assert_eq!(obs.discarded.borrow().len(), 1, "checkpoint discarded");
    assert_eq!(w.oss.borrow().completes, 0);
    assert_eq!(
        w.oss.borrow().part_puts.iter().filter(|p| p.0 == 6).count(),
        1,
        "not retried"
    );
}

#[test]
fn a_hidden_part_etag_stops_with_the_cors_rule() {
    let w = world();
    w.oss.borrow_mut().hide_etag = true;
    let obs = Obs::default();
    let err = upload(&w, &obs, None).unwrap_err();
    assert_eq!(err.code(), "CorsExposeHeadersMissing");
    let m = err.to_string();
    assert!(m.contains("AllowedOrigin http://localhost:8080"), "{m}");
    assert!(
        m.contains("ExposeHeader ETag, x-oss-request-id, x-oss-hash-crc64ecma"),
        "{m}"
    );
    assert!(puts(&w).len() <= 4, "no part after the first answers");
}

#[test]
fn a_hidden_part_crc64_stops_with_the_cors_rule_unless_verification_is_off() {
    let w = world();
    w.oss.borrow_mut().hide_crc = true;
    let obs = Obs::default();
    let err = upload(&w, &obs, None).unwrap_err();
    assert_eq!(err.code(), "CorsExposeHeadersMissing");
    let m = err.to_string();
    assert!(
        m.contains("cannot read the x-oss-hash-crc64ecma header"),
        "{m}"
    );
    assert!(
        m.contains("ExposeHeader ETag, x-oss-request-id, x-oss-hash-crc64ecma"),
        "{m}"
    );
    assert!(m.contains("verifyCrc64: false"), "{m}");
    assert_eq!(w.oss.borrow().completes, 0);
    // Opting out: the upload completes (CRC64s still computed for the result).
    let src = Bytes(Rc::clone(&w.data));
    let part_t = |_: u32| Part(&w.t);
    let mut inp = input(&w, None);
    inp.verify_crc64 = false;
    let obs = Obs::default();
    let out = run_one(
        &w.clock,
        w.client
            .multipart_upload(&w.t, &w.t, &part_t, &src, &obs, inp),
    )
    .unwrap();
    assert_eq!(out.crc64, crate::crc64::checksum(&w.data).to_string());
    assert_eq!(w.oss.borrow().objects["big/file.bin"], *w.data);
}

#[test]
fn an_abort_stops_sending_parts_and_never_completes() {
    let w = world();
    let obs = Obs {
        abort_after: Some((3, &w.t)),
        ..Obs::default()
    };
    let err = upload(&w, &obs, None).unwrap_err();
    assert_eq!(err.code(), "RequestAborted");
    assert!(puts(&w).len() < 11);
    assert_eq!(w.oss.borrow().completes, 0);
    assert!(
        obs.last().parts.len() >= 3,
        "finished parts kept for resume"
    );
}

/// A transport an abort does not cancel: the initiate request reaches OSS whatever happens, and
/// the abort (set on `abort`) arrives while it is in flight.
struct Quiet<'a> {
    t: &'a FakeTransport,
    abort: &'a FakeTransport,
}

impl Transport for Quiet<'_> {
    type Body = Rc<Vec<u8>>;
    async fn send(&self, req: HttpRequest<Self::Body>) -> Result<HttpResponse> {
        self.t.sent.borrow_mut().push(req.clone());
        self.abort.aborted.set(true);
        self.t.clock.sleep(self.t.latency_ms).await;
        let now = self.t.clock.now();
        (self.t.handler.borrow())(&req, now)
    }
    async fn sleep(&self, ms: u32) {
        self.t.sleep(ms).await;
    }
    fn now_ms(&self) -> i64 {
        self.t.now_ms()
    }
    fn jitter(&self) -> u32 {
        self.t.jitter()
    }
    fn form(&self, fields: &[(String, String)], file: &Self::Body) -> Self::Body {
        self.t.form(fields, file)
    }
}

#[test]
fn an_abort_while_initiating_aborts_the_upload_it_created() {
    let w = world();
    let oss = Rc::clone(&w.oss);
    let quiet_t = FakeTransport::new(&w.clock, Box::new(move |req, now| handle(&oss, req, now)));
    let quiet = Quiet {
        t: &quiet_t,
        abort: &w.t,
    };
    let src = Bytes(Rc::clone(&w.data));
    let part_t = |_: u32| Part(&w.t);
    let obs = Obs::default();
    let err = run_one(
        &w.clock,
        w.client
            .multipart_upload(&w.t, &quiet, &part_t, &src, &obs, input(&w, None)),
    )
    .unwrap_err();
    assert_eq!(err.code(), "RequestAborted");
    let o = w.oss.borrow();
    assert_eq!(o.next_id, 1, "initiated once");
    assert_eq!(o.aborts, 1, "and aborted");
    assert!(o.uploads.is_empty(), "nothing left on OSS");
    assert!(o.part_puts.is_empty());
    assert!(obs.saves.borrow().is_empty(), "no checkpoint");
    // Aborted before it starts: nothing is sent at all.
    drop(o);
    let w = world();
    w.t.aborted.set(true);
    let obs = Obs::default();
    assert_eq!(upload(&w, &obs, None).unwrap_err().code(), "RequestAborted");
    assert!(w.t.sent.borrow().is_empty());
}

#[test]
fn short_lived_credentials_are_renewed_during_a_long_upload() {
    let mut w = world();
    w.client = Client::new(config(), FakeSource::new(&w.clock, 20_000)).unwrap();
    w.t.latency_ms = 6_000; // each part takes 6 s: the upload lasts ~18 s per 4 parts
    let obs = Obs::default();
    upload(&w, &obs, None).unwrap();
    let oss = w.oss.borrow();
    let distinct: std::collections::BTreeSet<&String> = oss.tokens.iter().collect();
    assert!(distinct.len() >= 2, "{distinct:?}");
    assert_eq!(oss.objects["big/file.bin"], *w.data);
    // Every part was signed when it was sent: its x-oss-date is the send instant.
    for r in w.t.sent.borrow().iter() {
        assert!(header(r, "x-oss-date").is_some());
    }
}

#[test]
fn uploads_with_many_parts_save_their_checkpoint_at_most_every_two_seconds() {
    let mut w = world();
    let data: Vec<u8> = (0..600 * MIN_PART_SIZE).map(|i| (i % 253) as u8).collect();
    w.data = Rc::new(data);
    let obs = Obs::default();
    upload(&w, &obs, None).unwrap();
    let saves = obs.saves.borrow().len();
    // 600 parts, 4 at a time, 20 ms each: 3 s of uploading.
    assert!((3..=8).contains(&saves), "{saves} saves");
    assert_eq!(w.oss.borrow().objects["big/file.bin"], *w.data);
}

#[test]
fn a_pause_during_complete_keeps_the_checkpoint_completing_and_resume_finishes_once() {
    let w = world();
    let obs = Obs {
        abort_when_completing: Some(&w.t),
        ..Obs::default()
    };
    let err = upload(&w, &obs, None).unwrap_err();
    assert_eq!(err.code(), "RequestAborted");
    let cp = obs.last();
    assert!(cp.completing, "it may have landed: never assume it did not");
    assert_eq!(cp.parts.len(), 11);
    w.t.aborted.set(false);
    let obs2 = Obs::default();
    let out = upload(&w, &obs2, Some(cp)).unwrap();
    assert_eq!(out.parts_reused, 11);
    assert_eq!(w.oss.borrow().completes, 1);
    assert_eq!(w.oss.borrow().objects["big/file.bin"], *w.data);
}
