//! Replaying a recording (see [`crate::record`]) through the same feed path as live data: a
//! loopback server that speaks Binance's market-data protocol for the recorded symbols
//! (`exchangeInfo`, `depth`, `klines`, `ticker/24hr`, `ping`, `time`, and the market streams
//! with SUBSCRIBE) and plays the recorded frames back, re-timed by a speed factor. Point a
//! [`crate::venue::binance::feed::BinanceFeed`] (the TUI's, or the headless commands') at
//! [`ReplayHandle::endpoints`] and it cannot tell the replay from the exchange.
//!
//! ```no_run
//! # async fn demo(store: speedtrade::store::Store) -> Result<(), speedtrade::replay::ReplayError> {
//! use speedtrade::replay::{self, ReplayOptions, Speed};
//! let handle = replay::start(store, ReplayOptions { speed: Speed::Times(10.0), ..Default::default() }).await?;
//! let endpoints = handle.endpoints(); // BinanceEndpoints { rest_url, ws_url }
//! handle.finished().await; // every frame played (the server keeps serving the last state)
//! handle.shutdown().await;
//! # drop(endpoints); Ok(()) }
//! ```
//!
//! Timing: frame *i* goes out `(recv_ms[i] - recv_ms[first]) / speed` after playing starts.
//! Playing starts (by default) once the clients have subscribed to every recorded stream, or
//! a grace period after their first subscription, so a client that subscribes misses nothing.
//! The server's own state follows the frames as they are played: `depth` answers with the
//! book rebuilt from the recorded snapshots and diffs (by the feed's sync procedure) at the
//! current position, so a snapshot always joins the stream the client is receiving.
//! A slow client slows the replay down; frames are never dropped.

mod driver;
pub mod headless;
mod rest;
mod state;
mod streams;

pub use state::Phase;

use crate::domain::{BookTop, Instrument, Symbol, TimeMs, VenueId};
use crate::net::no_delay;
use crate::store::{Recording, Store, StoreError};
use crate::venue::binance::BinanceEndpoints;
use axum::serve::ListenerExt as _;
use state::Shared;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Playback speed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Speed {
    /// As fast as the clients take the frames.
    Max,
    /// This many times real time (1.0 = as recorded).
    Times(f64),
}

/// Parses `--speed`: `max` or `0` for as fast as possible, or a positive factor (`10`, `0.5`).
pub fn parse_speed(text: &str) -> Result<Speed, String> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("max") {
        return Ok(Speed::Max);
    }
    let t = t.strip_suffix(['x', 'X']).unwrap_or(t);
    match t.parse::<f64>() {
        Ok(0.0) => Ok(Speed::Max),
        Ok(v) if v.is_finite() && v > 0.0 => Ok(Speed::Times(v)),
        _ => Err(format!(
            "speed must be a positive factor like 10 or 0.5, or max (0 also means max), not `{text}`"
        )),
    }
}

/// Where in the recording to start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayFrom {
    /// This long after the recording started.
    Offset(Duration),
    /// At this wall-clock time (ms since the epoch, UTC).
    At(TimeMs),
}

/// Parses `--from`: an offset into the recording (`90s`, `5m`, `1h30m`) or a UTC time
/// (`2024-05-31T12:00:00Z`, `2024-05-31 12:00:00`).
pub fn parse_from(text: &str) -> Result<ReplayFrom, String> {
    let t = text.trim();
    if let Ok(ms) = crate::alerts::parse_duration(t) {
        return Ok(ReplayFrom::Offset(Duration::from_millis(
            u64::try_from(ms).unwrap_or(0),
        )));
    }
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(t) {
        return Ok(ReplayFrom::At(dt.timestamp_millis()));
    }
    for fmt in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(dt) = chrono::NaiveDateTime::parse_from_str(t, fmt) {
            return Ok(ReplayFrom::At(dt.and_utc().timestamp_millis()));
        }
    }
    Err(format!(
        "--from wants an offset into the recording (90s, 5m, 1h30m) or a UTC time \
         (2024-05-31T12:00:00Z), not `{text}`"
    ))
}

/// When playing starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartWhen {
    /// Right away.
    Now,
    /// Once the clients have subscribed to every recorded stream of the replayed symbols, or
    /// `grace` after the first subscription to any of them.
    Subscribed {
        /// Longest wait after the first subscription.
        grace: Duration,
    },
    /// When [`ReplayHandle::play`] is called.
    Manual,
}

