//! Equipment reminders end to end, with the app's clock moved by the test: a holder's one digest a
//! day at the reminder hour of their zone, re-checked at send time, and the admins' daily digest
//! of loans overdue by `TELEOPS_OVERDUE_ESCALATE_DAYS`.
//!
//! "Nothing was sent at 09:59" needs to know that a scan ran at 09:59: [`scanned_at`] waits until
//! the scheduler reports a tick at that instant (`scheduler_last_tick_seconds`, set once the
//! tick's scans are over), whichever store holds its lease.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use scheduler::DueScan;
use scheduler::equipment::reminders::ReminderScan;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use shared::clock::{Clock, ManualClock};
use shared::entities::{device, reminder_log, user};
use shared::equipment::calendar::ReminderSettings;
use shared::equipment::device::DeviceFields;
use shared::equipment::jobs::{Escalate, Remind};
use shared::equipment::loans::{self, Rules, Take};
use shared::equipment::press::{DevicePress, Press};
use shared::jobs::Job;
use shared::queue::Enqueue;
use shared::tz::Tz;

use crate::fake_telegram::Call;
use crate::helpers::{ADMIN, TestApp, eventually, test_options};

const HOLDER: i64 = 2001;
const BERLIN: Tz = Tz::Europe__Berlin;
const RULES: Rules = Rules { hold: std::time::Duration::from_secs(24 * 3600), default_zone: Tz::UTC };

fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, d).unwrap()
}

/// `h:m` on 2026-12-`d` in Berlin (CET, UTC+1), as a UTC instant.
fn berlin(d: u32, h: u32, m: u32) -> DateTime<Utc> {
    BERLIN.with_ymd_and_hms(2026, 12, d, h, m, 0).unwrap().with_timezone(&Utc)
}

async fn app_at(start: DateTime<Utc>) -> (TestApp, ManualClock) {
    let clock = ManualClock::new(start);
    let mut options = test_options();
    options.clock = Arc::new(clock.clone());
    (TestApp::spawn_with(&[], options).await, clock)
}

async fn a_user(app: &TestApp, id: i64, name: &str, zone: Option<&str>) {
    user::ActiveModel {
        id: Set(id),
        first_name: Set(name.into()),
        last_name: Set(None),
        username: Set(None),
        language: Set("en".into()),
        phone: Set(None),
        status: Set(user::AccessStatus::Approved),
        created_at: Set(Utc::now()),
        decided_by: Set(None),
        decided_at: Set(None),
        time_zone: Set(zone.map(str::to_owned)),
    }
    .insert(&app.db)
    .await
    .unwrap();
}

/// A device taken by `holder` at `at`, due on `due`.
async fn lent(app: &TestApp, name: &str, holder: i64, due: NaiveDate, at: DateTime<Utc>) -> i64 {
    let fields = DeviceFields { name: name.into(), inventory_no: format!("INV-{name}"), ..Default::default() };
    let id = device::new_row(&fields, at).insert(&app.db).await.unwrap().id;
    let take = Take { device_id: id, holder_id: holder, due_on: Some(due), assigned_by: None };
    loans::take(&app.db, take, at).await.unwrap();
    id
}

/// Sets the clock to `at` and waits until a scheduler tick at `at`, scans included, is over.
async fn scanned_at(app: &TestApp, clock: &ManualClock, at: DateTime<Utc>) {
    clock.set(at);
    let line = format!("teleops_scheduler_last_tick_seconds {}", at.timestamp());
    eventually(&format!("a scheduler tick at {at}"), || async {
        let metrics = app.http.get(format!("{}/metrics", app.dashboard)).send().await.ok()?.text().await.ok()?;
        metrics.lines().any(|l| l == line).then_some(())
    })
    .await;
}

/// Jobs of kind `J` the queue holds in any state.
async fn jobs_of<J: Job>(app: &TestApp) -> i64 {
    let counts = app.queue.counts(&[J::QUEUE]).await.unwrap();
    counts.iter().filter(|c| c.queue == J::QUEUE).map(|c| c.pending + c.running + c.done + c.dead).sum()
}

