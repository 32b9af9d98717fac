//! What the replay server knows at its current position in the recording: each symbol's book
//! (rebuilt from the recorded snapshots and diffs with the feed's own sync procedure), its
//! 24 h statistics and candles from the trades played so far, and the stream connections
//! with what they subscribed to.

use crate::book::{BookSync, DepthDiff, DepthSnapshot};
use crate::domain::{Instrument, Price, Qty, Symbol, TimeMs, Trade};
use crate::series::CandleSet;
use crate::store::{FrameKind, Recording};
use rust_decimal::Decimal;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::{Notify, mpsc, watch};

/// Where the replay is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Positioned at the start, waiting for clients to subscribe (or for `play`).
    Waiting,
    /// Sending frames.
    Playing,
    /// Every frame was sent; the server keeps serving the final state.
    Finished,
}

/// Diffs buffered per book while the recording waits for a snapshot.
const MAX_BUFFERED: usize = 100_000;
/// Candles kept per interval for `klines`.
const CANDLES: usize = 1000;

/// 24 h statistics from the trades played so far.
#[derive(Debug, Clone, Default)]
pub struct TickerStats {
    /// First trade (price, id, time).
    pub first: Option<(Price, u64, TimeMs)>,
    /// Last trade.
    pub last: Option<Trade>,
    /// Highest price.
    pub high: Price,
    /// Lowest price.
    pub low: Price,
    /// Base volume.
    pub volume: Qty,
    /// Quote volume.
    pub quote_volume: Decimal,
    /// Trades.
    pub count: u64,
}

impl TickerStats {
    fn on_trade(&mut self, t: &Trade) {
        if self.first.is_none() {
            self.first = Some((t.price, t.id, t.time));
            self.high = t.price;
            self.low = t.price;
        }
        self.high = self.high.max(t.price);
        self.low = self.low.min(t.price);
        self.volume = self.volume.saturating_add(t.qty);
        self.quote_volume += crate::domain::notional(t.price, t.qty).unwrap_or_default();
        self.count += 1;
        self.last = Some(t.clone());
    }
}

/// One replayed symbol.
#[derive(Debug, Clone)]
pub struct Market {
    /// The book as of the last frame played.
    pub sync: BookSync,
    /// Statistics of the trades played.
    pub ticker: TickerStats,
    /// Candles of the trades played (chart intervals).
    pub candles: CandleSet,
    /// Trades sent to at least one stream connection.
    pub trades_sent: u64,
}

impl Market {
    fn new() -> Self {
        Self {
            sync: BookSync::new(crate::book::MAX_DEPTH, MAX_BUFFERED),
            ticker: TickerStats::default(),
            candles: CandleSet::chart(CANDLES),
            trades_sent: 0,
        }
    }

    /// Applies a recorded diff.
    pub fn on_diff(&mut self, d: &DepthDiff) {
        self.sync.on_diff(d);
    }

    /// Applies a recorded snapshot.
    pub fn on_snapshot(&mut self, s: &DepthSnapshot) {
        self.sync.on_snapshot(s);
    }

    /// Applies a recorded trade.
    pub fn on_trade(&mut self, t: &Trade) {
        self.ticker.on_trade(t);
        self.candles.on_trade(t);
    }
}

/// A frame on its way to the stream connections.
#[derive(Debug)]
pub struct OutFrame {
    /// Symbol index.
    pub sym: usize,
    /// Trade or depth.
    pub kind: FrameKind,
    /// The stream name it was recorded under.
    pub stream: String,
    /// The frame exactly as recorded.
    pub text: axum::extract::ws::Utf8Bytes,
    /// Where the payload (`data`) lies inside `text`.
    pub data: std::ops::Range<usize>,
}

impl OutFrame {
    /// The payload without the combined-stream wrapper.
    pub fn data(&self) -> &str {
        self.text.as_str().get(self.data.clone()).unwrap_or("")
    }
}

/// What one stream connection wants, as the driver sees it.
#[derive(Debug, Clone)]
pub struct ConnSlot {
    /// Where its frames go.
    pub tx: mpsc::Sender<Arc<OutFrame>>,
    /// (symbol index, kind) pairs it subscribed to.
    pub wants: HashSet<(usize, FrameKind)>,
}

/// Frames played, for progress reports.
#[derive(Debug, Default)]
pub struct Counters {
    /// Frames played (snapshots included).
    pub frames: AtomicU64,
    /// Trades played.
    pub trades: AtomicU64,
    /// Receive time of the last frame played.
    pub position_ms: AtomicU64,
}

