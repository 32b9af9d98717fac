//! Alpaca WebSocket messages → domain: `trade_updates` events and market data frames.
//!
//! `trade_updates` events map explicitly (see [`event_status`]): `new`/`pending_new` → `New`,
//! `fill` → `Filled` with a [`Fill`], `partial_fill` → `PartiallyFilled` with a [`Fill`],
//! `canceled` → `Canceled`, `expired` → `Expired`, `rejected` → `Rejected`, `replaced` →
//! `Canceled` (the order lives on under a new id), `pending_cancel` → `PendingCancel`;
//! `done_for_day`, `stopped`, `pending_replace`, `calculated`, `suspended` keep the order open;
//! `order_cancel_rejected`, `order_replace_rejected` and unknown events take the status of the
//! order object they carry. A fill's price and quantity come from the event (`price`, `qty`),
//! its trade id is the event's `execution_id`; the fee is 0 in USD (Alpaca stock trades are
//! commission-free and the event carries no fee).

use super::num::{market_price, market_qty, price_rounded, qty_floor, time_ms};
use super::parse::{AlpacaParseError, candle, order_update, side, symbol};
use super::wire::AlpacaBar;
use super::wire_stream::{
    AlpacaAuthorization, AlpacaControlMsg, AlpacaListening, AlpacaQuoteMsg, AlpacaStatusMsg,
    AlpacaStreamEnvelope, AlpacaSubscriptionMsg, AlpacaTag, AlpacaTradeEvent, AlpacaTradeMsg,
    AlpacaTradeUpdate,
};
use crate::domain::{
    Candle, Fill, Interval, Level, OrderStatus, Price, Qty, Symbol, TimeMs, VenueId, now_ms,
};
use crate::venue::OrderUpdate;
use rust_decimal::Decimal;
use serde_json::value::RawValue;

/// What one `trade_updates` connection message means.
// Transient: each item is matched once and moved on, so boxing the update would only add an
// allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlpacaStreamItem {
    /// The keys were accepted.
    Authorized,
    /// The keys were refused (`action` says which request was refused).
    Unauthorized {
        /// `authenticate` or `listen`.
        action: String,
    },
    /// The streams now listened to.
    Listening(Vec<String>),
    /// One of our orders changed.
    Order(OrderUpdate),
    /// An order placed by another tool (its client order id is not one of ours).
    Foreign {
        /// Venue order id.
        order_id: String,
    },
    /// A stream this client does not handle.
    Other(String),
}

/// Parses one `trade_updates` connection message (text or binary frame, both JSON).
pub fn parse_stream_message(bytes: &[u8]) -> Result<AlpacaStreamItem, AlpacaParseError> {
    let env: AlpacaStreamEnvelope<'_> = serde_json::from_slice(bytes)?;
    match env.stream.as_str() {
        "authorization" => {
            let a: AlpacaAuthorization = serde_json::from_str(env.data.get())?;
            Ok(match a.status.as_str() {
                "authorized" => AlpacaStreamItem::Authorized,
                _ => AlpacaStreamItem::Unauthorized {
                    action: a.action.unwrap_or_default(),
                },
            })
        }
        "listening" => {
            let l: AlpacaListening = serde_json::from_str(env.data.get())?;
            Ok(AlpacaStreamItem::Listening(l.streams))
        }
        "trade_updates" => {
            let u: AlpacaTradeUpdate = serde_json::from_str(env.data.get())?;
            match trade_update(&u) {
                Ok(update) => Ok(AlpacaStreamItem::Order(update)),
                Err(AlpacaParseError::ForeignOrder { order_id, .. }) => {
                    Ok(AlpacaStreamItem::Foreign { order_id })
                }
                Err(e) => Err(e),
            }
        }
        other => Ok(AlpacaStreamItem::Other(other.chars().take(40).collect())),
    }
}

/// The status after an event (see the module docs).
fn event_status(event: AlpacaTradeEvent, from_order: OrderStatus, filled: Qty) -> OrderStatus {
    let open = if filled.is_positive() {
        OrderStatus::PartiallyFilled
    } else {
        OrderStatus::New
    };
    match event {
        AlpacaTradeEvent::New | AlpacaTradeEvent::PendingNew => OrderStatus::New,
        AlpacaTradeEvent::Fill => OrderStatus::Filled,
        AlpacaTradeEvent::PartialFill => OrderStatus::PartiallyFilled,
        AlpacaTradeEvent::Canceled | AlpacaTradeEvent::Replaced => OrderStatus::Canceled,
        AlpacaTradeEvent::Expired => OrderStatus::Expired,
        AlpacaTradeEvent::Rejected => OrderStatus::Rejected,
        AlpacaTradeEvent::PendingCancel => OrderStatus::PendingCancel,
        AlpacaTradeEvent::DoneForDay
        | AlpacaTradeEvent::Stopped
        | AlpacaTradeEvent::PendingReplace
        | AlpacaTradeEvent::Calculated
        | AlpacaTradeEvent::Suspended => open,
        AlpacaTradeEvent::OrderReplaceRejected
        | AlpacaTradeEvent::OrderCancelRejected
        | AlpacaTradeEvent::Unrecognized => from_order,
    }
}

