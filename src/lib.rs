//! The `teleops` binary's library half: startup checks and the wiring of the four roles.
//!
//! [`prepare`] reads nothing but the settings it is given, opens the database and the queue, and
//! applies the role's rules (only `up` and `migrate` migrate, create a missing secret key and seal
//! plaintext left in secret columns). It installs the process's keyring for the `Encrypted` column
//! type. [`rotate_key`] is `teleops rotate-key`.
//! [`start`] spawns the chosen roles on one shutdown token and returns a [`Running`] handle;
//! `main.rs` only parses the command line and maps errors to exit codes. Tests call [`start`]
//! with port 0 and their own clock.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use migrations::{Migrator, MigratorTrait};
use sea_orm::DatabaseConnection;
use shared::clock::{SharedClock, SystemClock};
use shared::config::Settings;
use shared::crypto::{Keyring, SecretKey};
use shared::metrics::Metrics;
use shared::queue::Queue;
use shared::ratelimit::{SendLimiter, SendLimits};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub mod bench;
pub mod slices;

/// A role of the binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Up,
    Bot,
    Worker,
    Scheduler,
    Dashboard,
    Migrate,
    /// `teleops rotate-key`: re-encrypts every secret column under the current key, then exits.
    RotateKey,
}

/// Why the process could not start. `Setup` errors exit with code 2.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The operator must change a setting or run a command first.
    #[error("{0}")]
    Setup(String),
    /// Something failed that is not the operator's fault.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Everything the roles share, opened once.
#[derive(Clone)]
pub struct Context {
    pub settings: Arc<Settings>,
    pub db: DatabaseConnection,
    pub queue: Queue,
    pub metrics: Metrics,
    pub clock: SharedClock,
    pub limiter: SendLimiter,
    /// `TELEOPS_SECRET_KEY` and, while rotating, `TELEOPS_SECRET_KEY_OLD`; also installed process-wide.
    pub keyring: Keyring,
}

/// Knobs tests and benchmarks turn; production uses the defaults.
#[derive(Clone)]
pub struct StartOptions {
    pub clock: SharedClock,
    /// How long running jobs may take to finish after a shutdown signal. By default, 30 s.
    pub drain: Duration,
    /// How often idle workers poll for work from other processes. By default, 200 ms.
    pub poll_interval: Duration,
    /// Due-scan tick. By default, 1 s.
    pub scheduler_tick: Duration,
    /// Telegram send limits. By default, Telegram's (30/s, 1/s per chat, 20/min per group).
    pub send_limits: SendLimits,
    /// When the heartbeat is enqueued (cron with seconds). By default, every minute.
    pub heartbeat_cron: String,
    /// Whether ping checks may open ICMP sockets. By default, yes; tests turn it off to see what
    /// happens where they are not permitted.
    pub icmp: bool,
    /// Slices run beside [`slices::all`] (tests register one of their own). By default, none.
    pub extra_slices: Vec<slices::Slice>,
}

impl Default for StartOptions {
    fn default() -> Self {
        Self {
            clock: Arc::new(SystemClock),
            drain: Duration::from_secs(30),
            poll_interval: Duration::from_millis(200),
            scheduler_tick: Duration::from_secs(1),
            send_limits: SendLimits::default(),
            heartbeat_cron: scheduler::EVERY_MINUTE.to_owned(),
            icmp: true,
            extra_slices: Vec::new(),
        }
    }
}

