//! The Binance market data feed: the watched set of symbols and topics, spread over combined-
//! stream connections (at most [`FeedOptions::max_streams_per_conn`] streams each; one task per
//! connection), and the events they produce.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use speedtrade::venue::binance::{BinanceEndpoints, feed::{BinanceFeed, FeedOptions, Topics}};
//! let (feed, mut events) = BinanceFeed::start(BinanceEndpoints::default(), FeedOptions::default())?;
//! feed.watch("BTCUSDT".parse()?, Topics::all());
//! while let Some(ev) = events.recv().await { /* update state, draw when due */ }
//! # Ok(()) }
//! ```
//!
//! Delivery: trades, tickers, candles, connection states and notices are never dropped (the
//! channel is bounded; a full channel makes the connection wait). Book tops conflate per symbol
//! (see [`board`]). After every reconnect each connection resubscribes and every book resyncs.

pub mod board;
mod books;
mod conn;
pub mod stats;

use super::BinanceEndpoints;
use super::limiter::WeightLimiter;
use super::market_rest::{MarketRest, RestError};
use super::streams::StreamKind;
use crate::domain::{BookTop, Interval, Symbol, VenueId, now_ms};
use crate::net::BackoffConfig;
use crate::venue::{ConnState, MarketEvent};
use board::{Board, MarketReceiver, Stamped};
use conn::ConnCmd;
use stats::{FeedStats, FeedStatsSnapshot};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

/// What to stream for one symbol.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Topics {
    /// Public trades (`@trade`).
    pub trades: bool,
    /// 24 h ticker (`@ticker`).
    pub ticker: bool,
    /// Order book (`@depth@100ms` + REST snapshot).
    pub book: bool,
    /// Candles (`@kline_<i>`).
    pub klines: BTreeSet<Interval>,
}

impl Topics {
    /// Trades, ticker, book and 1m candles.
    pub fn all() -> Self {
        Self {
            trades: true,
            ticker: true,
            book: true,
            klines: [Interval::M1].into(),
        }
    }
    /// Nothing (watching with this unwatches).
    pub fn is_empty(&self) -> bool {
        !self.trades && !self.ticker && !self.book && self.klines.is_empty()
    }
}

/// Feed settings; the lead maps the config file onto these.
#[derive(Debug, Clone)]
pub struct FeedOptions {
    /// Levels kept per side and asked for in snapshots (1..=5000; weight grows with it).
    pub depth: usize,
    /// Levels per side published in each [`BookTop`].
    pub book_levels: usize,
    /// `@depth@100ms` (true) or `@depth` (1000 ms).
    pub fast_depth: bool,
    /// Silence before a connection is reported stale.
    pub stale_after: Duration,
    /// Silence before a connection is dropped and reopened.
    pub dead_after: Duration,
    /// Age at which a connection is replaced (Binance ends them at 24 h).
    pub max_lifetime: Duration,
    /// Overlap of old and new connection during a replacement.
    pub replace_overlap: Duration,
    /// Reconnect backoff.
    pub backoff: BackoffConfig,
    /// A connection that lived this long resets the backoff.
    pub stable_after: Duration,
    /// Streams per connection (Binance allows 1024).
    pub max_streams_per_conn: usize,
    /// Control messages per second and connection (Binance allows 5, pongs included).
    pub max_control_per_sec: u32,
    /// Frames larger than this are counted as malformed and skipped.
    pub max_frame_bytes: usize,
    /// Capacity of the event channel.
    pub event_capacity: usize,
    /// Wait before fetching a snapshot again after one that did not join the stream or failed.
    pub snapshot_retry: Duration,
    /// Diffs buffered per book while waiting for a snapshot.
    pub max_buffered_diffs: usize,
    /// Check each newly watched symbol with a REST ticker (weight 2): unknown symbols get a
    /// clear notice and are unwatched, known ones get an initial ticker.
    pub check_symbols: bool,
    /// The screen's frame clock when a screen is the only reader: the streams are then read
    /// once a frame while they run faster than frames (see [`crate::net::pace`]).
    pub pace: Option<Arc<crate::net::FramePace>>,
}

impl Default for FeedOptions {
    fn default() -> Self {
        Self {
            depth: 1000,
            book_levels: 20,
            fast_depth: true,
            stale_after: Duration::from_secs(30),
            dead_after: Duration::from_secs(60),
            max_lifetime: Duration::from_secs(23 * 3600 + 1800),
            replace_overlap: Duration::from_secs(3),
            backoff: BackoffConfig::default(),
            stable_after: Duration::from_secs(10),
            max_streams_per_conn: 1024,
            max_control_per_sec: 4,
            max_frame_bytes: super::parse::MAX_FRAME_BYTES,
            event_capacity: 4096,
            snapshot_retry: Duration::from_secs(1),
            max_buffered_diffs: 10_000,
            check_symbols: true,
            pace: None,
        }
    }
}

