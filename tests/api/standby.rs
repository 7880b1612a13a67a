//! Two bot processes of one installation: the second waits as a standby instead of polling
//! Telegram too (which makes both fail with 409 Conflict), and takes over within 10 s when the
//! first dies.

use std::time::{Duration, Instant};

use teleops::Role;

use crate::fake_telegram::TgUser;
use crate::helpers::{TestApp, test_options};

#[tokio::test]
async fn a_second_bot_waits_as_a_standby_and_takes_over_within_10_s_when_the_first_dies() {
    let mut app = TestApp::spawn(&[("TELEOPS_OPEN_REGISTRATION", "true")]).await;
    let ann = TgUser::new(6001, "Ann");
    app.telegram.send_text(&ann, "/start");
    app.telegram.wait_for_text(ann.id, "Welcome").await;
    // A second bot process of the same installation.
    let ctx = teleops::prepare(app.settings().clone(), Role::Bot, &test_options()).await.expect("prepare");
    let standby = teleops::start(ctx, Role::Bot, test_options()).await.expect("start");

    // While the first lives, each message is answered once: only one bot polls.
    let bob = TgUser::new(6002, "Bob");
    app.telegram.send_text(&bob, "/start");
    app.telegram.wait_for_text(bob.id, "Welcome").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(app.telegram.messages_to(bob.id).len(), 1, "answered once");

    app.crash();
    let died = Instant::now();
    let cid = TgUser::new(6003, "Cid");
    app.telegram.send_text(&cid, "/start");
    app.telegram.wait_for_text(cid.id, "Welcome").await;

    let took = died.elapsed();
    assert!(took <= Duration::from_secs(10), "the standby answered {took:?} after the first bot died");
    eprintln!("standby: took over and answered {took:?} after the first bot died");
    standby.stop().await.expect("clean stop");
}
