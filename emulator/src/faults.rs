//! Fault injection: rules matched against every request except the admin API and CORS
//! preflights, firing for the next N matching requests, at a seeded pseudo-random rate, or along
//! a cyclic pattern; each firing answers an error status, drops the connection (at once, after
//! N body bytes, or half-way through the body), delays, or picks one of a `mix` of those.
//!
//! Also kept here, for tests to check what a client really did under faults: counters of the
//! faults injected, and a bounded journal of recent requests (method, path, query, status, OSS
//! code, fault).

use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

/// What a firing rule does.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Action {
    /// Answer this status…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// …with this OSS code (default `InternalError`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Error message (default `Injected fault.`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Sleep this long first (then go on, or apply the rest of the action).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    /// Read this many body bytes, then close the connection without an answer (`0`: at once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drop_after_bytes: Option<u64>,
    /// Read half the body (by `Content-Length`, at least one byte), then close the connection.
    #[serde(default, skip_serializing_if = "is_false")]
    pub drop_mid_body: bool,
    /// Handle the request (store the object…), then close the connection instead of answering:
    /// the client cannot know whether it landed.
    #[serde(default, skip_serializing_if = "is_false")]
    pub lose_answer: bool,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_false(b: &bool) -> bool {
    !*b
}

impl Action {
    fn is_empty(&self) -> bool {
        self.status.is_none()
            && self.delay_ms.is_none()
            && self.drop_after_bytes.is_none()
            && !self.drop_mid_body
            && !self.lose_answer
    }

    /// The kind counted: `drop` wins over `lost`, then `status`, then `delay`.
    fn kind(&self) -> Kind {
        if self.drop_after_bytes.is_some() || self.drop_mid_body {
            Kind::Drop
        } else if self.lose_answer {
            Kind::Lost
        } else if self.status.is_some() {
            Kind::Status
        } else {
            Kind::Delay
        }
    }
}

/// What a fault did to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Answered an injected error status.
    Status,
    /// Dropped the connection.
    Drop,
    /// Handled the request, then dropped the connection instead of answering.
    Lost,
    /// Only delayed it.
    Delay,
}

impl Kind {
    /// `status`, `drop` or `delay`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Status => "status",
            Self::Drop => "drop",
            Self::Lost => "lost",
            Self::Delay => "delay",
        }
    }
}

/// A fault rule as posted to `/_emulator/faults` and listed by `GET /_emulator/faults`.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", try_from = "FaultSpec")]
pub struct Fault {
    /// Id (assigned).
    pub id: u64,
    /// Match: HTTP method (any case); None = any.
    pub method: Option<String>,
    /// Match: substring of the path (and query).
    pub path: Option<String>,
    /// Match: partNumber query value.
    pub part_number: Option<u32>,
    /// Faults left to inject; the rule is removed at 0.
    pub times: u64,
    /// Respond with this status…
    pub status: Option<u16>,
    /// …and this OSS code.
    pub code: Option<String>,
    /// Error message.
    pub message: Option<String>,
    /// Delay before handling (ms).
    pub delay_ms: Option<u64>,
    /// Drop the connection after reading this many body bytes.
    pub drop_after_bytes: Option<u64>,
    /// Drop the connection half-way through the body.
    #[serde(skip_serializing_if = "is_false")]
    pub drop_mid_body: bool,
    /// Handle the request, then close the connection instead of answering.
    #[serde(skip_serializing_if = "is_false")]
    pub lose_answer: bool,
    /// Fire for this fraction of matching requests (seeded PRNG); None = every one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
    /// PRNG seed (`rate` and `mix` choices repeat for the same sequence of requests).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Cyclic over matching requests: `F`/`X`/`1` fire, anything else lets the request through.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// Actions to pick from at random for each firing (instead of the rule's own action).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mix: Vec<Action>,
    /// Requests matched so far.
    pub matched: u64,
    /// Faults injected so far.
    pub injected: u64,
    #[serde(skip)]
    rng: u64,
}