fn digests(app: &TestApp, chat: i64, header: &str) -> Vec<Call> {
    app.telegram.messages_to(chat).into_iter().filter(|c| c.text().starts_with(header)).collect()
}

fn return_buttons(call: &Call) -> Vec<String> {
    let rows = call.body["reply_markup"]["inline_keyboard"].as_array().cloned().unwrap_or_default();
    rows.iter().map(|row| row[0]["callback_data"].as_str().unwrap_or_default().to_owned()).collect()
}

#[tokio::test]
async fn a_holder_gets_one_digest_a_day_at_ten_in_their_zone() {
    // Arrange: a holder in Berlin with one device due tomorrow and one due today.
    let (app, clock) = app_at(berlin(15, 7, 0)).await;
    a_user(&app, HOLDER, "Ann", Some("Europe/Berlin")).await;
    let tomorrow = lent(&app, "phone", HOLDER, day(12, 16), clock.now()).await;
    let today = lent(&app, "terminal", HOLDER, day(12, 15), clock.now()).await;

    // Act + Assert: nothing at 09:59 Berlin (08:59 UTC).
    scanned_at(&app, &clock, berlin(15, 9, 59)).await;
    assert_eq!(jobs_of::<Remind>(&app).await, 0, "no digest is planned before the hour");
    assert!(app.telegram.messages_to(HOLDER).is_empty());

    // At 10:00 Berlin: one message listing both, due today first, each with its Return button.
    clock.set(berlin(15, 10, 0));
    let first = app.telegram.wait_for_text(HOLDER, "Equipment to return").await;
    assert_eq!(
        first.text(),
        format!(
            "⏰ Equipment to return:\n• #{today} terminal (INV-terminal): due today, 15 Dec 2026\n\
             • #{tomorrow} phone (INV-phone): due tomorrow, 16 Dec 2026"
        )
    );
    assert_eq!(
        return_buttons(&first),
        [Press::Device(DevicePress::Return(today)).data(), Press::Device(DevicePress::Return(tomorrow)).data()]
    );

    // Later scans the same day add nothing.
    scanned_at(&app, &clock, berlin(15, 10, 5)).await;
    scanned_at(&app, &clock, berlin(15, 23, 30)).await;
    assert_eq!(jobs_of::<Remind>(&app).await, 1);
    assert_eq!(digests(&app, HOLDER, "⏰").len(), 1, "one digest on 15 December");

    // The next day at 10:00 Berlin, again: one overdue, one due today.
    scanned_at(&app, &clock, berlin(16, 9, 59)).await;
    assert_eq!(digests(&app, HOLDER, "⏰").len(), 1);
    clock.set(berlin(16, 10, 0));
    let second = app.telegram.wait_for_text(HOLDER, "overdue by 1 day").await;
    assert!(second.text().contains("phone (INV-phone): due today, 16 Dec 2026"), "{}", second.text());
    assert_eq!(digests(&app, HOLDER, "⏰").len(), 2);
    app.stop().await;
}

