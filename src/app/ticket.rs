//! The order ticket: fields, editing keys, price / quantity stepping, inline validation
//! against the instrument's filters and the user's limits, and the preview line.

use super::state::TextInput;
use crate::domain::{
    FilterError, Instrument, OrderAmount, OrderType, Price, Qty, Side, Symbol, TimeInForce,
    VenueId, notional,
};
use rust_decimal::Decimal;

/// Ticket fields, in tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// Buy or sell.
    Side,
    /// Order type.
    Type,
    /// Quantity (base units, or quote for market orders in quote mode).
    Qty,
    /// Limit price.
    Price,
    /// Stop (trigger) price.
    Stop,
    /// Time in force.
    Tif,
}

/// The user's limits and costs the ticket checks against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketRules {
    /// Largest notional per order (quote units).
    pub max_notional: Decimal,
    /// Ask before live orders.
    pub confirm_live: bool,
    /// Ask again beyond this distance from the last price, percent.
    pub far_price_pct: Decimal,
    /// Fee rate for orders that take liquidity.
    pub taker_fee: Decimal,
    /// Fee rate for orders that rest.
    pub maker_fee: Decimal,
}

/// Market context for validation and the preview.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quote {
    /// Last trade price.
    pub last: Option<Price>,
    /// Best bid.
    pub bid: Option<Price>,
    /// Best ask.
    pub ask: Option<Price>,
}

/// An order being written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    /// Instrument.
    pub symbol: Symbol,
    /// Broker it goes to.
    pub venue: VenueId,
    /// Buy or sell.
    pub side: Side,
    /// Order type.
    pub order_type: OrderType,
    /// Market orders only: the quantity is a quote amount (spend 100 USDT).
    pub quote_amount: bool,
    /// Quantity text.
    pub qty: TextInput,
    /// Limit price text.
    pub price: TextInput,
    /// Stop price text.
    pub stop: TextInput,
    /// Time in force.
    pub tif: TimeInForce,
    /// The field being edited.
    pub field: Field,
}

/// A problem with one field, worded for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The field to fix.
    pub field: Field,
    /// What to change.
    pub message: String,
}

/// A checked order, ready to journal and send (the order manager assigns the client id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    /// Where it goes.
    pub venue: VenueId,
    /// Instrument.
    pub symbol: Symbol,
    /// Buy or sell.
    pub side: Side,
    /// Order type.
    pub order_type: OrderType,
    /// Base quantity or quote amount.
    pub amount: OrderAmount,
    /// Limit price.
    pub price: Option<Price>,
    /// Stop price.
    pub stop_price: Option<Price>,
    /// Time in force.
    pub tif: TimeInForce,
    /// Estimated notional (quote units), for confirmations.
    pub notional: Option<Decimal>,
}

fn text(s: String) -> TextInput {
    TextInput {
        cursor: s.chars().count(),
        text: s,
    }
}

impl Ticket {
    /// A fresh ticket; `price` prefills the limit price (e.g. from the ladder).
    pub fn new(
        symbol: Symbol,
        venue: VenueId,
        side: Side,
        price: Option<Price>,
        tif: TimeInForce,
        dp: u32,
    ) -> Self {
        Self {
            symbol,
            venue,
            side,
            order_type: OrderType::Limit,
            quote_amount: false,
            qty: TextInput::default(),
            price: text(price.map(|p| p.fmt_dp(dp)).unwrap_or_default()),
            stop: TextInput::default(),
            tif,
            field: Field::Qty,
        }
    }

    /// The fields shown for the current order type, in tab order.
    pub fn fields(&self) -> Vec<Field> {
        let mut f = vec![Field::Side, Field::Type, Field::Qty];
        if self.order_type.needs_price() {
            f.push(Field::Price);
        }
        if self.order_type.needs_stop() {
            f.push(Field::Stop);
        }
        if !matches!(self.order_type, OrderType::PostOnly) {
            f.push(Field::Tif);
        }
        f
    }

