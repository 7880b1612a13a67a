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
use shared::queue::{Enqueue, Queue};
use sqlx::Row;
use tokio_util::sync::CancellationToken;
use worker::{Deps, JobError};

use crate::helpers::{TempDir, eventually, within};

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
enum Behaviour {
    FailTimes(u32),
    /// Asks to be run again later (a retry-after of 0 s) this many times, then fails every time.
    DeferThenFail(u32),
    PanicOnce,
    Sleep(u64),
    Permanent,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Probe {
    id: u64,
    behaviour: Behaviour,
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
struct OneShot(Probe);

impl Job for OneShot {
    const QUEUE: &'static str = "test-oneshot";
    const POLICY: JobPolicy = JobPolicy { max_attempts: 1, timeout: Duration::from_millis(200), ..Probe::POLICY };
}

/// One attempt, long timeout: for draining.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Slow(Probe);

impl Job for Slow {
    const QUEUE: &'static str = "test-slow";
    const POLICY: JobPolicy = JobPolicy { max_attempts: 1, timeout: Duration::from_secs(10), ..Probe::POLICY };
}

#[derive(Debug, Default, Clone)]
struct Seen {
    starts: Vec<Instant>,
    finished: usize,
}

static SEEN: LazyLock<Mutex<HashMap<u64, Seen>>> = LazyLock::new(Mutex::default);

fn seen(id: u64) -> Seen {
    SEEN.lock().unwrap().get(&id).cloned().unwrap_or_default()
}

async fn behave(probe: Probe) -> Result<(), JobError> {
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

fn unique_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + (std::process::id() as u64) * 1_000_000
}

struct Harness {
    queue: Queue,
    shutdown: CancellationToken,
    monitor: tokio::task::JoinHandle<()>,
    _dir: TempDir,
}

impl Harness {
    async fn start() -> Self {
        LazyLock::force(&crate::helpers::TRACING);
        let dir = TempDir::new();
        let url = format!("sqlite://{}?mode=rwc", dir.0.join("queue.db").display());
        let queue = Queue::connect(&url, Metrics::new()).await.unwrap().poll_interval(Duration::from_millis(50));
        queue.migrate().await.unwrap();
        let db = shared::db::connect("sqlite::memory:").await.unwrap();
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
        Self { queue, shutdown, monitor, _dir: dir }
    }

    async fn row(&self, id: &str) -> (String, i64, Option<String>) {
        let row = sqlx::query("SELECT status, attempts, last_result FROM Jobs WHERE id = ?1")
            .bind(id)
            .fetch_one(self.queue.pool())
            .await
            .unwrap();
        (row.get("status"), row.get("attempts"), row.get("last_result"))
    }

    async fn wait_status(&self, id: &str, status: &str) -> (String, i64, Option<String>) {
        eventually(&format!("job {id} {status}"), || async {
            let row = self.row(id).await;
            (row.0 == status).then_some(row)
        })
        .await
    }

    async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(10), self.monitor).await.expect("drained in time").unwrap();
    }
}

#[tokio::test]
async fn failed_attempts_back_off_exponentially_then_succeed() {
    let h = Harness::start().await;
    let id = unique_id();

    let job = h.queue.enqueue(&Probe { id, behaviour: Behaviour::FailTimes(2) }, Enqueue::default()).await.unwrap();

    let (_, attempts, _) = h.wait_status(&job.id, "Done").await;
    assert_eq!(attempts, 3);
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

    let (status, attempts, error) = h.wait_status(&job.id, "Failed").await;
    assert_eq!((status.as_str(), attempts), ("Failed", 1));
    assert!(error.unwrap_or_default().contains("timed out"));
    assert_eq!(seen(id).finished, 0, "the handler was cancelled, not left running");
    assert!(h.queue.dead(10, 0).await.unwrap().iter().any(|d| d.id == job.id));
    h.stop().await;
}

#[tokio::test]
async fn a_panic_is_a_failed_attempt_and_the_worker_lives_on() {
    let h = Harness::start().await;
    let (id, later) = (unique_id(), unique_id());

    let job = h.queue.enqueue(&Probe { id, behaviour: Behaviour::PanicOnce }, Enqueue::default()).await.unwrap();
    let (_, attempts, _) = h.wait_status(&job.id, "Done").await;
    assert_eq!(attempts, 2, "the panic used one attempt");

    let next =
        h.queue.enqueue(&Probe { id: later, behaviour: Behaviour::FailTimes(0) }, Enqueue::default()).await.unwrap();
    h.wait_status(&next.id, "Done").await;
    h.stop().await;
}

