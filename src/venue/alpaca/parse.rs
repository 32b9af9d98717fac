//! Alpaca REST JSON → domain types: orders, statuses, account, positions, assets, bars.
//!
//! The `parse_*` functions take the raw JSON text and return domain types only, so tests and
//! tools can use them without seeing a wire struct.
//!
//! Status mapping (explicit, see [`map_status`]):
//! - `new`, `accepted`, `pending_new`, `accepted_for_bidding` → `New` (at the venue, working).
//! - `partially_filled` → `PartiallyFilled`; `filled` → `Filled`.
//! - `done_for_day`, `pending_replace`, `stopped`, `suspended`, `calculated`, `held` and any
//!   status we do not know yet → still open: `PartiallyFilled` if anything filled, else `New`.
//! - `pending_cancel` → `PendingCancel`; `canceled` → `Canceled`; `expired` → `Expired`;
//!   `rejected` → `Rejected`.
//! - `replaced` → `Canceled` with the reason "replaced by order …": this id no longer works (the
//!   replacement has a new id; speedtrade never sends replaces itself).

use super::num::{decimal, market_price, market_qty, opt_decimal, qty_floor, raw_decimal, time_ms};
use super::wire::{
    AlpacaAccount, AlpacaAsset, AlpacaBar, AlpacaBarsPage, AlpacaCancelStatus, AlpacaErrorBody,
    AlpacaOrder, AlpacaOrderStatus, AlpacaPosition,
};
use crate::domain::{
    Candle, ClientOrderId, Instrument, Interval, OrderStatus, Price, Qty, Side, Symbol, TimeMs,
    VenueId, now_ms,
};
use crate::venue::{AccountSnapshot, BrokerPosition, OrderUpdate};
use rust_decimal::Decimal;

/// Why an Alpaca message could not be turned into domain types.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlpacaParseError {
    /// Not the JSON shape expected.
    #[error("malformed Alpaca message: {0}")]
    Json(String),
    /// A number that is not a decimal (or does not fit).
    #[error("bad number in `{field}`: `{value}`")]
    Number {
        /// Field name.
        field: &'static str,
        /// The text received (cut to 64 characters).
        value: String,
    },
    /// A time that is not RFC 3339.
    #[error("bad time in `{field}`: `{value}`")]
    Time {
        /// Field name.
        field: &'static str,
        /// The text received (cut to 64 characters).
        value: String,
    },
    /// A symbol this client cannot represent.
    #[error("bad symbol `{0}`")]
    Symbol(String),
    /// A value outside the documented set (e.g. a side that is not buy or sell).
    #[error("unexpected `{field}` value `{value}`")]
    Unexpected {
        /// Field name.
        field: &'static str,
        /// The value received.
        value: String,
    },
    /// An order whose client order id speedtrade could not have made (placed by another tool).
    #[error("order {order_id} was not placed by speedtrade (client order id `{client_order_id}`)")]
    ForeignOrder {
        /// Venue order id.
        order_id: String,
        /// Its client order id.
        client_order_id: String,
    },
}

impl From<serde_json::Error> for AlpacaParseError {
    fn from(e: serde_json::Error) -> Self {
        AlpacaParseError::Json(e.to_string())
    }
}

/// The tick Alpaca enforces for US stocks, which its API does not publish per asset: the SEC
/// sub-penny rule, $0.01 at or above $1 and $0.0001 below. [`parse_assets`] sets `0.01` (the
/// common case); the ticket should call this with the last price for stocks under $1.
pub fn stock_tick_size(price: Price) -> Price {
    if price >= Price::ONE {
        Price::from_units(1_000_000)
    } else {
        Price::from_units(10_000)
    }
}

