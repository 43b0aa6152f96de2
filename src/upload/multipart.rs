//! The pure pieces of a multipart upload: the part plan, the CompleteMultipartUpload body,
//! Initiate and ListParts parsing, the checkpoint model (never holding credentials) and its
//! text form, resume reconciliation with ListParts, the whole object's CRC64 from its parts,
//! progress accounting, and a tiny join for a bounded number of part workers.
//!
//! The orchestration itself is `Client::multipart_upload` (`upload::client::multipart`).

use super::xml;
use crate::error::{Error, Result};
use core::cell::Cell;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

/// Smallest part OSS accepts (every part but the last): 100 KB.
pub const MIN_PART_SIZE: u64 = 100 * 1024;
/// Largest part OSS accepts: 5 GiB.
pub const MAX_PART_SIZE: u64 = 5 * 1024 * 1024 * 1024;
/// Most parts in one upload.
pub const MAX_PARTS: u64 = 10_000;
/// Part size chosen when none is given, unless the file needs bigger parts.
pub const DEFAULT_PART_SIZE: u64 = 8 * 1024 * 1024;
/// The fingerprint hashes this much at each end of the file.
pub const FINGERPRINT_BYTES: u64 = 1024 * 1024;
/// Largest object a multipart upload may build (10,000 parts of 5 GiB; OSS caps objects at
/// 48.8 TB, which this stays under).
pub const MAX_OBJECT_SIZE: u64 = MAX_PART_SIZE * MAX_PARTS;

/// How a file of `size` bytes is cut: parts of `part_size`, the last one shorter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartPlan {
    /// Bytes in the file.
    pub size: u64,
    /// Bytes per part (the last part may be shorter).
    pub part_size: u64,
    /// Number of parts (at least 1: an empty file is one empty part).
    pub count: u32,
}

impl PartPlan {
    /// The plan for `size` bytes: `part_size` if given (checked), otherwise 8 MiB, or the
    /// smallest whole number of MiB that keeps the file within 10,000 parts.
    pub fn new(size: u64, part_size: Option<u64>) -> Result<Self> {
        if size > MAX_OBJECT_SIZE {
            return Err(Error::invalid(
                "file",
                "is larger than a multipart upload can hold (10,000 parts of 5 GiB)",
            ));
        }
        let min_for_count = size.div_ceil(MAX_PARTS).max(MIN_PART_SIZE);
        let part_size = if let Some(p) = part_size {
            if !(MIN_PART_SIZE..=MAX_PART_SIZE).contains(&p) {
                return Err(Error::invalid(
                    "partSize",
                    "must be from 102400 (100 KB) to 5368709120 (5 GiB) bytes",
                ));
            }
            if p < min_for_count {
                let mut m = String::from(
                    "is too small for this file: OSS allows 10,000 parts, so parts must be at least ",
                );
                m.push_str(&min_for_count.to_string());
                m.push_str(" bytes");
                return Err(Error::invalid("partSize", m));
            }
            p
        } else {
            DEFAULT_PART_SIZE.max(min_for_count.div_ceil(1 << 20) << 20)
        };
        let count = u32::try_from(size.div_ceil(part_size).max(1))
            .map_err(|_| Error::invalid("partSize", "gives too many parts"))?;
        Ok(Self {
            size,
            part_size,
            count,
        })
    }

    /// The byte range `[start, end)` of part `number` (1-based).
    pub fn range(&self, number: u32) -> (u64, u64) {
        let start = u64::from(number.saturating_sub(1)) * self.part_size;
        let start = start.min(self.size);
        (start, (start + self.part_size).min(self.size))
    }

    /// Bytes in part `number`.
    pub fn len(&self, number: u32) -> u64 {
        let (a, b) = self.range(number);
        b - a
    }

    /// Whether the file is empty.
    pub fn is_empty(&self) -> bool {
        self.size == 0
    }
}

/// Escapes text for an XML element.
fn xml_escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
}

/// The CompleteMultipartUpload body for `(part number, ETag)` pairs in ascending order.
pub fn complete_xml<'a>(parts: impl IntoIterator<Item = (u32, &'a str)>) -> String {
    let mut out = String::from("<CompleteMultipartUpload>");
    for (n, etag) in parts {
        out.push_str("<Part><PartNumber>");
        out.push_str(&n.to_string());
        out.push_str("</PartNumber><ETag>");
        xml_escape_into(&mut out, etag);
        out.push_str("</ETag></Part>");
    }
    out.push_str("</CompleteMultipartUpload>");
    out
}

