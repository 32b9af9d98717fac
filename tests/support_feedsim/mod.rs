//! Helpers for the feed-against-simulator tests: starting the in-process simulator, a feed
//! pointed at it, an event collector that checks trade order and book shape on every event,
//! settling (pause the market until every client book caught up) and exact book comparison.

#![allow(dead_code, clippy::unwrap_used)] // test helpers unwrap freely

use speedtrade::domain::{BookTop, Level, Symbol};
use speedtrade::net::BackoffConfig;
use speedtrade::sim::{self, SimArgs, SimBook, SimHandle};
use speedtrade::venue::binance::BinanceEndpoints;
use speedtrade::venue::binance::feed::{BinanceFeed, FeedOptions, Topics};
use speedtrade::venue::{ConnState, MarketEvent};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::time::Duration;

static PANICS: AtomicUsize = AtomicUsize::new(0);

/// Counts panics on Tokio's worker and blocking threads, where the feed's and the
/// simulator's tasks run (a panic there would only end that task, silently), keeping the
/// default report. A test's own assertions run on the test's thread and are not counted.
pub fn count_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let thread = std::thread::current();
            if thread
                .name()
                .is_none_or(|n| n.starts_with("tokio-runtime-worker"))
            {
                PANICS.fetch_add(1, Ordering::SeqCst);
            }
            default(info);
        }));
    });
}

/// Panics in Tokio tasks seen so far in this process.
pub fn panics() -> usize {
    PANICS.load(Ordering::SeqCst)
}

#[path = "../common/wait.rs"]
mod wait;
#[allow(unused_imports)] // not every test binary waits
pub use wait::wait_until;

/// Starts the simulator in this runtime (installs the TLS provider the clients need).
pub async fn start_sim(args: SimArgs) -> SimHandle {
    let _ = rustls::crypto::ring::default_provider().install_default();
    sim::start(args).await.expect("simulator starts")
}

/// The simulator's URLs as Binance endpoints.
pub fn endpoints(sim: &SimHandle) -> BinanceEndpoints {
    BinanceEndpoints {
        rest_url: sim.rest_url(),
        ws_url: sim.ws_url(),
    }
}

/// Feed options for tests: a fast reconnect backoff and snapshot retry, `depth` levels kept,
/// `levels` published.
pub fn feed_options(depth: usize, levels: usize) -> FeedOptions {
    FeedOptions {
        depth,
        book_levels: levels,
        backoff: BackoffConfig {
            initial: Duration::from_millis(50),
            max: Duration::from_millis(400),
            factor: 2,
        },
        snapshot_retry: Duration::from_millis(100),
        ..FeedOptions::default()
    }
}

/// A TCP proxy on 127.0.0.1 to `target` that counts the connections it accepted (to see
/// planned connection replacements, which no feed counter shows).
pub async fn counting_proxy(
    target: std::net::SocketAddr,
) -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let accepted = count.clone();
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            accepted.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                if let Ok(mut out) = tokio::net::TcpStream::connect(target).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
                }
            });
        }
    });
    (addr, count)
}

/// Parses a symbol.
pub fn sym(s: &str) -> Symbol {
    Symbol::new(s).unwrap()
}

/// Per-symbol trade bookkeeping.
#[derive(Debug, Default, Clone)]
pub struct TradeTrack {
    /// Trades received.
    pub count: u64,
    /// Last trade id.
    pub last: Option<u64>,
    /// Disconnect epoch at the last trade.
    epoch: u64,
    /// Jumps in trade ids across a disconnect (allowed).
    pub gaps_across_disconnect: u64,
}

/// What the collector saw.
#[derive(Debug, Default)]
pub struct Collected {
    /// Trades per symbol.
    pub trades: HashMap<Symbol, TradeTrack>,
    /// Connection losses seen as `Reconnecting` / `Down` events.
    pub disconnects: u64,
    /// Live book events.
    pub live_books: u64,
    /// Stale book events.
    pub stale_books: u64,
    /// Last live update id per symbol.
    last_book_id: HashMap<Symbol, u64>,
    /// Notices from the feed.
    pub notices: Vec<String>,
    /// Broken invariants, with the event that broke them.
    pub violations: Vec<String>,
}

