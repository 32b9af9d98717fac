//! Helpers shared by the recording and replay tests: a simulator, a recording made from it in
//! a temp-dir history file, and what a recording says (its trades, each symbol's final book)
//! rebuilt straight from the stored frames.
#![allow(dead_code, clippy::unwrap_used)]

use speedtrade::book::{BookSync, DepthDiff};
use speedtrade::domain::{BookTop, Symbol, Trade};
use speedtrade::net::BackoffConfig;
use speedtrade::record::{RecordCounts, RecordOptions, RecordSummary, Recorder};
use speedtrade::sim::{self, SimArgs, SimHandle};
use speedtrade::store::{FrameKind, RecordedFrame, Store};
use speedtrade::venue::binance::BinanceEndpoints;
use speedtrade::venue::binance::depth::{decode_depth_update, decode_snapshot};
use speedtrade::venue::binance::parse::{MAX_FRAME_BYTES, MarketMessage, parse_frame};
use std::collections::BTreeMap;
use std::time::Duration;

/// Generous limit for anything that should take a moment.
pub const T: Duration = Duration::from_secs(30);

#[path = "../common/wait.rs"]
mod wait;
#[allow(unused_imports)] // not every test binary waits
pub use wait::wait_until;

pub fn sym(s: &str) -> Symbol {
    Symbol::new(s).unwrap()
}

/// A simulator with `symbols` at `rate` updates per second and the given faults.
pub async fn start_sim(symbols: &[&str], rate: u32, tweak: impl FnOnce(&mut SimArgs)) -> SimHandle {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut args = SimArgs {
        symbols: symbols.iter().map(|s| s.to_string()).collect(),
        rate,
        seed: 11,
        ..SimArgs::default()
    };
    tweak(&mut args);
    sim::start(args).await.unwrap()
}

pub fn endpoints(sim: &SimHandle) -> BinanceEndpoints {
    BinanceEndpoints {
        rest_url: sim.rest_url(),
        ws_url: sim.ws_url(),
    }
}

/// Recorder options for the simulator, with quick reconnects and retries.
pub fn record_options(sim: &SimHandle, symbols: &[&str]) -> RecordOptions {
    let mut o = RecordOptions::new(endpoints(sim), symbols.iter().map(|s| sym(s)).collect());
    o.backoff = BackoffConfig {
        initial: Duration::from_millis(50),
        max: Duration::from_millis(400),
        factor: 2,
    };
    o.snapshot_retry = Duration::from_millis(100);
    o
}

/// A recording made from a simulator into a fresh history file.
pub struct Recorded {
    pub dir: tempfile::TempDir,
    pub store: Store,
    pub summary: RecordSummary,
}

/// Records until `enough` holds for the counters, then pauses the simulator's market and
/// waits until the book rebuilt from the committed frames is the simulator's final book (if a
/// fault lost the last diffs, the market runs a little longer and it tries again), and stops.
pub async fn record_from(
    sim: &SimHandle,
    opts: RecordOptions,
    enough: impl Fn(&RecordCounts) -> bool,
) -> Recorded {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("h.sqlite3")).unwrap();
    let symbols = opts.symbols.clone();
    let rec = Recorder::start(store.clone(), opts).await.unwrap();
    assert!(
        wait_until(T, || enough(&rec.counts())).await,
        "{:?}",
        rec.counts()
    );
    let id = rec.id();
    let mut caught_up = false;
    for _ in 0..10 {
        sim.pause_market();
        let targets: Vec<(Symbol, u64)> = symbols
            .iter()
            .map(|s| (s.clone(), sim.book(s.as_str()).unwrap().last_update_id))
            .collect();
        caught_up = wait_until(Duration::from_secs(3), || {
            let exp = expected(&all_frames(&store, id), None);
            targets.iter().all(|(s, target)| {
                exp.get(s)
                    .is_some_and(|e| !e.book.is_stale() && e.book.book().update_id() == *target)
            })
        })
        .await;
        if caught_up {
            break;
        }
        sim.resume_market();
        let diffs = rec.counts().diffs;
        assert!(wait_until(T, || rec.counts().diffs >= diffs + 5).await);
    }
    assert!(
        caught_up,
        "the recording never caught up with the simulator's book"
    );
    let summary = rec.stop().await.unwrap();
    Recorded {
        dir,
        store,
        summary,
    }
}

