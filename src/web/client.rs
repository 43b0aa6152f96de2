//! The `OssClient` class and the server-signed upload functions (wasm exports).

// Exports are reached through wasm-bindgen's generated JS, not through Rust paths.
#![allow(unreachable_pub)]

use super::bindings::AbortSignal;
use super::body::Body;
use super::input::{object_from_pairs, set, string_arg, Obj};
use super::source::{Direct, JsSource, Shared};
use super::transport::{now_ms, WebTransport};
use crate::error::{Error, Result};
use crate::names::{Bucket, Region};
use crate::signer::KeyCondition;
use crate::upload::client::{
    self as core_client, verify_crc64, ClientConfig, PostPolicyInput, PutObjectInput, UploadOutput,
};
use crate::upload::content_type;
use crate::upload::limit::{self, Limiter, Permit};
use crate::upload::retry::RetryPolicy;
use crate::upload::signed;
use crate::upload::skew::{ServerNow, SkewClock};
use crate::upload::Client;
use core::cell::Cell;
use js_sys::{Date, Function, Object};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen(typescript_custom_section)]
const TS_CLIENT: &str = r#"
/** Where credentials come from. The response (or the function's result) may be the STS
 *  AssumeRole body, `{AccessKeyId, AccessKeySecret, SecurityToken, Expiration}`, camelCase
 *  `{accessKeyId, accessKeySecret, securityToken | stsToken, expiration}`, or any of these under
 *  `credentials` or `data`. Without an expiration they count as valid for 15 minutes.
 *  What a function throws rejects the upload with CredentialProviderError (its message quoted);
 *  the function is called again (and the error is `retryable`) only when it threw fetch's
 *  TypeError or TimeoutError, axios's ERR_NETWORK, or an error whose `status` (or
 *  `response.status`) is 408, 429 or 5xx, never for "401 login required". */
export type OssCredentialSource =
  | string
  | { url: string; method?: "GET" | "POST" | "PUT"; headers?: Record<string, string>;
      body?: string | object; credentials?: "include" | "same-origin" | "omit"; timeoutMs?: number }
  | (() => Promise<object | string> | object | string);

export interface OssClientOptions {
  region: string;
  bucket: string;
  /** "host[:port]" with an optional "https://" or "http://", used as URL parsers write it (lower case, without the scheme's
   *  default port); of IPv6 addresses only the loopback "[::1]" is taken. Default https://oss-REGION.aliyuncs.com.
   *  Plain http is refused unless loopback or allowInsecureHttp. */
  endpoint?: string;
  /** Endpoint family when `endpoint` is not given. Default "public". */
  endpointType?: "public" | "internal" | "accelerate";
  /** OSS on CloudBox: sign for this CloudBox ID with product "oss-cloudbox" (`endpoint` required). */
  cloudBoxId?: string;
  /** `endpoint` is a custom domain bound to the bucket: its host is used as is. */
  cname?: boolean;
  /** Put the bucket in the path (https://ENDPOINT/BUCKET/KEY). IP endpoints always use it. */
  pathStyle?: boolean;
  credentials: OssCredentialSource;
  /** Refresh this long before expiry (default 60; clamped to a fifth of short lifetimes). */
  refreshBeforeExpirySecs?: number;
  /** Tabs of this origin share one credential fetch (BroadcastChannel + Web Locks); memory only. */
  shareAcrossTabs?: boolean;
  /** Retries on 5xx, 429 and network errors (default 3 attempts, 200 ms base delay). Also used for the credential endpoint. */
  retry?: { maxAttempts?: number; baseDelayMs?: number };
  /** Per-request timeout (default 120000; 0 = none); also bounds a call's wait for credentials.
   *  A request with a body gets the time its bytes take at 16 KiB/s on top (the parts of a
   *  multipart upload in flight share that rate: 4 parts of 8 MiB, 2048 s more each), so a
   *  slow uplink is not cut off while it is still sending. */
  timeoutMs?: number;
  /** Uploads in flight at once (1 to 1024, default 6, the browser's connections per host):
   *  further putObject, postObject, multipartUpload, resume, uploadToSignedUrl and
   *  postWithServerSignature calls wait their turn in order. A waiting call whose `signal`
   *  aborts leaves the queue and rejects with "RequestAborted". A multipart upload counts as one
   *  upload (its parts follow its own `concurrency`). Bad options are rejected at once. */
  maxConcurrentUploads?: number;
  allowInsecureHttp?: boolean;
  /** Multipart checkpoints not saved for this long are dropped (default 604800, 7 days; 0 = never):
   *  OSS lifecycle rules remove unfinished uploads, so an old checkpoint rarely resumes anything. */
  checkpointMaxAgeSecs?: number;
}

export type UploadBody = File | Blob | ArrayBuffer | Uint8Array | string;

export interface UploadProgress { loaded: number; total: number }

