//! Render cost at 200×50 with every pane populated: the full frame (ratatui's own pipeline, as
//! the snapshot tests draw), and the app's incremental screen — one pane drawn again and
//! compared (the chart: only its newest candle, as nothing else changed), and a book update or
//! a trade drawn, diffed and encoded (a trade at a new high redraws the whole chart).

use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::{CrosstermBackend, TestBackend};
use speedtrade::app::{Action, AppState, KeyMap, update};
use speedtrade::config;
use speedtrade::domain::*;
use speedtrade::tui::render::Screen;
use speedtrade::venue::MarketEvent;
use std::hint::black_box;

const NOW: i64 = 1_700_000_000_000;

fn price(cents: i64) -> Price {
    Price::from_units(cents * 1_000_000)
}

fn book(mid: i64) -> BookTop {
    let lv = |c: i64, i: i64| Level {
        price: price(c),
        qty: Qty::from_units(1_000_000 * (1 + (i * 37) % 250)),
    };
    BookTop {
        update_id: mid as u64,
        bids: (0..100).map(|i| lv(mid - 1 - i, i)).collect(),
        asks: (0..100).map(|i| lv(mid + 1 + i, i + 3)).collect(),
        stale: false,
    }
}

/// Every pane populated: watchlist tickers, a 100-level book, 200 trades, 600 candles.
fn populated() -> AppState {
    let c = config::parse_layered(Some(("bench.toml", "[ui]\nclock = \"utc\"\n"))).expect("config");
    let mut s = AppState::new(&c, KeyMap::from_table(&c.keys).expect("keys"), false, NOW);
    let btc = Symbol::new("BTCUSDT").expect("symbol");
    for (i, sym) in s.watchlist().to_vec().into_iter().enumerate() {
        let p = price(9_000_000 + i as i64 * 1000);
        let t = Ticker24h {
            symbol: sym,
            last: p,
            open: p,
            high: p,
            low: p,
            volume: Qty::from_int(1000),
            quote_volume: 123_456_789.into(),
            change_pct: rust_decimal::Decimal::new(i as i64 * 37 - 50, 2),
            time: NOW,
        };
        update(&mut s, Action::Market(MarketEvent::Ticker(t)));
    }
    update(
        &mut s,
        Action::Market(MarketEvent::Book {
            symbol: btc.clone(),
            top: book(9_000_000),
        }),
    );
    for i in 0..200 {
        let t = Trade {
            symbol: btc.clone(),
            id: i,
            price: price(9_000_000 + (i as i64 * 7) % 50),
            qty: Qty::from_units(123_456 * (1 + i as i64 % 9)),
            taker_side: if i % 3 == 0 { Side::Sell } else { Side::Buy },
            time: NOW + i as i64 * 100,
        };
        update(&mut s, Action::Market(MarketEvent::Trade(t)));
    }
    let candles = (0..600)
        .map(|i: i64| {
            let o = 9_000_000 + (i * 131) % 700 - 350;
            let cl = o + (i * 53) % 300 - 150;
            Candle {
                open_time: NOW - (600 - i) * 60_000,
                open: price(o),
                high: price(o.max(cl) + 40),
                low: price(o.min(cl) - 40),
                close: price(cl),
                volume: Qty::from_int(1 + i % 17),
                quote_volume: Default::default(),
                trades: 10,
                closed: true,
            }
        })
        .collect();
    let history = MarketEvent::History {
        symbol: btc,
        interval: Interval::M1,
        candles,
    };
    update(&mut s, Action::Market(history));
    s
}

fn render(c: &mut Criterion) {
    let state = populated();
    let mut frame_only = Terminal::new(TestBackend::new(200, 50)).expect("terminal");
    c.bench_function("frame_200x50", |b| {
        b.iter(|| {
            frame_only
                .draw(|f| speedtrade::ui::draw(f, black_box(&state)))
                .expect("draw");
        })
    });

    // The real path: frame, diff against the previous one, encode escape sequences.
    let mut state = state;
    let viewport = ratatui::Viewport::Fixed(ratatui::layout::Rect::new(0, 0, 200, 50));
    let mut term = Terminal::with_options(
        CrosstermBackend::new(std::io::sink()),
        ratatui::TerminalOptions { viewport },
    )
    .expect("terminal");
    let btc = Symbol::new("BTCUSDT").expect("symbol");
    let mut mid = 9_000_000;
    c.bench_function("frame_diff_encode_200x50_book_changed", |b| {
        b.iter(|| {
            let top = moved_book(&mut mid);
            let symbol = btc.clone();
            update(
                &mut state,
                Action::Market(MarketEvent::Book { symbol, top }),
            );
            term.draw(|f| speedtrade::ui::draw(f, &state))
                .expect("draw");
        })
    });
}

