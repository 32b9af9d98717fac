//! `speedtrade export` on a real history file: rows written through the store's own API come
//! out exactly (decimals as stored, awkward text escaped), as CSV with a header and as JSON
//! lines, with RFC 3339 times plus the raw milliseconds, filtered by `--since`; the real
//! binary reports a bad date clearly.

#![allow(clippy::unwrap_used)] // test helpers unwrap freely

use rust_decimal::Decimal;
use serde_json::Value;
use speedtrade::cli::ExportFormat;
use speedtrade::commands::export::{export, parse_since};
use speedtrade::domain::*;
use speedtrade::store::{ExportTable, PointKind, PortfolioPoint, Store};
use std::process::Command;
use std::str::FromStr;

const MAY_30: i64 = 1_717_027_200_000; // 2024-05-30T00:00:00Z
const DAY: i64 = 86_400_000;
const NASTY: &str = "Filter failure: PRICE_FILTER, \"tick\" is 0.01\nsecond line, too";

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn order(id: &str, created_at: i64, price: &str) -> Order {
    Order {
        request: OrderRequest {
            client_order_id: ClientOrderId::new(id).unwrap(),
            venue: VenueId::Binance,
            symbol: Symbol::new("BTCUSDT").unwrap(),
            side: Side::Buy,
            order_type: OrderType::Limit,
            amount: OrderAmount::Base(Qty::parse("0.00012345").unwrap()),
            price: Some(Price::parse(price).unwrap()),
            stop_price: None,
            tif: TimeInForce::Gtc,
        },
        venue_order_id: None,
        status: OrderStatus::PendingSubmit,
        filled_qty: Qty::ZERO,
        filled_quote: Decimal::ZERO,
        reject_reason: None,
        created_at,
        updated_at: created_at,
    }
}

fn fill(o: &Order, trade_id: &str, time: i64, maker: bool) -> Fill {
    Fill {
        client_order_id: o.request.client_order_id.clone(),
        venue: VenueId::Binance,
        symbol: o.request.symbol.clone(),
        side: Side::Buy,
        price: Price::parse("43250.12").unwrap(),
        qty: Qty::parse("0.0001").unwrap(),
        fee: dec("0.00000012345"),
        fee_asset: "BNB".into(),
        trade_id: trade_id.into(),
        is_maker: maker,
        time,
    }
}

/// A history file with three orders (one rejected with an awkward reason, one filled twice),
/// two candles and two equity points, on 2024-05-30, 05-31 and 06-01.
fn history() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("speedtrade.sqlite3")).unwrap();
    let a = order("exp-a", MAY_30 + 3_600_000, "43250.12");
    let mut b = order("exp-b", MAY_30 + DAY + 43_200_123, "0.00000001");
    let mut c = order("exp-c", MAY_30 + 2 * DAY, "99999.5");
    for o in [&a, &b, &c] {
        store.journal_new_order(o, "binance-test").wait().unwrap();
    }
    b.status = OrderStatus::Rejected;
    b.reject_reason = Some(NASTY.into());
    b.updated_at += 5;
    store.journal_update(&b, vec![], vec![]).wait().unwrap();
    c.status = OrderStatus::Filled;
    c.filled_qty = Qty::parse("0.0002").unwrap();
    c.filled_quote = dec("8.650024");
    let fills = vec![
        fill(&c, "t-1", MAY_30 + 2 * DAY + 1, true),
        fill(&c, "t-2", MAY_30 + 2 * DAY + 2, false),
    ];
    store.journal_update(&c, vec![], fills).wait().unwrap();
    let candle = |t: i64, close: &str| Candle {
        open_time: t,
        open: Price::parse("100").unwrap(),
        high: Price::parse("101.5").unwrap(),
        low: Price::parse("99.25").unwrap(),
        close: Price::parse(close).unwrap(),
        volume: Qty::parse("12.00000001").unwrap(),
        quote_volume: dec("1234.5678"),
        trades: 42,
        closed: t < MAY_30 + DAY,
    };
    let sym = Symbol::new("ETHUSDT").unwrap();
    let candles = vec![candle(MAY_30, "100.5"), candle(MAY_30 + DAY, "100.75")];
    store.save_candles(VenueId::Binance, sym, Interval::D1, candles);
    for (t, eq) in [(MAY_30, "10000.5"), (MAY_30 + DAY, "-12.25")] {
        let p = PortfolioPoint {
            scope: "all".into(),
            kind: PointKind::Daily,
            time: t,
            cash: dec("9000"),
            equity: dec(eq),
            realized_pnl: dec("0.00000001"),
            unrealized_pnl: dec("-3.5"),
        };
        store.save_portfolio_point(&p).wait().unwrap();
    }
    store.flush().wait().unwrap();
    (dir, store)
}

