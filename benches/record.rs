//! Store-side recording rate (issue 6: sustained ≥ 200,000 trade rows/s): raw trade frames as
//! `speedtrade record` hands them to the writer thread (batches of 4096), and decoded trades
//! as the TUI's tape recording (`Store::record_trades`) does, each timed from the first
//! hand-off until the commit of the last row. Run: `cargo bench --bench record`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use speedtrade::domain::{Price, Qty, Side, Symbol, Trade, VenueId};
use speedtrade::store::{FrameKind, NewRecording, RecordedFrame, Store};
use std::time::{Duration, Instant};

/// Rows per measured iteration.
const ROWS: u64 = 200_000;
const BATCH: u64 = 4096;

/// A `@trade` frame as Binance sends it on a combined stream (about 170 bytes).
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

fn frames(id: i64, sym: &Symbol, from: u64) -> Vec<Vec<RecordedFrame>> {
    (from..from + ROWS)
        .step_by(BATCH as usize)
        .map(|b| {
            (b..(b + BATCH).min(from + ROWS))
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
        .collect()
}

fn trades(sym: &Symbol, from: u64) -> Vec<Vec<Trade>> {
    (from..from + ROWS)
        .step_by(BATCH as usize)
        .map(|b| {
            (b..(b + BATCH).min(from + ROWS))
                .map(|i| Trade {
                    symbol: sym.clone(),
                    id: i,
                    price: Price::from_units(4_325_012_345_678 + i as i64),
                    qty: Qty::from_units(123_456 + (i % 1000) as i64),
                    taker_side: if i.is_multiple_of(2) {
                        Side::Buy
                    } else {
                        Side::Sell
                    },
                    time: 1_700_000_000_000 + i as i64,
                })
                .collect()
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path().join("bench.sqlite3")).expect("store opens");
    let sym = Symbol::new("BTCUSDT").expect("symbol");
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
        .expect("recording registered");
    let mut g = c.benchmark_group("record");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(10));
    g.throughput(Throughput::Elements(ROWS));
    let mut next = 0u64;
    g.bench_function("raw_trade_frames", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let batches = frames(id, &sym, next);
                next += ROWS;
                let start = Instant::now();
                for batch in batches {
                    store.record_frames(batch);
                }
                store.flush().wait().expect("committed");
                total += start.elapsed();
            }
            total
        })
    });
    let mut next = 0u64;
    g.bench_function("tape_trades", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let batches = trades(&sym, next);
                next += ROWS;
                let start = Instant::now();
                for batch in batches {
                    store.record_trades(VenueId::Binance, batch);
                }
                store.flush().wait().expect("committed");
                total += start.elapsed();
            }
            total
        })
    });
    g.finish();
    assert_eq!(store.stats().lost_rows, 0);
}

criterion_group!(benches, bench);
criterion_main!(benches);
