//! Binance WebSocket API user-data wire types: request/response envelopes, the
//! `{"subscriptionId":..,"event":{..}}` events (executionReport, outboundAccountPosition, ...),
//! and their mapping to `BrokerEvent`s.

use super::trade_wire::{BinanceOrderStatus, BinanceSide, map_status};
use crate::domain::{ClientOrderId, Fill, Price, Qty, Symbol, TimeMs, VenueId};
use crate::venue::{Balance, OrderUpdate};
use rust_decimal::Decimal;
use serde::Deserialize;

/// Any text frame the WS API sends: a pushed event (`{"subscriptionId":0,"event":{..}}`) or a
/// response to one of our requests (`{"id":"..","status":200,"result":{..}}`).
#[derive(Debug, Clone, PartialEq)]
pub enum BinanceWsFrame {
    /// A pushed user-data event.
    Event(BinanceUserEvent),
    /// A response.
    Response(BinanceWsResponse),
}

/// Parses one text frame; an event with an unreadable body is an error, never a response.
pub fn parse_ws_frame(text: &str) -> Result<BinanceWsFrame, serde_json::Error> {
    #[derive(Deserialize)]
    struct Probe {
        #[serde(default)]
        event: Option<serde_json::Value>,
    }
    let probe: Probe = serde_json::from_str(text)?;
    match probe.event {
        Some(event) => BinanceUserEvent::deserialize(event).map(BinanceWsFrame::Event),
        None => serde_json::from_str(text).map(BinanceWsFrame::Response),
    }
}

/// A response to a request we sent.
///
/// See docs: <https://developers.binance.com/docs/binance-spot-api-docs/web-socket-api/response-format>
/// Example: `{"id":"d3df8a22-…","status":200,"result":{"subscriptionId":0}}`
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BinanceWsResponse {
    /// Echo of our request id (null for unsolicited errors such as a revoked key).
    #[serde(default)]
    pub id: Option<serde_json::Value>,
    /// HTTP-like status.
    pub status: u16,
    /// Success payload.
    #[serde(default)]
    pub result: Option<serde_json::Value>,
    /// Failure payload.
    #[serde(default)]
    pub error: Option<BinanceWsError>,
}

impl BinanceWsResponse {
    /// The request id as text (ids we send are strings).
    pub fn id_str(&self) -> Option<&str> {
        self.id.as_ref().and_then(|v| v.as_str())
    }
}

/// `error` of a failed WS API response.
///
/// Example: `{"code":-1003,"msg":"Way too much request weight used; IP banned until
/// 1659146400000. …","data":{"serverTime":1659142907531,"retryAfter":1659146400000}}`
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BinanceWsError {
    /// Negative error code.
    pub code: i64,
    /// Message.
    #[serde(default)]
    pub msg: String,
    /// Retry information on 429 / 418.
    #[serde(default)]
    pub data: Option<BinanceWsErrorData>,
}

/// `error.data` of a 429 / 418.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BinanceWsErrorData {
    /// Server time when the error was produced, ms.
    #[serde(default)]
    pub server_time: Option<TimeMs>,
    /// Epoch ms from which a retry is allowed.
    #[serde(default)]
    pub retry_after: Option<TimeMs>,
}

/// User-data events by their `e` field.
///
/// See docs: <https://developers.binance.com/docs/binance-spot-api-docs/user-data-stream>
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "e")]
pub enum BinanceUserEvent {
    /// An order changed.
    #[serde(rename = "executionReport")]
    ExecutionReport(Box<BinanceExecutionReport>),
    /// Balances changed.
    #[serde(rename = "outboundAccountPosition")]
    AccountPosition(BinanceAccountPosition),
    /// A deposit / withdrawal / transfer (the position event that follows has the totals).
    #[serde(rename = "balanceUpdate")]
    BalanceUpdate,
    /// An order list changed (its orders get their own execution reports).
    #[serde(rename = "listStatus")]
    ListStatus,
    /// The subscription ended (logout, key revoked); subscribe again.
    #[serde(rename = "eventStreamTerminated")]
    StreamTerminated,
    /// Balance locked by another product.
    #[serde(rename = "externalLockUpdate")]
    ExternalLockUpdate,
    /// Anything newer than this client.
    #[serde(other)]
    Other,
}

/// Execution type `x`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BinanceExecType {
    /// Accepted.
    New,
    /// Cancelled.
    Canceled,
    /// Replaced (order amend).
    Replaced,
    /// Rejected.
    Rejected,
    /// A fill.
    Trade,
    /// Expired.
    Expired,
    /// Expired by self-trade prevention.
    TradePrevention,
    /// Anything newer than this client.
    #[serde(other)]
    Other,
}

