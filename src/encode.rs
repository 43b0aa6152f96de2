//! RFC 3986 percent-encoding as OSS V4 uses it. The same function builds the canonical URI and
//! query AND the URL that is sent, so the two can never disagree.

use crate::prelude::*;

/// Upper-case hex digits of escapes.
const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Whether `b` is left as is: `A–Z a–z 0–9 - _ . ~`.
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

/// Appends `s` percent-encoded from its UTF-8 bytes with upper-case hex; `/` is kept only when
/// `keep_slash` (paths), otherwise it becomes `%2F` (query names and values).
pub fn uri_encode_into(out: &mut String, s: &str, keep_slash: bool) {
    out.reserve(s.len());
    let bytes = s.as_bytes();
    let mut run = 0; // start of the pending run of bytes kept as they are
    for (i, &b) in bytes.iter().enumerate() {
        if is_unreserved(b) || (keep_slash && b == b'/') {
            continue;
        }
        // Runs of kept bytes are ASCII, so every boundary here is a char boundary.
        out.push_str(s.get(run..i).unwrap_or_default());
        out.push('%');
        for d in [b >> 4, b & 15] {
            out.push(char::from(HEX.get(usize::from(d)).copied().unwrap_or(b'0')));
        }
        run = i + 1;
    }
    out.push_str(s.get(run..).unwrap_or_default());
}

/// `s` percent-encoded (see [`uri_encode_into`]).
pub fn uri_encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    uri_encode_into(&mut out, s, keep_slash);
    out
}

/// Standard Base64 with padding (RFC 4648 §4), as the PostObject `policy` field uses.
pub fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let sym = |v: u32| char::from(ALPHABET.get((v & 63) as usize).copied().unwrap_or(b'='));
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = b(0) << 16 | b(1) << 8 | b(2);
        out.push(sym(n >> 18));
        out.push(sym(n >> 12));
        out.push(if chunk.len() > 1 { sym(n >> 6) } else { '=' });
        out.push(if chunk.len() > 2 { sym(n) } else { '=' });
    }
    out
}

/// Sorts a short slice in place (insertion sort): far smaller in wasm than `sort_unstable`, and
/// the lists signed here (headers, query parameters) are short.
pub(crate) fn sort_small<T: Ord>(v: &mut [T]) {
    for i in 1..v.len() {
        let mut j = i;
        while j > 0 && v.get(j - 1) > v.get(j) {
            v.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// Decodes `%XX` escapes (any hex case). `None` when an escape is malformed or the bytes are not
/// UTF-8. `+` is kept as is. Used by tests and by parsers of URLs handed to us.
pub fn uri_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hi = hex_val(*bytes.get(i + 1)?)?;
            let lo = hex_val(*bytes.get(i + 2)?)?;
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_reserved_and_unicode_like_the_sdks() {
        assert_eq!(uri_encode("1234+-/123/1.txt", true), "1234%2B-/123/1.txt");
        assert_eq!(uri_encode("a b*c!'()~", false), "a%20b%2Ac%21%27%28%29~");
        assert_eq!(uri_encode("中/😀", true), "%E4%B8%AD/%F0%9F%98%80");
        assert_eq!(uri_encode("a/b", false), "a%2Fb");
        assert_eq!(uri_encode("%", false), "%25");
    }

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (plain, enc) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64_encode(plain.as_bytes()), enc);
        }
        assert_eq!(base64_encode(&[0xfb, 0xff]), "+/8=");
    }

    #[test]
    fn sort_small_sorts() {
        let mut v = vec![5, 1, 4, 1, 3];
        sort_small(&mut v);
        assert_eq!(v, [1, 1, 3, 4, 5]);
        let mut e: Vec<u8> = vec![];
        sort_small(&mut e);
    }

    #[test]
    fn decode_rejects_malformed_escapes() {
        assert_eq!(uri_decode("%E4%b8%ad+x").as_deref(), Some("中+x"));
        assert_eq!(uri_decode("%4"), None);
        assert_eq!(uri_decode("%zz"), None);
        assert_eq!(uri_decode("%FF"), None);
    }

    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        #[test]
        fn encoding_round_trips(s in proptest::prelude::any::<String>(), keep in proptest::prelude::any::<bool>()) {
            let e = uri_encode(&s, keep);
            proptest::prop_assert!(e.bytes().all(|b| is_unreserved(b) || b == b'%' || (keep && b == b'/')));
            proptest::prop_assert_eq!(uri_decode(&e), Some(s));
        }

        #[test]
        fn decode_never_panics(s in proptest::prelude::any::<String>()) {
            let _ = uri_decode(&s);
        }
    }
}
