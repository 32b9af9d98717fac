//! The Binance user data stream.
