//! Monitor options end to end: `/set` shows and changes them with clear refusals, and a changed
//! option changes what the next check does; certificate warnings and the "ICMP not permitted"
//! notice reach Telegram.

use shared::monitoring::alerts::Health;
use shared::monitoring::options::HttpMethod;

use crate::fake_telegram::TgUser;
use crate::helpers::{ADMIN, TempDir, TestApp, eventually, test_options};
use crate::monitoring::{FlipServer, added_id, force_check, monitor_row};

async fn registered(app: &TestApp, user: &TgUser) {
    app.telegram.send_text(user, "/start");
    app.telegram.wait_for_text(user.id, "Welcome").await;
}

/// Sends `command` and waits for a reply after it that contains `needle`.
async fn ask(app: &TestApp, user: &TgUser, command: &str, needle: &str) -> String {
    let before = app.telegram.messages_to(user.id).len();
    app.telegram.send_text(user, command);
    let found = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        loop {
            let after = app.telegram.messages_to(user.id).split_off(before);
            if let Some(reply) = after.iter().find(|c| c.text().contains(needle)) {
                return reply.text().to_owned();
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await;
    found.unwrap_or_else(|_| {
        let after: Vec<String> =
            app.telegram.messages_to(user.id).split_off(before).iter().map(|c| c.text().to_owned()).collect();
        panic!("{command} got {after:?}, expected {needle:?}")
    })
}

#[tokio::test]
async fn set_shows_and_changes_options_and_refuses_bad_values() {
    let app = TestApp::spawn(&[("TELEOPS_OPEN_REGISTRATION", "true")]).await;
    let site = FlipServer::start().await;
    let ann = TgUser::new(4101, "Ann");
    registered(&app, &ann).await;
    let id = added_id(&ask(&app, &ann, &format!("/watch {} 30s", site.url), "added").await);
    let tcp = added_id(&ask(&app, &ann, "/watch tcp://127.0.0.1:9", "added").await);

    ask(&app, &ann, "/set", "Usage: /set <id> <option> <value>").await;
    ask(&app, &ann, "/set 987654 timeout 5s", "Monitor #987654 not found").await;
    let shown = ask(&app, &ann, &format!("/set {id}"), &format!("Options of #{id}")).await;
    assert!(shown.contains("expect 200-399") && shown.contains("method GET") && shown.contains("cert_warn 14"));
    ask(&app, &ann, &format!("/set {id} colour red"), "There is no option \"colour\"").await;
    ask(&app, &ann, &format!("/set {id} timeout 2m"), "does not work for timeout").await;
    ask(&app, &ann, &format!("/set {id} timeout 30s"), "shorter than the interval").await;
    ask(&app, &ann, &format!("/set {id} expect 600"), "does not work for expect").await;
    ask(&app, &ann, &format!("/set {tcp} method HEAD"), "website (HTTP) monitors only").await;
    ask(&app, &ann, &format!("/set {id} down_after"), "a value is missing").await;

    ask(&app, &ann, &format!("/set {id} expect 2xx"), &format!("Monitor #{id}: expect 200-299")).await;
    ask(&app, &ann, &format!("/set {id} method head"), "method HEAD").await;
    ask(&app, &ann, &format!("/set {id} down_after 1"), "down_after 1").await;
    ask(&app, &ann, &format!("/set {id} repeat 30m"), "repeat 30m").await;
    ask(&app, &ann, &format!("/set {id} timeout 3s"), "timeout 3s").await;
    let m = monitor_row(&app, id).await;
    assert_eq!((m.expect_min, m.expect_max, m.http_method), (200, 299, HttpMethod::Head));
    assert_eq!((m.down_after, m.repeat_secs, m.timeout_ms), (1, Some(1800), 3000));

    // Another user's monitor is not found, and nothing changes.
    let bob = TgUser::new(4102, "Bob");
    registered(&app, &bob).await;
    ask(&app, &bob, &format!("/set {id} expect 500"), &format!("Monitor #{id} not found")).await;
    assert_eq!(monitor_row(&app, id).await.expect_min, 200);

    // A keyword the page lacks: with down_after 1, the next check is DOWN and says why.
    ask(&app, &ann, &format!("/set {id} method GET"), "method GET").await;
    ask(&app, &ann, &format!("/set {id} keyword maintenance"), "keyword \"maintenance\"").await;
    force_check(&app, id).await;
    let down = app.telegram.wait_for_text(ann.id, &format!("DOWN #{id}")).await;
    assert!(down.text().contains("keyword"), "{}", down.text());
    ask(&app, &ann, &format!("/set {id} keyword off"), "keyword off").await;
    force_check(&app, id).await;
    app.telegram.wait_for_text(ann.id, &format!("UP #{id}")).await;
    app.stop().await;
}

#[tokio::test]
async fn a_certificate_close_to_expiry_is_announced_once() {
    let (ca_pem, config) = worker::testing::pki(5);
    let port = worker::testing::serve_tls(config).await;
    let dir = TempDir::new();
    let ca_file = dir.0.join("ca.pem");
    std::fs::write(&ca_file, ca_pem).unwrap();
    let app =
        TestApp::spawn(&[("TELEOPS_OPEN_REGISTRATION", "true"), ("TELEOPS_CA_FILE", ca_file.to_str().unwrap())]).await;
    let ann = TgUser::new(4103, "Ann");
    registered(&app, &ann).await;
    let id = added_id(&ask(&app, &ann, &format!("/watch https://localhost:{port}/ 10s"), "added").await);

    let m = force_check(&app, id).await;
    assert_eq!(m.health, Health::Up, "the site works: {:?}", m.last_reason);
    let warning = app.telegram.wait_for_text(ann.id, "certificate expires in").await;
    assert!(
        warning.text().contains(&format!("#{id}")) && warning.text().contains("in 4 day")
            || warning.text().contains("in 5 day")
    );
    force_check(&app, id).await;
    let warnings = app.telegram.messages_to(ann.id).iter().filter(|c| c.text().contains("certificate expires")).count();
    assert_eq!(warnings, 1, "once per threshold");
    app.stop().await;
}

#[tokio::test]
async fn where_icmp_is_not_permitted_ping_monitors_say_so_and_admins_are_told_once() {
    let options = teleops::StartOptions { icmp: false, ..test_options() };
    let app = TestApp::spawn_with(&[("TELEOPS_OPEN_REGISTRATION", "true")], options).await;
    let ann = TgUser::new(4104, "Ann");
    registered(&app, &ann).await;
    let id = added_id(&ask(&app, &ann, "/watch 127.0.0.1 10s", "added").await);

    for _ in 0..2 {
        let m = force_check(&app, id).await;
        assert_eq!(m.last_reason.as_deref(), Some("icmp_unavailable"));
        assert_eq!((m.health, m.fail_streak), (Health::Pending, 0), "not the host's fault: no state change");
    }
    let notice = app.telegram.wait_for_text(ADMIN, "may not open ICMP sockets").await;
    assert!(notice.text().contains("setcap cap_net_raw+ep"), "{}", notice.text());
    ask(&app, &ann, &format!("/status {id}"), "ICMP not permitted here").await;
    ask(&app, &ann, "/monitors", "🚫 ICMP not permitted here").await;
    let notices = eventually("the notice to settle", || async {
        Some(app.telegram.messages_to(ADMIN).iter().filter(|c| c.text().contains("ICMP sockets")).count())
    })
    .await;
    assert_eq!(notices, 1, "admins are told once");
    assert!(app.telegram.messages_to(ann.id).iter().all(|c| !c.text().contains("DOWN")), "no DOWN alert");
    app.stop().await;
}

#[tokio::test]
async fn admins_are_told_about_icmp_only_once_the_notice_is_stored() {
    use sea_orm::EntityTrait;
    let options = teleops::StartOptions { icmp: false, ..test_options() };
    let app = TestApp::spawn_with(&[("TELEOPS_OPEN_REGISTRATION", "true")], options).await;
    let ann = TgUser::new(4105, "Ann");
    registered(&app, &ann).await;
    let id = added_id(&ask(&app, &ann, "/watch 127.0.0.1 10s", "added").await);
    // Sabotage: the outbox refuses the admin's notice.
    let when = format!("NEW.chat_id = {ADMIN}");
    crate::sabotage::refuse_inserts(&app.db, "refuse_notice", "outbox", &when, "outbox sabotaged by the test").await;

    force_check(&app, id).await;
    eventually("the check job to hit the sabotage", || async {
        let jobs = app.queue.list(&shared::queue::JobFilter::queue("check"), 10_000, 0).await.unwrap();
        jobs.iter().filter_map(|j| j.last_error.as_deref()).any(|e| e.contains("outbox sabotaged")).then_some(())
    })
    .await;
    let told = shared::entities::system_state::Entity::find_by_id("icmp_unavailable_told".to_owned())
        .one(&app.db)
        .await
        .unwrap();
    assert!(told.is_none(), "not recorded as told while the notice could not be stored");

    // Once the outbox works again, the next check tells them.
    crate::sabotage::allow_inserts(&app.db, "refuse_notice", "outbox").await;
    force_check(&app, id).await;
    let notice = app.telegram.wait_for_text(ADMIN, "may not open ICMP sockets").await;
    assert!(notice.text().contains("setcap"), "{}", notice.text());
    app.stop().await;
}
