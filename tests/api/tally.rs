//! A slice that exists only in the tests, added through `StartOptions::extra_slices`: one job kind
//! (`tally`), one member command (`/tally <n>` enqueues it; the job answers through the outbox)
//! and one developer command. It proves that adding a slice needs its own module and one
//! registration line, and nothing else: no list in any crate names it.

use std::sync::Arc;
use std::time::Duration;

use bot::{Audience, Cx};
use shared::backoff::Backoff;
use shared::jobs::{Job, JobKind, JobPolicy};
use shared::queue::Enqueue;
use worker::{Deps, JobError, Width};

use crate::fake_telegram::TgUser;
use crate::helpers::{ADMIN, TestApp, test_options};

/// Counts `n` back to the chat that asked.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Tally {
    chat_id: i64,
    n: u32,
}

impl Job for Tally {
    const QUEUE: &'static str = "tally";
    const POLICY: JobPolicy = JobPolicy {
        max_attempts: 2,
        timeout: Duration::from_secs(10),
        backoff: Backoff::new(Duration::from_secs(1), Duration::from_secs(2)),
    };
}

const JOBS: &[JobKind] = &[JobKind::of::<Tally>()];

/// The registration line's value.
fn slice() -> teleops::slices::Slice {
    teleops::slices::Slice {
        name: "tally",
        jobs: JOBS,
        bot: Some(bot_part),
        worker: Some(Arc::new(|r| {
            let deps = r.deps().clone();
            r.job::<Tally, _, _>(Width::One, move |job| count(job, deps.clone()))?;
            Ok(())
        })),
        scheduler: None,
    }
}

fn bot_part() -> bot::Slice {
    bot::Slice::new("tally").command("tally", Audience::Member, |_| "count to n through a job".into(), enqueue).command(
        "tally_dev",
        Audience::Developer,
        |_| "the developers' tally".into(),
        |cx: Cx, _| async move { cx.reply("developer tally".into()).await },
    )
}

async fn enqueue(cx: Cx, args: String) -> anyhow::Result<()> {
    let Ok(n) = args.trim().parse::<u32>() else { return cx.reply("usage: /tally <n>".into()).await };
    cx.deps.queue.enqueue(&Tally { chat_id: cx.caller.chat.0, n }, Enqueue::default()).await?;
    cx.reply(format!("tally {n} queued")).await
}

async fn count(job: Tally, deps: Arc<Deps>) -> Result<(), JobError> {
    let text = (1..=job.n).map(|i| i.to_string()).collect::<Vec<_>>().join(" ");
    shared::outbox::send(&deps.db, &deps.queue, job.chat_id, format!("tally: {text}"), None)
        .await
        .map_err(|e| JobError::Transient(e.into()))?;
    Ok(())
}

#[tokio::test]
async fn a_slice_registered_in_one_line_answers_its_command_and_runs_its_job() {
    // Arrange: the app with the tally slice; 4101 is a developer, Ann is not.
    let mut options = test_options();
    options.extra_slices.push(slice());
    let app =
        TestApp::spawn_with(&[("TELEOPS_OPEN_REGISTRATION", "true"), ("TELEOPS_DEVELOPERS", "4101")], options).await;
    let (ann, dev) = (TgUser::new(4100, "Ann"), TgUser::new(4101, "Dev"));
    for user in [&ann, &dev] {
        app.telegram.send_text(user, "/start");
        app.telegram.wait_for_text(user.id, "Welcome").await;
    }

    // Act + Assert: the command answers and its job runs, its message sent through notify.
    app.telegram.send_text(&ann, "/tally 3");
    app.telegram.wait_for_text(ann.id, "tally 3 queued").await;
    app.telegram.wait_for_text(ann.id, "tally: 1 2 3").await;

    // Help lists it; the developer command is hidden from everyone but developers.
    app.telegram.send_text(&ann, "/help");
    let help = app.telegram.wait_for_text(ann.id, "/tally — count to n").await;
    assert!(!help.text().contains("tally_dev"), "{}", help.text());
    app.telegram.send_text(&ann, "/tally_dev");
    app.telegram.wait_for_text(ann.id, "I don't know that command").await;
    app.telegram.send_text(&TgUser::new(ADMIN, "Boss"), "/tally_dev");
    app.telegram.wait_for_text(ADMIN, "I don't know that command").await;
    app.telegram.send_text(&dev, "/tally_dev");
    app.telegram.wait_for_text(dev.id, "developer tally").await;

    // The dashboard lists the slice's queue with the others.
    let counts: serde_json::Value =
        app.http.get(format!("{}/api/queues", app.dashboard)).send().await.unwrap().json().await.unwrap();
    assert!(counts.to_string().contains("\"tally\""), "{counts}");
    app.stop().await;
}

#[test]
fn no_file_outside_this_module_names_the_tally_slice() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut offenders = Vec::new();
    let mut dirs = vec![root.join("src"), root.join("shared"), root.join("bot"), root.join("worker")];
    dirs.extend([root.join("scheduler"), root.join("dashboard"), root.join("migrations"), root.join("tests")]);
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().map(Result::unwrap) {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("tests/api/tally.rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                // The module line in tests/api/main.rs is the registration of this test module.
                if text.lines().any(|l| l.contains("tally") && !l.starts_with("mod tally;")) {
                    offenders.push(path.display().to_string());
                }
            }
        }
    }
    assert!(offenders.is_empty(), "the tally slice is named outside its module: {offenders:?}");
}
