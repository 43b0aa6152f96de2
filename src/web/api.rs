//! The `#[wasm_bindgen]` exports and their TypeScript types. Logic lives in the core.

// Exports are reached through wasm-bindgen's generated JS, not through Rust paths.
#![allow(unreachable_pub)]

use super::fast::{FastCall, Reader};
use crate::endpoint::{Endpoint, EndpointOptions};
use crate::error::{Error, Result};
use crate::names::{Bucket, Region};
use crate::prelude::*;
use crate::signer::{
    self, ContentTypeCondition, KeyCondition, PostPolicy, Request, RequestParts, SigningKeyCache,
};
use crate::text::cat;
use crate::time::UnixTime;
use wasm_bindgen::prelude::*;

/// The signing keys of the exports. A spin lock rather than `thread_local!` (not in `no_std`):
/// wasm runs one thread here, so it is never contended.
static KEYS: spin::Mutex<SigningKeyCache> = spin::Mutex::new(SigningKeyCache::new());

fn with_keys<T>(f: impl FnOnce(&mut SigningKeyCache) -> T) -> T {
    match KEYS.try_lock() {
        Some(mut cache) => f(&mut cache),
        // Re-entrancy is impossible from JS (single-threaded, no callbacks while signing);
        // fall back to an uncached key rather than failing.
        None => f(&mut SigningKeyCache::new()),
    }
}

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
/**
 * Credentials used to sign; STS credentials carry a securityToken. Held only as long as a call:
 * what stays in wasm memory is the derived signing key (valid for one day and one region, to
 * sign the next calls faster) and a SHA-256 of the secret that finds it, never the credentials.
 */
export interface OssCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  /** STS SecurityToken. */
  securityToken?: string;
  /** Alias of `securityToken` (ali-oss's name), used when `securityToken` is absent. */
  stsToken?: string;
}

/** Where the bucket lives and how its URL is built. */
export interface OssLocation {
  /** Bucket name. */
  bucket: string;
  /** Region ID: "cn-hangzhou" (or "oss-cn-hangzhou"). */
  region: string;
  /** Explicit endpoint, "host[:port]" with an optional "https://" or "http://", e.g. "http://localhost:9000" → http://BUCKET.localhost:9000.
   *  Used as URL parsers write it (lower case, without the scheme's default port), so the URL, the signed host and the Host sent agree;
   *  of IPv6 addresses only the loopback "[::1]" is taken. Default https://oss-REGION.aliyuncs.com. */
  endpoint?: string;
  /** Endpoint family when `endpoint` is not given. Default "public". */
  endpointType?: "public" | "internal" | "accelerate";
  /** `endpoint` is a custom domain bound to the bucket: its host is used as is. */
  cname?: boolean;
  /** Put the bucket in the path (https://ENDPOINT/BUCKET/KEY). IP endpoints always use it. */
  pathStyle?: boolean;
  /** OSS on CloudBox: sign for this CloudBox ID with product "oss-cloudbox" (give its `endpoint`). */
  cloudBoxId?: string;
  /** Allow a plain-http `endpoint` that is not loopback (localhost, *.localhost, 127.x, [::1]).
   *  Default false: such endpoints are refused (InvalidArgument, field "endpoint") because the
   *  signature, token and presigned URLs would travel in clear text. */
  allowInsecureHttp?: boolean;
}

export interface SignRequestInput extends OssLocation {
  /** HTTP method, e.g. "PUT". */
  method: string;
  /** Object key; omit for bucket-level requests. */
  key?: string;
  /** Headers to send. Content-Type, Content-MD5 and x-oss-* are always signed. */
  headers?: Record<string, string>;
  /** Query parameters; null means a parameter without value (`?uploads`). */
  query?: Record<string, string | null>;
  /** Extra headers to sign, e.g. ["host"]. */
  additionalHeaders?: string[];
  credentials: OssCredentials;
  /** Signing time; defaults to now. */
  signTime?: Date;
  /** Not used by `signRequest`; accepted so that one input can serve `presignUrl` too. */
  expiresInSecs?: number;
}

