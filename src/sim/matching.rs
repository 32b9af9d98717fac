//! The matching engine: placing, triggering, filling and cancelling the demo account's orders
//! against the simulated book, with balances, commissions and execution reports.

use super::account::{Account, commission_rate, trunc8};
use super::engine::{Exchange, MyTrade};
use super::errors::ApiError;
use super::orders::{NewOrder, OrdType, SimOrder, Status, Tif};
use super::user_events::{Exec, execution_report};
use crate::domain::{Price, Qty, Side, notional};
use rand::Rng;
use rust_decimal::Decimal;

/// One fill of a new order, for the FULL response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FillInfo {
    /// Price.
    pub price: Price,
    /// Quantity.
    pub qty: Qty,
    /// Commission.
    pub commission: Decimal,
    /// Commission asset.
    pub commission_asset: String,
    /// Public trade id.
    pub trade_id: u64,
}

/// The result of placing an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    /// The order after matching.
    pub order: SimOrder,
    /// Its fills as a taker.
    pub fills: Vec<FillInfo>,
}

/// The result of a cancel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Canceled {
    /// The order, now CANCELED.
    pub order: SimOrder,
    /// The cancel's own client order id.
    pub cancel_id: String,
}

const INSUFFICIENT: &str = "Account has insufficient balance for requested action.";

impl Exchange {
    /// Places a validated order: checks, locks funds, matches, rests or expires the rest.
    pub fn place(&mut self, new: NewOrder) -> Result<Placed, ApiError> {
        let client_id = match &new.client_id {
            Some(c) => c.clone(),
            None => self.generate_client_id(),
        };
        if self
            .open_by_client
            .contains_key(&(new.sym, client_id.clone()))
        {
            return Err(ApiError::rejected("Duplicate order sent."));
        }
        self.pre_checks(&new)?;
        let locked = self.lock_for(&new)?;
        let now = self.now();
        let id = self.next_order_id;
        self.next_order_id += 1;
        let is_stop = matches!(new.kind, OrdType::StopLossLimit | OrdType::TakeProfitLimit);
        let order = SimOrder {
            id,
            sym: new.sym,
            client_id: client_id.clone(),
            side: new.side,
            kind: new.kind,
            tif: new.tif,
            price: new.price.unwrap_or(Price::ZERO),
            orig_qty: new.qty.unwrap_or(Qty::ZERO),
            orig_quote: new.quote_qty.unwrap_or(Qty::ZERO),
            stop: new.stop.unwrap_or(Price::ZERO),
            executed: Qty::ZERO,
            cum_quote: Decimal::ZERO,
            status: Status::New,
            time: now,
            update_time: now,
            working_time: if is_stop { -1 } else { now },
            locked,
        };
        self.orders.insert(id, order);
        self.open_by_client.insert((new.sym, client_id), id);
        self.report(id, Exec::plain("NEW"));
        let fills = if is_stop {
            self.stops.push(id);
            Vec::new()
        } else {
            self.work(id)
        };
        self.flush_market(new.sym);
        self.settle_maker_fills(new.sym);
        self.publish();
        let order = self
            .orders
            .get(&id)
            .cloned()
            .ok_or_else(ApiError::no_such_order)?;
        Ok(Placed { order, fills })
    }

    fn generate_client_id(&mut self) -> String {
        const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        (0..22)
            .map(|_| ALNUM[self.id_rng.random_range(0..ALNUM.len())] as char)
            .collect()
    }

    fn pre_checks(&self, new: &NewOrder) -> Result<(), ApiError> {
        let book = &self.markets[new.sym].book;
        if new.kind == OrdType::LimitMaker {
            let price = new.price.unwrap_or(Price::ZERO);
            let crosses = match new.side {
                Side::Buy => book.best(Side::Sell).is_some_and(|(p, _)| price >= p),
                Side::Sell => book.best(Side::Buy).is_some_and(|(p, _)| price <= p),
            };
            if crosses {
                return Err(ApiError::rejected(
                    "Order would immediately match and take.",
                ));
            }
        }
        let last = self.last_price(new.sym);
        if new
            .stop
            .is_some_and(|stop| stop_triggered(new.kind, new.side, stop, last))
        {
            return Err(ApiError::rejected("Stop price would trigger immediately."));
        }
        Ok(())
    }

