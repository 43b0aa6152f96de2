//! The general path of `signRequest` / `presignUrl` / `Signer`: the argument read in ONE crossing
//! of the JS/wasm boundary, `JSON.stringify(input)` in JS (`snapshotText` of src/web/fast.js,
//! which marks NaN and ±Infinity), then the depth- and size-limited reader of `crate::json` here.
//! Plain input takes the fast lane of `super::fast` instead; this path reads everything else
//! and gives every type error. (Reading field by field through `Reflect` cost a hundred crossings
//! per signature, about half the signing time.)
//!
//! The same rules and messages as `input::Obj`: every rejection names its field.

use crate::credentials::Credentials;
use crate::endpoint::EndpointOptions;
use crate::error::{Error, Result};
use crate::json::{self, Value};
use crate::prelude::*;
use crate::text::cat;
use crate::time::UnixTime;
use wasm_bindgen::JsValue;

/// A JSON snapshot of an options object.
pub(crate) struct Packed<'a> {
    value: &'a Value,
    path: &'a str,
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(m) if is_non_finite(m) => "NaN or Infinity",
        Value::Object(_) => "an object",
    }
}

/// The mark `snapshotText` (src/web/fast.js) leaves for NaN and ±Infinity: `{"\0": "NaN"}`.
fn is_non_finite(members: &[(String, Value)]) -> bool {
    matches!(members, [(k, Value::String(_))] if k == "\0")
}

/// Snapshots `input` with `JSON.stringify` (Dates become ISO strings; functions and `undefined`
/// members disappear, as if absent) and parses it.
pub(crate) fn snapshot(input: &JsValue) -> Result<Value> {
    snapshot_named(input, "input")
}

/// [`snapshot`], naming the argument `field` in errors.
pub(crate) fn snapshot_named(input: &JsValue, field: &str) -> Result<Value> {
    let not_object = |got: &str| Error::invalid(field, cat(&["must be an object, got ", got]));
    if input.is_function() {
        return Err(not_object("a function"));
    }
    let text = super::fast::snapshot_text(input)
        .map_err(|_| {
            Error::invalid(
                field,
                "could not be read (JSON.stringify failed: a cycle or a BigInt?)",
            )
        })?
        .as_string()
        .ok_or_else(|| not_object("undefined"))?;
    let value = json::parse(&text)
        .map_err(|_| Error::invalid(field, "is too large or too deeply nested"))?;
    match &value {
        Value::Object(_) => Ok(value),
        other => Err(not_object(type_name(other))),
    }
}

impl<'a> Packed<'a> {
    /// The export's argument; fields are named without a prefix.
    pub(crate) fn root(value: &'a Value) -> Self {
        Self { value, path: "" }
    }

    fn nested(&self, name: &'a str) -> Result<Option<Packed<'a>>> {
        match self.get(name) {
            None => Ok(None),
            Some(v @ Value::Object(_)) => Ok(Some(Packed {
                value: v,
                path: name,
            })),
            Some(v) => Err(Error::invalid(
                self.field(name),
                cat(&["must be an object, got ", type_name(v)]),
            )),
        }
    }

    fn field(&self, name: &str) -> String {
        if self.path.is_empty() {
            name.to_owned()
        } else {
            let mut f = String::with_capacity(self.path.len() + 1 + name.len());
            f.push_str(self.path);
            f.push('.');
            f.push_str(name);
            f
        }
    }

    /// The member, `None` when absent or null.
    fn get(&self, name: &str) -> Option<&'a Value> {
        self.value.get(name).filter(|v| !matches!(v, Value::Null))
    }

