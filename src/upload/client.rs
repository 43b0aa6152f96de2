//! One upload, start to finish, through a [`Transport`]: credentials from the cache, signing at
//! the corrected clock, sending, and recovery — refetch-and-re-sign once on an expired or
//! invalid token, re-sign once on `RequestTimeTooSkewed`, retries with backoff on 5xx/429 and
//! network errors — and errors that explain themselves.

use super::diagnose;
use super::retry::RetryPolicy;
use super::signed::{self, ServerPostForm};
use super::skew::{self, SkewClock};
use super::transport::{HttpRequest, HttpResponse, Transport};
use super::xml;
use crate::credentials::cache::{
    CacheStatus, CachedCredentials, CredentialCache, CredentialSource,
};
use crate::credentials::{redact, Credentials};
use crate::endpoint::{Endpoint, EndpointKind, EndpointOptions};
use crate::error::{Error, Result};
use crate::names::{Bucket, ObjectKey, Region};
use crate::signer::{self, KeyCondition, PostPolicy, Request, RequestParts, SigningKeyCache};
use crate::time::UnixTime;
use core::cell::RefCell;

/// OSS codes meaning "these credentials are not (or no longer) valid".
pub const TOKEN_ERRORS: [&str; 3] = [
    "InvalidAccessKeyId",
    "SecurityTokenExpired",
    "InvalidSecurityToken",
];

/// Response headers a browser must be allowed to read.
pub const EXPOSE_HEADERS: &str = "ETag, x-oss-request-id, x-oss-hash-crc64ecma, Date";

/// Client settings.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Region.
    pub region: Region,
    /// Bucket.
    pub bucket: Bucket,
    /// Explicit endpoint, if any.
    pub endpoint: Option<String>,
    /// `endpoint` is a custom domain.
    pub cname: bool,
    /// Bucket in the path.
    pub path_style: bool,
    /// Endpoint family when `endpoint` is not given.
    pub endpoint_kind: EndpointKind,
    /// OSS on CloudBox: sign for this CloudBox ID with product "oss-cloudbox" (`endpoint` must
    /// then be the CloudBox's).
    pub cloud_box_id: Option<Region>,
    /// Refresh credentials this long before they expire.
    pub refresh_before_secs: i64,
    /// Retries of OSS requests and of the credential endpoint.
    pub retry: RetryPolicy,
    /// Allow plain http to non-loopback hosts.
    pub allow_insecure_http: bool,
}

impl ClientConfig {
    /// Checks the settings: names, endpoint, and https unless loopback or allowed.
    pub fn check(&self) -> Result<Endpoint> {
        if self.cloud_box_id.is_some() && self.endpoint.is_none() {
            return Err(Error::invalid("endpoint", crate::names::CLOUD_BOX_ENDPOINT));
        }
        let ep = Endpoint::resolve(&self.region, &self.endpoint_options())?;
        ep.check_bucket(&self.bucket)?;
        if ep.scheme() == "http" {
            let url = ep.url_for(&self.bucket, None);
            signed::check_scheme("endpoint", &url, self.allow_insecure_http)?;
        }
        Ok(ep)
    }

    fn endpoint_options(&self) -> EndpointOptions<'_> {
        EndpointOptions {
            endpoint: self.endpoint.as_deref(),
            kind: self.endpoint_kind,
            cname: self.cname,
            path_style: self.path_style,
        }
    }

    /// The region and product requests are signed for: the CloudBox ID and "oss-cloudbox" on
    /// CloudBox, else the region and "oss".
    pub fn signing(&self) -> (&Region, Option<&'static str>) {
        match &self.cloud_box_id {
            Some(id) => (id, Some("oss-cloudbox")),
            None => (&self.region, None),
        }
    }
}

/// What [`Client::put_object`] uploads.
#[derive(Debug, Clone)]
pub struct PutObjectInput<B> {
    /// Object key.
    pub key: String,
    /// Body handle.
    pub body: B,
    /// The resolved Content-Type (signed and sent).
    pub content_type: String,
    /// Other upload headers (already checked).
    pub headers: Vec<(String, String)>,
}

