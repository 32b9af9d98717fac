//! `speedtrade replay --headless`: the live feed and book code (a [`BinanceFeed`], exactly as
//! `speedtrade book` / `watch` and the TUI use it) pointed at a replay server, printing the
//! same JSON lines as those commands, until the whole recording has come through.

use super::{Phase, ReplayHandle};
use crate::domain::Symbol;
use crate::venue::MarketEvent;
use crate::venue::binance::feed::{BinanceFeed, FeedOptions, Topics};
use crate::venue::binance::headless::{HeadlessError, book_feed_options, book_line, trade_line};
use std::collections::HashMap;
use std::io::Write;
use std::time::Duration;
use tokio::time::Instant;

/// Options of the headless replay.
#[derive(Debug, Clone)]
pub struct HeadlessOptions {
    /// Book levels a side to print.
    pub depth: usize,
    /// Feed settings.
    pub feed: FeedOptions,
    /// Give up waiting for the client to catch up this long after the last event once the
    /// replay has finished (e.g. a book that never synced).
    pub idle_exit: Duration,
}

impl Default for HeadlessOptions {
    fn default() -> Self {
        Self {
            depth: 10,
            feed: FeedOptions::default(),
            idle_exit: Duration::from_secs(5),
        }
    }
}

/// What was printed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HeadlessSummary {
    /// Trade lines.
    pub trades: u64,
    /// Book lines.
    pub books: u64,
}

#[derive(Default)]
struct Seen {
    trades: u64,
    book_id: Option<u64>,
}

/// Streams every replayed symbol's trades and book through a feed and prints one JSON line per
/// trade (`speedtrade watch`'s format) and per book change (`speedtrade book`'s format), until
/// the replay has finished and the feed has delivered all of it.
pub async fn run(
    handle: &ReplayHandle,
    opts: HeadlessOptions,
    mut out: impl Write,
) -> Result<HeadlessSummary, HeadlessError> {
    let feed_opts = book_feed_options(opts.depth, opts.feed);
    let (feed, mut events) = BinanceFeed::start(handle.endpoints(), feed_opts)?;
    let topics = Topics {
        trades: true,
        book: true,
        ..Topics::default()
    };
    feed.set_watchlist(handle.symbols().iter().map(|s| (s.clone(), topics.clone())));
    let mut seen: HashMap<Symbol, Seen> = HashMap::new();
    let mut summary = HeadlessSummary::default();
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    let mut last_event = Instant::now();
    loop {
        tokio::select! {
            ev = events.recv() => {
                let Some(ev) = ev else { break };
                last_event = Instant::now();
                print_event(ev, &mut seen, &mut summary, &mut out)?;
            }
            _ = tick.tick() => {}
        }
        if handle.progress().phase != Phase::Finished {
            continue;
        }
        if caught_up(handle, &seen) {
            break;
        }
        if last_event.elapsed() >= opts.idle_exit {
            tracing::warn!("replay finished but the feed did not catch up; stopping");
            break;
        }
    }
    out.flush()?;
    Ok(summary)
}

fn print_event(
    ev: MarketEvent,
    seen: &mut HashMap<Symbol, Seen>,
    summary: &mut HeadlessSummary,
    out: &mut impl Write,
) -> Result<(), HeadlessError> {
    match ev {
        MarketEvent::Trade(t) => {
            writeln!(out, "{}", trade_line(&t))?;
            seen.entry(t.symbol.clone()).or_default().trades += 1;
            summary.trades += 1;
        }
        MarketEvent::Book { symbol, top } => {
            let s = seen.entry(symbol.clone()).or_default();
            if top.stale {
                s.book_id = None;
                return Ok(());
            }
            if s.book_id == Some(top.update_id) {
                return Ok(());
            }
            let kind = if s.book_id.is_none() {
                "snapshot"
            } else {
                "update"
            };
            s.book_id = Some(top.update_id);
            writeln!(out, "{}", book_line(kind, &symbol, &top))?;
            summary.books += 1;
        }
        MarketEvent::Connection { state, .. } => tracing::info!(?state, "replay feed"),
        MarketEvent::Notice { message, .. } => tracing::warn!("{message}"),
        _ => {}
    }
    Ok(())
}

/// Every trade sent arrived and every book is at the replay's final update id.
fn caught_up(handle: &ReplayHandle, seen: &HashMap<Symbol, Seen>) -> bool {
    handle.symbols().iter().all(|s| {
        let got = seen.get(s);
        let trades_ok = got.map_or(0, |g| g.trades) >= handle.trades_sent(s);
        let book_ok = match handle.book(s, 1) {
            Some(top) if !top.stale => got.and_then(|g| g.book_id) == Some(top.update_id),
            _ => true,
        };
        trades_ok && book_ok
    })
}