export interface SignedRequest {
  url: string;
  /** Every header to send, authorization included (values are fetch ByteStrings: UTF-8 bytes). */
  headers: Record<string, string>;
}

export interface PresignUrlInput extends SignRequestInput {
  /** Validity in seconds, 1 to 604800. */
  expiresInSecs: number;
}

export interface PresignedUrl {
  url: string;
  expiresAt: Date;
  /** Headers the URL's user must send exactly (Content-Type and every signed x-oss-* header). */
  headers: Record<string, string>;
}

export interface SignPostPolicyInput {
  /** The policy: an object (serialised once with JSON.stringify) or the exact JSON text to sign.
   *  Either must be a JSON object with an `expiration` string and a `conditions` array, whose
   *  conditions require the form's `x-oss-signature-version`, `x-oss-credential` and
   *  `x-oss-date` exactly (`{"x-oss-date": "20240520T090910Z"}` or `["eq", "$x-oss-date", …]`),
   *  as OSS does: a policy that lacks or contradicts one is refused (InvalidArgument, field
   *  "policy", the message giving the condition to write). `buildPostPolicy` adds them. */
  policy: object | string;
  region: string;
  /** OSS on CloudBox: sign for this CloudBox ID with product "oss-cloudbox". */
  cloudBoxId?: string;
  bucket?: string;
  credentials: OssCredentials;
  signTime?: Date;
}

export interface SignedPostPolicy {
  /** Base64 of the policy text (the `policy` form field). */
  policy: string;
  /** The `x-oss-signature` form field. */
  signature: string;
  /** Every signature form field: policy, x-oss-signature-version, x-oss-credential, x-oss-date,
   *  x-oss-signature and, for STS credentials, x-oss-security-token. */
  fields: Record<string, string>;
}

export interface BuildPostPolicyInput extends OssLocation {
  credentials: OssCredentials;
  /** Validity in seconds, 1 to 604800. */
  expiresInSecs: number;
  /** Exact key the form must upload to (`["eq","$key",…]`, also put in `fields.key`). */
  key?: string;
  /** Key prefix the form must use (`["starts-with","$key",…]`): at most 1023 bytes, not starting
   *  with `/` or `\\`, without CR or LF. */
  keyPrefix?: string;
  /** content-length-range; defaults 0 and 5 GiB when only one is given; maxBytes >= minBytes. */
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
  /** 200, 201 or 204; also put in `fields.success_action_status`. */
  successActionStatus?: 200 | 201 | 204;
  /** More conditions, each a policy condition object or array. */
  conditions?: unknown[];
  signTime?: Date;
}

export interface BuiltPostPolicy extends SignedPostPolicy {
  /** Where to POST the form (the bucket URL). */
  url: string;
  /** The policy JSON that was signed. */
  policyText: string;
  expiresAt: Date;
}
"#;

/// `signRequest` (or, with `presign`, `presignUrl`): the input packed in JS (`super::fast`),
/// then checked in the order of the general API: endpoint type, the request, plain http, then
/// the credentials (the fields' types, `expiresInSecs` and `signTime` were checked in JS).
fn standalone(input: &JsValue, presign: bool) -> Result<JsValue, JsValue> {
    let packed = super::fast::pack_call(input, presign, true)?;
    Ok(standalone_packed(&packed, presign)?)
}