/// A reason worth showing for an event, if any.
fn event_reason(event: AlpacaTradeEvent, raw: &str) -> Option<String> {
    match event {
        AlpacaTradeEvent::OrderCancelRejected => Some("the venue refused the cancel".into()),
        AlpacaTradeEvent::OrderReplaceRejected => Some("the venue refused the replace".into()),
        AlpacaTradeEvent::Unrecognized => Some(format!("Alpaca event `{raw}`")),
        _ => None,
    }
}

/// One `trade_updates` payload → an order update, with the fill for fill events.
fn trade_update(u: &AlpacaTradeUpdate) -> Result<OrderUpdate, AlpacaParseError> {
    let mut update = order_update(&u.order)?;
    let event = AlpacaTradeEvent::from_wire(&u.event);
    if event == AlpacaTradeEvent::Unrecognized {
        tracing::warn!(event = %u.event, "unrecognized Alpaca trade event");
    }
    update.status = event_status(event, update.status, update.filled_qty);
    if let Some(reason) = event_reason(event, &u.event) {
        update.reason = Some(reason);
    }
    if let Some(ts) = &u.timestamp {
        update.time = time_ms("timestamp", ts)?;
    }
    if matches!(
        event,
        AlpacaTradeEvent::Fill | AlpacaTradeEvent::PartialFill
    ) {
        update.fill = fill(u, &update)?;
    }
    Ok(update)
}

/// The execution a fill event reports; `None` (logged) if the event lacks price or quantity.
fn fill(u: &AlpacaTradeUpdate, update: &OrderUpdate) -> Result<Option<Fill>, AlpacaParseError> {
    let (Some(price), Some(qty)) = (&u.price, &u.qty) else {
        tracing::warn!(order_id = %u.order.id, "Alpaca fill event without price or qty");
        return Ok(None);
    };
    let trade_id = match &u.execution_id {
        Some(id) if !id.is_empty() => id.clone(),
        _ => format!("{}-{}", u.order.id, update.time),
    };
    Ok(Some(Fill {
        client_order_id: update.client_order_id.clone(),
        venue: VenueId::Alpaca,
        symbol: update.symbol.clone(),
        side: side(&u.order.side)?,
        price: price_rounded("price", price)?,
        qty: qty_floor("qty", qty)?,
        fee: Decimal::ZERO,
        fee_asset: "USD".into(),
        trade_id,
        is_maker: false,
        time: update.time,
    }))
}

/// One element of a market data frame, in domain terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlpacaDataItem {
    /// `[{"T":"success","msg":"connected"}]`: send the auth message now.
    Connected,
    /// The keys were accepted.
    Authenticated,
    /// The full current subscription after a (un)subscribe.
    Subscription {
        /// Trade channels.
        trades: Vec<String>,
        /// Quote channels.
        quotes: Vec<String>,
        /// Minute bar channels.
        bars: Vec<String>,
        /// Daily bar channels.
        daily_bars: Vec<String>,
    },
    /// An error message (codes in protocols.md §2.3).
    Error {
        /// Alpaca error code.
        code: i64,
        /// Alpaca's text.
        message: String,
    },
    /// A trade (Alpaca does not report the aggressor side; the feed infers it).
    Trade {
        /// Symbol.
        symbol: Symbol,
        /// Trade id.
        id: u64,
        /// Price.
        price: Price,
        /// Size.
        qty: Qty,
        /// Trade time.
        time: TimeMs,
    },
    /// Best bid and offer. A side with a zero price (no quote) is `None`.
    Quote {
        /// Symbol.
        symbol: Symbol,
        /// Best bid.
        bid: Option<Level>,
        /// Best ask.
        ask: Option<Level>,
        /// Quote time.
        time: TimeMs,
    },
    /// A closed one-minute bar (`b`, or `u` for a late correction).
    Bar {
        /// Symbol.
        symbol: Symbol,
        /// The bar.
        candle: Candle,
    },
    /// The day's bar so far (`d`).
    DailyBar {
        /// Symbol.
        symbol: Symbol,
        /// The bar.
        candle: Candle,
    },
    /// A trading status change (halt, resume).
    Status {
        /// Symbol.
        symbol: Symbol,
        /// Status and reason text.
        text: String,
    },
    /// A message type this client does not use (its `T`).
    Ignored(String),
}

/// Parses one market data frame (always a JSON array). Each element parses on its own, so one
/// bad element does not lose the rest.
pub fn parse_data_frame(
    bytes: &[u8],
) -> Result<Vec<Result<AlpacaDataItem, AlpacaParseError>>, AlpacaParseError> {
    let items: Vec<&RawValue> = serde_json::from_slice(bytes)?;
    Ok(items.into_iter().map(data_item).collect())
}

