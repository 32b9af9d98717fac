//! Orders resting on the paper venue, matched as market data arrives: books that cross them,
//! trades that go through them, and trades that trigger stop-limit orders.

use super::{Engine, PaperOrder};
use crate::domain::{BookTop, ClientOrderId, OrderStatus, Qty, Side, Symbol, Trade};
use crate::venue::OrderUpdate;
use crate::venue::paper::book::{Exec, Want, walk};

impl Engine {
    /// Runs `f` on every working order of `symbol`, in arrival order.
    fn each_working(&mut self, symbol: &Symbol, mut f: impl FnMut(&mut Self, &mut PaperOrder)) {
        let ids: Vec<ClientOrderId> = self.working.clone();
        for id in ids {
            let Some(mut o) = self.orders.remove(&id) else {
                continue;
            };
            if o.req.symbol == *symbol {
                f(self, &mut o);
            }
            self.orders.insert(id, o);
        }
    }

    /// A new book: resting orders it crosses fill at their own limit price (maker), up to
    /// the crossing liquidity, each level shared in arrival order.
    pub(crate) fn on_book(&mut self, symbol: &Symbol, top: &BookTop, out: &mut Vec<OrderUpdate>) {
        self.books.insert(symbol.clone(), top.clone());
        if top.stale {
            return;
        }
        let (mut used_asks, mut used_bids) = (Vec::new(), Vec::new());
        self.each_working(symbol, |me, o| {
            let (Some(limit), true) = (o.req.price, o.triggered) else {
                return;
            };
            let (levels, used) = match o.req.side {
                Side::Buy => (&top.asks, &mut used_asks),
                Side::Sell => (&top.bids, &mut used_bids),
            };
            let want = Want::Base(o.remaining());
            for e in walk(levels, o.req.side, Some(limit), want, Qty::ZERO, used) {
                me.fill(
                    o,
                    Exec {
                        price: limit,
                        qty: e.qty,
                    },
                    true,
                    out,
                );
            }
            if o.remaining().is_zero() {
                me.finish(o, OrderStatus::Filled, None, out);
            }
        });
    }

    /// A public trade: triggers stop-limit orders, and fills resting orders it trades
    /// through (strictly better than their limit; a touch is not a fill, since queue
    /// position is unknown), up to the trade's quantity.
    pub(crate) fn on_trade(&mut self, t: &Trade, out: &mut Vec<OrderUpdate>) {
        self.each_working(&t.symbol, |me, o| {
            let Some(stop) = o.req.stop_price.filter(|_| !o.triggered) else {
                return;
            };
            let hit = match o.req.side {
                Side::Buy => t.price >= stop,
                Side::Sell => t.price <= stop,
            };
            if hit {
                o.triggered = true;
                me.take_liquidity(o, out);
            }
        });
        let mut budget = t.qty;
        self.each_working(&t.symbol, |me, o| {
            let (Some(limit), true) = (o.req.price, o.triggered) else {
                return;
            };
            let through = match o.req.side {
                Side::Buy => t.price < limit,
                Side::Sell => t.price > limit,
            };
            let qty = o.remaining().min(budget);
            if !through || !qty.is_positive() {
                return;
            }
            budget = budget.saturating_sub(qty);
            me.fill(o, Exec { price: limit, qty }, true, out);
            if o.remaining().is_zero() {
                me.finish(o, OrderStatus::Filled, None, out);
            }
        });
    }
}
