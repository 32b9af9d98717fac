//! `speedtrade replay`: plays a recording back through a loopback Binance-protocol server.
//! `--headless` prints the replayed trades and books through the live feed code; without it
//! the server runs (its endpoints printed as JSON) until Ctrl-C, for a client pointed at it.

use crate::cli::ReplayArgs;
use crate::config::{Config, Paths};
use crate::domain::Symbol;
use crate::replay::headless::HeadlessOptions;
use crate::replay::{self, ReplayOptions, StartWhen};
use crate::runtime::market::feed_options;
use crate::store::Store;
use anyhow::Context;
use serde_json::json;
use std::process::ExitCode;
use std::time::Duration;

/// `speedtrade replay`.
pub async fn run(
    args: ReplayArgs,
    config: &Config,
    paths: &Paths,
    metrics: Option<std::net::SocketAddr>,
) -> anyhow::Result<ExitCode> {
    let path = paths.db_file();
    if !path.exists() {
        anyhow::bail!(
            "no history file at {}: make a recording first with speedtrade record SYMBOL",
            path.display()
        );
    }
    let store = Store::open(&path).context("opening the history file")?;
    if args.list {
        for r in store.recordings()? {
            println!(
                "{}",
                json!({"recording": r.id, "symbols": r.symbols, "started_at": r.started_at,
                       "ended_at": r.ended_at, "frames": r.frames, "source": r.ws_url})
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let symbols = args
        .symbols
        .iter()
        .map(|s| Symbol::new(s).map_err(anyhow::Error::msg))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let opts = ReplayOptions {
        recording: args.recording,
        speed: args.speed,
        symbols,
        from: args.from,
        port: args.port,
        start: StartWhen::Subscribed {
            grace: Duration::from_secs(3),
        },
        ..ReplayOptions::default()
    };
    let handle = replay::start(store, opts)
        .await
        .context("starting the replay")?;
    if args.headless {
        let opts = HeadlessOptions {
            depth: args.depth,
            feed: feed_options(config),
            ..HeadlessOptions::default()
        };
        let result = replay::headless::run(&handle, opts, std::io::stdout().lock()).await;
        handle.shutdown().await;
        result?;
        return Ok(ExitCode::SUCCESS);
    }
    if !args.serve {
        let result = open_ui(&handle, config.clone(), paths.clone(), metrics).await;
        handle.shutdown().await;
        return result;
    }
    println!(
        "{}",
        json!({"rest": handle.rest_url(), "ws": handle.ws_url(),
               "recording": handle.recording().id, "symbols": handle.symbols()})
    );
    eprintln!("replay server running; it starts playing once a client subscribes. Ctrl-C stops.");
    let _ = tokio::signal::ctrl_c().await;
    handle.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

/// The UI on the replay server: Binance market data from the recording, paper trading
/// against the replayed book, a REPLAY badge.
async fn open_ui(
    handle: &replay::ReplayHandle,
    mut config: Config,
    paths: Paths,
    metrics: Option<std::net::SocketAddr>,
) -> anyhow::Result<ExitCode> {
    config.general.market = crate::domain::VenueId::Binance;
    config.general.mode = crate::config::Mode::Paper;
    config.venues.binance.rest_url = handle.rest_url();
    config.venues.binance.ws_url = handle.ws_url();
    config.ui.watchlist = handle.symbols().to_vec();
    if let Some(first) = config.ui.watchlist.first() {
        config.ui.default_symbol = first.clone();
    }
    let setup = super::tui::TuiSetup {
        label: Some("REPLAY"),
        metrics,
        ..Default::default()
    };
    super::tui::run(config, paths, setup).await
}
