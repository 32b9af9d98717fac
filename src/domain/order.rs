//! Orders in domain form: what the user asks for, what the venue did, and the fills.

use super::market::{Side, TimeMs};
use super::num::{Price, Qty};
use super::symbol::{Symbol, VenueId};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Order types the ticket offers. Not every venue has every type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderType {
    /// Fill now at the best available prices.
    Market,
    /// Rest at a price or better.
    Limit,
    /// A limit order that is placed once the stop price trades.
    StopLimit,
    /// A limit order that is rejected instead of taking liquidity (Binance `LIMIT_MAKER`).
    PostOnly,
}

impl OrderType {
    /// Every type, in ticket order.
    pub const ALL: [OrderType; 4] = [
        OrderType::Market,
        OrderType::Limit,
        OrderType::StopLimit,
        OrderType::PostOnly,
    ];
    /// Name used in config, CLI and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderType::Market => "market",
            OrderType::Limit => "limit",
            OrderType::StopLimit => "stop_limit",
            OrderType::PostOnly => "post_only",
        }
    }
    /// Whether the type needs a limit price.
    pub fn needs_price(self) -> bool {
        !matches!(self, OrderType::Market)
    }
    /// Whether the type needs a stop price.
    pub fn needs_stop(self) -> bool {
        matches!(self, OrderType::StopLimit)
    }
}

impl fmt::Display for OrderType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for OrderType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().replace('-', "_").as_str() {
            "market" | "mkt" => Ok(OrderType::Market),
            "limit" | "lmt" => Ok(OrderType::Limit),
            "stop_limit" | "stoplimit" => Ok(OrderType::StopLimit),
            "post_only" | "postonly" | "limit_maker" => Ok(OrderType::PostOnly),
            other => Err(format!(
                "unknown order type `{other}` (market, limit, stop-limit, post-only)"
            )),
        }
    }
}

/// How long an order stays working.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TimeInForce {
    /// Good till cancelled.
    Gtc,
    /// Immediate or cancel: fill what can be filled now, cancel the rest.
    Ioc,
    /// Fill or kill: fill everything now or nothing.
    Fok,
    /// Until the end of the trading day (stocks).
    Day,
}

impl TimeInForce {
    /// Every value, in ticket order.
    pub const ALL: [TimeInForce; 4] = [
        TimeInForce::Gtc,
        TimeInForce::Ioc,
        TimeInForce::Fok,
        TimeInForce::Day,
    ];
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            TimeInForce::Gtc => "gtc",
            TimeInForce::Ioc => "ioc",
            TimeInForce::Fok => "fok",
            TimeInForce::Day => "day",
        }
    }
}

impl fmt::Display for TimeInForce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for TimeInForce {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        TimeInForce::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown time in force `{s}` (gtc, ioc, fok, day)"))
    }
}

/// How much to trade: base units (0.5 BTC) or a quote notional (1000 USDT worth).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "unit", content = "amount")]
pub enum OrderAmount {
    /// Quantity of the base asset.
    Base(Qty),
    /// Amount of the quote asset to spend or receive (market orders).
    Quote(Qty),
}

/// A client order id: `^[a-zA-Z0-9-_]{1,36}$`, which both Binance (36) and Alpaca (48) accept.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ClientOrderId(String);

/// A client order id that breaks the venue's rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a valid client order id (1-36 of a-z A-Z 0-9 - _)")]
pub struct ClientOrderIdError(pub String);

impl ClientOrderId {
    /// Checks `s` against `^[a-zA-Z0-9-_]{1,36}$`.
    pub fn new(s: &str) -> Result<Self, ClientOrderIdError> {
        let ok = (1..=36).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(s.to_string()))
        } else {
            Err(ClientOrderIdError(s.to_string()))
        }
    }
    /// A fresh id: `st-` + milliseconds in base 36 + `-` + 12 random alphanumerics.
    pub fn generate() -> Self {
        use rand::Rng;
        const ALNUM: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
        let mut ms = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0);
        let mut stamp = Vec::with_capacity(10);
        while ms > 0 {
            stamp.push(ALNUM[(ms % 36) as usize]);
            ms /= 36;
        }
        stamp.reverse();
        let mut rng = rand::rng();
        let tail: String = (0..12)
            .map(|_| ALNUM[rng.random_range(0..ALNUM.len())] as char)
            .collect();
        Self(format!("st-{}-{tail}", String::from_utf8_lossy(&stamp)))
    }
    /// The id text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ClientOrderId {
    type Error = ClientOrderIdError;
    fn try_from(s: String) -> Result<Self, ClientOrderIdError> {
        Self::new(&s)
    }
}

impl From<ClientOrderId> for String {
    fn from(c: ClientOrderId) -> String {
        c.0
    }
}