/// The `UploadId` of an InitiateMultipartUpload answer.
pub fn parse_initiate(body: &str) -> Result<String> {
    xml::element(body, "UploadId")
        .filter(|id| !id.is_empty())
        .ok_or_else(|| {
            Error::InvalidResponse(String::from(
                "InitiateMultipartUpload answered without an UploadId",
            ))
        })
}

/// A part as ListParts reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedPart {
    /// Part number.
    pub number: u32,
    /// ETag, quoted as OSS sends it.
    pub etag: String,
    /// Bytes.
    pub size: u64,
    /// `HashCrc64ecma`, when OSS gives it.
    pub crc64: Option<u64>,
    /// `LastModified` (ISO 8601).
    pub last_modified: Option<String>,
}

/// One page of a ListParts answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListPartsPage {
    /// Parts in this page.
    pub parts: Vec<ListedPart>,
    /// Whether more pages follow.
    pub truncated: bool,
    /// `NextPartNumberMarker`, to ask for the next page.
    pub next_marker: Option<u32>,
}

/// The bodies of every `<name>…</name>` element (flat, not nested in one another).
fn blocks<'a>(xml: &'a str, name: &str) -> Vec<&'a str> {
    let open = {
        let mut s = String::from("<");
        s.push_str(name);
        s.push('>');
        s
    };
    let close = {
        let mut s = String::from("</");
        s.push_str(name);
        s.push('>');
        s
    };
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(at) = rest.find(&open) {
        let inner = rest.get(at + open.len()..).unwrap_or_default();
        let Some(end) = inner.find(&close) else { break };
        out.push(inner.get(..end).unwrap_or_default());
        rest = inner.get(end + close.len()..).unwrap_or_default();
    }
    out
}

/// Parses a ListParts answer.
pub fn parse_list_parts(body: &str) -> Result<ListPartsPage> {
    if !body.contains("<ListPartsResult") {
        return Err(Error::InvalidResponse(String::from(
            "ListParts answered without a ListPartsResult",
        )));
    }
    let mut parts = Vec::new();
    for b in blocks(body, "Part") {
        let number = xml::element(b, "PartNumber").and_then(|n| n.trim().parse().ok());
        let size = xml::element(b, "Size").and_then(|n| n.trim().parse().ok());
        let (Some(number), Some(size)) = (number, size) else {
            return Err(Error::InvalidResponse(String::from(
                "ListParts answered a part without PartNumber or Size",
            )));
        };
        parts.push(ListedPart {
            number,
            etag: xml::element(b, "ETag").unwrap_or_default(),
            size,
            crc64: xml::element(b, "HashCrc64ecma").and_then(|c| c.trim().parse().ok()),
            last_modified: xml::element(b, "LastModified"),
        });
    }
    Ok(ListPartsPage {
        parts,
        truncated: xml::element(body, "IsTruncated").is_some_and(|t| t.trim() == "true"),
        next_marker: xml::element(body, "NextPartNumberMarker").and_then(|n| n.trim().parse().ok()),
    })
}

/// What identifies a file across page reloads: name, size, lastModified, and the CRC64 of its
/// first and last MiB (so an edited file with the same name and size is not mistaken for it).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Fingerprint {
    /// File name ("" for a Blob).
    pub name: String,
    /// Bytes.
    pub size: u64,
    /// `File.lastModified` in ms (0 for a Blob).
    pub last_modified: i64,
    /// CRC64 of the first MiB (or the whole file if smaller).
    pub head_crc: u64,
    /// CRC64 of the last MiB (or the whole file if smaller).
    pub tail_crc: u64,
}

impl Fingerprint {
    /// The ranges to hash: the first and last [`FINGERPRINT_BYTES`].
    pub fn ranges(size: u64) -> [(u64, u64); 2] {
        let head = (0, size.min(FINGERPRINT_BYTES));
        let tail = (size.saturating_sub(FINGERPRINT_BYTES), size);
        [head, tail]
    }
}

/// A part known to be stored: its ETag and the CRC64 of the local bytes it was made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DonePart {
    /// Part number.
    pub number: u32,
    /// ETag as OSS returned it.
    pub etag: String,
    /// CRC64 of the part's bytes.
    pub crc64: u64,
}

