//! Time zones and the audit log, end to end: `/timezone` shows and sets the caller's zone, times
//! are shown in it with the zone named, and every state-changing command leaves an audit row.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use sea_orm::{EntityTrait, QueryOrder};
use shared::clock::ManualClock;
use shared::entities::audit::{self, Source};

use crate::fake_telegram::TgUser;
use crate::helpers::{TestApp, test_options};

#[tokio::test]
async fn times_are_shown_in_the_callers_zone_and_changes_are_audited() {
    // Arrange: the clock reads 10:00 UTC on a summer day; the default zone is Asia/Tokyo.
    let now = Utc.with_ymd_and_hms(2026, 7, 1, 10, 0, 0).unwrap();
    let mut options = test_options();
    options.clock = Arc::new(ManualClock::new(now));
    let app =
        TestApp::spawn_with(&[("TELEOPS_OPEN_REGISTRATION", "true"), ("TELEOPS_TIMEZONE", "Asia/Tokyo")], options)
            .await;
    let ann = TgUser::new(4300, "Ann");
    app.telegram.send_text(&ann, "/start");
    app.telegram.wait_for_text(ann.id, "Welcome").await;

    // Act + Assert: the default zone, a refusal, then her own zone.
    app.telegram.send_text(&ann, "/timezone");
    app.telegram.wait_for_text(ann.id, "Your time zone is Asia/Tokyo (now 2026-07-01 19:00 Asia/Tokyo)").await;
    app.telegram.send_text(&ann, "/timezone Mars/Base");
    app.telegram.wait_for_text(ann.id, "\"Mars/Base\" is not a time zone name").await;
    app.telegram.send_text(&ann, "/timezone europe/berlin");
    app.telegram.wait_for_text(ann.id, "Time zone set to Europe/Berlin").await;

    app.telegram.send_text(&ann, "/watch tcp://127.0.0.1:9 1m");
    app.telegram.wait_for_text(ann.id, "added").await;
    let id = shared::entities::monitor::Entity::find().one(&app.db).await.unwrap().unwrap().id;
    app.telegram.send_text(&ann, &format!("/mute {id} 2h"));
    app.telegram.wait_for_text(ann.id, "muted until 2026-07-01 14:00 Europe/Berlin").await;
    app.telegram.send_text(&ann, &format!("/unwatch {id}"));
    app.telegram.wait_for_text(ann.id, "removed").await;

    let rows = audit::Entity::find().order_by_asc(audit::Column::Id).all(&app.db).await.unwrap();
    let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(actions, ["user.register", "user.timezone", "monitor.create", "monitor.mute", "monitor.delete"]);
    assert!(rows.iter().all(|r| r.source == Source::Telegram && r.actor_id == Some(ann.id) && r.at == now));
    assert_eq!(rows[1].detail.as_deref(), Some("Europe/Berlin"));
    assert_eq!(rows[2].detail.as_deref(), Some("tcp://127.0.0.1:9"));
    assert_eq!(rows[4].object_id, Some(id.to_string()));
    app.stop().await;
}
