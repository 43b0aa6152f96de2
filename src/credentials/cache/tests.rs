use super::*;
use crate::upload::testing::{run_all, run_one, FakeSource, FakeTransport, ManualClock};
use core::future::Future;
use core::pin::Pin;

const T0: i64 = 1_700_000_000_000;

fn setup(ttl_ms: i64) -> (Rc<ManualClock>, FakeSource, FakeTransport, SkewClock) {
    let clock = ManualClock::at(T0);
    let source = FakeSource::new(&clock, ttl_ms);
    let t = FakeTransport::new(&clock, Box::new(|_, _| unreachable!()));
    (clock, source, t, SkewClock::new())
}

fn cached(fetched: i64, expires: i64) -> CachedCredentials {
    CachedCredentials {
        credentials: Rc::new(Credentials::new("a", "s", None).unwrap()),
        expires_at_ms: expires,
        fetched_at_ms: fetched,
        epoch: 1,
    }
}

#[test]
fn freshness_states_with_default_margin() {
    let c = cached(0, 3_600_000);
    let m = DEFAULT_REFRESH_BEFORE_SECS * 1000;
    assert_eq!(c.freshness(0, m), Freshness::Fresh);
    assert_eq!(c.freshness(3_600_000 - 60_001, m), Freshness::Fresh);
    assert_eq!(c.freshness(3_600_000 - 60_000, m), Freshness::RefreshSoon);
    assert_eq!(c.freshness(3_600_000 - 5_001, m), Freshness::RefreshSoon);
    assert_eq!(c.freshness(3_600_000 - 5_000, m), Freshness::Expired);
    assert_eq!(c.freshness(3_600_001, m), Freshness::Expired);
}

#[test]
fn margin_is_clamped_for_short_lifetimes() {
    // 5-second credentials with the default 60-second margin would otherwise be refreshed
    // before every request.
    let c = cached(0, 5_000);
    assert_eq!(c.refresh_margin_ms(60_000), 1_000);
    assert_eq!(c.hard_margin_ms(), 250);
    assert_eq!(c.freshness(3_999, 60_000), Freshness::Fresh);
    assert_eq!(c.freshness(4_000, 60_000), Freshness::RefreshSoon);
    assert_eq!(c.freshness(4_750, 60_000), Freshness::Expired);
    // A negative setting means no early refresh at all.
    assert_eq!(c.refresh_margin_ms(-5), 0);
}

#[test]
fn concurrent_callers_share_one_fetch() {
    let (clock, source, t, skew) = setup(900_000);
    let cache = CredentialCache::new(60, RetryPolicy::default());
    let futs: Vec<Pin<Box<dyn Future<Output = Result<CachedCredentials>> + '_>>> = (0..50)
        .map(|_| Box::pin(cache.get(&source, &t, &skew)) as Pin<Box<dyn Future<Output = _>>>)
        .collect();
    let results = run_all(&clock, futs);
    assert_eq!(source.calls.get(), 1);
    assert!(results
        .iter()
        .all(|r| r.as_ref().unwrap().credentials.access_key_id == "STS.1"));
    assert_eq!(cache.status().fetches, 1);
    // Cached afterwards.
    run_one(&clock, cache.get(&source, &t, &skew)).unwrap();
    assert_eq!(source.calls.get(), 1);
}

#[test]
fn refreshes_before_expiry_and_keeps_old_on_refresh_failure() {
    let (clock, source, t, skew) = setup(900_000);
    let cache = CredentialCache::new(
        60,
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        },
    );
    let first = run_one(&clock, cache.get(&source, &t, &skew)).unwrap();
    clock.advance(900_000 - 61_000);
    assert_eq!(
        run_one(&clock, cache.get(&source, &t, &skew))
            .unwrap()
            .epoch,
        first.epoch
    );
    clock.advance(2_000); // inside the 60 s margin: refresh
    let second = run_one(&clock, cache.get(&source, &t, &skew)).unwrap();
    assert_eq!(source.calls.get(), 2);
    assert_eq!(second.credentials.access_key_id, "STS.2");
    // In refresh-soon state an endpoint failure falls back to the still-valid credentials.
    clock.advance(900_000 - 30_000);
    source.fail_next.set(1);
    let third = run_one(&clock, cache.get(&source, &t, &skew)).unwrap();
    assert_eq!(third.credentials.access_key_id, "STS.2");
    // Once expired, a failure is an error.
    clock.advance(40_000);
    source.fail_next.set(1);
    let e = run_one(&clock, cache.get(&source, &t, &skew)).unwrap_err();
    assert_eq!(e.code(), "NetworkError");
}

