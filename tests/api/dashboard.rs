//! The dashboard over real HTTP.

use base64::Engine;
use shared::jobs::Heartbeat;
use shared::queue::Enqueue;

use crate::helpers::{TestApp, eventually};

#[tokio::test]
async fn health_reports_database_queue_and_the_heartbeat_age() {
    let app = TestApp::spawn(&[]).await;

    let res = app.http.get(format!("{}/health", app.dashboard)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["database"], "ok");
    assert_eq!(body["queue"], "ok");
    assert_eq!(body["heartbeat"], "ok", "none yet is not a failure");
    assert!(body["last_heartbeat"].is_null(), "no heartbeat yet: {body}");

    // A heartbeat job through the queue and a worker shows up in /health.
    let slot = chrono::Utc::now().timestamp() / 60 * 60;
    app.queue.enqueue(&Heartbeat { slot }, Enqueue::keyed(format!("heartbeat:0:{slot}"))).await.unwrap();
    let body = eventually("heartbeat in /health", || async {
        let body: serde_json::Value =
            app.http.get(format!("{}/health", app.dashboard)).send().await.unwrap().json().await.unwrap();
        (!body["last_heartbeat"].is_null()).then_some(body)
    })
    .await;
    assert_eq!(body["last_heartbeat"]["slot"], slot);
    assert!(body["last_heartbeat"]["age_seconds"].as_i64().unwrap() < 5);
    app.stop().await;
}

