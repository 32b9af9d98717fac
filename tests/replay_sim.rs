//! Replaying a recording made from the simulator, with the simulator gone: the live feed
//! (`BinanceFeed`, the same code the TUI and `speedtrade book` run) pointed at the replay
//! server receives exactly the recorded trades in order and ends with the book the recording
//! ends with, also when the recording holds reconnects and sequence gaps; the REST side
//! serves the recorded instruments, the book, tickers and candles; `--from` and the headless
//! printer work.

#![allow(clippy::unwrap_used)] // test helpers unwrap freely

mod replay_support;

use replay_support::*;
use speedtrade::domain::{Interval, Symbol, VenueId};
use speedtrade::replay::headless::HeadlessOptions;
use speedtrade::replay::{self, Phase, ReplayError, ReplayFrom, ReplayOptions, Speed, StartWhen};
use speedtrade::venue::binance::feed::{BinanceFeed, Topics};
use speedtrade::venue::binance::limiter::WeightLimiter;
use speedtrade::venue::binance::market_rest::{MarketRest, RestError};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

const SYMBOLS: [&str; 2] = ["BTCUSDT", "ETHUSDT"];

fn max_speed() -> ReplayOptions {
    ReplayOptions {
        speed: Speed::Max,
        ..ReplayOptions::default()
    }
}

/// A recording of both symbols; the simulator is shut down before the replay starts.
async fn recording(tweak: impl FnOnce(&mut speedtrade::sim::SimArgs)) -> Recorded {
    let sim = start_sim(&SYMBOLS, 40, tweak).await;
    let opts = record_options(&sim, &SYMBOLS);
    let rec = record_from(&sim, opts, |c| c.trades >= 30 && c.diffs >= 50).await;
    sim.shutdown().await;
    rec
}

/// Replays `rec` into a feed watching trades and books of every symbol and checks what comes
/// out against what the recording holds.
async fn replay_matches(
    rec: &Recorded,
    opts: ReplayOptions,
    from_ms: Option<i64>,
) -> speedtrade::venue::binance::feed::stats::FeedStatsSnapshot {
    let frames = all_frames(&rec.store, rec.summary.recording);
    let exp = expected(&frames, from_ms);
    let handle = replay::start(rec.store.clone(), opts).await.unwrap();
    let (feed, mut rx) = BinanceFeed::start(handle.endpoints(), feed_options()).unwrap();
    let topics = Topics {
        trades: true,
        book: true,
        ..Topics::default()
    };
    feed.set_watchlist(SYMBOLS.iter().map(|s| (sym(s), topics.clone())));
    let got = collect_until(&mut rx, &feed, &exp, T).await;
    for (s, e) in &exp {
        assert!(!e.trades.is_empty(), "{s}: the recording has trades");
        assert_eq!(
            got.get(s).cloned().unwrap_or_default(),
            e.trades,
            "{s}: trades"
        );
        let top = feed.book(s).unwrap();
        assert_eq!(
            top,
            e.top(10),
            "{s}: the replayed book is the recording's final book"
        );
        assert_eq!(handle.book(s, 10).unwrap(), e.top(10), "{s}: server book");
    }
    handle.finished().await;
    assert_eq!(handle.progress().phase, Phase::Finished);
    assert_eq!(handle.progress().frames, frames.len() as u64);
    let stats = feed.stats();
    assert_eq!(stats.malformed, 0);
    assert_eq!(stats.reconnects, 0, "one connection throughout");
    drop(feed);
    handle.shutdown().await;
    stats
}

#[tokio::test]
async fn the_feed_gets_the_recorded_trades_and_ends_with_the_recorded_books() {
    let rec = recording(|_| {}).await;
    replay_matches(&rec, max_speed(), None).await;
}

#[tokio::test]
async fn a_recording_with_reconnects_and_gaps_replays_to_the_same_books() {
    let rec = recording(|a| {
        a.fault_disconnect_every = Some(Duration::from_millis(600));
        a.fault_gap_every = Some(30);
    })
    .await;
    let c = rec.summary.counts;
    assert!(
        c.reconnects >= 1 && c.gaps >= 1 && c.snapshots >= 4,
        "{c:?}"
    );
    // At a finite speed the feed's book is live early and follows the recorded diffs, so it
    // meets the recorded gaps and resyncs from the server's book at that point.
    let opts = ReplayOptions {
        speed: Speed::Times(2.0),
        ..ReplayOptions::default()
    };
    let stats = replay_matches(&rec, opts, None).await;
    assert!(
        stats.resyncs >= 1,
        "the feed met the recorded gaps: {stats:?}"
    );
}

#[tokio::test]
async fn from_skips_the_start_but_the_books_still_end_right() {
    let rec = recording(|_| {}).await;
    let frames = all_frames(&rec.store, rec.summary.recording);
    let (first, last) = (frames[0].recv_ms, frames.last().unwrap().recv_ms);
    let from_ms = first + (last - first) / 2;
    let started = rec.summary.started_at;
    let offset = Duration::from_millis(u64::try_from(from_ms - started).unwrap());
    let opts = ReplayOptions {
        from: Some(ReplayFrom::Offset(offset)),
        ..max_speed()
    };
    let exp = expected(&frames, Some(from_ms));
    let all = expected(&frames, None);
    assert!(exp[&sym("BTCUSDT")].trades.len() < all[&sym("BTCUSDT")].trades.len());
    replay_matches(&rec, opts, Some(from_ms)).await;
}

