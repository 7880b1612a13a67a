//! A throwaway redis-server for tests: on a free loopback port, AOF on in a scratch directory,
//! stopped and removed on drop. Where redis-server is missing it returns None and says so loudly;
//! under CI that is a failure.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};

use crate::helpers::TempDir;

pub struct RedisServer {
    child: Child,
    port: u16,
    pub url: String,
    // Last: removed after the server has stopped.
    dir: TempDir,
}

impl RedisServer {
    pub async fn start() -> Option<Self> {
        if Command::new("redis-server").arg("--version").stdout(Stdio::null()).status().is_err() {
            assert!(!crate::postgres::under_ci(), "REDIS TESTS CANNOT RUN UNDER CI: no redis-server");
            eprintln!("!!! redis-server is not installed here (apt-get install redis-server): Redis tests DID NOT RUN");
            return None;
        }
        let dir = TempDir::new();
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = spawn(port, &dir);
        let server = RedisServer { child, port, url: format!("redis://127.0.0.1:{port}/"), dir };
        server.wait_ready().await;
        Some(server)
    }

    /// Stops the server as an operator would (SIGTERM: the AOF is written out) and starts it
    /// again on the same port and files.
    pub async fn restart(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
        self.child = spawn(self.port, &self.dir);
        self.wait_ready().await;
    }

    async fn wait_ready(&self) {
        let port = self.port;
        crate::helpers::eventually("redis to accept connections", || async {
            let mut conn = redis::Client::open(format!("redis://127.0.0.1:{port}/"))
                .ok()?
                .get_multiplexed_async_connection()
                .await
                .ok()?;
            // PING answers while the AOF is still loading; INFO persistence tells.
            let info: String = redis::cmd("INFO").arg("persistence").query_async(&mut conn).await.ok()?;
            info.contains("loading:0").then_some(())
        })
        .await;
    }
}

fn spawn(port: u16, dir: &TempDir) -> Child {
    teleops::bench::redis_server(port, &dir.0).spawn().expect("redis-server starts")
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
