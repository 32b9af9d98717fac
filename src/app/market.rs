//! Folding market data events into the per-symbol views and the feed counters.

use super::command::Command;
use super::state::{AppState, Level};
use super::view::CANDLE_CAP;
use crate::domain::Candle;
use crate::venue::{ConnState, MarketEvent};

/// Applies one market event.
pub fn on_market(state: &mut AppState, ev: MarketEvent) -> Vec<Command> {
    state.feed.msgs_this_s = state.feed.msgs_this_s.saturating_add(1);
    match ev {
        MarketEvent::Trade(t) => {
            let cap = state.settings.tape_len;
            let view = state.markets.entry(t.symbol.clone()).or_default();
            view.set_last(t.price, t.time);
            view.observe(t.price, t.qty);
            view.tape.push_front(t);
            view.tape.truncate(cap);
        }
        MarketEvent::Book { symbol, top } => {
            let view = state.markets.entry(symbol).or_default();
            view.book = top;
            view.observe_book();
        }
        MarketEvent::Ticker(t) => {
            let view = state.markets.entry(t.symbol.clone()).or_default();
            if view.last.is_none() {
                view.set_last(t.last, t.time);
            }
            view.ticker = Some(t);
        }
        MarketEvent::Candle {
            symbol,
            interval,
            candle,
        } => {
            let view = state.markets.entry(symbol).or_default();
            view.observe(candle.high, candle.volume);
            merge_candles(view.candles.entry(interval).or_default(), vec![candle]);
        }
        MarketEvent::History {
            symbol,
            interval,
            candles,
        } => {
            let view = state.markets.entry(symbol).or_default();
            merge_candles(view.candles.entry(interval).or_default(), candles);
        }
        MarketEvent::Connection { venue, state: conn } => {
            let level = match &conn {
                ConnState::Live | ConnState::Connecting => Level::Info,
                ConnState::Stale | ConnState::Reconnecting { .. } => Level::Warn,
                ConnState::Down(_) => Level::Error,
            };
            state.log(level, format!("{venue}: {}", describe(&conn)));
            state.connections.insert(venue, conn);
        }
        MarketEvent::Notice { venue, message } => {
            state.flash(Level::Warn, format!("{venue}: {message}"), 6);
        }
    }
    Vec::new()
}

/// Merges candles (oldest first) into `list`: a candle with an open time already present
/// replaces it, newer ones are appended; the oldest are dropped past [`CANDLE_CAP`].
pub fn merge_candles(list: &mut Vec<Candle>, new: Vec<Candle>) {
    for c in new {
        match list.binary_search_by_key(&c.open_time, |x| x.open_time) {
            Ok(i) => list[i] = c,
            Err(i) => list.insert(i, c),
        }
    }
    if list.len() > CANDLE_CAP {
        list.drain(..list.len() - CANDLE_CAP);
    }
}

/// A short description of a connection state for the status bar and log.
pub fn describe(c: &ConnState) -> String {
    match c {
        ConnState::Connecting => "connecting".into(),
        ConnState::Live => "live".into(),
        ConnState::Reconnecting { retry_in, reason } => {
            format!("reconnecting in {}s ({reason})", retry_in.as_secs().max(1))
        }
        ConnState::Stale => "stale".into(),
        ConnState::Down(why) => format!("down: {why}"),
    }
}
