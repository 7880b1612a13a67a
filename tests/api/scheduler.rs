//! The scheduler: due-scans enqueue each item once under a leader lease; cron enqueues heartbeats;
//! check batches hold each (monitor, slot) once; the outbox sweep enqueues what an enqueue lost.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use futures::future::BoxFuture;
use migrations::{Migrator, MigratorTrait};
use scheduler::monitoring::MonitorScan;
use scheduler::{Due, DueScan, OutboxSweep, Scheduler, SchedulerOptions};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use shared::clock::{Clock, ManualClock};
use shared::entities::{monitor, outbox};
use shared::jobs::Heartbeat;
use shared::metrics::Metrics;
use shared::monitoring::alerts::Thresholds;
use shared::monitoring::jobs::Check;
use shared::monitoring::model::new_row;
use shared::monitoring::schedule::Interval;
use shared::monitoring::target::Target;
use shared::queue::{Enqueue, JobFilter, Queue};

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
    let job = queue.list(&JobFilter::queue("heartbeat"), 1, 0).await.unwrap().pop().expect("a heartbeat job");
    let key = job.idempotency_key.unwrap_or_default();
    assert!(key.starts_with("heartbeat:0:"), "{key}");
    shutdown.cancel();
    handle.await.unwrap().unwrap();
}

/// `n` TCP monitors every minute, due at `slot`; returns their ids.
async fn add_monitors(db: &sea_orm::DatabaseConnection, n: usize, slot: DateTime<Utc>) -> Vec<i64> {
    let target = Target::parse("tcp://127.0.0.1:9").unwrap();
    let mut ids = Vec::with_capacity(n);
    for _ in 0..n {
        let row = new_row(1, 1, &target, Interval::DEFAULT, &Thresholds::default(), slot, Utc::now())
            .expect("no password in this target");
        ids.push(monitor::Entity::insert(row).exec(db).await.unwrap().last_insert_id);
    }
    ids
}

/// How many enqueued `check` jobs hold each (monitor, slot).
async fn checks_enqueued(queue: &Queue) -> HashMap<(i64, i64), usize> {
    let jobs = queue.list(&JobFilter::queue("check"), 100_000, 0).await.unwrap();
    let mut seen = HashMap::new();
    for job in jobs {
        let check: Check = serde_json::from_value(job.payload).unwrap();
        for pair in check.slots {
            *seen.entry(pair).or_default() += 1;
        }
    }
    seen
}

#[tokio::test]
async fn two_scans_of_one_tick_enqueue_each_monitor_slot_once() {
    let dir = TempDir::new();
    let (db, queue) = stores(&dir).await;
    let slot = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap();
    let now = slot + chrono::Duration::seconds(1);
    let mut ids = add_monitors(&db, 150, slot).await;
    // Two scans of one tick (a tick retried after its move failed, a replica taking over) that
    // see different due sets: in between, a monitor due a second earlier appears and sorts first,
    // so the second scan's batches start at other monitors.
    let (a, b) = (MonitorScan::new(db.clone(), Metrics::new()), MonitorScan::new(db.clone(), Metrics::new()));

    let first = a.due(now).await.unwrap();
    ids.extend(add_monitors(&db, 1, slot - chrono::Duration::seconds(1)).await);
    let second = b.due(now).await.unwrap();
    for (scan, items) in [(&a, &first), (&b, &second)] {
        let jobs: Vec<(Check, Enqueue)> = items.iter().map(|d| (d.job.clone(), Enqueue::keyed(d.key()))).collect();
        queue.enqueue_many(&jobs).await.unwrap();
        scan.enqueued(items, now).await.unwrap();
    }

    let seen = checks_enqueued(&queue).await;
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).map(|(pair, _)| *pair).collect();
    assert!(twice.is_empty(), "{} (monitor, slot) pairs enqueued more than once: {twice:?}", twice.len());
    let mut enqueued: Vec<i64> = seen.keys().map(|(id, _)| *id).collect();
    enqueued.sort();
    assert_eq!(enqueued, ids, "every due monitor is enqueued");
    let m = monitor::Entity::find_by_id(ids[0]).one(&db).await.unwrap().unwrap();
    assert_eq!(m.next_run_at, slot + chrono::Duration::seconds(60), "moved on to its next slot");
}

