//! High-rate smoke test: at `--rate 50000` one client receives a contiguous `U`/`u` stream;
//! the counts are reported, not asserted against a clock. Also compares the hand-written depth
//! writer with a serde_json tree (same JSON, and how many each writes in the same work).
#![allow(clippy::unwrap_used)]

mod sim_common;

use futures_util::StreamExt;
use sim_common::*;
use speedtrade::domain::{Price, Qty};
use speedtrade::sim::SimArgs;
use speedtrade::sim::events::DepthDiff;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_thousand_per_second_stays_contiguous() {
    let h = start(SimArgs {
        rate: 50_000,
        symbols: vec!["BTCUSDT".into()],
        ..args()
    })
    .await;
    let mut ws = ws(&format!("{}/ws/btcusdt@depth@100ms", h.ws_url())).await;
    let started = Instant::now();
    let mut count = 0u64;
    let mut prev: Option<u64> = None;
    while started.elapsed() < Duration::from_secs(3) {
        let m = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let Message::Text(t) = m else { continue };
        let v: serde_json::Value = serde_json::from_str(t.as_str()).unwrap();
        let (first, last) = (v["U"].as_u64().unwrap(), v["u"].as_u64().unwrap());
        if let Some(p) = prev {
            assert_eq!(first, p + 1, "contiguous after {count} messages");
        }
        prev = Some(last);
        count += 1;
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "received {count} depth messages in {secs:.1} s ({:.0}/s)",
        count as f64 / secs
    );
    assert!(count > 1000, "the stream delivers at a high rate ({count})");
}

#[test]
fn fast_writer_matches_serde_and_reports_its_speed() {
    let level = |i: i64| {
        (
            Price::from_units(9_000_000_000_000 + i * 1_000_000),
            Qty::from_units(12_345_000 + i),
        )
    };
    let d = DepthDiff {
        time: 1_767_225_600_000,
        first: 1_000_001,
        last: 1_000_004,
        bids: (0..3).map(level).collect(),
        asks: (3..5).map(level).collect(),
    };
    let mut buf = Vec::new();
    speedtrade::sim::wire::depth(&mut buf, "BTCUSDT", &d);
    let tree = |d: &DepthDiff| {
        let lv = |l: &[(Price, Qty)]| -> Vec<serde_json::Value> {
            l.iter()
                .map(|(p, q)| serde_json::json!([p.fmt_dp(8), q.fmt_dp(8)]))
                .collect()
        };
        serde_json::json!({"e": "depthUpdate", "E": d.time, "s": "BTCUSDT", "U": d.first,
            "u": d.last, "b": lv(&d.bids), "a": lv(&d.asks)})
    };
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&buf).unwrap(),
        tree(&d)
    );
    let n = 20_000;
    let t = Instant::now();
    for _ in 0..n {
        buf.clear();
        speedtrade::sim::wire::depth(&mut buf, "BTCUSDT", &d);
    }
    let fast = t.elapsed();
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(serde_json::to_vec(&tree(&d)).unwrap());
    }
    let slow = t.elapsed();
    eprintln!("{n} depth messages: writer {fast:?}, serde_json tree {slow:?}");
}
