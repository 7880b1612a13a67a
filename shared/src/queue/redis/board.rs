//! apalis-board's API over the Redis store: [`RedisBoard`] is one queue's view for the
//! dashboard's `/api/v1` (queues, tasks, workers, statistics, one task, and a push).
//!
//! The board requires a full apalis backend even where it only reads, so `RedisBoard` is one
//! that never hands out a task; workers use [`super::backend::RedisBackend`]. Its words map to
//! the facade's: pending = waiting, failed = retrying, killed = dead.

use std::pin::Pin;
use std::task::{Context, Poll};

use apalis_core::backend::codec::Codec;
use apalis_core::backend::finalize::Durable;
use apalis_core::backend::future::BoxSyncFuture;
use apalis_core::backend::{
    Backend, BackendConfig, FetchById, Filter, ListAllTasks, ListQueues, ListTasks, ListWorkers, Metrics, QueueInfo,
    RunningWorker, StatType, Statistic, WireFormatBackend,
};
use apalis_core::task::Task;
use apalis_core::task::builder::TaskBuilder;
use apalis_core::task::status::Status;
use apalis_core::task::task_id::TaskId;
use apalis_core::worker::context::WorkerContext;
use chrono::Utc;
use futures::{FutureExt, Sink};
use serde_json::Value;

use super::{RedisQueue, RedisQueueError, WorkerInfo};
use crate::queue::{Enqueue, JobFilter, JobInfo, JobState, LenientJson, QueueCounts};

/// Attempts a job pushed through the board gets when it names none.
const BOARD_MAX_ATTEMPTS: u32 = 3;

/// One queue of the Redis store, as apalis-board sees it.
pub struct RedisBoard {
    store: RedisQueue,
    queue: String,
    codec: LenientJson,
    /// Pushed tasks not yet flushed, and the flush in flight.
    pushed: Vec<Task<Vec<u8>>>,
    flush: Option<BoxSyncFuture<Result<(), RedisQueueError>>>,
}

impl RedisBoard {
    pub fn new(store: RedisQueue, queue: &str) -> Self {
        Self { store, queue: queue.to_owned(), codec: LenientJson, pushed: Vec::new(), flush: None }
    }
}

fn state_of(status: &Status) -> JobState {
    match status {
        Status::Running => JobState::Running,
        Status::Done => JobState::Done,
        Status::Failed => JobState::Retrying,
        Status::Killed => JobState::Dead,
        // Pending, Queued, and whatever a later apalis adds.
        _ => JobState::Waiting,
    }
}

fn status_of(state: JobState) -> Status {
    match state {
        JobState::Waiting => Status::Pending,
        JobState::Running => Status::Running,
        JobState::Retrying => Status::Failed,
        JobState::Done => Status::Done,
        JobState::Dead => Status::Killed,
    }
}

fn task_of(job: JobInfo) -> Task<Vec<u8>> {
    let secs = |at: chrono::DateTime<Utc>| at.timestamp().max(0) as u64;
    let mut task = TaskBuilder::new(LenientJson.encode(&job.payload).unwrap_or_default())
        .task_id(TaskId::from_string(job.id))
        .attempt(job.attempts as usize)
        .max_attempts(job.max_attempts as usize)
        .status(status_of(job.state))
        .run_at_timestamp(secs(job.run_at))
        .done_at(job.done_at.map(secs))
        .lock_by(job.worker);
    if let Some(key) = job.idempotency_key {
        task = task.idempotency_key(key);
    }
    task.build()
}

fn statistics(counts: &[QueueCounts]) -> Vec<Statistic> {
    let sum = |f: fn(&QueueCounts) -> i64| counts.iter().map(f).sum::<i64>().to_string();
    let stat = |title: &str, value: String, priority| Statistic {
        title: title.to_owned(),
        stat_type: StatType::Number,
        value,
        priority: Some(priority),
    };
    vec![
        stat("Pending", sum(|c| c.pending), 1),
        stat("Running", sum(|c| c.running), 2),
        stat("Done", sum(|c| c.done), 3),
        stat("Dead", sum(|c| c.dead), 4),
    ]
}

fn running_worker(w: WorkerInfo) -> RunningWorker {
    let secs = |at: chrono::DateTime<Utc>| at.timestamp().max(0) as u64;
    RunningWorker {
        id: w.name,
        queue: w.queue,
        backend: "teleops-redis".into(),
        started_at: secs(w.started),
        last_heartbeat: secs(w.last_beat),
        layers: String::new(),
    }
}

impl RedisBoard {
    async fn list(&self, queue: Option<&str>, filter: &Filter) -> Result<Vec<Task<Vec<u8>>>, RedisQueueError> {
        let jobs = JobFilter {
            queue: queue.map(str::to_owned),
            state: filter.status.as_ref().map(state_of),
            idempotency_key: None,
        };
        let jobs = self.store.list(&jobs, u64::from(filter.limit()), u64::from(filter.offset())).await?;
        Ok(jobs.into_iter().map(task_of).collect())
    }
}

impl Backend for RedisBoard {
    type Task = Task<Vec<u8>>;
    type Error = RedisQueueError;

