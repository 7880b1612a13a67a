//! The job pipeline on the embedded queue: real apalis workers on a real SQLite file, with job
//! kinds of the test's own.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use apalis::prelude::Monitor;
use futures::FutureExt;
use serde::{Deserialize, Serialize};
use shared::backoff::Backoff;
use shared::jobs::{Job, JobPolicy};
use shared::metrics::Metrics;
use shared::queue::{Enqueue, JobFilter, JobInfo, JobState, Queue};
use tokio_util::sync::CancellationToken;
use worker::{Deps, JobError};

use crate::helpers::{TempDir, eventually, within};
use crate::setup::{QueueStore, TestQueue};

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub enum Behaviour {
    FailTimes(u32),
    /// Asks to be run again later (a retry-after of 0 s) this many times, then fails every time.
    DeferThenFail(u32),
    PanicOnce,
    Sleep(u64),
    Permanent,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Probe {
    pub id: u64,
    pub behaviour: Behaviour,
}

impl Job for Probe {
    const QUEUE: &'static str = "test-probe";
    const POLICY: JobPolicy = JobPolicy {
        max_attempts: 3,
        timeout: Duration::from_millis(300),
        backoff: Backoff::new(Duration::from_secs(1), Duration::from_secs(2)),
    };
}

/// One attempt only, short timeout.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OneShot(pub Probe);

impl Job for OneShot {
    const QUEUE: &'static str = "test-oneshot";
    const POLICY: JobPolicy = JobPolicy { max_attempts: 1, timeout: Duration::from_millis(200), ..Probe::POLICY };
}

/// One attempt, long timeout: for draining.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Slow(pub Probe);

impl Job for Slow {
    const QUEUE: &'static str = "test-slow";
    const POLICY: JobPolicy = JobPolicy { max_attempts: 1, timeout: Duration::from_secs(10), ..Probe::POLICY };
}

#[derive(Debug, Default, Clone)]
pub struct Seen {
    pub starts: Vec<Instant>,
    pub finished: usize,
}

static SEEN: LazyLock<Mutex<HashMap<u64, Seen>>> = LazyLock::new(Mutex::default);

pub fn seen(id: u64) -> Seen {
    SEEN.lock().unwrap().get(&id).cloned().unwrap_or_default()
}

pub async fn behave(probe: Probe) -> Result<(), JobError> {
    let n = {
        let mut map = SEEN.lock().unwrap();
        let entry = map.entry(probe.id).or_default();
        entry.starts.push(Instant::now());
        entry.starts.len() as u32
    };
    let res = match probe.behaviour {
        Behaviour::FailTimes(k) if n <= k => Err(JobError::Transient(anyhow::anyhow!("boom {n}"))),
        Behaviour::DeferThenFail(k) if n <= k => Err(JobError::RetryAfter(Duration::ZERO)),
        Behaviour::DeferThenFail(_) => Err(JobError::Transient(anyhow::anyhow!("boom {n}"))),
        Behaviour::PanicOnce if n == 1 => panic!("handler bug"),
        Behaviour::Sleep(ms) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Ok(())
        }
        Behaviour::Permanent => Err(JobError::Permanent("bad input".into())),
        _ => Ok(()),
    };
    SEEN.lock().unwrap().get_mut(&probe.id).unwrap().finished += 1;
    res
}

pub fn unique_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + (std::process::id() as u64) * 1_000_000
}

pub struct Harness {
    pub queue: Queue,
    shutdown: CancellationToken,
    monitor: tokio::task::JoinHandle<()>,
    store: Option<TestQueue>,
}

impl Harness {
    /// Workers on the queue store of this run's setup.
    pub async fn start() -> Self {
        Self::start_on(QueueStore::of_setup()).await.expect("the setup's queue store")
    }

    async fn start_on(store: QueueStore) -> Option<Self> {
        let store = TestQueue::start(store).await?;
        let mut harness = Self::workers(store.queue.clone());
        harness.store = Some(store);
        Some(harness)
    }

