//! The bot role: a teloxide dispatcher that validates input, writes rows and enqueues jobs.
//!
//! Brief overview: [`schema`] composes the slices' branches; [`run`] long-polls the Bot API until
//! shutdown. Every reply waits on the process's [`shared::ratelimit::SendLimiter`]; every message the
//! system originates goes through [`shared::outbox::send`]. Dialogue state lives in the database
//! ([`storage::DbStorage`]), so a conversation survives restarts.
//!
//! The bot never pings, fetches, clones or deploys: slow work is a job.

use std::sync::{Arc, Mutex};

use sea_orm::DatabaseConnection;
use shared::config::Settings;
use shared::queue::Queue;
use shared::ratelimit::{CommandThrottle, SendLimiter};
use teloxide::dispatching::dialogue::{Dialogue, ErasedStorage, Storage};
use teloxide::prelude::*;
use tokio_util::sync::CancellationToken;

pub use commands::Command;
pub use dialogue::State;
pub use storage::DbStorage;

mod access;
mod admin;
mod commands;
mod dialogue;
mod monitoring;
mod reply;
mod storage;

/// What every handler may use; arrives by type through `dptree::deps!`.
#[derive(Clone)]
pub struct BotDeps {
    pub db: DatabaseConnection,
    pub queue: Queue,
    pub settings: Arc<Settings>,
    pub limiter: SendLimiter,
    pub throttle: Arc<Mutex<CommandThrottle>>,
}

impl BotDeps {
    pub fn new(db: DatabaseConnection, queue: Queue, settings: Arc<Settings>, limiter: SendLimiter) -> Self {
        Self { db, queue, settings, limiter, throttle: Arc::new(Mutex::new(CommandThrottle::new(20))) }
    }
}

pub type HandlerResult = anyhow::Result<()>;
pub type BotDialogue = Dialogue<State, ErasedStorage<State>>;

/// The bot for a token and Bot API URL.
pub fn telegram(token: &str, api_url: url::Url) -> Bot {
    Bot::new(token).set_api_url(api_url)
}

/// The full update handler.
pub fn schema() -> teloxide::dispatching::UpdateHandler<anyhow::Error> {
    use teloxide::dispatching::HandlerExt;
    let messages = Update::filter_message()
        .filter(|msg: Message| msg.from.is_some())
        .enter_dialogue::<Message, ErasedStorage<State>, State>()
        .filter_async(commands::within_rate_limit)
        .branch(dptree::entry().filter_command::<Command>().endpoint(commands::on_command))
        .branch(dptree::case![State::ReceiveContact].endpoint(access::receive_contact))
        .branch(dptree::case![State::AddReceiveTarget { kind }].endpoint(monitoring::add::receive_target))
        .branch(dptree::case![State::AddPickInterval { target }].endpoint(monitoring::add::receive_interval))
        .endpoint(commands::on_other_message);
    let callbacks = Update::filter_callback_query()
        .branch(
            dptree::filter(|q: CallbackQuery| q.data.as_deref().is_some_and(|d| d.starts_with("add:")))
                .enter_dialogue::<CallbackQuery, ErasedStorage<State>, State>()
                .endpoint(monitoring::add::on_button),
        )
        .branch(
            dptree::filter(|q: CallbackQuery| q.data.as_deref().is_some_and(|d| d.starts_with("mon:")))
                .endpoint(monitoring::buttons::on_button),
        )
        .endpoint(admin::on_decision);
    dptree::entry().branch(messages).branch(callbacks)
}

/// Long-polls until `shutdown`; handlers in flight finish first.
pub async fn run(bot: Bot, deps: BotDeps, shutdown: CancellationToken) -> anyhow::Result<()> {
    let me = bot.get_me().await.map_err(|e| anyhow::anyhow!("the Bot API did not accept the token: {e}"))?;
    tracing::info!(username = %me.username(), "bot connected");
    commands::set_menus(&bot, &deps.settings).await;
    let storage: Arc<ErasedStorage<State>> = DbStorage::new(deps.db.clone()).erase();
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
