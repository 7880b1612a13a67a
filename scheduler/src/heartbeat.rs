//! The heartbeat schedule: one `heartbeat` job a minute, keyed by the minute.

use std::str::FromStr;

use apalis::prelude::{BoxDynError, Data, Monitor, WorkerBuilder};
use apalis_cron::{CronScheduler, Tick};
use shared::jobs::{Heartbeat, MaintainResults, PurgeQueue};
use shared::queue::{Enqueue, Queue};

/// The key that makes every replica's tick for one minute the same job.
pub fn heartbeat_key(slot: i64) -> String {
    format!("heartbeat:0:{slot}")
}

/// The slot (Unix seconds, whole minute) a tick at `timestamp` stands for.
pub fn heartbeat_slot(timestamp: i64) -> i64 {
    timestamp - timestamp.rem_euclid(60)
}

async fn enqueue_heartbeat(tick: Tick, queue: Data<Queue>) -> Result<(), BoxDynError> {
    let slot = heartbeat_slot(tick.get_timestamp() as i64);
    let outcome = queue.enqueue(&Heartbeat { slot }, Enqueue::keyed(heartbeat_key(slot))).await?;
    tracing::debug!(slot, duplicate = outcome.duplicate, "heartbeat enqueued");
    Ok(())
}

/// The heartbeat's production schedule: second 0 of every minute.
pub const EVERY_MINUTE: &str = "0 * * * * *";

async fn enqueue_purge(tick: Tick, queue: Data<Queue>, keep_done: Data<KeepDone>) -> Result<(), BoxDynError> {
    let slot = heartbeat_slot(tick.get_timestamp() as i64);
    let job = PurgeQueue { keep_done_secs: keep_done.0.0.as_secs() as i64 };
    queue.enqueue(&job, Enqueue::keyed(format!("purge-queue:0:{slot}"))).await?;
    Ok(())
}

#[derive(Clone, Copy)]
struct KeepDone(std::time::Duration);

#[derive(Clone, Copy)]
struct KeepRaw(std::time::Duration);

async fn enqueue_maintenance(tick: Tick, queue: Data<Queue>, keep_raw: Data<KeepRaw>) -> Result<(), BoxDynError> {
    let slot = tick.get_timestamp() as i64;
    let job = MaintainResults { keep_raw_secs: keep_raw.0.0.as_secs() as i64 };
    queue.enqueue(&job, Enqueue::keyed(format!("maintain-results:0:{slot}"))).await?;
    Ok(())
}

/// Rollups and retention of check results: every five minutes.
pub const EVERY_FIVE_MINUTES: &str = "0 */5 * * * *";

/// How long the fixed schedules keep what they clean up.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    /// Finished queue jobs. By default, 1 h.
    pub keep_done: std::time::Duration,
    /// Raw check results. By default, 48 h.
    pub keep_raw_results: std::time::Duration,
}

/// A monitor running the fixed schedules: the heartbeat (`heartbeat_cron`, a cron expression with
/// seconds), every minute the purge of finished jobs, every five minutes the check-result rollups.
pub fn cron_monitor(queue: Queue, heartbeat_cron: &str, retention: Retention) -> anyhow::Result<Monitor> {
    let keep_done = retention.keep_done;
    let schedule = cron::Schedule::from_str(heartbeat_cron)
        .map_err(|e| anyhow::anyhow!("heartbeat schedule {heartbeat_cron:?}: {e}"))?;
    let every_minute = cron::Schedule::from_str(EVERY_MINUTE).expect("valid cron expression");
    let purge_queue = queue.clone();
    let maintain_queue = queue.clone();
    let every_five_minutes = cron::Schedule::from_str(EVERY_FIVE_MINUTES).expect("valid cron expression");
    Ok(Monitor::new()
        .register(move |_| {
            WorkerBuilder::new("cron-heartbeat")
                .backend(CronScheduler::new(schedule.clone()))
                .data(queue.clone())
                .build(enqueue_heartbeat)
        })
        .register(move |_| {
            WorkerBuilder::new("cron-purge-queue")
                .backend(CronScheduler::new(every_minute.clone()))
                .data(purge_queue.clone())
                .data(KeepDone(keep_done))
                .build(enqueue_purge)
        })
        .register(move |_| {
            WorkerBuilder::new("cron-maintain-results")
                .backend(CronScheduler::new(every_five_minutes.clone()))
                .data(maintain_queue.clone())
                .data(KeepRaw(retention.keep_raw_results))
                .build(enqueue_maintenance)
        }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_whole_minutes() {
        assert_eq!(heartbeat_slot(120), 120);
        assert_eq!(heartbeat_slot(179), 120);
        assert_eq!(heartbeat_key(120), "heartbeat:0:120");
    }
}