    /// Workers for the probe kinds on `queue`, which the caller keeps alive.
    pub fn workers(queue: Queue) -> Self {
        LazyLock::force(&crate::helpers::TRACING);
        let db = sea_orm::DatabaseConnection::default();
        let deps = Arc::new(Deps {
            db,
            queue: queue.clone(),
            metrics: Metrics::new(),
            clock: Arc::new(shared::clock::SystemClock),
            limiter: Default::default(),
            bot: None,
            admins: Vec::new(),
        });
        let run_id = worker::run_id();
        let monitor = Monitor::new();
        let monitor = worker::register::<Probe>(monitor, &deps, &run_id, 4, |job, _| behave(job).boxed());
        let monitor = worker::register::<OneShot>(monitor, &deps, &run_id, 4, |job, _| behave(job.0).boxed());
        let monitor = worker::register::<Slow>(monitor, &deps, &run_id, 4, |job, _| behave(job.0).boxed());
        let shutdown = CancellationToken::new();
        let token = shutdown.clone();
        let monitor = tokio::spawn(async move {
            monitor
                .shutdown_timeout(Duration::from_secs(5))
                .run_with_signal(async move {
                    token.cancelled().await;
                    Ok(())
                })
                .await
                .unwrap();
        });
        Self { queue, shutdown, monitor, store: None }
    }

    pub async fn job(&self, id: &str) -> JobInfo {
        self.queue.get(id).await.unwrap().expect("the job exists")
    }

    pub async fn wait_state(&self, id: &str, state: JobState) -> JobInfo {
        eventually(&format!("job {id} {state:?}"), || async {
            let job = self.job(id).await;
            (job.state == state).then_some(job)
        })
        .await
    }

    /// Stops the workers; a store the harness started stays up while the returned handle lives.
    pub async fn stop(self) -> Option<TestQueue> {
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(10), self.monitor).await.expect("drained in time").unwrap();
        self.store
    }
}

#[tokio::test]
async fn failed_attempts_back_off_exponentially_then_succeed() {
    let h = Harness::start().await;
    let id = unique_id();

    let job = h.queue.enqueue(&Probe { id, behaviour: Behaviour::FailTimes(2) }, Enqueue::default()).await.unwrap();

    let done = h.wait_state(&job.id, JobState::Done).await;
    assert_eq!(done.attempts, 3);
    let starts = seen(id).starts;
    assert_eq!(starts.len(), 3);
    // Ceilings 1 s then 2 s, jittered into [ceiling/2, ceiling] (and rounded up to whole seconds).
    let (first_gap, second_gap) = (starts[1] - starts[0], starts[2] - starts[1]);
    assert!(first_gap >= Duration::from_millis(500), "first retry after {first_gap:?}");
    assert!(second_gap >= Duration::from_millis(1000), "second retry after {second_gap:?}");
    h.stop().await;
}

#[tokio::test]
async fn a_job_out_of_attempts_is_dead_with_its_last_error() {
    let h = Harness::start().await;
    let id = unique_id();

    let job = h.queue.enqueue(&Probe { id, behaviour: Behaviour::FailTimes(99) }, Enqueue::default()).await.unwrap();

    let dead = eventually("the job in the dead list", || async {
        h.queue.dead(10, 0).await.unwrap().into_iter().find(|d| d.id == job.id)
    })
    .await;
    assert_eq!((dead.attempts, dead.max_attempts), (3, 3));
    assert!(dead.last_error.as_deref().unwrap_or("").contains("boom 3"), "{dead:?}");
    assert_eq!(dead.payload["id"], id);
    assert_eq!(seen(id).starts.len(), 3);
    let counts = h.queue.counts(&[]).await.unwrap();
    let probe = counts.iter().find(|c| c.queue == Probe::QUEUE).unwrap();
    assert_eq!((probe.pending, probe.dead), (0, 1));
    h.stop().await;
}