#[tokio::test]
async fn a_failed_enqueue_leaves_the_slots_to_the_next_tick() {
    let dir = TempDir::new();
    let (db, queue) = stores(&dir).await;
    let slot = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap();
    let clock = ManualClock::new(slot + chrono::Duration::seconds(1));
    let ids = add_monitors(&db, 3, slot).await;
    let scheduler = Scheduler::new(db.clone(), queue.clone(), Arc::new(clock.clone()), SchedulerOptions::default())
        .scan(MonitorScan::new(db.clone(), Metrics::new()));
    // Sabotage: the queue refuses check jobs, as a full disk or a locked file would.
    crate::sabotage::refuse_enqueues(&queue, "", "check").await;

    let reports = scheduler.tick().await.unwrap().expect("leads");

    assert!(reports.is_empty(), "the scan failed: {reports:?}");
    for id in &ids {
        let m = monitor::Entity::find_by_id(*id).one(&db).await.unwrap().unwrap();
        assert_eq!(m.next_run_at, slot, "the claim was undone");
    }
    crate::sabotage::allow_enqueues(&queue, "", "check").await;
    clock.advance(chrono::Duration::seconds(1));
    let reports = scheduler.tick().await.unwrap().unwrap();
    assert_eq!((reports[0].added, reports[0].duplicates), (1, 0));
    let seen = checks_enqueued(&queue).await;
    assert_eq!(seen.len(), 3);
    assert!(ids.iter().all(|id| seen.get(&(*id, slot.timestamp())) == Some(&1)));
}

#[tokio::test]
async fn the_outbox_sweep_enqueues_rows_without_a_job_once() {
    crate::helpers::install_test_key();
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
        text: Set(shared::crypto::Encrypted::new("young".to_owned()).unwrap()),
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

    let jobs = queue.list(&JobFilter::queue("notify"), 1_000, 0).await.unwrap();
    let mut keys: Vec<String> = jobs.into_iter().filter_map(|j| j.idempotency_key).collect();
    keys.sort();
    let mut expected: Vec<String> =
        [with_job, without_job, young.id].into_iter().map(shared::outbox::notify_key).collect();
    expected.sort();
    assert_eq!(keys, expected);
}

#[tokio::test]
async fn the_claim_and_its_undo_run_on_postgres() {
    use migrations::MigratorTrait;
    let Some(pg) = crate::postgres::PgServer::start().await else { return };
    let db = shared::db::connect(&pg.url).await.unwrap();
    migrations::Migrator::up(&db, None).await.unwrap();
    let slot = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap();
    let now = slot + chrono::Duration::seconds(1);
    let ids = add_monitors(&db, 3, slot).await;
    let scan = MonitorScan::new(db.clone(), Metrics::new());

    let first = scan.due(now).await.unwrap();
    assert_eq!(first.len(), 1);
    let mut claimed = first[0].job.slots.clone();
    claimed.sort();
    assert_eq!(claimed, ids.iter().map(|id| (*id, slot.timestamp())).collect::<Vec<_>>());
    assert!(scan.due(now).await.unwrap().is_empty(), "claimed once");

    // Claim again, then undo as after a failed enqueue: the slots are due again.
    let again = MonitorScan::new(db.clone(), Metrics::new());
    let m = monitor::Entity::find_by_id(ids[0]).one(&db).await.unwrap().unwrap();
    assert_eq!(m.next_run_at, slot + chrono::Duration::seconds(60));
    let later = m.next_run_at + chrono::Duration::seconds(1);
    let items = again.due(later).await.unwrap();
    again.not_enqueued(&items, later).await.unwrap();
    assert_eq!(again.due(later).await.unwrap().iter().map(|d| d.job.slots.len()).sum::<usize>(), 3);
    db.close().await.unwrap();
}

