//! Where requests go: the scheme, host and path layout for a bucket.

use crate::encode::uri_encode_into;
use crate::error::{Error, Result};
use crate::names::{Bucket, ObjectKey, Region};
use crate::prelude::*;
use crate::text::cat;

/// Which OSS endpoint family to use when no explicit endpoint is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EndpointKind {
    /// `oss-REGION.aliyuncs.com`.
    #[default]
    Public,
    /// `oss-REGION-internal.aliyuncs.com` (from inside the region's VPC).
    Internal,
    /// `oss-accelerate.aliyuncs.com` (transfer acceleration).
    Accelerate,
}

/// How the bucket appears in the URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Addressing {
    /// `https://BUCKET.ENDPOINT/KEY` (OSS's default).
    VirtualHosted,
    /// `https://ENDPOINT/BUCKET/KEY` (IP endpoints, or on request).
    PathStyle,
    /// `https://CUSTOM-DOMAIN/KEY`: a custom domain bound to the bucket.
    Cname,
}

/// A resolved endpoint: scheme, host (with port) and addressing style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    scheme: &'static str,
    host: String,
    addressing: Addressing,
}

/// Options that choose an endpoint.
#[derive(Debug, Clone, Default)]
pub struct EndpointOptions<'a> {
    /// An explicit endpoint: `oss-cn-hangzhou.aliyuncs.com`, `https://…`, `http://localhost:9000`.
    pub endpoint: Option<&'a str>,
    /// The endpoint family when `endpoint` is not given.
    pub kind: EndpointKind,
    /// `endpoint` is a custom domain bound to the bucket: use its host as is.
    pub cname: bool,
    /// Put the bucket in the path instead of the host name.
    pub path_style: bool,
}

impl Endpoint {
    /// Resolves the endpoint for `region` from `opts`.
    pub fn resolve(region: &Region, opts: &EndpointOptions<'_>) -> Result<Self> {
        let (scheme, host) = if let Some(e) = opts.endpoint {
            parse_endpoint(e)?
        } else {
            let host = match opts.kind {
                EndpointKind::Public => cat(&["oss-", region.as_str(), ".aliyuncs.com"]),
                EndpointKind::Internal => cat(&["oss-", region.as_str(), "-internal.aliyuncs.com"]),
                EndpointKind::Accelerate => "oss-accelerate.aliyuncs.com".to_owned(),
            };
            ("https", host)
        };
        if opts.cname && opts.endpoint.is_none() {
            return Err(Error::invalid(
                "cname",
                "needs an endpoint: the custom domain bound to the bucket",
            ));
        }
        let addressing = if opts.cname {
            Addressing::Cname
        } else if opts.path_style || is_ip_literal(&host) {
            Addressing::PathStyle
        } else {
            Addressing::VirtualHosted
        };
        Ok(Self {
            scheme,
            host,
            addressing,
        })
    }

    /// `http` or `https`.
    pub fn scheme(&self) -> &'static str {
        self.scheme
    }

    /// The addressing style in use.
    pub fn addressing(&self) -> Addressing {
        self.addressing
    }

    /// The `Host` a request for `bucket` is sent to.
    pub fn host_for(&self, bucket: &Bucket) -> String {
        match self.addressing {
            Addressing::VirtualHosted => cat(&[bucket.as_str(), ".", &self.host]),
            Addressing::PathStyle | Addressing::Cname => self.host.clone(),
        }
    }

    /// The URL (without query) of `key` in `bucket`, or of the bucket itself.
    pub fn url_for(&self, bucket: &Bucket, key: Option<&ObjectKey>) -> String {
        let mut url = String::with_capacity(64);
        url.push_str(self.scheme);
        url.push_str("://");
        url.push_str(&self.host_for(bucket));
        url.push('/');
        if self.addressing == Addressing::PathStyle {
            url.push_str(bucket.as_str());
            url.push('/');
        }
        if let Some(k) = key {
            uri_encode_into(&mut url, k.as_str(), true);
        }
        url
    }
}

/// The canonical URI of V4: `/BUCKET/KEY` (or `/BUCKET/`), whatever the addressing.
pub fn canonical_uri(bucket: &Bucket, key: Option<&ObjectKey>) -> String {
    let mut uri =
        String::with_capacity(2 + bucket.as_str().len() + key.map_or(0, |k| k.as_str().len()));
    uri.push('/');
    uri_encode_into(&mut uri, bucket.as_str(), true);
    uri.push('/');
    if let Some(k) = key {
        uri_encode_into(&mut uri, k.as_str(), true);
    }
    uri
}

fn parse_endpoint(text: &str) -> Result<(&'static str, String)> {
    let bad = |why: &str| Error::invalid("endpoint", cat(&["\"", text, "\": ", why]));
    let t = text.trim_ascii();
    let (scheme, rest) = if let Some(r) = strip_prefix_ci(t, "https://") {
        ("https", r)
    } else if let Some(r) = strip_prefix_ci(t, "http://") {
        ("http", r)
    } else if t.as_bytes().windows(3).any(|w| w == b"://") {
        return Err(bad("only http:// and https:// endpoints are supported"));
    } else {
        ("https", t)
    };
    let host = rest.strip_suffix('/').unwrap_or(rest);
    if host.is_empty() {
        return Err(bad("has no host"));
    }
    if !crate::text::all_bytes(host, |b| !matches!(b, b'/' | b'?' | b'#' | b'@')) {
        return Err(bad(
            "must be a scheme and host[:port] only, without path, query or user info",
        ));
    }
    let valid = crate::text::all_bytes(host, |b| {
        b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']')
    });
    if !valid {
        return Err(bad("contains characters not allowed in a host name"));
    }
    Ok((scheme, host.to_ascii_lowercase()))
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) {
        s.get(prefix.len()..)
    } else {
        None
    }
}

