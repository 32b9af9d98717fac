//! The paper venue's state and matching: orders, balances and the latest books.
//!
//! Every operation appends the order updates it caused to `out`, in venue order (accepted,
//! then one update per fill, then a final status); the broker publishes them as events.

mod resting;

use super::PaperConfig;
use super::book::{Exec, Want, fee, split_symbol, total_qty, total_quote, walk, within};
use crate::domain::{
    BookTop, ClientOrderId, Fill, Instrument, OrderAmount, OrderRequest, OrderStatus, OrderType,
    Qty, Side, Symbol, TimeInForce, VenueId, notional, now_ms,
};
use crate::venue::{Balance, BrokerError, OrderUpdate};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, Copy, Default)]
struct Bal {
    free: Decimal,
    locked: Decimal,
}

/// One paper order.
#[derive(Debug, Clone)]
struct PaperOrder {
    req: OrderRequest,
    venue_id: String,
    status: OrderStatus,
    filled: Qty,
    quote: Decimal,
    /// Asset and amount still locked for this order.
    lock_asset: String,
    lock_left: Decimal,
    /// A stop-limit order waits for its trigger; every other order is active at once.
    triggered: bool,
    reason: Option<String>,
}

impl PaperOrder {
    fn base_qty(&self) -> Option<Qty> {
        match self.req.amount {
            OrderAmount::Base(q) => Some(q),
            OrderAmount::Quote(_) => None,
        }
    }
    fn remaining(&self) -> Qty {
        self.base_qty()
            .map_or(Qty::ZERO, |q| q.saturating_sub(self.filled))
    }
}

fn rejected(message: impl Into<String>) -> BrokerError {
    BrokerError::Rejected {
        code: None,
        message: message.into(),
    }
}

/// The paper venue.
#[derive(Debug)]
pub(crate) struct Engine {
    cfg: PaperConfig,
    /// Prefix that keeps order and trade ids unique across restarts.
    session: String,
    next_id: u64,
    books: HashMap<Symbol, BookTop>,
    instruments: HashMap<Symbol, Instrument>,
    balances: BTreeMap<String, Bal>,
    orders: HashMap<ClientOrderId, PaperOrder>,
    /// Working orders, in arrival order (time priority among our own orders).
    working: Vec<ClientOrderId>,
    /// Set when balances changed since the last call to `take_balances_dirty`.
    balances_dirty: bool,
}

impl Engine {
    pub(crate) fn new(cfg: PaperConfig) -> Self {
        let balances = cfg
            .balances
            .iter()
            .map(|(a, v)| {
                (
                    a.clone(),
                    Bal {
                        free: *v,
                        locked: Decimal::ZERO,
                    },
                )
            })
            .collect();
        Self {
            session: format!("p{}", now_ms()),
            cfg,
            next_id: 0,
            books: HashMap::new(),
            instruments: HashMap::new(),
            balances,
            orders: HashMap::new(),
            working: Vec::new(),
            balances_dirty: false,
        }
    }

    pub(crate) fn set_instrument(&mut self, i: &Instrument) {
        self.instruments.insert(i.symbol.clone(), i.clone());
    }

    fn assets(&self, s: &Symbol) -> (String, String) {
        match self.instruments.get(s) {
            Some(i) => (i.base.clone(), i.quote.clone()),
            None => split_symbol(s.as_str()),
        }
    }

    fn step(&self, s: &Symbol) -> Qty {
        self.instruments.get(s).map_or(Qty::ZERO, |i| i.step_size)
    }

    fn next_id(&mut self) -> String {
        self.next_id += 1;
        format!("{}-{}", self.session, self.next_id)
    }

    fn bal(&mut self, asset: &str) -> &mut Bal {
        self.balances.entry(asset.to_string()).or_default()
    }

    fn free(&self, asset: &str) -> Decimal {
        self.balances.get(asset).map_or(Decimal::ZERO, |b| b.free)
    }

    fn max_fee(&self) -> Decimal {
        self.cfg.maker_fee.max(self.cfg.taker_fee)
    }

