//! Server timestamps: milliseconds since the Unix epoch, written as RFC 3339 UTC (`2026-11-25T15:04:05.123Z`).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::time::{SystemTime, UNIX_EPOCH};

/// An instant in UTC with millisecond precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    pub fn now() -> Self {
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or_default();
        Self(ms)
    }

    pub fn from_unix_millis(ms: i64) -> Self {
        Self(ms)
    }

    /// Whole seconds since the Unix epoch (0 before it).
    pub fn unix_seconds(&self) -> u64 {
        u64::try_from(self.unix_millis() / 1000).unwrap_or_default()
    }

    pub fn unix_millis(&self) -> i64 {
        self.0
    }

    pub fn plus_seconds(&self, seconds: i64) -> Self {
        Self(self.0 + seconds * 1000)
    }

    /// The same time of day `months` calendar months later, on the same day of the month or, where
    /// that month is shorter, on its last day (31 January + 1 month = 28 or 29 February): the reading
    /// of "one month" in GDPR Art. 12(3) that the EDPB and Regulation 1182/71 give.
    pub fn plus_months(&self, months: i64) -> Self {
        let (days, rem) = (self.0.div_euclid(86_400_000), self.0.rem_euclid(86_400_000));
        let (y, m, d) = civil_from_days(days);
        let index = y * 12 + (m - 1) + months;
        let (y2, m2) = (index.div_euclid(12), index.rem_euclid(12) + 1);
        let d2 = d.min(days_in_month(y2, m2));
        Self(days_from_civil(y2, m2, d2) * 86_400_000 + rem)
    }

    /// `days` calendar days later.
    pub fn plus_days(&self, days: i64) -> Self {
        Self(self.0 + days * 86_400_000)
    }

    /// `days` business days later (Monday to Friday; public holidays are not known here, so the date is
    /// never later than the law's).
    pub fn plus_business_days(&self, days: i64) -> Self {
        let mut at = *self;
        let mut left = days;
        while left > 0 {
            at = at.plus_days(1);
            // 1970-01-01 was a Thursday: day 0 → weekday 3 (Monday = 0).
            let weekday = (at.0.div_euclid(86_400_000) + 3).rem_euclid(7);
            if weekday < 5 {
                left -= 1;
            }
        }
        at
    }

    pub fn to_rfc3339(&self) -> String {
        let secs = self.0.div_euclid(1000);
        let ms = self.0.rem_euclid(1000);
        let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
        let (y, m, d) = civil_from_days(days);
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{ms:03}Z",
            rem / 3600,
            rem % 3600 / 60,
            rem % 60
        )
    }

    /// Reads the form written by [`Timestamp::to_rfc3339`] (UTC, `Z`, optional fraction).
    pub fn parse_rfc3339(raw: &str) -> Option<Self> {
        let b = raw.as_bytes();
        if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || !raw.ends_with('Z') {
            return None;
        }
        let num = |r: std::ops::Range<usize>| raw.get(r)?.parse::<i64>().ok();
        let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
        let fraction = &raw[19..raw.len() - 1];
        let ms = match fraction.strip_prefix('.') {
            Some(f) if !f.is_empty() && f.bytes().all(|c| c.is_ascii_digit()) => {
                format!("{f:0<3}")[..3].parse::<i64>().ok()?
            }
            None if fraction.is_empty() => 0,
            _ => return None,
        };
        if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
            return None;
        }
        let days = days_from_civil(y, m, d);
        Some(Self(
            ((days * 86_400) + hh * 3600 + mm * 60 + ss) * 1000 + ms,
        ))
    }
}

fn days_in_month(y: i64, m: i64) -> i64 {
    let next = if m == 12 {
        days_from_civil(y + 1, 1, 1)
    } else {
        days_from_civil(y, m + 1, 1)
    };
    next - days_from_civil(y, m, 1)
}

// Howard Hinnant's algorithms for the proleptic Gregorian calendar.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Self::parse_rfc3339(&raw)
            .ok_or_else(|| serde::de::Error::custom("not an RFC 3339 UTC time"))
    }
}

/// Waits `millis` milliseconds without holding up the component's other work (on Spin: the host's
/// monotonic clock).
pub async fn pause(millis: u64) {
    #[cfg(target_arch = "wasm32")]
    spin_sdk::wasip3::clocks::monotonic_clock::wait_for(millis * 1_000_000).await;
    #[cfg(not(target_arch = "wasm32"))]
    std::thread::sleep(std::time::Duration::from_millis(millis));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_written_as_rfc3339_utc() {
        assert_eq!(
            Timestamp::from_unix_millis(0).to_rfc3339(),
            "1970-01-01T00:00:00.000Z"
        );
        assert_eq!(
            Timestamp::from_unix_millis(1_795_618_445_123).to_rfc3339(),
            "2026-11-25T14:54:05.123Z"
        );
        assert_eq!(
            Timestamp::from_unix_millis(951_782_400_000).to_rfc3339(),
            "2000-02-29T00:00:00.000Z"
        );
    }

    #[test]
    fn a_month_later_is_the_same_day_or_the_last_day_of_a_shorter_month() {
        let at = |raw: &str| Timestamp::parse_rfc3339(raw).unwrap();
        let later = |raw: &str, months| at(raw).plus_months(months).to_rfc3339();
        assert_eq!(later("2026-11-29T10:00:00Z", 1), "2026-12-29T10:00:00.000Z");
        assert_eq!(later("2027-01-31T08:30:00Z", 1), "2027-02-28T08:30:00.000Z");
        assert_eq!(later("2028-01-31T08:30:00Z", 1), "2028-02-29T08:30:00.000Z");
        assert_eq!(later("2026-12-15T00:00:00Z", 3), "2027-03-15T00:00:00.000Z");
        assert_eq!(later("2026-10-31T23:59:59Z", 2), "2026-12-31T23:59:59.000Z");
    }

    #[test]
    fn business_days_skip_weekends() {
        // 2026-11-27 is a Friday: 1 business day later is Monday 30 November; 10 is Friday 11 December.
        let friday = Timestamp::parse_rfc3339("2026-11-27T12:00:00Z").unwrap();
        assert_eq!(
            friday.plus_business_days(1).to_rfc3339(),
            "2026-11-30T12:00:00.000Z"
        );
        assert_eq!(
            friday.plus_business_days(10).to_rfc3339(),
            "2026-12-11T12:00:00.000Z"
        );
    }

    #[test]
    fn written_timestamps_read_back_to_the_same_instant() {
        for ms in [0, 1_795_618_445_123, 951_782_400_999, 4_102_444_800_000] {
            let t = Timestamp::from_unix_millis(ms);
            assert_eq!(Timestamp::parse_rfc3339(&t.to_rfc3339()), Some(t));
        }
        assert_eq!(
            Timestamp::parse_rfc3339("2026-11-25T14:54:05Z")
                .unwrap()
                .unix_millis()
                % 1000,
            0
        );
        assert!(Timestamp::parse_rfc3339("2026-13-25T14:54:05Z").is_none());
    }
}