/// [`standalone`] of the packed input (errors converted once, by the caller).
fn standalone_packed(packed: &str, presign: bool) -> Result<JsValue> {
    let FastCall {
        pending,
        location,
        time,
        expires,
        fields,
    } = FastCall::parse(packed, true)?;
    let loc = location.ok_or_else(super::fast::malformed)?;
    let kind = super::input::endpoint_kind(loc.endpoint_type)?;
    pending.at(0)?;
    let (region, product) = loc.region_product()?;
    let req = Request::new(RequestParts {
        method: fields.method,
        bucket: fields.bucket.unwrap_or_default(),
        key: fields.key,
        region,
        product,
        endpoint: EndpointOptions {
            endpoint: loc.endpoint,
            kind,
            cname: loc.cname,
            path_style: loc.path_style,
        },
        headers: fields.headers,
        query: fields.query,
        additional_headers: fields.additional,
    })?;
    pending.at(1)?;
    check_http(req.endpoint(), req.bucket(), loc.allow_insecure_http)?;
    pending.at(2)?;
    let creds = loc.credentials()?;
    pending.at(3)?;
    let time = super::fast::sign_time(time)?;
    with_keys(|keys| super::fast::sign(&req, &creds, time, presign.then_some(expires), keys))
}

/// Refuses an endpoint that already names `bucket` ([`Endpoint::check_bucket`]), and a plain-http
/// endpoint whose host for `bucket` (with the bucket when it is in the host
/// name) is not loopback, unless `allowInsecureHttp`: the check of
/// `upload::signed::check_scheme` on the URL the endpoint builds, without building or parsing
/// that URL (the host is built only for plain http).
pub(super) fn check_http(endpoint: &Endpoint, bucket: &Bucket, allow: bool) -> Result<()> {
    endpoint.check_bucket(bucket)?;
    if endpoint.scheme() == "http"
        && !allow
        && !crate::upload::signed::is_loopback_host(&endpoint.host_for(bucket))
    {
        return Err(Error::invalid(
            "endpoint",
            crate::upload::signed::PLAIN_HTTP,
        ));
    }
    Ok(())
}

/// Signs a request in the `Authorization` header. Returns the URL and every header to send.
#[wasm_bindgen(js_name = signRequest, unchecked_return_type = "SignedRequest")]
pub fn sign_request(
    #[wasm_bindgen(unchecked_param_type = "SignRequestInput")] input: &JsValue,
) -> Result<JsValue, JsValue> {
    standalone(input, false)
}

/// Presigns a URL valid for `expiresInSecs`; also returns the headers its user must send.
#[wasm_bindgen(js_name = presignUrl, unchecked_return_type = "PresignedUrl")]
pub fn presign_url(
    #[wasm_bindgen(unchecked_param_type = "PresignUrlInput")] input: &JsValue,
) -> Result<JsValue, JsValue> {
    standalone(input, true)
}

/// The answer of `signPostPolicy` (or, with `built` = `url NUL policyText` and `expires`, of
/// `buildPostPolicy`), crossing the boundary as strings that fast.js's `unpackPost` splits: the
/// key (`fields.key`, the one value that may hold NUL) apart, '' when absent.
fn post_result(
    sig: &signer::PostSignature,
    key: &str,
    content_type: &str,
    built: &str,
    expires: Option<UnixTime>,
) -> JsValue {
    let mut packed = String::with_capacity(1024);
    for part in [&sig.policy, &sig.signature] {
        packed.push_str(part);
        packed.push('\0');
    }
    // The one allowed type of an "eq" condition, which the form must send (after the key).
    if !content_type.is_empty() {
        packed.push_str("Content-Type\0");
        packed.push_str(content_type);
        packed.push('\0');
    }
    for (k, v) in &sig.fields {
        packed.push_str(k);
        packed.push('\0');
        packed.push_str(v);
        packed.push('\0');
    }
    #[allow(clippy::cast_precision_loss)]
    let expires_ms = expires.map_or(f64::NAN, |t| t.secs() as f64 * 1000.0);
    super::fast::unpack_post(&packed, key, built, expires_ms)
}

