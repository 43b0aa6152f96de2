//! `Signer`: a signer created once with the location and the credentials, then called per
//! request with only the per-request fields, as ali-oss's client is used (`new OSS({...})`).
//!
//! The constant parts are checked and resolved once (region, product, endpoint, default bucket,
//! credentials) and the signing-key cache is the signer's own. Each call crosses the boundary
//! once with its per-call fields (packed by the fast lane of `super::fast`, or a JSON snapshot
//! without credentials) and once with the answer. The bytes are those of the standalone
//! `signRequest` / `presignUrl` on the same inputs, and bad per-request input gets the same
//! codes and fields (tests/crosscheck proves both).

// Exports are reached through wasm-bindgen's generated JS, not through Rust paths.
#![allow(unreachable_pub)]

use super::api::check_http;
use super::fast::{self, CallFields, FastCall};
use super::packed::{snapshot, snapshot_named, Packed};
use crate::credentials::Credentials;
use crate::endpoint::Endpoint;
use crate::error::{Error, Result};
use crate::names::{Bucket, ObjectKey, Region};
use crate::prelude::*;
use crate::signer::{self, Request, SigningKeyCache, Target};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_SIGNER: &str = r#"
/** Options of `new Signer(...)`: where the bucket lives and the credentials, fixed for the signer. */
export interface SignerOptions extends Omit<OssLocation, "bucket"> {
  /** Default bucket of every call (a call may name another). */
  bucket?: string;
  credentials: OssCredentials;
}

/** Per-request fields of `Signer.signRequest`; the location and credentials are the signer's. */
export interface SignerRequestInput {
  /** HTTP method, e.g. "PUT". */
  method: string;
  /** Bucket; defaults to the signer's. */
  bucket?: string;
  /** Object key; omit for bucket-level requests. */
  key?: string;
  /** Headers to send. Content-Type, Content-MD5 and x-oss-* are always signed. */
  headers?: Record<string, string>;
  /** Query parameters; null means a parameter without value (`?uploads`). */
  query?: Record<string, string | null>;
  /** Extra headers to sign, e.g. ["host"]. */
  additionalHeaders?: string[];
  /** Signing time; defaults to now. */
  signTime?: Date;
}

export interface SignerPresignInput extends SignerRequestInput {
  /** Validity in seconds, 1 to 604800. */
  expiresInSecs: number;
}
"#;

/// Signs requests and presigns URLs for one location with one set of credentials, created once
/// (`new Signer({ region, bucket?, endpoint?, …, credentials })`). Its answers are byte for byte
/// those of `signRequest` / `presignUrl`. `setCredentials` swaps the credentials (STS rotation);
/// `free()` releases it. It holds the AccessKeySecret and SecurityToken in wasm memory until
/// `setCredentials` replaces them or `free()` is called.
#[wasm_bindgen(js_name = Signer)]
#[derive(Debug)]
pub struct Signer {
    region: Region,
    product: String,
    endpoint: Endpoint,
    /// Plain-http endpoint: each call's URL is checked as `signRequest` checks it.
    http: bool,
    allow_insecure_http: bool,
    bucket: Option<Bucket>,
    creds: Credentials,
    keys: SigningKeyCache,
}

