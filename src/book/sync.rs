//! The venue-neutral snapshot + diff sync state machine, following Binance's documented
//! procedure ("How to manage a local order book correctly", web-socket-streams.md).
//!
//! The caller owns the I/O: it feeds every diff from the stream to [`BookSync::on_diff`],
//! fetches a REST snapshot whenever [`BookSync::wants_snapshot`] says so, hands it to
//! [`BookSync::on_snapshot`], and calls [`BookSync::reset`] after every reconnect.

use super::l2::{DepthDiff, DepthSnapshot, OrderBook};
use crate::domain::BookTop;
use std::collections::VecDeque;

/// What one diff did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffOutcome {
    /// Applied to the live book; the top may have changed.
    Applied,
    /// Older than the book (`u <= book id`); dropped.
    Ignored,
    /// Kept until a snapshot arrives.
    Buffered,
    /// A sequence gap (`U > book id + 1`): the book was discarded and a resync started.
    Gap {
        /// The `U` the book needed (book id + 1).
        expected: u64,
        /// The `U` that came.
        got: u64,
    },
}

/// What one snapshot did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotOutcome {
    /// The book is live from this snapshot (plus the buffered diffs after it).
    Synced,
    /// The snapshot is older than the buffered stream (or does not join it): fetch again.
    TooOld,
    /// The book was already live; the snapshot was not needed and was dropped.
    Unneeded,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// (Re)subscribed, no diff seen yet. Step 1 starts with the first diff.
    WaitFirst,
    /// Diffs buffered, a snapshot is needed (steps 1–2).
    WaitSnapshot,
    /// Following the stream (step 6).
    Live,
}

/// One symbol's book plus its sync state. `stale` (see [`BookSync::is_stale`]) is true from
/// creation, after [`BookSync::reset`] and after a gap, until a snapshot joins the stream.
#[derive(Debug, Clone)]
pub struct BookSync {
    book: OrderBook,
    phase: Phase,
    buffer: VecDeque<DepthDiff>,
    max_buffer: usize,
}

impl BookSync {
    /// A stale, empty book keeping `depth` levels a side, buffering at most `max_buffer` diffs
    /// while it waits for a snapshot (the oldest are dropped beyond that; a snapshot that no
    /// longer joins the buffer is then refetched).
    pub fn new(depth: usize, max_buffer: usize) -> Self {
        Self {
            book: OrderBook::new(depth),
            phase: Phase::WaitFirst,
            buffer: VecDeque::new(),
            max_buffer: max_buffer.max(1),
        }
    }

    /// The book (its content is the last known state while stale).
    pub fn book(&self) -> &OrderBook {
        &self.book
    }

    /// `true` until a snapshot has joined the stream.
    pub fn is_stale(&self) -> bool {
        self.phase != Phase::Live
    }

    /// `true` when the caller should fetch a REST snapshot (one is needed and diffs are
    /// buffered to join it to).
    pub fn wants_snapshot(&self) -> bool {
        self.phase == Phase::WaitSnapshot
    }

    /// Number of buffered diffs.
    pub fn buffered(&self) -> usize {
        self.buffer.len()
    }

    /// The best `n` levels a side, with the stale flag.
    pub fn top(&self, n: usize) -> BookTop {
        let mut top = self.book.top(n);
        top.stale = self.is_stale();
        top
    }

    /// Writes the best `n` levels a side and the stale flag into `out`.
    pub fn fill_top(&self, n: usize, out: &mut BookTop) {
        self.book.fill_top(n, out);
        out.stale = self.is_stale();
    }

    /// Starts over after a reconnect (or any doubt): buffer from the next diff and resync.
    /// Returns `true` if the book was live (i.e. this is a resync, not a first sync).
    pub fn reset(&mut self) -> bool {
        let was_live = self.phase == Phase::Live;
        self.phase = Phase::WaitFirst;
        self.buffer.clear();
        was_live
    }

    /// Handles one diff from the stream.
    pub fn on_diff(&mut self, diff: &DepthDiff) -> DiffOutcome {
        match self.phase {
            Phase::Live => self.apply_live(diff),
            Phase::WaitFirst | Phase::WaitSnapshot => {
                // Step 1: "buffer the events you receive from the stream. Note the U of the
                // first event you received." The first buffered event is `buffer.front()`.
                if self.buffer.len() >= self.max_buffer {
                    self.buffer.pop_front();
                }
                self.buffer.push_back(diff.clone());
                // Step 2: "Get a depth snapshot" (the caller fetches when this is set).
                self.phase = Phase::WaitSnapshot;
                DiffOutcome::Buffered
            }
        }
    }

    /// Step 6, for every event once the book is live.
    fn apply_live(&mut self, diff: &DepthDiff) -> DiffOutcome {
        let id = self.book.update_id();
        // "If the event last update ID (u) is < the update ID of your local order book,
        // ignore the event." An event with u == book id is already applied, so it goes too.
        if diff.last_id <= id {
            return DiffOutcome::Ignored;
        }
        // "If the event first update ID (U) is > the update ID of your local order book
        // + 1, something went wrong. Discard your local order book and restart the process
        // from the beginning." Restarting means buffering from this event (step 1).
        let expected = id.saturating_add(1);
        if diff.first_id > expected {
            self.phase = Phase::WaitSnapshot;
            self.buffer.clear();
            self.buffer.push_back(diff.clone());
            return DiffOutcome::Gap {
                expected,
                got: diff.first_id,
            };
        }
        // "For each price level in bids (b) and asks (a), set the new quantity in the order
        // book: if the price level does not exist, insert it; if it exists, update it; if
        // the quantity is zero, remove the level. Set the order book update ID to u."
        self.book.apply_diff(diff);
        DiffOutcome::Applied
    }

