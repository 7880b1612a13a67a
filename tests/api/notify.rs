//! Messages the system originates: outbox -> notify job -> Telegram, behind the limiter; the
//! outbox sweep sends what an enqueue lost; a 429 never uses up a message's attempts.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::EntityTrait;
use shared::clock::ManualClock;
use shared::entities::chat;
use shared::entities::outbox::{self, OutboxStatus};
use shared::jobs::{Job, Notify};
use shared::queue::{Enqueue, JobFilter, JobInfo, JobState};
use shared::ratelimit::SendLimits;

use crate::fake_telegram::{Failure, TgUser};
use crate::helpers::{TestApp, eventually, test_options, within};

async fn status_of(app: &TestApp, id: i64) -> Option<OutboxStatus> {
    outbox::Entity::find_by_id(id).one(&app.db).await.unwrap().map(|r| r.status)
}

#[tokio::test]
async fn a_chat_that_blocked_the_bot_is_recorded_and_not_retried() {
    let app = TestApp::spawn(&[]).await;
    app.telegram.fail_chat(3001, Failure::Blocked);

    let first = shared::outbox::send(&app.db, &app.queue, 3001, "first".into(), None).await.unwrap();

    eventually("first message marked blocked", || async {
        (status_of(&app, first).await == Some(OutboxStatus::Blocked)).then_some(())
    })
    .await;
    let row = chat::Entity::find_by_id(3001).one(&app.db).await.unwrap().expect("chat recorded");
    assert!(row.reason.unwrap().contains("blocked"));
    // A later message is not even attempted.
    let second = shared::outbox::send(&app.db, &app.queue, 3001, "second".into(), None).await.unwrap();
    eventually("second message marked blocked", || async {
        (status_of(&app, second).await == Some(OutboxStatus::Blocked)).then_some(())
    })
    .await;
    assert_eq!(app.telegram.messages_to(3001).len(), 1, "only the first send reached Telegram");
    let dead = app.queue.dead(10, 0).await.unwrap();
    assert!(dead.is_empty(), "a blocked chat is not a failed job: {dead:?}");

    // Any message from the chat unblocks it, not only /start.
    app.telegram.heal_chat(3001);
    app.telegram.send_text(&TgUser::new(3001, "Ann"), "hello again");
    eventually("the chat unblocked", || async {
        chat::Entity::find_by_id(3001).one(&app.db).await.unwrap().is_none().then_some(())
    })
    .await;
    let third = shared::outbox::send(&app.db, &app.queue, 3001, "third".into(), None).await.unwrap();
    eventually("third message sent", || async {
        (status_of(&app, third).await == Some(OutboxStatus::Sent)).then_some(())
    })
    .await;
    app.stop().await;
}

// See: issue 8 — Telegram's "Forbidden: bot can't initiate conversation" made dead jobs.
#[tokio::test]
async fn a_user_who_never_started_the_bot_is_recorded_as_unreachable() {
    let app = TestApp::spawn(&[]).await;
    app.telegram.fail_chat(3005, Failure::NeverStarted);

    let id = shared::outbox::send(&app.db, &app.queue, 3005, "hello".into(), None).await.unwrap();

    eventually("the message marked blocked", || async {
        (status_of(&app, id).await == Some(OutboxStatus::Blocked)).then_some(())
    })
    .await;
    assert!(chat::Entity::find_by_id(3005).one(&app.db).await.unwrap().is_some(), "chat recorded");
    assert!(app.queue.dead(10, 0).await.unwrap().is_empty(), "not a dead job");
    app.stop().await;
}

#[tokio::test]
async fn retry_after_is_honoured_and_nothing_is_lost() {
    let app = TestApp::spawn(&[]).await;
    app.telegram.fail_chat(3002, Failure::RetryAfter { seconds: 1, times: 2 });

    let id = shared::outbox::send(&app.db, &app.queue, 3002, "patience".into(), None).await.unwrap();

    eventually("message sent", || async { (status_of(&app, id).await == Some(OutboxStatus::Sent)).then_some(()) })
        .await;
    let attempts = app.telegram.messages_to(3002);
    assert_eq!(attempts.len(), 3, "two 429s, then the send");
    for pair in attempts.windows(2) {
        let gap = pair[1].at - pair[0].at;
        assert!(gap >= Duration::from_millis(950), "waited only {gap:?} after a retry-after of 1 s");
    }
    assert!(attempts.iter().all(|c| c.text() == "patience"));
    app.stop().await;
}

