//! apalis-redis peer for `teleops bench redis`. Run through bench/peers/run, not directly:
//!
//!   apalis-redis-peer bench --redis-url redis://127.0.0.1:PORT --jobs N --workers W
//!
//! The parent flushes the db and measures:
//! 1. enqueue: N no-op jobs pushed with `push_bulk` in chunks of 1,000, no worker running, timed
//!    (Redis CPU of that pass kept to correct the drain figure below), then FLUSHALL again;
//! 2. drain: W worker processes (`apalis-redis-peer worker`, stock `RedisStorage` with its default
//!    config on our queue name, `.concurrency(8)`). apalis-redis 1.0 stores every pushed task in
//!    its scheduled set and the next fetch promotes all due ones with one Lua `unpack`, which
//!    fails ("too many results to unpack") once more than ~8,000 are due at once and kills the
//!    worker. So the backlog is fed in chunks (`--feed`, 2,000): the first before the workers
//!    start, each next one once the workers have promoted the previous one (scheduled set empty)
//!    and fewer than `--feed-below` (1,000) tasks are waiting;
//! 3. idle pickup: single pushes on the idle queue, enqueue -> handler start, 30 s deadline each.
//!
//! Prints one JSON line on stdout; logs go to stderr.

use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use apalis::prelude::*;
use apalis_redis::{Config, RedisStorage};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

const QUEUE: &str = "teleops-peer";
const CONCURRENCY: usize = 8;
const CHUNK: usize = 1000;
const FEED: usize = 2000;
const FEED_BELOW: usize = 1000;
const CLK_TCK: f64 = 100.0; // Linux USER_HZ

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Noop {
    k: u64,
    #[serde(default)]
    p: bool,
}

macro_rules! log {
    ($($t:tt)*) => { eprintln!("[apalis-redis] {}", format!($($t)*)) };
}

fn unix_ns() -> u128 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_nanos()
}

fn cpu_seconds(pid: u32) -> Res<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let rest = &stat[stat.rfind(')').ok_or("bad stat")? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    Ok((f[11].parse::<f64>()? + f[12].parse::<f64>()?) / CLK_TCK)
}

fn status_kb(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(&format!("{field}:")))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// The apalis-redis version this binary was built with, read from the committed Cargo.lock.
fn locked_version(name: &str) -> String {
    let lock = include_str!("../Cargo.lock");
    let needle = format!("name = \"{name}\"\nversion = \"");
    lock.find(&needle)
        .map(|i| {
            let v = &lock[i + needle.len()..];
            v[..v.find('"').unwrap_or(0)].to_owned()
        })
        .unwrap_or_else(|| "unknown".into())
}

/// Sleep before the next count during a drain: half the expected time left, 2 to 50 ms.
fn poll_s(done: usize, total: usize, elapsed_s: f64) -> f64 {
    if done == 0 {
        return 0.02;
    }
    ((total - done.min(total)) as f64 * elapsed_s / done as f64 / 2.0).clamp(0.002, 0.05)
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    let i = ((sorted.len() as f64 * q).ceil() as usize).saturating_sub(1).min(sorted.len() - 1);
    sorted[i]
}

fn storage(conn: apalis_redis::ConnectionManager) -> RedisStorage<Noop> {
    RedisStorage::new(conn).with_config(Config::default().queue(QUEUE))
}

// ------------------------------------------------------------------------------------------------
// Worker process: connects, says "R", runs the worker on "go", stops on "stop" (or EOF).

async fn handle(job: Noop) -> Result<(), BoxDynError> {
    if job.p {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "P {} {}", job.k, unix_ns());
        let _ = out.flush();
    }
    Ok(())
}

