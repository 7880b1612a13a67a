//! Real `teleops` processes (the test build's binary) on Postgres and Redis servers of the
//! test's own, for the chaos, container and shared-limit tests; and the heartbeat backlog they
//! drain.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use shared::jobs::{Heartbeat, Job};
use shared::queue::{Enqueue, Queue};

use crate::helpers::{TEST_KEY, TempDir, within};
use crate::postgres::PgServer;
use crate::redis::RedisServer;

/// A `teleops` process, killed (SIGKILL) if still running when dropped.
pub struct Process(pub Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub struct Servers {
    pub pg: PgServer,
    pub redis: RedisServer,
    dir: TempDir,
}

impl Servers {
    pub async fn start() -> Option<Self> {
        let pg = PgServer::start().await?;
        let redis = RedisServer::start().await?;
        let servers = Servers { pg, redis, dir: TempDir::new() };
        let status = servers.command("migrate").status().expect("teleops migrate runs");
        assert!(status.success(), "teleops migrate");
        Some(servers)
    }

    pub fn command(&self, role: &str) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_teleops"));
        command
            .arg(role)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("TELEOPS_DATA_DIR", self.dir.0.join("data"))
            .env("TELEOPS_DATABASE_URL", &self.pg.url)
            .env("TELEOPS_QUEUE_URL", &self.redis.url)
            .env("TELEOPS_SECRET_KEY", TEST_KEY)
            .env("TELEOPS_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command
    }

    pub fn spawn(&self, role: &str) -> Process {
        Process(self.command(role).spawn().expect("teleops starts"))
    }

    pub fn worker(&self) -> Process {
        self.spawn("worker")
    }
}

/// Enqueues `total` heartbeat jobs.
pub async fn backlog(queue: &Queue, total: i64) {
    let jobs: Vec<(Heartbeat, Enqueue)> =
        (0..total).map(|i| (Heartbeat { slot: i * 60 }, Enqueue::default())).collect();
    queue.enqueue_many(&jobs).await.unwrap();
}

/// Finished heartbeat jobs; 0 while the test's own connection finds Redis gone (it reconnects on
/// the next call).
pub async fn done(queue: &Queue) -> i64 {
    let counts = queue.counts(&[Heartbeat::QUEUE]).await.unwrap_or_default();
    counts.into_iter().find(|c| c.queue == Heartbeat::QUEUE).map_or(0, |c| c.done)
}

/// Waits until at least `n` heartbeat jobs are done, failing after `limit`.
pub async fn wait_done(queue: &Queue, what: &str, n: i64, limit: Duration) {
    within(limit, what, || async { (done(queue).await >= n).then_some(()) }, String::new).await;
}
