//! Venues: the traits every broker implements, the events every feed emits, and one folder per
//! venue (Binance, Alpaca) plus the in-process paper broker.
//!
//! Wire types stay inside each venue's folder; what crosses this boundary is domain types only.

pub mod alpaca;
pub mod binance;
pub mod paper;

use crate::domain::{
    BookTop, Candle, ClientOrderId, Fill, Interval, OrderRequest, OrderStatus, Qty, Symbol,
    Ticker24h, TimeMs, Trade, VenueId,
};
use futures_util::future::BoxFuture;
use rust_decimal::Decimal;
use std::time::Duration;

/// Connection state of one venue connection, shown in the status bar and per pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnState {
    /// Opening the socket / handshaking.
    Connecting,
    /// Data flowing.
    Live,
    /// Lost; the next attempt starts after the delay.
    Reconnecting {
        /// How long until the next attempt.
        retry_in: Duration,
        /// Why the last connection ended.
        reason: String,
    },
    /// Connected, but no data for longer than expected.
    Stale,
    /// Given up or not configured (e.g. no keys); the text says what to do.
    Down(String),
}

/// Everything a market data feed reports to the app. Trades, candles and connection changes are
/// never dropped; book updates are conflated by the feed (latest state wins).
#[derive(Debug, Clone, PartialEq)]
pub enum MarketEvent {
    /// A public trade.
    Trade(Trade),
    /// The latest top of a book (conflated; only the newest matters).
    Book {
        /// Instrument.
        symbol: Symbol,
        /// Best levels and staleness.
        top: BookTop,
    },
    /// 24-hour statistics.
    Ticker(Ticker24h),
    /// A candle update from the venue's kline stream, or a backfilled one.
    Candle {
        /// Instrument.
        symbol: Symbol,
        /// Candle interval.
        interval: Interval,
        /// The candle (open or closed).
        candle: Candle,
    },
    /// A batch of historical candles (REST backfill), oldest first.
    History {
        /// Instrument.
        symbol: Symbol,
        /// Candle interval.
        interval: Interval,
        /// Candles, oldest first.
        candles: Vec<Candle>,
    },
    /// A connection changed state.
    Connection {
        /// Which venue.
        venue: VenueId,
        /// New state.
        state: ConnState,
    },
    /// Something the user should read (bad symbol, auth failure, limit hit).
    Notice {
        /// Which venue.
        venue: VenueId,
        /// Human-readable message.
        message: String,
    },
}

/// Why a broker call did not succeed. The variants decide what the order manager may do next.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BrokerError {
    /// The venue definitely refused the request (validation, insufficient funds, duplicate id).
    #[error("rejected by the venue ({code:?}): {message}")]
    Rejected {
        /// Venue error code, if it gave one.
        code: Option<i64>,
        /// Venue message.
        message: String,
    },
    /// The request may or may not have been executed (timeout, 5xx, connection lost after
    /// sending). Never resend blindly: query by client order id first.
    #[error("outcome unknown: {0}")]
    Unknown(String),
    /// Rate limited (429) or banned (418); the request was not executed.
    #[error("rate limited{}; retry in {}s", if *.banned { " (IP banned)" } else { "" }, .retry_after.as_secs())]
    RateLimited {
        /// How long the venue asked us to wait.
        retry_after: Duration,
        /// `true` for a 418 ban.
        banned: bool,
    },
    /// The request never left this process (connect refused, DNS, TLS): safe to retry.
    #[error("not sent: {0}")]
    NotSent(String),
    /// The venue does not know this order.
    #[error("unknown order")]
    NotFound,
    /// Missing or refused credentials.
    #[error("authentication failed: {0}")]
    Auth(String),
}

/// The venue's view of one of our orders (from a REST reply, a query or the user stream).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderUpdate {
    /// Our id.
    pub client_order_id: ClientOrderId,
    /// The venue's id.
    pub venue_order_id: Option<String>,
    /// Instrument.
    pub symbol: Symbol,
    /// Status after this update.
    pub status: OrderStatus,
    /// Cumulative filled base quantity.
    pub filled_qty: Qty,
    /// Cumulative filled quote amount.
    pub filled_quote: Decimal,
    /// The fill this update reports, if it reports one.
    pub fill: Option<Fill>,
    /// The venue's reason for a reject / expiry.
    pub reason: Option<String>,
    /// Event time.
    pub time: TimeMs,
}

/// One asset balance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Balance {
    /// Asset (`BTC`, `USDT`, `AAPL`, `USD`).
    pub asset: String,
    /// Available.
    pub free: Decimal,
    /// Locked in open orders.
    pub locked: Decimal,
}

/// A broker-reported position (Alpaca), with the broker's own cost basis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerPosition {
    /// Instrument.
    pub symbol: Symbol,
    /// Signed quantity (negative = short).
    pub qty: Decimal,
    /// Average entry price, as the broker computes it.
    pub avg_entry_price: Decimal,
    /// Last price the broker used.
    pub current_price: Option<Decimal>,
}

/// Cash, balances and positions at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AccountSnapshot {
    /// Per-asset balances (crypto venues, paper).
    pub balances: Vec<Balance>,
    /// Positions (stock brokers).
    pub positions: Vec<BrokerPosition>,
    /// Cash in the account currency, when the broker reports it.
    pub cash: Option<Decimal>,
    /// Equity, when the broker reports it.
    pub equity: Option<Decimal>,
}

/// Events a broker pushes (user data stream, `trade_updates`, paper fills).
// Order events arrive at human rates; boxing the large variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrokerEvent {
    /// An order changed.
    Order(OrderUpdate),
    /// Balances changed.
    Balances(Vec<Balance>),
    /// The push channel connected, dropped or failed; after a reconnect, reconcile.
    Connection(ConnState),
}

/// A place to send orders. Implemented by Binance, Alpaca and the paper broker.
///
/// Every method is keyed by our client order id, so a retry after an unknown outcome can ask
/// before it resends.
pub trait Broker: Send + Sync {
    /// Which venue this is.
    fn venue(&self) -> VenueId;
    /// Sends a new order. The request's client order id is the idempotency key.
    fn submit<'a>(
        &'a self,
        req: &'a OrderRequest,
    ) -> BoxFuture<'a, Result<OrderUpdate, BrokerError>>;
    /// Asks to cancel an order.
    fn cancel<'a>(
        &'a self,
        symbol: &'a Symbol,
        id: &'a ClientOrderId,
    ) -> BoxFuture<'a, Result<OrderUpdate, BrokerError>>;
    /// The venue's current view of an order; `Err(NotFound)` if it never saw it.
    fn query<'a>(
        &'a self,
        symbol: &'a Symbol,
        id: &'a ClientOrderId,
    ) -> BoxFuture<'a, Result<OrderUpdate, BrokerError>>;
    /// Open orders, for one symbol or all.
    fn open_orders<'a>(
        &'a self,
        symbol: Option<&'a Symbol>,
    ) -> BoxFuture<'a, Result<Vec<OrderUpdate>, BrokerError>>;
    /// Balances and positions.
    fn account(&self) -> BoxFuture<'_, Result<AccountSnapshot, BrokerError>>;
    /// Every fill of one order, so reconciliation can journal trades whose reports were never
    /// seen (a lost reply, a restart). The default knows none.
    fn fills<'a>(
        &'a self,
        _symbol: &'a Symbol,
        _id: &'a ClientOrderId,
    ) -> BoxFuture<'a, Result<Vec<Fill>, BrokerError>> {
        Box::pin(async { Ok(Vec::new()) })
    }
}
