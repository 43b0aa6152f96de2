//! SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), the only hashing V4 needs.
//!
//! Our own rather than the `sha2` / `hmac` crates for size: the crates' portable SHA-256 is
//! unrolled 64 rounds deep and brings the `digest` traits' wrappers along (~11.6 KB of wasm);
//! this one is 16 rounds written out, looped four times (~2 KB). Tested against the `sha2` and `hmac` crates on random input of every length
//! up to several blocks, split at random points, and on the FIPS and RFC 4231 vectors.

/// Round constants, in the four groups of sixteen rounds.
const K: [[u32; 16]; 4] = [
    [
        0x428a_2f98,
        0x7137_4491,
        0xb5c0_fbcf,
        0xe9b5_dba5,
        0x3956_c25b,
        0x59f1_11f1,
        0x923f_82a4,
        0xab1c_5ed5,
        0xd807_aa98,
        0x1283_5b01,
        0x2431_85be,
        0x550c_7dc3,
        0x72be_5d74,
        0x80de_b1fe,
        0x9bdc_06a7,
        0xc19b_f174,
    ],
    [
        0xe49b_69c1,
        0xefbe_4786,
        0x0fc1_9dc6,
        0x240c_a1cc,
        0x2de9_2c6f,
        0x4a74_84aa,
        0x5cb0_a9dc,
        0x76f9_88da,
        0x983e_5152,
        0xa831_c66d,
        0xb003_27c8,
        0xbf59_7fc7,
        0xc6e0_0bf3,
        0xd5a7_9147,
        0x06ca_6351,
        0x1429_2967,
    ],
    [
        0x27b7_0a85,
        0x2e1b_2138,
        0x4d2c_6dfc,
        0x5338_0d13,
        0x650a_7354,
        0x766a_0abb,
        0x81c2_c92e,
        0x9272_2c85,
        0xa2bf_e8a1,
        0xa81a_664b,
        0xc24b_8b70,
        0xc76c_51a3,
        0xd192_e819,
        0xd699_0624,
        0xf40e_3585,
        0x106a_a070,
    ],
    [
        0x19a4_c116,
        0x1e37_6c08,
        0x2748_774c,
        0x34b0_bcb5,
        0x391c_0cb3,
        0x4ed8_aa4a,
        0x5b9c_ca4f,
        0x682e_6ff3,
        0x748f_82ee,
        0x78a5_636f,
        0x84c8_7814,
        0x8cc7_0208,
        0x90be_fffa,
        0xa450_6ceb,
        0xbef9_a3f7,
        0xc671_78f2,
    ],
];

const H0: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

