//! A throwaway Postgres server for tests: `initdb` into a scratch directory and `postgres` on a
//! free loopback port, stopped and removed on drop. As root it runs as the `postgres` user.
//! Where the binaries are missing it returns None and says so loudly; under CI that is a failure.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::helpers::TempDir;

pub struct PgServer {
    child: Child,
    pub url: String,
    bin: PathBuf,
    port: u16,
    ids: Option<(u32, u32)>,
    // Last: removed after the server has stopped.
    _dir: TempDir,
}

fn bin_dir() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|d| d.join("initdb").exists())
        .collect();
    dirs.sort();
    dirs.pop()
}

pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false"))
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// The `postgres` user's uid and gid, when this is root (Postgres refuses to run as root).
fn postgres_ids() -> Option<(u32, u32)> {
    let id = |flag: &str| {
        let out = Command::new("id").args([flag, "postgres"]).output().ok()?;
        String::from_utf8_lossy(&out.stdout).trim().parse::<u32>().ok()
    };
    is_root().then(|| Some((id("-u")?, id("-g")?))).flatten()
}

/// `program` from `bin`, as `postgres` when `ids` says so (no wrapper: the child is the program).
fn command(bin: &Path, program: &str, ids: Option<(u32, u32)>) -> Command {
    use std::os::unix::process::CommandExt;
    let mut c = Command::new(bin.join(program));
    if let Some((uid, gid)) = ids {
        c.uid(uid).gid(gid);
    }
    c
}

impl PgServer {
    pub async fn start() -> Option<Self> {
        let Some(bin) = bin_dir() else {
            assert!(!under_ci(), "POSTGRES TESTS CANNOT RUN UNDER CI: no /usr/lib/postgresql/*/bin/initdb");
            eprintln!("!!! Postgres is not installed here (apt-get install postgresql): Postgres tests DID NOT RUN");
            return None;
        };
        let dir = TempDir::new();
        let data = dir.0.join("data");
        let ids = postgres_ids();
        assert!(ids.is_some() || !is_root(), "running as root needs a postgres user (apt-get install postgresql)");
        if ids.is_some() {
            let ok = Command::new("chown").args(["-R", "postgres"]).arg(&dir.0).status().is_ok_and(|s| s.success());
            assert!(ok, "chown of the Postgres scratch directory failed");
        }
        let initdb = command(&bin, "initdb", ids)
            .args(["-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "-D"])
            .arg(&data)
            .stdout(Stdio::null())
            .status()
            .expect("initdb runs");
        assert!(initdb.success(), "initdb failed");
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = spawn_postgres(&bin, &data, port, ids);
        let url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
        let server = PgServer { child, url, bin, port, ids, _dir: dir };
        server.wait_ready().await;
        Some(server)
    }

    /// Stops the server (a fast shutdown: clients are disconnected) and starts it again on the
    /// same port and files, as an operator's restart would.
    pub async fn restart(&mut self) {
        let _ = Command::new("kill").arg("-INT").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
        self.child = spawn_postgres(&self.bin, &self._dir.0.join("data"), self.port, self.ids);
        self.wait_ready().await;
    }

    async fn wait_ready(&self) {
        let (bin, port) = (self.bin.clone(), self.port);
        crate::helpers::eventually("postgres to accept connections", || async {
            let ready = tokio::process::Command::new(bin.join("pg_isready"))
                .args(["-h", "127.0.0.1", "-p", &port.to_string()])
                .stdout(Stdio::null())
                .status()
                .await;
            ready.is_ok_and(|s| s.success()).then_some(())
        })
        .await;
    }
}

fn spawn_postgres(bin: &Path, data: &Path, port: u16, ids: Option<(u32, u32)>) -> Child {
    command(bin, "postgres", ids)
        .arg("-D")
        .arg(data)
        .args(["-p", &port.to_string(), "-k"])
        .arg(data)
        .args(["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("postgres starts")
}

impl Drop for PgServer {
    fn drop(&mut self) {
        // SIGINT is Postgres' fast shutdown: it disconnects clients (SIGTERM would wait for them,
        // and a failed test may still hold connections), then wait for the server we started.
        let _ = Command::new("kill").arg("-INT").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
    }
}
