//! Alpaca WebSocket shapes: the `trade_updates` stream and the market data stream v2, in both
//! directions. Parsed into domain types in `parse_stream.rs`.

use super::wire::AlpacaOrder;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

// ---------------------------------------------------------------- trading stream (server → us)

/// Envelope of every trading-stream message.
///
/// See docs: <https://docs.alpaca.markets/docs/websocket-streaming>
///
/// ```json
/// {"stream":"authorization","data":{"status":"authorized","action":"authenticate"}}
/// ```
#[derive(Debug, Deserialize)]
pub(crate) struct AlpacaStreamEnvelope<'a> {
    /// `authorization`, `listening` or `trade_updates`.
    pub stream: String,
    /// The payload, parsed once the stream is known.
    #[serde(borrow)]
    pub data: &'a RawValue,
}

/// Reply to `authenticate` (or to `listen` sent before authenticating).
///
/// ```json
/// {"status":"unauthorized","action":"authenticate"}
/// ```
#[derive(Debug, Deserialize)]
pub(crate) struct AlpacaAuthorization {
    /// `authorized` or `unauthorized`.
    pub status: String,
    /// The action this answers.
    #[serde(default)]
    pub action: Option<String>,
}

/// Reply to `listen`: the streams now active.
///
/// ```json
/// {"streams":["trade_updates"]}
/// ```
#[derive(Debug, Deserialize)]
pub(crate) struct AlpacaListening {
    /// Active streams.
    #[serde(default)]
    pub streams: Vec<String>,
}

/// One order event.
///
/// See docs: <https://docs.alpaca.markets/docs/websocket-streaming#order-updates>
///
/// ```json
/// {"event":"fill","execution_id":"2f63ea93-423d-4169-b3f6-3fdafc10c418","order":{ …order… },
///  "position_qty":"0","price":"105.8988475","qty":"1790.86","timestamp":"2022-04-19T17:45:05.024916716Z"}
/// ```
#[derive(Debug, Deserialize)]
pub(crate) struct AlpacaTradeUpdate {
    /// Event name (see [`AlpacaTradeEvent`]).
    pub event: String,
    /// The order after the event.
    pub order: AlpacaOrder,
    /// Event time.
    #[serde(default)]
    pub timestamp: Option<String>,
    /// Fill events: the execution price.
    #[serde(default)]
    pub price: Option<String>,
    /// Fill events: the executed quantity.
    #[serde(default)]
    pub qty: Option<String>,
    /// Fill events: the venue's execution id.
    #[serde(default)]
    pub execution_id: Option<String>,
}

/// `trade_updates` event names, matched explicitly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AlpacaTradeEvent {
    New,
    Fill,
    PartialFill,
    Canceled,
    Expired,
    DoneForDay,
    Replaced,
    Rejected,
    PendingNew,
    Stopped,
    PendingCancel,
    PendingReplace,
    Calculated,
    Suspended,
    OrderReplaceRejected,
    OrderCancelRejected,
    /// An event this client does not know yet.
    Unrecognized,
}

impl AlpacaTradeEvent {
    /// Reads the wire name.
    pub fn from_wire(s: &str) -> Self {
        match s {
            "new" => Self::New,
            "fill" => Self::Fill,
            "partial_fill" => Self::PartialFill,
            "canceled" => Self::Canceled,
            "expired" => Self::Expired,
            "done_for_day" => Self::DoneForDay,
            "replaced" => Self::Replaced,
            "rejected" => Self::Rejected,
            "pending_new" => Self::PendingNew,
            "stopped" => Self::Stopped,
            "pending_cancel" => Self::PendingCancel,
            "pending_replace" => Self::PendingReplace,
            "calculated" => Self::Calculated,
            "suspended" => Self::Suspended,
            "order_replace_rejected" => Self::OrderReplaceRejected,
            "order_cancel_rejected" => Self::OrderCancelRejected,
            _ => Self::Unrecognized,
        }
    }
}

// ---------------------------------------------------------------- trading stream (us → server)

/// `{"action":"authenticate","data":{"key_id":…,"secret_key":…}}`. Holds secrets: never log it.
#[derive(Serialize)]
pub(crate) struct AlpacaAuthenticateMsg<'a> {
    pub action: &'static str,
    pub data: AlpacaAuthenticateData<'a>,
}

/// Payload of [`AlpacaAuthenticateMsg`].
#[derive(Serialize)]
pub(crate) struct AlpacaAuthenticateData<'a> {
    pub key_id: &'a str,
    pub secret_key: &'a str,
}

