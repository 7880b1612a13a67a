//! What an embedded-store worker fetches through: apalis-sqlite's own queries, driven by
//! apalis-core's [`Persisted`], with one rule of teleops' added: a paused queue hands out nothing.
//!
//! The pause is read in the fetch's own transaction (`teleops_paused` in the queue database), so
//! it holds across processes at once, and a job enqueued after a pause is never fetched before
//! the resume. It cannot sit in front of apalis-sqlite's backend instead: a
//! gate that stops polling it can stop in the middle of its fetch transaction, after the `UPDATE`
//! took the database's write lock and before the `COMMIT`, and every writer of the queue
//! database then waits until the queue is resumed. The rest is apalis-sqlite's storage as it is:
//! the same queries, transactions and settings.

use std::task::{Context, Poll};

use apalis_codec::json::JsonCodec;
use apalis_core::backend::persistence::{Persisted, Persistence, TaskEvent, TaskPersistLayer};
use apalis_core::backend::{Backend, BackendConfig, WireFormatBackend, WorkerFilter};
use apalis_core::task::Task;
use apalis_core::worker::context::WorkerContext;
use apalis_sqlite::{Config, Error, SqlitePool, queries};
use serde_json::Value;
use ulid::Ulid;

/// The queue table of pauses, made by [`super::SqliteQueue::migrate`].
pub(super) const PAUSED_TABLE: &str = "CREATE TABLE IF NOT EXISTS teleops_paused (queue TEXT PRIMARY KEY NOT NULL)";

/// Whether `queue` is paused.
pub(super) async fn is_paused(
    db: impl sqlx::Executor<'_, Database = sqlx::Sqlite>,
    queue: &str,
) -> Result<bool, sqlx::Error> {
    let row: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM teleops_paused WHERE queue = ?1").bind(queue).fetch_optional(db).await?;
    Ok(row.is_some())
}

/// One queue's storage as its worker sees it.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
    config: Config,
}

impl Persistence for Store {
    type Compact = Vec<u8>;
    type Response = Value;
    type Error = Error;

    async fn register(&mut self, worker: &WorkerContext) -> Result<(), Error> {
        let mut tx = self.pool.begin().await?;
        let dead_for = secs(self.config.heartbeat_interval);
        let mine = WorkerFilter::Only(worker.name().to_owned());
        queries::reenqueue_orphaned(&mut *tx, dead_for, self.config.queue.as_ref(), &mine).await?;
        queries::register_worker(&mut *tx, &self.config, worker, "SqliteStorage").await?;
        tx.commit().await?;
        Ok(())
    }

    async fn heartbeat(&mut self, worker: &WorkerContext) -> Result<(), Error> {
        let mut tx = self.pool.begin().await?;
        queries::keep_alive(&mut *tx, &self.config, worker).await?;
        let others = WorkerFilter::AllExcept(worker.name().to_owned());
        let dead_for = secs(self.config.orphaned_duration());
        queries::reenqueue_orphaned(&mut *tx, dead_for, self.config.queue.as_ref(), &others).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn fetch_next(&mut self, worker: &WorkerContext) -> Result<Vec<Task<Vec<u8>>>, Error> {
        // The pause is read inside the fetch's transaction, which takes the write lock first
        // (IMMEDIATE): a pause is a write, so it lands wholly before this fetch (which then sees
        // it) or after it (and a job enqueued after the pause is not there yet). Read before the
        // transaction, a pause and an enqueue could both land between the read and the fetch,
        // and the fetch took the job. Deferred, the transaction would fail at once, without
        // waiting, when another writer committed between its read and its write.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        if is_paused(&mut *tx, self.config.queue.as_ref()).await? {
            tx.rollback().await?;
            return Ok(Vec::new());
        }
        let tasks = queries::fetch_next(&mut *tx, &self.config, worker).await?;
        tx.commit().await?;
        Ok(tasks)
    }

    async fn reenqueue_abandoned(&mut self, tasks: Vec<Task<Vec<u8>>>, worker: &WorkerContext) -> Result<u64, Error> {
        let ids: Vec<String> = tasks.iter().filter_map(|t| t.task_id()).map(ToString::to_string).collect();
        let mut tx = self.pool.begin().await?;
        let count = queries::reenqueue_abandoned(&mut *tx, self.config.queue.as_ref(), worker.name(), &ids).await?;
        tx.commit().await?;
        Ok(count)
    }

    async fn handle_events(&mut self, events: Vec<TaskEvent<Value>>, worker: &WorkerContext) -> Result<(), Error> {
        let mut locks = Vec::new();
        let mut acks = Vec::new();
        for event in &events {
            match event {
                TaskEvent::Lock { task_id, .. } => locks.push(task_id.to_string()),
                TaskEvent::Complete(result) => acks.push(result),
                _ => {}
            }
        }
        if locks.is_empty() && acks.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        if !locks.is_empty() {
            queries::lock_tasks(&mut *tx, &locks, worker.name()).await?;
        }
        if !acks.is_empty() {
            queries::ack_tasks(&mut *tx, &acks, worker.name()).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn push_tasks(&mut self, tasks: Vec<Task<Vec<u8>>>) -> Result<(), Error> {
        let mut tx = self.pool.begin().await?;
        queries::push_tasks(&mut *tx, self.config.queue.as_ref(), &tasks).await?;
        tx.commit().await?;
        Ok(())
    }
}

fn secs(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

/// The worker backend of one embedded queue.
#[derive(Debug)]
pub struct SqliteWorker {
    persisted: Persisted<Store>,
    config: Config,
    codec: JsonCodec<Vec<u8>>,
}

impl SqliteWorker {
    pub(super) fn new(pool: &SqlitePool, config: Config) -> Self {
        let store = Store { pool: pool.clone(), config: config.clone() };
        Self { persisted: Persisted::new(store), config, codec: JsonCodec::default() }
    }
}

impl Backend for SqliteWorker {
    type Task = Task<Vec<u8>>;
    type Error = Error;

    fn poll_ready(&mut self, cx: &mut Context<'_>, worker: &WorkerContext) -> Poll<Result<(), Error>> {
        self.persisted.poll_ready(cx, worker, self.config.heartbeat_interval)
    }

    fn poll_next(&mut self, cx: &mut Context<'_>, worker: &WorkerContext) -> Poll<Option<Result<Self::Task, Error>>> {
        self.persisted.poll_next(cx, worker)
    }

    fn poll_close(&mut self, cx: &mut Context<'_>, worker: &WorkerContext) -> Poll<Result<(), Error>> {
        self.persisted.poll_close(cx, worker)
    }
}

impl BackendConfig for SqliteWorker {
    type Args = Value;
    type Id = Ulid;
    type Kind = apalis_core::backend::finalize::Durable;
    type Config = Config;
    type Layer = TaskPersistLayer<JsonCodec<Value>, Value>;

    fn config(&self) -> &Config {
        &self.config
    }

    fn middleware(&mut self, _: &mut WorkerContext) -> Self::Layer {
        self.persisted
            .layer(JsonCodec::default(), self.config.batch_size)
            .persist_results(self.config.persist_results)
            .lock_tasks(self.config.lock_tasks)
    }
}

impl WireFormatBackend for SqliteWorker {
    type Codec = JsonCodec<Vec<u8>>;
    type Compact = Vec<u8>;

    fn codec(&self) -> &Self::Codec {
        &self.codec
    }
}
