//! The application state the screen is drawn from. Only `update` changes it; the UI reads it.

pub use super::blotter::Blotter;
use super::keymap::KeyMap;
use super::ticket::{Ticket, TicketRules};
pub use super::view::{MarketView, PriceMove, WatchSort};
use crate::config::{BookTotal, ClockZone, Config, Mode, ThemeName};
use crate::domain::{Instrument, Interval, Price, Symbol, TimeInForce, TimeMs, VenueId};
use crate::orders::OrderDraft;
use crate::series::IndicatorConfig;
use crate::venue::ConnState;
use std::collections::{BTreeMap, HashMap, VecDeque};

/// The panes that can take focus, in focus-cycling order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pane {
    /// Symbols with last price and change.
    Watchlist,
    /// Candles and overlays.
    Chart,
    /// Order-book ladder.
    Book,
    /// Trade tape.
    Tape,
    /// Order ticket.
    Ticket,
    /// Bottom tabs: orders, fills, positions, alerts, log.
    Bottom,
}

impl Pane {
    /// Focus order.
    pub const ORDER: [Pane; 6] = [
        Pane::Watchlist,
        Pane::Chart,
        Pane::Book,
        Pane::Tape,
        Pane::Ticket,
        Pane::Bottom,
    ];
    /// Title shown on the pane border.
    pub fn title(self) -> &'static str {
        match self {
            Pane::Watchlist => "Watchlist",
            Pane::Chart => "Chart",
            Pane::Book => "Order book",
            Pane::Tape => "Trades",
            Pane::Ticket => "Ticket",
            Pane::Bottom => "Activity",
        }
    }
}

/// Tabs of the bottom pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BottomTab {
    /// Open orders.
    Orders,
    /// Finished orders.
    History,
    /// Executions.
    Fills,
    /// Positions and portfolio.
    Positions,
    /// Price alerts.
    Alerts,
    /// Messages from the app and the venues.
    Log,
}

impl BottomTab {
    /// Tab order.
    pub const ALL: [BottomTab; 6] = [
        BottomTab::Orders,
        BottomTab::History,
        BottomTab::Fills,
        BottomTab::Positions,
        BottomTab::Alerts,
        BottomTab::Log,
    ];
    /// Tab label.
    pub fn title(self) -> &'static str {
        match self {
            BottomTab::Orders => "Orders",
            BottomTab::History => "History",
            BottomTab::Fills => "Fills",
            BottomTab::Positions => "Positions",
            BottomTab::Alerts => "Alerts",
            BottomTab::Log => "Log",
        }
    }
    /// Name used by the `:tab` command.
    pub fn from_name(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|t| t.title().eq_ignore_ascii_case(s))
    }
}

/// A one-line text input with a cursor (command line, search).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TextInput {
    /// The text typed so far.
    pub text: String,
    /// Cursor position in characters.
    pub cursor: usize,
}

/// What covers the panes, if anything. Only one at a time.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Overlay {
    /// Nothing: keys go through the key map.
    #[default]
    None,
    /// The key help, scrolled by this many lines.
    Help {
        /// First visible line.
        scroll: u16,
    },
    /// The `:` command line.
    CommandLine(TextInput),
    /// The `/` symbol search, with the highlighted result.
    Search {
        /// Query.
        input: TextInput,
        /// Index into the current results.
        selected: usize,
    },
    /// The order ticket.
    Ticket(Box<Ticket>),
    /// A y/N question before an order is sent.
    Confirm(Box<Confirm>),
}

/// Why an order waits for a y/N answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfirmKind {
    /// Live orders are confirmed before sending.
    Live,
    /// The limit price is this many percent from the last price.
    FarPrice(rust_decimal::Decimal),
}

/// An order waiting for confirmation, and the ticket to go back to on "no".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirm {
    /// The question.
    pub kind: ConfirmKind,
    /// The checked order.
    pub draft: OrderDraft,
    /// The ticket it came from.
    pub ticket: Ticket,
}

/// Severity of a log line or flash message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Information.
    Info,
    /// Something the user should look at.
    Warn,
    /// Something failed.
    Error,
}

/// A line in the log tab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// When.
    pub time: TimeMs,
    /// How bad.
    pub level: Level,
    /// What happened.
    pub text: String,
}

/// A message shown in the status area for a few seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    /// How bad.
    pub level: Level,
    /// What to say.
    pub text: String,
    /// When it disappears.
    pub until: TimeMs,
}