impl Collected {
    fn on_event(&mut self, ev: MarketEvent) {
        match ev {
            MarketEvent::Trade(t) => self.on_trade(&t.symbol, t.id),
            MarketEvent::Book { symbol, top } => self.on_book(&symbol, &top),
            MarketEvent::Connection { state, .. } => {
                if matches!(state, ConnState::Reconnecting { .. } | ConnState::Down(_)) {
                    self.disconnects += 1;
                }
            }
            MarketEvent::Notice { message, .. } => self.notices.push(message),
            _ => {}
        }
    }

    /// Lets `symbol`'s trade ids jump once (it is unwatched and watched again).
    pub fn allow_jump(&mut self, symbol: &Symbol) {
        if let Some(t) = self.trades.get_mut(symbol) {
            t.epoch = u64::MAX;
        }
    }

    /// Trade ids rise strictly per symbol; they may jump only across a disconnect.
    fn on_trade(&mut self, symbol: &Symbol, id: u64) {
        let epoch = self.disconnects;
        let t = self.trades.entry(symbol.clone()).or_default();
        if let Some(last) = t.last {
            if id <= last {
                let v = format!("{symbol}: trade {id} after {last} (duplicate or out of order)");
                self.violations.push(v);
            } else if id > last + 1 {
                if t.epoch == epoch {
                    let v = format!(
                        "{symbol}: trades {}..{id} missing without a disconnect",
                        last + 1
                    );
                    self.violations.push(v);
                } else {
                    t.gaps_across_disconnect += 1;
                }
            }
        }
        t.count += 1;
        t.last = Some(id);
        t.epoch = epoch;
    }

    /// A live book is sorted, uncrossed and never goes back in update id.
    fn on_book(&mut self, symbol: &Symbol, top: &BookTop) {
        if top.stale {
            self.stale_books += 1;
            return;
        }
        self.live_books += 1;
        if let Err(e) = book_shape(top) {
            self.violations
                .push(format!("{symbol} @{}: {e}", top.update_id));
        }
        let last = self.last_book_id.entry(symbol.clone()).or_insert(0);
        if top.update_id < *last {
            let v = format!(
                "{symbol}: book went back from {} to {}",
                *last, top.update_id
            );
            self.violations.push(v);
        }
        *last = top.update_id;
    }
}

/// Bids strictly descending, asks strictly ascending, no zero quantity, best bid < best ask.
pub fn book_shape(top: &BookTop) -> Result<(), String> {
    if !top.bids.windows(2).all(|w| w[0].price > w[1].price) {
        return Err("bids not strictly descending".into());
    }
    if !top.asks.windows(2).all(|w| w[0].price < w[1].price) {
        return Err("asks not strictly ascending".into());
    }
    if top.bids.iter().chain(&top.asks).any(|l| l.qty.is_zero()) {
        return Err("a level with zero quantity".into());
    }
    if let (Some(b), Some(a)) = (top.best_bid(), top.best_ask())
        && b.price >= a.price
    {
        return Err(format!("crossed: bid {} >= ask {}", b.price, a.price));
    }
    Ok(())
}

/// A feed on a simulator with a task draining its events into a [`Collected`].
pub struct Harness {
    /// The simulator.
    pub sim: SimHandle,
    /// The feed under test.
    pub feed: BinanceFeed,
    /// Watched symbols.
    pub symbols: Vec<Symbol>,
    /// Levels compared per side.
    pub levels: usize,
    /// What the collector saw.
    pub seen: Arc<Mutex<Collected>>,
    collector: tokio::task::JoinHandle<()>,
}

