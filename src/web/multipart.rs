//! Multipart uploads from the browser (wasm exports): `multipartUpload`, `pause`, `resume`,
//! `abortMultipartUpload`, `listParts`, `listResumableUploads`, `discardResumableUpload`, and
//! the `crc64` function.
//!
//! Parts are `Blob.slice`s handed to fetch (or XMLHttpRequest when `onProgress` is given, for
//! upload events, where the global scope has it), so the file is never read whole: only the
//! part being hashed passes through wasm memory, 1 MiB at a time.

// Exports are reached through wasm-bindgen's generated JS, not through Rust paths.
#![allow(unreachable_pub)]

use super::bindings::{AbortController, AbortSignal, Blob};
use super::checkpoint::{self, Store};
use super::client::OssClient;
use super::input::{set, string_arg, upload_id_arg, Obj};
use super::locks::{self, Held, Release};
use super::transport::{js_message, now_ms, origin, sleep_ms, WebTransport};
use crate::error::{Error, Result};
use crate::upload::client::multipart::{MultipartInput, MultipartOutput};
use crate::upload::content_type;
use crate::upload::multipart::{
    find_resumable, is_stale, Checkpoint, Fingerprint, MultipartObserver, PartPlan, PartSource,
    Phase, Tracker,
};
use core::cell::{Cell, RefCell};
use core::future::Future;
use core::pin::Pin;
use js_sys::futures::JsFuture;
use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen(typescript_custom_section)]
const TS_MULTIPART: &str = r#"
export interface MultipartProgress {
  /** Bytes stored plus bytes of parts on the wire (XMLHttpRequest upload events; in a Service
   *  Worker, which has no XMLHttpRequest, a part's bytes count once it is sent). */
  loaded: number;
  total: number;
  partsDone: number;
  partsTotal: number;
  /** Upload rate over the last 5 seconds. */
  bytesPerSec: number;
  phase: "initiating" | "uploading" | "completing" | "done";
  /** Known once the upload is initiated or resumed: pass it to pause/resume/abortMultipartUpload. */
  uploadId?: string;
}

/** Where checkpoints are kept when not in IndexedDB. Methods may return Promises; records are
 *  plain objects (store them as they are, e.g. structured clone or JSON). */
export interface CheckpointStore {
  get(uploadId: string): CheckpointRecord | undefined | Promise<CheckpointRecord | undefined>;
  set(uploadId: string, record: CheckpointRecord): void | Promise<void>;
  delete(uploadId: string): void | Promise<void>;
  list(): CheckpointRecord[] | Promise<CheckpointRecord[]>;
}

/** A saved checkpoint: the summary plus `data`, the checkpoint itself (uploadId, part size, file
 *  fingerprint, finished parts with ETag and CRC64; never credentials). */
export interface CheckpointRecord extends ResumableUpload { data: string }

export interface MultipartUploadOptions {
  /** Bytes per part: 102400 (100 KB) to 5 GiB. Default 8 MiB, more when the file needs over 10,000 parts.
   *  A resumed upload keeps the part size it started with. */
  partSize?: number;
  /** Parts in flight (1 to 32, default 4). The parts in flight are read into memory
   *  (concurrency × partSize); the browser's own buffers come on top (README, "Size and
   *  benchmarks", measures a whole upload). */
  concurrency?: number;
  contentType?: string;
  /** As for putObject, except Content-MD5 (each part is checked by CRC64 instead). */
  headers?: Record<string, string>;
  /** Aborting cancels the parts in flight and sends AbortMultipartUpload (needs oss:AbortMultipartUpload).
   *  If that fails, the checkpoint is kept: listResumableUploads lists the upload and
   *  discardResumableUpload(uploadId, { abort: true }) sends the abort again.
   *  An abort while InitiateMultipartUpload is in flight waits for its answer, then aborts that upload. */
  signal?: AbortSignal;
  /** Byte progress: parts are then sent with XMLHttpRequest, whose upload events count bytes on the wire
   *  (a Service Worker has none: there a part's bytes count once it is sent). */
  onProgress?: (p: MultipartProgress) => void;
  /** Default true: each part's CRC64 is compared with OSS's x-oss-hash-crc64ecma, and a bucket CORS rule
   *  that hides that header stops the upload with "CorsExposeHeadersMissing". false skips the
   *  comparisons (the CRC64s are still computed for the result and for resuming). */
  verifyCrc64?: boolean;
  /** Default "indexeddb": a checkpoint (never credentials) lets the same file resume after a reload.
   *  Checkpoints not saved for the client's `checkpointMaxAgeSecs` (default 7 days) are dropped. A
   *  checkpoint whose upload OSS no longer has (ListParts answers NoSuchUpload) is discarded and a
   *  new upload starts; an upload that vanishes while its parts are sent (aborted elsewhere, or a
   *  lifecycle rule) rejects with "NoSuchUpload" and its checkpoint is discarded. */
  checkpoint?: "indexeddb" | false | CheckpointStore;
}

export interface MultipartResult {
  key: string;
  etag?: string;
  requestId?: string;
  /** The object's CRC64 (decimal), computed here from every part and equal to OSS's. */
  crc64: string;
  uploadId: string;
  url: string;
  parts: number;
  /** Parts already stored by an earlier attempt (resume). */
  partsReused: number;
}

/** A checkpoint, as listed by listResumableUploads. */
export interface ResumableUpload {
  uploadId: string; bucket: string; key: string; fileName: string; size: number; partSize: number;
  partsDone: number; partsTotal: number; bytesDone: number; completing: boolean;
  createdAt: number; updatedAt: number;
}

export interface ListedPart { partNumber: number; etag: string; size: number; crc64?: string; lastModified?: string }

/** What multipartUpload and resume reject with: an OssError, plus the uploadId once known (to resume
 *  or abort). Codes of note: "UploadPaused", "RequestAborted", "CrcMismatch", "CorsExposeHeadersMissing". */
export interface MultipartError extends OssError { uploadId?: string }

export interface CheckpointOptions { checkpoint?: "indexeddb" | false | CheckpointStore }
export interface DiscardOptions extends CheckpointOptions {
  /** Also send AbortMultipartUpload (default false: only the local checkpoint is forgotten). */
  abort?: boolean;
}
"#;

/// Why a running upload was stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    None,
    Pause,
    /// The caller's signal: abort on OSS too.
    Signal,
    /// `abortMultipartUpload` is sending the abort itself.
    Api,
}

/// What a started upload needs to run again (in-page `resume`).
struct Job {
    key: String,
    file: Blob,
    content_type: String,
    headers: Vec<(String, String)>,
    part_size: Option<u64>,
    concurrency: usize,
    verify_crc64: bool,
    on_progress: Option<Function>,
    signal: Option<AbortSignal>,
    store: Store,
    /// The latest checkpoint (kept in memory even with `checkpoint: false`).
    last: RefCell<Option<Checkpoint>>,
    controller: RefCell<AbortController>,
    stop: Cell<Stop>,
    running: Cell<bool>,
    /// While paused: the caller's signal still aborts the upload on OSS.
    paused_abort: RefCell<Option<Closure<dyn FnMut()>>>,
    /// While it runs: the Web Lock of its uploadId ([`lock_name`]), so that no other tab or
    /// window of this origin resumes it at the same time (from the checkpoint they share).
    tab_lock: RefCell<Option<(String, Release)>>,
}