/// Every frame of a recording, in order.
pub fn all_frames(store: &Store, id: i64) -> Vec<RecordedFrame> {
    let mut out = Vec::new();
    loop {
        let from = out.last().map_or(0, |f: &RecordedFrame| f.seq + 1);
        let page = store.recorded_frames(id, from, 10_000).unwrap();
        if page.is_empty() {
            return out;
        }
        out.extend(page);
    }
}

/// What a recording says about one symbol: its trades in order and the book it ends with,
/// rebuilt from the frames with the book sync procedure.
pub struct Expected {
    pub trades: Vec<Trade>,
    pub book: BookSync,
}

impl Expected {
    pub fn top(&self, levels: usize) -> BookTop {
        self.book.top(levels)
    }
}

/// Rebuilds every symbol's [`Expected`] from `frames` (optionally only frames received at or
/// after `from_ms` count as trades, as a replay started there sends).
pub fn expected(frames: &[RecordedFrame], from_ms: Option<i64>) -> BTreeMap<Symbol, Expected> {
    let mut out: BTreeMap<Symbol, Expected> = BTreeMap::new();
    let mut diff = DepthDiff::default();
    for f in frames {
        let e = out.entry(f.symbol.clone()).or_insert_with(|| Expected {
            trades: Vec::new(),
            book: BookSync::new(speedtrade::book::MAX_DEPTH, 100_000),
        });
        match f.kind {
            FrameKind::Depth => {
                decode_depth_update(f.body.as_bytes(), &mut diff).unwrap();
                e.book.on_diff(&diff);
            }
            FrameKind::Snapshot => {
                e.book
                    .on_snapshot(&decode_snapshot(f.body.as_bytes()).unwrap());
            }
            FrameKind::Trade => {
                let MarketMessage::Trade(t) = parse_frame(f.body.as_bytes(), MAX_FRAME_BYTES)
                    .unwrap()
                    .message
                else {
                    panic!("not a trade: {}", f.body);
                };
                if from_ms.is_none_or(|m| f.recv_ms >= m) {
                    e.trades.push(t);
                }
            }
        }
    }
    out
}

/// Feed options for tests: quick retries.
pub fn feed_options() -> speedtrade::venue::binance::feed::FeedOptions {
    speedtrade::venue::binance::feed::FeedOptions {
        book_levels: 10,
        snapshot_retry: Duration::from_millis(100),
        backoff: BackoffConfig {
            initial: Duration::from_millis(50),
            max: Duration::from_millis(400),
            factor: 2,
        },
        ..Default::default()
    }
}

/// Reads feed events until every symbol of `exp` has received all its expected trades and its
/// book (as the feed publishes it) is live at the expected final update id, or `timeout`.
/// Returns the trades received per symbol.
pub async fn collect_until(
    rx: &mut speedtrade::venue::binance::feed::board::MarketReceiver,
    feed: &speedtrade::venue::binance::feed::BinanceFeed,
    exp: &BTreeMap<Symbol, Expected>,
    timeout: Duration,
) -> BTreeMap<Symbol, Vec<Trade>> {
    use speedtrade::venue::MarketEvent;
    let mut got: BTreeMap<Symbol, Vec<Trade>> = BTreeMap::new();
    let end = tokio::time::Instant::now() + timeout;
    let done = |got: &BTreeMap<Symbol, Vec<Trade>>| {
        exp.iter().all(|(s, e)| {
            let want = e.book.book().update_id();
            got.get(s).map_or(0, Vec::len) >= e.trades.len()
                && feed
                    .book(s)
                    .is_some_and(|t| !t.stale && t.update_id == want)
        })
    };
    while !done(&got) && tokio::time::Instant::now() < end {
        match tokio::time::timeout(Duration::from_millis(50), rx.recv()).await {
            Ok(Some(MarketEvent::Trade(t))) => got.entry(t.symbol.clone()).or_default().push(t),
            Ok(Some(_)) | Err(_) => {}
            Ok(None) => break,
        }
    }
    got
}
