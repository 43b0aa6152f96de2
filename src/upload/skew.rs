//! Clock skew: the offset between this device's clock and OSS's, learned from the `Date` header
//! (RFC 1123, whole seconds) and from `<ServerTime>` in `RequestTimeTooSkewed` bodies.
//!
//! The `Date` estimate uses the midpoint of send and receive, and is only adopted when it moves
//! the offset by more than the header's own 1-second resolution can explain, so the offset does
//! not jitter request after request.

use crate::error::{Error, Result};
use crate::prelude::*;
use crate::time::UnixTime;
use core::cell::Cell;

/// Changes smaller than this are within the `Date` header's resolution and ignored.
const DATE_RESOLUTION_MS: i64 = 2_000;

/// Before OSS's time is known, a check before sending refuses only what this device's clock says
/// expired more than this long ago: no plausible clock error explains that, while a device a few
/// minutes or hours off must not lose a fresh 15-minute URL. Otherwise OSS decides.
pub const DEVICE_CLOCK_SLACK_SECS: i64 = 86_400;

/// OSS's time as this client knows it: from a learned offset, or this device's own clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerNow {
    /// The instant.
    pub at: UnixTime,
    /// Whether OSS's time was learned (a `Date` header or `<ServerTime>` was read); if not, `at`
    /// is this device's clock, which may be off by any amount.
    pub learned: bool,
    /// How far `at` may be ahead of OSS's real time, in seconds: what a check before sending
    /// must allow before calling something expired. Unlearned, [`DEVICE_CLOCK_SLACK_SECS`].
    /// Learned, the time since the offset was last learned or confirmed (plus the 2 s of its
    /// resolution): a device clock set forward since then (the user fixing a slow clock) makes
    /// `at` late by at most that, and a URL refused before sending could never correct it.
    pub slack_secs: i64,
}

/// The learned offset (server − local), in milliseconds.
#[derive(Debug, Default)]
pub struct SkewClock {
    offset_ms: Cell<i64>,
    learned: Cell<bool>,
    /// Local time at which the offset was last learned or confirmed.
    learned_at_ms: Cell<i64>,
}

impl SkewClock {
    /// A clock with no offset.
    pub fn new() -> Self {
        Self::default()
    }

