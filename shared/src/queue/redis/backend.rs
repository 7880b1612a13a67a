//! apalis workers fed by the Redis store: [`RedisBackend`] is one worker's backend for one queue.
//!
//! - Fetching: a claim script takes up to `batch` ready jobs at once, counting each attempt at
//!   delivery. When nothing is ready the worker blocks on the queue's wake list (a connection of
//!   its own) until a change makes a job ready, or until the next delayed job is due, at most
//!   [`MAX_IDLE_WAIT`]. Redis errors are logged and retried with backoff: apalis ends a worker
//!   whose backend returns an error, so none is ever returned.
//! - Claim size: as many jobs as the worker's concurrency, growing (doubling, up to
//!   [`MAX_PREFETCH`] times the concurrency) while the worker comes back for more within
//!   [`FAST_CLAIMS`] of its last claim, and back to the concurrency once it takes longer. Short
//!   jobs then cost a round trip per many jobs; a worker busy with long jobs holds no more
//!   unstarted jobs than its concurrency, which other workers could have run.
//! - Acknowledging: [`AckLayer`], the outermost layer, hands each verdict to the worker's ack
//!   task once its handler returned, so a job is acknowledged only after its handler returned.
//!   The ack task gathers verdicts for up to [`ACK_LINGER`] (or [`ACK_GATHER`] of them) and
//!   records them in one script call; the task's slot does not wait for that. A graceful stop
//!   waits until every verdict is recorded; a crash before then leaves the jobs to the reaper,
//!   which runs them again (at least once).
//! - Presence: a task beats every [`Presence::beat`] and reaps workers gone silent, handing
//!   their jobs to the living. On a graceful stop, jobs claimed but not started go back to the
//!   front of the queue with their attempt given back.
//!
//! Invariant: the worker name is unique per backend (host, pid, random suffix, queue): a worker
//! started again never finds jobs held under its name, and a reaped worker's late ack is refused.

use std::collections::VecDeque;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use apalis_core::backend::finalize::Durable;
use apalis_core::backend::{Backend, BackendConfig, WireFormatBackend};
use apalis_core::error::{AbortError, BoxDynError};
use apalis_core::layers::{Layer, Service};
use apalis_core::task::Task;
use apalis_core::task::builder::TaskBuilder;
use apalis_core::task::task_id::TaskId;
use apalis_core::worker::context::WorkerContext;
use chrono::Utc;
use futures::FutureExt;
use futures::future::BoxFuture;
use redis::aio::ConnectionManager;
use tokio::sync::{OnceCell, mpsc, oneshot};

use super::{Claimed, MAX_IDLE_WAIT, RedisQueue, RedisQueueError};
use crate::backoff::Backoff;
use crate::queue::{LenientJson, Settled, Verdict};

/// Acks sent in one script call at most.
const ACK_BATCH: usize = 500;
/// How long the ack task gathers verdicts before it records them, unless [`ACK_GATHER`] came.
pub const ACK_LINGER: Duration = Duration::from_millis(2);
/// Verdicts that are recorded at once, without lingering for more.
pub const ACK_GATHER: usize = 64;
/// The claim size grows up to this many times the concurrency.
pub const MAX_PREFETCH: usize = 8;
/// A worker holds at most this many times its concurrency: claimed, running, or finished with
/// the verdict not yet recorded.
pub const HOLD_LIMIT: usize = 2 * MAX_PREFETCH;
/// A worker back for more within this of its last claim runs short jobs: it claims more.
pub const FAST_CLAIMS: Duration = Duration::from_millis(10);
/// A worker back after longer than this claims its concurrency again.
const SLOW_CLAIMS: Duration = Duration::from_millis(100);

/// What the ack task is asked: record a verdict, or tell when all asked before are recorded.
enum AckRequest {
    Verdict(String, Verdict),
    Flushed(oneshot::Sender<()>),
}

