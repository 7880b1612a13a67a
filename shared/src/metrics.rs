//! Prometheus metrics of the job pipeline, prefixed `teleops_`, served by the dashboard's `/metrics`.
//!
//! Counters live in the process that does the work; queue depth is read from the queue at scrape
//! time, so it is right whichever process enqueued.

pub use prometheus;
use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry};

/// The metric families; cheap to clone (all handles are shared).
#[derive(Clone, Debug)]
pub struct Metrics {
    pub registry: Registry,
    pub jobs_enqueued: IntCounterVec,
    pub jobs_succeeded: IntCounterVec,
    pub jobs_failed: IntCounterVec,
    pub jobs_dead: IntCounterVec,
    pub job_duration: HistogramVec,
    pub queue_depth: IntGaugeVec,
    pub messages_sent: IntCounterVec,
    /// Checks run, by outcome (`up`, `down`; `unreadable` for a monitor row that does not decode
    /// and so is not checked).
    pub checks: IntCounterVec,
    /// Check slots not run because they were more than one interval late, by where (`scheduler`,
    /// `worker`).
    pub check_slots_skipped: IntCounterVec,
    /// How late a check started after its scheduled slot.
    pub check_lag: prometheus::Histogram,
    /// Time a check batch spent per phase (`load`, `probe`, `write`).
    pub check_phase: HistogramVec,
    /// The app-clock time (Unix seconds) of the last tick this process's scheduler ran as the
    /// leader, its scans included: 0 while it does not lead.
    pub scheduler_tick: prometheus::IntGauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new_custom(Some("teleops".into()), None).expect("valid prefix");
        let counter = |name: &str, help: &str, labels: &[&str]| {
            let c = IntCounterVec::new(Opts::new(name, help), labels).expect("valid counter");
            registry.register(Box::new(c.clone())).expect("unique counter");
            c
        };
        let jobs_enqueued = counter("jobs_enqueued_total", "Jobs added to a queue.", &["kind"]);
        let jobs_succeeded = counter("jobs_succeeded_total", "Job attempts that succeeded.", &["kind"]);
        let jobs_failed =
            counter("jobs_failed_total", "Job attempts that failed (timeouts and panics included).", &["kind"]);
        let jobs_dead = counter("jobs_dead_total", "Jobs that will not run again.", &["kind"]);
        let messages_sent = counter("telegram_messages_total", "Telegram sends by outcome.", &["outcome"]);
        let checks = counter("checks_total", "Monitor checks run, by outcome.", &["outcome"]);
        let check_slots_skipped =
            counter("check_slots_skipped_total", "Check slots skipped as more than one interval late.", &["by"]);
        let check_lag = prometheus::Histogram::with_opts(
            HistogramOpts::new("check_lag_seconds", "How late a check started after its scheduled slot.")
                .buckets(vec![0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0, 60.0]),
        )
        .expect("valid histogram");
        registry.register(Box::new(check_lag.clone())).expect("unique histogram");
        let check_phase = HistogramVec::new(
            HistogramOpts::new("check_phase_seconds", "Time a check batch spent per phase.")
                .buckets(vec![0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0]),
            &["phase"],
        )
        .expect("valid histogram");
        registry.register(Box::new(check_phase.clone())).expect("unique histogram");
        let job_duration = HistogramVec::new(
            HistogramOpts::new("job_duration_seconds", "Time one job attempt ran.")
                .buckets(vec![0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 120.0]),
            &["kind"],
        )
        .expect("valid histogram");
        registry.register(Box::new(job_duration.clone())).expect("unique histogram");
        let scheduler_tick = prometheus::IntGauge::new(
            "scheduler_last_tick_seconds",
            "App-clock time of the last due-scan tick this scheduler ran as the leader.",
        )
        .expect("valid gauge");
        registry.register(Box::new(scheduler_tick.clone())).expect("unique gauge");
        let queue_depth = IntGaugeVec::new(Opts::new("queue_depth", "Jobs by queue and state."), &["kind", "state"])
            .expect("valid gauge");
        registry.register(Box::new(queue_depth.clone())).expect("unique gauge");
        Self {
            registry,
            scheduler_tick,
            jobs_enqueued,
            jobs_succeeded,
            jobs_failed,
            jobs_dead,
            job_duration,
            queue_depth,
            messages_sent,
            checks,
            check_slots_skipped,
            check_lag,
            check_phase,
        }
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        prometheus::TextEncoder::new().encode_to_string(&self.registry.gather()).unwrap_or_default()
    }
}