/// What to replay and how.
#[derive(Debug, Clone)]
pub struct ReplayOptions {
    /// The recording (`None`: the newest).
    pub recording: Option<i64>,
    /// Playback speed.
    pub speed: Speed,
    /// Symbols to replay (empty: every recorded one).
    pub symbols: Vec<Symbol>,
    /// Start position (`None`: the beginning). Frames before it shape the books silently.
    pub from: Option<ReplayFrom>,
    /// Port on 127.0.0.1 (0 picks a free one).
    pub port: u16,
    /// When to start playing.
    pub start: StartWhen,
    /// Frames read from the file at a time.
    pub page_rows: usize,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        Self {
            recording: None,
            speed: Speed::Times(1.0),
            symbols: Vec::new(),
            from: None,
            port: 0,
            start: StartWhen::Subscribed {
                grace: Duration::from_secs(3),
            },
            page_rows: 8192,
        }
    }
}

/// Why a replay could not start.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The history file has no recording (or not the one asked for).
    #[error("{0}")]
    NoRecording(String),
    /// A symbol asked for is not in the recording.
    #[error("recording {recording} has no symbol {symbol} (it holds {held})")]
    UnknownSymbol {
        /// The recording.
        recording: i64,
        /// The symbol asked for.
        symbol: String,
        /// What it holds.
        held: String,
    },
    /// Reading the history file failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The port could not be bound.
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Bind {
        /// The port asked for.
        port: u16,
        /// The OS error.
        source: std::io::Error,
    },
}

/// How far a replay got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplayProgress {
    /// The phase.
    pub phase: Phase,
    /// Frames played (fast-forwarded ones and snapshots included).
    pub frames: u64,
    /// Trades played.
    pub trades: u64,
    /// Receive time of the last frame played.
    pub position_ms: TimeMs,
}

/// A running replay server. Dropping it stops the server; [`ReplayHandle::shutdown`] waits.
pub struct ReplayHandle {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for ReplayHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplayHandle")
            .field("addr", &self.addr)
            .field("recording", &self.shared.recording.id)
            .finish_non_exhaustive()
    }
}

impl ReplayHandle {
    /// REST base URL, e.g. `http://127.0.0.1:40123`.
    pub fn rest_url(&self) -> String {
        format!("http://{}", self.addr)
    }
    /// Market-stream base URL, e.g. `ws://127.0.0.1:40123`.
    pub fn ws_url(&self) -> String {
        format!("ws://{}", self.addr)
    }
    /// Both, for a feed.
    pub fn endpoints(&self) -> BinanceEndpoints {
        BinanceEndpoints {
            rest_url: self.rest_url(),
            ws_url: self.ws_url(),
        }
    }
    /// The recording played.
    pub fn recording(&self) -> &Recording {
        &self.shared.recording
    }
    /// The replayed symbols.
    pub fn symbols(&self) -> &[Symbol] {
        &self.shared.symbols
    }
    /// Starts playing now (whatever [`ReplayOptions::start`] says).
    pub fn play(&self) {
        self.shared.play_now.store(true, Ordering::SeqCst);
        self.shared.wake.notify_waiters();
    }
    /// How far the replay got.
    pub fn progress(&self) -> ReplayProgress {
        let c = &self.shared.counters;
        ReplayProgress {
            phase: self.shared.current_phase(),
            frames: c.frames.load(Ordering::Relaxed),
            trades: c.trades.load(Ordering::Relaxed),
            position_ms: i64::try_from(c.position_ms.load(Ordering::Relaxed)).unwrap_or(0),
        }
    }
    /// Resolves once every frame was played (or the server stopped).
    pub async fn finished(&self) {
        let mut rx = self.shared.phase.subscribe();
        let mut stop = self.stop.subscribe();
        tokio::select! {
            () = async { let _ = rx.wait_for(|p| *p == Phase::Finished).await; } => {}
            () = crate::sim::server::stopped(&mut stop) => {}
        }
    }
    /// The server's book of `symbol` at the current position (`levels` a side), `None` for a
    /// symbol not replayed. `stale` while the recording has no usable book.
    pub fn book(&self, symbol: &Symbol, levels: usize) -> Option<BookTop> {
        let i = self.shared.sym(symbol.as_str())?;
        Some(self.shared.markets()[i].sync.top(levels))
    }
    /// Trades of `symbol` sent to the stream connections so far.
    pub fn trades_sent(&self, symbol: &Symbol) -> u64 {
        self.shared
            .sym(symbol.as_str())
            .map_or(0, |i| self.shared.markets()[i].trades_sent)
    }
    /// Stops the server, closes the streams and waits for the tasks to end.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        for t in self.tasks.drain(..) {
            let _ = tokio::time::timeout(Duration::from_secs(10), t).await;
        }
    }
}

