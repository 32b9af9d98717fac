//! Binance Spot: wire parsing, signed REST, market streams and the WebSocket API user stream.
//!
//! Trading (signed REST, user data stream): [`sign`], [`trade`] (the raw client named after
//! endpoints), [`user`] and [`broker`] (the `Broker` implementation).
//!
//! Market data: [`parse`] turns stream frames into domain types,
//! [`depth`] is the allocation-free depth-diff decoder, [`streams`] names streams,
//! [`market_rest`] fetches exchangeInfo / depth / klines / tickers through the weight
//! [`limiter`], and [`feed`] runs the combined-stream connections.

pub mod broker;
pub mod depth;
pub mod feed;
pub mod headless;
pub mod limiter;
pub mod market_rest;
pub mod parse;
mod scan;
pub mod sign;
pub mod streams;
pub mod trade;
pub mod trade_error;
pub mod trade_wire;
pub mod user;
pub mod user_wire;
pub mod wire;

pub use scan::ScanError;

/// Where the Binance venue lives. The same code talks to the real exchange, the testnet or the
/// built-in simulator; only these URLs change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BinanceEndpoints {
    /// REST base, e.g. `https://api.binance.com` (no trailing `/api`).
    pub rest_url: String,
    /// Market-stream base, e.g. `wss://stream.binance.com:9443`. A trailing `/ws` or `/stream`
    /// is accepted and ignored: the feed connects to `<ws_url>/stream`.
    pub ws_url: String,
}

impl Default for BinanceEndpoints {
    /// The production endpoints.
    fn default() -> Self {
        Self {
            rest_url: "https://api.binance.com".into(),
            ws_url: "wss://stream.binance.com:9443".into(),
        }
    }
}

impl BinanceEndpoints {
    /// The combined-stream URL: `<ws_url>/stream`.
    pub fn stream_url(&self) -> String {
        let base = self.ws_url.trim_end_matches('/');
        let base = base
            .strip_suffix("/stream")
            .or_else(|| base.strip_suffix("/ws"))
            .unwrap_or(base);
        format!("{base}/stream")
    }
}