/// Signs a PostObject policy given as an object or as the exact JSON text to send.
#[wasm_bindgen(js_name = signPostPolicy, unchecked_return_type = "SignedPostPolicy")]
pub fn sign_post_policy(
    #[wasm_bindgen(unchecked_param_type = "SignPostPolicyInput")] input: &JsValue,
) -> Result<JsValue, JsValue> {
    // Packed in JS (super::fast): policy text (its shape checked there), region, bucket?,
    // credentials, time; type errors of later fields pending behind each check here.
    let packed = super::fast::pack_sign_policy(input)?;
    Ok(sign_policy(&packed)?)
}

/// [`sign_post_policy`] of the packed input (errors converted once, by the caller).
fn sign_policy(packed: &str) -> Result<JsValue> {
    let (mut it, pending) = Reader::new(packed)?;
    let text = it.next();
    let mut region = Region::new(it.next())?;
    pending.at(0)?;
    let product = match it.optional() {
        Some(id) => {
            region = crate::names::cloud_box_id(id)?;
            Some(super::fast::CLOUD_BOX_PRODUCT)
        }
        None => None,
    };
    if let Some(b) = it.optional() {
        Bucket::new(b)?;
    }
    pending.at(1)?;
    let creds = it.credentials()?;
    pending.at(2)?;
    let now = super::fast::sign_time(it.next())?;
    let sig =
        with_keys(|keys| signer::sign_post_policy(text, &creds, &region, product, now, keys))?;
    // OSS refuses a V4 form whose policy does not require its x-oss-signature-version,
    // x-oss-credential and x-oss-date exactly: say so now, with the condition to write.
    for (name, value) in sig.fields.get(1..4).unwrap_or_default() {
        if it.optional() != Some(value.as_str()) {
            return Err(Error::invalid(
                "policy",
                cat(&[
                    "needs the condition {\"",
                    name,
                    "\": \"",
                    value,
                    "\"}: OSS refuses a V4 form whose policy lacks it or requires another value \
                     (buildPostPolicy adds it; sign with the signTime, region and credentials \
                     the policy was written for)",
                ]),
            ));
        }
    }
    Ok(post_result(&sig, "", "", "", None))
}

/// `key` (an exact key, checked) or `keyPrefix` (checked), not both.
fn key_condition(key: Option<&str>, prefix: Option<&str>) -> Result<Option<KeyCondition>> {
    Ok(match (key, prefix) {
        (Some(_), Some(_)) => {
            return Err(Error::invalid(
                "keyPrefix",
                "give either key or keyPrefix, not both",
            ))
        }
        (Some(k), None) => Some(KeyCondition::Eq(
            crate::names::ObjectKey::new(k)?.as_str().to_owned(),
        )),
        (None, Some(p)) => {
            crate::names::check_key_prefix(p)?;
            Some(KeyCondition::StartsWith(p.to_owned()))
        }
        (None, None) => None,
    })
}

/// The content-type condition of `contentTypes` (checked, trimmed) or `contentTypePrefix`.
fn content_type_condition(
    mut types: Vec<String>,
    prefix: Option<&str>,
) -> Result<Option<ContentTypeCondition>> {
    Ok(match (types.len(), prefix) {
        (0, None) => None,
        (0, Some(p)) => Some(ContentTypeCondition::StartsWith(
            crate::upload::content_type::check_prefix("contentTypePrefix", p)?,
        )),
        (_, Some(_)) => {
            return Err(Error::invalid(
                "contentTypePrefix",
                "give either contentTypes or contentTypePrefix, not both",
            ));
        }
        (1, None) => types.pop().map(ContentTypeCondition::Eq),
        (_, None) => Some(ContentTypeCondition::In(types)),
    })
}

/// The largest object, and the default `maxBytes` of a content-length-range.
const MAX_OBJECT: u64 = 5 * 1024 * 1024 * 1024;

/// Builds a PostObject policy from simple options (adding the credential, date, version and
/// token conditions itself), signs it and returns the form's URL and fields.
#[wasm_bindgen(js_name = buildPostPolicy, unchecked_return_type = "BuiltPostPolicy")]
pub fn build_post_policy(
    #[wasm_bindgen(unchecked_param_type = "BuildPostPolicyInput")] input: &JsValue,
) -> Result<JsValue, JsValue> {
    // Packed in JS (super::fast::packBuildPolicy); the stages number the checks below.
    let packed = super::fast::pack_build_policy(input)?;
    Ok(build_policy(&packed)?)
}

