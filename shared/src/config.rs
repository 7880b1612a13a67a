//! Typed settings, read once at startup from the environment (and an optional `.env`).
//!
//! Two steps, as in ripgrep's low/high args: [`Settings::from_vars`] checks every value without I/O
//! and names the variable that is wrong; [`Settings`] is what the roles receive. Secrets are
//! [`Secret`]s, printed as `[redacted]`. Before that, [`read_secret_files`] follows the Docker
//! secrets convention: each secret variable may instead be given as `<NAME>_FILE`, a path to read.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// A value that must never reach a log line.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }
    /// The secret itself; call it only where the value is used.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A setting that is missing or malformed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{var}: {problem}")]
pub struct ConfigError {
    /// The environment variable at fault.
    pub var: &'static str,
    /// What is wrong with it, in words a person can act on.
    pub problem: String,
}

impl ConfigError {
    fn new(var: &'static str, problem: impl Into<String>) -> Self {
        Self { var, problem: problem.into() }
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Every setting teleops reads. Built by [`Settings::from_vars`].
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where SQLite files and the generated secret key live. By default, this is `./data`.
    pub data_dir: PathBuf,
    /// By default, this is `sqlite://$DATA_DIR/teleops.db`.
    pub database_url: String,
    /// By default, this is `sqlite://$DATA_DIR/queue.db`.
    pub queue_url: String,
    /// `TELEOPS_BOT_TOKEN`, or `TELOXIDE_TOKEN`. The bot role needs it; without it `up` runs the rest.
    pub bot_token: Option<Secret<String>>,
    /// By default, this is `https://api.telegram.org`.
    pub telegram_api_url: url::Url,
    /// The Docker engine every role that uses one talks to (`TELEOPS_DOCKER_HOST`):
    /// `unix:///path/to.sock`, `tcp://host:port` or `http://host:port`. By default, this is the
    /// local socket `unix:///var/run/docker.sock`. See [`crate::docker`].
    pub docker_host: String,
    /// Telegram user ids with the admin role. By default, there are none.
    pub admins: Vec<i64>,
    /// Telegram user ids with the developer role: they see the hidden developer commands, which
    /// to anyone else do not exist. By default, there are none.
    pub developers: Vec<i64>,
    /// By default, this is `127.0.0.1:8080`. Port 0 picks a free port.
    pub dashboard_addr: SocketAddr,
    /// Bearer token (or basic-auth password) for everything on the dashboard but `/health`.
    pub dashboard_token: Option<Secret<String>>,
    /// 32-byte key for secrets at rest, hex. `up` and `migrate` generate one into the data dir when
    /// unset.
    pub secret_key: Option<Secret<String>>,
    /// The previous key during a rotation: it still decrypts, never encrypts. By default, none.
    pub secret_key_old: Option<Secret<String>>,
    /// `tracing` filter. By default, this is `info`.
    pub log: String,
    /// By default, this is text.
    pub log_format: LogFormat,
    /// Ask for the user's phone number (own contact only) at `/start`. By default, this is false.
    pub require_phone: bool,
    /// Let everyone in without an admin's approval. By default, this is false.
    pub open_registration: bool,
    /// Concurrent jobs per queue in one worker process. By default, this is 8.
    pub worker_concurrency: usize,
    /// Connections this process opens to the database at most (`TELEOPS_DATABASE_POOL`). By
    /// default, 4 for SQLite and 16 for Postgres.
    pub database_pool: Option<u32>,
    /// How long, and how many per queue, finished jobs stay in the queue (dead ones stay until
    /// dropped): `TELEOPS_QUEUE_KEEP_DONE` (by default, 24 h) and `TELEOPS_QUEUE_KEEP_DONE_COUNT`
    /// (by default, 100,000).
    pub queue_retention: crate::queue::Retention,
    /// With the queue in Redis, how often a worker says it is alive and after how much silence
    /// its jobs go to other workers: `TELEOPS_WORKER_BEAT` (by default, 2s) and
    /// `TELEOPS_WORKER_GONE_AFTER` (by default, 6s; at least two beats).
    pub worker_presence: crate::queue::redis::Presence,
    /// Monitors one user may have; admins have no limit. By default, this is 50.
    pub monitor_quota: usize,
    /// PEM file of extra CA certificates HTTPS monitors trust (internal sites). By default, none.
    pub ca_file: Option<PathBuf>,
    /// How long raw check results are kept; hourly rollups are kept a year. By default, 48 h.
    pub results_keep: std::time::Duration,
    /// The zone times are shown in for users who did not choose one with `/timezone`. By default,
    /// this is UTC.
    pub timezone: crate::tz::Tz,
    /// The local time equipment reminders go out, in each reader's zone
    /// (`TELEOPS_REMINDER_HOUR`, `10` or `10:30`). By default, 10:00.
    pub reminder_hour: chrono::NaiveTime,
    /// Days overdue before a loan is in the admins' daily digest (`TELEOPS_OVERDUE_ESCALATE_DAYS`).
    /// By default, 3.
    pub overdue_escalate_days: u32,
    /// How long a returned device is held for the first in its waitlist (`TELEOPS_WISHLIST_HOLD`).
    /// By default, 24 h.
    pub wishlist_hold: std::time::Duration,
    /// The confirmation code developer commands ask for (`TELEOPS_DEVELOPER_CODE`); without it
    /// they refuse to run.
    pub developer_code: Option<Secret<String>>,
}

impl Settings {
    /// Reads the process environment, after loading `.env` from the working directory if present.
    pub fn from_env() -> Result<Self, ConfigError> {
        // A malformed .env is reported like any other bad setting.
        match dotenvy::dotenv() {
            Ok(_) => {}
            Err(e) if e.not_found() => {}
            Err(e) => return Err(ConfigError::new("TELEOPS_DATA_DIR", format!(".env could not be read: {e}"))),
        }
        let mut vars: HashMap<String, String> = std::env::vars().collect();
        read_secret_files(&mut vars, |path| std::fs::read_to_string(path))?;
        Self::from_vars(&vars)
    }