#[tokio::test]
async fn buttons_reach_telegram_and_the_row_records_the_message_id() {
    let app = TestApp::spawn(&[]).await;
    let buttons = vec![vec![shared::outbox::Button { text: "Ack".into(), data: "ack:1".into() }]];

    let id = shared::outbox::send(&app.db, &app.queue, 3003, "alert".into(), Some(buttons)).await.unwrap();

    let call = app.telegram.wait_for_text(3003, "alert").await;
    assert_eq!(call.body["reply_markup"]["inline_keyboard"][0][0]["callback_data"], "ack:1");
    let row = eventually("row marked sent", || async {
        outbox::Entity::find_by_id(id).one(&app.db).await.unwrap().filter(|r| r.status == OutboxStatus::Sent)
    })
    .await;
    assert!(row.message_id.is_some() && row.sent_at.is_some());
    app.stop().await;
}

/// The notify job keyed `key`.
async fn notify_job(app: &TestApp, key: &str) -> Option<JobInfo> {
    app.queue.list(&JobFilter::queue(Notify::QUEUE).key(key), 1, 0).await.unwrap().pop()
}

/// Its state.
async fn job_state(app: &TestApp, key: &str) -> Option<JobState> {
    notify_job(app, key).await.map(|j| j.state)
}

// See: issue 8, finding 11 — after a `kill -9`, a notify job delivered again sent its alert twice.
#[tokio::test]
async fn a_notify_job_delivered_again_sends_nothing() {
    // Arrange: a message sent; once its job is acknowledged the row already says sent.
    let app = TestApp::spawn(&[]).await;
    let id = shared::outbox::send(&app.db, &app.queue, 3006, "once".into(), None).await.unwrap();
    app.telegram.wait_for_text(3006, "once").await;
    let key = shared::outbox::notify_key(id);
    eventually("the job done", || async { (job_state(&app, &key).await == Some(JobState::Done)).then_some(()) }).await;
    let sent = outbox::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap();
    assert_eq!(sent.status, OutboxStatus::Sent, "the row is marked sent before the job is acknowledged");

    // Act: the same outbox id is delivered again (under another key: the queue holds one job a key).
    let again = format!("{key}:again");
    app.queue.enqueue(&Notify { outbox_id: id }, Enqueue::keyed(&again)).await.unwrap();

    // Assert: that job finishes without sending; the row is as it was.
    eventually("the second job done", || async {
        (job_state(&app, &again).await == Some(JobState::Done)).then_some(())
    })
    .await;
    assert_eq!(app.telegram.messages_to(3006).len(), 1, "Telegram got the message once");
    assert_eq!(outbox::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap(), sent);
    app.stop().await;
}

// See: issue 8, finding 2 — alerts waited in the same line as a busy group.
#[tokio::test]
async fn a_message_to_a_group_over_its_budget_does_not_hold_the_worker() {
    // Arrange: one notify worker, and groups allowed two messages a minute.
    let limits = SendLimits { global_per_sec: 30, chat_interval: Duration::from_millis(5), group_per_min: 2 };
    let options = teleops::StartOptions { send_limits: limits, ..test_options() };
    let app = TestApp::spawn_with(&[("TELEOPS_WORKER_CONCURRENCY", "1")], options).await;
    let group = -100_888;

    // Act: three messages to the group, then one to a private chat.
    let mut ids = Vec::new();
    for n in 1..=3 {
        ids.push(shared::outbox::send(&app.db, &app.queue, group, format!("group {n}"), None).await.unwrap());
    }
    app.telegram.wait_for_n("the group's two of the minute", 2, |c| c.chat_id() == Some(group)).await;
    let third = shared::outbox::notify_key(ids[2]);
    eventually("the third rescheduled for the group's turn", || async {
        (job_state(&app, &third).await == Some(JobState::Retrying)).then_some(())
    })
    .await;
    shared::outbox::send(&app.db, &app.queue, 3007, "private".into(), None).await.unwrap();

    // Assert: the private message goes out at once; the group's third waits in the queue.
    let private = || async { app.telegram.messages_to(3007).pop() };
    within(Duration::from_secs(10), "the private message", private, String::new).await;
    assert_eq!(app.telegram.messages_to(group).len(), 2);
    assert_eq!(status_of(&app, ids[2]).await, Some(OutboxStatus::Pending));
    app.stop().await;
}

