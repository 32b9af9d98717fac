//! Which parts of the screen need drawing again: `update` marks the panes whose inputs an
//! action changed, the app loop redraws only those and clears the marks. Market data, the hot
//! path, marks precisely; every other action marks the whole screen.

use super::state::{AppState, BottomTab};
use crate::domain::TimeMs;
use crate::venue::MarketEvent;

/// A set of screen parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Damage(u16);

impl Damage {
    /// Nothing to redraw.
    pub const NONE: Damage = Damage(0);
    /// The status bar.
    pub const STATUS: Damage = Damage(1);
    /// The watchlist pane.
    pub const WATCHLIST: Damage = Damage(1 << 1);
    /// The docked ticket pane.
    pub const TICKET: Damage = Damage(1 << 2);
    /// The chart pane.
    pub const CHART: Damage = Damage(1 << 3);
    /// The order-book ladder.
    pub const BOOK: Damage = Damage(1 << 4);
    /// The trade tape.
    pub const TAPE: Damage = Damage(1 << 5);
    /// The bottom tabs.
    pub const BOTTOM: Damage = Damage(1 << 6);
    /// Everything, including overlays and whatever is outside the panes.
    pub const ALL: Damage = Damage(0xff);

    /// Whether every part of `other` is in `self`.
    pub fn contains(self, other: Damage) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether any part of `other` is in `self`.
    pub fn intersects(self, other: Damage) -> bool {
        self.0 & other.0 != 0
    }

    /// Nothing marked.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Adds `other`.
    pub fn insert(&mut self, other: Damage) {
        self.0 |= other.0;
    }

    /// Returns the marks and clears them.
    pub fn take(&mut self) -> Damage {
        std::mem::take(self)
    }
}

impl std::ops::BitOr for Damage {
    type Output = Damage;
    fn bitor(self, rhs: Damage) -> Damage {
        Damage(self.0 | rhs.0)
    }
}

/// The parts the 1 Hz clock changes, judged before it is applied: the status bar (clock,
/// messages/s), the watchlist while a price highlight is on, and the chart when a candle
/// interval ends. An equity sample or a cleared banner is caught by [`super::update`].
pub fn of_tick(state: &AppState, now: TimeMs) -> Damage {
    let mut d = Damage::STATUS;
    if state.markets.values().any(|v| v.moved.is_some()) {
        d.insert(Damage::WATCHLIST);
    }
    let interval = state.chart.interval;
    if interval.open_time(state.now) != interval.open_time(now) {
        d.insert(Damage::CHART);
    }
    d
}

/// The parts a market event changes, judged before it is applied. Display decimals that
/// widen, alerts that fire and connection changes are caught by [`super::update`], which then
/// marks everything.
pub fn of_market(state: &AppState, ev: &MarketEvent) -> Damage {
    let selected = |sym: &crate::domain::Symbol| *sym == state.selected;
    let listed = |sym: &crate::domain::Symbol| state.watchlist().contains(sym);
    // The positions tab values holdings at the last prices.
    let marks = if state.bottom_tab == BottomTab::Positions {
        Damage::BOTTOM
    } else {
        Damage::NONE
    };
    let mut d = Damage::NONE;
    match ev {
        MarketEvent::Trade(t) => {
            if selected(&t.symbol) {
                d.insert(Damage::TAPE | Damage::CHART);
            }
            if listed(&t.symbol) {
                d.insert(Damage::WATCHLIST);
            }
            d.insert(marks);
        }
        MarketEvent::Book { symbol, .. } => {
            if selected(symbol) {
                d.insert(Damage::BOOK);
            }
        }
        MarketEvent::Ticker(t) => {
            if selected(&t.symbol) {
                d.insert(Damage::CHART);
            }
            if listed(&t.symbol) {
                d.insert(Damage::WATCHLIST);
            }
            d.insert(marks);
        }
        MarketEvent::Candle {
            symbol, interval, ..
        } => {
            if selected(symbol) && *interval == state.chart.interval {
                d.insert(Damage::CHART);
            }
        }
        MarketEvent::History { symbol, .. } => {
            if selected(symbol) {
                d.insert(Damage::CHART);
            }
        }
        MarketEvent::Connection { .. } | MarketEvent::Notice { .. } => d = Damage::ALL,
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_combine_and_clear() {
        let mut d = Damage::BOOK | Damage::TAPE;
        assert!(d.contains(Damage::BOOK) && d.intersects(Damage::TAPE | Damage::CHART));
        assert!(!d.contains(Damage::BOOK | Damage::CHART));
        assert!(Damage::ALL.contains(d));
        assert_eq!(d.take(), Damage::BOOK | Damage::TAPE);
        assert!(d.is_empty());
    }
}
