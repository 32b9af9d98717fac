//! Start to first frame with a 1 GB history file: the real binary in a pseudo-terminal,
//! timed from spawn until the status bar is on screen. The file (15 M recorded trades, 20,000
//! orders with fills) is built once under `target/bench-history/` and reused.

use criterion::{Criterion, criterion_group, criterion_main};
use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use rust_decimal::Decimal;
use speedtrade::domain::*;
use speedtrade::store::Store;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const TARGET_BYTES: u64 = 1 << 30;

fn order(i: u64) -> Order {
    Order {
        request: OrderRequest {
            client_order_id: ClientOrderId::new(&format!("bench-{i}")).expect("id"),
            venue: VenueId::Paper,
            symbol: Symbol::new("BTCUSDT").expect("symbol"),
            side: if i.is_multiple_of(2) {
                Side::Buy
            } else {
                Side::Sell
            },
            order_type: OrderType::Limit,
            amount: OrderAmount::Base(Qty::from_units(1_000_000)),
            price: Some(Price::from_int(90_000)),
            stop_price: None,
            tif: TimeInForce::Gtc,
        },
        venue_order_id: Some(i.to_string()),
        status: OrderStatus::Filled,
        filled_qty: Qty::from_units(1_000_000),
        filled_quote: Decimal::new(900, 0),
        reject_reason: None,
        created_at: 1_700_000_000_000 + i as i64,
        updated_at: 1_700_000_000_000 + i as i64,
    }
}

fn fill(o: &Order, i: u64) -> Fill {
    Fill {
        client_order_id: o.request.client_order_id.clone(),
        venue: VenueId::Paper,
        symbol: o.request.symbol.clone(),
        side: o.request.side,
        price: Price::from_int(90_000),
        qty: Qty::from_units(1_000_000),
        fee: Decimal::new(9, 1),
        fee_asset: "USDT".into(),
        trade_id: format!("t{i}"),
        is_maker: false,
        time: o.created_at,
    }
}

/// Builds the history file if it is not there yet.
fn history(dir: &Path) -> PathBuf {
    let file = dir.join(speedtrade::store::FILE_NAME);
    if file.metadata().map(|m| m.len()).unwrap_or(0) >= TARGET_BYTES {
        return file;
    }
    let _ = std::fs::remove_dir_all(dir);
    let store = Store::open(&file).expect("store");
    for i in 0..20_000 {
        let o = order(i);
        store
            .journal_new_order(&o, "paper")
            .wait()
            .expect("journal");
        let _ = store
            .journal_update(&o, Vec::new(), vec![fill(&o, i)])
            .wait()
            .expect("fill");
    }
    let btc = Symbol::new("BTCUSDT").expect("symbol");
    let mut id = 0u64;
    while file.metadata().map(|m| m.len()).unwrap_or(0) < TARGET_BYTES {
        let batch: Vec<Trade> = (0..100_000)
            .map(|_| {
                id += 1;
                Trade {
                    symbol: btc.clone(),
                    id,
                    price: Price::from_units(9_000_000_000_000 + (id as i64 * 7919) % 100_000_000),
                    qty: Qty::from_units(1 + (id as i64 * 104_729) % 100_000_000),
                    taker_side: if id.is_multiple_of(3) {
                        Side::Sell
                    } else {
                        Side::Buy
                    },
                    time: 1_700_000_000_000 + id as i64,
                }
            })
            .collect();
        store.record_trades(VenueId::Binance, batch);
        store.flush().wait().expect("flush");
    }
    store.close().expect("close");
    file
}

/// Spawns the UI on `data` and returns how long until the status bar was drawn.
fn first_frame(data: &Path, config: &Path) -> Duration {
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 50,
            cols: 200,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("pty");
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_speedtrade"));
    cmd.env("SPEEDTRADE_DATA_DIR", data);
    cmd.env("SPEEDTRADE_CONFIG", config);
    cmd.env("TERM", "xterm-256color");
    let mut reader = pair.master.try_clone_reader().expect("reader");
    let start = Instant::now();
    let mut child = pair.slave.spawn_command(cmd).expect("spawn");
    let mut parser = vt100::Parser::new(50, 200, 0);
    let mut buf = [0u8; 65536];
    let elapsed = loop {
        let n = reader.read(&mut buf).expect("read");
        parser.process(&buf[..n]);
        if parser.screen().contents().contains("PAPER") {
            break start.elapsed();
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    elapsed
}

fn startup(c: &mut Criterion) {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-history");
    let file = history(&dir);
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    eprintln!(
        "history file: {} ({:.2} GB)",
        file.display(),
        size as f64 / 1e9
    );
    let config = dir.join("offline.toml");
    std::fs::write(
        &config,
        "[venues.binance]\nrest_url = \"http://127.0.0.1:9\"\nws_url = \"ws://127.0.0.1:9\"\n",
    )
    .expect("config");
    let mut group = c.benchmark_group("startup");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.bench_function("first_frame_1gb_history", |b| {
        b.iter(|| first_frame(&dir, &config))
    });
    group.finish();
}

criterion_group!(benches, startup);
criterion_main!(benches);
