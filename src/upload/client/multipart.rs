//! Multipart uploads through the [`Client`]: Initiate, parts sent by a bounded number of workers
//! (each part hashed, signed just before it is sent, retried, its CRC64 checked), checkpoints
//! saved as parts finish, resume reconciled with ListParts, and a CompleteMultipartUpload that
//! is never sent twice.

use super::{cors_hint, is_code, Built, Client};
use crate::credentials::cache::CredentialSource;
use crate::error::{Error, Result};
use crate::names::ObjectKey;
use crate::signer;
use crate::upload::multipart::{
    complete_xml, join2, join_all, object_crc, parse_initiate, parse_list_parts, reconcile,
    Checkpoint, DonePart, Fingerprint, ListedPart, MultipartObserver, PartPlan, PartQueue,
    PartSource, PartState, Phase,
};
use crate::upload::retry::is_retryable;
use crate::upload::transport::{HttpRequest, HttpResponse, Transport};
use crate::upload::xml;
use core::cell::{Cell, RefCell};
use core::future::Future;
use core::pin::Pin;

/// Extra rounds a part gets after the client's retry policy is exhausted (each round is a full
/// set of attempts), so one flaky part does not fail a long upload.
const PART_ROUNDS: u32 = 2;

/// Above this many parts, checkpoints are saved at most every [`THROTTLED_SAVE_MS`]: each save
/// writes every finished part, so saving after each of 10,000 parts would write gigabytes. Parts
/// finished since the last save are found again by ListParts and kept after a local CRC64 check.
const SAVE_EVERY_PART_UP_TO: u32 = 500;
/// Minimum interval between checkpoint saves of uploads with many parts.
const THROTTLED_SAVE_MS: i64 = 2_000;

/// What [`Client::multipart_upload`] uploads.
#[derive(Debug, Clone)]
pub struct MultipartInput {
    /// Object key.
    pub key: String,
    /// The resolved Content-Type (sent with InitiateMultipartUpload).
    pub content_type: String,
    /// Other upload headers (already checked), sent with InitiateMultipartUpload.
    pub headers: Vec<(String, String)>,
    /// Bytes per part; `None` chooses.
    pub part_size: Option<u64>,
    /// Parts in flight.
    pub concurrency: usize,
    /// The file (its size is the object's).
    pub fingerprint: Fingerprint,
    /// A checkpoint to resume from.
    pub resume: Option<Checkpoint>,
    /// The page's origin, for the CORS rule in error messages ("" when unknown).
    pub origin: String,
    /// Compare each part's CRC64 with OSS's `x-oss-hash-crc64ecma` (and fail when the browser
    /// cannot read it); `false` skips the comparisons, the CRC64s are still computed.
    pub verify_crc64: bool,
}

/// The result of a multipart upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultipartOutput {
    /// Object key.
    pub key: String,
    /// The object's ETag (`"<HEX>-<N>"`).
    pub etag: Option<String>,
    /// `x-oss-request-id` of CompleteMultipartUpload.
    pub request_id: Option<String>,
    /// The object's CRC64 (decimal), computed here and checked against OSS's.
    pub crc64: String,
    /// The upload's id.
    pub upload_id: String,
    /// The object's URL (unsigned).
    pub url: String,
    /// Parts in all.
    pub parts: u32,
    /// Parts found already stored when resuming.
    pub parts_reused: u32,
}

/// The error for a part answer whose `header` the browser hid, with the CORS rule to add.
pub fn cors_expose_missing(origin: &str, header: &str) -> Error {
    let etag = header == "ETag";
    let mut m = String::from("the browser cannot read the ");
    m.push_str(header);
    m.push_str(" header of uploaded parts, so ");
    m.push_str(if etag {
        "the upload could not be completed"
    } else {
        "their bytes could not be checked"
    });
    m.push_str(": the bucket's CORS rule does not expose it. Add this CORS rule to the bucket: ");
    m.push_str(&cors_hint(origin, "GET, PUT, POST, DELETE, HEAD").replacen(
        "if the bucket has no CORS rule for this page, add one: ",
        "",
        1,
    ));
    m.push_str(" (the ExposeHeader list must include ");
    m.push_str(header);
    m.push(')');
    if !etag {
        m.push_str(", or pass verifyCrc64: false to upload without this check");
    }
    Error::CorsExposeHeadersMissing(m)
}

