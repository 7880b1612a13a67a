//! What a slice brings to the worker: its job kinds bound to their handlers, gathered in a
//! [`Registry`] from which the worker role builds one apalis worker per queue.
//!
//! A handler is a closure over the slice's own dependencies (built by the slice when it
//! registers), so no field of [`Deps`] belongs to one slice.

use std::future::Future;
use std::sync::Arc;

use apalis::prelude::Monitor;
use futures::FutureExt;
use shared::config::Settings;
use shared::jobs::{Job, JobKind};

use crate::{Deps, JobError, register};

/// A slice's worker part: binds handlers to its job kinds.
pub type WorkerSlice = Arc<dyn Fn(&mut Registry) -> anyhow::Result<()> + Send + Sync>;

/// How many jobs of a kind one worker process runs at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Width {
    /// One at a time (housekeeping that must not overlap itself).
    One,
    /// `TELEOPS_WORKER_CONCURRENCY`.
    Default,
    /// A multiple of it, for jobs that mostly wait on the network.
    Times(usize),
}

/// Why a slice's handlers do not match its declared job kinds.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// Two handlers for one queue.
    #[error("two handlers for the {0} queue")]
    Duplicate(&'static str),
    /// A handler for a kind no slice declares in its `JOBS`, so listings would miss its queue.
    #[error("a handler for the {0} queue, which no slice's JOBS declares")]
    Undeclared(&'static str),
}

/// Every handler of every slice, and what they may use.
pub struct Registry {
    deps: Arc<Deps>,
    settings: Arc<Settings>,
    declared: Vec<JobKind>,
    run_id: String,
    concurrency: usize,
    monitor: Monitor,
    queues: Vec<&'static str>,
}

impl Registry {
    /// `declared`: every job kind the slices declare (their `JOBS`).
    pub fn new(deps: Arc<Deps>, settings: Arc<Settings>, declared: Vec<JobKind>, concurrency: usize) -> Self {
        let monitor = Monitor::new().should_restart(|ctx, err| {
            tracing::warn!(worker = %ctx.name(), error = %err, "worker stopped; restarting");
            true
        });
        Self { deps, settings, declared, run_id: crate::run_id(), concurrency, monitor, queues: Vec::new() }
    }

    /// The core dependencies every handler may use.
    pub fn deps(&self) -> &Arc<Deps> {
        &self.deps
    }

    pub fn settings(&self) -> &Arc<Settings> {
        &self.settings
    }

    /// Runs `J` jobs with `handler`, `width` at a time.
    pub fn job<J, F, Fut>(&mut self, width: Width, handler: F) -> Result<&mut Self, RegistryError>
    where
        J: Job,
        F: Fn(J) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), JobError>> + Send + 'static,
    {
        if self.queues.contains(&J::QUEUE) {
            return Err(RegistryError::Duplicate(J::QUEUE));
        }
        if !self.declared.iter().any(|k| k.queue == J::QUEUE) {
            return Err(RegistryError::Undeclared(J::QUEUE));
        }
        let concurrency = match width {
            Width::One => 1,
            Width::Default => self.concurrency,
            Width::Times(n) => self.concurrency * n,
        };
        let monitor = std::mem::take(&mut self.monitor);
        self.monitor =
            register::<J>(monitor, &self.deps, &self.run_id, concurrency, move |job, _| handler(job).boxed());
        self.queues.push(J::QUEUE);
        Ok(self)
    }

    /// The queues served, in registration order.
    pub fn queues(&self) -> &[&'static str] {
        &self.queues
    }

    pub(crate) fn into_monitor(self) -> Monitor {
        self.monitor
    }
}
