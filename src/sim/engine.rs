//! The exchange state behind one lock: every symbol's market, the demo account, its orders and
//! trades, the simulated clock, and the channels events are published on (sent while the lock
//! is held, so subscribers see update ids in order).

use super::account::Account;
use super::events::{Batch, MarketEvent, SymEvent};
use super::market::Market;
use super::orders::SimOrder;
use super::symbols::SymbolSpec;
use crate::domain::{Price, Qty};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use tokio::sync::broadcast;

/// Periodic streams tick every 100 ms of simulated time.
const PERIOD_MS: i64 = 100;

/// The simulated clock: generator step `i` happens at `origin + i * 1000 / rate` ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimClock {
    /// Time of step 0 (ms since the epoch).
    pub origin: i64,
    /// Generator steps per second per symbol.
    pub rate: u32,
}

impl SimClock {
    /// Simulated time of step `i`.
    pub fn step_time(&self, i: u64) -> i64 {
        let ms = u128::from(i) * 1000 / u128::from(self.rate.max(1));
        self.origin + i64::try_from(ms).unwrap_or(i64::MAX / 4)
    }
}

/// One fill of the demo account, as `myTrades` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MyTrade {
    /// Symbol index.
    pub sym: usize,
    /// Public trade id.
    pub id: u64,
    /// Order id.
    pub order_id: u64,
    /// Price.
    pub price: Price,
    /// Quantity.
    pub qty: Qty,
    /// Price × quantity.
    pub quote_qty: Decimal,
    /// Commission charged.
    pub commission: Decimal,
    /// Asset the commission was charged in.
    pub commission_asset: String,
    /// Time.
    pub time: i64,
    /// The account bought.
    pub is_buyer: bool,
    /// The account's order was the maker.
    pub is_maker: bool,
}

/// The whole simulated exchange.
pub struct Exchange {
    /// Markets by symbol index.
    pub markets: Vec<Market>,
    index: HashMap<String, usize>,
    /// The demo account.
    pub account: Account,
    /// Every order ever placed, by id.
    pub orders: BTreeMap<u64, SimOrder>,
    /// Open orders by (symbol, client order id).
    pub open_by_client: HashMap<(usize, String), u64>,
    /// Untriggered stop orders.
    pub stops: Vec<u64>,
    /// Fills of the demo account, oldest first.
    pub my_trades: Vec<MyTrade>,
    /// Next order id.
    pub next_order_id: u64,
    /// Next execution id.
    pub next_exec_id: u64,
    /// The clock.
    pub clock: SimClock,
    step_index: u64,
    next_periodic: i64,
    now: i64,
    /// Generates client order ids that the client did not give.
    pub id_rng: ChaCha8Rng,
    market_tx: broadcast::Sender<Batch>,
    user_tx: broadcast::Sender<Arc<str>>,
    /// Market events waiting to be published.
    pub pending: Vec<SymEvent>,
}

