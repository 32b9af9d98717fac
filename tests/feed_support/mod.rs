//! A small fake Binance for the feed tests: an axum server on 127.0.0.1:0 with the combined
//! stream (`/stream`, live SUBSCRIBE/UNSUBSCRIBE), depth / exchangeInfo / ticker REST, a
//! deterministic book generator that remembers the top at every update id, and faults
//! (disconnects, gaps, garbage frames, silence, 429s, a weight limit).

#![allow(dead_code, clippy::unwrap_used)]

mod server;

pub use server::{Fake, Top};

use speedtrade::domain::BookTop;
use speedtrade::venue::MarketEvent;
use speedtrade::venue::binance::feed::board::MarketReceiver;
use std::time::Duration;

#[path = "../common/wait.rs"]
mod wait;
#[allow(unused_imports)] // not every test binary waits
pub use wait::wait_until;

/// Reads events until one matches `pred` (returning it) or `timeout` passes.
pub async fn next_matching(
    rx: &mut MarketReceiver,
    timeout: Duration,
    mut pred: impl FnMut(&MarketEvent) -> bool,
) -> Option<MarketEvent> {
    let end = tokio::time::Instant::now() + timeout;
    loop {
        let left = end.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(left, rx.recv()).await {
            Ok(Some(ev)) if pred(&ev) => return Some(ev),
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => return None,
        }
    }
}

/// Reads book events until `n` live (non-stale) tops matched the server's book at their update
/// id (comparing `levels` levels a side). Returns how many matched; stops at the first mismatch
/// or on timeout.
pub async fn books_match(
    fake: &Fake,
    rx: &mut MarketReceiver,
    symbol: &str,
    levels: usize,
    n: usize,
) -> usize {
    let mut ok = 0;
    while ok < n {
        let ev = next_matching(rx, Duration::from_secs(10), |e| {
            matches!(e, MarketEvent::Book { symbol: s, top } if s.as_str() == symbol && !top.stale)
        })
        .await;
        let Some(MarketEvent::Book { top, .. }) = ev else {
            return ok;
        };
        let Some(server) = fake.top_at(symbol, top.update_id) else {
            continue; // older than the server remembers
        };
        if !same(&server, &top, levels) {
            eprintln!(
                "mismatch at {}: server {server:?} client {top:?}",
                top.update_id
            );
            return ok;
        }
        ok += 1;
    }
    ok
}

/// `true` when the client's top equals the server's best `levels` levels a side.
pub fn same(server: &Top, client: &BookTop, levels: usize) -> bool {
    let ticks = |ls: &[speedtrade::domain::Level]| -> Vec<(i64, i64)> {
        ls.iter()
            .map(|l| (l.price.units() / 1_000_000, l.qty.units()))
            .collect()
    };
    let take = |v: &[(i64, i64)]| -> Vec<(i64, i64)> { v.iter().take(levels).copied().collect() };
    ticks(&client.bids) == take(&server.bids) && ticks(&client.asks) == take(&server.asks)
}