    /// Whether the member is present and not null.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// A string member, borrowed; `None` when absent or null.
    pub(crate) fn opt_str(&self, name: &str) -> Result<Option<&'a str>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(v) => Err(Error::invalid(
                self.field(name),
                cat(&["must be a string, got ", type_name(v)]),
            )),
        }
    }

    /// A required string member, borrowed.
    pub(crate) fn str(&self, name: &str) -> Result<&'a str> {
        self.opt_str(name)?
            .ok_or_else(|| Error::invalid(self.field(name), "is required"))
    }

    pub(crate) fn opt_string(&self, name: &str) -> Result<Option<String>> {
        Ok(self.opt_str(name)?.map(str::to_owned))
    }

    pub(crate) fn string(&self, name: &str) -> Result<String> {
        self.str(name).map(str::to_owned)
    }

    pub(crate) fn opt_bool(&self, name: &str) -> Result<bool> {
        match self.get(name) {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(v) => Err(Error::invalid(
                self.field(name),
                cat(&["must be a boolean, got ", type_name(v)]),
            )),
        }
    }

    /// A whole number within `min..=max`, `None` when absent.
    pub(crate) fn opt_int(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>> {
        let Some(v) = self.get(name) else {
            return Ok(None);
        };
        let bad = || {
            let mut m = String::from("must be a whole number from ");
            crate::text::push_int(&mut m, min);
            m.push_str(" to ");
            crate::text::push_int(&mut m, max);
            Error::invalid(self.field(name), m)
        };
        let n = v.as_i64().ok_or_else(bad)?;
        if (min..=max).contains(&n) {
            Ok(Some(n))
        } else {
            Err(bad())
        }
    }

    /// `Record<string, string>`.
    pub(crate) fn string_map(&self, name: &'a str) -> Result<Vec<(String, String)>> {
        let Some(obj) = self.nested(name)? else {
            return Ok(Vec::new());
        };
        // Plain loops rather than `collect::<Result<…>>()`: one less generic adapter per reader.
        let members = members(obj.value);
        let mut out = Vec::with_capacity(members.len());
        for (k, v) in members {
            match v {
                Value::Null => {}
                Value::String(s) => out.push((k.clone(), s.clone())),
                other => {
                    return Err(Error::invalid(
                        obj.field(k),
                        cat(&["must be a string, got ", type_name(other)]),
                    ))
                }
            }
        }
        Ok(out)
    }

    /// `Record<string, string | null>`; numbers are kept as written.
    pub(crate) fn query_map(&self, name: &'a str) -> Result<Vec<(String, Option<String>)>> {
        let Some(obj) = self.nested(name)? else {
            return Ok(Vec::new());
        };
        let members = members(obj.value);
        let mut out = Vec::with_capacity(members.len());
        for (k, v) in members {
            let value = match v {
                Value::Null => None,
                Value::String(s) | Value::Number(s) => Some(s.clone()),
                other => {
                    return Err(Error::invalid(
                        obj.field(k),
                        cat(&["must be a string or null, got ", type_name(other)]),
                    ))
                }
            };
            out.push((k.clone(), value));
        }
        Ok(out)
    }

    /// `string[]`.
    pub(crate) fn string_list(&self, name: &str) -> Result<Vec<String>> {
        match self.get(name) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for v in items {
                    match v.as_str() {
                        Some(s) => out.push(s.to_owned()),
                        None => {
                            return Err(Error::invalid(
                                self.field(name),
                                "must contain only strings",
                            ))
                        }
                    }
                }
                Ok(out)
            }
            Some(v) => Err(Error::invalid(
                self.field(name),
                cat(&["must be an array of strings, got ", type_name(v)]),
            )),
        }
    }

    /// `credentials: { accessKeyId, accessKeySecret, securityToken? | stsToken? }`.
    pub(crate) fn credentials(&self) -> Result<Credentials> {
        self.nested("credentials")?
            .ok_or_else(|| Error::invalid("credentials", "is required"))?
            .credential_fields()
    }

    /// A `credentials` object given on its own (`Signer.setCredentials`): fields are named
    /// `credentials.…` as when nested.
    pub(crate) fn credentials_object(value: &'a Value) -> Self {
        Self {
            value,
            path: "credentials",
        }
    }

    /// `{ accessKeyId, accessKeySecret, securityToken? | stsToken? }` of this object.
    pub(crate) fn credential_fields(&self) -> Result<Credentials> {
        let c = self;
        let token = match c.opt_string("securityToken")? {
            Some(t) => Some(t),
            None => c.opt_string("stsToken")?,
        };
        Credentials::new(
            c.string("accessKeyId")?,
            c.string("accessKeySecret")?,
            token,
        )
    }

    /// `signTime?: Date | number`: a Date arrives as its ISO text; an invalid Date arrives as
    /// null, so `raw` (the original argument) is consulted then; defaults to now.
    pub(crate) fn sign_time(&self, raw: &JsValue) -> Result<UnixTime> {
        let invalid = || Error::invalid("signTime", "must be a valid Date between 1970 and 9999");
        match self.value.get("signTime") {
            None => super::clock::now(),
            Some(Value::Null) => {
                // `null` itself means "now"; an Invalid Date also serialises to null.
                let original = super::js::Reflect::get(raw, &JsValue::from_str("signTime"))
                    .unwrap_or(JsValue::NULL);
                if original.is_null() || original.is_undefined() {
                    super::clock::now()
                } else {
                    Err(invalid())
                }
            }
            Some(Value::String(iso)) => UnixTime::parse_iso8601(iso).map_err(|_| invalid()),
            Some(Value::Number(ms)) => {
                let ms = crate::text::parse_int(ms).ok_or_else(invalid)?;
                UnixTime::from_secs(ms.div_euclid(1000)).ok_or_else(invalid)
            }
            Some(v) => Err(Error::invalid(
                "signTime",
                cat(&["must be a Date, got ", type_name(v)]),
            )),
        }
    }

    /// `endpoint?`, `endpointType?`, `cname?`, `pathStyle?`.
    pub(crate) fn endpoint<'s>(&self, endpoint: Option<&'s str>) -> Result<EndpointOptions<'s>> {
        let kind = super::input::endpoint_kind(self.opt_string("endpointType")?.as_deref())?;
        Ok(EndpointOptions {
            endpoint,
            kind,
            cname: self.opt_bool("cname")?,
            path_style: self.opt_bool("pathStyle")?,
        })
    }
}

fn members(v: &Value) -> &[(String, Value)] {
    match v {
        Value::Object(m) => m,
        _ => &[],
    }
}
