//! The credential cache: fresh / refresh-soon / expired at `now`, one shared fetch for all
//! concurrent callers, retries with backoff and jitter, and invalidation by epoch so that N
//! requests failing with the same expired token cause one refetch, not N.

use super::flight::{Flight, Runner};
use super::response::{self, TemporaryCredentials, DEFAULT_LIFETIME_SECS};
use super::Credentials;
use crate::error::{Error, Result};
use crate::upload::retry::RetryPolicy;
use crate::upload::skew::SkewClock;
use crate::upload::transport::Transport;
use core::cell::RefCell;
use std::rc::Rc;

/// STS's shortest credential lifetime (DurationSeconds 900).
const MIN_STS_LIFETIME_MS: i64 = 900_000;

/// OSS's advice: refresh STS credentials 60 seconds before they expire.
pub const DEFAULT_REFRESH_BEFORE_SECS: i64 = 60;

/// What a credential source answered. Its Debug output shows only the body's length (the body
/// holds the secret).
#[derive(Clone)]
pub struct SourceResponse {
    /// The response body (JSON text).
    pub body: String,
    /// The response's `Date` header, when readable (teaches the clock offset).
    pub date: Option<String>,
    /// Local clock when the request was sent and when the answer came.
    pub sent_ms: i64,
    /// See `sent_ms`.
    pub received_ms: i64,
}

impl core::fmt::Debug for SourceResponse {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SourceResponse")
            .field(
                "body",
                &format_args!("[redacted: {} bytes]", self.body.len()),
            )
            .field("date", &self.date)
            .field("sent_ms", &self.sent_ms)
            .field("received_ms", &self.received_ms)
            .finish()
    }
}

/// Why a credential source failed, and whether trying again may help.
#[derive(Debug, Clone)]
pub struct SourceFailure {
    /// The error (`CredentialProviderError`, `NetworkError`…).
    pub error: Error,
    /// Network failures, timeouts, 5xx and 429 are worth retrying; a 403 is not.
    pub retryable: bool,
}

/// Where credentials come from (a URL, a JS function…).
#[allow(async_fn_in_trait)] // single-threaded by design
pub trait CredentialSource {
    /// Fetches a credential response once.
    async fn fetch(&self) -> core::result::Result<SourceResponse, SourceFailure>;
}

/// Credentials in the cache, with their lifetime on the server's clock.
#[derive(Debug, Clone)]
pub struct CachedCredentials {
    /// The credentials.
    pub credentials: Rc<Credentials>,
    /// Expiry (server clock, ms since the epoch).
    pub expires_at_ms: i64,
    /// When they were received (server clock, ms).
    pub fetched_at_ms: i64,
    /// Increases with every fetch; names these credentials for [`CredentialCache::invalidate`].
    pub epoch: u64,
}

/// The state of cached credentials at some instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Use them.
    Fresh,
    /// Still valid, but refresh now (fall back to them if the refresh fails).
    RefreshSoon,
    /// Too close to expiry (or past it) to sign with.
    Expired,
}

impl CachedCredentials {
    /// Their lifetime from receipt to expiry.
    pub fn lifetime_ms(&self) -> i64 {
        (self.expires_at_ms - self.fetched_at_ms).max(0)
    }

    /// The refresh margin: the configured one, clamped to a fifth of the lifetime so short-lived
    /// credentials are used for most of their life instead of being fetched for every request.
    pub fn refresh_margin_ms(&self, configured_ms: i64) -> i64 {
        configured_ms.clamp(0, self.lifetime_ms() / 5)
    }

    /// The hard margin: a request signed later than this may arrive after expiry. 5 s, or a
    /// twentieth of short lifetimes.
    pub fn hard_margin_ms(&self) -> i64 {
        (self.lifetime_ms() / 20).min(5_000)
    }

    /// Fresh, refresh-soon or expired at `now_ms` (server clock).
    pub fn freshness(&self, now_ms: i64, refresh_before_ms: i64) -> Freshness {
        if now_ms >= self.expires_at_ms - self.hard_margin_ms() {
            Freshness::Expired
        } else if now_ms >= self.expires_at_ms - self.refresh_margin_ms(refresh_before_ms) {
            Freshness::RefreshSoon
        } else {
            Freshness::Fresh
        }
    }
}

