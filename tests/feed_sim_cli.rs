//! The real binary's `speedtrade book` and `speedtrade watch` against a simulator (in-process,
//! or the real `speedtrade sim` with gap faults): the JSON line shape, exact levels once the
//! market pauses, increasing update ids, exit codes, and a clear error for an unknown symbol.

#![allow(clippy::unwrap_used)] // test helpers unwrap freely

mod support_feedsim;

use serde_json::Value;
use speedtrade::domain::{Price, Qty};
use speedtrade::sim::{SimArgs, SimHandle};
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Longest wait for a line or an exit.
const T: Duration = Duration::from_secs(30);

/// A temp dir with a config file pointing Binance at `rest` / `ws`.
fn config_dir(rest: &str, ws: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let cfg = format!("[venues.binance]\nrest_url = \"{rest}\"\nws_url = \"{ws}\"\n");
    std::fs::write(dir.path().join("config.toml"), cfg).unwrap();
    dir
}

fn command(args: &[&str], dir: &tempfile::TempDir) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_speedtrade"));
    c.args(args)
        .env("SPEEDTRADE_CONFIG", dir.path().join("config.toml"))
        .env("SPEEDTRADE_DATA_DIR", dir.path().join("data"))
        .env_remove("RUST_LOG");
    c
}

/// A running command whose stdout lines arrive on a channel.
struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Running {
    fn start(args: &[&str], dir: &tempfile::TempDir) -> Running {
        let mut child = command(args, dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Running {
            child,
            lines,
            seen: vec![],
        }
    }

    /// The next line, or `None` at the end of the output or after `timeout`.
    fn next(&mut self, timeout: Duration) -> Option<Value> {
        let line = self.lines.recv_timeout(timeout).ok()?;
        let v = serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        self.seen.push(line);
        Some(v)
    }

    /// Waits for the exit; returns the status code, every stdout line and stderr.
    fn finish(mut self) -> (Option<i32>, Vec<Value>, String) {
        let end = Instant::now() + T;
        while self
            .next(end.saturating_duration_since(Instant::now()))
            .is_some()
        {}
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > end {
                let _ = self.child.kill();
                panic!("the command did not exit; it printed {:?}", self.seen);
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            e.read_to_string(&mut err).unwrap();
        }
        let lines = self
            .seen
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        (status.code(), lines, err)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A simulator on its own runtime (the test thread blocks on the child's output).
struct Sim {
    handle: Option<SimHandle>,
    rt: Option<tokio::runtime::Runtime>,
}

impl Sim {
    fn start(args: SimArgs) -> Sim {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let handle = rt.block_on(support_feedsim::start_sim(args));
        Sim {
            handle: Some(handle),
            rt: Some(rt),
        }
    }
    fn h(&self) -> &SimHandle {
        self.handle.as_ref().unwrap()
    }
    fn config(&self) -> tempfile::TempDir {
        config_dir(&self.h().rest_url(), &self.h().ws_url())
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        if let (Some(h), Some(rt)) = (self.handle.take(), self.rt.take()) {
            rt.block_on(h.shutdown());
            rt.shutdown_timeout(Duration::from_secs(1));
        }
    }
}

fn sim_args(rate: u32) -> SimArgs {
    SimArgs {
        symbols: vec!["BTCUSDT".into(), "ETHUSDT".into()],
        rate,
        seed: 5,
        ..SimArgs::default()
    }
}

/// `[[price, qty], ..]` of decimal strings → exact values (panics on anything else).
fn levels(v: &Value) -> Side {
    v.as_array()
        .unwrap_or_else(|| panic!("levels are an array: {v}"))
        .iter()
        .map(|l| {
            let pair = l.as_array().filter(|a| a.len() == 2);
            let pair = pair.unwrap_or_else(|| panic!("a level is [price, qty]: {l}"));
            let p = pair[0].as_str().and_then(|s| Price::parse(s).ok());
            let q = pair[1].as_str().and_then(|s| Qty::parse(s).ok());
            (p.expect("price is a decimal string"), q.expect("qty too"))
        })
        .collect()
}

/// Exact levels of one side, best first.
type Side = Vec<(Price, Qty)>;

/// Checks one `book` line's shape; returns (event, update_id, bids, asks).
fn book_line(v: &Value, depth: usize) -> (String, u64, Side, Side) {
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["event", "symbol", "update_id", "bids", "asks"],
        "{v}"
    );
    assert_eq!(v["symbol"], "BTCUSDT");
    let event = v["event"].as_str().unwrap().to_string();
    assert!(event == "snapshot" || event == "update", "{v}");
    let id = v["update_id"].as_u64().expect("update_id is a number");
    let (bids, asks) = (levels(&v["bids"]), levels(&v["asks"]));
    assert_eq!((bids.len(), asks.len()), (depth, depth), "{v}");
    assert!(
        bids.windows(2).all(|w| w[0].0 > w[1].0),
        "bids best first: {v}"
    );
    assert!(
        asks.windows(2).all(|w| w[0].0 < w[1].0),
        "asks best first: {v}"
    );
    assert!(bids[0].0 < asks[0].0, "uncrossed: {v}");
    assert!(bids.iter().chain(&asks).all(|l| !l.1.is_zero()), "{v}");
    (event, id, bids, asks)
}

/// Checks every line of a `book` run; returns how many were snapshots.
fn check_book_run(lines: &[Value], depth: usize) -> usize {
    let mut last = 0;
    let mut snapshots = 0;
    for (i, v) in lines.iter().enumerate() {
        let (event, id, _, _) = book_line(v, depth);
        if i == 0 {
            assert_eq!(event, "snapshot", "the first line is a snapshot");
        }
        snapshots += usize::from(event == "snapshot");
        assert!(id > last, "update ids increase: {id} after {last}");
        last = id;
    }
    snapshots
}

/// Pauses the market until the command prints the simulator's current book, and asserts the
/// printed levels equal the simulator's best `depth` exactly; then resumes. A diff the gap
/// fault dropped just before the pause leaves the client behind with nothing to tell it, so
/// the market then runs on a little and pauses again.
fn pause_and_compare(sim: &SimHandle, run: &mut Running, depth: usize) -> u64 {
    for _ in 0..10 {
        sim.pause_market();
        let want = sim.book("BTCUSDT").unwrap();
        let end = Instant::now() + Duration::from_secs(3);
        while let Some(v) = run.next(end.saturating_duration_since(Instant::now())) {
            let (_, id, bids, asks) = book_line(&v, depth);
            if id == want.last_update_id {
                assert_eq!(bids, want.bids[..depth], "bids at {id}");
                assert_eq!(asks, want.asks[..depth], "asks at {id}");
                sim.resume_market();
                return id;
            }
        }
        // Nothing more is coming: either in sync already (the line was printed before we
        // looked) or behind. Compare the last line printed, if it is the simulator's id.
        if let Some(last) = run.seen.last() {
            let v: Value = serde_json::from_str(last).unwrap();
            let (_, id, bids, asks) = book_line(&v, depth);
            let now = sim.book("BTCUSDT").unwrap();
            if id == now.last_update_id {
                assert_eq!(bids, now.bids[..depth], "bids at {id}");
                assert_eq!(asks, now.asks[..depth], "asks at {id}");
                sim.resume_market();
                return id;
            }
        }
        sim.resume_market();
        let before = want.last_update_id;
        let end = Instant::now() + Duration::from_secs(5);
        while sim.book("BTCUSDT").unwrap().last_update_id <= before && Instant::now() < end {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    panic!("the printed book never caught up with the simulator");
}

#[test]
fn book_prints_snapshot_then_updates_equal_to_the_simulator() {
    let sim = Sim::start(sim_args(50));
    let dir = sim.config();
    let mut run = Running::start(
        &["book", "BTCUSDT", "--depth", "5", "--max-events", "20"],
        &dir,
    );
    for _ in 0..5 {
        run.next(T).expect("a line");
    }
    let id = pause_and_compare(sim.h(), &mut run, 5);
    let (code, lines, err) = run.finish();
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(lines.len(), 20);
    assert_eq!(check_book_run(&lines, 5), 1, "one snapshot, then updates");
    eprintln!("book: 20 lines, exact at update id {id}");
}

#[test]
fn book_of_a_quiet_market_prints_its_snapshot() {
    let sim = Sim::start(sim_args(50));
    sim.h().pause_market();
    let dir = sim.config();
    let run = Running::start(
        &["book", "BTCUSDT", "--depth", "5", "--max-events", "1"],
        &dir,
    );
    let (code, lines, err) = run.finish();
    assert_eq!(code, Some(0), "{err}");
    let (event, id, bids, asks) = book_line(&lines[0], 5);
    let want = sim.h().book("BTCUSDT").unwrap();
    assert_eq!((event.as_str(), id), ("snapshot", want.last_update_id));
    assert_eq!(
        (bids, asks),
        (want.bids[..5].to_vec(), want.asks[..5].to_vec())
    );
}

#[test]
fn watch_prints_trade_and_ticker_lines() {
    let sim = Sim::start(sim_args(50));
    let dir = sim.config();
    let run = Running::start(&["watch", "BTCUSDT", "ETHUSDT", "--max-events", "10"], &dir);
    let (code, lines, err) = run.finish();
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(lines.len(), 10);
    let mut last_trade: std::collections::HashMap<String, u64> = Default::default();
    for v in &lines {
        let symbol = v["symbol"].as_str().unwrap().to_string();
        assert!(symbol == "BTCUSDT" || symbol == "ETHUSDT", "{v}");
        assert!(v["time"].as_i64().unwrap() > 0, "{v}");
        match v["event"].as_str().unwrap() {
            "trade" => {
                let id = v["id"].as_u64().unwrap();
                let prev = last_trade.insert(symbol, id);
                assert!(prev.is_none_or(|p| id > p), "trade ids increase: {v}");
                Price::parse(v["price"].as_str().unwrap()).unwrap();
                assert!(!Qty::parse(v["qty"].as_str().unwrap()).unwrap().is_zero());
                assert!(
                    ["buy", "sell"].contains(&v["side"].as_str().unwrap()),
                    "{v}"
                );
            }
            "ticker" => {
                for k in ["last", "open", "high", "low", "volume", "quote_volume"] {
                    Price::parse(v[k].as_str().unwrap()).unwrap();
                }
                let low = Price::parse(v["low"].as_str().unwrap()).unwrap();
                let high = Price::parse(v["high"].as_str().unwrap()).unwrap();
                assert!(low <= high, "{v}");
            }
            other => panic!("unexpected event {other}: {v}"),
        }
    }
}

fn run_to_end(args: &[&str], dir: &tempfile::TempDir) -> Output {
    command(args, dir).output().unwrap()
}

#[test]
fn an_unknown_symbol_is_a_clear_error() {
    let sim = Sim::start(sim_args(10));
    let dir = sim.config();
    for args in [
        &["book", "NOPEUSDT", "--max-events", "1"][..],
        &["watch", "BTCUSDT", "NOPEUSDT", "--max-events", "1"][..],
    ] {
        let out = run_to_end(args, &dir);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} must fail");
        assert!(out.stdout.is_empty(), "nothing printed: {out:?}");
        assert!(
            err.contains("no symbol `NOPEUSDT`") && err.lines().count() == 1,
            "{args:?}: {err}"
        );
    }
}

/// The real `speedtrade sim` binary (with its own config and data dir), killed on drop, also
/// when a test fails.
struct RealSim {
    child: Child,
    _dir: tempfile::TempDir,
}

impl Drop for RealSim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `speedtrade sim ARGS`; returns it and its REST and WebSocket URLs.
fn real_sim(args: &[&str]) -> (RealSim, String, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.toml"), "").unwrap();
    let child = command(&[&["sim"], args].concat(), &dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut sim = RealSim { child, _dir: dir };
    let mut line = String::new();
    BufReader::new(sim.child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let info: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
    let url = |k: &str| info[k].as_str().unwrap().to_string();
    (sim, url("rest"), url("ws"))
}

#[test]
fn book_with_gap_faults_resyncs_and_stays_consistent() {
    let (sim, rest, ws) = real_sim(&[
        "--symbols",
        "BTCUSDT",
        "--rate",
        "50",
        "--fault-gap-every",
        "15",
    ]);
    let dir = config_dir(&rest, &ws);
    let run = Running::start(
        &["book", "BTCUSDT", "--depth", "5", "--max-events", "60"],
        &dir,
    );
    let (code, lines, err) = run.finish();
    drop(sim);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(lines.len(), 60);
    let snapshots = check_book_run(&lines, 5);
    assert!(
        snapshots >= 2,
        "a gap shows as a new snapshot after the resync"
    );
    eprintln!("book with gaps (speedtrade sim): 60 lines, {snapshots} snapshots");
}

#[test]
fn book_with_gap_faults_equals_the_simulator_after_resync() {
    let sim = Sim::start(SimArgs {
        fault_gap_every: Some(15),
        ..sim_args(50)
    });
    let dir = sim.config();
    let mut run = Running::start(
        &["book", "BTCUSDT", "--depth", "5", "--max-events", "80"],
        &dir,
    );
    let mut exact = vec![];
    for _ in 0..2 {
        // Let a few gaps and resyncs happen, then compare.
        let mut snapshots = 0;
        while snapshots < 2 {
            let v = run.next(T).expect("a line");
            snapshots += usize::from(v["event"] == "snapshot");
        }
        exact.push(pause_and_compare(sim.h(), &mut run, 5));
    }
    let (code, lines, err) = run.finish();
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(lines.len(), 80);
    let snapshots = check_book_run(&lines, 5);
    eprintln!("book with gaps: 80 lines, {snapshots} snapshots, exact at {exact:?}");
}
