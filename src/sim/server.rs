//! Starting, driving and stopping the simulator: the shared state, the generator clock task,
//! the axum server on 127.0.0.1, and the handle tests and the CLI hold.

use super::args::SimArgs;
use super::auth::{DEMO_API_KEY, DEMO_API_SECRET};
use super::engine::{Exchange, SimClock};
use super::faults::Faults;
use super::limits::{DEFAULT_WEIGHT_LIMIT, Limits};
use super::orders::{SimOrder, side_str};
use super::symbols;
use crate::domain::{Price, Qty, Side};
use crate::net::no_delay;
use axum::Router;
use axum::serve::ListenerExt as _;
use rust_decimal::Decimal;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Why the simulator could not start or run.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The port could not be bound.
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Bind {
        /// The port asked for.
        port: u16,
        /// The OS error.
        source: std::io::Error,
    },
    /// `--symbols` named nothing.
    #[error("no symbols to simulate")]
    NoSymbols,
    /// Writing the start-up line or waiting for a signal failed.
    #[error("simulator i/o: {0}")]
    Io(#[from] std::io::Error),
}

/// State shared by every connection and the generator task.
pub struct Shared {
    ex: Mutex<Exchange>,
    limits: Mutex<Limits>,
    /// Fault configuration.
    pub faults: Faults,
    /// The options the simulator runs with.
    pub args: SimArgs,
    paused: AtomicBool,
    /// Becomes `true` when the simulator shuts down.
    pub shutdown: watch::Receiver<bool>,
}

impl Shared {
    /// Locks the exchange (a poisoned lock is taken over: the state stays usable).
    pub fn ex(&self) -> MutexGuard<'_, Exchange> {
        self.ex.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Locks the request-weight counters.
    pub fn limits(&self) -> MutexGuard<'_, Limits> {
        self.limits.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A running simulator. Dropping it stops the server too; [`SimHandle::shutdown`] waits.
pub struct SimHandle {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for SimHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimHandle")
            .field("addr", &self.addr)
            .field("api_secret", &"***")
            .finish()
    }
}

/// A full copy of one symbol's simulated book.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimBook {
    /// The update id the book is at (the `u` of the last diff published).
    pub last_update_id: u64,
    /// Bids, best first.
    pub bids: Vec<(Price, Qty)>,
    /// Asks, best first.
    pub asks: Vec<(Price, Qty)>,
}

/// An order of the demo account as the simulator holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimOrderView {
    /// Symbol.
    pub symbol: String,
    /// Order id.
    pub order_id: u64,
    /// Client order id.
    pub client_order_id: String,
    /// `BUY` or `SELL`.
    pub side: &'static str,
    /// Wire type, e.g. `LIMIT`.
    pub order_type: &'static str,
    /// Wire status, e.g. `NEW`.
    pub status: &'static str,
    /// Limit price (zero for market).
    pub price: Price,
    /// Ordered quantity.
    pub orig_qty: Qty,
    /// Filled quantity.
    pub executed_qty: Qty,
}

impl SimHandle {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    /// REST base URL, e.g. `http://127.0.0.1:40123` (paths start with `/api/v3`).
    pub fn rest_url(&self) -> String {
        format!("http://{}", self.addr)
    }
    /// Market stream base URL (append `/ws/<stream>` or `/stream?streams=..`).
    pub fn ws_url(&self) -> String {
        format!("ws://{}", self.addr)
    }
    /// WebSocket API URL.
    pub fn ws_api_url(&self) -> String {
        format!("ws://{}/ws-api/v3", self.addr)
    }
    /// The demo account's API key.
    pub fn api_key(&self) -> &'static str {
        DEMO_API_KEY
    }
    /// The demo account's API secret (only the simulator accepts it).
    pub fn api_secret(&self) -> &'static str {
        DEMO_API_SECRET
    }
    /// The start-up line: `{"rest":..,"ws":..,"ws_api":..,"api_key":..,"api_secret":..}`.
    pub fn info_json(&self) -> String {
        format!(
            "{{\"rest\":\"{}\",\"ws\":\"{}\",\"ws_api\":\"{}\",\"api_key\":\"{}\",\"api_secret\":\"{}\"}}",
            self.rest_url(),
            self.ws_url(),
            self.ws_api_url(),
            DEMO_API_KEY,
            DEMO_API_SECRET
        )
    }
    /// The simulator's current book of `symbol` (upper case), every level.
    pub fn book(&self, symbol: &str) -> Option<SimBook> {
        let ex = self.shared.ex();
        let m = &ex.markets[ex.sym(&symbol.to_ascii_uppercase())?];
        Some(SimBook {
            last_update_id: m.last_update_id,
            bids: m.book.top(Side::Buy, usize::MAX),
            asks: m.book.top(Side::Sell, usize::MAX),
        })
    }
    /// Freezes the generator (books stop changing unless orders trade) and its clock.
    pub fn pause_market(&self) {
        self.shared.paused.store(true, Ordering::SeqCst);
    }
    /// Resumes the generator where it stopped.
    pub fn resume_market(&self) {
        self.shared.paused.store(false, Ordering::SeqCst);
    }
    /// Orders of the demo account (of `symbol`, or all), oldest first.
    pub fn orders(&self, symbol: Option<&str>) -> Vec<SimOrderView> {
        let ex = self.shared.ex();
        let sym = symbol.and_then(|s| ex.sym(&s.to_ascii_uppercase()));
        if symbol.is_some() && sym.is_none() {
            return Vec::new();
        }
        ex.orders_where(sym, |_| true)
            .iter()
            .map(|o| view(&ex, o))
            .collect()
    }
    /// Free and locked balance of `asset`.
    pub fn balance(&self, asset: &str) -> (Decimal, Decimal) {
        let b = self.shared.ex().account.get(asset);
        (b.free, b.locked)
    }
    /// Stops accepting connections, closes streams, and waits for the tasks to end.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        for t in self.tasks.drain(..) {
            let _ = tokio::time::timeout(Duration::from_secs(10), t).await;
            tracing::debug!("simulator task ended");
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

