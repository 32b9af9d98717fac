//! Folding market data events into the per-symbol views and the feed counters.

use super::command::Command;
use super::state::{AppState, Level};
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
            for series in view.candles.values_mut() {
                series.on_trade(&t);
                series.as_slice();
            }
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
            let series = view.series(interval);
            series.on_candle(candle);
            series.as_slice();
        }
        MarketEvent::History {
            symbol,
            interval,
            candles,
        } => {
            let series = state.markets.entry(symbol).or_default().series(interval);
            series.backfill(candles);
            series.as_slice();
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

/// Why the market data feed is not delivering, for the panes that wait on it ("BINANCE feed
/// down: no keys …"); `None` while it is live or has not been started.
pub fn feed_problem(state: &AppState) -> Option<String> {
    let venue = state.market_venue.as_str().to_uppercase();
    match state.connections.get(&state.market_venue)? {
        ConnState::Live | ConnState::Connecting => None,
        c => Some(format!("{venue} feed {}", describe(c))),
    }
}