#[tokio::test]
async fn rest_serves_instruments_book_tickers_and_candles_of_the_recording() {
    let rec = recording(|_| {}).await;
    let frames = all_frames(&rec.store, rec.summary.recording);
    let exp = expected(&frames, None);
    let opts = ReplayOptions {
        start: StartWhen::Manual,
        ..max_speed()
    };
    let handle = replay::start(rec.store.clone(), opts).await.unwrap();
    assert_eq!(handle.progress().phase, Phase::Waiting);
    assert_eq!(handle.progress().frames, 0);
    handle.play();
    handle.finished().await;
    let rest = MarketRest::new(&handle.rest_url(), Arc::new(WeightLimiter::default())).unwrap();
    let syms: Vec<Symbol> = SYMBOLS.iter().map(|s| sym(s)).collect();
    // exchangeInfo: the instruments saved when recording, filters included.
    let info = rest.exchange_info(&syms).await.unwrap();
    for i in &info.instruments {
        let stored = rec
            .store
            .instrument(VenueId::Binance, &i.symbol)
            .unwrap()
            .unwrap();
        assert_eq!(i, &stored);
    }
    assert_eq!(info.instruments.len(), 2);
    let nope = sym("NOPEUSDT");
    assert!(matches!(
        rest.depth(&nope, 10).await,
        Err(RestError::UnknownSymbol(_))
    ));
    for s in &syms {
        let e = &exp[s];
        // depth: the final book.
        let snap = rest.depth(s, 1000).await.unwrap();
        let mut book = speedtrade::book::OrderBook::new(1000);
        book.load_snapshot(&snap);
        assert_eq!(book.top(10), e.book.book().top(10), "{s}");
        // ticker: the trades played.
        let t = &rest.tickers_24h(std::slice::from_ref(s)).await.unwrap()[0];
        let last = e.trades.last().unwrap();
        assert_eq!(
            (t.last, t.open, t.time),
            (last.price, e.trades[0].price, last.time)
        );
        let high = e.trades.iter().map(|t| t.price).max().unwrap();
        assert_eq!(t.high, high);
        // klines: every trade in exactly one candle.
        let candles = rest
            .klines(s, Interval::S1, None, None, 1000)
            .await
            .unwrap();
        assert_eq!(
            candles.iter().map(|c| c.trades).sum::<u64>(),
            e.trades.len() as u64
        );
        assert_eq!(candles.last().unwrap().close, last.price);
    }
    handle.shutdown().await;
}

#[tokio::test]
async fn headless_prints_the_replayed_trades_and_book_through_the_feed() {
    let rec = recording(|_| {}).await;
    let frames = all_frames(&rec.store, rec.summary.recording);
    let exp = expected(&frames, None);
    let handle = replay::start(rec.store.clone(), max_speed()).await.unwrap();
    let mut out = Vec::new();
    let opts = HeadlessOptions {
        depth: 5,
        feed: feed_options(),
        ..HeadlessOptions::default()
    };
    let summary = replay::headless::run(&handle, opts, &mut out)
        .await
        .unwrap();
    handle.shutdown().await;
    let lines: Vec<serde_json::Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut trades: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    let mut books: BTreeMap<String, serde_json::Value> = BTreeMap::new();
    for l in &lines {
        let s = l["symbol"].as_str().unwrap().to_string();
        match l["event"].as_str().unwrap() {
            "trade" => trades.entry(s).or_default().push(l["id"].as_u64().unwrap()),
            "snapshot" | "update" => {
                books.insert(s, l.clone());
            }
            other => panic!("unexpected line {other}"),
        }
    }
    assert_eq!(summary.trades + summary.books, lines.len() as u64);
    for (s, e) in &exp {
        let ids: Vec<u64> = e.trades.iter().map(|t| t.id).collect();
        assert_eq!(trades[s.as_str()], ids, "{s}");
        let last = &books[s.as_str()];
        let top = e.top(5);
        assert_eq!(last["update_id"], top.update_id);
        assert_eq!(last["bids"][0][0], top.bids[0].price.to_string());
        assert_eq!(last["asks"][4][1], top.asks[4].qty.to_string());
    }
}

#[tokio::test]
async fn clear_errors_without_a_recording_or_for_a_symbol_not_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let store = speedtrade::store::Store::open(dir.path().join("h.sqlite3")).unwrap();
    let err = replay::start(store.clone(), max_speed()).await.unwrap_err();
    assert!(matches!(err, ReplayError::NoRecording(_)));
    assert!(err.to_string().contains("speedtrade record"), "{err}");
    let opts = ReplayOptions {
        recording: Some(7),
        ..max_speed()
    };
    assert!(
        replay::start(store, opts)
            .await
            .unwrap_err()
            .to_string()
            .contains("no recording 7")
    );
    let rec = recording(|_| {}).await;
    let opts = ReplayOptions {
        symbols: vec![sym("SOLUSDT")],
        ..max_speed()
    };
    let err = replay::start(rec.store.clone(), opts).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "recording {} has no symbol SOLUSDT (it holds BTCUSDT, ETHUSDT)",
            rec.summary.recording
        )
    );
}