/// `NoSuchUpload` from UploadPart, with a diagnosis saying what happened to the checkpoint.
fn upload_gone(e: Error) -> Error {
    match e {
        Error::Service(mut s) => {
            s.diagnosis = Some(String::from(
                "the multipart upload no longer exists on OSS (aborted, or removed by a bucket \
                 lifecycle rule); its checkpoint was discarded: call multipartUpload again to \
                 start over",
            ));
            Error::Service(s)
        }
        other => other,
    }
}

impl<S: CredentialSource> Client<S> {
    /// Sends one request on `key` signed with fresh credentials on every attempt.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn send_signed<T: Transport>(
        &self,
        t: &T,
        method: &str,
        key: &str,
        headers: Vec<(String, String)>,
        query: Vec<(String, Option<String>)>,
        body: Option<T::Body>,
        idempotent: bool,
    ) -> Result<HttpResponse> {
        let req = self.request(method, key, headers, query)?;
        self.exchange(t, idempotent, true, &mut |creds, now| {
            let creds = creds.ok_or(Error::CredentialsExpired)?;
            let mut keys = self.keys.borrow_mut();
            let s = signer::sign_request(&req, creds, now, &mut keys);
            Ok(Built {
                req: HttpRequest {
                    method: s.method,
                    url: s.url,
                    headers: s.headers,
                    body: body.clone(),
                },
                signed: Some((s.canonical_request, s.string_to_sign)),
            })
        })
        .await
    }

    /// InitiateMultipartUpload: returns the uploadId.
    pub async fn initiate_multipart_upload<T: Transport>(
        &self,
        t: &T,
        key: &str,
        content_type: &str,
        mut headers: Vec<(String, String)>,
    ) -> Result<String> {
        headers.push(("Content-Type".to_owned(), content_type.to_owned()));
        let resp = self
            .send_signed(
                t,
                "POST",
                key,
                headers,
                vec![("uploads".to_owned(), None)],
                None,
                true,
            )
            .await?;
        parse_initiate(&resp.body)
    }

    /// UploadPart: one attempt sequence for part `n` (retries on 5xx/429/network).
    pub async fn upload_part<T: Transport>(
        &self,
        t: &T,
        key: &str,
        upload_id: &str,
        n: u32,
        body: T::Body,
    ) -> Result<HttpResponse> {
        self.send_signed(
            t,
            "PUT",
            key,
            Vec::new(),
            vec![
                ("partNumber".to_owned(), Some(n.to_string())),
                ("uploadId".to_owned(), Some(upload_id.to_owned())),
            ],
            Some(body),
            true,
        )
        .await
    }

    /// ListParts, every page.
    pub async fn list_parts<T: Transport>(
        &self,
        t: &T,
        key: &str,
        upload_id: &str,
    ) -> Result<Vec<ListedPart>> {
        let mut all = Vec::new();
        let mut marker: Option<u32> = None;
        for _ in 0..20 {
            let mut query = vec![
                ("max-parts".to_owned(), Some("1000".to_owned())),
                ("uploadId".to_owned(), Some(upload_id.to_owned())),
            ];
            if let Some(m) = marker {
                query.push(("part-number-marker".to_owned(), Some(m.to_string())));
            }
            let resp = self
                .send_signed(t, "GET", key, Vec::new(), query, None, true)
                .await?;
            let page = parse_list_parts(&resp.body)?;
            all.extend(page.parts);
            match (page.truncated, page.next_marker) {
                (true, Some(m)) if Some(m) != marker => marker = Some(m),
                _ => return Ok(all),
            }
        }
        Ok(all)
    }

    /// AbortMultipartUpload: OSS deletes the upload and its parts.
    pub async fn abort_multipart_upload<T: Transport>(
        &self,
        t: &T,
        key: &str,
        upload_id: &str,
    ) -> Result<()> {
        ObjectKey::new(key)?;
        self.send_signed(
            t,
            "DELETE",
            key,
            Vec::new(),
            vec![("uploadId".to_owned(), Some(upload_id.to_owned()))],
            None,
            true,
        )
        .await
        .map(|_| ())
    }

    /// CompleteMultipartUpload with the given XML body; network failures are not retried (the
    /// first attempt may have landed, and a second one would answer NoSuchUpload).
    async fn complete_multipart_upload<T: Transport, P: PartSource<Body = T::Body>>(
        &self,
        t: &T,
        src: &P,
        key: &str,
        upload_id: &str,
        xml_body: &str,
    ) -> Result<HttpResponse> {
        self.send_signed(
            t,
            "POST",
            key,
            vec![("Content-Type".to_owned(), "application/xml".to_owned())],
            vec![("uploadId".to_owned(), Some(upload_id.to_owned()))],
            Some(src.text(xml_body)),
            false,
        )
        .await
    }

    /// HeadObject, to learn whether a CompleteMultipartUpload whose answer was lost landed:
    /// `Some` when the object exists with the CRC64 `crc`.
    async fn stored_with_crc<T: Transport>(
        &self,
        t: &T,
        key: &str,
        crc: u64,
    ) -> Option<HttpResponse> {
        let resp = self
            .send_signed(t, "HEAD", key, Vec::new(), Vec::new(), None, true)
            .await
            .ok()?;
        let stored: u64 = resp.header("x-oss-hash-crc64ecma")?.trim().parse().ok()?;
        (stored == crc).then_some(resp)
    }

    /// Uploads a file in parts: initiates (or resumes `input.resume`, reconciled with
    /// ListParts), sends the missing parts with `input.concurrency` in flight, saves a
    /// checkpoint as parts finish, and completes once, checking the object's CRC64.
    ///
    /// On failure the uploadId and checkpoint are kept (the caller may resume or abort).
    ///
    /// `part_t(n)` makes the transport that sends part `n` (the browser's carries that part's
    /// upload events); InitiateMultipartUpload goes through `quiet`, which an abort does not
    /// cancel (an upload created by an initiate whose answer is awaited can be aborted, one whose
    /// answer is dropped cannot); everything else goes through `t`. An abort while initiating
    /// waits for the answer, then sends AbortMultipartUpload.
    #[allow(clippy::too_many_lines)] // one sequence: resume or initiate, parts, complete
    pub async fn multipart_upload<T, Q, PT, P, O>(
        &self,
        t: &T,
        quiet: &Q,
        part_t: &dyn Fn(u32) -> PT,
        src: &P,
        obs: &O,
        input: MultipartInput,
    ) -> Result<MultipartOutput>
    where
        T: Transport,
        Q: Transport<Body = T::Body>,
        PT: Transport<Body = T::Body>,
        P: PartSource<Body = T::Body>,
        O: MultipartObserver,
    {
        let key = ObjectKey::new(&input.key)?;
        let size = input.fingerprint.size;
        let concurrency = input.concurrency.clamp(1, 64);
        obs.phase(Phase::Initiating);
        let mut resumed: Option<(Checkpoint, Vec<ListedPart>)> = None;
        if let Some(cp) = input.resume {
            match self.list_parts(t, key.as_str(), &cp.upload_id).await {
                Ok(listed) => resumed = Some((cp, listed)),
                Err(e) if is_code(&e, "NoSuchUpload") => {
                    // Completed (answer lost) or aborted/expired.
                    if cp.completing {
                        if let Some(out) = self.confirm_completed(t, obs, &key, &cp).await {
                            return Ok(out);
                        }
                    }
                    obs.discard(&cp.upload_id).await;
                }
                Err(e) => return Err(e),
            }
        }
        let now = t.now_ms();
        let (mut cp, states) = if let Some((mut cp, listed)) = resumed {
            let plan = PartPlan::new(size, Some(cp.part_size))?;
            let states = reconcile(&plan, &cp.parts, &listed);
            cp.completing = false;
            (cp, states)
        } else {
            let plan = PartPlan::new(size, input.part_size)?;
            t.check_aborted()?;
            // Not cancelled by an abort: once sent, it may create an upload whose id only its
            // answer tells, so the answer is awaited and the upload aborted if no longer wanted.
            let upload_id = self
                .initiate_multipart_upload(quiet, key.as_str(), &input.content_type, input.headers)
                .await?;
            if t.check_aborted().is_err() {
                let _ = self
                    .abort_multipart_upload(quiet, key.as_str(), &upload_id)
                    .await;
                return Err(Error::Aborted);
            }
            let cp = Checkpoint {
                upload_id,
                bucket: self.cfg.bucket.as_str().to_owned(),
                key: key.as_str().to_owned(),
                part_size: plan.part_size,
                content_type: input.content_type,
                fingerprint: input.fingerprint,
                parts: Vec::new(),
                completing: false,
                created_ms: now,
                updated_ms: now,
            };
            let n = plan.count as usize;
            (cp, vec![PartState::Upload; n])
        };
        let plan = PartPlan::new(size, Some(cp.part_size))?;
        // The checkpoint's parts count once verified; until then they stay in what is saved
        // (a pause or a closed tab mid-verification must not lose their CRC-64s).
        let pending = core::mem::take(&mut cp.parts);
        let mut todo = Vec::new();
        let mut verify = Vec::new();
        for (n, state) in (1..=plan.count).zip(states) {
            match state {
                PartState::Verify { etag, crc64 } => {
                    verify.push((n, etag, crc64));
                    todo.push(n);
                }
                PartState::Upload => todo.push(n),
            }
        }
        cp.updated_ms = t.now_ms();
        let saved = with_pending(&cp, &pending);
        obs.started(&saved);
        obs.save(&saved).await;
        obs.phase(Phase::Uploading);
        let job = Job {
            client: self,
            t,
            part_t,
            src,
            obs,
            key: &key,
            plan,
            origin: &input.origin,
            queue: PartQueue::new(todo),
            verify,
            pending,
            cp: RefCell::new(cp),
            error: RefCell::new(None),
            etag_seen: Cell::new(false),
            verify_crc64: input.verify_crc64,
            crc_seen: Cell::new(false),
            saving: Cell::new(false),
            dirty: Cell::new(false),
            last_save: Cell::new(t.now_ms()),
            verified: Cell::new(0),
        };
        let workers: Vec<Pin<Box<dyn Future<Output = ()> + '_>>> = (0..concurrency)
            .map(|_| Box::pin(job.worker()) as Pin<Box<dyn Future<Output = ()> + '_>>)
            .collect();
        join_all(workers).await;
        let reused = job.verified.get();
        let pending = job.pending;
        let mut cp = job.cp.into_inner();
        if let Some(e) = job.error.into_inner() {
            if is_code(&e, "NoSuchUpload") {
                // Aborted elsewhere or removed by a lifecycle rule: nothing left to resume.
                obs.discard(&cp.upload_id).await;
                return Err(upload_gone(e));
            }
            cp.updated_ms = t.now_ms();
            obs.save(&with_pending(&cp, &pending)).await;
            return Err(e);
        }
        t.check_aborted()?;
        self.complete(t, src, obs, &key, &plan, cp, reused, input.verify_crc64)
            .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn complete<T, P, O>(
        &self,
        t: &T,
        src: &P,
        obs: &O,
        key: &ObjectKey,
        plan: &PartPlan,
        mut cp: Checkpoint,
        reused: u32,
        verify_crc64: bool,
    ) -> Result<MultipartOutput>
    where
        T: Transport,
        P: PartSource<Body = T::Body>,
        O: MultipartObserver,
    {
        // Parts are kept in ascending order (`Job::record`, `reconcile`).
        let ours = object_crc(plan, &cp.parts);
        cp.completing = true;
        cp.updated_ms = t.now_ms();
        obs.save(&cp).await;
        obs.phase(Phase::Completing);
        let body = complete_xml(cp.parts.iter().map(|p| (p.number, p.etag.as_str())));
        let resp = match self
            .complete_multipart_upload(t, src, key.as_str(), &cp.upload_id, &body)
            .await
        {
            Ok(r) => r,
            Err(Error::Aborted) => {
                // Paused or aborted mid-Complete: it may have landed, so it stays "completing"
                // (a resume looks before it sends anything).
                cp.updated_ms = t.now_ms();
                obs.save(&cp).await;
                return Err(Error::Aborted);
            }
            Err(e) if matches!(e, Error::Network(_)) || is_code(&e, "NoSuchUpload") => {
                // The answer was lost (or an earlier attempt landed): look, never send it again.
                // After a network failure (a timeout among them) OSS may still be completing
                // it, so look again a few times before giving up.
                let looks = if matches!(e, Error::Network(_)) {
                    CONFIRM_DELAYS_MS.len()
                } else {
                    0
                };
                let mut head = self.stored_with_crc(t, key.as_str(), ours).await;
                for &ms in CONFIRM_DELAYS_MS.iter().take(looks) {
                    if head.is_some() || t.check_aborted().is_err() {
                        break;
                    }
                    t.sleep(ms).await;
                    head = self.stored_with_crc(t, key.as_str(), ours).await;
                }
                let Some(head) = head else {
                    cp.updated_ms = t.now_ms();
                    obs.save(&cp).await;
                    // Paused while looking: it stays "completing" (a resume looks first).
                    if t.check_aborted().is_err() {
                        return Err(Error::Aborted);
                    }
                    // Regression (review): a Complete re-sent by the browser after its answer
                    // was lost finds the upload gone; without GetObject the look cannot tell.
                    return Err(match e {
                        Error::Service(mut se) if se.code == "NoSuchUpload" => {
                            se.diagnosis = Some(String::from(
                                "the upload is gone when completing it: a CompleteMultipartUpload whose answer was lost (and which the browser may have sent again) stored the object, or the upload was aborted; HeadObject could not tell which (it needs oss:GetObject in the STS policy): check the object before uploading again",
                            ));
                            Error::Service(se)
                        }
                        other => other,
                    });
                };
                head
            }
            Err(e) => {
                cp.completing = false;
                cp.updated_ms = t.now_ms();
                obs.save(&cp).await;
                return Err(e);
            }
        };
        obs.discard(&cp.upload_id).await;
        let stored = resp
            .header("x-oss-hash-crc64ecma")
            .map(str::trim)
            .filter(|_| verify_crc64);
        if let Some(s) = stored.filter(|s| !s.is_empty()) {
            if s != ours.to_string() {
                let mut m = String::from("the stored object ");
                m.push_str(key.as_str());
                m.push_str(" has CRC64 ");
                m.push_str(s);
                m.push_str(" but its parts as sent combine to ");
                m.push_str(&ours.to_string());
                m.push_str(": upload it again");
                return Err(Error::CrcMismatch(m));
            }
        }
        obs.phase(Phase::Done);
        Ok(MultipartOutput {
            key: key.as_str().to_owned(),
            etag: resp
                .header("etag")
                .map(str::to_owned)
                .or_else(|| xml::element(&resp.body, "ETag")),
            request_id: resp.header("x-oss-request-id").map(str::to_owned),
            crc64: ours.to_string(),
            upload_id: cp.upload_id,
            url: self.object_url(key),
            parts: plan.count,
            parts_reused: reused,
        })
    }

    /// A checkpoint marked completing whose upload is gone: the object is ours if it exists with
    /// the CRC64 of every part.
    async fn confirm_completed<T: Transport, O: MultipartObserver>(
        &self,
        t: &T,
        obs: &O,
        key: &ObjectKey,
        cp: &Checkpoint,
    ) -> Option<MultipartOutput> {
        let plan = PartPlan::new(cp.fingerprint.size, Some(cp.part_size)).ok()?;
        if cp.parts.len() != plan.count as usize {
            return None;
        }
        let crc = object_crc(&plan, &cp.parts);
        let head = self.stored_with_crc(t, key.as_str(), crc).await?;
        obs.discard(&cp.upload_id).await;
        obs.phase(Phase::Done);
        Some(MultipartOutput {
            key: key.as_str().to_owned(),
            etag: head.header("etag").map(str::to_owned),
            request_id: head.header("x-oss-request-id").map(str::to_owned),
            crc64: crc.to_string(),
            upload_id: cp.upload_id.clone(),
            url: self.object_url(key),
            parts: plan.count,
            parts_reused: plan.count,
        })
    }
}

/// Waits between the HeadObjects that look for a CompleteMultipartUpload whose answer never
/// came (a timeout, a dropped connection): OSS may finish a Complete after the client stopped
/// waiting (one with many parts can take a while), and seeing the object saves a `resume`. 15 s
/// in all; a Complete that never reached OSS fails that much later, its checkpoint kept.
const CONFIRM_DELAYS_MS: [u32; 4] = [1_000, 2_000, 4_000, 8_000];

/// One running upload's shared state.
struct Job<'a, S, T: Transport, PT, P, O> {
    client: &'a Client<S>,
    t: &'a T,
    part_t: &'a dyn Fn(u32) -> PT,
    src: &'a P,
    obs: &'a O,
    key: &'a ObjectKey,
    plan: PartPlan,
    origin: &'a str,
    queue: PartQueue,
    /// `(part, ETag, CRC64)` listed by OSS but unknown to the checkpoint, ascending.
    verify: Vec<(u32, String, Option<u64>)>,
    /// The resumed checkpoint's parts, saved with the finished ones until verified.
    pending: Vec<DonePart>,
    cp: RefCell<Checkpoint>,
    error: RefCell<Option<Error>>,
    etag_seen: Cell<bool>,
    /// Compare parts' CRC64s with OSS's.
    verify_crc64: bool,
    crc_seen: Cell<bool>,
    saving: Cell<bool>,
    dirty: Cell<bool>,
    last_save: Cell<i64>,
    /// Parts found stored by ListParts, not in the checkpoint, kept after a CRC64 check.
    verified: Cell<u32>,
}

