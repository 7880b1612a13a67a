//! The scheduler role: decides what is due and enqueues it, exactly once per slot.
//!
//! Brief overview: each slice adds its due-scans and cron entries to a [`Registry`]. Fixed
//! schedules run on apalis-cron (every replica ticks, and the per-slot idempotency key makes the
//! duplicates no-ops). The [`Scheduler`] runs the [`DueScan`]s only while it holds the
//! `scheduler` lease, and enqueues each item keyed `kind:id:slot`, so two replicas never
//! double-enqueue. [`OutboxSweep`] (the core's scan) enqueues outbox rows whose own enqueue
//! failed.

pub use due::{Due, DueScan, ScanReport, Scheduler, SchedulerOptions};
pub use heartbeat::EVERY_MINUTE;
pub use outbox::OutboxSweep;
pub use registry::{Registry, SchedulerSlice};

mod due;
pub mod equipment;
pub mod heartbeat;
pub mod monitoring;
mod outbox;
mod registry;