/// One worker's backend for one queue of the Redis store.
pub struct RedisBackend {
    store: RedisQueue,
    queue: String,
    name: String,
    concurrency: usize,
    /// How many jobs the next claim asks for, and when the last claim was made.
    claim_size: usize,
    last_claim: Option<std::time::Instant>,
    buffer: VecDeque<Claimed>,
    /// The claim or idle wait in flight: None when it failed.
    fetch: Option<BoxFuture<'static, Option<Vec<Claimed>>>>,
    close: Option<BoxFuture<'static, ()>>,
    blocking: Arc<OnceCell<ConnectionManager>>,
    acks: mpsc::UnboundedSender<AckRequest>,
    /// Taken by the first `poll_ready`, which starts the ack and presence tasks.
    pending_acks: Option<mpsc::UnboundedReceiver<AckRequest>>,
    background: Vec<tokio::task::AbortHandle>,
    failures: u32,
    /// Jobs this worker was handed and has not had acknowledged yet.
    held: Held,
    codec: LenientJson,
}

impl RedisBackend {
    /// A backend for `queue` of a worker that runs `concurrency` jobs at a time; `run_id` makes
    /// the worker name unique (see the module's invariant).
    pub fn new(store: RedisQueue, queue: &str, run_id: &str, concurrency: usize) -> Self {
        let (acks, pending_acks) = mpsc::unbounded_channel();
        Self {
            name: format!("{}:{queue}:{run_id}", crate::lease::host_name()),
            store,
            queue: queue.to_owned(),
            concurrency: concurrency.max(1),
            claim_size: concurrency.max(1),
            last_claim: None,
            buffer: VecDeque::new(),
            fetch: None,
            close: None,
            blocking: Arc::default(),
            acks,
            pending_acks: Some(pending_acks),
            background: Vec::new(),
            failures: 0,
            held: Held::default(),
            codec: LenientJson,
        }
    }

    /// The worker's name, as finished jobs and the reaper show it.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn start_background(&mut self) {
        let Some(acks) = self.pending_acks.take() else { return };
        let (store, name) = (self.store.clone(), self.name.clone());
        let held = self.held.clone();
        self.background.push(tokio::spawn(flush_acks(store.clone(), name.clone(), acks, held)).abort_handle());
        let queue = self.queue.clone();
        self.background.push(tokio::spawn(keep_presence(store, name, queue)).abort_handle());
    }

    /// Claims jobs; when there are none, waits for a wake-up or the next due time and comes back
    /// empty, so the caller claims again. After a failed call it first gives back what Redis
    /// says this worker holds but the worker never received: a claim whose answer was lost.
    fn fetch_future(&self) -> BoxFuture<'static, Result<Vec<Claimed>, RedisQueueError>> {
        let (store, queue, name, batch) = (self.store.clone(), self.queue.clone(), self.name.clone(), self.claim_size);
        let (blocking, held, recover) = (self.blocking.clone(), self.held.clone(), self.failures > 0);
        let hold_limit = self.concurrency * HOLD_LIMIT;
        async move {
            // Verdicts not yet recorded count as held: a worker never runs far ahead of its acks,
            // so a crash hands at most this many jobs on to be run again.
            let batch = batch.min(held.room(hold_limit).await);
            if recover {
                let lost = held.unknown(store.held(&name).await?);
                if !lost.is_empty() {
                    tracing::warn!(worker = name, jobs = lost.len(), "giving back jobs whose claim was lost");
                    let release: Vec<(String, Verdict)> = lost.into_iter().map(|id| (id, Verdict::Release)).collect();
                    store.ack(&name, &release, Utc::now()).await?;
                }
            }
            let now = Utc::now();
            let (jobs, next_due) = store.claim(&queue, &name, batch, now).await?;
            if !jobs.is_empty() {
                held.add(jobs.iter().map(|job| job.id.clone()));
                return Ok(jobs);
            }
            let wait = next_due.map_or(MAX_IDLE_WAIT, |due| (due - now).to_std().unwrap_or(Duration::ZERO));
            if wait > Duration::ZERO {
                let conn = blocking.get_or_try_init(|| store.blocking_connection()).await?;
                store.wait_for_work(&mut conn.clone(), &queue, wait).await?;
            }
            Ok(Vec::new())
        }
        .boxed()
    }

    /// Grows the claim while the worker is back for more quickly, shrinks it when it is not.
    fn size_claim(&mut self) {
        let now = std::time::Instant::now();
        if let Some(last) = self.last_claim.replace(now) {
            self.claim_size = next_claim_size(self.claim_size, self.concurrency, now - last);
        }
    }

    fn task(&self, job: Claimed) -> Task<Vec<u8>> {
        TaskBuilder::new(job.payload)
            .task_id(TaskId::from_string(job.id))
            // apalis counts the attempt again when it starts the task.
            .attempt(job.attempt.saturating_sub(1) as usize)
            .build()
    }
}

