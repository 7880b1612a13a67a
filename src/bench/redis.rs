//! `teleops bench redis`: the Redis queue store as teleops uses it (the `Queue` facade and the
//! worker runner, one worker process: this one) against a redis-server this bench starts on a
//! free loopback port (AOF on, as in production). It prints enqueue and drain rates, idle pickup
//! latency, CPU per job split between Redis and the worker, the worker's peak RSS and Redis'
//! memory, with one and with two worker processes (`bench redis-worker` children). With
//! `--peers`, apalis-redis, BullMQ and arq run the same through `bench/peers/run`, each on a fresh
//! redis-server, and the table shows them side by side with our drain ratios.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use shared::metrics::Metrics;
use shared::queue::redis::RedisQueue;
use shared::queue::{Enqueue, Queue};

use super::redis_procs::{Peer, ProcessDrain, backlog, drain_in_processes, peer};
use super::{Dir, Noop, cpu_seconds, num_cpus, pickup, start_ours};

pub struct Options {
    pub jobs: usize,
    pub samples: usize,
    pub concurrency: usize,
    /// Also run the peers under bench/peers, each on a fresh redis-server.
    pub peers: bool,
}

/// The redis-server this bench started, stopped when dropped.
struct Server {
    child: Child,
    url: String,
    _dir: Dir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A redis-server on loopback `port` as teleops runs it in production (AOF on, no RDB
/// snapshots), keeping its files in `dir`, quiet. The bench and the test suite start theirs so.
pub fn redis_server(port: u16, dir: &std::path::Path) -> Command {
    let mut command = Command::new("redis-server");
    command
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes"])
        .arg("--dir")
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

fn start_server() -> anyhow::Result<Server> {
    let dir = Dir(std::env::temp_dir().join(format!("teleops-bench-redis-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0)?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let child = redis_server(port, &dir.0)
        .spawn()
        .map_err(|e| anyhow::anyhow!("redis-server does not start (apt-get install redis-server): {e}"))?;
    let server = Server { child, url: format!("redis://127.0.0.1:{port}/"), _dir: dir };
    // A peer connects once, at start: it must find the server listening.
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        anyhow::ensure!(Instant::now() < deadline, "redis-server is not listening on port {port} after 10 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(server)
}

async fn info_field(url: &str, section: &str, field: &str) -> anyhow::Result<f64> {
    let mut conn = redis::Client::open(url)?.get_multiplexed_async_connection().await?;
    let info: String = redis::cmd("INFO").arg(section).query_async(&mut conn).await?;
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no {field} in INFO {section}"))
}

/// Redis' own account of its commands since the last reset: name, calls and microseconds,
/// the busiest first. Commands a script runs are counted under their own names, and again
/// inside the script call's time.
async fn command_stats(url: &str) -> anyhow::Result<Vec<(String, f64, f64)>> {
    let mut conn = redis::Client::open(url)?.get_multiplexed_async_connection().await?;
    let info: String = redis::cmd("INFO").arg("commandstats").query_async(&mut conn).await?;
    let mut stats: Vec<(String, f64, f64)> = info
        .lines()
        .filter_map(|line| {
            let (name, fields) = line.strip_prefix("cmdstat_")?.split_once(':')?;
            let field =
                |key: &str| fields.split(',').find_map(|f| f.strip_prefix(key)?.strip_prefix('=')?.parse::<f64>().ok());
            Some((name.to_owned(), field("calls")?, field("usec")?))
        })
        .collect();
    stats.sort_by(|a, b| b.2.total_cmp(&a.2));
    Ok(stats)
}

async fn reset_stats(url: &str) -> anyhow::Result<()> {
    let mut conn = redis::Client::open(url)?.get_multiplexed_async_connection().await?;
    let _: () = redis::cmd("CONFIG").arg("RESETSTAT").query_async(&mut conn).await?;
    Ok(())
}

/// Key prefix of the bench's jobs.
pub(super) const PREFIX: &str = "teleops-bench:";

/// Jobs arq gets at most.
const ARQ_JOBS: usize = 20_000;

/// Peers `bench/peers/run` knows.
const PEERS: [&str; 3] = ["apalis-redis", "bullmq", "arq"];

/// One drain's figures, ours or a peer's.
struct Column {
    name: String,
    enqueue: Option<f64>,
    drain: [Option<f64>; 2],
    pickup: Option<(f64, f64)>,
    redis_us: [Option<f64>; 2],
    worker_us: [Option<f64>; 2],
    rss_mb: Option<f64>,
}

fn cell(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "—".into(), |v| format!("{v:.digits$}"))
}

async fn connect(server: &Server) -> anyhow::Result<Queue> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match RedisQueue::connect(&server.url, PREFIX).await {
            Ok(store) => return Ok(Queue::redis(store, Metrics::new())),
            Err(e) if Instant::now() > deadline => return Err(e.into()),
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// Drains `n` jobs already enqueued with `processes` worker processes; Redis' CPU per job too.
fn drain_with(server: &Server, processes: usize, concurrency: usize, n: usize) -> anyhow::Result<(ProcessDrain, f64)> {
    let redis_cpu = cpu_seconds(server.child.id())?;
    let drained = drain_in_processes(&server.url, processes, concurrency, n as u64, Duration::from_secs(900))?;
    let redis_us = (cpu_seconds(server.child.id())? - redis_cpu) * 1e6 / drained.done.max(1) as f64;
    Ok((drained, redis_us))
}

pub async fn run(options: Options) -> anyhow::Result<()> {
    let server = start_server()?;
    let queue = connect(&server).await?;
    let (n, concurrency) = (options.jobs, options.concurrency);
    println!(
        "bench redis: {n} no-op jobs, {} pickup samples, worker processes with concurrency {concurrency}, {} cores",
        options.samples,
        num_cpus()
    );

    let workers = start_ours(&queue, concurrency);
    let idle = pickup(options.samples, || {
        let queue = queue.clone();
        async move { queue.enqueue(&Noop { n: 0 }, Enqueue::default()).await.map(|_| ()).map_err(Into::into) }
    })
    .await?;
    workers.cancel();
    // Let the stopped workers give back what they held before the backlog goes in.
    tokio::time::sleep(Duration::from_millis(500)).await;

    reset_stats(&server.url).await?;
    let enqueue = backlog(&queue, n).await?;
    let memory_backlog = info_field(&server.url, "memory", "used_memory").await?;
    let (one, one_redis) = drain_with(&server, 1, concurrency, n)?;
    let commands = command_stats(&server.url).await?;
    let memory_one = info_field(&server.url, "memory", "used_memory").await?;
    backlog(&queue, n).await?;
    let (two, two_redis) = drain_with(&server, 2, concurrency, n)?;
    let memory_after = info_field(&server.url, "memory", "used_memory").await?;
    drop(server);
    let ours = Column {
        name: "teleops".into(),
        enqueue: Some(enqueue),
        drain: [Some(one.rate), Some(two.rate)],
        pickup: Some((idle.p50, idle.p99)),
        redis_us: [Some(one_redis), Some(two_redis)],
        worker_us: [Some(one.worker_us), Some(two.worker_us)],
        rss_mb: Some(one.peak_rss_kb.max(two.peak_rss_kb) as f64 / 1024.0),
    };
    if one.done < n as u64 || two.done < n as u64 {
        println!("(only {} and {} of {n} jobs ran within the limit)", one.done, two.done);
    }

    let mut columns = vec![ours];
    if options.peers {
        for name in PEERS {
            // arq drains a few hundred jobs a second: a full backlog would take it most of an hour.
            let jobs = if name == "arq" { n.min(ARQ_JOBS) } else { n };
            let runs: Vec<Option<Peer>> =
                (1..=2).map(|w| start_server().ok().and_then(|server| peer(name, &server.url, jobs, w))).collect();
            let pick = |i: usize, f: &str| runs[i].as_ref().and_then(|p| p.get(f));
            columns.push(Column {
                name: runs.iter().flatten().next().map_or(name.to_owned(), |p| {
                    let version = p.line.get("version").and_then(|v| v.as_str()).unwrap_or("?");
                    let fewer = if jobs < n { format!(" ({jobs} jobs)") } else { String::new() };
                    format!("{} {version}{fewer}", p.name)
                }),
                enqueue: pick(0, "enqueue_per_s"),
                drain: [pick(0, "drain_per_s"), pick(1, "drain_per_s")],
                pickup: pick(0, "pickup_p50_ms").zip(pick(0, "pickup_p99_ms")),
                redis_us: [pick(0, "redis_cpu_us_per_job"), pick(1, "redis_cpu_us_per_job")],
                worker_us: [pick(0, "worker_cpu_us_per_job"), pick(1, "worker_cpu_us_per_job")],
                rss_mb: pick(0, "worker_peak_rss_kb").map(|kb| kb / 1024.0),
            });
            for run in runs.iter().flatten() {
                if let Some(notes) = run.line.get("notes").and_then(|v| v.as_str()).filter(|n| !n.is_empty()) {
                    println!(
                        "{} ({} workers): {notes}",
                        run.name,
                        run.line.get("workers").unwrap_or(&serde_json::Value::Null)
                    );
                }
            }
        }
    }

    println!();
    println!("| measure | {} |", columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(" | "));
    println!("|---{}|", "|---".repeat(columns.len()));
    let row = |label: &str, f: &dyn Fn(&Column) -> String| {
        println!("| {label} | {} |", columns.iter().map(f).collect::<Vec<_>>().join(" | "));
    };
    row("enqueue, batches (jobs/s)", &|c| cell(c.enqueue, 0));
    row("drain, 1 worker process (jobs/s)", &|c| cell(c.drain[0], 0));
    row("drain, 2 worker processes (jobs/s)", &|c| cell(c.drain[1], 0));
    row("idle pickup p50 / p99 (ms)", &|c| c.pickup.map_or("—".into(), |(a, b)| format!("{a:.2} / {b:.2}")));
    row("Redis CPU per job, 1 / 2 processes (us)", &|c| {
        format!("{} / {}", cell(c.redis_us[0], 1), cell(c.redis_us[1], 1))
    });
    row("worker CPU per job, 1 / 2 processes (us)", &|c| {
        format!("{} / {}", cell(c.worker_us[0], 1), cell(c.worker_us[1], 1))
    });
    row("worker peak RSS (MB)", &|c| cell(c.rss_mb, 1));
    let ours = &columns[0];
    for peer in &columns[1..] {
        let ratio = |i: usize| match (ours.drain[i], peer.drain[i]) {
            (Some(a), Some(b)) if b > 0.0 => format!("{:.2}x", a / b),
            _ => "—".into(),
        };
        println!("\ndrain vs {}: {} with 1 process, {} with 2", peer.name, ratio(0), ratio(1));
    }
    // Retention keeps what is left after a drain to the kept finished jobs: the same after n
    // jobs and after 2n.
    println!(
        "Redis used memory with the first backlog / after {n} jobs / after {} (MB): {:.1} / {:.1} / {:.1}",
        2 * n,
        memory_backlog / 1e6,
        memory_one / 1e6,
        memory_after / 1e6
    );
    // Where Redis' time goes over a job's life (enqueue, claim, ack, trim), one worker process.
    let per_job = |v: f64| v / n.max(1) as f64;
    let (scripts, inside): (Vec<_>, Vec<_>) = commands.iter().partition(|(name, ..)| name.starts_with("eval"));
    println!(
        "Redis time per job by command, 1 process (us, calls per job): script calls {}; inside them and beside: {}",
        scripts
            .iter()
            .map(|(c, calls, us)| format!("{c} {:.1} ({:.3})", per_job(*us), per_job(*calls)))
            .collect::<Vec<_>>()
            .join(", "),
        inside
            .iter()
            .take(12)
            .map(|(c, calls, us)| format!("{c} {:.1} ({:.2})", per_job(*us), per_job(*calls)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "goals: pickup p50 <= 2 ms and p99 <= 10 ms -> {}; Redis CPU <= 30 us/job -> {}",
        if idle.p50 <= 2.0 && idle.p99 <= 10.0 { "met" } else { "NOT met" },
        if one_redis <= 30.0 { "met" } else { "NOT met" }
    );
    Ok(())
}
