//! The scheduler: due-scans enqueue each item once under a leader lease; cron enqueues heartbeats;
//! the outbox sweep enqueues what an enqueue lost.

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use futures::future::BoxFuture;
use migrations::{Migrator, MigratorTrait};
use scheduler::{Due, DueScan, OutboxSweep, Scheduler, SchedulerOptions};
use sea_orm::{ActiveModelTrait, Set};
use shared::clock::{Clock, ManualClock};
use shared::entities::outbox;
use shared::jobs::Heartbeat;
use shared::metrics::Metrics;
use shared::queue::Queue;

use crate::helpers::{TempDir, eventually};

/// Three items due every minute.
struct EveryMinute;

impl DueScan for EveryMinute {
    type Job = Heartbeat;
    fn due(&self, now: chrono::DateTime<Utc>) -> BoxFuture<'_, anyhow::Result<Vec<Due<Heartbeat>>>> {
        let slot = now.timestamp() / 60 * 60;
        Box::pin(async move { Ok((1..=3).map(|id| Due { id, slot, job: Heartbeat { slot }, run_at: None }).collect()) })
    }
}

async fn stores(dir: &TempDir) -> (sea_orm::DatabaseConnection, Queue) {
    let db = shared::db::connect(&format!("sqlite://{}?mode=rwc", dir.0.join("db.sqlite").display())).await.unwrap();
    Migrator::up(&db, None).await.unwrap();
    let queue = Queue::connect(&format!("sqlite://{}?mode=rwc", dir.0.join("queue.db").display()), Metrics::new())
        .await
        .unwrap();
    queue.migrate().await.unwrap();
    (db, queue)
}

fn replica(db: &sea_orm::DatabaseConnection, queue: &Queue, clock: &ManualClock, name: &str) -> Scheduler {
    let options = SchedulerOptions { lease_ttl: Duration::from_secs(10), holder: name.into(), ..Default::default() };
    Scheduler::new(db.clone(), queue.clone(), Arc::new(clock.clone()), options).scan(EveryMinute)
}

#[tokio::test]
async fn due_items_are_enqueued_once_per_slot_by_one_leader() {
    let dir = TempDir::new();
    let (db, queue) = stores(&dir).await;
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 5).unwrap());
    let a = replica(&db, &queue, &clock, "a");
    let b = replica(&db, &queue, &clock, "b");

    let first = a.tick().await.unwrap().expect("a leads");
    assert_eq!((first[0].added, first[0].duplicates), (3, 0));
    assert!(b.tick().await.unwrap().is_none(), "b waits while a holds the lease");
    let again = a.tick().await.unwrap().unwrap();
    assert_eq!((again[0].added, again[0].duplicates), (0, 3), "a re-scan adds nothing");

    clock.advance(chrono::Duration::seconds(60));
    let next = a.tick().await.unwrap().unwrap();
    assert_eq!(next[0].added, 3, "a new slot is new work");

    // a stops renewing; once its lease expires, b takes over and still adds no duplicates.
    clock.advance(chrono::Duration::seconds(11));
    let takeover = b.tick().await.unwrap().expect("b leads after a's lease expired");
    assert_eq!((takeover[0].added, takeover[0].duplicates), (0, 3));
    assert!(a.tick().await.unwrap().is_none(), "a lost the lease");
    let counts = queue.counts(&[]).await.unwrap();
    assert_eq!(counts.iter().map(|c| c.pending).sum::<i64>(), 6);
}

#[tokio::test]
async fn the_cron_schedule_enqueues_keyed_heartbeats() {
    let dir = TempDir::new();
    let (_db, queue) = stores(&dir).await;
    let monitor = scheduler::cron_monitor(
        queue.clone(),
        "* * * * * *",
        scheduler::Retention { keep_done: Duration::from_secs(3600), keep_raw_results: Duration::from_secs(48 * 3600) },
    )
    .unwrap();
    let shutdown = tokio_util::sync::CancellationToken::new();
    let token = shutdown.clone();
    let handle = tokio::spawn(monitor.run_with_signal(async move {
        token.cancelled().await;
        Ok(())
    }));

    let n = eventually("a heartbeat job", || async {
        let n = queue.counts(&[]).await.unwrap().iter().find(|c| c.queue == "heartbeat").map(|c| c.pending)?;
        (n >= 1).then_some(n)
    })
    .await;
    assert!(n >= 1);
    let key: String = sqlx::query_scalar("SELECT idempotency_key FROM Jobs WHERE job_type = 'heartbeat' LIMIT 1")
        .fetch_one(queue.pool())
        .await
        .unwrap();
    assert!(key.starts_with("heartbeat:0:"), "{key}");
    shutdown.cancel();
    handle.await.unwrap().unwrap();
}

#[tokio::test]
async fn the_outbox_sweep_enqueues_rows_without_a_job_once() {
    let dir = TempDir::new();
    let (db, queue) = stores(&dir).await;
    let clock = ManualClock::new(Utc::now());
    let scheduler = Scheduler::new(db.clone(), queue.clone(), Arc::new(clock.clone()), SchedulerOptions::default())
        .scan(OutboxSweep::new(db.clone()));
    // No worker runs: rows stay pending. One row's enqueue happened, one's never did.
    let with_job = shared::outbox::send(&db, &queue, 1, "enqueued".into(), None).await.unwrap();
    let without_job = shared::outbox::write(&db, 2, "lost".into(), None).await.unwrap();

    let within_grace = scheduler.tick().await.unwrap().unwrap();
    assert_eq!((within_grace[0].added, within_grace[0].duplicates), (0, 0), "rows within their grace wait");

    clock.advance(chrono::Duration::seconds(31));
    let swept = scheduler.tick().await.unwrap().unwrap();
    assert_eq!((swept[0].added, swept[0].duplicates), (1, 1), "only the row without a job gets one");

    // A row written now waits out its grace; the rows already swept are not looked at again.
    let young = outbox::ActiveModel {
        chat_id: Set(3),
        text: Set("young".into()),
        status: Set(outbox::OutboxStatus::Pending),
        created_at: Set(clock.now()),
        ..Default::default()
    }
    .insert(&db)
    .await
    .unwrap();
    clock.advance(chrono::Duration::seconds(10));
    let next = scheduler.tick().await.unwrap().unwrap();
    assert_eq!((next[0].added, next[0].duplicates), (0, 0));
    clock.advance(chrono::Duration::seconds(30));
    let later = scheduler.tick().await.unwrap().unwrap();
    assert_eq!((later[0].added, later[0].duplicates), (1, 0));

    let mut keys: Vec<String> = sqlx::query_scalar("SELECT idempotency_key FROM Jobs WHERE job_type = 'notify'")
        .fetch_all(queue.pool())
        .await
        .unwrap();
    keys.sort();
    let mut expected: Vec<String> =
        [with_job, without_job, young.id].into_iter().map(shared::outbox::notify_key).collect();
    expected.sort();
    assert_eq!(keys, expected);
}
