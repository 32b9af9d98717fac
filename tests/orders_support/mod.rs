//! A scripted venue for order manager tests: a real `Broker` whose answers the test chooses,
//! with the venue's own record of orders (which survives a manager restart).

#![allow(dead_code, clippy::unwrap_used)]

use futures_util::future::BoxFuture;
use rust_decimal::Decimal;
use speedtrade::domain::*;
use speedtrade::orders::{ManagerOptions, OrderDraft, OrderManager, RetryPolicy};
use speedtrade::store::Store;
use speedtrade::venue::{AccountSnapshot, Broker, BrokerError, OrderUpdate};
use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the venue does with the next submit.
#[derive(Debug, Clone)]
pub enum Step {
    /// Records the order and acknowledges it (`new`).
    Accept,
    /// Records the order, fills it completely with this trade id, replies `filled`.
    Fill(&'static str),
    /// Records the order but the reply is lost with this error.
    AcceptThenLose(BrokerError),
    /// Does not record the order; replies with this error.
    Refuse(BrokerError),
    /// Records the order and never replies.
    Hang,
    /// The reply is lost (`Unknown`) and the order reaches the venue only after this many
    /// more queries (it was still in flight when they asked).
    LostInFlight(usize),
}

/// The venue's side: what it has, what it was asked.
#[derive(Debug, Default)]
pub struct Venue {
    pub orders: HashMap<ClientOrderId, OrderUpdate>,
    pub submits: Vec<(ClientOrderId, Instant)>,
    pub queries: usize,
    pub cancels: usize,
    pub script: VecDeque<Step>,
    pub cancel_script: VecDeque<BrokerError>,
    /// When set, each submit opens this database file itself and records the journaled status.
    pub db_check: Option<PathBuf>,
    /// An order in flight: recorded once `queries` reaches the count.
    pub in_flight: Option<(OrderUpdate, usize)>,
    pub seen_in_db: Vec<Option<String>>,
}

#[derive(Clone)]
pub struct ScriptedBroker {
    pub venue: Arc<Mutex<Venue>>,
}

pub fn update(o: &OrderRequest, status: OrderStatus) -> OrderUpdate {
    OrderUpdate {
        client_order_id: o.client_order_id.clone(),
        venue_order_id: Some(format!("v-{}", o.client_order_id)),
        symbol: o.symbol.clone(),
        status,
        filled_qty: Qty::ZERO,
        filled_quote: Decimal::ZERO,
        fill: None,
        reason: None,
        time: now_ms(),
    }
}

pub fn full_fill(o: &OrderRequest, trade_id: &str) -> OrderUpdate {
    let OrderAmount::Base(qty) = o.amount else {
        panic!("base amounts only")
    };
    let price = o.price.unwrap_or(Price::parse("100").unwrap());
    let mut u = update(o, OrderStatus::Filled);
    u.filled_qty = qty;
    u.filled_quote = notional(price, qty).unwrap();
    u.fill = Some(Fill {
        client_order_id: o.client_order_id.clone(),
        venue: o.venue,
        symbol: o.symbol.clone(),
        side: o.side,
        price,
        qty,
        fee: Decimal::ZERO,
        fee_asset: "USDT".into(),
        trade_id: trade_id.into(),
        is_maker: false,
        time: now_ms(),
    });
    u
}

fn journaled_status(db: &Path, id: &ClientOrderId) -> Option<String> {
    let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY;
    let c = rusqlite::Connection::open_with_flags(db, flags).unwrap();
    c.query_row(
        "SELECT status FROM orders WHERE client_order_id = ?1",
        [id.as_str()],
        |r| r.get(0),
    )
    .ok()
}

impl ScriptedBroker {
    pub fn new() -> Self {
        Self {
            venue: Arc::new(Mutex::new(Venue::default())),
        }
    }
    pub fn script(&self, steps: impl IntoIterator<Item = Step>) {
        self.venue.lock().unwrap().script.extend(steps);
    }
    pub fn submits(&self) -> Vec<ClientOrderId> {
        self.venue
            .lock()
            .unwrap()
            .submits
            .iter()
            .map(|(id, _)| id.clone())
            .collect()
    }
    pub fn submit_times(&self) -> Vec<Instant> {
        self.venue
            .lock()
            .unwrap()
            .submits
            .iter()
            .map(|(_, t)| *t)
            .collect()
    }
    pub fn at_venue(&self) -> usize {
        self.venue.lock().unwrap().orders.len()
    }
    /// Changes an order at the venue (as if it filled while we were away).
    pub fn set(&self, u: OrderUpdate) {
        self.venue
            .lock()
            .unwrap()
            .orders
            .insert(u.client_order_id.clone(), u);
    }
}

/// Records an in-flight order once enough queries were answered without it.
fn land_in_flight(v: &mut Venue) {
    if v.in_flight.as_ref().is_some_and(|(_, at)| v.queries >= *at) {
        let (u, _) = v.in_flight.take().unwrap();
        v.orders.insert(u.client_order_id.clone(), u);
    }
}

impl Broker for ScriptedBroker {
    fn venue(&self) -> VenueId {
        VenueId::Binance
    }

