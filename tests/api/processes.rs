//! Real `teleops` processes (the test build's binary) on Postgres and Redis servers of the
//! test's own, for the chaos and shared-limit tests.

use std::process::{Child, Command, Stdio};

use crate::helpers::{TEST_KEY, TempDir};
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