/// One 64-byte block into the state (names as in FIPS 180-4).
#[allow(clippy::many_single_char_names)]
fn compress(state: &mut [u32; 8], block: &[u8; 64]) {
    // Constant indices only, so that the sixteen words live in wasm locals, not in memory
    // (a loop over `w` at opt-level "z" would keep it in memory and halve the speed).
    let mut w = [0u32; 16];
    macro_rules! load {
        ($($j:literal)*) => {$(
            w[$j] = u32::from_be_bytes([
                block[4 * $j],
                block[4 * $j + 1],
                block[4 * $j + 2],
                block[4 * $j + 3],
            ]);
        )*};
    }
    load!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15);
    let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = *state;
    for (group, k) in K.iter().enumerate() {
        if group > 0 {
            // W[t] = σ1(W[t-2]) + W[t-7] + σ0(W[t-15]) + W[t-16], in a ring of sixteen words.
            macro_rules! schedule {
                ($($j:literal)*) => {$(
                    let x = w[($j + 14) & 15];
                    let y = w[($j + 1) & 15];
                    w[$j] = w[$j]
                        .wrapping_add(x.rotate_right(17) ^ x.rotate_right(19) ^ (x >> 10))
                        .wrapping_add(w[($j + 9) & 15])
                        .wrapping_add(y.rotate_right(7) ^ y.rotate_right(18) ^ (y >> 3));
                )*};
            }
            schedule!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15);
        }
        // Sixteen rounds written out, the eight working variables renamed instead of moved.
        macro_rules! round {
            ($a:ident $b:ident $c:ident $d:ident $e:ident $f:ident $g:ident $h:ident $j:literal) => {
                let t1 = $h
                    .wrapping_add($e.rotate_right(6) ^ $e.rotate_right(11) ^ $e.rotate_right(25))
                    .wrapping_add(($e & $f) ^ (!$e & $g))
                    .wrapping_add(k[$j])
                    .wrapping_add(w[$j]);
                let t2 = ($a.rotate_right(2) ^ $a.rotate_right(13) ^ $a.rotate_right(22))
                    .wrapping_add(($a & $b) ^ ($a & $c) ^ ($b & $c));
                $d = $d.wrapping_add(t1);
                $h = t1.wrapping_add(t2);
            };
        }
        round!(a b c d e f g h 0);
        round!(h a b c d e f g 1);
        round!(g h a b c d e f 2);
        round!(f g h a b c d e 3);
        round!(e f g h a b c d 4);
        round!(d e f g h a b c 5);
        round!(c d e f g h a b 6);
        round!(b c d e f g h a 7);
        round!(a b c d e f g h 8);
        round!(h a b c d e f g 9);
        round!(g h a b c d e f 10);
        round!(f g h a b c d e 11);
        round!(e f g h a b c d 12);
        round!(d e f g h a b c 13);
        round!(c d e f g h a b 14);
        round!(b c d e f g h a 15);
    }
    state[0] = state[0].wrapping_add(a);
    state[1] = state[1].wrapping_add(b);
    state[2] = state[2].wrapping_add(c);
    state[3] = state[3].wrapping_add(d);
    state[4] = state[4].wrapping_add(e);
    state[5] = state[5].wrapping_add(f);
    state[6] = state[6].wrapping_add(g);
    state[7] = state[7].wrapping_add(h);
}

/// An incremental SHA-256.
#[derive(Clone)]
pub(crate) struct Sha256 {
    state: [u32; 8],
    /// Bytes not yet compressed (fewer than 64).
    buf: [u8; 64],
    buf_len: usize,
    /// Bytes hashed so far.
    len: u64,
}

impl Sha256 {
    pub(crate) fn new() -> Self {
        Self {
            state: H0,
            buf: [0; 64],
            buf_len: 0,
            len: 0,
        }
    }

    pub(crate) fn update(&mut self, mut data: &[u8]) {
        self.len = self.len.wrapping_add(data.len() as u64);
        if self.buf_len > 0 {
            let take = (64 - self.buf_len).min(data.len());
            let (head, rest) = data.split_at(take);
            if let Some(dst) = self.buf.get_mut(self.buf_len..) {
                copy(dst, head);
            }
            self.buf_len += take;
            data = rest;
            if self.buf_len < 64 {
                return;
            }
            let block = self.buf;
            compress(&mut self.state, &block);
            self.buf_len = 0;
        }
        let mut blocks = data.chunks_exact(64);
        for block in &mut blocks {
            // Always 64 bytes (`chunks_exact`): hashed in place, no copy and no length check.
            if let Ok(b) = <&[u8; 64]>::try_from(block) {
                compress(&mut self.state, b);
            }
        }
        let rest = blocks.remainder();
        copy(&mut self.buf, rest);
        self.buf_len = rest.len();
    }

    pub(crate) fn finalize(mut self) -> [u8; 32] {
        let bits = self.len.wrapping_mul(8);
        let mut pad = [0u8; 72];
        pad[0] = 0x80;
        // Pad to 56 mod 64, then the length in bits, big-endian.
        let zeros = (119 - self.buf_len) % 64;
        if let Some(tail) = pad.get_mut(zeros + 1..) {
            copy(tail, &bits.to_be_bytes());
        }
        let len = self.len;
        self.update(pad.get(..zeros + 9).unwrap_or_default());
        self.len = len;
        let mut out = [0u8; 32];
        for (bytes, word) in out.chunks_exact_mut(4).zip(self.state) {
            copy(bytes, &word.to_be_bytes());
        }
        out
    }

    /// The hash of `data`.
    pub(crate) fn digest(data: &[u8]) -> [u8; 32] {
        let mut h = Self::new();
        h.update(data);
        h.finalize()
    }
}