impl Harness {
    /// Starts `args`' simulator and a feed watching every topic of its symbols.
    pub async fn start(args: SimArgs, opts: FeedOptions) -> Harness {
        let symbols: Vec<Symbol> = args.symbols.iter().map(|s| sym(s)).collect();
        let sim = start_sim(args).await;
        let ends = endpoints(&sim);
        Self::on(sim, symbols, ends, opts)
    }

    /// A feed on `ends` (the simulator's, or a proxy in front of it) watching every topic of
    /// `symbols`. Call inside a Tokio runtime.
    pub fn on(
        sim: SimHandle,
        symbols: Vec<Symbol>,
        ends: BinanceEndpoints,
        opts: FeedOptions,
    ) -> Harness {
        count_panics();
        let levels = opts.book_levels;
        let (feed, mut rx) = BinanceFeed::start(ends, opts).unwrap();
        feed.set_watchlist(symbols.iter().map(|s| (s.clone(), Topics::all())));
        let seen = Arc::new(Mutex::new(Collected::default()));
        let sink = seen.clone();
        let collector = tokio::spawn(async move {
            while let Some(ev) = rx.recv().await {
                sink.lock().unwrap().on_event(ev);
            }
        });
        Harness {
            sim,
            feed,
            symbols,
            levels,
            seen,
            collector,
        }
    }

    /// Lets the market run until `cond` holds for the feed's counters (panics after `timeout`).
    pub async fn run_until(
        &self,
        what: &str,
        timeout: Duration,
        cond: impl Fn(&speedtrade::venue::binance::feed::stats::FeedStatsSnapshot) -> bool,
    ) {
        self.sim.resume_market();
        let ok = wait_until(timeout, || cond(&self.feed.stats())).await;
        assert!(
            ok,
            "waited {timeout:?} for {what}; stats {:?}",
            self.feed.stats()
        );
    }

    fn in_sync(&self, s: &Symbol) -> bool {
        let (Some(top), Some(sb)) = (self.feed.book(s), self.sim.book(s.as_str())) else {
            return false;
        };
        !top.stale && top.update_id == sb.last_update_id
    }

    /// Pauses the market and waits until every client book is live at the simulator's update
    /// id. A diff lost just before the pause (a gap fault) leaves a book live but behind with
    /// nothing left to tell it (any client would be), and a disconnect during the pause leaves
    /// it stale for the quiet-market delay, so after 2 s the market runs a little and pauses
    /// again. Returns how many such nudges it took.
    pub async fn settle(&self) -> u32 {
        for nudge in 0..15 {
            self.sim.pause_market();
            let all = || self.symbols.iter().all(|s| self.in_sync(s));
            if wait_until(Duration::from_secs(2), all).await {
                return nudge;
            }
            let before = self.sim_ids();
            self.sim.resume_market();
            wait_until(Duration::from_secs(5), || {
                self.sim_ids().iter().zip(&before).all(|(a, b)| a > b)
            })
            .await;
        }
        panic!(
            "books never caught up with the simulator: {}",
            self.describe()
        );
    }

    fn sim_ids(&self) -> Vec<u64> {
        self.symbols
            .iter()
            .map(|s| self.sim.book(s.as_str()).map_or(0, |b| b.last_update_id))
            .collect()
    }

    fn describe(&self) -> String {
        let mut out = String::new();
        for s in &self.symbols {
            let top = self.feed.book(s);
            let sb = self.sim.book(s.as_str());
            out.push_str(&format!(
                "{s}: client {:?} stale {:?}, sim {:?}; ",
                top.as_ref().map(|t| t.update_id),
                top.as_ref().map(|t| t.stale),
                sb.map(|b| b.last_update_id),
            ));
        }
        out
    }