fn run(store: &Store, t: ExportTable, f: ExportFormat, since: Option<i64>) -> (u64, String) {
    let mut out = Vec::new();
    let n = export(store, t, f, since, &mut out).unwrap();
    (n, String::from_utf8(out).unwrap())
}

/// A strict RFC 4180 reader: quoted fields, doubled quotes, line breaks inside quotes.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut rows, mut row, mut field) = (Vec::new(), Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(ch) = chars.next() {
        match (quoted, ch) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(
        !quoted && field.is_empty() && row.is_empty(),
        "CSV ends mid-row"
    );
    rows
}

fn csv_records(text: &str) -> Vec<std::collections::BTreeMap<String, String>> {
    let rows = parse_csv(text);
    let header = &rows[0];
    rows[1..]
        .iter()
        .map(|r| {
            assert_eq!(r.len(), header.len(), "every row has every column");
            header.iter().cloned().zip(r.iter().cloned()).collect()
        })
        .collect()
}

#[test]
fn orders_as_csv_come_out_exactly_with_awkward_text_escaped() {
    let (_dir, store) = history();
    let (n, text) = run(&store, ExportTable::Orders, ExportFormat::Csv, None);
    assert_eq!(n, 3);
    assert!(text.starts_with(
        "created_at,created_at_ms,client_order_id,venue,profile,symbol,side,order_type,\
         amount_unit,amount,price,stop_price,tif,status,filled_qty,filled_quote,\
         venue_order_id,reject_reason,updated_at,updated_at_ms\n"
    ));
    let rows = csv_records(&text);
    assert_eq!(rows.len(), 3);
    let ids: Vec<&str> = rows.iter().map(|r| r["client_order_id"].as_str()).collect();
    assert_eq!(ids, ["exp-a", "exp-b", "exp-c"], "oldest first");
    let b = &rows[1];
    assert_eq!(b["reject_reason"], NASTY);
    assert_eq!(b["price"], "0.00000001");
    assert_eq!(b["amount"], "0.00012345");
    assert_eq!(b["status"], "rejected");
    assert_eq!(b["created_at"], "2024-05-31T12:00:00.123Z");
    assert_eq!(b["created_at_ms"], (MAY_30 + DAY + 43_200_123).to_string());
    assert_eq!(b["updated_at_ms"], (MAY_30 + DAY + 43_200_128).to_string());
    assert_eq!(b["stop_price"], "", "NULL is an empty field");
    assert_eq!(rows[0]["price"], "43250.12");
    assert_eq!(rows[2]["filled_quote"], "8.650024");
    assert_eq!(rows[2]["profile"], "binance-test");
}

