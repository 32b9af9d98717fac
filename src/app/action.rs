//! Actions: everything that can change the application state — user actions bound to keys,
//! raw input, timer ticks, and results from the network and the brokers.

use super::keymap::KeyPress;
use super::lists::NamedList;
use super::state::{FeedReport, Level};
use crate::alerts::{Alert, AlertTrigger};
use crate::domain::{Fill, Instrument, Order, Ticker24h, TimeMs, VenueId};
use crate::portfolio::EquitySnapshot;
use crate::venue::AccountSnapshot;
use crate::venue::MarketEvent;

/// What a user can bind a key to. The names are the ones used in the `[keys]` config table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UserAction {
    /// Leave the program (asks first if a ticket is being edited).
    Quit,
    /// Show or hide the key help.
    Help,
    /// Open the `:` command line.
    CommandLine,
    /// Open the `/` symbol search.
    Search,
    /// Move focus to the next pane.
    FocusNext,
    /// Move focus to the previous pane.
    FocusPrev,
    /// Move up in the focused pane.
    Up,
    /// Move down in the focused pane.
    Down,
    /// Move left / scroll back in the focused pane.
    Left,
    /// Move right / scroll forward in the focused pane.
    Right,
    /// Jump to the top.
    Top,
    /// Jump to the bottom.
    Bottom,
    /// Page up.
    PageUp,
    /// Page down.
    PageDown,
    /// Select / confirm.
    Select,
    /// Close the overlay or cancel the input.
    Back,
    /// Next bottom tab.
    NextTab,
    /// Previous bottom tab.
    PrevTab,
    /// Bottom tab 1 (open orders).
    Tab1,
    /// Bottom tab 2 (order history).
    Tab2,
    /// Bottom tab 3 (fills).
    Tab3,
    /// Bottom tab 4 (positions).
    Tab4,
    /// Bottom tab 5 (alerts).
    Tab5,
    /// Bottom tab 6 (log).
    Tab6,
    /// Open a buy ticket for the selected symbol.
    Buy,
    /// Open a sell ticket for the selected symbol.
    Sell,
    /// Cancel the selected order.
    Cancel,
    /// Cancel every open order for the symbol.
    CancelAll,
    /// Next chart interval.
    NextInterval,
    /// Previous chart interval.
    PrevInterval,
    /// Zoom the chart in.
    ZoomIn,
    /// Zoom the chart out.
    ZoomOut,
    /// Switch the chart between candles and a line.
    ChartMode,
    /// Clear and redraw the whole screen.
    Redraw,
    /// Cycle the watchlist order: yours, by name, by change, by volume.
    Sort,
    /// Add the selected symbol to the shown list.
    WatchAdd,
    /// Remove the highlighted symbol from the shown list.
    WatchRemove,
    /// Move the highlighted symbol up the list.
    MoveUp,
    /// Move the highlighted symbol down the list.
    MoveDown,
    /// Show the next watchlist.
    NextList,
    /// Show the previous watchlist.
    PrevList,
}

impl UserAction {
    /// Every action, in help order: (action, config name, description).
    pub const TABLE: [(UserAction, &'static str, &'static str); 41] = [
        (UserAction::Quit, "quit", "quit"),
        (UserAction::Help, "help", "show / hide this help"),
        (UserAction::CommandLine, "command_line", "command line"),
        (UserAction::Search, "search", "symbol search"),
        (UserAction::FocusNext, "focus_next", "next pane"),
        (UserAction::FocusPrev, "focus_prev", "previous pane"),
        (UserAction::Up, "up", "up"),
        (UserAction::Down, "down", "down"),
        (UserAction::Left, "left", "left / back in time"),
        (UserAction::Right, "right", "right / forward in time"),
        (UserAction::Top, "top", "top"),
        (UserAction::Bottom, "bottom", "bottom"),
        (UserAction::PageUp, "page_up", "page up"),
        (UserAction::PageDown, "page_down", "page down"),
        (UserAction::Select, "select", "select / confirm"),
        (UserAction::Back, "back", "close / cancel"),
        (UserAction::NextTab, "next_tab", "next bottom tab"),
        (UserAction::PrevTab, "prev_tab", "previous bottom tab"),
        (UserAction::Tab1, "tab_1", "open orders tab"),
        (UserAction::Tab2, "tab_2", "order history tab"),
        (UserAction::Tab3, "tab_3", "fills tab"),
        (UserAction::Tab4, "tab_4", "positions tab"),
        (UserAction::Tab5, "tab_5", "alerts tab"),
        (UserAction::Tab6, "tab_6", "log tab"),
        (UserAction::Buy, "buy", "buy ticket"),
        (UserAction::Sell, "sell", "sell ticket"),
        (UserAction::Cancel, "cancel", "cancel selected order"),
        (
            UserAction::CancelAll,
            "cancel_all",
            "cancel all orders (symbol)",
        ),
        (
            UserAction::NextInterval,
            "next_interval",
            "next chart interval",
        ),
        (
            UserAction::PrevInterval,
            "prev_interval",
            "previous chart interval",
        ),
        (UserAction::ZoomIn, "zoom_in", "zoom chart in"),
        (UserAction::ZoomOut, "zoom_out", "zoom chart out"),
        (UserAction::ChartMode, "chart_mode", "candles / line"),
        (UserAction::Redraw, "redraw", "redraw screen"),
        (UserAction::Sort, "sort", "sort watchlist"),
        (UserAction::WatchAdd, "watch_add", "add symbol to the list"),
        (
            UserAction::WatchRemove,
            "watch_remove",
            "remove symbol from the list",
        ),
        (UserAction::MoveUp, "move_up", "move symbol up the list"),
        (
            UserAction::MoveDown,
            "move_down",
            "move symbol down the list",
        ),
        (UserAction::NextList, "next_list", "next watchlist"),
        (UserAction::PrevList, "prev_list", "previous watchlist"),
    ];

