//! Helpers for the order tests against the in-process simulator: starting it with fault
//! flags, a real `OrderManager` + `BinanceBroker` on a temp SQLite store, prices that rest or
//! cross, signed REST reads, and the "exactly one order, and the journal agrees" check.
#![allow(dead_code, clippy::unwrap_used)]

pub mod cli;
pub mod proxy;

use serde_json::Value;
use speedtrade::domain::{
    ClientOrderId, Instrument, Order, OrderStatus, Price, Qty, Side, Symbol, VenueId,
};
use speedtrade::orders::{ManagerOptions, OrderDraft, OrderManager, RetryPolicy};
use speedtrade::secrets::Credentials;
use speedtrade::sim::{self, SimArgs, SimHandle, SimOrderView};
use speedtrade::store::Store;
use speedtrade::venue::binance::broker::{BinanceBroker, BinanceBrokerConfig};
use speedtrade::venue::binance::limiter::WeightLimiter;
use speedtrade::venue::binance::market_rest::MarketRest;
use speedtrade::venue::binance::user::UserStreamHandle;
use speedtrade::venue::{BrokerEvent, ConnState};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The symbol every test trades.
pub const SYMBOL: &str = "BTCUSDT";

/// Starts a simulator (BTCUSDT, ETHUSDT) with extra `speedtrade sim` flags, market paused so
/// resting orders stay resting and crossing orders fill against a known book.
pub async fn start_sim(flags: &[&str]) -> SimHandle {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut argv = vec![
        "sim",
        "--symbols",
        "BTCUSDT,ETHUSDT",
        "--rate",
        "20",
        "--seed",
        "7",
    ];
    argv.extend_from_slice(flags);
    let args = SimArgs::try_parse_from(argv).expect("valid simulator flags");
    let h = sim::start(args).await.expect("simulator starts");
    h.pause_market();
    h
}

/// Polls `cond` every 10 ms until it holds; panics with `what` after `secs` seconds.
pub async fn wait_until(secs: u64, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Awaits `f` for at most `secs` seconds.
pub async fn within<T>(secs: u64, what: &str, f: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(secs), f)
        .await
        .unwrap_or_else(|_| panic!("timed out: {what}"))
}

/// Retry timing for tests: every wait short, but the same rules as the defaults.
pub fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        not_sent_attempts: 3,
        not_sent_backoff: Duration::from_millis(20),
        unknown_first_query: Duration::from_millis(20),
        unknown_query_attempts: 6,
        query_backoff: Duration::from_millis(50),
        not_found_confirmations: 2,
        max_resends: 2,
        max_rate_limit_wait: Duration::from_secs(10),
        unknown_recheck: Duration::from_millis(200),
    }
}

/// A real order manager on a temp store, trading through a real Binance broker.
pub struct Rig {
    /// The manager.
    pub manager: OrderManager,
    /// The broker it sends through.
    pub broker: Arc<BinanceBroker>,
    /// Holds the store's directory.
    pub dir: tempfile::TempDir,
    /// The user data stream, when started ([`Rig::with_user_stream`]).
    pub stream: Option<(UserStreamHandle, tokio::task::JoinHandle<()>)>,
}

impl Rig {
    /// Starts the broker's user data stream (execution reports) into the manager, as a
    /// session does, and waits until it is live.
    pub async fn with_user_stream(mut self) -> Rig {
        let (tx, rx) = tokio::sync::mpsc::channel(256);
        let handle = self.broker.start_user_stream(tx);
        let (probe_tx, mut probe_rx) = tokio::sync::mpsc::channel(256);
        // Forward events to the manager, noting when the stream is live.
        let manager = self.manager.clone();
        let pump = tokio::spawn(async move {
            let mut rx = rx;
            while let Some(ev) = rx.recv().await {
                if matches!(ev, BrokerEvent::Connection(ConnState::Live)) {
                    let _ = probe_tx.try_send(());
                }
                manager.handle_event(VenueId::Binance, ev).await;
            }
        });
        within(10, "the user stream goes live", probe_rx.recv()).await;
        self.stream = Some((handle, pump));
        self
    }
}

/// Builds a [`Rig`] whose broker talks to `rest_url` (the simulator or a proxy in front of
/// it) with `timeout` per request; instruments come from the simulator's exchangeInfo.
pub async fn rig(sim: &SimHandle, rest_url: &str, timeout: Duration) -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("speedtrade.sqlite3")).unwrap();
    let opts = ManagerOptions {
        retry: fast_policy(),
        ..ManagerOptions::default()
    };
    let manager = OrderManager::new(store, opts).unwrap();
    let mut cfg = BinanceBrokerConfig::new(rest_url, sim.ws_api_url());
    cfg.rest.request_timeout = timeout;
    let creds = Credentials::new(sim.api_key(), sim.api_secret());
    let broker = Arc::new(BinanceBroker::new(cfg, &creds).unwrap());
    manager.add_broker(broker.clone(), "sim");
    manager.set_instruments(instruments(sim).await);
    Rig {
        manager,
        broker,
        dir,
        stream: None,
    }
}

