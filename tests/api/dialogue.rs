//! The dialogue polish of issue 8: `/add` takes typed or pressed answers and closes each step,
//! stale `/add` buttons say the dialogue has ended, `/monitors` pages and cards edit one message,
//! owners hear of an admin's changes, and `/mute` and `/watch` say what they do.

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use shared::entities::monitor;
use shared::monitoring::alerts::{Health, Thresholds};
use shared::monitoring::model::new_row;
use shared::monitoring::schedule::Interval;
use shared::monitoring::target::{CheckKind, Target};

use bot::monitoring::Press;
use bot::monitoring::add::Choice;
use bot::monitoring::buttons::{Action, Page};

use crate::fake_telegram::{Call, TgUser};
use crate::helpers::{ADMIN, TestApp};
use crate::monitoring::{added_id, force_check, monitor_row};

const PAGE1: Page = Page { n: 1, everyone: false };

async fn registered(app: &TestApp, user: &TgUser) {
    app.telegram.send_text(user, "/start");
    let welcome = if user.language_code == "ru" { "Добро пожаловать" } else { "Welcome" };
    app.telegram.wait_for_text(user.id, welcome).await;
}

fn edited(chat: i64, needle: &'static str) -> impl Fn(&Call) -> bool {
    move |c: &Call| c.method == "editmessagetext" && c.chat_id() == Some(chat) && c.text().contains(needle)
}

fn answered(needle: &'static str) -> impl Fn(&Call) -> bool {
    move |c: &Call| c.method == "answercallbackquery" && c.body["text"].as_str().is_some_and(|t| t.contains(needle))
}

/// The button labels and callback data of a message's inline keyboard, row by row.
fn keyboard(call: &Call) -> Vec<Vec<(String, String)>> {
    let rows = call.body["reply_markup"]["inline_keyboard"].as_array().cloned().unwrap_or_default();
    rows.iter()
        .map(|row| {
            row.as_array()
                .unwrap()
                .iter()
                .map(|b| (b["text"].as_str().unwrap().to_owned(), b["callback_data"].as_str().unwrap().to_owned()))
                .collect()
        })
        .collect()
}

async fn owned(app: &TestApp, user: i64) -> u64 {
    monitor::Entity::find().filter(monitor::Column::OwnerId.eq(user)).count(&app.db).await.unwrap()
}

// See: issue 8 — typing "4" at the failures step was not taken, errors suggested /watch, a bare
// address silently became https://, and finished steps kept live buttons.
#[tokio::test]
async fn add_takes_typed_answers_says_what_it_assumed_and_closes_each_step() {
    let app = TestApp::spawn(&[("TELEOPS_OPEN_REGISTRATION", "true")]).await;
    let ann = TgUser::new(4800, "Ann");
    registered(&app, &ann).await;

    app.telegram.send_text(&ann, "/add");
    app.telegram.wait_for_text(ann.id, "What should I watch?").await;
    app.telegram.send_text(&ann, "website");
    let kind_done = app.telegram.wait_for("the kind step closed", edited(ann.id, "✅ Check: 🌐 Website")).await;
    assert!(kind_done.body.get("reply_markup").is_none(), "its buttons are gone: {}", kind_done.body);
    app.telegram.wait_for_text(ann.id, "Send the address").await;

    // host:port is asked about, not guessed; the dialogue's errors do not point at /watch.
    app.telegram.send_text(&ann, "127.0.0.1:8080");
    let asked = app.telegram.wait_for_text(ann.id, "is a host and port without a scheme").await;
    assert!(asked.text().contains("http://127.0.0.1:8080") && !asked.text().contains("/watch"), "{}", asked.text());
    app.telegram.send_text(&ann, "not a host!");
    let bad = app.telegram.wait_for_text(ann.id, "That does not work").await;
    assert!(bad.text().contains("/cancel") && !bad.text().contains("/watch"), "{}", bad.text());

    // A bare name is taken as https://, and the reply says so.
    app.telegram.send_text(&ann, "example.com");
    app.telegram.wait_for("the target step closed", edited(ann.id, "✅ Website: https://example.com/")).await;
    let next = app.telegram.wait_for_text(ann.id, "How often should I check?").await;
    assert!(next.text().contains("so I will check https://example.com/"), "{}", next.text());

    app.telegram.send_text(&ann, "soon");
    let bad = app.telegram.wait_for_text(ann.id, "Bad interval").await;
    assert!(!bad.text().contains("/watch"), "{}", bad.text());
    app.telegram.send_text(&ann, "5m");
    app.telegram.wait_for("the interval step closed", edited(ann.id, "✅ Every: 5m")).await;
    app.telegram.wait_for_text(ann.id, "how many failed checks").await;

    // "4" has no button, and is taken.
    app.telegram.send_text(&ann, "11");
    app.telegram.wait_for_text(ann.id, "a number from 1 to 10").await;
    app.telegram.send_text(&ann, "4");
    app.telegram.wait_for("the last step closed", edited(ann.id, "✅ DOWN after: 4 failures in a row")).await;
    let added = app.telegram.wait_for_text(ann.id, "added: https://example.com/, checked every 5m").await;
    let row = monitor_row(&app, added_id(added.text())).await;
    assert_eq!((row.kind, row.interval_secs, row.down_after), (CheckKind::Http, 300, 4));
    app.telegram.send_text(&ann, "hello");
    app.telegram.wait_for_text(ann.id, "I understand commands").await;
    app.stop().await;
}

