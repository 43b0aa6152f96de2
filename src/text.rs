//! String building without `core::fmt`: the signing-only wasm links no formatting machinery
//! (about 10 KB), so the signing path and its error messages are assembled from pieces.

use crate::prelude::*;

/// Whether every byte of `s` passes `ok`: one function for every byte-class check (each closure
/// given to `Iterator::all` or `any` is a copy of the loop in wasm).
#[inline(never)]
pub(crate) fn all_bytes(s: &str, ok: fn(u8) -> bool) -> bool {
    for b in s.bytes() {
        if !ok(b) {
            return false;
        }
    }
    true
}

/// The pieces joined.
pub(crate) fn cat(parts: &[&str]) -> String {
    let mut len = 0;
    for p in parts {
        len += p.len();
    }
    let mut s = String::with_capacity(len);
    for p in parts {
        s.push_str(p);
    }
    s
}

/// The strings joined by `sep` (`[String]::join` without its panicking overflow check).
pub(crate) fn join(items: &[String], sep: &str) -> String {
    let mut len = 0;
    for i in items {
        len += i.len() + sep.len();
    }
    let mut s = String::with_capacity(len);
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            s.push_str(sep);
        }
        s.push_str(item);
    }
    s
}

/// Appends `n` in decimal, zero-padded to at least `width` digits.
pub(crate) fn push_uint(out: &mut String, mut n: u64, width: usize) {
    let mut buf = [b'0'; 20];
    let mut i = buf.len();
    while n > 0 || i == buf.len() {
        i -= 1;
        if let Some(d) = buf.get_mut(i) {
            // `n % 10 < 10`: the cast cannot truncate.
            #[allow(clippy::cast_possible_truncation)]
            let digit = (n % 10) as u8;
            *d = b'0' + digit;
        }
        n /= 10;
    }
    let start = i.min(buf.len().saturating_sub(width));
    for &b in buf.get(start..).unwrap_or_default() {
        out.push(char::from(b));
    }
}

/// Appends `n` in decimal (with `-` when negative).
pub(crate) fn push_int(out: &mut String, n: i64) {
    if n < 0 {
        out.push('-');
    }
    push_uint(out, n.unsigned_abs(), 1);
}

/// `n` in decimal.
pub(crate) fn int(n: i64) -> String {
    let mut s = String::with_capacity(20);
    push_int(&mut s, n);
    s
}

/// A whole decimal number (optional sign, digits only) that fits in `i64`; `None` otherwise
/// (fractions, exponents, empty). The same answers as `str::parse::<i64>` on JSON numbers.
pub(crate) fn parse_int(s: &str) -> Option<i64> {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if digits.is_empty() {
        return None;
    }
    let mut n: i64 = 0;
    for b in digits.bytes() {
        if !b.is_ascii_digit() {
            return None;
        }
        let d = i64::from(b - b'0');
        // Accumulate negatively so that i64::MIN parses too.
        n = n.checked_mul(10)?.checked_sub(d)?;
    }
    if neg {
        Some(n)
    } else {
        n.checked_neg()
    }
}

/// Appends the lower-case hex of `bytes` (digests and signatures: a whole chunk at a time,
/// not a `String::push` per digit).
pub(crate) fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut buf = [0u8; 64];
    for chunk in bytes.chunks(32) {
        for (pair, &b) in buf.chunks_exact_mut(2).zip(chunk) {
            if let [hi, lo] = pair {
                *hi = DIGITS.get(usize::from(b >> 4)).copied().unwrap_or(b'0');
                *lo = DIGITS.get(usize::from(b & 15)).copied().unwrap_or(b'0');
            }
        }
        let hex = buf.get(..chunk.len() * 2).unwrap_or_default();
        out.push_str(core::str::from_utf8(hex).unwrap_or_default());
    }
}

/// The lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    push_hex(&mut s, bytes);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_match_core_fmt() {
        for n in [
            0i64,
            1,
            9,
            10,
            99,
            100,
            604_800,
            i64::MAX,
            -1,
            -42,
            i64::MIN,
        ] {
            assert_eq!(int(n), n.to_string());
        }
        for (n, w) in [
            (7u64, 2usize),
            (2023, 4),
            (5, 4),
            (12345, 2),
            (0, 1),
            (0, 3),
        ] {
            let mut s = String::new();
            push_uint(&mut s, n, w);
            assert_eq!(s, format!("{n:0w$}"));
        }
    }

    #[test]
    fn parse_int_matches_core() {
        for s in [
            "0",
            "-0",
            "12",
            "-12",
            "9223372036854775807",
            "-9223372036854775808",
            "9223372036854775808",
            "-9223372036854775809",
            "",
            "-",
            "+",
            "+1",
            "+-1",
            "1.5",
            "1e3",
            "01",
            "a",
        ] {
            assert_eq!(parse_int(s), s.parse::<i64>().ok(), "{s}");
        }
    }

    #[test]
    fn hex_and_cat() {
        assert_eq!(hex(&[0x00, 0xab, 0x0f, 0xff]), "00ab0fff");
        assert_eq!(hex(&[]), "");
        assert_eq!(cat(&["a", "", "bc"]), "abc");
        assert_eq!(join(&["a".into(), "b".into()], ";"), "a;b");
        assert_eq!(join(&[], ";"), "");
    }
}