    /// Settles, then asserts every client book equals the simulator's top levels exactly.
    /// Returns the update ids compared.
    pub async fn assert_books_equal(&self) -> Vec<u64> {
        for _ in 0..5 {
            self.settle().await;
            let pairs: Vec<(Symbol, BookTop, SimBook)> = self
                .symbols
                .iter()
                .map(|s| {
                    (
                        s.clone(),
                        self.feed.book(s).unwrap(),
                        self.sim.book(s.as_str()).unwrap(),
                    )
                })
                .collect();
            // The generator may finish one step it began before the pause: settle again.
            if pairs
                .iter()
                .any(|(_, t, b)| t.update_id != b.last_update_id || t.stale)
            {
                continue;
            }
            for (s, top, book) in &pairs {
                if let Err(e) = same_levels(top, book, self.levels) {
                    panic!(
                        "{s} @{}: client book differs from the simulator: {e}",
                        top.update_id
                    );
                }
            }
            return pairs.iter().map(|(_, t, _)| t.update_id).collect();
        }
        panic!(
            "the simulator kept moving while paused: {}",
            self.describe()
        );
    }

    /// With the market paused throughout: waits until every client book is live and asserts
    /// it equals the simulator's (no nudging: nothing may move the market).
    pub async fn assert_quiet_books_equal(&self) -> Vec<u64> {
        let all = || self.symbols.iter().all(|s| self.in_sync(s));
        assert!(
            wait_until(Duration::from_secs(10), all).await,
            "a quiet book never became live: {}",
            self.describe()
        );
        let mut ids = vec![];
        for s in &self.symbols {
            let (top, book) = (
                self.feed.book(s).unwrap(),
                self.sim.book(s.as_str()).unwrap(),
            );
            if let Err(e) = same_levels(&top, &book, self.levels) {
                panic!(
                    "{s} @{}: client book differs from the simulator: {e}",
                    top.update_id
                );
            }
            ids.push(top.update_id);
        }
        ids
    }

    /// Stops the feed and the collector; asserts no invariant broke and trades flowed for
    /// every symbol. Returns what was seen.
    pub async fn finish(self) -> Collected {
        let Harness {
            sim,
            feed,
            seen,
            collector,
            symbols,
            ..
        } = self;
        drop(feed);
        let _ = tokio::time::timeout(Duration::from_secs(5), collector).await;
        sim.shutdown().await;
        let seen = std::mem::take(&mut *seen.lock().unwrap());
        assert!(seen.violations.is_empty(), "{:#?}", seen.violations);
        assert_eq!(panics(), 0, "a feed or simulator task panicked (see above)");
        assert!(
            seen.notices.is_empty(),
            "unexpected notices: {:?}",
            seen.notices
        );
        for s in &symbols {
            let n = seen.trades.get(s).map_or(0, |t| t.count);
            assert!(n > 0, "no trades for {s}");
        }
        seen
    }
}

/// The client's top `n` levels a side equal the simulator's best `n`, price and quantity.
pub fn same_levels(top: &BookTop, book: &SimBook, n: usize) -> Result<(), String> {
    let side = |name: &str,
                client: &[Level],
                sim: &[(speedtrade::domain::Price, speedtrade::domain::Qty)]| {
        let want: Vec<(String, String)> = sim
            .iter()
            .take(n)
            .map(|(p, q)| (p.to_string(), q.to_string()))
            .collect();
        let got: Vec<(String, String)> = client
            .iter()
            .map(|l| (l.price.to_string(), l.qty.to_string()))
            .collect();
        if want.len() < n {
            return Err(format!("the simulator has only {} {name}", want.len()));
        }
        match want.iter().zip(&got).position(|(a, b)| a != b) {
            Some(i) => Err(format!(
                "{name}[{i}]: client {:?}, simulator {:?}",
                got[i], want[i]
            )),
            None if got.len() != want.len() => Err(format!(
                "{} {name} in the client, {} in the simulator",
                got.len(),
                want.len()
            )),
            None => Ok(()),
        }
    };
    side("bids", &top.bids, &book.bids)?;
    side("asks", &top.asks, &book.asks)
}
