//! The worker role: pulls jobs from the queues and runs their handlers.
//!
//! Brief overview: [`Deps`] is what every handler may use. Each slice binds handlers to its job
//! kinds in a [`Registry`] ([`core::register`], [`monitoring::register`]); [`run`] runs one apalis
//! worker per queue, each with [`runtime`]'s job runner, which decodes the payload, applies the kind's
//! timeout, turns panics into failed attempts, schedules the retry with backoff and counts
//! metrics. Handlers live in one module per slice: [`heartbeat`], [`notify`].
//!
//! Handlers do not know which queue backend feeds them.

pub use registry::{Registry, RegistryError, Width, WorkerSlice};
pub use runtime::{Deps, Handler, JobError, register, run, run_id};

pub mod core;
pub mod equipment;
pub mod heartbeat;
pub mod monitoring;
pub mod notify;
mod registry;
mod runtime;
#[cfg(any(test, feature = "test-support"))]
pub mod testing;