export interface PutObjectOptions {
  /** Default: the File/Blob type, else by extension, else application/octet-stream. */
  contentType?: string;
  /** x-oss-meta-*, x-oss-forbid-overwrite, x-oss-storage-class, x-oss-object-acl, Cache-Control,
   *  Content-Disposition, Content-Encoding, Expires, Content-MD5. */
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Byte progress (switches the request to XMLHttpRequest, which has upload events; in a
   *  Service Worker, which has none, one event once the body is sent). */
  onProgress?: (p: UploadProgress) => void;
  /** A File or Blob of at least this many bytes goes up as a multipart upload (default 100 MiB;
   *  0 or Infinity: never; never with Content-MD5). The multipartUpload options then apply. */
  multipartThreshold?: number;
  partSize?: number;
  concurrency?: number;
  checkpoint?: "indexeddb" | false | CheckpointStore;
  /** Compare the CRC-64 OSS computed of the stored object with the body's (default true): a
   *  mismatch rejects with CrcMismatch. */
  verifyCrc64?: boolean;
}

export interface UploadResult {
  key: string;
  etag?: string;
  requestId?: string;
  /** x-oss-hash-crc64ecma (decimal), checked against the body when readable. */
  crc64?: string;
  /** The object's URL (unsigned). */
  url: string;
  status: number;
  /** With an upload callback (the server's `callback` field, a signed URL's `callback`
   *  parameter or `x-oss-callback` header): what your server answered OSS's callback. A callback
   *  that fails is an OssError `CallbackFailed` (status 203): the object is stored all the same. */
  callbackResponse?: string;
  /** `putObject` of a body at or over `multipartThreshold` (a multipart upload): its uploadId. */
  uploadId?: string;
  /** With `uploadId`: the number of parts, and those an earlier attempt had stored (resume). */
  parts?: number;
  partsReused?: number;
}

export interface PresignOptions {
  /** Default "GET". */
  method?: "PUT" | "GET";
  /** Default 900; capped at the credentials' expiry. */
  expiresInSecs?: number;
  contentType?: string;
  headers?: Record<string, string>;
  query?: Record<string, string | null>;
}

export interface PresignResult {
  url: string;
  expiresAt: Date;
  /** True when expiresInSecs was cut to the credentials' expiry. */
  capped: boolean;
  /** Headers the URL's user must send exactly. */
  headers: Record<string, string>;
}

export interface CreatePostPolicyOptions {
  key?: string;
  keyPrefix?: string;
  minBytes?: number;
  maxBytes?: number;
  /** Allowed Content-Type values (`["in","$content-type",[…]]`); one value means "eq" and is also
   *  put in `fields["Content-Type"]`. Each a MIME type in printable ASCII. With several, append
   *  the file's `Content-Type` field to the form yourself (OSS checks the field, not the file
   *  part's type). */
  contentTypes?: string[];
  /** Content-Type prefix, e.g. "image/" (not with contentTypes); append the file's
   *  `Content-Type` field to the form yourself. */
  contentTypePrefix?: string;
  /** Default 900; capped at the credentials' expiry. */
  expiresInSecs?: number;
  successActionStatus?: 200 | 201 | 204;
  conditions?: unknown[];
}

export interface PostPolicyResult {
  /** Where to POST the form. */
  url: string;
  /** Form fields in order; append the file last. */
  fields: Record<string, string>;
  expiresAt: Date;
  capped: boolean;
  /** The signed policy as JSON text (as `buildPostPolicy`'s `policyText`; the Base64 `policy`
   *  form field is in `fields`). */
  policy: string;
}

export interface PostObjectOptions { contentType?: string; signal?: AbortSignal }

export interface SignedUrlUploadOptions {
  /** Exactly the Content-Type the server signed; none is sent when absent. */
  contentType?: string;
  /** Headers the server signed; UTF-8 values are sent as their bytes. */
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Allow a plain-http URL to a host that is not loopback (default false). */
  allowInsecureHttp?: boolean;
}

/** The JSON of either shape of the browser-upload guide's /get_post_signature_for_oss_upload. */
export interface ServerPostFields {
  host: string; policy: string; signature: string; dir?: string;
  ossAccessKeyId?: string;
  x_oss_credential?: string; x_oss_date?: string; x_oss_signature_version?: string; security_token?: string;
  [field: string]: unknown;
}

/** `key` (else the server's `dir` + `filename`, else the file's name) must meet the policy's
 *  `$key` conditions, or start with `dir` when the policy cannot be read. */
export interface ServerPostOptions {
  key?: string; filename?: string;
  /** The object's Content-Type, sent as the form's `Content-Type` field (which `$content-type`
   *  conditions check) and the file's type. Default: the `Content-Type` in your server's answer,
   *  else the file's own type, else from the key's extension, else application/octet-stream. */
  contentType?: string;
  /** More form fields your server's policy allows (`x-oss-meta-*`, `Cache-Control`,
   *  `success_action_status`…), sent before the file. Your server's `callback`, `x:` variables,
   *  `x-oss-*` fields and `success_action_status` are sent without being named here. */
  fields?: Record<string, string>;
  signal?: AbortSignal; allowInsecureHttp?: boolean;
}

export interface CredentialStatus {
  /** Expiry of the cached credentials (server clock). */
  expiresAt: Date | null;
  /** Seconds until then (server clock). */
  expiresInSecs: number | null;
  /** Credential fetches so far. */
  refreshCount: number;
  /** Learned offset of OSS's clock from this device's, in ms. */
  clockOffsetMs: number;
}
"#;