#[tokio::test]
async fn a_device_returned_between_the_scan_and_the_send_is_not_listed() {
    // Arrange: the app's own clock stays before the hour; the test runs the scan itself.
    let (app, clock) = app_at(berlin(15, 7, 0)).await;
    a_user(&app, HOLDER, "Ann", Some("Europe/Berlin")).await;
    let kept = lent(&app, "phone", HOLDER, day(12, 15), clock.now()).await;
    let returned = lent(&app, "terminal", HOLDER, day(12, 14), clock.now()).await;
    let settings = ReminderSettings { admin_zone: Tz::UTC, ..Default::default() };
    let scan = ReminderScan::new(app.db.clone(), settings, Tz::UTC);
    let due = scan.due(berlin(15, 10, 0)).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].job.loans.len(), 2, "the scan lists both devices");

    // Act: one device comes back, then the digest job runs.
    loans::give_back(&app.db, &app.queue, returned, HOLDER, false, RULES, clock.now()).await.unwrap();
    app.queue.enqueue(&due[0].job, Enqueue::keyed(scan.key(&due[0]))).await.unwrap();

    // Assert: only the kept device is listed, and the day is logged, so a new scan (even one that
    // did not see the queue's key) plans nothing more for the holder that day.
    let sent = app.telegram.wait_for_text(HOLDER, "Equipment to return").await;
    assert!(sent.text().contains("phone"), "{}", sent.text());
    assert!(!sent.text().contains("terminal"), "{}", sent.text());
    assert_eq!(return_buttons(&sent), [Press::Device(DevicePress::Return(kept)).data()]);
    let logged = reminder_log::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(logged.iter().map(|r| (r.holder_id, r.day)).collect::<Vec<_>>(), [(Some(HOLDER), day(12, 15))]);
    let fresh = ReminderScan::new(app.db.clone(), settings, Tz::UTC);
    assert!(fresh.due(berlin(15, 12, 0)).await.unwrap().is_empty());

    // A loan taken after the hour is first in tomorrow's digest, not in a late one today.
    a_user(&app, 2002, "Bob", None).await;
    let late = lent(&app, "laptop", 2002, day(12, 15), berlin(15, 12, 0)).await;
    assert!(fresh.due(berlin(15, 12, 1)).await.unwrap().is_empty(), "taken after 10:00 UTC");
    let tomorrow = fresh.due(berlin(16, 11, 1)).await.unwrap();
    let bob: Vec<_> = tomorrow.iter().filter(|d| d.job.holder_id == 2002).collect();
    assert_eq!(bob.len(), 1);
    assert_eq!(bob[0].job.loans.iter().map(|l| l.device_id).collect::<Vec<_>>(), [late]);
    app.stop().await;
}

#[tokio::test]
async fn admins_get_one_digest_a_day_of_loans_three_days_overdue() {
    // Arrange: in UTC (the admin zone), one loan three days overdue on 15 December, one two days.
    let utc = |d: u32, h: u32, m: u32| Utc.with_ymd_and_hms(2026, 12, d, h, m, 0).unwrap();
    let (app, clock) = app_at(utc(15, 6, 0)).await;
    a_user(&app, HOLDER, "Olga", None).await;
    let three = lent(&app, "phone", HOLDER, day(12, 12), utc(10, 9, 0)).await;
    let two = lent(&app, "terminal", HOLDER, day(12, 13), utc(10, 9, 0)).await;

    // Act + Assert: nothing before 10:00 UTC.
    scanned_at(&app, &clock, utc(15, 9, 59)).await;
    assert_eq!(jobs_of::<Escalate>(&app).await, 0);

    clock.set(utc(15, 10, 0));
    let digest = app.telegram.wait_for_text(ADMIN, "overdue by 3 days or more").await;
    assert_eq!(
        digest.text(),
        format!(
            "⚠️ Equipment overdue by 3 days or more:\n\
             • #{three} phone (INV-phone): Olga, overdue by 3 days (due 12 Dec 2026)"
        )
    );
    scanned_at(&app, &clock, utc(15, 18, 0)).await;
    assert_eq!(jobs_of::<Escalate>(&app).await, 1);
    assert_eq!(digests(&app, ADMIN, "⚠️").len(), 1, "one admins' digest on 15 December");

    // The next day both are listed, the most overdue first.
    clock.set(utc(16, 10, 0));
    let next = app.telegram.wait_for_text(ADMIN, "overdue by 4 days").await;
    let lines: Vec<&str> = next.text().lines().collect();
    assert_eq!(lines.len(), 3, "{}", next.text());
    assert!(lines[1].starts_with(&format!("• #{three} ")) && lines[2].starts_with(&format!("• #{two} ")));
    assert_eq!(digests(&app, ADMIN, "⚠️").len(), 2);
    app.stop().await;
}
