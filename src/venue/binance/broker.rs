//! The `Broker` implementation for Binance.
