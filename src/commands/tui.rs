//! `speedtrade` / `speedtrade tui`: builds the start state and runs the terminal UI.

use crate::app::{AppState, KeyMap};
use crate::config::{Config, Paths};
use crate::domain::now_ms;
use crate::tui::{self, Wiring};
use std::process::ExitCode;
use tokio::sync::mpsc;

/// `NO_COLOR` set to anything non-empty turns colours off (https://no-color.org).
pub fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// Runs the TUI with the given config.
pub async fn run(config: Config, paths: Paths) -> anyhow::Result<ExitCode> {
    let keymap = KeyMap::from_table(&config.keys).map_err(|(k, e)| anyhow::anyhow!("{k}: {e}"))?;
    let state = AppState::new(&config, keymap, no_color(), now_ms());
    tracing::info!(data_dir = %paths.data_dir.display(), "terminal UI starting");
    let (_market_tx, market_rx) = mpsc::channel(4096);
    let (cmd_tx, mut cmd_rx) = mpsc::unbounded_channel();
    let commands = tokio::spawn(async move {
        while let Some(cmd) = cmd_rx.recv().await {
            tracing::debug!(?cmd, "command");
        }
    });
    tui::run(
        state,
        Wiring {
            market: market_rx,
            commands: cmd_tx,
        },
    )
    .await?;
    commands.abort();
    Ok(ExitCode::SUCCESS)
}
