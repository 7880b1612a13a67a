//! Which stores the suite runs on: `TELEOPS_TEST_SETUP=sqlite` (the default: SQLite for the
//! database and the queue) or `TELEOPS_TEST_SETUP=postgres-redis`. `.ci/run` runs the suite once
//! per setup.

use std::time::Duration;

use shared::metrics::Metrics;
use shared::queue::Queue;
use shared::queue::redis::{Presence, RedisQueue};

use crate::helpers::TempDir;
use crate::redis::RedisServer;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setup {
    Sqlite,
    PostgresRedis,
}

pub fn setup() -> Setup {
    match std::env::var("TELEOPS_TEST_SETUP").as_deref() {
        Err(_) | Ok("") | Ok("sqlite") => Setup::Sqlite,
        Ok("postgres-redis") => Setup::PostgresRedis,
        Ok(other) => panic!("TELEOPS_TEST_SETUP={other:?}: expected sqlite or postgres-redis"),
    }
}

/// How test workers beat: fast, so a silent one is reaped within about a second.
pub const TEST_PRESENCE: Presence = Presence { beat: Duration::from_millis(200), gone_after: Duration::from_secs(1) };

/// A migrated queue on `store`, with what keeps it alive.
pub struct TestQueue {
    pub queue: Queue,
    /// The Redis store's own handle, for Redis-only checks.
    pub redis: Option<RedisQueue>,
    _server: Option<RedisServer>,
    _dir: TempDir,
}

/// Where a [`TestQueue`] keeps its jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueStore {
    Sqlite,
    Redis,
}

impl QueueStore {
    /// The queue store of this run's setup.
    pub fn of_setup() -> Self {
        match setup() {
            Setup::Sqlite => Self::Sqlite,
            Setup::PostgresRedis => Self::Redis,
        }
    }
}

impl TestQueue {
    /// None when the store is Redis and redis-server is missing outside CI.
    pub async fn start(store: QueueStore) -> Option<Self> {
        let dir = TempDir::new();
        match store {
            QueueStore::Sqlite => {
                let url = format!("sqlite://{}?mode=rwc", dir.0.join("queue.db").display());
                let queue =
                    Queue::connect(&url, Metrics::new()).await.unwrap().poll_interval(Duration::from_millis(50));
                queue.migrate().await.unwrap();
                Some(Self { queue, redis: None, _server: None, _dir: dir })
            }
            QueueStore::Redis => {
                let server = RedisServer::start().await?;
                let redis = RedisQueue::connect(&server.url, "teleops:").await.unwrap().presence(TEST_PRESENCE);
                let queue = Queue::redis(redis.clone(), Metrics::new());
                Some(Self { queue, redis: Some(redis), _server: Some(server), _dir: dir })
            }
        }
    }
}

/// The database and queue a test app uses on this run's setup: nothing to add on SQLite (the
/// app's data directory holds both); on Postgres + Redis a database of its own on the shared
/// Postgres and a database number of its own on the shared redis-server, which `.ci/with-servers`
/// starts and names in `TELEOPS_TEST_POSTGRES_URL` and `TELEOPS_TEST_REDIS_URL`.
pub async fn app_store_vars() -> Vec<(String, String)> {
    if setup() == Setup::Sqlite {
        return Vec::new();
    }
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!("TELEOPS_TEST_SETUP=postgres-redis needs {name}: run the tests through .ci/with-servers")
        })
    };
    let (admin, redis) = (var("TELEOPS_TEST_POSTGRES_URL"), var("TELEOPS_TEST_REDIS_URL"));
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    assert!(n < 4096, "more test apps than redis-server databases");
    let name = format!("teleops_test_{}_{n}", std::process::id());
    let db = sea_orm::Database::connect(&admin).await.expect("the test Postgres");
    sea_orm::ConnectionTrait::execute_unprepared(&db, &format!("CREATE DATABASE {name}")).await.unwrap();
    db.close().await.unwrap();
    let (base, _) = admin.rsplit_once('/').expect("a database URL");
    vec![
        ("TELEOPS_DATABASE_URL".into(), format!("{base}/{name}")),
        ("TELEOPS_QUEUE_URL".into(), format!("{redis}/{n}")),
    ]
}
