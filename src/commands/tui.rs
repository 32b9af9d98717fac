//! `speedtrade` / `speedtrade tui`, and the UI behind `speedtrade demo`: builds the start
//! state, opens the trading session and the market feed, and runs the terminal UI.

use crate::app::{Action, AppState, Command, KeyMap, Level};
use crate::config::{Config, Paths};
use crate::domain::{Symbol, now_ms};
use crate::runtime::live::LiveMarket;
use crate::runtime::market::load_instruments;
use crate::runtime::metrics::{self, Metric};
use crate::runtime::portfolio;
use crate::runtime::{BinanceAccess, Session, configured_broker};
use crate::store::OrderFilter;
use crate::tui::latency::SharedHistogram;
use crate::tui::{self, Wiring};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// How often the broker's balances and positions are refreshed without a fill.
const ACCOUNT_EVERY_S: u64 = 15;

/// How the UI is started.
#[derive(Default)]
pub struct TuiSetup {
    /// Trade on this Binance account instead of the configured broker (the demo simulator).
    pub binance: Option<BinanceAccess>,
    /// The badge instead of PAPER / LIVE (`DEMO` on the simulator, `REPLAY`).
    pub label: Option<&'static str>,
    /// Serve Prometheus metrics on this loopback address.
    pub metrics: Option<std::net::SocketAddr>,
}

/// `NO_COLOR` set to anything non-empty turns colours off (https://no-color.org).
pub fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// Runs the TUI with the given config.
pub async fn run(config: Config, paths: Paths, setup: TuiSetup) -> anyhow::Result<ExitCode> {
    let keymap = KeyMap::from_table(&config.keys).map_err(|(k, e)| anyhow::anyhow!("{k}: {e}"))?;
    let broker = if setup.binance.is_some() {
        crate::domain::VenueId::Binance
    } else {
        configured_broker(&config)
    };
    let session = Arc::new(Session::open(&config, &paths, broker, setup.binance).await?);
    let mut state = AppState::new(&config, keymap, no_color(), now_ms());
    state.broker = broker;
    state.label = setup.label;
    tracing::info!(data_dir = %paths.data_dir.display(), %broker, label = ?setup.label, "terminal UI starting");

    let (events_tx, events_rx) = mpsc::unbounded_channel();
    spawn_history_load(
        session.clone(),
        config.paper.quote_asset.clone(),
        events_tx.clone(),
    );
    let forward = session.forward_events(events_tx.clone());
    let reconcile = tokio::spawn({
        let s = session.clone();
        async move { s.reconcile().await }
    });
    let pace = Arc::new(crate::net::FramePace::new(tui::frame_budget(
        state.settings.fps,
    )));
    let (market, source) = LiveMarket::start(
        &config,
        Some(session.manager.store().clone()),
        state.watchlist(),
        &state.selected,
        state.chart.interval,
        &events_tx,
        Some(pace.clone()),
    )?;
    spawn_instruments(&config, &session, state.watchlist().to_vec(), &events_tx);
    market.index_instruments(&events_tx);
    if config.storage.record_trades {
        session.record(Some(state.watchlist().to_vec()));
    }
    let (metrics_text, _metrics_server) = match setup.metrics {
        Some(addr) => {
            let text = Arc::new(std::sync::Mutex::new(String::new()));
            let shared = text.clone();
            let server = metrics::serve(addr, move || {
                shared.lock().map(|t| t.clone()).unwrap_or_default()
            })
            .await?;
            tracing::info!(addr = %server.local_addr(), "serving metrics");
            (Some(text), Some(server))
        }
        None => (None, None),
    };
    let latency = metrics_text.as_ref().map(|_| SharedHistogram::default());
    let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
    let effects = tokio::spawn(effects(
        EffectsCtx {
            metrics: metrics_text.map(|text| (text, latency.clone().unwrap_or_default())),
            config,
            session: session.clone(),
            market,
            app: events_tx,
        },
        cmd_rx,
    ));
    let tap_session = session.clone();
    let wiring = Wiring {
        market: source,
        events: events_rx,
        commands: cmd_tx,
        tap: Box::new(move |ev| tap_session.on_market(ev)),
        latency: latency.clone(),
        pace: Some(pace),
    };
    let result = tui::run(state, wiring).await;
    for task in [forward, reconcile, effects] {
        task.abort();
    }
    result.map(|()| ExitCode::SUCCESS)
}

/// Sends a loaded action, or a notice saying what could not be loaded.
fn send_loaded(
    app: &mpsc::UnboundedSender<Action>,
    what: &str,
    loaded: anyhow::Result<Option<Action>>,
) {
    let action = match loaded {
        Ok(Some(action)) => action,
        Ok(None) => return,
        Err(e) => Action::Notice(Level::Error, format!("could not load {what}: {e:#}")),
    };
    let _ = app.send(action);
}

/// Loads recent orders, every fill (positions need the whole history), the equity curve, the
/// watchlists and the alerts in the background, so the first frame never waits on the file.
fn spawn_history_load(session: Arc<Session>, currency: String, app: mpsc::UnboundedSender<Action>) {
    tokio::task::spawn_blocking(move || {
        let m = &session.manager;
        let filter = OrderFilter {
            limit: 200,
            ..Default::default()
        };
        let mut orders = m.orders(&filter).unwrap_or_default();
        orders.reverse();
        let fills = m.store().fills_since(0).unwrap_or_default();
        let _ = app.send(Action::BlotterLoaded(orders, fills));
        send_loaded(
            &app,
            "the equity curve",
            portfolio::load_curve(m.store(), &currency).map(Some),
        );
        send_loaded(
            &app,
            "the watchlists",
            crate::runtime::lists::load(m.store()),
        );
        send_loaded(
            &app,
            "the alerts",
            crate::runtime::alerts::load(m.store()).map(Some),
        );
    });
}