/// Display settings taken from the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Highest redraw rate.
    pub fps: u32,
    /// Colour theme (already `Mono` when `NO_COLOR` is set).
    pub theme: ThemeName,
    /// Unicode borders and blocks.
    pub unicode: bool,
    /// Clock zone.
    pub clock: ClockZone,
    /// Ladder levels per side.
    pub book_levels: u16,
    /// The ladder's third column.
    pub book_total: BookTotal,
    /// Trades kept in the tape.
    pub tape_len: usize,
    /// Chart overlays.
    pub indicators: IndicatorConfig,
}

/// How the chart is viewed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartView {
    /// Candle interval.
    pub interval: Interval,
    /// Columns per candle (1-5).
    pub zoom: u16,
    /// Candles scrolled back from the newest.
    pub offset: usize,
    /// A close-price line instead of candles.
    pub line_mode: bool,
}

/// Feed health for the status bar.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FeedStats {
    /// Market messages in the last full second.
    pub msgs_per_s: u32,
    /// Events counted by the app in the current second (used when the feed reports no rate).
    pub msgs_this_s: u32,
    /// Venue event time to local receive.
    pub latency_ms: Option<i64>,
    /// Reconnects since start.
    pub reconnects: u64,
    /// Book resyncs since start.
    pub resyncs: u64,
    /// The feed reports its own counters (then the app does not count).
    pub from_feed: bool,
}

/// Counters a feed reports once a second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FeedReport {
    /// Messages in the last full second.
    pub msgs_per_s: u32,
    /// Smoothed latency.
    pub latency_ms: i64,
    /// Reconnects since start.
    pub reconnects: u64,
    /// Book resyncs since start.
    pub resyncs: u64,
}

/// Everything the screen shows.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Display settings.
    pub settings: Settings,
    /// Key bindings.
    pub keymap: KeyMap,
    /// Paper or live.
    pub mode: Mode,
    /// Venue whose market data is shown.
    pub market_venue: VenueId,
    /// Where orders go.
    pub broker: VenueId,
    /// Focused pane.
    pub focus: Pane,
    /// What covers the panes.
    pub overlay: Overlay,
    /// Bottom pane tab.
    pub bottom_tab: BottomTab,
    /// Highlighted row in the bottom pane.
    pub bottom_cursor: usize,
    /// Named watchlists, the one shown, screen results and the filter.
    pub lists: super::lists::Lists,
    /// Highlighted watchlist row (an index into [`AppState::watch_rows`]).
    pub watch_cursor: usize,
    /// Watchlist order.
    pub watch_sort: WatchSort,
    /// Ladder grouping: levels merged into buckets of this price step (`None`: raw levels).
    pub book_group: Option<Price>,
    /// The symbol the chart, book, tape and ticket show.
    pub selected: Symbol,
    /// Chart view settings.
    pub chart: ChartView,
    /// Connection state per venue.
    pub connections: BTreeMap<VenueId, ConnState>,
    /// Feed counters.
    pub feed: FeedStats,
    /// Per-symbol market data.
    pub markets: HashMap<Symbol, MarketView>,
    /// Log tab lines, newest last, bounded.
    pub log: VecDeque<LogLine>,
    /// Transient status message.
    pub flash: Option<Flash>,
    /// Current time (from the 1 Hz clock and events).
    pub now: TimeMs,
    /// Terminal size (columns, rows).
    pub size: (u16, u16),
    /// Set when the user asked to leave.
    pub quit: bool,
    /// The badge instead of PAPER / LIVE: `DEMO` on the built-in simulator, `REPLAY`.
    pub label: Option<&'static str>,
    /// Price alerts, checked on every trade.
    pub alerts: crate::alerts::AlertEngine,
    /// Every instrument of the venue, for the `/` search (loaded in the background).
    pub symbol_index: Option<std::sync::Arc<crate::search::SymbolIndex>>,
    /// Positions, cash and the equity curve.
    pub portfolio: super::portfolio::PortfolioState,
    /// Recent alert triggers, newest first.
    pub alert_log: VecDeque<crate::alerts::AlertTrigger>,
    /// Instruments by symbol (filters for the ticket), as the venues report them.
    pub instruments: HashMap<Symbol, Instrument>,
    /// Limits and fees the ticket checks.
    pub rules: TicketRules,
    /// Time in force a new ticket starts with.
    pub default_tif: TimeInForce,
    /// Highlighted ladder row: 0 is the best bid, -1 the best ask, further from the spread
    /// outwards (`None`: no row selected).
    pub book_cursor: Option<i32>,
    /// Orders and fills for the blotter tabs.
    pub blotter: Blotter,
    /// Parts of the screen changed since the last frame (the app loop redraws and clears them).
    pub damage: super::damage::Damage,
}