/// The result of an upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadOutput {
    /// Object key.
    pub key: String,
    /// `ETag`, as OSS sent it (quoted).
    pub etag: Option<String>,
    /// `x-oss-request-id`.
    pub request_id: Option<String>,
    /// `x-oss-hash-crc64ecma` (decimal).
    pub crc64: Option<String>,
    /// The object's URL (without signature).
    pub url: String,
    /// HTTP status.
    pub status: u16,
    /// What the app's server answered OSS's upload callback (OSS passes it on), when the request
    /// carried a callback.
    pub callback_response: Option<String>,
    /// Set when a PutObject with `x-oss-forbid-overwrite: true` met `FileAlreadyExists` and the
    /// object now at the key, read with HeadObject (the other fields are its), was stored while
    /// the upload ran, with its Content-Type: an attempt may have stored it, its answer lost. It
    /// is this upload only if its CRC-64 (`crc64`) is the body's; otherwise the upload failed
    /// with this error.
    pub unconfirmed: Option<Box<Error>>,
}

/// A presigned URL and what its user must know. Its Debug output hides the SecurityToken.
#[derive(Clone)]
pub struct PresignOutput {
    /// The URL.
    pub url: String,
    /// When it stops working.
    pub expires_at: UnixTime,
    /// Whether the expiry was shortened to the credentials' expiry.
    pub capped: bool,
    /// Headers to send with it exactly.
    pub headers: Vec<(String, String)>,
}

impl core::fmt::Debug for PresignOutput {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PresignOutput")
            .field("url", &redact::Text(&self.url))
            .field("expires_at", &self.expires_at)
            .field("capped", &self.capped)
            .field("headers", &redact::Pairs(&self.headers))
            .finish()
    }
}

/// Options of [`Client::create_post_policy`].
#[derive(Debug, Clone, Default)]
pub struct PostPolicyInput {
    /// Exact key or prefix.
    pub key: Option<KeyCondition>,
    /// Size bounds.
    pub content_length_range: Option<(u64, u64)>,
    /// Allowed Content-Type values (one: an "eq" condition, and a `Content-Type` field).
    pub content_types: Vec<String>,
    /// Content-Type prefix (`starts-with`), when no `content_types` are given.
    pub content_type_prefix: Option<String>,
    /// Requested validity.
    pub expires_in_secs: i64,
    /// 200, 201 or 204.
    pub success_action_status: Option<u16>,
    /// Further conditions as JSON texts.
    pub conditions: Vec<String>,
}

/// A signed PostObject form. Its Debug output hides the SecurityToken.
#[derive(Clone)]
pub struct PostPolicyOutput {
    /// Where to POST.
    pub url: String,
    /// Form fields in order; the file goes last.
    pub fields: Vec<(String, String)>,
    /// When the policy expires.
    pub expires_at: UnixTime,
    /// Whether the expiry was shortened to the credentials' expiry.
    pub capped: bool,
    /// The signed policy JSON.
    pub policy_text: String,
}

impl core::fmt::Debug for PostPolicyOutput {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PostPolicyOutput")
            .field("url", &self.url)
            .field("fields", &redact::Pairs(&self.fields))
            .field("expires_at", &self.expires_at)
            .field("capped", &self.capped)
            .field("policy_text", &redact::Text(&self.policy_text))
            .finish()
    }
}

/// What the request builder of a signed exchange produced: the request, and for diagnosis
/// what was signed.
struct Built<B> {
    req: HttpRequest<B>,
    signed: Option<(String, String)>,
}

/// Makes the request of one attempt from the credentials and the signing instant.
type Builder<'a, B> = dyn FnMut(Option<&Credentials>, UnixTime) -> Result<Built<B>> + 'a;

/// The browser-independent client: configuration, credential cache, learned clock offset and
/// signing-key cache, shared by every call.
#[derive(Debug)]
pub struct Client<S> {
    cfg: ClientConfig,
    endpoint: Endpoint,
    source: S,
    cache: CredentialCache,
    clock: SkewClock,
    keys: RefCell<SigningKeyCache>,
}

/// Completes when `t`'s caller aborts (`Aborted`) or `timeout_ms` (0: never) has passed since
/// the call (`Network`), checking every 100 ms.
async fn interrupted<T: Transport>(t: &T, timeout_ms: u32) -> Error {
    let start = t.now_ms();
    loop {
        t.sleep(100).await;
        if let Err(e) = t.check_aborted() {
            return e;
        }
        if timeout_ms > 0 && t.now_ms() - start >= i64::from(timeout_ms) {
            return Error::Network(crate::text::cat(&[
                "timed out after ",
                &timeout_ms.to_string(),
                " ms waiting for credentials from the credential source",
            ]));
        }
    }
}