    /// Locks what the order may spend; market orders lock their estimated cost.
    fn lock_for(&mut self, new: &NewOrder) -> Result<Decimal, ApiError> {
        let spec = &self.markets[new.sym].spec;
        let (base, quote) = (spec.base.clone(), spec.quote.clone());
        let book = &self.markets[new.sym].book;
        let amount = match (new.side, new.kind, new.qty, new.quote_qty) {
            (Side::Buy, OrdType::Market, Some(q), _) => {
                let mut left = q;
                let mut cost = Decimal::ZERO;
                for (p, avail) in book.top(Side::Sell, usize::MAX) {
                    let t = left.min(avail);
                    cost += notional(p, t).unwrap_or_default();
                    left = left.saturating_sub(t);
                    if left.is_zero() {
                        break;
                    }
                }
                cost
            }
            (Side::Buy, OrdType::Market, None, Some(quote_qty)) => quote_qty.to_decimal(),
            (Side::Buy, _, Some(q), _) => Account::cost(new.price.unwrap_or_default(), q),
            (Side::Sell, OrdType::Market, None, Some(quote_qty)) => {
                let mut left = quote_qty.to_decimal();
                let mut need = Decimal::ZERO;
                for (p, avail) in book.top(Side::Buy, usize::MAX) {
                    let max_q = Account::cost(p, avail);
                    let take = left.min(max_q);
                    need += take / p.to_decimal();
                    left -= take;
                    if left <= Decimal::ZERO {
                        break;
                    }
                }
                need.round_dp_with_strategy(8, rust_decimal::RoundingStrategy::AwayFromZero)
            }
            (Side::Sell, _, Some(q), _) => q.to_decimal(),
            _ => Decimal::ZERO,
        };
        let asset = if new.side == Side::Buy { quote } else { base };
        self.account
            .lock(&asset, amount)
            .map_err(|_| ApiError::rejected(INSUFFICIENT))?;
        Ok(amount)
    }

    /// Matches a working order against the book, then rests, fills or expires it.
    fn work(&mut self, id: u64) -> Vec<FillInfo> {
        let Some(o) = self.orders.get(&id).cloned() else {
            return Vec::new();
        };
        let limit = (o.kind != OrdType::Market).then_some(o.price);
        let market = &mut self.markets[o.sym];
        if o.tif == Tif::Fok && market.book.available(o.side, limit, o.orig_qty) < o.orig_qty {
            self.finish(id, Status::Expired, "EXPIRED");
            return Vec::new();
        }
        let step = market.spec.step;
        let mut left_qty = o.remaining();
        let mut left_quote = o.orig_quote.to_decimal();
        let by_quote = o.kind == OrdType::Market && o.orig_qty.is_zero();
        let maker_fills = market.book.take(o.side, limit, |p, avail| {
            let q = if by_quote {
                let units = left_quote / p.to_decimal() * Decimal::from(100_000_000);
                let q = Qty::from_units(i64::try_from(units.floor()).unwrap_or(0)).floor_to(step);
                q.min(avail)
            } else {
                left_qty.min(avail)
            };
            left_qty = left_qty.saturating_sub(q);
            left_quote -= notional(p, q).unwrap_or_default();
            q
        });
        if by_quote {
            let bought = maker_fills
                .iter()
                .fold(Qty::ZERO, |a, f| a.saturating_add(f.qty));
            if let Some(ord) = self.orders.get_mut(&id) {
                ord.orig_qty = bought;
            }
        }
        let now = self.now();
        let mut out = Vec::new();
        let ids = self.markets[o.sym].execute_taker(now, o.side, &maker_fills, &mut out);
        self.pending.extend(
            out.into_iter()
                .map(|ev| super::events::SymEvent { sym: o.sym, ev }),
        );
        let fills = maker_fills
            .iter()
            .zip(ids)
            .map(|(f, tid)| self.apply_fill(id, f.price, f.qty, tid, false))
            .collect();
        self.after_taking(id);
        fills
    }