/// Opens the database and queue and checks the role's preconditions.
pub async fn prepare(settings: Settings, role: Role, options: &StartOptions) -> Result<Context, StartError> {
    let keyring = load_keyring(&settings, role)?;
    shared::crypto::install(keyring.clone()).map_err(|e| anyhow::anyhow!(e))?;
    tracing::info!(key_id = %keyring.current_id(), old_key_id = keyring.old_id().map(|id| id.to_string()), "secret keyring loaded");
    if role == Role::Bot && settings.bot_token.is_none() {
        return Err(StartError::Setup("TELEOPS_BOT_TOKEN: required by the bot role (get one from @BotFather)".into()));
    }
    std::fs::create_dir_all(&settings.data_dir).map_err(|e| {
        StartError::Setup(format!("TELEOPS_DATA_DIR: cannot create {}: {e}", settings.data_dir.display()))
    })?;
    // The data directory holds the databases and the secret key: this user's alone.
    #[cfg(unix)]
    std::fs::set_permissions(&settings.data_dir, std::os::unix::fs::PermissionsExt::from_mode(0o700)).map_err(|e| {
        StartError::Setup(format!("TELEOPS_DATA_DIR: cannot make {} private: {e}", settings.data_dir.display()))
    })?;
    let db = shared::db::connect_with(&settings.database_url, settings.database_pool)
        .await
        .map_err(|e| StartError::Setup(format!("TELEOPS_DATABASE_URL: cannot connect: {e}")))?;
    let metrics = Metrics::new();
    let queue = Queue::connect(&settings.queue_url, metrics.clone())
        .await
        .map_err(|e| StartError::Setup(format!("TELEOPS_QUEUE_URL: cannot open: {e}")))?
        .poll_interval(options.poll_interval)
        .retention(settings.queue_retention)
        .presence(settings.worker_presence);
    if matches!(role, Role::Up | Role::Migrate) {
        Migrator::up(&db, None).await.map_err(|e| anyhow::anyhow!("migrating the database: {e}"))?;
        queue.migrate().await.map_err(|e| anyhow::anyhow!("migrating the queue: {e}"))?;
        // Migrations have no key: secrets stored before their column was encrypted are sealed here.
        let sealed = shared::crypto::seal_plaintext(&db, &keyring)
            .await
            .map_err(|e| anyhow::anyhow!("encrypting plaintext secrets: {e}"))?;
        if sealed.sealed > 0 {
            tracing::info!(values = sealed.sealed, "encrypted secrets stored before encryption at rest");
        }
    } else {
        let pending_db = Migrator::get_pending_migrations(&db).await.map_err(|e| anyhow::anyhow!(e))?.len();
        let pending_queue = queue.pending_migrations().await.map_err(|e| anyhow::anyhow!(e))?;
        if pending_db + pending_queue > 0 {
            return Err(StartError::Setup(format!(
                "{} pending migration(s) ({pending_db} database, {pending_queue} queue): run `teleops migrate` first",
                pending_db + pending_queue
            )));
        }
    }
    let limiter = SendLimiter::beside(options.send_limits, &queue);
    Ok(Context { settings: Arc::new(settings), db, queue, metrics, clock: options.clock.clone(), limiter, keyring })
}

/// The current key (`TELEOPS_SECRET_KEY`, else `$DATA_DIR/secret.key`, which `up` and `migrate`
/// create when missing) and the optional previous one (`TELEOPS_SECRET_KEY_OLD`).
fn load_keyring(settings: &Settings, role: Role) -> Result<Keyring, StartError> {
    let current = match &settings.secret_key {
        Some(hex) => {
            SecretKey::from_hex(hex.expose()).map_err(|e| StartError::Setup(format!("TELEOPS_SECRET_KEY: {e}")))?
        }
        None => {
            let path = settings.secret_key_path();
            if matches!(role, Role::Up | Role::Migrate) {
                let (key, created) = SecretKey::load_or_generate(&path)
                    .map_err(|e| StartError::Setup(format!("TELEOPS_SECRET_KEY: {e}")))?;
                if created {
                    tracing::info!(path = %path.display(), "generated a new secret key (mode 0600); back it up");
                }
                key
            } else {
                match std::fs::read_to_string(&path) {
                    Ok(text) => {
                        SecretKey::from_hex(&text).map_err(|e| StartError::Setup(format!("{}: {e}", path.display())))?
                    }
                    Err(_) => {
                        return Err(StartError::Setup(format!(
                            "TELEOPS_SECRET_KEY: not set and {} does not exist (`teleops up` or `teleops migrate` creates it; other roles must be given it)",
                            path.display()
                        )));
                    }
                }
            }
        }
    };
    let old = match &settings.secret_key_old {
        Some(hex) => Some(
            SecretKey::from_hex(hex.expose()).map_err(|e| StartError::Setup(format!("TELEOPS_SECRET_KEY_OLD: {e}")))?,
        ),
        None => None,
    };
    Keyring::new(current, old).map_err(|e| StartError::Setup(e.to_string()))
}

/// `teleops rotate-key`: re-encrypts every secret column under the current key. Values that no
/// loaded key opens are left as they were, and make it a setup error once the rest is done.
pub async fn rotate_key(ctx: &Context) -> Result<shared::crypto::Rewritten, StartError> {
    let done = shared::crypto::rotate(&ctx.db, &ctx.keyring, shared::crypto::ROTATE_BATCH)
        .await
        .map_err(|e| anyhow::anyhow!("re-encrypting secrets: {e}"))?;
    if done.failed > 0 {
        return Err(StartError::Setup(format!(
            "re-encrypted {} secret value(s) under key {}, but {} could not be decrypted with TELEOPS_SECRET_KEY \
             (key {}) or TELEOPS_SECRET_KEY_OLD ({}); the log names them. Set TELEOPS_SECRET_KEY_OLD to the key \
             they were encrypted with and run `teleops rotate-key` again",
            done.sealed,
            ctx.keyring.current_id(),
            done.failed,
            ctx.keyring.current_id(),
            ctx.keyring.old_id().map_or("not set".to_owned(), |id| format!("key {id}")),
        )));
    }
    Ok(done)
}

