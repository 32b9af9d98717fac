//! Command-line interface (clap derive): global options and every subcommand.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// A keyboard-driven terminal trading client: live order books, charts and orders on Binance,
/// Alpaca and a paper broker.
#[derive(Debug, Parser)]
#[command(name = "speedtrade", version, propagate_version = true, about, long_about = None)]
pub struct Cli {
    /// Config file to layer over the defaults [default: ~/.config/speedtrade/config.toml].
    #[arg(long, global = true, env = "SPEEDTRADE_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Where the history database and logs live [default: ~/.local/share/speedtrade].
    #[arg(long, global = true, env = "SPEEDTRADE_DATA_DIR", value_name = "PATH")]
    pub data_dir: Option<PathBuf>,
    /// Log level or filter (trace, debug, info, warn, error; e.g. "speedtrade=debug").
    #[arg(long, global = true, value_name = "LEVEL")]
    pub log_level: Option<String>,
    /// Serve Prometheus metrics (feed counters) at http://ADDR/metrics; loopback only, e.g.
    /// `127.0.0.1:9464` or just `9464`. Off by default.
    #[arg(long, global = true, value_name = "ADDR", value_parser = crate::runtime::metrics::parse_listen_addr)]
    pub metrics: Option<std::net::SocketAddr>,
    /// What to run; without one, the terminal UI starts.
    #[command(subcommand)]
    pub command: Option<Cmd>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Open the terminal UI (the default).
    Tui,
    /// Start the built-in exchange simulator and open the UI against it (no network needed).
    /// Takes the simulator's flags, e.g. `--rate 1000` or fault flags.
    Demo(crate::sim::SimArgs),
    /// Run the exchange simulator (Binance Spot protocol on 127.0.0.1) until killed.
    Sim(crate::sim::SimArgs),
    /// Print one JSON line per order book change for a symbol.
    Book(BookArgs),
    /// Print trade and ticker lines for symbols.
    Watch(WatchArgs),
    /// Place, cancel or look up an order.
    #[command(subcommand)]
    Order(OrderCmd),
    /// List orders from the journal as JSON.
    Orders(OrdersArgs),
    /// Manage API keys in the OS keyring.
    #[command(subcommand)]
    Keys(KeysCmd),
    /// Export history as CSV or JSON.
    Export(ExportArgs),
    /// Record trades and book diffs of symbols into the history file (for `replay`).
    Record(RecordArgs),
    /// Play a recording back through the feed, at a chosen speed.
    Replay(ReplayArgs),
    /// Check the config, data dir, keyring, terminal and venue connectivity.
    Doctor,
    /// Print shell completions.
    Completions {
        /// Shell to generate for.
        shell: clap_complete::Shell,
    },
}

/// `speedtrade book`.
#[derive(Debug, Args)]
pub struct BookArgs {
    /// Symbol, e.g. BTCUSDT.
    pub symbol: String,
    /// Market data venue.
    #[arg(long, default_value = "binance")]
    pub venue: String,
    /// Levels per side to print.
    #[arg(long, default_value_t = 10)]
    pub depth: usize,
    /// Exit after this many lines.
    #[arg(long)]
    pub max_events: Option<u64>,
}

/// `speedtrade watch`.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Symbols to watch.
    #[arg(required = true)]
    pub symbols: Vec<String>,
    /// Market data venue.
    #[arg(long, default_value = "binance")]
    pub venue: String,
    /// Exit after this many lines.
    #[arg(long)]
    pub max_events: Option<u64>,
}

/// `speedtrade order ...`.
#[derive(Debug, Subcommand)]
pub enum OrderCmd {
    /// Validate, journal and send an order.
    Place(PlaceArgs),
    /// Cancel an order by client order id.
    Cancel {
        /// Client order id.
        id: String,
    },
    /// Show an order by client order id (reconciled with the venue).
    Status {
        /// Client order id.
        id: String,
    },
}

