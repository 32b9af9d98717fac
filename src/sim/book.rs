//! The simulator's order book: price levels holding anonymous (generated) liquidity followed by
//! the demo account's resting orders in time priority, with a log of changed levels for diffs.

use crate::domain::{Price, Qty, Side};
use std::collections::{BTreeMap, VecDeque};

/// Who provided the liquidity a taker matched against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Maker {
    /// Generated market-maker liquidity.
    Anon,
    /// A resting order of the demo account (its order id).
    User(u64),
}

/// One match of a taker against one maker at one price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MakerFill {
    /// Execution price (the maker's level).
    pub price: Price,
    /// Quantity matched.
    pub qty: Qty,
    /// The maker.
    pub maker: Maker,
}

/// One price level.
#[derive(Debug, Clone, Default)]
struct Level {
    anon: Qty,
    users: VecDeque<(u64, Qty)>,
    total: Qty,
}

/// Two sides of price levels plus the levels changed since the last [`Book::drain_changes`].
#[derive(Debug, Default)]
pub struct Book {
    bids: BTreeMap<Price, Level>,
    asks: BTreeMap<Price, Level>,
    changes: Vec<(Side, Price, Qty)>,
}

impl Book {
    fn side_mut(&mut self, side: Side) -> &mut BTreeMap<Price, Level> {
        match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        }
    }

    fn side(&self, side: Side) -> &BTreeMap<Price, Level> {
        match side {
            Side::Buy => &self.bids,
            Side::Sell => &self.asks,
        }
    }

    /// The best price and its total quantity on `side`.
    pub fn best(&self, side: Side) -> Option<(Price, Qty)> {
        let lvl = match side {
            Side::Buy => self.bids.iter().next_back(),
            Side::Sell => self.asks.iter().next(),
        };
        lvl.map(|(p, l)| (*p, l.total))
    }

    /// Number of levels on `side`.
    pub fn len(&self, side: Side) -> usize {
        self.side(side).len()
    }

    /// `true` when both sides are empty.
    pub fn is_empty(&self) -> bool {
        self.bids.is_empty() && self.asks.is_empty()
    }

    /// The best `n` levels of `side`, best first.
    pub fn top(&self, side: Side, n: usize) -> Vec<(Price, Qty)> {
        let map = self.side(side);
        let it: Box<dyn Iterator<Item = (&Price, &Level)>> = match side {
            Side::Buy => Box::new(map.iter().rev()),
            Side::Sell => Box::new(map.iter()),
        };
        it.take(n).map(|(p, l)| (*p, l.total)).collect()
    }

    /// The level at `price` on `side`, best first index `i` (for picking a random near level).
    pub fn nth_price(&self, side: Side, i: usize) -> Option<Price> {
        let map = self.side(side);
        match side {
            Side::Buy => map.keys().rev().nth(i).copied(),
            Side::Sell => map.keys().nth(i).copied(),
        }
    }

    /// The worst (farthest from the top) price on `side`.
    pub fn worst(&self, side: Side) -> Option<Price> {
        let map = self.side(side);
        match side {
            Side::Buy => map.keys().next().copied(),
            Side::Sell => map.keys().next_back().copied(),
        }
    }

    /// Anonymous quantity resting at `price`.
    pub fn anon_at(&self, side: Side, price: Price) -> Qty {
        self.side(side).get(&price).map_or(Qty::ZERO, |l| l.anon)
    }

    /// Adds generated liquidity at `price`.
    pub fn add_anon(&mut self, side: Side, price: Price, qty: Qty) {
        let lvl = self.side_mut(side).entry(price).or_default();
        lvl.anon = lvl.anon.saturating_add(qty);
        lvl.total = lvl.total.saturating_add(qty);
        let total = lvl.total;
        self.changes.push((side, price, total));
    }

    /// Removes up to `qty` generated liquidity at `price` (never the demo account's orders).
    pub fn reduce_anon(&mut self, side: Side, price: Price, qty: Qty) {
        let map = self.side_mut(side);
        let Some(lvl) = map.get_mut(&price) else {
            return;
        };
        let cut = qty.min(lvl.anon);
        if cut.is_zero() {
            return;
        }
        lvl.anon = lvl.anon.saturating_sub(cut);
        lvl.total = lvl.total.saturating_sub(cut);
        let total = lvl.total;
        if total.is_zero() {
            map.remove(&price);
        }
        self.changes.push((side, price, total));
    }

    /// Queues a resting order of the demo account at the back of its level.
    pub fn add_user(&mut self, side: Side, price: Price, id: u64, qty: Qty) {
        let lvl = self.side_mut(side).entry(price).or_default();
        lvl.users.push_back((id, qty));
        lvl.total = lvl.total.saturating_add(qty);
        let total = lvl.total;
        self.changes.push((side, price, total));
    }

    /// Takes a resting order out of the book; returns the quantity it still had.
    pub fn remove_user(&mut self, side: Side, price: Price, id: u64) -> Qty {
        let map = self.side_mut(side);
        let Some(lvl) = map.get_mut(&price) else {
            return Qty::ZERO;
        };
        let Some(pos) = lvl.users.iter().position(|(o, _)| *o == id) else {
            return Qty::ZERO;
        };
        let (_, left) = lvl.users.remove(pos).unwrap_or((id, Qty::ZERO));
        lvl.total = lvl.total.saturating_sub(left);
        let total = lvl.total;
        if total.is_zero() {
            map.remove(&price);
        }
        self.changes.push((side, price, total));
        left
    }

    /// Quantity a taker on `taker` side could match now at prices no worse than `limit`.
    pub fn available(&self, taker: Side, limit: Option<Price>, cap: Qty) -> Qty {
        let mut sum = Qty::ZERO;
        for (p, l) in self.maker_levels(taker) {
            if !acceptable(taker, p, limit) || sum >= cap {
                break;
            }
            sum = sum.saturating_add(l.total);
        }
        sum.min(cap)
    }

    fn maker_levels(&self, taker: Side) -> Box<dyn Iterator<Item = (Price, &Level)> + '_> {
        match taker {
            Side::Buy => Box::new(self.asks.iter().map(|(p, l)| (*p, l))),
            Side::Sell => Box::new(self.bids.iter().rev().map(|(p, l)| (*p, l))),
        }
    }

    /// Matches a taker on `taker` side against the opposite side, best price first, while
    /// the price is acceptable and `want(price, available)` asks for more than zero.
    /// `want` returns how much it takes at that price and is told nothing else.
    pub fn take(
        &mut self,
        taker: Side,
        limit: Option<Price>,
        mut want: impl FnMut(Price, Qty) -> Qty,
    ) -> Vec<MakerFill> {
        let maker_side = taker.opposite();
        let mut fills = Vec::new();
        while let Some((price, avail)) = self.best(maker_side) {
            if !acceptable(taker, price, limit) {
                break;
            }
            let q = want(price, avail).min(avail);
            if !q.is_positive() {
                break;
            }
            self.take_level(maker_side, price, q, &mut fills);
            if q < avail {
                break;
            }
        }
        fills
    }

    fn take_level(&mut self, side: Side, price: Price, mut q: Qty, fills: &mut Vec<MakerFill>) {
        let map = self.side_mut(side);
        let Some(lvl) = map.get_mut(&price) else {
            return;
        };
        let asked = q;
        let anon = q.min(lvl.anon);
        if anon.is_positive() {
            lvl.anon = lvl.anon.saturating_sub(anon);
            q = q.saturating_sub(anon);
            fills.push(MakerFill {
                price,
                qty: anon,
                maker: Maker::Anon,
            });
        }
        while q.is_positive() {
            let Some(front) = lvl.users.front_mut() else {
                break;
            };
            let m = q.min(front.1);
            front.1 = front.1.saturating_sub(m);
            q = q.saturating_sub(m);
            fills.push(MakerFill {
                price,
                qty: m,
                maker: Maker::User(front.0),
            });
            if front.1.is_zero() {
                lvl.users.pop_front();
            }
        }
        lvl.total = lvl.total.saturating_sub(asked.saturating_sub(q));
        let total = lvl.total;
        if total.is_zero() {
            map.remove(&price);
        }
        self.changes.push((side, price, total));
    }

    /// The levels changed since the last call, in order (a level may appear more than once).
    pub fn drain_changes(&mut self) -> Vec<(Side, Price, Qty)> {
        std::mem::take(&mut self.changes)
    }

    /// Whether any change is waiting to be drained.
    pub fn has_changes(&self) -> bool {
        !self.changes.is_empty()
    }
}

