//! CRC-64/XZ (ECMA-182 polynomial, reflected, init and xorout all ones): the checksum OSS returns in
//! `x-oss-hash-crc64ecma`. Slicing-by-16 tables built at compile time.

const POLY: u64 = 0xC96C_5795_D787_0F42; // reflected 0x42F0E1EBA9EA3693

const fn make_tables() -> [[u64; 256]; 16] {
    let mut t = [[0u64; 256]; 16];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u64;
        let mut j = 0;
        while j < 8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ POLY
            } else {
                crc >> 1
            };
            j += 1;
        }
        t[0][i] = crc;
        i += 1;
    }
    let mut k = 1;
    while k < 16 {
        let mut i = 0;
        while i < 256 {
            let prev = t[k - 1][i];
            t[k][i] = (prev >> 8) ^ t[0][(prev & 0xff) as usize];
            i += 1;
        }
        k += 1;
    }
    t
}

static TABLES: [[u64; 256]; 16] = make_tables();

/// Incremental CRC-64/XZ.
#[derive(Debug, Clone, Copy, Default)]
pub struct Crc64 {
    state: u64,
}

impl Crc64 {
    /// A fresh checksum (value 0 for no data).
    pub fn new() -> Self {
        Self { state: u64::MAX }
    }

    /// Feed bytes.
    pub fn update(&mut self, data: &[u8]) {
        let t = &TABLES;
        let mut crc = self.state;
        let mut chunks = data.chunks_exact(16);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(&c[..8]);
            let v = crc ^ u64::from_le_bytes(w);
            w.copy_from_slice(&c[8..]);
            let u = u64::from_le_bytes(w);
            crc = t[15][(v & 0xff) as usize]
                ^ t[14][((v >> 8) & 0xff) as usize]
                ^ t[13][((v >> 16) & 0xff) as usize]
                ^ t[12][((v >> 24) & 0xff) as usize]
                ^ t[11][((v >> 32) & 0xff) as usize]
                ^ t[10][((v >> 40) & 0xff) as usize]
                ^ t[9][((v >> 48) & 0xff) as usize]
                ^ t[8][(v >> 56) as usize]
                ^ t[7][(u & 0xff) as usize]
                ^ t[6][((u >> 8) & 0xff) as usize]
                ^ t[5][((u >> 16) & 0xff) as usize]
                ^ t[4][((u >> 24) & 0xff) as usize]
                ^ t[3][((u >> 32) & 0xff) as usize]
                ^ t[2][((u >> 40) & 0xff) as usize]
                ^ t[1][((u >> 48) & 0xff) as usize]
                ^ t[0][(u >> 56) as usize];
        }
        for &b in chunks.remainder() {
            crc = t[0][((crc ^ u64::from(b)) & 0xff) as usize] ^ (crc >> 8);
        }
        self.state = crc;
    }

    /// The checksum of everything fed so far.
    pub fn value(&self) -> u64 {
        self.state ^ u64::MAX
    }

    /// Resume from a previously computed value.
    pub fn from_value(v: u64) -> Self {
        Self {
            state: v ^ u64::MAX,
        }
    }
}

/// One-shot CRC-64/XZ.
pub fn crc64(data: &[u8]) -> u64 {
    let mut c = Crc64::new();
    c.update(data);
    c.value()
}

fn gf2_times(mat: &[u64; 64], mut vec: u64) -> u64 {
    let mut sum = 0u64;
    let mut i = 0;
    while vec != 0 {
        if vec & 1 == 1 {
            sum ^= mat.get(i).copied().unwrap_or(0);
        }
        vec >>= 1;
        i += 1;
    }
    sum
}

fn gf2_square(square: &mut [u64; 64], mat: &[u64; 64]) {
    for (n, s) in square.iter_mut().enumerate() {
        *s = gf2_times(mat, mat.get(n).copied().unwrap_or(0));
    }
}

/// `crc(a‖b)` from `crc(a)`, `crc(b)` and `len(b)` (zlib's crc32_combine method).
pub fn combine(crc1: u64, crc2: u64, len2: u64) -> u64 {
    if len2 == 0 {
        return crc1;
    }
    let mut even = [0u64; 64];
    let mut odd = [0u64; 64];
    odd[0] = POLY;
    let mut row = 1u64;
    for o in odd.iter_mut().skip(1) {
        *o = row;
        row <<= 1;
    }
    gf2_square(&mut even, &odd);
    gf2_square(&mut odd, &even);
    let mut crc1 = crc1;
    let mut len2 = len2;
    loop {
        gf2_square(&mut even, &odd);
        if len2 & 1 == 1 {
            crc1 = gf2_times(&even, crc1);
        }
        len2 >>= 1;
        if len2 == 0 {
            break;
        }
        gf2_square(&mut odd, &even);
        if len2 & 1 == 1 {
            crc1 = gf2_times(&odd, crc1);
        }
        len2 >>= 1;
        if len2 == 0 {
            break;
        }
    }
    crc1 ^ crc2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_values_match_crc64_xz() {
        assert_eq!(crc64(b"123456789"), 11_051_210_869_376_104_954);
        assert_eq!(crc64(b""), 0);
        assert_eq!(crc64(b"12345"), 6_748_440_630_437_108_969);
        assert_eq!(crc64(b"1234567890"), 12_811_388_247_244_714_686);
    }

    #[test]
    fn incremental_equals_one_shot() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7 + 3) as u8).collect();
        for split in [0, 1, 7, 8, 9, 4095, 9999] {
            let (a, b) = data.split_at(split);
            let mut c = Crc64::new();
            c.update(a);
            c.update(b);
            assert_eq!(c.value(), crc64(&data));
        }
    }

    #[test]
    fn combine_matches_concatenation() {
        assert_eq!(
            combine(crc64(b"12345"), crc64(b"67890"), 5),
            12_811_388_247_244_714_686
        );
    }
}
