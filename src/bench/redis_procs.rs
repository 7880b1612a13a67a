//! `bench redis` with worker processes of their own, and the peers in the same run: the
//! `teleops bench redis-worker` children this bench spawns (each prints how many jobs it has run),
//! and `bench/peers/run` for apalis-redis, BullMQ and arq, each on a fresh redis-server.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use shared::metrics::Metrics;
use shared::queue::redis::RedisQueue;
use shared::queue::{Enqueue, Queue};

use super::{DONE, Noop, cpu_seconds, start_ours, status_kb};

/// The hidden `bench redis-worker` role: connects to `url`, says `ready`, starts its workers on
/// the line `go`, then prints `done <n>` every 50 ms until its stdin closes, and `hwm <kB>` (peak
/// RSS) before it exits. Start-up is thus outside the drain, as the peers measure it.
pub async fn child(url: String, concurrency: usize) -> anyhow::Result<()> {
    let queue = Queue::redis(RedisQueue::connect(&url, super::redis::PREFIX).await?, Metrics::new());
    let (go_tx, go_rx) = tokio::sync::oneshot::channel();
    let closed = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
        let _ = go_tx.send(());
        while std::io::stdin().read_line(&mut line).is_ok_and(|n| n > 0) {}
    });
    let mut out = std::io::stdout();
    writeln!(out, "ready")?;
    out.flush()?;
    go_rx.await?;
    let workers = start_ours(&queue, concurrency);
    tokio::pin!(closed);
    loop {
        writeln!(out, "done {}", DONE.load(Ordering::Relaxed))?;
        out.flush()?;
        tokio::select! {
            _ = &mut closed => break,
            _ = tokio::time::sleep(Duration::from_millis(50)) => {}
        }
    }
    workers.cancel();
    writeln!(out, "hwm {}", status_kb(std::process::id(), "VmHWM")?)?;
    Ok(())
}

/// A drain by worker processes.
pub struct ProcessDrain {
    pub rate: f64,
    pub done: u64,
    pub worker_us: f64,
    pub peak_rss_kb: u64,
}

/// Spawns `processes` children on `url`, starts them together once all are ready, waits until
/// they have run `n` jobs (at most `limit`), and stops them. CPU is the children's own over the
/// drain, read just before they stop.
pub fn drain_in_processes(
    url: &str,
    processes: usize,
    concurrency: usize,
    n: u64,
    limit: Duration,
) -> anyhow::Result<ProcessDrain> {
    let exe = std::env::current_exe()?;
    let mut children = Vec::new();
    let mut counts = Vec::new();
    let mut peaks = Vec::new();
    let ready = Arc::new(AtomicU64::new(0));
    for _ in 0..processes {
        let mut child = Command::new(&exe)
            .args(["bench", "redis-worker", "--url", url, "--concurrency", &concurrency.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdout = child.stdout.take().expect("piped");
        let (count, peak, ready) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)), ready.clone());
        let (c, p) = (count.clone(), peak.clone());
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line == "ready" {
                    ready.fetch_add(1, Ordering::Relaxed);
                } else if let Some(v) = line.strip_prefix("done ").and_then(|v| v.parse().ok()) {
                    c.store(v, Ordering::Relaxed);
                } else if let Some(v) = line.strip_prefix("hwm ").and_then(|v| v.parse().ok()) {
                    p.store(v, Ordering::Relaxed);
                }
            }
        });
        children.push(child);
        counts.push(count);
        peaks.push(peak);
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while ready.load(Ordering::Relaxed) < processes as u64 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let cpu_before: f64 = children.iter().map(|c| cpu_seconds(c.id()).unwrap_or(0.0)).sum();
    let started = Instant::now();
    for child in &mut children {
        let stdin = child.stdin.as_mut().expect("piped");
        stdin.write_all(b"go\n")?;
        stdin.flush()?;
    }
    let total = || counts.iter().map(|c| c.load(Ordering::Relaxed)).sum::<u64>();
    while total() < n && started.elapsed() < limit {
        std::thread::sleep(Duration::from_millis(5));
    }
    let secs = started.elapsed().as_secs_f64();
    let done = total();
    let cpu: f64 = children.iter().map(|c| cpu_seconds(c.id()).unwrap_or(0.0)).sum::<f64>() - cpu_before;
    for child in &mut children {
        drop(child.stdin.take());
    }
    for child in &mut children {
        let _ = child.wait();
    }
    // The reader threads take the last lines (`hwm`) after the exit.
    std::thread::sleep(Duration::from_millis(100));
    Ok(ProcessDrain {
        rate: done as f64 / secs,
        done,
        worker_us: cpu * 1e6 / done.max(1) as f64,
        peak_rss_kb: peaks.iter().map(|p| p.load(Ordering::Relaxed)).max().unwrap_or(0),
    })
}

/// Enqueues `n` no-op jobs in batches of 500.
pub async fn backlog(queue: &Queue, n: usize) -> anyhow::Result<f64> {
    let started = Instant::now();
    for chunk in (0..n as u64).collect::<Vec<_>>().chunks(500) {
        let jobs: Vec<_> = chunk.iter().map(|n| (Noop { n: *n }, Enqueue::default())).collect();
        queue.enqueue_many(&jobs).await?;
    }
    Ok(n as f64 / started.elapsed().as_secs_f64())
}

/// One peer's figures, as `bench/peers/run` prints them (one JSON line).
pub struct Peer {
    pub name: String,
    pub line: serde_json::Value,
}

impl Peer {
    pub fn get(&self, field: &str) -> Option<f64> {
        self.line.get(field).and_then(serde_json::Value::as_f64)
    }
}

/// Runs `bench/peers/run <peer>` against `url`; None (with the reason printed) when it fails.
pub fn peer(peer: &str, url: &str, jobs: usize, workers: usize) -> Option<Peer> {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/peers/run");
    let output = Command::new(&script)
        // Without the trailing slash: arq reads an empty path as a bad database number.
        .args([
            peer,
            "--redis-url",
            url.trim_end_matches('/'),
            "--jobs",
            &jobs.to_string(),
            "--workers",
            &workers.to_string(),
        ])
        .stderr(Stdio::inherit())
        .output();
    let output = match output {
        Ok(o) if o.status.success() => o,
        Ok(o) => {
            eprintln!("peer {peer}: exited with {}", o.status);
            return None;
        }
        Err(e) => {
            eprintln!("peer {peer}: {} does not run: {e}", script.display());
            return None;
        }
    };
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text.lines().rev().find_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())?;
    Some(Peer { name: peer.to_owned(), line })
}