    /// Moves to the next (`step` = 1) or previous field.
    pub fn move_field(&mut self, forward: bool) {
        let fields = self.fields();
        let i = fields.iter().position(|f| *f == self.field).unwrap_or(0);
        let n = fields.len();
        self.field = fields[if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        }];
    }

    /// The text input of the focused field, if it is a text field.
    pub fn input_mut(&mut self) -> Option<&mut TextInput> {
        match self.field {
            Field::Qty => Some(&mut self.qty),
            Field::Price => Some(&mut self.price),
            Field::Stop => Some(&mut self.stop),
            _ => None,
        }
    }

    /// Cycles a choice field (side, type, time in force, quote mode on the quantity of a
    /// market order).
    pub fn cycle(&mut self, forward: bool) {
        match self.field {
            Field::Side => self.side = self.side.opposite(),
            Field::Type => {
                let all = OrderType::ALL;
                let i = all.iter().position(|t| *t == self.order_type).unwrap_or(0);
                let n = all.len();
                self.order_type = all[if forward {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                }];
                if self.order_type != OrderType::Market {
                    self.quote_amount = false;
                }
            }
            Field::Tif => {
                let all = TimeInForce::ALL;
                let i = all.iter().position(|t| *t == self.tif).unwrap_or(0);
                let n = all.len();
                self.tif = all[if forward {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                }];
            }
            Field::Qty if self.order_type == OrderType::Market => {
                self.quote_amount = !self.quote_amount
            }
            _ => {}
        }
    }

    /// Steps the focused price by one tick or the quantity by one lot; an empty price starts
    /// from the touch on our side, an empty quantity from one lot.
    pub fn step(&mut self, up: bool, inst: Option<&Instrument>, quote: Quote, dp: (u32, u32)) {
        let (price_dp, qty_dp) = inst.map_or(dp, |i| (i.price_dp(), i.qty_dp()));
        let tick = inst.map_or(Price::from_units(10_i64.pow(8 - price_dp.min(8))), |i| {
            i.tick_size
        });
        let lot = inst.map_or(Qty::from_units(10_i64.pow(8 - qty_dp.min(8))), |i| {
            i.step_size
        });
        let touch = if self.side == Side::Buy {
            quote.bid
        } else {
            quote.ask
        };
        match self.field {
            Field::Price | Field::Stop => {
                let input = if self.field == Field::Price {
                    &mut self.price
                } else {
                    &mut self.stop
                };
                let next = match Price::parse(&input.text) {
                    Ok(p) if up => p.saturating_add(tick),
                    Ok(p) => p.saturating_sub(tick).max(tick),
                    Err(_) => match touch.or(quote.last) {
                        Some(p) => p,
                        None => return,
                    },
                };
                *input = text(next.floor_to(tick).fmt_dp(price_dp));
            }
            Field::Qty if !self.quote_amount => {
                let next = match Qty::parse(&self.qty.text) {
                    Ok(q) if up => q.saturating_add(lot),
                    Ok(q) => q.saturating_sub(lot).max(lot),
                    Err(_) => inst.map_or(lot, |i| i.min_qty.max(lot)),
                };
                self.qty = text(next.floor_to(lot).fmt_dp(qty_dp));
            }
            _ => {}
        }
    }
}

fn parse_price(input: &TextInput, field: Field, what: &str) -> Result<Price, Problem> {
    if input.text.trim().is_empty() {
        return Err(Problem {
            field,
            message: format!("enter a {what}"),
        });
    }
    Price::parse(&input.text).map_err(|e| Problem {
        field,
        message: format!("{what}: {e}"),
    })
}

fn filter(field: Field, r: Result<(), FilterError>) -> Result<(), Problem> {
    r.map_err(|e| Problem {
        field,
        message: e.to_string(),
    })
}

/// Problems found so far.
#[derive(Default)]
struct Problems(Vec<Problem>);

impl Problems {
    fn keep(&mut self, r: Result<(), Problem>) {
        if let Err(p) = r {
            self.0.push(p);
        }
    }
    fn take<T>(&mut self, r: Result<T, Problem>) -> Option<T> {
        r.map_err(|p| self.0.push(p)).ok()
    }
    fn on(&self, f: Field) -> bool {
        self.0.iter().any(|p| p.field == f)
    }
}

fn parse_amount(t: &Ticket) -> Result<OrderAmount, Problem> {
    if t.qty.text.trim().is_empty() {
        return Err(Problem {
            field: Field::Qty,
            message: "enter a quantity".into(),
        });
    }
    match Qty::parse(&t.qty.text) {
        Ok(q) if t.quote_amount => Ok(OrderAmount::Quote(q)),
        Ok(q) => Ok(OrderAmount::Base(q)),
        Err(e) => Err(Problem {
            field: Field::Qty,
            message: format!("quantity: {e}"),
        }),
    }
}

fn check_filters(
    p: &mut Problems,
    inst: &Instrument,
    amount: Option<OrderAmount>,
    price: Option<Price>,
    stop: Option<Price>,
) {
    if !inst.trading {
        p.keep(filter(
            Field::Type,
            Err(FilterError::NotTrading(inst.symbol.clone())),
        ));
    }
    if let Some(price) = price {
        p.keep(filter(Field::Price, inst.check_price(price)));
    }
    if let Some(stop) = stop {
        p.keep(filter(Field::Stop, inst.check_price(stop)));
    }
    if let Some(OrderAmount::Base(q)) = amount {
        p.keep(filter(Field::Qty, inst.check_qty(q)));
    }
}

fn check_limit(value: Decimal, rules: &TicketRules) -> Result<(), Problem> {
    if value > rules.max_notional {
        let message = format!(
            "order value {} is above your limit {} (trading.max_notional)",
            value.round_dp(2).normalize(),
            rules.max_notional
        );
        return Err(Problem {
            field: Field::Qty,
            message,
        });
    }
    Ok(())
}