    /// A live (not stale) book for `s`.
    fn book(&self, s: &Symbol) -> Result<&BookTop, BrokerError> {
        match self.books.get(s) {
            Some(b) if !b.stale => Ok(b),
            Some(_) => Err(rejected(format!(
                "the {s} book is resyncing; try again in a moment"
            ))),
            None => Err(rejected(format!("no market data for {s} yet"))),
        }
    }

    fn update(&self, o: &PaperOrder, fill: Option<Fill>) -> OrderUpdate {
        OrderUpdate {
            client_order_id: o.req.client_order_id.clone(),
            venue_order_id: Some(o.venue_id.clone()),
            symbol: o.req.symbol.clone(),
            status: o.status,
            filled_qty: o.filled,
            filled_quote: o.quote,
            fill,
            reason: o.reason.clone(),
            time: now_ms(),
        }
    }

    /// `true` once if balances changed since the last call.
    pub(crate) fn take_balances_dirty(&mut self) -> bool {
        std::mem::take(&mut self.balances_dirty)
    }

    pub(crate) fn balances(&self) -> Vec<Balance> {
        self.balances
            .iter()
            .map(|(asset, b)| Balance {
                asset: asset.clone(),
                free: b.free,
                locked: b.locked,
            })
            .collect()
    }

    pub(crate) fn query(&self, id: &ClientOrderId) -> Result<OrderUpdate, BrokerError> {
        self.orders
            .get(id)
            .map(|o| self.update(o, None))
            .ok_or(BrokerError::NotFound)
    }

    pub(crate) fn open_orders(&self, symbol: Option<&Symbol>) -> Vec<OrderUpdate> {
        self.working
            .iter()
            .filter_map(|id| self.orders.get(id))
            .filter(|o| symbol.is_none_or(|s| *s == o.req.symbol))
            .map(|o| self.update(o, None))
            .collect()
    }

    /// Accepts or refuses a new order and executes what can execute now.
    pub(crate) fn submit(
        &mut self,
        req: &OrderRequest,
        out: &mut Vec<OrderUpdate>,
    ) -> Result<OrderUpdate, BrokerError> {
        if self.orders.contains_key(&req.client_order_id) {
            return Err(BrokerError::Rejected {
                code: Some(-2010),
                message: "Duplicate order sent.".into(),
            });
        }
        let (_, quote) = self.assets(&req.symbol);
        let mut o = PaperOrder {
            req: req.clone(),
            venue_id: self.next_id(),
            status: OrderStatus::New,
            filled: Qty::ZERO,
            quote: Decimal::ZERO,
            lock_asset: quote,
            lock_left: Decimal::ZERO,
            triggered: req.order_type != OrderType::StopLimit,
            reason: None,
        };
        let start = out.len();
        match req.order_type {
            OrderType::Market => self.submit_market(&mut o, out)?,
            _ => self.submit_limit(&mut o, out)?,
        }
        let reply = out.get(start..).and_then(|s| s.last()).cloned();
        let reply = reply.unwrap_or_else(|| self.update(&o, None));
        self.orders.insert(req.client_order_id.clone(), o);
        Ok(reply)
    }

    fn submit_market(
        &mut self,
        o: &mut PaperOrder,
        out: &mut Vec<OrderUpdate>,
    ) -> Result<(), BrokerError> {
        let (base, quote) = self.assets(&o.req.symbol);
        let side = o.req.side;
        let want = match o.req.amount {
            OrderAmount::Base(q) => Want::Base(q),
            OrderAmount::Quote(a) => Want::Quote(a.to_decimal()),
        };
        let book = self.book(&o.req.symbol)?;
        let levels = if side == Side::Buy {
            &book.asks
        } else {
            &book.bids
        };
        let execs = walk(
            levels,
            side,
            None,
            want,
            self.step(&o.req.symbol),
            &mut Vec::new(),
        );
        let depth: Qty = levels
            .iter()
            .fold(Qty::ZERO, |a, l| a.saturating_add(l.qty));
        let (qty, value) = (total_qty(&execs), total_quote(&execs));
        match side {
            Side::Buy => {
                let cost = value + fee(value, self.cfg.taker_fee);
                if cost > self.free(&quote) {
                    return Err(insufficient(&quote, cost, self.free(&quote)));
                }
            }
            Side::Sell if qty.to_decimal() > self.free(&base) => {
                return Err(insufficient(&base, qty.to_decimal(), self.free(&base)));
            }
            Side::Sell => {}
        }
        out.push(self.update(o, None));
        for e in execs {
            self.fill(o, e, false, out);
        }
        let complete = match want {
            Want::Base(q) => o.filled == q,
            Want::Quote(_) => qty < depth,
        };
        if complete && qty.is_positive() {
            self.finish(o, OrderStatus::Filled, None, out);
        } else {
            let why = "not enough liquidity in the book".to_string();
            self.finish(o, OrderStatus::Expired, Some(why), out);
        }
        Ok(())
    }