/// What is kept to resume an upload after a reload. Holds no credential of any kind.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Checkpoint {
    /// The upload.
    pub upload_id: String,
    /// Bucket.
    pub bucket: String,
    /// Object key.
    pub key: String,
    /// Bytes per part.
    pub part_size: u64,
    /// The Content-Type sent with InitiateMultipartUpload.
    pub content_type: String,
    /// The file.
    pub fingerprint: Fingerprint,
    /// Finished parts, ascending.
    pub parts: Vec<DonePart>,
    /// CompleteMultipartUpload has been sent (maybe without an answer): never send it again.
    pub completing: bool,
    /// When the upload was initiated (ms since the epoch, local clock).
    pub created_ms: i64,
    /// Last save (ms since the epoch, local clock).
    pub updated_ms: i64,
}

const CHECKPOINT_MAGIC: &str = "oss-direct-upload checkpoint 1";

fn push_field(out: &mut String, s: &str) {
    crate::encode::uri_encode_into(out, s, false);
    out.push('\n');
}

impl Checkpoint {
    /// Bytes of finished parts under `plan`.
    pub fn bytes_done(&self) -> u64 {
        let Ok(plan) = PartPlan::new(self.fingerprint.size, Some(self.part_size.max(1))) else {
            return 0;
        };
        self.parts.iter().map(|p| plan.len(p.number)).sum()
    }

    /// Number of parts under the checkpoint's part size.
    pub fn parts_total(&self) -> u32 {
        u32::try_from(self.fingerprint.size.div_ceil(self.part_size.max(1)).max(1))
            .unwrap_or(u32::MAX)
    }

    /// Whether this checkpoint is for `key` in `bucket` of the file `fp`.
    pub fn matches(&self, bucket: &str, key: &str, fp: &Fingerprint) -> bool {
        self.bucket == bucket && self.key == key && &self.fingerprint == fp
    }

    /// The text form: one percent-encoded field per line, then one line per part
    /// (`number etag crc64`). Unbounded in size, cheap to write after every part.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(256 + self.parts.len() * 64);
        out.push_str(CHECKPOINT_MAGIC);
        out.push('\n');
        let fp = &self.fingerprint;
        for f in [
            self.upload_id.as_str(),
            &self.bucket,
            &self.key,
            &self.part_size.to_string(),
            &self.content_type,
            &fp.name,
            &fp.size.to_string(),
            &fp.last_modified.to_string(),
            &fp.head_crc.to_string(),
            &fp.tail_crc.to_string(),
            if self.completing { "1" } else { "0" },
            &self.created_ms.to_string(),
            &self.updated_ms.to_string(),
        ] {
            push_field(&mut out, f);
        }
        for p in &self.parts {
            out.push_str(&p.number.to_string());
            out.push(' ');
            crate::encode::uri_encode_into(&mut out, &p.etag, false);
            out.push(' ');
            out.push_str(&p.crc64.to_string());
            out.push('\n');
        }
        out
    }

    /// Reads [`Checkpoint::encode`]'s output; `None` if it is not one.
    pub fn decode(text: &str) -> Option<Self> {
        let mut lines = text.lines();
        if lines.next()? != CHECKPOINT_MAGIC {
            return None;
        }
        let mut field = || crate::encode::uri_decode(lines.next()?);
        let upload_id = field()?;
        let bucket = field()?;
        let key = field()?;
        let part_size = field()?.parse().ok()?;
        let content_type = field()?;
        let name = field()?;
        let size = field()?.parse().ok()?;
        let last_modified = field()?.parse().ok()?;
        let head_crc = field()?.parse().ok()?;
        let tail_crc = field()?.parse().ok()?;
        let completing = field()? == "1";
        let created_ms = field()?.parse().ok()?;
        let updated_ms = field()?.parse().ok()?;
        let mut parts = Vec::new();
        for line in lines {
            let mut it = line.split(' ');
            let number = it.next()?.parse().ok()?;
            let etag = crate::encode::uri_decode(it.next()?)?;
            let crc64 = it.next()?.parse().ok()?;
            parts.push(DonePart {
                number,
                etag,
                crc64,
            });
        }
        if upload_id.is_empty() || part_size == 0 {
            return None;
        }
        Some(Self {
            upload_id,
            bucket,
            key,
            part_size,
            content_type,
            fingerprint: Fingerprint {
                name,
                size,
                last_modified,
                head_crc,
                tail_crc,
            },
            parts,
            completing,
            created_ms,
            updated_ms,
        })
    }
}

