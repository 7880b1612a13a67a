//! Chaos against real processes: `teleops worker` processes (the test build's binary) on Redis and
//! Postgres servers of the test's own, with one killed by SIGKILL mid-run. Bounded in count and
//! time.

use std::time::Duration;

use chrono::Utc;
use shared::jobs::{Heartbeat, Job};
use shared::metrics::Metrics;
use shared::queue::redis::RedisQueue;
use shared::queue::{JobFilter, JobState, Queue};

use crate::helpers::{eventually, within};
use crate::processes::{Servers, backlog, done, wait_done};

#[tokio::test]
async fn a_worker_killed_mid_run_loses_nothing_and_its_jobs_run_elsewhere_within_10_s() {
    let Some(servers) = Servers::start().await else { return };
    let queue = Queue::redis(RedisQueue::connect(&servers.redis.url, "teleops:").await.unwrap(), Metrics::new());
    let total = 10_000;
    backlog(&queue, total).await;

    let mut doomed = servers.worker();
    let _survivor = servers.worker();
    wait_done(&queue, "a tenth of the jobs done", total / 10, Duration::from_secs(120)).await;
    doomed.0.kill().expect("SIGKILL");
    let killed_at = Utc::now();

    wait_done(&queue, "every job done", total, Duration::from_secs(120)).await;

    let all = queue.list(&JobFilter::queue(Heartbeat::QUEUE), total as u64, 0).await.unwrap();
    assert_eq!(all.len() as i64, total);
    assert!(all.iter().all(|j| j.state == JobState::Done));
    let handed_on: Vec<_> = all.iter().filter(|j| j.attempts > 1).collect();
    // At most what the killed worker held: its last claims and the finished jobs whose verdicts
    // were not recorded yet.
    let concurrency = 8;
    let bound = concurrency * shared::queue::redis::backend::HOLD_LIMIT;
    assert!(handed_on.len() <= bound, "{} jobs ran twice, more than the {bound} a worker holds", handed_on.len());
    for job in &handed_on {
        assert!(job.last_error.as_deref().unwrap_or("").contains("stopped answering"), "{job:?}");
        let after = job.done_at.expect("done") - killed_at;
        assert!(after <= chrono::Duration::seconds(10), "{} ran again {after} after the kill", job.id);
    }
    eprintln!("chaos: {} of {total} jobs were handed on after the kill", handed_on.len());
}

#[tokio::test]
async fn a_redis_restart_mid_run_loses_no_job_and_no_worker_exits() {
    let Some(mut servers) = Servers::start().await else { return };
    let queue = Queue::redis(RedisQueue::connect(&servers.redis.url, "teleops:").await.unwrap(), Metrics::new());
    let total = 10_000;
    backlog(&queue, total).await;
    let mut workers = [servers.worker(), servers.worker()];
    wait_done(&queue, "a tenth of the jobs done", total / 10, Duration::from_secs(120)).await;

    servers.redis.restart().await;
    let at_restart = crate::helpers::eventually("the store read again", || async {
        let counts = queue.counts(&[Heartbeat::QUEUE]).await.ok()?;
        counts.into_iter().find(|c| c.queue == Heartbeat::QUEUE).map(|c| c.done)
    })
    .await;
    assert!(at_restart < total, "the restart came mid-run");

    wait_done(&queue, "every job done after the restart", total, Duration::from_secs(120)).await;
    let all = queue.list(&JobFilter::queue(Heartbeat::QUEUE), total as u64, 0).await.unwrap();
    assert_eq!(all.len() as i64, total, "no enqueued job lost");
    for worker in &mut workers {
        assert!(worker.0.try_wait().unwrap().is_none(), "the worker process still runs");
    }
    eprintln!("chaos: {at_restart} of {total} jobs were done when Redis came back");
}

#[tokio::test]
async fn a_postgres_restart_mid_run_fails_no_job_and_no_worker_exits() {
    let Some(mut servers) = Servers::start().await else { return };
    let queue = Queue::redis(RedisQueue::connect(&servers.redis.url, "teleops:").await.unwrap(), Metrics::new());
    let total = 5_000;
    backlog(&queue, total).await;
    let mut workers = [servers.worker(), servers.worker()];
    wait_done(&queue, "a tenth of the jobs done", total / 10, Duration::from_secs(120)).await;

    // Heartbeat jobs write to the database: those running meanwhile fail to reach it.
    servers.pg.restart().await;
    let at_restart = done(&queue).await;
    assert!(at_restart < total, "the restart came mid-run");

    wait_done(&queue, "every job done after the restart", total, Duration::from_secs(120)).await;
    assert!(queue.dead(10, 0).await.unwrap().is_empty(), "no job died of the restart");
    let waited = queue.list(&JobFilter::queue(Heartbeat::QUEUE), total as u64, 0).await.unwrap();
    let waited = waited.iter().filter(|j| j.last_error.as_deref().is_some_and(|e| e.contains("retry after"))).count();
    assert!(waited > 0, "some jobs met the restart");
    for worker in &mut workers {
        assert!(worker.0.try_wait().unwrap().is_none(), "the worker process still runs");
    }
    eprintln!("chaos: {waited} jobs waited for the database; {at_restart} of {total} were done at the restart");
}

#[tokio::test]
async fn killing_the_leading_scheduler_hands_the_lease_over_within_10_s() {
    let Some(servers) = Servers::start().await else { return };
    let redis = RedisQueue::connect(&servers.redis.url, "teleops:").await.unwrap();
    let mut schedulers = vec![servers.spawn("scheduler"), servers.spawn("scheduler")];
    // Holder names carry the process id: `scheduler-<host>-<pid>-<suffix>`.
    let pid_of = |holder: &str| holder.split('-').rev().nth(1).and_then(|p| p.parse::<u32>().ok());
    let leader = eventually("a scheduler to lead", || async {
        redis.lease_holder("scheduler").await.unwrap().and_then(|h| pid_of(&h))
    })
    .await;
    let at = schedulers.iter().position(|p| p.0.id() == leader).expect("the leader is one of ours");
    let mut doomed = schedulers.remove(at);
    let survivor = schedulers[0].0.id();

    doomed.0.kill().expect("SIGKILL");
    let killed = std::time::Instant::now();
    within(
        Duration::from_secs(15),
        "the other scheduler to lead",
        || async {
            let holder = redis.lease_holder("scheduler").await.unwrap();
            (holder.as_deref().and_then(pid_of) == Some(survivor)).then_some(())
        },
        String::new,
    )
    .await;

    let took = killed.elapsed();
    assert!(took <= Duration::from_secs(10), "the lease passed on {took:?} after the kill");
    eprintln!("chaos: the scheduler lease passed on {took:?} after the leader was killed");
}
