use std::fmt;
use std::time::Duration;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A point in time, in milliseconds since the Unix epoch (UTC).
///
/// Milliseconds are the wire's precision (`2026-03-04T12:00:00.000Z`) and fit
/// in a BIGINT on every database, so storage never has to convert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

const MS_PER_DAY: i64 = 86_400_000;

impl Timestamp {
    pub const fn from_millis(ms: i64) -> Self {
        Timestamp(ms)
    }

    pub const fn as_millis(self) -> i64 {
        self.0
    }

    /// Parses RFC 3339 with any offset (`2026-03-05T18:00:00Z`,
    /// `2026-03-05T19:00:00+01:00`); sub-millisecond digits are truncated.
    pub fn parse_rfc3339(s: &str) -> Option<Self> {
        let dt = OffsetDateTime::parse(s, &Rfc3339).ok()?;
        // Floor, not `/`: before 1970 truncating toward zero would move the
        // time later.
        let ms = dt.unix_timestamp_nanos().div_euclid(1_000_000);
        i64::try_from(ms).ok().map(Timestamp)
    }

    pub fn plus(self, d: Duration) -> Self {
        Timestamp(self.0.saturating_add(duration_ms(d)))
    }

    pub fn minus(self, d: Duration) -> Self {
        Timestamp(self.0.saturating_sub(duration_ms(d)))
    }

    /// The time from `self` until `later`, zero if `later` is not later.
    pub fn until(self, later: Timestamp) -> Duration {
        Duration::from_millis(u64::try_from(later.0.saturating_sub(self.0)).unwrap_or(0))
    }

    /// Midnight UTC at the start of this timestamp's day.
    pub fn start_of_utc_day(self) -> Self {
        Timestamp(self.0.div_euclid(MS_PER_DAY) * MS_PER_DAY)
    }

    /// The next midnight UTC strictly after this timestamp's day began.
    pub fn next_utc_midnight(self) -> Self {
        Timestamp(self.start_of_utc_day().0.saturating_add(MS_PER_DAY))
    }
}

fn duration_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// RFC 3339 UTC with exactly three fractional digits, as on the wire.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nanos = i128::from(self.0) * 1_000_000;
        let Ok(dt) = OffsetDateTime::from_unix_timestamp_nanos(nanos) else {
            return write!(f, "invalid-timestamp({})", self.0);
        };
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            dt.year(),
            u8::from(dt.month()),
            dt.day(),
            dt.hour(),
            dt.minute(),
            dt.second(),
            dt.millisecond()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_as_rfc3339_utc_with_milliseconds() {
        assert_eq!(
            Timestamp::from_millis(0).to_string(),
            "1970-01-01T00:00:00.000Z"
        );
        assert_eq!(
            Timestamp::from_millis(1_772_625_600_123).to_string(),
            "2026-03-04T12:00:00.123Z"
        );
    }

    #[test]
    fn parses_offsets_and_round_trips() {
        let utc = Timestamp::parse_rfc3339("2026-03-05T18:00:00Z").unwrap();
        let plus_one = Timestamp::parse_rfc3339("2026-03-05T19:00:00+01:00").unwrap();
        assert_eq!(utc, plus_one);
        assert_eq!(Timestamp::parse_rfc3339(&utc.to_string()), Some(utc));
        assert_eq!(Timestamp::parse_rfc3339("2026-03-05"), None);
        assert_eq!(Timestamp::parse_rfc3339("yesterday"), None);
    }

    #[test]
    fn sub_millisecond_digits_round_down_before_1970_too() {
        assert_eq!(
            Timestamp::parse_rfc3339("1969-12-31T23:59:59.9991Z"),
            Some(Timestamp::from_millis(-1))
        );
        assert_eq!(
            Timestamp::parse_rfc3339("1970-01-01T00:00:00.0009Z"),
            Some(Timestamp::from_millis(0))
        );
    }

    #[test]
    fn utc_day_boundaries() {
        let t = Timestamp::parse_rfc3339("2026-03-04T23:59:59.999Z").unwrap();
        assert_eq!(t.start_of_utc_day().to_string(), "2026-03-04T00:00:00.000Z");
        assert_eq!(
            t.next_utc_midnight().to_string(),
            "2026-03-05T00:00:00.000Z"
        );
        let midnight = Timestamp::parse_rfc3339("2026-03-05T00:00:00Z").unwrap();
        assert_eq!(midnight.start_of_utc_day(), midnight);
        assert_eq!(
            midnight.next_utc_midnight().to_string(),
            "2026-03-06T00:00:00.000Z"
        );
    }

    #[test]
    fn until_is_never_negative() {
        let a = Timestamp::from_millis(1_000);
        let b = Timestamp::from_millis(3_500);
        assert_eq!(a.until(b), Duration::from_millis(2_500));
        assert_eq!(b.until(a), Duration::ZERO);
    }
}