/// Why a feed could not start.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// The REST client could not be built.
    #[error(transparent)]
    Rest(#[from] RestError),
    /// Bad options.
    #[error("feed options: {0}")]
    Options(String),
}

/// One stream a connection carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StreamSpec {
    pub name: String,
    pub symbol: Symbol,
    pub kind: StreamKind,
}

/// State shared by the handle and every connection task.
pub(crate) struct Shared {
    pub opts: FeedOptions,
    pub endpoints: BinanceEndpoints,
    pub rest: MarketRest,
    pub events: mpsc::Sender<Stamped>,
    pub board: Arc<Board>,
    pub stats: Arc<FeedStats>,
    states: Mutex<StateAgg>,
}

#[derive(Default)]
struct StateAgg {
    by_conn: BTreeMap<usize, ConnState>,
    emitted: Option<ConnState>,
}

fn severity(s: &ConnState) -> u8 {
    match s {
        ConnState::Live => 0,
        ConnState::Stale => 1,
        ConnState::Connecting => 2,
        ConnState::Reconnecting { .. } => 3,
        ConnState::Down(_) => 4,
    }
}

impl Shared {
    /// Records a connection's state (`None`: it ended) and returns the feed-wide state (the
    /// worst of all connections) if that changed.
    pub fn set_state(&self, conn: usize, state: Option<ConnState>) -> Option<ConnState> {
        let mut agg = self.states.lock().unwrap_or_else(|p| p.into_inner());
        match state {
            Some(s) => agg.by_conn.insert(conn, s),
            None => agg.by_conn.remove(&conn),
        };
        let worst = agg.by_conn.values().max_by_key(|s| severity(s)).cloned();
        if worst.is_some() && worst != agg.emitted {
            agg.emitted.clone_from(&worst);
            return worst;
        }
        None
    }

    fn conn_state(&self, conn: usize) -> Option<ConnState> {
        let agg = self.states.lock().unwrap_or_else(|p| p.into_inner());
        agg.by_conn.get(&conn).cloned()
    }

    /// Sends an event that must not be dropped; `Err` once the receiver is gone.
    pub async fn emit(&self, ev: MarketEvent) -> Result<(), ()> {
        self.events.send((ev, None)).await.map_err(drop)
    }

    /// [`Shared::emit`] for an event from a message that reached the socket at `arrived`.
    pub async fn emit_at(&self, ev: MarketEvent, arrived: crate::net::Arrival) -> Result<(), ()> {
        self.events.send((ev, Some(arrived))).await.map_err(drop)
    }

    /// A notice for the user.
    pub fn notice(message: impl Into<String>) -> MarketEvent {
        MarketEvent::Notice {
            venue: VenueId::Binance,
            message: message.into(),
        }
    }
}

struct ConnHandle {
    cmd: mpsc::UnboundedSender<ConnCmd>,
    streams: usize,
}

#[derive(Default)]
struct Manager {
    watched: BTreeMap<Symbol, Topics>,
    /// Stream name → connection id.
    streams: HashMap<String, usize>,
    conns: BTreeMap<usize, ConnHandle>,
    next_conn: usize,
}

/// The handle the app keeps; dropping it stops every connection.
pub struct BinanceFeed {
    core: Arc<Core>,
}

/// What the handle and the symbol checks share.
struct Core {
    shared: Arc<Shared>,
    mgr: Mutex<Manager>,
    runtime: tokio::runtime::Handle,
}

impl std::fmt::Debug for BinanceFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BinanceFeed")
            .field("endpoints", &self.core.shared.endpoints)
            .finish_non_exhaustive()
    }
}

impl BinanceFeed {
    /// Starts a feed with its own REST client and weight limiter (call inside a Tokio runtime).
    pub fn start(
        endpoints: BinanceEndpoints,
        opts: FeedOptions,
    ) -> Result<(Self, MarketReceiver), FeedError> {
        let rest = MarketRest::new(&endpoints.rest_url, Arc::new(WeightLimiter::default()))?;
        Self::with_rest(endpoints, opts, rest)
    }

