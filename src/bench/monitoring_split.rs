//! `teleops bench monitoring --split`: the monitoring load with the roles as separate processes,
//! as a scaled-out installation runs them: one `teleops scheduler` and `--workers` worker
//! processes (`teleops bench monitoring-worker`, the worker role plus a report of its schedule
//! lag on exit), on Postgres and Redis servers the caller names (`.ci/with-servers` starts
//! both). The bench makes a database of its own on the Postgres server and uses an empty Redis
//! database number, and drops the database afterwards.
//!
//! It reports slots due and checks done, slots skipped, schedule lag p50/p99 merged over the
//! workers, and CPU per 1,000 checks and peak RSS for each process; Redis' CPU too, and Postgres'
//! (server and backends, from `/proc`) when its data directory is readable here.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};
use shared::entities::{check_result, monitor};

use super::monitoring::{TargetServer, bucket_quantile, buckets, seed, slots_due};
use super::{Dir, cpu_seconds, num_cpus, status_kb, tree_cpu_seconds};

pub struct Options {
    pub monitors: usize,
    pub seconds: u64,
    pub workers: usize,
    /// A superuser URL of the Postgres server (the bench creates its own database there).
    pub postgres: String,
    /// The Redis server's URL, without a database number.
    pub redis: String,
}

/// The hidden `bench monitoring-worker` role: the worker role with settings from the
/// environment; says `ready` once started and, when its stdin closes, stops and prints
/// `lag <count> <bound>:<cumulative>,…` and `hwm <kB>`.
pub async fn worker_child() -> anyhow::Result<()> {
    let settings = shared::config::Settings::from_env()?;
    let options = crate::StartOptions::default();
    let ctx = crate::prepare(settings, crate::Role::Worker, &options).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let metrics = ctx.metrics.clone();
    let running = crate::start(ctx, crate::Role::Worker, options).await?;
    println!("ready");
    tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        while std::io::stdin().read_line(&mut line).is_ok_and(|n| n > 0) {}
    })
    .await?;
    let lag = buckets(&metrics.check_lag);
    let pairs: Vec<String> = lag.iter().map(|(bound, count)| format!("{bound}:{count}")).collect();
    println!("lag {} {}", metrics.check_lag.get_sample_count(), pairs.join(","));
    println!("hwm {}", status_kb(std::process::id(), "VmHWM")?);
    running.stop().await?;
    Ok(())
}

/// A role process and what it printed.
struct Role {
    name: String,
    /// A `bench monitoring-worker` child, which reports on stdin's close; else a real role.
    reports: bool,
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Role {
    fn spawn(name: &str, reports: bool, args: &[&str], env: &[(String, String)]) -> anyhow::Result<Self> {
        let mut child = Command::new(std::env::current_exe()?)
            .args(args)
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let stdout = child.stdout.take().expect("piped");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                sink.lock().expect("lines").push(line);
            }
        });
        Ok(Self { name: name.to_owned(), reports, child, lines })
    }

    fn said(&self, prefix: &str) -> Option<String> {
        let lines = self.lines.lock().expect("lines");
        lines.iter().find_map(|l| l.strip_prefix(prefix).map(str::to_owned))
    }

    /// Closes stdin (a worker child reports and stops) and, for a real role, sends SIGTERM;
    /// waits for the exit.
    fn stop(&mut self) {
        drop(self.child.stdin.take());
        if !self.reports {
            let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        }
        let _ = self.child.wait();
    }
}

impl Drop for Role {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub async fn run(o: Options) -> anyhow::Result<()> {
    let me = std::process::id();
    let database = format!("teleops_bench_{me}");
    let admin = sea_orm::Database::connect(&o.postgres).await?;
    admin.execute_unprepared(&format!("CREATE DATABASE {database}")).await?;
    let outcome = measure(&o, &admin, &database).await;
    // Connections of the roles are gone by now; FORCE covers a straggler.
    admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)")).await?;
    outcome
}

