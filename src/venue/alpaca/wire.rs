//! Alpaca trading and market-data REST shapes, exactly as the venue sends them. Parsed into
//! domain types in `parse.rs`; unknown fields are ignored (newer API versions add fields).

use serde::Deserialize;
use serde_json::value::RawValue;

/// An order as the trading API and the `trade_updates` stream send it.
///
/// See docs: <https://docs.alpaca.markets/reference/getorderbyorderid>
///
/// ```json
/// {"id":"61e69015-8549-4bfd-b9c3-01e75843f47d","client_order_id":"eb9e2aaa-f71a-4f51-b5b4-52a6c565dad4",
///  "created_at":"2021-03-16T18:38:01.942282Z","updated_at":"2021-03-16T18:38:01.942282Z",
///  "submitted_at":"2021-03-16T18:38:01.937734Z","filled_at":null,"replaced_by":null,
///  "symbol":"AAPL","asset_class":"us_equity","notional":"500","qty":null,"filled_qty":"0",
///  "filled_avg_price":null,"order_class":"","type":"market","side":"buy","time_in_force":"day",
///  "limit_price":null,"stop_price":null,"status":"accepted","extended_hours":false}
/// ```
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct AlpacaOrder {
    /// Venue order id (UUID).
    pub id: String,
    /// Our id (or Alpaca's UUID if the order was placed without one).
    pub client_order_id: String,
    /// Creation time, RFC 3339.
    #[serde(default)]
    pub created_at: Option<String>,
    /// Last change, RFC 3339.
    #[serde(default)]
    pub updated_at: Option<String>,
    /// Submission time, RFC 3339.
    #[serde(default)]
    pub submitted_at: Option<String>,
    /// The order that replaced this one (status `replaced`).
    #[serde(default)]
    pub replaced_by: Option<String>,
    /// Symbol (`AAPL`, `BTC/USD`).
    pub symbol: String,
    /// Cumulative filled quantity.
    #[serde(default)]
    pub filled_qty: Option<String>,
    /// Average fill price.
    #[serde(default)]
    pub filled_avg_price: Option<String>,
    /// `buy` or `sell`.
    pub side: String,
    /// Order status (see [`AlpacaOrderStatus`]).
    pub status: String,
}

/// Alpaca order statuses, matched explicitly when mapped to [`crate::domain::OrderStatus`].
///
/// See docs: <https://docs.alpaca.markets/docs/orders-at-alpaca#order-lifecycle>
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AlpacaOrderStatus {
    New,
    PartiallyFilled,
    Filled,
    DoneForDay,
    Canceled,
    Expired,
    Replaced,
    PendingCancel,
    PendingReplace,
    Accepted,
    PendingNew,
    AcceptedForBidding,
    Stopped,
    Rejected,
    Suspended,
    Calculated,
    /// `held`: a bracket / OTO leg waiting for its parent.
    Held,
    /// A status this client does not know yet.
    Unrecognized,
}

impl AlpacaOrderStatus {
    /// Reads the wire name.
    pub fn from_wire(s: &str) -> Self {
        match s {
            "new" => Self::New,
            "partially_filled" => Self::PartiallyFilled,
            "filled" => Self::Filled,
            "done_for_day" => Self::DoneForDay,
            "canceled" => Self::Canceled,
            "expired" => Self::Expired,
            "replaced" => Self::Replaced,
            "pending_cancel" => Self::PendingCancel,
            "pending_replace" => Self::PendingReplace,
            "accepted" => Self::Accepted,
            "pending_new" => Self::PendingNew,
            "accepted_for_bidding" => Self::AcceptedForBidding,
            "stopped" => Self::Stopped,
            "rejected" => Self::Rejected,
            "suspended" => Self::Suspended,
            "calculated" => Self::Calculated,
            "held" => Self::Held,
            _ => Self::Unrecognized,
        }
    }
}

/// The trading account.
///
/// See docs: <https://docs.alpaca.markets/reference/getaccount-1>
///
/// ```json
/// {"account_blocked":false,"account_number":"010203ABCD","buying_power":"262113.632",
///  "cash":"-23140.2","currency":"USD","equity":"103820.56","id":"e6fe16f3-…",
///  "portfolio_value":"103820.56","status":"ACTIVE","trading_blocked":false}
/// ```
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct AlpacaAccount {
    /// Cash balance (negative when on margin).
    pub cash: String,
    /// Total equity.
    pub equity: String,
    /// `ACTIVE`, `ACCOUNT_UPDATED`, ...
    #[serde(default)]
    pub status: Option<String>,
    /// Trading disabled by Alpaca.
    #[serde(default)]
    pub trading_blocked: bool,
    /// Account disabled.
    #[serde(default)]
    pub account_blocked: bool,
}

/// An open position.
///
/// See docs: <https://docs.alpaca.markets/reference/getallopenpositions>
///
/// ```json
/// {"asset_id":"904837e3-…","symbol":"AAPL ","exchange":"NASDAQ","asset_class":"us_equity",
///  "avg_entry_price":"100.0","qty":"5","qty_available":"4","side":"long","market_value":"600.0",
///  "cost_basis":"500.0","unrealized_pl":"100.0","current_price":"120.0","lastday_price":"119.0"}
/// ```
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct AlpacaPosition {
    /// Symbol (the docs' example has a trailing space; trimmed when parsed).
    pub symbol: String,
    /// Quantity (negative for shorts on current API versions).
    pub qty: String,
    /// `long` or `short`.
    #[serde(default)]
    pub side: Option<String>,
    /// Average entry price.
    pub avg_entry_price: String,
    /// Last price.
    #[serde(default)]
    pub current_price: Option<String>,
}