    /// Builds settings from a map of variables; pure, so every error path is unit-tested.
    pub fn from_vars(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let get = |name: &str| vars.get(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());

        let data_dir = PathBuf::from(get("TELEOPS_DATA_DIR").unwrap_or_else(|| "./data".into()));
        let database_url = match get("TELEOPS_DATABASE_URL") {
            Some(url) => check_db_url("TELEOPS_DATABASE_URL", &url, &["sqlite", "postgres", "postgresql"])?,
            None => sqlite_url(&data_dir, "teleops.db"),
        };
        let queue_url = match get("TELEOPS_QUEUE_URL") {
            Some(url) => check_db_url("TELEOPS_QUEUE_URL", &url, &["sqlite", "redis", "rediss"])?,
            None => sqlite_url(&data_dir, "queue.db"),
        };
        let bot_token = get("TELEOPS_BOT_TOKEN").or_else(|| get("TELOXIDE_TOKEN"));
        if let Some(token) = &bot_token {
            check_token(token)?;
        }
        let telegram_api_url = {
            let raw = get("TELEOPS_TELEGRAM_API_URL").unwrap_or_else(|| "https://api.telegram.org".into());
            let url = url::Url::parse(&raw)
                .map_err(|e| ConfigError::new("TELEOPS_TELEGRAM_API_URL", format!("not a URL ({e}): {raw}")))?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err(ConfigError::new("TELEOPS_TELEGRAM_API_URL", "must start with http:// or https://"));
            }
            url
        };
        let docker_host = get("TELEOPS_DOCKER_HOST").unwrap_or_else(|| crate::docker::LOCAL_SOCKET.into());
        crate::docker::check_host(&docker_host).map_err(|why| ConfigError::new("TELEOPS_DOCKER_HOST", why))?;
        let admins = user_ids(get("TELEOPS_ADMINS").as_deref(), "TELEOPS_ADMINS")?;
        let developers = user_ids(get("TELEOPS_DEVELOPERS").as_deref(), "TELEOPS_DEVELOPERS")?;
        let dashboard_addr = {
            let raw = get("TELEOPS_DASHBOARD_ADDR").unwrap_or_else(|| "127.0.0.1:8080".into());
            raw.parse::<SocketAddr>().map_err(|_| {
                ConfigError::new("TELEOPS_DASHBOARD_ADDR", format!("{raw:?} is not an address like 127.0.0.1:8080"))
            })?
        };
        let dashboard_token = get("TELEOPS_DASHBOARD_TOKEN");
        if dashboard_token.is_none() && !dashboard_addr.ip().is_loopback() {
            return Err(ConfigError::new(
                "TELEOPS_DASHBOARD_TOKEN",
                format!("required when TELEOPS_DASHBOARD_ADDR ({dashboard_addr}) is not a loopback address"),
            ));
        }
        let secret_key = get("TELEOPS_SECRET_KEY");
        let secret_key_old = get("TELEOPS_SECRET_KEY_OLD");
        for (var, key) in [("TELEOPS_SECRET_KEY", &secret_key), ("TELEOPS_SECRET_KEY_OLD", &secret_key_old)] {
            if let Some(key) = key {
                crate::crypto::SecretKey::from_hex(key).map_err(|e| ConfigError::new(var, e.to_string()))?;
            }
        }
        let log = get("TELEOPS_LOG").unwrap_or_else(|| "info".into());
        tracing_subscriber::EnvFilter::try_new(&log)
            .map_err(|e| ConfigError::new("TELEOPS_LOG", format!("not a log filter ({e}): {log}")))?;
        let log_format = match get("TELEOPS_LOG_FORMAT").as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(ConfigError::new("TELEOPS_LOG_FORMAT", format!("{other:?} is not text or json")));
            }
        };
        let require_phone = parse_bool(vars, "TELEOPS_REQUIRE_PHONE")?;
        let open_registration = parse_bool(vars, "TELEOPS_OPEN_REGISTRATION")?;
        let worker_concurrency = match get("TELEOPS_WORKER_CONCURRENCY") {
            None => 8,
            Some(raw) => raw.parse::<usize>().ok().filter(|n| (1..=1024).contains(n)).ok_or_else(|| {
                ConfigError::new("TELEOPS_WORKER_CONCURRENCY", format!("{raw:?} is not a number from 1 to 1024"))
            })?,
        };

        let database_pool = match get("TELEOPS_DATABASE_POOL") {
            None => None,
            Some(raw) => Some(raw.parse::<u32>().ok().filter(|n| (1..=1000).contains(n)).ok_or_else(|| {
                ConfigError::new("TELEOPS_DATABASE_POOL", format!("{raw:?} is not a number from 1 to 1000"))
            })?),
        };

        let mut queue_retention = crate::queue::Retention::default();
        if let Some(raw) = get("TELEOPS_QUEUE_KEEP_DONE") {
            queue_retention.keep_done = crate::monitoring::schedule::parse_duration(&raw)
                .map_err(|e| ConfigError::new("TELEOPS_QUEUE_KEEP_DONE", e.to_string()))?;
        }
        if let Some(raw) = get("TELEOPS_QUEUE_KEEP_DONE_COUNT") {
            queue_retention.keep_count = raw.trim().replace(['_', ','], "").parse().map_err(|_| {
                ConfigError::new("TELEOPS_QUEUE_KEEP_DONE_COUNT", format!("{raw:?} is not a whole number like 100000"))
            })?;
        }

        let worker_presence = presence(&get)?;

        let timezone = match get("TELEOPS_TIMEZONE") {
            None => chrono_tz::UTC,
            Some(name) => crate::tz::parse(&name).map_err(|e| ConfigError::new("TELEOPS_TIMEZONE", e.to_string()))?,
        };
        let results_keep = match get("TELEOPS_RESULTS_KEEP") {
            None => std::time::Duration::from_secs(48 * 3600),
            Some(raw) => crate::monitoring::schedule::parse_duration(&raw)
                .ok()
                .filter(|d| d.as_secs() >= 3600)
                .ok_or_else(|| {
                    ConfigError::new(
                        "TELEOPS_RESULTS_KEEP",
                        format!("{raw:?} is not a duration of at least 1h, like 48h"),
                    )
                })?,
        };
        let monitor_quota = match get("TELEOPS_MONITOR_QUOTA") {
            None => 50,
            Some(raw) => raw.parse::<usize>().ok().filter(|n| *n <= 1_000_000).ok_or_else(|| {
                ConfigError::new("TELEOPS_MONITOR_QUOTA", format!("{raw:?} is not a number from 0 to 1000000"))
            })?,
        };

        let reminder_hour = match get("TELEOPS_REMINDER_HOUR") {
            None => chrono::NaiveTime::from_hms_opt(10, 0, 0).expect("10:00"),
            Some(raw) => parse_hour(&raw).ok_or_else(|| {
                ConfigError::new("TELEOPS_REMINDER_HOUR", format!("{raw:?} is not a time of day like 10 or 09:30"))
            })?,
        };
        let overdue_escalate_days = match get("TELEOPS_OVERDUE_ESCALATE_DAYS") {
            None => 3,
            Some(raw) => raw.parse::<u32>().ok().filter(|n| (1..=365).contains(n)).ok_or_else(|| {
                ConfigError::new("TELEOPS_OVERDUE_ESCALATE_DAYS", format!("{raw:?} is not a number from 1 to 365"))
            })?,
        };
        let wishlist_hold = match get("TELEOPS_WISHLIST_HOLD") {
            None => std::time::Duration::from_secs(24 * 3600),
            Some(raw) => crate::monitoring::schedule::parse_duration(&raw)
                .ok()
                .filter(|d| d.as_secs() >= 60)
                .ok_or_else(|| {
                    ConfigError::new(
                        "TELEOPS_WISHLIST_HOLD",
                        format!("{raw:?} is not a duration of at least 1m, like 24h"),
                    )
                })?,
        };
        let developer_code = get("TELEOPS_DEVELOPER_CODE");
        if developer_code.as_deref().is_some_and(|c| c.chars().count() < 6) {
            return Err(ConfigError::new("TELEOPS_DEVELOPER_CODE", "must be at least 6 characters"));
        }

        Ok(Settings {
            data_dir,
            database_url,
            queue_url,
            bot_token: bot_token.map(Secret::new),
            telegram_api_url,
            docker_host,
            admins,
            developers,
            dashboard_addr,
            dashboard_token: dashboard_token.map(Secret::new),
            secret_key: secret_key.map(Secret::new),
            secret_key_old: secret_key_old.map(Secret::new),
            log,
            log_format,
            require_phone,
            open_registration,
            worker_concurrency,
            database_pool,
            queue_retention,
            worker_presence,
            monitor_quota,
            ca_file: get("TELEOPS_CA_FILE").map(PathBuf::from),
            results_keep,
            timezone,
            reminder_hour,
            overdue_escalate_days,
            wishlist_hold,
            developer_code: developer_code.map(Secret::new),
        })
    }

    /// Where `up` keeps a generated secret key.
    pub fn secret_key_path(&self) -> PathBuf {
        self.data_dir.join("secret.key")
    }

    pub fn is_admin(&self, user_id: i64) -> bool {
        self.admins.contains(&user_id)
    }

    pub fn is_developer(&self, user_id: i64) -> bool {
        self.developers.contains(&user_id)
    }
}

