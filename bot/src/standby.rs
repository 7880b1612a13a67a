//! One bot at a time: Telegram serves getUpdates to one poller, and a second one makes both fail
//! with 409 Conflict. Every bot process takes the `bot` lease before it polls (in Redis when the
//! queue is there, else in the database: [`Leases`]); the others wait as standbys and take over within [`LEASE`] of the holder's last renewal, at once
//! when it stops cleanly (it gives the lease up).
//!
//! Lease times are the wall clock's, not the app's injected clock: they measure whether a process
//! is alive, not business time.

use std::time::Duration;

use chrono::Utc;
use shared::lease::{LeaseError, Leases};
use tokio_util::sync::CancellationToken;

const NAME: &str = "bot";
/// How long a lease lasts without renewal: a dead holder is replaced within this (plus a look).
pub const LEASE: Duration = Duration::from_secs(6);
/// How often the holder renews and a standby looks.
const EVERY: Duration = Duration::from_secs(1);

/// This process's name on the lease: host, pid and a random suffix, unique per start.
pub fn holder() -> String {
    format!("bot-{}-{}-{:08x}", shared::lease::host_name(), std::process::id(), rand::random::<u32>())
}

/// Waits until `holder` holds the lease; false when `shutdown` came first.
pub async fn wait_for_lease(leases: &Leases, holder: &str, shutdown: &CancellationToken) -> bool {
    let mut told = false;
    loop {
        match acquire(leases, holder).await {
            Ok(true) => {
                tracing::info!(holder, kept_in = leases.kept_in(), "this bot polls Telegram now");
                return true;
            }
            Ok(false) if !told => {
                tracing::info!(holder, "another bot polls Telegram; waiting as a standby");
                told = true;
            }
            Ok(false) => {}
            Err(e) => tracing::warn!(error.message = %e, "could not read the bot lease; trying again"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return false,
            _ = tokio::time::sleep(EVERY) => {}
        }
    }
}

/// Renews the lease until `lost` is cancelled by the caller, or cancels `lost` itself when the
/// lease is gone (another bot took it) or could not be renewed for a whole [`LEASE`].
pub async fn keep_lease(leases: Leases, holder: String, lost: CancellationToken) {
    let mut last_renewed = tokio::time::Instant::now();
    loop {
        tokio::select! {
            _ = lost.cancelled() => return,
            _ = tokio::time::sleep(EVERY) => {}
        }
        match acquire(&leases, &holder).await {
            Ok(true) => last_renewed = tokio::time::Instant::now(),
            Ok(false) => {
                tracing::warn!(holder, "another bot took the lease; this one stops polling");
                lost.cancel();
                return;
            }
            Err(e) if last_renewed.elapsed() >= LEASE => {
                tracing::warn!(holder, error.message = %e, "could not renew the bot lease in time; stopping polling");
                lost.cancel();
                return;
            }
            Err(e) => tracing::warn!(error.message = %e, "could not renew the bot lease; trying again"),
        }
    }
}

/// Gives the lease up, so a standby takes over at once.
pub async fn release(leases: &Leases, holder: &str) {
    if let Err(e) = leases.release(NAME, holder).await {
        tracing::warn!(error.message = %e, "could not give up the bot lease; a standby takes over when it lapses");
    }
}

async fn acquire(leases: &Leases, holder: &str) -> Result<bool, LeaseError> {
    Ok(leases.acquire(NAME, holder, Utc::now(), LEASE).await?.is_some())
}
