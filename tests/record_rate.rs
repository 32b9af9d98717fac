//! The store side of recording at volume: 400 000 trade frames queued the way the recorder
//! queues them (batches of 4096), every row counted back from the file afterwards, the rate
//! reported (no timed assertion: the issue's target is 200 000 rows/s, see BENCHMARKS.md and
//! `cargo bench --bench record`).

#![allow(clippy::unwrap_used)] // test helpers unwrap freely

use speedtrade::domain::{Symbol, VenueId};
use speedtrade::store::{FrameKind, NewRecording, RecordedFrame, Store};
use std::time::Instant;

/// A `@trade` frame as Binance sends it on a combined stream.
fn trade_frame(i: u64) -> String {
    format!(
        r#"{{"stream":"btcusdt@trade","data":{{"e":"trade","E":{t},"s":"BTCUSDT","t":{id},"p":"{p}.{c:02}000000","q":"0.{q:05}000","T":{t},"m":{m},"M":true}}}}"#,
        t = 1_700_000_000_000 + i / 10,
        id = 4_000_000_000 + i,
        p = 43_250 + i % 17,
        c = i % 100,
        q = 1 + i % 9_999,
        m = i.is_multiple_of(2)
    )
}

#[test]
fn frames_are_stored_at_volume_and_every_row_is_counted_back() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("h.sqlite3")).unwrap();
    let sym = Symbol::new("BTCUSDT").unwrap();
    let id = store
        .start_recording(&NewRecording {
            venue: VenueId::Binance,
            symbols: vec![sym.clone()],
            streams: vec!["btcusdt@trade".into()],
            ws_url: "ws://127.0.0.1:1".into(),
            rest_url: "http://127.0.0.1:1".into(),
            started_at: 1_700_000_000_000,
        })
        .wait()
        .unwrap();
    const N: u64 = 400_000;
    const BATCH: u64 = 4096;
    let batches: Vec<Vec<RecordedFrame>> = (0..N.div_ceil(BATCH))
        .map(|b| {
            (b * BATCH..((b + 1) * BATCH).min(N))
                .map(|seq| RecordedFrame {
                    recording: id,
                    seq,
                    recv_ms: 1_700_000_000_000 + (seq / 10) as i64,
                    conn: 1,
                    symbol: sym.clone(),
                    kind: FrameKind::Trade,
                    body: trade_frame(seq),
                })
                .collect()
        })
        .collect();
    let bytes: usize = batches.iter().flatten().map(|f| f.body.len()).sum();
    let start = Instant::now();
    let mut longest_queue = std::time::Duration::ZERO;
    for b in batches {
        let t = Instant::now();
        store.record_frames(b);
        longest_queue = longest_queue.max(t.elapsed());
    }
    let queued = start.elapsed();
    store.flush().wait().unwrap();
    let elapsed = start.elapsed();
    let stats = store.stats();
    eprintln!(
        "frame recording: {N} trade rows ({:.1} MB) in {:.3}s = {:.0} rows/s; queueing all took \
         {:.1} ms, the longest single hand-off {:.1} µs; {} commits",
        bytes as f64 / 1e6,
        elapsed.as_secs_f64(),
        N as f64 / elapsed.as_secs_f64(),
        queued.as_secs_f64() * 1e3,
        longest_queue.as_secs_f64() * 1e6,
        stats.commits
    );
    assert_eq!(store.recorded_frame_count(id).unwrap(), N);
    assert_eq!(stats.lost_rows, 0);
    assert_eq!(stats.backlog, 0);
    let first = store.recorded_frames(id, 0, 2).unwrap();
    assert_eq!(first[0].body, trade_frame(0));
    assert_eq!(first[1].seq, 1);
    let last = store.recorded_frames(id, N - 1, 10).unwrap();
    assert_eq!(last.len(), 1);
    assert_eq!(last[0].body, trade_frame(N - 1));
    // Another recording's frames stay apart.
    assert!(store.recorded_frames(id + 1, 0, 10).unwrap().is_empty());
}
