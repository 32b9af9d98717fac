//! The configuration schema: one struct per TOML section, every field documented in
//! `config.example.toml`.

use crate::domain::{Interval, Symbol, TimeInForce, VenueId};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;

/// The whole configuration, after layering the user's file over the embedded defaults.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Trading mode and venue choice.
    pub general: General,
    /// Screen settings.
    pub ui: Ui,
    /// Order entry limits.
    pub trading: Trading,
    /// The paper broker.
    pub paper: Paper,
    /// Chart overlays.
    pub indicators: Indicators,
    /// Venue endpoints and options.
    pub venues: Venues,
    /// The history file.
    pub storage: Storage,
    /// Log file settings.
    pub logging: Logging,
    /// Key bindings: key text → action name (parsed by `app::keymap`).
    pub keys: BTreeMap<String, String>,
}

/// `paper` or `live`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Orders go to the in-process paper broker.
    Paper,
    /// Orders go to the configured broker with real money.
    Live,
}

/// `[general]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct General {
    /// Paper or live.
    pub mode: Mode,
    /// Where live orders go.
    pub broker: VenueId,
    /// Which venue's market data the screen shows.
    pub market: VenueId,
}

/// Colour themes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ThemeName {
    /// Light text on a dark terminal.
    Dark,
    /// Dark text on a light terminal.
    Light,
    /// No colours (also forced by `NO_COLOR`).
    Mono,
}

/// Clock shown in the status bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClockZone {
    /// The machine's local time zone.
    Local,
    /// UTC.
    Utc,
}

/// The third column of the order-book ladder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BookTotal {
    /// Each level's value in the quote currency (price × size), as Binance's own ladder shows.
    Notional,
    /// The running size from the best price to the level (moves on every row below a change).
    Sum,
    /// No third column: more room for the depth bars.
    None,
}

/// `[ui]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ui {
    /// Highest redraw rate, as a frame interval in whole milliseconds (30 → 33 ms).
    pub fps: u32,
    /// Colour theme.
    pub theme: ThemeName,
    /// Unicode block / line characters.
    pub unicode: bool,
    /// Symbol selected at start.
    pub default_symbol: Symbol,
    /// Default watchlist.
    pub watchlist: Vec<Symbol>,
    /// Chart interval at start.
    pub chart_interval: Interval,
    /// Ladder levels per side.
    pub book_levels: u16,
    /// The ladder's third column.
    pub book_total: BookTotal,
    /// Trades kept in the tape.
    pub tape_len: usize,
    /// Status bar clock.
    pub clock: ClockZone,
}

/// `[trading]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trading {
    /// Largest notional per order.
    #[serde(deserialize_with = "exact_decimal")]
    pub max_notional: Decimal,
    /// Confirm live orders.
    pub confirm_live: bool,
    /// Ask again past this distance from the last price, in percent.
    #[serde(deserialize_with = "exact_decimal")]
    pub far_price_pct: Decimal,
    /// Ticket's initial time in force.
    pub default_tif: TimeInForce,
}

/// `[paper]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Paper {
    /// Starting cash.
    #[serde(deserialize_with = "exact_decimal")]
    pub starting_cash: Decimal,
    /// Quote currency of the account.
    pub quote_asset: String,
    /// Maker fee rate.
    #[serde(deserialize_with = "exact_decimal")]
    pub maker_fee: Decimal,
    /// Taker fee rate.
    #[serde(deserialize_with = "exact_decimal")]
    pub taker_fee: Decimal,
}

/// `[indicators]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicators {
    /// Fast SMA period.
    pub sma_fast: usize,
    /// Slow SMA period.
    pub sma_slow: usize,
    /// EMA period.
    pub ema: usize,
    /// Draw VWAP.
    pub vwap: bool,
}

/// `[venues]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Venues {
    /// Binance Spot (or the testnet, or the simulator).
    pub binance: BinanceConfig,
    /// Alpaca.
    pub alpaca: AlpacaConfig,
}

/// `[venues.binance]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BinanceConfig {
    /// REST base URL.
    pub rest_url: String,
    /// Market streams base URL.
    pub ws_url: String,
    /// WebSocket API URL (user data stream).
    pub ws_api_url: String,
    /// recvWindow for signed requests.
    pub recv_window_ms: u32,
    /// Depth snapshot size.
    pub book_depth: u32,
}

/// Alpaca market data feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlpacaFeed {
    /// IEX (free plan).
    Iex,
    /// SIP (all exchanges, paid plan).
    Sip,
}

/// `[venues.alpaca]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlpacaConfig {
    /// Paper or live keys and URL.
    pub profile: Mode,
    /// Market data feed.
    pub feed: AlpacaFeed,
    /// Paper trading REST base.
    pub paper_trading_url: String,
    /// Live trading REST base.
    pub live_trading_url: String,
    /// Market data REST base.
    pub data_rest_url: String,
    /// Market data WebSocket base (the feed name is appended).
    pub data_ws_url: String,
    /// Stocks watchlist.
    pub watchlist: Vec<Symbol>,
}

/// `[storage]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Storage {
    /// Record the tape of watched symbols.
    pub record_trades: bool,
    /// fsync the order journal before every order is sent (survives a power cut; costs
    /// milliseconds per order).
    pub durable_journal: bool,
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// `[logging]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Logging {
    /// Level or `EnvFilter` directive.
    pub level: String,
    /// Line format.
    pub format: LogFormat,
}

/// Reads a decimal written as a string (`"0.001"`) or an integer; refuses floats, which are
/// not exact.
fn exact_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    struct V;
    impl serde::de::Visitor<'_> for V {
        type Value = Decimal;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a decimal number in quotes, e.g. \"0.001\"")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Decimal, E> {
            v.trim()
                .parse::<Decimal>()
                .map_err(|_| E::custom(format!("`{v}` is not a decimal number")))
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Decimal, E> {
            Ok(Decimal::from(v))
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Decimal, E> {
            Ok(Decimal::from(v))
        }
    }
    d.deserialize_any(V)
}