thread_local! {
    /// The clock offset learned by the standalone server-signed upload functions.
    static STANDALONE_CLOCK: Rc<SkewClock> = Rc::new(SkewClock::new());
}

fn js_date_ms(ms: i64) -> JsValue {
    #[allow(clippy::cast_precision_loss)]
    Date::new(&JsValue::from_f64(ms as f64)).into()
}

fn upload_result(out: &UploadOutput) -> JsValue {
    let o = Object::new();
    set(&o, "key", &JsValue::from_str(&out.key));
    let opt = |o: &Object, k: &str, v: &Option<String>| {
        if let Some(v) = v {
            set(o, k, &JsValue::from_str(v));
        }
    };
    opt(&o, "etag", &out.etag);
    opt(&o, "requestId", &out.request_id);
    opt(&o, "crc64", &out.crc64);
    set(&o, "url", &JsValue::from_str(&out.url));
    set(&o, "status", &JsValue::from(out.status));
    opt(&o, "callbackResponse", &out.callback_response);
    o.into()
}

/// Reads `signal` from an options object.
fn signal_of(opts: Option<&Obj<'_>>) -> Result<Option<AbortSignal>> {
    let Some(v) = opts.map(|o| o.get("signal")).transpose()?.flatten() else {
        return Ok(None);
    };
    if !v.has_type::<AbortSignal>() && !v.is_instance_of::<AbortSignal>() {
        return Err(Error::invalid("signal", "must be an AbortSignal"));
    }
    Ok(Some(v.unchecked_into()))
}

/// The options of `api`, refusing one it does not have (a typo, or another SDK's option such
/// as ali-oss's `mime`, `meta`, `progress` or `parallel`): never silently ignored.
fn checked_opts<'a>(v: Option<&'a JsValue>, known: &[&str], api: &str) -> Result<Option<Obj<'a>>> {
    let o = opts_of(v)?;
    if let Some(o) = &o {
        o.only(known, api)?;
    }
    Ok(o)
}

fn opts_of(v: Option<&JsValue>) -> Result<Option<Obj<'_>>> {
    match v {
        Some(v) if !v.is_undefined() && !v.is_null() => Obj::options(v).map(Some),
        _ => Ok(None),
    }
}

/// Awaits the CRC task and compares it with OSS's.
async fn check_crc(
    task: &Rc<crate::credentials::flight::Flight<Option<u64>>>,
    header: Option<&str>,
) -> Result<()> {
    if header.is_none() {
        return Ok(());
    }
    if let Some(Some(crc)) = task.wait().await {
        verify_crc64(crc, header)?;
    }
    Ok(())
}

/// `FileAlreadyExists` when the object at the key could not be compared with the body.
fn unconfirmed(e: Error) -> Error {
    core_client::maybe_own(
        e,
        "it could not be compared with the body: verifyCrc64 is off, or the bucket's CORS rule \
         does not expose x-oss-hash-crc64ecma",
    )
}

/// The JS result of an upload, after checking its CRC64 (or stopping the CRC task on failure).
async fn finish(
    out: Result<UploadOutput>,
    crc: &Rc<crate::credentials::flight::Flight<Option<u64>>>,
    cancel: &Cell<bool>,
) -> Result<JsValue> {
    match out {
        Ok(o) => {
            // No CRC from OSS (its CORS rule hides it): stop reading the file for nothing.
            cancel.set(o.crc64.is_none());
            if let Some(e) = o.unconfirmed.clone() {
                return match (o.crc64.as_deref(), crc.wait().await) {
                    (Some(h), Some(Some(c))) if verify_crc64(c, Some(h)).is_ok() => {
                        Ok(upload_result(&o))
                    }
                    (Some(_), Some(Some(_))) => Err(*e),
                    _ => Err(unconfirmed(*e)),
                };
            }
            check_crc(crc, o.crc64.as_deref()).await?;
            Ok(upload_result(&o))
        }
        Err(e) => {
            cancel.set(true);
            Err(e)
        }
    }
}

/// Uploads to Alibaba Cloud OSS with STS credentials from your server: PutObject, presigned
/// URLs and PostObject policies, with refresh, clock-skew correction and retries built in.
#[wasm_bindgen(js_name = OssClient)]
#[derive(Debug)]
pub struct OssClient {
    /// The shared core: configuration, credential cache, clock, keys.
    pub(crate) core: Rc<Client<JsSource>>,
    /// Per-request timeout.
    pub(crate) timeout_ms: u32,
    /// Uploads in flight (`maxConcurrentUploads`), shared by every upload method.
    pub(crate) limiter: Rc<Limiter>,
    /// Multipart checkpoints older than this (since their last save) are dropped; 0 = never.
    pub(crate) checkpoint_max_age_ms: i64,
}

/// Stops listening to a signal when the wait ends (or its future is dropped).
pub(crate) struct Listening<'a> {
    pub(crate) signal: &'a AbortSignal,
    pub(crate) on_abort: Closure<dyn FnMut()>,
}

impl Drop for Listening<'_> {
    fn drop(&mut self) {
        self.signal
            .remove_event_listener("abort", self.on_abort.as_ref().unchecked_ref());
    }
}

