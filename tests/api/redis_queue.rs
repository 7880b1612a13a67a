//! The Redis queue store against a real redis-server: an idempotency key enqueues once, jobs are
//! read back whole and listed by queue, state and key in enqueue order, deleting and purging
//! leave other jobs and queues alone, and the counts by state follow every change.

use serde::{Deserialize, Serialize};
use shared::backoff::Backoff;
use shared::jobs::{Job, JobPolicy};
use shared::queue::redis::RedisQueue;
use shared::queue::{Enqueue, JobFilter, JobInfo, JobState};

use crate::redis::RedisServer;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Probe {
    id: u64,
}

impl Job for Probe {
    const QUEUE: &'static str = "test-probe";
    const POLICY: JobPolicy = JobPolicy {
        max_attempts: 3,
        timeout: std::time::Duration::from_secs(1),
        backoff: Backoff::new(std::time::Duration::from_secs(1), std::time::Duration::from_secs(2)),
    };
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Other(Probe);

impl Job for Other {
    const QUEUE: &'static str = "test-other";
    const POLICY: JobPolicy = Probe::POLICY;
}

async fn store(server: &RedisServer) -> RedisQueue {
    RedisQueue::connect(&server.url, "teleops-test:").await.unwrap()
}

fn ids(jobs: Vec<JobInfo>) -> Vec<String> {
    jobs.into_iter().map(|j| j.id).collect()
}

#[tokio::test]
async fn an_idempotency_key_enqueues_once_on_redis() {
    let Some(server) = RedisServer::start().await else { return };
    let queue = store(&server).await;

    let first = queue.enqueue(&Probe { id: 1 }, Enqueue::keyed("probe:1:60")).await.unwrap();
    let again = queue.enqueue(&Probe { id: 1 }, Enqueue::keyed("probe:1:60")).await.unwrap();
    let other = queue.enqueue(&Probe { id: 1 }, Enqueue::keyed("probe:1:120")).await.unwrap();
    let batch = queue
        .enqueue_many::<Probe>(&[
            (Probe { id: 1 }, Enqueue::keyed("probe:1:60")),
            (Probe { id: 2 }, Enqueue::keyed("probe:2:60")),
            (Probe { id: 2 }, Enqueue::keyed("probe:2:60")),
        ])
        .await
        .unwrap();

    assert!(!first.duplicate && again.duplicate && !other.duplicate);
    assert_eq!(again.id, first.id);
    assert_eq!(batch.iter().map(|o| o.duplicate).collect::<Vec<_>>(), [true, false, true], "within a batch too");
    assert_eq!((batch[0].id.as_str(), batch[2].id.as_str()), (first.id.as_str(), batch[1].id.as_str()));
    assert_eq!(queue.list(&JobFilter::queue(Probe::QUEUE), 10, 0).await.unwrap().len(), 3);
}

#[tokio::test]
async fn jobs_are_read_and_listed_by_queue_state_and_key_on_redis() {
    let Some(server) = RedisServer::start().await else { return };
    let queue = store(&server).await;
    let later = chrono::Utc::now() + chrono::Duration::hours(1);
    let a = queue.enqueue(&Probe { id: 1 }, Enqueue::keyed("probe:a")).await.unwrap().id;
    let b =
        queue.enqueue(&Probe { id: 2 }, Enqueue { run_at: Some(later), ..Enqueue::keyed("probe:b") }).await.unwrap().id;
    let c = queue.enqueue(&Other(Probe { id: 3 }), Enqueue::default()).await.unwrap().id;

    // One job, whole.
    let got = queue.get(&b).await.unwrap().expect("enqueued");
    assert_eq!(
        (got.queue.as_str(), got.state, got.attempts, got.max_attempts),
        (Probe::QUEUE, JobState::Waiting, 0, 3)
    );
    assert_eq!((got.idempotency_key.as_deref(), got.payload["id"].as_u64()), (Some("probe:b"), Some(2)));
    assert_eq!(got.run_at.timestamp_millis(), later.timestamp_millis());
    assert_eq!((got.done_at, got.last_error), (None, None));
    assert_eq!(queue.get("no-such-id").await.unwrap(), None);

    // Filters narrow; pages follow enqueue order, across queues too.
    assert_eq!(ids(queue.list(&JobFilter::default(), 10, 0).await.unwrap()), [a.as_str(), b.as_str(), c.as_str()]);
    assert_eq!(ids(queue.list(&JobFilter::default(), 1, 1).await.unwrap()), [b.as_str()]);
    assert_eq!(ids(queue.list(&JobFilter::queue(Probe::QUEUE), 10, 0).await.unwrap()), [a.as_str(), b.as_str()]);
    assert_eq!(ids(queue.list(&JobFilter::queue(Probe::QUEUE).key("probe:b"), 10, 0).await.unwrap()), [b.as_str()]);
    let waiting = JobFilter::default().state(JobState::Waiting);
    assert_eq!(queue.list(&waiting, 10, 0).await.unwrap().len(), 3);
    assert!(queue.list(&JobFilter::default().state(JobState::Dead), 10, 0).await.unwrap().is_empty());
    assert!(
        queue
            .list(&JobFilter::queue(Probe::QUEUE).key("probe:a").state(JobState::Done), 10, 0)
            .await
            .unwrap()
            .is_empty()
    );
    let counts = queue.counts(&["test-idle"]).await.unwrap();
    let pending: Vec<(&str, i64)> = counts.iter().map(|c| (c.queue.as_str(), c.pending)).collect();
    assert_eq!(pending, [("test-idle", 0), ("test-other", 1), ("test-probe", 2)]);
}

#[tokio::test]
async fn deleting_and_purging_leave_other_jobs_and_free_the_key_on_redis() {
    let Some(server) = RedisServer::start().await else { return };
    let queue = store(&server).await;
    let keyed = queue.enqueue(&Probe { id: 1 }, Enqueue::keyed("probe:1")).await.unwrap().id;
    let jobs: Vec<(Probe, Enqueue)> = (2..=2_500).map(|id| (Probe { id }, Enqueue::default())).collect();
    queue.enqueue_many::<Probe>(&jobs).await.unwrap();
    let kept = queue.enqueue(&Other(Probe { id: 0 }), Enqueue::default()).await.unwrap().id;

    // Only a dead job is retried; a deleted job is gone and its key is free again.
    assert!(!queue.retry(&keyed).await.unwrap());
    assert!(queue.delete(&keyed).await.unwrap());
    assert!(!queue.delete(&keyed).await.unwrap());
    assert_eq!(queue.get(&keyed).await.unwrap(), None);
    assert!(!queue.enqueue(&Probe { id: 1 }, Enqueue::keyed("probe:1")).await.unwrap().duplicate);

    // Purging one queue's waiting jobs, in chunks, leaves the other queue's.
    assert_eq!(queue.purge(Probe::QUEUE, JobState::Running).await.unwrap(), 0);
    assert_eq!(queue.purge(Probe::QUEUE, JobState::Waiting).await.unwrap(), 2_500);
    assert!(queue.list(&JobFilter::queue(Probe::QUEUE), 10, 0).await.unwrap().is_empty());
    assert_eq!(ids(queue.list(&JobFilter::default(), 10, 0).await.unwrap()), [kept]);
    queue.ping().await.unwrap();
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct NoAttempts(Probe);

impl Job for NoAttempts {
    const QUEUE: &'static str = "test-probe";
    const POLICY: JobPolicy = JobPolicy { max_attempts: 0, ..Probe::POLICY };
}

#[tokio::test]
async fn a_claim_takes_due_jobs_oldest_first_counting_the_attempt_on_redis() {
    let Some(server) = RedisServer::start().await else { return };
    let queue = store(&server).await;
    let now = chrono::Utc::now();
    let soon = now + chrono::Duration::seconds(30);
    let a = queue.enqueue(&Probe { id: 1 }, Enqueue::default()).await.unwrap().id;
    let gone = queue.enqueue(&Probe { id: 2 }, Enqueue::default()).await.unwrap().id;
    let b = queue.enqueue(&Probe { id: 3 }, Enqueue::default()).await.unwrap().id;
    let later = queue.enqueue(&Probe { id: 4 }, Enqueue { run_at: Some(soon), ..Default::default() }).await.unwrap().id;
    let spent = queue.enqueue(&NoAttempts(Probe { id: 5 }), Enqueue::default()).await.unwrap().id;
    assert!(queue.delete(&gone).await.unwrap());

    // Act: a claim for more than there is, now.
    let (claimed, next_due) = queue.claim(Probe::QUEUE, "w1", 10, now).await.unwrap();

    // Assert: the ready jobs, oldest first, on their first attempt; the deleted one skipped; the
    // one with no attempts dead, not delivered; the delayed one told as the next due.
    let got: Vec<(&str, u32)> = claimed.iter().map(|c| (c.id.as_str(), c.attempt)).collect();
    assert_eq!(got, [(a.as_str(), 1), (b.as_str(), 1)]);
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&claimed[0].payload).unwrap()["id"], 1);
    assert_eq!(next_due.map(|d| d.timestamp_millis()), Some(soon.timestamp_millis()));
    let state = |id: String| {
        let queue = queue.clone();
        async move { queue.get(&id).await.unwrap().map(|j| (j.state, j.attempts)) }
    };
    assert_eq!(state(a.clone()).await, Some((JobState::Running, 1)));
    assert_eq!(state(spent.clone()).await, Some((JobState::Dead, 0)));
    assert_eq!(state(later.clone()).await, Some((JobState::Waiting, 0)));
    assert!(queue.claim(Probe::QUEUE, "w1", 10, now).await.unwrap().0.is_empty(), "nothing more is ready");