impl<S, T, PT, P, O> Job<'_, S, T, PT, P, O>
where
    S: CredentialSource,
    T: Transport,
    PT: Transport<Body = T::Body>,
    P: PartSource<Body = T::Body>,
    O: MultipartObserver,
{
    async fn worker(&self) {
        while let Some(n) = self.queue.pop() {
            match self.part(n).await {
                Ok(done) => self.record(done).await,
                Err(e) => {
                    self.queue.stop();
                    let mut slot = self.error.borrow_mut();
                    // Keep the first real cause; an abort seen by others is a consequence.
                    if slot.is_none() || matches!(*slot, Some(Error::Aborted)) {
                        *slot = Some(e);
                    }
                }
            }
        }
    }

    /// Hashes, sends and checks part `n`.
    async fn part(&self, n: u32) -> Result<DonePart> {
        let (start, end) = self.plan.range(n);
        self.t.check_aborted()?;
        let listed = self
            .verify
            .binary_search_by_key(&n, |v| v.0)
            .ok()
            .and_then(|i| self.verify.get(i));
        // Known only once hashed: a part to send is hashed while it goes up (the CRC64 is
        // needed only to check OSS's answer), a part OSS may already hold is hashed first.
        let mut crc = None;
        if let Some((_, etag, listed)) = listed {
            let local = self.src.crc64(start, end).await?;
            if *listed == Some(local) {
                self.verified.set(self.verified.get() + 1);
                return Ok(DonePart {
                    number: n,
                    etag: etag.clone(),
                    crc64: local,
                });
            }
            crc = Some(local);
        }
        let upload_id = self.cp.borrow().upload_id.clone();
        let retry = self.client.cfg.retry;
        let mut round = 0u32;
        let mut crc_failures = 0u32;
        loop {
            self.t.check_aborted()?;
            self.obs.part_started(n);
            let pt = (self.part_t)(n);
            let upload = self.client.upload_part(
                &pt,
                self.key.as_str(),
                &upload_id,
                n,
                self.src.slice(start, end),
            );
            let (hashed, sent) = match crc {
                Some(c) => (Ok(c), upload.await),
                None => join2(self.src.crc64(start, end), upload).await,
            };
            let crc = *crc.insert(hashed?);
            let resp = match sent {
                Ok(r) => r,
                Err(e) if round < PART_ROUNDS && is_retryable(&e, true) => {
                    self.t
                        .sleep(retry.delay_ms(round + 2, self.t.jitter()))
                        .await;
                    round += 1;
                    continue;
                }
                Err(e) => return Err(e),
            };
            let Some(etag) = resp.header("etag").filter(|e| !e.is_empty()) else {
                return Err(if self.etag_seen.get() {
                    Error::InvalidResponse(String::from("UploadPart answered without an ETag"))
                } else {
                    cors_expose_missing(self.origin, "ETag")
                });
            };
            self.etag_seen.set(true);
            match self.stored_crc(&resp)? {
                Some(s) if s != crc => {
                    crc_failures += 1;
                    if crc_failures < retry.max_attempts.max(2) {
                        continue;
                    }
                    let mut m = String::from("part ");
                    m.push_str(&n.to_string());
                    m.push_str(" was stored with CRC64 ");
                    m.push_str(&s.to_string());
                    m.push_str(" but the bytes sent have CRC64 ");
                    m.push_str(&crc.to_string());
                    m.push_str(", after every retry");
                    return Err(Error::CrcMismatch(m));
                }
                _ => {
                    return Ok(DonePart {
                        number: n,
                        etag: etag.to_owned(),
                        crc64: crc,
                    })
                }
            }
        }
    }

    /// OSS's CRC64 of a stored part (`None` when not verifying); a hidden header stops the
    /// upload with the CORS rule to add.
    fn stored_crc(&self, resp: &HttpResponse) -> Result<Option<u64>> {
        if !self.verify_crc64 {
            return Ok(None);
        }
        let Some(c) = resp
            .header("x-oss-hash-crc64ecma")
            .map(str::trim)
            .filter(|c| !c.is_empty())
        else {
            return Err(if self.crc_seen.get() {
                Error::InvalidResponse(String::from(
                    "UploadPart answered without x-oss-hash-crc64ecma",
                ))
            } else {
                cors_expose_missing(self.origin, "x-oss-hash-crc64ecma")
            });
        };
        self.crc_seen.set(true);
        c.parse().map(Some).map_err(|_| {
            Error::InvalidResponse(String::from(
                "UploadPart answered an x-oss-hash-crc64ecma that is not a number",
            ))
        })
    }

    /// Records a finished part and saves the checkpoint.
    async fn record(&self, done: DonePart) {
        self.obs.part_done(done.number, self.plan.len(done.number));
        {
            let mut cp = self.cp.borrow_mut();
            let at = cp.parts.partition_point(|p| p.number < done.number);
            cp.parts.insert(at, done);
        }
        self.persist().await;
    }

    /// Saves the checkpoint, one save at a time: updates made during a save are written by the
    /// save that follows it, in order.
    async fn persist(&self) {
        if self.saving.get() {
            self.dirty.set(true);
            return;
        }
        if self.plan.count > SAVE_EVERY_PART_UP_TO
            && self.t.now_ms() - self.last_save.get() < THROTTLED_SAVE_MS
        {
            return; // a later part, or the final save, writes it
        }
        self.saving.set(true);
        loop {
            self.dirty.set(false);
            let snapshot = {
                let mut cp = self.cp.borrow_mut();
                cp.updated_ms = self.t.now_ms();
                with_pending(&cp, &self.pending)
            };
            self.obs.save(&snapshot).await;
            self.last_save.set(self.t.now_ms());
            if !self.dirty.get() {
                break;
            }
        }
        self.saving.set(false);
    }
}

/// `cp` as saved: its finished parts, and the parts of the checkpoint it resumed that are not
/// verified yet (a later resume verifies them again; they are never completed unverified).
fn with_pending(cp: &Checkpoint, pending: &[DonePart]) -> Checkpoint {
    let mut out = cp.clone();
    for p in pending {
        let at = out.parts.partition_point(|q| q.number < p.number);
        if out.parts.get(at).map_or(true, |q| q.number != p.number) {
            out.parts.insert(at, p.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests;
