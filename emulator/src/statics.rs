//! Static files: `--www` at `/` and `--pkg` at `/pkg/` (no caching).

use crate::encode::decode_str;
use crate::error::codes;
use crate::http::{full, Reply};
use crate::server::{error_reply, Ctx};
use std::path::{Component, Path, PathBuf};

/// MIME type by extension.
pub fn mime(path: &Path) -> &'static str {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "map") => "application/json",
        Some("wasm") => "application/wasm",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("ico") => "image/x-icon",
        Some("txt" | "md") => "text/plain; charset=utf-8",
        Some("ts") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn safe_join(root: &Path, rel: &str) -> Option<PathBuf> {
    let rel = Path::new(rel);
    let mut out = root.to_path_buf();
    for c in rel.components() {
        match c {
            Component::Normal(p) => out.push(p),
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(out)
}

fn index_page(ctx: &Ctx) -> String {
    let port = ctx.state.port();
    let mut s = String::from(
        "<!doctype html><meta charset=utf-8><title>oss-emulator</title><h1>oss-emulator</h1><ul>",
    );
    for b in &ctx.state.cfg.buckets {
        s.push_str(&format!(
            "<li>bucket <code>{b}</code>: http://{b}.localhost:{port}/</li>"
        ));
    }
    s.push_str("<li><a href=\"/sts\">/sts</a></li><li><a href=\"/get_post_signature_for_oss_upload\">/get_post_signature_for_oss_upload</a></li><li>/get_presigned_url_for_oss_upload?key=K&amp;contentType=T</li><li><a href=\"/_emulator/objects\">/_emulator/objects</a></li></ul><p>No <code>--www</code> directory was given.</p>");
    s
}

/// Serve a static file (or a 404).
pub async fn serve(ctx: &Ctx) -> Reply {
    if ctx.method != "GET" && ctx.method != "HEAD" {
        let first = ctx
            .raw_path
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or("");
        return error_reply(ctx, &codes::no_such_bucket(&decode_str(first, false)), None);
    }
    let path = decode_str(&ctx.raw_path, false);
    let (root, rel) = if let Some(rest) = path.strip_prefix("/pkg/") {
        (ctx.state.cfg.pkg.clone(), rest.to_string())
    } else {
        (
            ctx.state.cfg.www.clone(),
            path.trim_start_matches('/').to_string(),
        )
    };
    let rel = if rel.is_empty() || rel.ends_with('/') {
        format!("{rel}index.html")
    } else {
        rel
    };
    if let Some(file) = root.as_deref().and_then(|r| safe_join(r, &rel)) {
        let file = if tokio::fs::metadata(&file).await.is_ok_and(|m| m.is_dir()) {
            file.join("index.html")
        } else {
            file
        };
        if let Ok(data) = tokio::fs::read(&file).await {
            let len = data.len();
            let body = if ctx.method == "HEAD" {
                crate::http::empty()
            } else {
                full(data)
            };
            return Reply::new(200, body)
                .header("Content-Type", mime(&file))
                .header("Content-Length", len.to_string())
                .header("Cache-Control", "no-store");
        }
    }
    if path == "/" || path == "/index.html" {
        return Reply::new(200, full(index_page(ctx)))
            .header("Content-Type", "text/html; charset=utf-8");
    }
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    let mut r = error_reply(ctx, &codes::no_such_bucket(first), None);
    r.code = "NoSuchBucket".into();
    r
}
