//! What only the Redis store has to prove, on a real redis-server, whatever the setup: jobs of a
//! worker that went silent run elsewhere, attempts are counted at delivery (a job that kills its
//! worker every time ends dead, not looping), a late ack from a reaped worker is refused, a long
//! job is never handed to a second worker, finished jobs are trimmed as they finish, a paused
//! queue hands out nothing, and jobs claimed but never started go back with their attempt.

use std::time::Duration;

use shared::jobs::Job;

use chrono::Utc;
use shared::queue::redis::RedisQueue;
use shared::queue::{Enqueue, JobFilter, JobState, Retention, Verdict};

use crate::helpers::eventually;
use crate::queue::{Behaviour, Harness, Probe, Slow, seen, unique_id};
use crate::setup::{QueueStore, TEST_PRESENCE, TestQueue};

async fn redis_store() -> Option<(TestQueue, RedisQueue)> {
    let store = TestQueue::start(QueueStore::Redis).await?;
    let redis = store.redis.clone().expect("a Redis store");
    Some((store, redis))
}

fn probe(behaviour: Behaviour) -> Probe {
    Probe { id: unique_id(), behaviour }
}

#[tokio::test]
async fn jobs_of_a_silent_worker_run_on_a_live_one_and_its_late_ack_is_refused() {
    let Some((store, redis)) = redis_store().await else { return };
    let job = store.queue.enqueue(&probe(Behaviour::FailTimes(0)), Enqueue::default()).await.unwrap();
    // A worker takes the job, then falls silent (as if killed with SIGKILL).
    let (claimed, _) = redis.claim(Probe::QUEUE, "gone-worker", 10, Utc::now()).await.unwrap();
    assert_eq!(claimed.len(), 1);

    let h = Harness::workers(store.queue.clone());
    let done = h.wait_state(&job.id, JobState::Done).await;

    assert_eq!(done.attempts, 2, "the lost attempt counts");
    assert_ne!(done.worker.as_deref(), Some("gone-worker"));
    let late = redis.ack("gone-worker", &[(job.id.clone(), Verdict::Done)], Utc::now()).await.unwrap();
    assert_eq!(late, [false], "the job is no longer the silent worker's");
    h.stop().await;
}

#[tokio::test]
async fn a_job_that_kills_its_worker_every_time_is_dead_after_its_attempts() {
    let Some((store, redis)) = redis_store().await else { return };
    let job = store.queue.enqueue(&probe(Behaviour::FailTimes(0)), Enqueue::default()).await.unwrap();
    let mut now = Utc::now();

    // Each delivery's worker dies before acknowledging; the reaper gives the job back each time.
    for attempt in 1..=Probe::POLICY.max_attempts {
        let (claimed, _) = redis.claim(Probe::QUEUE, &format!("doomed-{attempt}"), 1, now).await.unwrap();
        assert_eq!(claimed.iter().map(|c| c.attempt).collect::<Vec<_>>(), [attempt]);
        now += chrono::Duration::from_std(TEST_PRESENCE.gone_after * 2).unwrap();
        assert_eq!(redis.reap(now).await.unwrap(), 1);
    }
    let (claimed, _) = redis.claim(Probe::QUEUE, "next", 1, now).await.unwrap();

    assert!(claimed.is_empty(), "not delivered a fourth time");
    let dead = store.queue.get(&job.id).await.unwrap().unwrap();
    assert_eq!((dead.state, dead.attempts), (JobState::Dead, Probe::POLICY.max_attempts));
    assert!(dead.last_error.unwrap_or_default().contains("out of attempts"));
}