/// The posted form of a rule (`times` optional: 1 for plain rules, unlimited with a rate or a
/// pattern).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FaultSpec {
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    part_number: Option<u32>,
    #[serde(default)]
    times: Option<u64>,
    #[serde(default)]
    rate: Option<f64>,
    #[serde(default)]
    seed: Option<u64>,
    #[serde(default)]
    pattern: Option<String>,
    #[serde(default)]
    mix: Vec<Action>,
    #[serde(default)]
    status: Option<u16>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    delay_ms: Option<u64>,
    #[serde(default)]
    drop_after_bytes: Option<u64>,
    #[serde(default)]
    drop_mid_body: bool,
    #[serde(default)]
    lose_answer: bool,
}

impl TryFrom<FaultSpec> for Fault {
    type Error = String;

    fn try_from(s: FaultSpec) -> Result<Self, String> {
        let action = Action {
            status: s.status,
            code: s.code,
            message: s.message,
            delay_ms: s.delay_ms,
            drop_after_bytes: s.drop_after_bytes,
            drop_mid_body: s.drop_mid_body,
            lose_answer: s.lose_answer,
        };
        if action.is_empty() && s.mix.is_empty() {
            return Err(
                "a fault needs status, dropAfterBytes, dropMidBody, loseAnswer, delayMs or a mix"
                    .into(),
            );
        }
        if s.mix.iter().any(Action::is_empty) {
            return Err(
                "every mix entry needs status, dropAfterBytes, dropMidBody, loseAnswer or delayMs"
                    .into(),
            );
        }
        if let Some(r) = s.rate {
            if !(r > 0.0 && r <= 1.0) {
                return Err("rate must be in (0, 1]".into());
            }
        }
        if s.pattern.as_deref().is_some_and(|p| !p.bytes().any(fires)) {
            return Err("pattern needs at least one F (fire)".into());
        }
        let unlimited = s.rate.is_some() || s.pattern.is_some();
        let times = s
            .times
            .unwrap_or(if unlimited { u64::from(u32::MAX) } else { 1 });
        if times == 0 {
            return Err("times must be at least 1".into());
        }
        let seed = s.seed.unwrap_or(0x5EED_F00D);
        Ok(Self {
            id: 0,
            method: s.method,
            path: s.path,
            part_number: s.part_number,
            times,
            status: action.status,
            code: action.code,
            message: action.message,
            delay_ms: action.delay_ms,
            drop_after_bytes: action.drop_after_bytes,
            drop_mid_body: action.drop_mid_body,
            lose_answer: action.lose_answer,
            rate: s.rate,
            seed: s.seed,
            pattern: s.pattern,
            mix: s.mix,
            matched: 0,
            injected: 0,
            rng: seed,
        })
    }
}

fn fires(b: u8) -> bool {
    matches!(b, b'F' | b'f' | b'X' | b'x' | b'1')
}

/// SplitMix64: small, fast, and the same sequence on every platform.
fn next_u64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A uniform draw in [0, 1).
#[allow(clippy::cast_precision_loss)]
fn next_unit(state: &mut u64) -> f64 {
    (next_u64(state) >> 11) as f64 / (1u64 << 53) as f64
}

impl Fault {
    fn matches(&self, method: &str, path_and_query: &str, part: Option<u32>) -> bool {
        self.times > 0
            && self
                .method
                .as_deref()
                .map_or(true, |m| m.eq_ignore_ascii_case(method))
            && self
                .path
                .as_deref()
                .map_or(true, |p| path_and_query.contains(p))
            && self.part_number.map_or(true, |n| Some(n) == part)
    }

