//! The core slice's schedules: one `heartbeat` job a minute (keyed by the minute, shown by
//! `/health`), the purge of finished queue jobs every minute, and the outbox sweep (a due-scan).

use shared::jobs::{Heartbeat, PurgeQueue};

use crate::{OutboxSweep, Registry};

/// The heartbeat's production schedule: second 0 of every minute.
pub const EVERY_MINUTE: &str = "0 * * * * *";

/// The key that makes every replica's tick for one minute the same job.
pub fn heartbeat_key(slot: i64) -> String {
    format!("heartbeat:0:{slot}")
}

/// The slot (Unix seconds, whole minute) a tick at `timestamp` stands for.
pub fn heartbeat_slot(timestamp: i64) -> i64 {
    timestamp - timestamp.rem_euclid(60)
}

/// Registers the heartbeat (on `heartbeat_cron`, a cron expression with seconds) and the purge.
pub fn register(r: &mut Registry, heartbeat_cron: &str) -> anyhow::Result<()> {
    r.cron(heartbeat_cron, |at| {
        let slot = heartbeat_slot(at);
        (Heartbeat { slot }, slot)
    })?;
    let keep_done_secs = r.settings.queue_retention.keep_done.as_secs() as i64;
    let keep_done_count = r.settings.queue_retention.keep_count;
    r.cron(EVERY_MINUTE, move |at| (PurgeQueue { keep_done_secs, keep_done_count }, heartbeat_slot(at)))?;
    r.scan(OutboxSweep::new(r.db.clone()));
    Ok(())
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