/// `executionReport`, the fields this client reads.
///
/// Example: `{"e":"executionReport","E":1499405658658,"s":"ETHBTC","c":"mUvoqJxFIILMdfAW5iGSOW",
/// "S":"BUY","o":"LIMIT","f":"GTC","q":"1.00000000","p":"0.10264410",…,"C":"","x":"NEW","X":"NEW",
/// "r":"NONE","i":4293153,"l":"0.00000000","z":"0.00000000","L":"0.00000000","n":"0","N":null,
/// "T":1499405658657,"t":-1,…,"m":false,…,"Z":"0.00000000",…}`
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BinanceExecutionReport {
    /// Symbol.
    #[serde(rename = "s")]
    pub symbol: String,
    /// Client order id (on a cancel: the cancel request's id).
    #[serde(rename = "c")]
    pub client_order_id: String,
    /// Original client order id (set on cancels, empty otherwise).
    #[serde(rename = "C", default)]
    pub orig_client_order_id: Option<String>,
    /// Side.
    #[serde(rename = "S")]
    pub side: BinanceSide,
    /// Execution type.
    #[serde(rename = "x")]
    pub exec_type: BinanceExecType,
    /// Order status.
    #[serde(rename = "X")]
    pub status: BinanceOrderStatus,
    /// Reject reason (`NONE` when none).
    #[serde(rename = "r", default)]
    pub reject_reason: Option<String>,
    /// Expiry reason, when expired.
    #[serde(rename = "eR", default)]
    pub expiry_reason: Option<String>,
    /// Venue order id.
    #[serde(rename = "i")]
    pub order_id: i64,
    /// Last executed quantity.
    #[serde(rename = "l")]
    pub last_qty: Qty,
    /// Cumulative filled quantity.
    #[serde(rename = "z")]
    pub cum_qty: Qty,
    /// Last executed price.
    #[serde(rename = "L")]
    pub last_price: Price,
    /// Commission of this fill.
    #[serde(rename = "n", default)]
    pub commission: Option<Decimal>,
    /// Commission asset (null without a fill).
    #[serde(rename = "N", default)]
    pub commission_asset: Option<String>,
    /// Transaction time.
    #[serde(rename = "T")]
    pub transact_time: TimeMs,
    /// Trade id (-1 without a fill).
    #[serde(rename = "t")]
    pub trade_id: i64,
    /// Maker side of the fill.
    #[serde(rename = "m", default)]
    pub is_maker: bool,
    /// Cumulative quote quantity.
    #[serde(rename = "Z")]
    pub cum_quote: Decimal,
}

/// One balance in `outboundAccountPosition`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BinanceWsBalance {
    /// Asset.
    #[serde(rename = "a")]
    pub asset: String,
    /// Free.
    #[serde(rename = "f")]
    pub free: Decimal,
    /// Locked.
    #[serde(rename = "l")]
    pub locked: Decimal,
}

/// `outboundAccountPosition`: the balances that changed.
///
/// Example: `{"e":"outboundAccountPosition","E":1564034571105,"u":1564034571073,
/// "B":[{"a":"ETH","f":"10000.000000","l":"0.000000"}]}`
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BinanceAccountPosition {
    /// Changed balances.
    #[serde(rename = "B")]
    pub balances: Vec<BinanceWsBalance>,
}

impl BinanceAccountPosition {
    /// The balances in domain form.
    pub fn to_balances(&self) -> Vec<Balance> {
        self.balances
            .iter()
            .map(|b| Balance {
                asset: b.asset.clone(),
                free: b.free,
                locked: b.locked,
            })
            .collect()
    }
}

impl BinanceExecutionReport {
    /// The update this report describes, with its fill when `x` is `TRADE`.
    pub fn to_update(&self) -> Result<OrderUpdate, String> {
        let raw_id = match &self.orig_client_order_id {
            Some(orig) if !orig.is_empty() => orig,
            _ => &self.client_order_id,
        };
        let id = ClientOrderId::new(raw_id).map_err(|e| e.to_string())?;
        let symbol = Symbol::new(&self.symbol).map_err(|e| e.to_string())?;
        let fill = match self.exec_type {
            BinanceExecType::Trade => Some(Fill {
                client_order_id: id.clone(),
                venue: VenueId::Binance,
                symbol: symbol.clone(),
                side: self.side.into(),
                price: self.last_price,
                qty: self.last_qty,
                fee: self.commission.unwrap_or(Decimal::ZERO),
                fee_asset: self.commission_asset.clone().unwrap_or_default(),
                trade_id: self.trade_id.to_string(),
                is_maker: self.is_maker,
                time: self.transact_time,
            }),
            BinanceExecType::New
            | BinanceExecType::Canceled
            | BinanceExecType::Replaced
            | BinanceExecType::Rejected
            | BinanceExecType::Expired
            | BinanceExecType::TradePrevention
            | BinanceExecType::Other => None,
        };
        let reason = [&self.reject_reason, &self.expiry_reason]
            .into_iter()
            .flatten()
            .find(|r| !r.is_empty() && r.as_str() != "NONE")
            .cloned();
        Ok(OrderUpdate {
            client_order_id: id,
            venue_order_id: Some(self.order_id.to_string()),
            symbol,
            status: map_status(self.status),
            filled_qty: self.cum_qty,
            filled_quote: self.cum_quote,
            fill,
            reason,
            time: self.transact_time,
        })
    }
}