    /// Counts a matching request and decides whether the rule fires for it.
    fn fire(&mut self) -> bool {
        let i = self.matched;
        self.matched += 1;
        if let Some(p) = self.pattern.as_deref().filter(|p| !p.is_empty()) {
            let len = p.len() as u64;
            let at = usize::try_from(i % len).unwrap_or(0);
            if !p.as_bytes().get(at).copied().is_some_and(fires) {
                return false;
            }
        }
        if let Some(r) = self.rate {
            if next_unit(&mut self.rng) >= r {
                return false;
            }
        }
        true
    }

    /// The action of this firing.
    fn action(&mut self) -> Action {
        if self.mix.is_empty() {
            return Action {
                status: self.status,
                code: self.code.clone(),
                message: self.message.clone(),
                delay_ms: self.delay_ms,
                drop_after_bytes: self.drop_after_bytes,
                drop_mid_body: self.drop_mid_body,
                lose_answer: self.lose_answer,
            };
        }
        let n = self.mix.len() as u64;
        let at = usize::try_from(next_u64(&mut self.rng) % n).unwrap_or(0);
        self.mix.get(at).cloned().unwrap_or_default()
    }
}

/// A fault to apply to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Injected {
    /// Id of the rule.
    pub rule: u64,
    /// What it does.
    pub kind: Kind,
    /// Sleep first.
    pub delay_ms: Option<u64>,
    /// Drop the connection after this many body bytes (0: before reading any).
    pub drop_after_bytes: Option<u64>,
    /// Else answer this status with `code` and `message`.
    pub status: Option<u16>,
    /// OSS code.
    pub code: String,
    /// Message.
    pub message: String,
}

/// One request as the journal keeps it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// Sequence number (from 1).
    pub seq: u64,
    /// Method.
    pub method: String,
    /// Raw path.
    pub path: String,
    /// Raw query.
    pub query: String,
    /// Status answered (0: connection dropped without an answer).
    pub status: u16,
    /// OSS error code, `-` for none, `DROP` for a dropped connection.
    pub code: String,
    /// The fault injected (`status`, `drop`, `lost`, `delay`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<&'static str>,
    /// Server time at arrival, unix ms (with the injected clock skew).
    pub at_ms: i64,
    /// System time when the request ended (answered or dropped), unix ms, without skew: compare
    /// it with the client's clock.
    pub end_ms: i64,
}

/// Journal capacity (oldest entries are dropped first).
pub const JOURNAL_CAP: usize = 200_000;

/// Fault rules, counters and the request journal.
#[derive(Debug, Default)]
pub struct Faults {
    rules: Mutex<Vec<Fault>>,
    seq: AtomicU64,
    matched: AtomicU64,
    status: AtomicU64,
    drops: AtomicU64,
    lost: AtomicU64,
    delays: AtomicU64,
    journal: Mutex<VecDeque<Entry>>,
    journal_seq: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Counters of injected faults.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    /// Requests that matched a rule (fired or not).
    pub matched: u64,
    /// Faults that failed a request: `status + drops + lost`.
    pub injected: u64,
    /// Injected error answers.
    pub status: u64,
    /// Dropped connections.
    pub drops: u64,
    /// Answers lost after the request was handled.
    pub lost: u64,
    /// Delays only (the request then went on).
    pub delays: u64,
}

impl Faults {
    /// Adds a rule; returns its id.
    pub fn add(&self, mut f: Fault) -> u64 {
        let id = self.seq.fetch_add(1, Ordering::SeqCst) + 1;
        f.id = id;
        lock(&self.rules).push(f);
        id
    }

    /// Rules still active.
    pub fn list(&self) -> Vec<Fault> {
        lock(&self.rules).clone()
    }

    /// Removes every rule (counters and journal are kept).
    pub fn clear(&self) {
        lock(&self.rules).clear();
    }