#[test]
fn every_export_as_json_lines_keeps_values_types_and_column_order() {
    let (_dir, store) = history();
    let (n, text) = run(&store, ExportTable::Orders, ExportFormat::Json, None);
    assert_eq!(n, 3);
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[1]["reject_reason"], NASTY);
    assert_eq!(lines[1]["created_at"], "2024-05-31T12:00:00.123Z");
    assert_eq!(lines[1]["created_at_ms"], MAY_30 + DAY + 43_200_123);
    assert_eq!(lines[0]["reject_reason"], Value::Null);
    let keys: Vec<&String> = lines[0].as_object().unwrap().keys().collect();
    assert_eq!(
        keys[..3],
        ["created_at", "created_at_ms", "client_order_id"]
    );

    let (n, text) = run(&store, ExportTable::Fills, ExportFormat::Json, None);
    assert_eq!(n, 2);
    let f: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(f[0]["trade_id"], "t-1");
    assert_eq!(f[0]["is_maker"], true);
    assert_eq!(f[1]["is_maker"], false);
    assert_eq!(f[0]["fee"], "0.00000012345");
    assert_eq!(f[0]["price"], "43250.12");
    assert_eq!(f[0]["time"], "2024-06-01T00:00:00.001Z");

    let (_, text) = run(&store, ExportTable::Candles, ExportFormat::Json, None);
    let c: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(c.len(), 2);
    assert_eq!(c[0]["interval"], "1d");
    assert_eq!(
        (c[0]["trades"].clone(), c[0]["closed"].clone()),
        (42.into(), true.into())
    );
    assert_eq!(c[1]["closed"], false);
    assert_eq!(c[0]["volume"], "12.00000001");
    assert_eq!(c[1]["close"], "100.75");
    assert_eq!(c[0]["open_time"], "2024-05-30T00:00:00.000Z");

    let (_, text) = run(&store, ExportTable::Portfolio, ExportFormat::Csv, None);
    let p = csv_records(&text);
    assert_eq!(p.len(), 2);
    assert_eq!(p[0]["equity"], "10000.5");
    assert_eq!(p[1]["equity"], "-12.25");
    assert_eq!(p[1]["realized_pnl"], "0.00000001");
    assert_eq!(p[1]["kind"], "daily");
    assert_eq!(p[1]["time"], "2024-05-31T00:00:00.000Z");
}

#[test]
fn since_keeps_rows_from_that_day_on() {
    let (_dir, store) = history();
    let since = parse_since("2024-05-31").unwrap();
    assert_eq!(since, MAY_30 + DAY);
    let (n, text) = run(&store, ExportTable::Orders, ExportFormat::Csv, Some(since));
    assert_eq!(n, 2);
    let ids: Vec<String> = csv_records(&text)
        .into_iter()
        .map(|r| r["client_order_id"].clone())
        .collect();
    assert_eq!(ids, ["exp-b", "exp-c"]);
    let later = parse_since("2024-06-02").unwrap();
    let (n, text) = run(&store, ExportTable::Fills, ExportFormat::Csv, Some(later));
    assert_eq!(n, 0);
    assert_eq!(text.lines().count(), 1, "the header alone");
    let (n, _) = run(
        &store,
        ExportTable::Candles,
        ExportFormat::Json,
        Some(since),
    );
    assert_eq!(n, 1);
}

fn speedtrade(data: &std::path::Path, args: &[&str]) -> std::process::Output {
    let cfg = data.join("config.toml");
    if !cfg.exists() {
        std::fs::write(&cfg, "").unwrap();
    }
    Command::new(env!("CARGO_BIN_EXE_speedtrade"))
        .args(args)
        .env("SPEEDTRADE_CONFIG", &cfg)
        .env("SPEEDTRADE_DATA_DIR", data)
        .output()
        .unwrap()
}

#[test]
fn the_binary_exports_and_explains_a_bad_date() {
    let (dir, store) = history();
    drop(store);
    let out = speedtrade(dir.path(), &["export", "fills", "--format", "csv"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(text.lines().count(), 3);
    assert!(text.starts_with("time,time_ms,venue,symbol,trade_id,"));
    let out = speedtrade(dir.path(), &["export", "orders", "--since", "2024-13-01"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--since wants a date like 2024-05-31 (YYYY-MM-DD, UTC), not `2024-13-01`"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
    let empty = tempfile::tempdir().unwrap();
    let out = speedtrade(empty.path(), &["export", "orders"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no history file"));
}