/// The roles, running.
pub struct Running {
    /// The dashboard's bound address, when the dashboard runs.
    pub dashboard_addr: Option<SocketAddr>,
    pub shutdown: CancellationToken,
    tasks: JoinSet<(&'static str, anyhow::Result<()>)>,
}

impl Running {
    /// Waits for every role to end. The first role that fails stops the others.
    pub async fn wait(mut self) -> anyhow::Result<()> {
        let mut first_error = None;
        while let Some(joined) = self.tasks.join_next().await {
            let (role, res) = joined.unwrap_or_else(|e| ("a role", Err(anyhow::anyhow!("it panicked: {e}"))));
            match res {
                Ok(()) => tracing::info!(role, "stopped"),
                Err(e) => {
                    tracing::error!(role, error.cause_chain = ?e, "role failed; stopping the others");
                    self.shutdown.cancel();
                    first_error.get_or_insert(e.context(format!("{role} failed")));
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Signals shutdown and waits for the drain.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        self.wait().await
    }
}

/// Starts `role` (all four for `up`) with every slice of [`slices::all`] and the extra ones.
pub async fn start(ctx: Context, role: Role, options: StartOptions) -> anyhow::Result<Running> {
    let shutdown = CancellationToken::new();
    let mut tasks = JoinSet::new();
    let mut dashboard_addr = None;
    let runs = |r: Role| role == Role::Up || role == r;
    let mut slices = slices::all(&options);
    slices.extend(options.extra_slices.iter().cloned());

    if runs(Role::Dashboard) {
        if ctx.settings.dashboard_token.is_none() {
            tracing::warn!(addr = %ctx.settings.dashboard_addr, "dashboard has no token (TELEOPS_DASHBOARD_TOKEN): open to anyone on this machine");
        }
        let (listener, addr) = dashboard::bind(ctx.settings.dashboard_addr).await?;
        tracing::info!(url = %format!("http://{addr}/"), "dashboard listening");
        dashboard_addr = Some(addr);
        let state = dashboard::AppState {
            db: ctx.db.clone(),
            queue: ctx.queue.clone(),
            metrics: ctx.metrics.clone(),
            clock: ctx.clock.clone(),
            token: ctx.settings.dashboard_token.clone(),
            queues: slices::queues(&slices).into(),
        };
        let token = shutdown.clone();
        tasks.spawn(async move { ("dashboard", dashboard::serve(listener, state, token).await) });
    }
    let bot = ctx.settings.bot_token.as_ref().map(|t| bot::telegram(t.expose(), ctx.settings.telegram_api_url.clone()));
    if runs(Role::Worker) {
        let deps = Arc::new(worker::Deps {
            db: ctx.db.clone(),
            queue: ctx.queue.clone(),
            metrics: ctx.metrics.clone(),
            clock: ctx.clock.clone(),
            limiter: ctx.limiter.clone(),
            bot: bot.clone(),
            admins: ctx.settings.admins.clone(),
        });
        let declared = slices.iter().flat_map(|s| s.jobs.iter().copied()).collect();
        let mut registry = worker::Registry::new(deps, ctx.settings.clone(), declared, ctx.settings.worker_concurrency);
        for slice in &slices {
            if let Some(register) = &slice.worker {
                register(&mut registry).with_context(|| format!("registering the {} slice's jobs", slice.name))?;
            }
        }
        let (token, drain) = (shutdown.clone(), options.drain);
        tasks.spawn(async move { ("worker", worker::run(registry, token, drain).await) });
    }
    if runs(Role::Scheduler) {
        let scheduler_options = scheduler::SchedulerOptions { tick: options.scheduler_tick, ..Default::default() };
        let mut registry = scheduler::Registry::new(
            ctx.db.clone(),
            ctx.queue.clone(),
            ctx.metrics.clone(),
            ctx.settings.clone(),
            ctx.clock.clone(),
            scheduler_options,
        );
        for slice in &slices {
            if let Some(register) = &slice.scheduler {
                register(&mut registry).with_context(|| format!("registering the {} slice's schedules", slice.name))?;
            }
        }
        let (due, cron) = registry.build();
        let token = shutdown.clone();
        tasks.spawn(async move {
            due.run(token).await;
            ("scheduler", Ok(()))
        });
        let token = shutdown.clone();
        tasks.spawn(async move {
            let res = cron.run_with_signal(async move {
                token.cancelled().await;
                Ok(())
            });
            ("cron", res.await.map_err(anyhow::Error::from))
        });
    }
    if runs(Role::Bot) {
        match bot {
            Some(bot) => {
                let registry = bot::Registry::new(slices.iter().filter_map(|s| s.bot.map(|make| make())).collect())?;
                let deps = bot::BotDeps::new(
                    ctx.db.clone(),
                    ctx.queue.clone(),
                    ctx.settings.clone(),
                    ctx.limiter.clone(),
                    ctx.clock.clone(),
                    registry,
                );
                let token = shutdown.clone();
                tasks.spawn(async move { ("bot", bot::run(bot, deps, token).await) });
            }
            None => tracing::info!(
                "Telegram bot is off: set TELEOPS_BOT_TOKEN (a token from @BotFather) to enable it; everything else is running"
            ),
        }
    }
    Ok(Running { dashboard_addr, shutdown, tasks })
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
