//! The order manager: journal first, send, retry safely, apply venue updates through an
//! explicit state machine, reconcile, and publish every change (ARCHITECTURE.md §4).
//!
//! How "journaled before sent" is guaranteed: [`OrderManager::place`] awaits
//! [`Store::journal_new_order`], whose future resolves only after the writer thread's COMMIT
//! of the row has returned (the row is in the WAL; with `durable_journal` also fsynced). If
//! that fails, nothing is sent and the caller gets [`OrderError::Journal`]. Only then is
//! `Broker::submit` called.
//!
//! One manager serves the TUI effects layer and the headless CLI: it is `Clone` (shared
//! state), every method is async or quick, and [`OrderManager::subscribe`] hands out a
//! channel of [`OrderEvent`]s (order snapshots, fills, retries) for the blotter panes.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use speedtrade::domain::{Price, Qty, Side, Symbol, VenueId};
//! use speedtrade::orders::{ManagerOptions, OrderDraft, OrderManager};
//! use speedtrade::store::Store;
//! use speedtrade::venue::paper::{PaperBroker, PaperConfig};
//! use std::sync::Arc;
//!
//! let store = Store::open("/path/to/data/speedtrade.sqlite3")?;
//! let manager = OrderManager::new(store, ManagerOptions::default())?;
//! let (paper, paper_events) = PaperBroker::new(PaperConfig::default());
//! let paper = Arc::new(paper); // feed it with paper.on_book / paper.on_trade
//! manager.add_broker(paper.clone(), "paper");
//! manager.spawn_event_pump(VenueId::Paper, paper_events);
//! manager.reconcile().await; // start-up: settle every open journaled order
//! let mut blotter = manager.subscribe(); // OrderEvent::{Order, Fill, Retrying, ...}
//! let btc = Symbol::new("BTCUSDT")?;
//! let draft = OrderDraft::limit(VenueId::Paper, btc, Side::Buy, Qty::parse("0.01")?, Price::parse("43000")?);
//! let order = manager.place(&draft).await?;
//! manager.cancel(&order.request.client_order_id).await?;
//! # drop(blotter.try_recv());
//! # Ok(()) }
//! ```

mod cancel;
mod reconcile;
pub mod state;
mod submit;
mod types;
mod validate;

pub use reconcile::{EventSource, ReconcileReport};
pub use state::{Applied, apply_update, can_transition};
pub use types::{ManagerOptions, OrderError, OrderEvent, RetryPolicy};
pub use validate::{OrderDraft, check_draft};

use crate::domain::{ClientOrderId, Fill, Instrument, Order, OrderStatus, Symbol, VenueId, now_ms};
use crate::store::{OrderEventRow, OrderFilter, Store};
use crate::venue::{Broker, OrderUpdate};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use tokio::sync::{Notify, mpsc};

/// What the manager is doing with an order right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Busy {
    /// Nothing in flight: reconciliation may query it.
    Idle,
    /// A submit or query is in flight.
    Sending,
    /// Waiting to retry a submit that was not executed (cancel may withdraw it).
    Waiting,
}

/// An order and the manager's bookkeeping for it.
#[derive(Debug, Clone)]
struct Tracked {
    order: Order,
    busy: Busy,
    withdrawn: bool,
}

type FillKey = (VenueId, Symbol, String);

fn fill_key(f: &Fill) -> FillKey {
    (f.venue, f.symbol.clone(), f.trade_id.clone())
}

#[derive(Debug, Default)]
struct Book {
    orders: HashMap<ClientOrderId, Tracked>,
    fills: HashSet<FillKey>,
}

/// A broker and the profile (account / endpoint) it talks to.
type ProfiledBroker = (Arc<dyn Broker>, String);

struct Inner {
    store: Store,
    opts: ManagerOptions,
    brokers: RwLock<HashMap<VenueId, ProfiledBroker>>,
    instruments: RwLock<HashMap<(VenueId, Symbol), Instrument>>,
    book: Mutex<Book>,
    subs: Mutex<Vec<mpsc::UnboundedSender<OrderEvent>>>,
    /// Wakes retry waits when an order is withdrawn.
    wake: Notify,
    /// Held by a reconciliation pass (one at a time).
    reconciling: tokio::sync::Mutex<()>,
}

/// The order manager. Cheap to clone; clones share state.
#[derive(Clone)]
pub struct OrderManager {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for OrderManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrderManager").finish_non_exhaustive()
    }
}