impl Job {
    /// Stops listening for aborts while paused.
    fn unwatch(&self) {
        if let (Some(s), Some(cl)) = (&self.signal, self.paused_abort.borrow_mut().take()) {
            s.remove_event_listener("abort", cl.as_ref().unchecked_ref());
        }
    }
}

thread_local! {
    /// Uploads started in this page, by uploadId: running, paused or failed.
    static JOBS: RefCell<Vec<(String, Rc<Job>)>> = const { RefCell::new(Vec::new()) };
}

fn job(upload_id: &str) -> Option<Rc<Job>> {
    JOBS.with(|j| {
        j.borrow()
            .iter()
            .find(|(id, _)| id == upload_id)
            .map(|(_, job)| Rc::clone(job))
    })
}

fn forget(upload_id: &str) {
    let removed = JOBS.with(|j| {
        let mut jobs = j.borrow_mut();
        let at = jobs.iter().position(|(id, _)| id == upload_id)?;
        Some(jobs.remove(at).1)
    });
    if let Some(job) = removed {
        job.unwatch();
    }
}

thread_local! {
    /// UploadIds a call of this page is resuming, from the moment it picks the checkpoint (before
    /// any await) until its run ends: two resumes of one upload would send every part twice.
    static CLAIMS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Whether `upload_id` is being resumed or runs in this page.
fn busy(upload_id: &str) -> bool {
    CLAIMS.with(|c| c.borrow().iter().any(|id| id == upload_id))
        || job(upload_id).is_some_and(|j| j.running.get())
}

/// A claim on an uploadId ([`CLAIMS`]), released when dropped.
struct Claim(String);

impl Claim {
    /// Claims `upload_id` unless it is busy.
    fn take(upload_id: &str) -> Option<Self> {
        if busy(upload_id) {
            return None;
        }
        CLAIMS.with(|c| c.borrow_mut().push(upload_id.to_owned()));
        Some(Self(upload_id.to_owned()))
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        CLAIMS.with(|c| c.borrow_mut().retain(|id| *id != self.0));
    }
}

/// The Web Lock a run holds for its uploadId ([`Job::tab_lock`]).
fn lock_name(upload_id: &str) -> String {
    crate::text::cat(&["oss-direct-upload multipart ", upload_id])
}

/// A resume of an upload another tab or window of this site runs.
fn running_elsewhere() -> Error {
    Error::invalid(
        "uploadId",
        "is running in another tab or window of this site (it holds the upload's Web Lock): let that run finish, or resume it once it has stopped",
    )
}

fn already_running() -> JsValue {
    Error::invalid(
        "uploadId",
        "is already running (or being resumed) in this page",
    )
    .into()
}

/// The options of `multipartUpload` (and of `resume` with a file).
const MULTIPART_OPTIONS: [&str; 8] = [
    "partSize",
    "concurrency",
    "contentType",
    "headers",
    "signal",
    "onProgress",
    "verifyCrc64",
    "checkpoint",
];

/// The claim of a `multipartUpload` / `putObject` call ([`Claim`]): on the upload it resumes, or
/// on the file and object (bucket URL and key) of a new one, taken with no await since the
/// checkpoint was picked.
fn claim_call(
    api: &str,
    bucket_url: &str,
    key: &str,
    fp: &Fingerprint,
    resume: Option<&Checkpoint>,
) -> Result<Option<Claim>> {
    // Claimed with no await in between: a second call (a double click) cannot pick the same
    // checkpoint and send every part again; it is refused, naming the upload it repeats.
    Ok(match resume {
        Some(cp) if api != "resume" => Some(Claim::take(&cp.upload_id).ok_or_else(|| {
            Error::invalid(
                "file",
                crate::text::cat(&[
                    "is already being uploaded to this key in this page (uploadId ",
                    &cp.upload_id,
                    "): await that upload, or pause it first",
                ]),
            )
        })?),
        // A new upload: the file and key are claimed until its run ends, so a second call
        // made before the first has an uploadId (a double click) does not upload it twice.
        None if api != "resume" => {
            // Name and size tell a double click's file apart from another file well enough.
            let size = fp.size.to_string();
            let id = crate::text::cat(&["\0", bucket_url, key, "\0", &fp.name, "\0", &size]);
            Some(Claim::take(&id).ok_or_else(|| {
                Error::invalid(
                    "file",
                    "is already being uploaded to this key in this page: await that upload, or pause it first",
                )
            })?)
        }
        _ => None,
    })
}

fn remember(upload_id: &str, job: &Rc<Job>) {
    forget(upload_id);
    JOBS.with(|j| j.borrow_mut().push((upload_id.to_owned(), Rc::clone(job))));
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(method, js_name = arrayBuffer)]
    fn array_buffer(this: &Blob) -> Promise;
}

/// Parts of a Blob: slices to send, CRC64 read up to 8 MiB at a time.
struct BlobSource {
    blob: Blob,
}

/// Bytes read from the Blob per `arrayBuffer()` call while hashing a part. Chromium reads a
/// Blob at ~300 MB/s in 1 MiB calls and ~600 MB/s in 8 MiB calls (a 256 MiB Blob, no hashing),
/// so fewer, larger reads halve the hashing cost of a part; each read is a transient buffer of
/// at most this size per part in flight (the memory bound is concurrency × part size), copied
/// into wasm memory 1 MiB at a time (which stays small: it never shrinks).
const READ_CHUNK: u64 = 8 << 20;

#[allow(clippy::cast_precision_loss)]
fn num(n: u64) -> f64 {
    n as f64
}

impl PartSource for BlobSource {
    type Body = JsValue;

    fn slice(&self, start: u64, end: u64) -> JsValue {
        // No type: the browser then sends no Content-Type, as signed.
        self.blob.slice(num(start), num(end), "").into()
    }

    fn text(&self, text: &str) -> JsValue {
        let opts = Object::new();
        set(&opts, "type", &JsValue::from_str("application/xml"));
        Blob::new(&Array::of1(&JsValue::from_str(text)), &opts)
            .map_or_else(|_| JsValue::from_str(text), Into::into)
    }

    async fn crc64(&self, start: u64, end: u64) -> Result<u64> {
        let mut crc = 0u64;
        let mut buf = Vec::new();
        let mut at = start;
        while at < end {
            let to = end.min(at + READ_CHUNK);
            let ab = JsFuture::from(self.blob.slice(num(at), num(to), "").array_buffer())
                .await
                .map_err(|e| {
                    let mut m = String::from("reading the file failed: ");
                    m.push_str(&js_message(&e));
                    Error::invalid("file", m)
                })?;
            crc = super::body::bytes_crc(&Uint8Array::new(&ab), crc, &mut buf);
            at = to;
        }
        Ok(crc)
    }
}

