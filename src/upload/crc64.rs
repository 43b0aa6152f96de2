//! CRC-64/ECMA-182 as OSS reports it in `x-oss-hash-crc64ecma` (the reflected "XZ" variant:
//! polynomial 0xC96C5795D7870F42, initial value and final XOR all ones), computed incrementally.

const POLY: u64 = 0xC96C_5795_D787_0F42;

const fn table() -> [u64; 256] {
    let mut t = [0u64; 256];
    let mut i = 0;
    #[allow(clippy::indexing_slicing)] // const context: an out-of-range index fails the build
    while i < 256 {
        let mut c = i as u64;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 == 1 { (c >> 1) ^ POLY } else { c >> 1 };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
}

static TABLE: [u64; 256] = table();

/// An incremental CRC-64/ECMA-182.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Crc64(u64);

impl Default for Crc64 {
    fn default() -> Self {
        Self::new()
    }
}

impl Crc64 {
    /// The CRC of nothing.
    pub fn new() -> Self {
        Self(u64::MAX)
    }

    /// Feeds `bytes`.
    pub fn update(&mut self, bytes: &[u8]) {
        let mut c = self.0;
        for &b in bytes {
            let idx = usize::from(u8::try_from((c ^ u64::from(b)) & 0xFF).unwrap_or(0));
            c = TABLE.get(idx).copied().unwrap_or(0) ^ (c >> 8);
        }
        self.0 = c;
    }

    /// The CRC so far.
    pub fn value(&self) -> u64 {
        self.0 ^ u64::MAX
    }
}

/// The CRC of `bytes` in one go.
pub fn crc64(bytes: &[u8]) -> u64 {
    let mut c = Crc64::new();
    c.update(bytes);
    c.value()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_reference_values() {
        assert_eq!(crc64(b""), 0);
        // CRC-64/XZ check value.
        assert_eq!(crc64(b"123456789"), 0x995D_C9BB_DF19_39FA);
        let mut c = Crc64::new();
        c.update(b"12345");
        c.update(b"6789");
        assert_eq!(c.value(), 0x995D_C9BB_DF19_39FA);
    }
}
