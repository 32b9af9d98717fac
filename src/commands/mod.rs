//! Running the subcommands: each gets the loaded config and paths and returns an exit code.

pub mod export;
mod keys;
mod market;
mod order;
mod place;
mod record;
mod replay;
mod tui;

use crate::cli::Cmd;
use crate::config::{Config, ConfigError, Paths};
use std::process::ExitCode;

/// Exit code for subcommands that later work will fill in.
pub const NOT_BUILT: u8 = 2;

/// Runs `cmd` (the TUI when `None`).
pub async fn dispatch(
    cmd: Option<Cmd>,
    config: Result<Config, ConfigError>,
    paths: Paths,
) -> anyhow::Result<ExitCode> {
    if let Some(Cmd::Doctor) = cmd {
        let ok = crate::doctor::run(&paths, &config).await;
        return Ok(if ok {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    }
    let config = config?;
    match cmd {
        None | Some(Cmd::Tui) => tui::run(config, paths).await,
        Some(Cmd::Sim(args)) => {
            crate::sim::run(args).await?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Cmd::Keys(k)) => tokio::task::spawn_blocking(move || keys::run(k)).await?,
        Some(Cmd::Orders(args)) => order::list(&args, &paths),
        Some(Cmd::Book(args)) => market::book(args, &config).await,
        Some(Cmd::Watch(args)) => market::watch(args, &config).await,
        Some(Cmd::Order(cmd)) => order::run(cmd, &config, &paths).await,
        Some(Cmd::Export(args)) => {
            tokio::task::spawn_blocking(move || export::run(&args, &paths)).await?
        }
        Some(Cmd::Record(args)) => record::run(args, &config, &paths).await,
        Some(Cmd::Replay(args)) => replay::run(args, &config, &paths).await,
        Some(other) => Ok(not_built(&other)),
    }
}

fn not_built(cmd: &Cmd) -> ExitCode {
    let name = format!("{cmd:?}");
    let name = name
        .split(['(', ' ', '{'])
        .next()
        .unwrap_or("this command")
        .to_ascii_lowercase();
    eprintln!("speedtrade {name}: not built yet");
    ExitCode::from(NOT_BUILT)
}
