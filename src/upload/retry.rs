//! Retry policy: which failures are worth another attempt, and how long to wait (exponential
//! backoff with "equal jitter": half fixed, half random, so retries never bunch up at zero).

use crate::error::Error;

/// How many attempts and how far apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = no retry).
    pub max_attempts: u32,
    /// Delay before the first retry; doubled for each further retry.
    pub base_delay_ms: u32,
    /// Cap on any one delay.
    pub max_delay_ms: u32,
}

impl Default for RetryPolicy {
    /// 3 attempts, 200 ms then 400 ms (each ±50 %), at most 10 s.
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay_ms: 200,
            max_delay_ms: 10_000,
        }
    }
}

impl RetryPolicy {
    /// The delay before retry number `retry` (0 for the first retry), given a random `jitter`.
    pub fn delay_ms(&self, retry: u32, jitter: u32) -> u32 {
        let exp = self
            .base_delay_ms
            .saturating_mul(1u32.checked_shl(retry.min(20)).unwrap_or(u32::MAX))
            .min(self.max_delay_ms);
        let half = exp / 2;
        let random = (u64::from(exp - half) * u64::from(jitter)) >> 32;
        half + u32::try_from(random).unwrap_or(0)
    }

    /// Whether attempt number `attempt` (1-based) failing with `err` deserves another one.
    pub fn should_retry(&self, err: &Error, attempt: u32, idempotent: bool) -> bool {
        attempt < self.max_attempts && is_retryable(err, idempotent)
    }
}

/// 5xx and 429 answers (nothing was stored) always; network failures only for idempotent
/// requests (the first attempt may have landed).
pub fn is_retryable(err: &Error, idempotent: bool) -> bool {
    match err {
        Error::Service(e) => e.status >= 500 || e.status == 429,
        Error::Network(_) => idempotent,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ServiceError;

    fn svc(status: u16, code: &str) -> Error {
        Error::Service(Box::new(ServiceError {
            status,
            code: code.into(),
            ..Default::default()
        }))
    }

    #[test]
    fn classifies_failures() {
        assert!(is_retryable(&svc(503, "ServiceUnavailable"), false));
        assert!(is_retryable(&svc(500, "InternalError"), true));
        assert!(is_retryable(&svc(429, "Throttling"), true));
        assert!(!is_retryable(&svc(403, "AccessDenied"), true));
        assert!(!is_retryable(&svc(403, "SignatureDoesNotMatch"), true));
        assert!(is_retryable(&Error::Network("x".into()), true));
        assert!(!is_retryable(&Error::Network("x".into()), false));
        assert!(!is_retryable(&Error::Aborted, true));
        assert!(!is_retryable(&Error::invalid("key", "x"), true));
        let p = RetryPolicy::default();
        assert!(p.should_retry(&svc(503, "x"), 2, true));
        assert!(!p.should_retry(&svc(503, "x"), 3, true));
    }

    #[test]
    fn backoff_doubles_with_bounded_jitter() {
        let p = RetryPolicy {
            max_attempts: 10,
            base_delay_ms: 100,
            max_delay_ms: 1000,
        };
        assert_eq!(p.delay_ms(0, 0), 50);
        assert_eq!(p.delay_ms(0, u32::MAX), 99);
        assert_eq!(p.delay_ms(1, 0), 100);
        assert_eq!(p.delay_ms(3, 0), 400);
        assert_eq!(p.delay_ms(4, 0), 500); // capped at 1000
        assert_eq!(p.delay_ms(40, u32::MAX), 999);
        let zero = RetryPolicy {
            base_delay_ms: 0,
            ..p
        };
        assert_eq!(zero.delay_ms(3, u32::MAX), 0);
    }
}