/// `speedtrade order place`.
#[derive(Debug, Args)]
pub struct PlaceArgs {
    /// Broker: paper, binance or alpaca.
    #[arg(long, default_value = "paper")]
    pub venue: String,
    /// Symbol.
    #[arg(long)]
    pub symbol: String,
    /// buy or sell.
    #[arg(long)]
    pub side: String,
    /// market, limit, stop-limit or post-only.
    #[arg(long = "type", default_value = "limit")]
    pub order_type: String,
    /// Quantity in base units.
    #[arg(long)]
    pub qty: String,
    /// Limit price.
    #[arg(long)]
    pub price: Option<String>,
    /// Stop (trigger) price.
    #[arg(long)]
    pub stop: Option<String>,
    /// gtc, ioc, fok or day.
    #[arg(long)]
    pub tif: Option<String>,
    /// Do not ask for confirmation (required for live orders without a terminal).
    #[arg(long)]
    pub yes: bool,
}

/// `speedtrade orders`.
#[derive(Debug, Args)]
pub struct OrdersArgs {
    /// Only orders that are still open.
    #[arg(long)]
    pub open: bool,
}

/// Key profile: Alpaca's paper keys differ from its live keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Profile {
    /// Paper-trading keys.
    Paper,
    /// Live keys.
    Live,
}

/// `speedtrade keys ...`.
#[derive(Debug, Subcommand)]
pub enum KeysCmd {
    /// Store a key and secret (read without echo, or from stdin with --stdin).
    Set {
        /// binance or alpaca.
        venue: String,
        /// Which keys.
        #[arg(long, value_enum, default_value = "live")]
        profile: Profile,
        /// Read "key" and "secret" as two lines from standard input.
        #[arg(long)]
        stdin: bool,
    },
    /// Say which store holds each key and whether it survives a reboot.
    Status {
        /// Only this venue.
        venue: Option<String>,
    },
    /// Remove a key and secret.
    Delete {
        /// binance or alpaca.
        venue: String,
        /// Which keys.
        #[arg(long, value_enum, default_value = "live")]
        profile: Profile,
    },
}

/// What `speedtrade export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportWhat {
    /// The order journal.
    Orders,
    /// Executions.
    Fills,
    /// Cached candles.
    Candles,
    /// Equity history.
    Portfolio,
}

/// Export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// Comma-separated values with a header row.
    Csv,
    /// One JSON object per line.
    Json,
}

/// `speedtrade export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// What to export.
    #[arg(value_enum)]
    pub what: ExportWhat,
    /// Output format.
    #[arg(long, value_enum, default_value = "csv")]
    pub format: ExportFormat,
    /// Only rows on or after this date (YYYY-MM-DD, UTC).
    #[arg(long)]
    pub since: Option<String>,
}

/// `speedtrade record`.
#[derive(Debug, Args)]
pub struct RecordArgs {
    /// Symbols to record, e.g. BTCUSDT ETHUSDT.
    #[arg(required = true)]
    pub symbols: Vec<String>,
    /// Stop after this long (e.g. 90s, 10m, 2h); without it, record until Ctrl-C.
    #[arg(long, value_name = "DURATION")]
    pub duration: Option<String>,
    /// Levels a side in each REST book snapshot (Binance weight grows with it).
    #[arg(long, default_value_t = 1000)]
    pub snapshot_depth: u32,
}

/// `speedtrade replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Playback speed: a factor of real time (1, 10, 0.5), or max (or 0) for as fast as
    /// possible.
    #[arg(long, default_value = "1", value_parser = crate::replay::parse_speed)]
    pub speed: crate::replay::Speed,
    /// Only these symbols (comma separated; default: all recorded ones).
    #[arg(long, value_delimiter = ',')]
    pub symbols: Vec<String>,
    /// Start this far into the recording (90s, 5m) or at a UTC time (2024-05-31T12:00:00Z).
    #[arg(long, value_parser = crate::replay::parse_from)]
    pub from: Option<crate::replay::ReplayFrom>,
    /// The recording to play (default: the newest; see --list).
    #[arg(long)]
    pub recording: Option<i64>,
    /// List the recordings and exit.
    #[arg(long)]
    pub list: bool,
    /// Print the replayed trades and book as JSON lines instead of opening the UI.
    #[arg(long)]
    pub headless: bool,
    /// Book levels a side printed with --headless.
    #[arg(long, default_value_t = 10)]
    pub depth: usize,
    /// Port of the replay server on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Only serve the recording (print its URLs as JSON, run until Ctrl-C) for another client.
    #[arg(long, conflicts_with = "headless")]
    pub serve: bool,
}
