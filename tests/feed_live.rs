//! The Binance feed against a fake Binance on 127.0.0.1: books equal the server's after every
//! sync and resync (gaps, garbage, disconnects), subscriptions follow the watch list and survive
//! reconnects, book updates conflate under a burst while trades are all delivered.

#![allow(clippy::unwrap_used)] // test helpers unwrap freely

mod feed_support;

use feed_support::{Fake, books_match, next_matching, wait_until};
use speedtrade::domain::Symbol;
use speedtrade::net::BackoffConfig;
use speedtrade::venue::binance::feed::board::MarketReceiver;
use speedtrade::venue::binance::feed::{BinanceFeed, FeedOptions, Topics};
use speedtrade::venue::{ConnState, MarketEvent};
use std::time::Duration;

const LEVELS: usize = 10;
const T: Duration = Duration::from_secs(10);

fn opts() -> FeedOptions {
    FeedOptions {
        depth: 100,
        book_levels: LEVELS,
        backoff: BackoffConfig {
            initial: Duration::from_millis(50),
            max: Duration::from_millis(400),
            factor: 2,
        },
        snapshot_retry: Duration::from_millis(100),
        ..FeedOptions::default()
    }
}

fn sym(s: &str) -> Symbol {
    Symbol::new(s).unwrap()
}

fn book_only() -> Topics {
    Topics {
        book: true,
        ..Topics::default()
    }
}

async fn start(fake: &Fake, o: FeedOptions) -> (BinanceFeed, MarketReceiver) {
    BinanceFeed::start(fake.endpoints(), o).unwrap()
}

#[tokio::test]
async fn book_equals_the_servers_book() {
    let fake = Fake::start(&["BTCUSDT"], Duration::from_millis(5)).await;
    let (feed, mut rx) = start(&fake, opts()).await;
    feed.watch(sym("BTCUSDT"), book_only());
    assert_eq!(books_match(&fake, &mut rx, "BTCUSDT", LEVELS, 50).await, 50);
    let top = feed.book(&sym("BTCUSDT")).unwrap();
    assert!(!top.stale && top.bids.len() == LEVELS);
    assert!(top.best_bid().unwrap().price < top.best_ask().unwrap().price);
    let stats = feed.stats();
    assert!(
        stats.messages_total > 0 && stats.malformed == 0,
        "{stats:?}"
    );
    assert_eq!(stats.connections, 1);
}

#[tokio::test]
async fn a_gap_resyncs_and_the_book_recovers() {
    let fake = Fake::start(&["BTCUSDT"], Duration::from_millis(5)).await;
    let (feed, mut rx) = start(&fake, opts()).await;
    feed.watch(sym("BTCUSDT"), book_only());
    assert_eq!(books_match(&fake, &mut rx, "BTCUSDT", LEVELS, 5).await, 5);
    fake.faults(|f| f.drop_diffs = 3);
    let stale = next_matching(
        &mut rx,
        T,
        |e| matches!(e, MarketEvent::Book { top, .. } if top.stale),
    )
    .await;
    assert!(
        stale.is_some(),
        "the book must be marked stale while it resyncs"
    );
    assert!(wait_until(T, || feed.stats().resyncs >= 1).await);
    assert_eq!(books_match(&fake, &mut rx, "BTCUSDT", LEVELS, 20).await, 20);
    assert_eq!(feed.stats().reconnects, 0);
}

