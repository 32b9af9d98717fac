//! Commands: the effects `update` asks for. The runtime performs them and feeds results back
//! as actions, so `update` itself stays pure and testable.

use super::lists::NamedList;
use crate::alerts::{AlertId, AlertSpec, AlertStatus, AlertTrigger};
use crate::domain::{ClientOrderId, Interval, Symbol, VenueId};
use crate::orders::OrderDraft;
use crate::portfolio::EquitySnapshot;
use crate::screener::Filter;

/// An effect requested by `update`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Restore the terminal and exit.
    Quit,
    /// Clear the terminal and draw everything again.
    ClearScreen,
    /// Ring the terminal bell.
    Bell,
    /// The selected symbol changed: stream its book, trades and candles.
    SelectSymbol(Symbol),
    /// The chart needs candles of this interval for this symbol (backfill + stream).
    ChartInterval(Symbol, Interval),
    /// Journal and send a checked order.
    PlaceOrder(OrderDraft),
    /// Cancel one order.
    CancelOrder {
        /// Broker.
        venue: VenueId,
        /// Instrument.
        symbol: Symbol,
        /// Our id.
        id: ClientOrderId,
    },
    /// Store a new alert (the store gives it its id; it comes back as `Action::AlertSaved`).
    CreateAlert(AlertSpec),
    /// Record a trigger and the alert's status after it.
    AlertFired(AlertTrigger, AlertStatus),
    /// Delete an alert.
    DeleteAlert(AlertId),
    /// Turn an alert on or off.
    SetAlertEnabled(AlertId, bool),
    /// Alerts exist for these symbols: stream their trades.
    AlertSymbols(Vec<Symbol>),
    /// Keep these lists (and which one is shown) in the history file.
    SaveLists(Vec<NamedList>, usize),
    /// The shown list changed: stream tickers for these symbols.
    WatchSymbols(Vec<Symbol>),
    /// Screen every symbol of the market venue with this filter.
    Screen(Filter),
    /// Start or stop recording the tape of these symbols into the history file.
    Record(Option<Vec<Symbol>>),
    /// Store a point of the equity curve.
    SaveEquity(EquitySnapshot),
    /// Ask the broker for balances and positions (after a fill).
    RefreshAccount,
    /// Cancel every open order for a symbol.
    CancelAll {
        /// Broker.
        venue: VenueId,
        /// Instrument.
        symbol: Symbol,
    },
}