/// Waits for a slot of `limiter`; `signal` aborting takes the caller out of the queue.
pub(crate) async fn upload_slot(
    limiter: &Rc<Limiter>,
    signal: Option<&AbortSignal>,
) -> Result<Permit> {
    let slot = limiter.acquire();
    let Some(signal) = signal else {
        return slot.await;
    };
    let canceller = slot.canceller();
    if signal.aborted() {
        canceller.cancel();
    }
    let on_abort = Closure::<dyn FnMut()>::new(move || canceller.cancel());
    signal.add_event_listener("abort", on_abort.as_ref().unchecked_ref());
    let _listening = Listening { signal, on_abort };
    slot.await
}

#[wasm_bindgen(js_class = OssClient, wasm_bindgen_futures = js_sys::futures)]
impl OssClient {
    /// Checks every option; nothing is fetched until the first call.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "OssClientOptions")] options: &JsValue,
    ) -> Result<OssClient, Error> {
        let o = Obj::root(options)?;
        o.only(
            &[
                "region",
                "bucket",
                "endpoint",
                "endpointType",
                "cloudBoxId",
                "cname",
                "pathStyle",
                "credentials",
                "refreshBeforeExpirySecs",
                "shareAcrossTabs",
                "retry",
                "timeoutMs",
                "maxConcurrentUploads",
                "allowInsecureHttp",
                "checkpointMaxAgeSecs",
            ],
            "OssClient",
        )?;
        let region = Region::new(&o.string("region")?)?;
        let bucket = Bucket::new(&o.string("bucket")?)?;
        let creds = o.get("credentials")?.ok_or_else(|| {
            Error::invalid(
                "credentials",
                "is required: a URL, { url, … } or an async function",
            )
        })?;
        let direct = Direct::from_option(&creds, o.opt_bool("allowInsecureHttp")?)?;
        let retry = match o.get("retry")? {
            None => RetryPolicy::default(),
            Some(r) => {
                let r = Obj::new(&r, "retry")?;
                r.only(&["maxAttempts", "baseDelayMs"], "retry")?;
                let d = RetryPolicy::default();
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                RetryPolicy {
                    max_attempts: r
                        .opt_int("maxAttempts", 1, 10)?
                        .map_or(d.max_attempts, |n| n as u32),
                    base_delay_ms: r
                        .opt_int("baseDelayMs", 0, 60_000)?
                        .map_or(d.base_delay_ms, |n| n as u32),
                    max_delay_ms: d.max_delay_ms,
                }
            }
        };
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let timeout_ms = o
            .opt_int("timeoutMs", 0, 3_600_000)?
            .map_or(120_000, |n| n as u32);
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let max_uploads = o
            .opt_int("maxConcurrentUploads", 1, limit::MAX_CONCURRENT_UPLOADS)?
            .map_or(limit::DEFAULT_MAX_CONCURRENT_UPLOADS, |n| n as usize);
        let cfg = ClientConfig {
            region,
            bucket: bucket.clone(),
            endpoint: o.opt_string("endpoint")?,
            cname: o.opt_bool("cname")?,
            path_style: o.opt_bool("pathStyle")?,
            endpoint_kind: super::input::endpoint_kind(o.opt_string("endpointType")?.as_deref())?,
            cloud_box_id: o
                .opt_string("cloudBoxId")?
                .map(|id| crate::names::cloud_box_id(&id))
                .transpose()?,
            refresh_before_secs: o
                .opt_int("refreshBeforeExpirySecs", 0, 86_400)?
                .unwrap_or(crate::credentials::cache::DEFAULT_REFRESH_BEFORE_SECS),
            retry,
            allow_insecure_http: o.opt_bool("allowInsecureHttp")?,
        };
        let source = if o.opt_bool("shareAcrossTabs")? {
            let key = direct.share_key(bucket.as_str());
            match Shared::new(direct.clone(), &key) {
                Some(s) => JsSource::Shared(s),
                None => JsSource::Direct(direct),
            }
        } else {
            JsSource::Direct(direct)
        };
        let checkpoint_max_age_ms = o
            .opt_int("checkpointMaxAgeSecs", 0, 100 * 365 * 86_400)?
            .map_or(super::multipart::DEFAULT_CHECKPOINT_MAX_AGE_MS, |s| {
                s * 1000
            });
        Ok(Self {
            core: Rc::new(Client::new(cfg, source)?),
            timeout_ms,
            limiter: Limiter::new(max_uploads),
            checkpoint_max_age_ms,
        })
    }

    /// Uploads `body` to `key` with PutObject; a File or Blob of `multipartThreshold` bytes or
    /// more goes up as a multipart upload (its result then has `uploadId` and `parts` too).
    #[wasm_bindgen(js_name = putObject, unchecked_return_type = "UploadResult")]
    pub async fn put_object(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
        #[wasm_bindgen(unchecked_param_type = "UploadBody")] body: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "PutObjectOptions")] options: Option<
            JsValue,
        >,
    ) -> Result<JsValue, JsValue> {
        let key = string_arg(&key, "key")?;
        checked_opts(
            options.as_ref(),
            &[
                "contentType",
                "headers",
                "signal",
                "onProgress",
                "multipartThreshold",
                "partSize",
                "concurrency",
                "checkpoint",
                "verifyCrc64",
            ],
            "putObject",
        )?;
        if Self::wants_multipart(&body, options.as_ref())? {
            return self.put_object_in_parts(key, &body, options.as_ref()).await;
        }
        let opts = opts_of(options.as_ref())?;
        let signal = signal_of(opts.as_ref())?;
        let body = Body::read(&body, "body")?;
        let (headers, header_type) = content_type::upload_headers(match &opts {
            Some(o) => o.string_map("headers")?,
            None => Vec::new(),
        })?;
        let explicit = match &opts {
            Some(o) => o.opt_string("contentType")?,
            None => None,
        }
        .or(header_type);
        let ct = content_type::resolve(explicit.as_deref(), body.own_type().as_deref(), &key)?;
        let on_progress = match opts
            .as_ref()
            .map(|o| o.get("onProgress"))
            .transpose()?
            .flatten()
        {
            None => None,
            Some(f) => Some(
                f.dyn_into::<Function>()
                    .map_err(|_| Error::invalid("onProgress", "must be a function"))?,
            ),
        };
        // As multipartUpload: `verifyCrc64: false` uploads without checking OSS's CRC-64.
        let verify = match &opts {
            Some(o) if o.get("verifyCrc64")?.is_some() => o.opt_bool("verifyCrc64")?,
            _ => true,
        };
        let blob = body.retyped(&ct)?;
        let _slot = upload_slot(&self.limiter, signal.as_ref()).await?;
        let t = WebTransport::new(signal, self.timeout_ms, on_progress);
        t.set_total(body.size());
        let cancel = Rc::new(Cell::new(!verify));
        let crc = body.crc64_task(&cancel);
        let result = self
            .core
            .put_object(
                &t,
                PutObjectInput {
                    key,
                    body: blob,
                    content_type: ct,
                    headers,
                },
            )
            .await;
        Ok(finish(result, &crc, &cancel).await?)
    }

    /// Presigns a URL for `key`, never outliving the credentials that signed it.
    #[wasm_bindgen(js_name = presignUrl, unchecked_return_type = "PresignResult")]
    pub async fn presign_url(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "PresignOptions")] options: Option<JsValue>,
    ) -> Result<JsValue, Error> {
        let key = string_arg(&key, "key")?;
        let opts = checked_opts(
            options.as_ref(),
            &["method", "expiresInSecs", "contentType", "headers", "query"],
            "presignUrl",
        )?;
        let (method, expires, mut headers, query) = match &opts {
            Some(o) => (
                o.opt_string("method")?
                    .unwrap_or_else(|| "GET".into())
                    .to_ascii_uppercase(),
                o.opt_int("expiresInSecs", 1, crate::signer::MAX_PRESIGN_SECS)?
                    .unwrap_or(900),
                o.string_map("headers")?,
                o.query_map("query")?,
            ),
            None => ("GET".into(), 900, Vec::new(), Vec::new()),
        };
        if method != "GET" && method != "PUT" {
            return Err(Error::invalid("method", "must be \"PUT\" or \"GET\""));
        }
        if let Some(ct) = opts
            .as_ref()
            .map(|o| o.opt_string("contentType"))
            .transpose()?
            .flatten()
        {
            headers.retain(|(k, _)| !k.eq_ignore_ascii_case("content-type"));
            headers.push((
                "Content-Type".into(),
                content_type::check("contentType", &ct)?,
            ));
        }
        let t = WebTransport::new(None, self.timeout_ms, None);
        let p = self
            .core
            .presign(&t, &method, &key, expires, headers, query)
            .await?;
        let o = Object::new();
        set(&o, "url", &JsValue::from_str(&p.url));
        set(&o, "expiresAt", &js_date_ms(p.expires_at.secs() * 1000));
        set(&o, "capped", &JsValue::from_bool(p.capped));
        set(&o, "headers", &object_from_pairs(&p.headers));
        Ok(o.into())
    }

    /// Builds and signs a PostObject policy; `fields` are ready for `FormData` (file last).
    #[wasm_bindgen(js_name = createPostPolicy, unchecked_return_type = "PostPolicyResult")]
    #[allow(clippy::too_many_lines)] // one reading of the options, in their documented order
    pub async fn create_post_policy(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "CreatePostPolicyOptions")] options: Option<
            JsValue,
        >,
    ) -> Result<JsValue, Error> {
        let opts = opts_of(options.as_ref())?;
        let mut input = PostPolicyInput {
            expires_in_secs: 900,
            ..PostPolicyInput::default()
        };
        if let Some(o) = &opts {
            input.key = match (o.opt_string("key")?, o.opt_string("keyPrefix")?) {
                (Some(_), Some(_)) => {
                    return Err(Error::invalid(
                        "keyPrefix",
                        "give either key or keyPrefix, not both",
                    ))
                }
                (Some(k), None) => Some(KeyCondition::Eq(k)),
                (None, Some(p)) => {
                    crate::names::check_key_prefix(&p)?;
                    Some(KeyCondition::StartsWith(p))
                }
                (None, None) => None,
            };
            input.content_length_range = o.length_range()?;
            // Each as checked: its surrounding ASCII whitespace trimmed.
            for t in o.string_list("contentTypes")? {
                input
                    .content_types
                    .push(content_type::check("contentTypes", &t)?);
            }
            // An allow-list filtered down to nothing must not allow every type.
            if input.content_types.is_empty() && o.get("contentTypes")?.is_some() {
                return Err(Error::invalid(
                    "contentTypes",
                    "is empty: list at least one type (leave it out to allow any)",
                ));
            }
            if let Some(p) = o.opt_string("contentTypePrefix")? {
                if !input.content_types.is_empty() {
                    return Err(Error::invalid(
                        "contentTypePrefix",
                        "give either contentTypes or contentTypePrefix, not both",
                    ));
                }
                input.content_type_prefix =
                    Some(content_type::check_prefix("contentTypePrefix", &p)?);
            }
            input.expires_in_secs = o
                .opt_int("expiresInSecs", 1, crate::signer::MAX_PRESIGN_SECS)?
                .unwrap_or(900);
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            {
                input.success_action_status = o
                    .opt_int("successActionStatus", 200, 204)?
                    .map(|s| s as u16);
            }
            if let Some(list) = o.get("conditions")? {
                let unreadable = || super::input::unreadable("conditions");
                if !super::input::try_is_array(&list).map_err(|_| unreadable())? {
                    return Err(Error::invalid(
                        "conditions",
                        "must be an array of policy conditions",
                    ));
                }
                // Each condition's text is capped below; all of them together too.
                if js_sys::JSON::stringify(&list).is_ok_and(|t| super::input::over_limit(&t)) {
                    return Err(Error::invalid("conditions", super::input::TOO_MUCH));
                }
                for c in super::input::try_array_from(&list)
                    .map_err(|_| unreadable())?
                    .iter()
                {
                    // As JSON writes it (a Date becomes a string): OSS refuses a condition
                    // that is not an object or a non-empty array (fast.js checks the same).
                    let text = match js_sys::JSON::stringify(&c) {
                        Ok(t) => super::input::text_of(&t, "conditions")?,
                        Err(_) => None,
                    }
                        .filter(|t| c.is_object() && (t.starts_with('{') || t.starts_with('[') && t != "[]"))
                        .ok_or_else(|| {
                            Error::invalid(
                                "conditions",
                                "each condition must be an object or a non-empty array (as JSON writes it)",
                            )
                        })?;
                    input.conditions.push(text);
                }
            }
            // Last, so that an option whose getter throws is named first: a misspelled option
            // (`maxbytes`) or one createPostPolicy does not have would otherwise drop its limit
            // from the policy without a word.
            o.only(
                &[
                    "key",
                    "keyPrefix",
                    "minBytes",
                    "maxBytes",
                    "contentTypes",
                    "contentTypePrefix",
                    "expiresInSecs",
                    "successActionStatus",
                    "conditions",
                ],
                "createPostPolicy",
            )?;
        }
        let t = WebTransport::new(None, self.timeout_ms, None);
        let p = self.core.create_post_policy(&t, &input).await?;
        let o = Object::new();
        set(&o, "url", &JsValue::from_str(&p.url));
        set(&o, "fields", &object_from_pairs(&p.fields));
        set(&o, "expiresAt", &js_date_ms(p.expires_at.secs() * 1000));
        set(&o, "capped", &JsValue::from_bool(p.capped));
        set(&o, "policy", &JsValue::from_str(&p.policy_text));
        Ok(o.into())
    }

    /// Uploads `file` to `key` with PostObject, signing a policy for exactly that key here.
    #[wasm_bindgen(js_name = postObject, unchecked_return_type = "UploadResult")]
    pub async fn post_object(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
        #[wasm_bindgen(unchecked_param_type = "UploadBody")] file: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "PostObjectOptions")] options: Option<
            JsValue,
        >,
    ) -> Result<JsValue, Error> {
        let key = string_arg(&key, "key")?;
        let opts = checked_opts(options.as_ref(), &["contentType", "signal"], "postObject")?;
        let signal = signal_of(opts.as_ref())?;
        let body = Body::read(&file, "file")?;
        let explicit = match &opts {
            Some(o) => o.opt_string("contentType")?,
            None => None,
        };
        let ct = content_type::resolve(explicit.as_deref(), body.own_type().as_deref(), &key)?;
        let blob = body.retyped(&ct)?;
        let _slot = upload_slot(&self.limiter, signal.as_ref()).await?;
        let t = WebTransport::new(signal, self.timeout_ms, None);
        let cancel = Rc::new(Cell::new(false));
        let crc = body.crc64_task(&cancel);
        let out = self.core.post_object(&t, &key, blob, &ct).await;
        finish(out, &crc, &cancel).await
    }

    /// PUT to a URL your server signed (V4 or V1). See the `uploadToSignedUrl` function. The URL
    /// must be for this client's bucket (start with its bucket URL), else `InvalidArgument`
    /// (field `url`): use the standalone function for other buckets or hosts.
    #[wasm_bindgen(js_name = uploadToSignedUrl, unchecked_return_type = "UploadResult")]
    pub async fn upload_to_signed_url_method(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] url: JsValue,
        #[wasm_bindgen(unchecked_param_type = "UploadBody")] body: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "SignedUrlUploadOptions")] options: Option<
            JsValue,
        >,
    ) -> Result<JsValue, Error> {
        let allow = self.core.config().allow_insecure_http;
        signed_url_upload(
            self.core.clock(),
            self.core.config().retry,
            self.timeout_ms,
            &url,
            body,
            options,
            allow,
            Some(&self.core.bucket_url()),
            Some(&self.limiter),
        )
        .await
    }

    /// PostObject with fields your server signed. See the `postWithServerSignature` function. The
    /// form's `host` must be this client's bucket URL, else `InvalidArgument` (field
    /// `fields.host`).
    #[wasm_bindgen(js_name = postWithServerSignature, unchecked_return_type = "UploadResult")]
    pub async fn post_with_server_signature_method(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ServerPostFields")] fields: JsValue,
        #[wasm_bindgen(unchecked_param_type = "UploadBody")] file: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "ServerPostOptions")] options: Option<
            JsValue,
        >,
    ) -> Result<JsValue, Error> {
        let allow = self.core.config().allow_insecure_http;
        server_post(
            self.core.clock(),
            self.core.config().retry,
            self.timeout_ms,
            fields,
            file,
            options,
            allow,
            Some(&self.core.bucket_url()),
            Some(&self.limiter),
        )
        .await
    }

    /// The credential cache's state: expiry, fetch count, learned clock offset.
    #[wasm_bindgen(js_name = credentialStatus, unchecked_return_type = "CredentialStatus")]
    pub fn credential_status(&self) -> JsValue {
        let s = self.core.credential_status();
        let o = Object::new();
        let offset = self.core.clock().offset_ms();
        if let Some(ms) = s.expires_at_ms {
            set(&o, "expiresAt", &js_date_ms(ms));
            #[allow(clippy::cast_precision_loss)]
            let secs = ((ms - (now_ms() + offset)) / 1000) as f64;
            set(&o, "expiresInSecs", &JsValue::from_f64(secs));
        } else {
            set(&o, "expiresAt", &JsValue::NULL);
            set(&o, "expiresInSecs", &JsValue::NULL);
        }
        set(&o, "refreshCount", &JsValue::from(s.fetches));
        #[allow(clippy::cast_precision_loss)]
        set(&o, "clockOffsetMs", &JsValue::from_f64(offset as f64));
        o.into()
    }
}

