//! `TestApp`: the real teleops (all roles, `Role::Up`) on a fresh data directory, talking to a fake
//! Bot API server, with the dashboard on a random loopback port.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use sea_orm::DatabaseConnection;
use shared::config::Settings;
use shared::queue::Queue;
use shared::ratelimit::{SendLimiter, SendLimits};
use teleops::{Role, Running, StartOptions};

use crate::fake_telegram::FakeTelegram;

/// Logs go to the test harness' captured output, so a failing test shows what its app logged
/// (an error behind a 500, say) and a passing one shows nothing; with TEST_LOG set they go to
/// stdout at that filter. The log ring `/dev_logs` reads is fed in tests as in the binary.
pub static TRACING: LazyLock<()> = LazyLock::new(|| {
    let subscriber = match std::env::var("TEST_LOG") {
        Ok(filter) => {
            let filter = if filter == "1" { "info,teleops=debug".to_owned() } else { filter };
            shared::telemetry::get_subscriber(&filter, shared::config::LogFormat::Text, false, std::io::stdout)
        }
        Err(_) => shared::telemetry::get_subscriber(
            "info",
            shared::config::LogFormat::Text,
            false,
            tracing_subscriber::fmt::TestWriter::new,
        ),
    };
    shared::telemetry::init_subscriber(subscriber);
});

pub const ADMIN: i64 = 1000;

/// The probe rules [`TestApp::spawn`] starts with, so monitors may probe the loopback test servers.
pub const LOOPBACK_RULES: [&str; 2] = ["127.0.0.0/8", "::1"];

/// The secret key of every `TestApp`; tests that need other keys use `shared::crypto::scoped`.
pub const TEST_KEY: &str = "7e57000000000000000000000000000000000000000000000000000000007e57";

/// Installs the process's keyring with [`TEST_KEY`], for tests that write encrypted columns
/// without starting an app (an app installs the same keyring; installing it twice is a no-op).
pub fn install_test_key() {
    let key = shared::crypto::SecretKey::from_hex(TEST_KEY).unwrap();
    shared::crypto::install(shared::crypto::Keyring::new(key, None).unwrap()).unwrap();
}

/// A scratch directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("teleops-test-{}", ulid_like()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn ulid_like() -> String {
    format!("{:x}-{:x}", std::process::id(), rand_u64())
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(Instant::now().elapsed().as_nanos());
    h.finish()
}

/// Settings for a test: extra variables on top of a fresh data dir and the fake server.
pub fn settings(dir: &TempDir, telegram: Option<&FakeTelegram>, extra: &[(&str, &str)]) -> Settings {
    let mut vars: HashMap<String, String> = HashMap::new();
    vars.insert("TELEOPS_DATA_DIR".into(), dir.0.display().to_string());
    vars.insert("TELEOPS_DASHBOARD_ADDR".into(), "127.0.0.1:0".into());
    vars.insert("TELEOPS_ADMINS".into(), ADMIN.to_string());
    // One key for every app in this process: the keyring is installed process-wide (shared::crypto).
    vars.insert("TELEOPS_SECRET_KEY".into(), TEST_KEY.into());
    if let Some(telegram) = telegram {
        vars.insert("TELEOPS_BOT_TOKEN".into(), "123456:TEST-token-for-the-fake".into());
        vars.insert("TELEOPS_TELEGRAM_API_URL".into(), telegram.url.clone());
    }
    for (k, v) in extra {
        vars.insert((*k).into(), (*v).into());
    }
    Settings::from_vars(&vars).expect("test settings are valid")
}

/// Fast limits for tests: the limiter's rules are unit-tested in shared::ratelimit.
pub fn test_options() -> StartOptions {
    StartOptions {
        drain: Duration::from_secs(5),
        poll_interval: Duration::from_millis(50),
        scheduler_tick: Duration::from_millis(100),
        send_limits: SendLimits { global_per_sec: 1000, chat_interval: Duration::from_millis(5), group_per_min: 1000 },
        ..StartOptions::default()
    }
}

pub struct TestApp {
    pub telegram: FakeTelegram,
    pub dashboard: String,
    pub db: DatabaseConnection,
    pub queue: Queue,
    pub http: reqwest::Client,
    /// The app's one send limiter, to see what it has booked.
    pub limiter: SendLimiter,
    settings: Settings,
    options: StartOptions,
    running: Option<Running>,
    // Last: removed after everything above is dropped.
    _dir: TempDir,
}