/// Whether `cp` has not been saved for more than `max_age_ms` at `now_ms` (local clock; a
/// `max_age_ms` of 0 keeps checkpoints forever). OSS lifecycle rules remove unfinished uploads,
/// so such a checkpoint most likely points at an upload that is gone.
pub fn is_stale(cp: &Checkpoint, now_ms: i64, max_age_ms: i64) -> bool {
    max_age_ms > 0 && now_ms.saturating_sub(cp.updated_ms.max(cp.created_ms)) > max_age_ms
}

/// The most recently saved checkpoint for this bucket, key and file, if any.
pub fn find_resumable<'a>(
    cps: &'a [Checkpoint],
    bucket: &str,
    key: &str,
    fp: &Fingerprint,
) -> Option<&'a Checkpoint> {
    cps.iter()
        .filter(|c| c.matches(bucket, key, fp))
        .max_by_key(|c| c.updated_ms)
}

/// What resuming does with one part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartState {
    /// Stored: hash the local bytes and keep the part only if they have this CRC64 (the
    /// checkpoint's, or OSS's), upload it again otherwise or when no CRC64 is known. Never kept
    /// on the checkpoint's word alone: a different file can share the fingerprint (same name,
    /// size, date and first and last MiB), and its parts must not end up in this object.
    Verify {
        /// ETag OSS listed.
        etag: String,
        /// The CRC64 the local bytes must have.
        crc64: Option<u64>,
    },
    /// Missing or of the wrong size: upload it.
    Upload,
}

/// Reconciles a checkpoint's parts with what ListParts says is stored, for every part of
/// `plan`. A part counts only if OSS has it with the planned size; the CRC64 to check the local
/// bytes against is OSS's when listed, else the checkpoint's where its ETag equals OSS's.
pub fn reconcile(plan: &PartPlan, saved: &[DonePart], listed: &[ListedPart]) -> Vec<PartState> {
    // OSS lists parts in ascending order and checkpoints keep them so: binary search then,
    // a linear scan otherwise (no sort code in the wasm).
    let listed_sorted = listed
        .windows(2)
        .all(|w| matches!(w, [a, b] if a.number < b.number));
    let saved_sorted = saved
        .windows(2)
        .all(|w| matches!(w, [a, b] if a.number < b.number));
    let find_listed = |n: u32| {
        if listed_sorted {
            listed
                .binary_search_by_key(&n, |p| p.number)
                .ok()
                .and_then(|i| listed.get(i))
        } else {
            listed.iter().find(|p| p.number == n)
        }
    };
    let find_saved = |n: u32| {
        if saved_sorted {
            saved
                .binary_search_by_key(&n, |p| p.number)
                .ok()
                .and_then(|i| saved.get(i))
        } else {
            saved.iter().find(|p| p.number == n)
        }
    };
    (1..=plan.count)
        .map(|n| {
            let l = find_listed(n).filter(|l| l.size == plan.len(n));
            let Some(l) = l else {
                return PartState::Upload;
            };
            let saved_crc = find_saved(n)
                .filter(|s| etag_eq(&s.etag, &l.etag))
                .map(|s| s.crc64);
            PartState::Verify {
                etag: l.etag.clone(),
                crc64: l.crc64.or(saved_crc),
            }
        })
        .collect()
}

/// ETags compared as OSS does: quotes and case ignored.
pub fn etag_eq(a: &str, b: &str) -> bool {
    a.trim_matches('"')
        .eq_ignore_ascii_case(b.trim_matches('"'))
}

/// The whole object's CRC64 from its parts' CRCs, in part order.
pub fn object_crc(plan: &PartPlan, parts: &[DonePart]) -> u64 {
    parts.iter().fold(0, |acc, p| {
        crate::crc64::combine(acc, p.crc64, plan.len(p.number))
    })
}

/// What a multipart upload is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// InitiateMultipartUpload, or ListParts when resuming.
    Initiating,
    /// Parts are being sent.
    Uploading,
    /// CompleteMultipartUpload is under way.
    Completing,
    /// The object is stored.
    Done,
}

impl Phase {
    /// The JS name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Initiating => "initiating",
            Self::Uploading => "uploading",
            Self::Completing => "completing",
            Self::Done => "done",
        }
    }
}

