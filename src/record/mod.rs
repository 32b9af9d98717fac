//! Recording market data for offline study: the trade and diff-depth stream frames of chosen
//! symbols, exactly as received with their local receive time, plus the REST depth snapshots
//! the book needed (at start, after every reconnect and after a sequence gap), written to the
//! history file through the store's writer thread in large batched transactions.
//! `speedtrade replay` (see [`crate::replay`]) plays a recording back through the feed.
//!
//! ```no_run
//! # async fn demo(store: speedtrade::store::Store) -> Result<(), speedtrade::record::RecordError> {
//! use speedtrade::record::{RecordOptions, Recorder};
//! let opts = RecordOptions::new(Default::default(), vec!["BTCUSDT".parse().unwrap()]);
//! let rec = Recorder::start(store, opts).await?;
//! // ... later (or when `duration` has passed, with `rec.wait().await`):
//! let summary = rec.stop().await?;
//! println!("recording {} holds {} frames", summary.recording, summary.counts.frames);
//! # Ok(()) }
//! ```
//!
//! The receive loop never waits for the disk: frames are handed to the writer in batches
//! ([`RecordOptions::max_batch`] frames, or every [`RecordOptions::flush_every`]), and the
//! writer commits them in transactions of up to 100 000 rows.

mod session;
pub mod snapshot;

use crate::domain::{BookTop, Symbol, TimeMs, VenueId};
use crate::net::{BackoffConfig, WsError};
use crate::store::{FrameKind, NewRecording, Store, StoreError};
use crate::venue::binance::BinanceEndpoints;
use crate::venue::binance::market_rest::{MarketRest, RestError};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// What to record and how.
#[derive(Debug, Clone)]
pub struct RecordOptions {
    /// Where the market data comes from (Binance, the testnet or the simulator).
    pub endpoints: BinanceEndpoints,
    /// Symbols to record (trades and book diffs of each).
    pub symbols: Vec<Symbol>,
    /// Stop after this long (`None`: until [`Recorder::stop`]).
    pub duration: Option<Duration>,
    /// Levels a side asked for in each REST snapshot (Binance weight: 1000 → 50).
    pub snapshot_depth: u32,
    /// Record `@depth@100ms` (true) or `@depth` (1000 ms).
    pub fast_depth: bool,
    /// Hand frames to the writer at least this often.
    pub flush_every: Duration,
    /// Hand frames to the writer once this many are waiting.
    pub max_batch: usize,
    /// Wait before fetching a snapshot again after one that failed or did not join the stream.
    pub snapshot_retry: Duration,
    /// Reconnect backoff of the stream connection.
    pub backoff: BackoffConfig,
    /// Check the symbols with `exchangeInfo` first (and save their instruments for replay).
    pub check_symbols: bool,
}

impl RecordOptions {
    /// Defaults for recording `symbols` from `endpoints`.
    pub fn new(endpoints: BinanceEndpoints, symbols: Vec<Symbol>) -> Self {
        Self {
            endpoints,
            symbols,
            duration: None,
            snapshot_depth: 1000,
            fast_depth: true,
            flush_every: Duration::from_millis(50),
            max_batch: 4096,
            snapshot_retry: Duration::from_secs(1),
            backoff: BackoffConfig::default(),
            check_symbols: true,
        }
    }

    /// The stream names recorded, in subscription order.
    pub fn streams(&self) -> Vec<String> {
        self.symbols
            .iter()
            .flat_map(|s| self.streams_of(s))
            .map(|(name, _)| name)
            .collect()
    }

    /// The trade and depth stream names of one symbol.
    fn streams_of(&self, s: &Symbol) -> [(String, FrameKind); 2] {
        let depth = if self.fast_depth {
            "depth@100ms"
        } else {
            "depth"
        };
        let l = s.lower();
        [
            (format!("{l}@trade"), FrameKind::Trade),
            (format!("{l}@{depth}"), FrameKind::Depth),
        ]
    }
}

/// Why recording could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// No symbols were given.
    #[error("name at least one symbol to record")]
    NoSymbols,
    /// The venue does not list a symbol, or could not be asked.
    #[error(transparent)]
    Rest(#[from] RestError),
    /// The history file refused the recording.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The stream connection could not be set up.
    #[error(transparent)]
    Ws(#[from] WsError),
    /// The recording task ended abnormally.
    #[error("the recorder stopped unexpectedly: {0}")]
    Task(String),
}

/// Running counters of a recording.
#[derive(Debug, Default)]
pub struct RecordStats {
    frames: AtomicU64,
    trades: AtomicU64,
    diffs: AtomicU64,
    snapshots: AtomicU64,
    reconnects: AtomicU64,
    gaps: AtomicU64,
    repeats: AtomicU64,
    malformed: AtomicU64,
    bytes: AtomicU64,
}

/// A copy of the counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecordCounts {
    /// Rows handed to the store (trades + diffs + snapshots).
    pub frames: u64,
    /// Trade frames.
    pub trades: u64,
    /// Depth-diff frames.
    pub diffs: u64,
    /// REST snapshots.
    pub snapshots: u64,
    /// Stream reconnects after a loss.
    pub reconnects: u64,
    /// Sequence gaps in the diff stream (each led to a new snapshot).
    pub gaps: u64,
    /// Frames seen twice (a connection replacement overlaps) and recorded once.
    pub repeats: u64,
    /// Frames that did not parse (not recorded).
    pub malformed: u64,
    /// Bytes of recorded text.
    pub bytes: u64,
}

