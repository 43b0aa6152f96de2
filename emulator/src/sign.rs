//! Signature algorithms, written from the reference text: OSS V4 (`OSS4-HMAC-SHA256`) canonical
//! request, string to sign, signing key; V1 (`HMAC-SHA1`) string to sign. Pure functions.

use crate::encode::uri_encode;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// V4 algorithm name.
pub const ALGORITHM: &str = "OSS4-HMAC-SHA256";
/// V4 scope terminator.
pub const REQUEST_TYPE: &str = "aliyun_v4_request";
/// Payload hash every V4 request uses.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

type HmacSha256 = Hmac<Sha256>;
type HmacSha1 = Hmac<sha1::Sha1>;

/// HMAC-SHA256.
pub fn hmac256(key: &[u8], data: &[u8]) -> [u8; 32] {
    match HmacSha256::new_from_slice(key) {
        Ok(mut m) => {
            m.update(data);
            m.finalize().into_bytes().into()
        }
        Err(_) => [0; 32], // unreachable: HMAC accepts keys of any length
    }
}

/// HMAC-SHA1.
pub fn hmac1(key: &[u8], data: &[u8]) -> [u8; 20] {
    match HmacSha1::new_from_slice(key) {
        Ok(mut m) => {
            m.update(data);
            m.finalize().into_bytes().into()
        }
        Err(_) => [0; 20],
    }
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Constant-time comparison of two byte strings.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Is this header (lower-case name) signed by default in V4?
pub fn is_default_signed(name: &str) -> bool {
    name.starts_with("x-oss-") || name == "content-type" || name == "content-md5"
}

/// `/bucket/key` encoded; bucket-level `/bucket/`; no bucket `/`.
pub fn canonical_uri(bucket: Option<&str>, key: Option<&str>) -> String {
    match bucket {
        None => "/".to_string(),
        Some(b) => uri_encode(&format!("/{b}/{}", key.unwrap_or("")), true),
    }
}

/// Canonical query: every (decoded) parameter, encoded, sorted by encoded name then value, bare
/// name for an empty value.
pub fn canonical_query(params: &[(String, String)]) -> String {
    let mut enc: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (uri_encode(k, false), uri_encode(v, false)))
        .collect();
    enc.sort();
    let mut out = String::new();
    for (k, v) in enc {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(&k);
        if !v.is_empty() {
            out.push('=');
            out.push_str(&v);
        }
    }
    out
}

/// Normalise an AdditionalHeaders list against the request's headers: lower-case, dedupe, drop
/// default-signed names and names absent (or empty) on the request, sort.
pub fn normalize_additional(list: &[String], headers: &[(String, String)]) -> Vec<String> {
    let mut out: Vec<String> = list
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty() && !is_default_signed(h))
        .filter(|h| {
            headers
                .iter()
                .any(|(n, v)| n.eq_ignore_ascii_case(h) && !v.trim().is_empty())
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Canonical headers block (each line ends in `\n`). `headers` names may be in any case;
/// repeated headers are joined with `,`.
pub fn canonical_headers(headers: &[(String, String)], additional: &[String]) -> String {
    let mut sel: Vec<(String, String)> = Vec::new();
    for (n, v) in headers {
        let n = n.to_ascii_lowercase();
        if is_default_signed(&n) || additional.contains(&n) {
            let v = v.trim().to_string();
            if let Some(e) = sel.iter_mut().find(|(en, _)| *en == n) {
                e.1.push(',');
                e.1.push_str(&v);
            } else {
                sel.push((n, v));
            }
        }
    }
    sel.sort();
    let mut out = String::new();
    for (n, v) in sel {
        out.push_str(&n);
        out.push(':');
        out.push_str(&v);
        out.push('\n');
    }
    out
}

/// Inputs of a V4 canonical request.
#[derive(Debug, Clone)]
pub struct V4Request<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// Bucket, if any.
    pub bucket: Option<&'a str>,
    /// Decoded object key, if any.
    pub key: Option<&'a str>,
    /// Decoded query parameters (without `x-oss-signature`).
    pub query: &'a [(String, String)],
    /// Request headers (any case), values raw.
    pub headers: &'a [(String, String)],
    /// Normalised additional headers.
    pub additional: &'a [String],
}

/// The V4 canonical request.
pub fn canonical_request(r: &V4Request<'_>) -> String {
    let payload = r
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("x-oss-content-sha256"))
        .map_or(UNSIGNED_PAYLOAD.to_string(), |(_, v)| v.trim().to_string());
    format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        r.method.to_ascii_uppercase(),
        canonical_uri(r.bucket, r.key),
        canonical_query(r.query),
        canonical_headers(r.headers, r.additional),
        r.additional.join(";"),
        payload
    )
}

/// `date/region/product/aliyun_v4_request`
pub fn scope(date: &str, region: &str, product: &str) -> String {
    format!("{date}/{region}/{product}/{REQUEST_TYPE}")
}

