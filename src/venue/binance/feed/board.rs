//! Book conflation and the receiving end of a feed.
//!
//! Trades, tickers, candles, connection states and notices travel on a bounded mpsc channel and
//! are never dropped (a full channel makes the connection task wait). Book updates do not: each
//! symbol has one slot on a [`Board`] holding its latest [`BookTop`], plus a "dirty" mark and a
//! queue position. A connection task overwrites the slot on every applied diff and wakes the
//! receiver only when the slot was clean, so a burst of a thousand diffs costs the receiver one
//! event carrying the newest state, and memory never grows with the burst.

use crate::domain::{BookTop, Symbol};
use crate::venue::MarketEvent;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use tokio::sync::{Notify, mpsc};

#[derive(Debug, Default)]
struct Slot {
    top: BookTop,
    dirty: bool,
}

#[derive(Debug, Default)]
struct Inner {
    slots: HashMap<Symbol, Slot>,
    queue: VecDeque<Symbol>,
}

/// The latest book top per symbol; see the module docs.
#[derive(Debug, Default)]
pub struct Board {
    inner: Mutex<Inner>,
    notify: Notify,
}

impl Board {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Overwrites `symbol`'s slot in place through `write` (its buffers are reused) and marks it
    /// dirty, waking the receiver if it was clean.
    pub fn publish(&self, symbol: &Symbol, write: impl FnOnce(&mut BookTop)) {
        let mut inner = self.lock();
        let slot = match inner.slots.get_mut(symbol) {
            Some(s) => s,
            None => inner.slots.entry(symbol.clone()).or_default(),
        };
        write(&mut slot.top);
        if !slot.dirty {
            slot.dirty = true;
            inner.queue.push_back(symbol.clone());
            drop(inner);
            self.notify.notify_one();
        }
    }

    /// Takes the oldest dirty slot as a [`MarketEvent::Book`].
    fn take(&self) -> Option<MarketEvent> {
        let mut inner = self.lock();
        while let Some(symbol) = inner.queue.pop_front() {
            if let Some(slot) = inner.slots.get_mut(&symbol) {
                slot.dirty = false;
                let top = slot.top.clone();
                return Some(MarketEvent::Book { symbol, top });
            }
        }
        None
    }

    /// The latest top of `symbol`, dirty or not.
    pub fn latest(&self, symbol: &Symbol) -> Option<BookTop> {
        self.lock().slots.get(symbol).map(|s| s.top.clone())
    }

    /// Forgets `symbol` (unsubscribed).
    pub fn remove(&self, symbol: &Symbol) {
        let mut inner = self.lock();
        inner.slots.remove(symbol);
        inner.queue.retain(|s| s != symbol);
    }

    /// Number of symbols waiting to be delivered.
    pub fn pending(&self) -> usize {
        self.lock().queue.len()
    }
}

/// What the app reads a feed from: the event channel plus the book board, merged. Cancel-safe,
/// so it can sit in a `tokio::select!`.
#[derive(Debug)]
pub struct MarketReceiver {
    events: mpsc::Receiver<MarketEvent>,
    board: std::sync::Arc<Board>,
    book_turn: bool,
}

impl MarketReceiver {
    pub(crate) fn new(events: mpsc::Receiver<MarketEvent>, board: std::sync::Arc<Board>) -> Self {
        Self {
            events,
            board,
            book_turn: false,
        }
    }

    /// The next event without waiting. Books and other events alternate, so neither starves.
    pub fn try_recv(&mut self) -> Option<MarketEvent> {
        if self.book_turn {
            self.book_turn = false;
            if let Some(ev) = self.board.take() {
                return Some(ev);
            }
        }
        match self.events.try_recv() {
            Ok(ev) => {
                self.book_turn = true;
                Some(ev)
            }
            Err(_) => self.board.take(),
        }
    }

    /// The next event; `None` once the feed has stopped and everything was delivered.
    pub async fn recv(&mut self) -> Option<MarketEvent> {
        loop {
            if let Some(ev) = self.try_recv() {
                return Some(ev);
            }
            tokio::select! {
                ev = self.events.recv() => match ev {
                    Some(ev) => {
                        self.book_turn = true;
                        return Some(ev);
                    }
                    None => return self.board.take(),
                },
                () = self.board.notify.notified() => {}
            }
        }
    }

    /// Moves up to `max` waiting events into `out` without blocking; returns how many.
    pub fn drain(&mut self, out: &mut Vec<MarketEvent>, max: usize) -> usize {
        let mut n = 0;
        while n < max {
            match self.try_recv() {
                Some(ev) => out.push(ev),
                None => break,
            }
            n += 1;
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::VenueId;
    use std::sync::Arc;

    #[tokio::test]
    async fn a_burst_of_book_updates_conflates_to_the_latest() {
        let board = Arc::new(Board::default());
        let (tx, rx) = mpsc::channel(8);
        let mut recv = MarketReceiver::new(rx, board.clone());
        let sym = Symbol::new("BTCUSDT").unwrap();
        for id in 1..=1000 {
            board.publish(&sym, |t| t.update_id = id);
        }
        let notice = MarketEvent::Notice {
            venue: VenueId::Binance,
            message: "hi".into(),
        };
        tx.send(notice.clone()).await.unwrap();
        let mut got = vec![];
        recv.drain(&mut got, 100);
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got.contains(&notice));
        let ids: Vec<u64> = got
            .iter()
            .filter_map(|e| match e {
                MarketEvent::Book { top, .. } => Some(top.update_id),
                _ => None,
            })
            .collect();
        assert_eq!(ids, [1000]);
        drop(tx);
        board.publish(&sym, |t| t.update_id = 1001);
        assert!(matches!(recv.recv().await, Some(MarketEvent::Book { .. })));
        assert_eq!(recv.recv().await, None);
    }
}
