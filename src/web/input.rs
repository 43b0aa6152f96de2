//! Reading option objects from JS with precise errors (no serde: smaller wasm, and every
//! rejection names its field).

use super::js::{Array, Object, Reflect};

use crate::endpoint::EndpointKind;
use crate::error::{Error, Result};
use crate::prelude::*;
use crate::text::cat;

use wasm_bindgen::{JsCast, JsValue};

// The built-ins that run a caller's code (getters, Proxy traps, iterators) or refuse a revoked
// Proxy, declared to return its exception: one unwinding through wasm would leave the call
// unfinished (an async method's promise never settled).
#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = Array, js_name = isArray, catch)]
    pub(crate) fn try_is_array(value: &JsValue) -> core::result::Result<bool, JsValue>;
    #[wasm_bindgen(js_namespace = Array, js_name = from, catch)]
    pub(crate) fn try_array_from(value: &JsValue) -> core::result::Result<Array, JsValue>;
    #[wasm_bindgen(js_namespace = Object, js_name = entries, catch)]
    fn try_entries(value: &JsValue) -> core::result::Result<Array, JsValue>;
}

#[wasm_bindgen::prelude::wasm_bindgen(module = "/src/web/fast.js")]
extern "C" {
    /// Whether a JS string has no lone surrogate.
    #[wasm_bindgen(js_name = wellFormed)]
    fn well_formed(s: &JsValue) -> bool;
    /// Whether a JS value is a string over fast.js's `MAX_TEXT` (4,194,304 UTF-16 units).
    #[wasm_bindgen(js_name = tooLong)]
    fn too_long(s: &JsValue) -> bool;
    /// Whether the names and string values of an object or array are over `MAX_TEXT` together.
    #[wasm_bindgen(js_name = tooMuch)]
    fn too_much(o: &JsValue) -> bool;
}

/// The reason given for a map or list whose strings are over fast.js's `MAX_TEXT` together.
pub(crate) const TOO_MUCH: &str = "is too long: over 4194304 characters in all";

/// Whether `v` is a string over fast.js's `MAX_TEXT` (asked of JS: nothing is copied).
pub(crate) fn over_limit(v: &JsValue) -> bool {
    too_long(v)
}

/// The reason given for a string over fast.js's `MAX_TEXT`: far above anything OSS takes, and
/// never copied into wasm memory (a huge one could exhaust it, trapping the instance).
pub(crate) const TOO_LONG: &str = "is too long: over 4194304 characters";

/// The reason given for a string with a lone surrogate.
pub(crate) const LONE_SURROGATE: &str =
    "has a lone surrogate (half of a UTF-16 pair), which UTF-8 cannot carry";

/// `v` as Rust text when it is a string. A lone surrogate (half of a UTF-16 pair) is an error:
/// wasm-bindgen writes U+FFFD for it, and another key or value than the one given would be
/// signed and sent. JS is asked only when the text holds U+FFFD (it may be a real one). A
/// string over 4,194,304 UTF-16 units is refused before it is copied ([`TOO_LONG`]).
pub(crate) fn text_of(v: &JsValue, field: &str) -> Result<Option<String>> {
    if too_long(v) {
        return Err(Error::invalid(field, TOO_LONG));
    }
    match v.as_string() {
        Some(s) if s.contains('\u{fffd}') && !well_formed(v) => {
            Err(Error::invalid(field, LONE_SURROGATE))
        }
        s => Ok(s),
    }
}

/// A string as [`text_of`] reads it, or a finite number in decimal (JS's own formatting,
/// `String(n)`: Rust's would pull in ~20 KB of float code); `None` for other types.
fn scalar_text(v: &JsValue, field: &str) -> Result<Option<String>> {
    if let Some(s) = text_of(v, field)? {
        return Ok(Some(s));
    }
    Ok(v.as_f64().filter(|n| n.is_finite()).map(|n| {
        super::js::Number::from(n)
            .to_string_with_radix(10)
            .map(String::from)
            .unwrap_or_default()
    }))
}

/// The error for a value that threw while it was read.
pub(crate) fn unreadable(field: &str) -> Error {
    Error::invalid(field, "could not be read (a getter or Proxy threw)")
}

/// An options object; `null`/`undefined`/non-objects are rejected with `field`.
pub(crate) struct Obj<'a> {
    value: &'a JsValue,
    path: &'a str,
}

fn type_name(v: &JsValue) -> &'static str {
    if v.is_null() {
        "null"
    } else if v.is_undefined() {
        "undefined"
    } else if v.is_string() {
        "a string"
    } else if v.as_f64().is_some() {
        "a number"
    } else if v.as_bool().is_some() {
        "a boolean"
    } else if try_is_array(v).unwrap_or(false) {
        "an array"
    } else if v.is_function() {
        "a function"
    } else {
        "an object"
    }
}

impl<'a> Obj<'a> {
    /// The argument of an export: rejected as `input`, its fields named without a prefix.
    pub(crate) fn root(value: &'a JsValue) -> Result<Self> {
        Self::new(value, "input").map(|o| Self { path: "", ..o })
    }