fn is_token_error(e: &Error) -> bool {
    matches!(e, Error::Service(s) if TOKEN_ERRORS.contains(&s.code.as_str()))
}

/// The message for a success whose needed header the bucket's CORS rule hides.
pub fn cors_hidden(header: &str, what: &str) -> Error {
    let mut m = String::from(what);
    m.push_str(" succeeded, but the browser hid its ");
    m.push_str(header);
    m.push_str(" header: add ExposeHeader ");
    m.push_str(EXPOSE_HEADERS);
    m.push_str(" to the bucket's CORS rule");
    Error::CorsExposeHeadersMissing(m)
}

/// The hint appended to network errors: what a missing CORS rule looks like, and the rule.
pub fn cors_hint(origin: &str, method: &str) -> String {
    let mut m =
        String::from("if the bucket has no CORS rule for this page, add one: AllowedOrigin ");
    m.push_str(if origin.is_empty() { "*" } else { origin });
    m.push_str(", AllowedMethod ");
    m.push_str(method);
    m.push_str(", AllowedHeader *, ExposeHeader ");
    m.push_str(EXPOSE_HEADERS);
    m
}

/// A PutObject with `x-oss-forbid-overwrite: true` answered `FileAlreadyExists`.
struct Conflict {
    error: Error,
    /// Whether the library sent the request more than once.
    retried: bool,
    /// Since the first attempt left.
    elapsed_ms: i64,
    /// OSS's time now, once known.
    server_now_ms: Option<i64>,
}

impl Conflict {
    /// Given the HeadObject that followed: an object of the Content-Type `sent` stored after
    /// the first attempt left is handed to the caller (with the error, to compare its CRC-64
    /// with the body's, [`UploadOutput::unconfirmed`]); anything else is the error, saying so
    /// when the object may be the upload's own but that could not be told.
    fn judge(
        self,
        head: Result<HttpResponse>,
        sent: &str,
    ) -> Result<(HttpResponse, Option<Box<Error>>)> {
        let head = match head {
            Ok(head) => head,
            Err(Error::Aborted) => return Err(Error::Aborted),
            Err(_) if self.retried => {
                return Err(maybe_own(
                    self.error,
                    "HeadObject could not read it (it needs oss:GetObject)",
                ))
            }
            Err(_) => return Err(self.error),
        };
        match stored_since(&head, self.elapsed_ms, self.server_now_ms) {
            Some(true) if same_type(&head, sent) => Ok((head, Some(Box::new(self.error)))),
            None if self.retried => Err(maybe_own(
                self.error,
                "when it was stored could not be told (the bucket's CORS rule does not expose \
                 Date)",
            )),
            Some(_) | None => Err(self.error),
        }
    }
}

/// Whether the object `head` describes was stored at most `elapsed_ms` before the answer (by
/// its `Date`, else `server_now_ms` when OSS's time is known), both headers' one-second
/// resolution allowed for; `None` when that cannot be told.
fn stored_since(head: &HttpResponse, elapsed_ms: i64, server_now_ms: Option<i64>) -> Option<bool> {
    let secs = |name| head.header(name).and_then(skew::parse_http_date);
    let now_ms = secs("date")
        .map(|d| d.saturating_mul(1000))
        .or(server_now_ms)?;
    let stored = secs("last-modified")?;
    Some(stored.saturating_mul(1000).saturating_add(2000) >= now_ms - elapsed_ms)
}

/// Whether the object `head` describes has the Content-Type `sent`.
fn same_type(head: &HttpResponse, sent: &str) -> bool {
    head.header("content-type")
        .is_some_and(|t| t.trim().eq_ignore_ascii_case(sent.trim()))
}

/// `FileAlreadyExists` (of a PutObject with `x-oss-forbid-overwrite`) when the object at the key
/// may be the upload's own, saying what kept that from being told.
pub fn maybe_own(e: Error, why: &str) -> Error {
    match e {
        Error::Service(mut s) => {
            s.diagnosis = Some(crate::text::cat(&[
                "the object now at this key may be this upload's own (an answer lost, the \
                 request resent), but ",
                why,
            ]));
            Error::Service(s)
        }
        other => other,
    }
}