/// A progress report.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// Bytes stored or on the wire (parts done plus bytes of parts in flight).
    pub loaded: u64,
    /// Bytes in the file.
    pub total: u64,
    /// Parts stored.
    pub parts_done: u32,
    /// Parts in all.
    pub parts_total: u32,
    /// Recent upload rate (bytes per second over the last few seconds; 0 until measured).
    pub bytes_per_sec: f64,
    /// Phase.
    pub phase: Phase,
}

/// Progress accounting: bytes of finished parts, bytes on the wire of parts in flight (from
/// upload events, reset when an attempt fails), and a rate over a sliding window.
#[derive(Debug, Clone)]
pub struct Tracker {
    total: u64,
    parts_total: u32,
    done_bytes: u64,
    parts_done: u32,
    in_flight: Vec<(u32, u64)>,
    phase: Phase,
    samples: Vec<(i64, u64)>,
}

/// Rate window.
const RATE_WINDOW_MS: i64 = 5_000;

impl Tracker {
    /// A tracker for a file of `total` bytes in `parts_total` parts.
    pub fn new(total: u64, parts_total: u32) -> Self {
        Self {
            total,
            parts_total,
            done_bytes: 0,
            parts_done: 0,
            in_flight: Vec::new(),
            phase: Phase::Initiating,
            samples: Vec::new(),
        }
    }

    /// Re-plans (the part size of a resumed checkpoint may differ from the first guess).
    pub fn reset(&mut self, total: u64, parts_total: u32) {
        *self = Self::new(total, parts_total);
    }

    /// Sets the phase.
    pub fn set_phase(&mut self, phase: Phase) {
        self.phase = phase;
    }

    /// `loaded` bytes of part `n` are on the wire.
    pub fn part_loaded(&mut self, n: u32, loaded: u64, now_ms: i64) {
        match self.in_flight.iter_mut().find(|(p, _)| *p == n) {
            Some(slot) => slot.1 = loaded,
            None => self.in_flight.push((n, loaded)),
        }
        self.sample(now_ms);
    }

    /// Part `n` failed an attempt: its bytes on the wire no longer count.
    pub fn part_reset(&mut self, n: u32) {
        self.in_flight.retain(|(p, _)| *p != n);
    }

    /// Part `n` of `len` bytes is stored.
    pub fn part_done(&mut self, n: u32, len: u64, now_ms: i64) {
        self.in_flight.retain(|(p, _)| *p != n);
        self.done_bytes += len;
        self.parts_done += 1;
        self.sample(now_ms);
    }

    fn loaded(&self) -> u64 {
        (self.done_bytes + self.in_flight.iter().map(|(_, b)| b).sum::<u64>()).min(self.total)
    }

    fn sample(&mut self, now_ms: i64) {
        let loaded = self.loaded();
        self.samples.retain(|(t, _)| now_ms - *t <= RATE_WINDOW_MS);
        if self.samples.len() >= 64 {
            self.samples.remove(0);
        }
        self.samples.push((now_ms, loaded));
    }

    /// The report now.
    pub fn snapshot(&self) -> Progress {
        let rate = match (self.samples.first(), self.samples.last()) {
            (Some(&(t0, b0)), Some(&(t1, b1))) if t1 > t0 && b1 >= b0 => {
                #[allow(clippy::cast_precision_loss)]
                let r = (b1 - b0) as f64 * 1000.0 / (t1 - t0) as f64;
                r
            }
            _ => 0.0,
        };
        Progress {
            loaded: if self.phase == Phase::Done {
                self.total
            } else {
                self.loaded()
            },
            total: self.total,
            parts_done: self.parts_done,
            parts_total: self.parts_total,
            bytes_per_sec: rate,
            phase: self.phase,
        }
    }
}

/// The source of part bodies and their CRC64s (a File in the browser, bytes in tests).
#[allow(async_fn_in_trait)] // single-threaded by design
pub trait PartSource {
    /// A body handle.
    type Body;

    /// The bytes `[start, end)` as a body to send (a `Blob.slice` in the browser: no copy).
    fn slice(&self, start: u64, end: u64) -> Self::Body;

    /// A small text body (the CompleteMultipartUpload XML).
    fn text(&self, text: &str) -> Self::Body;

    /// The CRC64 of the bytes `[start, end)`, read in chunks.
    async fn crc64(&self, start: u64, end: u64) -> Result<u64>;
}

