//! Summaries of raw check results: hourly rollups (count, failures, latency p50/p95/max) and
//! uptime percentages.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};

/// One hour (or any window) of results for one monitor.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rollup {
    pub count: u32,
    pub failures: u32,
    /// Latency percentiles over successful checks, in milliseconds.
    pub p50_ms: Option<u32>,
    pub p95_ms: Option<u32>,
    pub max_ms: Option<u32>,
}

/// Summarizes `(ok, latency_ms)` samples. Latency percentiles use successful checks only
/// (nearest-rank).
pub fn summarize(samples: impl IntoIterator<Item = (bool, Option<u32>)>) -> Rollup {
    let mut count = 0;
    let mut failures = 0;
    let mut latencies = Vec::new();
    for (ok, latency) in samples {
        count += 1;
        if ok {
            latencies.extend(latency);
        } else {
            failures += 1;
        }
    }
    latencies.sort_unstable();
    let rank = |q: f64| -> Option<u32> {
        if latencies.is_empty() {
            return None;
        }
        let idx = ((q * latencies.len() as f64).ceil() as usize).clamp(1, latencies.len()) - 1;
        Some(latencies[idx])
    };
    Rollup { count, failures, p50_ms: rank(0.50), p95_ms: rank(0.95), max_ms: latencies.last().copied() }
}

/// Uptime in percent; `None` without checks.
pub fn uptime_percent(count: u64, failures: u64) -> Option<f64> {
    (count > 0).then(|| 100.0 * (count - failures.min(count)) as f64 / count as f64)
}

/// The start of the hour `at` falls in.
pub fn hour_of(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(TimeDelta::hours(1)).unwrap_or(at)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn percentiles_use_successes_only() {
        let samples = (1..=100).map(|ms| (true, Some(ms))).chain([(false, None), (false, Some(9999))]);
        let r = summarize(samples);
        assert_eq!((r.count, r.failures), (102, 2));
        assert_eq!((r.p50_ms, r.p95_ms, r.max_ms), (Some(50), Some(95), Some(100)));
    }

    #[test]
    fn empty_and_all_failed_windows_have_no_latency() {
        assert_eq!(summarize([]), Rollup::default());
        let r = summarize([(false, None), (false, None)]);
        assert_eq!((r.count, r.failures, r.p50_ms), (2, 2, None));
    }

    #[test]
    fn uptime_and_hours() {
        assert_eq!(uptime_percent(0, 0), None);
        assert_eq!(uptime_percent(200, 1), Some(99.5));
        let at = Utc.with_ymd_and_hms(2026, 3, 1, 13, 59, 59).unwrap();
        assert_eq!(hour_of(at), Utc.with_ymd_and_hms(2026, 3, 1, 13, 0, 0).unwrap());
    }
}
