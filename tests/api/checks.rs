//! Check batches: a slot is recorded once however often its batch runs, and a slot more than one
//! interval late is skipped and counted, never run, by the scheduler and by the worker alike.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use shared::entities::{check_result, monitor};
use shared::monitoring::alerts::Thresholds;
use shared::monitoring::jobs::Check;
use shared::monitoring::model::new_row;
use shared::monitoring::schedule::Interval;
use shared::monitoring::target::Target;
use shared::queue::Enqueue;

use crate::helpers::{TestApp, eventually};

/// A TCP monitor on a closed port (every check is a quick "refused"), first due at `next_run_at`.
async fn add_monitor(app: &TestApp, next_run_at: DateTime<Utc>) -> i64 {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let target = Target::parse(&format!("tcp://127.0.0.1:{port}")).unwrap();
    let row = new_row(1, 1, &target, Interval::DEFAULT, &Thresholds::default(), next_run_at, Utc::now())
        .expect("no password in this target");
    monitor::Entity::insert(row).exec(&app.db).await.unwrap().last_insert_id
}

async fn results_of(app: &TestApp, id: i64) -> u64 {
    check_result::Entity::find().filter(check_result::Column::MonitorId.eq(id)).count(&app.db).await.unwrap()
}

async fn row(app: &TestApp, id: i64) -> monitor::Model {
    monitor::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap()
}

async fn run_batch(app: &TestApp, key: &str, slots: Vec<(i64, i64)>) {
    app.queue.enqueue(&Check { slots }, Enqueue::keyed(key)).await.unwrap();
}

async fn wait_checks_done(app: &TestApp, n: i64) {
    eventually(&format!("{n} check jobs done"), || async {
        let counts = app.queue.counts(&["check"]).await.unwrap();
        counts.iter().any(|c| c.queue == "check" && c.done >= n).then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_batch_run_twice_records_its_slots_once() {
    let app = TestApp::spawn(&[]).await;
    let later = Utc::now() + Duration::hours(1); // the scheduler leaves them alone
    let (a, b) = (add_monitor(&app, later).await, add_monitor(&app, later).await);
    let slot = Utc::now().timestamp();

    run_batch(&app, "first", vec![(a, slot), (b, slot)]).await;
    eventually("both recorded", || async {
        (row(&app, a).await.last_slot == Some(slot) && row(&app, b).await.last_slot == Some(slot)).then_some(())
    })
    .await;
    run_batch(&app, "again", vec![(a, slot), (b, slot)]).await;
    // An older slot arriving late is not recorded over a newer one either.
    run_batch(&app, "older", vec![(a, slot - 1)]).await;
    wait_checks_done(&app, 3).await;

    assert_eq!((results_of(&app, a).await, results_of(&app, b).await), (1, 1));
    let m = row(&app, a).await;
    assert_eq!((m.fail_streak, m.last_slot), (1, Some(slot)), "one failure counted, not two");
    assert!(m.last_reason.is_some_and(|r| r.contains("refused")));
    app.stop().await;
}

#[tokio::test]
async fn late_slots_are_skipped_and_counted_not_run() {
    let app = TestApp::spawn(&[]).await;
    // The worker's side: a batch that waited in the queue for more than an interval.
    let later = Utc::now() + Duration::hours(1);
    let waited = add_monitor(&app, later).await;
    run_batch(&app, "late", vec![(waited, Utc::now().timestamp() - 150)]).await;
    eventually("the late slot counted", || async { (row(&app, waited).await.skipped_slots == 1).then_some(()) }).await;
    assert_eq!(results_of(&app, waited).await, 0);

    // The scheduler's side: after downtime, five minutes of 60 s slots behind.
    let behind = add_monitor(&app, DateTime::from_timestamp(Utc::now().timestamp() - 300, 0).unwrap()).await;
    let m = eventually("the scheduler moves it on", || async {
        let m = row(&app, behind).await;
        (m.skipped_slots > 0).then_some(m)
    })
    .await;
    assert!((4..=5).contains(&m.skipped_slots), "skipped {}", m.skipped_slots);
    assert!(m.next_run_at > Utc::now() - Duration::seconds(60), "next run {} is current", m.next_run_at);
    let before_next = check_result::Entity::find()
        .filter(check_result::Column::MonitorId.eq(behind))
        .filter(check_result::Column::At.lt(m.next_run_at.timestamp()))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(before_next, 0, "no stale slot was run");
    app.stop().await;
}

#[tokio::test]
async fn a_row_that_does_not_decode_is_skipped_and_the_rest_of_the_batch_is_checked() {
    use sea_orm::{ActiveModelTrait, ConnectionTrait, QuerySelect, Set};
    use shared::entities::probe_rule;
    use shared::monitoring::alerts::CheckStatus;
    use shared::monitoring::policy::{ProbeAction, parse_network};

    // Arrange: two monitors and two probe rules, one of each with a text outside its enum.
    let app = TestApp::spawn(&[]).await;
    let later = Utc::now() + Duration::hours(1);
    let (good, bad) = (add_monitor(&app, later).await, add_monitor(&app, later).await);
    let mut rule_ids = Vec::new();
    for (action, network) in [(ProbeAction::Deny, "127.0.0.0/8"), (ProbeAction::Deny, "10.0.0.0/8")] {
        let rule = probe_rule::ActiveModel {
            action: Set(action),
            network: Set(parse_network(network).unwrap().to_string()),
            created_by: Set(1),
            created_at: Set(Utc::now()),
            ..Default::default()
        };
        rule_ids.push(rule.insert(&app.db).await.unwrap().id);
    }
    app.db.execute_unprepared(&format!("UPDATE monitors SET health = 'sideways' WHERE id = {bad}")).await.unwrap();
    app.db
        .execute_unprepared(&format!("UPDATE probe_rules SET action = 'maybe' WHERE id = {}", rule_ids[1]))
        .await
        .unwrap();
    // sea-orm itself fails the whole read (an error, not a panic).
    let err = monitor::Entity::find().all(&app.db).await.unwrap_err();
    assert!(err.to_string().contains("sideways"), "{err}");

    // Act
    let slot = Utc::now().timestamp();
    run_batch(&app, "with-a-bad-row", vec![(bad, slot), (good, slot)]).await;
    wait_checks_done(&app, 1).await;

    // Assert: the good monitor was checked, under the readable rule (deny 127.0.0.0/8, which
    // wins over the test's allow rule): blocked; the bad one was left alone.
    let m = row(&app, good).await;
    assert_eq!((m.last_slot, m.last_status), (Some(slot), Some(CheckStatus::Blocked)));
    assert!(m.last_reason.as_deref().is_some_and(|r| r.starts_with("not_permitted:")), "{:?}", m.last_reason);
    let bad_slot: Option<i64> = monitor::Entity::find_by_id(bad)
        .select_only()
        .column(monitor::Column::LastSlot)
        .into_tuple()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(bad_slot, None);
    assert_eq!(results_of(&app, bad).await, 0);
    app.stop().await;
}
