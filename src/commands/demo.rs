//! `speedtrade demo`: the built-in exchange simulator in-process, and the UI trading on it
//! with the simulator's demo key — the whole real path (sockets, parsing, signing, order
//! lifecycle, SQLite) on a machine with no network.

use super::tui::{TuiSetup, run as run_tui};
use crate::config::{Config, Paths};
use crate::domain::{Symbol, VenueId};
use crate::runtime::BinanceAccess;
use crate::secrets::Credentials;
use crate::sim::SimArgs;
use anyhow::Context;
use std::process::ExitCode;
use std::time::Duration;

/// Runs the simulator and the UI against it; stops the simulator when the UI exits.
pub async fn run(
    args: SimArgs,
    mut config: Config,
    paths: Paths,
    metrics: Option<std::net::SocketAddr>,
) -> anyhow::Result<ExitCode> {
    let listed: Vec<Symbol> = args
        .symbols
        .iter()
        .filter_map(|s| Symbol::new(s).ok())
        .collect();
    let sim = crate::sim::start(args)
        .await
        .context("starting the simulator")?;
    let b = &mut config.venues.binance;
    b.rest_url = sim.rest_url();
    b.ws_url = sim.ws_url();
    b.ws_api_url = sim.ws_api_url();
    config.general.market = VenueId::Binance;
    config.ui.watchlist.retain(|s| listed.contains(s));
    if config.ui.watchlist.is_empty() {
        config.ui.watchlist = listed.clone();
    }
    if !listed.contains(&config.ui.default_symbol)
        && let Some(first) = config.ui.watchlist.first()
    {
        config.ui.default_symbol = first.clone();
    }
    let access = BinanceAccess {
        rest_url: sim.rest_url(),
        ws_api_url: sim.ws_api_url(),
        creds: Credentials::new(sim.api_key(), sim.api_secret()),
        profile: "sim".into(),
        recv_window: Duration::from_millis(u64::from(config.venues.binance.recv_window_ms)),
    };
    let result = run_tui(
        config,
        paths,
        TuiSetup {
            binance: Some(access),
            label: Some("DEMO"),
            metrics,
        },
    )
    .await;
    sim.shutdown().await;
    result
}