// Regressions (review): every request in the refresh window waited on the refresh (3.5 s for a
// slow STS) and started a new one after each failure (15 STS calls for 5 uploads); an app server
// that caches its STS credentials drew a burst of fetches, each shrinking the margins.
#[test]
fn refresh_soon_waits_for_nobody_else_and_backs_off_when_failing_or_fruitless() {
    let (clock, source, t, skew) = setup(900_000);
    let one_try = RetryPolicy {
        max_attempts: 1,
        ..RetryPolicy::default()
    };
    let cache = CredentialCache::new(60, one_try);
    run_one(&clock, cache.get(&source, &t, &skew)).unwrap();
    clock.advance(900_000 - 30_000);
    // A failed refresh: the valid credentials are used, and no new try for 10 s.
    source.fail_next.set(1);
    assert_eq!(
        run_one(&clock, cache.get(&source, &t, &skew))
            .unwrap()
            .credentials
            .access_key_id,
        "STS.1"
    );
    let calls = source.calls.get();
    source.fail_next.set(5);
    for _ in 0..5 {
        run_one(&clock, cache.get(&source, &t, &skew)).unwrap();
    }
    assert_eq!(source.calls.get(), calls, "no retry during the cool-down");
    clock.advance(10_000);
    source.fail_next.set(0);
    // While one caller refreshes, the others get the valid credentials without waiting.
    let futs: Vec<Pin<Box<dyn Future<Output = Result<CachedCredentials>> + '_>>> = (0..5)
        .map(|_| Box::pin(cache.get(&source, &t, &skew)) as Pin<Box<dyn Future<Output = _>>>)
        .collect();
    let ids: Vec<String> = run_all(&clock, futs)
        .into_iter()
        .map(|r| r.unwrap().credentials.access_key_id.clone())
        .collect();
    assert_eq!(ids.iter().filter(|i| *i == "STS.1").count(), 4, "{ids:?}");
    assert_eq!(source.calls.get(), calls + 1);

    // A caching app server answers the same credentials: kept, and not asked again until they
    // expire.
    let (clock, source, t, skew) = setup(900_000);
    let cache = CredentialCache::new(60, one_try);
    let body = format!(
        r#"{{"accessKeyId":"a","accessKeySecret":"s","expiration":{}}}"#,
        T0 + 900_000
    );
    *source.body.borrow_mut() = Some(body);
    let first = run_one(&clock, cache.get(&source, &t, &skew)).unwrap();
    clock.advance(900_000 - 50_000);
    for _ in 0..20 {
        let c = run_one(&clock, cache.get(&source, &t, &skew)).unwrap();
        assert_eq!(
            (c.epoch, c.fetched_at_ms),
            (first.epoch, first.fetched_at_ms)
        );
        clock.advance(2_000);
    }
    assert_eq!(source.calls.get(), 2, "one refresh, then quiet");
}

#[test]
fn endpoint_failures_are_retried_with_backoff() {
    let (clock, source, t, skew) = setup(900_000);
    let cache = CredentialCache::new(
        60,
        RetryPolicy {
            max_attempts: 3,
            base_delay_ms: 1000,
            max_delay_ms: 10_000,
        },
    );
    source.fail_next.set(2);
    let start = clock.now();
    let c = run_one(&clock, cache.get(&source, &t, &skew)).unwrap();
    assert_eq!(c.credentials.access_key_id, "STS.3");
    // 3 calls of 50 ms, and waits of 750 ms and 1500 ms (mid jitter).
    assert_eq!(clock.now() - start, 150 + 750 + 1500);
    source.fail_next.set(5);
    cache.invalidate(c.epoch);
    assert_eq!(
        run_one(&clock, cache.get(&source, &t, &skew))
            .unwrap_err()
            .code(),
        "NetworkError"
    );
}

