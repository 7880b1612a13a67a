//! The scheduler: due-scans enqueue each item once under a leader lease; cron enqueues heartbeats.

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use futures::future::BoxFuture;
use migrations::{Migrator, MigratorTrait};
use scheduler::{Due, DueScan, Scheduler, SchedulerOptions};
use shared::clock::ManualClock;
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
    let (db, queue) = stores(&dir).await;
    let settings = std::sync::Arc::new(shared::config::Settings::from_vars(&Default::default()).unwrap());
    let clock = std::sync::Arc::new(shared::clock::SystemClock);
    let mut registry = scheduler::Registry::new(
        db,
        queue.clone(),
        shared::metrics::Metrics::new(),
        settings,
        clock,
        scheduler::SchedulerOptions::default(),
    );
    scheduler::heartbeat::register(&mut registry, "* * * * * *").unwrap();
    let (_due, monitor) = registry.build();
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
