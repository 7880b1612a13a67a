//! Schema migrations keep data: results stored by an earlier schema survive the change to the
//! compact one with their times intact.

use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};
use shared::entities::check_result;

use crate::helpers::TempDir;

#[tokio::test]
async fn results_stored_before_the_compact_schema_are_kept() {
    use migrations::MigratorTrait;
    let dir = TempDir::new();
    let db = shared::db::connect(&format!("sqlite://{}?mode=rwc", dir.0.join("t.db").display())).await.unwrap();
    migrations::Migrator::up(&db, Some(3)).await.unwrap();
    // As the m0002 schema stored them: text timestamps (sqlx's chrono format) and a row id.
    db.execute_unprepared(
        "INSERT INTO check_results (monitor_id, at, ok, latency_ms, reason) VALUES
           (7, '2026-11-22 02:40:23.123456789+00:00', 1, 12, NULL),
           (7, '2026-11-22 02:41:23+00:00', 0, NULL, 'HTTP 503'),
           (9, '2026-11-21 23:59:59.5+00:00', 1, 3, NULL)",
    )
    .await
    .unwrap();

    migrations::Migrator::up(&db, None).await.unwrap();

    let rows = check_result::Entity::find().order_by_asc(check_result::Column::At).all(&db).await.unwrap();
    type Row<'a> = (i64, i64, bool, Option<i32>, Option<&'a str>);
    let got: Vec<Row> = rows.iter().map(|r| (r.monitor_id, r.at, r.ok, r.latency_ms, r.reason.as_deref())).collect();
    let secs = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp();
    assert_eq!(
        got,
        vec![
            (9, secs("2026-11-21T23:59:59Z"), true, Some(3), None),
            (7, secs("2026-11-22T02:40:23Z"), true, Some(12), None),
            (7, secs("2026-11-22T02:41:23Z"), false, None, Some("HTTP 503")),
        ]
    );
}
