//! Binance Spot: wire parsing, signed REST, market streams and the WebSocket API user stream.

pub mod broker;
pub mod sign;
pub mod trade;
pub mod trade_error;
pub mod trade_wire;
pub mod user;
pub mod user_wire;
