//! The send limits kept in Redis (`turn.lua`), so every process of an installation shares them:
//! with four workers the bot still sends about 30 messages/s in all, 1/s per chat and 20/min per
//! group, and a 429 seen by one process holds the sends of all.
//!
//! A turn is booked only when the chat may be written to now (GCRA on the overall rate); a chat
//! whose own limits forbid it gets the wait and asks again then, so a busy chat books nothing
//! ahead and moves nobody else's turn.

use std::time::Duration;

use redis::aio::ConnectionManager;

use super::SendLimits;

/// What Redis answered for one chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Turn {
    /// Booked: send after this wait.
    Booked(Duration),
    /// The chat may not be written to for this long; nothing was booked.
    NotYet(Duration),
}

#[derive(Clone)]
pub(super) struct RedisTurns {
    conn: ConnectionManager,
    prefix: String,
    limits: SendLimits,
    scripts: std::sync::Arc<[redis::Script; 2]>,
}

/// Sets `KEYS[1]` for ARGV[1] ms unless it is set for longer already.
const PAUSE: &str = "local left = redis.call('PTTL', KEYS[1])
if left < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], '1', 'PX', ARGV[1]) end";

impl std::fmt::Debug for RedisTurns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisTurns").field("prefix", &self.prefix).field("limits", &self.limits).finish()
    }
}

impl RedisTurns {
    pub(super) fn new(conn: ConnectionManager, prefix: String, limits: SendLimits) -> Self {
        let scripts = [redis::Script::new(include_str!("turn.lua")), redis::Script::new(PAUSE)];
        Self { conn, prefix, limits, scripts: std::sync::Arc::new(scripts) }
    }

    /// Books `chat_id`'s next turn if the chat may be written to now; with `look`, books nothing
    /// and answers how long until it may.
    pub(super) async fn turn(&self, chat_id: i64, look: bool) -> redis::RedisResult<Turn> {
        let (booked, wait_us): (i64, i64) = self.scripts[0]
            .prepare_invoke()
            .arg(&self.prefix)
            .arg(chat_id)
            .arg(self.limits.global_gap().as_micros() as u64)
            .arg(self.limits.chat_interval.as_micros() as u64)
            .arg(self.limits.group_per_min)
            .arg(if look { "1" } else { "" })
            .invoke_async(&mut self.conn.clone())
            .await?;
        let wait = Duration::from_micros(wait_us.max(0) as u64);
        Ok(if booked == 1 { Turn::Booked(wait) } else { Turn::NotYet(wait) })
    }

    /// Holds every process's sends for `wait` (a 429), unless a longer hold is on already.
    pub(super) async fn pause_for(&self, wait: Duration) -> redis::RedisResult<()> {
        let key = format!("{}rl:pause", self.prefix);
        let ms = wait.as_millis().max(1) as u64;
        self.scripts[1].key(key).arg(ms).invoke_async::<()>(&mut self.conn.clone()).await
    }

    /// How much longer a 429 holds every send.
    pub(super) async fn paused_for(&self) -> redis::RedisResult<Option<Duration>> {
        let left: i64 =
            redis::cmd("PTTL").arg(format!("{}rl:pause", self.prefix)).query_async(&mut self.conn.clone()).await?;
        Ok((left > 0).then(|| Duration::from_millis(left as u64)))
    }
}