/// The upload-events callback of one part.
type ProgressCallback = Closure<dyn FnMut(JsValue)>;

/// Progress state shared by the observer and the transport (XHR upload events).
struct Reporter {
    tracker: RefCell<Tracker>,
    on_progress: Option<Function>,
    upload_id: RefCell<String>,
}

impl Reporter {
    fn emit(&self) {
        let Some(f) = &self.on_progress else { return };
        let p = self.tracker.borrow().snapshot();
        let o = Object::new();
        set(&o, "loaded", &JsValue::from_f64(num(p.loaded)));
        set(&o, "total", &JsValue::from_f64(num(p.total)));
        set(&o, "partsDone", &JsValue::from(p.parts_done));
        set(&o, "partsTotal", &JsValue::from(p.parts_total));
        set(
            &o,
            "bytesPerSec",
            &JsValue::from_f64(p.bytes_per_sec.round()),
        );
        set(&o, "phase", &JsValue::from_str(p.phase.as_str()));
        let id = self.upload_id.borrow();
        if !id.is_empty() {
            set(&o, "uploadId", &JsValue::from_str(&id));
        }
        drop(id);
        // A throwing callback must not break the upload.
        let _ = f.call1(&JsValue::NULL, &o);
    }
}

struct Observer<'a> {
    job: &'a Rc<Job>,
    reporter: &'a Rc<Reporter>,
}

impl MultipartObserver for Observer<'_> {
    fn started(&self, cp: &Checkpoint) {
        // A resumed checkpoint whose upload OSS no longer has was replaced by a new upload:
        // the old uploadId no longer names this job.
        let job = self.job;
        JOBS.with(|j| {
            j.borrow_mut()
                .retain(|(id, other)| *id == cp.upload_id || !Rc::ptr_eq(other, job));
        });
        self.reporter
            .upload_id
            .borrow_mut()
            .clone_from(&cp.upload_id);
        let size = cp.fingerprint.size;
        self.reporter
            .tracker
            .borrow_mut()
            .reset(size, cp.parts_total());
        *self.job.last.borrow_mut() = Some(cp.clone());
        remember(&cp.upload_id, self.job);
        // A new upload (or one replacing a resumed upload OSS no longer has): its Web Lock, asked
        // for before its first checkpoint is saved, so another tab that finds the checkpoint
        // cannot resume it while this run goes on. No one else knows the uploadId yet: granted
        // at once.
        let mut lock = self.job.tab_lock.borrow_mut();
        if !lock.as_ref().is_some_and(|(id, _)| *id == cp.upload_id) {
            *lock = locks::hold(&lock_name(&cp.upload_id)).map(|r| (cp.upload_id.clone(), r));
        }
    }

    fn phase(&self, phase: Phase) {
        self.reporter.tracker.borrow_mut().set_phase(phase);
        self.reporter.emit();
    }

    fn part_started(&self, n: u32) {
        self.reporter.tracker.borrow_mut().part_reset(n);
    }

    fn part_done(&self, n: u32, len: u64) {
        self.reporter
            .tracker
            .borrow_mut()
            .part_done(n, len, now_ms());
        self.reporter.emit();
    }

    async fn save(&self, cp: &Checkpoint) {
        *self.job.last.borrow_mut() = Some(cp.clone());
        // `abortMultipartUpload` deletes the checkpoint: the run it stops must not write it back.
        if self.job.stop.get() != Stop::Api {
            let _ = self.job.store.put(cp).await;
        }
    }

    async fn discard(&self, upload_id: &str) {
        let _ = self.job.store.delete(upload_id).await;
    }
}

fn opts_of(v: Option<&JsValue>) -> Result<Option<Obj<'_>>> {
    match v {
        Some(v) if !v.is_undefined() && !v.is_null() => Obj::options(v).map(Some),
        _ => Ok(None),
    }
}

fn signal_of(o: Option<&Obj<'_>>) -> Result<Option<AbortSignal>> {
    let Some(v) = o.map(|o| o.get("signal")).transpose()?.flatten() else {
        return Ok(None);
    };
    if !v.is_instance_of::<AbortSignal>() {
        return Err(Error::invalid("signal", "must be an AbortSignal"));
    }
    Ok(Some(v.unchecked_into()))
}

fn function_of(o: Option<&Obj<'_>>, name: &str) -> Result<Option<Function>> {
    match o.map(|o| o.get(name)).transpose()?.flatten() {
        None => Ok(None),
        Some(f) => f
            .dyn_into::<Function>()
            .map(Some)
            .map_err(|_| Error::invalid(name, "must be a function")),
    }
}

fn store_of(o: Option<&Obj<'_>>) -> Result<Store> {
    Store::from_option(o.map(|o| o.get("checkpoint")).transpose()?.flatten())
}

fn blob_of(file: &JsValue) -> Result<Blob> {
    if file.is_instance_of::<Blob>() {
        Ok(file.clone().unchecked_into())
    } else {
        Err(Error::invalid("file", "must be a File or Blob"))
    }
}

/// The file's fingerprint: name, size, lastModified and the CRC64 of its first and last MiB.
async fn fingerprint(blob: &Blob) -> Result<Fingerprint> {
    let src = BlobSource { blob: blob.clone() };
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let size = blob.size().max(0.0) as u64;
    let [head, tail] = Fingerprint::ranges(size);
    let head_crc = src.crc64(head.0, head.1).await?;
    let tail_crc = src.crc64(tail.0, tail.1).await?;
    let prop = |n: &str| Reflect::get(blob, &JsValue::from_str(n)).ok();
    #[allow(clippy::cast_possible_truncation)]
    let last_modified = prop("lastModified")
        .and_then(|v| v.as_f64())
        .map_or(0, |v| v as i64);
    Ok(Fingerprint {
        name: prop("name").and_then(|v| v.as_string()).unwrap_or_default(),
        size,
        last_modified,
        head_crc,
        tail_crc,
    })
}

fn result_of(out: &MultipartOutput) -> JsValue {
    let o = Object::new();
    set(&o, "key", &JsValue::from_str(&out.key));
    if let Some(e) = &out.etag {
        set(&o, "etag", &JsValue::from_str(e));
    }
    if let Some(r) = &out.request_id {
        set(&o, "requestId", &JsValue::from_str(r));
    }
    set(&o, "crc64", &JsValue::from_str(&out.crc64));
    set(&o, "uploadId", &JsValue::from_str(&out.upload_id));
    set(&o, "url", &JsValue::from_str(&out.url));
    set(&o, "parts", &JsValue::from(out.parts));
    set(&o, "partsReused", &JsValue::from(out.parts_reused));
    o.into()
}

