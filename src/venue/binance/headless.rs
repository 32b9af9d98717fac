//! Headless commands on the same feed and book code as the TUI: `speedtrade book` prints one
//! JSON line per book change, `speedtrade watch` one per trade and ticker. The CLI wires these;
//! they only need endpoints, options and a writer.

use super::BinanceEndpoints;
use super::feed::{BinanceFeed, FeedError, FeedOptions, Topics};
use super::market_rest::{BAD_SYMBOL, RestError};
use crate::domain::{BookTop, Level, Symbol, Ticker24h, Trade};
use crate::venue::MarketEvent;
use serde_json::json;
use std::io::Write;

/// Options of `speedtrade book <SYMBOL>`.
#[derive(Debug, Clone)]
pub struct BookCmdOptions {
    /// Where Binance (or the simulator) lives.
    pub endpoints: BinanceEndpoints,
    /// The symbol.
    pub symbol: Symbol,
    /// Levels per side to print (`--depth`).
    pub depth: usize,
    /// Stop after this many lines (`--max-events`); `None` runs until the feed ends.
    pub max_events: Option<u64>,
    /// Feed settings (the book keeps at least `depth` levels).
    pub feed: FeedOptions,
}

/// Options of `speedtrade watch <SYMBOL>...`.
#[derive(Debug, Clone)]
pub struct WatchCmdOptions {
    /// Where Binance (or the simulator) lives.
    pub endpoints: BinanceEndpoints,
    /// Symbols.
    pub symbols: Vec<Symbol>,
    /// Stop after this many lines; `None` runs until the feed ends.
    pub max_events: Option<u64>,
    /// Feed settings.
    pub feed: FeedOptions,
}

