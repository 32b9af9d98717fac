//! The built-in exchange simulator: a loopback server speaking the Binance Spot wire protocol.

pub mod account;
pub mod args;
pub mod book;
pub mod candles;
pub mod engine;
pub mod errors;
pub mod events;
pub mod history;
pub mod market;
pub mod matching;
pub mod orders;
pub mod params;
pub mod symbols;
pub mod user_events;
pub mod wire;