/// An IPv4 or bracketed IPv6 literal, with or without a port: buckets can't be prefixed to it.
fn is_ip_literal(host: &str) -> bool {
    if host.starts_with('[') {
        return true;
    }
    // `d.d.d.d[:port]`: four groups of 1 to 3 digits.
    let name = host.as_bytes();
    let name = match name.iter().rposition(|&b| b == b':') {
        Some(colon) => name.get(..colon).unwrap_or_default(),
        None => name,
    };
    let (mut groups, mut digits) = (1, 0);
    for &b in name {
        match b {
            b'.' if digits > 0 => {
                groups += 1;
                digits = 0;
            }
            b'0'..=b'9' if digits < 3 => digits += 1,
            _ => return false,
        }
    }
    groups == 4 && digits > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(region: &str, opts: &EndpointOptions<'_>, key: Option<&str>) -> String {
        let r = Region::new(region).unwrap();
        let b = Bucket::new("bkt").unwrap();
        let k = key.map(|k| ObjectKey::new(k).unwrap());
        Endpoint::resolve(&r, opts).unwrap().url_for(&b, k.as_ref())
    }

    #[test]
    fn default_internal_accelerate() {
        let d = EndpointOptions::default();
        assert_eq!(
            url("oss-cn-hangzhou", &d, Some("a b/c")),
            "https://bkt.oss-cn-hangzhou.aliyuncs.com/a%20b/c"
        );
        let i = EndpointOptions {
            kind: EndpointKind::Internal,
            ..d.clone()
        };
        assert_eq!(
            url("cn-beijing", &i, None),
            "https://bkt.oss-cn-beijing-internal.aliyuncs.com/"
        );
        let a = EndpointOptions {
            kind: EndpointKind::Accelerate,
            ..d
        };
        assert_eq!(
            url("cn-beijing", &a, Some("k")),
            "https://bkt.oss-accelerate.aliyuncs.com/k"
        );
    }

    #[test]
    fn explicit_endpoint_gets_bucket_prefixed() {
        let e = EndpointOptions {
            endpoint: Some("http://localhost:9000"),
            ..Default::default()
        };
        assert_eq!(
            url("cn-hangzhou", &e, Some("k")),
            "http://bkt.localhost:9000/k"
        );
        let e = EndpointOptions {
            endpoint: Some("oss-cn-shanghai.aliyuncs.com/"),
            ..Default::default()
        };
        assert_eq!(
            url("cn-shanghai", &e, Some("k")),
            "https://bkt.oss-cn-shanghai.aliyuncs.com/k"
        );
    }

    #[test]
    fn ip_endpoint_and_path_style_put_bucket_in_path() {
        let e = EndpointOptions {
            endpoint: Some("http://127.0.0.1:9000"),
            ..Default::default()
        };
        assert_eq!(
            url("cn-hangzhou", &e, Some("k")),
            "http://127.0.0.1:9000/bkt/k"
        );
        let e = EndpointOptions {
            path_style: true,
            ..Default::default()
        };
        assert_eq!(
            url("cn-hangzhou", &e, Some("k")),
            "https://oss-cn-hangzhou.aliyuncs.com/bkt/k"
        );
    }

    #[test]
    fn cname_uses_host_as_is() {
        let e = EndpointOptions {
            endpoint: Some("https://static.example.com"),
            cname: true,
            ..Default::default()
        };
        assert_eq!(
            url("cn-hangzhou", &e, Some("k")),
            "https://static.example.com/k"
        );
        let r = Region::new("cn-hangzhou").unwrap();
        let e = EndpointOptions {
            cname: true,
            ..Default::default()
        };
        assert!(Endpoint::resolve(&r, &e).is_err());
    }

    #[test]
    fn rejects_bad_endpoints() {
        let r = Region::new("cn-hangzhou").unwrap();
        for bad in [
            "ftp://x",
            "https://",
            "https://a/b",
            "https://u@h",
            "h o st",
            "https://a?b",
        ] {
            let e = EndpointOptions {
                endpoint: Some(bad),
                ..Default::default()
            };
            assert_eq!(
                Endpoint::resolve(&r, &e).unwrap_err().field(),
                Some("endpoint"),
                "{bad}"
            );
        }
    }

    #[test]
    fn ip_literals_take_path_style() {
        for (host, ip) in [
            ("127.0.0.1", true),
            ("127.0.0.1:9000", true),
            ("[::1]:9000", true),
            ("1.2.3.4:", true),
            ("1.2.3", false),
            ("1.2.3.4.5", false),
            ("1..2.3", false),
            ("1.2.3.", false),
            ("1234.1.1.1", false),
            ("a.b.c.d", false),
            ("localhost:9000", false),
            ("", false),
        ] {
            assert_eq!(is_ip_literal(host), ip, "{host}");
        }
    }

    #[test]
    fn canonical_uri_always_has_bucket() {
        let b = Bucket::new("bucket").unwrap();
        let k = ObjectKey::new("1234+-/123/1.txt").unwrap();
        assert_eq!(canonical_uri(&b, Some(&k)), "/bucket/1234%2B-/123/1.txt");
        assert_eq!(canonical_uri(&b, None), "/bucket/");
    }
}
