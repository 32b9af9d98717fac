//! Book conflation and the receiving end of a feed.
//!
//! Trades, tickers, candles, connection states and notices travel on a bounded mpsc channel and
//! are never dropped (a full channel makes the connection task wait). Book updates do not: each
//! symbol has one slot on a [`Board`], plus a "dirty" mark and a queue position. A slot either
//! holds a [`BookTop`] the connection overwrites, or points at the book itself: the connection
//! applies diffs to the [`SharedBook`] and only marks the slot, and the receiver copies the top
//! levels when it takes the slot. Either way the receiver is woken only when the slot was
//! clean, so a burst of a thousand diffs costs it one event carrying the newest state (and one
//! copy of the top levels, not a thousand), and memory never grows with the burst.

use crate::book::BookSync;
use crate::domain::{BookTop, Symbol};
use crate::net::pace::{Arrival, earliest};
use crate::venue::MarketEvent;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::{Notify, mpsc};

/// An event on the feed's channel, with when its message reached the socket (if it came from
/// one), for tick-to-screen.
pub(crate) type Stamped = (MarketEvent, Option<Arrival>);

/// A book its connection task applies diffs to and the receiver reads the top of. Never hold
/// its lock while calling into the [`Board`] (neither side nests the two locks).
pub type SharedBook = Arc<Mutex<BookSync>>;

/// Locks a shared book (a panic elsewhere while it was held leaves it as it was: usable).
pub fn lock_book(book: &SharedBook) -> MutexGuard<'_, BookSync> {
    book.lock().unwrap_or_else(|p| p.into_inner())
}

#[derive(Debug, Default)]
struct Slot {
    top: BookTop,
    /// The book and how many levels a side to copy from it, if the slot points at one.
    source: Option<(SharedBook, usize)>,
    dirty: bool,
    /// When the oldest change not yet taken reached the socket.
    since: Option<Arrival>,
}

impl Slot {
    /// The top to deliver: copied from the book now, or as last written.
    fn read(source: Option<(SharedBook, usize)>, top: BookTop) -> BookTop {
        match source {
            Some((book, levels)) => {
                let mut top = top;
                lock_book(&book).fill_top(levels, &mut top);
                top
            }
            None => top,
        }
    }
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
        self.mark(inner, symbol, None);
    }

    /// Points `symbol`'s slot at `book` (its top `levels` a side are copied when taken) and
    /// marks it dirty.
    pub fn attach(&self, symbol: &Symbol, book: SharedBook, levels: usize) {
        let mut inner = self.lock();
        inner.slots.entry(symbol.clone()).or_default().source = Some((book, levels));
        self.mark(inner, symbol, None);
    }

    /// `symbol`'s book changed: marks its slot dirty, waking the receiver if it was clean.
    pub fn changed(&self, symbol: &Symbol) {
        self.changed_at(symbol, None);
    }

    /// [`Board::changed`] by a message that reached the socket at `arrived`.
    pub fn changed_at(&self, symbol: &Symbol, arrived: Option<Arrival>) {
        let inner = self.lock();
        if inner.slots.contains_key(symbol) {
            self.mark(inner, symbol, arrived);
        }
    }

    fn mark(&self, mut inner: MutexGuard<'_, Inner>, symbol: &Symbol, arrived: Option<Arrival>) {
        let Some(slot) = inner.slots.get_mut(symbol) else {
            return;
        };
        if slot.dirty {
            slot.since = earliest(slot.since, arrived);
        } else {
            slot.dirty = true;
            slot.since = arrived;
            inner.queue.push_back(symbol.clone());
            drop(inner);
            self.notify.notify_one();
        }
    }

    /// Takes the oldest dirty slot as a [`MarketEvent::Book`]. A book is read after the board's
    /// lock is released: a diff applied meanwhile marks the slot again, and the next take
    /// delivers the same or a newer top.
    fn take(&self) -> Option<Stamped> {
        let (symbol, source, top, since) = {
            let mut inner = self.lock();
            loop {
                let symbol = inner.queue.pop_front()?;
                if let Some(slot) = inner.slots.get_mut(&symbol) {
                    slot.dirty = false;
                    let since = slot.since.take();
                    let top = if slot.source.is_some() {
                        BookTop::default()
                    } else {
                        slot.top.clone()
                    };
                    break (symbol, slot.source.clone(), top, since);
                }
            }
        };
        let top = Slot::read(source, top);
        Some((MarketEvent::Book { symbol, top }, since))
    }

    /// The latest top of `symbol`, dirty or not.
    pub fn latest(&self, symbol: &Symbol) -> Option<BookTop> {
        let (source, top) = {
            let inner = self.lock();
            let slot = inner.slots.get(symbol)?;
            (slot.source.clone(), slot.top.clone())
        };
        Some(Slot::read(source, top))
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
    events: mpsc::Receiver<Stamped>,
    board: std::sync::Arc<Board>,
    book_turn: bool,
    /// When the oldest message behind the events delivered since [`Self::take_arrived`]
    /// reached the socket.
    arrived: Option<Arrival>,
}

