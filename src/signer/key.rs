//! HMAC-SHA256 and the derived signing key, with a small cache.

use super::sha256::HmacSha256;
use crate::credentials::AccessKeySecret;
use crate::prelude::*;

/// `HMAC-SHA256(key, data)`.
pub(crate) fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = HmacSha256::new(key);
    mac.update(data);
    mac.finalize()
}

/// The V4 signing key:
/// `HMAC(HMAC(HMAC(HMAC("aliyun_v4" + secret, date), region), product), "aliyun_v4_request")`.
pub(crate) fn derive_signing_key(
    secret: &str,
    date: &str,
    region: &str,
    product: &str,
) -> [u8; 32] {
    let mut seed = Vec::with_capacity(9 + secret.len());
    seed.extend_from_slice(b"aliyun_v4");
    seed.extend_from_slice(secret.as_bytes());
    let k_date = hmac_sha256(&seed, date.as_bytes());
    seed.fill(0);
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_product = hmac_sha256(&k_region, product.as_bytes());
    hmac_sha256(&k_product, super::REQUEST_TYPE.as_bytes())
}

struct Entry {
    /// SHA-256 of the AccessKeySecret ([`AccessKeySecret::hash`]): the cache matches secrets
    /// without keeping them (a call of `signRequest` holds its credentials only while it runs).
    secret_hash: [u8; 32],
    date: String,
    region: String,
    product: String,
    #[cfg(test)]
    key: [u8; 32],
    /// HMAC-SHA256 already keyed with `key` (its inner and outer pads hashed): cloning it saves
    /// two of the ~18 SHA-256 blocks of every signature.
    mac: HmacSha256,
}

/// Derived signing keys cached per (secret, date, region, product): four HMACs saved per
/// signature. Holds at most four entries (a key rotation plus a day change). Each holds a
/// derived key (valid for one day, one region) and a SHA-256 of the secret, never the secret.
#[derive(Default)]
pub struct SigningKeyCache {
    entries: Vec<Entry>,
    /// The slot replaced next once the cache is full.
    next: usize,
}

impl core::fmt::Debug for SigningKeyCache {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "SigningKeyCache({} entries, [redacted])",
            self.entries.len()
        )
    }
}

const CACHE_SIZE: usize = 4;

impl SigningKeyCache {
    /// An empty cache.
    pub const fn new() -> Self {
        Self {
            entries: Vec::new(),
            next: 0,
        }
    }

    /// The signing key for these inputs, derived once and then reused.
    #[cfg(test)]
    pub(crate) fn key(
        &mut self,
        secret: &str,
        date: &str,
        region: &str,
        product: &str,
    ) -> [u8; 32] {
        match self.entry(&AccessKeySecret::new(secret), date, region, product) {
            Some(e) => e.key,
            None => derive_signing_key(secret, date, region, product),
        }
    }

    /// `HMAC-SHA256(signing key, data)` with the cached keyed state.
    pub(crate) fn sign(
        &mut self,
        secret: &AccessKeySecret,
        date: &str,
        region: &str,
        product: &str,
        message: &[u8],
    ) -> [u8; 32] {
        match self.entry(secret, date, region, product) {
            Some(Entry { mac, .. }) => {
                let mut mac = mac.clone();
                mac.update(message);
                mac.finalize()
            }
            None => hmac_sha256(
                &derive_signing_key(secret.expose(), date, region, product),
                message,
            ),
        }
    }

    /// The cache entry for these inputs, derived and stored on a miss (`None` never happens:
    /// the slot is in range by construction).
    fn entry(
        &mut self,
        secret: &AccessKeySecret,
        date: &str,
        region: &str,
        product: &str,
    ) -> Option<&Entry> {
        let hit = self.entries.iter().position(|e| {
            e.date == date
                && e.region == region
                && e.product == product
                && e.secret_hash == *secret.hash()
        });
        let slot = if let Some(i) = hit {
            i
        } else {
            let key = derive_signing_key(secret.expose(), date, region, product);
            let entry = Entry {
                secret_hash: *secret.hash(),
                date: date.to_owned(),
                region: region.to_owned(),
                product: product.to_owned(),
                #[cfg(test)]
                key,
                mac: HmacSha256::new(&key),
            };
            // Full: the next slot in turn is replaced (the oldest entry).
            if self.entries.len() < CACHE_SIZE {
                self.entries.push(entry);
                self.entries.len() - 1
            } else {
                let i = self.next % CACHE_SIZE;
                if let Some(slot) = self.entries.get_mut(i) {
                    *slot = entry;
                }
                self.next = (self.next + 1) % CACHE_SIZE;
                i
            }
        };
        self.entries.get(slot)
    }

    /// Forgets every key (for example when credentials are dropped).
    pub fn clear(&mut self) {
        self.entries.clear();
        self.next = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_key_matches_reference_check_value() {
        let k = derive_signing_key("sk", "20231216", "cn-hangzhou", "oss");
        assert_eq!(
            hex::encode(k),
            "b412a03b134ebddd720f5167b5de6db66620ebb3b01cff4d49e3ccb09f8de97f"
        );
    }

    #[test]
    fn cache_returns_same_key_and_distinguishes_inputs() {
        let mut c = SigningKeyCache::new();
        let a = c.key("sk", "20231216", "cn-hangzhou", "oss");
        assert_eq!(a, c.key("sk", "20231216", "cn-hangzhou", "oss"));
        assert_ne!(a, c.key("sk", "20231217", "cn-hangzhou", "oss"));
        assert_ne!(a, c.key("sk2", "20231216", "cn-hangzhou", "oss"));
        assert_ne!(a, c.key("sk", "20231216", "cn-hangzho", "uoss"));
        for i in 0..10 {
            c.key("sk", &format!("2023121{i}"), "r", "oss");
        }
        assert!(c.entries.len() <= CACHE_SIZE);
        assert!(!format!("{c:?}").contains("sk"));
    }
}
