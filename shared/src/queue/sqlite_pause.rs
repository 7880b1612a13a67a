//! Pausing a queue on the embedded store: `teleops_paused` in the queue database, read by every
//! process every poll interval into [`Paused`], and [`Pausable`], the worker backend wrapper that
//! fetches nothing from a paused queue (apalis-sqlite fetches whenever it is polled, so the gate
//! has to sit in front of it).

use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use apalis_core::backend::{Backend, BackendConfig, WireFormatBackend};
use apalis_core::worker::context::WorkerContext;
use apalis_sqlite::SqlitePool;

/// The paused queues as this process last read them (`teleops_paused` in the queue database).
#[derive(Debug, Default)]
pub struct Paused {
    queues: Mutex<std::collections::HashSet<String>>,
    refreshing: std::sync::OnceLock<()>,
}

/// The queue table of pauses, made by [`SqliteQueue::migrate`].
pub(super) const PAUSED_TABLE: &str = "CREATE TABLE IF NOT EXISTS teleops_paused (queue TEXT PRIMARY KEY NOT NULL)";

impl Paused {
    pub(super) fn contains(&self, queue: &str) -> bool {
        self.queues.lock().expect("paused lock").contains(queue)
    }

    pub(super) fn set(&self, queue: &str, paused: bool) {
        let mut queues = self.queues.lock().expect("paused lock");
        if paused {
            queues.insert(queue.to_owned());
        } else {
            queues.remove(queue);
        }
    }

    /// Starts (once) re-reading the pauses every `every`, for pauses made by other processes.
    pub(super) fn refresh_from(self: &Arc<Self>, pool: &SqlitePool, every: Duration) {
        let (this, pool) = (Arc::downgrade(self), pool.clone());
        self.refreshing.get_or_init(|| {
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(every);
                loop {
                    tick.tick().await;
                    let Some(this) = this.upgrade() else { return };
                    match sqlx::query_scalar::<_, String>("SELECT queue FROM teleops_paused").fetch_all(&pool).await {
                        Ok(queues) => *this.queues.lock().expect("paused lock") = queues.into_iter().collect(),
                        Err(e) => tracing::debug!(error.message = %e, "could not read paused queues"),
                    }
                }
            });
        });
    }
}

/// A worker backend that hands out nothing while its queue is paused.
pub struct Pausable<B> {
    inner: B,
    paused: Arc<Paused>,
    queue: String,
    /// Wakes the worker to look again while paused.
    tick: tokio::time::Interval,
}

impl<B> Pausable<B> {
    pub(super) fn new(inner: B, paused: Arc<Paused>, queue: &str, every: Duration) -> Self {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        Self { inner, paused, queue: queue.to_owned(), tick }
    }
}

impl<B: Backend> Backend for Pausable<B> {
    type Task = B::Task;
    type Error = B::Error;

    fn poll_ready(&mut self, cx: &mut Context<'_>, worker: &WorkerContext) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx, worker)
    }

    fn poll_next(
        &mut self,
        cx: &mut Context<'_>,
        worker: &WorkerContext,
    ) -> Poll<Option<Result<Self::Task, Self::Error>>> {
        if self.paused.contains(&self.queue) {
            while self.tick.poll_tick(cx).is_ready() {}
            return Poll::Pending;
        }
        self.inner.poll_next(cx, worker)
    }

    fn poll_close(&mut self, cx: &mut Context<'_>, worker: &WorkerContext) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_close(cx, worker)
    }
}

impl<B: BackendConfig> BackendConfig for Pausable<B> {
    type Args = B::Args;
    type Id = B::Id;
    type Kind = B::Kind;
    type Config = B::Config;
    type Layer = B::Layer;

    fn config(&self) -> &Self::Config {
        self.inner.config()
    }

    fn middleware(&mut self, worker: &mut WorkerContext) -> Self::Layer {
        self.inner.middleware(worker)
    }
}

impl<B: WireFormatBackend> WireFormatBackend for Pausable<B> {
    type Codec = B::Codec;
    type Compact = B::Compact;

    fn codec(&self) -> &Self::Codec {
        self.inner.codec()
    }
}
