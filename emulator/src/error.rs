//! OSS error responses: status, Code, Message, EC and per-error extra elements.

use crate::xml::escape;

/// An OSS error, rendered as the `<Error>` XML body (or `x-oss-err` on HEAD).
#[derive(Debug, Clone)]
pub struct OssError {
    /// HTTP status.
    pub status: u16,
    /// OSS error code (PascalCase).
    pub code: String,
    /// Human-readable message.
    pub message: String,
    /// OSS EC (`0002-00000201`); empty for none.
    pub ec: String,
    /// Extra elements in order (`StringToSign`, `ServerTime`, …).
    pub extras: Vec<(String, String)>,
    /// Extra response headers.
    pub headers: Vec<(String, String)>,
}

impl OssError {
    /// New error.
    pub fn new(status: u16, code: &str, message: &str, ec: &str) -> Self {
        Self {
            status,
            code: code.to_string(),
            message: message.to_string(),
            ec: ec.to_string(),
            extras: Vec::new(),
            headers: Vec::new(),
        }
    }

    /// Add an extra element.
    #[must_use]
    pub fn with(mut self, name: &str, value: impl Into<String>) -> Self {
        self.extras.push((name.to_string(), value.into()));
        self
    }

    /// The XML body.
    pub fn to_xml(&self, request_id: &str, host_id: &str) -> String {
        let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>\n");
        let mut el = |n: &str, v: &str| {
            s.push_str("  <");
            s.push_str(n);
            s.push('>');
            s.push_str(&escape(v));
            s.push_str("</");
            s.push_str(n);
            s.push_str(">\n");
        };
        el("Code", &self.code);
        el("Message", &self.message);
        el("RequestId", request_id);
        el("HostId", host_id);
        for (n, v) in &self.extras {
            el(n, v);
        }
        if !self.ec.is_empty() {
            el("EC", &self.ec);
            el(
                "RecommendDoc",
                &format!("https://api.aliyun.com/troubleshoot?q={}", self.ec),
            );
        }
        s.push_str("</Error>\n");
        s
    }
}

/// Constructors for the errors the emulator produces. ECs marked "documented" come from OSS's
/// error pages (see README); the others are placeholders chosen by the emulator.
pub mod codes {
    use super::OssError;

    /// 403 SignatureDoesNotMatch (V4: EC 0002-00000201, documented).
    pub fn signature_v4() -> OssError {
        OssError::new(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.", "0002-00000201")
    }
    /// 403 SignatureDoesNotMatch (V1: EC 0002-00000040, documented).
    pub fn signature_v1() -> OssError {
        OssError::new(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.", "0002-00000040")
    }
    /// 403 InvalidAccessKeyId (documented EC).
    pub fn invalid_ak(ak: &str) -> OssError {
        OssError::new(
            403,
            "InvalidAccessKeyId",
            "The OSS Access Key Id you provided does not exist in our records.",
            "0002-00000902",
        )
        .with("OSSAccessKeyId", ak)
    }
    /// 403 SecurityTokenExpired (EC placeholder).
    pub fn token_expired() -> OssError {
        OssError::new(
            403,
            "SecurityTokenExpired",
            "The security token you provided has expired.",
            "0002-00000903",
        )
    }
    /// 403 InvalidSecurityToken (EC placeholder).
    pub fn invalid_token() -> OssError {
        OssError::new(
            403,
            "InvalidSecurityToken",
            "The security token you provided is invalid.",
            "0002-00000904",
        )
    }
    /// 403 AccessKeyIdAndSecurityTokenNotMatch (EC placeholder).
    pub fn token_mismatch() -> OssError {
        OssError::new(
            403,
            "AccessKeyIdAndSecurityTokenNotMatch",
            "The OSS access key id and security token you provided does not match.",
            "0002-00000905",
        )
    }
    /// 400 InvalidArgument.
    pub fn invalid_argument(message: &str, ec: &str) -> OssError {
        OssError::new(400, "InvalidArgument", message, ec)
    }
    /// 403 AccessDenied.
    pub fn access_denied(message: &str, ec: &str) -> OssError {
        OssError::new(403, "AccessDenied", message, ec)
    }
    /// 404 NoSuchBucket.
    pub fn no_such_bucket(bucket: &str) -> OssError {
        OssError::new(
            404,
            "NoSuchBucket",
            "The specified bucket does not exist.",
            "0015-00000101",
        )
        .with("BucketName", bucket)
    }
    /// 404 NoSuchKey.
    pub fn no_such_key(key: &str) -> OssError {
        OssError::new(
            404,
            "NoSuchKey",
            "The specified key does not exist.",
            "0026-00000001",
        )
        .with("Key", key)
    }
    /// 404 NoSuchUpload.
    pub fn no_such_upload(upload_id: &str, ec: &str) -> OssError {
        OssError::new(404, "NoSuchUpload", "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.", ec)
            .with("UploadId", upload_id)
    }
    /// 400 InvalidObjectName.
    pub fn invalid_object_name(message: &str) -> OssError {
        OssError::new(400, "InvalidObjectName", message, "0016-00000005")
    }
    /// 400 MalformedXML.
    pub fn malformed_xml() -> OssError {
        OssError::new(
            400,
            "MalformedXML",
            "The XML you provided was not well-formed or did not validate against our published schema.",
            "0015-00000231",
        )
    }
    /// 500 InternalError.
    pub fn internal(message: &str) -> OssError {
        OssError::new(500, "InternalError", message, "0000-00000000")
    }
}