    fn submit_limit(
        &mut self,
        o: &mut PaperOrder,
        out: &mut Vec<OrderUpdate>,
    ) -> Result<(), BrokerError> {
        let (base, quote) = self.assets(&o.req.symbol);
        let price = o
            .req
            .price
            .ok_or_else(|| rejected("a limit price is required"))?;
        let qty = o
            .base_qty()
            .ok_or_else(|| rejected("a quote amount is only accepted for market orders"))?;
        let (asset, lock) = match o.req.side {
            Side::Buy => {
                let value =
                    notional(price, qty).ok_or_else(|| rejected("order value too large"))?;
                (quote, value + fee(value, self.max_fee()))
            }
            Side::Sell => (base, qty.to_decimal()),
        };
        if lock > self.free(&asset) {
            return Err(insufficient(&asset, lock, self.free(&asset)));
        }
        let best = self
            .book(&o.req.symbol)
            .ok()
            .and_then(|b| match o.req.side {
                Side::Buy => b.best_ask(),
                Side::Sell => b.best_bid(),
            });
        let crosses = best.is_some_and(|l| within(o.req.side, l.price, Some(price)));
        if o.req.order_type == OrderType::PostOnly && crosses {
            return Err(BrokerError::Rejected {
                code: Some(-2010),
                message: "Order would immediately match and take.".into(),
            });
        }
        let b = self.bal(&asset);
        b.free -= lock;
        b.locked += lock;
        self.balances_dirty = true;
        o.lock_asset = asset;
        o.lock_left = lock;
        out.push(self.update(o, None));
        if o.req.tif == TimeInForce::Fok && self.available(o) < qty {
            let why = "fill-or-kill order could not be filled in full".to_string();
            self.finish(o, OrderStatus::Expired, Some(why), out);
            return Ok(());
        }
        if o.triggered {
            self.take_liquidity(o, out);
        } else {
            self.working.push(o.req.client_order_id.clone());
        }
        Ok(())
    }

    /// Liquidity within the order's limit in the current book.
    fn available(&self, o: &PaperOrder) -> Qty {
        let Ok(book) = self.book(&o.req.symbol) else {
            return Qty::ZERO;
        };
        let levels = if o.req.side == Side::Buy {
            &book.asks
        } else {
            &book.bids
        };
        let want = Want::Base(o.remaining());
        total_qty(&walk(
            levels,
            o.req.side,
            o.req.price,
            want,
            Qty::ZERO,
            &mut Vec::new(),
        ))
    }

    /// An active limit order takes what the book offers within its limit (taker fills at
    /// the book's prices), then rests or expires by its time in force.
    fn take_liquidity(&mut self, o: &mut PaperOrder, out: &mut Vec<OrderUpdate>) {
        let execs = match self.book(&o.req.symbol) {
            Ok(book) => {
                let levels = if o.req.side == Side::Buy {
                    &book.asks
                } else {
                    &book.bids
                };
                let want = Want::Base(o.remaining());
                walk(
                    levels,
                    o.req.side,
                    o.req.price,
                    want,
                    Qty::ZERO,
                    &mut Vec::new(),
                )
            }
            Err(_) => Vec::new(),
        };
        for e in execs {
            self.fill(o, e, false, out);
        }
        if o.remaining().is_zero() {
            self.finish(o, OrderStatus::Filled, None, out);
        } else if matches!(o.req.tif, TimeInForce::Ioc | TimeInForce::Fok) {
            let why = "unfilled remainder expired (immediate or cancel)".to_string();
            self.finish(o, OrderStatus::Expired, Some(why), out);
        } else if !self.working.contains(&o.req.client_order_id) {
            self.working.push(o.req.client_order_id.clone());
        }
    }