impl fmt::Display for ClientOrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the user asked for, fully specified, before it reaches a venue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRequest {
    /// Idempotency key, journaled before sending and reused on any resend.
    pub client_order_id: ClientOrderId,
    /// Where the order goes.
    pub venue: VenueId,
    /// Instrument.
    pub symbol: Symbol,
    /// Buy or sell.
    pub side: Side,
    /// Market, limit, ...
    pub order_type: OrderType,
    /// Base quantity or quote notional.
    pub amount: OrderAmount,
    /// Limit price (not for market orders).
    pub price: Option<Price>,
    /// Trigger price (stop-limit).
    pub stop_price: Option<Price>,
    /// Time in force.
    pub tif: TimeInForce,
}

/// Venue-neutral order status. See `orders.rs` for the allowed transitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Journaled locally; not yet sent.
    PendingSubmit,
    /// Sent, but the reply was lost (timeout, 5xx, dropped connection): must be reconciled.
    Unknown,
    /// Accepted and working.
    New,
    /// Some quantity filled, the rest working.
    PartiallyFilled,
    /// Completely filled.
    Filled,
    /// Cancel requested, not yet confirmed.
    PendingCancel,
    /// Cancelled (possibly after partial fills).
    Canceled,
    /// Refused by the venue.
    Rejected,
    /// Expired (IOC/FOK remainder, day end, venue action).
    Expired,
}

impl OrderStatus {
    /// Every status.
    pub const ALL: [OrderStatus; 9] = [
        OrderStatus::PendingSubmit,
        OrderStatus::Unknown,
        OrderStatus::New,
        OrderStatus::PartiallyFilled,
        OrderStatus::Filled,
        OrderStatus::PendingCancel,
        OrderStatus::Canceled,
        OrderStatus::Rejected,
        OrderStatus::Expired,
    ];
    /// Name stored in the journal.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::PendingSubmit => "pending_submit",
            OrderStatus::Unknown => "unknown",
            OrderStatus::New => "new",
            OrderStatus::PartiallyFilled => "partially_filled",
            OrderStatus::Filled => "filled",
            OrderStatus::PendingCancel => "pending_cancel",
            OrderStatus::Canceled => "canceled",
            OrderStatus::Rejected => "rejected",
            OrderStatus::Expired => "expired",
        }
    }
    /// No further change can happen.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            OrderStatus::Filled
                | OrderStatus::Canceled
                | OrderStatus::Rejected
                | OrderStatus::Expired
        )
    }
    /// Shown in the open-orders blotter (working, or not yet known not to be).
    pub fn is_open(self) -> bool {
        !self.is_terminal()
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for OrderStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        OrderStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| format!("unknown order status `{s}`"))
    }
}

/// An order as the client knows it: the request plus what the venue reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// What was asked.
    pub request: OrderRequest,
    /// The venue's id, once acknowledged.
    pub venue_order_id: Option<String>,
    /// Current status.
    pub status: OrderStatus,
    /// Cumulative filled base quantity.
    pub filled_qty: Qty,
    /// Cumulative quote amount of the fills (average price = `filled_quote / filled_qty`).
    pub filled_quote: Decimal,
    /// Why the venue refused it, in its own words.
    pub reject_reason: Option<String>,
    /// When it was journaled.
    pub created_at: TimeMs,
    /// Last change.
    pub updated_at: TimeMs,
}

impl Order {
    /// Average fill price, if anything filled.
    pub fn avg_price(&self) -> Option<Decimal> {
        if self.filled_qty.is_zero() {
            None
        } else {
            self.filled_quote.checked_div(self.filled_qty.to_decimal())
        }
    }
}

/// One execution of one of our orders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fill {
    /// The order it belongs to.
    pub client_order_id: ClientOrderId,
    /// Venue.
    pub venue: VenueId,
    /// Instrument.
    pub symbol: Symbol,
    /// Side of our order.
    pub side: Side,
    /// Execution price.
    pub price: Price,
    /// Executed base quantity.
    pub qty: Qty,
    /// Commission charged.
    pub fee: Decimal,
    /// Asset the commission was charged in.
    pub fee_asset: String,
    /// Venue trade / execution id, unique per venue and symbol.
    pub trade_id: String,
    /// `true` when our order was the resting (maker) side.
    pub is_maker: bool,
    /// Execution time.
    pub time: TimeMs,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_fit_every_venue() {
        for _ in 0..100 {
            let id = ClientOrderId::generate();
            assert!(ClientOrderId::new(id.as_str()).is_ok(), "{id}");
            assert!(id.as_str().len() <= 36);
        }
        assert_ne!(ClientOrderId::generate(), ClientOrderId::generate());
        assert!(ClientOrderId::new("has space").is_err());
        assert!(ClientOrderId::new(&"x".repeat(37)).is_err());
    }

    #[test]
    fn terminal_statuses() {
        let terminal: Vec<_> = OrderStatus::ALL
            .into_iter()
            .filter(|s| s.is_terminal())
            .collect();
        assert_eq!(
            terminal,
            [
                OrderStatus::Filled,
                OrderStatus::Canceled,
                OrderStatus::Rejected,
                OrderStatus::Expired
            ]
        );
        for s in OrderStatus::ALL {
            assert_eq!(s.as_str().parse::<OrderStatus>(), Ok(s));
        }
    }
}