fn view(ex: &Exchange, o: &SimOrder) -> SimOrderView {
    SimOrderView {
        symbol: ex.markets[o.sym].spec.name.clone(),
        order_id: o.id,
        client_order_id: o.client_id.clone(),
        side: side_str(o.side),
        order_type: o.kind.as_str(),
        status: o.status.as_str(),
        price: o.price,
        orig_qty: o.orig_qty,
        executed_qty: o.executed,
    }
}

/// Starts the simulator on 127.0.0.1 and returns once it accepts connections.
pub async fn start(args: SimArgs) -> Result<SimHandle, SimError> {
    let specs = symbols::parse_list(&args.symbols);
    if specs.is_empty() {
        return Err(SimError::NoSymbols);
    }
    let origin = args.start_time_ms.unwrap_or_else(crate::domain::now_ms);
    let clock = SimClock {
        origin,
        rate: args.rate.max(1),
    };
    let local = SocketAddr::from(([127, 0, 0, 1], args.port));
    let listener = tokio::net::TcpListener::bind(local)
        .await
        .map_err(|source| SimError::Bind {
            port: args.port,
            source,
        })?;
    let addr = listener.local_addr()?;
    let (stop, shutdown) = watch::channel(false);
    let limits = Limits::new(
        args.fault_weight_limit.unwrap_or(DEFAULT_WEIGHT_LIMIT),
        args.fault_weight_window,
        args.fault_ban_after,
        args.fault_ban_secs,
    );
    let shared = Arc::new(Shared {
        ex: Mutex::new(Exchange::new(args.seed, specs, clock)),
        limits: Mutex::new(limits),
        faults: Faults::from_args(&args),
        args,
        paused: AtomicBool::new(false),
        shutdown,
    });
    let app: Router = super::rest::router(shared.clone());
    let mut rx = shared.shutdown.clone();
    let server = axum::serve(listener.tap_io(no_delay), app).with_graceful_shutdown(async move {
        stopped(&mut rx).await;
    });
    let server = tokio::spawn(async move {
        if let Err(e) = server.await {
            tracing::warn!(error = %e, "simulator server stopped with an error");
        }
    });
    let driver = tokio::spawn(drive(shared.clone()));
    tracing::info!(%addr, "simulator listening");
    Ok(SimHandle {
        addr,
        shared,
        stop,
        tasks: vec![server, driver],
    })
}

/// Advances the market in step with the wall clock (minus paused time).
async fn drive(shared: Arc<Shared>) {
    let rate = u64::from(shared.args.rate.max(1));
    let tick_ms = (1000 / rate).clamp(1, 20);
    let max_steps = (rate / 10).max(1000);
    let mut tick = tokio::time::interval(Duration::from_millis(tick_ms));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut shutdown = shared.shutdown.clone();
    let origin = shared.ex().clock.origin;
    let start = Instant::now();
    let mut paused_for = Duration::ZERO;
    let mut paused_at: Option<Instant> = None;
    loop {
        tokio::select! {
            _ = stopped(&mut shutdown) => break,
            _ = tick.tick() => {}
        }
        let now = Instant::now();
        if shared.paused.load(Ordering::SeqCst) {
            paused_at.get_or_insert(now);
            continue;
        }
        if let Some(p) = paused_at.take() {
            paused_for += now - p;
        }
        let elapsed = now.duration_since(start).saturating_sub(paused_for);
        let target = origin + i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX / 4);
        shared.ex().advance_to(target, max_steps);
    }
}

/// Resolves once the shutdown flag is set (or its sender is gone).
pub async fn stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|s| *s).await;
}

/// Runs `speedtrade sim`: prints the JSON line (flushed), serves until SIGINT or SIGTERM,
/// then shuts down cleanly.
pub async fn run(args: SimArgs) -> Result<(), SimError> {
    use std::io::Write;
    let handle = start(args).await?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{}", handle.info_json())?;
        out.flush()?;
    }
    wait_for_signal().await?;
    tracing::info!("simulator shutting down");
    handle.shutdown().await;
    tracing::debug!("simulator stopped");
    Ok(())
}

async fn wait_for_signal() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r,
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}
