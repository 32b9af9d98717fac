//! Orders of the demo account: wire enums, the order record, and the validation of a new
//! order request against Binance's parameter rules and the symbol's filters.

use super::errors::ApiError;
use super::params::Params;
use super::symbols::SymbolSpec;
use crate::domain::{Price, Qty, Side, notional};
use rust_decimal::Decimal;

/// Order types the simulator accepts (also listed in `exchangeInfo.orderTypes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrdType {
    /// `LIMIT`.
    Limit,
    /// `MARKET`.
    Market,
    /// `LIMIT_MAKER` (post-only).
    LimitMaker,
    /// `STOP_LOSS_LIMIT`.
    StopLossLimit,
    /// `TAKE_PROFIT_LIMIT`.
    TakeProfitLimit,
}

impl OrdType {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            OrdType::Limit => "LIMIT",
            OrdType::Market => "MARKET",
            OrdType::LimitMaker => "LIMIT_MAKER",
            OrdType::StopLossLimit => "STOP_LOSS_LIMIT",
            OrdType::TakeProfitLimit => "TAKE_PROFIT_LIMIT",
        }
    }
    /// Every accepted type.
    pub const ALL: [OrdType; 5] = [
        OrdType::Limit,
        OrdType::LimitMaker,
        OrdType::Market,
        OrdType::StopLossLimit,
        OrdType::TakeProfitLimit,
    ];
    fn is_stop(self) -> bool {
        matches!(self, OrdType::StopLossLimit | OrdType::TakeProfitLimit)
    }
}

/// Time in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tif {
    /// Good till cancelled.
    Gtc,
    /// Immediate or cancel.
    Ioc,
    /// Fill or kill.
    Fok,
}

impl Tif {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Tif::Gtc => "GTC",
            Tif::Ioc => "IOC",
            Tif::Fok => "FOK",
        }
    }
}

/// Order status on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Working, nothing filled.
    New,
    /// Partly filled, rest working.
    PartiallyFilled,
    /// Done.
    Filled,
    /// Cancelled by the user.
    Canceled,
    /// Rejected.
    Rejected,
    /// IOC/FOK/market remainder expired.
    Expired,
}

impl Status {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "NEW",
            Status::PartiallyFilled => "PARTIALLY_FILLED",
            Status::Filled => "FILLED",
            Status::Canceled => "CANCELED",
            Status::Rejected => "REJECTED",
            Status::Expired => "EXPIRED",
        }
    }
    /// Whether the order can still trade.
    pub fn is_open(self) -> bool {
        matches!(self, Status::New | Status::PartiallyFilled)
    }
}

/// `newOrderRespType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RespType {
    /// Ids only.
    Ack,
    /// The order.
    Result,
    /// The order and its fills.
    Full,
}

/// Wire name of a side.
pub fn side_str(side: Side) -> &'static str {
    match side {
        Side::Buy => "BUY",
        Side::Sell => "SELL",
    }
}

/// A validated new order request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    /// Symbol index.
    pub sym: usize,
    /// Side.
    pub side: Side,
    /// Type.
    pub kind: OrdType,
    /// Time in force (GTC for types that take none).
    pub tif: Tif,
    /// Base quantity (absent for a quote-quantity market order).
    pub qty: Option<Qty>,
    /// Quote amount of a market order (`quoteOrderQty`).
    pub quote_qty: Option<Qty>,
    /// Limit price.
    pub price: Option<Price>,
    /// Stop price.
    pub stop: Option<Price>,
    /// `newClientOrderId`, if given.
    pub client_id: Option<String>,
    /// Response shape.
    pub resp: RespType,
}

/// An order of the demo account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimOrder {
    /// Order id (unique across symbols).
    pub id: u64,
    /// Symbol index.
    pub sym: usize,
    /// Client order id.
    pub client_id: String,
    /// Side.
    pub side: Side,
    /// Type.
    pub kind: OrdType,
    /// Time in force.
    pub tif: Tif,
    /// Limit price (zero for market).
    pub price: Price,
    /// Ordered base quantity (zero for a quote-quantity market order).
    pub orig_qty: Qty,
    /// Ordered quote amount (`origQuoteOrderQty`).
    pub orig_quote: Qty,
    /// Stop price (zero if none).
    pub stop: Price,
    /// Filled base quantity.
    pub executed: Qty,
    /// Filled quote amount.
    pub cum_quote: Decimal,
    /// Status.
    pub status: Status,
    /// Creation time.
    pub time: i64,
    /// Last change.
    pub update_time: i64,
    /// When it entered the book (−1 for an untriggered stop).
    pub working_time: i64,
    /// Funds still locked for it (quote for buys, base for sells).
    pub locked: Decimal,
}

