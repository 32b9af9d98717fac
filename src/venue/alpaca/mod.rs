//! Alpaca: REST v2 trading and the market data / trade_updates streams.