/// Checks the ticket; on success returns the draft, else every problem found.
pub fn validate(
    t: &Ticket,
    inst: Option<&Instrument>,
    quote: Quote,
    rules: &TicketRules,
) -> Result<Draft, Vec<Problem>> {
    let mut p = Problems::default();
    let amount = p.take(parse_amount(t));
    let price = if t.order_type.needs_price() {
        p.take(parse_price(&t.price, Field::Price, "price"))
    } else {
        None
    };
    let stop = if t.order_type.needs_stop() {
        p.take(parse_price(&t.stop, Field::Stop, "stop price"))
    } else {
        None
    };
    if let Some(inst) = inst {
        check_filters(&mut p, inst, amount, price, stop);
    }
    p.keep(check_stop(t, stop, quote));
    if t.order_type == OrderType::PostOnly && t.venue == VenueId::Alpaca {
        p.keep(Err(Problem {
            field: Field::Type,
            message: "Alpaca has no post-only orders".into(),
        }));
    }
    let value = estimated_notional(t, amount, price, quote);
    if let (Some(v), Some(inst)) = (value, inst)
        && !p.on(Field::Qty)
        && !p.on(Field::Price)
    {
        p.keep(check_value(inst, v));
    }
    if let Some(v) = value {
        p.keep(check_limit(v, rules));
    }
    match (p.0.is_empty(), amount) {
        (true, Some(amount)) => Ok(Draft {
            venue: t.venue,
            symbol: t.symbol.clone(),
            side: t.side,
            order_type: t.order_type,
            amount,
            price,
            stop_price: stop,
            tif: if t.order_type == OrderType::PostOnly {
                TimeInForce::Gtc
            } else {
                t.tif
            },
            notional: value,
        }),
        _ => Err(p.0),
    }
}

/// A buy stop triggers on the way up, a sell stop on the way down: one already through the
/// market would trigger at once (Binance rejects it).
fn check_stop(t: &Ticket, stop: Option<Price>, quote: Quote) -> Result<(), Problem> {
    let (Some(stop), Some(last)) = (stop, quote.last) else {
        return Ok(());
    };
    let wrong = match t.side {
        Side::Buy => stop <= last,
        Side::Sell => stop >= last,
    };
    if wrong {
        let dir = if t.side == Side::Buy {
            "above"
        } else {
            "below"
        };
        return Err(Problem {
            field: Field::Stop,
            message: format!("a {} stop must be {dir} the last price {last}", t.side),
        });
    }
    Ok(())
}

fn check_value(inst: &Instrument, v: Decimal) -> Result<(), Problem> {
    let quote = inst.quote.clone();
    if v < inst.min_notional {
        let e = FilterError::NotionalTooSmall {
            notional: v.round_dp(8).normalize(),
            min: inst.min_notional,
            quote,
        };
        return Err(Problem {
            field: Field::Qty,
            message: e.to_string(),
        });
    }
    if let Some(max) = inst.max_notional.filter(|m| v > *m) {
        let e = FilterError::NotionalTooLarge {
            notional: v.round_dp(8).normalize(),
            max,
            quote,
        };
        return Err(Problem {
            field: Field::Qty,
            message: e.to_string(),
        });
    }
    Ok(())
}

/// Price × quantity, with market orders priced at the touch they would take.
pub fn estimated_notional(
    t: &Ticket,
    amount: Option<OrderAmount>,
    price: Option<Price>,
    quote: Quote,
) -> Option<Decimal> {
    match amount? {
        OrderAmount::Quote(q) => Some(q.to_decimal()),
        OrderAmount::Base(q) => {
            let at = price
                .or(if t.side == Side::Buy {
                    quote.ask
                } else {
                    quote.bid
                })
                .or(quote.last)?;
            notional(at, q)
        }
    }
}

/// Percent distance of a limit price from the last price, when it is beyond the threshold.
pub fn far_from_last(d: &Draft, quote: Quote, threshold: Decimal) -> Option<Decimal> {
    let (price, last) = (d.price?, quote.last?);
    if last.is_zero() {
        return None;
    }
    let pct =
        (price.to_decimal() - last.to_decimal()).abs() * Decimal::ONE_HUNDRED / last.to_decimal();
    (pct > threshold).then(|| pct.round_dp(1))
}

/// The estimated fee: taker rate for market / IOC / FOK, maker rate for post-only, the taker
/// rate (the upper bound) for other limit orders.
pub fn estimated_fee(d: &Draft, rules: &TicketRules) -> Option<Decimal> {
    let rate = match d.order_type {
        OrderType::PostOnly => rules.maker_fee,
        _ => rules.taker_fee,
    };
    d.notional.map(|n| (n * rate).round_dp(8).normalize())
}