/// The populated state and a screen that has drawn it all once, for the incremental benches.
fn drawn() -> (AppState, Screen) {
    let mut state = populated();
    let mut screen = Screen::new(200, 50);
    let all = state.damage.take();
    screen.frame(&state, all);
    (state, screen)
}

/// Applies `action` and draws the frame; returns the bytes the frame sends.
fn frame_after(state: &mut AppState, screen: &mut Screen, action: Action) -> usize {
    update(state, action);
    let damage = state.damage.take();
    screen.frame(state, damage).len()
}

/// The book around `mid` after it moves: every price, by turns 3 cents up and 2 down.
fn moved_book(mid: &mut i64) -> BookTop {
    *mid += if *mid % 2 == 0 { 3 } else { -2 };
    book(*mid)
}

/// The book moves ([`moved_book`]) and the frame is drawn; returns the bytes the frame sends.
fn book_update(state: &mut AppState, screen: &mut Screen, btc: &Symbol, mid: &mut i64) -> usize {
    let top = moved_book(mid);
    let symbol = btc.clone();
    frame_after(
        state,
        screen,
        Action::Market(MarketEvent::Book { symbol, top }),
    )
}

/// Trade `id` of BTCUSDT at `price`, in the minute after the candles (10 ms apart).
fn trade(btc: &Symbol, id: u64, price: Price) -> Trade {
    Trade {
        symbol: btc.clone(),
        id,
        price,
        qty: Qty::from_units(123_456 * (1 + id as i64 % 9)),
        taker_side: if id.is_multiple_of(3) {
            Side::Sell
        } else {
            Side::Buy
        },
        time: NOW + 20_000 + id as i64 * 10,
    }
}

fn incremental(c: &mut Criterion) {
    use speedtrade::app::Damage;
    let (mut state, mut screen) = drawn();
    for (name, part) in [
        ("pane_book", Damage::BOOK),
        ("pane_chart", Damage::CHART),
        ("pane_tape", Damage::TAPE),
        ("pane_watchlist", Damage::WATCHLIST),
        ("pane_status", Damage::STATUS),
    ] {
        c.bench_function(name, |b| b.iter(|| screen.frame(&state, part).len()));
    }
    let btc = Symbol::new("BTCUSDT").expect("symbol");
    let mut mid = 9_000_000;
    c.bench_function("incremental_book_update_200x50", |b| {
        b.iter(|| book_update(&mut state, &mut screen, &btc, &mut mid))
    });
    let mut id = 1000;
    c.bench_function("incremental_trade_200x50", |b| {
        b.iter(|| {
            id += 1;
            let t = trade(&btc, id, price(9_000_000 + (id as i64 * 7) % 50));
            frame_after(
                &mut state,
                &mut screen,
                Action::Market(MarketEvent::Trade(t)),
            )
        })
    });
}

/// A trade at a new high every time: the chart's scale moves, so all of it is drawn again (a
/// trade inside the range redraws only the newest candle, as `incremental_trade` measures).
fn trending(c: &mut Criterion) {
    let (mut state, mut screen) = drawn();
    let btc = Symbol::new("BTCUSDT").expect("symbol");
    let mut id = 1000;
    c.bench_function("incremental_trade_new_high_200x50", |b| {
        b.iter(|| {
            id += 1;
            let t = trade(&btc, id, price(9_100_000 + id as i64));
            frame_after(
                &mut state,
                &mut screen,
                Action::Market(MarketEvent::Trade(t)),
            )
        })
    });
}

criterion_group!(benches, render, incremental, trending, cold);
criterion_main!(benches);

/// Evicts the caches: the live client draws a frame every 30–100 ms, with other processes
/// running in between, so its frames start cold.
fn evict(sweep: &mut [u64]) {
    for (i, w) in sweep.iter_mut().enumerate().step_by(8) {
        *w = w.wrapping_add(i as u64);
    }
    black_box(&sweep[..]);
}

fn cold(c: &mut Criterion) {
    let (mut state, mut screen) = drawn();
    let btc = Symbol::new("BTCUSDT").expect("symbol");
    let mut sweep = vec![0u64; 4 << 20];
    let mut mid = 9_000_000;
    c.bench_function("cold_book_update_200x50", |b| {
        b.iter_custom(|n| {
            let mut total = std::time::Duration::ZERO;
            for _ in 0..n {
                evict(&mut sweep);
                let t0 = std::time::Instant::now();
                black_box(book_update(&mut state, &mut screen, &btc, &mut mid));
                total += t0.elapsed();
            }
            total
        })
    });
}
