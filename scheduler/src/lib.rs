//! The scheduler role: decides what is due and enqueues it, exactly once per slot.
//!
//! Brief overview: fixed schedules run on apalis-cron ([`cron_monitor`]; every replica ticks, and the
//! per-tick idempotency key makes the duplicates no-ops). Slices plug a [`DueScan`] into
//! [`Scheduler`], which runs the scans only while it holds the `scheduler` lease, and enqueues each
//! item keyed `kind:id:slot`, so two replicas never double-enqueue. [`OutboxSweep`] enqueues
//! outbox rows whose own enqueue failed.

pub use due::{Due, DueScan, ScanReport, Scheduler, SchedulerOptions};
pub use heartbeat::{EVERY_MINUTE, Retention, cron_monitor};
pub use monitoring::MonitorScan;
pub use outbox::OutboxSweep;

mod due;
mod heartbeat;
mod monitoring;
mod outbox;
