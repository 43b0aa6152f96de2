//! Instants as seconds since the Unix epoch, and the few formats OSS uses. No clock reads here:
//! the current time is always passed in by the caller (see `web::clock`).

use crate::error::{Error, Result};
use crate::prelude::*;
use crate::text::push_uint;

/// An instant, in whole seconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixTime(i64);

/// Civil date and time in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
}

impl Civil {
    /// `YYYY<sep>MM<sep>DD` (the year is 0 to 9999 here).
    fn push_date(&self, out: &mut String, sep: &str) {
        push_uint(out, u64::try_from(self.year).unwrap_or(0), 4);
        out.push_str(sep);
        push_uint(out, u64::from(self.month), 2);
        out.push_str(sep);
        push_uint(out, u64::from(self.day), 2);
    }

    /// `hh<sep>mm<sep>ss`.
    fn push_time(&self, out: &mut String, sep: &str) {
        push_uint(out, u64::from(self.hour), 2);
        out.push_str(sep);
        push_uint(out, u64::from(self.minute), 2);
        out.push_str(sep);
        push_uint(out, u64::from(self.second), 2);
    }
}

/// Earliest and latest instants accepted (years 1970 to 9999), so every format is fixed-width.
const MIN_SECS: i64 = 0;
const MAX_SECS: i64 = 253_402_300_799; // 9999-12-31T23:59:59Z

impl UnixTime {
    /// From seconds since the epoch; `None` outside years 1970–9999.
    pub fn from_secs(secs: i64) -> Option<Self> {
        (MIN_SECS..=MAX_SECS).contains(&secs).then_some(Self(secs))
    }

    /// From milliseconds since the epoch (a JS `Date` value), truncated to the second.
    pub fn from_millis(ms: f64) -> Option<Self> {
        if !ms.is_finite() {
            return None;
        }
        // `floor` without std: truncate (saturating), then step down for negative fractions.
        let q = ms / 1000.0;
        #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
        let secs = {
            let t = q as i64;
            if (t as f64) > q {
                t - 1
            } else {
                t
            }
        };
        Self::from_secs(secs)
    }

    /// Seconds since the epoch.
    pub fn secs(self) -> i64 {
        self.0
    }

    /// `self + secs`, saturating at the supported range.
    #[must_use]
    pub fn plus_secs(self, secs: i64) -> Self {
        Self(self.0.saturating_add(secs).clamp(MIN_SECS, MAX_SECS))
    }

    fn civil(self) -> Civil {
        // Howard Hinnant's civil_from_days.
        let days = self.0.div_euclid(86_400);
        let rem = self.0.rem_euclid(86_400);
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Civil {
            year,
            month: month as u32,
            day: day as u32,
            hour: (rem / 3600) as u32,
            minute: (rem % 3600 / 60) as u32,
            second: (rem % 60) as u32,
        }
    }

