//! `teleops bench`: performance measurements printed as a table; the figures go to BENCHMARKS.md.
//!
//! `bench queue` measures the embedded queue as teleops uses it (the `Queue` facade and the
//! worker runner) and, in the same run, stock apalis-sqlite with its documented real-time setup
//! (update-hook callback) as the peer, then prints ratios. Everything runs on temporary files and
//! loopback; every loop is bounded by a count and a deadline.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

mod equipment;
mod monitoring;
mod monitoring_split;
mod redis;
pub use redis::redis_server;
mod redis_procs;

use apalis::prelude::{BoxDynError, Monitor, TaskSink, WorkerBuilder, WorkerBuilderExt};
use apalis_sqlite::SqliteStorage;
use futures::FutureExt;
use shared::backoff::Backoff;
use shared::jobs::{Job, JobPolicy};
use shared::metrics::Metrics;
use shared::queue::{Enqueue, Queue};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

#[derive(clap::Subcommand, Debug, Clone)]
pub enum Bench {
    /// The embedded queue: enqueue and drain rates, idle pickup latency, idle RSS of `up`.
    Queue {
        /// No-op jobs to enqueue and drain.
        #[arg(long, default_value_t = 20_000)]
        jobs: usize,
        /// Pickup latency samples on an idle queue.
        #[arg(long, default_value_t = 200)]
        samples: usize,
    },
    /// Monitoring: N HTTP monitors at 60 s against a loopback server with the whole stack.
    Monitoring {
        #[arg(long, default_value_t = 1_000)]
        monitors: usize,
        /// How long to run before the restart.
        #[arg(long, default_value_t = 125)]
        seconds: u64,
        /// How long the stack stays stopped before the restart.
        #[arg(long, default_value_t = 10)]
        downtime: u64,
        /// Run the roles as processes instead, on Postgres and Redis: one scheduler and
        /// `--workers` worker processes (no restart).
        #[arg(long)]
        split: bool,
        #[arg(long, default_value_t = 2)]
        workers: usize,
        /// With --split: a superuser URL of the Postgres server.
        #[arg(long, env = "TELEOPS_TEST_POSTGRES_URL")]
        postgres: Option<String>,
        /// With --split: the Redis server's URL.
        #[arg(long, env = "TELEOPS_TEST_REDIS_URL")]
        redis: Option<String>,
    },
    /// Equipment: N devices (all taken, with due dates) and M past loans; `/all` and `/find`
    /// latency, the reminder scan, an import of 10,000 rows.
    Equipment {
        #[arg(long, default_value_t = 100_000)]
        devices: usize,
        #[arg(long, default_value_t = 1_000_000)]
        loans: usize,
        /// Samples per latency figure.
        #[arg(long, default_value_t = 200)]
        samples: usize,
    },
    /// The Redis queue store: enqueue and drain rates, idle pickup, CPU per job (Redis and
    /// worker), peak RSS, on a redis-server the bench starts on loopback.
    Redis {
        #[arg(long, default_value_t = 200_000)]
        jobs: usize,
        #[arg(long, default_value_t = 200)]
        samples: usize,
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
        /// Also measure apalis-redis, BullMQ and arq (bench/peers/run) in the same run.
        #[arg(long)]
        peers: bool,
    },
    /// A worker process of `bench redis` (run as its child process).
    #[command(hide = true)]
    RedisWorker {
        #[arg(long)]
        url: String,
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
    },
    /// A worker process of `bench monitoring --split` (run as its child process).
    #[command(hide = true)]
    MonitoringWorker,
    /// The loopback HTTP server `bench monitoring` checks (run as its child process).
    #[command(hide = true)]
    Target,
}

pub async fn run(what: Bench) -> anyhow::Result<()> {
    match what {
        Bench::Queue { jobs, samples } => queue(jobs.max(100), samples.max(10)).await,
        Bench::Monitoring { monitors, seconds, split: true, workers, postgres, redis, .. } => {
            let (Some(postgres), Some(redis)) = (postgres, redis) else {
                anyhow::bail!("--split needs --postgres and --redis (or run it under .ci/with-servers)");
            };
            let options = monitoring_split::Options {
                monitors: monitors.max(1),
                seconds: seconds.clamp(10, 3600),
                workers: workers.clamp(1, 16),
                postgres,
                redis,
            };
            monitoring_split::run(options).await
        }
        Bench::Monitoring { monitors, seconds, downtime, .. } => {
            let options = monitoring::Options {
                monitors: monitors.max(1),
                seconds: seconds.clamp(10, 3600),
                downtime: downtime.min(3600),
            };
            monitoring::run(options).await
        }
        Bench::Equipment { devices, loans, samples } => {
            let options = equipment::Options {
                devices: devices.clamp(100, 1_000_000),
                loans: loans.min(10_000_000),
                samples: samples.clamp(10, 10_000),
            };
            equipment::run(options).await
        }
        Bench::Redis { jobs, samples, concurrency, peers } => {
            let options = redis::Options {
                jobs: jobs.clamp(100, 2_000_000),
                samples: samples.clamp(10, 10_000),
                concurrency: concurrency.clamp(1, 256),
                peers,
            };
            redis::run(options).await
        }
        Bench::RedisWorker { url, concurrency } => redis_procs::child(url, concurrency.clamp(1, 256)).await,
        Bench::Target => monitoring::target().await,
        Bench::MonitoringWorker => monitoring_split::worker_child().await,
    }
}