/// Reads `headers` + `contentType` of a signed-URL upload: exactly what is sent. A client's
/// method passes its `bucket_url` (the URL must be for that bucket), and its uploads wait
/// for a slot of its `limiter`.
#[allow(clippy::too_many_arguments)]
async fn signed_url_upload(
    clock: &SkewClock,
    retry: RetryPolicy,
    timeout_ms: u32,
    url: &JsValue,
    body: JsValue,
    options: Option<JsValue>,
    allow_insecure: bool,
    bucket_url: Option<&str>,
    limiter: Option<&Rc<Limiter>>,
) -> Result<JsValue> {
    let url = string_arg(url, "url")?;
    if let Some(base) = bucket_url {
        signed::check_same_bucket("url", &url, base)?;
    }
    let opts = checked_opts(
        options.as_ref(),
        &["contentType", "headers", "signal", "allowInsecureHttp"],
        "uploadToSignedUrl",
    )?;
    let signal = signal_of(opts.as_ref())?;
    let body = Body::read(&body, "body")?;
    let mut headers = match &opts {
        Some(o) => o.string_map("headers")?,
        None => Vec::new(),
    };
    let allow = allow_insecure
        || opts
            .as_ref()
            .map(|o| o.opt_bool("allowInsecureHttp"))
            .transpose()?
            .unwrap_or(false);
    let explicit = match &opts {
        Some(o) => o.opt_string("contentType")?,
        None => None,
    }
    .or_else(|| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            .map(|(_, v)| v.clone())
    });
    headers.retain(|(k, _)| !k.eq_ignore_ascii_case("content-type"));
    let ct = match explicit {
        Some(c) => content_type::check("contentType", &c)?,
        None => String::new(),
    };
    if !ct.is_empty() {
        headers.push(("Content-Type".into(), ct.clone()));
    }
    // Checked like headers signed here, and sent the same way: UTF-8 values as their bytes.
    let headers: Vec<(String, String)> = crate::signer::Headers::new(headers)?
        .iter()
        .map(|h| (h.name().to_owned(), h.wire_value()))
        .collect();
    let blob = body.retyped(&ct)?;
    let _slot = match limiter {
        Some(l) => Some(upload_slot(l, signal.as_ref()).await?),
        None => None,
    };
    let t = WebTransport::new(signal, timeout_ms, None);
    let cancel = Rc::new(Cell::new(false));
    let crc = body.crc64_task(&cancel);
    let out =
        core_client::upload_to_signed_url(&t, clock, retry, &url, blob, headers, allow, bucket_url)
            .await;
    finish(out, &crc, &cancel).await
}

