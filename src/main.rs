//! The speedtrade binary: parse the command line, load the config, start logging, run the
//! chosen command. Everything else lives in the library.
#![deny(clippy::unwrap_used)]

use anyhow::Context;
use clap::{CommandFactory, Parser};
use speedtrade::cli::{Cli, Cmd};
use speedtrade::{commands, config, logging};
use std::process::ExitCode;
use std::time::Duration;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // One TLS crypto provider for reqwest and tokio-tungstenite (ring; see CRATES.md).
    let _ = rustls::crypto::ring::default_provider().install_default();
    if let Some(Cmd::Completions { shell }) = &cli.command {
        clap_complete::generate(
            *shell,
            &mut Cli::command(),
            "speedtrade",
            &mut std::io::stdout(),
        );
        return ExitCode::SUCCESS;
    }
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("speedtrade: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let paths = config::resolve_paths(cli.config.as_deref(), cli.data_dir.as_deref())?;
    let loaded = config::load(paths.config_file.as_deref());
    let (level, format) = match &loaded {
        Ok(c) => (c.logging.level.clone(), c.logging.format),
        Err(_) => ("info".to_string(), config::LogFormat::Text),
    };
    let level = cli
        .log_level
        .clone()
        .or_else(|| std::env::var("RUST_LOG").ok())
        .unwrap_or(level);
    config::create_private_dir(&paths.data_dir)
        .with_context(|| format!("creating the data directory {}", paths.data_dir.display()))?;
    let _log_guard = logging::init(&paths.log_dir(), &level, format)?;
    tracing::info!(version = env!("CARGO_PKG_VERSION"), config = ?paths.config_file, "speedtrade starting");
    // Keyutils session keyrings are per thread: join one (if only the kernel's per-user
    // fallback exists) before the runtime's threads start, so they all inherit it.
    if !matches!(cli.command, Some(Cmd::Sim(_)))
        && let Err(e) = speedtrade::secrets::ensure_session_keyring()
    {
        tracing::warn!("no usable session keyring: {e}");
    }
    // The terminal UI runs on one thread: its feed is read once a frame (net::pace), and a
    // frame's messages are parsed, applied and drawn in one pass, with no hand-over between
    // threads (and none of their wake-ups). Everything else uses a thread per core.
    let one_thread = matches!(cli.command, None | Some(Cmd::Tui) | Some(Cmd::Replay(_)));
    let runtime = if one_thread {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    }
    .enable_all()
    .build()
    .context("starting the async runtime")?;
    let code = runtime.block_on(commands::dispatch(cli.command, loaded, paths, cli.metrics));
    runtime.shutdown_timeout(Duration::from_millis(500));
    code
}