/// Whether a taker on `taker` side accepts a maker at `price` given its `limit`.
fn acceptable(taker: Side, price: Price, limit: Option<Price>) -> bool {
    match (taker, limit) {
        (_, None) => true,
        (Side::Buy, Some(l)) => price <= l,
        (Side::Sell, Some(l)) => price >= l,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Price {
        Price::parse(s).unwrap()
    }
    fn q(s: &str) -> Qty {
        Qty::parse(s).unwrap()
    }

    #[test]
    fn taker_matches_anon_then_users_in_time_order() {
        let mut b = Book::default();
        b.add_anon(Side::Sell, p("10"), q("1"));
        b.add_user(Side::Sell, p("10"), 7, q("2"));
        b.add_anon(Side::Sell, p("11"), q("5"));
        b.drain_changes();
        let mut left = q("2.5");
        let fills = b.take(Side::Buy, Some(p("10.5")), |_, avail| {
            let t = left.min(avail);
            left = left.saturating_sub(t);
            t
        });
        assert_eq!(fills.len(), 2);
        assert_eq!(fills[0].maker, Maker::Anon);
        assert_eq!((fills[1].maker, fills[1].qty), (Maker::User(7), q("1.5")));
        assert_eq!(b.best(Side::Sell), Some((p("10"), q("0.5"))));
        assert_eq!(b.drain_changes(), vec![(Side::Sell, p("10"), q("0.5"))]);
        assert_eq!(b.available(Side::Buy, None, q("100")), q("5.5"));
        assert_eq!(b.remove_user(Side::Sell, p("10"), 7), q("0.5"));
        assert_eq!(b.best(Side::Sell), Some((p("11"), q("5"))));
    }
}