/// The PostObject form for `body` from the server's answer `fields` and the call's options
/// (`signed::server_post_form`, `signed::complete_server_form`). Synchronous: the async upload
/// that sends it keeps less state.
fn server_form(
    fields: &JsValue,
    opts: Option<&Obj<'_>>,
    body: &Body,
    now: ServerNow,
    allow_insecure: bool,
    bucket_url: Option<&str>,
) -> Result<signed::ServerPostForm> {
    // Every string (or number: `expire`) member of the server's answer, under the name it
    // has: the form reads the guide's fields whatever their spelling (`signed::lookup`).
    let pairs = Obj::new(fields, "fields")?.scalar_entries()?;
    let (key, filename, explicit_type, extra) = match opts {
        Some(o) => (
            o.opt_string("key")?,
            o.opt_string("filename")?,
            o.opt_string("contentType")?,
            o.string_map("fields")?,
        ),
        None => (None, None, None, Vec::new()),
    };
    let filename = filename.or_else(|| body.name());
    let allow = allow_insecure
        || opts
            .map(|o| o.opt_bool("allowInsecureHttp"))
            .transpose()?
            .unwrap_or(false);
    let mut form =
        signed::server_post_form(&pairs, key.as_deref(), filename.as_deref(), now, allow)?;
    if let Some(base) = bucket_url {
        signed::check_same_bucket("fields.host", &form.url, base)?;
    }
    let object_key = form.fields.first().map_or("", |(_, k)| k.as_str());
    let explicit_type = explicit_type
        .as_deref()
        .or_else(|| signed::server_content_type(&pairs));
    let ct = content_type::resolve(explicit_type, body.own_type().as_deref(), object_key)?;
    signed::complete_server_form(&mut form, &pairs, ct, &extra)?;
    Ok(form)
}

