//! Schema migrations keep data and run on both backends: results stored by an earlier schema
//! survive the change to the compact one with their times intact, and monitors checked before
//! `last_status` existed get it from what they hold, on SQLite and on a real Postgres, where every
//! migration also goes down and up again.

use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder, QuerySelect};
use shared::entities::{check_result, monitor};
use shared::monitoring::alerts::CheckStatus;

use crate::helpers::TempDir;

#[tokio::test]
async fn results_stored_before_the_compact_schema_are_kept_on_sqlite() {
    let dir = TempDir::new();
    let db = shared::db::connect(&format!("sqlite://{}?mode=rwc", dir.0.join("t.db").display())).await.unwrap();
    results_survive_compaction(&db).await;
}

#[tokio::test]
async fn every_migration_runs_on_postgres_up_down_and_up_again() {
    use migrations::MigratorTrait;
    let Some(pg) = crate::postgres::PgServer::start().await else { return };
    let db = shared::db::connect(&pg.url).await.unwrap();
    results_survive_compaction(&db).await;
    migrations::Migrator::down(&db, None).await.unwrap();
    migrations::Migrator::up(&db, None).await.unwrap();
    assert_eq!(migrations::Migrator::get_pending_migrations(&db).await.unwrap().len(), 0);
    db.close().await.unwrap();
}

#[tokio::test]
async fn last_status_is_filled_in_from_earlier_checks_on_sqlite() {
    let dir = TempDir::new();
    let db = shared::db::connect(&format!("sqlite://{}?mode=rwc", dir.0.join("t.db").display())).await.unwrap();
    last_status_comes_from_the_last_check(&db).await;
}

#[tokio::test]
async fn last_status_is_filled_in_from_earlier_checks_on_postgres() {
    let Some(pg) = crate::postgres::PgServer::start().await else { return };
    let db = shared::db::connect(&pg.url).await.unwrap();
    last_status_comes_from_the_last_check(&db).await;
    db.close().await.unwrap();
}

async fn last_status_comes_from_the_last_check(db: &sea_orm::DatabaseConnection) {
    use migrations::MigratorTrait;
    migrations::Migrator::up(db, Some(4)).await.unwrap();
    // As m0004 stored them: ICMP refused here, down, up, and never checked.
    let monitor = |id: i64, checked: &str, reason: &str| {
        format!(
            "({id}, 1, 1, 'ping', 'host{id}', 60, 10000, 'GET', 200, 399, TRUE, 2, 1, 14, FALSE, 'pending', 0, 0, \
             {checked}, {reason}, '2026-11-22 02:41:00+00:00', 0, '2026-11-22 02:00:00+00:00')"
        )
    };
    let at = "'2026-11-22 02:40:00+00:00'";
    let rows = [
        monitor(1, at, "'ICMP not permitted here'"),
        monitor(2, at, "'ping loss 3/3'"),
        monitor(3, at, "NULL"),
        monitor(4, "NULL", "NULL"),
    ];
    db.execute_unprepared(&format!(
        "INSERT INTO monitors (id, owner_id, chat_id, kind, target, interval_secs, timeout_ms, http_method, \
         expect_min, expect_max, keyword_must_contain, down_after, up_after, cert_warn_days, paused, health, \
         fail_streak, ok_streak, last_checked_at, last_reason, next_run_at, skipped_slots, created_at) VALUES {}",
        rows.join(", ")
    ))
    .await
    .unwrap();

    migrations::Migrator::up(db, None).await.unwrap();

    let got: Vec<(i64, Option<CheckStatus>)> = monitor::Entity::find()
        .select_only()
        .column(monitor::Column::Id)
        .column(monitor::Column::LastStatus)
        .order_by_asc(monitor::Column::Id)
        .into_tuple()
        .all(db)
        .await
        .unwrap();
    let expected =
        vec![(1, Some(CheckStatus::Unavailable)), (2, Some(CheckStatus::Down)), (3, Some(CheckStatus::Up)), (4, None)];
    assert_eq!(got, expected);
}

async fn results_survive_compaction(db: &sea_orm::DatabaseConnection) {
    use migrations::MigratorTrait;
    migrations::Migrator::up(db, Some(3)).await.unwrap();
    // As the m0002 schema stored them: text timestamps (sqlx's chrono format) and a row id.
    db.execute_unprepared(
        "INSERT INTO check_results (monitor_id, at, ok, latency_ms, reason) VALUES
           (7, '2026-11-22 02:40:23.123456789+00:00', TRUE, 12, NULL),
           (7, '2026-11-22 02:41:23+00:00', FALSE, NULL, 'HTTP 503'),
           (9, '2026-11-21 23:59:59.5+00:00', TRUE, 3, NULL)",
    )
    .await
    .unwrap();

    migrations::Migrator::up(db, None).await.unwrap();

    let rows = check_result::Entity::find().order_by_asc(check_result::Column::At).all(db).await.unwrap();
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

#[tokio::test]
async fn url_passwords_move_out_of_targets_and_back_on_sqlite() {
    use migrations::MigratorTrait;
    let dir = TempDir::new();
    let db = shared::db::connect(&format!("sqlite://{}?mode=rwc", dir.0.join("t.db").display())).await.unwrap();
    migrations::Migrator::up(&db, Some(8)).await.unwrap();
    db.execute_unprepared(
        "INSERT INTO monitors (id, owner_id, chat_id, kind, target, interval_secs, timeout_ms, http_method, \
         expect_min, expect_max, keyword_must_contain, down_after, up_after, cert_warn_days, paused, health, \
         fail_streak, ok_streak, next_run_at, skipped_slots, created_at) VALUES
         (1, 1, 1, 'http', 'https://ops:s%40cret@example.com/health', 60, 10000, 'GET', 200, 399, TRUE, 2, 1, 14, \
          FALSE, 'pending', 0, 0, '2026-11-22 02:41:00+00:00', 0, '2026-11-22 02:00:00+00:00'),
         (2, 1, 1, 'http', 'https://example.com/a@b', 60, 10000, 'GET', 200, 399, TRUE, 2, 1, 14, \
          FALSE, 'pending', 0, 0, '2026-11-22 02:41:00+00:00', 0, '2026-11-22 02:00:00+00:00')",
    )
    .await
    .unwrap();
    let read = |db: sea_orm::DatabaseConnection| async move {
        let rows = db.query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT target, password FROM monitors ORDER BY id",
        ));
        let rows = rows.await.unwrap();
        let got: Vec<(String, Option<String>)> =
            rows.iter().map(|r| (r.try_get("", "target").unwrap(), r.try_get("", "password").unwrap())).collect();
        (db, got)
    };

    migrations::Migrator::up(&db, Some(1)).await.unwrap();
    let (db, got) = read(db).await;
    assert_eq!(
        got,
        vec![
            ("https://ops@example.com/health".to_owned(), Some("s%40cret".to_owned())),
            ("https://example.com/a@b".to_owned(), None),
        ]
    );

    migrations::Migrator::down(&db, Some(1)).await.unwrap();
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT target FROM monitors ORDER BY id",
        ))
        .await
        .unwrap();
    let targets: Vec<String> = rows.iter().map(|r| r.try_get("", "target").unwrap()).collect();
    assert_eq!(targets, ["https://ops:s%40cret@example.com/health", "https://example.com/a@b"]);
}
