//! A small JSON reader for credential-endpoint responses: depth- and size-limited, numbers kept
//! as their source text (no float parsing or formatting in the wasm), no serde.

use crate::error::{Error, Result};
use crate::prelude::*;

/// Largest document accepted (a credential response is well under 8 KB).
pub const MAX_LEN: usize = 256 * 1024;
/// Deepest nesting accepted.
pub const MAX_DEPTH: usize = 16;

/// A parsed JSON value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A number, as written (`1.5e3`).
    Number(String),
    /// A string, unescaped.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object, members in document order.
    Object(Vec<(String, Value)>),
}

impl Value {
    /// The member `name` of an object (first match).
    pub fn get(&self, name: &str) -> Option<&Value> {
        match self {
            Self::Object(members) => members.iter().find(|(k, _)| k == name).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string content, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(s) => Some(s),
            _ => None,
        }
    }

    /// A whole number (no fraction or exponent) that fits in `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Self::Number(n) => crate::text::parse_int(n),
            _ => None,
        }
    }

    /// Whether this is an object.
    pub fn is_object(&self) -> bool {
        matches!(self, Self::Object(_))
    }
}

/// Why a document was rejected (never quotes the document: it may hold secrets).
fn syntax(at: usize, what: &str) -> Error {
    let mut m = String::from("response is not valid JSON (");
    m.push_str(what);
    m.push_str(" at byte ");
    crate::text::push_uint(&mut m, u64::try_from(at).unwrap_or(u64::MAX), 1);
    m.push(')');
    Error::CredentialProvider(m)
}

/// Parses a whole JSON document.
pub fn parse(text: &str) -> Result<Value> {
    if text.len() > MAX_LEN {
        return Err(Error::CredentialProvider(
            "response is larger than 256 KB: not a credential response".into(),
        ));
    }
    let mut p = Parser {
        text,
        b: text.as_bytes(),
        i: 0,
    };
    p.ws();
    let v = p.value(0)?;
    p.ws();
    if p.i != p.b.len() {
        return Err(syntax(p.i, "unexpected data after the value"));
    }
    Ok(v)
}