    /// Executes `e` for `o`: balances, cumulative amounts, and one update carrying the fill.
    fn fill(&mut self, o: &mut PaperOrder, e: Exec, maker: bool, out: &mut Vec<OrderUpdate>) {
        let (base, quote) = self.assets(&o.req.symbol);
        let value = notional(e.price, e.qty).unwrap_or(Decimal::ZERO);
        let rate = if maker {
            self.cfg.maker_fee
        } else {
            self.cfg.taker_fee
        };
        let f = fee(value, rate);
        let release = match (o.req.side, o.req.price) {
            (Side::Buy, Some(limit)) => {
                let at_limit = notional(limit, e.qty).unwrap_or(Decimal::ZERO);
                (at_limit + fee(at_limit, self.max_fee())).min(o.lock_left)
            }
            (Side::Sell, _) => e.qty.to_decimal().min(o.lock_left),
            (Side::Buy, None) => Decimal::ZERO,
        };
        o.lock_left -= release;
        let lock_asset = o.lock_asset.clone();
        let l = self.bal(&lock_asset);
        l.locked -= release;
        l.free += release;
        match o.req.side {
            Side::Buy => {
                self.bal(&base).free += e.qty.to_decimal();
                self.bal(&quote).free -= value + f;
            }
            Side::Sell => {
                self.bal(&base).free -= e.qty.to_decimal();
                self.bal(&quote).free += value - f;
            }
        }
        self.balances_dirty = true;
        o.filled = o.filled.saturating_add(e.qty);
        o.quote += value;
        o.status = OrderStatus::PartiallyFilled;
        let fill = Fill {
            client_order_id: o.req.client_order_id.clone(),
            venue: VenueId::Paper,
            symbol: o.req.symbol.clone(),
            side: o.req.side,
            price: e.price,
            qty: e.qty,
            fee: f,
            fee_asset: quote,
            trade_id: self.next_id(),
            is_maker: maker,
            time: now_ms(),
        };
        out.push(self.update(o, Some(fill)));
    }

    /// Ends an order: releases what is still locked and reports the final status (a final
    /// `filled` rides on the last fill's update, as venues report it).
    fn finish(
        &mut self,
        o: &mut PaperOrder,
        status: OrderStatus,
        reason: Option<String>,
        out: &mut Vec<OrderUpdate>,
    ) {
        let left = std::mem::take(&mut o.lock_left);
        let asset = o.lock_asset.clone();
        let b = self.bal(&asset);
        b.locked -= left;
        b.free += left;
        o.status = status;
        o.reason = reason;
        self.working.retain(|id| *id != o.req.client_order_id);
        match out.last_mut() {
            Some(last)
                if status == OrderStatus::Filled
                    && last.client_order_id == o.req.client_order_id
                    && last.fill.is_some() =>
            {
                last.status = status;
            }
            _ => out.push(self.update(o, None)),
        }
    }

    /// Cancels a working order.
    pub(crate) fn cancel(
        &mut self,
        id: &ClientOrderId,
        out: &mut Vec<OrderUpdate>,
    ) -> Result<OrderUpdate, BrokerError> {
        let mut o = self.orders.remove(id).ok_or(BrokerError::NotFound)?;
        let result = if o.status.is_terminal() {
            Err(BrokerError::Rejected {
                code: Some(-2011),
                message: format!("Unknown order sent. (the order is {})", o.status),
            })
        } else {
            self.finish(&mut o, OrderStatus::Canceled, None, out);
            self.balances_dirty = true;
            Ok(self.update(&o, None))
        };
        self.orders.insert(id.clone(), o);
        result
    }
}

fn insufficient(asset: &str, need: Decimal, have: Decimal) -> BrokerError {
    BrokerError::Rejected {
        code: Some(-2010),
        message: format!(
            "insufficient balance: needs {} {asset}, {} {asset} available",
            need.normalize(),
            have.normalize()
        ),
    }
}