    /// Every action, in help order.
    pub const ALL: [UserAction; 41] = {
        let mut all = [UserAction::Quit; 41];
        let mut i = 0;
        while i < 41 {
            all[i] = Self::TABLE[i].0;
            i += 1;
        }
        all
    };

    /// Looks an action up by its config name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::TABLE
            .iter()
            .find(|(_, n, _)| *n == name)
            .map(|(a, _, _)| *a)
    }
    /// The config name.
    pub fn name(self) -> &'static str {
        Self::TABLE
            .iter()
            .find(|(a, _, _)| *a == self)
            .map_or("", |(_, n, _)| n)
    }
    /// One-line description for the help overlay.
    pub fn description(self) -> &'static str {
        Self::TABLE
            .iter()
            .find(|(a, _, _)| *a == self)
            .map_or("", |(_, _, d)| d)
    }
}

/// Everything that reaches `update`.
#[derive(Debug, Clone)]
pub enum Action {
    /// A key press, resolved through the key map or typed into an input.
    Key(KeyPress),
    /// Text pasted into the terminal (bracketed paste).
    Paste(String),
    /// A user action (from the key map, the command line, or a test).
    User(UserAction),
    /// The 1 Hz clock: the current time.
    Tick(TimeMs),
    /// The terminal was resized to (columns, rows).
    Resize(u16, u16),
    /// Market data.
    Market(MarketEvent),
    /// SIGTERM, SIGHUP or SIGINT: leave now, cleanly.
    Signal(&'static str),
    /// The latest state of one of our orders.
    Order(Box<Order>),
    /// One of our orders filled (reported once per venue trade id).
    Fill(Fill),
    /// Instruments (filters) loaded from a venue.
    Instruments(Vec<Instrument>),
    /// A message for the user from the runtime (order errors, retries, key problems).
    Notice(Level, String),
    /// The market feed's counters (once a second).
    FeedStats(FeedReport),
    /// Orders and fills from the journal, at start (no bell, no log lines).
    BlotterLoaded(Vec<Order>, Vec<Fill>),
    /// A broker's balances and positions.
    Account(VenueId, AccountSnapshot),
    /// Stored equity-curve points, at start.
    EquityLoaded(Vec<EquitySnapshot>),
    /// Stored watchlists and which one is shown, at start.
    ListsLoaded(Vec<NamedList>, usize),
    /// Symbols that passed a `:screen`, with their tickers, and the filter's text.
    ScreenResults(String, Vec<Ticker24h>),
    /// Every instrument of the venue, indexed for the search.
    SymbolIndex(std::sync::Arc<crate::search::SymbolIndex>),
    /// Stored alerts and recent triggers, at start.
    AlertsLoaded(Vec<Alert>, Vec<AlertTrigger>),
    /// A new alert, with the id the store gave it.
    AlertSaved(Alert),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        let mut names: Vec<_> = UserAction::TABLE.iter().map(|(_, n, _)| *n).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), UserAction::TABLE.len());
        for a in UserAction::ALL {
            assert_eq!(UserAction::from_name(a.name()), Some(a));
            assert!(!a.description().is_empty());
        }
    }
}
