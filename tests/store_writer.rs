//! The writer thread: batched market data, jobs that overtake it, the recording rate, and the
//! query areas round-tripping exact values.

#![allow(clippy::unwrap_used)] // test helpers: a failed setup should panic loudly

use rusqlite::Connection;
use rust_decimal::Decimal;
use speedtrade::domain::*;
use speedtrade::store::*;
use std::sync::{Arc, Barrier};
use std::time::Instant;

fn trades(sym: &Symbol, from: u64, n: u64) -> Vec<Trade> {
    (from..from + n)
        .map(|i| Trade {
            symbol: sym.clone(),
            id: i,
            price: Price::from_units(4_325_012_345_678 + i as i64),
            qty: Qty::from_units(123_456 + (i % 1000) as i64),
            taker_side: if i.is_multiple_of(2) {
                Side::Buy
            } else {
                Side::Sell
            },
            time: 1_700_000_000_000 + i as i64,
        })
        .collect()
}

fn order(id: &str) -> Order {
    Order {
        request: OrderRequest {
            client_order_id: ClientOrderId::new(id).unwrap(),
            venue: VenueId::Paper,
            symbol: Symbol::new("BTCUSDT").unwrap(),
            side: Side::Buy,
            order_type: OrderType::Limit,
            amount: OrderAmount::Base(Qty::parse("0.015").unwrap()),
            price: Some(Price::parse("43250.12").unwrap()),
            stop_price: None,
            tif: TimeInForce::Gtc,
        },
        venue_order_id: None,
        status: OrderStatus::PendingSubmit,
        filled_qty: Qty::ZERO,
        filled_quote: Decimal::ZERO,
        reject_reason: None,
        created_at: 1_700_000_000_000,
        updated_at: 1_700_000_000_000,
    }
}

/// Counts rows that a separate connection (another process would see the same) can see.
fn committed_trades(path: &std::path::Path) -> i64 {
    let c = Connection::open(path).unwrap();
    c.query_row("SELECT count(*) FROM trades", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn records_trades_at_a_sustained_rate_and_reports_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("h.sqlite3")).unwrap();
    let sym = Symbol::new("BTCUSDT").unwrap();
    const N: u64 = 400_000;
    const BATCH: u64 = 500;
    let batches: Vec<Vec<Trade>> = (0..N / BATCH)
        .map(|b| trades(&sym, b * BATCH, BATCH))
        .collect();
    let start = Instant::now();
    for b in batches {
        store.record_trades(VenueId::Binance, b);
    }
    let queued = start.elapsed();
    store.flush().wait().unwrap();
    let elapsed = start.elapsed();
    let stats = store.stats();
    eprintln!(
        "trade recording: {N} rows in {:.3}s = {:.0} rows/s (queueing took {:.1} ms; {} commits)",
        elapsed.as_secs_f64(),
        N as f64 / elapsed.as_secs_f64(),
        queued.as_secs_f64() * 1e3,
        stats.commits
    );
    assert_eq!(store.trade_count().unwrap(), N);
    assert_eq!(stats.rows_written, N);
    assert_eq!(stats.lost_rows, 0);
    assert_eq!(stats.backlog, 0);
    let got = store
        .trades(
            VenueId::Binance,
            &sym,
            1_700_000_000_000,
            1_700_000_000_003,
            10,
        )
        .unwrap();
    assert_eq!(
        got,
        trades(&sym, 0, 3),
        "prices and quantities come back exactly"
    );
}

#[test]
fn the_order_journal_overtakes_queued_market_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.sqlite3");
    let store = Store::open(&path).unwrap();
    let sym = Symbol::new("BTCUSDT").unwrap();
    // Hold the writer inside a job while the queue fills up, so the order is deterministic.
    let gate = Arc::new(Barrier::new(2));
    let held = gate.clone();
    let blocker = store.write(move |_| {
        held.wait();
        Ok(())
    });
    for b in 0..200 {
        store.record_trades(VenueId::Binance, trades(&sym, b * 1000, 1000));
    }
    let journaled = store.journal_new_order(&order("st-overtake-1"), "paper");
    gate.wait();
    blocker.wait().unwrap();
    journaled.wait().unwrap();
    // The journal is committed and visible to another connection...
    let c = Connection::open(&path).unwrap();
    let n: i64 = c
        .query_row(
            "SELECT count(*) FROM orders WHERE client_order_id = 'st-overtake-1'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 1);
    // ...while at most one chunk of the 200,000 queued trades went in before it.
    let before = committed_trades(&path);
    assert!(
        before <= CHUNK_ROWS as i64,
        "{before} trades were written before the journal"
    );
    store.flush().wait().unwrap();
    assert_eq!(committed_trades(&path), 200_000);
}