/// The database and queue of this run's setup (Postgres + Redis, or SQLite files in `dir`).
async fn setup_stores(dir: &TempDir) -> (sea_orm::DatabaseConnection, Queue) {
    let vars = crate::setup::app_store_vars().await;
    if vars.is_empty() {
        return stores(dir).await;
    }
    let url = |name: &str| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap();
    let db = shared::db::connect(&url("TELEOPS_DATABASE_URL")).await.unwrap();
    Migrator::up(&db, None).await.unwrap();
    (db, Queue::connect(&url("TELEOPS_QUEUE_URL"), Metrics::new()).await.unwrap())
}

#[tokio::test]
async fn two_schedulers_over_180_slots_enqueue_each_slot_once() {
    let dir = TempDir::new();
    let (db, queue) = setup_stores(&dir).await;
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 5).unwrap());
    // A short lease: Redis times it by the wall clock, which the test does not move.
    let replica = |name: &str| {
        let options = SchedulerOptions { lease_ttl: Duration::from_secs(2), holder: name.into(), ..Default::default() };
        Scheduler::new(db.clone(), queue.clone(), Arc::new(clock.clone()), options).scan(EveryMinute)
    };
    let (a, b) = (replica("a"), replica("b"));

    for minute in 0..180 {
        if minute == 90 {
            // The leader falls silent past its lease (by the app's clock for a database lease, by
            // Redis' for a Redis one): the other takes over.
            clock.advance(chrono::Duration::seconds(11));
            eventually("b to lead after a's lease lapsed", || async { b.tick().await.unwrap() }).await;
        }
        // Both replicas tick at once, twice per slot, as their loops would.
        let (x, y) = tokio::join!(a.tick(), b.tick());
        let leaders = [x.unwrap(), y.unwrap()].iter().filter(|r| r.is_some()).count();
        assert_eq!(leaders, 1, "one leader at minute {minute}");
        let (x, y) = tokio::join!(b.tick(), a.tick());
        x.unwrap();
        y.unwrap();
        clock.advance(chrono::Duration::seconds(60));
    }

    let jobs = queue.list(&JobFilter::queue(<Heartbeat as shared::jobs::Job>::QUEUE), 10_000, 0).await.unwrap();
    let mut keys: Vec<String> = jobs.into_iter().filter_map(|j| j.idempotency_key).collect();
    let n = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!((n, keys.len()), (3 * 180, 3 * 180), "every (item, slot) once");
}

#[tokio::test]
async fn a_scheduler_whose_redis_lease_lapsed_unknown_to_it_is_fenced_off() {
    let Some(store) = crate::setup::TestQueue::start(crate::setup::QueueStore::Redis).await else { return };
    let dir = TempDir::new();
    let (db, _) = stores(&dir).await;
    // The app clock stands still: by its reckoning `a` holds the lease for good, but Redis times
    // the lease itself and lets it lapse.
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 5).unwrap());
    let short = |name: &str| {
        let options =
            SchedulerOptions { lease_ttl: Duration::from_millis(300), holder: name.into(), ..Default::default() };
        Scheduler::new(db.clone(), store.queue.clone(), Arc::new(clock.clone()), options).scan(EveryMinute)
    };
    let (a, b) = (short("a"), short("b"));
    assert_eq!(a.tick().await.unwrap().expect("a leads")[0].added, 3);

    let took_over = eventually("b to take the lapsed lease", || async { b.tick().await.unwrap() }).await;
    clock.advance(chrono::Duration::seconds(60));
    let stale = a.tick().await.unwrap();
    let next = b.tick().await.unwrap().expect("b still leads");

    assert_eq!((took_over[0].added, took_over[0].duplicates), (0, 3));
    assert!(stale.is_none(), "a's enqueues were refused: {stale:?}");
    assert_eq!(next[0].added, 3, "b enqueued the new slot");
    let jobs = store.queue.list(&JobFilter::queue("heartbeat"), 100, 0).await.unwrap();
    assert_eq!(jobs.len(), 6, "two slots of three, each once");
}