#[tokio::test]
async fn a_token_guards_everything_but_health() {
    let app = TestApp::spawn(&[("TELEOPS_DASHBOARD_TOKEN", "s3cret")]).await;
    let url = |path: &str| format!("{}{path}", app.dashboard);

    for path in ["/metrics", "/api/queues", "/api/dead", "/api/jobs", "/api/v1/queues", "/"] {
        let res = app.http.get(url(path)).send().await.unwrap();
        assert_eq!(res.status(), 401, "{path} without a token");
        let res = app.http.get(url(path)).bearer_auth("wrong").send().await.unwrap();
        assert_eq!(res.status(), 401, "{path} with a wrong token");
    }
    assert_eq!(app.http.get(url("/health")).send().await.unwrap().status(), 200);

    let res = app.http.get(url("/metrics")).bearer_auth("s3cret").send().await.unwrap();
    assert_eq!(res.status(), 200);
    let basic = base64::engine::general_purpose::STANDARD.encode("admin:s3cret");
    let res = app.http.get(url("/api/queues")).header("Authorization", format!("Basic {basic}")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let ui = app.http.get(url("/")).bearer_auth("s3cret").send().await.unwrap();
    assert_eq!(ui.status(), 200);
    assert!(ui.text().await.unwrap().contains("<html"), "the board UI is served at /");
    app.stop().await;
}

// See: issue 8 — without a token, `Host: evil.example` got 200 on /api/queues (DNS rebinding).
#[tokio::test]
async fn without_a_token_only_loopback_host_names_are_answered() {
    let app = TestApp::spawn(&[]).await;
    let url = format!("{}/api/queues", app.dashboard);

    let evil = app.http.get(&url).header("Host", "evil.example").send().await.unwrap();
    assert_eq!(evil.status(), 403);
    let port = app.dashboard.rsplit(':').next().unwrap();
    for host in [format!("127.0.0.1:{port}"), format!("localhost:{port}")] {
        let res = app.http.get(&url).header("Host", host.as_str()).send().await.unwrap();
        assert_eq!(res.status(), 200, "{host}");
    }
    app.stop().await;
}

#[tokio::test]
async fn metrics_count_jobs_by_kind_and_show_queue_depth() {
    let app = TestApp::spawn(&[]).await;
    app.queue.enqueue(&Heartbeat { slot: 60 }, Enqueue::default()).await.unwrap();

    // The counter moves when the handler returns; the row is marked done by the ack just after.
    // The scheduler's own heartbeat may be enqueued too, if a minute turns meanwhile: every
    // heartbeat enqueued has then succeeded and is done.
    let count = |text: &str, prefix: &str| {
        text.lines().find_map(|l| l.strip_prefix(prefix)).and_then(|n| n.trim().parse::<usize>().ok())
    };
    let (text, heartbeats) = eventually("the heartbeats succeeded and were acknowledged", || async {
        let text = app.http.get(format!("{}/metrics", app.dashboard)).send().await.unwrap().text().await.unwrap();
        let enqueued = count(&text, "teleops_jobs_enqueued_total{kind=\"heartbeat\"} ")?;
        let succeeded = count(&text, "teleops_jobs_succeeded_total{kind=\"heartbeat\"} ")?;
        let done = count(&text, "teleops_queue_depth{kind=\"heartbeat\",state=\"done\"} ")?;
        (enqueued == succeeded && succeeded == done).then_some((text, done))
    })
    .await;
    assert!(matches!(heartbeats, 1 | 2), "{text}");
    assert!(text.contains("teleops_job_duration_seconds_bucket{kind=\"heartbeat\""), "{text}");
    assert!(text.contains("teleops_queue_depth{kind=\"notify\",state=\"pending\"} 0"), "{text}");

    // The board's API lists the queues and their tasks from the same store.
    let res = app.http.get(format!("{}/api/v1/queues", app.dashboard)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let queues: serde_json::Value = res.json().await.unwrap();
    assert!(queues.to_string().contains("\"heartbeat\""), "{queues}");
    let url = format!("{}/api/v1/queues/heartbeat/tasks?status=Done", app.dashboard);
    let tasks: serde_json::Value = app.http.get(url).send().await.unwrap().json().await.unwrap();
    assert_eq!(tasks.as_array().map(Vec::len), Some(heartbeats), "{tasks}");
    app.stop().await;
}

#[tokio::test]
async fn a_stale_heartbeat_makes_health_unavailable() {
    use sea_orm::{ActiveModelTrait, Set};
    use shared::entities::system_state;
    let app = TestApp::spawn(&[]).await;

    // Sabotage: the last heartbeat was recorded ten minutes ago, as if the pipeline had stalled.
    system_state::ActiveModel {
        key: Set(system_state::LAST_HEARTBEAT.into()),
        value: Set("60".into()),
        updated_at: Set(chrono::Utc::now() - chrono::Duration::minutes(10)),
    }
    .insert(&app.db)
    .await
    .unwrap();

    let res = app.http.get(format!("{}/health", app.dashboard)).send().await.unwrap();
    assert_eq!(res.status(), 503);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!((body["status"].as_str(), body["heartbeat"].as_str()), (Some("unavailable"), Some("stale")));
    assert!(body["last_heartbeat"]["age_seconds"].as_i64().unwrap() >= 600);
    app.stop().await;
}

#[tokio::test]
async fn a_heartbeat_that_cannot_be_read_makes_health_unavailable() {
    use sea_orm::ConnectionTrait;
    let app = TestApp::spawn(&[]).await;

    // Sabotage: the database answers, but the heartbeat's table is gone.
    app.db.execute_unprepared("DROP TABLE system_state").await.unwrap();

    let res = app.http.get(format!("{}/health", app.dashboard)).send().await.unwrap();
    assert_eq!(res.status(), 503);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!((body["status"].as_str(), body["database"].as_str()), (Some("unavailable"), Some("ok")));
    let heartbeat = body["heartbeat"].as_str().unwrap();
    assert!(heartbeat.starts_with("error:") && heartbeat.contains("system_state"), "{body}");
    app.stop().await;
}

#[tokio::test]
async fn jobs_are_listed_read_retried_and_deleted_through_the_api_and_changes_are_audited() {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    use shared::entities::audit;
    let app = TestApp::spawn(&[]).await;
    let url = |path: &str| format!("{}{path}", app.dashboard);
    // A heartbeat job whose payload does not decode: the worker declares it dead.
    let id = app.queue.enqueue_raw("heartbeat", b"not json", 3).await.unwrap();
    let dead = eventually("the job in the dead list", || async {
        let jobs: serde_json::Value =
            app.http.get(url("/api/jobs?queue=heartbeat&state=dead")).send().await.unwrap().json().await.unwrap();
        jobs.as_array().unwrap().iter().find(|j| j["id"] == id.as_str()).cloned()
    })
    .await;
    assert_eq!((dead["state"].as_str(), dead["attempts"].as_u64()), (Some("dead"), Some(1)));
    assert!(dead["last_error"].as_str().unwrap_or("").contains("payload does not decode"), "{dead}");
    let one: serde_json::Value =
        app.http.get(url(&format!("/api/jobs/{id}"))).send().await.unwrap().json().await.unwrap();
    assert_eq!(one["queue"], "heartbeat");
    assert_eq!(app.http.get(url("/api/jobs/no-such-job")).send().await.unwrap().status(), 404);

    // Retry: it runs again (and dies again); a job that is not dead cannot be retried.
    let res = app.http.post(url(&format!("/api/jobs/{id}/retry"))).send().await.unwrap();
    assert_eq!(res.status(), 204);
    eventually("the retried job run and dead a second time", || async {
        let text = app.http.get(url("/metrics")).send().await.unwrap().text().await.unwrap();
        let job = app.queue.get(&id).await.unwrap()?;
        let twice = text.contains("teleops_jobs_dead_total{kind=\"heartbeat\"} 2");
        (twice && job.state == shared::queue::JobState::Dead && job.attempts == 1).then_some(())
    })
    .await;
    assert_eq!(app.http.post(url("/api/jobs/no-such-job/retry")).send().await.unwrap().status(), 409);

    // Delete: gone; deleting again is a conflict.
    assert_eq!(app.http.delete(url(&format!("/api/jobs/{id}"))).send().await.unwrap().status(), 204);
    assert_eq!(app.queue.get(&id).await.unwrap(), None);
    assert_eq!(app.http.delete(url(&format!("/api/jobs/{id}"))).send().await.unwrap().status(), 409);
    let audited = audit::Entity::find().filter(audit::Column::ObjectId.eq(id.as_str())).all(&app.db).await.unwrap();
    let actions: Vec<&str> = audited.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(actions, ["job.retry", "job.delete"]);
    app.stop().await;
}

#[tokio::test]
async fn a_paused_queue_takes_no_job_until_resumed_and_both_are_audited() {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    use shared::entities::audit;
    let app = TestApp::spawn(&[]).await;
    let url = |path: &str| format!("{}{path}", app.dashboard);

    assert_eq!(app.http.post(url("/api/queues/heartbeat/pause")).send().await.unwrap().status(), 204);
    assert_eq!(app.http.post(url("/api/queues/no-such-queue/pause")).send().await.unwrap().status(), 404);
    let counts: serde_json::Value = app.http.get(url("/api/queues")).send().await.unwrap().json().await.unwrap();
    let heartbeat = counts.as_array().unwrap().iter().find(|c| c["queue"] == "heartbeat").cloned().unwrap();
    assert_eq!(heartbeat["paused"], true, "{counts}");
    // Enqueued while paused: it waits. A job of another queue still runs meanwhile.
    let held = app.queue.enqueue(&Heartbeat { slot: 120 }, Enqueue::default()).await.unwrap();
    let other = app.queue.enqueue_raw("purge-queue", b"not json", 1).await.unwrap();
    eventually("the other queue's job run", || async {
        let job = app.queue.get(&other).await.unwrap()?;
        (job.state == shared::queue::JobState::Dead).then_some(())
    })
    .await;
    assert_eq!(app.queue.get(&held.id).await.unwrap().unwrap().state, shared::queue::JobState::Waiting);

    assert_eq!(app.http.post(url("/api/queues/heartbeat/resume")).send().await.unwrap().status(), 204);

    eventually("the held job run once resumed", || async {
        let job = app.queue.get(&held.id).await.unwrap()?;
        (job.state == shared::queue::JobState::Done).then_some(())
    })
    .await;
    let audited = audit::Entity::find().filter(audit::Column::ObjectId.eq("heartbeat")).all(&app.db).await.unwrap();
    let actions: Vec<&str> = audited.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(actions, ["queue.pause", "queue.resume"]);
    app.stop().await;
}
