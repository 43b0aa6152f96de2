//! The seam between the pure orchestration and the platform: sending a request, sleeping, the
//! local clock and a jitter source. No `Send` bound: wasm is single-threaded.

use crate::credentials::redact;
use crate::error::Result;

/// An HTTP request to send. Header values are fetch `ByteString`s. Its Debug output hides the
/// SecurityToken and the body.
#[derive(Clone)]
pub struct HttpRequest<B> {
    /// Upper-case method.
    pub method: String,
    /// Full URL.
    pub url: String,
    /// Headers to send exactly.
    pub headers: Vec<(String, String)>,
    /// The body, if any.
    pub body: Option<B>,
}

impl<B> core::fmt::Debug for HttpRequest<B> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &redact::Text(&self.url))
            .field("headers", &redact::Pairs(&self.headers))
            .field("body", &self.body.as_ref().map(|_| "…"))
            .finish()
    }
}

/// An HTTP response: status, the headers the platform let us read, and the body text (error
/// XML; success bodies of single-request uploads are empty or small).
#[derive(Debug, Clone, Default)]
pub struct HttpResponse {
    /// HTTP status.
    pub status: u16,
    /// Readable headers, names in lower case.
    pub headers: Vec<(String, String)>,
    /// Body as text.
    pub body: String,
}

/// The headers named in `wanted` (lower case) of an XMLHttpRequest's `getAllResponseHeaders()`
/// text (`name: value` lines, CRLF-separated), names in lower case. Reading the block rather
/// than asking `getResponseHeader` for each name matters: the browser logs "Refused to get
/// unsafe header" to the console for every name CORS does not expose, while the block simply
/// leaves them out.
pub fn pick_headers(block: &str, wanted: &[&str]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in block.split("\r\n").flat_map(|l| l.split('\n')) {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim().to_ascii_lowercase();
        if wanted.contains(&name.as_str()) && !out.iter().any(|(n, _)| *n == name) {
            out.push((name, value.trim().to_owned()));
        }
    }
    out
}

impl HttpResponse {
    /// A header by lower-case name.
    pub fn header(&self, lower: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(lower))
            .map(|(_, v)| v.as_str())
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// What the orchestration needs from the platform.
#[allow(async_fn_in_trait)] // single-threaded by design: wasm futures are not Send
pub trait Transport {
    /// A request body (a Blob handle in the browser, bytes in tests). Cloning is cheap.
    type Body: Clone;

    /// Sends one request. Network failures are `Error::Network`, cancellation `Error::Aborted`.
    async fn send(&self, req: HttpRequest<Self::Body>) -> Result<HttpResponse>;

    /// Waits `ms` milliseconds (returns early when the call is aborted).
    async fn sleep(&self, ms: u32);

    /// The local clock, in milliseconds since the epoch (uncorrected).
    fn now_ms(&self) -> i64;

    /// A uniformly random `u32`, for jitter.
    fn jitter(&self) -> u32;

    /// `Err(Error::Aborted)` once the caller cancelled.
    fn check_aborted(&self) -> Result<()> {
        Ok(())
    }

    /// Whether a wait that does not go through [`Transport::send`] (for credentials) can be cut
    /// short: `Some(timeout_ms)` (0: no timeout) when the caller has a signal or a timeout, so
    /// that the wait is raced against [`Transport::check_aborted`] and the clock.
    fn interruptible(&self) -> Option<u32> {
        None
    }

    /// A multipart/form-data body: `fields` in order, then `file` last (PostObject).
    fn form(&self, fields: &[(String, String)], file: &Self::Body) -> Self::Body;
}

#[cfg(test)]
mod tests {
    use super::pick_headers;

    #[test]
    fn picks_wanted_headers_of_a_response_header_block() {
        let block = "content-type: text/plain\r\nETag: \"abc\"\r\nx-oss-hash-crc64ecma: 123\r\n\
                     x-oss-request-id:  id-1 \r\nweird line\r\ndate: Mon, 01 Jan 2024 00:00:00 GMT\r\n";
        let got = pick_headers(
            block,
            &[
                "etag",
                "x-oss-request-id",
                "x-oss-hash-crc64ecma",
                "date",
                "age",
            ],
        );
        assert_eq!(
            got,
            vec![
                ("etag".to_owned(), "\"abc\"".to_owned()),
                ("x-oss-hash-crc64ecma".to_owned(), "123".to_owned()),
                ("x-oss-request-id".to_owned(), "id-1".to_owned()),
                (
                    "date".to_owned(),
                    "Mon, 01 Jan 2024 00:00:00 GMT".to_owned()
                ),
            ]
        );
        assert!(pick_headers("", &["etag"]).is_empty());
    }
}