/// Loads instrument rules for the watchlist (ticket checks, price decimals) in the background.
fn spawn_instruments(
    config: &Config,
    session: &Arc<Session>,
    symbols: Vec<Symbol>,
    app: &mpsc::UnboundedSender<Action>,
) {
    let (config, session, app) = (config.clone(), session.clone(), app.clone());
    tokio::spawn(async move {
        match load_instruments(&config, &session.manager, session.broker, &symbols).await {
            Ok(list) => {
                let _ = app.send(Action::Instruments(list));
            }
            Err(e) => {
                let _ = app.send(Action::Notice(Level::Warn, format!("{e:#}")));
            }
        }
    });
}

/// What the effects task needs.
struct EffectsCtx {
    /// The latest metrics text and the tick-to-screen histogram, when `--metrics` serves them.
    metrics: Option<(Arc<std::sync::Mutex<String>>, SharedHistogram)>,
    config: Config,
    session: Arc<Session>,
    market: LiveMarket,
    app: mpsc::UnboundedSender<Action>,
}

/// Runs the commands `update` asks for, and reports the feed's counters once a second.
async fn effects(mut cx: EffectsCtx, mut commands: mpsc::UnboundedReceiver<Command>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut seconds: u64 = 0;
    loop {
        tokio::select! {
            cmd = commands.recv() => match cmd {
                Some(cmd) => perform(&mut cx, cmd),
                None => return,
            },
            _ = tick.tick() => {
                if let Some(report) = cx.market.report() {
                    let _ = cx.app.send(Action::FeedStats(report));
                }
                seconds += 1;
                if seconds % ACCOUNT_EVERY_S == 1 {
                    portfolio::refresh(cx.session.account.clone(), cx.app.clone());
                }
                if let Some((text, latency)) = &cx.metrics {
                    publish_metrics(&cx.market, text, latency, seconds);
                }
            }
        }
    }
}

/// Renders the metrics text: feed counters, uptime, frames and tick-to-screen quantiles.
fn publish_metrics(
    market: &LiveMarket,
    text: &std::sync::Mutex<String>,
    latency: &SharedHistogram,
    seconds: u64,
) {
    let as_i64 = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    let mut app = vec![Metric::gauge(
        "speedtrade_uptime_seconds",
        "Seconds since start.",
        as_i64(seconds),
    )];
    if let Ok(h) = latency.lock() {
        app.push(Metric::counter(
            "speedtrade_frames_total",
            "Frames drawn.",
            as_i64(h.frames()),
        ));
        app.push(Metric::counter(
            "speedtrade_tick_to_screen_samples_total",
            "Frames that showed new market data.",
            as_i64(h.count()),
        ));
        for (name, q) in [("p50", 0.5), ("p99", 0.99), ("p999", 0.999)] {
            if let Some(us) = h.quantile_us(q) {
                let metric = format!("speedtrade_tick_to_screen_{name}_microseconds");
                app.push(Metric::gauge(
                    metric,
                    "Market data reaching the app to the frame showing it drawn.",
                    as_i64(us),
                ));
            }
        }
    }
    let stats = market.stats();
    let rendered = metrics::render(stats.as_ref().map(|s| ("binance", s)), &app);
    if let Ok(mut t) = text.lock() {
        *t = rendered;
    }
}

fn perform(cx: &mut EffectsCtx, cmd: Command) {
    match cmd {
        Command::SelectSymbol(sym) => {
            cx.market.select(&sym, &cx.app);
            spawn_instruments(&cx.config, &cx.session, vec![sym], &cx.app);
        }
        Command::ChartInterval(_, interval) => cx.market.chart(interval, &cx.app),
        other @ (Command::PlaceOrder(_)
        | Command::CancelOrder { .. }
        | Command::CancelAll { .. }) => {
            cx.session.perform(other, cx.app.clone());
        }
        Command::AlertSymbols(symbols) => cx.market.set_alerted(symbols),
        Command::WatchSymbols(symbols) => {
            spawn_instruments(&cx.config, &cx.session, symbols.clone(), &cx.app);
            cx.market.set_watchlist(symbols);
        }
        Command::SaveLists(lists, active) => {
            let store = cx.session.manager.store().clone();
            crate::runtime::lists::save(
                store,
                cx.config.general.market,
                lists,
                active,
                cx.app.clone(),
            );
        }
        Command::Screen(filter) => cx.market.screen(filter, &cx.app),
        Command::Record(symbols) => cx.session.record(symbols),
        Command::SaveEquity(point) => portfolio::save(cx.session.manager.store(), &point),
        Command::RefreshAccount => portfolio::refresh(cx.session.account.clone(), cx.app.clone()),
        alert @ (Command::CreateAlert(_)
        | Command::AlertFired(..)
        | Command::DeleteAlert(_)
        | Command::SetAlertEnabled(..)) => {
            let store = cx.session.manager.store().clone();
            crate::runtime::alerts::perform(store, cx.config.general.market, alert, cx.app.clone());
        }
        Command::Quit | Command::ClearScreen | Command::Bell => {}
    }
}
