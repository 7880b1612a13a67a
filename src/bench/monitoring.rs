//! `teleops bench monitoring`: N HTTP monitors at a 60 s interval with the whole stack in this
//! process (`prepare` and `start` as `up`, no bot), against a loopback HTTP server in a child
//! process (`teleops bench target`), so the two processes' CPU and memory are measured apart.
//!
//! It reports checks due and done, slots skipped, schedule lag (from the `check_lag_seconds`
//! histogram), CPU seconds per 1,000 checks and RSS per process, stored bytes per check; then it
//! stops the stack for `--downtime` seconds, starts it again and times until every monitor has run
//! again; last, pings per second to 127.0.0.1.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
};
use shared::entities::{check_result, monitor};
use shared::monitoring::alerts::Thresholds;
use shared::monitoring::model::new_row;
use shared::monitoring::schedule::Interval;
use shared::monitoring::target::Target;
use tokio::io::{AsyncBufReadExt, BufReader};

use super::{cpu_seconds, num_cpus, vm_rss_kb};

pub struct Options {
    pub monitors: usize,
    pub seconds: u64,
    pub downtime: u64,
}

/// `teleops bench target`: answers every request with `200 ok` on a loopback port, printed as
/// `port N`; exits when its standard input closes (its parent went away).
pub async fn target() -> anyhow::Result<()> {
    let app = axum::Router::new().fallback(|| async { "ok" });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("port {}", listener.local_addr()?.port());
    let stdin_closed = async {
        let mut line = String::new();
        let mut stdin = BufReader::new(tokio::io::stdin());
        while stdin.read_line(&mut line).await.is_ok_and(|n| n > 0) {
            line.clear();
        }
    };
    axum::serve(listener, app).with_graceful_shutdown(stdin_closed).await?;
    Ok(())
}

/// The target server child: its port and pid; it exits when this is dropped.
pub(super) struct TargetServer {
    _child: tokio::process::Child,
    pub(super) port: u16,
    pid: u32,
}

impl TargetServer {
    pub(super) async fn spawn() -> anyhow::Result<Self> {
        let mut child = tokio::process::Command::new(std::env::current_exe()?)
            .args(["bench", "target"])
            .env("TELEOPS_LOG", "error")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        let pid = child.id().ok_or_else(|| anyhow::anyhow!("the target server has no pid"))?;
        let stdout = child.stdout.take().ok_or_else(|| anyhow::anyhow!("no stdout"))?;
        let mut line = String::new();
        tokio::time::timeout(Duration::from_secs(10), BufReader::new(stdout).read_line(&mut line)).await??;
        let port = line.trim().strip_prefix("port ").and_then(|p| p.parse().ok());
        let port = port.ok_or_else(|| anyhow::anyhow!("the target server said {line:?}"))?;
        Ok(Self { _child: child, port, pid })
    }
}