    /// The optional `options` argument of a method: rejected as `options`, its fields named
    /// without a prefix.
    pub(crate) fn options(value: &'a JsValue) -> Result<Self> {
        Self::new(value, "options").map(|o| Self { path: "", ..o })
    }

    /// A nested options object at `path` (`credentials`, `headers`…).
    pub(crate) fn new(value: &'a JsValue, path: &'a str) -> Result<Self> {
        let array = try_is_array(value).map_err(|_| unreadable(path))?;
        if value.is_object() && !array && !value.is_function() {
            Ok(Self { value, path })
        } else {
            Err(Error::invalid(
                path,
                cat(&["must be an object, got ", type_name(value)]),
            ))
        }
    }

    fn field(&self, name: &str) -> String {
        if self.path.is_empty() {
            name.to_owned()
        } else {
            cat(&[self.path, ".", name])
        }
    }

    /// Refuses an own property that is not one of `known` (unless undefined): an option this
    /// API does not use is an error, never silently ignored (a typo, or another SDK's option).
    pub(crate) fn only(&self, known: &[&str], api: &str) -> Result<()> {
        let field = if self.path.is_empty() {
            "options"
        } else {
            self.path
        };
        for (k, v) in entries(self.value, field)? {
            if !v.is_undefined() && !known.contains(&k.as_str()) {
                return Err(Error::invalid(
                    self.field(&k),
                    cat(&["is not an option of ", api]),
                ));
            }
        }
        Ok(())
    }

    /// The property, `None` when undefined or null. A getter (or Proxy trap) that throws is an
    /// error, never "absent": an option that cannot be read must not silently drop a limit
    /// (a post policy's `key` or `maxBytes`) or a setting.
    pub(crate) fn get(&self, name: &str) -> Result<Option<JsValue>> {
        let v = Reflect::get(self.value, &JsValue::from_str(name)).map_err(|_| {
            Error::invalid(self.field(name), "could not be read (its getter threw)")
        })?;
        Ok((!v.is_undefined() && !v.is_null()).then_some(v))
    }

    /// Every own member that is a string, or a finite number (in decimal), as (name, text);
    /// members of other types are left out.
    #[cfg(feature = "client")]
    pub(crate) fn scalar_entries(&self) -> Result<Vec<(String, String)>> {
        let field = if self.path.is_empty() {
            "options"
        } else {
            self.path
        };
        let mut out = Vec::new();
        for (k, v) in entries(self.value, field)? {
            let name = cat(&[field, ".", &k]);
            if let Some(s) = scalar_text(&v, &name)? {
                out.push((k, s));
            }
        }
        Ok(out)
    }

    pub(crate) fn opt_string(&self, name: &str) -> Result<Option<String>> {
        match self.get(name)? {
            None => Ok(None),
            Some(v) => text_of(&v, &self.field(name))?.map(Some).ok_or_else(|| {
                Error::invalid(
                    self.field(name),
                    cat(&["must be a string, got ", type_name(&v)]),
                )
            }),
        }
    }

    pub(crate) fn string(&self, name: &str) -> Result<String> {
        self.opt_string(name)?
            .ok_or_else(|| Error::invalid(self.field(name), "is required"))
    }

    pub(crate) fn opt_bool(&self, name: &str) -> Result<bool> {
        match self.get(name)? {
            None => Ok(false),
            Some(v) => v.as_bool().ok_or_else(|| {
                Error::invalid(
                    self.field(name),
                    cat(&["must be a boolean, got ", type_name(&v)]),
                )
            }),
        }
    }

