//! Price alerts: above / below / crossing / % move over a window, one-shot or repeating,
//! evaluated on every trade and indexed by symbol.
//!
//! ```
//! use speedtrade::alerts::{AlertEngine, parse_alert};
//! use speedtrade::domain::{Price, Qty, Side, Symbol, Trade};
//!
//! let mut alerts = AlertEngine::new();
//! let id = alerts.add(parse_alert("alert BTCUSDT above 100000").unwrap(), 0);
//! let trade = |price: i64, time: i64| Trade {
//!     symbol: Symbol::new("BTCUSDT").unwrap(),
//!     id: 1,
//!     price: Price::from_int(price),
//!     qty: Qty::ONE,
//!     taker_side: Side::Buy,
//!     time,
//! };
//! assert!(alerts.on_trade(&trade(99_990, 1_000)).is_empty());
//! let fired = alerts.on_trade(&trade(100_010, 2_000));
//! assert_eq!(fired[0].alert_id, id);
//! assert_eq!(fired[0].message, "BTCUSDT at 100010: above 100000");
//! ```
//!
//! [`Alert`]s are serde structs with ids: the store keeps them, [`AlertEngine::load`] takes them
//! back. After a fire the app should store the alert again ([`AlertEngine::get`]), since its
//! status, `last_fired` and `fire_count` changed. The re-arm rules are on [`AlertEngine`].

mod engine;
mod model;
mod parse;
mod window;

pub mod persist;

pub use engine::AlertEngine;
pub use model::{
    Alert, AlertId, AlertSpec, AlertStatus, AlertTrigger, Condition, DEFAULT_COOLDOWN_MS, MoveDir,
    Repeat, fmt_duration,
};
pub use parse::{AlertParseError, parse_alert, parse_duration};
pub use window::PriceWindow;