/// What the orchestration tells its caller while it runs.
#[allow(async_fn_in_trait)] // single-threaded by design
pub trait MultipartObserver {
    /// The upload has an uploadId (new or resumed), the plan is fixed.
    fn started(&self, checkpoint: &Checkpoint);

    /// The phase changed.
    fn phase(&self, phase: Phase);

    /// An attempt of part `n` begins (its bytes on the wire restart from 0).
    fn part_started(&self, n: u32);

    /// Part `n` of `len` bytes is stored.
    fn part_done(&self, n: u32, len: u64);

    /// Saves the checkpoint (errors are the store's to report; the upload goes on).
    async fn save(&self, checkpoint: &Checkpoint);

    /// The upload finished or was found gone: forget its checkpoint.
    async fn discard(&self, upload_id: &str);
}

/// Runs futures concurrently on the caller's task until all finish (no executor, no `Send`).
pub struct JoinAll<'a, T> {
    futs: Vec<Option<Pin<Box<dyn Future<Output = T> + 'a>>>>,
    out: Vec<Option<T>>,
}

impl<T> core::fmt::Debug for JoinAll<'_, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("JoinAll")
            .field("pending", &self.futs.iter().filter(|f| f.is_some()).count())
            .finish()
    }
}

/// Joins `futs`: resolves to their outputs in order once every one is ready.
pub fn join_all<'a, T>(futs: Vec<Pin<Box<dyn Future<Output = T> + 'a>>>) -> JoinAll<'a, T> {
    let out = futs.iter().map(|_| None).collect();
    JoinAll {
        futs: futs.into_iter().map(Some).collect(),
        out,
    }
}

// Outputs are never pinned; the futures are boxed.
impl<T> Unpin for JoinAll<'_, T> {}

impl<T> Future for JoinAll<'_, T> {
    type Output = Vec<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Vec<T>> {
        let this = self.get_mut();
        for (slot, out) in this.futs.iter_mut().zip(this.out.iter_mut()) {
            if let Some(f) = slot {
                if let Poll::Ready(v) = f.as_mut().poll(cx) {
                    *out = Some(v);
                    *slot = None;
                }
            }
        }
        if this.futs.iter().all(Option::is_none) {
            Poll::Ready(this.out.iter_mut().filter_map(Option::take).collect())
        } else {
            Poll::Pending
        }
    }
}

/// Runs `a` and `b` concurrently on the caller's task; resolves to both outputs.
pub async fn join2<A, B>(a: impl Future<Output = A>, b: impl Future<Output = B>) -> (A, B) {
    let mut a = core::pin::pin!(a);
    let mut b = core::pin::pin!(b);
    let (mut ra, mut rb) = (None, None);
    core::future::poll_fn(move |cx| {
        if ra.is_none() {
            if let Poll::Ready(v) = a.as_mut().poll(cx) {
                ra = Some(v);
            }
        }
        if rb.is_none() {
            if let Poll::Ready(v) = b.as_mut().poll(cx) {
                rb = Some(v);
            }
        }
        match (ra.take(), rb.take()) {
            (Some(x), Some(y)) => Poll::Ready((x, y)),
            (x, y) => {
                ra = x;
                rb = y;
                Poll::Pending
            }
        }
    })
    .await
}

/// A queue of part numbers shared by the workers.
#[derive(Debug, Default)]
pub struct PartQueue {
    next: Cell<usize>,
    parts: Vec<u32>,
    stopped: Cell<bool>,
}

impl PartQueue {
    /// A queue of `parts`.
    pub fn new(parts: Vec<u32>) -> Self {
        Self {
            next: Cell::new(0),
            parts,
            stopped: Cell::new(false),
        }
    }

    /// The next part, unless the queue is empty or stopped.
    pub fn pop(&self) -> Option<u32> {
        if self.stopped.get() {
            return None;
        }
        let i = self.next.get();
        let n = self.parts.get(i).copied()?;
        self.next.set(i + 1);
        Some(n)
    }

    /// No more parts are handed out.
    pub fn stop(&self) {
        self.stopped.set(true);
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]
mod tests {
    use super::*;

    const MIB: u64 = 1024 * 1024;