    fn poll_ready(&mut self, _: &mut Context<'_>, _: &WorkerContext) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    /// The board never runs tasks.
    fn poll_next(&mut self, _: &mut Context<'_>, _: &WorkerContext) -> Poll<Option<Result<Self::Task, Self::Error>>> {
        Poll::Ready(None)
    }

    fn poll_close(&mut self, _: &mut Context<'_>, _: &WorkerContext) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }
}

impl BackendConfig for RedisBoard {
    type Args = Value;
    type Id = String;
    type Kind = Durable;
    type Config = ();
    type Layer = apalis_core::layers::Identity;

    fn config(&self) -> &Self::Config {
        &()
    }

    fn middleware(&mut self, _: &mut WorkerContext) -> Self::Layer {
        apalis_core::layers::Identity::new()
    }
}

impl WireFormatBackend for RedisBoard {
    type Codec = LenientJson;
    type Compact = Vec<u8>;

    fn codec(&self) -> &Self::Codec {
        &self.codec
    }
}

/// Pushes from the board: enqueued on flush, one call for what has gathered.
impl Sink<Task<Vec<u8>>> for RedisBoard {
    type Error = RedisQueueError;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.poll_flush(cx)
    }

    fn start_send(self: Pin<&mut Self>, task: Task<Vec<u8>>) -> Result<(), Self::Error> {
        self.get_mut().pushed.push(task);
        Ok(())
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        let this = self.get_mut();
        if this.flush.is_none() && !this.pushed.is_empty() {
            let (store, queue) = (this.store.clone(), this.queue.clone());
            let tasks = std::mem::take(&mut this.pushed);
            let max = tasks.first().and_then(|t| t.ctx().max_attempts()).map_or(BOARD_MAX_ATTEMPTS, |m| m as u32);
            let jobs: Vec<(Vec<u8>, Enqueue)> = tasks
                .into_iter()
                .map(|task| {
                    let ctx = task.ctx().clone();
                    let options = Enqueue {
                        idempotency_key: ctx.idempotency_key().map(str::to_owned),
                        run_at: ctx.run_at().and_then(|secs| chrono::DateTime::from_timestamp(secs as i64, 0)),
                    };
                    (task.take().0, options)
                })
                .collect();
            let flush = async move {
                let refs: Vec<(Vec<u8>, &Enqueue)> = jobs.iter().map(|(p, o)| (p.clone(), o)).collect();
                store.enqueue_encoded(&queue, max, &refs).await.map(|_| ())
            };
            this.flush = Some(BoxSyncFuture::new(flush.boxed()));
        }
        let Some(flush) = this.flush.as_mut() else { return Poll::Ready(Ok(())) };
        let done = futures::ready!(flush.poll_unpin(cx));
        this.flush = None;
        Poll::Ready(done)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.poll_flush(cx)
    }
}

impl Metrics for RedisBoard {
    async fn global(&self) -> Result<Vec<Statistic>, Self::Error> {
        Ok(statistics(&self.store.counts(&[]).await?))
    }

    async fn fetch_by_queue(&self) -> Result<Vec<Statistic>, Self::Error> {
        let counts = self.store.counts(&[&self.queue]).await?;
        Ok(statistics(&counts.into_iter().filter(|c| c.queue == self.queue).collect::<Vec<_>>()))
    }
}

impl ListQueues for RedisBoard {
    async fn list_queues(&self) -> Result<Vec<QueueInfo>, Self::Error> {
        let workers = self.store.workers(Utc::now()).await?;
        let counts = self.store.counts(&[]).await?;
        Ok(counts
            .into_iter()
            .map(|c| QueueInfo {
                workers: workers.iter().filter(|w| w.queue == c.queue).map(|w| w.name.clone()).collect(),
                stats: statistics(std::slice::from_ref(&c)),
                name: c.queue,
                activity: Vec::new(),
            })
            .collect())
    }
}

impl ListWorkers for RedisBoard {
    async fn list_workers(&self) -> Result<Vec<RunningWorker>, Self::Error> {
        let workers = self.store.workers(Utc::now()).await?;
        Ok(workers.into_iter().filter(|w| w.queue == self.queue).map(running_worker).collect())
    }

    async fn list_all_workers(&self) -> Result<Vec<RunningWorker>, Self::Error> {
        Ok(self.store.workers(Utc::now()).await?.into_iter().map(running_worker).collect())
    }
}

impl ListTasks for RedisBoard {
    async fn list_tasks(&self, filter: &Filter) -> Result<Vec<Task<Vec<u8>>>, Self::Error> {
        self.list(Some(&self.queue), filter).await
    }
}

impl ListAllTasks for RedisBoard {
    async fn list_all_tasks(&self, filter: &Filter) -> Result<Vec<Task<Vec<u8>>>, Self::Error> {
        self.list(None, filter).await
    }
}

impl FetchById for RedisBoard {
    async fn fetch_by_id(&mut self, id: &TaskId) -> Result<Option<Self::Task>, Self::Error> {
        Ok(self.store.get(&id.to_string()).await?.map(task_of))
    }
}