#[allow(clippy::too_many_arguments)]
async fn server_post(
    clock: &SkewClock,
    retry: RetryPolicy,
    timeout_ms: u32,
    fields: JsValue,
    file: JsValue,
    options: Option<JsValue>,
    allow_insecure: bool,
    bucket_url: Option<&str>,
    limiter: Option<&Rc<Limiter>>,
) -> Result<JsValue> {
    let opts = checked_opts(
        options.as_ref(),
        &[
            "key",
            "filename",
            "contentType",
            "fields",
            "signal",
            "allowInsecureHttp",
        ],
        "postWithServerSignature",
    )?;
    let signal = signal_of(opts.as_ref())?;
    let body = Body::read(&file, "file")?;
    let now = clock.server_now(now_ms())?;
    let form = server_form(
        &fields,
        opts.as_ref(),
        &body,
        now,
        allow_insecure,
        bucket_url,
    )?;
    let blob = body.retyped(&form.content_type)?;
    let _slot = match limiter {
        Some(l) => Some(upload_slot(l, signal.as_ref()).await?),
        None => None,
    };
    let t = WebTransport::new(signal, timeout_ms, None);
    let cancel = Rc::new(Cell::new(false));
    let crc = body.crc64_task(&cancel);
    let out = core_client::post_with_server_signature(&t, clock, retry, &form, blob).await;
    finish(out, &crc, &cancel).await
}

