//! Binance Spot: wire parsing, signed REST, market streams and the WebSocket API user stream.