    /// The fault for this request: the first matching rule that fires (every matching rule up
    /// to it counts the request; a plain rule always fires, so it shadows the rules after it).
    pub fn take(
        &self,
        method: &str,
        path_and_query: &str,
        part: Option<u32>,
        content_length: Option<u64>,
    ) -> Option<Injected> {
        let mut g = lock(&self.rules);
        let mut matched = false;
        let mut fired = None;
        for (i, f) in g.iter_mut().enumerate() {
            if f.matches(method, path_and_query, part) {
                matched = true;
                if f.fire() {
                    fired = Some(i);
                    break;
                }
            }
        }
        if matched {
            self.matched.fetch_add(1, Ordering::Relaxed);
        }
        let idx = fired?;
        let f = g.get_mut(idx)?;
        let a = f.action();
        f.times -= 1;
        f.injected += 1;
        let rule = f.id;
        if f.times == 0 {
            g.remove(idx);
        }
        drop(g);
        let kind = a.kind();
        match kind {
            Kind::Status => &self.status,
            Kind::Drop => &self.drops,
            Kind::Lost => &self.lost,
            Kind::Delay => &self.delays,
        }
        .fetch_add(1, Ordering::Relaxed);
        let drop_after_bytes = if a.drop_mid_body {
            // Half the body, at least one byte: the connection dies with part of it received.
            Some(content_length.map_or(0, |l| (l / 2).max(1)))
        } else {
            a.drop_after_bytes
        };
        Some(Injected {
            rule,
            kind,
            delay_ms: a.delay_ms,
            drop_after_bytes,
            status: a.status,
            code: a.code.unwrap_or_else(|| "InternalError".into()),
            message: a.message.unwrap_or_else(|| "Injected fault.".into()),
        })
    }

    /// Counters since start (or the last [`Faults::reset_stats`]).
    pub fn stats(&self) -> Stats {
        let status = self.status.load(Ordering::Relaxed);
        let drops = self.drops.load(Ordering::Relaxed);
        let lost = self.lost.load(Ordering::Relaxed);
        Stats {
            matched: self.matched.load(Ordering::Relaxed),
            injected: status + drops + lost,
            status,
            drops,
            lost,
            delays: self.delays.load(Ordering::Relaxed),
        }
    }

    /// Zeroes the counters.
    pub fn reset_stats(&self) {
        for c in [
            &self.matched,
            &self.status,
            &self.drops,
            &self.lost,
            &self.delays,
        ] {
            c.store(0, Ordering::Relaxed);
        }
    }