/// Whether `e` is OSS's error `code`.
pub(crate) fn is_code(e: &Error, code: &str) -> bool {
    matches!(e, Error::Service(s) if s.code == code)
}

/// Compares the CRC64 OSS computed with ours; a missing header is not an error.
pub fn verify_crc64(expected: u64, header: Option<&str>) -> Result<()> {
    match header.map(str::trim) {
        Some(h) if !h.is_empty() && h != expected.to_string() => {
            let mut m = String::from("the stored object's CRC64 is ");
            m.push_str(h);
            m.push_str(" but the data sent has CRC64 ");
            m.push_str(&expected.to_string());
            m.push_str(": the body was corrupted in transit; upload it again");
            Err(Error::CrcMismatch(m))
        }
        _ => Ok(()),
    }
}

impl<S: CredentialSource> Client<S> {
    /// A client for `cfg` taking credentials from `source`.
    pub fn new(cfg: ClientConfig, source: S) -> Result<Self> {
        let endpoint = cfg.check()?;
        let cache = CredentialCache::new(cfg.refresh_before_secs, cfg.retry);
        Ok(Self {
            cfg,
            endpoint,
            source,
            cache,
            clock: SkewClock::new(),
            keys: RefCell::new(SigningKeyCache::new()),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.cfg
    }

    /// The credential source.
    pub fn source(&self) -> &S {
        &self.source
    }

    /// The learned clock.
    pub fn clock(&self) -> &SkewClock {
        &self.clock
    }

    /// The credential cache.
    pub fn cache(&self) -> &CredentialCache {
        &self.cache
    }

    /// Cache expiry and fetch count.
    pub fn credential_status(&self) -> CacheStatus {
        self.cache.status()
    }

    /// Credentials fit to sign with now.
    ///
    /// The wait ends early when the caller aborts or its `timeoutMs` runs out (a credential
    /// function that never settles must not hang the call); the fetch itself goes on for the
    /// other waiters.
    pub fn credentials<'a, T: Transport>(
        &'a self,
        t: &'a T,
    ) -> impl core::future::Future<Output = Result<CachedCredentials>> + 'a {
        self.credentials_until(t, i64::MIN)
    }

    /// [`Self::credentials`] for a signature that should stay valid for `secs` seconds (a
    /// presigned URL, a post policy): see [`CredentialCache::get_until`].
    async fn credentials_for<T: Transport>(&self, t: &T, secs: i64) -> Result<CachedCredentials> {
        let until = self
            .clock
            .now_ms(t.now_ms())
            .saturating_add(secs.saturating_mul(1000));
        self.credentials_until(t, until).await
    }

    async fn credentials_until<T: Transport>(
        &self,
        t: &T,
        until_ms: i64,
    ) -> Result<CachedCredentials> {
        let Some(timeout_ms) = t.interruptible() else {
            return self
                .cache
                .get_until(&self.source, t, &self.clock, until_ms)
                .await;
        };
        let mut get = core::pin::pin!(self.cache.get_until(&self.source, t, &self.clock, until_ms));
        let mut stop = core::pin::pin!(interrupted(t, timeout_ms));
        core::future::poll_fn(|cx| {
            if let core::task::Poll::Ready(r) = core::future::Future::poll(get.as_mut(), cx) {
                return core::task::Poll::Ready(r);
            }
            core::future::Future::poll(stop.as_mut(), cx).map(Err)
        })
        .await
    }

    /// The object's URL (no signature).
    pub fn object_url(&self, key: &ObjectKey) -> String {
        self.endpoint.url_for(&self.cfg.bucket, Some(key))
    }

    /// The bucket's URL (PostObject target).
    pub fn bucket_url(&self) -> String {
        self.endpoint.url_for(&self.cfg.bucket, None)
    }

    fn request(
        &self,
        method: &str,
        key: &str,
        headers: Vec<(String, String)>,
        query: Vec<(String, Option<String>)>,
    ) -> Result<Request> {
        let (region, product) = self.cfg.signing();
        Request::new(RequestParts {
            method,
            bucket: self.cfg.bucket.as_str(),
            key: Some(key),
            region: region.as_str(),
            product,
            endpoint: self.cfg.endpoint_options(),
            headers,
            query,
            additional_headers: Vec::new(),
        })
    }