/// Whether OSS no longer holds the upload after an AbortMultipartUpload (done, or already gone).
fn abort_done(r: &Result<()>) -> bool {
    match r {
        Ok(()) => true,
        Err(e) => e.code() == "NoSuchUpload",
    }
}

/// A JS error carrying the uploadId (when known), so the caller can resume or abort.
fn js_error(e: Error, upload_id: &str) -> JsValue {
    let v = JsValue::from(e);
    if !upload_id.is_empty() {
        set(v.unchecked_ref(), "uploadId", &JsValue::from_str(upload_id));
    }
    v
}

impl OssClient {
    /// Runs (or re-runs) `job` with an optional checkpoint to resume; also returns the uploadId
    /// (empty if the upload never started).
    #[allow(clippy::too_many_lines)]
    async fn run_raw(
        &self,
        job: Rc<Job>,
        fp: Fingerprint,
        resume: Option<Checkpoint>,
    ) -> (Result<JsValue>, String) {
        // A resume, unless another tab or window of this site runs the same upload (they share
        // the checkpoints; both would send every remaining part): its Web Lock is held until
        // this run ends. A new upload takes its own in `Observer::started`.
        if let Some(cp) = &resume {
            match locks::try_hold(lock_name(&cp.upload_id)).await {
                Held::Elsewhere => return (Err(running_elsewhere()), cp.upload_id.clone()),
                Held::Mine(r) => *job.tab_lock.borrow_mut() = Some((cp.upload_id.clone(), r)),
                Held::Unsupported => {}
            }
        }
        let controller = AbortController::new();
        *job.controller.borrow_mut() = controller.clone();
        job.stop.set(Stop::None);
        job.running.set(true);
        job.unwatch();
        // The caller's signal aborts the job (and the upload on OSS).
        let on_abort = job.signal.as_ref().map(|s| {
            let j = Rc::clone(&job);
            let cl = Closure::<dyn FnMut()>::new(move || {
                if j.stop.get() == Stop::None {
                    j.stop.set(Stop::Signal);
                }
                j.controller.borrow().abort();
            });
            s.add_event_listener("abort", cl.as_ref().unchecked_ref());
            if s.aborted() {
                job.stop.set(Stop::Signal);
                controller.abort();
            }
            cl
        });
        let plan_parts = PartPlan::new(fp.size, job.part_size).map_or(1, |p| p.count);
        let reporter = Rc::new(Reporter {
            tracker: RefCell::new(Tracker::new(fp.size, plan_parts)),
            on_progress: job.on_progress.clone(),
            upload_id: RefCell::new(String::new()),
        });
        // A resumed upload is found by pause and abortMultipartUpload from the start (its
        // ListParts and its wait for a slot included), under the checkpoint's uploadId; it is
        // reported (onProgress, errors) once OSS confirmed it (`Observer::started`).
        let resume_id = resume.as_ref().map(|cp| cp.upload_id.clone());
        if let Some(cp) = &resume {
            *job.last.borrow_mut() = Some(cp.clone());
            remember(&cp.upload_id, &job);
        }
        let signal = controller.signal();
        let t = WebTransport::new(Some(signal.clone()), self.timeout_ms, None);
        // Each part's upload events go to a callback that knows its part number (kept until
        // the upload ends: a retried part reuses its callback).
        let callbacks: RefCell<Vec<(u32, ProgressCallback)>> = RefCell::default();
        let timeout_ms = self.timeout_ms;
        let concurrency = job.concurrency;
        let part_t = |n: u32| {
            let func = reporter.on_progress.as_ref().map(|_| {
                let mut cbs = callbacks.borrow_mut();
                if let Some((_, cb)) = cbs.iter().find(|(p, _)| *p == n) {
                    return cb.as_ref().unchecked_ref::<Function>().clone();
                }
                let rep = Rc::clone(&reporter);
                let cb = Closure::<dyn FnMut(JsValue)>::new(move |info: JsValue| {
                    let loaded = Reflect::get(&info, &JsValue::from_str("loaded"))
                        .ok()
                        .and_then(|v| v.as_f64())
                        .unwrap_or(0.0);
                    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                    rep.tracker
                        .borrow_mut()
                        .part_loaded(n, loaded as u64, now_ms());
                    rep.emit();
                });
                let func = cb.as_ref().unchecked_ref::<Function>().clone();
                cbs.push((n, cb));
                func
            });
            WebTransport::new(Some(signal.clone()), timeout_ms, func).shared_by(concurrency)
        };
        let src = BlobSource {
            blob: job.file.clone(),
        };
        let obs = Observer {
            job: &job,
            reporter: &reporter,
        };
        let input = MultipartInput {
            key: job.key.clone(),
            content_type: job.content_type.clone(),
            headers: job.headers.clone(),
            part_size: job.part_size,
            concurrency: job.concurrency,
            fingerprint: fp,
            resume,
            origin: origin(),
            verify_crc64: job.verify_crc64,
        };
        // One upload slot for the whole multipart upload (pause and abort also end the wait).
        // InitiateMultipartUpload is not cancelled by an abort (its answer names the upload to
        // delete); the core sends AbortMultipartUpload once it answers.
        let quiet = WebTransport::new(None, self.timeout_ms, None);
        let out = match super::client::upload_slot(&self.limiter, Some(&signal)).await {
            Ok(_slot) => {
                self.core
                    .multipart_upload(&t, &quiet, &part_t, &src, &obs, input)
                    .await
            }
            Err(e) => Err(e),
        };
        drop(callbacks);
        if let (Some(s), Some(cl)) = (&job.signal, &on_abort) {
            s.remove_event_listener("abort", cl.as_ref().unchecked_ref());
        }
        drop(on_abort);
        job.running.set(false);
        // Paused, failed or done: another tab may resume it now.
        job.tab_lock.borrow_mut().take();
        let upload_id = reporter.upload_id.borrow().clone();
        // The upload OSS holds, to pause or abort: the confirmed one, else (stopped before OSS
        // confirmed it) the one being resumed.
        let held = if upload_id.is_empty() {
            resume_id.unwrap_or_default()
        } else {
            upload_id.clone()
        };
        let result = match out {
            Ok(o) => {
                forget(&o.upload_id);
                Ok(result_of(&o))
            }
            Err(Error::Aborted) => match job.stop.get() {
                Stop::Pause => {
                    let upload_id = held;
                    self.watch_paused(&job, &upload_id);
                    let mut m = String::from("upload ");
                    m.push_str(&upload_id);
                    m.push_str(" paused: call resume(uploadId) to go on");
                    return (Err(Error::UploadPaused(m)), upload_id);
                }
                Stop::Signal if !held.is_empty() => {
                    let upload_id = held;
                    let fresh = WebTransport::new(None, self.timeout_ms, None);
                    let gone = self
                        .core
                        .abort_multipart_upload(&fresh, &job.key, &upload_id)
                        .await;
                    // An upload OSS still holds keeps its checkpoint, so listResumableUploads
                    // shows it and discardResumableUpload(uploadId, { abort: true }) retries.
                    if abort_done(&gone) {
                        let _ = job.store.delete(&upload_id).await;
                    }
                    forget(&upload_id);
                    return (Err(Error::Aborted), upload_id);
                }
                _ => Err(Error::Aborted),
            },
            Err(e) => {
                if e.code() == "NoSuchUpload" {
                    forget(&upload_id); // gone from OSS: nothing to resume
                }
                Err(e)
            }
        };
        (result, upload_id)
    }