#[tokio::test]
async fn a_stale_add_button_after_cancel_says_the_dialogue_has_ended_and_changes_nothing() {
    let app = TestApp::spawn(&[("TELEOPS_OPEN_REGISTRATION", "true")]).await;
    let ann = TgUser::new(4801, "Ann");
    registered(&app, &ann).await;
    app.telegram.send_text(&ann, "/add");
    app.telegram.wait_for_text(ann.id, "What should I watch?").await;

    app.telegram.send_text(&ann, "/cancel");
    app.telegram.wait_for_text(ann.id, "Cancelled").await;
    // The prompt's keyboard went with the dialogue.
    app.telegram
        .wait_for("the prompt's buttons removed", |c| {
            c.method == "editmessagereplymarkup" && c.body["reply_markup"]["inline_keyboard"] == serde_json::json!([])
        })
        .await;

    app.telegram.press_button(&ann, &Press::Add(Choice::Kind(CheckKind::Tcp)).data());
    app.telegram.wait_for("the stale press answered", answered("This dialogue has ended")).await;
    app.telegram.send_text(&ann, "127.0.0.1:9");
    app.telegram.wait_for_text(ann.id, "I understand commands").await;
    assert_eq!(owned(&app, ann.id).await, 0, "nothing was added");
    assert!(!app.telegram.messages_to(ann.id).iter().any(|c| c.text().contains("Send host and port")));
    app.stop().await;
}