fn data_item(raw: &RawValue) -> Result<AlpacaDataItem, AlpacaParseError> {
    let text = raw.get();
    let tag: AlpacaTag<'_> = serde_json::from_str(text)?;
    match tag.kind {
        "t" => trade_item(serde_json::from_str(text)?),
        "q" => quote_item(serde_json::from_str(text)?),
        "b" | "u" => {
            let bar: AlpacaBar<'_> = serde_json::from_str(text)?;
            let candle = candle(&bar, Interval::M1, TimeMs::MAX)?;
            Ok(AlpacaDataItem::Bar {
                symbol: bar_symbol(&bar)?,
                candle,
            })
        }
        "d" => {
            let bar: AlpacaBar<'_> = serde_json::from_str(text)?;
            let candle = candle(&bar, Interval::D1, now_ms())?;
            Ok(AlpacaDataItem::DailyBar {
                symbol: bar_symbol(&bar)?,
                candle,
            })
        }
        "s" => {
            let s: AlpacaStatusMsg = serde_json::from_str(text)?;
            let text = [s.sm, s.rm]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(": ");
            Ok(AlpacaDataItem::Status {
                symbol: symbol(&s.symbol)?,
                text,
            })
        }
        "success" | "error" => control_item(tag.kind, serde_json::from_str(text)?),
        "subscription" => {
            let s: AlpacaSubscriptionMsg = serde_json::from_str(text)?;
            Ok(AlpacaDataItem::Subscription {
                trades: s.trades,
                quotes: s.quotes,
                bars: s.bars,
                daily_bars: s.daily_bars,
            })
        }
        other => Ok(AlpacaDataItem::Ignored(other.chars().take(20).collect())),
    }
}

fn bar_symbol(bar: &AlpacaBar<'_>) -> Result<Symbol, AlpacaParseError> {
    symbol(bar.symbol.unwrap_or_default())
}

fn trade_item(t: AlpacaTradeMsg<'_>) -> Result<AlpacaDataItem, AlpacaParseError> {
    Ok(AlpacaDataItem::Trade {
        symbol: symbol(t.symbol)?,
        id: t.i.unwrap_or(0),
        price: market_price("p", t.p)?,
        qty: market_qty("s", t.s)?,
        time: time_ms("t", t.t)?,
    })
}

fn quote_item(q: AlpacaQuoteMsg<'_>) -> Result<AlpacaDataItem, AlpacaParseError> {
    let level = |price: Price, qty: Qty| price.is_positive().then_some(Level { price, qty });
    Ok(AlpacaDataItem::Quote {
        symbol: symbol(q.symbol)?,
        bid: level(market_price("bp", q.bp)?, market_qty("bs", q.bs)?),
        ask: level(market_price("ap", q.ap)?, market_qty("as", q.as_)?),
        time: time_ms("t", q.t)?,
    })
}

fn control_item(kind: &str, c: AlpacaControlMsg) -> Result<AlpacaDataItem, AlpacaParseError> {
    let msg = c.msg.unwrap_or_default();
    Ok(match (kind, msg.as_str()) {
        ("success", "connected") => AlpacaDataItem::Connected,
        ("success", "authenticated") => AlpacaDataItem::Authenticated,
        ("success", _) => AlpacaDataItem::Ignored("success".into()),
        _ => AlpacaDataItem::Error {
            code: c.code.unwrap_or(0),
            message: msg,
        },
    })
}

/// A user-facing explanation of a market data error code, and whether retrying can help.
pub(crate) fn describe_data_error(code: i64, msg: &str) -> (String, bool) {
    let (text, retry) = match code {
        400 => (
            "Alpaca could not read a request (invalid syntax); this is a bug",
            true,
        ),
        401 => (
            "Alpaca says the stream is not authenticated yet; reconnecting",
            true,
        ),
        402 => (
            "Alpaca refused the API keys for market data: check them with `speedtrade keys set \
             alpaca` (paper and live keys differ)",
            false,
        ),
        403 => ("Alpaca says the stream was already authenticated", true),
        404 => (
            "Alpaca closed the stream: authentication took too long",
            true,
        ),
        405 => (
            "Alpaca symbol limit reached for your plan: remove symbols from the watchlist \
             (the free IEX plan allows 30 trade/quote symbols)",
            true,
        ),
        406 => (
            "Alpaca connection limit reached: another program (or another speedtrade) is \
             already streaming with these keys; close it, retrying with backoff",
            true,
        ),
        407 => (
            "Alpaca dropped the stream because this client read too slowly",
            true,
        ),
        408 => (
            "market data v2 is not enabled for this Alpaca account",
            false,
        ),
        409 => (
            "your Alpaca subscription does not include this feed: set the feed to `iex` \
             (free) or upgrade the plan for `sip`",
            false,
        ),
        410 => (
            "this subscription is not available on the chosen Alpaca feed",
            true,
        ),
        411 => ("these Alpaca keys lack the scope for market data", false),
        500 => ("Alpaca market data had an internal error; retrying", true),
        _ => ("Alpaca market data error", true),
    };
    (format!("{text} ({code}: {msg})"), retry)
}