/// BTCUSDT's trading rules as the simulator publishes them.
pub async fn instruments(sim: &SimHandle) -> Vec<Instrument> {
    let rest = MarketRest::new(&sim.rest_url(), Arc::new(WeightLimiter::default())).unwrap();
    let info = rest.exchange_info(&[sym()]).await.unwrap();
    assert!(!info.instruments.is_empty(), "exchangeInfo lists BTCUSDT");
    info.instruments
}

/// `BTCUSDT`.
pub fn sym() -> Symbol {
    Symbol::new(SYMBOL).unwrap()
}

/// The simulator's best bid and ask.
pub fn best(sim: &SimHandle) -> (Price, Price) {
    let b = sim.book(SYMBOL).unwrap();
    (b.bids[0].0, b.asks[0].0)
}

/// `ticks` ticks (0.01) away from `p`.
pub fn ticks(p: Price, n: i64) -> Price {
    Price::from_units(p.units() + n * 1_000_000)
}

/// A buy limit that rests (500 ticks under the best bid).
pub fn resting_price(sim: &SimHandle) -> Price {
    ticks(best(sim).0, -500)
}

/// A buy limit that crosses the spread and fills against the book (the best ask level holds
/// far more than the test quantity).
pub fn crossing_price(sim: &SimHandle) -> Price {
    ticks(best(sim).1, 200)
}

/// The test quantity: 0.001 BTC (about 90 USDT).
pub fn qty() -> Qty {
    Qty::parse("0.001").unwrap()
}

/// A GTC buy limit of [`qty`] at `price`.
pub fn buy(price: Price) -> OrderDraft {
    OrderDraft::limit(VenueId::Binance, sym(), Side::Buy, qty(), price)
}

/// The simulator's orders with client order id `id`.
pub fn at_sim(sim: &SimHandle, id: &str) -> Vec<SimOrderView> {
    sim.orders(Some(SYMBOL))
        .into_iter()
        .filter(|o| o.client_order_id == id)
        .collect()
}

/// The journal's status name for a Binance wire status.
pub fn journal_status(wire: &str) -> &'static str {
    match wire {
        "NEW" => "new",
        "PARTIALLY_FILLED" => "partially_filled",
        "FILLED" => "filled",
        "CANCELED" => "canceled",
        "REJECTED" => "rejected",
        "EXPIRED" | "EXPIRED_IN_MATCH" => "expired",
        other => panic!("unexpected wire status {other}"),
    }
}

/// `GET` a signed endpoint of the simulator with the demo key.
pub async fn signed_get(sim: &SimHandle, path: &str, params: &str) -> Value {
    let base = format!("{params}&timestamp={}", speedtrade::domain::now_ms());
    let sig = sim::auth::sign(sim.api_secret(), &base);
    let url = format!("{}{path}?{base}&signature={sig}", sim.rest_url());
    let resp = reqwest::Client::new()
        .get(url)
        .header("X-MBX-APIKEY", sim.api_key())
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{path}: {}", resp.status());
    resp.json().await.unwrap()
}

/// Asserts that the simulator holds exactly one order with `order`'s client id — in its
/// engine and over signed `GET /api/v3/allOrders` — and that the journal `store` has the same
/// status, filled quantity and venue order id. Returns the simulator's view.
pub async fn assert_one_and_agrees(
    sim: &SimHandle,
    store: &Store,
    id: &ClientOrderId,
) -> SimOrderView {
    let mut found = at_sim(sim, id.as_str());
    assert_eq!(
        found.len(),
        1,
        "exactly one order {id} at the simulator: {found:?}"
    );
    let venue = found.remove(0);
    let all = signed_get(sim, "/api/v3/allOrders", &format!("symbol={SYMBOL}")).await;
    let listed = all
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["clientOrderId"] == id.as_str())
        .count();
    assert_eq!(listed, 1, "allOrders lists {id} once");
    let journal: Order = store.order(id).unwrap().expect("journaled");
    assert_eq!(
        journal.status.as_str(),
        journal_status(venue.status),
        "journal status vs simulator {venue:?}"
    );
    assert_eq!(journal.filled_qty, venue.executed_qty, "filled quantity");
    assert_eq!(
        journaled_fill_qty(store, id),
        venue.executed_qty,
        "every trade of the order is a journaled fill"
    );
    assert_eq!(
        journal.venue_order_id.as_deref(),
        Some(venue.order_id.to_string().as_str()),
        "venue order id"
    );
    venue
}

/// The quantities of the order's journaled fills, summed.
pub fn journaled_fill_qty(store: &Store, id: &ClientOrderId) -> Qty {
    let units = store
        .fills_for_order(id)
        .unwrap()
        .iter()
        .map(|f| f.qty.units())
        .sum();
    Qty::from_units(units)
}

/// Whether the order's trail shows it went through `unknown` (a reply was lost).
pub fn went_unknown(store: &Store, id: &ClientOrderId) -> bool {
    store
        .order_events(id)
        .unwrap()
        .iter()
        .any(|e| e.status == Some(OrderStatus::Unknown))
}