/// Maps an Alpaca status to ours (see the module docs for the table).
pub(crate) fn map_status(status: AlpacaOrderStatus, filled: Qty) -> OrderStatus {
    let open = if filled.is_positive() {
        OrderStatus::PartiallyFilled
    } else {
        OrderStatus::New
    };
    match status {
        AlpacaOrderStatus::New
        | AlpacaOrderStatus::Accepted
        | AlpacaOrderStatus::PendingNew
        | AlpacaOrderStatus::AcceptedForBidding => OrderStatus::New,
        AlpacaOrderStatus::PartiallyFilled => OrderStatus::PartiallyFilled,
        AlpacaOrderStatus::Filled => OrderStatus::Filled,
        AlpacaOrderStatus::DoneForDay
        | AlpacaOrderStatus::PendingReplace
        | AlpacaOrderStatus::Stopped
        | AlpacaOrderStatus::Suspended
        | AlpacaOrderStatus::Calculated
        | AlpacaOrderStatus::Held
        | AlpacaOrderStatus::Unrecognized => open,
        AlpacaOrderStatus::PendingCancel => OrderStatus::PendingCancel,
        AlpacaOrderStatus::Canceled | AlpacaOrderStatus::Replaced => OrderStatus::Canceled,
        AlpacaOrderStatus::Expired => OrderStatus::Expired,
        AlpacaOrderStatus::Rejected => OrderStatus::Rejected,
    }
}

/// A reason worth showing for a status, if any.
fn status_reason(status: AlpacaOrderStatus, o: &AlpacaOrder) -> Option<String> {
    match status {
        AlpacaOrderStatus::Replaced => Some(match &o.replaced_by {
            Some(id) => format!("replaced by order {id}"),
            None => "replaced".into(),
        }),
        AlpacaOrderStatus::DoneForDay => Some("done for the day; works again next session".into()),
        AlpacaOrderStatus::Suspended => Some("suspended by the venue".into()),
        AlpacaOrderStatus::Unrecognized => Some(format!("Alpaca status `{}`", o.status)),
        _ => None,
    }
}

pub(crate) fn symbol(s: &str) -> Result<Symbol, AlpacaParseError> {
    Symbol::new(s).map_err(|_| AlpacaParseError::Symbol(s.chars().take(40).collect()))
}

pub(crate) fn side(s: &str) -> Result<Side, AlpacaParseError> {
    match s {
        "buy" => Ok(Side::Buy),
        "sell" => Ok(Side::Sell),
        other => Err(AlpacaParseError::Unexpected {
            field: "side",
            value: other.chars().take(20).collect(),
        }),
    }
}

pub(crate) fn client_order_id(o: &AlpacaOrder) -> Result<ClientOrderId, AlpacaParseError> {
    ClientOrderId::new(&o.client_order_id).map_err(|_| AlpacaParseError::ForeignOrder {
        order_id: o.id.clone(),
        client_order_id: o.client_order_id.chars().take(64).collect(),
    })
}

/// The best time an order carries (last change first), or now.
fn order_time(o: &AlpacaOrder) -> Result<TimeMs, AlpacaParseError> {
    match [&o.updated_at, &o.submitted_at, &o.created_at]
        .into_iter()
        .flatten()
        .next()
    {
        Some(t) => time_ms("updated_at", t),
        None => Ok(now_ms()),
    }
}

/// An order (REST reply or stream payload) → our view of it, without a fill.
pub(crate) fn order_update(o: &AlpacaOrder) -> Result<OrderUpdate, AlpacaParseError> {
    let client_order_id = client_order_id(o)?;
    let filled_text = o.filled_qty.as_deref().unwrap_or("0");
    let filled_qty = qty_floor("filled_qty", filled_text)?;
    let filled_exact = decimal("filled_qty", filled_text)?;
    let avg = opt_decimal("filled_avg_price", o.filled_avg_price.as_deref())?;
    let filled_quote = match avg {
        Some(avg) => avg
            .checked_mul(filled_exact)
            .ok_or_else(|| AlpacaParseError::Number {
                field: "filled_avg_price",
                value: avg.to_string(),
            })?,
        None => Decimal::ZERO,
    };
    side(&o.side)?;
    let status = AlpacaOrderStatus::from_wire(&o.status);
    if status == AlpacaOrderStatus::Unrecognized {
        tracing::warn!(status = %o.status, "unrecognized Alpaca order status; treated as open");
    }
    Ok(OrderUpdate {
        client_order_id,
        venue_order_id: Some(o.id.clone()),
        symbol: symbol(&o.symbol)?,
        status: map_status(status, filled_qty),
        filled_qty,
        filled_quote,
        fill: None,
        reason: status_reason(status, o),
        time: order_time(o)?,
    })
}