/// The V4 string to sign.
pub fn string_to_sign(datetime: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{datetime}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

/// The V4 signing key.
pub fn signing_key(secret: &str, date: &str, region: &str, product: &str) -> [u8; 32] {
    // kDate = HMAC("aliyun_v4" + SK, Date); kRegion = HMAC(kDate, Region);
    // kProduct = HMAC(kRegion, Product); key = HMAC(kProduct, "aliyun_v4_request")
    let k_date = hmac256(format!("aliyun_v4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac256(&k_date, region.as_bytes());
    let k_product = hmac256(&k_region, product.as_bytes());
    hmac256(&k_product, REQUEST_TYPE.as_bytes())
}

/// Hex signature of a string to sign with a signing key.
pub fn v4_signature(key: &[u8; 32], string_to_sign: &str) -> String {
    hex::encode(hmac256(key, string_to_sign.as_bytes()))
}

/// V1 sub-resources that enter the CanonicalizedResource.
pub const V1_SUBRESOURCES: &[&str] = &[
    "acl",
    "append",
    "bucketInfo",
    "callback",
    "callback-var",
    "cname",
    "comp",
    "continuation-token",
    "cors",
    "delete",
    "encryption",
    "endTime",
    "img",
    "inventory",
    "inventoryId",
    "lifecycle",
    "live",
    "location",
    "logging",
    "objectMeta",
    "partNumber",
    "policy",
    "position",
    "qos",
    "referer",
    "replication",
    "replicationLocation",
    "replicationProgress",
    "requestPayment",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "security-token",
    "sequential",
    "startTime",
    "stat",
    "status",
    "style",
    "styleName",
    "symlink",
    "tagging",
    "udf",
    "udfApplication",
    "udfApplicationLog",
    "udfImage",
    "udfImageDesc",
    "udfName",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "vod",
    "website",
    "worm",
    "wormExtend",
    "wormId",
    "x-oss-process",
];

/// V1 CanonicalizedResource: `/bucket/key` (raw, decoded key) plus sorted sub-resources.
pub fn v1_resource(bucket: Option<&str>, key: Option<&str>, query: &[(String, String)]) -> String {
    let mut out = match bucket {
        None => "/".to_string(),
        Some(b) => format!("/{b}/{}", key.unwrap_or("")),
    };
    let mut subs: Vec<(&str, &str)> = query
        .iter()
        .filter(|(k, _)| V1_SUBRESOURCES.contains(&k.as_str()))
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    subs.sort();
    for (i, (k, v)) in subs.iter().enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        out.push_str(k);
        if !v.is_empty() {
            out.push('=');
            out.push_str(v);
        }
    }
    out
}

/// V1 string to sign. `date` is the `Date` header, or `Expires` for a signed URL.
pub fn v1_string_to_sign(
    method: &str,
    headers: &[(String, String)],
    date: &str,
    resource: &str,
) -> String {
    let get = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map_or("", |(_, v)| v.trim())
    };
    let mut oss: Vec<(String, String)> = Vec::new();
    for (n, v) in headers {
        let n = n.to_ascii_lowercase();
        if n.starts_with("x-oss-") {
            let v = v.trim().to_string();
            if let Some(e) = oss.iter_mut().find(|(en, _)| *en == n) {
                e.1.push(',');
                e.1.push_str(&v);
            } else {
                oss.push((n, v));
            }
        }
    }
    oss.sort();
    let mut s = format!(
        "{}\n{}\n{}\n{}\n",
        method.to_ascii_uppercase(),
        get("content-md5"),
        get("content-type"),
        date
    );
    for (n, v) in oss {
        s.push_str(&n);
        s.push(':');
        s.push_str(&v);
        s.push('\n');
    }
    s.push_str(resource);
    s
}

/// Base64 HMAC-SHA1 signature (V1 header, V1 URL, V1 PostObject).
pub fn v1_signature(secret: &str, string_to_sign: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .encode(hmac1(secret.as_bytes(), string_to_sign.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_key_check_value() {
        assert_eq!(
            hex::encode(signing_key("sk", "20231216", "cn-hangzhou", "oss")),
            "b412a03b134ebddd720f5167b5de6db66620ebb3b01cff4d49e3ccb09f8de97f"
        );
    }

    #[test]
    fn v1_doc_vector() {
        let headers = vec![
            (
                "Content-MD5".to_string(),
                "ODBGOERFMDMzQTczRUY3NUE3NzA5QzdFNUYzMDQxNEM=".to_string(),
            ),
            ("Content-Type".to_string(), "text/html".to_string()),
            ("X-OSS-Magic".to_string(), "abracadabra".to_string()),
            ("X-OSS-Meta-Author".to_string(), "foo@bar.com".to_string()),
        ];
        let sts = v1_string_to_sign(
            "PUT",
            &headers,
            "Thu, 17 Nov 2005 18:49:58 GMT",
            &v1_resource(Some("oss-example"), Some("nelson"), &[]),
        );
        assert_eq!(
            v1_signature("OtxrzxIsfpFjA7SwPzILwy8Bw21TLhquhboDYROV", &sts),
            "26NBxoKdsyly4EDv6inkoDft/yA="
        );
    }

    #[test]
    fn v1_resource_sorts_subresources() {
        let q = vec![
            ("uploadId".to_string(), "u".to_string()),
            ("partNumber".to_string(), "2".to_string()),
            ("foo".to_string(), "x".to_string()),
            ("uploads".to_string(), String::new()),
        ];
        assert_eq!(
            v1_resource(Some("b"), Some("k"), &q),
            "/b/k?partNumber=2&uploadId=u&uploads"
        );
    }
}