async fn worker_main(url: String, name: String) -> Res<()> {
    let conn = apalis_redis::connect(url.as_str()).await?;
    let worker = WorkerBuilder::new(name).backend(storage(conn)).concurrency(CONCURRENCY).build(handle);
    println!("R");
    std::io::stdout().flush()?;
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    loop {
        match lines.next_line().await? {
            Some(l) if l == "go" => break,
            Some(_) => continue,
            None => return Ok(()),
        }
    }
    let stop = async move {
        while let Ok(Some(l)) = lines.next_line().await {
            if l == "stop" {
                break;
            }
        }
        Ok::<(), std::io::Error>(())
    };
    if let Err(e) = worker.run_until(stop).await {
        log!("worker stopped with an error: {e}");
        std::process::exit(3);
    }
    Ok(())
}

// ------------------------------------------------------------------------------------------------
// Parent.

struct Opts {
    url: String,
    jobs: usize,
    workers: usize,
    samples: usize,
    pickup_budget: f64,
    drain_timeout: f64,
    feed: usize,
    feed_below: usize,
}

fn parse(args: &[String]) -> Res<Opts> {
    let mut o = Opts { url: String::new(), jobs: 0, workers: 0, samples: 200, pickup_budget: 120.0, drain_timeout: 300.0, feed: FEED, feed_below: FEED_BELOW };
    let mut it = args.iter();
    while let Some(k) = it.next() {
        let v = it.next().ok_or_else(|| format!("{k} needs a value"))?;
        match k.as_str() {
            "--redis-url" => o.url = v.clone(),
            "--jobs" => o.jobs = v.parse()?,
            "--workers" => o.workers = v.parse()?,
            "--samples" => o.samples = v.parse()?,
            "--pickup-budget" => o.pickup_budget = v.parse()?,
            "--drain-timeout" => o.drain_timeout = v.parse()?,
            "--feed" => o.feed = v.parse()?,
            "--feed-below" => o.feed_below = v.parse()?,
            _ => return Err(format!("unknown argument {k}").into()),
        }
    }
    if o.feed == 0 || o.feed > 7500 {
        return Err("--feed F needs 0 < F <= 7500 (apalis-redis fails above ~8000 due tasks)".into());
    }
    if o.url.is_empty() || o.jobs == 0 || o.workers == 0 {
        return Err("need --redis-url, --jobs N, --workers W".into());
    }
    Ok(o)
}

enum Line {
    Ready,
    Picked(u64, u128),
}

struct Workers {
    children: Vec<Child>,
    pids: Vec<u32>,
}

impl Workers {
    fn start(url: &str, n: usize, tx: mpsc::UnboundedSender<Line>) -> Res<Self> {
        let exe = std::env::current_exe()?;
        let mut children = Vec::new();
        let mut pids = Vec::new();
        for i in 0..n {
            let name = format!("teleops-peer-{}-{i}", std::process::id());
            let mut child = Command::new(&exe)
                .args(["worker", "--redis-url", url, "--name", &name])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .kill_on_drop(true)
                .spawn()?;
            pids.push(child.id().ok_or("no pid")?);
            let stdout = child.stdout.take().ok_or("no stdout")?;
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(stdout).lines();
                while let Ok(Some(l)) = lines.next_line().await {
                    let parts: Vec<&str> = l.split_whitespace().collect();
                    match parts.as_slice() {
                        ["R"] => {
                            let _ = tx.send(Line::Ready);
                        }
                        ["P", k, ns] => {
                            if let (Ok(k), Ok(ns)) = (k.parse(), ns.parse()) {
                                let _ = tx.send(Line::Picked(k, ns));
                            }
                        }
                        _ => {}
                    }
                }
            });
            children.push(child);
        }
        Ok(Workers { children, pids })
    }

    async fn send(&mut self, line: &str) {
        for c in &mut self.children {
            if let Some(stdin) = c.stdin.as_mut() {
                let _ = stdin.write_all(format!("{line}\n").as_bytes()).await;
                let _ = stdin.flush().await;
            }
        }
    }

    fn exited(&mut self) -> bool {
        self.children.iter_mut().any(|c| !matches!(c.try_wait(), Ok(None)))
    }

    /// Asks every worker to stop; kills (by its own pid) any that has not exited within `limit`.
    async fn stop(mut self, limit: Duration) -> bool {
        self.send("stop").await;
        let mut clean = true;
        let until = Instant::now() + limit;
        for c in &mut self.children {
            let left = until.saturating_duration_since(Instant::now());
            if tokio::time::timeout(left, c.wait()).await.is_err() {
                let _ = c.kill().await;
                clean = false;
            }
        }
        clean
    }
}

