//! Content-Type resolution (explicit option, else the Blob's type, else the key's extension,
//! else `application/octet-stream`) and the headers an upload may carry.

use crate::error::{Error, Result};
use crate::prelude::*;

/// The type when nothing else is known.
pub const OCTET_STREAM: &str = "application/octet-stream";

/// Extension → type, for the files people upload from browsers. Sorted by extension.
const TABLE: &[(&str, &str)] = &[
    ("7z", "application/x-7z-compressed"),
    ("aac", "audio/aac"),
    ("avif", "image/avif"),
    ("bmp", "image/bmp"),
    ("css", "text/css"),
    ("csv", "text/csv"),
    ("doc", "application/msword"),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    ("flac", "audio/flac"),
    ("gif", "image/gif"),
    ("gz", "application/gzip"),
    ("heic", "image/heic"),
    ("htm", "text/html"),
    ("html", "text/html"),
    ("ico", "image/vnd.microsoft.icon"),
    ("jpeg", "image/jpeg"),
    ("jpg", "image/jpeg"),
    ("js", "text/javascript"),
    ("json", "application/json"),
    ("m4a", "audio/mp4"),
    ("md", "text/markdown"),
    ("mjs", "text/javascript"),
    ("mov", "video/quicktime"),
    ("mp3", "audio/mpeg"),
    ("mp4", "video/mp4"),
    ("ogg", "audio/ogg"),
    ("pdf", "application/pdf"),
    ("png", "image/png"),
    ("ppt", "application/vnd.ms-powerpoint"),
    (
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    ("svg", "image/svg+xml"),
    ("tar", "application/x-tar"),
    ("tif", "image/tiff"),
    ("tiff", "image/tiff"),
    ("txt", "text/plain"),
    ("wasm", "application/wasm"),
    ("wav", "audio/wav"),
    ("webm", "video/webm"),
    ("webp", "image/webp"),
    ("xls", "application/vnd.ms-excel"),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    ("xml", "application/xml"),
    ("zip", "application/zip"),
];

/// The type for a key's extension (case-insensitive), if known.
pub fn from_extension(key: &str) -> Option<&'static str> {
    let name = key.rsplit('/').next().unwrap_or(key);
    let (_, ext) = name.rsplit_once('.')?;
    if ext.is_empty() || ext.len() > 5 {
        return None;
    }
    let ext = ext.to_ascii_lowercase();
    TABLE
        .binary_search_by(|(e, _)| (*e).cmp(ext.as_str()))
        .ok()
        .and_then(|i| TABLE.get(i))
        .map(|(_, t)| *t)
}

/// Checks a Content-Type value: printable ASCII with a `/`.
pub fn check(field: &str, value: &str) -> Result<String> {
    let v = value.trim_ascii();
    if v.is_empty()
        || crate::text::all_bytes(v, |b| b != b'/')
        || !crate::text::all_bytes(v, |b| (0x20..0x7f).contains(&b))
    {
        return Err(Error::invalid(
            field,
            "must be a MIME type like image/png (printable ASCII)",
        ));
    }
    Ok(v.to_owned())
}

/// Checks a Content-Type prefix (a post policy's `starts-with` condition): printable ASCII, its
/// surrounding ASCII whitespace trimmed as [`check`] trims a type (a prefix that starts with a
/// space would admit no form). Returns it trimmed; it may be empty (any type).
pub fn check_prefix(field: &str, value: &str) -> Result<String> {
    let v = value.trim_ascii();
    if !crate::text::all_bytes(v, |b| (0x20..0x7f).contains(&b)) {
        return Err(Error::invalid(
            field,
            "must be the start of a MIME type like image/ (printable ASCII)",
        ));
    }
    Ok(v.to_owned())
}

/// The Content-Type to sign and send: `explicit`, else `blob_type`, else by extension, else
/// `application/octet-stream`.
pub fn resolve(explicit: Option<&str>, blob_type: Option<&str>, key: &str) -> Result<String> {
    if let Some(t) = explicit {
        return check("contentType", t);
    }
    if let Some(t) = blob_type.filter(|t| !t.trim().is_empty()) {
        if let Ok(t) = check("contentType", t) {
            return Ok(t);
        }
    }
    Ok(from_extension(key).unwrap_or(OCTET_STREAM).to_owned())
}

/// Checked upload headers, and the `Content-Type` header if one was among them.
pub type UploadHeaders = (Vec<(String, String)>, Option<String>);

/// Standard headers an upload may carry besides `x-oss-meta-*`.
const ALLOWED: &[&str] = &[
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-md5",
    "expires",
    "x-oss-forbid-overwrite",
    "x-oss-object-acl",
    "x-oss-storage-class",
];