#[tokio::test]
async fn a_retry_after_reschedules_without_using_up_an_attempt() {
    let h = Harness::start().await;
    let id = unique_id();
    let deferrals = Probe::POLICY.max_attempts + 1;

    let job = h
        .queue
        .enqueue(&Probe { id, behaviour: Behaviour::DeferThenFail(deferrals) }, Enqueue::default())
        .await
        .unwrap();

    // Seven runs, each a re-fetch by the poller, two after a backoff: a loaded machine needs longer
    // than the usual deadline.
    let dead = within(
        Duration::from_secs(90),
        "the job in the dead list",
        || async { h.queue.dead(10, 0).await.unwrap().into_iter().find(|d| d.id == job.id) },
        || format!("{} runs so far", seen(id).starts.len()),
    )
    .await;
    // More deferrals than attempts, and still every attempt for the failures that followed.
    assert_eq!(seen(id).starts.len() as u32, deferrals + Probe::POLICY.max_attempts);
    assert!(dead.last_error.as_deref().unwrap_or("").contains(&format!("boom {}", deferrals + 3)), "{dead:?}");
    assert_eq!(dead.max_attempts - dead.attempts, 0);
    h.stop().await;
}

#[tokio::test]
async fn a_job_past_its_timeout_is_cancelled_and_counted_as_failed() {
    let h = Harness::start().await;
    let id = unique_id();

    let job =
        h.queue.enqueue(&OneShot(Probe { id, behaviour: Behaviour::Sleep(5_000) }), Enqueue::default()).await.unwrap();

    let dead = h.wait_state(&job.id, JobState::Dead).await;
    assert_eq!((dead.attempts, dead.max_attempts), (1, 1));
    assert!(dead.last_error.unwrap_or_default().contains("timed out"));
    assert_eq!(seen(id).finished, 0, "the handler was cancelled, not left running");
    assert!(h.queue.dead(10, 0).await.unwrap().iter().any(|d| d.id == job.id));
    h.stop().await;
}

#[tokio::test]
async fn a_panic_is_a_failed_attempt_and_the_worker_lives_on() {
    let h = Harness::start().await;
    let (id, later) = (unique_id(), unique_id());

    let job = h.queue.enqueue(&Probe { id, behaviour: Behaviour::PanicOnce }, Enqueue::default()).await.unwrap();
    let done = h.wait_state(&job.id, JobState::Done).await;
    assert_eq!(done.attempts, 2, "the panic used one attempt");

    let next =
        h.queue.enqueue(&Probe { id: later, behaviour: Behaviour::FailTimes(0) }, Enqueue::default()).await.unwrap();
    h.wait_state(&next.id, JobState::Done).await;
    h.stop().await;
}

#[tokio::test]
async fn a_permanent_error_kills_the_job_at_once() {
    let h = Harness::start().await;
    let id = unique_id();

    let job = h.queue.enqueue(&Probe { id, behaviour: Behaviour::Permanent }, Enqueue::default()).await.unwrap();

    let dead = h.wait_state(&job.id, JobState::Dead).await;
    assert_eq!(dead.attempts, 1);
    assert!(dead.last_error.unwrap_or_default().contains("bad input"));
    h.stop().await;
}

