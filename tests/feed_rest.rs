//! Public REST market data against the fake Binance: exchangeInfo → instruments and weight
//! limits, klines, unknown symbols, `Retry-After`, and a resync of many books under a tight
//! weight limit that never earns a 429.

#![allow(clippy::unwrap_used)] // test helpers unwrap freely

mod feed_support;

use feed_support::{Fake, wait_until};
use speedtrade::domain::{Interval, Price, Symbol};
use speedtrade::venue::MarketEvent;
use speedtrade::venue::binance::feed::{BinanceFeed, FeedOptions, Topics};
use speedtrade::venue::binance::limiter::WeightLimiter;
use speedtrade::venue::binance::market_rest::{MarketRest, RestError};
use std::sync::Arc;
use std::time::{Duration, Instant};

const T: Duration = Duration::from_secs(20);

fn sym(s: &str) -> Symbol {
    Symbol::new(s).unwrap()
}

fn rest(fake: &Fake) -> MarketRest {
    MarketRest::new(
        &fake.endpoints().rest_url,
        Arc::new(WeightLimiter::default()),
    )
    .unwrap()
}

#[tokio::test]
async fn exchange_info_gives_instruments_and_adopts_the_weight_limit() {
    let fake = Fake::start(&["BTCUSDT", "ETHUSDT"], Duration::from_millis(50)).await;
    fake.faults(|f| f.weight_limit = Some((1, 50)));
    let rest = rest(&fake);
    let info = rest.exchange_info(&[]).await.unwrap();
    assert_eq!(info.instruments.len(), 2);
    let btc = &info.instruments[0];
    assert_eq!(
        (btc.symbol.as_str(), btc.base.as_str(), btc.quote.as_str()),
        ("BTCUSDT", "BTC", "USDT")
    );
    assert_eq!(btc.tick_size, Price::parse("0.01").unwrap());
    assert!(btc.check_price(Price::parse("100.015").unwrap()).is_err());
    assert_eq!(rest.limiter().status().limit, 50);
    let err = rest.exchange_info(&[sym("NOPEUSDT")]).await.unwrap_err();
    assert_eq!(err, RestError::UnknownSymbol("NOPEUSDT".into()));
    assert!(err.to_string().contains("no symbol `NOPEUSDT`"));
}

#[tokio::test]
async fn klines_backfill_and_snapshots_parse() {
    let fake = Fake::start(&["BTCUSDT"], Duration::from_millis(50)).await;
    let rest = rest(&fake);
    let candles = rest
        .klines(
            &sym("BTCUSDT"),
            Interval::M1,
            Some(1_700_000_000_000),
            None,
            3,
        )
        .await
        .unwrap();
    assert_eq!(candles.len(), 3);
    assert_eq!(candles[1].open_time, 1_700_000_060_000);
    assert_eq!(
        (candles[0].close, candles[0].trades, candles[0].closed),
        (Price::parse("105").unwrap(), 7, true)
    );
    let snap = rest.depth(&sym("BTCUSDT"), 50).await.unwrap();
    assert_eq!(snap.bids.len(), 50);
    assert!(snap.bids[0].price < snap.asks[0].price);
    assert!(matches!(
        rest.depth(&sym("NOPEUSDT"), 5).await,
        Err(RestError::UnknownSymbol(_))
    ));
    assert!(
        rest.limiter().status().used >= 2 + 5 + 5,
        "weights are counted"
    );
}

#[tokio::test]
async fn backfill_arrives_as_one_history_event() {
    let fake = Fake::start(&["BTCUSDT"], Duration::from_millis(50)).await;
    let (feed, mut rx) = BinanceFeed::start(fake.endpoints(), FeedOptions::default()).unwrap();
    feed.backfill(sym("BTCUSDT"), Interval::M1, 3);
    feed.backfill(sym("NOPEUSDT"), Interval::M1, 3);
    let history =
        feed_support::next_matching(&mut rx, T, |e| matches!(e, MarketEvent::History { .. })).await;
    let Some(MarketEvent::History {
        symbol,
        interval,
        candles,
    }) = history
    else {
        panic!("no history");
    };
    assert_eq!(
        (symbol.as_str(), interval, candles.len()),
        ("BTCUSDT", Interval::M1, 3)
    );
    let notice =
        feed_support::next_matching(&mut rx, T, |e| matches!(e, MarketEvent::Notice { .. })).await;
    assert!(
        matches!(notice, Some(MarketEvent::Notice { message, .. }) if message.contains("no symbol `NOPEUSDT`"))
    );
}

#[tokio::test]
async fn retry_after_holds_every_request() {
    let fake = Fake::start(&["BTCUSDT"], Duration::from_millis(50)).await;
    fake.faults(|f| f.next_429 = true);
    let rest = rest(&fake);
    let err = rest.depth(&sym("BTCUSDT"), 5).await.unwrap_err();
    assert_eq!(
        err,
        RestError::RateLimited {
            retry_after: Duration::from_secs(1),
            banned: false
        }
    );
    let held = Instant::now();
    rest.depth(&sym("BTCUSDT"), 5).await.unwrap();
    assert!(
        held.elapsed() >= Duration::from_millis(900),
        "the next request waited for Retry-After"
    );
    assert_eq!(fake.state.lock().unwrap().got_429, 1);
}

#[tokio::test]
async fn many_books_resync_after_a_reconnect_without_a_429() {
    let symbols: Vec<String> = (0..16).map(|i| format!("S{i:02}USDT")).collect();
    let names: Vec<&str> = symbols.iter().map(String::as_str).collect();
    let fake = Fake::start(&names, Duration::from_millis(20)).await;
    // The server allows 60 weight per 2 s and says so in exchangeInfo; a sync of 16 books
    // needs 80 (depth limit 100 weighs 5), so it must spread over windows.
    fake.faults(|f| f.weight_limit = Some((2, 60)));
    let rest = rest(&fake);
    rest.exchange_info(&[]).await.unwrap();
    let opts = FeedOptions {
        depth: 100,
        check_symbols: false,
        ..FeedOptions::default()
    };
    let (feed, _rx) = BinanceFeed::with_rest(fake.endpoints(), opts, rest).unwrap();
    let book = Topics {
        book: true,
        ..Topics::default()
    };
    feed.set_watchlist(symbols.iter().map(|s| (sym(s), book.clone())));
    let all_live = |feed: &BinanceFeed| {
        symbols.iter().all(|s| {
            feed.book(&sym(s))
                .is_some_and(|t| !t.stale && !t.bids.is_empty())
        })
    };
    assert!(wait_until(T, || all_live(&feed)).await, "every book syncs");
    fake.disconnect_all();
    assert!(wait_until(T, || feed.stats().reconnects == 1).await);
    assert!(
        wait_until(T, || all_live(&feed) && feed.stats().resyncs >= 16).await,
        "every book resyncs"
    );
    assert_eq!(
        fake.state.lock().unwrap().got_429,
        0,
        "the limiter kept under the server's limit"
    );
}