struct Parser<'a> {
    /// The document; `b` is its bytes.
    text: &'a str,
    b: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn lit(&mut self, word: &str, v: Value) -> Result<Value> {
        if self.b.get(self.i..self.i + word.len()) == Some(word.as_bytes()) {
            self.i += word.len();
            Ok(v)
        } else {
            Err(syntax(self.i, "unknown literal"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value> {
        if depth > MAX_DEPTH {
            return Err(syntax(self.i, "nested too deeply"));
        }
        match self.peek() {
            None => Err(syntax(self.i, "truncated")),
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string().map(Value::String),
            Some(b't') => self.lit("true", Value::Bool(true)),
            Some(b'f') => self.lit("false", Value::Bool(false)),
            Some(b'n') => self.lit("null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(syntax(self.i, "unexpected character")),
        }
    }

    fn number(&mut self) -> Result<Value> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        let digits = |p: &mut Self| {
            let s = p.i;
            while p.peek().is_some_and(|c| c.is_ascii_digit()) {
                p.i += 1;
            }
            p.i > s
        };
        if !digits(self) {
            return Err(syntax(self.i, "bad number"));
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if !digits(self) {
                return Err(syntax(self.i, "bad number"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if !digits(self) {
                return Err(syntax(self.i, "bad number"));
            }
        }
        let text = self.b.get(start..self.i).unwrap_or_default();
        // Signs, digits, `.`, `e`: ASCII, so always UTF-8.
        Ok(Value::Number(
            core::str::from_utf8(text).unwrap_or_default().to_owned(),
        ))
    }

    fn hex4(&mut self) -> Result<u32> {
        let mut n = 0u32;
        for _ in 0..4 {
            let c = self.peek().ok_or_else(|| syntax(self.i, "truncated"))?;
            let d = char::from(c)
                .to_digit(16)
                .ok_or_else(|| syntax(self.i, "bad \\u escape"))?;
            n = n * 16 + d;
            self.i += 1;
        }
        Ok(n)
    }

    fn string(&mut self) -> Result<String> {
        self.i += 1; // opening quote
        let mut out = String::new();
        loop {
            // Copy the run of plain bytes up to the next quote, escape or control character at
            // once (tokens and secrets are long runs). The run ends at an ASCII byte or at the
            // end, so it is whole UTF-8 text.
            let start = self.i;
            let rest = self.b.get(start..).unwrap_or_default();
            let len = rest
                .iter()
                .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
                .unwrap_or(rest.len());
            self.i = start + len;
            let run = self.text.get(start..self.i).unwrap_or_default();
            if out.is_empty() && self.peek() == Some(b'"') {
                // The common case: no escapes, one exact allocation.
                self.i += 1;
                return Ok(run.to_owned());
            }
            out.push_str(run);
            let c = self
                .peek()
                .ok_or_else(|| syntax(self.i, "truncated string"))?;
            self.i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let e = self
                        .peek()
                        .ok_or_else(|| syntax(self.i, "truncated string"))?;
                    self.i += 1;
                    let ch = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi)
                                && self.b.get(self.i..self.i + 2) == Some(b"\\u")
                            {
                                self.i += 2;
                                let lo = self.hex4()?;
                                0x10000 + ((hi - 0xD800) << 10) + (lo.wrapping_sub(0xDC00) & 0x3FF)
                            } else {
                                hi
                            };
                            char::from_u32(code).unwrap_or('\u{FFFD}')
                        }
                        _ => return Err(syntax(self.i, "bad escape")),
                    };
                    out.push(ch);
                }
                0..=0x1F => return Err(syntax(self.i, "control character in string")),
                // Unreachable: runs stop only at `"`, `\\` or a control character.
                _ => return Err(syntax(self.i, "unexpected byte in string")),
            }
        }
        Ok(out)
    }

    fn array(&mut self, depth: usize) -> Result<Value> {
        self.i += 1;
        let mut items = Vec::new();
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            return Ok(Value::Array(items));
        }
        loop {
            self.ws();
            items.push(self.value(depth + 1)?);
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(Value::Array(items));
                }
                None => return Err(syntax(self.i, "truncated array")),
                Some(_) => return Err(syntax(self.i, "expected , or ]")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value> {
        self.i += 1;
        let mut members = Vec::new();
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(Value::Object(members));
        }
        loop {
            self.ws();
            match self.peek() {
                Some(b'"') => {}
                None => return Err(syntax(self.i, "truncated object")),
                Some(_) => return Err(syntax(self.i, "expected a member name")),
            }
            let k = self.string()?;
            self.ws();
            if self.peek() != Some(b':') {
                return Err(syntax(self.i, "expected :"));
            }
            self.i += 1;
            self.ws();
            let v = self.value(depth + 1)?;
            members.push((k, v));
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(Value::Object(members));
                }
                None => return Err(syntax(self.i, "truncated object")),
                Some(_) => return Err(syntax(self.i, "expected , or }")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nested_documents() {
        let v = parse(
            r#" {"a": [1, -2.5e3, true, false, null], "b": {"c": "x\"y\u00e9\ud83d\ude00"}} "#,
        )
        .unwrap();
        assert_eq!(
            v.get("a"),
            Some(&Value::Array(vec![
                Value::Number("1".into()),
                Value::Number("-2.5e3".into()),
                Value::Bool(true),
                Value::Bool(false),
                Value::Null,
            ]))
        );
        assert_eq!(
            v.get("b").and_then(|b| b.get("c")).and_then(Value::as_str),
            Some("x\"yé😀")
        );
        assert_eq!(parse("123").unwrap().as_i64(), Some(123));
        assert_eq!(parse("1.5").unwrap().as_i64(), None);
    }

    #[test]
    fn rejects_malformed_truncated_deep_and_huge() {
        for bad in [
            "",
            "{",
            "{\"a\":",
            "{\"a\" 1}",
            "[1,]",
            "{\"a\":1,}",
            "tru",
            "\"abc",
            "01x",
            "{} x",
            "\"\u{1}\"",
            "-",
            "1.",
            "[1 2]",
        ] {
            let e = parse(bad).unwrap_err();
            assert_eq!(e.code(), "CredentialProviderError", "{bad:?}");
        }
        let deep = "[".repeat(100) + &"]".repeat(100);
        assert!(parse(&deep)
            .unwrap_err()
            .to_string()
            .contains("nested too deeply"));
        let huge = format!("\"{}\"", "a".repeat(MAX_LEN));
        assert!(parse(&huge).unwrap_err().to_string().contains("256 KB"));
    }

    #[test]
    fn errors_never_quote_the_document() {
        let e = parse(r#"{"AccessKeySecret": "very-secret-value" oops}"#).unwrap_err();
        assert!(!e.to_string().contains("very-secret"), "{e}");
    }

    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        #[test]
        fn never_panics(s in proptest::prelude::any::<String>()) {
            let _ = parse(&s);
        }
    }
}