/// Notify jobs in the queue, by idempotency key.
async fn notify_jobs(app: &TestApp) -> Vec<String> {
    let jobs = app.queue.list(&JobFilter::queue(Notify::QUEUE), 1_000, 0).await.unwrap();
    jobs.into_iter().filter_map(|j| j.idempotency_key).collect()
}

#[tokio::test]
async fn a_message_whose_enqueue_failed_is_sent_by_the_outbox_sweep_once() {
    let clock = ManualClock::new(chrono::Utc::now());
    let options = teleops::StartOptions { clock: Arc::new(clock.clone()), ..test_options() };
    let app = TestApp::spawn_with(&[], options).await;
    // Sabotage: the queue refuses notify jobs, as a full disk or a locked file would.
    crate::sabotage::refuse_enqueues(&app.queue, app.queue_url(), Notify::QUEUE).await;

    let id = shared::outbox::send(&app.db, &app.queue, 3004, "not lost".into(), None).await.unwrap();

    assert_eq!(status_of(&app, id).await, Some(OutboxStatus::Pending), "the row is stored");
    assert!(notify_jobs(&app).await.is_empty(), "but no job was enqueued");
    crate::sabotage::allow_enqueues(&app.queue, app.queue_url(), Notify::QUEUE).await;
    // Past the grace, the sweep (run by the scheduler, on its clock) enqueues it.
    clock.advance(chrono::Duration::seconds(60));
    app.telegram.wait_for_text(3004, "not lost").await;
    eventually("row marked sent", || async { (status_of(&app, id).await == Some(OutboxStatus::Sent)).then_some(()) })
        .await;

    // Later sweeps and a second enqueue by the usual path add nothing: one job, one message.
    clock.advance(chrono::Duration::seconds(60));
    shared::outbox::enqueue(&app.queue, id).await;
    eventually("the one job done", || async {
        let counts = app.queue.counts(&[Notify::QUEUE]).await.unwrap();
        let n = counts.into_iter().find(|c| c.queue == Notify::QUEUE).unwrap();
        ((n.pending, n.running, n.done) == (0, 0, 1)).then_some(())
    })
    .await;
    assert_eq!(notify_jobs(&app).await, vec![shared::outbox::notify_key(id)]);
    assert_eq!(app.telegram.messages_to(3004).len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn more_retry_afters_than_attempts_still_deliver_the_message() {
    let app = TestApp::spawn(&[]).await;
    let floods = Notify::POLICY.max_attempts + 1;
    // One-second waits keep the test short while leaving each rescheduled job in sight for a
    // moment (the Redis store runs a zero-second deferral again within milliseconds).
    app.telegram.fail_chat(3005, Failure::RetryAfter { seconds: 1, times: floods });

    let id = shared::outbox::send(&app.db, &app.queue, 3005, "flood".into(), None).await.unwrap();

    // Between 429s the job is back in the queue, rescheduled by the runner, not waiting in its handler.
    eventually("the job rescheduled after a 429", || async {
        let job = notify_job(&app, &shared::outbox::notify_key(id)).await.expect("the notify job");
        let deferred = job.last_error.is_some_and(|l| l.contains("retry after"));
        (job.state == JobState::Retrying && deferred).then_some(())
    })
    .await;
    // Each deferral waits for the next whole second and a poll: on a loaded 2-core machine nine of
    // them have taken 27 s, so this wait gets a longer deadline than the usual 30 s.
    let sent = || async { (status_of(&app, id).await == Some(OutboxStatus::Sent)).then_some(()) };
    within(Duration::from_secs(120), "message sent", sent, String::new).await;
    assert_eq!(app.telegram.messages_to(3005).len() as u32, floods + 1, "every 429, then the send");
    let (attempts, max_attempts) = eventually("the job done", || async {
        let job = notify_job(&app, &shared::outbox::notify_key(id)).await.expect("the notify job");
        (job.state == JobState::Done).then_some((job.attempts, job.max_attempts))
    })
    .await;
    assert_eq!(max_attempts - attempts, Notify::POLICY.max_attempts - 1, "only the send used an attempt");
    assert!(app.queue.dead(10, 0).await.unwrap().is_empty());
    app.stop().await;
}
