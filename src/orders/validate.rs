//! Order validation before anything is journaled: the ticket's fields, the instrument's
//! filters and the user's limits, with messages that say what to change.

use super::{OrderError, OrderManager};
use crate::domain::{
    ClientOrderId, FilterError, Instrument, OrderAmount, OrderRequest, OrderType, Price, Side,
    Symbol, TimeInForce, VenueId, notional,
};
use rust_decimal::Decimal;

/// What the ticket or the CLI asks for, before it gets a client order id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderDraft {
    /// Where the order goes.
    pub venue: VenueId,
    /// Instrument.
    pub symbol: Symbol,
    /// Buy or sell.
    pub side: Side,
    /// Market, limit, stop-limit, post-only.
    pub order_type: OrderType,
    /// Base quantity, or quote notional (market orders only).
    pub amount: OrderAmount,
    /// Limit price (every type but market).
    pub price: Option<Price>,
    /// Trigger price (stop-limit only).
    pub stop_price: Option<Price>,
    /// Time in force.
    pub tif: TimeInForce,
    /// The last traded price, used to check a market order's value against the filters and
    /// the user's limit.
    pub reference_price: Option<Price>,
}

impl OrderDraft {
    /// A limit order draft (GTC).
    pub fn limit(
        venue: VenueId,
        symbol: Symbol,
        side: Side,
        qty: crate::domain::Qty,
        price: Price,
    ) -> Self {
        Self {
            venue,
            symbol,
            side,
            order_type: OrderType::Limit,
            amount: OrderAmount::Base(qty),
            price: Some(price),
            stop_price: None,
            tif: TimeInForce::Gtc,
            reference_price: None,
        }
    }

    /// A market order draft for a base quantity.
    pub fn market(venue: VenueId, symbol: Symbol, side: Side, qty: crate::domain::Qty) -> Self {
        Self {
            venue,
            symbol,
            side,
            order_type: OrderType::Market,
            amount: OrderAmount::Base(qty),
            price: None,
            stop_price: None,
            tif: TimeInForce::Ioc,
            reference_price: None,
        }
    }

    /// The order value in quote units, when it can be known before execution.
    pub fn notional(&self) -> Option<Decimal> {
        match self.amount {
            OrderAmount::Quote(a) => Some(a.to_decimal()),
            OrderAmount::Base(q) => notional(self.price.or(self.reference_price)?, q),
        }
    }
}

fn invalid(msg: impl Into<String>) -> OrderError {
    OrderError::Invalid(msg.into())
}

/// Checks the fields a type needs and forbids.
fn check_fields(d: &OrderDraft) -> Result<(), OrderError> {
    let t = d.order_type;
    if t.needs_price() && d.price.is_none() {
        return Err(invalid(format!("a {t} order needs a price")));
    }
    if !t.needs_price() && d.price.is_some() {
        return Err(invalid(
            "a market order takes no price: clear the price or choose limit",
        ));
    }
    if t.needs_stop() && d.stop_price.is_none() {
        return Err(invalid("a stop-limit order needs a stop price"));
    }
    if !t.needs_stop() && d.stop_price.is_some() {
        return Err(invalid("only stop-limit orders take a stop price"));
    }
    if matches!(d.amount, OrderAmount::Quote(_)) && t != OrderType::Market {
        return Err(invalid(
            "an amount in quote currency is only for market orders: enter a base quantity",
        ));
    }
    if t == OrderType::PostOnly && d.tif != TimeInForce::Gtc {
        return Err(invalid(
            "a post-only order rests in the book: use time in force GTC",
        ));
    }
    Ok(())
}

/// Checks a draft against the instrument's filters and the user's per-order limit.
pub fn check_draft(
    inst: &Instrument,
    d: &OrderDraft,
    max_notional: Option<Decimal>,
) -> Result<(), OrderError> {
    check_fields(d)?;
    if !inst.trading {
        return Err(FilterError::NotTrading(inst.symbol.clone()).into());
    }
    if let Some(stop) = d.stop_price {
        inst.check_price(stop)?;
    }
    match (d.amount, d.price) {
        (OrderAmount::Base(q), Some(p)) => inst.check_order(p, q)?,
        (OrderAmount::Base(q), None) => {
            inst.check_qty(q)?;
            if let Some(r) = d.reference_price {
                inst.check_notional(r, q)?;
            }
        }
        (OrderAmount::Quote(a), _) => {
            if a.to_decimal() < inst.min_notional || !a.is_positive() {
                return Err(FilterError::NotionalTooSmall {
                    notional: a.to_decimal(),
                    min: inst.min_notional,
                    quote: inst.quote.clone(),
                }
                .into());
            }
        }
    }
    check_limit(inst, d, max_notional)
}

fn check_limit(inst: &Instrument, d: &OrderDraft, max: Option<Decimal>) -> Result<(), OrderError> {
    let Some(max) = max else { return Ok(()) };
    match d.notional() {
        Some(value) if value > max => Err(invalid(format!(
            "order value {} {q} is above your limit of {} {q} per order (trading.max_notional)",
            value.normalize(),
            max.normalize(),
            q = inst.quote
        ))),
        Some(_) => Ok(()),
        None => Err(invalid(
            "no last price to check this market order against your per-order limit: wait for \
             a price or use a limit order",
        )),
    }
}

impl OrderManager {
    /// Checks a draft (fields, instrument filters, user limit) without journaling anything; the
    /// ticket calls it on every keystroke.
    pub fn check(&self, d: &OrderDraft) -> Result<(), OrderError> {
        let inst = self.instrument(d.venue, &d.symbol)?;
        check_draft(&inst, d, self.inner.opts.max_order_notional)
    }

    /// Checks a draft and turns it into a request with a fresh client order id.
    pub fn validate(&self, d: &OrderDraft) -> Result<OrderRequest, OrderError> {
        self.check(d)?;
        Ok(OrderRequest {
            client_order_id: ClientOrderId::generate(),
            venue: d.venue,
            symbol: d.symbol.clone(),
            side: d.side,
            order_type: d.order_type,
            amount: d.amount,
            price: d.price,
            stop_price: d.stop_price,
            tif: d.tif,
        })
    }
}
