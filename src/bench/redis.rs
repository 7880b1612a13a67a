//! `teleops bench redis`: the Redis queue store as teleops uses it (the `Queue` facade and the
//! worker runner, one worker process: this one) against a redis-server this bench starts on a
//! free loopback port (AOF on, as in production). It prints enqueue and drain rates, idle pickup
//! latency, CPU per job split between Redis and the worker, the worker's peak RSS and Redis'
//! memory. Peers (apalis-redis, BullMQ, arq) are measured by the harness under bench/, not here.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use shared::metrics::Metrics;
use shared::queue::redis::RedisQueue;
use shared::queue::{Enqueue, Queue};

use super::{Dir, Noop, cpu_seconds, drain, num_cpus, pickup, start_ours, status_kb};

pub struct Options {
    pub jobs: usize,
    pub samples: usize,
    pub concurrency: usize,
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

fn start_server() -> anyhow::Result<Server> {
    let dir = Dir(std::env::temp_dir().join(format!("teleops-bench-redis-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0)?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes"])
        .arg("--dir")
        .arg(&dir.0)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| anyhow::anyhow!("redis-server does not start (apt-get install redis-server): {e}"))?;
    Ok(Server { child, url: format!("redis://127.0.0.1:{port}/"), _dir: dir })
}

async fn info_field(url: &str, section: &str, field: &str) -> anyhow::Result<f64> {
    let mut conn = redis::Client::open(url)?.get_multiplexed_async_connection().await?;
    let info: String = redis::cmd("INFO").arg(section).query_async(&mut conn).await?;
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no {field} in INFO {section}"))
}

pub async fn run(options: Options) -> anyhow::Result<()> {
    let server = start_server()?;
    let deadline = Instant::now() + Duration::from_secs(10);
    let store = loop {
        match RedisQueue::connect(&server.url, "teleops-bench:").await {
            Ok(store) => break store,
            Err(e) if Instant::now() > deadline => return Err(e.into()),
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    };
    let queue = Queue::redis(store, Metrics::new());
    let (n, concurrency) = (options.jobs, options.concurrency);
    println!(
        "bench redis: {n} no-op jobs, {} pickup samples, one worker process with concurrency {concurrency}, {} cores",
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

    let enqueue = {
        let started = Instant::now();
        for chunk in (0..n as u64).collect::<Vec<_>>().chunks(500) {
            let jobs: Vec<_> = chunk.iter().map(|n| (Noop { n: *n }, Enqueue::default())).collect();
            queue.enqueue_many(&jobs).await?;
        }
        n as f64 / started.elapsed().as_secs_f64()
    };
    let memory_backlog = info_field(&server.url, "memory", "used_memory").await?;

    let redis_pid = server.child.id();
    let (redis_cpu, self_cpu) = (cpu_seconds(redis_pid)?, cpu_seconds(std::process::id())?);
    let workers = start_ours(&queue, concurrency);
    let drained = drain(n, Duration::from_secs(900)).await;
    let redis_us = (cpu_seconds(redis_pid)? - redis_cpu) * 1e6 / drained.done.max(1) as f64;
    let worker_us = (cpu_seconds(std::process::id())? - self_cpu) * 1e6 / drained.done.max(1) as f64;
    workers.cancel();
    let memory_after = info_field(&server.url, "memory", "used_memory").await?;

    println!();
    println!("| measure | teleops on Redis |");
    println!("|---|---|");
    println!("| enqueue, batches of 500 (jobs/s) | {enqueue:.0} |");
    println!("| drain no-op jobs, one worker process (jobs/s) | {} |", drained.describe());
    println!("| idle pickup p50 / p99 / max (ms) | {} |", idle.describe());
    println!("| CPU per job while draining: Redis / worker (us) | {redis_us:.1} / {worker_us:.1} |");
    println!("| worker peak RSS (MB) | {:.1} |", status_kb(std::process::id(), "VmHWM")? as f64 / 1024.0);
    println!(
        "| Redis used memory with the backlog / after the drain (MB) | {:.1} / {:.1} |",
        memory_backlog / 1e6,
        memory_after / 1e6
    );
    println!(
        "\ngoals: pickup p50 <= 2 ms and p99 <= 10 ms -> {}; Redis CPU <= 30 us/job -> {}",
        if idle.p50 <= 2.0 && idle.p99 <= 10.0 { "met" } else { "NOT met" },
        if redis_us <= 30.0 { "met" } else { "NOT met" }
    );
    Ok(())
}