impl Drop for ReplayHandle {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Picks the recording and its symbols.
fn choose(store: &Store, opts: &ReplayOptions) -> Result<(Recording, Vec<Symbol>), ReplayError> {
    let recording = match opts.recording {
        Some(id) => store.recording(id)?.ok_or_else(|| {
            ReplayError::NoRecording(format!(
                "there is no recording {id} (speedtrade replay --list shows them)"
            ))
        })?,
        None => store.recordings()?.into_iter().next().ok_or_else(|| {
            ReplayError::NoRecording(
                "the history file holds no recording yet: make one with speedtrade record SYMBOL"
                    .into(),
            )
        })?,
    };
    let symbols = if opts.symbols.is_empty() {
        recording.symbols.clone()
    } else {
        for s in &opts.symbols {
            if !recording.symbols.contains(s) {
                let held: Vec<&str> = recording.symbols.iter().map(Symbol::as_str).collect();
                return Err(ReplayError::UnknownSymbol {
                    recording: recording.id,
                    symbol: s.to_string(),
                    held: held.join(", "),
                });
            }
        }
        opts.symbols.clone()
    };
    Ok((recording, symbols))
}

/// The stored instrument of each symbol, or generic filters when none was saved.
fn instruments(store: &Store, venue: VenueId, symbols: &[Symbol]) -> Vec<Instrument> {
    let stored = store.instruments(Some(venue)).unwrap_or_default();
    symbols
        .iter()
        .map(|s| {
            stored
                .iter()
                .find(|i| &i.symbol == s)
                .cloned()
                .unwrap_or_else(|| generic_instrument(s))
        })
        .collect()
}

fn generic_instrument(s: &Symbol) -> Instrument {
    let spec = crate::sim::symbols::SymbolSpec::for_name(s.as_str());
    Instrument {
        venue: VenueId::Binance,
        symbol: s.clone(),
        base: spec.base,
        quote: spec.quote,
        tick_size: crate::domain::Price::from_units(1),
        min_price: crate::domain::Price::from_units(1),
        max_price: crate::domain::Price::from_int(1_000_000_000),
        step_size: crate::domain::Qty::from_units(1),
        min_qty: crate::domain::Qty::from_units(1),
        max_qty: crate::domain::Qty::from_int(1_000_000_000),
        min_notional: rust_decimal::Decimal::ZERO,
        max_notional: None,
        trading: true,
    }
}

/// Starts a replay server on 127.0.0.1 and returns once it accepts connections.
pub async fn start(store: Store, opts: ReplayOptions) -> Result<ReplayHandle, ReplayError> {
    let (recording, symbols) = choose(&store, &opts)?;
    let instruments = instruments(&store, recording.venue, &symbols);
    let from_ms = opts.from.map(|f| match f {
        ReplayFrom::Offset(d) => recording
            .started_at
            .saturating_add(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
        ReplayFrom::At(t) => t,
    });
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], opts.port)))
        .await
        .map_err(|source| ReplayError::Bind {
            port: opts.port,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| ReplayError::Bind {
        port: opts.port,
        source,
    })?;
    let (stop, shutdown) = watch::channel(false);
    let id = recording.id;
    let shared = Arc::new(Shared::new(recording, symbols, instruments, shutdown));
    let app = rest::router(shared.clone());
    let mut rx = shared.shutdown.clone();
    let server = tokio::spawn(async move {
        let serve =
            axum::serve(listener.tap_io(no_delay), app).with_graceful_shutdown(async move {
                let _ = rx.wait_for(|s| *s).await;
            });
        if let Err(e) = serve.await {
            tracing::warn!(error = %e, "replay server stopped with an error");
        }
    });
    let cfg = driver::DriverConfig {
        recording: id,
        speed: opts.speed,
        from_ms,
        start: opts.start,
        page_rows: opts.page_rows,
    };
    let driver = tokio::spawn(driver::run(store, shared.clone(), cfg));
    tracing::info!(%addr, recording = id, "replay server listening");
    Ok(ReplayHandle {
        addr,
        shared,
        stop,
        tasks: vec![server, driver],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speeds() {
        assert_eq!(parse_speed("max"), Ok(Speed::Max));
        assert_eq!(parse_speed("MAX"), Ok(Speed::Max));
        assert_eq!(parse_speed("0"), Ok(Speed::Max));
        assert_eq!(parse_speed("10"), Ok(Speed::Times(10.0)));
        assert_eq!(parse_speed("0.5x"), Ok(Speed::Times(0.5)));
        for bad in ["-1", "fast", "", "inf", "NaN"] {
            assert!(
                parse_speed(bad).unwrap_err().contains("positive factor"),
                "{bad}"
            );
        }
    }

    #[test]
    fn start_positions() {
        assert_eq!(
            parse_from("90s"),
            Ok(ReplayFrom::Offset(Duration::from_secs(90)))
        );
        assert_eq!(
            parse_from("1h30m"),
            Ok(ReplayFrom::Offset(Duration::from_secs(5400)))
        );
        let at = ReplayFrom::At(1_717_156_800_000);
        assert_eq!(parse_from("2024-05-31T12:00:00Z"), Ok(at));
        assert_eq!(parse_from("2024-05-31 12:00:00"), Ok(at));
        assert_eq!(parse_from("2024-05-31T14:00:00+02:00"), Ok(at));
        assert!(parse_from("noon").unwrap_err().contains("90s"));
    }
}