impl SimOrder {
    /// Quantity still to fill.
    pub fn remaining(&self) -> Qty {
        self.orig_qty.saturating_sub(self.executed)
    }
    /// Whether the order rests in the book (or waits for its trigger).
    pub fn is_working(&self) -> bool {
        self.working_time >= 0
    }
}

fn parse_side(p: &Params) -> Result<Side, ApiError> {
    match p.req("side")? {
        "BUY" => Ok(Side::Buy),
        "SELL" => Ok(Side::Sell),
        _ => Err(ApiError::bad(-1117, "Invalid side.")),
    }
}

fn parse_type(p: &Params) -> Result<OrdType, ApiError> {
    let t = p.req("type")?;
    if let Some(k) = OrdType::ALL.into_iter().find(|k| k.as_str() == t) {
        return Ok(k);
    }
    match t {
        "STOP_LOSS" | "TAKE_PROFIT" => Err(ApiError::rejected(
            "Order type not supported for this symbol.",
        )),
        _ => Err(ApiError::bad(-1116, "Invalid orderType.")),
    }
}

fn parse_tif(p: &Params, kind: OrdType) -> Result<Tif, ApiError> {
    let needs = matches!(
        kind,
        OrdType::Limit | OrdType::StopLossLimit | OrdType::TakeProfitLimit
    );
    match (p.get("timeInForce"), needs) {
        (None, true) => Err(ApiError::missing("timeInForce")),
        (None, false) => Ok(Tif::Gtc),
        (Some(_), false) => Err(ApiError::not_required("timeInForce")),
        (Some("GTC"), true) => Ok(Tif::Gtc),
        (Some("IOC"), true) => Ok(Tif::Ioc),
        (Some("FOK"), true) => Ok(Tif::Fok),
        (Some(_), true) => Err(ApiError::bad(-1115, "Invalid timeInForce.")),
    }
}

fn parse_resp(p: &Params, kind: OrdType) -> Result<RespType, ApiError> {
    match p.get("newOrderRespType") {
        None if matches!(kind, OrdType::Limit | OrdType::Market) => Ok(RespType::Full),
        None => Ok(RespType::Ack),
        Some("ACK") => Ok(RespType::Ack),
        Some("RESULT") => Ok(RespType::Result),
        Some("FULL") => Ok(RespType::Full),
        Some(_) => Err(ApiError::illegal("newOrderRespType", "ACK|RESULT|FULL")),
    }
}

/// Checks `^[a-zA-Z0-9-_]{1,36}$` (-1100 otherwise).
pub fn check_client_id(name: &str, id: &str) -> Result<(), ApiError> {
    let ok = (1..=36).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(ApiError::illegal(name, "^[a-zA-Z0-9-_]{1,36}$"))
    }
}

/// Validates a new order's parameters for the symbol `spec` (index `sym`); `last` is the last
/// trade price, used for the notional of market orders.
pub fn parse_new_order(
    p: &Params,
    sym: usize,
    spec: &SymbolSpec,
    last: Price,
) -> Result<NewOrder, ApiError> {
    let side = parse_side(p)?;
    let kind = parse_type(p)?;
    let tif = parse_tif(p, kind)?;
    let resp = parse_resp(p, kind)?;
    let qty = p.qty("quantity")?;
    let quote_qty = p.qty("quoteOrderQty")?;
    let price = p.price("price")?;
    let stop = p.price("stopPrice")?;
    if let Some(id) = p.get("newClientOrderId") {
        check_client_id("newClientOrderId", id)?;
    }
    let order = NewOrder {
        sym,
        side,
        kind,
        tif,
        qty,
        quote_qty,
        price,
        stop,
        client_id: p.get("newClientOrderId").map(str::to_string),
        resp,
    };
    check_shape(&order)?;
    check_filters(&order, spec, last)?;
    Ok(order)
}