    fn now(&self, t: &impl Transport) -> Result<UnixTime> {
        self.clock.now(t.now_ms())
    }

    /// Sends what `build` makes from fresh credentials, recovering from token and skew errors
    /// once each and retrying transient failures. `signed_by_us` enables token refetch and
    /// skew re-signing.
    async fn exchange<T: Transport>(
        &self,
        t: &T,
        idempotent: bool,
        signed_by_us: bool,
        build: &mut Builder<'_, T::Body>,
    ) -> Result<HttpResponse> {
        let mut attempt = 1u32;
        let mut refetched = false;
        let mut skew_fixed = false;
        loop {
            t.check_aborted()?;
            let creds = if signed_by_us {
                Some(self.credentials(t).await?)
            } else {
                None
            };
            t.check_aborted()?;
            let now = self.now(t)?;
            let made = build(creds.as_ref().map(|c| &*c.credentials), now)?;
            let sent_ms = t.now_ms();
            let result = t.send(made.req).await;
            let received_ms = t.now_ms();
            let err = match result {
                Ok(resp) => {
                    let offset_changed = resp
                        .header("date")
                        .is_some_and(|d| self.clock.observe_date(d, sent_ms, received_ms));
                    if resp.is_success() {
                        return Ok(resp);
                    }
                    let mut se = xml::service_error(&resp);
                    if se.code == "RequestTimeTooSkewed" && !skew_fixed {
                        skew_fixed = true;
                        let learned = se
                            .server_time
                            .as_deref()
                            .is_some_and(|st| self.clock.observe_server_time(st, received_ms));
                        if learned || offset_changed {
                            continue;
                        }
                    }
                    if se.code == "SignatureDoesNotMatch" {
                        se.diagnosis = Some(match (&made.signed, &creds) {
                            (Some((canonical, sts)), Some(c)) => diagnose::diagnose_signed(
                                &se,
                                canonical,
                                sts,
                                &c.credentials.access_key_id,
                            ),
                            _ => diagnose::diagnose_server_signed(&se, None),
                        });
                    }
                    if signed_by_us {
                        diagnose::wrong_region(&mut se, self.cfg.signing().0.as_str());
                    }
                    if se.code == "RequestTimeTooSkewed" {
                        se.diagnosis = Some(String::from(
                            "this device's clock is off and OSS did not say its time (no readable Date or ServerTime)",
                        ));
                    }
                    Error::Service(Box::new(se))
                }
                Err(e) => e,
            };
            if signed_by_us && is_token_error(&err) && !refetched {
                refetched = true;
                if let Some(c) = &creds {
                    self.cache.invalidate(c.epoch);
                }
                continue;
            }
            if self.cfg.retry.should_retry(&err, attempt, idempotent) {
                t.sleep(self.cfg.retry.delay_ms(attempt - 1, t.jitter()))
                    .await;
                attempt += 1;
                continue;
            }
            return Err(err);
        }
    }

