//! The L2 order book itself: exact levels per side, absolute quantities, a depth cap, top-N.

use super::side::{BookSide, SideKind};
use crate::domain::{BookTop, Level, Price, Qty, Side, TimeMs};

/// One incremental book update from a venue (Binance `depthUpdate`: `U`, `u`, `b`, `a`).
///
/// Quantities are absolute: the new total at that price; zero removes the level.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DepthDiff {
    /// First update id covered by this event (`U`).
    pub first_id: u64,
    /// Last update id covered by this event (`u`).
    pub last_id: u64,
    /// Venue event time (`E`), 0 if the venue sent none.
    pub time: TimeMs,
    /// Changed bid levels.
    pub bids: Vec<Level>,
    /// Changed ask levels.
    pub asks: Vec<Level>,
}

impl DepthDiff {
    /// Empties the level lists, keeping their capacity (for decoders that reuse one diff).
    pub fn clear(&mut self) {
        self.first_id = 0;
        self.last_id = 0;
        self.time = 0;
        self.bids.clear();
        self.asks.clear();
    }
}

/// A full book at one update id (Binance REST `depth`, or a partial-depth stream message).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DepthSnapshot {
    /// Update id the snapshot is valid at (`lastUpdateId`).
    pub last_id: u64,
    /// Bid levels (any order).
    pub bids: Vec<Level>,
    /// Ask levels (any order).
    pub asks: Vec<Level>,
}

/// The largest depth a book keeps (Binance's largest snapshot).
pub const MAX_DEPTH: usize = 5000;

/// An exact L2 book with a depth cap.
///
/// Each side keeps at least `depth` levels when the venue has them. To keep trimming cheap, a
/// side is cut back to `depth` only when it grows past `depth + depth / 8 + 8`; the extra levels
/// are real, kept up to date by every diff, and never shown ([`OrderBook::bids`] and
/// [`OrderBook::asks`] yield at most `depth` levels).
#[derive(Debug, Clone)]
pub struct OrderBook {
    bids: BookSide,
    asks: BookSide,
    update_id: u64,
    depth: usize,
}

impl OrderBook {
    /// An empty book keeping `depth` levels a side (clamped to 1..=[`MAX_DEPTH`]).
    pub fn new(depth: usize) -> Self {
        Self {
            bids: BookSide::new(SideKind::Bid),
            asks: BookSide::new(SideKind::Ask),
            update_id: 0,
            depth: depth.clamp(1, MAX_DEPTH),
        }
    }

    /// Levels kept per side.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// The size a side may reach before it is trimmed back to [`OrderBook::depth`].
    pub fn trim_threshold(&self) -> usize {
        self.depth + self.depth / 8 + 8
    }

    /// Update id of the last applied snapshot or diff.
    pub fn update_id(&self) -> u64 {
        self.update_id
    }

    /// Removes every level and resets the update id.
    pub fn clear(&mut self) {
        self.bids.clear();
        self.asks.clear();
        self.update_id = 0;
    }

    /// Replaces the whole book with a snapshot.
    pub fn load_snapshot(&mut self, snap: &DepthSnapshot) {
        self.bids.load(&snap.bids);
        self.asks.load(&snap.asks);
        self.bids.trim(self.depth);
        self.asks.trim(self.depth);
        self.update_id = snap.last_id;
    }

    /// Sets one level to an absolute quantity (zero removes it). Does not trim or move the id.
    #[inline]
    pub fn set_level(&mut self, side: Side, price: Price, qty: Qty) {
        match side {
            Side::Buy => self.bids.set(price, qty),
            Side::Sell => self.asks.set(price, qty),
        }
    }

    /// Applies every level of `diff` and moves the update id to `diff.last_id`. No sequence
    /// checks: that is [`super::BookSync`]'s job.
    pub fn apply_diff(&mut self, diff: &DepthDiff) {
        self.bids.set_many(&diff.bids);
        self.asks.set_many(&diff.asks);
        self.update_id = diff.last_id;
        self.trim_if_needed();
    }