/// Parses one order (`POST /v2/orders`, `GET /v2/orders:by_client_order_id`).
pub fn parse_order(json: &str) -> Result<OrderUpdate, AlpacaParseError> {
    order_update(&serde_json::from_str::<AlpacaOrder>(json)?)
}

/// Parses an order list (`GET /v2/orders`). Orders placed by other tools (client order ids
/// speedtrade cannot hold) and malformed entries are skipped with a log line.
pub fn parse_orders(json: &str) -> Result<Vec<OrderUpdate>, AlpacaParseError> {
    let orders: Vec<AlpacaOrder> = serde_json::from_str(json)?;
    Ok(orders
        .iter()
        .filter_map(|o| match order_update(o) {
            Ok(u) => Some(u),
            Err(e @ AlpacaParseError::ForeignOrder { .. }) => {
                tracing::debug!(error = %e, "skipping order");
                None
            }
            Err(e) => {
                tracing::warn!(order_id = %o.id, error = %e, "skipping malformed Alpaca order");
                None
            }
        })
        .collect())
}

/// A position → the broker's view, with a signed quantity (negative = short).
pub(crate) fn position(p: &AlpacaPosition) -> Result<BrokerPosition, AlpacaParseError> {
    let mut qty = decimal("qty", &p.qty)?;
    match p.side.as_deref() {
        Some("short") if qty.is_sign_positive() => qty = -qty,
        Some("long" | "short") | None => {}
        Some(other) => {
            return Err(AlpacaParseError::Unexpected {
                field: "side",
                value: other.chars().take(20).collect(),
            });
        }
    }
    Ok(BrokerPosition {
        symbol: symbol(&p.symbol)?,
        qty,
        avg_entry_price: decimal("avg_entry_price", &p.avg_entry_price)?,
        current_price: opt_decimal("current_price", p.current_price.as_deref())?,
    })
}

/// Parses one position (`GET /v2/positions/{symbol}` or an element of the list).
pub fn parse_position(json: &str) -> Result<BrokerPosition, AlpacaParseError> {
    position(&serde_json::from_str::<AlpacaPosition>(json)?)
}

/// Account + positions → a snapshot. `balances` stays empty: a stock account reports cash,
/// equity and positions instead.
pub(crate) fn account_snapshot(
    a: &AlpacaAccount,
    positions: &[AlpacaPosition],
) -> Result<AccountSnapshot, AlpacaParseError> {
    if a.trading_blocked || a.account_blocked {
        tracing::warn!(status = ?a.status, "the Alpaca account is blocked from trading");
    }
    Ok(AccountSnapshot {
        balances: Vec::new(),
        positions: positions.iter().map(position).collect::<Result<_, _>>()?,
        cash: Some(decimal("cash", &a.cash)?),
        equity: Some(decimal("equity", &a.equity)?),
    })
}

/// Parses `GET /v2/account` and `GET /v2/positions` replies into one snapshot.
pub fn parse_account(
    account_json: &str,
    positions_json: &str,
) -> Result<AccountSnapshot, AlpacaParseError> {
    let a: AlpacaAccount = serde_json::from_str(account_json)?;
    let p: Vec<AlpacaPosition> = serde_json::from_str(positions_json)?;
    account_snapshot(&a, &p)
}

/// A step from an asset field: parsed, and never rounded down to zero.
fn step_units(field: &'static str, raw: Option<&serde_json::value::RawValue>) -> Option<i64> {
    let units = market_price(field, raw?).ok()?.units();
    Some(units.max(1))
}

