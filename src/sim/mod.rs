//! The built-in exchange simulator: a loopback server speaking the Binance Spot wire protocol.
