//! Shared server state: configuration, clock, STS registry, CORS rules, faults.

use crate::cors::{default_rule, CorsRule};
use crate::policy::Policy;
use crate::store::{random_bytes, random_hex_upper, Store};
use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Development long-term AccessKeyId.
pub const DEV_ACCESS_KEY_ID: &str = "LTAI5tEmulatorDevKey00";
/// Development long-term AccessKeySecret.
pub const DEV_ACCESS_KEY_SECRET: &str = "emulator-dev-secret-not-for-production";

/// Real STS settings (from the environment).
#[derive(Debug, Clone)]
pub struct RealSts {
    /// Long-term AccessKeyId.
    pub access_key_id: String,
    /// Long-term AccessKeySecret.
    pub access_key_secret: String,
    /// Role ARN.
    pub role_arn: String,
    /// Real bucket, if set.
    pub bucket: Option<String>,
    /// Real region, if set.
    pub region: Option<String>,
}

/// Configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Bind address.
    pub host: String,
    /// Port (0 = any free port).
    pub port: u16,
    /// Buckets.
    pub buckets: Vec<String>,
    /// Region.
    pub region: String,
    /// Static site root.
    pub www: Option<PathBuf>,
    /// `/pkg/` root.
    pub pkg: Option<PathBuf>,
    /// Persistent data directory (None = temporary).
    pub data_dir: Option<PathBuf>,
    /// STS credential lifetime.
    pub sts_ttl_secs: u64,
    /// Default CORS ExposeHeaders.
    pub cors_expose: Vec<String>,
    /// Dev key id.
    pub dev_access_key_id: String,
    /// Dev key secret.
    pub dev_access_key_secret: String,
    /// Default inline policy for minted credentials.
    pub sts_policy: Option<String>,
    /// Real STS mode.
    pub real_sts: Option<RealSts>,
    /// Skip MD5 (ETag = CRC-64 ‖ size) unless the request carries Content-MD5: for benchmarks.
    pub fast_etag: bool,
    /// Put OSS's documented `xmlns` on the InitiateMultipartUpload, CompleteMultipartUpload and
    /// ListParts result roots (`--xml-namespace` or `OSS_EMULATOR_XML_NAMESPACE=1`).
    pub xml_namespace: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 0,
            buckets: vec!["demo".into()],
            region: "cn-hangzhou".into(),
            www: None,
            pkg: None,
            data_dir: None,
            sts_ttl_secs: 900,
            cors_expose: crate::cors::DEFAULT_EXPOSE
                .iter()
                .map(|s| (*s).to_string())
                .collect(),
            dev_access_key_id: DEV_ACCESS_KEY_ID.into(),
            dev_access_key_secret: DEV_ACCESS_KEY_SECRET.into(),
            sts_policy: None,
            real_sts: None,
            fast_etag: false,
            xml_namespace: false,
        }
    }
}

/// Credentials minted by `/sts`.
#[derive(Debug, Clone)]
pub struct StsCred {
    /// `STS.…`
    pub access_key_id: String,
    /// Secret.
    pub access_key_secret: String,
    /// Token.
    pub security_token: String,
    /// Expiry, unix ms.
    pub expires_ms: i64,
    /// Inline policy.
    pub policy: Option<Arc<Policy>>,
}

pub use crate::faults::Fault;

/// Shared state.
#[derive(Debug)]
pub struct State {
    /// Configuration.
    pub cfg: Config,
    /// Storage.
    pub store: Store,
    /// The port actually bound.
    pub port: AtomicU64,
    clock_offset_ms: AtomicI64,
    sts: Mutex<HashMap<String, StsCred>>,
    sts_count: AtomicU64,
    /// Requests answered outside the admin API (OSS, STS, app server, static files, preflights).
    request_count: AtomicU64,
    /// Answer InvalidAccessKeyId instead of SecurityTokenExpired.
    pub expired_as_invalid_ak: AtomicBool,
    cors: Mutex<HashMap<String, Vec<CorsRule>>>,
    /// Fault rules, their counters and the request journal.
    pub faults: crate::faults::Faults,
    /// Bandwidth throttle for request bodies (admin `throttle`).
    pub throttle: crate::throttle::Throttle,
    /// Temporary data dir to remove at exit.
    pub temp_dir: Option<PathBuf>,
    /// The text fields of recent PostObject forms (admin `post-forms`), for leak scans: a
    /// browser's DevTools do not show multipart bodies, so the test harness asks here.
    post_forms: Mutex<VecDeque<PostForm>>,
}