    /// PutObject: signs `Content-Type` and the upload headers and sends `body` exactly so.
    pub async fn put_object<T: Transport>(
        &self,
        t: &T,
        input: PutObjectInput<T::Body>,
    ) -> Result<UploadOutput> {
        let key = ObjectKey::new(&input.key)?;
        let mut headers = input.headers;
        headers.push(("Content-Type".to_owned(), input.content_type.clone()));
        let forbid = headers.iter().any(|(k, v)| {
            k.eq_ignore_ascii_case("x-oss-forbid-overwrite")
                && v.trim().eq_ignore_ascii_case("true")
        });
        let req = self.request("PUT", key.as_str(), headers, Vec::new())?;
        let body = input.body;
        let mut first_sent_ms = None;
        let mut attempts = 0u32;
        let result = self
            .exchange(t, true, true, &mut |creds, now| {
                first_sent_ms.get_or_insert_with(|| t.now_ms());
                attempts += 1;
                let creds = creds.ok_or(Error::CredentialsExpired)?;
                let mut keys = self.keys.borrow_mut();
                let s = signer::sign_request(&req, creds, now, &mut keys);
                Ok(Built {
                    req: HttpRequest {
                        method: s.method,
                        url: s.url,
                        headers: s.headers,
                        body: Some(body.clone()),
                    },
                    signed: Some((s.canonical_request, s.string_to_sign)),
                })
            })
            .await;
        let (resp, unconfirmed) = match result {
            Ok(resp) => (resp, None),
            // The key is taken: by another upload, or by this one if an earlier attempt's answer
            // was lost (a reset connection, a gateway's 5xx after the write; browsers resend a
            // request whose reused connection closed without answer, unseen here). HeadObject
            // tells.
            Err(e) if forbid && is_code(&e, "FileAlreadyExists") => {
                let head = self
                    .send_signed(t, "HEAD", key.as_str(), Vec::new(), Vec::new(), None, true)
                    .await;
                // From the first attempt to the HeadObject's answer (and its `Date`).
                let elapsed_ms = t.now_ms() - first_sent_ms.unwrap_or(0);
                let server_now_ms = self.clock.server_ms(t.now_ms());
                let conflict = Conflict {
                    error: e,
                    retried: attempts > 1,
                    elapsed_ms,
                    server_now_ms,
                };
                conflict.judge(head, &input.content_type)?
            }
            Err(e) => return Err(e),
        };
        let etag = resp
            .header("etag")
            .ok_or_else(|| cors_hidden("ETag", "PutObject"))?;
        Ok(UploadOutput {
            key: key.as_str().to_owned(),
            etag: Some(etag.to_owned()),
            request_id: resp.header("x-oss-request-id").map(str::to_owned),
            crc64: resp.header("x-oss-hash-crc64ecma").map(str::to_owned),
            url: self.object_url(&key),
            status: resp.status,
            callback_response: None,
            unconfirmed,
        })
    }

    /// Presigns `method` on `key` for up to `expires_in_secs`, capped at the credentials' expiry.
    pub async fn presign<T: Transport>(
        &self,
        t: &T,
        method: &str,
        key: &str,
        expires_in_secs: i64,
        headers: Vec<(String, String)>,
        query: Vec<(String, Option<String>)>,
    ) -> Result<PresignOutput> {
        let req = self.request(method, key, headers, query)?;
        if !(1..=signer::MAX_PRESIGN_SECS).contains(&expires_in_secs) {
            return Err(Error::invalid(
                "expiresInSecs",
                "must be an integer from 1 to 604800 (7 days)",
            ));
        }
        let creds = self.credentials_for(t, expires_in_secs).await?;
        let now = self.now(t)?;
        let (secs, capped) = cap(expires_in_secs, &creds, now);
        let mut keys = self.keys.borrow_mut();
        let p = signer::presign(&req, &creds.credentials, now, secs, &mut keys)?;
        Ok(PresignOutput {
            url: p.url,
            expires_at: p.expires_at,
            capped,
            headers: p.headers,
        })
    }

    /// Builds and signs a PostObject policy, capped at the credentials' expiry.
    pub async fn create_post_policy<T: Transport>(
        &self,
        t: &T,
        input: &PostPolicyInput,
    ) -> Result<PostPolicyOutput> {
        if !(1..=signer::MAX_PRESIGN_SECS).contains(&input.expires_in_secs) {
            return Err(Error::invalid(
                "expiresInSecs",
                "must be an integer from 1 to 604800 (7 days)",
            ));
        }
        if let Some(KeyCondition::Eq(k)) = &input.key {
            ObjectKey::new(k)?;
        }
        let creds = self.credentials_for(t, input.expires_in_secs).await?;
        let now = self.now(t)?;
        let (secs, capped) = cap(input.expires_in_secs, &creds, now);
        let (fields, policy_text) = self.sign_policy(input, &creds.credentials, now, secs)?;
        Ok(PostPolicyOutput {
            url: self.bucket_url(),
            fields,
            expires_at: now.plus_secs(secs),
            capped,
            policy_text,
        })
    }