    /// A paused upload whose signal fires is aborted on OSS and forgotten.
    fn watch_paused(&self, job: &Rc<Job>, upload_id: &str) {
        let Some(signal) = &job.signal else { return };
        let core = Rc::clone(&self.core);
        let timeout_ms = self.timeout_ms;
        let (key, id, store) = (job.key.clone(), upload_id.to_owned(), job.store.clone());
        let cl = Closure::<dyn FnMut()>::new(move || {
            let (core, key, id, store) = (Rc::clone(&core), key.clone(), id.clone(), store.clone());
            js_sys::futures::spawn_local(async move {
                // Not in the listener itself: forgetting the job drops this closure.
                forget(&id);
                let t = WebTransport::new(None, timeout_ms, None);
                if abort_done(&core.abort_multipart_upload(&t, &key, &id).await) {
                    let _ = store.delete(&id).await;
                }
            });
        });
        signal.add_event_listener("abort", cl.as_ref().unchecked_ref());
        *job.paused_abort.borrow_mut() = Some(cl);
    }

    /// [`OssClient::run_raw`] with the uploadId on the JS error.
    async fn run(
        &self,
        job: Rc<Job>,
        fp: Fingerprint,
        resume: Option<Checkpoint>,
    ) -> Result<JsValue, JsValue> {
        let (result, upload_id) = self.run_raw(job, fp, resume).await;
        result.map_err(|e| js_error(e, &upload_id))
    }

    /// For `putObject`: whether `body` should go up in parts — a File or Blob of at least
    /// `multipartThreshold` bytes (default 100 MiB; `0` or `Infinity` never), without
    /// Content-MD5 (which only a single PutObject can check).
    pub(crate) fn wants_multipart(body: &JsValue, options: Option<&JsValue>) -> Result<bool> {
        // The option is checked whatever the body (a bad value is an error for bytes too).
        let opts = opts_of(options)?;
        let threshold = match opts
            .as_ref()
            .map(|o| o.get("multipartThreshold"))
            .transpose()?
            .flatten()
        {
            None => DEFAULT_MULTIPART_THRESHOLD,
            Some(v) => match v.as_f64() {
                Some(n) if n >= 0.0 => n,
                _ => {
                    return Err(Error::invalid(
                        "multipartThreshold",
                        "must be a number of bytes (0 or Infinity: never)",
                    ))
                }
            },
        };
        let Some(blob) = body.dyn_ref::<Blob>() else {
            return Ok(false);
        };
        if threshold == 0.0 || blob.size() < threshold.max(1.0) {
            return Ok(false);
        }
        let md5 = match &opts {
            Some(o) => o
                .string_map("headers")?
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("content-md5")),
            None => false,
        };
        Ok(!md5)
    }

    /// `putObject` of a large Blob: a multipart upload whose result also has `status` (200), and
    /// whose rejection has `uploadId` once it is known.
    pub(crate) async fn put_object_in_parts(
        &self,
        key: String,
        body: &JsValue,
        options: Option<&JsValue>,
    ) -> Result<JsValue, JsValue> {
        let (job, fp, resume, _claim) = self.prepare(key, body, options, "putObject").await?;
        let (result, upload_id) = self.run_raw(job, fp, resume).await;
        // As multipartUpload: the rejection names the upload, to resume or abort it by id.
        let out = result.map_err(|e| js_error(e, &upload_id))?;
        set(out.unchecked_ref(), "status", &JsValue::from(200));
        Ok(out)
    }
}

/// How long a checkpoint is kept after its last save when `checkpointMaxAgeSecs` is not given:
/// 7 days.
pub(crate) const DEFAULT_CHECKPOINT_MAX_AGE_MS: i64 = 7 * 86_400_000;

/// The checkpoints of `bucket` in `store`, after deleting those not saved for `max_age_ms`.
async fn live_checkpoints(store: &Store, bucket: &str, max_age_ms: i64) -> Result<Vec<Checkpoint>> {
    let now = now_ms();
    let mut out = Vec::new();
    for cp in store.checkpoints().await? {
        if cp.bucket != bucket {
            continue;
        }
        if is_stale(&cp, now, max_age_ms) {
            let _ = store.delete(&cp.upload_id).await;
        } else {
            out.push(cp);
        }
    }
    Ok(out)
}

/// Size from which `putObject` uploads a File or Blob in parts, unless `multipartThreshold` says
/// otherwise.
#[allow(dead_code)]
pub(crate) const DEFAULT_MULTIPART_THRESHOLD: f64 = 100.0 * 1024.0 * 1024.0;

/// One promise type for the small async methods (one `future_to_promise` in the wasm, not one
/// per method).
fn promise(f: Pin<Box<dyn Future<Output = Result<JsValue>>>>) -> Promise {
    js_sys::futures::future_to_promise(async move { f.await.map_err(JsValue::from) })
}

/// The promise of `multipartUpload` and `resume` (their errors carry the uploadId).
fn promise_js(f: Pin<Box<dyn Future<Output = Result<JsValue, JsValue>>>>) -> Promise {
    js_sys::futures::future_to_promise(f)
}

/// The CRC-64/ECMA-182 of `data` as OSS computes it (`x-oss-hash-crc64ecma`), in decimal;
/// `previous` continues an earlier result (`crc64(b, crc64(a)) === crc64(a + b)`).
#[wasm_bindgen(js_name = crc64)]
pub fn crc64_js(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array | ArrayBuffer | string")] data: &JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "string | null")] previous: Option<JsValue>,
) -> Result<String, Error> {
    let prev = match previous.filter(|p| !p.is_undefined() && !p.is_null()) {
        None => 0,
        Some(p) => {
            // Digits only, as crc64 returns it (no sign, no spaces).
            let text = string_arg(&p, "previous")?;
            text.bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| text.parse().ok())
                .flatten()
                .ok_or_else(|| Error::invalid("previous", "must be a decimal CRC64 string"))?
        }
    };
    let detached = || Error::invalid("data", "is backed by a detached ArrayBuffer");
    let crc = if data.is_string() {
        // Its UTF-8 made in JS and read a chunk at a time, as a string body's.
        let bytes = super::bindings::TextEncoder::new().encode(data);
        super::body::bytes_crc(&bytes, prev, &mut Vec::new())
    } else if let Some(a) = data.dyn_ref::<Uint8Array>() {
        if super::body::is_detached(&a.buffer()) {
            return Err(detached());
        }
        super::body::bytes_crc(a, prev, &mut Vec::new())
    } else if data.is_instance_of::<js_sys::ArrayBuffer>() {
        if super::body::is_detached(data) {
            return Err(detached());
        }
        super::body::bytes_crc(&Uint8Array::new(data), prev, &mut Vec::new())
    } else {
        return Err(Error::invalid(
            "data",
            "must be a Uint8Array, ArrayBuffer or string",
        ));
    };
    Ok(crc.to_string())
}