#[tokio::test]
async fn monitors_show_one_button_each_page_in_place_and_open_cards_with_worded_actions() {
    // Arrange: twelve monitors, one with a very long target.
    let app = TestApp::spawn(&[("TELEOPS_OPEN_REGISTRATION", "true")]).await;
    let ann = TgUser::new(4802, "Ann");
    registered(&app, &ann).await;
    let now = chrono::Utc::now();
    let later = now + chrono::Duration::days(1);
    let long = format!("https://example.com/{}", "x".repeat(400));
    let mut ids = Vec::new();
    for n in 0..12 {
        let target =
            if n == 0 { Target::parse(&long).unwrap() } else { Target::parse(&format!("host{n}.example")).unwrap() };
        let row = new_row(ann.id, ann.id, &target, Interval::DEFAULT, &Thresholds::default(), later, now)
            .expect("no password in these targets");
        ids.push(row.insert(&app.db).await.unwrap().id);
    }

    // Act + Assert: page 1 has ten buttons, one per monitor, and the "‹ 1/2 ›" row.
    app.telegram.send_text(&ann, "/monitors");
    let list = app.telegram.wait_for_text(ann.id, "Monitors (12), page 1/2").await;
    let rows = keyboard(&list);
    assert_eq!(rows.len(), 11, "{rows:?}");
    for (row, id) in rows[..10].iter().zip(&ids) {
        assert_eq!(row.len(), 1, "{row:?}");
        assert_eq!(row[0].1, Press::List(Action::Open(*id, PAGE1)).data());
        assert!(row[0].0.contains(&format!("#{id} ")), "{row:?}");
    }
    let first = &rows[0][0].0;
    assert!(first.ends_with('…') && first.chars().count() < 80, "a long target is cut: {first}");
    let nav: Vec<&str> = rows[10].iter().map(|(text, _)| text.as_str()).collect();
    assert_eq!(nav, ["‹", "1/2", "›"]);
    assert!(list.text().chars().count() < 4096);

    // Paging edits the list message rather than sending another.
    let sent = app.telegram.messages_to(ann.id).len();
    app.telegram.press_button(&ann, &rows[10][2].1);
    let page2 = app.telegram.wait_for("page 2", edited(ann.id, "page 2/2")).await;
    let rows2 = keyboard(&page2);
    assert_eq!(rows2.len(), 3, "two monitors and the paging row: {rows2:?}");
    assert_eq!(rows2[2].iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>(), ["‹", "2/2", "›"]);

    // A card: the whole target, its state and options, and actions in words.
    app.telegram.press_button(&ann, &Press::List(Action::Open(ids[0], PAGE1)).data());
    let card = app.telegram.wait_for("the card", edited(ann.id, "Options:")).await;
    assert!(card.text().contains(&long) && card.text().contains("⏳ PENDING"), "{}", card.text());
    let labels: Vec<String> = keyboard(&card).into_iter().flatten().map(|(text, _)| text).collect();
    assert_eq!(labels, ["⏸ Pause", "⏱ Interval", "📈 Status", "🗑 Delete", "« Back to the list"]);
    app.telegram.press_button(&ann, &Press::List(Action::Pause(ids[0], PAGE1)).data());
    let paused = app.telegram.wait_for("the card redrawn", edited(ann.id, "⏸ PAUSED")).await;
    assert!(keyboard(&paused)[0][0].0 == "▶ Resume", "{:?}", keyboard(&paused));
    assert_eq!(app.telegram.messages_to(ann.id).len(), sent, "paging and cards sent no new message");
    app.stop().await;
}

#[tokio::test]
async fn admins_see_owners_and_an_owner_hears_when_an_admin_pauses_or_deletes_their_monitor() {
    let app = TestApp::spawn(&[("TELEOPS_OPEN_REGISTRATION", "true")]).await;
    let (ann, boss) = (TgUser::new(4803, "Anna").russian(), TgUser::new(ADMIN, "Boss"));
    registered(&app, &ann).await;
    app.telegram.send_text(&ann, "/watch tcp://127.0.0.1:9 1h");
    let id = added_id(app.telegram.wait_for_text(ann.id, "добавлен").await.text());

    app.telegram.send_text(&boss, "/monitors all");
    let list = app.telegram.wait_for_text(ADMIN, "tcp://127.0.0.1:9").await;
    assert!(list.text().contains(&format!("👤 Anna ({})", ann.id)), "{}", list.text());
    let everyone = Page { n: 1, everyone: true };

    app.telegram.press_button(&boss, &Press::List(Action::Pause(id, everyone)).data());
    app.telegram.wait_for_text(ann.id, &format!("Администратор приостановил ваш монитор #{id}")).await;
    app.telegram.press_button(&boss, &Press::List(Action::DeleteConfirmed(id, everyone)).data());
    app.telegram.wait_for_text(ann.id, &format!("Администратор удалил ваш монитор #{id}")).await;
    assert_eq!(owned(&app, ann.id).await, 0);
    // The admin's own monitors tell nobody.
    app.telegram.send_text(&boss, "/watch tcp://127.0.0.1:10 1h");
    let own = added_id(app.telegram.wait_for_text(ADMIN, "127.0.0.1:10, checked").await.text());
    app.telegram.send_text(&boss, &format!("/unwatch {own}"));
    app.telegram.wait_for_text(ADMIN, &format!("Monitor #{own} removed")).await;
    let notices = app.telegram.messages_to(ADMIN).iter().filter(|c| c.text().contains("An admin")).count();
    assert_eq!(notices, 0);
    app.stop().await;
}