async fn push_chunked(sink: &mut RedisStorage<Noop>, from: usize, to: usize, p: bool) -> Res<()> {
    let mut start = from;
    while start < to {
        let end = (start + CHUNK).min(to);
        let jobs: Vec<Noop> = (start..end).map(|k| Noop { k: k as u64, p }).collect();
        sink.push_bulk(jobs).await.map_err(|e| format!("push_bulk: {e}"))?;
        start = end;
    }
    Ok(())
}

async fn bench_main(o: Opts) -> Res<()> {
    let version = locked_version("apalis-redis");
    let mut notes: Vec<String> = Vec::new();
    let client = redis::Client::open(o.url.as_str())?;
    let mut cmd = client.get_multiplexed_async_connection().await?;
    // FLUSHALL of a 200,000-job keyspace takes longer than the client's 500 ms default.
    cmd.set_response_timeout(Duration::from_secs(60));
    redis::cmd("FLUSHALL").query_async::<()>(&mut cmd).await?;
    let info: String = redis::cmd("INFO").arg("server").query_async(&mut cmd).await?;
    let redis_pid: u32 = info
        .lines()
        .find_map(|l| l.strip_prefix("process_id:"))
        .ok_or("no process_id in INFO server")?
        .trim()
        .parse()?;
    cpu_seconds(redis_pid).map_err(|e| format!("redis-server pid {redis_pid} not readable here: {e}"))?;
    let (n, w) = (o.jobs, o.workers);
    log!("apalis-redis {version}, {n} jobs, {w} worker processes x concurrency {CONCURRENCY}, redis pid {redis_pid}");

    let config = Config::default().queue(QUEUE);
    let (scheduled, done_set, dead_set) = (config.scheduled_jobs_set(), config.done_jobs_set(), config.dead_jobs_set());
    let active_list = config.active_jobs_list();
    let mut sink = storage(apalis_redis::connect(o.url.as_str()).await?);

    // 1. Enqueue rate: push_bulk in chunks of 1,000 with no worker running (nothing fetches, so
    //    nothing trips over the due-set limit), then wipe it.
    let cpu0 = cpu_seconds(redis_pid)?;
    let t = Instant::now();
    push_chunked(&mut sink, 0, n, false).await?;
    let enqueue_s = t.elapsed().as_secs_f64();
    let push_redis_us = (cpu_seconds(redis_pid)? - cpu0) * 1e6 / n as f64;
    log!("enqueue: {n} in {enqueue_s:.3} s = {:.0}/s (Redis {push_redis_us:.1} us/job)", n as f64 / enqueue_s);
    redis::cmd("FLUSHALL").query_async::<()>(&mut cmd).await?;

    // 2. Drain, fed in chunks of o.feed: the next chunk goes in once the previous one has been
    //    promoted (scheduled set empty) and the active list is below o.feed_below.
    let (feed, feed_below) = (o.feed, o.feed_below);
    let first = feed.min(n);
    push_chunked(&mut sink, 0, first, false).await?;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut workers = Workers::start(&o.url, w, tx)?;
    let mut ready = 0;
    let ready_until = Instant::now() + Duration::from_secs(30);
    while ready < w {
        match tokio::time::timeout(ready_until.saturating_duration_since(Instant::now()), rx.recv()).await {
            Ok(Some(Line::Ready)) => ready += 1,
            Ok(Some(_)) => {}
            _ => return Err("workers not ready within 30 s".into()),
        }
    }
    let redis_cpu0 = cpu_seconds(redis_pid)?;
    let worker_cpu0: Vec<f64> = workers.pids.iter().map(|p| cpu_seconds(*p)).collect::<Res<_>>()?;
    let t = Instant::now();
    workers.send("go").await;
    let (mut fed, mut done, mut dead) = (first, 0usize, 0usize);
    let mut feeds = 1;
    let until = t + Duration::from_secs_f64(o.drain_timeout);
    while Instant::now() < until {
        let (sched, active, d, x): (usize, usize, usize, usize) = redis::pipe()
            .zcard(&scheduled)
            .llen(&active_list)
            .scard(&done_set)
            .scard(&dead_set)
            .query_async(&mut cmd)
            .await?;
        (done, dead) = (d, x);
        if done + dead >= n {
            break;
        }
        if workers.exited() {
            notes.push("a worker exited during the drain".into());
            break;
        }
        if fed < n && sched == 0 && active < feed_below {
            let to = (fed + feed).min(n);
            push_chunked(&mut sink, fed, to, false).await?;
            fed = to;
            feeds += 1;
            continue;
        }
        // Feeding needs a quick look at the backlog; once everything is fed, count less often.
        let pause = if fed < n { 0.005 } else { poll_s(done + dead, n, t.elapsed().as_secs_f64()) };
        tokio::time::sleep(Duration::from_secs_f64(pause)).await;
    }
    let drain_s = t.elapsed().as_secs_f64();
    let redis_cpu = cpu_seconds(redis_pid)? - redis_cpu0;
    let worker_cpu: f64 = workers.pids.iter().zip(&worker_cpu0).map(|(p, c0)| cpu_seconds(*p).unwrap_or(*c0) - c0).sum();
    let finished = (done + dead).max(1) as f64;
    let redis_raw_us = redis_cpu * 1e6 / finished;
    // The drain also carried the pushes of every chunk after the first: take their Redis CPU, as
    // measured in the enqueue pass, out of the drain figure.
    let redis_us = (redis_cpu * 1e6 - push_redis_us * (fed - first) as f64).max(0.0) / finished;
    if done < n {
        notes.push(format!("drain: only {done} of {n} done ({dead} dead) within {:.0} s", o.drain_timeout));
    }
    log!(
        "drain: {done} in {drain_s:.3} s = {:.0}/s, fed in {feeds} chunks of <= {feed} (next when < {feed_below} waiting); cpu redis {redis_cpu:.2} s \
         ({redis_raw_us:.1} us/job raw, {redis_us:.1} without the fed pushes), workers {worker_cpu:.2} s",
        done as f64 / drain_s
    );

    // 3. Idle pickup.
    let mut samples: Vec<f64> = Vec::new();
    let mut timeouts = 0;
    let budget_until = Instant::now() + Duration::from_secs_f64(o.pickup_budget);
    let mut k = n as u64;
    for s in 0..o.samples {
        if Instant::now() > budget_until {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        while rx.try_recv().is_ok() {}
        let sent = unix_ns();
        sink.push(Noop { k, p: true }).await.map_err(|e| format!("push: {e}"))?;
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut got = None;
        while got.is_none() {
            match tokio::time::timeout(deadline.saturating_duration_since(Instant::now()), rx.recv()).await {
                Ok(Some(Line::Picked(pk, ns))) => {
                    if pk == k {
                        got = Some(ns);
                    }
                }
                Ok(Some(_)) => {}
                _ => break,
            }
        }
        match got {
            Some(ns) => {
                samples.push(ns.saturating_sub(sent) as f64 / 1e6);
                // Wait for its ack before the next sample.
                let want = done + dead + (s + 1 - timeouts);
                let ack_until = Instant::now() + Duration::from_secs(30);
                loop {
                    let (d, x): (usize, usize) = redis::pipe().scard(&done_set).scard(&dead_set).query_async(&mut cmd).await?;
                    if d + x >= want {
                        break;
                    }
                    if Instant::now() > ack_until {
                        log!("pickup sample {s}: started but not acked within 30 s");
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            }
            None => {
                timeouts += 1;
                samples.push(30000.0);
                log!("pickup sample {s}: not started within 30 s");
            }
        }
        log!("pickup sample {s}: {:.2} ms", samples.last().copied().unwrap_or_default());
        k += 1;
    }
    samples.sort_by(f64::total_cmp);
    if samples.len() < o.samples {
        notes.push(format!("pickup: {} of {} samples within the {:.0} s budget", samples.len(), o.samples, o.pickup_budget));
    }
    if timeouts > 0 {
        notes.push(format!("pickup: {timeouts} samples hit the 30 s deadline (counted as 30000 ms)"));
    }
    let (p50, p99, max) = (percentile(&samples, 0.5), percentile(&samples, 0.99), *samples.last().unwrap_or(&0.0));
    log!("pickup: {} samples, p50 {p50:.2} ms, p99 {p99:.2} ms, max {max:.2} ms", samples.len());
    let rss_kb = workers.pids.iter().map(|p| status_kb(*p, "VmHWM")).max().unwrap_or(0);
    if !workers.stop(Duration::from_secs(10)).await {
        notes.push("a worker did not stop within 10 s and was killed".into());
    }

    notes.insert(
        0,
        format!(
            "stock RedisStorage, default Config (batch 10, results persisted), {w} worker process(es) x concurrency \
             {CONCURRENCY}; apalis-redis 1.0 fails (Lua unpack) once > ~8000 tasks are due at once, so the drain backlog was \
             fed in {feeds} chunks of <= {feed} while the workers ran (the first before they started, each next one once \
             fewer than {feed_below} were waiting); its ack does an LREM over the waiting list, so its cost grows with the \
             backlog; redis_cpu_us_per_job \
             excludes those pushes' Redis CPU as measured in the enqueue pass ({push_redis_us:.1} us/job), raw {redis_raw_us:.1}; \
             drain timed from go to all acked in Redis; pickup = push call -> handler start"
        ),
    );
    let r1 = |x: f64| (x * 10.0).round() / 10.0;
    let r2 = |x: f64| (x * 100.0).round() / 100.0;
    let out = serde_json::json!({
        "peer": "apalis-redis",
        "version": version,
        "jobs": n,
        "workers": w,
        "enqueue_per_s": (n as f64 / enqueue_s).round() as u64,
        "drain_per_s": (done as f64 / drain_s).round() as u64,
        "redis_cpu_us_per_job": r1(redis_us),
        "worker_cpu_us_per_job": r1(worker_cpu * 1e6 / finished),
        "worker_peak_rss_kb": rss_kb,
        "pickup_p50_ms": r2(p50),
        "pickup_p99_ms": r2(p99),
        "pickup_max_ms": r2(max),
        "pickup_samples": samples.len(),
        "pickup_timeouts": timeouts,
        "drained": done,
        "redis_cpu_us_per_job_raw": r1(redis_raw_us),
        "feed": feed,
        "feed_below": feed_below,
        "notes": notes.join("; "),
    });
    println!("{out}");
    Ok(())
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("bench") => match parse(&args[1..]) {
            // Whole-run deadline: enqueue and start-up get 150 s on top of the drain and pickup
            // limits. Dropping the run kills the workers (kill_on_drop, by their own pids).
            Ok(o) => {
                let limit = Duration::from_secs_f64(o.drain_timeout + o.pickup_budget + 150.0);
                match tokio::time::timeout(limit, bench_main(o)).await {
                    Ok(r) => r,
                    Err(_) => Err(format!("run deadline passed ({} s), giving up", limit.as_secs()).into()),
                }
            }
            Err(e) => Err(e),
        },
        Some("worker") if args.len() == 5 && args[1] == "--redis-url" && args[3] == "--name" => {
            worker_main(args[2].clone(), args[4].clone()).await
        }
        _ => Err("usage: apalis-redis-peer bench --redis-url URL --jobs N --workers W".into()),
    };
    if let Err(e) = result {
        log!("failed: {e}");
        std::process::exit(1);
    }
}