/// The text fields of one PostObject form (the file part excluded), as received.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PostForm {
    /// Bucket the form was posted to.
    pub bucket: String,
    /// `[name, value]` in order, names lower-cased.
    pub fields: Vec<(String, String)>,
}

/// How many forms `post-forms` keeps (the oldest are dropped first).
const POST_FORMS_KEPT: usize = 4096;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn base62(n: usize) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    random_bytes(n)
        .iter()
        .map(|b| char::from(A.get(usize::from(*b) % A.len()).copied().unwrap_or(b'A')))
        .collect()
}

impl State {
    /// Build the state (opens the store).
    pub fn new(cfg: Config) -> std::io::Result<Self> {
        let (root, temp_dir) = match &cfg.data_dir {
            Some(d) => (d.clone(), None),
            None => {
                let d = std::env::temp_dir().join(format!(
                    "oss-emulator-{}-{}",
                    std::process::id(),
                    random_hex_upper(4)
                ));
                (d.clone(), Some(d))
            }
        };
        let store = Store::open(&root, &cfg.buckets)?;
        let cors = cfg
            .buckets
            .iter()
            .map(|b| (b.clone(), vec![default_rule(&cfg.cors_expose)]))
            .collect();
        Ok(Self {
            cfg,
            store,
            port: AtomicU64::new(0),
            clock_offset_ms: AtomicI64::new(0),
            sts: Mutex::new(HashMap::new()),
            sts_count: AtomicU64::new(0),
            request_count: AtomicU64::new(0),
            post_forms: Mutex::default(),
            expired_as_invalid_ak: AtomicBool::new(false),
            cors: Mutex::new(cors),
            faults: crate::faults::Faults::default(),
            throttle: crate::throttle::Throttle::default(),
            temp_dir,
        })
    }

    /// Server time, unix ms (system clock plus the injected skew).
    pub fn now_ms(&self) -> i64 {
        let sys = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        sys + self.clock_offset_ms.load(Ordering::Relaxed)
    }

    /// Set the clock skew.
    pub fn set_skew_secs(&self, secs: i64) {
        self.clock_offset_ms
            .store(secs.saturating_mul(1000), Ordering::Relaxed);
    }

    /// Clock skew in seconds.
    pub fn skew_secs(&self) -> i64 {
        self.clock_offset_ms.load(Ordering::Relaxed) / 1000
    }

    /// Is this a configured bucket?
    pub fn has_bucket(&self, b: &str) -> bool {
        self.cfg.buckets.iter().any(|x| x == b)
    }

    /// The bound port.
    pub fn port(&self) -> u64 {
        self.port.load(Ordering::Relaxed)
    }

    // ---- STS ----

    /// Mint credentials (`count`: include in the `/sts` counter).
    pub fn mint(&self, ttl_secs: u64, policy: Option<Arc<Policy>>, count: bool) -> StsCred {
        use base64::Engine;
        let token = format!(
            "CAIS{}",
            base64::engine::general_purpose::STANDARD.encode(random_bytes(90))
        );
        let cred = StsCred {
            access_key_id: format!("STS.{}", base62(24)),
            access_key_secret: base62(40),
            security_token: token,
            expires_ms: self.now_ms()
                + i64::try_from(ttl_secs.saturating_mul(1000)).unwrap_or(i64::MAX / 2),
            policy,
        };
        lock(&self.sts).insert(cred.access_key_id.clone(), cred.clone());
        if count {
            self.sts_count.fetch_add(1, Ordering::SeqCst);
        }
        cred
    }

