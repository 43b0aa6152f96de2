//! OSS XML answers: `<Error>` bodies (and `x-oss-err` Base64), InitiateMultipartUpload,
//! ListParts, and the checkpoint text read back from IndexedDB. Nothing may panic; what is
//! decoded must round-trip where the format says it does.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oss_direct_upload::encode::base64_encode;
use oss_direct_upload::upload::{diagnose, multipart, transport::HttpResponse, xml};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for name in [
        "Code",
        "Message",
        "RequestId",
        "StringToSign",
        "CanonicalRequest",
        "UploadId",
        "ETag",
    ] {
        let _ = xml::element(text, name);
    }
    let _ = xml::decode_entities(text);
    if let Some(bytes) = xml::base64_decode(text) {
        // Whatever decodes re-encodes to canonical Base64 that decodes to the same bytes.
        assert_eq!(
            xml::base64_decode(&base64_encode(&bytes)).as_deref(),
            Some(&bytes[..])
        );
    }
    let b64 = base64_encode(data);
    assert_eq!(xml::base64_decode(&b64).as_deref(), Some(data));

    let status = 400 + u16::from(data.first().copied().unwrap_or(0)) % 200;
    let resp = HttpResponse {
        status,
        headers: vec![
            ("x-oss-request-id".into(), "id".into()),
            ("x-oss-err".into(), text.chars().take(64).collect()),
        ],
        body: text.to_owned(),
    };
    let e = xml::service_error(&resp);
    assert_eq!(e.status, status);
    let err = xml::error_from(&resp);
    let _ = (
        err.to_string(),
        err.code(),
        err.is_retryable(),
        format!("{err:?}"),
    );

    let _ = multipart::parse_initiate(text);
    if let Ok(page) = multipart::parse_list_parts(text) {
        let _ = page.parts.len();
    }
    if let Some(cp) = multipart::Checkpoint::decode(text) {
        // A checkpoint that decodes re-encodes to one that decodes the same.
        assert_eq!(multipart::Checkpoint::decode(&cp.encode()), Some(cp));
    }
    let (a, b) = text.split_at(
        text.len() / 2
            - (0..4)
                .find(|i| text.is_char_boundary(text.len() / 2 - i))
                .unwrap_or(0),
    );
    let _ = diagnose::compare_canonical(a, b);
});
