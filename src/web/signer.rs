//! `Signer`: a signer created once with the location and the credentials, then called per
//! request with only the per-request fields, as ali-oss's client is used (`new OSS({...})`).
//!
//! The constant parts are checked and resolved once (region, product, endpoint, default bucket,
//! credentials) and the signing-key cache is the signer's own. Each call crosses the boundary
//! once with its per-call fields (packed in JS by `super::fast`, without credentials) and once
//! with the answer. The bytes are those of the standalone `signRequest` / `presignUrl` on the
//! same inputs, and bad per-request input gets the same codes and fields (tests/crosscheck
//! proves both).

// Exports are reached through wasm-bindgen's generated JS, not through Rust paths.
#![allow(unreachable_pub)]

use super::api::check_http;
use super::fast::{self, CallFields, FastCall};
use crate::credentials::Credentials;
use crate::endpoint::{Endpoint, EndpointOptions};
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
    /// Each call's plain-http URL is checked as `signRequest` checks it.
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
    ) -> Result<Signer, JsValue> {
        let packed = fast::pack_signer(options)?;
        Ok(Self::from_packed(&packed)?)
    }

    /// Replaces the credentials (e.g. fresh STS credentials); the old ones and their derived
    /// keys are dropped. On bad input the signer keeps its credentials.
    #[wasm_bindgen(js_name = setCredentials)]
    pub fn set_credentials(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "OssCredentials")] credentials: &JsValue,
    ) -> Result<(), JsValue> {
        let packed = fast::pack_credentials(credentials)?;
        self.creds = fast::parse_credentials(&packed)?;
        self.keys = SigningKeyCache::new();
        Ok(())
    }

    /// Signs a request in the `Authorization` header, as `signRequest` does.
    #[wasm_bindgen(js_name = signRequest, unchecked_return_type = "SignedRequest")]
    pub fn sign_request(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "SignerRequestInput")] input: &JsValue,
    ) -> Result<JsValue, JsValue> {
        self.call(input, false)
    }

    /// Presigns a URL valid for `expiresInSecs`, as `presignUrl` does.
    #[wasm_bindgen(js_name = presignUrl, unchecked_return_type = "PresignedUrl")]
    pub fn presign_url(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "SignerPresignInput")] input: &JsValue,
    ) -> Result<JsValue, JsValue> {
        self.call(input, true)
    }
}

impl Signer {
    /// `new Signer(options)` of the packed options (errors converted once, by the caller).
    fn from_packed(packed: &str) -> Result<Self> {
        let (bucket, loc, pending) = fast::parse_signer(packed)?;
        Self::at(bucket, &loc, &pending)
    }

    /// The signer of `loc`: checked in the order of `signRequest` (endpoint type, bucket, region,
    /// product, endpoint, plain http, then the credentials).
    fn at(
        bucket: Option<&str>,
        loc: &fast::Location<'_>,
        pending: &fast::Pending<'_>,
    ) -> Result<Self> {
        let endpoint_options = EndpointOptions {
            endpoint: loc.endpoint,
            kind: super::input::endpoint_kind(loc.endpoint_type)?,
            cname: loc.cname,
            path_style: loc.path_style,
        };
        pending.at(0)?;
        let (region, product) = loc.region_product()?;
        let bucket = bucket.map(Bucket::new).transpose()?;
        let region = Region::new(region)?;
        let product = signer::check_product(product)?.to_owned();
        let endpoint = Endpoint::resolve(&region, &endpoint_options)?;
        if let Some(b) = &bucket {
            check_http(&endpoint, b, loc.allow_insecure_http)?;
        }
        pending.at(2)?;
        Ok(Self {
            region,
            product,
            endpoint,
            allow_insecure_http: loc.allow_insecure_http,
            bucket,
            creds: loc.credentials()?,
            keys: SigningKeyCache::new(),
        })
    }

    /// One `signRequest` (or, with `presign`, `presignUrl`) call, packed in JS (`fast`): the
    /// types of its fields were checked there; its values are checked here, the request's first.
    fn call(&mut self, input: &JsValue, presign: bool) -> Result<JsValue, JsValue> {
        let packed = fast::pack_call(input, presign, false)?;
        Ok(self.call_packed(&packed, presign)?)
    }

    /// [`Signer::call`] of the packed input (errors converted once, by the caller).
    fn call_packed(&mut self, packed: &str, presign: bool) -> Result<JsValue> {
        let call = FastCall::parse(packed, false)?;
        let req = self.request(call.fields)?;
        call.pending.at(1)?;
        let (now, expires) = (fast::sign_time(call.time)?, call.expires);
        fast::sign(
            &req,
            &self.creds,
            now,
            presign.then_some(expires),
            &mut self.keys,
        )
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
        check_http(&self.endpoint, req.bucket(), self.allow_insecure_http)?;
        Ok(req)
    }
}
