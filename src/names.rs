//! Validated OSS names: buckets, object keys, regions.

use crate::error::{Error, Result};
use crate::prelude::*;
use crate::text::cat;

/// `a–z 0–9 -`: the characters of bucket names and region IDs.
fn is_name_byte(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'
}

/// A bucket name: 3–63 characters of `a–z 0–9 -`, starting and ending with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Bucket(String);

impl Bucket {
    /// Checks a bucket name against OSS's naming rules.
    pub fn new(name: &str) -> Result<Self> {
        let ok_len = (3..=63).contains(&name.len());
        let ok_chars = crate::text::all_bytes(name, is_name_byte);
        let ok_ends = !name.starts_with('-') && !name.ends_with('-');
        if ok_len && ok_chars && ok_ends {
            Ok(Self(name.to_owned()))
        } else {
            Err(Error::invalid(
                "bucket",
                cat(&["\"", name, "\" is not a valid bucket name (3-63 characters: lower-case letters, digits and '-', not starting or ending with '-')"]),
            ))
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An object key: 1–1023 bytes of UTF-8, not starting with `/` or `\`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectKey(String);

impl ObjectKey {
    /// Checks a key against OSS's object naming rules.
    pub fn new(key: &str) -> Result<Self> {
        let reason = if key.is_empty() {
            "must not be empty"
        } else if key.len() > 1023 {
            "must be at most 1023 bytes of UTF-8"
        } else if key.starts_with('/') || key.starts_with('\\') {
            "must not start with '/' or '\\'"
        } else if !crate::text::all_bytes(key, |b| b != b'\r' && b != b'\n') {
            "must not contain CR or LF"
        } else if has_dot_segment(key) {
            // fetch resolves dot segments before sending: `a/../b` would reach `/b`, not the
            // path that was signed (and `dir/..` the bucket itself).
            "must not have a '.' or '..' segment (browsers resolve it and send another path)"
        } else {
            return Ok(Self(key.to_owned()));
        };
        Err(Error::invalid("key", reason))
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether `key` has a `.` or `..` segment: one between slashes or at either end.
fn has_dot_segment(key: &str) -> bool {
    // Dots since the segment began; 3 once the segment has anything else (or three dots).
    let mut dots = 0u8;
    for &b in key.as_bytes() {
        match b {
            b'/' if dots == 1 || dots == 2 => return true,
            b'/' => dots = 0,
            b'.' => dots = dots.saturating_add(1).min(3),
            _ => dots = 3,
        }
    }
    dots == 1 || dots == 2
}

/// Why `endpoint` is required with `cloudBoxId`: the default endpoint would be built from the ID
/// as if it were a region, a host that does not exist.
pub const CLOUD_BOX_ENDPOINT: &str = "is required with cloudBoxId: the CloudBox's endpoint";

/// Checks a `cloudBoxId`: a CloudBox ID is named like a region (`cb-…`) and signs in its place.
pub fn cloud_box_id(id: &str) -> Result<Region> {
    Region::new(id).map_err(|_| Error::invalid("cloudBoxId", "is not a valid CloudBox ID"))
}

/// Checks a key prefix (`keyPrefix` of a post policy): what a key may start with, so the rules of
/// [`ObjectKey`] that concern its start and its characters apply (it may be empty: any key).
pub fn check_key_prefix(prefix: &str) -> Result<()> {
    let reason = if prefix.len() > 1023 {
        "must be at most 1023 bytes of UTF-8"
    } else if prefix.starts_with('/') || prefix.starts_with('\\') {
        "must not start with '/' or '\\' (no object key can)"
    } else if !crate::text::all_bytes(prefix, |b| b != b'\r' && b != b'\n') {
        "must not contain CR or LF"
    } else {
        return Ok(());
    };
    Err(Error::invalid("keyPrefix", reason))
}

/// Checks an uploadId handed back by the caller: 1–256 printable ASCII characters (OSS returns 32
/// hex digits), so it cannot break the query it is put in.
pub fn check_upload_id(upload_id: &str) -> Result<()> {
    if upload_id.is_empty() {
        return Err(Error::invalid("uploadId", "must not be empty"));
    }
    if upload_id.len() > 256 || !upload_id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::invalid(
            "uploadId",
            "must be the uploadId OSS returned (1-256 printable ASCII characters)",
        ));
    }
    Ok(())
}

/// A region ID as used in the signing scope (`cn-hangzhou`); `oss-cn-hangzhou` is accepted and
/// normalised.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Region(String);

impl Region {
    /// Checks and normalises a region ID.
    pub fn new(region: &str) -> Result<Self> {
        let id = region.strip_prefix("oss-").unwrap_or(region);
        let valid = !id.is_empty()
            && id.len() <= 64
            && crate::text::all_bytes(id, is_name_byte)
            && !id.starts_with('-')
            && !id.ends_with('-');
        if valid {
            Ok(Self(id.to_owned()))
        } else {
            Err(Error::invalid(
                "region",
                cat(&["\"", region, "\" is not a region ID like \"cn-hangzhou\""]),
            ))
        }
    }

    /// The region ID without an `oss-` prefix.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_rules() {
        for ok in ["abc", "my-bucket-01", &"a".repeat(63)] {
            assert!(Bucket::new(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ab",
            "-abc",
            "abc-",
            "Abc",
            "a_b",
            "a.b",
            "",
            &"a".repeat(64),
        ] {
            assert_eq!(
                Bucket::new(bad).unwrap_err().code(),
                "InvalidArgument",
                "{bad}"
            );
        }
    }

    #[test]
    fn key_rules() {
        assert!(ObjectKey::new("a//b/").is_ok());
        assert!(ObjectKey::new(&"é".repeat(511)).is_ok()); // 1022 bytes
        for bad in ["", "/a", "\\a", "a\nb"] {
            assert!(ObjectKey::new(bad).is_err(), "{bad:?}");
        }
        assert!(ObjectKey::new(&"a".repeat(1024)).is_err());
        assert!(ObjectKey::new(&"中".repeat(342)).is_err()); // 1026 bytes
    }

    // Regression (review): keys with dot segments were accepted, and fetch resolves them before
    // sending, so `a/../b.txt` reached `/b.txt` (SignatureDoesNotMatch) and `dir/..` the bucket.
    #[test]
    fn key_with_dot_segment_is_refused() {
        for bad in [
            ".",
            "..",
            "a/../b.txt",
            "../x",
            "a/./b",
            "dir/..",
            "dir/.",
            "a//../b",
        ] {
            let e = ObjectKey::new(bad).unwrap_err();
            assert_eq!(e.field(), Some("key"), "{bad:?}");
            assert!(e.to_string().contains("'..' segment"), "{bad:?}: {e}");
        }
        for ok in [
            "...",
            ".a",
            "a.",
            "a/.b/c",
            "a/b../c",
            "..a/b",
            "a/...",
            ".hidden/x.txt",
        ] {
            assert!(ObjectKey::new(ok).is_ok(), "{ok:?}");
        }
    }

    #[test]
    fn key_prefix_rules() {
        for ok in ["", "uploads/", "a", &"é".repeat(511)] {
            assert!(check_key_prefix(ok).is_ok(), "{ok:?}");
        }
        for bad in ["/up", "\\up", "up\n", "up\r", &"a".repeat(1024)] {
            assert_eq!(
                check_key_prefix(bad).unwrap_err().field(),
                Some("keyPrefix"),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn upload_id_rules() {
        assert!(check_upload_id("0004B9894A22E5B1888A1E29F8236E2D").is_ok());
        for bad in ["", "A B", "A\r\nB", "ünï", &"A".repeat(257)] {
            assert_eq!(
                check_upload_id(bad).unwrap_err().field(),
                Some("uploadId"),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn region_accepts_oss_prefix() {
        assert_eq!(
            Region::new("oss-cn-hangzhou").unwrap().as_str(),
            "cn-hangzhou"
        );
        assert_eq!(Region::new("cn-hangzhou").unwrap().as_str(), "cn-hangzhou");
        for bad in [
            "",
            "oss-",
            "CN-hangzhou",
            "cn hangzhou",
            "cn_hangzhou",
            "-cn",
        ] {
            assert!(Region::new(bad).is_err(), "{bad:?}");
        }
    }
}