    fn sign_policy(
        &self,
        input: &PostPolicyInput,
        creds: &Credentials,
        now: UnixTime,
        secs: i64,
    ) -> Result<(Vec<(String, String)>, String)> {
        let content_type = match input.content_types.len() {
            0 => input
                .content_type_prefix
                .clone()
                .map(signer::ContentTypeCondition::StartsWith),
            1 => input
                .content_types
                .first()
                .cloned()
                .map(signer::ContentTypeCondition::Eq),
            _ => Some(signer::ContentTypeCondition::In(
                input.content_types.clone(),
            )),
        };
        let policy = PostPolicy {
            expiration: Some(now.plus_secs(secs)),
            bucket: Some(self.cfg.bucket.clone()),
            key: input.key.clone(),
            content_length_range: input.content_length_range,
            content_type,
            success_action_status: input.success_action_status,
            extra_conditions: input.conditions.clone(),
        };
        let (region, product) = self.cfg.signing();
        let text = policy.to_json(creds, region, product, now)?;
        let mut keys = self.keys.borrow_mut();
        let sig = signer::sign_post_policy(&text, creds, region, product, now, &mut keys)?;
        let mut fields = Vec::with_capacity(sig.fields.len() + 3);
        if let Some(KeyCondition::Eq(k)) = &input.key {
            fields.push(("key".to_owned(), k.clone()));
        }
        if let [ct] = input.content_types.as_slice() {
            fields.push(("Content-Type".to_owned(), ct.clone()));
        }
        fields.extend(sig.fields);
        if let Some(s) = input.success_action_status {
            fields.push(("success_action_status".to_owned(), s.to_string()));
        }
        Ok((fields, text))
    }

    /// PostObject signed here: a policy for exactly `key` and `content_type`, valid briefly,
    /// re-signed on every attempt.
    pub async fn post_object<T: Transport>(
        &self,
        t: &T,
        key: &str,
        file: T::Body,
        content_type: &str,
    ) -> Result<UploadOutput> {
        let key = ObjectKey::new(key)?;
        let input = PostPolicyInput {
            key: Some(KeyCondition::Eq(key.as_str().to_owned())),
            content_types: vec![content_type.to_owned()],
            expires_in_secs: 900,
            success_action_status: Some(200),
            ..PostPolicyInput::default()
        };
        let url = self.bucket_url();
        let resp = self
            .exchange(t, true, true, &mut |creds, now| {
                let creds = creds.ok_or(Error::CredentialsExpired)?;
                let (fields, _) = self.sign_policy(&input, creds, now, 900)?;
                Ok(Built {
                    req: HttpRequest {
                        method: "POST".to_owned(),
                        url: url.clone(),
                        headers: Vec::new(),
                        body: Some(t.form(&fields, &file)),
                    },
                    signed: None,
                })
            })
            .await?;
        Ok(post_output(
            &resp,
            key.as_str().to_owned(),
            self.object_url(&key),
            false,
        ))
    }
}

/// The result of a PostObject response (ETag optional: CORS may hide it).
fn post_output(resp: &HttpResponse, key: String, url: String, callback: bool) -> UploadOutput {
    UploadOutput {
        callback_response: callback_response(resp, callback),
        key,
        etag: resp
            .header("etag")
            .map(str::to_owned)
            .or_else(|| xml::element(&resp.body, "ETag")),
        request_id: resp.header("x-oss-request-id").map(str::to_owned),
        crc64: resp.header("x-oss-hash-crc64ecma").map(str::to_owned),
        url,
        status: resp.status,
        unconfirmed: None,
    }
}

/// The body of OSS's answer to a request that carried an upload callback: the app server's
/// answer to the callback.
fn callback_response(resp: &HttpResponse, callback: bool) -> Option<String> {
    (callback && !resp.body.is_empty()).then(|| resp.body.clone())
}

/// `(secs, capped)`: `requested`, or less so the result dies with the credentials.
fn cap(requested: i64, creds: &CachedCredentials, now: UnixTime) -> (i64, bool) {
    let left = (creds.expires_at_ms.div_euclid(1000) - now.secs()).max(1);
    if requested > left {
        (left, true)
    } else {
        (requested, false)
    }
}

