//! `teleops`: one binary, four roles. Run `teleops up` for everything in one process on SQLite.
//!
//! Exit codes: 0 after a clean stop, 2 for a setting or setup the operator must fix (one line names
//! it), 1 for anything else.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use shared::config::Settings;
use teleops::{Role, StartError, StartOptions};

#[derive(Parser)]
#[command(
    name = "teleops",
    version,
    about = "Telegram-driven operations: monitors, equipment, deploys and channel posts"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run every role in one process (embedded SQLite by default); migrates first.
    Up,
    /// Run only the Telegram bot.
    Bot,
    /// Run only the job workers.
    Worker,
    /// Run only the scheduler (cron and due-scans).
    Scheduler,
    /// Run only the dashboard (queue UI, admin API, /health, /metrics).
    Dashboard,
    /// Apply pending database and queue migrations (creating a missing secret key), then exit.
    Migrate,
    /// Re-encrypt every stored secret under TELEOPS_SECRET_KEY (reading with it or
    /// TELEOPS_SECRET_KEY_OLD), then exit; afterwards the old key is no longer needed.
    RotateKey,
    /// Measure performance; results belong in BENCHMARKS.md.
    Bench {
        #[command(subcommand)]
        what: teleops::bench::Bench,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("teleops: {e}");
            return ExitCode::from(2);
        }
    };
    shared::telemetry::init_subscriber(shared::telemetry::get_subscriber(
        &settings.log,
        settings.log_format,
        std::io::IsTerminal::is_terminal(&std::io::stderr()),
        std::io::stderr,
    ));
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("teleops: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(StartError::Setup(line)) => {
            eprintln!("teleops: {line}");
            ExitCode::from(2)
        }
        Err(StartError::Other(e)) => {
            eprintln!("teleops: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, settings: Settings) -> Result<(), StartError> {
    let role = match command {
        Command::Up => Role::Up,
        Command::Bot => Role::Bot,
        Command::Worker => Role::Worker,
        Command::Scheduler => Role::Scheduler,
        Command::Dashboard => Role::Dashboard,
        Command::Migrate => Role::Migrate,
        Command::RotateKey => Role::RotateKey,
        Command::Bench { what } => return teleops::bench::run(what).await.map_err(StartError::Other),
    };
    let options = StartOptions::default();
    let ctx = teleops::prepare(settings, role, &options).await?;
    match role {
        Role::Migrate => {
            tracing::info!("migrations applied");
            return Ok(());
        }
        Role::RotateKey => {
            let done = teleops::rotate_key(&ctx).await?;
            println!("re-encrypted {} secret value(s) under key {}", done.sealed, ctx.keyring.current_id());
            return Ok(());
        }
        _ => {}
    }
    let running = teleops::start(ctx, role, options).await?;
    let shutdown = running.shutdown.clone();
    tokio::spawn(async move {
        teleops::shutdown_signal().await;
        tracing::info!("shutting down: no new jobs are fetched; running ones may finish");
        shutdown.cancel();
    });
    running.wait().await?;
    Ok(())
}
