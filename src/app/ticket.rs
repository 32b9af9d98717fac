//! The order ticket: fields, editing keys, price / quantity stepping, inline validation
//! against the instrument's filters and the user's limits, and the preview line.

use super::state::TextInput;
use crate::domain::{
    FilterError, Instrument, OrderAmount, OrderType, Price, Qty, Side, Symbol, TimeInForce, VenueId,
};
use crate::orders::{OrderDraft, OrderError, check_draft};
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

/// The field a manager-side check is about.
fn field_of(e: &OrderError) -> Field {
    match e {
        OrderError::Filter(FilterError::PriceTick { .. } | FilterError::PriceRange { .. }) => {
            Field::Price
        }
        OrderError::Filter(FilterError::NotTrading(_)) => Field::Type,
        _ => Field::Qty,
    }
}

/// Turns the text fields into numbers; every field that does not parse is a problem.
fn parse_fields(t: &Ticket) -> Result<(OrderAmount, Option<Price>, Option<Price>), Vec<Problem>> {
    let amount = parse_amount(t);
    let price = t
        .order_type
        .needs_price()
        .then(|| parse_price(&t.price, Field::Price, "price"))
        .transpose();
    let stop = t
        .order_type
        .needs_stop()
        .then(|| parse_price(&t.stop, Field::Stop, "stop price"))
        .transpose();
    match (amount, price, stop) {
        (Ok(a), Ok(p), Ok(s)) => Ok((a, p, s)),
        (a, p, s) => Err([a.err(), p.err(), s.err()].into_iter().flatten().collect()),
    }
}

/// Checks the ticket: its own fields here, then the instrument's filters and the user's
/// limit with the order manager's rules. On success returns the draft to send.
pub fn validate(
    t: &Ticket,
    inst: Option<&Instrument>,
    quote: Quote,
    rules: &TicketRules,
) -> Result<OrderDraft, Vec<Problem>> {
    let (amount, price, stop) = parse_fields(t)?;
    let draft = OrderDraft {
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
        reference_price: if t.side == Side::Buy {
            quote.ask
        } else {
            quote.bid
        }
        .or(quote.last),
    };
    check_stop(t, stop, quote).map_err(|p| vec![p])?;
    if t.order_type == OrderType::PostOnly && t.venue == VenueId::Alpaca {
        return Err(vec![Problem {
            field: Field::Type,
            message: "Alpaca has no post-only orders".into(),
        }]);
    }
    let Some(inst) = inst else {
        let message = format!("trading rules for {} are not loaded yet", t.symbol);
        return Err(vec![Problem {
            field: Field::Type,
            message,
        }]);
    };
    check_draft(inst, &draft, Some(rules.max_notional)).map_err(|e| {
        vec![Problem {
            field: field_of(&e),
            message: e.to_string(),
        }]
    })?;
    Ok(draft)
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

/// Percent distance of a limit price from the last price, when it is beyond the threshold.
pub fn far_from_last(d: &OrderDraft, quote: Quote, threshold: Decimal) -> Option<Decimal> {
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
pub fn estimated_fee(d: &OrderDraft, rules: &TicketRules) -> Option<Decimal> {
    let rate = match d.order_type {
        OrderType::PostOnly => rules.maker_fee,
        _ => rules.taker_fee,
    };
    d.notional().map(|n| (n * rate).round_dp(8).normalize())
}