    /// Minted credential by AK.
    pub fn sts_cred(&self, ak: &str) -> Option<StsCred> {
        lock(&self.sts).get(ak).cloned()
    }

    /// Is this token held by some other minted credential?
    pub fn token_known(&self, token: &str) -> bool {
        lock(&self.sts).values().any(|c| c.security_token == token)
    }

    /// Every secret this emulator handed out or holds: the dev (and real-mode) AccessKeySecret,
    /// then each minted credential's AccessKeySecret and SecurityToken (for leak scans).
    pub fn issued_secrets(&self) -> (Vec<String>, Vec<String>) {
        let mut secrets = vec![self.cfg.dev_access_key_secret.clone()];
        secrets.extend(
            self.cfg
                .real_sts
                .iter()
                .map(|r| r.access_key_secret.clone()),
        );
        let mut tokens = Vec::new();
        for c in lock(&self.sts).values() {
            secrets.push(c.access_key_secret.clone());
            tokens.push(c.security_token.clone());
        }
        (secrets, tokens)
    }

    /// Number minted.
    pub fn sts_count(&self) -> u64 {
        self.sts_count.load(Ordering::SeqCst)
    }

    /// Counts one request outside the admin API.
    pub fn count_request(&self) {
        self.request_count.fetch_add(1, Ordering::SeqCst);
    }

    /// Keeps the text fields of a PostObject form (see `post_forms`).
    pub fn record_post_form(&self, bucket: &str, fields: &[(String, String)]) {
        let mut forms = lock(&self.post_forms);
        if forms.len() >= POST_FORMS_KEPT {
            forms.pop_front();
        }
        forms.push_back(PostForm {
            bucket: bucket.to_owned(),
            fields: fields.to_vec(),
        });
    }

    /// The PostObject forms kept, oldest first.
    pub fn post_forms(&self) -> Vec<PostForm> {
        lock(&self.post_forms).iter().cloned().collect()
    }

    /// Requests received outside the admin API since start.
    pub fn request_count(&self) -> u64 {
        self.request_count.load(Ordering::SeqCst)
    }

    /// Expire every minted credential now.
    pub fn expire_all(&self) -> usize {
        let now = self.now_ms();
        let mut g = lock(&self.sts);
        for c in g.values_mut() {
            c.expires_ms = c.expires_ms.min(now - 1);
        }
        g.len()
    }

    // ---- CORS ----

    /// Rules of a bucket.
    pub fn cors_rules(&self, bucket: &str) -> Vec<CorsRule> {
        lock(&self.cors).get(bucket).cloned().unwrap_or_default()
    }

    /// Replace a bucket's rules.
    pub fn set_cors_rules(&self, bucket: &str, rules: Vec<CorsRule>) {
        lock(&self.cors).insert(bucket.to_string(), rules);
    }

    /// Reset every bucket to the default rule.
    pub fn reset_cors(&self) {
        let mut g = lock(&self.cors);
        for b in &self.cfg.buckets {
            g.insert(b.clone(), vec![default_rule(&self.cfg.cors_expose)]);
        }
    }

    // ---- faults ----

    /// Add a fault; returns its id.
    pub fn add_fault(&self, f: Fault) -> u64 {
        self.faults.add(f)
    }

    /// Pending faults.
    pub fn faults(&self) -> Vec<Fault> {
        self.faults.list()
    }

    /// Remove every fault.
    pub fn clear_faults(&self) {
        self.faults.clear();
    }

    /// The fault for this request, if a rule fires (see [`crate::faults::Faults::take`]).
    pub fn take_fault(
        &self,
        method: &str,
        path_and_query: &str,
        part: Option<u32>,
        content_length: Option<u64>,
    ) -> Option<crate::faults::Injected> {
        self.faults
            .take(method, path_and_query, part, content_length)
    }
}

impl Drop for State {
    fn drop(&mut self) {
        if let Some(d) = &self.temp_dir {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}