#[wasm_bindgen(js_class = Signer)]
impl Signer {
    /// Checks and resolves the location and the credentials once.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "SignerOptions")] options: &JsValue,
    ) -> Result<Signer, Error> {
        let snap = snapshot_named(options, "options")?;
        let input = Packed::root(&snap);
        // Read in the order of `signRequest`, so the same bad input names the same field first.
        let bucket = input.opt_string("bucket")?;
        let region = input.string("region")?;
        let (region, product) = match input.opt_string("cloudBoxId")? {
            Some(id) => (id, Some("oss-cloudbox")),
            None => (region, None),
        };
        let endpoint = input.opt_string("endpoint")?;
        let endpoint_options = input.endpoint(endpoint.as_deref())?;
        let allow_insecure_http = input.opt_bool("allowInsecureHttp")?;
        let bucket = bucket.as_deref().map(Bucket::new).transpose()?;
        let region = Region::new(&region)?;
        let product = signer::check_product(product)?.to_owned();
        let endpoint = Endpoint::resolve(&region, &endpoint_options)?;
        let http = endpoint.scheme() == "http";
        if let (true, Some(b)) = (http, &bucket) {
            check_http(&endpoint.url_for(b, None), allow_insecure_http)?;
        }
        let creds = input.credentials()?;
        Ok(Self {
            region,
            product,
            endpoint,
            http,
            allow_insecure_http,
            bucket,
            creds,
            keys: SigningKeyCache::new(),
        })
    }

    /// Replaces the credentials (e.g. fresh STS credentials); the old ones and their derived
    /// keys are dropped. On bad input the signer keeps its credentials.
    #[wasm_bindgen(js_name = setCredentials)]
    pub fn set_credentials(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "OssCredentials")] credentials: &JsValue,
    ) -> Result<(), Error> {
        if credentials.is_null() || credentials.is_undefined() {
            return Err(Error::invalid("credentials", "is required"));
        }
        let snap = snapshot_named(credentials, "credentials")?;
        self.creds = Packed::credentials_object(&snap).credential_fields()?;
        self.keys = SigningKeyCache::new();
        Ok(())
    }

    /// Signs a request in the `Authorization` header, as `signRequest` does.
    #[wasm_bindgen(js_name = signRequest, unchecked_return_type = "SignedRequest")]
    pub fn sign_request(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "SignerRequestInput")] input: &JsValue,
    ) -> Result<JsValue, Error> {
        self.call(input, false)
    }

    /// Presigns a URL valid for `expiresInSecs`, as `presignUrl` does.
    #[wasm_bindgen(js_name = presignUrl, unchecked_return_type = "PresignedUrl")]
    pub fn presign_url(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "SignerPresignInput")] input: &JsValue,
    ) -> Result<JsValue, Error> {
        self.call(input, true)
    }
}

impl Signer {
    /// One `signRequest` (or, with `presign`, `presignUrl`) call. Plain input takes the fast
    /// lane (packed in JS, see `fast`); anything else is read from its JSON snapshot, which
    /// gives every error. Fields are checked in the same order either way: the request's, then
    /// `expiresInSecs`, then `signTime`.
    fn call(&mut self, input: &JsValue, presign: bool) -> Result<JsValue> {
        let packed = fast::pack_call(input, presign, false);
        let snap;
        let (req, now, expires) =
            if let Some(call) = packed.as_deref().and_then(|p| FastCall::parse(p, false)) {
                (self.request(call.fields)?, call.time, call.expires)
            } else {
                snap = snapshot(input)?;
                let fields = Packed::root(&snap);
                let req = self.request(CallFields::read(&fields)?)?;
                let expires = if presign {
                    fields
                        .opt_int("expiresInSecs", 1, signer::MAX_PRESIGN_SECS)?
                        .ok_or_else(|| Error::invalid("expiresInSecs", "is required"))?
                } else {
                    0
                };
                (req, fields.sign_time(input)?, expires)
            };
        Ok(if presign {
            let p = signer::presign(&req, &self.creds, now, expires, &mut self.keys)?;
            fast::result(&p.url, &p.headers, Some(p.expires_at))
        } else {
            let signed = signer::sign_request(&req, &self.creds, now, &mut self.keys);
            fast::result(&signed.url, &signed.headers, None)
        })
    }

    /// The request of one call: its fields checked as `signRequest` checks them, in the same
    /// order, at the signer's location.
    fn request(&self, call: CallFields<'_>) -> Result<Request> {
        let method = signer::check_method(call.method)?;
        let bucket = match (call.bucket, &self.bucket) {
            (Some(b), _) => Bucket::new(b)?,
            (None, Some(b)) => b.clone(),
            (None, None) => return Err(Error::invalid("bucket", "is required")),
        };
        let key = call.key.map(ObjectKey::new).transpose()?;
        let req = Request::at(
            Target {
                method,
                bucket,
                key,
                region: self.region.clone(),
                product: self.product.clone(),
                endpoint: self.endpoint.clone(),
            },
            call.headers,
            call.query,
            call.additional,
        )?;
        if self.http {
            check_http(&req.base_url(), self.allow_insecure_http)?;
        }
        Ok(req)
    }
}
