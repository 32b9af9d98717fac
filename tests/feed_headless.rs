//! `speedtrade book` and `speedtrade watch` as library calls against the fake Binance: the JSON
//! lines, their order and exact levels, `--max-events`, and a clear error for a bad symbol.

#![allow(clippy::unwrap_used)] // test helpers unwrap freely

mod feed_support;

use feed_support::Fake;
use serde_json::Value;
use speedtrade::domain::Symbol;
use speedtrade::venue::binance::feed::FeedOptions;
use speedtrade::venue::binance::headless::{BookCmdOptions, WatchCmdOptions, run_book, run_watch};
use std::time::Duration;

const T: Duration = Duration::from_secs(20);

fn book_opts(fake: &Fake, symbol: &str, max: u64) -> BookCmdOptions {
    BookCmdOptions {
        endpoints: fake.endpoints(),
        symbol: Symbol::new(symbol).unwrap(),
        depth: 5,
        max_events: Some(max),
        feed: FeedOptions {
            depth: 100,
            ..FeedOptions::default()
        },
    }
}

/// Decimal string → (tick of 0.01, qty units), as the fake stores levels.
fn level(v: &Value) -> (i64, i64) {
    let p = speedtrade::domain::Price::parse(v[0].as_str().unwrap()).unwrap();
    let q = speedtrade::domain::Qty::parse(v[1].as_str().unwrap()).unwrap();
    (p.units() / 1_000_000, q.units())
}

#[tokio::test]
async fn book_prints_a_snapshot_then_updates_equal_to_the_server() {
    let fake = Fake::start(&["BTCUSDT"], Duration::from_millis(5)).await;
    let mut out = Vec::new();
    let n = tokio::time::timeout(T, run_book(book_opts(&fake, "btcusdt", 15), &mut out))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(n, 15);
    let lines: Vec<Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 15);
    assert_eq!(lines[0]["event"], "snapshot");
    let mut last_id = 0;
    for l in &lines {
        assert_eq!(l["symbol"], "BTCUSDT");
        let id = l["update_id"].as_u64().unwrap();
        assert!(id > last_id, "update ids increase");
        last_id = id;
        let bids: Vec<(i64, i64)> = l["bids"].as_array().unwrap().iter().map(level).collect();
        let asks: Vec<(i64, i64)> = l["asks"].as_array().unwrap().iter().map(level).collect();
        let server = fake.top_at("BTCUSDT", id).unwrap();
        assert_eq!(bids, server.bids[..5], "bids at {id}");
        assert_eq!(asks, server.asks[..5], "asks at {id}");
        assert!(
            bids.windows(2).all(|w| w[0].0 > w[1].0) && asks.windows(2).all(|w| w[0].0 < w[1].0)
        );
    }
    assert!(lines[1..].iter().all(|l| l["event"] == "update"));
}

#[tokio::test]
async fn book_of_an_unknown_symbol_is_a_clear_error() {
    let fake = Fake::start(&["BTCUSDT"], Duration::from_millis(20)).await;
    let err = run_book(book_opts(&fake, "NOPEUSDT", 1), Vec::new())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Binance has no symbol `NOPEUSDT` (check the spelling, e.g. BTCUSDT)"
    );
}

#[tokio::test]
async fn watch_prints_trades_and_tickers() {
    let fake = Fake::start(&["BTCUSDT", "ETHUSDT"], Duration::from_millis(5)).await;
    let opts = WatchCmdOptions {
        endpoints: fake.endpoints(),
        symbols: vec![
            Symbol::new("BTCUSDT").unwrap(),
            Symbol::new("ETHUSDT").unwrap(),
        ],
        max_events: Some(40),
        feed: FeedOptions::default(),
    };
    let mut out = Vec::new();
    let n = tokio::time::timeout(T, run_watch(opts, &mut out))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(n, 40);
    let lines: Vec<Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: std::collections::BTreeSet<&str> =
        lines.iter().map(|l| l["event"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["ticker", "trade"].into());
    let trade = lines.iter().find(|l| l["event"] == "trade").unwrap();
    assert!(trade["price"].as_str().unwrap().parse::<f64>().is_ok() && trade["qty"] == "0.01");
    assert!(["buy", "sell"].contains(&trade["side"].as_str().unwrap()));
    let symbols: std::collections::BTreeSet<&str> = lines
        .iter()
        .map(|l| l["symbol"].as_str().unwrap())
        .collect();
    assert_eq!(symbols, ["BTCUSDT", "ETHUSDT"].into());
}