    /// Handles a REST snapshot (steps 3–5, then step 6 over the buffer).
    pub fn on_snapshot(&mut self, snap: &DepthSnapshot) -> SnapshotOutcome {
        if self.phase == Phase::Live {
            return SnapshotOutcome::Unneeded;
        }
        // Step 3: "If the lastUpdateId from the snapshot is strictly less than the U from
        // step 1, go back to step 2."
        if let Some(first) = self.buffer.front()
            && snap.last_id < first.first_id.saturating_sub(1)
        {
            return SnapshotOutcome::TooOld;
        }
        // Step 4: "In the buffered events, discard any event where u is <= lastUpdateId of
        // the snapshot. The first buffered event should now have lastUpdateId within its
        // [U;u] range." Both the current wording (U <= lastUpdateId <= u) and the
        // pre-2024-12-16 one (U <= lastUpdateId+1 <= u) are accepted; the latter is the
        // union of the two, and it is exactly step 6's gap check applied to the first event.
        while self
            .buffer
            .front()
            .is_some_and(|d| d.last_id <= snap.last_id)
        {
            self.buffer.pop_front();
        }
        if let Some(first) = self.buffer.front()
            && first.first_id > snap.last_id.saturating_add(1)
        {
            return SnapshotOutcome::TooOld;
        }
        // Step 5: "Set your local order book to the snapshot. Its update ID is lastUpdateId."
        self.book.load_snapshot(snap);
        self.phase = Phase::Live;
        // Step 6 for the buffered events. They are contiguous by construction unless the
        // stream itself had a gap while buffering, which sends us back to step 1.
        let buffered = std::mem::take(&mut self.buffer);
        let mut rest = buffered.into_iter();
        for diff in rest.by_ref() {
            if let DiffOutcome::Gap { .. } = self.apply_live(&diff) {
                self.buffer.extend(rest);
                return SnapshotOutcome::TooOld;
            }
        }
        SnapshotOutcome::Synced
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Level, Price, Qty};

    fn diff(first: u64, last: u64, bid: i64) -> DepthDiff {
        DepthDiff {
            first_id: first,
            last_id: last,
            time: 0,
            bids: vec![Level {
                price: Price::from_int(bid),
                qty: Qty::ONE,
            }],
            asks: vec![],
        }
    }

    fn snap(last: u64) -> DepthSnapshot {
        DepthSnapshot {
            last_id: last,
            bids: vec![],
            asks: vec![],
        }
    }

    #[test]
    fn buffers_until_snapshot_then_replays_after_it() {
        let mut s = BookSync::new(100, 1000);
        assert!(s.is_stale() && !s.wants_snapshot());
        assert_eq!(s.on_diff(&diff(10, 12, 1)), DiffOutcome::Buffered);
        assert!(s.wants_snapshot());
        assert_eq!(s.on_diff(&diff(13, 15, 2)), DiffOutcome::Buffered);
        assert_eq!(s.on_diff(&diff(16, 16, 3)), DiffOutcome::Buffered);
        // Snapshot at 13: the first event is dropped, [13;15] contains 13.
        assert_eq!(s.on_snapshot(&snap(13)), SnapshotOutcome::Synced);
        assert!(!s.is_stale());
        assert_eq!(s.book().update_id(), 16);
        let prices: Vec<_> = s.book().bids().map(|l| l.price).collect();
        assert_eq!(prices, [Price::from_int(3), Price::from_int(2)]);
    }

    #[test]
    fn snapshot_older_than_the_stream_is_refetched() {
        let mut s = BookSync::new(100, 1000);
        s.on_diff(&diff(10, 12, 1));
        assert_eq!(s.on_snapshot(&snap(5)), SnapshotOutcome::TooOld);
        assert!(s.wants_snapshot());
        // lastUpdateId = U - 1 joins exactly (pre-2024 wording).
        assert_eq!(s.on_snapshot(&snap(9)), SnapshotOutcome::Synced);
        assert_eq!(s.book().update_id(), 12);
    }

    #[test]
    fn gap_discards_the_book_and_resyncs() {
        let mut s = BookSync::new(100, 1000);
        s.on_diff(&diff(10, 12, 1));
        s.on_snapshot(&snap(11));
        assert_eq!(s.on_diff(&diff(12, 12, 9)), DiffOutcome::Ignored);
        assert_eq!(
            s.on_diff(&diff(20, 21, 2)),
            DiffOutcome::Gap {
                expected: 13,
                got: 20
            }
        );
        assert!(s.is_stale() && s.wants_snapshot());
        assert_eq!(s.on_snapshot(&snap(20)), SnapshotOutcome::Synced);
        assert_eq!(s.book().update_id(), 21);
    }

    #[test]
    fn reset_after_reconnect_goes_stale() {
        let mut s = BookSync::new(100, 4);
        s.on_diff(&diff(1, 1, 1));
        s.on_snapshot(&snap(1));
        assert!(s.reset());
        assert!(s.is_stale() && !s.wants_snapshot());
        for i in 2..10 {
            s.on_diff(&diff(i, i, 1));
        }
        assert_eq!(s.buffered(), 4);
        assert_eq!(s.on_snapshot(&snap(2)), SnapshotOutcome::TooOld);
        assert_eq!(s.on_snapshot(&snap(6)), SnapshotOutcome::Synced);
        assert!(s.top(5).bids.len() == 1 && !s.top(5).stale);
    }
}
