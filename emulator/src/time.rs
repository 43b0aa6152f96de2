//! Calendar arithmetic and the date formats OSS uses. No clock reads here.

/// Days since 1970-01-01 to (year, month, day). Howard Hinnant's algorithm.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// (year, month, day) to days since 1970-01-01.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

struct Parts {
    y: i64,
    mo: u32,
    d: u32,
    h: i64,
    mi: i64,
    s: i64,
    wd: usize,
}

fn parts(unix: i64) -> Parts {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, mo, d) = civil_from_days(days);
    Parts {
        y,
        mo,
        d,
        h: secs / 3600,
        mi: (secs / 60) % 60,
        s: secs % 60,
        wd: (days + 4).rem_euclid(7) as usize,
    }
}

const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `20231216T162057Z`
pub fn iso8601_basic(unix: i64) -> String {
    let p = parts(unix);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        p.y, p.mo, p.d, p.h, p.mi, p.s
    )
}

/// `2023-12-16T16:20:57Z`
pub fn iso8601(unix: i64) -> String {
    let p = parts(unix);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        p.y, p.mo, p.d, p.h, p.mi, p.s
    )
}

/// `2023-12-16T16:20:57.000Z`
pub fn iso8601_millis(unix_ms: i64) -> String {
    let p = parts(unix_ms.div_euclid(1000));
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        p.y,
        p.mo,
        p.d,
        p.h,
        p.mi,
        p.s,
        unix_ms.rem_euclid(1000)
    )
}

/// `Tue, 04 Dec 2018 15:56:38 GMT`
pub fn rfc1123(unix: i64) -> String {
    let p = parts(unix);
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        WEEKDAYS.get(p.wd).copied().unwrap_or("Sun"),
        p.d,
        MONTHS
            .get((p.mo as usize).saturating_sub(1))
            .copied()
            .unwrap_or("Jan"),
        p.y,
        p.h,
        p.mi,
        p.s
    )
}

fn num(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn build(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64) -> Option<i64> {
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let days = days_from_civil(y, u32::try_from(mo).ok()?, u32::try_from(d).ok()?);
    Some(days * 86_400 + h * 3600 + mi * 60 + s)
}

/// Parse `yyyyMMdd'T'HHmmss'Z'`.
pub fn parse_iso8601_basic(s: &str) -> Option<i64> {
    if s.len() != 16 || !s.is_ascii() || s.get(8..9)? != "T" || s.get(15..16)? != "Z" {
        return None;
    }
    build(
        num(s.get(0..4)?)?,
        num(s.get(4..6)?)?,
        num(s.get(6..8)?)?,
        num(s.get(9..11)?)?,
        num(s.get(11..13)?)?,
        num(s.get(13..15)?)?,
    )
}

/// Parse `yyyyMMdd` to the unix time of its midnight.
pub fn parse_yyyymmdd(s: &str) -> Option<i64> {
    if s.len() != 8 || !s.is_ascii() {
        return None;
    }
    build(
        num(s.get(0..4)?)?,
        num(s.get(4..6)?)?,
        num(s.get(6..8)?)?,
        0,
        0,
        0,
    )
}

/// Parse `YYYY-MM-DDTHH:MM:SS[.fff]Z` (policy expiration, STS Expiration); returns unix ms.
pub fn parse_iso8601_ms(s: &str) -> Option<i64> {
    let s = s.trim();
    if !s.is_ascii() || s.len() < 20 || !s.ends_with('Z') {
        return None;
    }
    let b = s.as_bytes();
    if b.get(4) != Some(&b'-')
        || b.get(7) != Some(&b'-')
        || b.get(10) != Some(&b'T')
        || b.get(13) != Some(&b':')
        || b.get(16) != Some(&b':')
    {
        return None;
    }
    let secs = build(
        num(s.get(0..4)?)?,
        num(s.get(5..7)?)?,
        num(s.get(8..10)?)?,
        num(s.get(11..13)?)?,
        num(s.get(14..16)?)?,
        num(s.get(17..19)?)?,
    )?;
    let rest = s.get(19..s.len() - 1)?;
    let ms = if rest.is_empty() {
        0
    } else {
        let frac = rest.strip_prefix('.')?;
        let mut digits: String = frac.chars().take(3).collect();
        while digits.len() < 3 {
            digits.push('0');
        }
        num(&digits)?
    };
    Some(secs * 1000 + ms)
}

/// Parse an RFC 1123 date (`Tue, 04 Dec 2018 15:56:38 GMT`).
pub fn parse_rfc1123(s: &str) -> Option<i64> {
    let s = s.trim();
    let rest = s.split_once(", ").map_or(s, |(_, r)| r);
    let mut it = rest.split_whitespace();
    let d = num(it.next()?)?;
    let mon = it.next()?;
    let mo = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(mon))? as i64 + 1;
    let y = num(it.next()?)?;
    let hms = it.next()?;
    let tz = it.next()?;
    if tz != "GMT" && tz != "UTC" && tz != "+0000" {
        return None;
    }
    let mut t = hms.split(':');
    build(y, mo, d, num(t.next()?)?, num(t.next()?)?, num(t.next()?)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_round_trip() {
        let t = 1_702_743_657;
        assert_eq!(iso8601_basic(t), "20231216T162057Z");
        assert_eq!(parse_iso8601_basic("20231216T162057Z"), Some(t));
        assert_eq!(iso8601(t), "2023-12-16T16:20:57Z");
        assert_eq!(
            parse_iso8601_ms("2023-12-16T16:20:57.250Z"),
            Some(t * 1000 + 250)
        );
        assert_eq!(rfc1123(t), "Sat, 16 Dec 2023 16:20:57 GMT");
        assert_eq!(parse_rfc1123("Sat, 16 Dec 2023 16:20:57 GMT"), Some(t));
        assert_eq!(parse_yyyymmdd("20231216"), Some(t - t % 86_400));
        assert_eq!(parse_iso8601_basic("2023-12-16"), None);
    }
}
