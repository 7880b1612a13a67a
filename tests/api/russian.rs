//! Everything a Russian user reads is Russian (issue 8): durations typed and shown with Russian
//! units, a failed check's reason and state in alerts and `/status`, uptime windows that say
//! since when, and a waiting user's menu of `/start` and `/help` only.

use crate::fake_telegram::{Call, TgUser};
use crate::helpers::{ADMIN, TestApp};
use crate::monitoring::{added_id, force_check};

/// Words a Russian reply must not have: English reasons, states and units.
const ENGLISH: [&str; 10] =
    ["refused", "connection", "timeout", "DOWN", "PENDING", "UP ", "since", "Uptime", "24h", "10s"];

fn english_in(text: &str) -> Vec<&'static str> {
    ENGLISH.iter().copied().filter(|w| text.contains(w)).collect()
}

// See: issue 8 — "Не могу следить за этим: ... is not a valid URL", "— connection refused",
// "проверка каждые 10s".
#[tokio::test]
async fn a_russian_user_watches_with_russian_words_and_reads_a_failed_check_in_russian() {
    // Arrange: Иван, and a port nobody listens on (every check is a quick refusal).
    let app = TestApp::spawn(&[("TELEOPS_OPEN_REGISTRATION", "true")]).await;
    let ivan = TgUser::new(8001, "Иван").russian();
    app.telegram.send_text(&ivan, "/start");
    app.telegram.wait_for_text(ivan.id, "Добро пожаловать").await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();

    // Act: a bad target, then a good one with the interval in Russian words.
    app.telegram.send_text(&ivan, "/watch http://");
    let bad = app.telegram.wait_for_text(ivan.id, "Не могу следить").await;
    app.telegram.send_text(&ivan, &format!("/watch tcp://127.0.0.1:{port} 7 минут"));
    let added = app.telegram.wait_for_text(ivan.id, "добавлен").await;
    let id = added_id(added.text());
    force_check(&app, id).await;
    force_check(&app, id).await;
    let alert = app.telegram.wait_for_text(ivan.id, &format!("#{id} tcp://")).await;
    app.telegram.send_text(&ivan, &format!("/status {id}"));
    let status = app.telegram.wait_for_text(ivan.id, "Доступность").await;

    // Assert
    assert!(!bad.text().contains("not a valid"), "{}", bad.text());
    assert!(added.text().contains("проверка каждые 7 мин"), "{}", added.text());
    assert!(alert.text().contains("соединение отклонено"), "{}", alert.text());
    assert!(!alert.text().contains("refused"), "{}", alert.text());
    assert!(
        status.text().contains("🔴 недоступен") && status.text().contains("❌ соединение отклонено"),
        "{}",
        status.text()
    );
    // The monitor is minutes old: every window says since when, in the user's zone.
    assert!(status.text().contains("24 ч ") && status.text().contains("30 д "), "{}", status.text());
    assert_eq!(status.text().matches("(с ").count(), 3, "{}", status.text());
    assert!(status.text().contains(" UTC)"), "{}", status.text());
    assert_eq!(english_in(status.text()), Vec::<&str>::new(), "{}", status.text());
    let row = crate::monitoring::monitor_row(&app, id).await;
    assert_eq!((row.interval_secs, row.last_reason.as_deref()), (420, Some("refused")), "stored typed, not in words");
    app.stop().await;
}

fn commands(call: &Call) -> Vec<String> {
    call.body["commands"].as_array().unwrap().iter().map(|c| c["command"].as_str().unwrap().to_owned()).collect()
}

// See: issue 8 — pending and rejected users get a menu of /start and /help only.
#[tokio::test]
async fn a_waiting_users_menu_is_start_and_help_until_approved() {
    // Arrange
    let app = TestApp::spawn(&[]).await;
    let olga = TgUser::new(8002, "Ольга").russian();
    let menu_of = |user: i64| move |c: &Call| c.method == "setmycommands" && c.body["scope"]["chat_id"] == user;

    // Act: Olga registers and waits.
    app.telegram.send_text(&olga, "/start");
    app.telegram.wait_for_text(olga.id, "отправлен администраторам").await;
    let menu = app.telegram.wait_for("Olga's own menu", menu_of(olga.id)).await;
    app.telegram.send_text(&olga, "/help");
    let help = app.telegram.wait_for_text(olga.id, "Команды:").await;

    // Assert: only /start and /help, in Russian, in the menu and in /help.
    assert_eq!(commands(&menu), ["start", "help"]);
    assert_eq!(menu.body["commands"][1]["description"], "доступные вам команды");
    let listed: Vec<&str> = help.text().lines().filter(|l| l.starts_with('/')).collect();
    assert_eq!(listed.len(), 2, "{}", help.text());

    // The admin's request names when it was asked, with the zone.
    let request = app.telegram.wait_for_text(ADMIN, "Access request from Ольга").await;
    assert!(request.text().contains(" UTC."), "{}", request.text());

    // Approval takes the menu away, so the members' menu shows again.
    app.telegram.press_button(&TgUser::new(ADMIN, "Boss"), &bot::admin::Decision::Approve(olga.id).data());
    let removed = app
        .telegram
        .wait_for("Olga's menu removed", |c| c.method == "deletemycommands" && c.body["scope"]["chat_id"] == olga.id)
        .await;
    assert_eq!(removed.body["scope"]["type"], "chat");
    app.stop().await;
}

#[tokio::test]
async fn a_rejected_user_keeps_the_waiting_menu() {
    let app = TestApp::spawn(&[]).await;
    let petr = TgUser::new(8003, "Пётр").russian();
    app.telegram.send_text(&petr, "/start");
    app.telegram.wait_for_text(ADMIN, "Access request from Пётр").await;

    app.telegram.press_button(&TgUser::new(ADMIN, "Boss"), &bot::admin::Decision::Reject(petr.id).data());
    app.telegram.wait_for_text(petr.id, "отклонён").await;

    let menus = app.telegram.wait_for_n("two menus for Пётр", 2, |c| {
        c.method == "setmycommands" && c.body["scope"]["chat_id"] == petr.id
    });
    assert!(menus.await.iter().all(|m| commands(m) == ["start", "help"]));
    assert!(!app.telegram.calls().iter().any(|c| c.method == "deletemycommands"));
    app.stop().await;
}