impl TestApp {
    /// The whole app with a bot; `extra` adds settings (e.g. open registration). The test servers
    /// are on loopback, which the probe policy denies by default, so the app starts with the rules
    /// `allow 127.0.0.0/8` and `allow ::1` (ids 1 and 2) an admin would add.
    pub async fn spawn(extra: &[(&str, &str)]) -> Self {
        Self::spawn_with(extra, test_options()).await
    }

    /// [`TestApp::spawn`] with these start options.
    pub async fn spawn_with(extra: &[(&str, &str)], options: StartOptions) -> Self {
        let app = Self::spawn_with_built_in_policy(extra, options).await;
        for network in LOOPBACK_RULES {
            app.add_probe_rule(shared::monitoring::policy::ProbeAction::Allow, network).await;
        }
        app
    }

    /// The app without any probe rule: only the built-in denies apply, so loopback is refused.
    pub async fn spawn_with_built_in_policy(extra: &[(&str, &str)], options: StartOptions) -> Self {
        LazyLock::force(&TRACING);
        let dir = TempDir::new();
        let telegram = FakeTelegram::start().await;
        let stores = crate::setup::app_store_vars().await;
        let mut vars: Vec<(&str, &str)> = stores.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        vars.extend_from_slice(extra);
        let settings = settings(&dir, Some(&telegram), &vars);
        let (running, db, queue, limiter) = launch(settings.clone(), options.clone()).await;
        let dashboard = format!("http://{}", running.dashboard_addr.expect("dashboard runs in up"));
        Self {
            telegram,
            dashboard,
            db,
            queue,
            http: reqwest::Client::new(),
            limiter,
            settings,
            options,
            running: Some(running),
            _dir: dir,
        }
    }

    /// Stops every role (draining) and starts them again on the same data.
    pub async fn restart(&mut self) {
        self.running.take().unwrap().stop().await.expect("clean stop");
        let (running, db, queue, limiter) = launch(self.settings.clone(), self.options.clone()).await;
        self.dashboard = format!("http://{}", running.dashboard_addr.unwrap());
        self.db = db;
        self.queue = queue;
        self.limiter = limiter;
        self.running = Some(running);
    }

    /// Stores a probe rule as `/probes` would (workers read it at their next check).
    pub async fn add_probe_rule(&self, action: shared::monitoring::policy::ProbeAction, network: &str) -> i64 {
        use sea_orm::{ActiveModelTrait, Set};
        let network = shared::monitoring::policy::parse_network(network).expect("a network").to_string();
        let rule = shared::entities::probe_rule::ActiveModel {
            action: Set(action),
            network: Set(network),
            created_by: Set(ADMIN),
            created_at: Set(chrono::Utc::now()),
            ..Default::default()
        };
        rule.insert(&self.db).await.expect("probe rule stored").id
    }

    /// Where the app keeps its SQLite files and key.
    /// The app's settings, for a second process of the same installation.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Ends every role at once, as a killed process would: nothing is drained or given up.
    pub fn crash(&mut self) {
        drop(self.running.take());
    }

    /// The app's `TELEOPS_QUEUE_URL`.
    pub fn queue_url(&self) -> &str {
        &self.settings.queue_url
    }

    pub fn data_dir(&self) -> &std::path::Path {
        &self.settings.data_dir
    }

    pub async fn stop(mut self) {
        if let Some(running) = self.running.take() {
            running.stop().await.expect("clean stop");
        }
    }
}

async fn launch(settings: Settings, options: StartOptions) -> (Running, DatabaseConnection, Queue, SendLimiter) {
    let ctx = teleops::prepare(settings, Role::Up, &options).await.expect("prepare");
    let (db, queue, limiter) = (ctx.db.clone(), ctx.queue.clone(), ctx.limiter.clone());
    let running = teleops::start(ctx, Role::Up, options).await.expect("start");
    (running, db, queue, limiter)
}

/// Polls `check` every 20 ms until it returns Some, for at most 30 s (generous: a loaded 2-core CI machine).
pub async fn eventually<T, F, Fut>(what: &str, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    eventually_or(what, check, String::new).await
}

/// [`eventually`], with `seen()` describing what was there instead when the deadline passes.
pub async fn eventually_or<T, F, Fut>(what: &str, check: F, seen: impl FnOnce() -> String) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    within(Duration::from_secs(30), what, check, seen).await
}

/// The wait-with-deadline loop: polls `check` every 20 ms for at most `limit`.
pub async fn within<T, F, Fut>(limit: Duration, what: &str, mut check: F, seen: impl FnOnce() -> String) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        if Instant::now() >= deadline {
            panic!("timed out waiting for {what} {}", seen());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
