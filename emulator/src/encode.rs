//! Percent-encoding and query parsing (RFC 3986 unreserved set, upper-case hex).

/// `UriEncode(s, keepSlash)` of the OSS V4 spec.
pub fn uri_encode(s: &str, keep_slash: bool) -> String {
    uri_encode_bytes(s.as_bytes(), keep_slash)
}

/// Same as [`uri_encode`] over raw bytes.
pub fn uri_encode_bytes(s: &[u8], keep_slash: bool) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len() * 3);
    for &b in s {
        if b.is_ascii_alphanumeric()
            || b == b'-'
            || b == b'_'
            || b == b'.'
            || b == b'~'
            || (keep_slash && b == b'/')
        {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
    out
}

fn hexval(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decode; a malformed escape is kept literally. With `plus_as_space`, `+` becomes a space.
pub fn percent_decode(s: &str, plus_as_space: bool) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let c = b.get(i).copied().unwrap_or(0);
        if c == b'%' {
            if let (Some(h), Some(l)) = (
                b.get(i + 1).copied().and_then(hexval),
                b.get(i + 2).copied().and_then(hexval),
            ) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        if c == b'+' && plus_as_space {
            out.push(b' ');
        } else {
            out.push(c);
        }
        i += 1;
    }
    out
}

/// Percent-decode to a String (lossy for invalid UTF-8).
pub fn decode_str(s: &str, plus_as_space: bool) -> String {
    String::from_utf8_lossy(&percent_decode(s, plus_as_space)).into_owned()
}

/// Split a raw query string into decoded (name, value) pairs, in order. `+` counts as a space
/// (as Go's signer and HTML forms treat it); an empty value and a missing `=` are the same.
pub fn parse_query(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode_str(k, true), decode_str(v, true))
        })
        .collect()
}

/// Serialise pairs as an RFC 3986 query (empty value → bare name).
pub fn build_query(pairs: &[(String, String)]) -> String {
    let mut out = String::new();
    for (k, v) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(&uri_encode(k, false));
        if !v.is_empty() {
            out.push('=');
            out.push_str(&uri_encode(v, false));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_the_spec() {
        assert_eq!(
            uri_encode("/b/1234+-/a b*!.txt", true),
            "/b/1234%2B-/a%20b%2A%21.txt"
        );
        assert_eq!(uri_encode("中", false), "%E4%B8%AD");
        assert_eq!(uri_encode("a/b", false), "a%2Fb");
    }

    #[test]
    fn decodes_tolerantly() {
        assert_eq!(decode_str("a%2Bb+c%zz", true), "a+b c%zz");
        assert_eq!(decode_str("a+b", false), "a+b");
        assert_eq!(
            parse_query("uploads=&x=1&y"),
            vec![
                ("uploads".into(), String::new()),
                ("x".into(), "1".into()),
                ("y".into(), String::new())
            ]
        );
    }
}
