//! A throwaway redis-server for tests: on a free loopback port, AOF on in a scratch directory,
//! stopped and removed on drop. Where redis-server is missing it returns None and says so loudly;
//! under CI that is a failure.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};

use crate::helpers::TempDir;

pub struct RedisServer {
    child: Child,
    pub url: String,
    // Last: removed after the server has stopped.
    _dir: TempDir,
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
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes"])
            .arg("--dir")
            .arg(&dir.0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        let server = RedisServer { child, url: format!("redis://127.0.0.1:{port}/"), _dir: dir };
        crate::helpers::eventually("redis to accept connections", || async {
            tokio::net::TcpStream::connect(("127.0.0.1", port)).await.ok().map(|_| ())
        })
        .await;
        Some(server)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
