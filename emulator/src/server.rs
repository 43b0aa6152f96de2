//! The HTTP server: connection loop, routing, OSS object and multipart APIs, PostObject.

use crate::auth::{self, Principal, RequestParts};
use crate::cors;
use crate::encode::{decode_str, parse_query, uri_encode};
use crate::error::{codes, OssError};
use crate::faults::Kind;
use crate::form::{self, Event, FormParser};
use crate::http::{empty, file_body, read_small, Body, CorsMode, Reply};
use crate::post;
use crate::sign::{self, ct_eq};
use crate::state::State;
use crate::store::{random_hex_upper, ObjectMeta, UploadMeta, Written};
use crate::time;
use base64::Engine;
use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;
use tokio::net::TcpListener;

/// Maximum object / part size (5 GiB).
pub const MAX_OBJECT: u64 = 5 * 1024 * 1024 * 1024;
/// Minimum size of a non-last part at Complete (100 KiB).
pub const MIN_PART: u64 = 100 * 1024;

/// Per-request context.
#[derive(Debug)]
pub struct Ctx {
    /// State.
    pub state: Arc<State>,
    /// Request id (24 upper-case hex).
    pub rid: String,
    /// Method (upper case).
    pub method: String,
    /// Raw path.
    pub raw_path: String,
    /// Raw query.
    pub raw_query: String,
    /// Decoded query pairs.
    pub query: Vec<(String, String)>,
    /// Headers, lower-case names, in order.
    pub headers: Vec<(String, String)>,
    /// Host header (with port).
    pub host: String,
    /// Peer.
    pub peer: SocketAddr,
    /// Server time at arrival.
    pub now_ms: i64,
    /// The fault injected into this request, if any (for the journal).
    pub fault: std::sync::OnceLock<crate::faults::Kind>,
}

impl Ctx {
    /// Header value.
    pub fn header(&self, n: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.as_str())
    }
    /// Query parameter.
    pub fn param(&self, n: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.as_str())
    }
    /// Has query parameter.
    pub fn has_param(&self, n: &str) -> bool {
        self.query.iter().any(|(k, _)| k == n)
    }
    fn host_name(&self) -> &str {
        host_without_port(&self.host)
    }
}

fn host_without_port(h: &str) -> &str {
    if h.starts_with('[') {
        return h.split(']').next().map_or(h, |s| s.trim_start_matches('['));
    }
    h.rsplit_once(':')
        .filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit()))
        .map_or(h, |(n, _)| n)
}

/// Serve until the listener fails.
pub async fn serve(state: Arc<State>, listener: TcpListener) -> io::Result<()> {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                crate::log::line(format!("accept error: {e}"));
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let state = state.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| handle(state.clone(), peer, req));
            let _ = http1::Builder::new()
                .keep_alive(true)
                .max_buf_size(1024 * 1024)
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

/// Signal to drop the connection.
#[derive(Debug)]
pub struct Drop;

type Handled = Result<Reply, Drop>;

async fn handle(
    state: Arc<State>,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> Result<Response<Body>, io::Error> {
    let start = Instant::now();
    let (parts, body) = req.into_parts();
    let raw_path = parts.uri.path().to_string();
    let raw_query = parts.uri.query().unwrap_or("").to_string();
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let host = headers
        .iter()
        .find(|(k, _)| k == "host")
        .map(|(_, v)| v.clone())
        .or_else(|| parts.uri.authority().map(|a| a.to_string()))
        .unwrap_or_default();
    let ctx = Ctx {
        now_ms: state.now_ms(),
        rid: random_hex_upper(12),
        method: parts.method.as_str().to_ascii_uppercase(),
        query: parse_query(&raw_query),
        raw_path,
        raw_query,
        headers,
        host,
        peer,
        state,
        fault: std::sync::OnceLock::new(),
    };
    let mut body = Some(body);
    let reply = route(&ctx, &mut body).await;
    let ms = start.elapsed().as_millis();
    let mut reply = match reply {
        Ok(r) if ctx.fault.get() == Some(&Kind::Lost) => {
            crate::log::line(format!(
                "{} {} LOST (fault: {} {} handled, answer dropped) {ms}ms",
                ctx.method, ctx.raw_path, r.status, r.code
            ));
            journal(&ctx, r.status, &r.code);
            return Err(io::Error::other("answer dropped by fault injection"));
        }
        Ok(r) => r,
        Err(Drop) => {
            crate::log::line(format!(
                "{} {} DROP (fault: connection dropped) {ms}ms",
                ctx.method, ctx.raw_path
            ));
            journal(&ctx, 0, "DROP");
            return Err(io::Error::other("connection dropped by fault injection"));
        }
    };
    // Read (and discard) an unread body before an error reply so the client sees the answer
    // rather than a reset; not when it waits for `100-continue` (it has not sent the body).
    let expects_continue = ctx
        .header("expect")
        .is_some_and(|e| e.eq_ignore_ascii_case("100-continue"));
    if reply.status >= 400 && !expects_continue {
        if let Some(b) = body.take() {
            drain(b, 64 * 1024 * 1024).await;
        }
    }
    finish_headers(&ctx, &mut reply);
    journal(&ctx, reply.status, &reply.code);
    crate::log::line(format!(
        "{} {} {} {} {}ms",
        ctx.method,
        ctx.raw_path,
        reply.status,
        reply.code,
        start.elapsed().as_millis()
    ));
    let mut resp = Response::new(reply.body);
    *resp.status_mut() = hyper::StatusCode::from_u16(reply.status)
        .unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    for (k, v) in reply.headers {
        if let (Ok(n), Ok(v)) = (
            hyper::header::HeaderName::from_bytes(k.as_bytes()),
            hyper::header::HeaderValue::from_bytes(v.as_bytes()),
        ) {
            resp.headers_mut().append(n, v);
        }
    }
    Ok(resp)
}

/// Journals a finished request for the admin API (not the admin API's own requests).
fn journal(ctx: &Ctx, status: u16, code: &str) {
    if !ctx.raw_path.starts_with("/_emulator/") {
        ctx.state.faults.record(
            &ctx.method,
            &ctx.raw_path,
            &ctx.raw_query,
            status,
            code,
            ctx.fault.get().copied(),
            ctx.now_ms,
        );
    }
}

async fn drain(mut body: Incoming, limit: u64) {
    let mut n = 0u64;
    let fut = async {
        while let Some(Ok(f)) = body.frame().await {
            if let Ok(d) = f.into_data() {
                n += d.len() as u64;
                if n > limit {
                    break;
                }
            }
        }
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(30), fut).await;
}

fn finish_headers(ctx: &Ctx, reply: &mut Reply) {
    let now_s = ctx.state.now_ms().div_euclid(1000);
    reply.headers.push(("Server".into(), "AliyunOSS".into()));
    reply.headers.push(("Date".into(), time::rfc1123(now_s)));
    reply
        .headers
        .push(("x-oss-request-id".into(), ctx.rid.clone()));
    if !reply
        .headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("cache-control"))
        && !matches!(reply.cors, CorsMode::Bucket(_))
    {
        reply
            .headers
            .push(("Cache-Control".into(), "no-store".into()));
    }
    let Some(origin) = ctx.header("origin") else {
        return;
    };
    match &reply.cors {
        CorsMode::Done => {}
        CorsMode::Open => {
            reply
                .headers
                .push(("Access-Control-Allow-Origin".into(), origin.to_string()));
            reply.headers.push(("Vary".into(), "Origin".into()));
            reply.headers.push((
                "Access-Control-Expose-Headers".into(),
                "ETag, x-oss-request-id, Date".into(),
            ));
        }
        CorsMode::Bucket(b) => {
            let rules = ctx.state.cors_rules(b);
            if let Some(rule) = cors::match_actual(&rules, origin, &ctx.method) {
                reply.headers.push((
                    "Access-Control-Allow-Origin".into(),
                    rule.allow_origin(origin),
                ));
                reply.headers.push((
                    "Access-Control-Allow-Methods".into(),
                    rule.allowed_methods.join(", "),
                ));
                if !rule.expose_headers.is_empty() {
                    reply.headers.push((
                        "Access-Control-Expose-Headers".into(),
                        rule.expose_headers.join(", "),
                    ));
                }
                if let Some(m) = rule.max_age_seconds {
                    reply
                        .headers
                        .push(("Access-Control-Max-Age".into(), m.to_string()));
                }
                if rule.response_vary {
                    reply.headers.push(("Vary".into(), "Origin".into()));
                }
            }
        }
    }
}