#[tokio::test]
async fn a_payload_that_no_longer_decodes_is_dead_and_never_stops_the_worker() {
    let h = Harness::start().await;
    // Rows as an older version (valid JSON, wrong shape) or a corrupted file (not JSON) might leave them.
    let stale: &[&[u8]] = &[br#"{"monitor": 7, "removed_field": true}"#, b"\xff\x00 not json"];
    let mut stale_ids = Vec::new();
    for bytes in stale {
        stale_ids.push(h.queue.enqueue_raw(Probe::QUEUE, bytes, 3).await.unwrap());
    }
    let id = unique_id();
    let good = h.queue.enqueue(&Probe { id, behaviour: Behaviour::FailTimes(0) }, Enqueue::default()).await.unwrap();

    for id in &stale_ids {
        let dead = h.wait_state(id, JobState::Dead).await;
        assert_eq!(dead.attempts, 1);
        assert!(dead.last_error.unwrap_or_default().contains("payload does not decode"));
    }
    h.wait_state(&good.id, JobState::Done).await;
    h.stop().await;
}

#[tokio::test]
async fn an_idempotency_key_enqueues_once() {
    let h = Harness::start().await;
    let id = unique_id();
    let probe = Probe { id, behaviour: Behaviour::FailTimes(0) };

    let first = h.queue.enqueue(&probe, Enqueue::keyed("probe:1:60")).await.unwrap();
    let again = h.queue.enqueue(&probe, Enqueue::keyed("probe:1:60")).await.unwrap();
    let other = h.queue.enqueue(&probe, Enqueue::keyed("probe:1:120")).await.unwrap();
    let batch = h
        .queue
        .enqueue_many(&[(probe.clone(), Enqueue::keyed("probe:1:60")), (probe.clone(), Enqueue::keyed("probe:2:60"))])
        .await
        .unwrap();

    assert!(!first.duplicate && again.duplicate && !other.duplicate);
    assert_eq!(again.id, first.id);
    assert_eq!(batch.iter().map(|o| o.duplicate).collect::<Vec<_>>(), vec![true, false]);
    assert_eq!(batch[0].id, first.id);
    let jobs = h.queue.list(&JobFilter::queue(Probe::QUEUE), 10, 0).await.unwrap();
    assert_eq!(jobs.len(), 3);
    h.stop().await;
}

#[tokio::test]
async fn shutdown_lets_running_jobs_finish_and_fetches_nothing_new() {
    let h = Harness::start().await;
    let id = unique_id();
    let job = h.queue.enqueue(&Slow(Probe { id, behaviour: Behaviour::Sleep(800) }), Enqueue::default()).await.unwrap();
    eventually("the slow job started", || async { (!seen(id).starts.is_empty()).then_some(()) }).await;

    let queue = h.queue.clone();
    let _store = h.stop().await;

    assert_eq!(seen(id).finished, 1, "the running job finished during the drain");
    assert_eq!(queue.get(&job.id).await.unwrap().map(|j| j.state), Some(JobState::Done));
    let after = queue
        .enqueue(&Slow(Probe { id: unique_id(), behaviour: Behaviour::Sleep(1) }), Enqueue::default())
        .await
        .unwrap();
    assert_eq!(queue.get(&after.id).await.unwrap().map(|j| j.state), Some(JobState::Waiting));
}

#[tokio::test]
async fn purging_deletes_finished_jobs_and_keeps_dead_and_waiting_ones() {
    let h = Harness::start().await;
    let done = h
        .queue
        .enqueue(&Probe { id: unique_id(), behaviour: Behaviour::FailTimes(0) }, Enqueue::default())
        .await
        .unwrap();
    let dead =
        h.queue.enqueue(&Probe { id: unique_id(), behaviour: Behaviour::Permanent }, Enqueue::default()).await.unwrap();
    h.wait_state(&done.id, JobState::Done).await;
    h.wait_state(&dead.id, JobState::Dead).await;
    let later = chrono::Utc::now() + chrono::Duration::hours(2);
    let waiting = h
        .queue
        .enqueue(
            &Probe { id: unique_id(), behaviour: Behaviour::FailTimes(0) },
            Enqueue { run_at: Some(later), ..Default::default() },
        )
        .await
        .unwrap();

    assert_eq!(
        h.queue.purge_done(chrono::Utc::now() - chrono::Duration::hours(1), 100).await.unwrap(),
        0,
        "too recent"
    );
    let purged = h.queue.purge_done(chrono::Utc::now() + chrono::Duration::hours(1), 100).await.unwrap();

    assert_eq!(purged, 1);
    let ids: Vec<String> =
        h.queue.list(&JobFilter::default(), 10, 0).await.unwrap().into_iter().map(|j| j.id).collect();
    let mut expected = vec![dead.id.clone(), waiting.id.clone()];
    expected.sort();
    assert_eq!(ids, expected);
    h.stop().await;
}

#[tokio::test]
async fn the_queue_schema_counts_as_pending_until_migrated() {
    let dir = TempDir::new();
    let url = format!("sqlite://{}?mode=rwc", dir.0.join("queue.db").display());
    let queue = Queue::connect(&url, Metrics::new()).await.unwrap();
    assert!(queue.pending_migrations().await.unwrap() > 0);

    queue.migrate().await.unwrap();

    assert_eq!(queue.pending_migrations().await.unwrap(), 0);
    let lidx: Option<String> = sqlx::query_scalar("SELECT name FROM sqlite_master WHERE name = 'LIdx'")
        .fetch_optional(queue.sqlite_pool().expect("the embedded queue"))
        .await
        .unwrap();
    assert_eq!(lidx, None, "the unselective lock_by index is gone");
}

#[tokio::test]
async fn the_facade_lists_and_gets_jobs_by_queue_state_and_key() {
    // Arrange: a queue with no worker; two probes (one delayed) and a slow probe.
    let dir = TempDir::new();
    let url = format!("sqlite://{}?mode=rwc", dir.0.join("queue.db").display());
    let queue = Queue::connect(&url, Metrics::new()).await.unwrap();
    queue.migrate().await.unwrap();
    let probe = |id| Probe { id, behaviour: Behaviour::FailTimes(0) };
    let later = chrono::Utc::now() + chrono::Duration::hours(1);
    let a = queue.enqueue(&probe(1), Enqueue::keyed("probe:a")).await.unwrap();
    let b = queue.enqueue(&probe(2), Enqueue { run_at: Some(later), ..Enqueue::keyed("probe:b") }).await.unwrap();
    let slow = queue.enqueue(&Slow(probe(3)), Enqueue::default()).await.unwrap();

    // Act + Assert: one job, whole.
    let got = queue.get(&b.id).await.unwrap().expect("enqueued");
    assert_eq!(
        (got.queue.as_str(), got.state, got.attempts, got.max_attempts),
        (Probe::QUEUE, JobState::Waiting, 0, 3)
    );
    assert_eq!((got.idempotency_key.as_deref(), got.payload["id"].as_u64()), (Some("probe:b"), Some(2)));
    assert!(got.run_at >= later - chrono::Duration::seconds(1) && got.done_at.is_none(), "{got:?}");
    assert_eq!(queue.get("no-such-id").await.unwrap(), None);

    // Filters narrow, pages follow enqueue order.
    let ids = |jobs: Vec<JobInfo>| jobs.into_iter().map(|j| j.id).collect::<Vec<String>>();
    let (a, b, slow) = (a.id, b.id, slow.id);
    assert_eq!(ids(queue.list(&JobFilter::default(), 10, 0).await.unwrap()), [a.as_str(), b.as_str(), slow.as_str()]);
    assert_eq!(ids(queue.list(&JobFilter::queue(Probe::QUEUE), 10, 0).await.unwrap()), [a.as_str(), b.as_str()]);
    assert_eq!(ids(queue.list(&JobFilter::queue(Probe::QUEUE), 1, 1).await.unwrap()), [b.as_str()]);
    assert_eq!(ids(queue.list(&JobFilter::queue(Probe::QUEUE).key("probe:a"), 10, 0).await.unwrap()), [a.as_str()]);
    let waiting = JobFilter::default().state(JobState::Waiting);
    assert_eq!(queue.list(&waiting, 10, 0).await.unwrap().len(), 3);
    assert!(queue.list(&JobFilter::default().state(JobState::Dead), 10, 0).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_dead_job_retried_runs_again_and_jobs_are_deleted_and_purged_but_never_while_running() {
    let h = Harness::start().await;
    let id = unique_id();
    let job = h.queue.enqueue(&Probe { id, behaviour: Behaviour::FailTimes(3) }, Enqueue::default()).await.unwrap();
    let dead = h.wait_state(&job.id, JobState::Dead).await;
    assert_eq!(dead.attempts, 3);

    // Retried: its attempts back, it runs a fourth time and succeeds.
    assert!(h.queue.retry(&job.id).await.unwrap());
    let done = h.wait_state(&job.id, JobState::Done).await;
    assert_eq!((done.attempts, seen(id).starts.len()), (1, 4));
    assert!(!h.queue.retry(&job.id).await.unwrap(), "only a dead job is retried");

    // A running job is neither deleted nor purged; a finished one is deleted.
    let slow_id = unique_id();
    let slow = h
        .queue
        .enqueue(&Slow(Probe { id: slow_id, behaviour: Behaviour::Sleep(800) }), Enqueue::default())
        .await
        .unwrap();
    eventually("the slow job started", || async { (!seen(slow_id).starts.is_empty()).then_some(()) }).await;
    assert!(!h.queue.delete(&slow.id).await.unwrap());
    assert_eq!(h.queue.purge(Slow::QUEUE, JobState::Running).await.unwrap(), 0);
    assert!(h.queue.delete(&job.id).await.unwrap());
    assert_eq!(h.queue.get(&job.id).await.unwrap(), None);

    // Purging waiting jobs of one queue leaves the other queue's.
    let later = Some(chrono::Utc::now() + chrono::Duration::hours(1));
    for _ in 0..3 {
        let probe = Probe { id: unique_id(), behaviour: Behaviour::FailTimes(0) };
        h.queue.enqueue(&probe, Enqueue { run_at: later, ..Default::default() }).await.unwrap();
    }
    let other = Slow(Probe { id: unique_id(), behaviour: Behaviour::Sleep(1) });
    let kept = h.queue.enqueue(&other, Enqueue { run_at: later, ..Default::default() }).await.unwrap();
    assert_eq!(h.queue.purge(Probe::QUEUE, JobState::Waiting).await.unwrap(), 3);
    assert_eq!(h.job(&kept.id).await.state, JobState::Waiting);
    h.stop().await;
}

/// A pause that lands while a worker is fetching must not leave that fetch's write transaction
/// open: on the embedded store it would lock every writer of the queue database until resumed.
#[tokio::test]
async fn pausing_while_a_worker_fetches_holds_up_no_writer() {
    let h = Harness::start().await;
    for round in 0..40u32 {
        // The enqueue wakes the probe worker, whose fetch starts now; the pause lands at a
        // varying point of it.
        let probe = Probe { id: unique_id(), behaviour: Behaviour::FailTimes(0) };
        h.queue.enqueue(&probe, Enqueue::default()).await.unwrap();
        for _ in 0..round % 8 {
            tokio::task::yield_now().await;
        }
        h.queue.set_paused(Probe::QUEUE, true).await.unwrap();
        tokio::time::sleep(Duration::from_millis(u64::from(round % 3))).await;
        let other = Slow(Probe { id: unique_id(), behaviour: Behaviour::Sleep(1) });
        let later = Some(chrono::Utc::now() + chrono::Duration::hours(1));
        let enqueued = tokio::time::timeout(
            Duration::from_secs(5),
            h.queue.enqueue(&other, Enqueue { run_at: later, ..Default::default() }),
        )
        .await;
        assert!(matches!(enqueued, Ok(Ok(_))), "round {round}: an enqueue while paused: {enqueued:?}");
        h.queue.set_paused(Probe::QUEUE, false).await.unwrap();
    }
    h.stop().await;
}
