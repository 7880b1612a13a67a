//! The binary's start-up rules, run as a real process: exit code 2 with one line naming the fix.

use std::process::Command;

use crate::helpers::TempDir;

/// What a run of the binary left behind.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `teleops` in `dir` with a clean environment: `dir/data` as the data dir, `env` on top.
pub fn run(dir: &TempDir, args: &[&str], env: &[(&str, &str)]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_teleops"))
        .args(args)
        .current_dir(&dir.0)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TELEOPS_DATA_DIR", dir.0.join("data"))
        .env("TELEOPS_LOG", "warn")
        .envs(env.iter().copied())
        .output()
        .expect("run teleops");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn teleops(dir: &TempDir, args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let out = run(dir, args, env);
    (out.code, out.stderr)
}

#[test]
fn a_malformed_setting_exits_2_naming_the_variable() {
    let dir = TempDir::new();
    let (code, stderr) = teleops(&dir, &["worker"], &[("TELEOPS_ADMINS", "12,bob")]);
    assert_eq!(code, 2);
    assert_eq!(stderr.trim(), r#"teleops: TELEOPS_ADMINS: "bob" is not a Telegram user id (a positive number)"#);
}

#[test]
fn roles_other_than_up_need_a_secret_key_and_applied_migrations() {
    let dir = TempDir::new();
    let key = "ab".repeat(32);

    let (code, stderr) = teleops(&dir, &["scheduler"], &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("TELEOPS_SECRET_KEY") && stderr.contains("teleops up"), "{stderr}");
    assert!(!dir.0.join("data/secret.key").exists(), "only up creates the key");

    let (code, stderr) = teleops(&dir, &["worker"], &[("TELEOPS_SECRET_KEY", &key)]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("run `teleops migrate` first"), "{stderr}");

    let (code, stderr) = teleops(&dir, &["migrate"], &[("TELEOPS_SECRET_KEY", &key)]);
    assert_eq!(code, 0, "{stderr}");
    let (code, stderr) = teleops(&dir, &["bot"], &[("TELEOPS_SECRET_KEY", &key)]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("TELEOPS_BOT_TOKEN"), "{stderr}");
}

#[test]
fn up_refuses_a_public_dashboard_without_a_token() {
    let dir = TempDir::new();
    let (code, stderr) = teleops(&dir, &["up"], &[("TELEOPS_DASHBOARD_ADDR", "0.0.0.0:0")]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("TELEOPS_DASHBOARD_TOKEN"), "{stderr}");
}
