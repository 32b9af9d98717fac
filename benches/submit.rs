//! Order entry overhead: from "place" (the effects layer's task spawn, validation, the journal
//! commit, signing, HTTP) to the request's last byte arriving at a loopback venue; and the
//! ticket's Enter → `Command::PlaceOrder` (pure `app::update`).
//!
//! The venue is a blocking TCP server on its own thread that timestamps each request as soon as
//! its last byte has been read, then answers at once with a Binance `NEW` reply. Besides the
//! criterion figures, the bench prints p50 / p90 / p99 / max over 3000 placements for the
//! default store and for `durable_journal` (fsync of every journal commit), and the journal
//! commit alone.
//!
//! Included: `tokio::spawn` of the place task (as `Session::perform` does), validation against
//! the instrument, the journal row committed by the store's writer thread (WAL, no fsync unless
//! `durable_journal`), HMAC signing, reqwest/hyper writing the request, loopback TCP, and the
//! venue thread's wake-up and read. Not included: the TCP connect (the connection is kept
//! alive; the bench prints how many it used), TLS (loopback HTTP), the key event's path through
//! the terminal and the app loop before `update`, and the venue's processing.
//!
//! Run: `cargo bench --bench submit`.

use criterion::{BatchSize, Criterion};
use rust_decimal::Decimal;
use speedtrade::app::{Action, AppState, Command, Key, KeyMap, KeyPress, update};
use speedtrade::config;
use speedtrade::domain::*;
use speedtrade::orders::{ManagerOptions, OrderDraft, OrderManager};
use speedtrade::secrets::Credentials;
use speedtrade::store::{Store, StoreOptions};
use speedtrade::venue::MarketEvent;
use speedtrade::venue::binance::broker::{BinanceBroker, BinanceBrokerConfig};
use std::hint::black_box;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const SAMPLES: usize = 3000;
const WARM_UP: usize = 300;
const ROUND: usize = 500;

/// A loopback venue: reports the arrival time of each request's last byte, and counts the
/// connections it accepted.
fn start_venue() -> (String, mpsc::Receiver<Instant>, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = mpsc::channel();
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = connections.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            counter.fetch_add(1, Ordering::SeqCst);
            let tx = tx.clone();
            std::thread::spawn(move || serve(conn, tx));
        }
    });
    (format!("http://{addr}"), rx, connections)
}

/// One keep-alive connection: read a request, timestamp it, answer `NEW`.
fn serve(conn: TcpStream, tx: mpsc::Sender<Instant>) {
    let _ = conn.set_nodelay(true);
    let mut out = conn.try_clone().expect("clone");
    let mut reader = BufReader::new(conn);
    let mut order_id = 0u64;
    loop {
        let mut len = 0usize;
        let mut line = String::new();
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            if line == "\r\n" {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0u8; len];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let _ = tx.send(Instant::now());
        order_id += 1;
        let reply = reply(&String::from_utf8_lossy(&body), order_id);
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            reply.len()
        );
        if out.write_all(head.as_bytes()).is_err() || out.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}

/// A Binance RESULT reply (`NEW`) for the form-encoded order `body`.
fn reply(body: &str, order_id: u64) -> String {
    let id = body
        .split('&')
        .find_map(|kv| kv.strip_prefix("newClientOrderId="))
        .unwrap_or("x");
    format!(
        "{{\"symbol\":\"BTCUSDT\",\"orderId\":{order_id},\"orderListId\":-1,\
         \"clientOrderId\":\"{id}\",\"transactTime\":1700000000000,\"price\":\"80000.00\",\
         \"origQty\":\"0.00100000\",\"executedQty\":\"0.00000000\",\
         \"cummulativeQuoteQty\":\"0.00000000\",\"status\":\"NEW\",\"timeInForce\":\"GTC\",\
         \"type\":\"LIMIT\",\"side\":\"BUY\",\"fills\":[]}}"
    )
}

