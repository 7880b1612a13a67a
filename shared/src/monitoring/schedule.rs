//! When checks run: intervals and durations as users type them, a per-monitor phase so monitors
//! added together do not fire together, and the next slot after a run (skipping stale slots).

use std::time::Duration;

use chrono::{DateTime, Utc};

/// How often a monitor is checked: from 10 s to 24 h. Construct with [`Interval::parse`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Interval(Duration);

impl Interval {
    pub const MIN: Duration = Duration::from_secs(10);
    pub const MAX: Duration = Duration::from_secs(24 * 3600);
    pub const DEFAULT: Interval = Interval(Duration::from_secs(60));

    pub fn parse(input: &str) -> Result<Self, DurationError> {
        Self::new(parse_duration(input)?)
    }

    pub fn new(d: Duration) -> Result<Self, DurationError> {
        if d < Self::MIN {
            Err(DurationError::TooShort { min: Self::MIN })
        } else if d > Self::MAX {
            Err(DurationError::TooLong { max: Self::MAX })
        } else {
            Ok(Self(d))
        }
    }

    pub fn from_secs(secs: i64) -> Result<Self, DurationError> {
        Self::new(Duration::from_secs(u64::try_from(secs).unwrap_or(0)))
    }

    pub fn duration(self) -> Duration {
        self.0
    }

    pub fn secs(self) -> i64 {
        self.0.as_secs() as i64
    }
}

// Monitoring's call sites name these; the parser and its error live in `crate::duration`, which
// other slices share.
pub use crate::duration::DurationError;

/// [`crate::duration::parse`]: `30s`, `5m`, `1h30m`, `7 минут`, `2 часа`.
pub fn parse_duration(input: &str) -> Result<Duration, DurationError> {
    crate::duration::parse(input)
}

/// [`crate::duration::format`] in English, for logs and audit details; users read
/// `crate::duration::format` in their language.
pub fn format_duration(d: Duration) -> String {
    crate::duration::format(crate::i18n::Lang::En, d)
}

/// A stable pseudo-random offset of `id` within `[0, modulus)`, so monitors created together spread
/// over their interval (SplitMix64 of the id).
pub fn phase(id: i64, modulus_secs: i64) -> i64 {
    let mut z = (id as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z % modulus_secs.max(1) as u64) as i64
}

/// A new monitor's first check: soon (within 10 s), spread by its phase. Slots are whole seconds:
/// a slot is the check's identity (`check:id:slot`) and the scheduler moves a monitor on only from
/// the exact slot it enqueued.
pub fn first_run(id: i64, interval: Interval, now: DateTime<Utc>) -> DateTime<Utc> {
    let whole = DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now);
    whole + chrono::Duration::seconds(phase(id, interval.secs().min(10)))
}

/// The next slot after one scheduled at `scheduled`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Next {
    pub at: DateTime<Utc>,
    /// Slots passed over because they were already more than one interval late.
    pub skipped: u32,
}

/// One interval after `scheduled`; slots that are already stale at `now` are skipped and counted,
/// so a backlog after an outage never replays old checks.
pub fn next_run(scheduled: DateTime<Utc>, interval: Interval, now: DateTime<Utc>) -> Next {
    let step = interval.secs();
    let mut at = scheduled + chrono::Duration::seconds(step);
    let mut skipped = 0;
    if is_stale(at, interval, now) {
        let behind = (now - at).num_seconds();
        let n = behind / step;
        at += chrono::Duration::seconds(n * step);
        skipped = n as u32;
    }
    Next { at, skipped }
}

/// True when a check scheduled at `scheduled` is more than one interval late at `now`.
pub fn is_stale(scheduled: DateTime<Utc>, interval: Interval, now: DateTime<Utc>) -> bool {
    (now - scheduled).num_seconds() > interval.secs()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn t(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn intervals_parse_with_units_and_limits() {
        assert_eq!(Interval::parse("30s").unwrap().secs(), 30);
        assert_eq!(Interval::parse("5m").unwrap().secs(), 300);
        assert_eq!(Interval::parse("1h").unwrap().secs(), 3600);
        assert_eq!(Interval::parse("1h30m").unwrap().secs(), 5400);
        assert_eq!(Interval::parse(" 10S ").unwrap().secs(), 10);
        assert_eq!(Interval::parse("9s"), Err(DurationError::TooShort { min: Interval::MIN }));
        assert_eq!(Interval::parse("0s"), Err(DurationError::TooShort { min: Interval::MIN }));
        assert_eq!(Interval::parse("2d"), Err(DurationError::TooLong { max: Interval::MAX }));
        assert_eq!(Interval::parse("7 минут").unwrap().secs(), 420);
        assert_eq!(Interval::parse("24 часа"), Ok(Interval(Interval::MAX)));
        for bad in ["", "60", "5 minutes ago", "-5m", "m", "5x", "99999999999999999999s"] {
            assert!(matches!(Interval::parse(bad), Err(DurationError::Malformed(_))), "{bad}");
        }
        assert_eq!(Interval::parse("9s").unwrap_err().to_string(), "must be at least 10s");
    }

    #[test]
    fn phases_spread_monitors_over_the_interval() {
        let phases: Vec<i64> = (1..=600).map(|id| phase(id, 60)).collect();
        assert!(phases.iter().all(|p| (0..60).contains(p)));
        let mut per_second = [0u32; 60];
        for p in &phases {
            per_second[*p as usize] += 1;
        }
        // 600 monitors over 60 seconds: no second gets more than three times its share.
        assert!(per_second.iter().all(|n| *n <= 30), "{per_second:?}");
        assert_eq!(phase(42, 60), phase(42, 60), "stable");
        assert!(first_run(7, Interval::DEFAULT, t(0)) < t(10));
        let with_fraction = t(0) + chrono::Duration::milliseconds(750);
        assert_eq!(first_run(7, Interval::DEFAULT, with_fraction).timestamp_subsec_nanos(), 0, "whole seconds");
    }

    #[test]
    fn the_next_run_skips_stale_slots() {
        let every_minute = Interval::DEFAULT;
        assert_eq!(next_run(t(0), every_minute, t(1)), Next { at: t(60), skipped: 0 });
        // Ran late but within one interval: keep the grid.
        assert_eq!(next_run(t(0), every_minute, t(100)), Next { at: t(60), skipped: 0 });
        // Back from a ten-minute outage: jump to the current slot, count the ones passed over.
        assert_eq!(next_run(t(0), every_minute, t(600)), Next { at: t(600), skipped: 9 });
        assert!(is_stale(t(0), every_minute, t(61)));
        assert!(!is_stale(t(0), every_minute, t(60)));
    }
}
