//! A time window of trade prices that answers "lowest / highest since time `s`" in O(log n),
//! with amortized O(1) work per trade (two monotonic deques).
//!
//! The min deque keeps only the trades lower than every later trade (the suffix minima); the
//! lowest price since `s` is therefore the first kept trade at or after `s`. One window serves
//! every % move alert on a symbol, whatever their lengths: it keeps the longest.

use crate::domain::{Price, TimeMs};
use std::collections::VecDeque;

/// Suffix minima and maxima of recent trade prices.
#[derive(Debug, Clone, Default)]
pub struct PriceWindow {
    mins: VecDeque<(TimeMs, Price)>,
    maxs: VecDeque<(TimeMs, Price)>,
    last_time: TimeMs,
}

impl PriceWindow {
    /// An empty window.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a trade and forgets what is older than `keep_ms` before it. A time earlier than the
    /// last one is treated as the last one (feeds are ordered per symbol, clocks are not).
    pub fn push(&mut self, time: TimeMs, price: Price, keep_ms: i64) {
        let t = time.max(self.last_time);
        self.last_time = t;
        while self.mins.back().is_some_and(|&(_, p)| p >= price) {
            self.mins.pop_back();
        }
        self.mins.push_back((t, price));
        while self.maxs.back().is_some_and(|&(_, p)| p <= price) {
            self.maxs.pop_back();
        }
        self.maxs.push_back((t, price));
        let cutoff = t.saturating_sub(keep_ms);
        while self.mins.front().is_some_and(|&(ts, _)| ts < cutoff) {
            self.mins.pop_front();
        }
        while self.maxs.front().is_some_and(|&(ts, _)| ts < cutoff) {
            self.maxs.pop_front();
        }
    }

    /// Lowest price of the trades at or after `since` (still held).
    pub fn min_since(&self, since: TimeMs) -> Option<Price> {
        first_since(&self.mins, since)
    }

    /// Highest price of the trades at or after `since` (still held).
    pub fn max_since(&self, since: TimeMs) -> Option<Price> {
        first_since(&self.maxs, since)
    }

    /// Entries held (for tests and memory checks).
    pub fn len(&self) -> usize {
        self.mins.len() + self.maxs.len()
    }

    /// `true` when nothing is held.
    pub fn is_empty(&self) -> bool {
        self.mins.is_empty()
    }

    /// The time of the newest trade seen.
    pub fn last_time(&self) -> TimeMs {
        self.last_time
    }
}

fn first_since(q: &VecDeque<(TimeMs, Price)>, since: TimeMs) -> Option<Price> {
    let i = q.partition_point(|&(t, _)| t < since);
    q.get(i).map(|&(_, p)| p)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brute force over the raw trades for comparison.
    fn brute(trades: &[(TimeMs, i64)], since: TimeMs, lo: bool) -> Option<Price> {
        let it = trades.iter().filter(|t| t.0 >= since).map(|t| t.1);
        let v = if lo { it.min() } else { it.max() };
        v.map(Price::from_int)
    }

    #[test]
    fn suffix_min_and_max_match_brute_force() {
        // A deterministic zig-zag with repeats, several trades per millisecond.
        let mut trades = Vec::new();
        let mut w = PriceWindow::new();
        let mut x: i64 = 7;
        for i in 0..500_i64 {
            x = (x * 1103515245 + 12345) % 2147483648;
            let t = i / 3 * 10;
            let p = 100 + x % 17;
            trades.push((t, p));
            w.push(t, Price::from_int(p), 1_000);
            for back in [0, 5, 10, 300, 999, 1000] {
                let since = t - back;
                assert_eq!(
                    w.min_since(since),
                    brute(&trades, since, true),
                    "min i={i} back={back}"
                );
                assert_eq!(
                    w.max_since(since),
                    brute(&trades, since, false),
                    "max i={i} back={back}"
                );
            }
        }
        assert!(w.len() < 200, "old entries are dropped: {}", w.len());
    }
}