#[tokio::test]
async fn watch_and_mute_say_what_they_do() {
    let app = TestApp::spawn(&[("TELEOPS_OPEN_REGISTRATION", "true")]).await;
    let ann = TgUser::new(4804, "Ann");
    registered(&app, &ann).await;

    // host:port is not guessed: tcp:// is suggested and nothing is added.
    app.telegram.send_text(&ann, "/watch 127.0.0.1:1");
    let hint = app.telegram.wait_for_text(ann.id, "host and port without a scheme").await;
    assert!(hint.text().contains("/watch tcp://127.0.0.1:1"), "{}", hint.text());
    assert_eq!(owned(&app, ann.id).await, 0);

    // A bare host is a ping check, and the reply says so.
    app.telegram.send_text(&ann, "/watch localhost 1h");
    let added = app.telegram.wait_for_text(ann.id, "added: localhost").await;
    assert!(added.text().contains("ping (ICMP) check"), "{}", added.text());
    let id = added_id(added.text());

    // The same target again asks first; "Cancel" adds nothing, "Yes" adds a second.
    app.telegram.send_text(&ann, "/watch localhost");
    let question = app.telegram.wait_for_text(ann.id, &format!("You already watch localhost as #{id}")).await;
    let buttons: Vec<String> = keyboard(&question).into_iter().flatten().map(|(_, data)| data).collect();
    assert_eq!(buttons, [Press::Add(Choice::Duplicate(true)).data(), Press::Add(Choice::Duplicate(false)).data()]);
    assert_eq!(owned(&app, ann.id).await, 1, "not before an answer");
    app.telegram.press_button(&ann, &buttons[1]);
    app.telegram.wait_for("not added", edited(ann.id, "Not added")).await;
    assert_eq!(owned(&app, ann.id).await, 1);
    app.telegram.send_text(&ann, "/watch localhost");
    app.telegram.wait_for_n("the question again", 2, |c| c.text().contains("You already watch localhost")).await;
    app.telegram.press_button(&ann, &buttons[0]);
    app.telegram.wait_for_n("the second monitor", 2, |c| c.text().contains("added: localhost")).await;
    assert_eq!(owned(&app, ann.id).await, 2);

    // /mute says alerts are dropped; ending a mute that is not on says so.
    app.telegram.send_text(&ann, &format!("/mute {id} off"));
    app.telegram.wait_for_text(ann.id, &format!("Monitor #{id} is not muted")).await;
    app.telegram.send_text(&ann, &format!("/mute {id} 2h"));
    let muted = app.telegram.wait_for_text(ann.id, "is muted until").await;
    assert!(muted.text().contains("dropped, not sent later"), "{}", muted.text());
    app.stop().await;
}

#[tokio::test]
async fn ending_a_mute_while_down_sends_the_down_alert() {
    // Arrange: a port nobody listens on, muted before it goes DOWN.
    let app = TestApp::spawn(&[("TELEOPS_OPEN_REGISTRATION", "true")]).await;
    let ann = TgUser::new(4805, "Ann");
    registered(&app, &ann).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    app.telegram.send_text(&ann, &format!("/watch tcp://127.0.0.1:{port} 1h"));
    let id = added_id(app.telegram.wait_for_text(ann.id, "added").await.text());
    app.telegram.send_text(&ann, &format!("/mute {id} 1h"));
    app.telegram.wait_for_text(ann.id, "is muted until").await;
    force_check(&app, id).await;
    let row = force_check(&app, id).await;
    assert_eq!(row.health, Health::Down);
    assert!(!app.telegram.messages_to(ann.id).iter().any(|c| c.text().contains("DOWN #")), "dropped while muted");

    // Act: the mute ends while it is DOWN.
    app.telegram.send_text(&ann, &format!("/mute {id} off"));
    let reply = app.telegram.wait_for_text(ann.id, "no longer muted").await;
    assert!(reply.text().contains("🔴 DOWN (connection refused)"), "{}", reply.text());
    force_check(&app, id).await;

    // Assert: the DOWN state is sent, once.
    let down = app.telegram.wait_for_text(ann.id, &format!("🔴 DOWN #{id}")).await;
    assert!(down.text().contains("connection refused"), "{}", down.text());
    force_check(&app, id).await;
    let downs = app.telegram.messages_to(ann.id).iter().filter(|c| c.text().contains("DOWN #")).count();
    assert_eq!(downs, 1);
    app.stop().await;
}