impl Drop for RedisBackend {
    fn drop(&mut self) {
        for task in &self.background {
            task.abort();
        }
    }
}

impl Backend for RedisBackend {
    type Task = Task<Vec<u8>>;
    type Error = RedisQueueError;

    fn poll_ready(&mut self, _: &mut Context<'_>, _: &WorkerContext) -> Poll<Result<(), Self::Error>> {
        self.start_background();
        Poll::Ready(Ok(()))
    }

    fn poll_next(&mut self, cx: &mut Context<'_>, _: &WorkerContext) -> Poll<Option<Result<Self::Task, Self::Error>>> {
        loop {
            if let Some(job) = self.buffer.pop_front() {
                return Poll::Ready(Some(Ok(self.task(job))));
            }
            if self.fetch.is_none() {
                self.size_claim();
                let fetch = self.fetch_future();
                let (failures, queue) = (self.failures, self.queue.clone());
                self.fetch = Some(
                    async move {
                        if failures > 0 {
                            tokio::time::sleep(retry_delay(failures)).await;
                        }
                        fetch
                            .await
                            .inspect_err(|e| {
                                tracing::warn!(queue, error.message = %e, "could not fetch jobs from Redis; trying again");
                            })
                            .ok()
                    }
                    .boxed(),
                );
            }
            let Some(fetch) = self.fetch.as_mut() else { continue };
            let Poll::Ready(jobs) = fetch.poll_unpin(cx) else { return Poll::Pending };
            self.fetch = None;
            match jobs {
                Some(jobs) => {
                    self.failures = 0;
                    self.buffer.extend(jobs);
                }
                None => self.failures = self.failures.saturating_add(1),
            }
        }
    }

    fn poll_close(&mut self, cx: &mut Context<'_>, _: &WorkerContext) -> Poll<Result<(), Self::Error>> {
        if self.close.is_none() {
            self.fetch = None;
            let unstarted: Vec<String> = self.buffer.drain(..).map(|job| job.id).collect();
            let acks = self.acks.clone();
            let (store, name) = (self.store.clone(), self.name.clone());
            self.close = Some(
                async move {
                    // Every task has ended by now: their verdicts and these are all asked before
                    // the barrier.
                    for id in unstarted {
                        let _ = acks.send(AckRequest::Verdict(id, Verdict::Release));
                    }
                    let (done, recorded) = oneshot::channel();
                    if acks.send(AckRequest::Flushed(done)).is_ok() {
                        let _ = recorded.await;
                    }
                    if let Err(e) = store.forget(&name).await {
                        tracing::warn!(worker = name, error.message = %e, "could not deregister the worker");
                    }
                }
                .boxed(),
            );
        }
        let Some(close) = self.close.as_mut() else { return Poll::Ready(Ok(())) };
        close.poll_unpin(cx).map(Ok)
    }
}