/// `10`, `9:30` or `09:30`: a time of day on the minute.
fn parse_hour(raw: &str) -> Option<chrono::NaiveTime> {
    let raw = raw.trim();
    let (h, m) = raw.split_once(':').unwrap_or((raw, "0"));
    chrono::NaiveTime::from_hms_opt(h.parse().ok()?, m.parse().ok()?, 0)
}

/// A comma-separated list of Telegram user ids.
fn user_ids(list: Option<&str>, var: &'static str) -> Result<Vec<i64>, ConfigError> {
    list.unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<i64>()
                .ok()
                .filter(|id| *id > 0)
                .ok_or_else(|| ConfigError::new(var, format!("{s:?} is not a Telegram user id (a positive number)")))
        })
        .collect()
}

/// The variables that hold secrets, each with its `_FILE` twin (the Docker secrets convention).
pub const SECRET_FILE_VARS: &[(&str, &str)] = &[
    ("TELEOPS_BOT_TOKEN", "TELEOPS_BOT_TOKEN_FILE"),
    ("TELEOPS_SECRET_KEY", "TELEOPS_SECRET_KEY_FILE"),
    ("TELEOPS_SECRET_KEY_OLD", "TELEOPS_SECRET_KEY_OLD_FILE"),
    ("TELEOPS_DASHBOARD_TOKEN", "TELEOPS_DASHBOARD_TOKEN_FILE"),
    ("TELEOPS_DATABASE_URL", "TELEOPS_DATABASE_URL_FILE"),
    ("TELEOPS_QUEUE_URL", "TELEOPS_QUEUE_URL_FILE"),
    ("TELEOPS_DEVELOPER_CODE", "TELEOPS_DEVELOPER_CODE_FILE"),
];