#[wasm_bindgen(js_class = OssClient, wasm_bindgen_futures = js_sys::futures)]
impl OssClient {
    /// Uploads `file` in parts, several at once, resuming a checkpointed upload of the same
    /// file and key if there is one. Rejections carry `uploadId` once it is known.
    #[wasm_bindgen(js_name = multipartUpload, unchecked_return_type = "Promise<MultipartResult>")]
    pub fn multipart_upload(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
        #[wasm_bindgen(unchecked_param_type = "File | Blob")] file: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "MultipartUploadOptions")] options: Option<
            JsValue,
        >,
    ) -> Promise {
        let me = self.handle();
        promise_js(Box::pin(async move {
            let key = string_arg(&key, "key")?;
            let (job, fp, resume, _claim) = me
                .prepare(key, &file, options.as_ref(), "multipartUpload")
                .await?;
            me.run(job, fp, resume).await
        }))
    }

    /// Stops a running upload, keeping its uploadId and checkpoint (no delete permission
    /// needed): its `multipartUpload` rejects with `UploadPaused`. Returns whether it was running;
    /// throws `InvalidArgument` (field `uploadId`) when `uploadId` is not a string.
    pub fn pause(
        &self,
        #[wasm_bindgen(js_name = uploadId, unchecked_param_type = "string")] upload_id: &JsValue,
    ) -> Result<bool, Error> {
        let upload_id = string_arg(upload_id, "uploadId")?;
        Ok(match job(&upload_id) {
            Some(j) if j.running.get() => {
                j.stop.set(Stop::Pause);
                j.controller.borrow().abort();
                true
            }
            _ => false,
        })
    }

    /// Resumes a paused or failed upload: in this page with just its uploadId, or after a
    /// reload with the same file (checked against the checkpoint's fingerprint). In this page,
    /// `signal`, `onProgress` and `concurrency` of `options` replace the upload's; its other
    /// options were fixed when it started: passed again they must be the same (a different
    /// `partSize`, `contentType`, `verifyCrc64`, `headers` or `checkpoint` is InvalidArgument).
    /// Refused (InvalidArgument, field `uploadId`) while the upload runs in this page or in
    /// another tab or window of the site.
    #[wasm_bindgen(unchecked_return_type = "Promise<MultipartResult>")]
    pub fn resume(
        &self,
        #[wasm_bindgen(js_name = uploadId, unchecked_param_type = "string")] upload_id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "File | Blob")] file: Option<JsValue>,
        #[wasm_bindgen(unchecked_optional_param_type = "MultipartUploadOptions")] options: Option<
            JsValue,
        >,
    ) -> Promise {
        let me = self.handle();
        promise_js(Box::pin(async move {
            let upload_id = upload_id_arg(&upload_id)?;
            me.resume_now(upload_id, file, options).await
        }))
    }
}

/// After a reload, the options of `resume(uploadId, file, options)` that the checkpoint fixed
/// must be the same: `partSize`, and a Content-Type given (`contentType`, else in `headers`).
/// The checkpoint keeps no headers, so the other headers are the upload's own, not compared.
fn fixed_by_checkpoint(o: &Obj<'_>, cp: &Checkpoint) -> Result<()> {
    #[allow(clippy::cast_sign_loss)]
    let part_size = o
        .opt_int("partSize", 1, i64::MAX)?
        .is_some_and(|n| n as u64 != cp.part_size);
    let header_type = o
        .string_map("headers")?
        .into_iter()
        .rev()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"));
    let changed = if part_size {
        Some("partSize")
    } else if let Some(t) = o.opt_string("contentType")? {
        (t.trim_ascii() != cp.content_type).then_some("contentType")
    } else {
        header_type
            .is_some_and(|(_, t)| t.trim_ascii() != cp.content_type)
            .then_some("headers")
    };
    match changed {
        Some(name) => Err(Error::invalid(name, FIXED_ON_RESUME)),
        None => Ok(()),
    }
}

/// Why an option of `resume` that the upload fixed when it started is refused.
const FIXED_ON_RESUME: &str =
    "was fixed when the upload started and cannot change on resume (pass the same value, or none)";

/// Whether the `headers` of a resume's options differ from those the upload started with (the
/// names compared ignoring case and order, the values exactly; a Content-Type among them must
/// be the upload's).
fn headers_differ(o: &Obj<'_>, job: &Job) -> Result<bool> {
    let given = o.string_map("headers")?;
    // Each kept header matched once at most: a name given twice (which the start refuses)
    // cannot stand in for a missing one.
    let mut matched = vec![false; job.headers.len()];
    let mut header_type = None;
    for (k, v) in &given {
        if k.eq_ignore_ascii_case("content-type") {
            // The last one, as when the upload started.
            header_type = Some(v);
            continue;
        }
        let hit = job
            .headers
            .iter()
            .zip(matched.iter_mut())
            .find(|((a, b), seen)| !**seen && a.eq_ignore_ascii_case(k) && b == v);
        match hit {
            Some((_, seen)) => *seen = true,
            None => return Ok(true),
        }
    }
    // A `contentType` option wins over a Content-Type header, as when the upload started.
    let type_differs = o.get("contentType")?.is_none()
        && header_type.is_some_and(|t| t.trim_ascii() != job.content_type);
    Ok(type_differs || matched.contains(&false))
}

/// How long `resume` waits for a run that `pause` is stopping before it calls it running.
const PAUSE_SETTLE_MS: u32 = 10_000;