pub async fn run(o: Options) -> anyhow::Result<()> {
    let n = o.monitors;
    let (_dir, settings) = super::scratch("mon")?;
    let server = TargetServer::spawn().await?;
    let options = crate::StartOptions::default();
    let ctx = crate::prepare(settings.clone(), crate::Role::Up, &options).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let (db, metrics) = (ctx.db.clone(), ctx.metrics.clone());

    let inserting = Instant::now();
    let base = seed(&db, n, server.port).await?;
    let inserted_in = inserting.elapsed();
    let bytes_before = db_bytes(&db).await?;

    let running = crate::start(ctx, crate::Role::Up, options.clone()).await?;
    let me = std::process::id();
    let (cpu0, target_cpu0, t0) = (cpu_seconds(me)?, cpu_seconds(server.pid)?, Instant::now());
    let mut rss_peak_kb = 0;
    while t0.elapsed() < Duration::from_secs(o.seconds) {
        tokio::time::sleep(Duration::from_secs(1)).await;
        rss_peak_kb = rss_peak_kb.max(vm_rss_kb(me)?);
    }
    let elapsed = t0.elapsed().as_secs_f64();
    let (cpu, target_cpu) = (cpu_seconds(me)? - cpu0, cpu_seconds(server.pid)? - target_cpu0);
    let target_rss_kb = vm_rss_kb(server.pid)?;
    let end = Utc::now();
    let done = check_result::Entity::find().count(&db).await?;
    let failed = check_result::Entity::find().filter(check_result::Column::Ok.eq(false)).count(&db).await?;
    let skipped: i64 = monitor::Entity::find().all(&db).await?.iter().map(|m| m.skipped_slots).sum();
    let due = slots_due(n, base, end);
    let lag = metrics.check_lag.get_sample_count();
    let (p50, p99) = (quantile(&metrics.check_lag, 0.50), quantile(&metrics.check_lag, 0.99));
    let phases: Vec<String> = ["load", "probe", "write"]
        .iter()
        .map(|name| {
            let h = metrics.check_phase.with_label_values(&[name]);
            format!("{name} {} / {}", quantile(&h, 0.5), quantile(&h, 0.99))
        })
        .collect();
    running.stop().await?;
    let bytes_per_check = (db_bytes(&db).await? - bytes_before) as f64 / done.max(1) as f64;

    // Restart: down for a while, then time until every monitor has run again.
    tokio::time::sleep(Duration::from_secs(o.downtime)).await;
    let restarted = Utc::now();
    let ctx = crate::prepare(settings, crate::Role::Up, &options).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let restart_t0 = Instant::now();
    let running = crate::start(ctx, crate::Role::Up, options).await?;
    let caught_up = loop {
        let behind = monitor::Entity::find()
            .filter(
                sea_orm::Condition::any()
                    .add(monitor::Column::LastCheckedAt.is_null())
                    .add(monitor::Column::LastCheckedAt.lt(restarted)),
            )
            .count(&db)
            .await?;
        if behind == 0 {
            break format!("{:.1}", restart_t0.elapsed().as_secs_f64());
        }
        if restart_t0.elapsed() > Duration::from_secs(300) {
            break format!("not within 300 s ({behind} monitors behind)");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    running.stop().await?;
    drop(server);
    let pings = pings_per_second().await;

    let per_1000 = |cpu: f64| cpu / done.max(1) as f64 * 1000.0;
    println!("bench monitoring: {n} HTTP monitors at 60 s, {} s, {} cores", o.seconds, num_cpus());
    println!();
    println!("| measure | value |");
    println!("|---|---|");
    println!("| monitors inserted in (s) | {:.1} |", inserted_in.as_secs_f64());
    println!("| checks due / done (failed) | {due} / {done} ({failed}) |");
    println!("| slots skipped as stale | {skipped} |");
    println!("| checks per second | {:.0} |", done as f64 / elapsed);
    println!("| schedule lag p50 / p99 (s, bucket upper bounds; {lag} checks) | {p50} / {p99} |");
    println!("| batch of 100: time per phase p50 / p99 (s) | {} |", phases.join(", "));
    println!("| CPU s per 1,000 checks: teleops | {:.3} |", per_1000(cpu));
    println!("| CPU s per 1,000 checks: target server (not teleops) | {:.3} |", per_1000(target_cpu));
    println!("| cores used by teleops | {:.2} |", cpu / elapsed);
    println!("| RSS peak, teleops (MB) | {:.1} |", rss_peak_kb as f64 / 1024.0);
    println!("| RSS, target server (MB) | {:.1} |", target_rss_kb as f64 / 1024.0);
    println!("| stored bytes per check (raw result + indexes) | {bytes_per_check:.0} |");
    println!("| stored bytes per monitor per day at 60 s | {:.0} |", bytes_per_check * 1440.0);
    println!("| every monitor ran again after a {} s stop, within (s) | {caught_up} |", o.downtime);
    println!("| pings per second to 127.0.0.1 (64 in flight) | {pings} |");
    Ok(())
}

/// Allows loopback probes (the policy denies them unless an admin allows them) and inserts `n`
/// HTTP monitors of the target server on `port`, spread evenly over the first minute from the
/// returned time, each with its own URL.
pub(super) async fn seed(db: &DatabaseConnection, n: usize, port: u16) -> anyhow::Result<DateTime<Utc>> {
    let now = Utc::now();
    shared::entities::probe_rule::ActiveModel {
        action: sea_orm::Set(shared::monitoring::policy::ProbeAction::Allow),
        network: sea_orm::Set("127.0.0.0/8".to_owned()),
        created_by: sea_orm::Set(1),
        created_at: sea_orm::Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let base = DateTime::from_timestamp(now.timestamp() + 5, 0).unwrap_or(now);
    for chunk in (0..n as i64).collect::<Vec<_>>().chunks(500) {
        let rows: Vec<monitor::ActiveModel> = chunk
            .iter()
            .map(|i| {
                let target = Target::parse(&format!("http://127.0.0.1:{port}/m/{i}")).expect("valid URL");
                let first = base + chrono::Duration::seconds(i % 60);
                new_row(1, 1, &target, Interval::DEFAULT, &Thresholds::default(), first, now)
                    .expect("no password in this target")
            })
            .collect();
        monitor::Entity::insert_many(rows).exec(db).await?;
    }
    Ok(base)
}

/// Slots of `n` monitors seeded from `base` that were due by `end - 2 s` (a check in its last two
/// seconds may still be running).
pub(super) fn slots_due(n: usize, base: DateTime<Utc>, end: DateTime<Utc>) -> i64 {
    (0..n as i64)
        .map(|i| {
            let first = base.timestamp() + i % 60;
            let last = end.timestamp() - 2;
            if last < first { 0 } else { (last - first) / 60 + 1 }
        })
        .sum()
}

/// A histogram's buckets: upper bound and cumulative count.
pub(super) fn buckets(h: &shared::metrics::prometheus::Histogram) -> Vec<(f64, u64)> {
    use shared::metrics::prometheus::core::Collector;
    let families = h.collect();
    let Some(hist) = families.first().and_then(|f| f.get_metric().first()).map(|m| m.get_histogram().clone()) else {
        return Vec::new();
    };
    hist.get_bucket().iter().map(|b| (b.upper_bound(), b.cumulative_count())).collect()
}

/// The upper bound of the bucket holding quantile `q` of `count` samples.
pub(super) fn bucket_quantile(buckets: &[(f64, u64)], count: u64, q: f64) -> String {
    if buckets.is_empty() {
        return "-".into();
    }
    let want = (count as f64 * q).ceil() as u64;
    buckets.iter().find(|(_, c)| *c >= want).map_or("> largest bucket".into(), |(bound, _)| format!("≤ {bound}"))
}

/// The upper bound of the histogram bucket holding quantile `q`.
fn quantile(h: &shared::metrics::prometheus::Histogram, q: f64) -> String {
    bucket_quantile(&buckets(h), h.get_sample_count(), q)
}

/// Bytes in use in the main database (pages not on the free list), after a WAL checkpoint.
async fn db_bytes(db: &DatabaseConnection) -> anyhow::Result<i64> {
    db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)").await?;
    let value = |sql: &'static str| {
        let db = db.clone();
        async move {
            let row = db.query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql)).await?;
            let row = row.ok_or_else(|| anyhow::anyhow!("{sql} returned nothing"))?;
            anyhow::Ok(row.try_get_by_index::<i64>(0)?)
        }
    };
    let (pages, free, size) =
        (value("PRAGMA page_count").await?, value("PRAGMA freelist_count").await?, value("PRAGMA page_size").await?);
    Ok((pages - free) * size)
}

async fn pings_per_second() -> String {
    let pinger = worker::monitoring::ping::Pinger::new();
    if !pinger.available() {
        return "ICMP not permitted here".into();
    }
    let pinger = Arc::new(pinger);
    let started = Instant::now();
    let count = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let (pinger, count) = (pinger.clone(), count.clone());
        tasks.push(tokio::spawn(async move {
            while started.elapsed() < Duration::from_secs(3) {
                if pinger.ping_once("127.0.0.1".parse().expect("an address"), Duration::from_secs(1)).await.is_some() {
                    count.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    format!("{:.0}", count.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64())
}