/// Copies `src` to the start of `dst`, as much as fits: `copy_from_slice` would check the
/// lengths and link a panic message that formats them (`core::fmt` in the signing-only build).
fn copy(dst: &mut [u8], src: &[u8]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d = *s;
    }
}

/// HMAC-SHA256, keyed once and cloned per message (its inner and outer pads already hashed).
#[derive(Clone)]
pub(crate) struct HmacSha256 {
    inner: Sha256,
    outer: Sha256,
}

impl HmacSha256 {
    pub(crate) fn new(key: &[u8]) -> Self {
        let mut block = [0u8; 64];
        if key.len() > 64 {
            copy(&mut block, &Sha256::digest(key));
        } else {
            copy(&mut block, key);
        }
        let mut inner = Sha256::new();
        let mut outer = Sha256::new();
        inner.update(&block.map(|b| b ^ 0x36));
        outer.update(&block.map(|b| b ^ 0x5c));
        block.fill(0);
        Self { inner, outer }
    }

    pub(crate) fn update(&mut self, data: &[u8]) {
        self.inner.update(data);
    }

    pub(crate) fn finalize(self) -> [u8; 32] {
        let Self { inner, mut outer } = self;
        outer.update(&inner.finalize());
        outer.finalize()
    }
}

#[cfg(test)]
#[allow(clippy::cast_possible_truncation)] // test data from a random generator
mod tests {
    use super::{HmacSha256, Sha256};
    use hmac::Mac;
    use sha2::Digest;

    /// A small deterministic generator (xorshift64*), so failures reproduce.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn bytes(&mut self, n: usize) -> Vec<u8> {
            (0..n).map(|_| self.next() as u8).collect()
        }
    }

    fn hex(b: &[u8]) -> String {
        hex::encode(b)
    }

    #[test]
    fn fips_vectors() {
        assert_eq!(
            hex(&Sha256::digest(b"")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            hex(&Sha256::digest(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex(&Sha256::digest(
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
            )),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
        let mut h = Sha256::new();
        for _ in 0..1000 {
            h.update(&[b'a'; 1000]);
        }
        assert_eq!(
            hex(&h.finalize()),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        );
    }

    #[test]
    fn rfc4231_vectors() {
        let mac = |key: &[u8], data: &[u8]| {
            let mut m = HmacSha256::new(key);
            m.update(data);
            hex(&m.finalize())
        };
        // Test cases 1, 2, 6 (a 131-byte key, hashed first) and 7.
        assert_eq!(
            mac(&[0x0b; 20], b"Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        assert_eq!(
            mac(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            mac(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            ),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
        assert_eq!(
            mac(&[0xaa; 131], b"This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm."),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"
        );
    }

    #[test]
    fn equals_the_sha2_crate_on_every_length_and_split() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for len in 0..=600 {
            let data = rng.bytes(len);
            let want: [u8; 32] = sha2::Sha256::digest(&data).into();
            assert_eq!(Sha256::digest(&data), want, "length {len}");
            // The same bytes fed in random pieces.
            let mut h = Sha256::new();
            let mut rest = &data[..];
            while !rest.is_empty() {
                let n = (rng.next() as usize % 150).min(rest.len());
                h.update(&rest[..n]);
                rest = &rest[n..];
            }
            assert_eq!(h.finalize(), want, "length {len}, split");
        }
    }

    #[test]
    fn hmac_equals_the_hmac_crate() {
        let mut rng = Rng(42);
        for i in 0..400 {
            let key = rng.bytes(i % 140);
            let n = rng.next() as usize % 900;
            let data = rng.bytes(n);
            let mut want =
                hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).expect("any key length");
            want.update(&data);
            let want: [u8; 32] = want.finalize().into_bytes().into();
            let mut keyed = HmacSha256::new(&key);
            let copy = keyed.clone();
            keyed.update(&data);
            assert_eq!(keyed.finalize(), want, "case {i}");
            // A clone of the keyed state signs the same (the signing-key cache relies on it).
            let mut c = copy;
            c.update(&data);
            assert_eq!(c.finalize(), want, "case {i}, cloned");
        }
    }
}