#[derive(Debug, Default)]
struct State {
    current: Option<CachedCredentials>,
    flight: Option<Rc<Flight<Result<CachedCredentials>>>>,
    fetches: u32,
    epoch: u64,
    /// Until then (server clock, ms) credentials in refresh-soon state are used without trying
    /// to refresh them: a refresh failed (a short cool-down, not one retry cycle per request)
    /// or brought nothing newer (an app server that caches its STS credentials: until they
    /// expire).
    quiet_until_ms: i64,
}

/// After a failed refresh while the cached credentials are still valid, this long passes before
/// the next try.
const REFRESH_RETRY_MS: i64 = 10_000;

/// A snapshot for display (the demo's credential panel).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheStatus {
    /// Expiry of the cached credentials (server clock, ms), if any.
    pub expires_at_ms: Option<i64>,
    /// Successful fetches so far.
    pub fetches: u32,
}

/// Cached credentials with single-flight refresh.
#[derive(Debug)]
pub struct CredentialCache {
    state: RefCell<State>,
    refresh_before_ms: i64,
    retry: RetryPolicy,
}

impl CredentialCache {
    /// A cache refreshing `refresh_before_secs` before expiry; endpoint failures are retried
    /// per `retry`.
    pub fn new(refresh_before_secs: i64, retry: RetryPolicy) -> Self {
        Self {
            state: RefCell::default(),
            refresh_before_ms: refresh_before_secs.saturating_mul(1000),
            retry,
        }
    }

    /// Expiry and fetch count.
    pub fn status(&self) -> CacheStatus {
        let st = self.state.borrow();
        CacheStatus {
            expires_at_ms: st.current.as_ref().map(|c| c.expires_at_ms),
            fetches: st.fetches,
        }
    }

    /// Drops the cached credentials if they are still those of `epoch` (OSS rejected them).
    pub fn invalidate(&self, epoch: u64) {
        let mut st = self.state.borrow_mut();
        if st.current.as_ref().is_some_and(|c| c.epoch == epoch) {
            st.current = None;
        }
    }

    /// Adopts credentials fetched elsewhere (another tab) when they outlive the cached ones.
    pub fn offer(&self, creds: TemporaryCredentials, clock: &SkewClock, local_ms: i64) {
        let now = clock.now_ms(local_ms);
        let expires = creds
            .expiration_ms
            .unwrap_or(now + DEFAULT_LIFETIME_SECS * 1000);
        let mut st = self.state.borrow_mut();
        if st
            .current
            .as_ref()
            .is_some_and(|c| c.expires_at_ms >= expires)
            || expires <= now
        {
            return;
        }
        st.epoch += 1;
        st.current = Some(CachedCredentials {
            credentials: Rc::new(creds.credentials),
            expires_at_ms: expires,
            fetched_at_ms: now,
            epoch: st.epoch,
        });
    }