fn btcusdt() -> Instrument {
    Instrument {
        venue: VenueId::Binance,
        symbol: Symbol::new("BTCUSDT").expect("symbol"),
        base: "BTC".into(),
        quote: "USDT".into(),
        tick_size: Price::parse("0.01").expect("tick"),
        min_price: Price::parse("0.01").expect("min"),
        max_price: Price::parse("1000000").expect("max"),
        step_size: Qty::parse("0.00001").expect("step"),
        min_qty: Qty::parse("0.00001").expect("min qty"),
        max_qty: Qty::parse("9000").expect("max qty"),
        min_notional: Decimal::new(5, 0),
        max_notional: None,
        trading: true,
    }
}

fn draft() -> OrderDraft {
    OrderDraft::limit(
        VenueId::Binance,
        Symbol::new("BTCUSDT").expect("symbol"),
        Side::Buy,
        Qty::parse("0.001").expect("qty"),
        Price::parse("80000").expect("price"),
    )
}

/// A manager on a fresh store (kept in `dir`) sending to the loopback venue.
struct Rig {
    rt: tokio::runtime::Runtime,
    manager: OrderManager,
    arrivals: mpsc::Receiver<Instant>,
    connections: Arc<AtomicUsize>,
    _dir: tempfile::TempDir,
}

impl Rig {
    fn new(durable_journal: bool) -> Rig {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let dir = tempfile::tempdir().expect("tempdir");
        let opts = StoreOptions {
            durable_journal,
            ..StoreOptions::default()
        };
        let store = Store::open_with(dir.path().join("bench.sqlite3"), opts).expect("store");
        let manager = OrderManager::new(store, ManagerOptions::default()).expect("manager");
        let (url, arrivals, connections) = start_venue();
        let creds = Credentials::new("benchKey", "benchSecret");
        let broker = {
            let _guard = rt.enter();
            BinanceBroker::new(BinanceBrokerConfig::new(url, "ws://127.0.0.1:9"), &creds)
                .expect("broker")
        };
        manager.add_broker(Arc::new(broker), "bench");
        manager.set_instruments([btcusdt()]);
        Rig {
            rt,
            manager,
            arrivals,
            connections,
            _dir: dir,
        }
    }

