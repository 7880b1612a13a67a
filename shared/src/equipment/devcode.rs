//! The developer commands' confirmation code (`TELEOPS_DEVELOPER_CODE`): how a typed code is
//! compared, and when a command is locked after wrong ones.
//!
//! Each developer command asks for the code; every answer is recorded per user and command
//! (`developer_attempts`). Three wrong codes within an hour, with no right one since, lock that
//! command for that user for an hour from the third wrong one; while it is locked the bot refuses
//! before asking. Once a lock has run out, the wrong codes that caused it are over an hour old,
//! so the next try starts with all [`MAX_WRONG`] tries again. Pure: the attempts and the time are
//! arguments.

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Wrong codes within [`WINDOW`] that lock a command.
pub const MAX_WRONG: usize = 3;

/// How close together the wrong codes must fall, and how long the lock lasts.
pub const WINDOW: Duration = Duration::hours(1);

/// How far back the attempts that [`verdict`] needs go: a lock in force began within the last
/// [`WINDOW`], with its first wrong code at most a [`WINDOW`] before that.
pub const LOOKBACK: Duration = Duration::hours(2);

/// One recorded answer to the code prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt {
    pub at: DateTime<Utc>,
    pub ok: bool,
}

/// Whether a command may ask for the code now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// It may; `tries_left` wrong codes more lock it (1 to [`MAX_WRONG`]).
    Open { tries_left: usize },
    /// Locked until then.
    Locked { until: DateTime<Utc> },
}

/// The verdict for a user's command at `now`, from its attempts of the last [`LOOKBACK`] (in any
/// order; older ones change nothing).
pub fn verdict(attempts: &[Attempt], now: DateTime<Utc>) -> Verdict {
    let mut attempts = attempts.to_vec();
    attempts.sort_by_key(|a| a.at);
    // Only the wrong codes since the last right one count.
    let since_right = attempts.iter().rposition(|a| a.ok).map_or(0, |i| i + 1);
    let wrong: Vec<DateTime<Utc>> = attempts[since_right..].iter().map(|a| a.at).collect();
    let lock = wrong
        .windows(MAX_WRONG)
        .filter(|w| w[MAX_WRONG - 1] - w[0] < WINDOW)
        .map(|w| w[MAX_WRONG - 1] + WINDOW)
        .filter(|until| now < *until)
        .max();
    if let Some(until) = lock {
        return Verdict::Locked { until };
    }
    let recent = wrong.iter().filter(|at| now - **at < WINDOW).count();
    // Not locked means fewer than MAX_WRONG wrong codes in the last WINDOW (any MAX_WRONG of them
    // would form a lock still in force), so at least one try is left.
    Verdict::Open { tries_left: MAX_WRONG.saturating_sub(recent).max(1) }
}

/// Whether `typed` is the configured code, surrounding whitespace aside. Both are hashed first
/// and the digests compared in constant time, so neither the time taken nor an early exit tells
/// how much of a guess matched or how long the code is.
pub fn matches(code: &str, typed: &str) -> bool {
    let digest = |text: &str| Sha256::digest(text.trim().as_bytes());
    digest(code).as_slice().ct_eq(digest(typed).as_slice()).into()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 7, 1, 10, 0, 0).unwrap()
    }

    fn at(minutes: i64, ok: bool) -> Attempt {
        Attempt { at: t0() + Duration::minutes(minutes), ok }
    }

    /// The verdict `minutes` after t0 for these attempts.
    fn check(attempts: &[Attempt], minutes: i64, expected: Verdict) {
        assert_eq!(verdict(attempts, t0() + Duration::minutes(minutes)), expected, "at +{minutes} min: {attempts:?}");
    }

    fn open(tries_left: usize) -> Verdict {
        Verdict::Open { tries_left }
    }

    fn locked_until(minutes: i64) -> Verdict {
        Verdict::Locked { until: t0() + Duration::minutes(minutes) }
    }

    #[test]
    fn each_wrong_code_uses_a_try_and_the_third_locks_for_an_hour_from_it() {
        check(&[], 0, open(3));
        check(&[at(0, false)], 1, open(2));
        check(&[at(0, false), at(10, false)], 11, open(1));
        let three = [at(0, false), at(10, false), at(20, false)];
        check(&three, 20, locked_until(80));
        // Even when the first wrong one is over an hour old, the lock runs from the third.
        check(&three, 65, locked_until(80));
        check(&three, 79, locked_until(80));
        // Once it has run out, every try is back.
        check(&three, 80, open(3));
    }

    #[test]
    fn a_right_code_clears_the_wrong_ones_before_it() {
        check(&[at(0, false), at(1, false), at(2, true)], 3, open(3));
        check(&[at(0, false), at(1, false), at(2, true), at(3, false), at(4, false)], 5, open(1));
        check(
            &[at(0, false), at(1, false), at(2, true), at(3, false), at(4, false), at(5, false)],
            6,
            locked_until(65),
        );
        // Order of the rows does not matter.
        check(&[at(2, true), at(1, false), at(0, false)], 3, open(3));
    }

    #[test]
    fn wrong_codes_spread_over_more_than_an_hour_do_not_lock() {
        // 0 and 50 are within the hour at 55; at 70 only 50 is.
        check(&[at(0, false), at(50, false)], 55, open(1));
        check(&[at(0, false), at(50, false)], 70, open(2));
        // 0, 50, 70: no three within an hour.
        check(&[at(0, false), at(50, false), at(70, false)], 71, open(1));
        // 50, 70, 75: three within an hour.
        check(&[at(0, false), at(50, false), at(70, false), at(75, false)], 76, locked_until(135));
        // Exactly an hour apart is not "within an hour".
        check(&[at(0, false), at(30, false), at(60, false)], 60, open(1));
    }

    #[test]
    fn only_the_exact_code_matches() {
        assert!(matches("s3cret-code", "s3cret-code"));
        assert!(matches("s3cret-code", "  s3cret-code\n"), "surrounding whitespace is ignored");
        assert!(!matches("s3cret-code", "s3cret-cod"));
        assert!(!matches("s3cret-code", "S3CRET-CODE"));
        assert!(!matches("s3cret-code", ""));
    }
}
