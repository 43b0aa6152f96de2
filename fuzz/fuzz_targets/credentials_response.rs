//! Credential-endpoint responses: the JSON reader and every accepted shape. Nothing may panic,
//! and no error message or Debug string may quote an AccessKeySecret or SecurityToken value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oss_direct_upload::{credentials::response, json};

const SECRET_KEYS: [&str; 5] = [
    "AccessKeySecret",
    "accessKeySecret",
    "SecurityToken",
    "securityToken",
    "stsToken",
];

/// Strings under secret field names, and every other string (keys included).
fn strings(
    v: &serde_json::Value,
    under_secret: bool,
    secrets: &mut Vec<String>,
    others: &mut Vec<String>,
) {
    match v {
        serde_json::Value::String(s) if under_secret => secrets.push(s.clone()),
        serde_json::Value::String(s) => others.push(s.clone()),
        serde_json::Value::Number(n) => others.push(n.to_string()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| strings(x, false, secrets, others)),
        serde_json::Value::Object(o) => {
            for (k, x) in o {
                others.push(k.clone());
                strings(x, SECRET_KEYS.contains(&k.as_str()), secrets, others);
            }
        }
        _ => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let ours = json::parse(text);
    if let Ok(v) = &ours {
        let _ = (v.get("Credentials"), v.as_str(), v.as_i64(), v.is_object());
    }
    let result = response::parse(text);
    let shown = match &result {
        Ok(c) => format!("{c:?} {:?}", c.credentials),
        Err(e) => format!("{e} {e:?}"),
    };
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(text) else {
        return;
    };
    let (mut secrets, mut others) = (Vec::new(), Vec::new());
    strings(&doc, false, &mut secrets, &mut others);
    for s in secrets.iter().filter(|s| s.len() >= 8) {
        // A value that is also a key, a code or another field legitimately shows up.
        if others.iter().any(|o| o.contains(s.as_str()))
            || "credential response".contains(s.as_str())
        {
            continue;
        }
        assert!(
            !shown.contains(s.as_str()),
            "secret {s:?} shown in {shown:?}"
        );
    }
});
