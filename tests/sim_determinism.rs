//! Same seed, same market: two simulator runs send byte-identical messages (event times come
//! from the simulated clock, pinned with `start_time_ms`).
#![allow(clippy::unwrap_used)]

mod sim_common;

use futures_util::StreamExt;
use sim_common::*;
use speedtrade::sim::SimArgs;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

const STREAMS: &str = "btcusdt@depth/btcusdt@trade/btcusdt@aggTrade/ethusdt@depth/ethusdt@trade/btcusdt@depth5@100ms/btcusdt@kline_1s";

fn run_args(seed: u64) -> SimArgs {
    SimArgs {
        seed,
        rate: 300,
        start_time_ms: Some(1_767_225_600_000),
        ..args()
    }
}

/// Starts a simulator and collects the first `n` text frames of a combined stream.
async fn record(seed: u64, n: usize) -> Vec<String> {
    let h = start(run_args(seed)).await;
    let mut ws = ws(&format!("{}/stream?streams={STREAMS}", h.ws_url())).await;
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let m = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .unwrap();
        if let Some(Ok(Message::Text(t))) = m {
            out.push(t.to_string());
        }
    }
    out
}

/// The position in `longer` where `shorter`'s first message appears.
fn offset(longer: &[String], first: &str) -> Option<usize> {
    longer.iter().position(|m| m == first)
}

#[tokio::test]
async fn same_seed_same_thousand_messages() {
    let a = record(42, 1600).await;
    let b = record(42, 1600).await;
    // Each run's client connected a little after its server started: line the two recordings
    // up on the first message both contain, then compare 1000 messages byte for byte.
    let (a, b) = match offset(&a, &b[0]) {
        Some(i) => (&a[i..], &b[..]),
        None => (
            &a[..],
            &b[offset(&b, &a[0]).expect("the recordings overlap")..],
        ),
    };
    assert!(
        a.len() >= 1000 && b.len() >= 1000,
        "overlap {} / {}",
        a.len(),
        b.len()
    );
    for i in 0..1000 {
        assert_eq!(a[i], b[i], "message {i} differs");
    }
    let other = record(43, 300).await;
    assert!(
        offset(&other, &a[500]).is_none(),
        "another seed gives another market"
    );
}

#[test]
fn generator_is_deterministic_from_the_first_step() {
    use speedtrade::sim::engine::{Exchange, SimClock};
    use speedtrade::sim::events::MarketEvent;
    use speedtrade::sim::symbols::parse_list;
    let run = || {
        let clock = SimClock {
            origin: 1_767_225_600_000,
            rate: 1000,
        };
        let mut ex = Exchange::new(9, parse_list(&["BTCUSDT,SOLUSDT".into()]), clock);
        let mut rx = ex.subscribe_market();
        let mut msgs = Vec::new();
        let mut t = clock.origin;
        while msgs.len() < 1000 {
            t += 5;
            ex.advance_to(t, u64::MAX);
            while let Ok(batch) = rx.try_recv() {
                for e in batch.iter() {
                    if let MarketEvent::Depth(d) = &e.ev {
                        let mut buf = Vec::new();
                        speedtrade::sim::wire::depth(&mut buf, "X", d);
                        msgs.push(buf);
                    }
                }
            }
        }
        msgs.truncate(1000);
        msgs
    };
    assert_eq!(run(), run());
}
