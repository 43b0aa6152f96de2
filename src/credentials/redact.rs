//! Debug output and parsed OSS answers never show a SecurityToken, even where OSS requires it to
//! travel (the `x-oss-security-token` header, presigned-URL parameter and form field, and so the
//! canonical requests and policies that sign it): its value becomes `[redacted]`.

use crate::prelude::*;
use core::fmt;

/// What a redacted value prints as.
pub(crate) const REDACTED: &str = "[redacted]";

const TOKEN: &str = "x-oss-security-token";

/// Whether a header, query or form-field name carries the token.
pub(crate) fn is_token_name(name: &str) -> bool {
    name.eq_ignore_ascii_case(TOKEN)
        || name.eq_ignore_ascii_case("security_token")
        || name.eq_ignore_ascii_case("securityToken")
}

/// `s` with the value after every `x-oss-security-token` followed by `:`, `=` or `":"` (header
/// line, query parameter, policy JSON) replaced by `[redacted]`. The value ends at a line end,
/// `&`, `"`, `<` or whitespace.
pub(crate) fn text(s: &str) -> String {
    let lower = s.to_ascii_lowercase(); // same byte offsets as `s`
    let mut out = String::with_capacity(s.len());
    let mut copied = 0;
    let mut from = 0;
    while let Some(at) = lower.get(from..).and_then(|r| r.find(TOKEN)) {
        let after = from + at + TOKEN.len();
        let rest = lower.get(after..).unwrap_or_default();
        let sep = if rest.starts_with("\":\"") {
            3
        } else if rest.starts_with(':') || rest.starts_with('=') {
            1
        } else {
            from = after;
            continue;
        };
        let start = after + sep;
        let len = lower
            .get(start..)
            .unwrap_or_default()
            .find(|c: char| matches!(c, '\n' | '\r' | '&' | '"' | '<') || c.is_whitespace())
            .unwrap_or(lower.len() - start);
        if len > 0 {
            out.push_str(s.get(copied..start).unwrap_or_default());
            out.push_str(REDACTED);
            copied = start + len;
        }
        from = start + len;
    }
    out.push_str(s.get(copied..).unwrap_or_default());
    out
}

/// Name/value pairs (headers, form fields) for Debug output: the token's value and the
/// PostObject `policy` field (the token in Base64) redacted.
pub(crate) struct Pairs<'a>(pub(crate) &'a [(String, String)]);

impl fmt::Debug for Pairs<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(k, v)| {
                let v = if is_token_name(k) || k.eq_ignore_ascii_case("policy") {
                    REDACTED.to_owned()
                } else {
                    text(v)
                };
                (k, v)
            }))
            .finish()
    }
}

/// A text for Debug output with [`text`] applied.
pub(crate) struct Text<'a>(pub(crate) &'a str);

impl fmt::Debug for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&text(self.0), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_header_lines_query_parameters_and_policy_fields() {
        let canonical = "PUT\n/b/k\na=1&x-oss-security-token=CAIS%2Bab%3D&z=2\nx-oss-date:1\nx-oss-security-token:CAIS+ab=\n\nUNSIGNED-PAYLOAD";
        let r = text(canonical);
        assert!(!r.contains("CAIS"), "{r}");
        assert_eq!(r, "PUT\n/b/k\na=1&x-oss-security-token=[redacted]&z=2\nx-oss-date:1\nx-oss-security-token:[redacted]\n\nUNSIGNED-PAYLOAD");
        assert_eq!(
            text(r#"{"conditions":[{"X-OSS-Security-Token":"CAIS"},{"bucket":"b"}]}"#),
            r#"{"conditions":[{"X-OSS-Security-Token":"[redacted]"},{"bucket":"b"}]}"#
        );
        assert_eq!(
            text("https://b.x/k?x-oss-security-token=T"),
            "https://b.x/k?x-oss-security-token=[redacted]"
        );
        assert_eq!(
            text("no token: x-oss-security-token, x-oss-security-token="),
            "no token: x-oss-security-token, x-oss-security-token="
        );
        assert_eq!(
            text("é x-oss-security-token:中T\né"),
            "é x-oss-security-token:[redacted]\né"
        );
    }

    #[test]
    fn pairs_redact_token_fields_by_name() {
        let p = [
            ("x-oss-security-token".to_owned(), "CAIS1".to_owned()),
            ("security_token".to_owned(), "CAIS2".to_owned()),
            ("content-type".to_owned(), "text/plain".to_owned()),
        ];
        let s = format!("{:?}", Pairs(&p));
        assert!(!s.contains("CAIS"), "{s}");
        assert!(s.contains("text/plain"));
    }
}
