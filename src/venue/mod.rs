//! Venues: Binance (market data + broker), Alpaca (stocks), and the paper broker.

pub mod alpaca;
pub mod binance;
pub mod paper;