#[tokio::test]
async fn a_long_job_is_never_handed_to_a_second_worker() {
    let Some((store, _redis)) = redis_store().await else { return };
    let first = Harness::workers(store.queue.clone());
    let second = Harness::workers(store.queue.clone());
    // Three times the silence after which a worker is reaped.
    let long = probe(Behaviour::Sleep(3 * TEST_PRESENCE.gone_after.as_millis() as u64));
    let id = long.id;
    let job = store.queue.enqueue(&Slow(long), Enqueue::default()).await.unwrap();

    let done = first.wait_state(&job.id, JobState::Done).await;

    assert_eq!(seen(id).starts.len(), 1, "run once, by one worker");
    assert_eq!(done.attempts, 1);
    first.stop().await;
    second.stop().await;
}

#[tokio::test]
async fn finished_jobs_beyond_the_kept_count_are_trimmed_as_they_finish() {
    let Some(server) = crate::redis::RedisServer::start().await else { return };
    let redis = RedisQueue::connect(&server.url, "teleops:")
        .await
        .unwrap()
        .retention(Retention { keep_done: Duration::from_secs(3600), keep_count: 5 });
    let jobs: Vec<(Probe, Enqueue)> = (0..20).map(|_| (probe(Behaviour::FailTimes(0)), Enqueue::default())).collect();
    let ids: Vec<String> = redis.enqueue_many::<Probe>(&jobs).await.unwrap().into_iter().map(|o| o.id).collect();

    let (claimed, _) = redis.claim(Probe::QUEUE, "w", 20, Utc::now()).await.unwrap();
    let acks: Vec<(String, Verdict)> = claimed.iter().map(|c| (c.id.clone(), Verdict::Done)).collect();
    assert!(redis.ack("w", &acks, Utc::now()).await.unwrap().iter().all(|&taken| taken));

    let done = redis.list(&JobFilter::queue(Probe::QUEUE).state(JobState::Done), 100, 0).await.unwrap();
    assert_eq!(
        done.iter().map(|j| j.id.as_str()).collect::<Vec<_>>(),
        ids[15..].iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert_eq!(redis.counts(&[]).await.unwrap()[0].done, 5);
    // Time-based retention: everything finished before a moment after now goes.
    assert_eq!(redis.trim(Utc::now() + chrono::Duration::seconds(1), 100).await.unwrap(), 5);
    assert!(redis.list(&JobFilter::queue(Probe::QUEUE), 100, 0).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_paused_queue_hands_out_nothing_until_resumed() {
    let Some((store, redis)) = redis_store().await else { return };
    redis.set_paused(Probe::QUEUE, true).await.unwrap();
    let job = store.queue.enqueue(&probe(Behaviour::FailTimes(0)), Enqueue::default()).await.unwrap();

    let (claimed, _) = redis.claim(Probe::QUEUE, "w", 10, Utc::now()).await.unwrap();
    assert!(claimed.is_empty());
    assert!(redis.is_paused(Probe::QUEUE).await.unwrap());

    let h = Harness::workers(store.queue.clone());
    redis.set_paused(Probe::QUEUE, false).await.unwrap();
    h.wait_state(&job.id, JobState::Done).await;
    h.stop().await;
}

#[tokio::test]
async fn a_released_job_goes_back_first_with_its_attempt_given_back() {
    let Some((store, redis)) = redis_store().await else { return };
    let first = store.queue.enqueue(&probe(Behaviour::FailTimes(0)), Enqueue::default()).await.unwrap();
    let second = store.queue.enqueue(&probe(Behaviour::FailTimes(0)), Enqueue::default()).await.unwrap();
    let (claimed, _) = redis.claim(Probe::QUEUE, "stopping", 1, Utc::now()).await.unwrap();
    assert_eq!(claimed[0].id, first.id);

    let taken = redis.ack("stopping", &[(first.id.clone(), Verdict::Release)], Utc::now()).await.unwrap();

    assert_eq!(taken, [true]);
    let job = store.queue.get(&first.id).await.unwrap().unwrap();
    assert_eq!((job.state, job.attempts), (JobState::Waiting, 0));
    let (next, _) = redis.claim(Probe::QUEUE, "other", 1, Utc::now()).await.unwrap();
    assert_eq!(next[0].id, first.id, "ahead of {}", second.id);
}

#[tokio::test]
async fn idle_workers_pick_up_new_jobs_and_due_retries_and_show_as_alive() {
    let Some((store, _redis)) = redis_store().await else { return };
    let h = Harness::workers(store.queue.clone());
    // Workers idle between jobs, blocked on the wake list.
    for _ in 0..3 {
        let job = store.queue.enqueue(&probe(Behaviour::FailTimes(0)), Enqueue::default()).await.unwrap();
        h.wait_state(&job.id, JobState::Done).await;
    }
    let job = store.queue.enqueue(&probe(Behaviour::FailTimes(1)), Enqueue::default()).await.unwrap();
    let done = h.wait_state(&job.id, JobState::Done).await;
    assert_eq!(done.attempts, 2);
    eventually("the worker seen by the store", || async {
        store.redis.as_ref().unwrap().workers(Utc::now()).await.unwrap().into_iter().find(|w| w.queue == Probe::QUEUE)
    })
    .await;
    h.stop().await;
}

#[tokio::test]
async fn a_backlog_of_a_hundred_thousand_drains_with_workers_started_afterwards() {
    let Some((store, _redis)) = redis_store().await else { return };
    let total = 100_000;
    let jobs: Vec<(Probe, Enqueue)> =
        (0..total).map(|_| (probe(Behaviour::FailTimes(0)), Enqueue::default())).collect();
    store.queue.enqueue_many(&jobs).await.unwrap();

    let started = std::time::Instant::now();
    let h = Harness::workers(store.queue.clone());
    let done = || async {
        let counts = store.queue.counts(&[Probe::QUEUE]).await.unwrap();
        counts.into_iter().find(|c| c.queue == Probe::QUEUE).map_or(0, |c| c.done)
    };
    crate::helpers::within(
        Duration::from_secs(240),
        "the backlog drained",
        || async { (done().await == total).then_some(()) },
        String::new,
    )
    .await;
    eprintln!("backlog: {total} jobs drained in {:?}", started.elapsed());
    h.stop().await;
}

#[tokio::test]
async fn a_lease_has_one_holder_and_a_writer_whose_term_ended_is_fenced_off() {
    let Some((store, redis)) = redis_store().await else { return };
    let ttl = Duration::from_millis(300);
    let a = redis.lease("probe", "a", ttl).await.unwrap().expect("a takes the free lease");
    assert!(redis.lease("probe", "b", ttl).await.unwrap().is_none(), "b waits while a holds it");
    assert_eq!(redis.lease("probe", "a", ttl).await.unwrap(), Some(a.clone()), "a renewal keeps the term");

    // a falls silent (a paused process, say); its lease lapses and b takes it: a new term.
    let b = eventually("b to take the lapsed lease", || async { redis.lease("probe", "b", ttl).await.unwrap() }).await;
    assert!(b.token > a.token, "{b:?} after {a:?}");
    let stale = store.queue.clone().fenced(Some(a.clone()));
    let refused = stale.enqueue(&probe(Behaviour::FailTimes(0)), Enqueue::default()).await.unwrap_err();
    let current = store.queue.clone().fenced(Some(b.clone()));
    let added = current.enqueue(&probe(Behaviour::FailTimes(0)), Enqueue::default()).await.unwrap();

    assert!(refused.is_fenced(), "{refused}");
    let jobs = store.queue.list(&JobFilter::queue(Probe::QUEUE), 10, 0).await.unwrap();
    assert_eq!(jobs.iter().map(|j| j.id.clone()).collect::<Vec<_>>(), [added.id], "the fenced write added nothing");
    // Only the holder gives a lease up; then another takes it at once, in a new term.
    redis.release_lease("probe", "a").await.unwrap();
    assert_eq!(redis.lease_holder("probe").await.unwrap().as_deref(), Some("b"));
    redis.release_lease("probe", "b").await.unwrap();
    let again = redis.lease("probe", "a", ttl).await.unwrap().expect("a takes the given-up lease");
    assert!(again.token > b.token);
}
