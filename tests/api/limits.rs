//! Telegram's limits hold across processes: two `teleops worker` processes sending through one
//! Redis keep ~30 messages/s in all and 1/s per chat, and a 429 seen by one holds the other's
//! sends too. Arrival times are read at the fake Bot API server.

use std::time::Duration;

use shared::metrics::Metrics;
use shared::queue::Queue;
use shared::queue::redis::RedisQueue;

use crate::fake_telegram::{Call, Failure, FakeTelegram};
use crate::helpers::install_test_key;
use crate::processes::{Process, Servers};

fn sends(telegram: &FakeTelegram) -> Vec<Call> {
    telegram.calls().into_iter().filter(|c| c.method == "sendmessage").collect()
}

/// Two workers sending through `telegram`.
fn workers(servers: &Servers, telegram: &FakeTelegram) -> [Process; 2] {
    let worker = || {
        let mut command = servers.command("worker");
        command
            .env("TELEOPS_BOT_TOKEN", "123456:TEST-token-for-the-fake")
            .env("TELEOPS_TELEGRAM_API_URL", &telegram.url);
        Process(command.spawn().expect("teleops worker starts"))
    };
    [worker(), worker()]
}

#[tokio::test]
async fn two_workers_keep_30_per_second_in_all_1_per_second_per_chat_and_share_a_429() {
    let Some(servers) = Servers::start().await else { return };
    install_test_key();
    let telegram = FakeTelegram::start().await;
    let db = shared::db::connect(&servers.pg.url).await.unwrap();
    let queue = Queue::redis(RedisQueue::connect(&servers.redis.url, "teleops:").await.unwrap(), Metrics::new());
    let one_chat = 7000;
    let many: Vec<i64> = (7001..=7090).collect();
    for i in 0..5 {
        shared::outbox::send(&db, &queue, one_chat, format!("to one chat {i}"), None).await.unwrap();
    }
    for chat in &many {
        shared::outbox::send(&db, &queue, *chat, format!("to chat {chat}"), None).await.unwrap();
    }

    let _workers = workers(&servers, &telegram);
    let first = telegram.wait_for_n("every message sent", 95, |c| c.method == "sendmessage").await;

    let mut times: Vec<_> = first.iter().map(|c| c.at).collect();
    times.sort();
    // Booked turns are 1/30 s apart, so 31 sends in a row span a second and 61 two seconds; a
    // process starved of CPU can send a turn late and squeeze the next ones, hence the 200 ms of
    // slack. Two processes with limits of their own send 60/s: 31 in about 0.5 s, 61 in about 1 s.
    let span = |n: usize| times.windows(n).map(|w| w[n - 1] - w[0]).min().expect("enough sends");
    let (tightest, tightest_61) = (span(31), span(61));
    assert!(tightest >= Duration::from_millis(800), "31 sends within {tightest:?}");
    assert!(tightest_61 >= Duration::from_millis(1800), "61 sends within {tightest_61:?}");
    let to_one: Vec<_> = first.iter().filter(|c| c.chat_id() == Some(one_chat)).map(|c| c.at).collect();
    assert_eq!(to_one.len(), 5);
    // A second apart by the booking; per-process limits let both processes write at once.
    let closest = to_one.windows(2).map(|w| w[1] - w[0]).min().unwrap();
    assert!(closest >= Duration::from_millis(800), "two sends to one chat {closest:?} apart");
    eprintln!(
        "limits: 95 sends; 31 in a row took at least {tightest:?}, 61 {tightest_61:?}; one chat's closest {closest:?}"
    );

    // A 429 answered to one worker holds both.
    telegram.fail_chat(one_chat, Failure::RetryAfter { seconds: 2, times: 1 });
    shared::outbox::send(&db, &queue, one_chat, "after the 429".into(), None).await.unwrap();
    let refused = telegram.wait_for("the 429", |c| c.chat_id() == Some(one_chat) && c.text() == "after the 429").await;
    for chat in &many[..20] {
        shared::outbox::send(&db, &queue, *chat, "after the pause".into(), None).await.unwrap();
    }
    let after = telegram.wait_for_n("the rest sent", 21, |c| c.at > refused.at && c.method == "sendmessage").await;

    let soonest = after.iter().map(|c| c.at - refused.at).min().unwrap();
    assert!(soonest >= Duration::from_millis(1900), "a send {soonest:?} after the 429 asked for 2 s");
    assert_eq!(sends(&telegram).len(), 95 + 1 + 21, "every message went out once, the refused one again");
    eprintln!("limits: the first send after a 2 s retry-after came {soonest:?} after it");
}