    /// The current offset in milliseconds (server − local).
    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.get()
    }

    /// Whether an offset was learned from a server.
    pub fn is_learned(&self) -> bool {
        self.learned.get()
    }

    /// Server time for a local reading once OSS's time is known (an offset learned).
    pub fn server_ms(&self, local_ms: i64) -> Option<i64> {
        self.is_learned().then(|| self.now_ms(local_ms))
    }

    /// Server time for a local reading.
    pub fn now_ms(&self, local_ms: i64) -> i64 {
        local_ms.saturating_add(self.offset_ms.get())
    }

    /// OSS's time for a local reading, and whether it is OSS's (an offset was learned) or only
    /// this device's: what a check before sending may trust.
    pub fn server_now(&self, local_ms: i64) -> Result<ServerNow> {
        let learned = self.is_learned();
        let slack_secs = if learned {
            let since = local_ms.saturating_sub(self.learned_at_ms.get()).max(0);
            (since.saturating_add(DATE_RESOLUTION_MS) / 1000).min(DEVICE_CLOCK_SLACK_SECS)
        } else {
            DEVICE_CLOCK_SLACK_SECS
        };
        Ok(ServerNow {
            at: self.now(local_ms)?,
            learned,
            slack_secs,
        })
    }

    /// Server time for a local reading, as a signing instant.
    pub fn now(&self, local_ms: i64) -> Result<UnixTime> {
        UnixTime::from_secs(self.now_ms(local_ms).div_euclid(1000))
            .ok_or_else(|| Error::invalid("clock", "the system clock is outside years 1970-9999"))
    }

    /// Takes `offset_ms` as a guess, not as learned: the next `Date` or `<ServerTime>` replaces
    /// it, and checks before sending still allow for this device's clock being off.
    pub fn assume_offset(&self, offset_ms: i64) {
        if !self.learned.get() {
            self.offset_ms.set(offset_ms);
        }
    }

    /// Learns from a `Date` header seen on a response to a request sent at `sent_ms` and
    /// received at `received_ms` (local clock). Returns whether the offset changed.
    pub fn observe_date(&self, date: &str, sent_ms: i64, received_ms: i64) -> bool {
        let Some(server_secs) = parse_http_date(date) else {
            return false;
        };
        // The header truncates to the second: its middle is the best estimate.
        let server_ms = server_secs * 1000 + 500;
        let received_ms = received_ms.max(sent_ms);
        let mid = sent_ms + (received_ms - sent_ms) / 2;
        let offset = server_ms - mid;
        // The server wrote the header at some instant between send and receive: any offset in
        // that window (widened by the resolution) agrees with it. A long upload, whose `Date` is
        // written when its last byte arrives, thus cannot pull a good offset by half its length.
        let slack = DATE_RESOLUTION_MS - 500;
        let current = self.offset_ms.get();
        let agrees = (server_ms - 500 - received_ms - slack..=server_ms + 500 - sent_ms + slack)
            .contains(&current);
        self.learned_at_ms.set(received_ms);
        if !agrees || !self.learned.get() {
            let changed = !agrees && (offset - current).abs() > DATE_RESOLUTION_MS;
            if changed {
                self.offset_ms.set(offset);
            }
            self.learned.set(true);
            return changed;
        }
        false
    }

    /// Learns from OSS's `<ServerTime>` (ISO 8601, from a `RequestTimeTooSkewed` body) received
    /// at `received_ms`. Returns whether it parsed.
    pub fn observe_server_time(&self, server_time: &str, received_ms: i64) -> bool {
        match UnixTime::parse_iso8601(server_time) {
            Ok(t) => {
                self.offset_ms.set(t.secs() * 1000 + 500 - received_ms);
                self.learned.set(true);
                self.learned_at_ms.set(received_ms);
                true
            }
            Err(_) => false,
        }
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) to seconds since the epoch.
pub fn parse_http_date(text: &str) -> Option<i64> {
    let t = text.trim();
    let rest = t.split_once(", ").map_or(t, |(_, r)| r);
    let mut parts = rest.split(' ');
    let day = parts.next()?;
    let month = parts.next()?;
    let year = parts.next()?;
    let clock = parts.next()?;
    if parts.next()? != "GMT" {
        return None;
    }
    let m = MONTHS.iter().position(|x| *x == month)? + 1;
    let iso = {
        let mut s = String::with_capacity(20);
        s.push_str(year);
        s.push('-');
        if m < 10 {
            s.push('0');
        }
        s.push_str(&m.to_string());
        s.push('-');
        if day.len() == 1 {
            s.push('0');
        }
        s.push_str(day);
        s.push('T');
        s.push_str(clock);
        s.push('Z');
        s
    };
    UnixTime::parse_iso8601(&iso).ok().map(UnixTime::secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_http_dates() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(
            parse_http_date("Tue, 04 Dec 2018 15:56:38 GMT"),
            Some(1_543_938_998)
        );
        for bad in [
            "",
            "Sun, 06 Nov 1994 08:49:37",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "garbage",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn learns_from_date_with_midpoint_and_ignores_resolution_noise() {
        let c = SkewClock::new();
        let local = 784_111_777_000 - 7_200_000; // device 2 hours behind
        assert!(c.observe_date("Sun, 06 Nov 1994 08:49:37 GMT", local - 100, local + 100));
        assert_eq!(c.offset_ms(), 7_200_500);
        assert_eq!(c.now(local).unwrap().secs(), 784_111_777);
        // A second later, with the header's truncation, nothing changes.
        assert!(!c.observe_date("Sun, 06 Nov 1994 08:49:38 GMT", local + 1400, local + 1600));
        assert_eq!(c.offset_ms(), 7_200_500);
        // The server clock was fixed: the offset follows.
        assert!(c.observe_date("Sun, 06 Nov 1994 06:49:38 GMT", local + 1400, local + 1600));
        assert!(c.offset_ms().abs() < 1000);
        assert!(!c.observe_date("nonsense", 0, 0));
    }

    #[test]
    fn a_long_request_does_not_pull_a_good_offset_by_half_its_length() {
        // A part upload of 16 s: OSS writes `Date` when the last byte arrives.
        let c = SkewClock::new();
        let local = 784_111_777_000;
        assert!(!c.observe_date("Sun, 06 Nov 1994 08:49:37 GMT", local - 50, local + 50));
        assert!(c.is_learned());
        assert_eq!(c.offset_ms(), 0, "within the header's resolution");
        let sent = local + 1000;
        let received = sent + 16_000;
        assert!(!c.observe_date("Sun, 06 Nov 1994 08:49:53 GMT", sent, received));
        assert_eq!(c.offset_ms(), 0, "the midpoint (8 s off) was not adopted");
        // Still, a long request that cannot agree with the offset moves it.
        assert!(c.observe_date("Sun, 06 Nov 1994 09:49:53 GMT", sent, received));
        assert!(
            (c.offset_ms() - 3_600_000).abs() < 9_000,
            "{}",
            c.offset_ms()
        );
    }

    #[test]
    fn learns_from_server_time() {
        let c = SkewClock::new();
        let server = UnixTime::parse_iso8601("2024-09-23T06:32:40.000Z")
            .unwrap()
            .secs()
            * 1000;
        assert!(c.observe_server_time("2024-09-23T06:32:40.000Z", server - 3_600_000));
        assert_eq!(c.now_ms(server - 3_600_000), server + 500);
        assert_eq!(c.offset_ms(), 3_600_500);
        assert!(!c.observe_server_time("yesterday", 0));
    }
}