    // Once due, the delayed job is claimed; running jobs are neither deleted nor purged.
    let (claimed, next_due) = queue.claim(Probe::QUEUE, "w2", 10, soon).await.unwrap();
    assert_eq!(claimed.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), [later.as_str()]);
    assert_eq!(next_due, None);
    assert!(!queue.delete(&a).await.unwrap());
    assert_eq!(queue.purge(Probe::QUEUE, JobState::Running).await.unwrap(), 0);
    assert_eq!(queue.list(&JobFilter::queue(Probe::QUEUE).state(JobState::Running), 10, 0).await.unwrap().len(), 3);
}

#[tokio::test]
async fn counts_follow_every_change_and_a_purge_takes_only_its_state_on_redis() {
    use shared::queue::Verdict;
    let Some(server) = RedisServer::start().await else { return };
    let queue = store(&server).await;
    let now = chrono::Utc::now();
    let counts = || {
        let queue = queue.clone();
        async move {
            let c = queue.counts(&[]).await.unwrap().into_iter().find(|c| c.queue == Probe::QUEUE).unwrap();
            (c.pending, c.running, c.done, c.dead)
        }
    };
    let jobs: Vec<(Probe, Enqueue)> = (1..=1_200).map(|id| (Probe { id }, Enqueue::default())).collect();
    queue.enqueue_many::<Probe>(&jobs).await.unwrap();
    assert_eq!(counts().await, (1_200, 0, 0, 0));

    let (claimed, _) = queue.claim(Probe::QUEUE, "w1", 10, now).await.unwrap();
    assert_eq!(counts().await, (1_190, 10, 0, 0));
    let error = || "boom".to_owned();
    let verdicts = [
        Verdict::Done,
        Verdict::Done,
        Verdict::Done,
        Verdict::Done,
        Verdict::Dead { error: error() },
        Verdict::Dead { error: error() },
        Verdict::Retry { at: now, error: error() },
        Verdict::Retry { at: now, error: error() },
        Verdict::Defer { at: now + chrono::Duration::seconds(60), reason: error() },
        Verdict::Release,
    ];
    let acks: Vec<(String, Verdict)> = claimed.iter().map(|c| c.id.clone()).zip(verdicts).collect();
    // A worker that does not hold the jobs is refused and changes nothing.
    assert_eq!(queue.ack("w2", &acks, now).await.unwrap(), [false; 10]);
    assert_eq!(counts().await, (1_190, 10, 0, 0));
    assert_eq!(queue.ack("w1", &acks, now).await.unwrap(), [true; 10]);
    assert_eq!(counts().await, (1_194, 0, 4, 2));
    assert_eq!(queue.ack("w1", &acks[..1], now).await.unwrap(), [false], "an ack is taken once");
    let retrying = JobFilter::queue(Probe::QUEUE).state(JobState::Retrying);
    assert_eq!(queue.list(&retrying, 10, 0).await.unwrap().len(), 3);
    assert_eq!(queue.get(&claimed[9].id).await.unwrap().unwrap().state, JobState::Waiting, "released unrun");

    // Deleting and purging count down; a purge leaves other states alone.
    let waiting = queue.list(&JobFilter::queue(Probe::QUEUE).state(JobState::Waiting), 1, 0).await.unwrap();
    assert!(queue.delete(&waiting[0].id).await.unwrap());
    assert_eq!(counts().await, (1_193, 0, 4, 2));
    assert_eq!(queue.purge(Probe::QUEUE, JobState::Retrying).await.unwrap(), 3);
    assert!(queue.list(&retrying, 10, 0).await.unwrap().is_empty());
    assert_eq!(counts().await, (1_190, 0, 4, 2));
    assert_eq!(queue.purge(Probe::QUEUE, JobState::Waiting).await.unwrap(), 1_190);
    assert_eq!(counts().await, (0, 0, 4, 2));
    assert_eq!(queue.purge(Probe::QUEUE, JobState::Dead).await.unwrap(), 2);
    assert_eq!(counts().await, (0, 0, 4, 0));

    // A job enqueued behind the purged ones' ids is still claimed: claims skip what is gone.
    let last = queue.enqueue(&Probe { id: 0 }, Enqueue::default()).await.unwrap().id;
    let mut got = Vec::new();
    for _ in 0..3 {
        got.extend(queue.claim(Probe::QUEUE, "w1", 10, now).await.unwrap().0.into_iter().map(|c| c.id));
    }
    assert_eq!(got, [last]);
    assert_eq!(counts().await, (0, 1, 4, 0));
}