/// State shared by the driver, the REST handlers and the stream connections.
pub struct Shared {
    /// The recording played.
    pub recording: Recording,
    /// Replayed symbols; their position is the symbol index.
    pub symbols: Vec<Symbol>,
    /// Upper-case name → index.
    pub index: HashMap<String, usize>,
    /// Instruments served by `exchangeInfo`, by index.
    pub instruments: Vec<Instrument>,
    markets: Mutex<Vec<Market>>,
    conns: Mutex<HashMap<u64, ConnSlot>>,
    /// Bumped whenever `conns` changes.
    pub conns_version: AtomicU64,
    next_conn: AtomicU64,
    /// Woken when subscriptions change or `play` is called.
    pub wake: Notify,
    /// Woken when a book syncs or the phase changes (depth requests wait on it).
    pub books_changed: Notify,
    /// The phase.
    pub phase: watch::Sender<Phase>,
    /// Set to start playing now.
    pub play_now: std::sync::atomic::AtomicBool,
    /// When the first subscription to a replayed stream came.
    pub first_subscription: Mutex<Option<tokio::time::Instant>>,
    /// Progress.
    pub counters: Counters,
    /// Becomes `true` when the server shuts down.
    pub shutdown: watch::Receiver<bool>,
}

impl Shared {
    /// New state for `symbols` of `recording`.
    pub fn new(
        recording: Recording,
        symbols: Vec<Symbol>,
        instruments: Vec<Instrument>,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        let index = symbols
            .iter()
            .enumerate()
            .map(|(i, s)| (s.as_str().to_string(), i))
            .collect();
        let markets = symbols.iter().map(|_| Market::new()).collect();
        Self {
            recording,
            symbols,
            index,
            instruments,
            markets: Mutex::new(markets),
            conns: Mutex::new(HashMap::new()),
            conns_version: AtomicU64::new(0),
            next_conn: AtomicU64::new(1),
            wake: Notify::new(),
            books_changed: Notify::new(),
            phase: watch::Sender::new(Phase::Waiting),
            play_now: std::sync::atomic::AtomicBool::new(false),
            first_subscription: Mutex::new(None),
            counters: Counters::default(),
            shutdown,
        }
    }

    /// Locks the markets (a poisoned lock is taken over: the state stays usable).
    pub fn markets(&self) -> MutexGuard<'_, Vec<Market>> {
        self.markets.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn conns(&self) -> MutexGuard<'_, HashMap<u64, ConnSlot>> {
        self.conns.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The index of an upper-case symbol.
    pub fn sym(&self, upper: &str) -> Option<usize> {
        self.index.get(upper).copied()
    }

    /// Registers a stream connection; returns its id.
    pub fn add_conn(&self, tx: mpsc::Sender<Arc<OutFrame>>) -> u64 {
        let id = self.next_conn.fetch_add(1, Ordering::Relaxed);
        self.conns().insert(
            id,
            ConnSlot {
                tx,
                wants: HashSet::new(),
            },
        );
        self.conns_version.fetch_add(1, Ordering::SeqCst);
        id
    }

    /// Records what connection `id` is subscribed to.
    pub fn set_wants(&self, id: u64, wants: HashSet<(usize, FrameKind)>) {
        if !wants.is_empty() {
            let mut first = self
                .first_subscription
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            first.get_or_insert_with(tokio::time::Instant::now);
        }
        if let Some(slot) = self.conns().get_mut(&id) {
            slot.wants = wants;
        }
        self.conns_version.fetch_add(1, Ordering::SeqCst);
        self.wake.notify_waiters();
    }

    /// Forgets connection `id`.
    pub fn remove_conn(&self, id: u64) {
        self.conns().remove(&id);
        self.conns_version.fetch_add(1, Ordering::SeqCst);
        self.wake.notify_waiters();
    }

    /// A copy of the connections.
    pub fn conn_slots(&self) -> Vec<ConnSlot> {
        self.conns().values().cloned().collect()
    }

    /// `true` when the connections together subscribe to every recorded stream.
    pub fn covered(&self) -> bool {
        let conns = self.conns();
        (0..self.symbols.len()).all(|i| {
            [FrameKind::Trade, FrameKind::Depth]
                .iter()
                .all(|k| conns.values().any(|c| c.wants.contains(&(i, *k))))
        })
    }

    /// The current phase.
    pub fn current_phase(&self) -> Phase {
        *self.phase.borrow()
    }

    /// Moves to `phase` and wakes whoever waits on books.
    pub fn set_phase(&self, phase: Phase) {
        self.phase.send_replace(phase);
        self.books_changed.notify_waiters();
    }
}