#[tokio::test]
async fn garbage_frames_are_counted_and_never_fatal() {
    let fake = Fake::start(&["BTCUSDT"], Duration::from_millis(5)).await;
    let (feed, mut rx) = start(&fake, opts()).await;
    feed.watch(sym("BTCUSDT"), book_only());
    assert_eq!(books_match(&fake, &mut rx, "BTCUSDT", LEVELS, 3).await, 3);
    fake.faults(|f| f.garbage = true);
    fake.send_all("not json at all");
    fake.send_all(&"x".repeat(2 << 20));
    fake.send_all(r#"{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","U":9,"u":1}}"#);
    assert!(wait_until(T, || feed.stats().malformed >= 10).await);
    assert_eq!(books_match(&fake, &mut rx, "BTCUSDT", LEVELS, 20).await, 20);
    let s = feed.stats();
    assert_eq!((s.reconnects, s.resyncs), (0, 0), "{s:?}");
}

#[tokio::test]
async fn reconnects_resubscribe_and_resync() {
    let fake = Fake::start(&["BTCUSDT", "ETHUSDT"], Duration::from_millis(5)).await;
    let (feed, mut rx) = start(&fake, opts()).await;
    feed.watch(sym("BTCUSDT"), book_only());
    feed.watch(
        sym("ETHUSDT"),
        Topics {
            trades: true,
            ..book_only()
        },
    );
    assert_eq!(books_match(&fake, &mut rx, "ETHUSDT", LEVELS, 3).await, 3);
    let before = fake.streams();
    fake.disconnect_all();
    let reconnecting = next_matching(&mut rx, T, |e| {
        matches!(
            e,
            MarketEvent::Connection {
                state: ConnState::Reconnecting { .. },
                ..
            }
        )
    })
    .await;
    assert!(reconnecting.is_some());
    assert!(wait_until(T, || fake.opened() >= 2 && fake.streams() == before).await);
    assert!(wait_until(T, || feed.stats().reconnects == 1).await);
    assert_eq!(books_match(&fake, &mut rx, "BTCUSDT", LEVELS, 10).await, 10);
    assert_eq!(books_match(&fake, &mut rx, "ETHUSDT", LEVELS, 10).await, 10);
    assert!(
        feed.stats().resyncs >= 2,
        "both live books resync after a reconnect"
    );
}

#[tokio::test]
async fn watch_changes_subscribe_and_unsubscribe_at_runtime_within_the_rate_limit() {
    let fake = Fake::start(
        &["AAAUSDT", "BBBUSDT", "CCCUSDT"],
        Duration::from_millis(20),
    )
    .await;
    let (feed, _rx) = start(&fake, opts()).await;
    feed.watch(
        sym("AAAUSDT"),
        Topics {
            trades: true,
            ..book_only()
        },
    );
    assert!(
        wait_until(T, || fake.streams().len() == 1
            && fake.streams()[0].len() == 2)
        .await
    );
    for s in ["BBBUSDT", "CCCUSDT"] {
        feed.watch(sym(s), book_only());
    }
    feed.unwatch(&sym("AAAUSDT"));
    let want: std::collections::BTreeSet<String> = ["bbbusdt@depth@100ms", "cccusdt@depth@100ms"]
        .map(String::from)
        .into();
    assert!(
        wait_until(T, || fake.streams() == vec![want.clone()]).await,
        "{:?}",
        fake.streams()
    );
    let controls = fake.controls();
    assert!(controls.iter().any(|c| c.1 == "UNSUBSCRIBE"));
    for w in controls.windows(6) {
        let span = w[5].3 - w[0].3;
        assert!(
            span >= Duration::from_millis(1000),
            "6 control messages within {span:?}"
        );
    }
}

#[tokio::test]
async fn more_streams_than_a_connection_holds_open_more_connections() {
    let fake = Fake::start(
        &["AAAUSDT", "BBBUSDT", "CCCUSDT"],
        Duration::from_millis(20),
    )
    .await;
    let (feed, mut rx) = start(
        &fake,
        FeedOptions {
            max_streams_per_conn: 2,
            ..opts()
        },
    )
    .await;
    let topics = Topics {
        trades: true,
        ..book_only()
    };
    feed.set_watchlist(["AAAUSDT", "BBBUSDT", "CCCUSDT"].map(|s| (sym(s), topics.clone())));
    assert!(wait_until(T, || fake.live_connections() == 3).await);
    assert!(fake.streams().iter().all(|s| s.len() <= 2));
    assert_eq!(books_match(&fake, &mut rx, "CCCUSDT", LEVELS, 5).await, 5);
    assert_eq!(feed.stats().connections, 3);
    feed.set_watchlist(std::iter::empty());
    assert!(wait_until(T, || fake.live_connections() == 0).await);
}

#[tokio::test]
async fn a_burst_conflates_book_updates_but_delivers_every_trade() {
    let fake = Fake::start(&["BTCUSDT"], Duration::from_millis(1)).await;
    let (feed, mut rx) = start(&fake, opts()).await;
    feed.watch(
        sym("BTCUSDT"),
        Topics {
            trades: true,
            ..book_only()
        },
    );
    assert_eq!(books_match(&fake, &mut rx, "BTCUSDT", LEVELS, 1).await, 1);
    // Do not read for a while: hundreds of diffs and trades arrive.
    let start = feed.stats().messages_total;
    assert!(wait_until(T, || feed.stats().messages_total > start + 600).await);
    let mut events = vec![];
    rx.drain(&mut events, usize::MAX);
    let books = events
        .iter()
        .filter(|e| matches!(e, MarketEvent::Book { .. }))
        .count();
    let trades: Vec<u64> = events
        .iter()
        .filter_map(|e| match e {
            MarketEvent::Trade(t) => Some(t.id),
            _ => None,
        })
        .collect();
    assert_eq!(books, 1, "one conflated book event for the whole burst");
    assert!(
        trades.len() > 250,
        "trades are never dropped: {}",
        trades.len()
    );
    assert!(
        trades.windows(2).all(|w| w[1] == w[0] + 1),
        "no trade missing or repeated"
    );
    let top = feed.book(&sym("BTCUSDT")).unwrap();
    let server = fake.top_at("BTCUSDT", top.update_id).unwrap();
    assert!(feed_support::same(&server, &top, LEVELS));
}

#[tokio::test]
async fn server_shutdown_replaces_the_connection_without_a_gap() {
    let fake = Fake::start(&["BTCUSDT"], Duration::from_millis(5)).await;
    let (feed, mut rx) = start(&fake, opts()).await;
    feed.watch(
        sym("BTCUSDT"),
        Topics {
            trades: true,
            ..book_only()
        },
    );
    assert_eq!(books_match(&fake, &mut rx, "BTCUSDT", LEVELS, 3).await, 3);
    fake.send_all(
        r#"{"stream":"!serverShutdown","data":{"e":"serverShutdown","E":1770123456789}}"#,
    );
    assert!(wait_until(T, || fake.opened() == 2 && fake.live_connections() == 1).await);
    let mut trades = vec![];
    let mut live_books = 0;
    while live_books < 30 {
        match next_matching(&mut rx, T, |_| true).await {
            Some(MarketEvent::Trade(t)) => trades.push(t.id),
            Some(MarketEvent::Book { top, .. }) => {
                assert!(!top.stale, "a planned replacement must not resync the book");
                let server = fake.top_at("BTCUSDT", top.update_id).unwrap();
                assert!(feed_support::same(&server, &top, LEVELS));
                live_books += 1;
            }
            Some(_) => {}
            None => panic!("feed stopped"),
        }
    }
    assert!(trades.windows(2).all(|w| w[1] == w[0] + 1), "{trades:?}");
    let s = feed.stats();
    assert_eq!((s.reconnects, s.resyncs), (0, 0), "{s:?}");
}

#[tokio::test]
async fn a_silent_feed_goes_stale_then_reconnects() {
    let fake = Fake::start(&["BTCUSDT"], Duration::from_millis(5)).await;
    let o = FeedOptions {
        stale_after: Duration::from_millis(300),
        dead_after: Duration::from_millis(800),
        ..opts()
    };
    let (feed, mut rx) = start(&fake, o).await;
    feed.watch(sym("BTCUSDT"), book_only());
    assert_eq!(books_match(&fake, &mut rx, "BTCUSDT", LEVELS, 2).await, 2);
    fake.faults(|f| f.silent = true);
    let stale = next_matching(&mut rx, T, |e| {
        matches!(
            e,
            MarketEvent::Connection {
                state: ConnState::Stale,
                ..
            }
        )
    });
    assert!(stale.await.is_some());
    let lost = next_matching(
        &mut rx,
        T,
        |e| matches!(e, MarketEvent::Connection { state: ConnState::Reconnecting { reason, .. }, .. } if reason.contains("no data")),
    );
    assert!(lost.await.is_some());
    fake.faults(|f| f.silent = false);
    assert_eq!(books_match(&fake, &mut rx, "BTCUSDT", LEVELS, 5).await, 5);
}

#[tokio::test]
async fn an_unknown_symbol_gets_a_clear_notice() {
    let fake = Fake::start(&["BTCUSDT"], Duration::from_millis(20)).await;
    let (feed, mut rx) = start(&fake, opts()).await;
    feed.watch(sym("NOPEUSDT"), book_only());
    let notice = next_matching(&mut rx, T, |e| matches!(e, MarketEvent::Notice { .. })).await;
    let Some(MarketEvent::Notice { message, .. }) = notice else {
        panic!("no notice");
    };
    assert!(message.contains("no symbol `NOPEUSDT`"), "{message}");
    assert!(wait_until(T, || feed.watched().is_empty()).await);
}
