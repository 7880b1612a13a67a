//! The worker role: pulls jobs from the queues and runs their handlers.
//!
//! Brief overview: [`Deps`] is what handlers may use. [`monitor`] registers one apalis worker per
//! queue; each runs [`runtime`]'s job runner, which decodes the payload, applies the kind's
//! timeout, turns panics into failed attempts, schedules the retry with backoff and counts
//! metrics. Handlers live in one module per slice: [`heartbeat`], [`notify`].
//!
//! Handlers do not know which queue backend feeds them.

pub use runtime::{Deps, Handler, JobError, monitor, register, run, run_id};

pub mod heartbeat;
pub mod monitoring;
pub mod notify;
mod runtime;
#[cfg(any(test, feature = "test-support"))]
pub mod testing;
