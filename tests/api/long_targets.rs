//! Targets as data a user controls: long ones are capped and shortened where shown, so no reply
//! outgrows Telegram's limits; a password in a URL is stored encrypted, shown masked and still
//! sent to the site.

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::HeaderMap;
use base64::Engine as _;
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder, Statement};
use shared::entities::monitor;

use crate::fake_telegram::{Call, TgUser};
use crate::helpers::{ADMIN, TestApp, eventually};
use crate::monitoring::{added_id, force_check};

/// Telegram's own measure: UTF-16 code units.
fn units(text: &str) -> usize {
    text.encode_utf16().count()
}

fn sent_ok(call: &Call) -> bool {
    call.method == "sendmessage" && units(call.text()) <= 4096
}

#[tokio::test]
async fn long_targets_are_refused_or_shortened_so_every_reply_fits() {
    let app = TestApp::spawn(&[]).await;
    let admin = TgUser::new(ADMIN, "Admin");

    // Over the cap: refused with the limit named, nothing stored.
    let huge = format!("http://127.0.0.1:1/{}", "a".repeat(2100));
    app.telegram.send_text(&admin, &format!("/watch {huge}"));
    let refused = app.telegram.wait_for_text(ADMIN, "512").await;
    assert!(refused.text().contains("2119"), "{}", refused.text());
    assert!(monitor::Entity::find().all(&app.db).await.unwrap().is_empty());

    // Ten targets at the cap: ten times 500 characters would not fit one message unshortened.
    let path = "b".repeat(490);
    for i in 0..10 {
        app.telegram.send_text(&admin, &format!("/watch http://127.0.0.1:1/{i}{path}"));
    }
    eventually("ten monitors", || async {
        (monitor::Entity::find().all(&app.db).await.unwrap().len() == 10).then_some(())
    })
    .await;
    let before = app.telegram.messages_to(ADMIN).len();
    app.telegram.send_text(&admin, "/monitors");
    let list = app
        .telegram
        .wait_for("the /monitors page", |c| {
            let text = c.text();
            c.chat_id() == Some(ADMIN) && text.contains("127.0.0.1:1/0") && text.contains("127.0.0.1:1/9")
        })
        .await;
    assert!(units(list.text()) <= 4096, "{} units", units(list.text()));
    assert!(list.text().contains('…'), "targets in the list are shortened: {}", list.text());
    let first = monitor::Entity::find().order_by_asc(monitor::Column::Id).one(&app.db).await.unwrap().unwrap();
    app.telegram.send_text(&admin, &format!("/status {}", first.id));
    let status = app.telegram.wait_for_text(ADMIN, "Uptime").await;
    assert!(sent_ok(&status));
    // Every message since /monitors was accepted by the (length-checking) fake server.
    assert!(app.telegram.messages_to(ADMIN)[before..].iter().all(|c| units(c.text()) <= 4096));
    app.stop().await;
}

/// A loopback site that records the Authorization header of every request.
async fn recording_site() -> (String, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let app = axum::Router::new()
        .fallback(|State(seen): State<Arc<Mutex<Vec<String>>>>, headers: HeaderMap| async move {
            let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
            seen.lock().unwrap().push(auth);
            "ok"
        })
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr.to_string(), seen)
}

#[tokio::test]
async fn a_password_in_a_url_is_encrypted_masked_and_still_used() {
    let app = TestApp::spawn(&[]).await;
    let admin = TgUser::new(ADMIN, "Admin");
    let (addr, seen) = recording_site().await;

    app.telegram.send_text(&admin, &format!("/watch http://admin:hunter2@{addr}/health 10s"));
    let added = app.telegram.wait_for_text(ADMIN, "added").await;
    assert!(added.text().contains(&format!("http://admin:•••@{addr}/health")), "{}", added.text());
    assert!(!added.text().contains("hunter2"));
    let id = added_id(added.text());

    // Stored: the target without the password, the password sealed.
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            format!("SELECT target, password FROM monitors WHERE id = {id}"),
        ))
        .await
        .unwrap()
        .unwrap();
    let (target, password): (String, String) =
        (row.try_get("", "target").unwrap(), row.try_get("", "password").unwrap());
    assert_eq!(target, format!("http://admin@{addr}/health"));
    assert!(password.starts_with("v1:") && !password.contains("hunter2"), "{password}");

    // The check still authenticates as the URL said.
    force_check(&app, id).await;
    let expected = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("admin:hunter2"));
    assert!(seen.lock().unwrap().contains(&expected), "{:?}", seen.lock().unwrap());

    app.telegram.send_text(&admin, &format!("/status {id}"));
    let status = app.telegram.wait_for_text(ADMIN, "Uptime").await;
    assert!(status.text().contains("admin:•••@") && !status.text().contains("hunter2"), "{}", status.text());
    app.telegram.send_text(&admin, "/monitors");
    let list = app.telegram.wait_for_text(ADMIN, "admin:•••@").await;
    assert!(!list.text().contains("hunter2"));
    app.stop().await;
}

#[tokio::test]
async fn a_password_typed_into_add_is_never_stored_or_shown_in_plaintext() {
    let app = TestApp::spawn(&[]).await;
    let admin = TgUser::new(ADMIN, "Admin");
    let (addr, seen) = recording_site().await;
    let plaintext_in_dialogues = || async {
        let rows = app
            .db
            .query_all_raw(Statement::from_string(app.db.get_database_backend(), "SELECT state FROM dialogue_states"))
            .await
            .unwrap();
        rows.iter().map(|r| r.try_get::<String>("", "state").unwrap()).any(|s| s.contains("hunter2"))
    };

    // An admin may add devices too: /add asks what, and the monitor is the first choice.
    app.telegram.send_text(&admin, "/add");
    app.telegram.wait_for_text(ADMIN, "What do you want to add?").await;
    app.telegram.press_button(&admin, &bot::callback::data(bot::core::NAME, &bot::core::Press::Add(0)));
    app.telegram.wait_for_text(ADMIN, "What should I watch?").await;
    app.telegram.send_text(&admin, "website");
    app.telegram.wait_for_text(ADMIN, "Send the address").await;
    app.telegram.send_text(&admin, &format!("http://admin:hunter2@{addr}/health"));
    app.telegram.wait_for_text(ADMIN, "How often should I check?").await;
    assert!(!plaintext_in_dialogues().await, "the dialogue keeps the password sealed");
    app.telegram.send_text(&admin, "1m");
    app.telegram.wait_for_text(ADMIN, "Alert after how many").await;
    assert!(!plaintext_in_dialogues().await);
    app.telegram.send_text(&admin, "2");
    let added = app.telegram.wait_for_text(ADMIN, "added").await;
    let id = added_id(added.text());

    // Nothing the bot sent or edited shows it; the check still authenticates with it.
    assert!(app.telegram.calls().iter().all(|c| !c.body.to_string().contains("hunter2")));
    assert!(app.telegram.calls().iter().any(|c| c.body.to_string().contains("admin:•••@")));
    force_check(&app, id).await;
    let expected = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("admin:hunter2"));
    assert!(seen.lock().unwrap().contains(&expected), "{:?}", seen.lock().unwrap());
    app.stop().await;
}
