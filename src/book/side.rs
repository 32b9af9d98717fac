//! One side of an L2 book: exact price keys in a sorted `Vec`, best level at the end.
//!
//! Both sides keep their levels sorted so that the best price is the *last* element: bids by
//! ascending price, asks by descending price (stored as negated keys). Almost every change in a
//! live market happens near the top of the book, so inserts and removals there shift only a few
//! elements, and trimming the worst levels is a cheap drain from the front. Key and quantity sit
//! side by side, so an insert or removal is one `memmove`.

use crate::domain::{Level, Price, Qty};

/// Which side of the book a [`BookSide`] holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SideKind {
    /// Bids: best = highest price.
    Bid,
    /// Asks: best = lowest price.
    Ask,
}

/// Sorted levels of one side; see the module docs for the layout.
#[derive(Debug, Clone)]
pub(crate) struct BookSide {
    kind: SideKind,
    /// `(sort key, qty units)`, ascending by key; the best level is last.
    levels: Vec<(i64, i64)>,
}

impl BookSide {
    /// An empty side.
    pub(crate) fn new(kind: SideKind) -> Self {
        Self {
            kind,
            levels: Vec::new(),
        }
    }

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
        self.levels.len()
    }

    /// Removes every level.
    pub(crate) fn clear(&mut self) {
        self.levels.clear();
    }

    /// Finds `key` like `binary_search`, starting from the best end.
    #[inline]
    fn find(&self, key: i64) -> Result<usize, usize> {
        find_below(&self.levels, self.levels.len(), key)
    }

    /// Sets the absolute quantity at `price`; zero removes the level (an unknown level is fine).
    pub(crate) fn set(&mut self, price: Price, qty: Qty) {
        let key = self.key(price);
        self.set_key(key, qty.units(), self.levels.len());
    }

    /// Sets `key` (which lies below index `hi`) and returns the bound for a smaller key.
    #[inline]
    fn set_key(&mut self, key: i64, qty: i64, hi: usize) -> usize {
        match find_below(&self.levels, hi, key) {
            Ok(i) if qty == 0 => {
                self.levels.remove(i);
                i
            }
            Ok(i) => {
                self.levels[i].1 = qty;
                i + 1
            }
            Err(i) if qty == 0 => i,
            Err(i) => {
                self.levels.insert(i, (key, qty));
                i + 1
            }
        }
    }

    /// Applies many levels, with the same result as [`BookSide::set`] on each in order.
    ///
    /// Venues usually list a diff's levels best-first; then each search starts where the
    /// previous one ended (every later key lies below it), so a diff costs about one search
    /// plus short gallops. Levels in any other order are set one by one from the top.
    pub(crate) fn set_many(&mut self, levels: &[Level]) {
        let sorted = levels
            .windows(2)
            .all(|w| self.key(w[0].price) >= self.key(w[1].price));
        let mut hi = self.levels.len();
        for l in levels {
            let from = if sorted { hi } else { self.levels.len() };
            hi = self.set_key(self.key(l.price), l.qty.units(), from);
        }
    }

    /// Quantity resting at `price`, if the level exists.
    pub(crate) fn get(&self, price: Price) -> Option<Qty> {
        let i = self.find(self.key(price)).ok()?;
        self.levels.get(i).map(|l| Qty::from_units(l.1))
    }

    /// Drops the worst levels until at most `cap` remain.
    pub(crate) fn trim(&mut self, cap: usize) {
        if self.levels.len() > cap {
            let cut = self.levels.len() - cap;
            self.levels.drain(..cut);
        }
    }

    /// Levels from best to worst.
    pub(crate) fn iter(&self) -> impl Iterator<Item = Level> + '_ {
        self.levels.iter().rev().map(|&(k, q)| Level {
            price: self.price(k),
            qty: Qty::from_units(q),
        })
    }

    /// The best level.
    pub(crate) fn best(&self) -> Option<Level> {
        self.iter().next()
    }

    /// Replaces the content with `levels` (any order; zero quantities are skipped; a repeated
    /// price keeps its last quantity).
    pub(crate) fn load(&mut self, levels: &[Level]) {
        let mut pairs: Vec<(i64, i64)> = levels
            .iter()
            .filter(|l| !l.qty.is_zero())
            .map(|l| (self.key(l.price), l.qty.units()))
            .collect();
        // Stable sort keeps input order among equal keys; dedup keeps the last of each run.
        pairs.sort_by_key(|p| p.0);
        pairs.reverse();
        pairs.dedup_by_key(|p| p.0);
        pairs.reverse();
        self.levels = pairs;
    }
}

/// `binary_search` over `lv[..hi]`, galloping down from `hi` (1, 2, 4, … places; those loads
/// do not depend on each other) and binary-searching only the bracket found.
#[inline]
fn find_below(lv: &[(i64, i64)], hi: usize, key: i64) -> Result<usize, usize> {
    let (mut step, mut top) = (1, hi);
    while step <= hi {
        let i = hi - step;
        if lv[i].0 <= key {
            return offset(i, lv[i..top].binary_search_by_key(&key, |l| l.0));
        }
        top = i;
        step *= 2;
    }
    lv[..top].binary_search_by_key(&key, |l| l.0)
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
            let side = BookSide { kind: SideKind::Bid, levels: keys.iter().map(|&k| (k, 1)).collect() };
            for p in probes.iter().chain(&keys) {
                proptest::prop_assert_eq!(side.find(*p), keys.binary_search(p));
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
            proptest::prop_assert_eq!(one.levels, many.levels);
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