#[test]
fn order_updates_events_and_fills_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("h.sqlite3")).unwrap();
    let mut o = order("st-roundtrip-1");
    store.journal_new_order(&o, "paper").wait().unwrap();
    o.status = OrderStatus::PartiallyFilled;
    o.venue_order_id = Some("12345".into());
    o.filled_qty = Qty::parse("0.005").unwrap();
    o.filled_quote = Decimal::from_str_exact("216.2506").unwrap();
    let fill = Fill {
        client_order_id: o.request.client_order_id.clone(),
        venue: VenueId::Paper,
        symbol: o.request.symbol.clone(),
        side: Side::Buy,
        price: Price::parse("43250.12").unwrap(),
        qty: Qty::parse("0.005").unwrap(),
        fee: Decimal::from_str_exact("0.00000005").unwrap(),
        fee_asset: "BNB".into(),
        trade_id: "777".into(),
        is_maker: true,
        time: 1_700_000_000_500,
    };
    let ev = OrderEventRow::now(
        &o.request.client_order_id,
        OrderEventKind::Status,
        Some(o.status),
        None,
    );
    let new = store
        .journal_update(&o, vec![ev], vec![fill.clone(), fill.clone()])
        .wait()
        .unwrap();
    assert_eq!(
        new,
        vec![true, false],
        "the second copy of a fill is a duplicate"
    );
    assert_eq!(
        store.order(&o.request.client_order_id).unwrap(),
        Some(o.clone())
    );
    assert_eq!(
        store.fills_for_order(&o.request.client_order_id).unwrap(),
        vec![fill]
    );
    let kinds: Vec<_> = store
        .order_events(&o.request.client_order_id)
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, [OrderEventKind::Journaled, OrderEventKind::Status]);
    assert_eq!(store.open_orders(None).unwrap(), vec![o.clone()]);
    // Updating an order that was never journaled is an error, not a silent insert.
    let stranger = order("st-never-journaled");
    assert!(
        store
            .journal_update(&stranger, vec![], vec![])
            .wait()
            .is_err()
    );
    // Journaling the same id twice is refused.
    assert!(store.journal_new_order(&o, "paper").wait().is_err());
}

#[test]
fn candles_instruments_alerts_and_portfolio_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("h.sqlite3")).unwrap();
    let sym = Symbol::new("ETHUSDT").unwrap();
    let candle = |t: i64, close: &str| Candle {
        open_time: t,
        open: Price::parse("2000.01").unwrap(),
        high: Price::parse("2010.5").unwrap(),
        low: Price::parse("1999").unwrap(),
        close: Price::parse(close).unwrap(),
        volume: Qty::parse("12.34567891").unwrap(),
        quote_volume: Decimal::from_str_exact("24691.3578212345678").unwrap(),
        trades: 42,
        closed: true,
    };
    store.save_candles(
        VenueId::Binance,
        sym.clone(),
        Interval::M1,
        vec![candle(0, "2001"), candle(60_000, "2002")],
    );
    store.save_candles(
        VenueId::Binance,
        sym.clone(),
        Interval::M1,
        vec![candle(60_000, "2003")],
    );
    store.flush().wait().unwrap();
    let got = store
        .candles(VenueId::Binance, &sym, Interval::M1, None, 10)
        .unwrap();
    assert_eq!(got, vec![candle(0, "2001"), candle(60_000, "2003")]);

    let alert = NewAlert {
        venue: VenueId::Binance,
        symbol: sym.clone(),
        kind: AlertKind::MovePct,
        threshold: Decimal::from_str_exact("2.5").unwrap(),
        window_ms: Some(300_000),
        repeat: true,
        cooldown_ms: 60_000,
        note: Some("breakout".into()),
    };
    let id = store.add_alert(&alert).wait().unwrap();
    let ev = AlertEvent {
        alert_id: id,
        time: 5,
        price: Price::parse("2051.25").unwrap(),
        message: "up 2.5%".into(),
    };
    store
        .record_alert_trigger(&ev, AlertState::Armed)
        .wait()
        .unwrap();
    let a = &store.alerts().unwrap()[0];
    assert_eq!(
        (a.def.clone(), a.trigger_count, a.last_price),
        (alert, 1, Some(ev.price))
    );
    assert_eq!(store.alert_events(10).unwrap(), vec![ev]);

    let point = PortfolioPoint {
        scope: "all".into(),
        kind: PointKind::Minute,
        time: 60_000,
        cash: Decimal::from_str_exact("100000.01").unwrap(),
        equity: Decimal::from_str_exact("101234.5678").unwrap(),
        realized_pnl: Decimal::from_str_exact("-12.5").unwrap(),
        unrealized_pnl: Decimal::from_str_exact("1247.0578").unwrap(),
    };
    store.save_portfolio_point(&point).wait().unwrap();
    assert_eq!(
        store
            .portfolio_history("all", PointKind::Minute, 0)
            .unwrap(),
        vec![point]
    );
}

/// Reports how long a journal write takes to be acknowledged (no assertion on time: the
/// figure goes to the report; the fsync cost depends on the disk).
#[test]
fn journal_acknowledgement_latency_is_reported() {
    for durable in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let opts = StoreOptions {
            durable_journal: durable,
            ..StoreOptions::default()
        };
        let store = Store::open_with(dir.path().join("h.sqlite3"), opts).unwrap();
        let mut lat: Vec<std::time::Duration> = (0..200)
            .map(|n| {
                let o = order(&format!("st-lat-{n}"));
                let t = Instant::now();
                store.journal_new_order(&o, "paper").wait().unwrap();
                t.elapsed()
            })
            .collect();
        lat.sort();
        eprintln!(
            "journal ack (durable_journal = {durable}): p50 {:?}, p99 {:?}, max {:?}",
            lat[100], lat[198], lat[199]
        );
        assert_eq!(store.open_orders(None).unwrap().len(), 200);
    }
}

#[test]
fn a_failing_or_panicking_write_does_not_stop_the_writer() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("h.sqlite3")).unwrap();
    let bad = store.write(|c| {
        c.execute(
            "INSERT INTO settings (key, value, updated_at) VALUES ('a', 'x', 1)",
            [],
        )?;
        c.execute("INSERT INTO no_such_table VALUES (1)", [])?;
        Ok(())
    });
    assert!(bad.wait().is_err());
    assert_eq!(
        store.setting("a").unwrap(),
        None,
        "a failed write is rolled back as a whole"
    );
    let boom = store.write(|_| -> StoreResult<()> { panic!("bug in a job") });
    assert!(boom.wait().is_err());
    store.set_setting("b", "still writing").wait().unwrap();
    assert_eq!(
        store.setting("b").unwrap().as_deref(),
        Some("still writing")
    );
}