    fn after_taking(&mut self, id: u64) {
        let Some(o) = self.orders.get(&id).cloned() else {
            return;
        };
        if !o.status.is_open() {
            return;
        }
        let rests = o.kind != OrdType::Market && o.tif == Tif::Gtc;
        if rests {
            self.markets[o.sym]
                .book
                .add_user(o.side, o.price, id, o.remaining());
        } else {
            self.finish(id, Status::Expired, "EXPIRED");
        }
    }

    /// Applies one fill to order `id`: quantities, balances, commission, trade record, report.
    fn apply_fill(&mut self, id: u64, price: Price, qty: Qty, tid: u64, maker: bool) -> FillInfo {
        let now = self.now();
        let Some(o) = self.orders.get_mut(&id) else {
            return empty_fill(price, tid);
        };
        let quote_amt = notional(price, qty).unwrap_or_default();
        o.executed = o.executed.saturating_add(qty);
        o.cum_quote += quote_amt;
        o.update_time = now;
        let complete = o.executed >= o.orig_qty;
        o.status = if complete {
            Status::Filled
        } else {
            Status::PartiallyFilled
        };
        let released = match (o.side, o.kind) {
            (Side::Buy, OrdType::Market) => quote_amt,
            (Side::Buy, _) => Account::cost(o.price, qty),
            (Side::Sell, _) => qty.to_decimal(),
        };
        o.locked = (o.locked - released).max(Decimal::ZERO);
        let (sym, side) = (o.sym, o.side);
        let (commission, asset) = self.move_funds(sym, side, qty, quote_amt, released);
        self.my_trades.push(MyTrade {
            sym,
            id: tid,
            order_id: id,
            price,
            qty,
            quote_qty: quote_amt,
            commission,
            commission_asset: asset.clone(),
            time: now,
            is_buyer: side == Side::Buy,
            is_maker: maker,
        });
        let fill = FillInfo {
            price,
            qty,
            commission,
            commission_asset: asset,
            trade_id: tid,
        };
        self.report(id, Exec::trade(&fill, maker));
        if complete {
            self.finish(id, Status::Filled, "");
        }
        fill
    }

    /// Settles a fill of `qty` for `quote` on the account: `released` leaves the locked
    /// balance (any excess over what was spent goes back to free), the received asset is
    /// credited less commission. Returns (commission, its asset).
    fn move_funds(
        &mut self,
        sym: usize,
        side: Side,
        qty: Qty,
        quote: Decimal,
        released: Decimal,
    ) -> (Decimal, String) {
        let spec = &self.markets[sym].spec;
        let (spent, spent_asset, got, got_asset) = match side {
            Side::Buy => (
                quote,
                spec.quote.clone(),
                qty.to_decimal(),
                spec.base.clone(),
            ),
            Side::Sell => (
                qty.to_decimal(),
                spec.base.clone(),
                quote,
                spec.quote.clone(),
            ),
        };
        let commission = trunc8(got * commission_rate());
        self.account.take_locked(&spent_asset, released);
        if released > spent {
            self.account.credit(&spent_asset, released - spent);
        }
        self.account.credit(&got_asset, got - commission);
        (commission, got_asset)
    }