/// A job that does nothing but say when it started.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Noop {
    n: u64,
}

impl Job for Noop {
    const QUEUE: &'static str = "bench-noop";
    const POLICY: JobPolicy = JobPolicy {
        max_attempts: 1,
        timeout: Duration::from_secs(10),
        backoff: Backoff::new(Duration::from_secs(1), Duration::from_secs(1)),
    };
}

static DONE: AtomicU64 = AtomicU64::new(0);
static PICKED: std::sync::Mutex<Option<mpsc::UnboundedSender<Instant>>> = std::sync::Mutex::new(None);

fn note_pickup() {
    let now = Instant::now();
    if let Some(tx) = PICKED.lock().expect("pickup lock").as_ref() {
        let _ = tx.send(now);
    }
    DONE.fetch_add(1, Ordering::Relaxed);
}

pub(crate) struct Dir(std::path::PathBuf);

/// A scratch data directory named for `bench` (removed when the `Dir` drops) and settings on it:
/// the dashboard on a free loopback port, warnings only in the log.
pub(crate) fn scratch(bench: &str) -> anyhow::Result<(Dir, shared::config::Settings)> {
    let dir = Dir(std::env::temp_dir().join(format!("teleops-bench-{bench}-{}", std::process::id())));
    let vars: std::collections::HashMap<String, String> = [
        ("TELEOPS_DATA_DIR", dir.0.display().to_string()),
        ("TELEOPS_DASHBOARD_ADDR", "127.0.0.1:0".into()),
        ("TELEOPS_LOG", "warn".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let settings = shared::config::Settings::from_vars(&vars)?;
    Ok((dir, settings))
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn queue(n_jobs: usize, n_samples: usize) -> anyhow::Result<()> {
    let dir = Dir(std::env::temp_dir().join(format!("teleops-bench-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0)?;
    let url = format!("sqlite://{}?mode=rwc", dir.0.join("queue.db").display());
    let concurrency = 8;
    println!(
        "bench queue: {n_jobs} no-op jobs, {n_samples} pickup samples, concurrency {concurrency}, {} cores",
        num_cpus()
    );

    // teleops: the Queue facade and the worker runner. Idle pickup first, then the bulk load.
    let queue = Queue::connect(&url, Metrics::new()).await?;
    queue.migrate().await?;
    let ours = start_ours(&queue, concurrency);
    let pickup_ours = pickup(n_samples, || {
        let queue = queue.clone();
        async move { queue.enqueue(&Noop { n: 0 }, Enqueue::default()).await.map(|_| ()).map_err(Into::into) }
    })
    .await?;
    // Another process's enqueue: no in-process wake-up, so the worker's poll tick bounds it.
    let other = Queue::connect(&url, Metrics::new()).await?;
    let pickup_other = pickup(n_samples.min(50), || {
        let other = other.clone();
        async move { other.enqueue(&Noop { n: 0 }, Enqueue::default()).await.map(|_| ()).map_err(Into::into) }
    })
    .await?;
    ours.cancel();
    let n_single = (n_jobs / 10).max(100);
    let enqueue_single = {
        let started = Instant::now();
        for i in 0..n_single {
            queue.enqueue(&Noop { n: i as u64 }, Enqueue::default()).await?;
        }
        n_single as f64 / started.elapsed().as_secs_f64()
    };
    let enqueue_batch = {
        let started = Instant::now();
        for chunk in (0..n_jobs as u64).collect::<Vec<_>>().chunks(500) {
            let jobs: Vec<_> = chunk.iter().map(|n| (Noop { n: *n }, Enqueue::default())).collect();
            queue.enqueue_many(&jobs).await?;
        }
        n_jobs as f64 / started.elapsed().as_secs_f64()
    };
    let ours = start_ours(&queue, concurrency);
    let drain_ours = drain(n_single + n_jobs, Duration::from_secs(300)).await;
    ours.cancel();

    // The peer: stock apalis-sqlite, update-hook callback, the same concurrency.
    let peer_url = format!("sqlite://{}?mode=rwc", dir.0.join("peer.db").display());
    let (pool, callback) = SqliteStorage::connect_with_callback(&peer_url)?;
    SqliteStorage::setup(&pool).await?;
    let peer = CancellationToken::new();
    let peer_monitor = Monitor::new().register({
        let (pool, callback) = (pool.clone(), callback.clone());
        move |_| {
            WorkerBuilder::new("bench-peer")
                .backend(SqliteStorage::<u64>::new(&pool).with_callback(callback.clone()))
                .concurrency(concurrency)
                .build(|_: u64| async {
                    note_pickup();
                    Ok::<(), BoxDynError>(())
                })
        }
    });
    let token = peer.clone();
    tokio::spawn(peer_monitor.run_with_signal(async move {
        token.cancelled().await;
        Ok(())
    }));
    let pickup_peer = pickup(n_samples, || {
        let mut sink = SqliteStorage::<u64>::new(&pool);
        async move { sink.push(0).await.map_err(Into::into) }
    })
    .await?;
    let mut sink = SqliteStorage::<u64>::new(&pool);
    let peer_enqueue = {
        let started = Instant::now();
        sink.push_bulk((0..n_jobs as u64).collect()).await?;
        n_jobs as f64 / started.elapsed().as_secs_f64()
    };
    let drain_peer = drain(n_jobs, Duration::from_secs(120)).await;
    peer.cancel();

    let rss = idle_rss_of_up().await;

    println!();
    println!("| measure | teleops | stock apalis-sqlite | ratio |");
    println!("|---|---|---|---|");
    println!("| enqueue, one job per transaction (jobs/s) | {enqueue_single:.0} | — | — |");
    println!(
        "| enqueue, batches of 500 (jobs/s) | {enqueue_batch:.0} | {peer_enqueue:.0} (push_bulk) | {:.2}x |",
        enqueue_batch / peer_enqueue
    );
    println!(
        "| drain no-op jobs (jobs/s) | {} | {} | {:.2}x |",
        drain_ours.describe(),
        drain_peer.describe(),
        drain_ours.rate / drain_peer.rate
    );
    println!(
        "| idle pickup p50 / p99 / max (ms), same process | {} | {} | p99 {:.2}x |",
        pickup_ours.describe(),
        pickup_peer.describe(),
        pickup_ours.p99 / pickup_peer.p99
    );
    println!("| idle pickup p50 / p99 / max (ms), enqueued by another process | {} | — | — |", pickup_other.describe());
    match rss {
        Ok(kb) => println!("| idle RSS of `teleops up` (MB) | {:.1} | — | goal <= 60 |", kb as f64 / 1024.0),
        Err(e) => println!("| idle RSS of `teleops up` | not measured: {e:#} | — | — |"),
    }
    println!("\ngoals: pickup p99 <= 250 ms -> {}", if pickup_ours.p99 <= 250.0 { "met" } else { "NOT met" });
    Ok(())
}

fn start_ours(queue: &Queue, concurrency: usize) -> CancellationToken {
    let deps = Arc::new(worker::Deps {
        db: sea_orm::DatabaseConnection::default(),
        queue: queue.clone(),
        metrics: Metrics::new(),
        clock: Arc::new(shared::clock::SystemClock),
        limiter: Default::default(),
        bot: None,
        admins: Vec::new(),
    });
    let monitor = worker::register::<Noop>(Monitor::new(), &deps, &worker::run_id(), concurrency, |_, _| {
        async {
            note_pickup();
            Ok(())
        }
        .boxed()
    });
    let token = CancellationToken::new();
    let stop = token.clone();
    tokio::spawn(monitor.run_with_signal(async move {
        stop.cancelled().await;
        Ok(())
    }));
    token
}

struct Drain {
    rate: f64,
    done: u64,
    of: usize,
    secs: f64,
}

impl Drain {
    fn describe(&self) -> String {
        if self.done as usize >= self.of {
            format!("{:.0}", self.rate)
        } else {
            format!("{:.0} (only {} of {} in {:.0} s)", self.rate, self.done, self.of, self.secs)
        }
    }
}

/// Waits until `n` more jobs have run, for at most `limit`; jobs/s over what ran.
async fn drain(n: usize, limit: Duration) -> Drain {
    let start_count = DONE.load(Ordering::Relaxed);
    let started = Instant::now();
    while DONE.load(Ordering::Relaxed) < start_count + n as u64 && started.elapsed() < limit {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let done = DONE.load(Ordering::Relaxed) - start_count;
    let secs = started.elapsed().as_secs_f64();
    Drain { rate: done as f64 / secs, done, of: n, secs }
}

struct Latency {
    p50: f64,
    p99: f64,
    max: f64,
}

impl Latency {
    fn describe(&self) -> String {
        format!("{:.2} / {:.2} / {:.2}", self.p50, self.p99, self.max)
    }
}

/// Enqueues one job at a time on an idle queue and measures until its handler starts.
async fn pickup<F, Fut>(n: usize, enqueue: F) -> anyhow::Result<Latency>
where
    F: Fn() -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let (tx, mut rx) = mpsc::unbounded_channel();
    *PICKED.lock().expect("pickup lock") = Some(tx);
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        tokio::time::sleep(Duration::from_millis(20)).await;
        while rx.try_recv().is_ok() {}
        let sent = Instant::now();
        enqueue().await?;
        let picked = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .map_err(|_| anyhow::anyhow!("a job was not picked up within 10 s"))?
            .ok_or_else(|| anyhow::anyhow!("pickup channel closed"))?;
        samples.push((picked - sent).as_secs_f64() * 1000.0);
    }
    *PICKED.lock().expect("pickup lock") = None;
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| samples[((samples.len() as f64 * q).ceil() as usize).saturating_sub(1).min(samples.len() - 1)];
    Ok(Latency { p50: at(0.50), p99: at(0.99), max: *samples.last().expect("samples") })
}

/// Starts `teleops up` (this executable) on a temporary data dir, waits for /health, lets it idle
/// and reads its resident set size.
async fn idle_rss_of_up() -> anyhow::Result<u64> {
    let dir = Dir(std::env::temp_dir().join(format!("teleops-bench-up-{}", std::process::id())));
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let mut child = tokio::process::Command::new(std::env::current_exe()?)
        .arg("up")
        .env("TELEOPS_DATA_DIR", &dir.0)
        .env("TELEOPS_DASHBOARD_ADDR", format!("127.0.0.1:{port}"))
        .env_remove("TELEOPS_BOT_TOKEN")
        .env_remove("TELOXIDE_TOKEN")
        .env("TELEOPS_LOG", "error")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let pid = child.id().ok_or_else(|| anyhow::anyhow!("no pid"))?;
    let deadline = Instant::now() + Duration::from_secs(30);
    while !health_ok(port).await {
        anyhow::ensure!(Instant::now() < deadline, "teleops up did not become healthy in 30 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Idle: let start-up allocations settle, then take the largest of a few readings.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let mut rss_kb = 0;
    for _ in 0..5 {
        rss_kb = rss_kb.max(vm_rss_kb(pid)?);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let _ = std::process::Command::new("kill").arg("-TERM").arg(pid.to_string()).status();
    let _ = tokio::time::timeout(Duration::from_secs(10), child.wait()).await;
    Ok(rss_kb)
}

async fn health_ok(port: u16) -> bool {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(mut stream) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await else { return false };
    if stream.write_all(b"GET /health HTTP/1.0\r\nHost: localhost\r\n\r\n").await.is_err() {
        return false;
    }
    let mut head = [0u8; 16];
    matches!(stream.read(&mut head).await, Ok(n) if n >= 12 && &head[9..12] == b"200")
}

pub(crate) fn vm_rss_kb(pid: u32) -> anyhow::Result<u64> {
    status_kb(pid, "VmRSS")
}

/// A kB figure of `/proc/<pid>/status`, e.g. `VmRSS` or `VmHWM` (the peak).
pub(crate) fn status_kb(pid: u32, field: &str) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field).and_then(|rest| rest.strip_prefix(':')))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no {field} for {pid}"))
}

pub(crate) fn num_cpus() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

/// Fields of `/proc/<pid>/stat` after the command name (the first is the state, field 3).
fn stat_fields(pid: u32) -> anyhow::Result<Vec<f64>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let after_name = stat.rsplit(')').next().unwrap_or("");
    Ok(after_name.split_whitespace().map(|v| v.parse::<f64>().unwrap_or(0.0)).collect())
}

/// Clock ticks of user + system time (fields 14 and 15) in `fields` of [`stat_fields`]; with
/// `reaped`, those of reaped children (16 and 17) too.
fn ticks(fields: &[f64], reaped: bool) -> f64 {
    fields.get(11..if reaped { 15 } else { 13 }).map_or(0.0, |f| f.iter().sum())
}

/// User + system CPU time of process `pid`, in seconds.
pub(crate) fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    Ok(ticks(&stat_fields(pid)?, false) / 100.0)
}

/// CPU time of a server that forks a process per connection (Postgres): `pid`'s own, its reaped
/// children's (fields 16 and 17) and its live children's, in seconds. The difference of two
/// readings is the server's CPU between them, also across children that exited in between.
pub(crate) fn tree_cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    let mut total = ticks(&stat_fields(pid)?, true);
    for entry in std::fs::read_dir("/proc")?.flatten() {
        let Some(child) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
        // A process that ended between the listing and the read is in the reaped figures.
        let Ok(fields) = stat_fields(child) else { continue };
        if fields.get(1) == Some(&f64::from(pid)) {
            total += ticks(&fields, false);
        }
    }
    Ok(total / 100.0)
}