impl OrderManager {
    /// A manager over `store`, with every non-terminal journaled order loaded (call
    /// [`OrderManager::reconcile`] once the brokers are added).
    pub fn new(store: Store, opts: ManagerOptions) -> Result<Self, OrderError> {
        let open = store.open_orders(None)?;
        let mut book = Book::default();
        for order in open {
            book.orders
                .insert(order.request.client_order_id.clone(), Tracked::idle(order));
        }
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                opts,
                brokers: RwLock::new(HashMap::new()),
                instruments: RwLock::new(HashMap::new()),
                book: Mutex::new(book),
                subs: Mutex::new(Vec::new()),
                wake: Notify::new(),
                reconciling: tokio::sync::Mutex::new(()),
            }),
        })
    }

    /// Adds (or replaces) the broker for its venue. `profile` names the account or endpoint
    /// it talks to (`binance-live`, `binance-testnet`, `sim`, `alpaca-paper`, `paper`): it is
    /// journaled with every order, and an order is only reconciled, cancelled or sent through
    /// a broker of the profile it was placed with (so a demo session against the simulator
    /// never "reconciles" real orders, and Alpaca paper orders are never checked against the
    /// live account).
    pub fn add_broker(&self, broker: Arc<dyn Broker>, profile: &str) {
        if let Ok(mut b) = self.inner.brokers.write() {
            b.insert(broker.venue(), (broker, profile.to_string()));
        }
    }

    /// Adds or replaces instruments used for validation.
    pub fn set_instruments(&self, list: impl IntoIterator<Item = Instrument>) {
        if let Ok(mut map) = self.inner.instruments.write() {
            for i in list {
                map.insert((i.venue, i.symbol.clone()), i);
            }
        }
    }

    /// The store this manager journals to.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// A new channel of every order change from now on (never lossy; drop the receiver to
    /// unsubscribe). Take [`OrderManager::open_orders`] first for the current state.
    pub fn subscribe(&self) -> mpsc::UnboundedReceiver<OrderEvent> {
        let (tx, rx) = mpsc::unbounded_channel();
        if let Ok(mut subs) = self.inner.subs.lock() {
            subs.push(tx);
        }
        rx
    }

    /// The current state of an order (memory first, then the journal).
    pub fn order(&self, id: &ClientOrderId) -> Result<Option<Order>, OrderError> {
        if let Some(t) = self.book().orders.get(id) {
            return Ok(Some(t.order.clone()));
        }
        Ok(self.inner.store.order(id)?)
    }

    /// Orders that are not terminal, oldest first.
    pub fn open_orders(&self) -> Vec<Order> {
        let mut list: Vec<Order> = self
            .book()
            .orders
            .values()
            .filter(|t| t.order.status.is_open())
            .map(|t| t.order.clone())
            .collect();
        list.sort_by(|a, b| {
            (a.created_at, &a.request.client_order_id)
                .cmp(&(b.created_at, &b.request.client_order_id))
        });
        list
    }

    /// Orders from the journal (history pane, `speedtrade orders`), newest first.
    pub fn orders(&self, filter: &OrderFilter) -> Result<Vec<Order>, OrderError> {
        Ok(self.inner.store.orders(filter)?)
    }

    /// Fills of one order from the journal.
    pub fn fills(&self, id: &ClientOrderId) -> Result<Vec<Fill>, OrderError> {
        Ok(self.inner.store.fills_for_order(id)?)
    }

    fn book(&self) -> MutexGuard<'_, Book> {
        self.inner.book.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The broker of a venue and its profile.
    fn broker(&self, venue: VenueId) -> Result<ProfiledBroker, OrderError> {
        self.inner
            .brokers
            .read()
            .ok()
            .and_then(|b| b.get(&venue).cloned())
            .ok_or(OrderError::NoBroker(venue))
    }

    /// The broker for an existing order, if it is of the profile the order was placed with.
    fn broker_for(&self, o: &Order) -> Result<Arc<dyn Broker>, OrderError> {
        let (broker, profile) = self.broker(o.request.venue)?;
        let id = &o.request.client_order_id;
        let placed = self.inner.store.order_profile(id)?.unwrap_or_default();
        if placed != profile {
            return Err(OrderError::WrongProfile {
                id: id.clone(),
                placed,
                current: profile,
            });
        }
        Ok(broker)
    }

    fn brokers(&self) -> Vec<ProfiledBroker> {
        self.inner
            .brokers
            .read()
            .map(|b| b.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Trading rules for an instrument: set ones first, then the store. The paper venue
    /// trades the symbols of the live venues, so it falls back to their rules.
    fn instrument(&self, venue: VenueId, symbol: &Symbol) -> Result<Instrument, OrderError> {
        let fallbacks: &[VenueId] = match venue {
            VenueId::Paper => &[VenueId::Paper, VenueId::Binance, VenueId::Alpaca],
            VenueId::Binance => &[VenueId::Binance],
            VenueId::Alpaca => &[VenueId::Alpaca],
        };
        for v in fallbacks {
            if let Some(mut i) = self.lookup_instrument(*v, symbol)? {
                i.venue = venue;
                return Ok(i);
            }
        }
        Err(OrderError::UnknownInstrument {
            venue,
            symbol: symbol.clone(),
        })
    }

    fn lookup_instrument(&self, v: VenueId, s: &Symbol) -> Result<Option<Instrument>, OrderError> {
        let cached = self
            .inner
            .instruments
            .read()
            .ok()
            .and_then(|m| m.get(&(v, s.clone())).cloned());
        match cached {
            Some(i) => Ok(Some(i)),
            None => Ok(self.inner.store.instrument(v, s)?),
        }
    }

    fn emit(&self, ev: OrderEvent) {
        if let Ok(mut subs) = self.inner.subs.lock() {
            subs.retain(|s| s.send(ev.clone()).is_ok());
        }
    }

    fn status(&self, id: &ClientOrderId) -> Option<OrderStatus> {
        self.book().orders.get(id).map(|t| t.order.status)
    }

    fn set_busy(&self, id: &ClientOrderId, busy: Busy) {
        if let Some(t) = self.book().orders.get_mut(id) {
            t.busy = busy;
        }
    }

    /// Appends trail entries (not awaited: ordered after every earlier journal write).
    fn trail(&self, id: &ClientOrderId, kind: crate::store::OrderEventKind, detail: String) {
        let ev = OrderEventRow::now(id, kind, self.status(id), Some(detail));
        drop(self.inner.store.journal_events(vec![ev]));
    }

    fn fill_seen(&self, book: &Book, f: &Fill) -> bool {
        book.fills.contains(&fill_key(f))
            || self
                .inner
                .store
                .fill_exists(f.venue, &f.symbol, &f.trade_id)
                .unwrap_or(false)
    }

    /// Applies a venue update through the state machine, journals it and publishes it.
    /// Returns the order after the update (`None` if the order is not ours).
    pub async fn apply(&self, u: OrderUpdate) -> Option<Order> {
        self.apply_noted(u, None).await
    }

    async fn apply_noted(&self, u: OrderUpdate, note: Option<OrderEventRow>) -> Option<Order> {
        let (pending, order) = {
            let mut book = self.book();
            let current = self.tracked_order(&mut book, &u.client_order_id)?;
            let applied = state::apply_update(&current, &u, |f| self.fill_seen(&book, f));
            if !applied.changed && applied.events.is_empty() && note.is_none() {
                return Some(current);
            }
            for f in &applied.new_fills {
                book.fills.insert(fill_key(f));
            }
            if let Some(t) = book.orders.get_mut(&u.client_order_id) {
                t.order = applied.order.clone();
            }
            let mut events = applied.events;
            events.extend(note);
            let pending =
                self.inner
                    .store
                    .journal_update(&applied.order, events, applied.new_fills.clone());
            if applied.changed {
                self.emit(OrderEvent::Order(applied.order.clone()));
            }
            for f in applied.new_fills {
                self.emit(OrderEvent::Fill(f));
            }
            (pending, applied.order)
        };
        if let Err(e) = pending.await {
            tracing::error!(order = %u.client_order_id, error = %e, "could not journal an order update");
            self.emit(OrderEvent::Notice {
                client_order_id: Some(u.client_order_id.clone()),
                message: format!("could not save an order update: {e}"),
            });
        }
        Some(order)
    }

    /// The order from memory, or loaded from the journal (e.g. placed by the CLI).
    fn tracked_order(&self, book: &mut Book, id: &ClientOrderId) -> Option<Order> {
        if let Some(t) = book.orders.get(id) {
            return Some(t.order.clone());
        }
        match self.inner.store.order(id) {
            Ok(Some(order)) => {
                book.orders.insert(id.clone(), Tracked::idle(order.clone()));
                Some(order)
            }
            Ok(None) => {
                tracing::debug!(order = %id, "update for an order that is not ours; ignored");
                None
            }
            Err(e) => {
                tracing::error!(order = %id, error = %e, "could not read the journal");
                None
            }
        }
    }

    /// Moves an order to `status` on the manager's own authority (an error reply, a
    /// reconciliation verdict), through the same state machine.
    async fn local(&self, id: &ClientOrderId, status: OrderStatus, reason: Option<String>) {
        let Some(o) = self.book().orders.get(id).map(|t| t.order.clone()) else {
            return;
        };
        let update = OrderUpdate {
            client_order_id: id.clone(),
            venue_order_id: o.venue_order_id.clone(),
            symbol: o.request.symbol.clone(),
            status,
            filled_qty: o.filled_qty,
            filled_quote: o.filled_quote,
            fill: None,
            reason,
            time: now_ms(),
        };
        self.apply(update).await;
    }
}

/// Marks an order idle again when a send, cancel or reconciliation ends, even if its future is
/// dropped half-way (a caller's timeout, shutdown), so reconciliation can take it over.
struct IdleOnDrop<'a> {
    m: &'a OrderManager,
    id: ClientOrderId,
    armed: bool,
}

impl IdleOnDrop<'_> {
    /// Leaves the order's busy mark as it is.
    fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for IdleOnDrop<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.m.set_busy(&self.id, Busy::Idle);
        }
    }
}

impl OrderManager {
    fn idle_on_drop(&self, id: &ClientOrderId) -> IdleOnDrop<'_> {
        IdleOnDrop {
            m: self,
            id: id.clone(),
            armed: true,
        }
    }
}

impl Tracked {
    fn idle(order: Order) -> Self {
        Self {
            order,
            busy: Busy::Idle,
            withdrawn: false,
        }
    }
}