/// The job of an in-page `resume(uploadId, undefined, options)`: `job` itself without options,
/// else a copy with the new `onProgress`, `signal` and `concurrency`, put in its place so pause
/// and abort find it. The other `multipartUpload` options are the upload's own, fixed when it
/// started: the same object may be passed again, but a different `partSize`, `contentType`,
/// `verifyCrc64`, `headers` or `checkpoint` store is refused. Unknown names are refused.
fn with_options(upload_id: &str, job: &Rc<Job>, options: Option<&JsValue>) -> Result<Rc<Job>> {
    let Some(o) = opts_of(options)? else {
        return Ok(Rc::clone(job));
    };
    o.only(&MULTIPART_OPTIONS, "resume")?;
    // The options fixed when the upload started may be passed again, not changed.
    let part_size = job
        .last
        .borrow()
        .as_ref()
        .map(|cp| cp.part_size)
        .or(job.part_size);
    #[allow(clippy::cast_sign_loss)]
    let fixed = [
        (
            "partSize",
            o.opt_int("partSize", 1, i64::MAX)?
                .is_some_and(|n| Some(n as u64) != part_size),
        ),
        (
            "contentType",
            o.opt_string("contentType")?
                .is_some_and(|t| t.trim_ascii() != job.content_type),
        ),
        (
            "verifyCrc64",
            o.get("verifyCrc64")?.is_some() && o.opt_bool("verifyCrc64")? != job.verify_crc64,
        ),
        (
            "headers",
            o.get("headers")?.is_some() && headers_differ(&o, job)?,
        ),
        (
            "checkpoint",
            o.get("checkpoint")?.is_some() && !store_of(Some(&o))?.same_as(&job.store),
        ),
    ];
    if let Some((name, _)) = fixed.iter().find(|(_, changed)| *changed) {
        return Err(Error::invalid(*name, FIXED_ON_RESUME));
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let concurrency = o
        .opt_int("concurrency", 1, 32)?
        .map_or(job.concurrency, |n| n as usize);
    let on_progress = match o.get("onProgress")? {
        Some(_) => function_of(Some(&o), "onProgress")?,
        None => job.on_progress.clone(),
    };
    let signal = match o.get("signal")? {
        Some(_) => signal_of(Some(&o))?,
        None => job.signal.clone(),
    };
    let fresh = Rc::new(Job {
        key: job.key.clone(),
        file: job.file.clone(),
        content_type: job.content_type.clone(),
        headers: job.headers.clone(),
        part_size: job.part_size,
        concurrency,
        verify_crc64: job.verify_crc64,
        on_progress,
        signal,
        store: job.store.clone(),
        last: RefCell::new(job.last.borrow().clone()),
        controller: RefCell::new(AbortController::new()),
        stop: Cell::new(Stop::None),
        running: Cell::new(false),
        paused_abort: RefCell::new(None),
        tab_lock: RefCell::new(None),
    });
    // The old job's paused-abort listener goes with it (its signal no longer governs).
    remember(upload_id, &fresh);
    Ok(fresh)
}

impl OssClient {
    /// A second handle on the same client, for a future that outlives `&self`.
    fn handle(&self) -> Self {
        Self {
            core: Rc::clone(&self.core),
            timeout_ms: self.timeout_ms,
            limiter: Rc::clone(&self.limiter),
            checkpoint_max_age_ms: self.checkpoint_max_age_ms,
        }
    }

    async fn resume_now(
        &self,
        upload_id: String,
        file: Option<JsValue>,
        options: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        let file = file.filter(|f| !f.is_undefined() && !f.is_null());
        // `pause(id)` then `resume(id)` at once: the paused run is still stopping (its requests
        // being cancelled, a few milliseconds); wait for it rather than refuse the resume as
        // already running.
        if let Some(j) = job(&upload_id) {
            let mut waited = 0;
            while j.running.get() && j.stop.get() == Stop::Pause && waited < PAUSE_SETTLE_MS {
                sleep_ms(10).await;
                waited += 10;
            }
        }
        if let (Some(j), None) = (job(&upload_id), &file) {
            let Some(_claim) = Claim::take(&upload_id) else {
                return Err(already_running());
            };
            let j = with_options(&upload_id, &j, options.as_ref())?;
            let cp = j.last.borrow().clone();
            let fp = fingerprint(&j.file).await?;
            return self.run(j, fp, cp).await;
        }
        let Some(file) = file else {
            return Err(Error::invalid(
                "file",
                "is required to resume an upload this page does not hold (one started elsewhere or before a reload; an upload that completed or was aborted cannot be resumed)",
            )
            .into());
        };
        let opts = opts_of(options.as_ref())?;
        let store = store_of(opts.as_ref())?;
        let cp = store
            .get(&upload_id)
            .await?
            .as_ref()
            .and_then(checkpoint::checkpoint_of)
            .ok_or_else(|| Error::invalid("uploadId", "has no checkpoint to resume"))?;
        let Some(_claim) = Claim::take(&upload_id) else {
            return Err(already_running());
        };
        if is_stale(&cp, now_ms(), self.checkpoint_max_age_ms) {
            let _ = store.delete(&upload_id).await;
            return Err(Error::invalid(
                "uploadId",
                "has a checkpoint older than checkpointMaxAgeSecs: it was discarded (start the upload again)",
            )
            .into());
        }
        let (job, fp, _, _) = self
            .prepare(cp.key.clone(), &file, options.as_ref(), "resume")
            .await?;
        if !cp.matches(self.core.config().bucket.as_str(), &cp.key, &fp) {
            return Err(Error::invalid(
                "file",
                "is not the file this upload started with (name, size, lastModified or content differ)",
            )
            .into());
        }
        if let Some(o) = &opts {
            fixed_by_checkpoint(o, &cp)?;
        }
        self.run(job, fp, Some(cp)).await
    }
}

#[wasm_bindgen(js_class = OssClient, wasm_bindgen_futures = js_sys::futures)]
impl OssClient {
    /// Sends AbortMultipartUpload (stopping the upload first if it runs in this page) and
    /// forgets its checkpoint.
    #[wasm_bindgen(js_name = abortMultipartUpload, unchecked_return_type = "Promise<void>")]
    pub fn abort_multipart_upload(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
        #[wasm_bindgen(js_name = uploadId, unchecked_param_type = "string")] upload_id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CheckpointOptions")] options: Option<
            JsValue,
        >,
    ) -> Promise {
        let (core, timeout_ms) = (Rc::clone(&self.core), self.timeout_ms);
        promise(Box::pin(async move {
            let key = string_arg(&key, "key")?;
            let upload_id = upload_id_arg(&upload_id)?;
            let opts = opts_of(options.as_ref())?;
            if let Some(o) = &opts {
                o.only(&["checkpoint"], "abortMultipartUpload")?;
            }
            let mut store = store_of(opts.as_ref())?;
            if let Some(j) = job(&upload_id) {
                j.stop.set(Stop::Api);
                j.controller.borrow().abort();
                store = j.store.clone();
                // Let the parts in flight see the abort before OSS forgets the upload.
                sleep_ms(0).await;
            }
            let t = WebTransport::new(None, timeout_ms, None);
            core.abort_multipart_upload(&t, &key, &upload_id).await?;
            forget(&upload_id);
            let _ = store.delete(&upload_id).await;
            Ok(JsValue::UNDEFINED)
        }))
    }

    /// The parts OSS holds for an upload (every page of ListParts).
    #[wasm_bindgen(js_name = listParts, unchecked_return_type = "Promise<ListedPart[]>")]
    pub fn list_parts(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
        #[wasm_bindgen(js_name = uploadId, unchecked_param_type = "string")] upload_id: JsValue,
    ) -> Promise {
        let (core, timeout_ms) = (Rc::clone(&self.core), self.timeout_ms);
        promise(Box::pin(async move {
            let key = string_arg(&key, "key")?;
            let upload_id = upload_id_arg(&upload_id)?;
            let t = WebTransport::new(None, timeout_ms, None);
            let parts = core.list_parts(&t, &key, &upload_id).await?;
            let out = Array::new();
            for p in parts {
                let o = Object::new();
                set(&o, "partNumber", &JsValue::from(p.number));
                set(&o, "etag", &JsValue::from_str(&p.etag));
                set(&o, "size", &JsValue::from_f64(num(p.size)));
                if let Some(c) = p.crc64 {
                    set(&o, "crc64", &JsValue::from_str(&c.to_string()));
                }
                if let Some(m) = &p.last_modified {
                    set(&o, "lastModified", &JsValue::from_str(m));
                }
                out.push(&o);
            }
            Ok(out.into())
        }))
    }

    /// Checkpoints of this bucket that `multipartUpload` or `resume` can continue.
    #[wasm_bindgen(
        js_name = listResumableUploads,
        unchecked_return_type = "Promise<ResumableUpload[]>"
    )]
    pub fn list_resumable_uploads(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "CheckpointOptions")] options: Option<
            JsValue,
        >,
    ) -> Promise {
        let (core, max_age_ms) = (Rc::clone(&self.core), self.checkpoint_max_age_ms);
        promise(Box::pin(async move {
            let opts = opts_of(options.as_ref())?;
            if let Some(o) = &opts {
                o.only(&["checkpoint"], "listResumableUploads")?;
            }
            let store = store_of(opts.as_ref())?;
            let bucket = core.config().bucket.as_str();
            let out = Array::new();
            for cp in live_checkpoints(&store, bucket, max_age_ms).await? {
                out.push(&checkpoint::summary(&cp));
            }
            Ok(out.into())
        }))
    }

    /// Forgets a checkpoint; with `{ abort: true }` also sends AbortMultipartUpload.
    #[wasm_bindgen(js_name = discardResumableUpload, unchecked_return_type = "Promise<void>")]
    pub fn discard_resumable_upload(
        &self,
        #[wasm_bindgen(js_name = uploadId, unchecked_param_type = "string")] upload_id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "DiscardOptions")] options: Option<JsValue>,
    ) -> Promise {
        let (core, timeout_ms) = (Rc::clone(&self.core), self.timeout_ms);
        promise(Box::pin(async move {
            let upload_id = upload_id_arg(&upload_id)?;
            let opts = opts_of(options.as_ref())?;
            if let Some(o) = &opts {
                o.only(&["checkpoint", "abort"], "discardResumableUpload")?;
            }
            let store = store_of(opts.as_ref())?;
            let abort = match &opts {
                Some(o) => o.opt_bool("abort")?,
                None => false,
            };
            if abort {
                let key = match store
                    .get(&upload_id)
                    .await?
                    .as_ref()
                    .and_then(checkpoint::checkpoint_of)
                {
                    Some(cp) => cp.key,
                    None => job(&upload_id)
                        .map(|j| j.key.clone())
                        .ok_or_else(|| Error::invalid("uploadId", "has no checkpoint"))?,
                };
                if let Some(j) = job(&upload_id) {
                    j.stop.set(Stop::Api);
                    j.controller.borrow().abort();
                }
                let t = WebTransport::new(None, timeout_ms, None);
                core.abort_multipart_upload(&t, &key, &upload_id).await?;
            } else if let Some(j) = job(&upload_id) {
                if j.running.get() {
                    return Err(Error::invalid(
                        "uploadId",
                        "is running: pause or abort it first",
                    ));
                }
            }
            forget(&upload_id);
            store.delete(&upload_id).await?;
            Ok(JsValue::UNDEFINED)
        }))
    }
}