/// Replaces each `<NAME>_FILE` in `vars` with `<NAME>` set to that file's contents, trailing
/// newline trimmed. `read` reads a file (`std::fs::read_to_string` outside tests). Setting both
/// `<NAME>` and `<NAME>_FILE` is an error, as are an unreadable or empty file.
pub fn read_secret_files(
    vars: &mut HashMap<String, String>,
    read: impl Fn(&Path) -> std::io::Result<String>,
) -> Result<(), ConfigError> {
    let set = |vars: &HashMap<String, String>, name: &str| vars.get(name).is_some_and(|v| !v.trim().is_empty());
    for &(name, file_var) in SECRET_FILE_VARS {
        if !set(vars, file_var) {
            continue;
        }
        if set(vars, name) {
            return Err(ConfigError::new(
                file_var,
                format!("{name} is set too; set only one of {name} and {file_var}"),
            ));
        }
        let path = PathBuf::from(vars[file_var].trim());
        let text =
            read(&path).map_err(|e| ConfigError::new(file_var, format!("cannot read {}: {e}", path.display())))?;
        let value = text.trim_end_matches(['\n', '\r']);
        if value.trim().is_empty() {
            return Err(ConfigError::new(file_var, format!("{} is empty", path.display())));
        }
        vars.insert(name.to_owned(), value.to_owned());
        vars.remove(file_var);
    }
    Ok(())
}