#[test]
fn invalidate_drops_only_the_named_epoch() {
    let (clock, source, t, skew) = setup(900_000);
    let cache = CredentialCache::new(60, RetryPolicy::default());
    let a = run_one(&clock, cache.get(&source, &t, &skew)).unwrap();
    cache.invalidate(a.epoch + 7);
    assert_eq!(
        run_one(&clock, cache.get(&source, &t, &skew))
            .unwrap()
            .epoch,
        a.epoch
    );
    cache.invalidate(a.epoch);
    let b = run_one(&clock, cache.get(&source, &t, &skew)).unwrap();
    assert_ne!(a.epoch, b.epoch);
    assert_eq!(source.calls.get(), 2);
    // Two requests failing with the same old token cause no further fetch.
    cache.invalidate(a.epoch);
    run_one(&clock, cache.get(&source, &t, &skew)).unwrap();
    assert_eq!(source.calls.get(), 2);
}

#[test]
fn expired_response_is_rejected_and_skew_learned_from_date() {
    let (clock, source, t, skew) = setup(900_000);
    let cache = CredentialCache::new(60, RetryPolicy::default());
    *source.body.borrow_mut() = Some(
        r#"{"accessKeyId":"a","accessKeySecret":"SECRET","expiration":"2001-01-01T00:00:00Z"}"#
            .into(),
    );
    let e = run_one(&clock, cache.get(&source, &t, &skew)).unwrap_err();
    assert_eq!(e.code(), "CredentialProviderError");
    assert!(e.to_string().contains("2001-01-01T00:00:00.000Z"), "{e}");
    assert!(!e.to_string().contains("SECRET"));
    // The endpoint's clock is 2 hours behind this device's: credentials minted on its clock
    // look expired here until the Date header teaches the offset.
    *source.body.borrow_mut() = None;
    source.server_skew_ms.set(-7_200_000);
    let c = run_one(&clock, cache.get(&source, &t, &skew)).unwrap();
    assert!(
        (skew.offset_ms() + 7_200_000).abs() < 2_000,
        "{}",
        skew.offset_ms()
    );
    assert_eq!(
        c.freshness(skew.now_ms(clock.now()), 60_000),
        Freshness::Fresh
    );
}

// Regression (review): a device an hour ahead, with a credential function (no Date header):
// every credential looked expired and every upload was refused before OSS was asked.
#[test]
fn credentials_past_by_an_uncorrected_clock_assume_the_device_is_ahead() {
    let (clock, source, t, skew) = setup(900_000);
    let cache = CredentialCache::new(60, RetryPolicy::default());
    source.send_date.set(false);
    let exp = crate::time::UnixTime::from_secs((T0 - 3_600_000) / 1000 + 900)
        .unwrap()
        .iso8601_millis();
    *source.body.borrow_mut() = Some(format!(
        r#"{{"accessKeyId":"a","accessKeySecret":"s","expiration":"{exp}"}}"#
    ));
    let c = run_one(&clock, cache.get(&source, &t, &skew)).unwrap();
    assert!(!skew.is_learned(), "a guess, not learned");
    assert!(
        (skew.offset_ms() + 3_600_000).abs() < 2_000,
        "{}",
        skew.offset_ms()
    );
    assert_eq!(
        c.freshness(skew.now_ms(clock.now()), 60_000),
        Freshness::Fresh
    );
}