impl RecordStats {
    fn add(c: &AtomicU64, n: u64) {
        c.fetch_add(n, Ordering::Relaxed);
    }

    /// A copy of the counters.
    pub fn counts(&self) -> RecordCounts {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        RecordCounts {
            frames: g(&self.frames),
            trades: g(&self.trades),
            diffs: g(&self.diffs),
            snapshots: g(&self.snapshots),
            reconnects: g(&self.reconnects),
            gaps: g(&self.gaps),
            repeats: g(&self.repeats),
            malformed: g(&self.malformed),
            bytes: g(&self.bytes),
        }
    }
}

/// What a finished recording holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordSummary {
    /// The recording's id in the history file.
    pub recording: i64,
    /// Start time.
    pub started_at: TimeMs,
    /// End time.
    pub ended_at: TimeMs,
    /// Counters.
    pub counts: RecordCounts,
    /// Each symbol's book as the recording ended (best 10 levels a side).
    pub books: BTreeMap<Symbol, BookTop>,
}

/// Stops a recording from anywhere (e.g. a Ctrl-C handler). Cheap to clone.
#[derive(Debug, Clone)]
pub struct RecordStopper(Arc<watch::Sender<bool>>);

impl RecordStopper {
    /// Asks the recording to stop; it commits what it received and ends.
    pub fn stop(&self) {
        self.0.send_replace(true);
    }
}

/// A running recording. Dropping it stops the recording (what was received is kept).
#[derive(Debug)]
pub struct Recorder {
    id: i64,
    stats: Arc<RecordStats>,
    stop: Arc<watch::Sender<bool>>,
    task: Option<JoinHandle<Result<RecordSummary, RecordError>>>,
}

impl Recorder {
    /// Checks the symbols, registers a recording in `store` and starts recording (inside a
    /// Tokio runtime).
    pub async fn start(store: Store, opts: RecordOptions) -> Result<Recorder, RecordError> {
        if opts.symbols.is_empty() {
            return Err(RecordError::NoSymbols);
        }
        crate::net::install_crypto_provider();
        if opts.check_symbols {
            check_symbols(&store, &opts).await?;
        }
        let snapshots = snapshot::SnapshotClient::new(&opts.endpoints.rest_url)?;
        let started_at = crate::domain::now_ms();
        let id = store
            .start_recording(&NewRecording {
                venue: VenueId::Binance,
                symbols: opts.symbols.clone(),
                streams: opts.streams(),
                ws_url: opts.endpoints.ws_url.clone(),
                rest_url: opts.endpoints.rest_url.clone(),
                started_at,
            })
            .await?;
        let stats = Arc::new(RecordStats::default());
        let (stop, stop_rx) = watch::channel(false);
        let session = session::Session::new(store, opts, id, stats.clone(), snapshots)?;
        let task = tokio::spawn(session.run(stop_rx, started_at));
        tracing::info!(recording = id, "recording started");
        Ok(Recorder {
            id,
            stats,
            stop: Arc::new(stop),
            task: Some(task),
        })
    }

    /// The recording's id.
    pub fn id(&self) -> i64 {
        self.id
    }

    /// The counters so far.
    pub fn counts(&self) -> RecordCounts {
        self.stats.counts()
    }

    /// The live counters (for a progress display).
    pub fn stats(&self) -> Arc<RecordStats> {
        self.stats.clone()
    }

    /// A handle that stops the recording.
    pub fn stopper(&self) -> RecordStopper {
        RecordStopper(self.stop.clone())
    }

    /// Stops now; resolves once everything received is committed.
    pub async fn stop(mut self) -> Result<RecordSummary, RecordError> {
        self.stop.send_replace(true);
        self.wait().await
    }

    /// Waits until the recording ends (its `duration` passed, or a [`RecordStopper`] fired)
    /// and everything received is committed.
    pub async fn wait(&mut self) -> Result<RecordSummary, RecordError> {
        let Some(task) = self.task.as_mut() else {
            return Err(RecordError::Task("already waited for".into()));
        };
        let result = match task.await {
            Ok(r) => r,
            Err(e) => Err(RecordError::Task(e.to_string())),
        };
        self.task = None;
        result
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.stop.send_replace(true);
    }
}

/// Asks `exchangeInfo` for the symbols: an unknown one is an error; the instruments are saved
/// (replay serves their filters).
async fn check_symbols(store: &Store, opts: &RecordOptions) -> Result<(), RecordError> {
    let limiter = Arc::new(crate::venue::binance::limiter::WeightLimiter::default());
    let rest = MarketRest::new(&opts.endpoints.rest_url, limiter)?;
    let info = match rest.exchange_info(&opts.symbols).await {
        Ok(info) => info,
        // Binance refuses the whole list for one bad name: find which one it is.
        Err(RestError::Api {
            code: Some(crate::venue::binance::market_rest::BAD_SYMBOL),
            ..
        }) => {
            for s in &opts.symbols {
                rest.exchange_info(std::slice::from_ref(s)).await?;
            }
            rest.exchange_info(&opts.symbols).await?
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(missing) = opts
        .symbols
        .iter()
        .find(|s| !info.instruments.iter().any(|i| &i.symbol == *s))
    {
        return Err(RestError::UnknownSymbol(missing.to_string()).into());
    }
    store.save_instruments(info.instruments);
    Ok(())
}
