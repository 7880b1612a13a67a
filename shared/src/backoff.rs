//! Exponential backoff with full jitter: how long a failed job waits before its next attempt.

use std::time::Duration;

/// A job kind's retry delays: `base * 2^(attempt-1)`, capped at `max`, then jittered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
}

impl Backoff {
    pub const fn new(base: Duration, max: Duration) -> Self {
        Self { base, max }
    }

    /// The delay before the attempt after `failed_attempt` (1-based), without jitter.
    pub fn ceiling(&self, failed_attempt: u32) -> Duration {
        let exp = failed_attempt.saturating_sub(1).min(30);
        self.base.saturating_mul(1u32 << exp).min(self.max)
    }

    /// The jittered delay: uniform in `[ceiling/2, ceiling]`, so retries of jobs that failed together
    /// spread out while the delay still grows. `unit` is a random number in `[0, 1)`.
    pub fn delay(&self, failed_attempt: u32, unit: f64) -> Duration {
        let ceiling = self.ceiling(failed_attempt);
        let unit = unit.clamp(0.0, 1.0);
        ceiling.mul_f64(0.5 + unit / 2.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const B: Backoff = Backoff::new(Duration::from_secs(2), Duration::from_secs(60));

    #[test]
    fn ceiling_doubles_and_caps() {
        let got: Vec<u64> = (1..=7).map(|a| B.ceiling(a).as_secs()).collect();
        assert_eq!(got, vec![2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(B.ceiling(1000), Duration::from_secs(60));
    }

    #[test]
    fn jitter_stays_between_half_and_full_ceiling() {
        assert_eq!(B.delay(3, 0.0), Duration::from_secs(4));
        assert_eq!(B.delay(3, 1.0), Duration::from_secs(8));
        assert_eq!(B.delay(3, 0.5), Duration::from_secs(6));
        assert_eq!(B.delay(3, 7.0), Duration::from_secs(8), "out-of-range input is clamped");
    }
}
