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