    fn from_civil(c: Civil) -> Option<Self> {
        if !(1..=12).contains(&c.month)
            || c.day < 1
            || c.day > days_in_month(c.year, c.month)
            || c.hour > 23
            || c.minute > 59
            || c.second > 60
        {
            return None;
        }
        // Howard Hinnant's days_from_civil.
        let y = if c.month <= 2 { c.year - 1 } else { c.year };
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400);
        let m = i64::from(c.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(c.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        let secs = days * 86_400
            + i64::from(c.hour) * 3600
            + i64::from(c.minute) * 60
            + i64::from(c.second.min(59));
        Self::from_secs(secs)
    }

    /// ISO 8601 basic format used by `x-oss-date`: `20231216T162057Z`.
    pub fn iso8601_basic(self) -> String {
        let mut s = String::with_capacity(16);
        self.push_iso8601_basic(&mut s);
        s
    }

    /// Appends [`iso8601_basic`](Self::iso8601_basic).
    pub fn push_iso8601_basic(self, out: &mut String) {
        let c = self.civil();
        c.push_date(out, "");
        out.push('T');
        c.push_time(out, "");
        out.push('Z');
    }

    /// The scope date: `20231216`.
    pub fn date_stamp(self) -> String {
        let mut s = String::with_capacity(8);
        self.push_date_stamp(&mut s);
        s
    }

    /// Appends [`date_stamp`](Self::date_stamp).
    pub fn push_date_stamp(self, out: &mut String) {
        self.civil().push_date(out, "");
    }

    /// ISO 8601 extended with milliseconds, as in post policies: `2024-05-20T09:09:10.000Z`.
    pub fn iso8601_millis(self) -> String {
        let c = self.civil();
        let mut s = String::with_capacity(24);
        c.push_date(&mut s, "-");
        s.push('T');
        c.push_time(&mut s, ":");
        s.push_str(".000Z");
        s
    }

    /// Parses an ISO 8601 UTC instant as STS and OSS write it: `2015-04-09T11:52:19Z`, with
    /// optional fractional seconds and a `Z`, `+00:00` or other numeric offset.
    pub fn parse_iso8601(text: &str) -> Result<Self> {
        let bad = || {
            Error::invalid(
                "expiration",
                "expected an ISO 8601 time like 2024-01-31T12:00:00Z",
            )
        };
        let b = text.trim().as_bytes();
        let num = |from: usize, len: usize| -> Result<i64> {
            let digits = b.get(from..from + len).ok_or_else(bad)?;
            digits.iter().try_fold(0i64, |acc, &d| {
                if d.is_ascii_digit() {
                    Ok(acc * 10 + i64::from(d - b'0'))
                } else {
                    Err(bad())
                }
            })
        };
        let sep = |at: usize, ch: &[u8]| -> Result<()> {
            match b.get(at) {
                Some(c) if ch.contains(c) => Ok(()),
                _ => Err(bad()),
            }
        };
        sep(4, b"-")?;
        sep(7, b"-")?;
        sep(10, b"Tt ")?;
        sep(13, b":")?;
        sep(16, b":")?;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let civil = Civil {
            year: num(0, 4)?,
            month: num(5, 2)? as u32,
            day: num(8, 2)? as u32,
            hour: num(11, 2)? as u32,
            minute: num(14, 2)? as u32,
            second: num(17, 2)? as u32,
        };
        let mut i = 19;
        if b.get(i) == Some(&b'.') {
            i += 1;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
        }
        let offset = match b.get(i) {
            Some(b'Z' | b'z') if i + 1 == b.len() => 0,
            // `+08:00`, or `+0800` as some servers write it.
            Some(&sign @ (b'+' | b'-')) if b.len() == i + 6 || b.len() == i + 5 => {
                let minutes_at = if b.len() == i + 6 {
                    sep(i + 3, b":")?;
                    i + 4
                } else {
                    i + 3
                };
                let secs = num(i + 1, 2)? * 3600 + num(minutes_at, 2)? * 60;
                if sign == b'+' {
                    -secs
                } else {
                    secs
                }
            }
            _ => return Err(bad()),
        };
        let t = Self::from_civil(civil).ok_or_else(bad)?;
        Self::from_secs(t.0 + offset).ok_or_else(bad)
    }
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_vector_instant() {
        let t = UnixTime::from_secs(1_702_743_657).unwrap();
        assert_eq!(t.iso8601_basic(), "20231216T162057Z");
        assert_eq!(t.date_stamp(), "20231216");
        assert_eq!(t.iso8601_millis(), "2023-12-16T16:20:57.000Z");
    }

    #[test]
    fn parses_sts_expiration_forms() {
        let want = UnixTime::from_secs(1_428_580_339).unwrap();
        for s in [
            "2015-04-09T11:52:19Z",
            "2015-04-09T11:52:19.000Z",
            "2015-04-09T19:52:19+08:00",
            " 2015-04-09T11:52:19Z ",
        ] {
            assert_eq!(UnixTime::parse_iso8601(s).unwrap(), want, "{s}");
        }
        for s in [
            "",
            "2015-04-09",
            "2015-02-30T00:00:00Z",
            "2015-04-09T11:52:19",
            "x015-04-09T11:52:19Z",
        ] {
            assert!(UnixTime::parse_iso8601(s).is_err(), "{s}");
        }
    }

    #[test]
    fn round_trips_leap_days_and_range_ends() {
        for secs in [0, 951_782_400, 1_709_164_800, MAX_SECS] {
            let t = UnixTime::from_secs(secs).unwrap();
            let text = t.iso8601_millis();
            assert_eq!(UnixTime::parse_iso8601(&text).unwrap(), t, "{text}");
        }
        assert!(UnixTime::from_secs(-1).is_none());
        assert!(UnixTime::from_millis(f64::NAN).is_none());
    }
}
