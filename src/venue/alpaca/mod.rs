//! Alpaca (US stocks): REST v2 trading, the `trade_updates` stream and the market data stream v2.
//!
//! Layout (a raw client named after endpoints, wrapped by a client named by intent):
//! - [`AlpacaBroker`] (`broker.rs`): the [`crate::venue::Broker`] implementation plus symbol
//!   search ([`AlpacaBroker::instruments`]) and chart backfill ([`AlpacaBroker::candles`]).
//! - `rest.rs`: the raw REST client, one method per endpoint; `errors.rs` classifies HTTP
//!   failures into [`crate::venue::BrokerError`].
//! - [`AlpacaTradingStream`] (`trading_stream.rs`): `trade_updates` → [`crate::venue::BrokerEvent`].
//! - [`AlpacaDataFeed`] (`data.rs`): trades, quotes and bars → [`crate::venue::MarketEvent`].
//! - `wire.rs` / `wire_stream.rs`: the venue's JSON shapes; [`parse`]: wire → domain. Nothing
//!   outside this folder sees Alpaca JSON.
//!
//! Putting it together (the lead maps config onto [`AlpacaEndpoints`] and the keyring onto
//! [`AlpacaCredentials`]):
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use speedtrade::domain::Symbol;
//! use speedtrade::venue::alpaca::*;
//! use tokio::sync::mpsc;
//!
//! let endpoints = AlpacaEndpoints::paper();
//! let keys = Some(AlpacaCredentials::new("PK...", "..."));
//! let broker = AlpacaBroker::new(&endpoints, keys.clone())?.with_feed(AlpacaFeed::Iex);
//!
//! let (market_tx, _market_rx) = mpsc::channel(1024);
//! let feed = AlpacaDataFeed::spawn(&endpoints, keys.clone(), AlpacaDataOptions::default(), market_tx)?;
//! feed.subscribe(&[Symbol::new("AAPL")?], AlpacaChannels::default());
//!
//! let (order_tx, _order_rx) = mpsc::channel(256);
//! let _updates = AlpacaTradingStream::spawn(&endpoints, keys, AlpacaStreamOptions::default(), order_tx)?;
//! let _history = broker.candles(&Symbol::new("AAPL")?, speedtrade::domain::Interval::M5, 300, None).await?;
//! # Ok(()) }
//! ```
//!
//! Numbers: the trading API sends decimals as strings, which are parsed exactly. The market data
//! stream and the bars endpoint send JSON *numbers* (`"p": 126.55`); those are read as the raw
//! number token via `serde_json::value::RawValue` (feature `raw_value`) and parsed from that text,
//! never through `f64`.

mod backoff;
mod broker;
mod credentials;
mod data;
mod data_options;
mod data_state;
mod errors;
mod num;
mod order_body;
pub mod parse;
mod parse_stream;
mod reconnect;
mod rest;
mod trading_stream;
mod wire;
mod wire_stream;
mod ws;

pub use broker::AlpacaBroker;
pub use credentials::AlpacaCredentials;
pub use data::AlpacaDataFeed;
pub use data_options::{AlpacaChannels, AlpacaDataOptions, AlpacaFeed};
pub use parse::{AlpacaParseError, CancelAllEntry, stock_tick_size};
pub use parse_stream::{AlpacaDataItem, AlpacaStreamItem, parse_data_frame, parse_stream_message};
pub use trading_stream::{AlpacaStreamOptions, AlpacaTradingStream};

/// Base URLs for one Alpaca account (paper or live). The lead maps config onto this; the
/// [`Default`] is the paper account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlpacaEndpoints {
    /// Trading REST v2 base, e.g. `https://paper-api.alpaca.markets`.
    pub trading_url: String,
    /// Market data stream base without the feed, e.g. `wss://stream.data.alpaca.markets/v2`;
    /// the feed (`iex`, `sip`, `test`) is appended as the last path segment.
    pub data_ws_url: String,
    /// `trade_updates` stream, e.g. `wss://paper-api.alpaca.markets/stream`.
    pub trading_ws_url: String,
    /// Market data REST base (bars), e.g. `https://data.alpaca.markets`.
    pub data_rest_url: String,
}

impl AlpacaEndpoints {
    /// The paper-trading account (paper keys are separate credentials).
    pub fn paper() -> Self {
        Self {
            trading_url: "https://paper-api.alpaca.markets".into(),
            data_ws_url: "wss://stream.data.alpaca.markets/v2".into(),
            trading_ws_url: "wss://paper-api.alpaca.markets/stream".into(),
            data_rest_url: "https://data.alpaca.markets".into(),
        }
    }

    /// The live account: real money.
    pub fn live() -> Self {
        Self {
            trading_url: "https://api.alpaca.markets".into(),
            trading_ws_url: "wss://api.alpaca.markets/stream".into(),
            ..Self::paper()
        }
    }
}

impl Default for AlpacaEndpoints {
    fn default() -> Self {
        Self::paper()
    }
}

/// Why an Alpaca client could not be built. Shown to the user as is (never contains a secret).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlpacaSetupError {
    /// No API key configured.
    #[error(
        "Alpaca {what} needs API keys: run `speedtrade keys set alpaca` (add `--profile live` for \
         the live account), or set SPEEDTRADE_ALPACA_API_KEY and SPEEDTRADE_ALPACA_API_SECRET"
    )]
    MissingKeys {
        /// What needed them ("market data", "trading").
        what: &'static str,
    },
    /// A key holds characters an HTTP header cannot carry (usually a paste accident).
    #[error(
        "the Alpaca {which} contains characters that cannot be sent (spaces or control \
         characters?): set it again with `speedtrade keys set alpaca`"
    )]
    BadKey {
        /// `key id` or `secret`.
        which: &'static str,
    },
    /// A configured URL is not usable.
    #[error("invalid Alpaca URL `{url}`: {reason}")]
    BadUrl {
        /// The URL as configured.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The HTTP client could not be built.
    #[error("could not set up the HTTP client: {0}")]
    Http(String),
}

/// Makes sure a rustls crypto provider is installed (reqwest and tungstenite are built without
/// one). Does nothing if the application already installed one.
pub(crate) fn ensure_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing a race with another thread installing one is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_paper_account() {
        let d = AlpacaEndpoints::default();
        assert_eq!(d, AlpacaEndpoints::paper());
        assert!(d.trading_url.contains("paper-api"));
        assert!(d.trading_ws_url.contains("paper-api"));
        let live = AlpacaEndpoints::live();
        assert_eq!(live.trading_url, "https://api.alpaca.markets");
        assert_eq!(live.data_ws_url, d.data_ws_url);
    }

    #[test]
    fn missing_keys_message_says_how_to_fix_it() {
        let msg = AlpacaSetupError::MissingKeys {
            what: "market data",
        }
        .to_string();
        assert!(msg.contains("speedtrade keys set alpaca"), "{msg}");
        assert!(msg.contains("SPEEDTRADE_ALPACA_API_KEY"), "{msg}");
        assert!(msg.contains("SPEEDTRADE_ALPACA_API_SECRET"), "{msg}");
    }
}
