//! Taking, returning, `/mine` and the waitlist through the fake Bot API: a take with a due date in
//! the taker's words, another user told who holds it, returns refused to anyone but the holder or
//! an admin, the waitlist's offer moving on by Claim, Pass and a lapsed hold (on a manual clock),
//! and forged or stale buttons answered without changing anything.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::Value;
use shared::clock::ManualClock;
use shared::entities::{audit, device, device_wait, loan};
use shared::equipment::device::DeviceFields;
use shared::equipment::press::{DevicePress, Press};

use crate::fake_telegram::{Call, TgUser};
use crate::helpers::{ADMIN, TestApp, eventually, test_options};

/// 10:00 UTC on a summer day.
fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 7, 1, 10, 0, 0).unwrap()
}

/// The app on a manual clock, with open registration, and `users` registered.
async fn spawn(clock: &ManualClock, users: &[&TgUser]) -> TestApp {
    let options = teleops::StartOptions { clock: Arc::new(clock.clone()), ..test_options() };
    let app = TestApp::spawn_with(&[("TELEOPS_OPEN_REGISTRATION", "true")], options).await;
    for user in users {
        app.telegram.send_text(user, "/start");
    }
    for user in users {
        let welcome = if user.language_code == "ru" { "Добро пожаловать" } else { "Welcome" };
        app.telegram.wait_for_text(user.id, welcome).await;
    }
    app
}

async fn a_device(app: &TestApp, inventory_no: &str) -> i64 {
    let fields = DeviceFields { name: "Move/5000".into(), inventory_no: inventory_no.into(), ..Default::default() };
    device::new_row(&fields, start()).insert(&app.db).await.unwrap().id
}

fn press(p: DevicePress) -> String {
    Press::Device(p).data()
}

/// Every callback data under a message.
fn buttons(call: &Call) -> Vec<String> {
    let rows = call.body["reply_markup"]["inline_keyboard"].as_array().cloned().unwrap_or_default();
    rows.iter()
        .flat_map(|r| r.as_array().cloned().unwrap_or_default())
        .filter_map(|b| b["callback_data"].as_str().map(str::to_owned))
        .collect()
}

/// Waits for a press's answer (toast) containing `needle`.
async fn toast(app: &TestApp, needle: &str) -> Call {
    app.telegram
        .wait_for(&format!("a toast containing {needle:?}"), |c| {
            c.method == "answercallbackquery" && c.body["text"].as_str().is_some_and(|t| t.contains(needle))
        })
        .await
}

/// Waits for an edit of a message in `chat` to a text containing `needle`.
async fn edited(app: &TestApp, chat: i64, needle: &str) -> Call {
    app.telegram
        .wait_for(&format!("an edit in {chat} containing {needle:?}"), |c| {
            c.method == "editmessagetext" && c.chat_id() == Some(chat) && c.text().contains(needle)
        })
        .await
}

async fn holder(app: &TestApp, device_id: i64) -> Option<i64> {
    loan::Entity::find()
        .filter(loan::Column::DeviceId.eq(device_id))
        .filter(loan::Column::ReturnedAt.is_null())
        .one(&app.db)
        .await
        .unwrap()
        .map(|l| l.holder_id)
}