    /// One placement as the effects layer runs it (a spawned task); returns (time until the
    /// request was on the venue's socket, time until `place` returned).
    fn place_once(&self) -> (Duration, Duration) {
        let m = self.manager.clone();
        let d = draft();
        let (start, done) = self.rt.block_on(async move {
            let start = Instant::now();
            let order = tokio::spawn(async move { m.place(&d).await })
                .await
                .expect("task")
                .expect("placed");
            assert_eq!(order.status, OrderStatus::New);
            (start, Instant::now())
        });
        let arrived = self.arrivals.recv().expect("arrival");
        (arrived - start, done - start)
    }
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn report(label: &str, mut v: Vec<Duration>) {
    v.sort();
    println!(
        "{label:<44} p50 {:>8.1?}  p90 {:>8.1?}  p99 {:>8.1?}  max {:>8.1?}  (n={})",
        pct(&v, 0.5),
        pct(&v, 0.9),
        pct(&v, 0.99),
        v[v.len() - 1],
        v.len()
    );
}

/// p50 / p90 / p99 over [`SAMPLES`] placements after a warm-up, taken in rounds of
/// [`ROUND`]: on a shared machine other processes' bursts land in some rounds, so the p99 of
/// the quietest round is printed next to the overall one (with the load average).
fn percentiles(durable: bool) {
    let rig = Rig::new(durable);
    for _ in 0..WARM_UP {
        rig.place_once();
    }
    let load_before = load_average();
    let (mut wire, mut whole) = (Vec::new(), Vec::new());
    let mut round_p99 = Vec::new();
    for _ in 0..SAMPLES / ROUND {
        let mut round = Vec::with_capacity(ROUND);
        for _ in 0..ROUND {
            let (w, p) = rig.place_once();
            round.push(w);
            whole.push(p);
        }
        wire.extend_from_slice(&round);
        round.sort();
        round_p99.push(pct(&round, 0.99));
    }
    round_p99.sort();
    let tag = if durable {
        "durable_journal"
    } else {
        "default store"
    };
    println!(
        "load average before / after: {load_before} / {}",
        load_average()
    );
    report(&format!("place → request on the socket ({tag})"), wire);
    println!(
        "  p99 per round of {ROUND}: quietest {:.1?}, median {:.1?}, worst {:.1?}",
        round_p99[0],
        round_p99[round_p99.len() / 2],
        round_p99[round_p99.len() - 1]
    );
    report(
        &format!("place → reply applied and journaled ({tag})"),
        whole,
    );
    let conns = rig.connections.load(Ordering::SeqCst);
    println!(
        "  ({conns} connection(s) for {} orders: keep-alive, no connect in the path)",
        WARM_UP + SAMPLES
    );
    report(
        &format!("validate + journal commit only ({tag})"),
        journal_only(durable),
    );
}

/// The 1-minute load average (Linux), for reading the figures.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

/// `journal_order` alone (validation and the committed journal row, nothing sent): the part
/// of the overhead that is the store's.
fn journal_only(durable: bool) -> Vec<Duration> {
    let rig = Rig::new(durable);
    let d = draft();
    let mut out = Vec::with_capacity(SAMPLES);
    for i in 0..WARM_UP + SAMPLES {
        let start = Instant::now();
        rig.rt
            .block_on(rig.manager.journal_order(&d))
            .expect("journaled");
        if i >= WARM_UP {
            out.push(start.elapsed());
        }
    }
    out
}

/// A paper-mode app state with a filled buy ticket open (Enter sends it).
fn ticket_open() -> AppState {
    let c = config::parse_layered(Some(("bench.toml", "[ui]\nclock = \"utc\"\n"))).expect("config");
    let mut s = AppState::new(&c, KeyMap::from_table(&c.keys).expect("keys"), false, 0);
    update(&mut s, Action::Instruments(vec![btcusdt()]));
    let lv = |p: &str| Level {
        price: Price::parse(p).expect("price"),
        qty: Qty::ONE,
    };
    let top = BookTop {
        update_id: 1,
        bids: vec![lv("90000.00")],
        asks: vec![lv("90000.10")],
        stale: false,
    };
    let symbol = Symbol::new("BTCUSDT").expect("symbol");
    update(&mut s, Action::Market(MarketEvent::Book { symbol, top }));
    for c in "b0.01".chars() {
        update(&mut s, Action::Key(KeyPress::char(c)));
    }
    update(&mut s, Action::Key(KeyPress::plain(Key::Tab)));
    for c in "89000".chars() {
        update(&mut s, Action::Key(KeyPress::char(c)));
    }
    s
}

fn enter(s: &mut AppState) -> Vec<Command> {
    update(s, Action::Key(KeyPress::plain(Key::Enter)))
}

fn benches(c: &mut Criterion) {
    let cmds = enter(&mut ticket_open());
    assert!(
        matches!(cmds.as_slice(), [Command::PlaceOrder(_)]),
        "{cmds:?}"
    );
    c.bench_function("ticket: Enter → Command::PlaceOrder", |b| {
        b.iter_batched_ref(ticket_open, |s| black_box(enter(s)), BatchSize::SmallInput)
    });
    let rig = Rig::new(false);
    c.bench_function("place → request on the socket", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| rig.place_once().0).sum())
    });
}

fn main() {
    percentiles(false);
    percentiles(true);
    let mut c = Criterion::default()
        .sample_size(50)
        .measurement_time(Duration::from_secs(5))
        .configure_from_args();
    benches(&mut c);
    c.final_summary();
}
