//! Time zones: every time a user reads is shown in their zone (`/timezone`, else
//! `TELEOPS_TIMEZONE`, else UTC), with the zone named, so "10:00" is never ambiguous.

use std::str::FromStr;

use chrono::{DateTime, Utc};
pub use chrono_tz::Tz;

/// Why a zone name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZoneError {
    /// Not an IANA zone name.
    #[error("{0:?} is not a time zone name (IANA, like Europe/Berlin or America/New_York)")]
    Unknown(String),
}

/// An IANA zone name (`Europe/Berlin`, `UTC`); case-insensitive, so `europe/berlin` works too.
pub fn parse(name: &str) -> Result<Tz, ZoneError> {
    let name = name.trim();
    Tz::from_str(name).or_else(|_| Tz::from_str_insensitive(name)).map_err(|_| ZoneError::Unknown(name.to_owned()))
}

/// `2026-12-24 10:00 Europe/Berlin`.
pub fn minute(at: DateTime<Utc>, zone: Tz) -> String {
    format!("{} {}", at.with_timezone(&zone).format("%Y-%m-%d %H:%M"), zone.name())
}

/// `12-24 10:00:05`, for lists whose header names the zone once.
pub fn short(at: DateTime<Utc>, zone: Tz) -> String {
    at.with_timezone(&zone).format("%m-%d %H:%M:%S").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn names_parse_in_any_case_and_nonsense_is_refused() {
        assert_eq!(parse("Europe/Berlin").unwrap(), chrono_tz::Europe::Berlin);
        assert_eq!(parse(" europe/moscow ").unwrap(), chrono_tz::Europe::Moscow);
        assert_eq!(parse("UTC").unwrap(), chrono_tz::UTC);
        assert!(parse("Mars/Olympus").unwrap_err().to_string().contains("Europe/Berlin"));
        assert!(parse("").is_err());
    }

    #[test]
    fn times_are_shown_in_the_zone_across_a_dst_change() {
        let berlin = chrono_tz::Europe::Berlin;
        // 2026-03-29 01:00 UTC is 03:00 CEST, the hour after the clocks went forward.
        let before = Utc.with_ymd_and_hms(2026, 3, 29, 0, 30, 0).unwrap();
        let after = Utc.with_ymd_and_hms(2026, 3, 29, 1, 30, 0).unwrap();
        assert_eq!(minute(before, berlin), "2026-03-29 01:30 Europe/Berlin");
        assert_eq!(minute(after, berlin), "2026-03-29 03:30 Europe/Berlin");
        assert_eq!(minute(after, chrono_tz::UTC), "2026-03-29 01:30 UTC");
        assert_eq!(short(after, berlin), "03-29 03:30:00");
    }
}