    /// Journals a finished request.
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        &self,
        method: &str,
        path: &str,
        query: &str,
        status: u16,
        code: &str,
        fault: Option<Kind>,
        at_ms: i64,
    ) {
        let end_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        let seq = self.journal_seq.fetch_add(1, Ordering::SeqCst) + 1;
        let mut j = lock(&self.journal);
        if j.len() >= JOURNAL_CAP {
            j.pop_front();
        }
        j.push_back(Entry {
            seq,
            method: method.to_owned(),
            path: path.to_owned(),
            query: query.to_owned(),
            status,
            code: code.to_owned(),
            fault: fault.map(Kind::as_str),
            at_ms,
            end_ms,
        });
    }

    /// Journal entries after `since` (at most `limit`), and the last sequence number given.
    pub fn journal(&self, since: u64, limit: usize) -> (Vec<Entry>, u64) {
        let j = lock(&self.journal);
        let out: Vec<Entry> = j
            .iter()
            .filter(|e| e.seq > since)
            .take(limit)
            .cloned()
            .collect();
        let last = out.last().map_or(since, |e| e.seq);
        (out, last)
    }

    /// Forgets the journal.
    pub fn clear_journal(&self) {
        lock(&self.journal).clear();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn rule(json: &str) -> Fault {
        serde_json::from_str(json).unwrap()
    }

    fn run(f: &Faults, n: usize, path: &str) -> Vec<Option<Injected>> {
        (0..n)
            .map(|_| f.take("PUT", path, Some(1), Some(1000)))
            .collect()
    }

    #[test]
    fn plain_rules_fire_for_the_next_n_then_vanish() {
        let f = Faults::default();
        f.add(rule(
            r#"{"method":"PUT","times":2,"status":503,"code":"ServiceUnavailable"}"#,
        ));
        assert!(
            f.take("GET", "/k", None, None).is_none(),
            "method must match"
        );
        let got = run(&f, 3, "/k?partNumber=1");
        assert_eq!(got[0].as_ref().unwrap().status, Some(503));
        assert_eq!(got[0].as_ref().unwrap().code, "ServiceUnavailable");
        assert!(got[1].is_some());
        assert!(got[2].is_none());
        assert!(f.list().is_empty());
        assert_eq!(
            f.stats(),
            Stats {
                matched: 2,
                injected: 2,
                status: 2,
                drops: 0,
                lost: 0,
                delays: 0
            }
        );
    }

    #[test]
    fn a_rate_rule_is_deterministic_for_a_seed_and_close_to_its_rate() {
        let spec = r#"{"path":"uploadId=","rate":0.1,"seed":7,"mix":[
            {"status":503,"code":"ServiceUnavailable"},{"status":500},{"dropMidBody":true}]}"#;
        let a = Faults::default();
        a.add(rule(spec));
        let b = Faults::default();
        b.add(rule(spec));
        let ra = run(&a, 10_000, "/big?partNumber=1&uploadId=U");
        let rb = run(&b, 10_000, "/big?partNumber=1&uploadId=U");
        assert_eq!(ra, rb, "same seed, same faults");
        let fired = ra.iter().flatten().count();
        assert!((900..1100).contains(&fired), "{fired} of 10000 at rate 0.1");
        let kinds = |k: Kind| ra.iter().flatten().filter(|i| i.kind == k).count();
        let (status, drops) = (kinds(Kind::Status), kinds(Kind::Drop));
        assert_eq!(status + drops, fired);
        assert!(
            drops > fired / 5 && drops < fired / 2,
            "drops {drops} of {fired}"
        );
        let codes = |c: &str| {
            ra.iter()
                .flatten()
                .filter(|i| i.status.is_some() && i.code == c)
                .count()
        };
        assert!(codes("ServiceUnavailable") > 0 && codes("InternalError") > 0);
        // dropMidBody reads half of Content-Length
        let d = ra.iter().flatten().find(|i| i.kind == Kind::Drop).unwrap();
        assert_eq!(d.drop_after_bytes, Some(500));
        let s = a.stats();
        assert_eq!(s.matched, 10_000);
        assert_eq!(s.injected as usize, fired);
        assert_eq!((s.status + s.drops) as usize, fired);
        assert_eq!(a.list()[0].injected as usize, fired);
        // another seed, other requests
        let c = Faults::default();
        c.add(rule(&spec.replace("\"seed\":7", "\"seed\":8")));
        assert_ne!(run(&c, 10_000, "/big?partNumber=1&uploadId=U"), ra);
    }

    #[test]
    fn a_pattern_fires_cyclically_and_times_bounds_the_faults() {
        let f = Faults::default();
        f.add(rule(
            r#"{"path":"/sts","pattern":"FF.","status":503,"code":"ServiceUnavailable"}"#,
        ));
        let fired: Vec<bool> = (0..9)
            .map(|_| f.take("GET", "/sts", None, None).is_some())
            .collect();
        assert_eq!(
            fired,
            [true, true, false, true, true, false, true, true, false]
        );
        let g = Faults::default();
        g.add(rule(r#"{"pattern":"x.","times":2,"dropAfterBytes":0}"#));
        let fired: Vec<bool> = (0..6)
            .map(|_| g.take("PUT", "/k", None, None).is_some())
            .collect();
        assert_eq!(fired, [true, false, true, false, false, false]);
        assert!(g.list().is_empty(), "removed after `times` faults");
        assert_eq!(g.stats().drops, 2);
    }

    #[test]
    fn lose_answer_is_its_own_kind_and_counted() {
        let f = Faults::default();
        f.add(rule(r#"{"loseAnswer":true,"status":503,"times":2}"#));
        let i = f.take("POST", "/k?uploadId=U", None, None).unwrap();
        assert_eq!((i.kind, i.drop_after_bytes), (Kind::Lost, None));
        f.take("POST", "/k?uploadId=U", None, None).unwrap();
        let s = f.stats();
        assert_eq!((s.lost, s.injected, s.status), (2, 2, 0));
    }

    #[test]
    fn drop_mid_body_without_a_length_drops_at_once() {
        let f = Faults::default();
        f.add(rule(r#"{"dropMidBody":true}"#));
        let i = f.take("PUT", "/k", None, None).unwrap();
        assert_eq!((i.kind, i.drop_after_bytes), (Kind::Drop, Some(0)));
        f.add(rule(r#"{"dropMidBody":true}"#));
        let i = f.take("PUT", "/k", None, Some(1)).unwrap();
        assert_eq!(i.drop_after_bytes, Some(1));
    }

    #[test]
    fn bad_rules_are_refused_with_a_reason() {
        for (json, why) in [
            (r#"{"path":"/x"}"#, "needs status"),
            (r#"{"status":503,"rate":0}"#, "rate"),
            (r#"{"status":503,"rate":1.5}"#, "rate"),
            (r#"{"status":503,"pattern":"..."}"#, "pattern"),
            (r#"{"status":503,"times":0}"#, "times"),
            (r#"{"mix":[{"code":"X"}]}"#, "mix entry"),
            (r#"{"status":503,"rates":0.1}"#, "unknown field"),
        ] {
            let e = serde_json::from_str::<Fault>(json).unwrap_err().to_string();
            assert!(e.contains(why), "{json}: {e}");
        }
    }

    #[test]
    fn the_first_rule_that_fires_wins_and_delays_are_counted_apart() {
        let f = Faults::default();
        f.add(rule(r#"{"path":"/a","delayMs":1,"times":5}"#));
        f.add(rule(r#"{"status":500}"#));
        let i = f.take("PUT", "/a", None, None).unwrap();
        assert_eq!((i.kind, i.delay_ms, i.status), (Kind::Delay, Some(1), None));
        assert_eq!(f.take("PUT", "/b", None, None).unwrap().status, Some(500));
        // a pattern rule that lets a request through hands it to the next rule
        let g = Faults::default();
        g.add(rule(r#"{"pattern":"F.","status":503}"#));
        g.add(rule(r#"{"status":500,"times":9}"#));
        let got: Vec<u16> = (0..4)
            .filter_map(|_| g.take("GET", "/x", None, None)?.status)
            .collect();
        assert_eq!(got, [503, 500, 503, 500]);
        assert_eq!(g.list()[0].matched, 4);
        assert_eq!(g.list()[1].matched, 2);
        let s = f.stats();
        assert_eq!((s.injected, s.delays, s.status), (1, 1, 1));
        f.reset_stats();
        assert_eq!(f.stats().matched, 0);
    }

    #[test]
    fn the_journal_keeps_requests_in_order_and_pages() {
        let f = Faults::default();
        for i in 0..5u16 {
            f.record("PUT", "/k", "", 200 + i, "-", None, 0);
        }
        f.record("PUT", "/k", "partNumber=1", 0, "DROP", Some(Kind::Drop), 0);
        let (all, last) = f.journal(0, 100);
        assert_eq!(all.len(), 6);
        assert_eq!(last, 6);
        assert_eq!(all[5].fault, Some("drop"));
        let (page, last) = f.journal(2, 2);
        assert_eq!(
            page.iter().map(|e| e.seq).collect::<Vec<_>>(),
            [3, 4],
            "since is exclusive"
        );
        assert_eq!(last, 4);
        assert!(f.journal(6, 10).0.is_empty());
    }
}