/// PUT to a URL the app's server signed: refused before sending when expired
/// ([`signed::check_url_not_expired`]: by OSS's clock once known); sends exactly `headers` (and no
/// Content-Type unless given); OSS's own "expired" answer is `SignedUrlExpired` too.
#[allow(clippy::too_many_arguments)]
pub async fn upload_to_signed_url<T: Transport>(
    t: &T,
    clock: &SkewClock,
    retry: RetryPolicy,
    url: &str,
    body: T::Body,
    headers: Vec<(String, String)>,
    allow_insecure_http: bool,
    bucket_url: Option<&str>,
) -> Result<UploadOutput> {
    signed::check_scheme("url", url, allow_insecure_http)?;
    signed::check_has_signature("url", url)?;
    signed::check_url_not_expired(url, clock.server_now(t.now_ms())?)?;
    let sent_type = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v.clone());
    let callback = signed::has_callback(url, &headers);
    let client = Standalone { clock, retry };
    // A lost answer may hide a stored object whose callback already reached the app's server:
    // sent again, it would call the server twice. Such a request is not retried on a network
    // error (5xx and 429 answers, which stored nothing, still are).
    let resp = client
        .run(
            t,
            !callback,
            || HttpRequest {
                method: "PUT".to_owned(),
                url: url.to_owned(),
                headers: headers.clone(),
                body: Some(body.clone()),
            },
            sent_type.as_deref(),
        )
        .await?;
    let etag = resp
        .header("etag")
        .ok_or_else(|| cors_hidden("ETag", "the upload"))?;
    let base = url.split('?').next().unwrap_or(url).to_owned();
    let path = signed::object_path(url, bucket_url);
    Ok(UploadOutput {
        callback_response: callback_response(&resp, callback),
        key: crate::encode::uri_decode(&path).unwrap_or(path),
        etag: Some(etag.to_owned()),
        request_id: resp.header("x-oss-request-id").map(str::to_owned),
        crc64: resp.header("x-oss-hash-crc64ecma").map(str::to_owned),
        url: base,
        status: resp.status,
        unconfirmed: None,
    })
}

/// PostObject with fields the app's server signed.
pub async fn post_with_server_signature<T: Transport>(
    t: &T,
    clock: &SkewClock,
    retry: RetryPolicy,
    form: &ServerPostForm,
    file: T::Body,
) -> Result<UploadOutput> {
    let key = form
        .fields
        .first()
        .map(|(_, k)| k.clone())
        .unwrap_or_default();
    let callback = form
        .fields
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("callback"));
    let client = Standalone { clock, retry };
    // Not retried on a network error when it carries a callback (as `upload_to_signed_url`).
    let resp = client
        .run(
            t,
            !callback,
            || HttpRequest {
                method: "POST".to_owned(),
                url: form.url.clone(),
                headers: Vec::new(),
                body: Some(t.form(&form.fields, &file)),
            },
            None,
        )
        .await?;
    let mut url = form.url.clone();
    crate::encode::uri_encode_into(&mut url, &key, true);
    Ok(post_output(&resp, key, url, callback))
}

/// Sending requests signed elsewhere: retries and clock learning, no re-signing.
struct Standalone<'a> {
    clock: &'a SkewClock,
    retry: RetryPolicy,
}

impl Standalone<'_> {
    async fn run<T: Transport>(
        &self,
        t: &T,
        idempotent: bool,
        build: impl Fn() -> HttpRequest<T::Body>,
        sent_type: Option<&str>,
    ) -> Result<HttpResponse> {
        let mut attempt = 1;
        loop {
            t.check_aborted()?;
            let sent_ms = t.now_ms();
            let result = t.send(build()).await;
            let received_ms = t.now_ms();
            let err = match result {
                Ok(resp) => {
                    if let Some(d) = resp.header("date") {
                        self.clock.observe_date(d, sent_ms, received_ms);
                    }
                    if resp.is_success() && resp.status != 203 {
                        return Ok(resp);
                    }
                    let mut se = xml::service_error(&resp);
                    if resp.status == 203 {
                        // The object is stored; OSS's callback to the app's server failed.
                        // Retrying would store it again and call back again.
                        se.diagnosis = Some(String::from(
                            "the object was stored; only OSS's upload callback to your server failed",
                        ));
                        return Err(Error::Service(Box::new(se)));
                    }
                    // OSS's time, wherever it says it (an expired URL's answer does): the next
                    // URL or policy is then checked by it before sending.
                    if let Some(st) = se.server_time.as_deref() {
                        self.clock.observe_server_time(st, received_ms);
                    }
                    if se.code == "SignatureDoesNotMatch" {
                        se.diagnosis = Some(diagnose::diagnose_server_signed(&se, sent_type));
                    }
                    signed::expired_answer(Box::new(se))
                }
                Err(e) => e,
            };
            if self.retry.should_retry(&err, attempt, idempotent) {
                t.sleep(self.retry.delay_ms(attempt - 1, t.jitter())).await;
                attempt += 1;
                continue;
            }
            return Err(err);
        }
    }
}

pub mod multipart;

#[cfg(test)]
mod tests;
