//! CRC-64/ECMA-182 as OSS computes it (`x-oss-hash-crc64ecma`): the reflected ECMA polynomial,
//! initial value and final XOR all ones (CRC-64/XZ). Slicing-by-16 with tables built on first use
//! (so they cost no wasm data), and `combine` to join the CRCs of consecutive parts.

use std::sync::OnceLock;

/// The reflected ECMA-182 polynomial.
const POLY: u64 = 0xC96C_5795_D787_0F42;

/// Bytes consumed per step: 16 table lookups per 16 bytes, independent of each other, which
/// keeps wasm engines above 1 GB/s where slicing-by-8 stays below.
const SLICES: usize = 16;

// 32 KB of tables, built once on the heap; indices are constants below SLICES or masked bytes.
#[allow(
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::large_stack_arrays
)]
fn tables() -> &'static [[u64; 256]; SLICES] {
    static TABLES: OnceLock<Box<[[u64; 256]; SLICES]>> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut t = Box::new([[0u64; 256]; SLICES]);
        for (i, slot) in t[0].iter_mut().enumerate() {
            let mut crc = i as u64;
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ POLY
                } else {
                    crc >> 1
                };
            }
            *slot = crc;
        }
        for k in 1..SLICES {
            for i in 0..256 {
                let prev = t[k - 1][i];
                t[k][i] = (prev >> 8) ^ t[0][(prev & 0xff) as usize];
            }
        }
        t
    })
}

/// The CRC of `data` continued from the CRC `crc` of the bytes before it (`0` to start):
/// `update(update(0, a), b) == update(0, a ‖ b)`.
#[allow(clippy::indexing_slicing, clippy::many_single_char_names)] // indices are masked to 0..=255
pub fn update(crc: u64, data: &[u8]) -> u64 {
    let t = tables();
    let mut c = !crc;
    let mut chunks = data.chunks_exact(16);
    for chunk in &mut chunks {
        let mut lo = [0u8; 8];
        let mut hi = [0u8; 8];
        let (a, b) = chunk.split_at(8);
        lo.copy_from_slice(a);
        hi.copy_from_slice(b);
        let v = c ^ u64::from_le_bytes(lo);
        let w = u64::from_le_bytes(hi);
        c = t[15][(v & 0xff) as usize]
            ^ t[14][((v >> 8) & 0xff) as usize]
            ^ t[13][((v >> 16) & 0xff) as usize]
            ^ t[12][((v >> 24) & 0xff) as usize]
            ^ t[11][((v >> 32) & 0xff) as usize]
            ^ t[10][((v >> 40) & 0xff) as usize]
            ^ t[9][((v >> 48) & 0xff) as usize]
            ^ t[8][(v >> 56) as usize]
            ^ t[7][(w & 0xff) as usize]
            ^ t[6][((w >> 8) & 0xff) as usize]
            ^ t[5][((w >> 16) & 0xff) as usize]
            ^ t[4][((w >> 24) & 0xff) as usize]
            ^ t[3][((w >> 32) & 0xff) as usize]
            ^ t[2][((w >> 40) & 0xff) as usize]
            ^ t[1][((w >> 48) & 0xff) as usize]
            ^ t[0][(w >> 56) as usize];
    }
    for &b in chunks.remainder() {
        c = t[0][((c ^ u64::from(b)) & 0xff) as usize] ^ (c >> 8);
    }
    !c
}

/// The CRC of `data`.
pub fn checksum(data: &[u8]) -> u64 {
    update(0, data)
}

fn gf2_times(mat: &[u64; 64], mut vec: u64) -> u64 {
    let mut sum = 0;
    for row in mat {
        if vec == 0 {
            break;
        }
        if vec & 1 == 1 {
            sum ^= row;
        }
        vec >>= 1;
    }
    sum
}

fn gf2_square(square: &mut [u64; 64], mat: &[u64; 64]) {
    for (i, out) in square.iter_mut().enumerate() {
        *out = gf2_times(mat, mat.get(i).copied().unwrap_or(0));
    }
}

/// The CRC of `a ‖ b` from `crc_a = checksum(a)`, `crc_b = checksum(b)` and `len_b = b.len()`
/// (zlib's GF(2) matrix method), so parts uploaded in parallel give the whole object's CRC.
pub fn combine(crc_a: u64, crc_b: u64, mut len_b: u64) -> u64 {
    if len_b == 0 {
        return crc_a;
    }
    let mut even = [0u64; 64];
    let mut odd = [0u64; 64];
    // The operator for one zero bit.
    odd[0] = POLY;
    let mut row = 1u64;
    for slot in odd.iter_mut().skip(1) {
        *slot = row;
        row <<= 1;
    }
    gf2_square(&mut even, &odd); // two zero bits
    gf2_square(&mut odd, &even); // four zero bits
    let mut crc = crc_a;
    loop {
        gf2_square(&mut even, &odd); // first pass: one zero byte
        if len_b & 1 == 1 {
            crc = gf2_times(&even, crc);
        }
        len_b >>= 1;
        if len_b == 0 {
            break;
        }
        gf2_square(&mut odd, &even);
        if len_b & 1 == 1 {
            crc = gf2_times(&odd, crc);
        }
        len_b >>= 1;
        if len_b == 0 {
            break;
        }
    }
    crc ^ crc_b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_values_from_the_oss_sdks() {
        assert_eq!(checksum(b""), 0);
        assert_eq!(checksum(b"123456789"), 11_051_210_869_376_104_954);
        assert_eq!(checksum(b"12345"), 6_748_440_630_437_108_969);
        assert_eq!(checksum(b"1234567890"), 12_811_388_247_244_714_686);
    }

    #[test]
    fn update_is_incremental_at_every_split() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 31 % 251) as u8).collect();
        let whole = checksum(&data);
        for cut in [0, 1, 7, 8, 9, 500, 999, 1000] {
            let (a, b) = data.split_at(cut);
            assert_eq!(update(update(0, a), b), whole, "cut {cut}");
            assert_eq!(
                combine(checksum(a), checksum(b), b.len() as u64),
                whole,
                "combine at {cut}"
            );
        }
    }

    #[test]
    fn combine_matches_sdk_vector() {
        assert_eq!(
            combine(checksum(b"12345"), checksum(b"67890"), 5),
            12_811_388_247_244_714_686
        );
    }
}