    /// Starts a feed that shares `rest` (and its limiter) with other users of the REST API.
    pub fn with_rest(
        endpoints: BinanceEndpoints,
        opts: FeedOptions,
        rest: MarketRest,
    ) -> Result<(Self, MarketReceiver), FeedError> {
        if opts.max_streams_per_conn == 0 || opts.book_levels == 0 || opts.event_capacity == 0 {
            return Err(FeedError::Options(
                "max_streams_per_conn, book_levels and event_capacity must be > 0".into(),
            ));
        }
        let (tx, rx) = mpsc::channel(opts.event_capacity);
        let board = Arc::new(Board::default());
        let shared = Arc::new(Shared {
            opts,
            endpoints,
            rest,
            events: tx,
            board: board.clone(),
            stats: Arc::new(FeedStats::default()),
            states: Mutex::new(StateAgg::default()),
        });
        let core = Arc::new(Core {
            shared,
            mgr: Mutex::new(Manager::default()),
            runtime: tokio::runtime::Handle::try_current()
                .map_err(|_| FeedError::Options("start the feed inside a Tokio runtime".into()))?,
        });
        Ok((Self { core }, MarketReceiver::new(rx, board)))
    }

    /// Sets what to stream for `symbol` (empty topics unwatch it). Streams are subscribed and
    /// unsubscribed at runtime; only the difference is sent.
    pub fn watch(&self, symbol: Symbol, topics: Topics) {
        self.core.watch(symbol, topics);
    }

    /// Stops streaming `symbol`.
    pub fn unwatch(&self, symbol: &Symbol) {
        self.core.watch(symbol.clone(), Topics::default());
    }

    /// Replaces the whole watched set.
    pub fn set_watchlist(&self, list: impl IntoIterator<Item = (Symbol, Topics)>) {
        self.core.set_watchlist(list.into_iter().collect());
    }

    /// The symbols currently watched and their topics.
    pub fn watched(&self) -> BTreeMap<Symbol, Topics> {
        self.core.lock().watched.clone()
    }

    /// The latest published book top of `symbol`.
    pub fn book(&self, symbol: &Symbol) -> Option<BookTop> {
        self.core.shared.board.latest(symbol)
    }

    /// The state of the connection carrying `symbol`'s streams (for a per-pane indicator).
    pub fn symbol_state(&self, symbol: &Symbol) -> Option<ConnState> {
        let m = self.core.lock();
        let topics = m.watched.get(symbol)?;
        let spec = stream_specs(symbol, topics, &self.core.shared.opts)
            .into_iter()
            .next()?;
        let id = *m.streams.get(&spec.name)?;
        drop(m);
        self.core.shared.conn_state(id)
    }

    /// Health counters.
    pub fn stats(&self) -> FeedStatsSnapshot {
        let shared = &self.core.shared;
        let mut s = shared.stats.snapshot(now_ms());
        let m = self.core.lock();
        s.connections = m.conns.len();
        s.streams = m.streams.len();
        drop(m);
        let l = shared.rest.limiter().status();
        s.rest_weight_used = l.used;
        s.rest_weight_limit = l.limit;
        s
    }

    /// Fetches up to `limit` (≤ 1000) past candles of `symbol` in the background and delivers
    /// them as one [`MarketEvent::History`] (oldest first), or a notice if that fails. Call it
    /// when a chart opens or its interval changes; merging with live candles is
    /// [`crate::series::CandleSeries::backfill`]'s job.
    pub fn backfill(&self, symbol: Symbol, interval: Interval, limit: u16) {
        let shared = self.core.shared.clone();
        self.core.runtime.spawn(async move {
            let ev = match shared
                .rest
                .klines(&symbol, interval, None, None, limit)
                .await
            {
                Ok(candles) => MarketEvent::History {
                    symbol,
                    interval,
                    candles,
                },
                Err(e) => Shared::notice(format!("no {interval} history for {symbol}: {e}")),
            };
            let _ = shared.emit(ev).await;
        });
    }

    /// The REST client the feed uses (klines backfill, exchangeInfo); shares its limiter.
    pub fn rest(&self) -> &MarketRest {
        &self.core.shared.rest
    }
}

impl Drop for BinanceFeed {
    fn drop(&mut self) {
        let m = self.core.lock();
        for h in m.conns.values() {
            let _ = h.cmd.send(ConnCmd::Shutdown);
        }
    }
}

impl Core {
    fn lock(&self) -> std::sync::MutexGuard<'_, Manager> {
        self.mgr.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn watch(self: &Arc<Self>, symbol: Symbol, topics: Topics) {
        let mut list = self.lock().watched.clone();
        if topics.is_empty() {
            list.remove(&symbol);
        } else {
            list.insert(symbol, topics);
        }
        self.set_watchlist(list);
    }