/// Build an OSS error reply.
pub fn error_reply(ctx: &Ctx, e: &OssError, bucket: Option<&str>) -> Reply {
    let host_id = ctx.host_name().to_string();
    let xml = e.to_xml(&ctx.rid, &host_id);
    let mut r = if ctx.method == "HEAD" {
        Reply::new(e.status, empty()).header(
            "x-oss-err",
            base64::engine::general_purpose::STANDARD.encode(xml.as_bytes()),
        )
    } else {
        Reply::xml(e.status, xml)
    };
    if !e.ec.is_empty() {
        r = r.header("x-oss-ec", e.ec.clone());
    }
    for (k, v) in &e.headers {
        r = r.header(k, v.clone());
    }
    r.code.clone_from(&e.code);
    if let Some(b) = bucket {
        r.cors = CorsMode::Bucket(b.to_string());
    }
    r
}

/// Where a request goes.
#[derive(Debug)]
enum Target {
    Bucket { bucket: String, key: Option<String> },
    UnknownBucket(String),
    Static,
}

fn resolve(ctx: &Ctx) -> Target {
    let host = ctx.host_name();
    let is_ip = host.parse::<std::net::IpAddr>().is_ok();
    if !is_ip {
        if let Some((first, _rest)) = host.split_once('.') {
            if !first.is_empty() {
                let key = decode_str(
                    ctx.raw_path.strip_prefix('/').unwrap_or(&ctx.raw_path),
                    false,
                );
                if ctx.state.has_bucket(first) {
                    return Target::Bucket {
                        bucket: first.to_string(),
                        key: (!key.is_empty()).then_some(key),
                    };
                }
                return Target::UnknownBucket(first.to_string());
            }
        }
    }
    let path = ctx.raw_path.strip_prefix('/').unwrap_or(&ctx.raw_path);
    let (seg, rest) = match path.split_once('/') {
        Some((s, r)) => (s, Some(r)),
        None => (path, None),
    };
    let seg = decode_str(seg, false);
    if !seg.is_empty() && ctx.state.has_bucket(&seg) {
        let key = rest.map(|r| decode_str(r, false)).filter(|k| !k.is_empty());
        return Target::Bucket { bucket: seg, key };
    }
    Target::Static
}

async fn route(ctx: &Ctx, body: &mut Option<Incoming>) -> Handled {
    let path = ctx.raw_path.as_str();
    if let Some(rest) = path.strip_prefix("/_emulator/") {
        if !ctx.peer.ip().is_loopback() {
            return Ok(Reply::json(
                403,
                &serde_json::json!({"error": "admin API is loopback-only"}),
            ));
        }
        if ctx.method == "OPTIONS" {
            return Ok(open_preflight(ctx));
        }
        return Ok(crate::admin::handle(ctx, rest, body).await);
    }
    ctx.state.count_request();
    // fault injection (everything but the admin API)
    let part = ctx.param("partNumber").and_then(|p| p.parse::<u32>().ok());
    let pq = if ctx.raw_query.is_empty() {
        ctx.raw_path.clone()
    } else {
        format!("{}?{}", ctx.raw_path, ctx.raw_query)
    };
    let mut drop_after = None;
    if ctx.method != "OPTIONS" {
        if let Some(f) = ctx
            .state
            .take_fault(&ctx.method, &pq, part, content_length(ctx))
        {
            let _ = ctx.fault.set(f.kind);
            if let Some(ms) = f.delay_ms {
                tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            }
            if let Some(n) = f.drop_after_bytes {
                if n == 0 {
                    return Err(Drop);
                }
                drop_after = Some(n);
            } else if let (Some(status), false) = (f.status, f.kind == Kind::Lost) {
                let e = OssError::new(status, &f.code, &f.message, "0000-00000000");
                let bucket = match resolve(ctx) {
                    Target::Bucket { bucket, .. } => Some(bucket),
                    _ => None,
                };
                return Ok(error_reply(ctx, &e, bucket.as_deref()));
            }
        }
    }
    match path {
        "/sts" => {
            if ctx.method == "OPTIONS" {
                return Ok(open_preflight(ctx));
            }
            return Ok(crate::appserver::sts(ctx, body).await);
        }
        "/get_post_signature_for_oss_upload" | "/get_presigned_url_for_oss_upload" => {
            if ctx.method == "OPTIONS" {
                return Ok(open_preflight(ctx));
            }
            return Ok(crate::appserver::handle(ctx, path));
        }
        _ => {}
    }
    match resolve(ctx) {
        Target::Bucket { bucket, key } => {
            bucket_request(ctx, &bucket, key.as_deref(), body, drop_after).await
        }
        Target::UnknownBucket(b) => Ok(error_reply(ctx, &codes::no_such_bucket(&b), None)),
        Target::Static => Ok(crate::statics::serve(ctx).await),
    }
}

/// Preflight for non-bucket endpoints: allow any origin.
pub fn open_preflight(ctx: &Ctx) -> Reply {
    let mut r = Reply::new(200, empty());
    if let Some(o) = ctx.header("origin") {
        r = r.header("Access-Control-Allow-Origin", o.to_string());
    }
    r = r
        .header(
            "Access-Control-Allow-Methods",
            "GET, POST, PUT, DELETE, HEAD, OPTIONS",
        )
        .header("Access-Control-Max-Age", "600")
        .header("Vary", "Origin");
    if let Some(h) = ctx.header("access-control-request-headers") {
        r = r.header("Access-Control-Allow-Headers", h.to_string());
    }
    r.cors = CorsMode::Done;
    r
}