    /// Ends an order: releases what it still had locked, leaves the open index, reports.
    /// An empty `exec` reports nothing (the fill already said FILLED).
    pub(crate) fn finish(&mut self, id: u64, status: Status, exec: &str) {
        let now = self.now();
        let Some(o) = self.orders.get_mut(&id) else {
            return;
        };
        o.status = status;
        o.update_time = now;
        let left = std::mem::take(&mut o.locked);
        let (sym, side, client) = (o.sym, o.side, o.client_id.clone());
        let spec = &self.markets[sym].spec;
        let asset = if side == Side::Buy {
            spec.quote.clone()
        } else {
            spec.base.clone()
        };
        if left > Decimal::ZERO {
            self.account.unlock(&asset, left);
        }
        self.open_by_client.remove(&(sym, client));
        self.stops.retain(|s| *s != id);
        if !exec.is_empty() {
            self.report(id, Exec::plain(exec));
        }
    }

    /// Cancels an open order; `cancel_id` names the cancel (`newClientOrderId`).
    pub fn cancel(
        &mut self,
        sym: usize,
        id: Option<u64>,
        client: Option<&str>,
        cancel_id: Option<String>,
    ) -> Result<Canceled, ApiError> {
        let o = self
            .find_order(sym, id, client)
            .filter(|o| o.status.is_open())
            .cloned()
            .ok_or_else(ApiError::cancel_rejected)?;
        if o.is_working() && o.kind != OrdType::Market {
            self.markets[sym].book.remove_user(o.side, o.price, o.id);
        }
        let cancel_id = cancel_id.unwrap_or_else(|| self.generate_client_id());
        self.finish(o.id, Status::Canceled, "");
        self.report(o.id, Exec::cancel(&cancel_id));
        self.flush_market(sym);
        self.publish();
        let order = self
            .orders
            .get(&o.id)
            .cloned()
            .ok_or_else(ApiError::no_such_order)?;
        Ok(Canceled { order, cancel_id })
    }

    /// Applies the fills of resting orders that takers matched in market `sym`.
    pub fn settle_maker_fills(&mut self, sym: usize) {
        let fills = std::mem::take(&mut self.markets[sym].user_fills);
        for f in fills {
            self.apply_fill(f.order_id, f.price, f.qty, f.trade_id, true);
        }
    }

    /// Triggers stop orders of `sym` whose stop price the last trade reached.
    pub fn check_stops(&mut self, sym: usize) {
        if self.stops.is_empty() {
            return;
        }
        let last = self.last_price(sym);
        let due: Vec<u64> = self
            .stops
            .iter()
            .copied()
            .filter(|id| {
                self.orders
                    .get(id)
                    .is_some_and(|o| o.sym == sym && stop_triggered(o.kind, o.side, o.stop, last))
            })
            .collect();
        for id in due {
            self.stops.retain(|s| *s != id);
            let now = self.now();
            if let Some(o) = self.orders.get_mut(&id) {
                o.working_time = now;
            }
            self.work(id);
            self.flush_market(sym);
            self.settle_maker_fills(sym);
        }
    }

    fn report(&mut self, id: u64, exec: Exec<'_>) {
        let exec_id = self.next_exec_id;
        self.next_exec_id += 1;
        if let Some(o) = self.orders.get(&id) {
            let spec = &self.markets[o.sym].spec;
            self.send_user(execution_report(self.now(), spec, o, &exec, exec_id));
        }
    }
}

/// Whether a stop order of `kind` on `side` with `stop` fires at `last`.
fn stop_triggered(kind: OrdType, side: Side, stop: Price, last: Price) -> bool {
    match (kind, side) {
        (OrdType::StopLossLimit, Side::Buy) | (OrdType::TakeProfitLimit, Side::Sell) => {
            last >= stop
        }
        (OrdType::StopLossLimit, Side::Sell) | (OrdType::TakeProfitLimit, Side::Buy) => {
            last <= stop
        }
        _ => false,
    }
}

fn empty_fill(price: Price, tid: u64) -> FillInfo {
    FillInfo {
        price,
        qty: Qty::ZERO,
        commission: Decimal::ZERO,
        commission_asset: String::new(),
        trade_id: tid,
    }
}
