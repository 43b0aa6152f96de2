//! Per-bucket CORS rules and their evaluation, as OSS does it.

use crate::policy::glob;
use serde::{Deserialize, Serialize};

/// One CORSRule.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CorsRule {
    /// AllowedOrigin (each may hold one `*`).
    pub allowed_origins: Vec<String>,
    /// AllowedMethod.
    pub allowed_methods: Vec<String>,
    /// AllowedHeader (each may hold one `*`; case-insensitive).
    #[serde(default)]
    pub allowed_headers: Vec<String>,
    /// ExposeHeader.
    #[serde(default)]
    pub expose_headers: Vec<String>,
    /// MaxAgeSeconds.
    #[serde(default)]
    pub max_age_seconds: Option<u64>,
    /// ResponseVary (adds `Vary: Origin`).
    #[serde(default)]
    pub response_vary: bool,
}

/// Default ExposeHeaders.
pub const DEFAULT_EXPOSE: &[&str] = &["ETag", "x-oss-request-id", "x-oss-hash-crc64ecma", "Date"];

/// The default permissive rule.
pub fn default_rule(expose: &[String]) -> CorsRule {
    CorsRule {
        allowed_origins: vec!["*".into()],
        allowed_methods: ["GET", "PUT", "POST", "DELETE", "HEAD"]
            .iter()
            .map(|s| (*s).to_string())
            .collect(),
        allowed_headers: vec!["*".into()],
        expose_headers: expose.to_vec(),
        max_age_seconds: None,
        response_vary: false,
    }
}

impl CorsRule {
    fn origin_ok(&self, origin: &str) -> bool {
        self.allowed_origins.iter().any(|o| glob(o, origin))
    }
    fn method_ok(&self, method: &str) -> bool {
        self.allowed_methods
            .iter()
            .any(|m| m.eq_ignore_ascii_case(method))
    }
    fn header_ok(&self, header: &str) -> bool {
        let h = header.to_ascii_lowercase();
        self.allowed_headers
            .iter()
            .any(|a| glob(&a.to_ascii_lowercase(), &h))
    }

    /// The Access-Control-Allow-Origin value for this origin.
    pub fn allow_origin(&self, origin: &str) -> String {
        if self.allowed_origins.iter().any(|o| o == "*") {
            "*".to_string()
        } else {
            origin.to_string()
        }
    }
}

/// First rule matching a preflight (origin, requested method, every requested header).
pub fn match_preflight<'a>(
    rules: &'a [CorsRule],
    origin: &str,
    method: &str,
    headers: &[String],
) -> Option<&'a CorsRule> {
    rules.iter().find(|r| {
        r.origin_ok(origin) && r.method_ok(method) && headers.iter().all(|h| r.header_ok(h))
    })
}

/// First rule matching an actual request (origin and method).
pub fn match_actual<'a>(rules: &'a [CorsRule], origin: &str, method: &str) -> Option<&'a CorsRule> {
    rules
        .iter()
        .find(|r| r.origin_ok(origin) && r.method_ok(method))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preflight_matching() {
        let r = CorsRule {
            allowed_origins: vec!["http://*.example.com".into()],
            allowed_methods: vec!["PUT".into()],
            allowed_headers: vec!["x-oss-*".into(), "authorization".into()],
            expose_headers: vec![],
            max_age_seconds: Some(10),
            response_vary: false,
        };
        let rules = vec![r];
        assert!(match_preflight(
            &rules,
            "http://a.example.com",
            "PUT",
            &["X-OSS-Date".into()]
        )
        .is_some());
        assert!(match_preflight(&rules, "http://a.example.com", "GET", &[]).is_none());
        assert!(match_preflight(
            &rules,
            "http://a.example.com",
            "PUT",
            &["content-type".into()]
        )
        .is_none());
        assert!(match_preflight(&rules, "http://evil.com", "PUT", &[]).is_none());
    }
}