/// [`build_post_policy`] of the packed input. Errors stay `Error` until the export converts
/// them once, and the packed text is the caller's: each early return drops less (smaller wasm).
fn build_policy(packed: &str) -> Result<JsValue> {
    let (mut it, pending) = Reader::new(packed)?;
    let region = Region::new(it.next())?;
    pending.at(0)?;
    let bucket = Bucket::new(it.next())?;
    pending.at(1)?;
    let endpoint = it.optional();
    let kind = super::input::endpoint_kind(it.optional())?;
    let signing = super::fast::cloud_box(it.optional(), endpoint)?;
    let (sign_region, product) = match &signing {
        Some(id) => (id, Some(super::fast::CLOUD_BOX_PRODUCT)),
        None => (&region, None),
    };
    pending.at(2)?;
    let flags = it.next().as_bytes();
    let flag = |i: usize| flags.get(i) == Some(&b'1');
    let location = crate::endpoint::Endpoint::resolve(
        &region,
        &EndpointOptions {
            endpoint,
            kind,
            cname: flag(0),
            path_style: flag(1),
        },
    )?;
    pending.at(3)?;
    check_http(&location, &bucket, flag(2))?;
    pending.at(4)?;
    let creds = it.credentials()?;
    pending.at(5)?;
    let now = super::fast::sign_time(it.next())?;
    let expires = it.opt_int().unwrap_or(1);
    let (key, prefix) = (it.optional(), it.optional());
    let key = key_condition(key, prefix)?;
    pending.at(6)?;
    #[allow(clippy::cast_sign_loss)]
    let range = match (it.opt_int(), it.opt_int()) {
        (None, None) => None,
        (lo, hi) => {
            let (lo, hi) = (
                lo.map_or(0, |n| n as u64),
                hi.map_or(MAX_OBJECT, |n| n as u64),
            );
            if lo > hi {
                return Err(Error::invalid("maxBytes", "must not be less than minBytes"));
            }
            Some((lo, hi))
        }
    };
    pending.at(7)?;
    // Each as checked: its surrounding ASCII whitespace trimmed.
    let mut types = Vec::new();
    for _ in 0..it.count() {
        types.push(crate::upload::content_type::check(
            "contentTypes",
            it.next(),
        )?);
    }
    pending.at(8)?;
    let content_type = content_type_condition(types, it.optional())?;
    pending.at(9)?;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let status = it.opt_int().map(|s| s as u16);
    let mut extra = Vec::new();
    for _ in 0..it.count() {
        extra.push(it.next().to_owned());
    }
    let policy = PostPolicy {
        expiration: Some(now.plus_secs(expires)),
        bucket: Some(bucket.clone()),
        key: key.clone(),
        content_length_range: range,
        content_type,
        success_action_status: status,
        extra_conditions: extra,
    };
    let text = policy.to_json(&creds, sign_region, product, now)?;
    let mut sig =
        with_keys(|keys| signer::sign_post_policy(&text, &creds, sign_region, product, now, keys))?;
    if let Some(s) = status {
        sig.fields.push((
            "success_action_status".to_owned(),
            crate::text::int(i64::from(s)),
        ));
    }
    let key = match &key {
        Some(KeyCondition::Eq(k)) => k.as_str(),
        _ => "",
    };
    let url = location.url_for(&bucket, None);
    let built = crate::text::cat(&[&url, "\0", &text]);
    let content_type = match &policy.content_type {
        Some(ContentTypeCondition::Eq(t)) => t.as_str(),
        _ => "",
    };
    Ok(post_result(
        &sig,
        key,
        content_type,
        &built,
        Some(now.plus_secs(expires)),
    ))
}