/// An asset → an instrument. Stocks: tick 0.01 (see [`stock_tick_size`]); quantity step 1e-8
/// for fractionable assets (Alpaca allows 1e-9, finer than our 8 decimals, so every quantity we
/// send is valid there) and 1 share otherwise; no minimum notional (Alpaca's $1 minimum for
/// fractional orders comes back as a clear 422). Crypto: the asset's own increments.
pub(crate) fn instrument(a: &AlpacaAsset<'_>) -> Result<Instrument, AlpacaParseError> {
    let sym = symbol(&a.symbol)?;
    let (base, quote) = match a.symbol.split_once('/') {
        Some((b, q)) => (b.to_string(), q.to_string()),
        None => (a.symbol.clone(), "USD".to_string()),
    };
    let default_step = if a.fractionable { 1 } else { Qty::ONE.units() };
    let tick = step_units("price_increment", a.price_increment).unwrap_or(1_000_000);
    let step = step_units("min_trade_increment", a.min_trade_increment).unwrap_or(default_step);
    let min_qty = step_units("min_order_size", a.min_order_size).unwrap_or(step);
    Ok(Instrument {
        venue: VenueId::Alpaca,
        symbol: sym,
        base,
        quote,
        tick_size: Price::from_units(tick),
        min_price: Price::ZERO,
        max_price: Price::ZERO,
        step_size: Qty::from_units(step),
        min_qty: Qty::from_units(min_qty),
        max_qty: Qty::ZERO,
        min_notional: Decimal::ZERO,
        max_notional: None,
        trading: a.status.as_deref() == Some("active") && a.tradable,
    })
}

/// Parses `GET /v2/assets`. Assets with symbols this client cannot hold are skipped.
pub fn parse_assets(json: &str) -> Result<Vec<Instrument>, AlpacaParseError> {
    let assets: Vec<AlpacaAsset<'_>> = serde_json::from_str(json)?;
    Ok(assets
        .iter()
        .filter_map(|a| {
            instrument(a)
                .map_err(|e| tracing::debug!(error = %e, "skipping Alpaca asset"))
                .ok()
        })
        .collect())
}

/// A bar → a candle. `closed` is true once the interval has ended at `now`.
pub(crate) fn candle(
    b: &AlpacaBar<'_>,
    interval: Interval,
    now: TimeMs,
) -> Result<Candle, AlpacaParseError> {
    let open_time = time_ms("t", b.t)?;
    let volume = market_qty("v", b.v)?;
    let quote_volume = match b.vw {
        Some(vw) => raw_decimal("vw", vw)?
            .checked_mul(raw_decimal("v", b.v)?)
            .unwrap_or(Decimal::ZERO),
        None => Decimal::ZERO,
    };
    Ok(Candle {
        open_time,
        open: market_price("o", b.o)?,
        high: market_price("h", b.h)?,
        low: market_price("l", b.l)?,
        close: market_price("c", b.c)?,
        volume,
        quote_volume,
        trades: b.n.unwrap_or(0),
        closed: open_time.saturating_add(interval.millis()) <= now,
    })
}

/// Parses one page of `GET /v2/stocks/{symbol}/bars`: candles (in the page's order) and the
/// next page token.
pub fn parse_bars(
    json: &str,
    interval: Interval,
    now: TimeMs,
) -> Result<(Vec<Candle>, Option<String>), AlpacaParseError> {
    let page: AlpacaBarsPage<'_> = serde_json::from_str(json)?;
    let candles = page
        .bars
        .unwrap_or_default()
        .iter()
        .map(|b| candle(b, interval, now))
        .collect::<Result<_, _>>()?;
    Ok((candles, page.next_page_token.filter(|t| !t.is_empty())))
}

