//! The paper broker (the default): fills in-process against the live book, no credentials.
//!
//! - Market orders walk the current book (one fill per level consumed, so the average price is
//!   the VWAP of the levels); a thin book fills partially and the rest expires.
//! - Limit orders take what crosses at once (taker), then rest; a resting order fills at its
//!   own price (maker) when a later book crosses it ([`PaperBroker::on_book`]) or a trade goes
//!   through it ([`PaperBroker::on_trade`]). IOC expires the remainder, FOK fills in full or
//!   expires, post-only is rejected if it would take, stop-limit waits for a trade at its stop.
//!   DAY behaves as GTC (the paper venue has no session).
//! - Fees: configurable maker / taker rates, charged in the quote asset, rounded to 8
//!   decimals. Balances start from [`PaperConfig::balances`]; orders lock what they may spend.
//! - State lives in memory: a restart starts from the configured balances, and reconciliation
//!   expires orders that were resting ("the venue no longer knows this order").
//!
//! All amounts are exact (`Price`, `Qty`, `Decimal`); no `f64`.

mod book;
mod engine;

use crate::domain::{BookTop, ClientOrderId, Instrument, OrderRequest, Symbol, Trade, VenueId};
use crate::venue::{AccountSnapshot, Balance, Broker, BrokerError, BrokerEvent, OrderUpdate};
use engine::Engine;
use futures_util::future::BoxFuture;
use rust_decimal::Decimal;
use std::sync::{Mutex, MutexGuard};
use tokio::sync::mpsc;

/// Settings of the paper venue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaperConfig {
    /// Starting balances by asset, e.g. `("USDT", 100000)`.
    pub balances: Vec<(String, Decimal)>,
    /// Fee rate for resting (maker) fills, e.g. `0.001` for 0.1 %.
    pub maker_fee: Decimal,
    /// Fee rate for fills that take liquidity.
    pub taker_fee: Decimal,
}

impl Default for PaperConfig {
    fn default() -> Self {
        Self {
            balances: vec![
                ("USDT".into(), Decimal::from(100_000)),
                ("USD".into(), Decimal::from(100_000)),
            ],
            maker_fee: Decimal::new(1, 3),
            taker_fee: Decimal::new(1, 3),
        }
    }
}

/// The paper broker. Feed it market data with [`PaperBroker::on_book`] and
/// [`PaperBroker::on_trade`]; it pushes [`BrokerEvent`]s for every order change and balance
/// change on the channel [`PaperBroker::new`] returns.
pub struct PaperBroker {
    engine: Mutex<Engine>,
    events: mpsc::UnboundedSender<BrokerEvent>,
}

impl std::fmt::Debug for PaperBroker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaperBroker").finish_non_exhaustive()
    }
}

impl PaperBroker {
    /// A paper venue and the receiving end of its event channel (hand it to
    /// `OrderManager::spawn_event_pump`).
    pub fn new(cfg: PaperConfig) -> (Self, mpsc::UnboundedReceiver<BrokerEvent>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let broker = Self {
            engine: Mutex::new(Engine::new(cfg)),
            events: tx,
        };
        (broker, rx)
    }

    fn engine(&self) -> MutexGuard<'_, Engine> {
        self.engine.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on the engine and publishes the updates it produced (inside the lock, so
    /// events keep the engine's order).
    fn run<T>(&self, f: impl FnOnce(&mut Engine, &mut Vec<OrderUpdate>) -> T) -> T {
        let mut engine = self.engine();
        let mut out = Vec::new();
        let result = f(&mut engine, &mut out);
        for u in out {
            let _ = self.events.send(BrokerEvent::Order(u));
        }
        if engine.take_balances_dirty() {
            let _ = self.events.send(BrokerEvent::Balances(engine.balances()));
        }
        result
    }

    /// Tells the venue an instrument's assets and lot size (otherwise they are guessed from
    /// the symbol: `BTCUSDT` is BTC/USDT, `AAPL` is AAPL/USD).
    pub fn set_instrument(&self, i: &Instrument) {
        self.engine().set_instrument(i);
    }

    /// The latest book of `symbol`: market orders walk it, and resting orders it crosses fill.
    pub fn on_book(&self, symbol: &Symbol, top: &BookTop) {
        self.run(|e, out| e.on_book(symbol, top, out));
    }

    /// A public trade: triggers stops and fills resting orders it trades through.
    pub fn on_trade(&self, trade: &Trade) {
        self.run(|e, out| e.on_trade(trade, out));
    }

    /// Current balances.
    pub fn balances(&self) -> Vec<Balance> {
        self.engine().balances()
    }
}

impl Broker for PaperBroker {
    fn venue(&self) -> VenueId {
        VenueId::Paper
    }

    fn submit<'a>(
        &'a self,
        req: &'a OrderRequest,
    ) -> BoxFuture<'a, Result<OrderUpdate, BrokerError>> {
        let result = self.run(|e, out| e.submit(req, out));
        Box::pin(async move { result })
    }

    fn cancel<'a>(
        &'a self,
        _symbol: &'a Symbol,
        id: &'a ClientOrderId,
    ) -> BoxFuture<'a, Result<OrderUpdate, BrokerError>> {
        let result = self.run(|e, out| e.cancel(id, out));
        Box::pin(async move { result })
    }

    fn query<'a>(
        &'a self,
        _symbol: &'a Symbol,
        id: &'a ClientOrderId,
    ) -> BoxFuture<'a, Result<OrderUpdate, BrokerError>> {
        let result = self.engine().query(id);
        Box::pin(async move { result })
    }

    fn open_orders<'a>(
        &'a self,
        symbol: Option<&'a Symbol>,
    ) -> BoxFuture<'a, Result<Vec<OrderUpdate>, BrokerError>> {
        let result = self.engine().open_orders(symbol);
        Box::pin(async move { Ok(result) })
    }

    fn account(&self) -> BoxFuture<'_, Result<AccountSnapshot, BrokerError>> {
        let balances = self.balances();
        Box::pin(async move {
            Ok(AccountSnapshot {
                balances,
                ..AccountSnapshot::default()
            })
        })
    }
}