/// A tradable asset (symbol search). Numbers are strings on current versions, JSON numbers on
/// some older ones, so they are read from the raw token.
///
/// See docs: <https://docs.alpaca.markets/reference/get-v2-assets-1>
///
/// ```json
/// {"id":"64bbff51-…","class":"crypto","exchange":"FTXU","symbol":"BTCUSD","name":"Bitcoin",
///  "status":"active","tradable":true,"marginable":false,"shortable":false,"easy_to_borrow":false,
///  "fractionable":true,"min_order_size":"0.0001","min_trade_increment":"0.0001","price_increment":"1"}
/// ```
#[derive(Debug, Deserialize)]
pub(crate) struct AlpacaAsset<'a> {
    /// Symbol.
    pub symbol: String,
    /// `active` or `inactive`.
    #[serde(default)]
    pub status: Option<String>,
    /// Tradable on Alpaca.
    #[serde(default)]
    pub tradable: bool,
    /// Fractional quantities allowed.
    #[serde(default)]
    pub fractionable: bool,
    /// Crypto only: minimum order size.
    #[serde(borrow, default)]
    pub min_order_size: Option<&'a RawValue>,
    /// Crypto only: quantity step.
    #[serde(borrow, default)]
    pub min_trade_increment: Option<&'a RawValue>,
    /// Crypto only: price step.
    #[serde(borrow, default)]
    pub price_increment: Option<&'a RawValue>,
}

/// One page of historical bars.
///
/// See docs: <https://docs.alpaca.markets/reference/stockbarsingle-1>
///
/// ```json
/// {"bars":[{"t":"2022-04-11T08:00:00Z","o":168.99,"h":169.81,"l":168.99,"c":169,"v":7170,
///  "n":206,"vw":169.233976}],"symbol":"AAPL","next_page_token":"QUFQTHxNfDIwMjItMDQtMTFU…"}
/// ```
#[derive(Debug, Deserialize)]
pub(crate) struct AlpacaBarsPage<'a> {
    /// Bars (null when there are none).
    #[serde(borrow, default)]
    pub bars: Option<Vec<AlpacaBar<'a>>>,
    /// Token for the next page.
    #[serde(default)]
    pub next_page_token: Option<String>,
}

/// One OHLCV bar, from REST or the stream (`T` is only on the stream). Numbers are JSON numbers.
///
/// See docs: <https://docs.alpaca.markets/docs/real-time-stock-pricing-data#minute-bars>
///
/// ```json
/// {"T":"b","S":"SPY","o":388.985,"h":389.13,"l":388.975,"c":389.12,"v":49378,"t":"2021-02-22T19:15:00Z"}
/// ```
#[derive(Debug, Deserialize)]
pub(crate) struct AlpacaBar<'a> {
    /// Symbol (stream only).
    #[serde(rename = "S", default)]
    pub symbol: Option<&'a str>,
    /// Bar start, RFC 3339.
    pub t: &'a str,
    /// Open.
    #[serde(borrow)]
    pub o: &'a RawValue,
    /// High.
    #[serde(borrow)]
    pub h: &'a RawValue,
    /// Low.
    #[serde(borrow)]
    pub l: &'a RawValue,
    /// Close.
    #[serde(borrow)]
    pub c: &'a RawValue,
    /// Volume.
    #[serde(borrow)]
    pub v: &'a RawValue,
    /// Trade count (current feeds).
    #[serde(default)]
    pub n: Option<u64>,
    /// Volume-weighted average price (current feeds).
    #[serde(borrow, default)]
    pub vw: Option<&'a RawValue>,
}

/// The error body of a refused request.
///
/// See docs: <https://docs.alpaca.markets/docs/orders-at-alpaca#sub-penny-increments-for-limit-orders>
///
/// ```json
/// {"code":42210000,"message":"invalid limit_price 290.123. sub-penny increment does not fulfill minimum pricing criteria"}
/// ```
#[derive(Debug, Deserialize)]
pub(crate) struct AlpacaErrorBody {
    /// Alpaca error code.
    #[serde(default)]
    pub code: Option<i64>,
    /// Human-readable message.
    #[serde(default)]
    pub message: Option<String>,
}

/// One entry of the 207 multi-status reply to `DELETE /v2/orders`.
///
/// See docs: <https://docs.alpaca.markets/reference/deleteallorders-1>
///
/// ```json
/// [{"id":"61e69015-8549-4bfd-b9c3-01e75843f47d","status":200,"body":{ …order… }}]
/// ```
#[derive(Debug, Deserialize)]
pub(crate) struct AlpacaCancelStatus {
    /// Venue order id.
    pub id: String,
    /// HTTP status of this cancel.
    pub status: u16,
    /// The order (when the cancel was accepted), or an error body.
    #[serde(default)]
    pub body: Option<Box<RawValue>>,
}
