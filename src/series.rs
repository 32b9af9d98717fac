//! Trades to OHLCV candles for every interval, and SMA / EMA / VWAP indicators.