impl MarketReceiver {
    pub(crate) fn new(events: mpsc::Receiver<Stamped>, board: std::sync::Arc<Board>) -> Self {
        Self {
            events,
            board,
            book_turn: false,
            arrived: None,
        }
    }

    /// When the oldest message behind the events delivered since the last call reached the
    /// socket (`None` if none came from one).
    pub fn take_arrived(&mut self) -> Option<Arrival> {
        self.arrived.take()
    }

    fn deliver(&mut self, (ev, at): Stamped) -> MarketEvent {
        self.arrived = earliest(self.arrived, at);
        ev
    }

    fn take_book(&mut self) -> Option<MarketEvent> {
        let stamped = self.board.take()?;
        Some(self.deliver(stamped))
    }

    /// The next event without waiting. Books and other events alternate, so neither starves.
    pub fn try_recv(&mut self) -> Option<MarketEvent> {
        if self.book_turn {
            self.book_turn = false;
            if let Some(ev) = self.take_book() {
                return Some(ev);
            }
        }
        match self.events.try_recv() {
            Ok(ev) => {
                self.book_turn = true;
                Some(self.deliver(ev))
            }
            Err(_) => self.take_book(),
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
                        return Some(self.deliver(ev));
                    }
                    None => return self.take_book(),
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
    use tokio::time::Instant;

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
        tx.send((notice.clone(), None)).await.unwrap();
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

    fn level(price: i64, qty: i64) -> crate::domain::Level {
        crate::domain::Level {
            price: crate::domain::Price::from_int(price),
            qty: crate::domain::Qty::from_int(qty),
        }
    }

    fn diff(id: u64) -> crate::book::DepthDiff {
        crate::book::DepthDiff {
            first_id: id,
            last_id: id,
            time: 0,
            bids: vec![level(100 + id as i64, 1)],
            asks: vec![],
        }
    }

    /// A board with BTCUSDT's slot pointing at a book (two levels a side), and its receiver.
    struct Attached {
        board: Arc<Board>,
        tx: mpsc::Sender<Stamped>,
        recv: MarketReceiver,
        sym: Symbol,
        book: SharedBook,
    }

    fn attached() -> Attached {
        let board = Arc::new(Board::default());
        let (tx, rx) = mpsc::channel(8);
        let recv = MarketReceiver::new(rx, board.clone());
        let sym = Symbol::new("BTCUSDT").unwrap();
        let book: SharedBook = Arc::new(Mutex::new(BookSync::new(100, 100)));
        board.attach(&sym, book.clone(), 2);
        Attached {
            board,
            tx,
            recv,
            sym,
            book,
        }
    }

    #[tokio::test]
    async fn an_attached_book_delivers_its_newest_top_once_for_a_burst() {
        let Attached {
            board,
            mut recv,
            sym,
            book,
            ..
        } = attached();
        let mut got = vec![];
        recv.drain(&mut got, 10);
        let stale = BookTop {
            stale: true,
            ..BookTop::default()
        };
        assert_eq!(
            got,
            [MarketEvent::Book {
                symbol: sym.clone(),
                top: stale
            }]
        );
        lock_book(&book).on_diff(&diff(11));
        let snap = crate::book::DepthSnapshot {
            last_id: 10,
            bids: vec![level(50, 1)],
            asks: vec![level(5000, 2)],
        };
        lock_book(&book).on_snapshot(&snap);
        board.changed(&sym);
        for id in 12..=1000 {
            lock_book(&book).on_diff(&diff(id));
            board.changed(&sym);
        }
        board.changed(&Symbol::new("ETHUSDT").unwrap());
        got.clear();
        recv.drain(&mut got, 10);
        let want = BookTop {
            update_id: 1000,
            bids: vec![level(1100, 1), level(1099, 1)],
            asks: vec![level(5000, 2)],
            stale: false,
        };
        assert_eq!(
            got,
            [MarketEvent::Book {
                symbol: sym.clone(),
                top: want.clone()
            }]
        );
        assert_eq!(board.latest(&sym), Some(want));
    }

    #[tokio::test]
    async fn the_receiver_reports_when_the_oldest_delivered_message_arrived() {
        let Attached {
            board,
            tx,
            mut recv,
            sym,
            ..
        } = attached();
        let t0 = Instant::now();
        let ms = std::time::Duration::from_millis;
        let at = |d| Some(Arrival::exact(t0 + ms(d)));
        // Three diffs while the slot waits: the first one's arrival counts.
        board.changed_at(&sym, at(5));
        board.changed_at(&sym, at(2));
        board.changed_at(&sym, at(9));
        let notice = MarketEvent::Notice {
            venue: VenueId::Binance,
            message: "hi".into(),
        };
        tx.send((notice.clone(), at(7))).await.unwrap();
        let mut got = vec![];
        recv.drain(&mut got, 10);
        assert_eq!(got.len(), 2);
        assert_eq!(recv.take_arrived(), at(2));
        assert_eq!(recv.take_arrived(), None, "taken once");
        // A later diff starts a new wait from its own arrival.
        board.changed_at(&sym, at(20));
        tx.send((notice, None)).await.unwrap();
        got.clear();
        recv.drain(&mut got, 10);
        assert_eq!(got.len(), 2);
        assert_eq!(recv.take_arrived(), at(20));
    }
}
