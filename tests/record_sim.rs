//! Recording from the simulator over real sockets into a real history file: frames are stored
//! exactly as received and in order, the snapshots the book needed are there, and the book
//! rebuilt from the recording is the simulator's book, across reconnects and sequence gaps.

#![allow(clippy::unwrap_used)] // test helpers unwrap freely

mod replay_support;

use replay_support::*;
use speedtrade::record::{RecordError, RecordOptions, Recorder};
use speedtrade::store::{FrameKind, Store};
use speedtrade::venue::binance::market_rest::RestError;
use std::time::Duration;

/// The book rebuilt from the recording equals the simulator's (best `levels` a side).
fn assert_books_match(rec: &Recorded, sim: &speedtrade::sim::SimHandle, symbols: &[&str]) {
    let frames = all_frames(&rec.store, rec.summary.recording);
    let exp = expected(&frames, None);
    for s in symbols {
        let got = exp[&sym(s)].top(20);
        let want = sim.book(s).unwrap();
        assert!(!got.stale, "{s}: the recording ends without a live book");
        assert_eq!(got.update_id, want.last_update_id, "{s}");
        let pairs = |ls: &[speedtrade::domain::Level]| -> Vec<_> {
            ls.iter().map(|l| (l.price, l.qty)).collect()
        };
        assert_eq!(
            pairs(&got.bids),
            want.bids[..got.bids.len()].to_vec(),
            "{s} bids"
        );
        assert_eq!(
            pairs(&got.asks),
            want.asks[..got.asks.len()].to_vec(),
            "{s} asks"
        );
        assert_eq!(got.bids.len(), 20.min(want.bids.len()));
        // The recorder's own book (stale if a reconnect came after the market paused).
        let mut own = rec.summary.books[&sym(s)].clone();
        own.stale = false;
        assert_eq!(own, exp[&sym(s)].top(10));
    }
}

#[tokio::test]
async fn records_frames_as_received_with_snapshots_and_the_book_matches_the_venue() {
    let sim = start_sim(&["BTCUSDT", "ETHUSDT"], 40, |_| {}).await;
    let opts = record_options(&sim, &["BTCUSDT", "ETHUSDT"]);
    let rec = record_from(&sim, opts, |c| c.trades >= 40 && c.diffs >= 60).await;
    let id = rec.summary.recording;
    let frames = all_frames(&rec.store, id);
    let c = rec.summary.counts;
    assert_eq!(frames.len() as u64, c.frames);
    assert_eq!(rec.store.recorded_frame_count(id).unwrap(), c.frames);
    assert_eq!(c.frames, c.trades + c.diffs + c.snapshots);
    assert!(c.snapshots >= 2 && c.malformed == 0, "{c:?}");
    // In order, numbered from 0, receive times never going back.
    assert!(frames.iter().enumerate().all(|(i, f)| f.seq == i as u64));
    assert!(frames.windows(2).all(|w| w[0].recv_ms <= w[1].recv_ms));
    // Stream frames exactly as the venue sends them, under the subscribed names.
    for f in frames.iter().filter(|f| f.kind != FrameKind::Snapshot) {
        let v: serde_json::Value = serde_json::from_str(&f.body).unwrap();
        let suffix = if f.kind == FrameKind::Trade {
            "@trade"
        } else {
            "@depth@100ms"
        };
        assert_eq!(v["stream"], format!("{}{suffix}", f.symbol.lower()));
        assert_eq!(v["data"]["s"], f.symbol.as_str());
    }
    // Each symbol's first snapshot comes after its first diff (the documented procedure).
    for s in ["BTCUSDT", "ETHUSDT"] {
        let of = |k| {
            frames
                .iter()
                .position(|f| f.symbol.as_str() == s && f.kind == k)
        };
        assert!(of(FrameKind::Depth).unwrap() < of(FrameKind::Snapshot).unwrap());
    }
    let meta = rec.store.recording(id).unwrap().unwrap();
    assert_eq!(meta.frames, c.frames);
    assert_eq!(meta.symbols, vec![sym("BTCUSDT"), sym("ETHUSDT")]);
    assert_eq!(
        meta.streams,
        [
            "btcusdt@trade",
            "btcusdt@depth@100ms",
            "ethusdt@trade",
            "ethusdt@depth@100ms"
        ]
    );
    assert!(meta.ended_at.unwrap() >= meta.started_at);
    // exchangeInfo was saved for replay.
    assert!(
        rec.store
            .instrument(speedtrade::domain::VenueId::Binance, &sym("ETHUSDT"))
            .unwrap()
            .is_some()
    );
    assert_books_match(&rec, &sim, &["BTCUSDT", "ETHUSDT"]);
    sim.shutdown().await;
}

#[tokio::test]
async fn reconnects_and_gaps_take_new_snapshots_and_the_book_still_matches() {
    let sim = start_sim(&["BTCUSDT"], 50, |a| {
        a.fault_disconnect_every = Some(Duration::from_millis(700));
        a.fault_gap_every = Some(25);
    })
    .await;
    let opts = record_options(&sim, &["BTCUSDT"]);
    // Three reconnects, so the third connection lived its whole 700 ms and recorded frames
    // (at two, the third may have opened without a frame stored yet).
    let rec = record_from(&sim, opts, |c| {
        c.reconnects >= 3 && c.gaps >= 1 && c.diffs >= 60
    })
    .await;
    let c = rec.summary.counts;
    assert!(
        c.snapshots >= 3,
        "a snapshot at start and after each resync: {c:?}"
    );
    let frames = all_frames(&rec.store, rec.summary.recording);
    let conns: std::collections::BTreeSet<u64> = frames.iter().map(|f| f.conn).collect();
    assert!(
        conns.len() >= 3,
        "frames carry their connection number: {conns:?}"
    );
    // Trades are recorded once each, in id order.
    let exp = expected(&frames, None);
    let ids: Vec<u64> = exp[&sym("BTCUSDT")].trades.iter().map(|t| t.id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    assert_eq!(ids.len() as u64, c.trades);
    assert_books_match(&rec, &sim, &["BTCUSDT"]);
    sim.shutdown().await;
}

#[tokio::test]
async fn an_unknown_symbol_is_refused_before_anything_is_recorded() {
    let sim = start_sim(&["BTCUSDT"], 10, |_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("h.sqlite3")).unwrap();
    let opts = record_options(&sim, &["BTCUSDT", "NOPEUSDT"]);
    let err = Recorder::start(store.clone(), opts).await.unwrap_err();
    assert!(
        matches!(&err, RecordError::Rest(RestError::UnknownSymbol(s)) if s == "NOPEUSDT"),
        "{err:?}"
    );
    assert!(err.to_string().contains("NOPEUSDT"));
    assert!(store.recordings().unwrap().is_empty());
    let none = RecordOptions::new(endpoints(&sim), Vec::new());
    assert!(matches!(
        Recorder::start(store, none).await,
        Err(RecordError::NoSymbols)
    ));
    sim.shutdown().await;
}
