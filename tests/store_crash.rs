//! A process killed with SIGKILL during heavy writes leaves a file that opens, passes
//! `PRAGMA integrity_check`, and holds every order whose journaling was acknowledged.
//!
//! The test re-runs its own binary as the child (the ignored test `crash_child`, selected with
//! `--ignored --exact`), reads the ids it prints after each acknowledged journal write, and
//! kills it with SIGKILL in the middle of the writes.

#![allow(clippy::unwrap_used)] // test helpers: a failed setup should panic loudly

use rust_decimal::Decimal;
use speedtrade::domain::*;
use speedtrade::store::{OrderEventKind, OrderEventRow, Store};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const DIR_VAR: &str = "SPEEDTRADE_CRASH_TEST_DIR";

fn order(n: u64) -> Order {
    Order {
        request: OrderRequest {
            client_order_id: ClientOrderId::new(&format!("st-crash-{n}")).unwrap(),
            venue: VenueId::Paper,
            symbol: Symbol::new("BTCUSDT").unwrap(),
            side: if n.is_multiple_of(2) {
                Side::Buy
            } else {
                Side::Sell
            },
            order_type: OrderType::Limit,
            amount: OrderAmount::Base(Qty::parse("0.001").unwrap()),
            price: Some(Price::from_units(4_300_000_000_000 + n as i64)),
            stop_price: None,
            tif: TimeInForce::Gtc,
        },
        venue_order_id: None,
        status: OrderStatus::PendingSubmit,
        filled_qty: Qty::ZERO,
        filled_quote: Decimal::ZERO,
        reject_reason: None,
        created_at: now_ms(),
        updated_at: now_ms(),
    }
}

/// The child: records trades flat out on one thread and journals orders on another, printing
/// `J <n>` after each acknowledged journal write and `T <n>` as trades are queued.
#[test]
#[ignore = "child process of sigkill_during_heavy_writes_keeps_every_journaled_order"]
fn crash_child() {
    let Ok(dir) = std::env::var(DIR_VAR) else {
        return;
    };
    let store = Store::open(std::path::Path::new(&dir).join("h.sqlite3")).unwrap();
    let tape = store.clone();
    std::thread::spawn(move || {
        let sym = Symbol::new("ETHUSDT").unwrap();
        for batch in 0u64.. {
            let trades = (0..1000)
                .map(|i| Trade {
                    symbol: sym.clone(),
                    id: batch * 1000 + i,
                    price: Price::from_units(200_000_000_000 + i as i64),
                    qty: Qty::from_units(1_000_000),
                    taker_side: Side::Buy,
                    time: (batch * 1000 + i) as i64,
                })
                .collect();
            tape.record_trades(VenueId::Binance, trades);
            if tape.stats().backlog > 200 {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    });
    let mut out = std::io::stdout().lock();
    for n in 0u64.. {
        let mut o = order(n);
        store.journal_new_order(&o, "paper").wait().unwrap();
        writeln!(out, "J {n}").unwrap();
        out.flush().unwrap();
        o.status = OrderStatus::New;
        let ev = OrderEventRow::now(
            &o.request.client_order_id,
            OrderEventKind::Status,
            Some(o.status),
            None,
        );
        drop(store.journal_update(&o, vec![ev], vec![]));
        writeln!(out, "T {}", store.stats().rows_written).unwrap();
    }
}

#[test]
fn sigkill_during_heavy_writes_keeps_every_journaled_order() {
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args([
            "crash_child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(DIR_VAR, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut acked = Vec::new();
    let mut trades_written = 0u64;
    let deadline = Instant::now() + Duration::from_secs(60);
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(n) = line.strip_prefix("J ") {
            acked.push(n.parse::<u64>().unwrap());
        } else if let Some(n) = line.strip_prefix("T ") {
            trades_written = n.parse().unwrap();
        }
        let busy_enough = acked.len() >= 300 && trades_written >= 100_000;
        if busy_enough || Instant::now() > deadline {
            break;
        }
    }
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    assert!(
        acked.len() >= 300,
        "child journaled only {} orders",
        acked.len()
    );
    assert!(
        trades_written >= 100_000,
        "child wrote only {trades_written} trades"
    );

    let store = Store::open(dir.path().join("h.sqlite3")).unwrap();
    assert_eq!(store.integrity_check().unwrap(), Vec::<String>::new());
    for n in &acked {
        let id = ClientOrderId::new(&format!("st-crash-{n}")).unwrap();
        let o = store.order(&id).unwrap();
        assert!(
            o.is_some(),
            "acknowledged order {id} is missing after the crash"
        );
    }
    eprintln!(
        "after SIGKILL: {} acknowledged orders all present, {} trades on file",
        acked.len(),
        store.trade_count().unwrap()
    );
}
