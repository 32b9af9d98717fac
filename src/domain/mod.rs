//! Venue-neutral domain types: exact numbers, symbols, market data, instruments and orders.

pub mod instrument;
pub mod market;
pub mod num;
pub mod order;
pub mod symbol;

pub use instrument::{FilterError, Instrument};
pub use market::{BookTop, Candle, Interval, Level, Side, Ticker24h, TimeMs, Trade};
pub use num::{NumError, Price, Qty, notional};
pub use order::{
    ClientOrderId, Fill, Order, OrderAmount, OrderRequest, OrderStatus, OrderType, TimeInForce,
};
pub use symbol::{Symbol, SymbolError, VenueId};

/// Wall-clock time in milliseconds since the Unix epoch.
pub fn now_ms() -> TimeMs {
    chrono::Utc::now().timestamp_millis()
}
