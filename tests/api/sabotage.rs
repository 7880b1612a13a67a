//! Making a store refuse writes, as a full disk or a locked file would, on either setup. Each
//! refusal is aimed (one table and condition, or one queue), so the rest of the app works on.
//! This is the one place tests reach into a store's own layout: a trigger on SQLite and
//! Postgres, a key of the wrong type on Redis.

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection};
use shared::queue::{Queue, Store};

/// Makes inserts into `table` fail where `when` (SQL over `NEW`) holds, with `message`.
pub async fn refuse_inserts(db: &DatabaseConnection, name: &str, table: &str, when: &str, message: &str) {
    let sql = match db.get_database_backend() {
        DatabaseBackend::Postgres => format!(
            "CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
               IF {when} THEN RAISE EXCEPTION '{message}'; END IF; RETURN NEW; END $$; \
             CREATE TRIGGER {name} BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION {name}();"
        ),
        _ => format!(
            "CREATE TRIGGER {name} BEFORE INSERT ON {table} WHEN {when} \
             BEGIN SELECT RAISE(ABORT, '{message}'); END"
        ),
    };
    db.execute_unprepared(&sql).await.unwrap();
}

/// Undoes [`refuse_inserts`].
pub async fn allow_inserts(db: &DatabaseConnection, name: &str, table: &str) {
    let sql = match db.get_database_backend() {
        DatabaseBackend::Postgres => format!("DROP TRIGGER {name} ON {table}; DROP FUNCTION {name}();"),
        _ => format!("DROP TRIGGER {name}"),
    };
    db.execute_unprepared(&sql).await.unwrap();
}

/// Makes enqueues into `queue_name` fail. `redis_url` is the app's queue URL when on Redis,
/// where every enqueue fails instead: a script is not undone by an error, so the refusal must
/// hit its first write, which is the same for every queue (the set of queues).
pub async fn refuse_enqueues(queue: &Queue, redis_url: &str, queue_name: &str) {
    match queue.store() {
        Store::Sqlite(store) => {
            let sql = format!(
                "CREATE TRIGGER refuse_{name} BEFORE INSERT ON Jobs WHEN NEW.job_type = '{queue_name}' \
                 BEGIN SELECT RAISE(ABORT, 'queue sabotaged by the test'); END",
                name = queue_name.replace('-', "_")
            );
            sqlite(store, sql).await;
        }
        Store::Redis(_) => {
            let mut conn = redis_connection(redis_url).await;
            let key = QUEUES_KEY;
            let _: () = redis::pipe()
                .cmd("RENAME")
                .arg(key)
                .arg(format!("{key}:saved"))
                .ignore()
                .query_async(&mut conn)
                .await
                .or_else(|e| if e.to_string().contains("no such key") { Ok(()) } else { Err(e) })
                .unwrap();
            let _: () =
                redis::cmd("SET").arg(key).arg("queue sabotaged by the test").query_async(&mut conn).await.unwrap();
        }
    }
}

/// Undoes [`refuse_enqueues`].
pub async fn allow_enqueues(queue: &Queue, redis_url: &str, queue_name: &str) {
    match queue.store() {
        Store::Sqlite(store) => {
            sqlite(store, format!("DROP TRIGGER refuse_{}", queue_name.replace('-', "_"))).await;
        }
        Store::Redis(_) => {
            let mut conn = redis_connection(redis_url).await;
            let key = QUEUES_KEY;
            let _: () = redis::cmd("DEL").arg(key).query_async(&mut conn).await.unwrap();
            let _: Result<(), _> =
                redis::cmd("RENAME").arg(format!("{key}:saved")).arg(key).query_async(&mut conn).await;
        }
    }
}

async fn sqlite(store: &shared::queue::SqliteQueue, sql: String) {
    sqlx::query(sqlx::AssertSqlSafe(sql)).execute(store.pool()).await.unwrap();
}

/// The Redis store's set of queues, which the enqueue script writes first.
const QUEUES_KEY: &str = "teleops:queues";

async fn redis_connection(url: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(url).unwrap().get_multiplexed_async_connection().await.unwrap()
}
