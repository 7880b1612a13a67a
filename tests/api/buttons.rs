//! Callback data comes from the client and can be forged: a button that does not decode, names
//! another user's object or one that is gone is answered ("expired" or "not found") and changes
//! nothing. A failing button or dialogue step still gets an answer.

use bot::admin::Decision;
use bot::monitoring::Press;
use bot::monitoring::add::Choice;
use bot::monitoring::buttons::{Action, Page};
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait};
use shared::entities::monitor;

use crate::fake_telegram::{Call, TgUser};
use crate::helpers::{TestApp, eventually};

const PAGE1: Page = Page { n: 1, everyone: false };

fn answered(needle: &'static str) -> impl Fn(&Call) -> bool {
    move |c: &Call| c.method == "answercallbackquery" && c.body["text"].as_str().is_some_and(|t| t.contains(needle))
}

fn count_answers(app: &TestApp, needle: &str) -> usize {
    app.telegram
        .calls()
        .iter()
        .filter(|c| c.method == "answercallbackquery" && c.body["text"].as_str().is_some_and(|t| t.contains(needle)))
        .count()
}

#[tokio::test]
async fn forged_and_stale_buttons_are_answered_and_change_nothing() {
    // Arrange: Ann has a monitor.
    let app = TestApp::spawn(&[("TELEOPS_OPEN_REGISTRATION", "true")]).await;
    let ann = TgUser::new(4200, "Ann");
    app.telegram.send_text(&ann, "/start");
    app.telegram.wait_for_text(ann.id, "Welcome").await;
    app.telegram.send_text(&ann, "/watch tcp://127.0.0.1:9 1m");
    app.telegram.wait_for_text(ann.id, "added").await;
    let id = monitor::Entity::find().one(&app.db).await.unwrap().unwrap().id;

    // Act + Assert: data that does not decode, or names no slice, has expired.
    let forged = ["monitoring:%%%", "monitoring:", "monitoring", "nosuch:AAAA", "", "monitoring:AAAAAAAAAAAAAAAA"];
    for (n, data) in forged.iter().enumerate() {
        app.telegram.press_button(&ann, data);
        eventually("the expired answer", || async { (count_answers(&app, "button has expired") > n).then_some(()) })
            .await;
    }
    // A button of an /add that is not running says the dialogue has ended, and adds nothing.
    app.telegram.press_button(&ann, &Press::Add(Choice::After(1)).data());
    app.telegram.wait_for("the stale /add answer", answered("dialogue has ended")).await;
    assert_eq!(monitor::Entity::find().count(&app.db).await.unwrap(), 1);
    // An admin's button pressed by a member is refused.
    app.telegram.press_button(&ann, &Decision::Approve(ann.id).data());
    app.telegram.wait_for("the admins-only refusal", answered("admins only")).await;
    // A monitor that is gone is "not found".
    app.telegram.press_button(&ann, &Press::List(Action::Pause(id + 1000, PAGE1)).data());
    app.telegram.wait_for("not found", answered("not found")).await;
    let row = monitor::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap();
    assert!(!row.paused, "nothing changed");
    app.stop().await;
}

#[tokio::test]
async fn a_failing_button_or_dialogue_step_still_gets_an_answer() {
    // Arrange: Ann has a monitor.
    let app = TestApp::spawn(&[("TELEOPS_OPEN_REGISTRATION", "true")]).await;
    let ann = TgUser::new(4201, "Ann");
    app.telegram.send_text(&ann, "/start");
    app.telegram.wait_for_text(ann.id, "Welcome").await;
    app.telegram.send_text(&ann, "/watch tcp://127.0.0.1:9 1m");
    app.telegram.wait_for_text(ann.id, "added").await;
    let id = monitor::Entity::find().one(&app.db).await.unwrap().unwrap().id;

    // Act: the monitors table is gone, so the button's handler fails.
    app.db.execute_unprepared("DROP TABLE monitors").await.unwrap();
    app.telegram.press_button(&ann, &Press::List(Action::Pause(id, PAGE1)).data());

    // Assert: the press is answered with the generic reply.
    app.telegram.wait_for("the generic answer to a failed press", answered("Something went wrong")).await;

    // Same for a dialogue step whose state cannot be read.
    app.db.execute_unprepared("DROP TABLE dialogue_states").await.unwrap();
    app.telegram.send_text(&ann, "example.com");
    app.telegram.wait_for_text(ann.id, "Something went wrong").await;
    app.stop().await;
}
