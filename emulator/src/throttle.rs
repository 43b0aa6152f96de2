//! A bandwidth throttle for request bodies (admin `POST /_emulator/throttle {"bytesPerSec": N}`):
//! one shared budget, like a slow uplink, so parts in flight share it. Off (0) by default, and
//! then it costs one atomic load per body chunk.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The shared budget.
#[derive(Debug, Default)]
pub struct Throttle {
    bytes_per_sec: AtomicU64,
    /// When the bytes already admitted will have gone through at the set rate.
    busy_until: Mutex<Option<Instant>>,
}

impl Throttle {
    /// Sets the rate (0 = off).
    pub fn set(&self, bytes_per_sec: u64) {
        self.bytes_per_sec.store(bytes_per_sec, Ordering::Relaxed);
        *self
            .busy_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }

    /// The rate (0 = off).
    pub fn get(&self) -> u64 {
        self.bytes_per_sec.load(Ordering::Relaxed)
    }

    /// How long to wait after reading `n` more body bytes so the total stays at the rate.
    pub fn pace(&self, n: usize) -> Option<Duration> {
        let bps = self.get();
        if bps == 0 || n == 0 {
            return None;
        }
        let now = Instant::now();
        let mut busy = self
            .busy_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let start = busy.filter(|b| *b > now).unwrap_or(now);
        let until = start + Duration::from_secs_f64(n as f64 / bps as f64);
        *busy = Some(until);
        Some(until - now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_share_one_budget() {
        let t = Throttle::default();
        assert_eq!(t.pace(1000), None, "off by default");
        t.set(1000);
        let a = t.pace(500).unwrap();
        let b = t.pace(500).unwrap();
        assert!(
            a <= Duration::from_millis(500) && a > Duration::from_millis(450),
            "{a:?}"
        );
        assert!(
            b > Duration::from_millis(950),
            "the second chunk waits for the first: {b:?}"
        );
        t.set(0);
        assert_eq!(t.pace(1000), None);
    }
}