    /// Credentials fit to sign with now: cached when fresh; otherwise one fetch shared by every
    /// concurrent caller. In refresh-soon state a failed refresh falls back to the cached ones.
    pub fn get<'a, S: CredentialSource, T: Transport>(
        &'a self,
        source: &'a S,
        t: &'a T,
        clock: &'a SkewClock,
    ) -> impl core::future::Future<Output = Result<CachedCredentials>> + 'a {
        self.get_until(source, t, clock, i64::MIN)
    }

    /// [`Self::get`] for a signature meant to stay valid until `until_ms` (a presigned URL, a
    /// post policy): while another call refreshes credentials that expire before then, wait for
    /// the new ones rather than sign with the old (the URL would be capped to their last
    /// seconds). Falls back to the old ones if the refresh fails, as `get` does.
    pub async fn get_until<S: CredentialSource, T: Transport>(
        &self,
        source: &S,
        t: &T,
        clock: &SkewClock,
        until_ms: i64,
    ) -> Result<CachedCredentials> {
        loop {
            let now = clock.now_ms(t.now_ms());
            let (fallback, running) = {
                let st = self.state.borrow();
                let fallback = match &st.current {
                    Some(c) => match c.freshness(now, self.refresh_before_ms) {
                        Freshness::Fresh => return Ok(c.clone()),
                        Freshness::RefreshSoon if now < st.quiet_until_ms => return Ok(c.clone()),
                        Freshness::RefreshSoon => Some(c.clone()),
                        Freshness::Expired => None,
                    },
                    None => None,
                };
                let running = st.flight.clone().filter(|f| !f.is_done());
                // Still valid while another call refreshes them: use them, do not wait (unless
                // they expire before the signature needs them).
                if let (Some(old), Some(_)) = (&fallback, &running) {
                    if old.expires_at_ms >= until_ms {
                        return Ok(old.clone());
                    }
                }
                (fallback, running)
            };
            let result = if let Some(flight) = running {
                match flight.wait().await {
                    Some(r) => r,
                    None => continue, // its runner was dropped: start over
                }
            } else {
                let flight = Flight::new();
                self.state.borrow_mut().flight = Some(Rc::clone(&flight));
                let runner = Runner::new(flight);
                let mut r = self.fetch(source, t, clock).await;
                {
                    let mut st = self.state.borrow_mut();
                    st.flight = None;
                    match (&r, &fallback) {
                        // A refresh that brought nothing newer: keep the credentials and their
                        // lifetime as first seen (margins measured from this fetch would
                        // shrink at every refresh), and stop refreshing them.
                        (Ok(c), Some(old)) if c.expires_at_ms <= old.expires_at_ms => {
                            st.quiet_until_ms = old.expires_at_ms;
                            r = Ok(old.clone());
                        }
                        (Ok(c), _) => st.current = Some(c.clone()),
                        (Err(_), Some(_)) => {
                            st.quiet_until_ms = clock.now_ms(t.now_ms()) + REFRESH_RETRY_MS;
                        }
                        (Err(_), None) => {}
                    }
                }
                runner.finish(r.clone());
                r
            };
            return match (result, fallback) {
                (Ok(c), _) => Ok(c),
                (Err(_), Some(old)) => Ok(old),
                (Err(e), None) => Err(e),
            };
        }
    }

    async fn fetch<S: CredentialSource, T: Transport>(
        &self,
        source: &S,
        t: &T,
        clock: &SkewClock,
    ) -> Result<CachedCredentials> {
        let mut attempt = 1;
        let resp = loop {
            match source.fetch().await {
                Ok(r) => break r,
                Err(f) if f.retryable && attempt < self.retry.max_attempts => {
                    t.sleep(self.retry.delay_ms(attempt - 1, t.jitter())).await;
                    attempt += 1;
                }
                // A failure that may pass (STS 5xx, timeout…) stays retryable for the caller.
                Err(f) => {
                    return Err(match f.error {
                        Error::CredentialProvider(m) if f.retryable => {
                            Error::CredentialProviderUnavailable(m)
                        }
                        e => e,
                    })
                }
            }
        };
        let parsed = response::parse(&resp.body)?;
        if let Some(d) = &resp.date {
            clock.observe_date(d, resp.sent_ms, resp.received_ms);
        }
        let mut now = clock.now_ms(t.now_ms());
        let expires = parsed
            .expiration_ms
            .unwrap_or(now + DEFAULT_LIFETIME_SECS * 1000);
        // Credentials already past by a clock nothing has corrected yet (a credential function
        // gives no `Date`): this device is more likely ahead than STS wrong. Take OSS's time as
        // their expiry less STS's shortest lifetime, until OSS's answers (RequestTimeTooSkewed,
        // `Date`) set it right, instead of refusing every upload on a fast device. Past by over a
        // day, no clock error explains it: refused below.
        let plausible = now - expires < crate::upload::skew::DEVICE_CLOCK_SLACK_SECS * 1000;
        if !clock.is_learned() && now >= expires && plausible {
            clock.assume_offset(expires - MIN_STS_LIFETIME_MS - t.now_ms());
            now = clock.now_ms(t.now_ms());
        }
        let mut cached = CachedCredentials {
            credentials: Rc::new(parsed.credentials),
            expires_at_ms: expires,
            fetched_at_ms: now,
            epoch: 0,
        };
        if cached.freshness(now, 0) == Freshness::Expired {
            let mut m =
                String::from("the credential endpoint returned credentials that expire at ");
            push_iso(&mut m, expires);
            m.push_str(", which is already past (it is ");
            push_iso(&mut m, now);
            m.push_str(" by this device's clock, corrected by OSS's time once known): check the endpoint's DurationSeconds, or the clocks");
            return Err(Error::CredentialProvider(m));
        }
        let mut st = self.state.borrow_mut();
        st.fetches += 1;
        st.epoch += 1;
        cached.epoch = st.epoch;
        Ok(cached)
    }
}

fn push_iso(out: &mut String, ms: i64) {
    match crate::time::UnixTime::from_secs(ms.div_euclid(1000)) {
        Some(t) => out.push_str(&t.iso8601_millis()),
        None => out.push('?'),
    }
}

#[cfg(test)]
mod tests;