/// One order in the reply to "cancel all open orders".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelAllEntry {
    /// Venue order id.
    pub order_id: String,
    /// HTTP status of this order's cancel (200 = accepted, 500 = failed).
    pub http_status: u16,
    /// The order, when Alpaca returned it and it is one of ours.
    pub update: Option<OrderUpdate>,
}

impl CancelAllEntry {
    /// Whether Alpaca accepted this cancel.
    pub fn accepted(&self) -> bool {
        (200..300).contains(&self.http_status)
    }
}

/// Parses the 207 multi-status reply of `DELETE /v2/orders`.
pub fn parse_cancel_all(json: &str) -> Result<Vec<CancelAllEntry>, AlpacaParseError> {
    let entries: Vec<AlpacaCancelStatus> = serde_json::from_str(json)?;
    Ok(entries
        .into_iter()
        .map(|e| {
            let update = e
                .body
                .as_deref()
                .and_then(|b| serde_json::from_str::<AlpacaOrder>(b.get()).ok())
                .and_then(|o| order_update(&o).ok());
            CancelAllEntry {
                order_id: e.id,
                http_status: e.status,
                update,
            }
        })
        .collect())
}

/// Reads an error body: `(code, message)`. A body that is not Alpaca's JSON is returned as
/// printable text, cut to 200 characters.
pub fn parse_error_body(body: &[u8]) -> (Option<i64>, String) {
    if let Ok(e) = serde_json::from_slice::<AlpacaErrorBody>(body)
        && (e.code.is_some() || e.message.is_some())
    {
        return (e.code, e.message.unwrap_or_default());
    }
    let text: String = String::from_utf8_lossy(body)
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    (None, text.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_alpaca_status_maps_explicitly() {
        let one = Qty::ONE;
        let cases = [
            ("new", Qty::ZERO, OrderStatus::New),
            ("accepted", Qty::ZERO, OrderStatus::New),
            ("pending_new", Qty::ZERO, OrderStatus::New),
            ("accepted_for_bidding", Qty::ZERO, OrderStatus::New),
            ("partially_filled", one, OrderStatus::PartiallyFilled),
            ("filled", one, OrderStatus::Filled),
            ("done_for_day", Qty::ZERO, OrderStatus::New),
            ("done_for_day", one, OrderStatus::PartiallyFilled),
            ("pending_replace", Qty::ZERO, OrderStatus::New),
            ("stopped", Qty::ZERO, OrderStatus::New),
            ("suspended", one, OrderStatus::PartiallyFilled),
            ("calculated", one, OrderStatus::PartiallyFilled),
            ("held", Qty::ZERO, OrderStatus::New),
            ("pending_cancel", Qty::ZERO, OrderStatus::PendingCancel),
            ("canceled", one, OrderStatus::Canceled),
            ("replaced", Qty::ZERO, OrderStatus::Canceled),
            ("expired", Qty::ZERO, OrderStatus::Expired),
            ("rejected", Qty::ZERO, OrderStatus::Rejected),
            ("brand_new_status", Qty::ZERO, OrderStatus::New),
        ];
        for (wire, filled, want) in cases {
            let got = map_status(AlpacaOrderStatus::from_wire(wire), filled);
            assert_eq!(got, want, "{wire}");
        }
    }

    #[test]
    fn stock_ticks_follow_the_sub_penny_rule() {
        let p = |s| Price::parse(s).unwrap();
        assert_eq!(stock_tick_size(p("290.12")), p("0.01"));
        assert_eq!(stock_tick_size(p("1")), p("0.01"));
        assert_eq!(stock_tick_size(p("0.9999")), p("0.0001"));
    }

    #[test]
    fn error_bodies_are_read_or_quoted() {
        let (code, msg) =
            parse_error_body(br#"{"code":40310000,"message":"insufficient buying power"}"#);
        assert_eq!(code, Some(40310000));
        assert_eq!(msg, "insufficient buying power");
        let (code, msg) = parse_error_body(b"<html>bad gateway</html>\n");
        assert_eq!((code, msg.as_str()), (None, "<html>bad gateway</html>"));
    }
}