fn sqlite_url(dir: &Path, file: &str) -> String {
    format!("sqlite://{}?mode=rwc", dir.join(file).display())
}

fn check_db_url(var: &'static str, raw: &str, schemes: &[&str]) -> Result<String, ConfigError> {
    let scheme = raw.split_once("://").map(|(s, _)| s).unwrap_or("");
    if !schemes.contains(&scheme) {
        let want = schemes.iter().map(|s| format!("{s}://")).collect::<Vec<_>>().join(" or ");
        return Err(ConfigError::new(var, format!("must start with {want}")));
    }
    Ok(raw.to_owned())
}

fn check_token(token: &str) -> Result<(), ConfigError> {
    // Bot API tokens look like `123456:AA...`; the check catches a pasted chat id or a truncated token.
    let ok = token
        .split_once(':')
        .is_some_and(|(id, rest)| !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()) && rest.len() >= 10);
    if ok {
        Ok(())
    } else {
        Err(ConfigError::new("TELEOPS_BOT_TOKEN", "is not a bot token like 123456:ABC-DEF1234ghIkl (from @BotFather)"))
    }
}

/// `TELEOPS_WORKER_BEAT` and `TELEOPS_WORKER_GONE_AFTER`: a beat of 1 s to 1 min; gone after at
/// least two beats (one late beat is not a death) and at most an hour.
fn presence(get: &impl Fn(&str) -> Option<String>) -> Result<crate::queue::redis::Presence, ConfigError> {
    use std::time::Duration;
    let mut presence = crate::queue::redis::Presence::default();
    if let Some(raw) = get("TELEOPS_WORKER_BEAT") {
        presence.beat = crate::duration::parse(&raw)
            .ok()
            .filter(|d| (Duration::from_secs(1)..=Duration::from_secs(60)).contains(d))
            .ok_or_else(|| {
                ConfigError::new("TELEOPS_WORKER_BEAT", format!("{raw:?} is not a duration from 1s to 1m, like 2s"))
            })?;
        presence.gone_after = presence.gone_after.max(presence.beat * 3);
    }
    if let Some(raw) = get("TELEOPS_WORKER_GONE_AFTER") {
        let at_least = presence.beat * 2;
        presence.gone_after = crate::duration::parse(&raw)
            .ok()
            .filter(|d| (at_least..=Duration::from_secs(3600)).contains(d))
            .ok_or_else(|| {
                ConfigError::new(
                    "TELEOPS_WORKER_GONE_AFTER",
                    format!("{raw:?} is not a duration from two beats ({}s) to 1h, like 6s", at_least.as_secs()),
                )
            })?;
    }
    Ok(presence)
}