async fn line(app: &TestApp, device_id: i64) -> Vec<(i64, bool)> {
    device_wait::Entity::find()
        .filter(device_wait::Column::DeviceId.eq(device_id))
        .order_by_asc(device_wait::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
        .iter()
        .map(|w| (w.user_id, w.hold_until.is_some()))
        .collect()
}

async fn actions(app: &TestApp) -> Vec<String> {
    let rows = audit::Entity::find()
        .filter(audit::Column::Action.starts_with("device."))
        .order_by_asc(audit::Column::Id)
        .all(&app.db)
        .await
        .unwrap();
    rows.into_iter().map(|r| r.action).collect()
}

#[tokio::test]
async fn a_take_with_a_due_date_tells_the_next_taker_who_holds_it_and_only_the_holder_returns() {
    // Arrange
    let clock = ManualClock::new(start());
    let (ann, ivan) = (TgUser::new(4501, "Ann"), TgUser::new(4502, "Иван").russian());
    let app = spawn(&clock, &[&ann, &ivan]).await;
    let id = a_device(&app, "INV-1").await;

    // Act + Assert: a past date is refused; a span is counted from her local today.
    app.telegram.send_text(&ann, &format!("/take {id} 1.6.2026"));
    app.telegram.wait_for_text(ann.id, "1 Jun 2026 is in the past").await;
    app.telegram.send_text(&ann, &format!("/take {id} in a while"));
    app.telegram.wait_for_text(ann.id, "is not a date like 2026-12-24").await;
    assert_eq!(holder(&app, id).await, None, "refusals change nothing");
    app.telegram.send_text(&ann, &format!("/take {id} 2w"));
    let taken = app.telegram.wait_for_text(ann.id, "is yours. Please return it by 15 Jul 2026.").await;
    assert!(taken.text().contains(&format!("#{id} Move/5000 (INV-1)")), "{}", taken.text());
    assert_eq!(buttons(&taken), [press(DevicePress::Return(id))]);
    let row = loan::Entity::find().one(&app.db).await.unwrap().unwrap();
    assert_eq!((row.holder_id, row.due_on.map(|d| d.to_string())), (ann.id, Some("2026-07-15".into())));

    // Someone else's /take is told who has it, since when and until when, with the waitlist.
    app.telegram.send_text(&ivan, &format!("/take {id}"));
    let told = app.telegram.wait_for_text(ivan.id, "занято: держатель — Ann, с 2026-07-01 10:00 UTC").await;
    assert!(told.text().contains("срок — до 15 июл. 2026."), "{}", told.text());
    assert_eq!(buttons(&told), [press(DevicePress::JoinWaitlist(id))]);

    // Another user's return is refused, by command and by button; nothing changes.
    app.telegram.send_text(&ivan, &format!("/return {id}"));
    let refusal = "может только его держатель или администратор";
    app.telegram.wait_for_text(ivan.id, refusal).await;
    app.telegram.press_button(&ivan, &press(DevicePress::Return(id)));
    app.telegram.wait_for_n("two refusals", 2, |c| c.chat_id() == Some(ivan.id) && c.text().contains(refusal)).await;
    assert_eq!(holder(&app, id).await, Some(ann.id));

    // Forged buttons: a device that does not exist, an offer never made. Answered, nothing changes.
    app.telegram.press_button(&ivan, &press(DevicePress::Claim(987_654)));
    toast(&app, "Устройства #987654 нет.").await;
    app.telegram.press_button(&ivan, &press(DevicePress::Take(987_654)));
    app.telegram.press_button(&ivan, &press(DevicePress::Pass(id)));
    toast(&app, "Это предложение больше не действует").await;
    app.telegram.press_button(&ivan, &press(DevicePress::Claim(id)));
    eventually("both stale offers answered", || async {
        let n = app.telegram.calls().iter().filter(|c| c.text().contains("больше не действует")).count();
        // Each stale press is a toast and an edit of the pressed message.
        (n >= 4).then_some(())
    })
    .await;
    eventually("the forged Take answered", || async {
        let n = app.telegram.calls().iter().filter(|c| c.body["text"] == "Устройства #987654 нет.").count();
        (n == 2).then_some(())
    })
    .await;
    assert_eq!(holder(&app, id).await, Some(ann.id));
    assert_eq!(loan::Entity::find().count(&app.db).await.unwrap(), 1);
    assert!(line(&app, id).await.is_empty());

    // The holder returns it: available again, and audited.
    app.telegram.send_text(&ann, &format!("/return #{id}"));
    app.telegram.wait_for_text(ann.id, "is returned. Thank you!").await;
    assert_eq!(holder(&app, id).await, None);
    assert_eq!(actions(&app).await, ["device.take", "device.return"]);
    app.stop().await;
}

#[tokio::test]
async fn a_returned_device_is_offered_in_line_and_moves_on_by_pass_and_claim() {
    // Arrange: Ann holds the device; Bob, then Carl, wait for it.
    let clock = ManualClock::new(start());
    let (ann, bob, carl) = (TgUser::new(4511, "Ann"), TgUser::new(4512, "Bob"), TgUser::new(4513, "Carl"));
    let app = spawn(&clock, &[&ann, &bob, &carl]).await;
    let id = a_device(&app, "INV-2").await;
    app.telegram.send_text(&ann, &format!("/take {id}"));
    app.telegram.wait_for_text(ann.id, "is yours, with no due date.").await;
    app.telegram.send_text(&bob, &format!("/wishlist {id}"));
    let joined = app.telegram.wait_for_text(bob.id, "You are in line for").await;
    assert!(joined.text().contains("place 1"), "{}", joined.text());
    app.telegram.press_button(&carl, &press(DevicePress::JoinWaitlist(id)));
    app.telegram.wait_for_text(carl.id, "place 2").await;
    app.telegram.send_text(&ann, &format!("/wishlist {id}"));
    app.telegram.wait_for_text(ann.id, "You hold").await;
    app.telegram.send_text(&carl, "/wishlist");
    let places = app.telegram.wait_for_text(carl.id, "Your places in line:").await;
    assert!(places.text().contains(&format!("#{id} Move/5000 (INV-2) — place 2")), "{}", places.text());
    assert_eq!(buttons(&places), [press(DevicePress::LeaveWaitlist(id))]);

    // Act: Ann returns it; Bob, first in line, is offered it with Claim / Pass.
    app.telegram.send_text(&ann, &format!("/return {id}"));
    let back = app.telegram.wait_for_text(ann.id, "is returned").await;
    assert!(back.text().contains("held for the next in line"), "{}", back.text());
    let offer = app.telegram.wait_for_text(bob.id, "was returned and is held for you until 2026-07-02 10:00 UTC").await;
    assert_eq!(buttons(&offer), [press(DevicePress::Claim(id)), press(DevicePress::Pass(id))]);
    // Held for Bob: Carl cannot take it meanwhile.
    app.telegram.send_text(&carl, &format!("/take {id}"));
    app.telegram.wait_for_text(carl.id, "is held for the next in line until 2026-07-02 10:00 UTC").await;

    // Bob passes: the offer message says so, and Carl is offered it. Bob's later Claim is stale.
    app.telegram.press_button(&bob, &press(DevicePress::Pass(id)));
    edited(&app, bob.id, "You passed").await;
    let offer = app.telegram.wait_for_text(carl.id, "is held for you until").await;
    assert_eq!(buttons(&offer), [press(DevicePress::Claim(id)), press(DevicePress::Pass(id))]);
    app.telegram.press_button(&bob, &press(DevicePress::Claim(id)));
    toast(&app, "This offer of").await;
    assert_eq!(holder(&app, id).await, None);

    // Carl claims it.
    app.telegram.press_button(&carl, &press(DevicePress::Claim(id)));
    edited(&app, carl.id, "is yours now").await;
    assert_eq!(holder(&app, id).await, Some(carl.id));
    assert!(line(&app, id).await.is_empty());
    assert_eq!(
        actions(&app).await,
        ["device.take", "device.wait", "device.wait", "device.return", "device.pass", "device.take"]
    );
    app.stop().await;
}

#[tokio::test]
async fn an_admin_return_tells_the_holder_and_a_lapsed_hold_moves_the_offer_on() {
    // Arrange: Ann holds it; Bob and Carl wait.
    let clock = ManualClock::new(start());
    let (ann, bob, carl) = (TgUser::new(4521, "Ann"), TgUser::new(4522, "Bob"), TgUser::new(4523, "Carl"));
    let admin = TgUser::new(ADMIN, "Boss");
    let app = spawn(&clock, &[&ann, &bob, &carl]).await;
    let id = a_device(&app, "INV-3").await;
    app.telegram.send_text(&ann, &format!("/take {id} 2026-07-05"));
    app.telegram.wait_for_text(ann.id, "return it by 5 Jul 2026").await;
    app.telegram.send_text(&bob, &format!("/wishlist {id}"));
    app.telegram.wait_for_text(bob.id, "place 1").await;
    app.telegram.send_text(&carl, &format!("/wishlist {id}"));
    app.telegram.wait_for_text(carl.id, "place 2").await;

    // Act: an admin returns Ann's device.
    app.telegram.send_text(&admin, &format!("/return {id}"));
    app.telegram.wait_for_text(ADMIN, "is returned").await;
    app.telegram.wait_for_text(ann.id, "Boss (admin) returned").await;
    app.telegram.wait_for_text(bob.id, "is held for you until 2026-07-02 10:00 UTC").await;
    app.telegram.send_text(&bob, "/wishlist");
    let places = app.telegram.wait_for_text(bob.id, "(INV-3) — held for you until 2026-07-02 10:00 UTC").await;
    assert_eq!(buttons(&places), [press(DevicePress::Claim(id)), press(DevicePress::LeaveWaitlist(id))]);

    // Bob lets the hold lapse: he is told and leaves the line, Carl is offered it.
    clock.advance(Duration::hours(25));
    app.telegram.wait_for_text(bob.id, "Your hold on").await;
    app.telegram.wait_for_text(carl.id, "is held for you until 2026-07-03 11:00 UTC").await;
    assert_eq!(line(&app, id).await, [(carl.id, true)]);
    // Carl lets it lapse too: nobody is left, so it is simply available.
    clock.advance(Duration::hours(25));
    app.telegram.wait_for_text(carl.id, "lapsed").await;
    eventually("the line empty", || async { line(&app, id).await.is_empty().then_some(()) }).await;
    app.telegram.send_text(&bob, &format!("/wishlist {id}"));
    let available = app.telegram.wait_for_text(bob.id, "is available: no need to wait").await;
    assert_eq!(buttons(&available), [press(DevicePress::Take(id))]);
    app.telegram.press_button(&bob, &press(DevicePress::Take(id)));
    app.telegram.wait_for_text(bob.id, "is yours, with no due date.").await;
    assert_eq!(holder(&app, id).await, Some(bob.id));
    app.stop().await;
}

#[tokio::test]
async fn mine_lists_overdue_devices_first_and_marked_each_with_a_return_button() {
    // Arrange: four devices with different due dates, then three days pass.
    let clock = ManualClock::new(start());
    let ann = TgUser::new(4531, "Ann");
    let app = spawn(&clock, &[&ann]).await;
    app.telegram.send_text(&ann, "/mine");
    app.telegram.wait_for_text(ann.id, "You hold no devices.").await;
    let mut ids = Vec::new();
    for (n, until) in ["2026-07-03", "", "2026-07-02", "2026-07-20"].iter().enumerate() {
        let id = a_device(&app, &format!("INV-M{n}")).await;
        app.telegram.send_text(&ann, &format!("/take {id} {until}"));
        app.telegram
            .wait_for_n("the take", n + 1, |c| c.chat_id() == Some(ann.id) && c.text().contains("is yours"))
            .await;
        ids.push(id);
    }
    clock.advance(Duration::days(3));

    // Act
    app.telegram.send_text(&ann, "/mine");

    // Assert: overdue (longest first, marked), then by due date, then no due date.
    let mine = app.telegram.wait_for_text(ann.id, "You hold 4 devices:").await;
    let lines: Vec<&str> = mine.text().lines().skip(1).collect();
    assert_eq!(
        lines,
        [
            format!("⚠️ #{} Move/5000 (INV-M2) — overdue, was due 2 Jul 2026", ids[2]),
            format!("⚠️ #{} Move/5000 (INV-M0) — overdue, was due 3 Jul 2026", ids[0]),
            format!("#{} Move/5000 (INV-M3) — due 20 Jul 2026", ids[3]),
            format!("#{} Move/5000 (INV-M1) — no due date", ids[1]),
        ]
    );
    let expected: Vec<String> = [2, 0, 3, 1].iter().map(|i| press(DevicePress::Return(ids[*i]))).collect();
    assert_eq!(buttons(&mine), expected);
    let labels: Vec<Value> = mine.body["reply_markup"]["inline_keyboard"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row[0]["text"].clone())
        .collect();
    assert_eq!(labels[0], format!("↩️ Return #{}", ids[2]));
    app.stop().await;
}