impl BackendConfig for RedisBackend {
    type Args = serde_json::Value;
    type Id = String;
    type Kind = Durable;
    type Config = ();
    type Layer = AckLayer;

    fn config(&self) -> &Self::Config {
        &()
    }

    fn middleware(&mut self, _: &mut WorkerContext) -> Self::Layer {
        AckLayer { acks: self.acks.clone() }
    }
}

impl WireFormatBackend for RedisBackend {
    type Codec = LenientJson;
    type Compact = Vec<u8>;

    fn codec(&self) -> &Self::Codec {
        &self.codec
    }
}

/// Records each task's verdict after its handler returns, and only then completes the task.
#[derive(Clone)]
pub struct AckLayer {
    acks: mpsc::UnboundedSender<AckRequest>,
}

impl<S> Layer<S> for AckLayer {
    type Service = AckService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AckService { inner, acks: self.acks.clone() }
    }
}

#[derive(Clone)]
pub struct AckService<S> {
    inner: S,
    acks: mpsc::UnboundedSender<AckRequest>,
}

impl<S, Args> Service<Task<Args>> for AckService<S>
where
    S: Service<Task<Args>> + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxDynError>,
    S::Response: Send + 'static,
{
    type Response = S::Response;
    type Error = BoxDynError;
    type Future = BoxFuture<'static, Result<S::Response, BoxDynError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, task: Task<Args>) -> Self::Future {
        let id = task.ctx().task_id().map(ToString::to_string);
        let run = self.inner.call(task);
        let acks = self.acks.clone();
        async move {
            let result = run.await.map_err(Into::into);
            if let Some(id) = id {
                let _ = acks.send(AckRequest::Verdict(id, verdict_of(&result)));
            }
            result
        }
        .boxed()
    }
}

/// What the runner's result means for the job: its [`Settled`] verdict, dead for an abort, and
/// a retry in a minute for an error the runner did not judge (it always does).
fn verdict_of<R>(result: &Result<R, BoxDynError>) -> Verdict {
    let Err(e) = result else { return Verdict::Done };
    if let Some(settled) = e.downcast_ref::<Settled>() {
        return settled.verdict.clone();
    }
    if let Some(abort) = e.downcast_ref::<AbortError>() {
        let error = std::error::Error::source(abort).map_or_else(|| abort.to_string(), ToString::to_string);
        return Verdict::Dead { error };
    }
    Verdict::Retry { at: Utc::now() + chrono::Duration::minutes(1), error: e.to_string() }
}