    #[test]
    fn plan_auto_uses_8_mib_until_10000_parts_need_more() {
        let p = PartPlan::new(1024 * MIB, None).unwrap();
        assert_eq!((p.part_size, p.count), (8 * MIB, 128));
        assert_eq!(p.range(128), (1016 * MIB, 1024 * MIB));
        let big = PartPlan::new(200_000 * MIB, None).unwrap();
        assert_eq!(big.part_size, 20 * MIB);
        assert_eq!(big.count, 10_000);
        let odd = PartPlan::new(100_000 * MIB + 1, None).unwrap();
        assert!(odd.count <= 10_000);
        assert_eq!(odd.part_size % MIB, 0);
        let empty = PartPlan::new(0, None).unwrap();
        assert_eq!((empty.count, empty.range(1)), (1, (0, 0)));
        let last = PartPlan::new(10 * MIB + 5, Some(MIB)).unwrap();
        assert_eq!((last.count, last.len(11)), (11, 5));
    }

    #[test]
    fn plan_rejects_bad_part_sizes_naming_the_option() {
        let e = PartPlan::new(MIB, Some(1000)).unwrap_err();
        assert_eq!(e.field(), Some("partSize"));
        let e = PartPlan::new(10_001 * MIN_PART_SIZE, Some(MIN_PART_SIZE)).unwrap_err();
        assert!(e.to_string().contains("at least"), "{e}");
        assert!(PartPlan::new(MAX_OBJECT_SIZE + 1, None).is_err());
    }

    #[test]
    fn complete_xml_lists_parts_in_order_escaped() {
        assert_eq!(
            complete_xml([(1, "\"A\""), (2, "\"B&\"")]),
            "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"A\"</ETag></Part>\
             <Part><PartNumber>2</PartNumber><ETag>\"B&amp;\"</ETag></Part></CompleteMultipartUpload>"
        );
    }

    #[test]
    fn parses_initiate_and_list_parts_from_the_docs() {
        let init = "<?xml version=\"1.0\"?><InitiateMultipartUploadResult xmlns=\"x\"><Bucket>b</Bucket><Key>k</Key><UploadId>0004B9894A22E5B1888A1E29F823****</UploadId></InitiateMultipartUploadResult>";
        assert_eq!(
            parse_initiate(init).unwrap(),
            "0004B9894A22E5B1888A1E29F823****"
        );
        assert!(parse_initiate("<Error/>").is_err());
        let list = "<ListPartsResult><Bucket>b</Bucket><UploadId>U</UploadId><PartNumberMarker>0</PartNumberMarker>\
            <NextPartNumberMarker>5</NextPartNumberMarker><MaxParts>1000</MaxParts><IsTruncated>true</IsTruncated>\
            <Part><PartNumber>1</PartNumber><LastModified>2012-02-23T07:01:34.000Z</LastModified>\
            <ETag>&quot;3349DC70&quot;</ETag><HashCrc64ecma>123</HashCrc64ecma><Size>6291456</Size></Part>\
            <Part><PartNumber>5</PartNumber><ETag>\"X\"</ETag><Size>10</Size></Part></ListPartsResult>";
        let page = parse_list_parts(list).unwrap();
        assert!(page.truncated);
        assert_eq!(page.next_marker, Some(5));
        assert_eq!(page.parts.len(), 2);
        assert_eq!(page.parts[0].etag, "\"3349DC70\"");
        assert_eq!(page.parts[0].crc64, Some(123));
        assert_eq!(page.parts[0].size, 6_291_456);
        assert_eq!(page.parts[1].crc64, None);
    }

    fn cp() -> Checkpoint {
        Checkpoint {
            upload_id: "U1".into(),
            bucket: "demo".into(),
            key: "dir/a b\nc%.bin".into(),
            part_size: MIB,
            content_type: "application/octet-stream".into(),
            fingerprint: Fingerprint {
                name: "a b.bin".into(),
                size: 3 * MIB + 1,
                last_modified: 1_700_000_000_000,
                head_crc: 1,
                tail_crc: u64::MAX,
            },
            parts: vec![
                DonePart {
                    number: 1,
                    etag: "\"E1\"".into(),
                    crc64: 11,
                },
                DonePart {
                    number: 3,
                    etag: "\"E 3\"".into(),
                    crc64: 33,
                },
            ],
            completing: false,
            created_ms: 5,
            updated_ms: 6,
        }
    }

