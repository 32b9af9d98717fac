//! One side of an L2 book: exact price keys in a sorted `Vec` (best level at the end) plus a
//! hash index from price to quantity.
//!
//! Both sides keep their keys sorted so that the best price is the *last* element: bids by
//! ascending price, asks by descending price (stored as negated keys). Almost every change in a
//! live market happens near the top of the book, so inserts and removals there shift only a few
//! keys, and trimming the worst levels is a cheap drain from the front. A quantity change at a
//! known price (the most common change) only touches the index and never searches the keys. A
//! removed level stays in the keys as a tombstone (quantity zero) until it is set again (prices
//! near the top come and go all the time) or until tombstones pile up and the keys are compacted;
//! so most removals and re-insertions shift nothing.

use crate::domain::{Level, Price, Qty};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Which side of the book a [`BookSide`] holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SideKind {
    /// Bids: best = highest price.
    Bid,
    /// Asks: best = lowest price.
    Ask,
}

/// A fast hash for `i64` price keys (multiply, then fold the high half down so the table's low
/// bits see every input bit). Book keys are exchange prices, not attacker-chosen map keys.
#[derive(Default)]
pub(crate) struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    #[inline(always)]
    fn write_i64(&mut self, k: i64) {
        self.write_u64(k as u64);
    }
    #[inline(always)]
    fn write_u64(&mut self, k: u64) {
        let h = (self.0 ^ k).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = h ^ (h >> 29);
    }
}

type Index = HashMap<i64, i64, BuildHasherDefault<KeyHasher>>;

/// Sorted levels of one side; see the module docs for the layout.
#[derive(Debug, Clone)]
pub(crate) struct BookSide {
    kind: SideKind,
    /// Sort keys, ascending; the best level is last.
    keys: Vec<i64>,
    /// Key → quantity in 1e-8 units; zero marks a tombstone.
    qty: Index,
    /// Number of tombstones.
    dead: usize,
}

impl BookSide {
    /// An empty side.
    pub(crate) fn new(kind: SideKind) -> Self {
        Self {
            kind,
            keys: Vec::new(),
            qty: Index::default(),
            dead: 0,
        }
    }

    #[inline(always)]
    fn key(&self, price: Price) -> i64 {
        match self.kind {
            SideKind::Bid => price.units(),
            SideKind::Ask => price.units().saturating_neg(),
        }
    }

    fn price(&self, key: i64) -> Price {
        match self.kind {
            SideKind::Bid => Price::from_units(key),
            SideKind::Ask => Price::from_units(key.saturating_neg()),
        }
    }

    /// Number of levels.
    pub(crate) fn len(&self) -> usize {
        self.keys.len() - self.dead
    }

    /// Removes every level.
    pub(crate) fn clear(&mut self) {
        self.keys.clear();
        self.qty.clear();
        self.dead = 0;
    }

    /// Drops every tombstone.
    fn compact(&mut self) {
        let qty = &self.qty;
        self.keys.retain(|k| qty.get(k).is_some_and(|q| *q != 0));
        self.qty.retain(|_, q| *q != 0);
        self.dead = 0;
    }

    /// Sets the absolute quantity at `price`; zero removes the level (an unknown level is fine).
    pub(crate) fn set(&mut self, price: Price, qty: Qty) {
        self.set_many(&[Level { price, qty }]);
    }

    /// Sets `key` (which lies below index `hi` if it is in the keys) and returns the bound for
    /// a smaller key.
    #[inline(always)]
    fn set_key(&mut self, key: i64, qty: i64, hi: usize) -> usize {
        match self.qty.get_mut(&key) {
            Some(q) => {
                match (*q == 0, qty == 0) {
                    (true, false) => self.dead -= 1,
                    (false, true) => self.dead += 1,
                    _ => {}
                }
                *q = qty;
                hi
            }
            None if qty == 0 => hi,
            None => {
                self.qty.insert(key, qty);
                let i = find_below(&self.keys, hi, key).unwrap_or_else(|i| i);
                self.keys.insert(i, key);
                i + 1
            }
        }
    }

    /// Applies many levels, with the same result as [`BookSide::set`] on each in order.
    ///
    /// Venues usually list a diff's levels best-first; then each search starts where the
    /// previous one ended (every later key lies below it). Levels in any other order are
    /// searched from the top.
    pub(crate) fn set_many(&mut self, levels: &[Level]) {
        let best_first = match self.kind {
            SideKind::Bid => levels.windows(2).all(|w| w[0].price > w[1].price),
            SideKind::Ask => levels.windows(2).all(|w| w[0].price < w[1].price),
        };
        let mut hi = self.keys.len();
        for l in levels {
            let from = if best_first { hi } else { self.keys.len() };
            hi = self.set_key(self.key(l.price), l.qty.units(), from);
        }
        if self.dead > 32 && self.dead * 4 > self.keys.len() {
            self.compact();
        }
    }

    /// Quantity resting at `price`, if the level exists.
    pub(crate) fn get(&self, price: Price) -> Option<Qty> {
        let q = *self.qty.get(&self.key(price))?;
        (q != 0).then_some(Qty::from_units(q))
    }

    /// Drops the worst levels until at most `cap` remain.
    pub(crate) fn trim(&mut self, cap: usize) {
        if self.len() > cap {
            self.compact();
            let cut = self.keys.len() - cap;
            for k in self.keys.drain(..cut) {
                self.qty.remove(&k);
            }
        }
    }

