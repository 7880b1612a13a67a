//! The heartbeat schedule: one `heartbeat` job a minute, keyed by the minute.

use std::str::FromStr;

use apalis::prelude::{BoxDynError, Data, Monitor, WorkerBuilder};
use apalis_cron::{CronScheduler, Tick};
use shared::jobs::Heartbeat;
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

/// A monitor running the fixed schedules; `heartbeat_cron` is a cron expression with seconds.
pub fn cron_monitor(queue: Queue, heartbeat_cron: &str) -> anyhow::Result<Monitor> {
    let schedule = cron::Schedule::from_str(heartbeat_cron)
        .map_err(|e| anyhow::anyhow!("heartbeat schedule {heartbeat_cron:?}: {e}"))?;
    Ok(Monitor::new().register(move |_| {
        let schedule = schedule.clone();
        WorkerBuilder::new("cron-heartbeat")
            .backend(CronScheduler::new(schedule))
            .data(queue.clone())
            .build(enqueue_heartbeat)
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
