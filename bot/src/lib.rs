//! The bot role: a teloxide dispatcher that validates input, writes rows and enqueues jobs.
//!
//! Brief overview: each slice declares a [`Slice`] (its commands with their audience and help
//! line, its typed buttons, its typed dialogue); the [`Registry`] of every slice is what the router
//! ([`schema`]), `/help` and the command menus read. [`run`] long-polls the Bot API until shutdown. Every reply waits on the process's [`shared::ratelimit::SendLimiter`]; every message the
//! system originates goes through [`shared::outbox::send`]. Dialogue state lives in the database
//! ([`storage::DbStorage`]), so a conversation survives restarts.
//!
//! The bot never pings, fetches, clones or deploys: slow work is a job.

use std::sync::{Arc, Mutex};

use sea_orm::DatabaseConnection;
use shared::clock::SharedClock;
use shared::config::Settings;
use shared::queue::Queue;
use shared::ratelimit::{CommandThrottle, SendLimiter};
use teloxide::dispatching::dialogue::{ErasedStorage, Storage};
use teloxide::prelude::*;
use tokio_util::sync::CancellationToken;

pub use cx::{Caller, Cx, Stored};
pub use router::schema;
pub use slice::{Audience, Registry, RegistryError, Slice};
pub use storage::DbStorage;

mod access;
pub mod admin;
pub mod callback;
pub mod core;
mod cx;
pub mod monitoring;
mod reply;
mod router;
mod slice;
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

/// Long-polls until `shutdown`; handlers in flight finish first.
pub async fn run(bot: Bot, deps: BotDeps, shutdown: CancellationToken) -> anyhow::Result<()> {
    let me = bot.get_me().await.map_err(|e| anyhow::anyhow!("the Bot API did not accept the token: {e}"))?;
    tracing::info!(username = %me.username(), "bot connected");
    router::set_menus(&bot, &deps.registry, &deps.settings).await;
    let storage: Arc<ErasedStorage<Stored>> = DbStorage::new(deps.db.clone(), deps.clock.clone()).erase();
    let mut dispatcher = Dispatcher::builder(bot, schema())
        .dependencies(dptree::deps![deps, storage])
        .default_handler(|_| async {})
        .error_handler(LoggingErrorHandler::with_custom_text("bot handler failed"))
        .build();
    let token = dispatcher.shutdown_token();
    tokio::spawn(async move {
        shutdown.cancelled().await;
        // Not yet running is fine: the dispatcher checks the token as it starts.
        while let Err(_not_running) = token.shutdown() {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    });
    dispatcher.dispatch().await;
    Ok(())
}