#[tokio::test]
async fn a_permanent_error_kills_the_job_at_once() {
    let h = Harness::start().await;
    let id = unique_id();

    let job = h.queue.enqueue(&Probe { id, behaviour: Behaviour::Permanent }, Enqueue::default()).await.unwrap();

    let (_, attempts, error) = h.wait_status(&job.id, "Killed").await;
    assert_eq!(attempts, 1);
    assert!(error.unwrap_or_default().contains("bad input"));
    h.stop().await;
}

#[tokio::test]
async fn a_payload_that_no_longer_decodes_is_dead_and_never_stops_the_worker() {
    let h = Harness::start().await;
    // Rows as an older version (valid JSON, wrong shape) or a corrupted file (not JSON) might leave them.
    let stale: &[(&str, &[u8])] = &[
        ("01ARZ3NDEKTSV4RRFFQ69G5FAV", br#"{"monitor": 7, "removed_field": true}"#),
        ("01ARZ3NDEKTSV4RRFFQ69G5FAW", b"\xff\x00 not json"),
    ];
    for (task_id, bytes) in stale {
        sqlx::query(
            "INSERT INTO Jobs (job, id, job_type, status, attempts, max_attempts, run_at, priority, metadata) \
             VALUES (?1, ?2, ?3, 'Pending', 0, 3, 0, 0, '{}')",
        )
        .bind(bytes.to_vec())
        .bind(*task_id)
        .bind(Probe::QUEUE)
        .execute(h.queue.pool())
        .await
        .unwrap();
    }
    let id = unique_id();
    let good = h.queue.enqueue(&Probe { id, behaviour: Behaviour::FailTimes(0) }, Enqueue::default()).await.unwrap();

    for (task_id, _) in stale {
        let (_, attempts, error) = h.wait_status(task_id, "Killed").await;
        assert_eq!(attempts, 1);
        assert!(error.unwrap_or_default().contains("payload does not decode"));
    }
    h.wait_status(&good.id, "Done").await;
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
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM Jobs WHERE job_type = ?1")
        .bind(Probe::QUEUE)
        .fetch_one(h.queue.pool())
        .await
        .unwrap();
    assert_eq!(n, 3);
    h.stop().await;
}

#[tokio::test]
async fn shutdown_lets_running_jobs_finish_and_fetches_nothing_new() {
    let h = Harness::start().await;
    let id = unique_id();
    let job = h.queue.enqueue(&Slow(Probe { id, behaviour: Behaviour::Sleep(800) }), Enqueue::default()).await.unwrap();
    eventually("the slow job started", || async { (!seen(id).starts.is_empty()).then_some(()) }).await;

    let (queue, pool) = (h.queue.clone(), h.queue.pool().clone());
    h.stop().await;

    assert_eq!(seen(id).finished, 1, "the running job finished during the drain");
    let status: String =
        sqlx::query_scalar("SELECT status FROM Jobs WHERE id = ?1").bind(&job.id).fetch_one(&pool).await.unwrap();
    assert_eq!(status, "Done");
    let after = queue
        .enqueue(&Slow(Probe { id: unique_id(), behaviour: Behaviour::Sleep(1) }), Enqueue::default())
        .await
        .unwrap();
    let status: String =
        sqlx::query_scalar("SELECT status FROM Jobs WHERE id = ?1").bind(&after.id).fetch_one(&pool).await.unwrap();
    assert_eq!(status, "Pending");
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
    h.wait_status(&done.id, "Done").await;
    h.wait_status(&dead.id, "Killed").await;
    let later = chrono::Utc::now() + chrono::Duration::hours(2);
    let waiting = h
        .queue
        .enqueue(
            &Probe { id: unique_id(), behaviour: Behaviour::FailTimes(0) },
            Enqueue { run_at: Some(later), ..Default::default() },
        )
        .await
        .unwrap();

    assert_eq!(h.queue.purge_done(chrono::Utc::now() - chrono::Duration::hours(1)).await.unwrap(), 0, "too recent");
    let purged = h.queue.purge_done(chrono::Utc::now() + chrono::Duration::hours(1)).await.unwrap();

    assert_eq!(purged, 1);
    let ids: Vec<String> =
        sqlx::query_scalar("SELECT id FROM Jobs ORDER BY id").fetch_all(h.queue.pool()).await.unwrap();
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
        .fetch_optional(queue.pool())
        .await
        .unwrap();
    assert_eq!(lidx, None, "the unselective lock_by index is gone");
}