fn preflight(ctx: &Ctx, bucket: &str) -> Reply {
    let deny = || {
        let e = OssError::new(403, "AccessForbidden", "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Requet-Headers are not whitelisted by the resource's CORS spec.", "0003-00000001");
        let mut r = error_reply(ctx, &e, None);
        r.cors = CorsMode::Done;
        r
    };
    let (Some(origin), Some(method)) = (
        ctx.header("origin"),
        ctx.header("access-control-request-method"),
    ) else {
        return deny();
    };
    let req_headers: Vec<String> = ctx
        .header("access-control-request-headers")
        .map(|h| {
            h.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let rules = ctx.state.cors_rules(bucket);
    let Some(rule) = cors::match_preflight(&rules, origin, method, &req_headers) else {
        return deny();
    };
    let mut r = Reply::new(200, empty())
        .header("Access-Control-Allow-Origin", rule.allow_origin(origin))
        .header(
            "Access-Control-Allow-Methods",
            rule.allowed_methods.join(", "),
        );
    if !req_headers.is_empty() {
        r = r.header("Access-Control-Allow-Headers", req_headers.join(", "));
    }
    if !rule.expose_headers.is_empty() {
        r = r.header(
            "Access-Control-Expose-Headers",
            rule.expose_headers.join(", "),
        );
    }
    if let Some(m) = rule.max_age_seconds {
        r = r.header("Access-Control-Max-Age", m.to_string());
    }
    if rule.response_vary {
        r = r.header("Vary", "Origin");
    }
    r.cors = CorsMode::Done;
    r
}

fn check_key(key: &str) -> Result<(), OssError> {
    if key.is_empty() {
        return Err(codes::invalid_object_name(
            "The Object name can not be empty.",
        ));
    }
    if key.len() > 1023 {
        return Err(codes::invalid_object_name(
            "The Length of Object name must be less than 1024.",
        ));
    }
    if key.starts_with('/') || key.starts_with('\\') {
        return Err(codes::invalid_object_name(
            "The specified object is not valid.",
        ));
    }
    Ok(())
}

fn authorize(p: &Principal, action: &str, bucket: &str, key: Option<&str>) -> Result<(), OssError> {
    match &p.policy {
        Some(pol) if !pol.allows(action, bucket, key) => Err(codes::access_denied(
            &format!("You have no right to access this resource: {action} is not allowed by the policy of the STS credentials."),
            "0003-00000301",
        )),
        _ => Ok(()),
    }
}

async fn bucket_request(
    ctx: &Ctx,
    bucket: &str,
    key: Option<&str>,
    body: &mut Option<Incoming>,
    drop_after: Option<u64>,
) -> Handled {
    if ctx.method == "OPTIONS" {
        return Ok(preflight(ctx, bucket));
    }
    let res = bucket_api(ctx, bucket, key, body, drop_after).await;
    let mut r = match res {
        Ok(r) => r,
        Err(ApiErr::Oss(e)) => error_reply(ctx, &e, Some(bucket)),
        Err(ApiErr::Drop) => return Err(Drop),
    };
    r.cors = CorsMode::Bucket(bucket.to_string());
    Ok(r)
}

/// Handler error.
#[derive(Debug)]
pub enum ApiErr {
    /// An OSS error response.
    Oss(OssError),
    /// Drop the connection.
    Drop,
}

impl From<OssError> for ApiErr {
    fn from(e: OssError) -> Self {
        Self::Oss(e)
    }
}

type Api = Result<Reply, ApiErr>;

fn is_form_post(ctx: &Ctx) -> bool {
    ctx.header("content-type")
        .is_some_and(|c| c.to_ascii_lowercase().starts_with("multipart/form-data"))
}

async fn bucket_api(
    ctx: &Ctx,
    bucket: &str,
    key: Option<&str>,
    body: &mut Option<Incoming>,
    drop_after: Option<u64>,
) -> Api {
    if ctx.method == "POST" && key.is_none() && is_form_post(ctx) {
        return post_object(ctx, bucket, body, drop_after).await;
    }
    let parts = RequestParts {
        method: &ctx.method,
        bucket: Some(bucket),
        key,
        query: &ctx.query,
        headers: &ctx.headers,
    };
    let principal = match auth::authenticate(&ctx.state, &parts, ctx.now_ms)? {
        Some(p) => p,
        None => {
            return Err(codes::access_denied(
                "You have no right to access this object because of bucket acl.",
                "0003-00000001",
            )
            .into())
        }
    };
    let m = ctx.method.as_str();
    let Some(key) = key else {
        return match m {
            "GET" if ctx.has_param("uploads") => {
                authorize(&principal, "oss:ListMultipartUploads", bucket, None)?;
                Ok(list_uploads(ctx, bucket))
            }
            "GET" => {
                authorize(&principal, "oss:ListObjects", bucket, None)?;
                Ok(list_objects(ctx, bucket))
            }
            _ => Err(OssError::new(
                405,
                "MethodNotAllowed",
                "The specified method is not allowed against this resource.",
                "0000-00000405",
            )
            .into()),
        };
    };
    check_key(key)?;
    match m {
        "PUT" if ctx.has_param("partNumber") || ctx.has_param("uploadId") => {
            authorize(&principal, "oss:PutObject", bucket, Some(key))?;
            upload_part(ctx, bucket, key, body, drop_after).await
        }
        "PUT" => {
            if ctx.header("x-oss-copy-source").is_some() {
                return Err(not_implemented("CopyObject").into());
            }
            authorize(&principal, "oss:PutObject", bucket, Some(key))?;
            put_object(ctx, bucket, key, body, drop_after).await
        }
        "GET" if ctx.has_param("uploadId") => {
            authorize(&principal, "oss:ListParts", bucket, Some(key))?;
            list_parts(ctx, bucket, key)
        }
        "GET" | "HEAD" => {
            authorize(&principal, "oss:GetObject", bucket, Some(key))?;
            get_object(ctx, bucket, key)
        }
        "DELETE" if ctx.has_param("uploadId") => {
            authorize(&principal, "oss:AbortMultipartUpload", bucket, Some(key))?;
            abort_upload(ctx, bucket, key)
        }
        "DELETE" => {
            authorize(&principal, "oss:DeleteObject", bucket, Some(key))?;
            ctx.state
                .store
                .delete(bucket, key)
                .map_err(|e| codes::internal(&e.to_string()))?;
            Ok(Reply::new(204, empty()))
        }
        "POST" if ctx.has_param("uploads") => {
            authorize(&principal, "oss:PutObject", bucket, Some(key))?;
            initiate(ctx, bucket, key)
        }
        "POST" if ctx.has_param("uploadId") => {
            authorize(&principal, "oss:PutObject", bucket, Some(key))?;
            complete(ctx, bucket, key, body).await
        }
        "POST" => Err(not_implemented("this POST operation").into()),
        _ => Err(OssError::new(
            405,
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
            "0000-00000405",
        )
        .into()),
    }
}

fn not_implemented(what: &str) -> OssError {
    OssError::new(
        501,
        "NotImplemented",
        &format!("The emulator does not implement {what}."),
        "0000-00000501",
    )
}

/// Headers stored with an object and returned on GET/HEAD.
const STORED_HEADERS: &[&str] = &[
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-language",
    "expires",
];

fn stored_headers(ctx: &Ctx) -> Vec<(String, String)> {
    ctx.headers
        .iter()
        .filter(|(k, _)| STORED_HEADERS.contains(&k.as_str()) || k.starts_with("x-oss-meta-"))
        .map(|(k, v)| (k.clone(), v.trim().to_string()))
        .collect()
}

fn forbid_overwrite(v: Option<&str>) -> Result<bool, OssError> {
    match v.map(|s| s.trim().to_ascii_lowercase()) {
        None => Ok(false),
        Some(s) if s == "true" => Ok(true),
        Some(s) if s == "false" => Ok(false),
        Some(_) => Err(codes::invalid_argument(
            "x-oss-forbid-overwrite must be true or false.",
            "0017-00000279",
        )
        .with("ArgumentName", "x-oss-forbid-overwrite")),
    }
}

fn file_exists_error() -> OssError {
    OssError::new(
        409,
        "FileAlreadyExists",
        "The object you specified already exists and can not be overwritten.",
        "0026-00000002",
    )
}

fn content_md5(ctx: &Ctx) -> Result<Option<[u8; 16]>, OssError> {
    let Some(v) = ctx.header("content-md5") else {
        return Ok(None);
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(v.trim())
        .ok()
        .and_then(|b| <[u8; 16]>::try_from(b.as_slice()).ok());
    match bytes {
        Some(b) => Ok(Some(b)),
        None => Err(OssError::new(
            400,
            "InvalidDigest",
            "The Content-MD5 you specified was invalid.",
            "0017-00000502",
        )),
    }
}

fn md5_mismatch() -> OssError {
    OssError::new(
        400,
        "InvalidDigest",
        "The Content-MD5 you specified did not match what we received.",
        "0017-00000503",
    )
}

/// Content-Type OSS assigns from the key's extension when a request sends none.
pub fn default_content_type(key: &str) -> &'static str {
    let ext = key
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "txt" | "log" => "text/plain",
        "html" | "htm" => "text/html",
        "css" => "text/css",
        "js" | "mjs" => "application/javascript",
        "json" => "application/json",
        "xml" => "application/xml",
        "csv" => "text/csv",
        "md" => "text/markdown",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "gz" => "application/gzip",
        "wasm" => "application/wasm",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        "mp3" => "audio/mpeg",
        "wav" => "audio/wav",
        _ => "application/octet-stream",
    }
}

fn content_length(ctx: &Ctx) -> Option<u64> {
    ctx.header("content-length")
        .and_then(|v| v.trim().parse().ok())
}

/// Stream the request body into a temporary file.
async fn receive(
    ctx: &Ctx,
    body: &mut Option<Incoming>,
    drop_after: Option<u64>,
) -> Result<Written, ApiErr> {
    if content_length(ctx).is_some_and(|l| l > MAX_OBJECT) {
        return Err(OssError::new(
            400,
            "EntityTooLarge",
            "Your proposed upload exceeds the maximum allowed size.",
            "0017-00000201",
        )
        .into());
    }
    let need_md5 = !ctx.state.cfg.fast_etag || ctx.header("content-md5").is_some();
    let mut writer = ctx
        .state
        .store
        .begin_body(need_md5)
        .map_err(|e| codes::internal(&e.to_string()))?;
    let Some(mut b) = body.take() else {
        return writer
            .finish()
            .await
            .map_err(|e| codes::internal(&e.to_string()).into());
    };
    let mut seen = 0u64;
    loop {
        let frame = match b.frame().await {
            None => break,
            Some(Ok(f)) => f,
            Some(Err(_)) => {
                writer.abort().await;
                return Err(ApiErr::Drop);
            }
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        let mut data: Bytes = data;
        if let Some(limit) = drop_after {
            if seen + data.len() as u64 >= limit {
                let keep = usize::try_from(limit - seen).unwrap_or(0);
                data.truncate(keep);
                let _ = writer.write(data).await;
                writer.abort().await;
                return Err(ApiErr::Drop);
            }
        }
        seen += data.len() as u64;
        if let Some(wait) = ctx.state.throttle.pace(data.len()) {
            tokio::time::sleep(wait).await;
        }
        if seen > MAX_OBJECT {
            writer.abort().await;
            return Err(OssError::new(
                400,
                "EntityTooLarge",
                "Your proposed upload exceeds the maximum allowed size.",
                "0017-00000201",
            )
            .into());
        }
        if writer.write(data).await.is_err() {
            writer.abort().await;
            return Err(codes::internal("storage write failed").into());
        }
    }
    writer
        .finish()
        .await
        .map_err(|e| codes::internal(&e.to_string()).into())
}

async fn put_object(
    ctx: &Ctx,
    bucket: &str,
    key: &str,
    body: &mut Option<Incoming>,
    drop_after: Option<u64>,
) -> Api {
    let md5 = content_md5(ctx)?;
    let forbid = forbid_overwrite(ctx.header("x-oss-forbid-overwrite"))?;
    if forbid && ctx.state.store.head(bucket, key).is_some() {
        return Err(file_exists_error().into());
    }
    let written = receive(ctx, body, drop_after).await?;
    if md5.is_some_and(|m| m != written.md5) {
        let _ = tokio::fs::remove_file(&written.path).await;
        return Err(md5_mismatch().into());
    }
    let meta = ObjectMeta {
        key: key.to_string(),
        size: written.size,
        etag: written.etag(),
        crc64: written.crc64,
        content_md5: written.content_md5(),
        content_type: ctx.header("content-type").map_or_else(
            || default_content_type(key).to_string(),
            |s| s.trim().to_string(),
        ),
        last_modified_ms: ctx.state.now_ms(),
        headers: stored_headers(ctx),
        object_type: "Normal".into(),
        data_file: String::new(),
    };
    commit(ctx, bucket, &written, meta, forbid).await
}

async fn commit(ctx: &Ctx, bucket: &str, written: &Written, meta: ObjectMeta, forbid: bool) -> Api {
    let etag = meta.etag.clone();
    let crc = meta.crc64;
    let md5 = meta.content_md5.clone();
    let state = ctx.state.clone();
    let bucket_s = bucket.to_string();
    let path = written.path.clone();
    let w = Written {
        path: written.path.clone(),
        size: written.size,
        md5: written.md5,
        crc64: written.crc64,
        md5_real: written.md5_real,
    };
    let ok =
        tokio::task::spawn_blocking(move || state.store.commit_object(&bucket_s, &w, meta, forbid))
            .await
            .map_err(|e| codes::internal(&e.to_string()))?
            .map_err(|e| codes::internal(&e.to_string()))?;
    if !ok {
        let _ = tokio::fs::remove_file(&path).await;
        return Err(file_exists_error().into());
    }
    let mut r = Reply::new(200, empty())
        .header("ETag", etag)
        .header("x-oss-hash-crc64ecma", crc.to_string());
    if let Some(m) = md5 {
        r = r.header("Content-MD5", m);
    }
    Ok(r)
}

fn parse_range(v: &str, size: u64) -> Option<(u64, u64)> {
    let spec = v.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (a, b) = (a.trim(), b.trim());
    if a.is_empty() {
        let n: u64 = b.parse().ok()?;
        if n == 0 || size == 0 {
            return None;
        }
        let n = n.min(size);
        return Some((size - n, size - 1));
    }
    let start: u64 = a.parse().ok()?;
    let end: u64 = if b.is_empty() {
        size.saturating_sub(1)
    } else {
        b.parse().ok()?
    };
    if start >= size || end < start {
        return None;
    }
    Some((start, end.min(size - 1)))
}

fn get_object(ctx: &Ctx, bucket: &str, key: &str) -> Api {
    let Some(meta) = ctx.state.store.head(bucket, key) else {
        return Err(codes::no_such_key(key).into());
    };
    let mut headers: Vec<(String, String)> = vec![
        ("ETag".into(), meta.etag.clone()),
        (
            "Last-Modified".into(),
            time::rfc1123(meta.last_modified_ms.div_euclid(1000)),
        ),
        ("x-oss-hash-crc64ecma".into(), meta.crc64.to_string()),
        ("x-oss-object-type".into(), meta.object_type.clone()),
        ("x-oss-storage-class".into(), "Standard".into()),
        ("Accept-Ranges".into(), "bytes".into()),
    ];
    if let Some(m) = &meta.content_md5 {
        headers.push(("Content-MD5".into(), m.clone()));
    }
    let mut ctype = meta.content_type.clone();
    let mut stored = meta.headers.clone();
    for (param, header) in [
        ("response-content-type", "content-type"),
        ("response-cache-control", "cache-control"),
        ("response-content-disposition", "content-disposition"),
        ("response-content-encoding", "content-encoding"),
        ("response-content-language", "content-language"),
        ("response-expires", "expires"),
    ] {
        if let Some(v) = ctx.param(param) {
            if header == "content-type" {
                ctype = v.to_string();
            } else {
                stored.retain(|(k, _)| k != header);
                stored.push((header.to_string(), v.to_string()));
            }
        }
    }
    headers.push(("Content-Type".into(), ctype));
    headers.extend(stored);
    let (status, start, len) = match ctx.header("range").and_then(|r| parse_range(r, meta.size)) {
        Some((s, e)) if ctx.method == "GET" => {
            headers.push((
                "Content-Range".into(),
                format!("bytes {s}-{e}/{}", meta.size),
            ));
            (206, s, e - s + 1)
        }
        _ => (200, 0, meta.size),
    };
    headers.push(("Content-Length".into(), len.to_string()));
    let body = if ctx.method == "HEAD" || len == 0 {
        empty()
    } else {
        file_body(ctx.state.store.data_path(bucket, &meta), start, len)
    };
    let mut r = Reply::new(status, body);
    r.headers = headers;
    Ok(r)
}

fn list_objects(ctx: &Ctx, bucket: &str) -> Reply {
    if ctx.param("list-type") == Some("2") {
        return list_objects_v2(ctx, bucket);
    }
    let prefix = ctx.param("prefix").unwrap_or("");
    let max: usize = ctx
        .param("max-keys")
        .and_then(|m| m.parse().ok())
        .unwrap_or(100)
        .min(1000);
    let marker = ctx.param("marker").unwrap_or("");
    let objs: Vec<ObjectMeta> = ctx
        .state
        .store
        .list(bucket)
        .into_iter()
        .filter(|o| o.key.starts_with(prefix) && o.key.as_str() > marker)
        .collect();
    let truncated = objs.len() > max;
    let mut w = crate::xml::Writer::new();
    w.open("ListBucketResult")
        .el("Name", bucket)
        .el("Prefix", prefix)
        .el("Marker", marker)
        .el("MaxKeys", &max.to_string())
        .el("Delimiter", "")
        .el("IsTruncated", if truncated { "true" } else { "false" });
    let shown: Vec<&ObjectMeta> = objs.iter().take(max).collect();
    if truncated {
        if let Some(last) = shown.last() {
            w.el("NextMarker", &last.key);
        }
    }
    for o in shown {
        w.open("Contents")
            .el("Key", &o.key)
            .el("LastModified", &time::iso8601_millis(o.last_modified_ms))
            .el("ETag", &o.etag)
            .el("Type", &o.object_type)
            .el("Size", &o.size.to_string())
            .el("StorageClass", "Standard")
            .close("Contents");
    }
    w.close("ListBucketResult");
    Reply::xml(200, w.finish())
}

fn list_objects_v2(ctx: &Ctx, bucket: &str) -> Reply {
    let prefix = ctx.param("prefix").unwrap_or("");
    let max: usize = ctx
        .param("max-keys")
        .and_then(|m| m.parse().ok())
        .unwrap_or(100)
        .min(1000);
    let token = ctx.param("continuation-token").unwrap_or("");
    let start_after = ctx.param("start-after").unwrap_or("");
    let after = if token.is_empty() { start_after } else { token };
    let objs: Vec<ObjectMeta> = ctx
        .state
        .store
        .list(bucket)
        .into_iter()
        .filter(|o| o.key.starts_with(prefix) && o.key.as_str() > after)
        .collect();
    let truncated = objs.len() > max;
    let shown: Vec<&ObjectMeta> = objs.iter().take(max).collect();
    let mut w = crate::xml::Writer::new();
    w.open("ListBucketResult")
        .el("Name", bucket)
        .el("Prefix", &enc_key(ctx, prefix))
        .el("MaxKeys", &max.to_string())
        .el("Delimiter", "")
        .el("IsTruncated", if truncated { "true" } else { "false" });
    if url_encoding(ctx) {
        w.el("EncodingType", "url");
    }
    if !token.is_empty() {
        w.el("ContinuationToken", token);
    }
    if !start_after.is_empty() {
        w.el("StartAfter", &enc_key(ctx, start_after));
    }
    w.el("KeyCount", &shown.len().to_string());
    if truncated {
        if let Some(last) = shown.last() {
            w.el("NextContinuationToken", &last.key);
        }
    }
    for o in shown {
        w.open("Contents")
            .el("Key", &enc_key(ctx, &o.key))
            .el("LastModified", &time::iso8601_millis(o.last_modified_ms))
            .el("ETag", &o.etag)
            .el("Type", &o.object_type)
            .el("Size", &o.size.to_string())
            .el("StorageClass", "Standard")
            .close("Contents");
    }
    w.close("ListBucketResult");
    Reply::xml(200, w.finish())
}

// ---------------- multipart ----------------

fn url_encoding(ctx: &Ctx) -> bool {
    ctx.param("encoding-type") == Some("url")
}

fn enc_key(ctx: &Ctx, key: &str) -> String {
    if url_encoding(ctx) {
        uri_encode(key, true)
    } else {
        key.to_string()
    }
}

fn initiate(ctx: &Ctx, bucket: &str, key: &str) -> Api {
    let forbid = forbid_overwrite(ctx.header("x-oss-forbid-overwrite"))?;
    if forbid && ctx.state.store.head(bucket, key).is_some() {
        return Err(file_exists_error().into());
    }
    let mut headers = stored_headers(ctx);
    if forbid {
        headers.push(("x-oss-forbid-overwrite".into(), "true".into()));
    }
    let upload = UploadMeta {
        upload_id: random_hex_upper(16),
        bucket: bucket.to_string(),
        key: key.to_string(),
        initiated_ms: ctx.now_ms,
        content_type: ctx.header("content-type").map_or_else(
            || default_content_type(key).to_string(),
            |s| s.trim().to_string(),
        ),
        headers,
    };
    ctx.state
        .store
        .create_upload(&upload)
        .map_err(|e| codes::internal(&e.to_string()))?;
    let mut w = crate::xml::Writer::new();
    w.open_root("InitiateMultipartUploadResult", ctx.state.cfg.xml_namespace);
    if url_encoding(ctx) {
        w.el("EncodingType", "url");
    }
    w.el("Bucket", bucket)
        .el("Key", &enc_key(ctx, key))
        .el("UploadId", &upload.upload_id)
        .close("InitiateMultipartUploadResult");
    Ok(Reply::xml(200, w.finish()))
}

fn the_upload(ctx: &Ctx, bucket: &str, key: &str, ec: &str) -> Result<UploadMeta, OssError> {
    let id = ctx.param("uploadId").unwrap_or("");
    match ctx.state.store.upload(bucket, id) {
        Some(u) if u.key == key => Ok(u),
        _ => Err(codes::no_such_upload(id, ec)),
    }
}

async fn upload_part(
    ctx: &Ctx,
    bucket: &str,
    key: &str,
    body: &mut Option<Incoming>,
    drop_after: Option<u64>,
) -> Api {
    let raw = ctx.param("partNumber").unwrap_or("");
    let number = match raw.parse::<u32>() {
        Ok(n) if (1..=10_000).contains(&n) => n,
        _ => {
            return Err(codes::invalid_argument(
                "Part number must be an integer between 1 and 10000, inclusive.",
                "0017-00000220",
            )
            .with("ArgumentName", "PartNumber")
            .with("ArgumentValue", raw)
            .into())
        }
    };
    let upload = the_upload(ctx, bucket, key, "0042-00000104")?;
    let md5 = content_md5(ctx)?;
    let written = receive(ctx, body, drop_after).await?;
    if md5.is_some_and(|m| m != written.md5) {
        let _ = tokio::fs::remove_file(&written.path).await;
        return Err(md5_mismatch().into());
    }
    let part = ctx
        .state
        .store
        .commit_part(
            bucket,
            &upload.upload_id,
            &written,
            number,
            ctx.state.now_ms(),
        )
        .map_err(|e| codes::internal(&e.to_string()))?;
    let Some(part) = part else {
        return Err(codes::no_such_upload(&upload.upload_id, "0042-00000104").into());
    };
    let mut r = Reply::new(200, empty())
        .header("ETag", part.etag)
        .header("x-oss-hash-crc64ecma", part.crc64.to_string());
    if let Some(m) = written.content_md5() {
        r = r.header("Content-MD5", m);
    }
    Ok(r)
}

fn norm_etag(s: &str) -> String {
    s.trim()
        .trim_matches('"')
        .trim_matches('\'')
        .to_ascii_uppercase()
}

async fn complete(ctx: &Ctx, bucket: &str, key: &str, body: &mut Option<Incoming>) -> Api {
    let upload = the_upload(ctx, bucket, key, "0042-00000002")?;
    let complete_all = ctx
        .header("x-oss-complete-all")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("yes"));
    let raw = match body.take() {
        Some(b) => read_small(b, 4 * 1024 * 1024)
            .await
            .map_err(|_| codes::malformed_xml())?,
        None => Vec::new(),
    };
    if let Some(m) = content_md5(ctx)? {
        let got: [u8; 16] = crate::md5::Md5::digest(&raw);
        if got != m {
            return Err(md5_mismatch().into());
        }
    }
    let stored = ctx.state.store.parts(bucket, &upload.upload_id);
    let chosen = if complete_all {
        if !raw.is_empty() {
            return Err(codes::invalid_argument(
                "Should not speficy both complete all header and http body.",
                "0042-00000216",
            )
            .into());
        }
        if stored.is_empty() {
            return Err(codes::invalid_argument("No parts were uploaded.", "0042-00000217").into());
        }
        stored.clone()
    } else {
        let text = String::from_utf8_lossy(&raw);
        let doc = crate::xml::parse(&text).ok_or_else(codes::malformed_xml)?;
        if doc.name != "CompleteMultipartUpload" {
            return Err(codes::malformed_xml().into());
        }
        let mut chosen = Vec::new();
        let mut last = 0u32;
        for p in doc.all("Part") {
            let n: u32 = p
                .child_text("PartNumber")
                .and_then(|t| t.trim().parse().ok())
                .ok_or_else(codes::malformed_xml)?;
            let etag = p.child_text("ETag").ok_or_else(codes::malformed_xml)?;
            if n <= last {
                return Err(OssError::new(
                    400,
                    "InvalidPartOrder",
                    "The list of parts was not in ascending order. Parts list must specified in order by part number.",
                    "0042-00000209",
                )
                .into());
            }
            last = n;
            let Some(sp) = stored.iter().find(|s| s.number == n) else {
                return Err(invalid_part(n, etag).into());
            };
            if norm_etag(&sp.etag) != norm_etag(etag) {
                return Err(invalid_part(n, etag).into());
            }
            chosen.push(sp.clone());
        }
        if chosen.is_empty() {
            return Err(codes::malformed_xml().into());
        }
        chosen
    };
    let last = chosen.len().saturating_sub(1);
    if let Some(p) = chosen.iter().take(last).find(|p| p.size < MIN_PART) {
        return Err(OssError::new(
            400,
            "EntityTooSmall",
            "Your proposed upload smaller than the minimum allowed size.",
            "0042-00000213",
        )
        .with("PartNumber", p.number.to_string())
        .with("MinSizeAllowed", MIN_PART.to_string())
        .with("ProposedSize", p.size.to_string())
        .into());
    }
    let forbid = forbid_overwrite(ctx.header("x-oss-forbid-overwrite"))?
        || upload
            .headers
            .iter()
            .any(|(k, v)| k == "x-oss-forbid-overwrite" && v == "true");
    if forbid && ctx.state.store.head(bucket, key).is_some() {
        return Err(file_exists_error().into());
    }
    // ETag: MD5 of the concatenated binary part MD5s, "-N"; CRC combined.
    let mut h = crate::md5::Md5::new();
    let mut crc = 0u64;
    for p in &chosen {
        if let Ok(b) = hex::decode(&p.md5_hex) {
            h.update(&b);
        }
        crc = crate::crc64::combine(crc, p.crc64, p.size);
    }
    let digest: [u8; 16] = h.finalize();
    let etag = format!("\"{}-{}\"", hex::encode_upper(digest), chosen.len());
    let state = ctx.state.clone();
    let (b2, id2, parts2) = (bucket.to_string(), upload.upload_id.clone(), chosen.clone());
    let (path, size) =
        tokio::task::spawn_blocking(move || state.store.concat_parts(&b2, &id2, &parts2))
            .await
            .map_err(|e| codes::internal(&e.to_string()))?
            .map_err(|e| codes::internal(&e.to_string()))?;
    let written = Written {
        path,
        size,
        md5: digest,
        crc64: crc,
        md5_real: false,
    };
    let headers: Vec<(String, String)> = upload
        .headers
        .iter()
        .filter(|(k, _)| k != "x-oss-forbid-overwrite")
        .cloned()
        .collect();
    let meta = ObjectMeta {
        key: key.to_string(),
        size,
        etag: etag.clone(),
        crc64: crc,
        content_md5: None,
        content_type: upload.content_type.clone(),
        last_modified_ms: ctx.state.now_ms(),
        headers,
        object_type: "Multipart".into(),
        data_file: String::new(),
    };
    let r = commit(ctx, bucket, &written, meta, forbid).await?;
    let _ = ctx.state.store.abort_upload(bucket, &upload.upload_id);
    let mut w = crate::xml::Writer::new();
    w.open_root("CompleteMultipartUploadResult", ctx.state.cfg.xml_namespace);
    if url_encoding(ctx) {
        w.el("EncodingType", "url");
    }
    let port = ctx.state.port();
    w.el(
        "Location",
        &format!("http://{bucket}.localhost:{port}/{}", uri_encode(key, true)),
    )
    .el("Bucket", bucket)
    .el("Key", &enc_key(ctx, key))
    .el("ETag", &etag)
    .close("CompleteMultipartUploadResult");
    let mut out = Reply::xml(200, w.finish());
    out.headers.extend(
        r.headers
            .into_iter()
            .filter(|(k, _)| k == "x-oss-hash-crc64ecma" || k == "ETag"),
    );
    Ok(out)
}

fn invalid_part(n: u32, etag: &str) -> OssError {
    OssError::new(
        400,
        "InvalidPart",
        "One or more of the specified parts could not be found or the specified entity tag might not have matched the part's entity tag.",
        "0042-00000210",
    )
    .with("PartNumber", n.to_string())
    .with("ETag", etag)
}

fn abort_upload(ctx: &Ctx, bucket: &str, key: &str) -> Api {
    // An upload id belongs to one key: another key's id is NoSuchUpload, and is left alone.
    let upload = the_upload(ctx, bucket, key, "0042-00000002")?;
    let id = upload.upload_id.as_str();
    match ctx.state.store.abort_upload(bucket, id) {
        Ok(true) => Ok(Reply::new(204, empty())),
        Ok(false) => Err(codes::no_such_upload(id, "0042-00000002").into()),
        Err(e) => Err(codes::internal(&e.to_string()).into()),
    }
}

fn list_parts(ctx: &Ctx, bucket: &str, key: &str) -> Api {
    let upload = the_upload(ctx, bucket, key, "0042-00000002")?;
    let max: usize = ctx
        .param("max-parts")
        .and_then(|m| m.parse().ok())
        .unwrap_or(1000)
        .clamp(1, 1000);
    let marker: u32 = ctx
        .param("part-number-marker")
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    let parts: Vec<_> = ctx
        .state
        .store
        .parts(bucket, &upload.upload_id)
        .into_iter()
        .filter(|p| p.number > marker)
        .collect();
    let truncated = parts.len() > max;
    let shown: Vec<_> = parts.iter().take(max).collect();
    let next = shown.last().map_or(0, |p| p.number);
    let mut w = crate::xml::Writer::new();
    w.open_root("ListPartsResult", ctx.state.cfg.xml_namespace);
    if url_encoding(ctx) {
        w.el("EncodingType", "url");
    }
    w.el("Bucket", bucket)
        .el("Key", &enc_key(ctx, key))
        .el("UploadId", &upload.upload_id)
        .el("PartNumberMarker", &marker.to_string())
        .el("NextPartNumberMarker", &next.to_string())
        .el("MaxParts", &max.to_string())
        .el("IsTruncated", if truncated { "true" } else { "false" });
    for p in shown {
        w.open("Part")
            .el("PartNumber", &p.number.to_string())
            .el("LastModified", &time::iso8601_millis(p.last_modified_ms))
            .el("ETag", &p.etag)
            .el("HashCrc64ecma", &p.crc64.to_string())
            .el("Size", &p.size.to_string())
            .close("Part");
    }
    w.close("ListPartsResult");
    Ok(Reply::xml(200, w.finish()))
}

fn list_uploads(ctx: &Ctx, bucket: &str) -> Reply {
    let prefix = ctx.param("prefix").unwrap_or("");
    let max: usize = ctx
        .param("max-uploads")
        .and_then(|m| m.parse().ok())
        .unwrap_or(1000)
        .clamp(1, 1000);
    let key_marker = ctx.param("key-marker").unwrap_or("");
    let ups: Vec<UploadMeta> = ctx
        .state
        .store
        .uploads(bucket)
        .into_iter()
        .filter(|u| u.key.starts_with(prefix) && u.key.as_str() > key_marker)
        .collect();
    let truncated = ups.len() > max;
    let shown: Vec<&UploadMeta> = ups.iter().take(max).collect();
    let mut w = crate::xml::Writer::new();
    w.open("ListMultipartUploadsResult");
    if url_encoding(ctx) {
        w.el("EncodingType", "url");
    }
    w.el("Bucket", bucket)
        .el("KeyMarker", key_marker)
        .el(
            "UploadIdMarker",
            ctx.param("upload-id-marker").unwrap_or(""),
        )
        .el(
            "NextKeyMarker",
            &shown
                .last()
                .map(|u| enc_key(ctx, &u.key))
                .unwrap_or_default(),
        )
        .el(
            "NextUploadIdMarker",
            &shown
                .last()
                .map(|u| u.upload_id.clone())
                .unwrap_or_default(),
        )
        .el("Delimiter", ctx.param("delimiter").unwrap_or(""))
        .el("Prefix", prefix)
        .el("MaxUploads", &max.to_string())
        .el("IsTruncated", if truncated { "true" } else { "false" });
    for u in shown {
        w.open("Upload")
            .el("Key", &enc_key(ctx, &u.key))
            .el("UploadId", &u.upload_id)
            .el("StorageClass", "Standard")
            .el("Initiated", &time::iso8601_millis(u.initiated_ms))
            .close("Upload");
    }
    w.close("ListMultipartUploadsResult");
    Reply::xml(200, w.finish())
}

// ---------------- PostObject ----------------

fn post_auth(ctx: &Ctx, fields: &Vec<(String, String)>) -> Result<Principal, OssError> {
    use crate::post::Fields;
    let now = ctx.now_ms;
    let policy_b64 = fields.field("policy");
    if let Some(version) = fields.field("x-oss-signature-version") {
        if version != sign::ALGORITHM {
            return Err(codes::invalid_argument(
                "x-oss-signature-version must be OSS4-HMAC-SHA256.",
                "0002-00000708",
            ));
        }
        let cred_s = fields.field("x-oss-credential").unwrap_or("");
        let cred = auth::parse_credential(cred_s, &ctx.state.cfg.region, "x-oss-credential")
            .map_err(|mut e| {
                if e.ec == "0002-00000226" {
                    e.ec = "0002-00000715".into();
                } else if e.ec == "0002-00000212" {
                    e.ec = "0002-00000709".into();
                } else {
                    e.ec = "0002-00000710".into();
                }
                e
            })?;
        let Some(dt) = fields.field("x-oss-date") else {
            return Err(codes::invalid_argument(
                "x-oss-date is required.",
                "0002-00000711",
            ));
        };
        let Some(req_s) = time::parse_iso8601_basic(dt) else {
            return Err(codes::invalid_argument(
                "x-oss-date is invalid.",
                "0002-00000711",
            ));
        };
        if dt.get(..8) != Some(cred.date.as_str()) {
            return Err(codes::invalid_argument(
                "The date in x-oss-credential does not match x-oss-date.",
                "0002-00000709",
            ));
        }
        if req_s * 1000 - now > auth::MAX_SKEW_MS {
            return Err(OssError::new(
                403,
                "RequestTimeTooSkewed",
                "The difference between the request time and the current time is too large.",
                "0002-00000504",
            )
            .with("MaxAllowedSkewMilliseconds", auth::MAX_SKEW_MS.to_string())
            .with("RequestTime", time::iso8601_millis(req_s * 1000))
            .with("ServerTime", time::iso8601_millis(now)));
        }
        if now - req_s * 1000 > 7 * 86_400_000 {
            return Err(codes::access_denied(
                "Request has expired.",
                "0002-00000236",
            ));
        }
        let Some(policy_b64) = policy_b64 else {
            return Err(codes::invalid_argument(
                "policy is required.",
                "0002-00000702",
            ));
        };
        let sig = fields.field("x-oss-signature").unwrap_or("");
        if sig.is_empty() {
            return Err(codes::invalid_argument(
                "x-oss-signature is required.",
                "0002-00000704",
            ));
        }
        let (secret, policy) = auth::lookup(
            &ctx.state,
            &cred.access_key_id,
            fields.field("x-oss-security-token"),
            now,
        )?;
        let key = sign::signing_key(&secret, &cred.date, &cred.region, &cred.product);
        let expected = sign::v4_signature(&key, policy_b64);
        if !ct_eq(expected.as_bytes(), sig.as_bytes()) {
            return Err(codes::signature_v4()
                .with("OSSAccessKeyId", cred.access_key_id.clone())
                .with("SignatureProvided", sig)
                .with("StringToSign", policy_b64));
        }
        return Ok(Principal {
            access_key_id: cred.access_key_id,
            policy,
            scheme: "v4-post",
        });
    }
    let ak = fields.field("ossaccesskeyid");
    let sig = fields.field("signature");
    match (ak, policy_b64, sig) {
        (None, None, None) => Err(codes::access_denied(
            "You have no right to access this object because of bucket acl.",
            "0003-00000001",
        )),
        (Some(ak), Some(policy_b64), Some(sig)) if !sig.is_empty() => {
            let (secret, policy) =
                auth::lookup(&ctx.state, ak, fields.field("x-oss-security-token"), now)?;
            let expected = sign::v1_signature(&secret, policy_b64);
            if !ct_eq(expected.as_bytes(), sig.as_bytes()) {
                return Err(OssError::new(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.", "0002-00000705")
                    .with("OSSAccessKeyId", ak)
                    .with("SignatureProvided", sig)
                    .with("StringToSign", policy_b64));
            }
            Ok(Principal {
                access_key_id: ak.to_string(),
                policy,
                scheme: "v1-post",
            })
        }
        (_, None, Some(_)) => Err(codes::invalid_argument(
            "Bucket POST must contain a policy when a signature is given.",
            "0002-00000702",
        )),
        (_, _, None) => Err(codes::invalid_argument(
            "Bucket POST must contain a field named 'Signature'.",
            "0002-00000703",
        )),
        (_, _, Some(_)) if sig == Some("") => Err(codes::invalid_argument(
            "The Signature field is empty.",
            "0002-00000704",
        )),
        _ => Err(codes::invalid_argument(
            "Bucket POST must contain a field named 'OSSAccessKeyId'.",
            "0002-00000702",
        )),
    }
}

fn malformed_post() -> OssError {
    OssError::new(
        400,
        "MalformedPOSTRequest",
        "The body of your POST request is not well-formed multipart/form-data.",
        "0006-00000001",
    )
}

#[allow(clippy::too_many_lines)]
async fn post_object(
    ctx: &Ctx,
    bucket: &str,
    body: &mut Option<Incoming>,
    drop_after: Option<u64>,
) -> Api {
    use crate::post::Fields;
    let boundary = ctx
        .header("content-type")
        .and_then(form::boundary)
        .ok_or_else(malformed_post)?;
    let Some(mut incoming) = body.take() else {
        return Err(malformed_post().into());
    };
    let mut parser = FormParser::new(&boundary);
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut current: Option<(String, Vec<u8>)> = None;
    let mut file: Option<(Option<String>, Option<String>)> = None; // filename, content-type
    let mut writer = None;
    let mut range = None;
    let mut key = String::new();
    let mut seen = 0u64;
    let mut fields_bytes = 0usize;
    let mut file_done = false;
    'outer: loop {
        loop {
            let ev = match parser.next_event() {
                Ok(Some(ev)) => ev,
                Ok(None) => break,
                Err(_) => {
                    if let Some(w) = writer.take() {
                        crate::store::BodyWriter::abort(w).await;
                    }
                    return Err(malformed_post().into());
                }
            };
            match ev {
                Event::Part {
                    name,
                    filename,
                    content_type,
                } => {
                    if file_done {
                        continue;
                    }
                    if name.eq_ignore_ascii_case("file") {
                        file = Some((filename.clone(), content_type));
                        ctx.state.record_post_form(bucket, &fields);
                        // every field is known: authenticate and check the policy now
                        let mut k = fields.field("key").unwrap_or("").to_string();
                        if k.is_empty() {
                            return Err(codes::invalid_argument(
                                "Bucket POST must contain a field named 'key'.",
                                "0006-00000002",
                            )
                            .with("ArgumentName", "key")
                            .into());
                        }
                        if let Some(f) = &filename {
                            k = k.replace("${filename}", f);
                        }
                        let p = post_auth(ctx, &fields)?;
                        if let Some(pb) = fields.field("policy") {
                            let pol = post::decode(pb)?;
                            range = post::check(
                                &pol,
                                &fields,
                                bucket,
                                ctx.now_ms,
                                p.scheme == "v4-post",
                            )?;
                        }
                        check_key(&k)?;
                        authorize(&p, "oss:PutObject", bucket, Some(&k))?;
                        let forbid = forbid_overwrite(fields.field("x-oss-forbid-overwrite"))?;
                        if forbid && ctx.state.store.head(bucket, &k).is_some() {
                            return Err(file_exists_error().into());
                        }
                        key = k;
                        writer = Some(
                            ctx.state
                                .store
                                .begin_body(!ctx.state.cfg.fast_etag)
                                .map_err(|e| codes::internal(&e.to_string()))?,
                        );
                    } else {
                        current = Some((name.to_ascii_lowercase(), Vec::new()));
                    }
                }
                Event::Data(d) => {
                    if file_done {
                        continue;
                    }
                    if let Some(w) = writer.as_mut() {
                        seen += d.len() as u64;
                        if seen > MAX_OBJECT {
                            if let Some(w) = writer.take() {
                                crate::store::BodyWriter::abort(w).await;
                            }
                            return Err(OssError::new(
                                400,
                                "EntityTooLarge",
                                "Your proposed upload exceeds the maximum allowed size.",
                                "0006-00000004",
                            )
                            .into());
                        }
                        if w.write(Bytes::from(d)).await.is_err() {
                            return Err(codes::internal("storage write failed").into());
                        }
                    } else if let Some((_, buf)) = current.as_mut() {
                        fields_bytes += d.len();
                        if fields_bytes > 8 * 1024 * 1024 {
                            return Err(OssError::new(400, "FieldItemTooLong", "Your POST request fields preceeding the upload file was too large.", "0006-00000003").into());
                        }
                        buf.extend_from_slice(&d);
                    }
                }
                Event::PartEnd => {
                    if writer.is_some() {
                        file_done = true;
                    } else if let Some((n, v)) = current.take() {
                        fields.push((n, String::from_utf8_lossy(&v).into_owned()));
                    }
                }
                Event::End => break 'outer,
            }
        }
        let frame = match incoming.frame().await {
            None => break,
            Some(Ok(f)) => f,
            Some(Err(_)) => {
                if let Some(w) = writer.take() {
                    crate::store::BodyWriter::abort(w).await;
                }
                return Err(ApiErr::Drop);
            }
        };
        if let Ok(d) = frame.into_data() {
            if let Some(limit) = drop_after {
                if seen + d.len() as u64 >= limit {
                    if let Some(w) = writer.take() {
                        crate::store::BodyWriter::abort(w).await;
                    }
                    return Err(ApiErr::Drop);
                }
            }
            parser.push(&d);
        }
    }
    let Some(w) = writer else {
        if !parser.done() {
            return Err(malformed_post().into());
        }
        return Err(OssError::new(
            400,
            "InvalidArgument",
            "The file field is missing: POST requires exactly one file and it must be the last field.",
            "0006-00000005",
        )
        .with("ArgumentName", "file")
        .into());
    };
    if !file_done || !parser.done() {
        w.abort().await;
        return Err(malformed_post().into());
    }
    let written = w
        .finish()
        .await
        .map_err(|e| codes::internal(&e.to_string()))?;
    if let Some((min, max)) = range {
        if written.size < min {
            let _ = tokio::fs::remove_file(&written.path).await;
            return Err(OssError::new(
                400,
                "EntityTooSmall",
                "Your proposed upload smaller than the minimum allowed size.",
                "0006-00000004",
            )
            .with("MinSizeAllowed", min.to_string())
            .with("ProposedSize", written.size.to_string())
            .into());
        }
        if written.size > max {
            let _ = tokio::fs::remove_file(&written.path).await;
            return Err(OssError::new(
                400,
                "EntityTooLarge",
                "Your proposed upload exceeds the maximum allowed size.",
                "0006-00000004",
            )
            .with("MaxSizeAllowed", max.to_string())
            .with("ProposedSize", written.size.to_string())
            .into());
        }
    }
    let file_ct = file.and_then(|(_, ct)| ct);
    let content_type = fields
        .field("x-oss-content-type")
        .map(str::to_string)
        .or_else(|| fields.field("content-type").map(str::to_string))
        .or(file_ct)
        .unwrap_or_else(|| default_content_type(&key).into());
    let headers: Vec<(String, String)> = fields
        .iter()
        .filter(|(k, _)| STORED_HEADERS.contains(&k.as_str()) || k.starts_with("x-oss-meta-"))
        .cloned()
        .collect();
    let forbid = forbid_overwrite(fields.field("x-oss-forbid-overwrite"))?;
    let meta = ObjectMeta {
        key: key.clone(),
        size: written.size,
        etag: written.etag(),
        crc64: written.crc64,
        content_md5: written.content_md5(),
        content_type,
        last_modified_ms: ctx.state.now_ms(),
        headers,
        object_type: "Normal".into(),
        data_file: String::new(),
    };
    let etag = meta.etag.clone();
    let r = commit(ctx, bucket, &written, meta, forbid).await?;
    let status = match fields.field("success_action_status") {
        Some("200") => 200,
        Some("201") => 201,
        _ => 204,
    };
    let mut out = if status == 201 {
        let port = ctx.state.port();
        let mut w = crate::xml::Writer::new();
        w.open("PostResponse")
            .el("Bucket", bucket)
            .el("ETag", &etag)
            .el("Key", &key)
            .el(
                "Location",
                &format!(
                    "http://{bucket}.localhost:{port}/{}",
                    uri_encode(&key, true)
                ),
            )
            .close("PostResponse");
        Reply::xml(201, w.finish())
    } else {
        Reply::new(status, empty())
    };
    out.headers.extend(r.headers);
    Ok(out)
}