fn parse_bool(vars: &HashMap<String, String>, var: &'static str) -> Result<bool, ConfigError> {
    match vars.get(var).map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        None | Some("") | Some("false") | Some("0") | Some("no") => Ok(false),
        Some("true") | Some("1") | Some("yes") => Ok(true),
        Some(other) => Err(ConfigError::new(var, format!("{other:?} is not true or false"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let vars = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Settings::from_vars(&vars)
    }

    fn check_err(pairs: &[(&str, &str)], var: &str, needle: &str) {
        let err = check(pairs).expect_err("should fail");
        assert_eq!(err.var, var);
        assert!(err.problem.contains(needle), "{:?} lacks {needle:?}", err.problem);
    }

    #[test]
    fn defaults_use_the_data_dir() {
        let s = check(&[]).unwrap();
        assert_eq!(s.data_dir, PathBuf::from("./data"));
        assert_eq!(s.database_url, "sqlite://./data/teleops.db?mode=rwc");
        assert_eq!(s.queue_url, "sqlite://./data/queue.db?mode=rwc");
        assert_eq!(s.dashboard_addr.to_string(), "127.0.0.1:8080");
        assert_eq!(s.docker_host, "unix:///var/run/docker.sock");
        assert!(s.bot_token.is_none() && s.admins.is_empty() && !s.open_registration);
        assert_eq!(s.reminder_hour.to_string(), "10:00:00");
        assert_eq!((s.overdue_escalate_days, s.wishlist_hold.as_secs()), (3, 86_400));
        assert!(s.developer_code.is_none());
        let s = check(&[("TELEOPS_REMINDER_HOUR", "9:30")]).unwrap();
        assert_eq!(s.reminder_hour.to_string(), "09:30:00");
        let s = check(&[("TELEOPS_DATA_DIR", "/var/lib/teleops")]).unwrap();
        assert_eq!(s.queue_url, "sqlite:///var/lib/teleops/queue.db?mode=rwc");
    }

    #[test]
    fn teloxide_token_is_accepted_and_secret() {
        let s = check(&[("TELOXIDE_TOKEN", "123:abcdefghijkl")]).unwrap();
        assert_eq!(s.bot_token.as_ref().unwrap().expose(), "123:abcdefghijkl");
        assert_eq!(format!("{:?}", s.bot_token), "Some([redacted])");
    }

    #[test]
    fn malformed_values_name_their_variable() {
        check_err(&[("TELEOPS_ADMINS", "12,abc")], "TELEOPS_ADMINS", "\"abc\"");
        check_err(&[("TELEOPS_ADMINS", "-5")], "TELEOPS_ADMINS", "positive");
        check_err(&[("TELEOPS_DASHBOARD_ADDR", "localhost")], "TELEOPS_DASHBOARD_ADDR", "address");
        check_err(&[("TELEOPS_BOT_TOKEN", "hello")], "TELEOPS_BOT_TOKEN", "BotFather");
        check_err(&[("TELEOPS_LOG_FORMAT", "xml")], "TELEOPS_LOG_FORMAT", "text or json");
        check_err(&[("TELEOPS_DATABASE_URL", "mysql://x")], "TELEOPS_DATABASE_URL", "sqlite://");
        check_err(&[("TELEOPS_QUEUE_URL", "postgres://x")], "TELEOPS_QUEUE_URL", "sqlite:// or redis://");
        check_err(&[("TELEOPS_QUEUE_KEEP_DONE_COUNT", "lots")], "TELEOPS_QUEUE_KEEP_DONE_COUNT", "whole number");
        check_err(&[("TELEOPS_TELEGRAM_API_URL", "ftp://x")], "TELEOPS_TELEGRAM_API_URL", "http");
        check_err(&[("TELEOPS_DOCKER_HOST", "/var/run/docker.sock")], "TELEOPS_DOCKER_HOST", "unix:///");
        check_err(&[("TELEOPS_SECRET_KEY", "abcd")], "TELEOPS_SECRET_KEY", "64 hex");
        check_err(&[("TELEOPS_REQUIRE_PHONE", "maybe")], "TELEOPS_REQUIRE_PHONE", "true or false");
        check_err(&[("TELEOPS_WORKER_CONCURRENCY", "0")], "TELEOPS_WORKER_CONCURRENCY", "1 to 1024");
        check_err(&[("TELEOPS_DATABASE_POOL", "many")], "TELEOPS_DATABASE_POOL", "1 to 1000");
        check_err(&[("TELEOPS_DATABASE_POOL", "0")], "TELEOPS_DATABASE_POOL", "1 to 1000");
        check_err(&[("TELEOPS_REMINDER_HOUR", "25")], "TELEOPS_REMINDER_HOUR", "time of day");
        check_err(&[("TELEOPS_OVERDUE_ESCALATE_DAYS", "0")], "TELEOPS_OVERDUE_ESCALATE_DAYS", "1 to 365");
        check_err(&[("TELEOPS_WISHLIST_HOLD", "5s")], "TELEOPS_WISHLIST_HOLD", "at least 1m");
        check_err(&[("TELEOPS_DEVELOPER_CODE", "123")], "TELEOPS_DEVELOPER_CODE", "6 characters");
        check_err(&[("TELEOPS_QUEUE_KEEP_DONE", "a while")], "TELEOPS_QUEUE_KEEP_DONE", "like 30s");
        check_err(&[("TELEOPS_WORKER_BEAT", "500ms")], "TELEOPS_WORKER_BEAT", "1s to 1m");
        check_err(
            &[("TELEOPS_WORKER_BEAT", "5s"), ("TELEOPS_WORKER_GONE_AFTER", "8s")],
            "TELEOPS_WORKER_GONE_AFTER",
            "two beats (10s)",
        );
    }

    #[test]
    fn worker_presence_defaults_and_follows_a_longer_beat() {
        use std::time::Duration;
        let presence = |vars: &[(&str, &str)]| check(vars).unwrap().worker_presence;
        assert_eq!(
            presence(&[]),
            crate::queue::redis::Presence { beat: Duration::from_secs(2), gone_after: Duration::from_secs(6) }
        );
        assert_eq!(presence(&[("TELEOPS_WORKER_BEAT", "5s")]).gone_after, Duration::from_secs(15));
        assert_eq!(
            presence(&[("TELEOPS_WORKER_BEAT", "5s"), ("TELEOPS_WORKER_GONE_AFTER", "1m")]).gone_after,
            Duration::from_secs(60)
        );
    }

    #[test]
    fn a_public_dashboard_needs_a_token() {
        check_err(&[("TELEOPS_DASHBOARD_ADDR", "0.0.0.0:8080")], "TELEOPS_DASHBOARD_TOKEN", "loopback");
        let s = check(&[("TELEOPS_DASHBOARD_ADDR", "0.0.0.0:8080"), ("TELEOPS_DASHBOARD_TOKEN", "t")]).unwrap();
        assert!(s.dashboard_token.is_some());
    }

    /// `read_secret_files` over `vars`, with `files` as the only readable files.
    fn with_files(vars: &[(&str, &str)], files: &[(&str, &str)]) -> Result<HashMap<String, String>, ConfigError> {
        let mut vars: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let files: HashMap<PathBuf, String> = files.iter().map(|(p, t)| (PathBuf::from(p), t.to_string())).collect();
        read_secret_files(&mut vars, |path| {
            files.get(path).cloned().ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
        })?;
        Ok(vars)
    }

    #[test]
    fn every_secret_variable_can_be_read_from_a_file() {
        let key = "ab".repeat(32);
        let vars = with_files(
            &[
                ("TELEOPS_BOT_TOKEN_FILE", "/run/secrets/bot"),
                ("TELEOPS_SECRET_KEY_FILE", "/run/secrets/key"),
                ("TELEOPS_SECRET_KEY_OLD_FILE", "/run/secrets/old"),
                ("TELEOPS_DASHBOARD_TOKEN_FILE", "/run/secrets/dash"),
                ("TELEOPS_DATABASE_URL_FILE", "/run/secrets/db"),
                ("TELEOPS_QUEUE_URL_FILE", "/run/secrets/queue"),
            ],
            &[
                ("/run/secrets/bot", "123:abcdefghijkl\n"),
                ("/run/secrets/key", &format!("{key}\r\n")),
                ("/run/secrets/old", &"cd".repeat(32)),
                ("/run/secrets/dash", "dash token\n"),
                ("/run/secrets/db", "postgres://teleops:p%40ss@db/teleops\n"),
                ("/run/secrets/queue", "sqlite:///q.db"),
            ],
        )
        .unwrap();
        assert!(!vars.keys().any(|k| k.ends_with("_FILE")), "{vars:?}");
        let s = Settings::from_vars(&vars).unwrap();
        assert_eq!(s.bot_token.unwrap().expose(), "123:abcdefghijkl");
        assert_eq!(s.secret_key.unwrap().expose(), &key);
        assert_eq!(s.secret_key_old.unwrap().expose(), &"cd".repeat(32));
        assert_eq!(s.dashboard_token.unwrap().expose(), "dash token");
        assert_eq!(s.database_url, "postgres://teleops:p%40ss@db/teleops");
        assert_eq!(s.queue_url, "sqlite:///q.db");
    }

    #[test]
    fn a_variable_and_its_file_twin_are_not_both_allowed() {
        let err = with_files(&[("TELEOPS_BOT_TOKEN", "123:abcdefghijkl"), ("TELEOPS_BOT_TOKEN_FILE", "/b")], &[])
            .unwrap_err();
        assert_eq!(err.var, "TELEOPS_BOT_TOKEN_FILE");
        assert!(err.problem.contains("TELEOPS_BOT_TOKEN is set too"), "{}", err.problem);
        // An empty variable counts as unset, as everywhere else.
        let vars =
            with_files(&[("TELEOPS_BOT_TOKEN", ""), ("TELEOPS_BOT_TOKEN_FILE", "/b")], &[("/b", "1:x")]).unwrap();
        assert_eq!(vars["TELEOPS_BOT_TOKEN"], "1:x");
    }

    #[test]
    fn an_unreadable_or_empty_file_names_the_variable_and_the_path() {
        let err = with_files(&[("TELEOPS_SECRET_KEY_FILE", "/run/secrets/missing")], &[]).unwrap_err();
        assert_eq!(err.var, "TELEOPS_SECRET_KEY_FILE");
        assert!(err.problem.starts_with("cannot read /run/secrets/missing: "), "{}", err.problem);
        let err = with_files(&[("TELEOPS_DASHBOARD_TOKEN_FILE", "/e")], &[("/e", "\n")]).unwrap_err();
        assert_eq!((err.var, err.problem.as_str()), ("TELEOPS_DASHBOARD_TOKEN_FILE", "/e is empty"));
    }

    #[test]
    fn a_real_secret_file_is_read_with_its_newline_trimmed() {
        let path = std::env::temp_dir().join(format!("teleops-secret-{}", rand::random::<u64>()));
        std::fs::write(&path, "s3cret\n").unwrap();
        let mut vars = HashMap::from([("TELEOPS_DASHBOARD_TOKEN_FILE".to_owned(), path.display().to_string())]);
        read_secret_files(&mut vars, |p| std::fs::read_to_string(p)).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(vars["TELEOPS_DASHBOARD_TOKEN"], "s3cret");
    }

    #[test]
    fn the_old_secret_key_is_checked_like_the_current_one() {
        check_err(&[("TELEOPS_SECRET_KEY_OLD", "abcd")], "TELEOPS_SECRET_KEY_OLD", "64 hex");
        let s = check(&[("TELEOPS_SECRET_KEY_OLD", &"ab".repeat(32))]).unwrap();
        assert_eq!(format!("{:?}", s.secret_key_old), "Some([redacted])");
    }

    #[test]
    fn admins_parse_as_a_list() {
        let s = check(&[("TELEOPS_ADMINS", " 1, 22 ,333")]).unwrap();
        assert_eq!(s.admins, vec![1, 22, 333]);
        assert!(s.is_admin(22) && !s.is_admin(2));
        let s = check(&[("TELEOPS_TIMEZONE", "Europe/Berlin")]).unwrap();
        assert_eq!(s.timezone, chrono_tz::Europe::Berlin);
        check_err(&[("TELEOPS_TIMEZONE", "Berlin")], "TELEOPS_TIMEZONE", "not a time zone name");
        let s = check(&[("TELEOPS_DEVELOPERS", "7")]).unwrap();
        assert!(s.is_developer(7) && !s.is_admin(7));
        check_err(&[("TELEOPS_DEVELOPERS", "7,x")], "TELEOPS_DEVELOPERS", "not a Telegram user id");
    }
}