/// The chart overlays the `[indicators]` config asks for.
pub fn indicator_config(c: &crate::config::Indicators) -> IndicatorConfig {
    IndicatorConfig {
        sma: vec![c.sma_fast, c.sma_slow],
        ema: vec![c.ema],
        vwap: if c.vwap { vec![0] } else { Vec::new() },
        cross: Some((c.sma_fast, c.sma_slow)),
    }
}

/// Log lines kept for the log tab.
pub const LOG_CAP: usize = 500;

impl AppState {
    /// Builds the start state from the config. `no_color` forces the mono theme.
    pub fn new(config: &Config, keymap: KeyMap, no_color: bool, now: TimeMs) -> Self {
        let ui = &config.ui;
        let watchlist = match config.general.market {
            VenueId::Alpaca => config.venues.alpaca.watchlist.clone(),
            _ => ui.watchlist.clone(),
        };
        let selected = if watchlist.contains(&ui.default_symbol) {
            ui.default_symbol.clone()
        } else {
            watchlist
                .first()
                .cloned()
                .unwrap_or_else(|| ui.default_symbol.clone())
        };
        let watch_cursor = watchlist.iter().position(|s| *s == selected).unwrap_or(0);
        Self {
            settings: Settings {
                fps: ui.fps,
                theme: if no_color { ThemeName::Mono } else { ui.theme },
                unicode: ui.unicode,
                clock: ui.clock,
                book_levels: ui.book_levels,
                book_total: ui.book_total,
                tape_len: ui.tape_len,
                indicators: indicator_config(&config.indicators),
            },
            keymap,
            mode: config.general.mode,
            market_venue: config.general.market,
            broker: match config.general.mode {
                Mode::Paper => VenueId::Paper,
                Mode::Live => config.general.broker,
            },
            focus: Pane::Watchlist,
            overlay: Overlay::None,
            bottom_tab: BottomTab::Orders,
            bottom_cursor: 0,
            lists: super::lists::Lists::new("main", watchlist),
            watch_cursor,
            watch_sort: WatchSort::Manual,
            book_group: None,
            selected,
            chart: ChartView {
                interval: ui.chart_interval,
                zoom: 2,
                offset: 0,
                line_mode: false,
            },
            connections: BTreeMap::new(),
            feed: FeedStats::default(),
            markets: HashMap::new(),
            log: VecDeque::new(),
            flash: None,
            now,
            size: (80, 24),
            quit: false,
            label: None,
            alerts: crate::alerts::AlertEngine::new(),
            symbol_index: None,
            portfolio: super::portfolio::PortfolioState::new(&config.paper.quote_asset),
            alert_log: VecDeque::new(),
            instruments: HashMap::new(),
            rules: TicketRules {
                max_notional: config.trading.max_notional,
                confirm_live: config.trading.confirm_live,
                far_price_pct: config.trading.far_price_pct,
                taker_fee: config.paper.taker_fee,
                maker_fee: config.paper.maker_fee,
            },
            default_tif: config.trading.default_tif,
            book_cursor: None,
            blotter: Blotter::default(),
            damage: super::damage::Damage::ALL,
        }
    }

    /// Market data of the selected symbol, if any has arrived.
    pub fn selected_market(&self) -> Option<&MarketView> {
        self.markets.get(&self.selected)
    }

    /// The symbols of the list being shown, in the user's order.
    pub fn watchlist(&self) -> &[Symbol] {
        &self.lists.shown().symbols
    }

    /// The shown list in display order (sorted per [`AppState::watch_sort`], filtered by the
    /// `:filter`).
    pub fn watch_rows(&self) -> Vec<&Symbol> {
        let mut rows = super::view::sorted_rows(self.watchlist(), &self.markets, self.watch_sort);
        rows.retain(|s| super::lists::passes(self, s));
        rows
    }

    /// Appends to the log tab, dropping the oldest past [`LOG_CAP`].
    pub fn log(&mut self, level: Level, text: impl Into<String>) {
        if self.log.len() == LOG_CAP {
            self.log.pop_front();
        }
        self.log.push_back(LogLine {
            time: self.now,
            level,
            text: text.into(),
        });
    }

    /// Shows a message in the status area for `secs` seconds and logs it.
    pub fn flash(&mut self, level: Level, text: impl Into<String>, secs: i64) {
        let text = text.into();
        self.log(level, text.clone());
        self.flash = Some(Flash {
            level,
            text,
            until: self.now + secs * 1000,
        });
    }

    /// `true` when the ticket would send real orders.
    pub fn is_live(&self) -> bool {
        self.mode == Mode::Live
    }
}