    fn set_watchlist(self: &Arc<Self>, list: BTreeMap<Symbol, Topics>) {
        let mut m = self.lock();
        let new: BTreeMap<Symbol, Topics> =
            list.into_iter().filter(|(_, t)| !t.is_empty()).collect();
        let want: BTreeMap<String, StreamSpec> = new
            .iter()
            .flat_map(|(s, t)| stream_specs(s, t, &self.shared.opts))
            .map(|spec| (spec.name.clone(), spec))
            .collect();
        let gone: Vec<String> = m
            .streams
            .keys()
            .filter(|n| !want.contains_key(*n))
            .cloned()
            .collect();
        let added: Vec<StreamSpec> = want
            .into_values()
            .filter(|s| !m.streams.contains_key(&s.name))
            .collect();
        let fresh: Vec<Symbol> = new
            .keys()
            .filter(|s| !m.watched.contains_key(*s))
            .cloned()
            .collect();
        m.watched = new;
        self.unsubscribe(&mut m, gone);
        self.subscribe(&mut m, added);
        drop(m);
        if self.shared.opts.check_symbols && !fresh.is_empty() {
            self.check_symbols(fresh);
        }
    }

    fn unsubscribe(&self, m: &mut Manager, names: Vec<String>) {
        let mut per_conn: BTreeMap<usize, Vec<String>> = BTreeMap::new();
        for name in names {
            if let Some(id) = m.streams.remove(&name) {
                per_conn.entry(id).or_default().push(name);
            }
        }
        for (id, names) in per_conn {
            let Some(h) = m.conns.get_mut(&id) else {
                continue;
            };
            h.streams = h.streams.saturating_sub(names.len());
            if h.streams == 0 {
                let _ = h.cmd.send(ConnCmd::Shutdown);
                m.conns.remove(&id);
            } else {
                let _ = h.cmd.send(ConnCmd::Unsubscribe(names));
            }
        }
    }

    fn subscribe(&self, m: &mut Manager, specs: Vec<StreamSpec>) {
        let cap = self.shared.opts.max_streams_per_conn;
        let mut per_conn: BTreeMap<usize, Vec<StreamSpec>> = BTreeMap::new();
        for spec in specs {
            let room = m
                .conns
                .iter()
                .find(|(id, h)| h.streams + per_conn.get(id).map_or(0, Vec::len) < cap);
            let id = match room {
                Some((id, _)) => *id,
                None => self.spawn_conn(m),
            };
            m.streams.insert(spec.name.clone(), id);
            per_conn.entry(id).or_default().push(spec);
        }
        for (id, specs) in per_conn {
            if let Some(h) = m.conns.get_mut(&id) {
                h.streams += specs.len();
                let _ = h.cmd.send(ConnCmd::Subscribe(specs));
            }
        }
    }

    fn spawn_conn(&self, m: &mut Manager) -> usize {
        let id = m.next_conn;
        m.next_conn += 1;
        let (tx, rx) = mpsc::unbounded_channel();
        let _guard = self.runtime.enter();
        conn::spawn(self.shared.clone(), id, rx);
        m.conns.insert(
            id,
            ConnHandle {
                cmd: tx,
                streams: 0,
            },
        );
        id
    }

    /// Checks new symbols with a REST ticker; unknown ones get a notice and are unwatched.
    fn check_symbols(self: &Arc<Self>, symbols: Vec<Symbol>) {
        let shared = self.shared.clone();
        let core = Arc::downgrade(self);
        self.runtime.spawn(async move {
            for symbol in symbols {
                match shared.rest.tickers_24h(std::slice::from_ref(&symbol)).await {
                    Ok(tickers) => {
                        for t in tickers {
                            let _ = shared.emit(MarketEvent::Ticker(t)).await;
                        }
                    }
                    Err(e @ RestError::UnknownSymbol(_)) => {
                        if let Some(core) = core.upgrade() {
                            core.watch(symbol.clone(), Topics::default());
                        }
                        shared.board.remove(&symbol);
                        let msg = format!("{e}; stopped watching {symbol}");
                        let _ = shared.emit(Shared::notice(msg)).await;
                    }
                    Err(e) => tracing::debug!(%symbol, error = %e, "symbol check failed"),
                }
            }
        });
    }
}

/// The streams that serve `topics` for `symbol`.
pub(crate) fn stream_specs(
    symbol: &Symbol,
    topics: &Topics,
    opts: &FeedOptions,
) -> Vec<StreamSpec> {
    let mut kinds = vec![];
    if topics.trades {
        kinds.push(StreamKind::Trade);
    }
    if topics.ticker {
        kinds.push(StreamKind::Ticker);
    }
    if topics.book {
        kinds.push(StreamKind::Depth {
            fast: opts.fast_depth,
        });
    }
    kinds.extend(topics.klines.iter().map(|i| StreamKind::Kline(*i)));
    kinds
        .into_iter()
        .map(|kind| StreamSpec {
            name: kind.name(symbol),
            symbol: symbol.clone(),
            kind,
        })
        .collect()
}