    /// Levels from best to worst.
    pub(crate) fn iter(&self) -> impl Iterator<Item = Level> + '_ {
        self.keys.iter().rev().filter_map(|&k| {
            let q = self.qty.get(&k).copied().unwrap_or(0);
            (q != 0).then(|| Level {
                price: self.price(k),
                qty: Qty::from_units(q),
            })
        })
    }

    /// The best level.
    pub(crate) fn best(&self) -> Option<Level> {
        self.iter().next()
    }

    /// Replaces the content with `levels` (any order; zero quantities are skipped; a repeated
    /// price keeps its last quantity).
    pub(crate) fn load(&mut self, levels: &[Level]) {
        self.clear();
        for l in levels {
            let key = self.key(l.price);
            if l.qty.is_zero() {
                self.qty.remove(&key);
            } else {
                self.qty.insert(key, l.qty.units());
            }
        }
        self.keys.extend(self.qty.keys());
        self.keys.sort_unstable();
        self.dead = 0;
    }
}

/// `binary_search` over `keys[..hi]`, galloping down from `hi` (1, 2, 4, … places; those loads
/// do not depend on each other) and binary-searching only the bracket found.
#[inline(always)]
fn find_below(keys: &[i64], hi: usize, key: i64) -> Result<usize, usize> {
    let (mut step, mut top) = (1, hi);
    while step <= hi {
        let i = hi - step;
        if keys[i] <= key {
            return offset(i, keys[i..top].binary_search(&key));
        }
        top = i;
        step *= 2;
    }
    keys[..top].binary_search(&key)
}

fn offset(base: usize, r: Result<usize, usize>) -> Result<usize, usize> {
    match r {
        Ok(i) => Ok(base + i),
        Err(i) => Err(base + i),
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
    fn bids_best_is_highest_and_asks_best_is_lowest() {
        let mut bids = BookSide::new(SideKind::Bid);
        let mut asks = BookSide::new(SideKind::Ask);
        for price in ["10", "12", "11"] {
            bids.set(p(price), q("1"));
            asks.set(p(price), q("1"));
        }
        let b: Vec<_> = bids.iter().map(|l| l.price.to_string()).collect();
        let a: Vec<_> = asks.iter().map(|l| l.price.to_string()).collect();
        assert_eq!(b, ["12", "11", "10"]);
        assert_eq!(a, ["10", "11", "12"]);
    }

    #[test]
    fn absolute_quantities_and_zero_removes() {
        let mut bids = BookSide::new(SideKind::Bid);
        bids.set(p("10"), q("1"));
        bids.set(p("10"), q("3.5"));
        assert_eq!(bids.get(p("10")), Some(q("3.5")));
        bids.set(p("10"), Qty::ZERO);
        assert_eq!(bids.get(p("10")), None);
        bids.set(p("9"), Qty::ZERO); // removing an unknown level is normal
        assert_eq!(bids.len(), 0);
    }

    proptest::proptest! {
        #[test]
        fn find_agrees_with_binary_search(
            mut keys in proptest::collection::vec(-1_000_000i64..1_000_000, 0..300),
            probes in proptest::collection::vec(-1_100_000i64..1_100_000, 1..50),
        ) {
            keys.sort_unstable();
            keys.dedup();
            let side = BookSide { kind: SideKind::Bid, keys: keys.clone(), qty: Index::default(), dead: 0 };
            for p in probes.iter().chain(&keys) {
                proptest::prop_assert_eq!(find_below(&side.keys, side.keys.len(), *p), keys.binary_search(p));
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn set_many_equals_set_one_by_one(
            start in proptest::collection::vec((0i64..60, 0i64..3), 0..40),
            batch in proptest::collection::vec((0i64..60, 0i64..3), 0..30),
            ask in proptest::bool::ANY,
            sort in proptest::bool::ANY,
        ) {
            let kind = if ask { SideKind::Ask } else { SideKind::Bid };
            let lv = |(p, q): (i64, i64)| Level { price: Price::from_int(p + 1), qty: Qty::from_int(q) };
            let mut one = BookSide::new(kind);
            start.iter().for_each(|&l| one.set(lv(l).price, lv(l).qty));
            let mut many = one.clone();
            batch.iter().for_each(|&l| one.set(lv(l).price, lv(l).qty));
            let mut levels: Vec<Level> = batch.iter().map(|&l| lv(l)).collect();
            if sort {
                levels.sort_by_key(|l| if ask { l.price } else { -l.price });
            }
            many.set_many(&levels);
            proptest::prop_assert_eq!(one.iter().collect::<Vec<_>>(), many.iter().collect::<Vec<_>>());
        }
    }

    #[test]
    fn trim_drops_the_worst_levels() {
        let mut asks = BookSide::new(SideKind::Ask);
        for i in 1..=10 {
            asks.set(Price::from_int(i), q("1"));
        }
        asks.trim(3);
        let a: Vec<_> = asks.iter().map(|l| l.price.to_string()).collect();
        assert_eq!(a, ["1", "2", "3"]);
    }

    #[test]
    fn load_sorts_skips_zeros_and_keeps_last_duplicate() {
        let mut bids = BookSide::new(SideKind::Bid);
        let lv = |pr: &str, qt: &str| Level {
            price: p(pr),
            qty: q(qt),
        };
        bids.load(&[lv("1", "1"), lv("3", "0"), lv("2", "1"), lv("1", "7")]);
        let b: Vec<_> = bids.iter().map(|l| (l.price, l.qty)).collect();
        assert_eq!(b, [(p("2"), q("1")), (p("1"), q("7"))]);
    }
}
