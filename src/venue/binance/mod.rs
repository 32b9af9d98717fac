//! Binance Spot: wire parsing, signed REST, market streams and the WebSocket API user stream.
//!
//! Market data (this folder's public half): [`parse`] turns stream frames into domain types,
//! [`depth`] is the allocation-free depth-diff decoder, [`streams`] names streams,
//! [`market_rest`] fetches exchangeInfo / depth / klines / tickers through the weight
//! [`limiter`], and [`feed`] runs the combined-stream connections.

pub mod depth;
pub mod parse;
mod scan;
pub mod streams;
pub mod wire;

pub use scan::ScanError;