    /// Trims sides that grew past [`OrderBook::trim_threshold`].
    pub fn trim_if_needed(&mut self) {
        let limit = self.trim_threshold();
        if self.bids.len() > limit {
            self.bids.trim(self.depth);
        }
        if self.asks.len() > limit {
            self.asks.trim(self.depth);
        }
    }

    /// Bids, best (highest) first, at most `depth`.
    pub fn bids(&self) -> impl Iterator<Item = Level> + '_ {
        self.bids.iter().take(self.depth)
    }

    /// Asks, best (lowest) first, at most `depth`.
    pub fn asks(&self) -> impl Iterator<Item = Level> + '_ {
        self.asks.iter().take(self.depth)
    }

    /// Quantity at a price on one side.
    pub fn qty_at(&self, side: Side, price: Price) -> Option<Qty> {
        match side {
            Side::Buy => self.bids.get(price),
            Side::Sell => self.asks.get(price),
        }
    }

    /// Best bid.
    pub fn best_bid(&self) -> Option<Level> {
        self.bids.best()
    }

    /// Best ask.
    pub fn best_ask(&self) -> Option<Level> {
        self.asks.best()
    }

    /// Number of (visible) levels per side: `(bids, asks)`.
    pub fn len(&self) -> (usize, usize) {
        (
            self.bids.len().min(self.depth),
            self.asks.len().min(self.depth),
        )
    }

    /// `true` when both sides are empty.
    pub fn is_empty(&self) -> bool {
        self.bids.len() == 0 && self.asks.len() == 0
    }

    /// The best `n` levels a side, not stale.
    pub fn top(&self, n: usize) -> BookTop {
        let mut top = BookTop::default();
        self.fill_top(n, &mut top);
        top
    }

    /// Writes the best `n` levels a side into `out`, reusing its buffers; `stale` is cleared.
    pub fn fill_top(&self, n: usize, out: &mut BookTop) {
        out.update_id = self.update_id;
        out.stale = false;
        // Sized once: the filtered iterators give no size hint, and growing level by level
        // reallocates every frame.
        let (bids, asks) = self.len();
        out.bids.clear();
        out.bids.reserve(bids.min(n));
        out.bids.extend(self.bids().take(n));
        out.asks.clear();
        out.asks.reserve(asks.min(n));
        out.asks.extend(self.asks().take(n));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lv(p: i64, q: i64) -> Level {
        Level {
            price: Price::from_int(p),
            qty: Qty::from_int(q),
        }
    }

    #[test]
    fn snapshot_then_diff_gives_exact_top() {
        let mut book = OrderBook::new(100);
        book.load_snapshot(&DepthSnapshot {
            last_id: 10,
            bids: vec![lv(99, 1), lv(98, 2)],
            asks: vec![lv(101, 1), lv(102, 2)],
        });
        book.apply_diff(&DepthDiff {
            first_id: 11,
            last_id: 12,
            time: 0,
            bids: vec![lv(99, 0), lv(100, 5)],
            asks: vec![lv(102, 7)],
        });
        let top = book.top(2);
        assert_eq!(top.update_id, 12);
        assert_eq!(top.bids, vec![lv(100, 5), lv(98, 2)]);
        assert_eq!(top.asks, vec![lv(101, 1), lv(102, 7)]);
        assert_eq!(top.spread(), Some(Price::from_int(1)));
    }

    #[test]
    fn depth_caps_what_is_kept_and_shown() {
        let mut book = OrderBook::new(3);
        let bids: Vec<_> = (1..=10).map(|p| lv(p, 1)).collect();
        book.load_snapshot(&DepthSnapshot {
            last_id: 1,
            bids,
            asks: vec![],
        });
        let shown: Vec<_> = book.bids().map(|l| l.price).collect();
        assert_eq!(shown, [10, 9, 8].map(Price::from_int));
        assert_eq!(book.len(), (3, 0));
        assert_eq!(OrderBook::new(0).depth(), 1);
        assert_eq!(OrderBook::new(9999).depth(), MAX_DEPTH);
    }
}