impl OssClient {
    /// Reads the options (those of `api`; `putObject` checked its own), fingerprints the file
    /// and finds its checkpoint, claimed ([`Claim`]) unless another call of this page has it.
    async fn prepare(
        &self,
        key: String,
        file: &JsValue,
        options: Option<&JsValue>,
        api: &str,
    ) -> Result<(Rc<Job>, Fingerprint, Option<Checkpoint>, Option<Claim>)> {
        let opts = opts_of(options)?;
        let o = opts.as_ref();
        if let Some(o) = o.filter(|_| api != "putObject") {
            o.only(&MULTIPART_OPTIONS, api)?;
        }
        crate::names::ObjectKey::new(&key)?;
        let blob = blob_of(file)?;
        #[allow(clippy::cast_sign_loss)]
        let part_size = match o {
            Some(o) => o
                .opt_int("partSize", 100 * 1024, 5 * 1024 * 1024 * 1024)?
                .map(|n| n as u64),
            None => None,
        };
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let concurrency = match o {
            Some(o) => o.opt_int("concurrency", 1, 32)?.map_or(4, |n| n as usize),
            None => 4,
        };
        let (headers, header_type) = content_type::upload_headers(match o {
            Some(o) => o.string_map("headers")?,
            None => Vec::new(),
        })?;
        if headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-md5"))
        {
            return Err(Error::invalid(
                "headers.Content-MD5",
                "is not supported by multipart uploads (each part is checked by CRC64)",
            ));
        }
        let explicit = match o {
            Some(o) => o.opt_string("contentType")?,
            None => None,
        }
        .or(header_type);
        let own = Some(blob.blob_type()).filter(|t| !t.is_empty());
        let content_type = content_type::resolve(explicit.as_deref(), own.as_deref(), &key)?;
        let verify_crc64 = match o.map(|o| o.get("verifyCrc64")).transpose()?.flatten() {
            None => true,
            Some(v) => v
                .as_bool()
                .ok_or_else(|| Error::invalid("verifyCrc64", "must be a boolean"))?,
        };
        let on_progress = function_of(o, "onProgress")?;
        let signal = signal_of(o)?;
        let store = store_of(o)?;
        let fp = fingerprint(&blob).await?;
        PartPlan::new(fp.size, part_size)?;
        let bucket = self.core.config().bucket.as_str();
        let resume = match live_checkpoints(&store, bucket, self.checkpoint_max_age_ms).await {
            Ok(all) => find_resumable(&all, bucket, &key, &fp).cloned(),
            Err(_) => None,
        };
        // The object's Content-Type was fixed by InitiateMultipartUpload: a call asking for
        // another one starts a new upload rather than silently keep the old type.
        let resume = resume.filter(|cp| api == "resume" || cp.content_type == content_type);
        let claim = claim_call(api, &self.core.bucket_url(), &key, &fp, resume.as_ref())?;
        let job = Rc::new(Job {
            key,
            file: blob,
            content_type,
            headers,
            part_size,
            concurrency,
            verify_crc64,
            on_progress,
            signal,
            store,
            last: RefCell::new(None),
            controller: RefCell::new(AbortController::new()),
            stop: Cell::new(Stop::None),
            running: Cell::new(false),
            paused_abort: RefCell::new(None),
            tab_lock: RefCell::new(None),
        });
        Ok((job, fp, resume, claim))
    }
}
