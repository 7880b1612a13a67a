//! Leases kept in Redis, with fencing tokens: the bot's getUpdates lease and the scheduler's
//! leader lease when the queue is in Redis (see `crate::lease`). Lease times are Redis's own
//! clock (`PX`), so the holders' clocks do not matter.

use std::time::Duration;

use super::{RedisQueue, RedisQueueError};
use crate::lease::Fence;

impl RedisQueue {
    /// Takes or renews lease `name` for `holder` for `ttl`. The fencing token of the holder's term
    /// when it holds the lease afterwards, `None` when another holder has it.
    pub async fn lease(&self, name: &str, holder: &str, ttl: Duration) -> Result<Option<Fence>, RedisQueueError> {
        let token: Option<u64> = self
            .scripts
            .lease
            .prepare_invoke()
            .arg(&self.prefix)
            .arg(name)
            .arg(holder)
            .arg(ttl.as_millis().max(1) as u64)
            .invoke_async(&mut self.conn.clone())
            .await?;
        Ok(token.map(|token| Fence { name: name.to_owned(), token }))
    }

    /// Gives lease `name` up if `holder` has it, so another holder takes it at once.
    pub async fn release_lease(&self, name: &str, holder: &str) -> Result<(), RedisQueueError> {
        let _: i64 = self
            .scripts
            .release
            .prepare_invoke()
            .arg(&self.prefix)
            .arg(name)
            .arg(holder)
            .invoke_async(&mut self.conn.clone())
            .await?;
        Ok(())
    }

    /// Who holds lease `name` now, if anyone.
    pub async fn lease_holder(&self, name: &str) -> Result<Option<String>, RedisQueueError> {
        use redis::AsyncCommands;
        Ok(self.conn.clone().get(format!("{}lease:{name}", self.prefix)).await?)
    }

    /// The store's connection and key prefix, for the other parts kept in the same Redis (the
    /// shared send limits).
    pub fn connection(&self) -> (redis::aio::ConnectionManager, &str) {
        (self.conn.clone(), &self.prefix)
    }

    /// This handle's enqueues check `fence` first: once a later term of the lease has begun, they
    /// fail with [`RedisQueueError::Fenced`] and add nothing.
    pub fn fenced(mut self, fence: Option<Fence>) -> Self {
        self.fence = fence;
        self
    }
}