/// Sends acks in batches until the backend is dropped; a failed send is tried again (with
/// backoff) before anyone waiting on it hears back, so an ack is never lost while the process
/// lives, and the job is reaped and run again if it dies.
async fn flush_acks(store: RedisQueue, worker: String, mut acks: mpsc::UnboundedReceiver<AckRequest>, held: Held) {
    let mut batch = Vec::new();
    while acks.recv_many(&mut batch, ACK_BATCH).await > 0 {
        let linger = tokio::time::Instant::now() + ACK_LINGER;
        while batch.len() < ACK_GATHER && !batch.iter().any(|r| matches!(r, AckRequest::Flushed(_))) {
            let room = ACK_BATCH - batch.len();
            match tokio::time::timeout_at(linger, acks.recv_many(&mut batch, room)).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
        let (mut pairs, mut waiting) = (Vec::new(), Vec::new());
        for request in batch.drain(..) {
            match request {
                AckRequest::Verdict(id, verdict) => pairs.push((id, verdict)),
                AckRequest::Flushed(done) => waiting.push(done),
            }
        }
        let mut failures = 0;
        while !pairs.is_empty() {
            match store.ack(&worker, &pairs, Utc::now()).await {
                Ok(taken) => {
                    held.remove(pairs.iter().map(|(id, _)| id));
                    for ((id, _), ok) in pairs.iter().zip(taken) {
                        if !ok {
                            tracing::warn!(worker, job = id, "ack refused: the job was handed to another worker");
                        }
                    }
                    break;
                }
                Err(e) => {
                    failures += 1;
                    tracing::warn!(worker, error.message = %e, "could not record finished jobs in Redis; trying again");
                    tokio::time::sleep(retry_delay(failures)).await;
                }
            }
        }
        for done in waiting {
            let _ = done.send(());
        }
    }
}

/// The next claim's size: double while claims come within [`FAST_CLAIMS`] of each other, up to
/// [`MAX_PREFETCH`] times the concurrency; the concurrency again after [`SLOW_CLAIMS`].
fn next_claim_size(size: usize, concurrency: usize, since_last: Duration) -> usize {
    if since_last <= FAST_CLAIMS {
        (size * 2).min(concurrency * MAX_PREFETCH)
    } else if since_last >= SLOW_CLAIMS {
        concurrency
    } else {
        size
    }
}

/// Beats and reaps until the backend is dropped.
async fn keep_presence(store: RedisQueue, worker: String, queue: String) {
    let started = Utc::now();
    let mut every = tokio::time::interval(store.presence.beat);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let now = Utc::now();
        if let Err(e) = store.beat(&worker, &queue, started, now).await {
            tracing::warn!(worker, error.message = %e, "could not beat in Redis");
            continue;
        }
        match store.reap(now).await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(jobs = n, "gave the jobs of silent workers to the living"),
            Err(e) => tracing::warn!(error.message = %e, "could not reap silent workers"),
        }
    }
}

/// The ids a worker was handed and has not had acknowledged, shared by its fetches and its ack
/// task.
#[derive(Clone, Default)]
struct Held(Arc<(std::sync::Mutex<std::collections::HashSet<String>>, tokio::sync::Notify)>);

impl Held {
    fn ids(&self) -> std::sync::MutexGuard<'_, std::collections::HashSet<String>> {
        self.0.0.lock().expect("held lock")
    }

    fn add(&self, ids: impl IntoIterator<Item = String>) {
        self.ids().extend(ids);
    }

    fn remove<'a>(&self, ids: impl IntoIterator<Item = &'a String>) {
        let mut held = self.ids();
        for id in ids {
            held.remove(id);
        }
        drop(held);
        self.0.1.notify_waiters();
    }

    /// Of `ids`, those this worker does not know it holds.
    fn unknown(&self, ids: Vec<String>) -> Vec<String> {
        let held = self.ids();
        ids.into_iter().filter(|id| !held.contains(id)).collect()
    }

    /// How many more jobs may be held under `limit`, once that is at least one.
    async fn room(&self, limit: usize) -> usize {
        loop {
            let recorded = self.0.1.notified();
            let held = self.ids().len();
            if held < limit {
                return limit - held;
            }
            // A recorded ack wakes this; the timeout only guards against a lost wake-up.
            let _ = tokio::time::timeout(Duration::from_millis(100), recorded).await;
        }
    }
}

/// Between failed Redis calls: 200 ms after the first, doubling to 5 s.
const REDIS_RETRY: Backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(5));

fn retry_delay(failures: u32) -> Duration {
    REDIS_RETRY.ceiling(failures.saturating_add(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_claim_grows_while_claims_come_quickly_and_falls_back_when_they_do_not() {
        let quick = Duration::from_millis(2);
        let mut size = 8;
        let mut sizes = Vec::new();
        for _ in 0..5 {
            size = next_claim_size(size, 8, quick);
            sizes.push(size);
        }
        assert_eq!(sizes, [16, 32, 64, 64, 64]);
        assert_eq!(next_claim_size(64, 8, Duration::from_millis(50)), 64, "in between: kept");
        assert_eq!(next_claim_size(64, 8, Duration::from_millis(100)), 8);
        assert_eq!(next_claim_size(1, 1, Duration::from_secs(3)), 1);
    }
}