/// PUT `body` to a URL your server signed (V4 or V1): sends exactly `contentType` (none when
/// absent — the browser cannot add one). Refuses before sending a URL without a signature or
/// plain http to a host that is not loopback (`InvalidArgument`, field `url`), and one expired by
/// OSS's clock (`SignedUrlExpired`). Until the page has heard OSS's time (a `Date` header or an
/// error's `ServerTime`), this device's clock may be off, so only a URL it says expired over a
/// day ago is refused; OSS judges the rest, and its "expired" answer is `SignedUrlExpired` too.
#[wasm_bindgen(js_name = uploadToSignedUrl, unchecked_return_type = "Promise<UploadResult>")]
pub fn upload_to_signed_url(
    #[wasm_bindgen(unchecked_param_type = "string")] url: JsValue,
    #[wasm_bindgen(unchecked_param_type = "UploadBody")] body: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "SignedUrlUploadOptions")] options: Option<
        JsValue,
    >,
) -> js_sys::Promise {
    let clock = STANDALONE_CLOCK.with(Rc::clone);
    js_sys::futures::future_to_promise(async move {
        signed_url_upload(
            &clock,
            RetryPolicy::default(),
            120_000,
            &url,
            body,
            options,
            false,
            None,
            None,
        )
        .await
        .map_err(JsValue::from)
    })
}

/// PostObject with the fields your server returned (either JSON shape of the browser-upload
/// guide, V1 or V4), assembled in order with the file last. An expired policy is
/// `SignedUrlExpired`, judged as `uploadToSignedUrl` judges URLs.
#[wasm_bindgen(js_name = postWithServerSignature, unchecked_return_type = "Promise<UploadResult>")]
pub fn post_with_server_signature(
    #[wasm_bindgen(unchecked_param_type = "ServerPostFields")] fields: JsValue,
    #[wasm_bindgen(unchecked_param_type = "UploadBody")] file: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "ServerPostOptions")] options: Option<JsValue>,
) -> js_sys::Promise {
    let clock = STANDALONE_CLOCK.with(Rc::clone);
    js_sys::futures::future_to_promise(async move {
        server_post(
            &clock,
            RetryPolicy::default(),
            120_000,
            fields,
            file,
            options,
            false,
            None,
            None,
        )
        .await
        .map_err(JsValue::from)
    })
}
