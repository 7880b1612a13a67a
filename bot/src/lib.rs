//! The bot role: a teloxide dispatcher that validates input, writes rows and enqueues jobs.
//!
//! Brief overview: each slice declares a [`Slice`] (its commands with their audience and help
//! line, its typed buttons, its typed dialogue); the [`Registry`] of every slice is what the router
//! ([`schema`]), `/help` and the command menus read. [`run`] long-polls the Bot API until shutdown. Every reply waits on the process's [`shared::ratelimit::SendLimiter`]; every message the
//! system originates goes through [`shared::outbox::send`]. Dialogue state lives in the database
//! (`storage`), keyed by chat and user, so a conversation survives restarts and belongs to the
//! person who started it.
//!
//! The bot never pings, fetches, clones or deploys: slow work is a job.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use sea_orm::DatabaseConnection;
use shared::backoff::Backoff;
use shared::clock::SharedClock;
use shared::config::Settings;
use shared::queue::Queue;
use shared::ratelimit::{CommandThrottle, SendLimiter};
use teloxide::RequestError;
use teloxide::prelude::*;
use tokio_util::sync::CancellationToken;

pub use cx::{Caller, Cx, Stored};
pub use router::schema;
pub use slice::{Audience, Registry, RegistryError, Slice};

mod access;
pub mod admin;
pub mod callback;
pub mod core;
mod cx;
pub mod equipment;
mod font;
pub mod monitoring;
mod reply;
mod router;
mod slice;
pub mod standby;
mod storage;

/// What every handler may use; slices' own dependencies are captured by their handlers.
#[derive(Clone)]
pub struct BotDeps {
    pub db: DatabaseConnection,
    pub queue: Queue,
    pub settings: Arc<Settings>,
    pub limiter: SendLimiter,
    pub clock: SharedClock,
    pub throttle: Arc<Mutex<CommandThrottle>>,
    /// Every slice's commands, buttons and dialogues.
    pub registry: Registry,
}

impl BotDeps {
    pub fn new(
        db: DatabaseConnection,
        queue: Queue,
        settings: Arc<Settings>,
        limiter: SendLimiter,
        clock: SharedClock,
        registry: Registry,
    ) -> Self {
        Self { db, queue, settings, limiter, clock, registry, throttle: Arc::new(Mutex::new(CommandThrottle::new(20))) }
    }
}

pub type HandlerResult = anyhow::Result<()>;

/// The bot for a token and Bot API URL.
pub fn telegram(token: &str, api_url: url::Url) -> Bot {
    Bot::new(token).set_api_url(api_url)
}

/// Long-polls until `shutdown` while this process holds the bot lease ([`standby`]), waiting as
/// a standby while another bot holds it; handlers in flight finish first. While the Bot API
/// cannot be reached (at start or later), it retries with backoff and logs why; it never fails
/// the other roles.
pub async fn run(bot: Bot, deps: BotDeps, shutdown: CancellationToken) -> anyhow::Result<()> {
    let holder = standby::holder();
    let leases = shared::lease::Leases::beside(&deps.queue, &deps.db);
    while standby::wait_for_lease(&leases, &holder, &shutdown).await {
        let lost = shutdown.child_token();
        // In this task, not spawned: when the bot role ends, however it ends, so do its renewals.
        let serving = async {
            let served = poll(&bot, &deps, &lost).await;
            lost.cancel();
            served
        };
        let (served, ()) = tokio::join!(serving, standby::keep_lease(leases.clone(), holder.clone(), lost.clone()));
        if shutdown.is_cancelled() {
            standby::release(&leases, &holder).await;
            return served;
        }
    }
    Ok(())
}

/// Polls Telegram until `shutdown`, reconnecting with backoff.
async fn poll(bot: &Bot, deps: &BotDeps, shutdown: &CancellationToken) -> anyhow::Result<()> {
    const BACKOFF: Backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
    let mut failures = 0;
    while !shutdown.is_cancelled() {
        match bot.get_me().await {
            Ok(me) => {
                tracing::info!(username = %me.username(), "bot connected");
                failures = 0;
                router::set_menus(bot, &deps.registry, &deps.settings).await;
                match dispatch(bot, deps, shutdown).await {
                    Ok(()) => return Ok(()),
                    Err(e) => tracing::warn!(error.message = %e, "the bot lost the Bot API; reconnecting"),
                }
            }
            Err(e) => {
                tracing::warn!(error.message = %e, attempt = failures + 1, "the Bot API cannot be reached; retrying")
            }
        }
        failures += 1;
        let delay = BACKOFF.delay(failures, rand::random::<f64>());
        tokio::select! {
            _ = shutdown.cancelled() => {}
            _ = tokio::time::sleep(delay) => {}
        }
    }
    Ok(())
}

/// Dispatches updates until `shutdown` (Ok) or until the Bot API cannot be reached at start.
async fn dispatch(bot: &Bot, deps: &BotDeps, shutdown: &CancellationToken) -> Result<(), RequestError> {
    let mut dispatcher = Dispatcher::builder(bot.clone(), schema())
        .dependencies(dptree::deps![deps.clone()])
        .default_handler(|_| async {})
        .error_handler(LoggingErrorHandler::with_custom_text("bot handler failed"))
        .build();
    let token = dispatcher.shutdown_token();
    let stop = shutdown.clone();
    let watcher = tokio::spawn(async move {
        stop.cancelled().await;
        // Not yet running is fine: the dispatcher checks the token as it starts.
        while let Err(_not_running) = token.shutdown() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    let listener = teloxide::update_listeners::polling_default(bot.clone()).await;
    let res = dispatcher
        .try_dispatch_with_listener(listener, LoggingErrorHandler::with_custom_text("getting updates failed"))
        .await;
    watcher.abort();
    res
}
