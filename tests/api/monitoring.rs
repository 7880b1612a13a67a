//! Monitoring end to end: /watch through the fake Bot API, checks against a loopback HTTP server
//! that flips its status, alerts back through notify.

use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use shared::entities::{check_result, check_rollup, monitor};
use shared::monitoring::alerts::Health;
use shared::monitoring::target::CheckKind;
use shared::queue::{JobFilter, JobState};

use bot::monitoring::Press;
use bot::monitoring::add::Choice;
use bot::monitoring::buttons::{Action, Page};

use crate::fake_telegram::TgUser;
use crate::helpers::{ADMIN, TestApp, eventually, within};

const PAGE1: Page = Page { n: 1, everyone: false };

/// The callback data of a button under `/monitors`.
fn list_button(action: Action) -> String {
    Press::List(action).data()
}

/// The callback data of a button during `/add`.
fn add_button(choice: Choice) -> String {
    Press::Add(choice).data()
}

/// A loopback site whose status the test sets.
pub(crate) struct FlipServer {
    pub url: String,
    status: Arc<AtomicU16>,
}

impl FlipServer {
    pub async fn start() -> Self {
        let status = Arc::new(AtomicU16::new(200));
        let app = axum::Router::new().fallback(|State(s): State<Arc<AtomicU16>>| async move {
            (StatusCode::from_u16(s.load(Ordering::SeqCst)).unwrap(), "service ok")
        });
        let app = app.with_state(status.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/health", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { url, status }
    }

    pub fn set(&self, code: u16) {
        self.status.store(code, Ordering::SeqCst);
    }
}

pub(crate) async fn monitor_row(app: &TestApp, id: i64) -> monitor::Model {
    monitor::Entity::find_by_id(id).one(&app.db).await.unwrap().expect("monitor exists")
}

/// Makes monitor `id` due now and waits until that check has been recorded. Slots are whole
/// seconds and a slot runs once, so each forced check waits for a second it has not used.
pub(crate) async fn force_check(app: &TestApp, id: i64) -> monitor::Model {
    let before = monitor_row(app, id).await;
    let last_slot = before.last_checked_at.map(|t| t.timestamp()).unwrap_or(0);
    let slot = eventually("a fresh second", || async {
        let now = chrono::Utc::now().timestamp();
        (now > last_slot).then_some(now)
    })
    .await;
    let before = before.last_checked_at;
    let at = chrono::DateTime::from_timestamp(slot, 0).unwrap();
    monitor::Entity::update_many()
        .col_expr(monitor::Column::NextRunAt, sea_orm::sea_query::Expr::value(at))
        .filter(monitor::Column::Id.eq(id))
        .exec(&app.db)
        .await
        .unwrap();
    eventually(&format!("check of monitor {id}"), || async {
        let row = monitor_row(app, id).await;
        (row.last_checked_at != before).then_some(row)
    })
    .await
}

pub(crate) fn added_id(text: &str) -> i64 {
    let rest = text.split('#').nth(1).expect("an id in the reply");
    rest.split(|c: char| !c.is_ascii_digit()).next().unwrap().parse().unwrap()
}

#[tokio::test]
async fn watch_then_down_then_up_sends_one_alert_per_change() {
    let app = TestApp::spawn(&[("TELEOPS_OPEN_REGISTRATION", "true")]).await;
    let site = FlipServer::start().await;
    let ann = TgUser::new(4001, "Ann");
    app.telegram.send_text(&ann, "/start");
    app.telegram.wait_for_text(ann.id, "Welcome").await;

    app.telegram.send_text(&ann, &format!("/watch {} 10s", site.url));
    let added = app.telegram.wait_for_text(ann.id, "added").await;
    let id = added_id(added.text());

    // Up first: a new monitor's first success is silent.
    let row = force_check(&app, id).await;
    assert_eq!(row.health, Health::Up);
    assert!(row.last_latency_ms.is_some());

    site.set(500);
    let row = force_check(&app, id).await;
    assert_eq!((row.health, row.fail_streak), (Health::Up, 1), "one failure is not DOWN yet");
    force_check(&app, id).await;
    let down = app.telegram.wait_for_text(ann.id, "DOWN").await;
    assert!(down.text().contains(&site.url) && down.text().contains("HTTP 500"), "{}", down.text());

    site.set(200);
    force_check(&app, id).await;
    let up = app.telegram.wait_for_text(ann.id, "UP").await;
    assert!(up.text().contains("was down for"), "{}", up.text());

    // Exactly one alert per change.
    force_check(&app, id).await;
    app.telegram.send_text(&ann, &format!("/status {id}"));
    let status = app.telegram.wait_for_text(ann.id, "Uptime").await;
    assert!(status.text().contains("❌ HTTP 500") && status.text().contains("✅"), "{}", status.text());
    let chart = app.telegram.wait_for("the chart", |c| c.method == "sendphoto" && c.chat_id() == Some(ann.id)).await;
    assert!(chart.body["png_bytes"].as_u64().unwrap() > 1000, "{}", chart.body);
    assert!(chart.body["caption"].as_str().unwrap().contains("2 failed (red)"), "{}", chart.body);
    let alerts: Vec<String> = app
        .telegram
        .messages_to(ann.id)
        .iter()
        .map(|c| c.text().to_owned())
        .filter(|t| t.contains("DOWN #") || t.contains("UP #"))
        .collect();
    assert_eq!(alerts.len(), 2, "{alerts:?}");
    app.stop().await;
}

#[tokio::test]
async fn users_see_and_change_only_their_own_monitors() {
    let app = TestApp::spawn(&[("TELEOPS_OPEN_REGISTRATION", "true")]).await;
    let (ann, bob) = (TgUser::new(4002, "Ann"), TgUser::new(4003, "Bob"));
    for u in [&ann, &bob] {
        app.telegram.send_text(u, "/start");
        app.telegram.wait_for_text(u.id, "Welcome").await;
    }
    app.telegram.send_text(&ann, "/watch tcp://127.0.0.1:9 1m");
    let id = added_id(app.telegram.wait_for_text(ann.id, "added").await.text());

    for cmd in [format!("/status {id}"), format!("/unwatch {id}"), format!("/mute {id} 1h")] {
        app.telegram.send_text(&bob, &cmd);
    }
    app.telegram
        .wait_for_n("three not-found replies to Bob", 3, |c| {
            c.chat_id() == Some(bob.id) && c.text().contains(&format!("Monitor #{id} not found"))
        })
        .await;
    app.telegram.send_text(&bob, "/monitors");
    app.telegram.wait_for_text(bob.id, "no monitors yet").await;
    assert!(monitor::Entity::find_by_id(id).one(&app.db).await.unwrap().is_some_and(|m| m.muted_until.is_none()));

    // Admins may list everyone's.
    app.telegram.send_text(&TgUser::new(ADMIN, "Boss"), "/monitors all");
    app.telegram.wait_for_text(ADMIN, "tcp://127.0.0.1:9").await;
    app.telegram.send_text(&ann, &format!("/unwatch {id}"));
    app.telegram.wait_for_text(ann.id, &format!("Monitor #{id} removed")).await;
    assert!(monitor::Entity::find_by_id(id).one(&app.db).await.unwrap().is_none());
    app.stop().await;
}

#[tokio::test]
async fn every_bad_input_gets_a_reply_saying_what_is_wrong() {
    let app = TestApp::spawn(&[("TELEOPS_OPEN_REGISTRATION", "true"), ("TELEOPS_MONITOR_QUOTA", "1")]).await;
    let ann = TgUser::new(4004, "Ann");
    app.telegram.send_text(&ann, "/start");
    app.telegram.wait_for_text(ann.id, "Welcome").await;

    let cases = [
        ("/watch", "Usage: /watch <target> [interval]"),
        ("/watch ftp://files.example.com", "ftp:// targets are not supported"),
        ("/watch http://", "is not a valid URL"),
        ("/watch tcp://db.example.com", "needs a port"),
        ("/watch not_a_host!", "is not a host name"),
        ("/watch example.com 5s", "must be at least 10s"),
        ("/watch example.com 0s", "must be at least 10s"),
        ("/watch example.com soon", "is not a duration"),
        ("/watch example.com 2d", "must be at most 1d"),
        ("/unwatch", "Give the monitor's number"),
        ("/status abc", "Give the monitor's number"),
        ("/unwatch 999", "Monitor #999 not found"),
        ("/mute 1", "Usage: /mute"),
        ("/mute 1 forever", "Usage: /mute"),
        ("/notify_here 1", "in the group chat"),
    ];
    for (input, expected) in cases {
        app.telegram.send_text(&ann, input);
        app.telegram.wait_for_text(ann.id, expected).await;
    }
    app.telegram.send_text(&ann, "/watch example.com");
    app.telegram.wait_for_text(ann.id, "added").await;
    app.telegram.send_text(&ann, "/watch example.org");
    app.telegram.wait_for_text(ann.id, "the most allowed").await;
    let n = monitor::Entity::find().filter(monitor::Column::OwnerId.eq(ann.id)).all(&app.db).await.unwrap().len();
    assert_eq!(n, 1);
    app.stop().await;
}

#[tokio::test]
async fn finished_hours_become_rollups_and_old_raw_results_are_deleted() {
    use sea_orm::{ActiveModelTrait, Set};
    use shared::monitoring::rollup::hour_of;
    let app = TestApp::spawn(&[]).await;
    let now = chrono::Utc::now();
    let three_hours_ago = hour_of(now) - chrono::Duration::hours(3);
    // Monitor 7: 10 checks three hours ago (latency 10..=100 ms, one failure); monitor 8: 2 checks
    // two hours ago; and one raw result in the current hour.
    let mut raw = Vec::new();
    for i in 1..=10 {
        raw.push((7, three_hours_ago + chrono::Duration::minutes(i), i != 5, Some(i as i32 * 10)));
    }
    raw.push((8, three_hours_ago + chrono::Duration::minutes(70), true, Some(5)));
    raw.push((8, three_hours_ago + chrono::Duration::minutes(75), false, None));
    raw.push((8, now, true, Some(1)));
    for (monitor_id, at, ok, latency_ms) in raw {
        check_result::ActiveModel {
            monitor_id: Set(monitor_id),
            at: Set(at.timestamp()),
            ok: Set(ok),
            latency_ms: Set(latency_ms),
            reason: Set(None),
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
    let deps = std::sync::Arc::new(worker::Deps {
        db: app.db.clone(),
        queue: app.queue.clone(),
        metrics: shared::metrics::Metrics::new(),
        clock: std::sync::Arc::new(shared::clock::SystemClock),
        limiter: Default::default(),
        bot: None,
        admins: Vec::new(),
    });

    // Keep raw results for one hour: the two finished hours are rolled up, then their raw rows go.
    worker::monitoring::results::maintain(
        shared::monitoring::jobs::MaintainResults { keep_raw_secs: 3600 },
        deps.clone(),
    )
    .await
    .unwrap();

    let rollups = check_rollup::Entity::find().all(&app.db).await.unwrap();
    let seven = rollups.iter().find(|r| r.monitor_id == 7).expect("monitor 7 rolled up");
    assert_eq!(seven.hour, three_hours_ago);
    assert_eq!((seven.count, seven.failures), (10, 1));
    assert_eq!((seven.p50_ms, seven.p95_ms, seven.max_ms), (Some(60), Some(100), Some(100)));
    let eight = rollups.iter().find(|r| r.monitor_id == 8).expect("monitor 8 rolled up");
    assert_eq!((eight.hour, eight.count, eight.failures), (three_hours_ago + chrono::Duration::hours(1), 2, 1));
    let left = check_result::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(left.len(), 1, "only the current hour's raw result stays: {left:?}");

    // A second run changes nothing.
    worker::monitoring::results::maintain(shared::monitoring::jobs::MaintainResults { keep_raw_secs: 3600 }, deps)
        .await
        .unwrap();
    assert_eq!(check_rollup::Entity::find().all(&app.db).await.unwrap().len(), 2);
    app.stop().await;
}

#[tokio::test]
async fn monitors_going_down_together_make_one_message() {
    let app = TestApp::spawn(&[("TELEOPS_OPEN_REGISTRATION", "true")]).await;
    let ann = TgUser::new(4006, "Ann");
    app.telegram.send_text(&ann, "/start");
    app.telegram.wait_for_text(ann.id, "Welcome").await;
    // Three TCP monitors on ports nobody listens on: all refused.
    let mut ids = Vec::new();
    for n in 1..=3 {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        app.telegram.send_text(&ann, &format!("/watch tcp://127.0.0.1:{port} 10s"));
        let replies = app
            .telegram
            .wait_for_n("the add replies", n, |c| c.chat_id() == Some(ann.id) && c.text().contains("added"))
            .await;
        ids.push(added_id(replies[n - 1].text()));
    }
    // A new monitor's first check comes within 10 s on its own; on a slow machine one can land
    // before round 1 and put that monitor a failure ahead, so the rounds never see all three at
    // one streak. Hold them an hour out, let any check already queued finish, then count from 0.
    monitor::Entity::update_many()
        .col_expr(
            monitor::Column::NextRunAt,
            sea_orm::sea_query::Expr::value(chrono::Utc::now() + chrono::Duration::hours(1)),
        )
        .filter(monitor::Column::Id.is_in(ids.clone()))
        .exec(&app.db)
        .await
        .unwrap();
    eventually("no check queued or running", || async {
        let busy = [JobState::Waiting, JobState::Running, JobState::Retrying];
        for state in busy {
            if !app.queue.list(&JobFilter::queue("check").state(state), 1, 0).await.unwrap().is_empty() {
                return None;
            }
        }
        Some(())
    })
    .await;
    monitor::Entity::update_many()
        .col_expr(monitor::Column::FailStreak, sea_orm::sea_query::Expr::value(0))
        .filter(monitor::Column::Id.is_in(ids.clone()))
        .exec(&app.db)
        .await
        .unwrap();

    // Two rounds of checks, each round in one scheduler tick: DOWN for all three at once.
    for round in 1..=2 {
        let slot = eventually("a fresh second", || async {
            let now = chrono::Utc::now().timestamp();
            let last = futures::future::join_all(ids.iter().map(|id| monitor_row(&app, *id))).await;
            last.iter().all(|m| m.last_checked_at.is_none_or(|t| t.timestamp() < now)).then_some(now)
        })
        .await;
        monitor::Entity::update_many()
            .col_expr(
                monitor::Column::NextRunAt,
                sea_orm::sea_query::Expr::value(chrono::DateTime::from_timestamp(slot, 0).unwrap()),
            )
            .filter(monitor::Column::Id.is_in(ids.clone()))
            .exec(&app.db)
            .await
            .unwrap();
        // A slot the monitors already recorded is not recorded again, so a round can fall to their
        // next 10 s slot; under the whole suite on two cores that has taken past 30 s once.
        let checked = || async {
            let rows = futures::future::join_all(ids.iter().map(|id| monitor_row(&app, *id))).await;
            rows.iter().all(|m| m.fail_streak == round).then_some(())
        };
        within(Duration::from_secs(90), &format!("round {round} of checks"), checked, String::new).await;
    }

    let grouped = app.telegram.wait_for_text(ann.id, "3 monitors changed state").await;
    for id in &ids {
        assert!(grouped.text().contains(&format!("DOWN #{id}")), "{}", grouped.text());
    }
    let downs = app.telegram.messages_to(ann.id).iter().filter(|c| c.text().contains("DOWN #")).count();
    assert_eq!(downs, 1, "one message, not three");
    app.stop().await;
}

/// Gives monitor `id` a raw result and an hourly rollup; returns how many of each it has.
async fn add_history(app: &TestApp, id: i64) -> (u64, u64) {
    use sea_orm::{ActiveModelTrait, Set};
    let hour = shared::monitoring::rollup::hour_of(chrono::Utc::now()) - chrono::Duration::hours(5);
    check_result::ActiveModel {
        monitor_id: Set(id),
        at: Set(hour.timestamp() + 7),
        ok: Set(true),
        latency_ms: Set(Some(5)),
        reason: Set(None),
    }
    .insert(&app.db)
    .await
    .unwrap();
    check_rollup::ActiveModel {
        monitor_id: Set(id),
        hour: Set(hour),
        count: Set(60),
        failures: Set(1),
        p50_ms: Set(Some(5)),
        p95_ms: Set(Some(9)),
        max_ms: Set(Some(12)),
    }
    .insert(&app.db)
    .await
    .unwrap();
    history(app, id).await
}

async fn history(app: &TestApp, id: i64) -> (u64, u64) {
    use sea_orm::PaginatorTrait;
    let results =
        check_result::Entity::find().filter(check_result::Column::MonitorId.eq(id)).count(&app.db).await.unwrap();
    let rollups =
        check_rollup::Entity::find().filter(check_rollup::Column::MonitorId.eq(id)).count(&app.db).await.unwrap();
    (results, rollups)
}

#[tokio::test]
async fn unwatch_removes_the_monitors_history_and_only_its_own() {
    let app = TestApp::spawn(&[("TELEOPS_OPEN_REGISTRATION", "true")]).await;
    let ann = TgUser::new(4010, "Ann");
    app.telegram.send_text(&ann, "/start");
    app.telegram.wait_for_text(ann.id, "Welcome").await;
    app.telegram.send_text(&ann, "/watch tcp://127.0.0.1:9 1h");
    let gone = added_id(app.telegram.wait_for_text(ann.id, "added").await.text());
    app.telegram.send_text(&ann, "/watch tcp://127.0.0.1:10 1h");
    let kept = added_id(app.telegram.wait_for_text(ann.id, "tcp://127.0.0.1:10").await.text());
    assert!(add_history(&app, gone).await >= (1, 1));
    let kept_history = add_history(&app, kept).await;

    app.telegram.send_text(&ann, &format!("/unwatch {gone}"));
    app.telegram.wait_for_text(ann.id, &format!("Monitor #{gone} removed")).await;

    assert!(monitor::Entity::find_by_id(gone).one(&app.db).await.unwrap().is_none());
    assert_eq!(history(&app, gone).await, (0, 0), "its results and rollups went with it");
    // The kept monitor's own first check may have added a result meanwhile: none may be gone.
    let (results, rollups) = history(&app, kept).await;
    assert!(results >= kept_history.0 && rollups == kept_history.1, "another monitor's history stays");
    app.stop().await;
}

#[tokio::test]
async fn list_buttons_pause_resume_change_interval_and_delete_after_confirmation() {
    let app = TestApp::spawn(&[("TELEOPS_OPEN_REGISTRATION", "true")]).await;
    let (ann, bob) = (TgUser::new(4007, "Ann"), TgUser::new(4008, "Bob"));
    for u in [&ann, &bob] {
        app.telegram.send_text(u, "/start");
        app.telegram.wait_for_text(u.id, "Welcome").await;
    }
    app.telegram.send_text(&ann, "/watch tcp://127.0.0.1:9 1m");
    let id = added_id(app.telegram.wait_for_text(ann.id, "added").await.text());

    app.telegram.send_text(&ann, "/monitors");
    let list = app.telegram.wait_for_text(ann.id, "Monitors (1)").await;
    let row = &list.body["reply_markup"]["inline_keyboard"][0];
    assert_eq!(row[0]["callback_data"], list_button(Action::Open(id, PAGE1)).as_str());

    let answered = |needle: String| {
        move |c: &crate::fake_telegram::Call| {
            c.method == "answercallbackquery" && c.body["text"].as_str().is_some_and(|t| t.contains(&needle))
        }
    };
    // Someone else's press is refused and changes nothing.
    app.telegram.press_button(&bob, &list_button(Action::Pause(id, PAGE1)));
    app.telegram.wait_for("Bob's refusal", answered(format!("Monitor #{id} not found"))).await;
    assert!(!monitor_row(&app, id).await.paused);

    app.telegram.press_button(&ann, &list_button(Action::Pause(id, PAGE1)));
    app.telegram.wait_for("paused", answered(format!("Monitor #{id} paused"))).await;
    app.telegram.wait_for("the list redrawn", |c| c.method == "editmessagetext" && c.text().contains("⏸ PAUSED")).await;
    assert!(monitor_row(&app, id).await.paused);

    app.telegram.press_button(&ann, &list_button(Action::Resume(id, PAGE1)));
    app.telegram.wait_for("resumed", answered(format!("Monitor #{id} resumed"))).await;
    assert!(!monitor_row(&app, id).await.paused);

    app.telegram.press_button(&ann, &list_button(Action::Every(id, 300, PAGE1)));
    app.telegram.wait_for("interval changed", answered(format!("#{id}: 5m"))).await;
    assert_eq!(monitor_row(&app, id).await.interval_secs, 300);

    app.telegram.press_button(&ann, &list_button(Action::Delete(id, PAGE1)));
    app.telegram
        .wait_for("the confirmation", |c| c.method == "editmessagetext" && c.text().contains("Remove monitor"))
        .await;
    assert!(monitor::Entity::find_by_id(id).one(&app.db).await.unwrap().is_some(), "not before confirming");
    assert!(add_history(&app, id).await >= (1, 1));
    app.telegram.press_button(&ann, &list_button(Action::DeleteConfirmed(id, PAGE1)));
    app.telegram.wait_for("removed", answered(format!("Monitor #{id} removed"))).await;
    assert!(monitor::Entity::find_by_id(id).one(&app.db).await.unwrap().is_none());
    assert_eq!(history(&app, id).await, (0, 0), "its history goes too, as the confirmation said");
    app.stop().await;
}

#[tokio::test]
async fn add_builds_a_monitor_step_by_step_and_survives_a_restart() {
    let mut app = TestApp::spawn(&[("TELEOPS_OPEN_REGISTRATION", "true")]).await;
    let ann = TgUser::new(4009, "Ann");
    app.telegram.send_text(&ann, "/start");
    app.telegram.wait_for_text(ann.id, "Welcome").await;

    app.telegram.send_text(&ann, "/add");
    let ask = app.telegram.wait_for_text(ann.id, "What should I watch?").await;
    assert_eq!(
        ask.body["reply_markup"]["inline_keyboard"][0][1]["callback_data"],
        add_button(Choice::Kind(CheckKind::Tcp)).as_str()
    );
    app.telegram.press_button(&ann, &add_button(Choice::Kind(CheckKind::Tcp)));
    app.telegram.wait_for_text(ann.id, "Send host and port").await;
    app.telegram.send_text(&ann, "localhost");
    app.telegram.wait_for_text(ann.id, "needs a port").await;
    app.telegram.send_text(&ann, "127.0.0.1:9");
    app.telegram.wait_for_text(ann.id, "How often should I check?").await;

    app.restart().await;

    app.telegram.send_text(&ann, "5s");
    app.telegram.wait_for_text(ann.id, "must be at least 10s").await;
    app.telegram.press_button(&ann, &add_button(Choice::Every(300)));
    app.telegram.wait_for_text(ann.id, "how many failed checks").await;
    app.telegram.press_button(&ann, &add_button(Choice::After(3)));
    let added = app.telegram.wait_for_text(ann.id, "added: tcp://127.0.0.1:9, checked every 5m").await;
    let row = monitor_row(&app, added_id(added.text())).await;
    assert_eq!((row.kind, row.interval_secs, row.down_after), (CheckKind::Tcp, 300, 3));
    // The dialogue is over: a stale button does nothing, plain text gets the usual hint.
    app.telegram.press_button(&ann, &add_button(Choice::After(1)));
    app.telegram.send_text(&ann, "hello");
    app.telegram.wait_for_text(ann.id, "I understand commands").await;
    let n = monitor::Entity::find().filter(monitor::Column::OwnerId.eq(ann.id)).all(&app.db).await.unwrap().len();
    assert_eq!(n, 1);
    app.stop().await;
}

// See: issue 8 — in a group, someone else's text answered Ann's /add step.
#[tokio::test]
async fn a_group_dialogue_belongs_to_the_user_who_started_it() {
    let app = TestApp::spawn(&[("TELEOPS_OPEN_REGISTRATION", "true")]).await;
    let (ann, bob) = (TgUser::new(4400, "Ann"), TgUser::new(4401, "Bob"));
    let group = -100_4400;
    app.telegram.send_text(&ann, "/start");
    app.telegram.wait_for_text(ann.id, "Welcome").await;

    // Ann starts /add in the group and picks a port check.
    app.telegram.send_group_text(&ann, group, "/add");
    app.telegram.wait_for_text(group, "What should I watch?").await;
    app.telegram.press_button_in(&ann, group, &add_button(Choice::Kind(CheckKind::Tcp)));
    app.telegram.wait_for_text(group, "Send host and port").await;

    // Bob, not even registered, types a target: it is group chatter, not Ann's answer.
    app.telegram.send_group_text(&bob, group, "127.0.0.1:9");
    // Ann's own answer is the one taken.
    app.telegram.send_group_text(&ann, group, "127.0.0.1:10");
    app.telegram.wait_for_text(group, "How often should I check?").await;
    app.telegram.press_button_in(&ann, group, &add_button(Choice::Every(300)));
    app.telegram.wait_for_text(group, "how many failed checks").await;
    app.telegram.press_button_in(&ann, group, &add_button(Choice::After(1)));
    app.telegram.wait_for_text(group, "added: tcp://127.0.0.1:10").await;
    let asked = app.telegram.messages_to(group).iter().filter(|c| c.text().contains("How often")).count();
    assert_eq!(asked, 1, "Bob's text moved nobody's dialogue on");
    app.stop().await;
}

#[tokio::test]
async fn a_row_that_does_not_decode_is_listed_as_such_and_the_others_still_show() {
    use sea_orm::ConnectionTrait;
    // Arrange: an admin with two monitors and two probe rules, one of each spoiled by raw SQL.
    let app = TestApp::spawn(&[]).await;
    let admin = TgUser::new(ADMIN, "Boss");
    app.telegram.send_text(&admin, "/start");
    app.telegram.wait_for_text(ADMIN, "Welcome").await;
    let mut ids = Vec::new();
    for port in [9, 10] {
        app.telegram.send_text(&admin, &format!("/watch tcp://127.0.0.1:{port} 1h"));
        ids.push(added_id(app.telegram.wait_for_text(ADMIN, &format!(":{port}, checked every")).await.text()));
    }
    app.telegram.send_text(&admin, "/probes deny 192.0.2.0/24");
    // Rules 1 and 2 are the loopback rules every TestApp starts with.
    app.telegram.wait_for_text(ADMIN, "Rule #3 added").await;
    app.telegram.send_text(&admin, "/probes allow 10.0.0.0/8");
    app.telegram.wait_for_text(ADMIN, "Rule #4 added").await;
    let (bad, good) = (ids[0], ids[1]);
    app.db.execute_unprepared(&format!("UPDATE monitors SET kind = 'pigeon' WHERE id = {bad}")).await.unwrap();
    app.db.execute_unprepared("UPDATE probe_rules SET action = 'maybe' WHERE id = 3").await.unwrap();

    // Act
    app.telegram.send_text(&admin, "/monitors");
    let list = app.telegram.wait_for_text(ADMIN, "Monitors (2)").await;
    app.telegram.send_text(&admin, "/probes");
    let rules = app.telegram.wait_for_text(ADMIN, "Probe rules").await;

    // Assert
    assert!(list.text().contains(&format!("#{bad} ⚠️ cannot be read from the database")), "{}", list.text());
    assert!(list.text().contains(&format!("#{good} ⏳ PENDING tcp://127.0.0.1:10")), "{}", list.text());
    let buttons = list.body["reply_markup"]["inline_keyboard"].as_array().unwrap();
    assert_eq!(buttons.len(), 1, "buttons for the readable monitor only");
    assert_eq!(buttons[0][0]["callback_data"], list_button(Action::Open(good, PAGE1)).as_str());
    assert!(
        rules.text().contains("#3 ⚠️ cannot be read") && rules.text().contains("#4 allow 10.0.0.0/8"),
        "{}",
        rules.text()
    );
    app.stop().await;
}