async fn measure(o: &Options, admin: &sea_orm::DatabaseConnection, database: &str) -> anyhow::Result<()> {
    let n = o.monitors;
    let me = std::process::id();
    let server_url = o.postgres.split('?').next().unwrap_or_default();
    let (server_url, _) = server_url.rsplit_once('/').filter(|(h, _)| h.contains("//")).unwrap_or((server_url, ""));
    let pg_url = format!("{server_url}/{database}");
    let redis_db = 1 + me % 15;
    let redis_url = format!("{}/{redis_db}", o.redis.trim_end_matches('/'));
    let mut conn = redis::Client::open(redis_url.as_str())?.get_multiplexed_async_connection().await?;
    let keys: u64 = redis::cmd("DBSIZE").query_async(&mut conn).await?;
    anyhow::ensure!(keys == 0, "Redis database {redis_db} at {} is not empty: the bench leaves it alone", o.redis);
    let info: String = redis::cmd("INFO").arg("server").query_async(&mut conn).await?;
    let redis_pid: Option<u32> =
        info.lines().find_map(|l| l.strip_prefix("process_id:")).and_then(|p| p.trim().parse().ok());
    let postgres_pid = postmaster_pid(admin).await;

    let dir = Dir(std::env::temp_dir().join(format!("teleops-bench-split-{me}")));
    std::fs::create_dir_all(&dir.0)?;
    // A throwaway key for a throwaway database.
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_nanos();
    let key = format!("{nanos:032x}{:032x}", u128::from(me));
    let env: Vec<(String, String)> = [
        ("TELEOPS_DATABASE_URL", pg_url),
        ("TELEOPS_QUEUE_URL", redis_url.clone()),
        ("TELEOPS_SECRET_KEY", key),
        ("TELEOPS_DATA_DIR", dir.0.display().to_string()),
        ("TELEOPS_LOG", "warn".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let vars = env.iter().cloned().collect();
    let settings = shared::config::Settings::from_vars(&vars)?;
    let options = crate::StartOptions::default();
    let ctx = crate::prepare(settings, crate::Role::Migrate, &options).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let db = ctx.db.clone();
    drop(ctx);

    let server = TargetServer::spawn().await?;
    let inserting = Instant::now();
    let base = seed(&db, n, server.port).await?;
    let inserted_in = inserting.elapsed();

    let mut roles = vec![Role::spawn("scheduler", false, &["scheduler"], &env)?];
    for i in 1..=o.workers {
        roles.push(Role::spawn(&format!("worker {i}"), true, &["bench", "monitoring-worker"], &env)?);
    }
    let started = Instant::now();
    while roles[1..].iter().any(|r| r.said("ready").is_none()) && started.elapsed() < Duration::from_secs(60) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let cpu0: Vec<f64> = roles.iter().map(|r| cpu_seconds(r.child.id()).unwrap_or(0.0)).collect();
    let redis_cpu0 = redis_pid.map(cpu_seconds).transpose()?;
    let postgres_cpu0 = postgres_pid.map(tree_cpu_seconds).transpose()?;
    let (t0, checks0) = (Instant::now(), check_result::Entity::find().count(&db).await?);
    let mut rss_peak = vec![0u64; roles.len()];
    while t0.elapsed() < Duration::from_secs(o.seconds) {
        tokio::time::sleep(Duration::from_secs(1)).await;
        for (peak, role) in rss_peak.iter_mut().zip(&roles) {
            *peak = (*peak).max(super::vm_rss_kb(role.child.id()).unwrap_or(0));
        }
    }
    let elapsed = t0.elapsed().as_secs_f64();
    let cpu: Vec<f64> = roles.iter().zip(&cpu0).map(|(r, c0)| cpu_seconds(r.child.id()).unwrap_or(0.0) - c0).collect();
    let redis_cpu = match (redis_pid, redis_cpu0) {
        (Some(pid), Some(c0)) => Some(cpu_seconds(pid)? - c0),
        _ => None,
    };
    let postgres_cpu = match (postgres_pid, postgres_cpu0) {
        (Some(pid), Some(c0)) => Some(tree_cpu_seconds(pid)? - c0),
        _ => None,
    };
    let end = Utc::now();
    let done = check_result::Entity::find().count(&db).await?;
    let in_window = done - checks0;
    let failed = check_result::Entity::find().filter(check_result::Column::Ok.eq(false)).count(&db).await?;
    let skipped: i64 = monitor::Entity::find().all(&db).await?.iter().map(|m| m.skipped_slots).sum();
    let due = slots_due(n, base, end);
    for role in &mut roles {
        role.stop();
    }
    drop(server);

    // The workers' lag histograms, merged.
    let mut merged: Vec<(f64, u64)> = Vec::new();
    let mut lag_count = 0;
    for role in &roles[1..] {
        let Some(line) = role.said("lag ") else { continue };
        let (count, pairs) = line.split_once(' ').unwrap_or((line.as_str(), ""));
        lag_count += count.parse::<u64>().unwrap_or(0);
        for (i, pair) in pairs.split(',').filter(|p| !p.is_empty()).enumerate() {
            let (bound, c) = pair.split_once(':').unwrap_or(("0", "0"));
            let (bound, c) = (bound.parse().unwrap_or(0.0), c.parse().unwrap_or(0));
            match merged.get_mut(i) {
                Some(slot) => slot.1 += c,
                None => merged.push((bound, c)),
            }
        }
    }
    let hwm = |role: &Role| role.said("hwm ").and_then(|kb| kb.parse::<u64>().ok());
    let per_1000 = |cpu: f64| cpu / in_window.max(1) as f64 * 1000.0;
    println!(
        "bench monitoring --split: {n} HTTP monitors at 60 s, {} s, scheduler + {} worker processes on Postgres + Redis, {} cores",
        o.seconds,
        o.workers,
        num_cpus()
    );
    println!();
    println!("| measure | value |");
    println!("|---|---|");
    println!("| monitors inserted in (s) | {:.1} |", inserted_in.as_secs_f64());
    println!("| slots due / checks done (failed) | {due} / {done} ({failed}) |");
    println!("| slots skipped as stale | {skipped} |");
    println!("| checks per second | {:.0} |", in_window as f64 / elapsed);
    println!(
        "| schedule lag p50 / p99 (s, bucket upper bounds; {lag_count} checks) | {} / {} |",
        bucket_quantile(&merged, lag_count, 0.5),
        bucket_quantile(&merged, lag_count, 0.99)
    );
    for ((role, cpu), peak) in roles.iter().zip(&cpu).zip(&rss_peak) {
        let peak = hwm(role).unwrap_or(*peak);
        println!(
            "| {}: CPU s per 1,000 checks / peak RSS (MB) | {:.3} / {:.1} |",
            role.name,
            per_1000(*cpu),
            peak as f64 / 1024.0
        );
    }
    if let Some(cpu) = redis_cpu {
        println!("| redis-server: CPU s per 1,000 checks | {:.3} |", per_1000(cpu));
    }
    match postgres_cpu {
        Some(cpu) => println!(
            "| postgres (server and backends): CPU s per 1,000 checks / cores | {:.3} / {:.2} |",
            per_1000(cpu),
            cpu / elapsed
        ),
        None => println!("| postgres: CPU not measured (its postmaster.pid is not readable here) | — |"),
    }
    println!("| cores used by teleops processes | {:.2} |", cpu.iter().sum::<f64>() / elapsed);
    let clean = skipped == 0 && done as i64 >= due;
    println!("no missed slot: {}", if clean { "yes" } else { "NO" });
    Ok(())
}

/// The PID of the Postgres server `admin` is connected to, when it runs on this machine and its
/// data directory is readable: the first line of its `postmaster.pid`.
async fn postmaster_pid(admin: &sea_orm::DatabaseConnection) -> Option<u32> {
    let row = admin
        .query_one_raw(sea_orm::Statement::from_string(admin.get_database_backend(), "SHOW data_directory"))
        .await
        .ok()??;
    let dir: String = row.try_get_by_index(0).ok()?;
    let pid = std::fs::read_to_string(std::path::Path::new(&dir).join("postmaster.pid")).ok()?;
    pid.lines().next()?.trim().parse().ok()
}
