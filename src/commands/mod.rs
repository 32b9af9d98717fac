//! Running the subcommands: each gets the loaded config and paths and returns an exit code.

mod demo;
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

/// Runs `cmd` (the TUI when `None`).
pub async fn dispatch(
    cmd: Option<Cmd>,
    config: Result<Config, ConfigError>,
    paths: Paths,
    metrics: Option<std::net::SocketAddr>,
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
        None | Some(Cmd::Tui) => {
            let setup = tui::TuiSetup {
                metrics,
                ..Default::default()
            };
            tui::run(config, paths, setup).await
        }
        Some(Cmd::Demo(args)) => demo::run(args, config, paths, metrics).await,
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
        Some(Cmd::Replay(args)) => replay::run(args, &config, &paths, metrics).await,
        // Both are answered above (doctor) or in `main` before any config is read.
        Some(Cmd::Doctor | Cmd::Completions { .. }) => Ok(ExitCode::SUCCESS),
    }
}