    /// A whole number within `range`, `None` when absent.
    pub(crate) fn opt_int(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>> {
        let Some(v) = self.get(name)? else {
            return Ok(None);
        };
        let bad = || {
            Error::invalid(
                self.field(name),
                cat(&[
                    "must be a whole number from ",
                    &crate::text::int(min),
                    " to ",
                    &crate::text::int(max),
                ]),
            )
        };
        let n = v.as_f64().ok_or_else(bad)?;
        #[allow(
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation,
            clippy::float_cmp
        )]
        if n.is_finite() && n >= min as f64 && n <= max as f64 && n as i64 as f64 == n {
            Ok(Some(n as i64))
        } else {
            Err(bad())
        }
    }

    /// `minBytes` / `maxBytes` of a post policy: the content-length-range, defaults 0 and 5 GiB
    /// when only one is given; `maxBytes` below `minBytes` is refused here, before any
    /// credential fetch.
    pub(crate) fn length_range(&self) -> Result<Option<(u64, u64)>> {
        const MAX_OBJECT: i64 = 5 * 1024 * 1024 * 1024;
        let min = self.opt_int("minBytes", 0, MAX_OBJECT)?;
        let max = self.opt_int("maxBytes", 0, MAX_OBJECT)?;
        if min.unwrap_or(0) > max.unwrap_or(MAX_OBJECT) {
            return Err(Error::invalid(
                self.field("maxBytes"),
                "must not be less than minBytes",
            ));
        }
        #[allow(clippy::cast_sign_loss)]
        Ok(match (min, max) {
            (None, None) => None,
            (lo, hi) => Some((lo.unwrap_or(0) as u64, hi.unwrap_or(MAX_OBJECT) as u64)),
        })
    }

    /// `Record<string, string>` as ordered pairs.
    pub(crate) fn string_map(&self, name: &str) -> Result<Vec<(String, String)>> {
        let Some(v) = self.get(name)? else {
            return Ok(Vec::new());
        };
        let field = self.field(name);
        let obj = Obj::new(&v, &field)?;
        entries(obj.value, &field)?
            .into_iter()
            .map(|(k, val)| {
                let name = cat(&[&field, ".", &k]);
                match text_of(&val, &name)? {
                    Some(s) => Ok((k, s)),
                    None => Err(Error::invalid(
                        name,
                        cat(&["must be a string, got ", type_name(&val)]),
                    )),
                }
            })
            .collect()
    }

    /// `Record<string, string | null>`; numbers are written in decimal, `undefined` is skipped.
    pub(crate) fn query_map(&self, name: &str) -> Result<Vec<(String, Option<String>)>> {
        let Some(v) = self.get(name)? else {
            return Ok(Vec::new());
        };
        let field = self.field(name);
        let obj = Obj::new(&v, &field)?;
        let mut out = Vec::new();
        for (k, val) in entries(obj.value, &field)? {
            if val.is_undefined() {
                continue;
            }
            let value = if val.is_null() {
                None
            } else if let Some(s) = scalar_text(&val, &cat(&[&field, ".", &k]))? {
                Some(s)
            } else {
                return Err(Error::invalid(
                    cat(&[&field, ".", &k]),
                    cat(&["must be a string or null, got ", type_name(&val)]),
                ));
            };
            out.push((k, value));
        }
        Ok(out)
    }

    /// `string[]`.
    pub(crate) fn string_list(&self, name: &str) -> Result<Vec<String>> {
        let Some(v) = self.get(name)? else {
            return Ok(Vec::new());
        };
        let field = self.field(name);
        if !try_is_array(&v).map_err(|_| unreadable(&field))? {
            return Err(Error::invalid(
                field,
                cat(&["must be an array of strings, got ", type_name(&v)]),
            ));
        }
        if too_much(&v) {
            return Err(Error::invalid(field, TOO_MUCH));
        }
        try_array_from(&v)
            .map_err(|_| unreadable(&field))?
            .iter()
            .map(|item| {
                text_of(&item, &field)?
                    .ok_or_else(|| Error::invalid(field.clone(), "must contain only strings"))
            })
            .collect()
    }
}

/// A string argument of a method (`key`, `uploadId`, `url`…). Taken as a `JsValue` rather than
/// a Rust `String`: wasm-bindgen's glue would throw a TypeError without a code for `null`, and
/// for other types it can even trap (an object with a huge `length`).
pub(crate) fn string_arg(v: &JsValue, field: &str) -> Result<String> {
    text_of(v, field)?
        .ok_or_else(|| Error::invalid(field, cat(&["must be a string, got ", type_name(v)])))
}

/// An `uploadId` argument: a string of 1–256 printable ASCII characters.
pub(crate) fn upload_id_arg(v: &JsValue) -> Result<String> {
    let id = string_arg(v, "uploadId")?;
    crate::names::check_upload_id(&id)?;
    Ok(id)
}

/// `endpointType`: `"public"` (default), `"internal"` or `"accelerate"`.
pub(crate) fn endpoint_kind(name: Option<&str>) -> Result<EndpointKind> {
    match name {
        None | Some("public") => Ok(EndpointKind::Public),
        Some("internal") => Ok(EndpointKind::Internal),
        Some("accelerate") => Ok(EndpointKind::Accelerate),
        Some(_) => Err(Error::invalid(
            "endpointType",
            "must be \"public\", \"internal\" or \"accelerate\"",
        )),
    }
}

/// Own enumerable string-keyed properties, in JS order; `field` names the object in the error
/// when a getter or Proxy trap throws.
fn entries(obj: &JsValue, field: &str) -> Result<Vec<(String, JsValue)>> {
    if obj.dyn_ref::<Object>().is_none() {
        return Ok(Vec::new());
    }
    // Each string is capped by `text_of`; many of them together must not exhaust wasm memory
    // either (24 query values of 4 M characters did, as they were percent-encoded).
    if too_much(obj) {
        return Err(Error::invalid(field, TOO_MUCH));
    }
    try_entries(obj)
        .map_err(|_| unreadable(field))?
        .iter()
        .filter_map(|pair| {
            let pair = Array::from(&pair);
            let name = pair.get(0);
            Some(match text_of(&name, field) {
                Ok(k) => Ok((k?, pair.get(1))),
                Err(e) => Err(e),
            })
        })
        .collect()
}

/// A plain object from pairs.
pub(crate) fn object_from_pairs(pairs: &[(String, String)]) -> Object {
    let obj = Object::new();
    for (k, v) in pairs {
        let _ = Reflect::set(&obj, &JsValue::from_str(k), &JsValue::from_str(v));
    }
    obj
}

/// Sets `key` on `obj` (cannot fail on a plain object).
pub(crate) fn set(obj: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(obj, &JsValue::from_str(key), value);
}