/// `{"action":"listen","data":{"streams":["trade_updates"]}}`.
#[derive(Serialize)]
pub(crate) struct AlpacaListenMsg {
    pub action: &'static str,
    pub data: AlpacaListenData,
}

/// Payload of [`AlpacaListenMsg`].
#[derive(Serialize)]
pub(crate) struct AlpacaListenData {
    pub streams: [&'static str; 1],
}

// ---------------------------------------------------------------- market data (server → us)

/// Only the `T` discriminator of a market data message (frames are arrays of these).
///
/// See docs: <https://docs.alpaca.markets/docs/real-time-stock-pricing-data>
#[derive(Debug, Deserialize)]
pub(crate) struct AlpacaTag<'a> {
    /// `success`, `error`, `subscription`, `t`, `q`, `b`, `u`, `d`, `s`, ...
    #[serde(rename = "T")]
    pub kind: &'a str,
}

/// A trade.
///
/// ```json
/// {"T":"t","i":96921,"S":"AAPL","x":"D","p":126.55,"s":1,"t":"2021-02-22T15:51:44.208Z","c":["@","I"],"z":"C"}
/// ```
#[derive(Debug, Deserialize)]
pub(crate) struct AlpacaTradeMsg<'a> {
    #[serde(rename = "S")]
    pub symbol: &'a str,
    #[serde(default)]
    pub i: Option<u64>,
    #[serde(borrow)]
    pub p: &'a RawValue,
    #[serde(borrow)]
    pub s: &'a RawValue,
    pub t: &'a str,
}

/// A quote (best bid and offer).
///
/// ```json
/// {"T":"q","S":"AMD","bx":"U","bp":87.66,"bs":1,"ax":"Q","ap":87.68,"as":4,"t":"2021-02-22T15:51:45.335689322Z","c":["R"],"z":"C"}
/// ```
#[derive(Debug, Deserialize)]
pub(crate) struct AlpacaQuoteMsg<'a> {
    #[serde(rename = "S")]
    pub symbol: &'a str,
    #[serde(borrow)]
    pub bp: &'a RawValue,
    #[serde(borrow)]
    pub bs: &'a RawValue,
    #[serde(borrow)]
    pub ap: &'a RawValue,
    #[serde(rename = "as", borrow)]
    pub as_: &'a RawValue,
    pub t: &'a str,
}

/// A trading status change (halt, resume).
///
/// ```json
/// {"T":"s","S":"AAPL","sc":"H","sm":"Trading Halt","rc":"T12","rm":"Trading Halted; For information requested by NASDAQ","t":"2021-02-22T19:15:00Z","z":"C"}
/// ```
#[derive(Debug, Deserialize)]
pub(crate) struct AlpacaStatusMsg {
    #[serde(rename = "S")]
    pub symbol: String,
    #[serde(default)]
    pub sm: Option<String>,
    #[serde(default)]
    pub rm: Option<String>,
}

/// `success` and `error` control messages.
///
/// ```json
/// {"T":"error","code":402,"msg":"auth failed"}
/// ```
#[derive(Debug, Deserialize)]
pub(crate) struct AlpacaControlMsg {
    #[serde(default)]
    pub msg: Option<String>,
    #[serde(default)]
    pub code: Option<i64>,
}

/// The full current subscription, sent after every (un)subscribe.
///
/// ```json
/// {"T":"subscription","trades":["AAPL"],"quotes":["AMD","CLDR"],"bars":["IBM","AAPL","VOO"]}
/// ```
#[derive(Debug, Default, Deserialize)]
pub(crate) struct AlpacaSubscriptionMsg {
    #[serde(default)]
    pub trades: Vec<String>,
    #[serde(default)]
    pub quotes: Vec<String>,
    #[serde(default)]
    pub bars: Vec<String>,
    #[serde(rename = "dailyBars", default)]
    pub daily_bars: Vec<String>,
}

// ---------------------------------------------------------------- market data (us → server)

/// `{"action":"auth","key":…,"secret":…}`. Holds secrets: never log it.
#[derive(Serialize)]
pub(crate) struct AlpacaAuthMsg<'a> {
    pub action: &'static str,
    pub key: &'a str,
    pub secret: &'a str,
}

/// `{"action":"subscribe"|"unsubscribe","trades":[…],"quotes":[…],"bars":[…],"dailyBars":[…]}`.
#[derive(Debug, Serialize)]
pub(crate) struct AlpacaSubscribeMsg<'a> {
    pub action: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub trades: Vec<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub quotes: Vec<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bars: Vec<&'a str>,
    #[serde(rename = "dailyBars", skip_serializing_if = "Vec::is_empty")]
    pub daily_bars: Vec<&'a str>,
}