/// Checks upload headers: `x-oss-meta-*`, `x-oss-forbid-overwrite`, `x-oss-storage-class`,
/// `x-oss-object-acl`, `Cache-Control`, `Content-Disposition`, `Content-Encoding`, `Expires`,
/// `Content-MD5`. A `Content-Type` header is taken as the content type (returned separately).
pub fn upload_headers(headers: Vec<(String, String)>) -> Result<UploadHeaders> {
    let mut out = Vec::with_capacity(headers.len());
    let mut content_type = None;
    let mut meta_bytes = 0usize;
    for (name, value) in headers {
        let lower = name.to_ascii_lowercase();
        if lower == "content-type" {
            content_type = Some(value);
            continue;
        }
        if let Some(suffix) = lower.strip_prefix("x-oss-meta-") {
            meta_bytes = meta_bytes.saturating_add(suffix.len() + value.len());
        }
        if !(lower.starts_with("x-oss-meta-") || ALLOWED.contains(&lower.as_str())) {
            let mut f = String::from("headers.");
            f.push_str(&name);
            return Err(Error::invalid(
                f,
                "is not an upload header (allowed: x-oss-meta-*, x-oss-forbid-overwrite, x-oss-storage-class, x-oss-object-acl, Cache-Control, Content-Disposition, Content-Encoding, Expires, Content-MD5)",
            ));
        }
        out.push((name, value));
    }
    // OSS's limit on an object's user metadata (counted here without the x-oss-meta- prefixes,
    // so nothing OSS takes is refused).
    if meta_bytes > META_LIMIT {
        let mut m = String::from("x-oss-meta-* total ");
        m.push_str(&meta_bytes.to_string());
        m.push_str(" bytes of names and values, over OSS's limit of 8 KB for an object's metadata");
        return Err(Error::invalid("headers", m));
    }
    Ok((out, content_type))
}

/// Bytes of user metadata OSS stores with an object at most.
const META_LIMIT: usize = 8 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    // Regression (review): buildPostPolicy wrote contentTypePrefix unchecked and untrimmed, so
    // " image/" signed a condition no form meets and "image/\r\n" was accepted.
    #[test]
    fn prefix_is_trimmed_and_printable_ascii() {
        assert_eq!(check_prefix("p", " image/\t").unwrap(), "image/");
        assert_eq!(check_prefix("p", "").unwrap(), "");
        assert_eq!(check_prefix("p", "text").unwrap(), "text");
        for bad in ["image/\r\nx", "imáge/", "a\u{7f}", "a\0b"] {
            assert_eq!(
                check_prefix("p", bad).unwrap_err().field(),
                Some("p"),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn table_is_sorted_for_binary_search() {
        assert!(TABLE.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn resolves_in_order() {
        assert_eq!(
            resolve(Some("text/csv"), Some("image/png"), "a.jpg").unwrap(),
            "text/csv"
        );
        assert_eq!(
            resolve(None, Some("image/png"), "a.jpg").unwrap(),
            "image/png"
        );
        assert_eq!(
            resolve(None, Some(""), "dir.x/a.JPG").unwrap(),
            "image/jpeg"
        );
        assert_eq!(resolve(None, None, "a.tar.gz").unwrap(), "application/gzip");
        assert_eq!(resolve(None, None, "README").unwrap(), OCTET_STREAM);
        assert_eq!(resolve(None, None, "dir.d/noext").unwrap(), OCTET_STREAM);
        assert_eq!(resolve(None, None, "a.unknownext").unwrap(), OCTET_STREAM);
        assert_eq!(
            resolve(Some("bad"), None, "a").unwrap_err().field(),
            Some("contentType")
        );
        assert_eq!(resolve(Some("a/b\n"), None, "a").unwrap(), "a/b");
        assert!(resolve(Some("a/\u{e9}"), None, "a").is_err());
    }

    // Review: metadata over OSS's 8 KB limit was sent, for OSS to refuse after the upload.
    #[test]
    fn user_metadata_over_8_kb_is_refused() {
        let meta = |n: usize| vec![("x-oss-meta-a".to_owned(), "v".repeat(n))];
        assert!(upload_headers(meta(8191)).is_ok());
        let e = upload_headers(meta(8192)).unwrap_err();
        assert_eq!(e.field(), Some("headers"));
        assert!(e.to_string().contains("8193 bytes"), "{e}");
    }

    #[test]
    fn upload_headers_are_restricted() {
        let (h, ct) = upload_headers(vec![
            ("x-oss-meta-a".into(), "1".into()),
            ("Cache-Control".into(), "no-cache".into()),
            ("Content-Type".into(), "text/plain".into()),
            ("x-oss-forbid-overwrite".into(), "true".into()),
        ])
        .unwrap();
        assert_eq!(h.len(), 3);
        assert_eq!(ct.as_deref(), Some("text/plain"));
        let e = upload_headers(vec![("x-oss-callback".into(), "x".into())]).unwrap_err();
        assert_eq!(e.field(), Some("headers.x-oss-callback"));
        assert!(upload_headers(vec![("Range".into(), "x".into())]).is_err());
    }
}