    fn submit<'a>(
        &'a self,
        req: &'a OrderRequest,
    ) -> BoxFuture<'a, Result<OrderUpdate, BrokerError>> {
        let mut v = self.venue.lock().unwrap();
        land_in_flight(&mut v);
        v.submits
            .push((req.client_order_id.clone(), Instant::now()));
        if let Some(db) = v.db_check.clone() {
            let seen = journaled_status(&db, &req.client_order_id);
            v.seen_in_db.push(seen);
        }
        let step = v.script.pop_front().unwrap_or(Step::Accept);
        let (record, reply): (
            Option<OrderUpdate>,
            Option<Result<OrderUpdate, BrokerError>>,
        ) = match step {
            Step::Accept => {
                let u = update(req, OrderStatus::New);
                (Some(u.clone()), Some(Ok(u)))
            }
            Step::Fill(trade) => {
                let u = full_fill(req, trade);
                (Some(u.clone()), Some(Ok(u)))
            }
            Step::AcceptThenLose(e) => (Some(update(req, OrderStatus::New)), Some(Err(e))),
            Step::Refuse(e) => (None, Some(Err(e))),
            Step::Hang => (Some(update(req, OrderStatus::New)), None),
            Step::LostInFlight(n) => {
                let at = v.queries + n;
                v.in_flight = Some((update(req, OrderStatus::New), at));
                (None, Some(Err(BrokerError::Unknown("timeout".into()))))
            }
        };
        if let Some(u) = record {
            if v.orders.contains_key(&u.client_order_id) {
                return Box::pin(async {
                    Err(BrokerError::Rejected {
                        code: Some(-2010),
                        message: "Duplicate order sent.".into(),
                    })
                });
            }
            v.orders.insert(u.client_order_id.clone(), u);
        }
        drop(v);
        Box::pin(async move {
            match reply {
                Some(r) => r,
                None => std::future::pending().await,
            }
        })
    }

    fn cancel<'a>(
        &'a self,
        _s: &'a Symbol,
        id: &'a ClientOrderId,
    ) -> BoxFuture<'a, Result<OrderUpdate, BrokerError>> {
        let mut v = self.venue.lock().unwrap();
        v.cancels += 1;
        let r = if let Some(e) = v.cancel_script.pop_front() {
            Err(e)
        } else {
            match v.orders.get_mut(id) {
                Some(u) if !u.status.is_terminal() => {
                    u.status = OrderStatus::Canceled;
                    u.fill = None;
                    Ok(u.clone())
                }
                Some(_) => Err(BrokerError::Rejected {
                    code: Some(-2011),
                    message: "Unknown order sent.".into(),
                }),
                None => Err(BrokerError::NotFound),
            }
        };
        Box::pin(async move { r })
    }

    fn query<'a>(
        &'a self,
        _s: &'a Symbol,
        id: &'a ClientOrderId,
    ) -> BoxFuture<'a, Result<OrderUpdate, BrokerError>> {
        let mut v = self.venue.lock().unwrap();
        land_in_flight(&mut v);
        v.queries += 1;
        let r = v.orders.get(id).cloned().map(|mut u| {
            u.fill = None;
            u
        });
        Box::pin(async move { r.ok_or(BrokerError::NotFound) })
    }

    fn open_orders<'a>(
        &'a self,
        _s: Option<&'a Symbol>,
    ) -> BoxFuture<'a, Result<Vec<OrderUpdate>, BrokerError>> {
        let v = self.venue.lock().unwrap();
        let list = v
            .orders
            .values()
            .filter(|u| !u.status.is_terminal())
            .cloned()
            .collect();
        Box::pin(async move { Ok(list) })
    }

    fn account(&self) -> BoxFuture<'_, Result<AccountSnapshot, BrokerError>> {
        Box::pin(async { Ok(AccountSnapshot::default()) })
    }
}

pub fn btcusdt() -> Instrument {
    Instrument {
        venue: VenueId::Binance,
        symbol: Symbol::new("BTCUSDT").unwrap(),
        base: "BTC".into(),
        quote: "USDT".into(),
        tick_size: Price::parse("0.01").unwrap(),
        min_price: Price::parse("0.01").unwrap(),
        max_price: Price::parse("1000000").unwrap(),
        step_size: Qty::parse("0.00001").unwrap(),
        min_qty: Qty::parse("0.00001").unwrap(),
        max_qty: Qty::parse("9000").unwrap(),
        min_notional: Decimal::new(5, 0),
        max_notional: None,
        trading: true,
    }
}

pub fn limit_buy(qty: &str, price: &str) -> OrderDraft {
    OrderDraft::limit(
        VenueId::Binance,
        Symbol::new("BTCUSDT").unwrap(),
        Side::Buy,
        Qty::parse(qty).unwrap(),
        Price::parse(price).unwrap(),
    )
}

/// Retry timing shrunk for tests.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        not_sent_attempts: 3,
        not_sent_backoff: Duration::from_millis(5),
        unknown_first_query: Duration::from_millis(5),
        unknown_query_attempts: 4,
        query_backoff: Duration::from_millis(5),
        not_found_confirmations: 2,
        max_resends: 2,
        max_rate_limit_wait: Duration::from_secs(5),
        unknown_recheck: Duration::from_millis(50),
    }
}

/// A manager on a fresh store in `dir`, with the scripted broker and BTCUSDT rules.
pub fn manager(dir: &Path, broker: &ScriptedBroker, opts: ManagerOptions) -> OrderManager {
    let store = Store::open(dir.join("h.sqlite3")).unwrap();
    let m = OrderManager::new(store, opts).unwrap();
    m.add_broker(Arc::new(broker.clone()), "binance-test");
    m.set_instruments([btcusdt()]);
    m
}

pub fn fast() -> ManagerOptions {
    ManagerOptions {
        retry: fast_retry(),
        ..ManagerOptions::default()
    }
}

/// Polls `f` until it is true or 10 s pass.
pub async fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}