impl Exchange {
    /// A fresh exchange for `specs` at `seed`, starting at `clock.origin`.
    pub fn new(seed: u64, specs: Vec<SymbolSpec>, clock: SimClock) -> Exchange {
        let account = Account::new(&specs);
        let index = specs
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.clone(), i))
            .collect();
        let markets = specs
            .into_iter()
            .map(|s| Market::new(seed, s, clock.rate, clock.origin))
            .collect();
        let (market_tx, _) = broadcast::channel(4096);
        let (user_tx, _) = broadcast::channel(4096);
        Exchange {
            markets,
            index,
            account,
            orders: BTreeMap::new(),
            open_by_client: HashMap::new(),
            stops: Vec::new(),
            my_trades: Vec::new(),
            next_order_id: 1,
            next_exec_id: 1,
            clock,
            step_index: 0,
            next_periodic: (clock.origin.div_euclid(PERIOD_MS) + 1) * PERIOD_MS,
            now: clock.origin,
            id_rng: ChaCha8Rng::seed_from_u64(seed ^ 0x1d),
            market_tx,
            user_tx,
            pending: Vec::new(),
        }
    }

    /// Index of `symbol` (upper case).
    pub fn sym(&self, symbol: &str) -> Option<usize> {
        self.index.get(symbol).copied()
    }

    /// The current simulated time (ms).
    pub fn now(&self) -> i64 {
        self.now
    }

    /// Subscribes to market event batches.
    pub fn subscribe_market(&self) -> broadcast::Receiver<Batch> {
        self.market_tx.subscribe()
    }

    /// Subscribes to rendered user-data events.
    pub fn subscribe_user(&self) -> broadcast::Receiver<Arc<str>> {
        self.user_tx.subscribe()
    }

    /// Runs every generator step and periodic boundary up to simulated time `target`, at most
    /// `max_steps` steps, then publishes what they produced.
    pub fn advance_to(&mut self, target: i64, max_steps: u64) {
        let mut steps = 0;
        loop {
            let ts = self.clock.step_time(self.step_index + 1);
            let tp = self.next_periodic;
            let t = ts.min(tp);
            if t > target || steps >= max_steps {
                break;
            }
            self.now = t;
            if tp <= ts {
                self.publish_periodic(tp);
                self.next_periodic += PERIOD_MS;
            } else {
                self.step_index += 1;
                steps += 1;
                self.step_all(ts);
            }
        }
        self.publish();
    }

    fn step_all(&mut self, t: i64) {
        let mut out = Vec::new();
        for sym in 0..self.markets.len() {
            self.markets[sym].step(t, &mut out);
            self.pending
                .extend(out.drain(..).map(|ev| SymEvent { sym, ev }));
            self.settle_maker_fills(sym);
            self.check_stops(sym);
        }
    }

    fn publish_periodic(&mut self, t: i64) {
        for (sym, m) in self.markets.iter().enumerate() {
            let ev = MarketEvent::Periodic(m.periodic(t));
            self.pending.push(SymEvent { sym, ev });
        }
    }

    /// Sends pending market events as one batch and flushes balance updates.
    pub fn publish(&mut self) {
        self.push_account_position();
        if self.pending.is_empty() {
            return;
        }
        let batch = Arc::new(std::mem::take(&mut self.pending));
        let _ = self.market_tx.send(batch);
    }

    /// Collects the book changes of `sym` as a depth diff into the pending batch.
    pub fn flush_market(&mut self, sym: usize) {
        let mut out = Vec::new();
        let now = self.now;
        self.markets[sym].flush_depth(now, &mut out);
        self.pending
            .extend(out.into_iter().map(|ev| SymEvent { sym, ev }));
    }

    /// Publishes one rendered user-data event.
    pub fn send_user(&self, event: String) {
        let _ = self.user_tx.send(Arc::from(event));
    }

    fn push_account_position(&mut self) {
        let changed = self.account.drain_changed();
        if changed.is_empty() {
            return;
        }
        let ev = super::user_events::account_position(self.now, &changed);
        self.send_user(ev);
    }

    /// The last trade price of `sym`, or the history price if it has not traded yet.
    pub fn last_price(&self, sym: usize) -> Price {
        let m = &self.markets[sym];
        m.last_trade
            .map(|(p, _)| p)
            .unwrap_or_else(|| m.path.price_at(self.now))
    }

    /// Orders of `sym` (or all symbols), oldest first, filtered by `keep`.
    pub fn orders_where(
        &self,
        sym: Option<usize>,
        keep: impl Fn(&SimOrder) -> bool,
    ) -> Vec<SimOrder> {
        self.orders
            .values()
            .filter(|o| sym.is_none_or(|s| o.sym == s) && keep(o))
            .cloned()
            .collect()
    }

    /// Finds an order of `sym` by id (and client id, if both are given) or by client id.
    pub fn find_order(
        &self,
        sym: usize,
        id: Option<u64>,
        client: Option<&str>,
    ) -> Option<&SimOrder> {
        if let Some(id) = id {
            return self
                .orders
                .get(&id)
                .filter(|o| o.sym == sym && client.is_none_or(|c| o.client_id == c));
        }
        let client = client?;
        if let Some(id) = self.open_by_client.get(&(sym, client.to_string())) {
            return self.orders.get(id);
        }
        self.orders
            .values()
            .rev()
            .find(|o| o.sym == sym && o.client_id == client)
    }
}