    #[test]
    fn checkpoint_round_trips_and_rejects_foreign_text() {
        let c = cp();
        let text = c.encode();
        assert_eq!(Checkpoint::decode(&text), Some(c.clone()));
        assert_eq!(c.parts_total(), 4);
        assert_eq!(c.bytes_done(), 2 * MIB);
        assert!(Checkpoint::decode("{}").is_none());
        assert!(Checkpoint::decode(&text.replace("U1", "")).is_none());
    }

    #[test]
    fn checkpoint_finds_the_latest_for_the_same_file_only() {
        let a = cp();
        let mut b = cp();
        b.upload_id = "U2".into();
        b.updated_ms = 9;
        let mut other = cp();
        other.fingerprint.tail_crc = 7;
        other.updated_ms = 99;
        let all = [a.clone(), b, other];
        let found = find_resumable(&all, "demo", &a.key, &a.fingerprint).unwrap();
        assert_eq!(found.upload_id, "U2");
        assert!(find_resumable(&all, "demo", "other", &a.fingerprint).is_none());
    }

    #[test]
    fn checkpoints_go_stale_after_max_age_since_the_last_save() {
        let day = 86_400_000;
        let mut c = cp();
        c.created_ms = 0;
        c.updated_ms = 3 * day;
        assert!(!is_stale(&c, 10 * day, 7 * day), "saved 7 days ago exactly");
        assert!(is_stale(&c, 10 * day + 1, 7 * day));
        assert!(!is_stale(&c, 1000 * day, 0), "0 keeps them forever");
        assert!(
            !is_stale(&c, 0, 7 * day),
            "a clock set back does not drop them"
        );
    }

    #[test]
    fn reconcile_trusts_only_parts_oss_still_has() {
        let plan = PartPlan::new(3 * MIB + 1, Some(MIB)).unwrap();
        let saved = cp().parts;
        let listed = vec![
            ListedPart {
                number: 1,
                etag: "\"e1\"".into(),
                size: MIB,
                crc64: Some(11),
                last_modified: None,
            },
            // part 2: stored but unknown to the checkpoint (finished just before a reload)
            ListedPart {
                number: 2,
                etag: "\"E2\"".into(),
                size: MIB,
                crc64: Some(22),
                last_modified: None,
            },
            // part 3 was lost; part 4 has the wrong size
            ListedPart {
                number: 4,
                etag: "\"E4\"".into(),
                size: 2,
                crc64: None,
                last_modified: None,
            },
        ];
        let states = reconcile(&plan, &saved, &listed);
        assert_eq!(
            states[0],
            PartState::Verify {
                etag: "\"e1\"".into(),
                crc64: Some(11)
            }
        );
        assert_eq!(
            states[1],
            PartState::Verify {
                etag: "\"E2\"".into(),
                crc64: Some(22)
            }
        );
        assert_eq!(states[2], PartState::Upload);
        assert_eq!(states[3], PartState::Upload);
    }

    #[test]
    fn object_crc_combines_parts_like_the_whole() {
        let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let plan = PartPlan::new(data.len() as u64, Some(MIN_PART_SIZE)).unwrap();
        let parts: Vec<DonePart> = (1..=plan.count)
            .map(|n| {
                let (a, b) = plan.range(n);
                DonePart {
                    number: n,
                    etag: String::new(),
                    crc64: crate::crc64::checksum(&data[a as usize..b as usize]),
                }
            })
            .collect();
        assert_eq!(object_crc(&plan, &parts), crate::crc64::checksum(&data));
    }

    #[test]
    fn tracker_counts_bytes_on_the_wire_and_forgets_failed_attempts() {
        let mut t = Tracker::new(300, 3);
        t.set_phase(Phase::Uploading);
        t.part_loaded(1, 50, 0);
        t.part_loaded(2, 70, 500);
        assert_eq!(t.snapshot().loaded, 120);
        t.part_reset(2);
        t.part_done(1, 100, 1000);
        let s = t.snapshot();
        assert_eq!((s.loaded, s.parts_done, s.parts_total), (100, 1, 3));
        assert!((s.bytes_per_sec - 50.0).abs() < 1e-9, "{}", s.bytes_per_sec);
        t.set_phase(Phase::Done);
        assert_eq!(t.snapshot().loaded, 300);
    }

    #[test]
    fn queue_hands_out_each_part_once_until_stopped() {
        let q = PartQueue::new(vec![2, 4, 6]);
        assert_eq!(q.pop(), Some(2));
        assert_eq!(q.pop(), Some(4));
        q.stop();
        assert_eq!(q.pop(), None);
    }
}