/// Which parameters each type needs or refuses.
fn check_shape(o: &NewOrder) -> Result<(), ApiError> {
    match o.kind {
        OrdType::Market => {
            if o.price.is_some() {
                return Err(ApiError::not_required("price"));
            }
            match (o.qty, o.quote_qty) {
                (None, None) => Err(ApiError::bad(
                    -1102,
                    "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!",
                )),
                (Some(_), Some(_)) => Err(ApiError::not_required("quoteOrderQty")),
                _ => Ok(()),
            }
        }
        kind => {
            if o.quote_qty.is_some() {
                return Err(ApiError::not_required("quoteOrderQty"));
            }
            o.qty.ok_or_else(|| ApiError::missing("quantity"))?;
            o.price.ok_or_else(|| ApiError::missing("price"))?;
            match (kind.is_stop(), o.stop) {
                (true, None) => Err(ApiError::missing("stopPrice")),
                (false, Some(_)) => Err(ApiError::not_required("stopPrice")),
                _ => Ok(()),
            }
        }
    }
}

/// PRICE_FILTER, LOT_SIZE and NOTIONAL, in Binance's order.
fn check_filters(o: &NewOrder, s: &SymbolSpec, last: Price) -> Result<(), ApiError> {
    for p in [o.price, o.stop].into_iter().flatten() {
        let ok = p >= s.min_price && p <= s.max_price && p.is_multiple_of(s.tick);
        if !ok {
            return Err(ApiError::filter("PRICE_FILTER"));
        }
    }
    if let Some(q) = o.qty {
        let ok = q >= s.min_qty && q <= s.max_qty && q.is_multiple_of(s.step);
        if !ok {
            return Err(ApiError::filter("LOT_SIZE"));
        }
    }
    let value = match (o.qty, o.quote_qty) {
        (_, Some(quote)) => quote.to_decimal(),
        (Some(q), None) => notional(o.price.unwrap_or(last), q).unwrap_or(Decimal::MAX),
        (None, None) => Decimal::ZERO,
    };
    let over_max = o.kind != OrdType::Market && value > s.max_notional;
    if value < s.min_notional || over_max {
        return Err(ApiError::filter("NOTIONAL"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(q: &str) -> Result<NewOrder, ApiError> {
        let spec = SymbolSpec::for_name("BTCUSDT");
        parse_new_order(
            &Params::from_urlencoded(q),
            0,
            &spec,
            Price::from_int(90_000),
        )
    }

    #[test]
    fn order_parameters_follow_binance_rules() {
        let ok = parse("side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&price=90000").unwrap();
        assert_eq!((ok.kind, ok.resp), (OrdType::Limit, RespType::Full));
        let cases = [
            ("side=BUY&type=LIMIT&quantity=0.001&price=90000", -1102),
            ("side=UP&type=LIMIT", -1117),
            ("side=BUY&type=FANCY", -1116),
            ("side=BUY&type=STOP_LOSS&quantity=1", -2010),
            ("side=BUY&type=MARKET&quantity=0.001&timeInForce=GTC", -1106),
            ("side=BUY&type=MARKET", -1102),
            (
                "side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.0000000001&price=90000",
                -1111,
            ),
            (
                "side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&price=90000.001",
                -1013,
            ),
            (
                "side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&price=9x",
                -1100,
            ),
            (
                "side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.000015&price=90000",
                -1013,
            ),
            (
                "side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.00001&price=90000",
                -1013,
            ),
            (
                "side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=9&newClientOrderId=a b",
                -1100,
            ),
            (
                "side=BUY&type=STOP_LOSS_LIMIT&timeInForce=GTC&quantity=1&price=9",
                -1102,
            ),
        ];
        for (q, code) in cases {
            assert_eq!(parse(q).map(|_| ()).unwrap_err().code, code, "{q}");
        }
        let e = parse("side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.00001&price=90000");
        assert_eq!(e.unwrap_err().msg, "Filter failure: NOTIONAL");
    }
}