/// Why a headless command stopped early.
#[derive(Debug, thiserror::Error)]
pub enum HeadlessError {
    /// The symbol does not exist (or another REST failure while checking it).
    #[error(transparent)]
    Rest(#[from] RestError),
    /// The feed could not start.
    #[error(transparent)]
    Feed(#[from] FeedError),
    /// Writing the output failed (e.g. a closed pipe).
    #[error("cannot write output: {0}")]
    Io(#[from] std::io::Error),
}

/// Checks that every symbol exists (exchangeInfo, weight 20).
async fn check_symbols(feed: &BinanceFeed, symbols: &[Symbol]) -> Result<(), RestError> {
    let info = match feed.rest().exchange_info(symbols).await {
        // A list with a bad name gets -1121 "Invalid symbol." without saying which one:
        // ask one at a time so the error names it.
        Err(
            e @ RestError::Api {
                code: Some(BAD_SYMBOL),
                ..
            },
        ) if symbols.len() > 1 => {
            for s in symbols {
                feed.rest().exchange_info(std::slice::from_ref(s)).await?;
            }
            return Err(e);
        }
        other => other?,
    };
    for s in symbols {
        if !info.instruments.iter().any(|i| &i.symbol == s) {
            return Err(RestError::UnknownSymbol(s.to_string()));
        }
    }
    Ok(())
}

/// Feed options for printing `depth` book levels (clamped to what a book keeps): the feed
/// keeps at least that many and does not check symbols first (the caller does, or need not).
pub fn book_feed_options(depth: usize, feed: FeedOptions) -> FeedOptions {
    let depth = depth.clamp(1, crate::book::MAX_DEPTH);
    FeedOptions {
        book_levels: depth,
        depth: feed.depth.max(depth),
        check_symbols: false,
        ..feed
    }
}

/// Streams `symbol`'s book and prints `{"event":"snapshot"|"update","symbol",..,"update_id",..,
/// "bids":[[price,qty],..],"asks":[..]}` per change (best first, decimal strings). A line is
/// `snapshot` when it is the first after a (re)sync. Returns the number of lines written.
pub async fn run_book(opts: BookCmdOptions, mut out: impl Write) -> Result<u64, HeadlessError> {
    let feed_opts = book_feed_options(opts.depth, opts.feed);
    let (feed, mut events) = BinanceFeed::start(opts.endpoints, feed_opts)?;
    check_symbols(&feed, std::slice::from_ref(&opts.symbol)).await?;
    let topics = Topics {
        book: true,
        ..Topics::default()
    };
    feed.watch(opts.symbol.clone(), topics);
    let mut printed = 0u64;
    let mut last_id: Option<u64> = None;
    while opts.max_events.is_none_or(|m| printed < m) {
        let Some(ev) = events.recv().await else {
            break;
        };
        match ev {
            MarketEvent::Book { symbol, top } if symbol == opts.symbol => {
                if top.stale {
                    last_id = None;
                    continue;
                }
                if last_id == Some(top.update_id) {
                    continue;
                }
                let kind = if last_id.is_none() {
                    "snapshot"
                } else {
                    "update"
                };
                last_id = Some(top.update_id);
                writeln!(out, "{}", book_line(kind, &symbol, &top))?;
                out.flush()?;
                printed += 1;
            }
            other => log_event(&other),
        }
    }
    Ok(printed)
}

/// One `book` output line.
pub fn book_line(kind: &str, symbol: &Symbol, top: &BookTop) -> String {
    let levels = |ls: &[Level]| -> Vec<[String; 2]> {
        ls.iter()
            .map(|l| [l.price.to_string(), l.qty.to_string()])
            .collect()
    };
    json!({
        "event": kind,
        "symbol": symbol.as_str(),
        "update_id": top.update_id,
        "bids": levels(&top.bids),
        "asks": levels(&top.asks),
    })
    .to_string()
}

/// Streams trades and 24 h tickers of `symbols` and prints one JSON line each. Returns the
/// number of lines written.
pub async fn run_watch(opts: WatchCmdOptions, mut out: impl Write) -> Result<u64, HeadlessError> {
    let feed_opts = FeedOptions {
        check_symbols: false,
        ..opts.feed
    };
    let (feed, mut events) = BinanceFeed::start(opts.endpoints, feed_opts)?;
    check_symbols(&feed, &opts.symbols).await?;
    let topics = Topics {
        trades: true,
        ticker: true,
        ..Topics::default()
    };
    feed.set_watchlist(opts.symbols.iter().map(|s| (s.clone(), topics.clone())));
    let mut printed = 0u64;
    while opts.max_events.is_none_or(|m| printed < m) {
        let Some(ev) = events.recv().await else {
            break;
        };
        let line = match &ev {
            MarketEvent::Trade(t) => trade_line(t),
            MarketEvent::Ticker(t) => ticker_line(t),
            other => {
                log_event(other);
                continue;
            }
        };
        writeln!(out, "{line}")?;
        out.flush()?;
        printed += 1;
    }
    Ok(printed)
}

/// One `watch` trade line.
pub fn trade_line(t: &Trade) -> String {
    json!({
        "event": "trade",
        "symbol": t.symbol.as_str(),
        "id": t.id,
        "price": t.price.to_string(),
        "qty": t.qty.to_string(),
        "side": t.taker_side.as_str(),
        "time": t.time,
    })
    .to_string()
}

/// One `watch` ticker line.
pub fn ticker_line(t: &Ticker24h) -> String {
    json!({
        "event": "ticker",
        "symbol": t.symbol.as_str(),
        "last": t.last.to_string(),
        "open": t.open.to_string(),
        "high": t.high.to_string(),
        "low": t.low.to_string(),
        "change_pct": t.change_pct.to_string(),
        "volume": t.volume.to_string(),
        "quote_volume": t.quote_volume.to_string(),
        "time": t.time,
    })
    .to_string()
}

fn log_event(ev: &MarketEvent) {
    match ev {
        MarketEvent::Connection { state, .. } => tracing::info!(?state, "binance feed"),
        MarketEvent::Notice { message, .. } => tracing::warn!("{message}"),
        _ => {}
    }
}
