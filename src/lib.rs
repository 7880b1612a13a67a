//! The `teleops` binary's library half: startup checks and the wiring of the four roles.
//!
//! [`prepare`] reads nothing but the settings it is given, opens the database and the queue, and
//! applies the role's rules (only `up` and `migrate` migrate; only `up` creates a secret key).
//! [`start`] spawns the chosen roles on one shutdown token and returns a [`Running`] handle;
//! `main.rs` only parses the command line and maps errors to exit codes. Tests call [`start`]
//! with port 0 and their own clock.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use migrations::{Migrator, MigratorTrait};
use sea_orm::DatabaseConnection;
use shared::clock::{SharedClock, SystemClock};
use shared::config::Settings;
use shared::crypto::SecretKey;
use shared::metrics::Metrics;
use shared::queue::Queue;
use shared::ratelimit::{SendLimiter, SendLimits};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub mod bench;

/// A role of the binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Up,
    Bot,
    Worker,
    Scheduler,
    Dashboard,
    Migrate,
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
    pub secret_key: SecretKey,
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
        }
    }
}

/// Opens the database and queue and checks the role's preconditions.
pub async fn prepare(settings: Settings, role: Role, options: &StartOptions) -> Result<Context, StartError> {
    let secret_key = match &settings.secret_key {
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
                            "TELEOPS_SECRET_KEY: not set and {} does not exist (`teleops up` creates it; other roles must be given it)",
                            path.display()
                        )));
                    }
                }
            }
        }
    };
    if role == Role::Bot && settings.bot_token.is_none() {
        return Err(StartError::Setup("TELEOPS_BOT_TOKEN: required by the bot role (get one from @BotFather)".into()));
    }
    std::fs::create_dir_all(&settings.data_dir).map_err(|e| {
        StartError::Setup(format!("TELEOPS_DATA_DIR: cannot create {}: {e}", settings.data_dir.display()))
    })?;
    let db = shared::db::connect(&settings.database_url)
        .await
        .map_err(|e| StartError::Setup(format!("TELEOPS_DATABASE_URL: cannot connect: {e}")))?;
    let metrics = Metrics::new();
    let queue = Queue::connect(&settings.queue_url, metrics.clone())
        .await
        .map_err(|e| StartError::Setup(format!("TELEOPS_QUEUE_URL: cannot open: {e}")))?
        .poll_interval(options.poll_interval);
    if matches!(role, Role::Up | Role::Migrate) {
        Migrator::up(&db, None).await.map_err(|e| anyhow::anyhow!("migrating the database: {e}"))?;
        queue.migrate().await.map_err(|e| anyhow::anyhow!("migrating the queue: {e}"))?;
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
    Ok(Context {
        settings: Arc::new(settings),
        db,
        queue,
        metrics,
        clock: options.clock.clone(),
        limiter: SendLimiter::new(options.send_limits),
        secret_key,
    })
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

/// Starts `role` (all four for `up`).
pub async fn start(ctx: Context, role: Role, options: StartOptions) -> anyhow::Result<Running> {
    let shutdown = CancellationToken::new();
    let mut tasks = JoinSet::new();
    let mut dashboard_addr = None;
    let runs = |r: Role| role == Role::Up || role == r;

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
        };
        let token = shutdown.clone();
        tasks.spawn(async move { ("dashboard", dashboard::serve(listener, state, token).await) });
    }
    let bot = ctx.settings.bot_token.as_ref().map(|t| bot::telegram(t.expose(), ctx.settings.telegram_api_url.clone()));
    if runs(Role::Worker) {
        let extra_ca = match &ctx.settings.ca_file {
            Some(path) => {
                Some(std::fs::read(path).map_err(|e| anyhow::anyhow!("TELEOPS_CA_FILE {}: {e}", path.display()))?)
            }
            None => None,
        };
        let probes = worker::monitoring::check::Probes::new(extra_ca.as_deref(), options.icmp)?;
        if !probes.pinger.available() {
            tracing::warn!("ICMP sockets are not permitted: ping monitors will show \"ICMP not permitted here\"");
        }
        let deps = Arc::new(worker::Deps {
            db: ctx.db.clone(),
            queue: ctx.queue.clone(),
            metrics: ctx.metrics.clone(),
            clock: ctx.clock.clone(),
            limiter: ctx.limiter.clone(),
            bot: bot.clone(),
            probes: Some(Arc::new(probes)),
            admins: ctx.settings.admins.clone(),
        });
        let (token, concurrency, drain) = (shutdown.clone(), ctx.settings.worker_concurrency, options.drain);
        tasks.spawn(async move { ("worker", worker::run(deps, concurrency, token, drain).await) });
    }
    if runs(Role::Scheduler) {
        let scheduler_options = scheduler::SchedulerOptions { tick: options.scheduler_tick, ..Default::default() };
        let due = scheduler::Scheduler::new(ctx.db.clone(), ctx.queue.clone(), ctx.clock.clone(), scheduler_options)
            .scan(scheduler::MonitorScan::new(ctx.db.clone(), ctx.metrics.clone()))
            .scan(scheduler::OutboxSweep::new(ctx.db.clone()));
        let token = shutdown.clone();
        tasks.spawn(async move {
            due.run(token).await;
            ("scheduler", Ok(()))
        });
        let retention = scheduler::Retention {
            keep_done: ctx.settings.queue_keep_done,
            keep_raw_results: ctx.settings.results_keep,
        };
        let cron = scheduler::cron_monitor(ctx.queue.clone(), &options.heartbeat_cron, retention)?;
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
                let deps =
                    bot::BotDeps::new(ctx.db.clone(), ctx.queue.clone(), ctx.settings.clone(), ctx.limiter.clone());
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
