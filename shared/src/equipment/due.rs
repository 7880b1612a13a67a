//! A loan's due date as people type it after `/take <id>`: a date (`2026-12-24`, or `24.12.2026`
//! as Russians write it) or a span from today (`3d`, `2w`, `3 дня`, through
//! [`crate::duration::parse`]). The result is the last local day of the loan in the taker's zone;
//! `today` is that zone's date, passed in, so the rule reads no clock.
//!
//! A span counts whole days and rounds up (`36h` is two days), so a loan never ends sooner than
//! asked. Today is a valid due date; a past date, or one more than [`MAX_AHEAD_DAYS`] ahead, is
//! refused with what the limit is.

use chrono::{Days, NaiveDate};

/// The furthest a due date may lie ahead of today: a year.
pub const MAX_AHEAD_DAYS: u64 = 366;

/// A due date that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DueError {
    /// Neither a date nor a span.
    #[error("{0:?} is not a date like 2026-12-24 or 24.12.2026, or a span like 3d or 2w")]
    Malformed(String),
    /// Before today.
    #[error("{0} is in the past")]
    Past(NaiveDate),
    /// Later than the latest allowed date (today + [`MAX_AHEAD_DAYS`]), given with it.
    #[error("{day} is more than a year ahead (at most {latest})")]
    TooFar { day: NaiveDate, latest: NaiveDate },
}

/// The due date `input` names, seen from `today` (the taker's local date).
pub fn parse(input: &str, today: NaiveDate) -> Result<NaiveDate, DueError> {
    let input = input.trim();
    let malformed = || DueError::Malformed(input.to_owned());
    let day = match date(input) {
        Some(day) => day,
        None => {
            let span = crate::duration::parse(input).map_err(|_| malformed())?;
            let days = span.as_secs().div_ceil(86_400);
            today.checked_add_days(Days::new(days)).ok_or_else(malformed)?
        }
    };
    let latest = today.checked_add_days(Days::new(MAX_AHEAD_DAYS)).unwrap_or(NaiveDate::MAX);
    if day < today {
        Err(DueError::Past(day))
    } else if day > latest {
        Err(DueError::TooFar { day, latest })
    } else {
        Ok(day)
    }
}

/// `2026-12-24` or `24.12.2026` (one-digit days and months too).
fn date(input: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(input, "%Y-%m-%d").or_else(|_| NaiveDate::parse_from_str(input, "%d.%m.%Y")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn check(input: &str, expected: Result<NaiveDate, DueError>) {
        assert_eq!(parse(input, day(2026, 7, 1)), expected, "{input:?}");
    }

    #[test]
    fn dates_are_taken_in_either_writing() {
        check("2026-12-24", Ok(day(2026, 12, 24)));
        check(" 24.12.2026 ", Ok(day(2026, 12, 24)));
        check("1.8.2026", Ok(day(2026, 8, 1)));
        check("2026-07-01", Ok(day(2026, 7, 1)));
    }

    #[test]
    fn spans_count_whole_days_from_today_rounding_up() {
        check("3d", Ok(day(2026, 7, 4)));
        check("2w", Ok(day(2026, 7, 15)));
        check("3 дня", Ok(day(2026, 7, 4)));
        check("1 неделю", Ok(day(2026, 7, 8)));
        check("36h", Ok(day(2026, 7, 3)));
        check("5m", Ok(day(2026, 7, 2)));
    }

    #[test]
    fn past_far_and_nonsense_are_refused() {
        check("2026-06-30", Err(DueError::Past(day(2026, 6, 30))));
        check("2027-07-02", Ok(day(2027, 7, 2)));
        check("2027-07-03", Err(DueError::TooFar { day: day(2027, 7, 3), latest: day(2027, 7, 2) }));
        check("400d", Err(DueError::TooFar { day: day(2027, 8, 5), latest: day(2027, 7, 2) }));
        check("31.02.2026", Err(DueError::Malformed("31.02.2026".into())));
        check("tomorrow", Err(DueError::Malformed("tomorrow".into())));
        check("0d", Ok(day(2026, 7, 1)));
        check("99999999999999w", Err(DueError::Malformed("99999999999999w".into())));
    }
}