#[test]
fn missing_expiration_uses_default_lifetime() {
    let (clock, source, t, skew) = setup(900_000);
    *source.body.borrow_mut() = Some(r#"{"accessKeyId":"a","accessKeySecret":"s"}"#.into());
    let cache = CredentialCache::new(60, RetryPolicy::default());
    let c = run_one(&clock, cache.get(&source, &t, &skew)).unwrap();
    assert_eq!(c.lifetime_ms(), DEFAULT_LIFETIME_SECS * 1000);
}

#[test]
fn dropped_runner_does_not_strand_waiters() {
    let (clock, source, t, skew) = setup(900_000);
    let cache = CredentialCache::new(60, RetryPolicy::default());
    {
        // Start a fetch and drop it mid-flight.
        let mut f = Box::pin(cache.get(&source, &t, &skew));
        let waker = core::task::Waker::noop();
        let mut cx = core::task::Context::from_waker(waker);
        assert!(f.as_mut().poll(&mut cx).is_pending());
    }
    let c = run_one(&clock, cache.get(&source, &t, &skew)).unwrap();
    assert_eq!(c.credentials.access_key_id, "STS.1");
}

#[test]
fn offered_credentials_are_adopted_when_longer_lived() {
    let (clock, source, t, skew) = setup(900_000);
    let cache = CredentialCache::new(60, RetryPolicy::default());
    let a = run_one(&clock, cache.get(&source, &t, &skew)).unwrap();
    let other = response::parse(&format!(
        r#"{{"accessKeyId":"TAB","accessKeySecret":"s","expiration":{}}}"#,
        T0 + 2_000_000
    ))
    .unwrap();
    cache.offer(other, &skew, clock.now());
    let b = run_one(&clock, cache.get(&source, &t, &skew)).unwrap();
    assert_eq!(b.credentials.access_key_id, "TAB");
    assert_ne!(a.epoch, b.epoch);
    let shorter = response::parse(&format!(
        r#"{{"accessKeyId":"OLD","accessKeySecret":"s","expiration":{}}}"#,
        T0 + 1_000_000
    ))
    .unwrap();
    cache.offer(shorter, &skew, clock.now());
    assert_eq!(
        run_one(&clock, cache.get(&source, &t, &skew))
            .unwrap()
            .credentials
            .access_key_id,
        "TAB"
    );
    assert_eq!(source.calls.get(), 1);
}

#[test]
fn a_failure_that_may_pass_stays_retryable_for_the_caller() {
    let (clock, source, t, skew) = setup(900_000);
    let cache = CredentialCache::new(
        60,
        RetryPolicy {
            max_attempts: 2,
            base_delay_ms: 10,
            max_delay_ms: 10,
        },
    );
    for (retryable, want) in [(true, true), (false, false)] {
        *source.failure.borrow_mut() = Some(SourceFailure {
            error: Error::CredentialProvider("credential endpoint answered 503".into()),
            retryable,
        });
        source.fail_next.set(5);
        let e = run_one(&clock, cache.get(&source, &t, &skew)).unwrap_err();
        assert_eq!(e.code(), "CredentialProviderError");
        assert_eq!(e.is_retryable(), want, "source retryable: {retryable}");
        assert!(e.to_string().contains("answered 503"), "{e}");
    }
}

/// Regression (review): a presigned URL asked for while another call refreshed the credentials
/// was signed with the outgoing ones and capped to their last seconds; a caller that needs them
/// longer waits for the refresh.
#[test]
fn a_caller_needing_credentials_beyond_the_old_expiry_waits_for_the_refresh() {
    let (clock, source, t, skew) = setup(900_000);
    let cache = CredentialCache::new(60, RetryPolicy::default());
    let first = run_one(&clock, cache.get(&source, &t, &skew)).unwrap();
    clock.advance(900_000 - 30_000);
    let until = first.expires_at_ms + 600_000;
    let futs: Vec<Pin<Box<dyn Future<Output = Result<CachedCredentials>> + '_>>> = vec![
        Box::pin(cache.get(&source, &t, &skew)),
        Box::pin(cache.get(&source, &t, &skew)),
        Box::pin(cache.get_until(&source, &t, &skew, until)),
        Box::pin(cache.get_until(&source, &t, &skew, first.expires_at_ms)),
    ];
    let ids: Vec<String> = run_all(&clock, futs)
        .into_iter()
        .map(|r| r.unwrap().credentials.access_key_id.clone())
        .collect();
    assert_eq!(ids[2], "STS.2", "waited for the new credentials: {ids:?}");
    assert_eq!(ids[1], "STS.1", "an upload does not wait: {ids:?}");
    assert_eq!(ids[3], "STS.1", "the old ones last long enough: {ids:?}");
    assert_eq!(source.calls.get(), 2, "one refresh");
}
