//! The incremental screen (only the panes an action changed are drawn again, only changed
//! cells are sent) must show exactly what a full redraw shows, after every action of a busy
//! session: trades, books, tickers and candles for the selected symbol and others, keys that
//! move focus, tabs and overlays, a resize.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use speedtrade::app::{Action, AppState, Damage, Key, KeyMap, KeyPress, update};
use speedtrade::config;
use speedtrade::domain::*;
use speedtrade::tui::render::Screen;
use speedtrade::venue::{ConnState, MarketEvent};

const NOW: i64 = 1_700_000_000_000;

fn state() -> AppState {
    let c = config::parse_layered(Some(("t.toml", "[ui]\nclock = \"utc\"\n"))).unwrap();
    AppState::new(&c, KeyMap::from_table(&c.keys).unwrap(), false, NOW)
}

fn price(cents: i64) -> Price {
    Price::from_units(cents * 1_000_000)
}

fn book(mid: i64, rng: &mut ChaCha8Rng) -> BookTop {
    let lv = |c: i64, rng: &mut ChaCha8Rng| Level {
        price: price(c),
        qty: Qty::from_units(100_000 * rng.random_range(1..500)),
    };
    BookTop {
        update_id: mid as u64,
        bids: (0..30).map(|i| lv(mid - 1 - i, rng)).collect(),
        asks: (0..30).map(|i| lv(mid + 1 + i, rng)).collect(),
        stale: rng.random_bool(0.05),
    }
}

/// A random action of a busy session.
fn action(rng: &mut ChaCha8Rng, t: i64, mid: &mut i64) -> Action {
    let syms = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "NOTLISTED"];
    let sym = Symbol::new(syms[rng.random_range(0..syms.len())]).unwrap();
    *mid += rng.random_range(-3..=3);
    let p = price(*mid + rng.random_range(-2..=2));
    let ev = match rng.random_range(0..100) {
        0..35 => MarketEvent::Trade(Trade {
            symbol: sym,
            id: t as u64,
            price: p,
            qty: Qty::from_units(rng.random_range(1..10_000_000)),
            taker_side: if rng.random_bool(0.5) {
                Side::Buy
            } else {
                Side::Sell
            },
            time: NOW + t * 250,
        }),
        35..70 => MarketEvent::Book {
            symbol: sym,
            top: book(*mid, rng),
        },
        70..78 => MarketEvent::Ticker(Ticker24h {
            symbol: sym,
            last: p,
            open: price(*mid - 500),
            high: price(*mid + 900),
            low: price(*mid - 900),
            volume: Qty::from_int(1000),
            quote_volume: rust_decimal::Decimal::from(rng.random_range(1_000..9_000_000_000i64)),
            change_pct: rust_decimal::Decimal::new(rng.random_range(-999..999), 2),
            time: NOW + t * 250,
        }),
        78..84 => {
            let open_time = (NOW + t * 250).div_euclid(60_000) * 60_000;
            MarketEvent::Candle {
                symbol: sym,
                interval: Interval::M1,
                candle: Candle {
                    open_time,
                    open: p,
                    high: price(*mid + 5),
                    low: price(*mid - 5),
                    close: p,
                    volume: Qty::from_int(rng.random_range(1..50)),
                    quote_volume: Default::default(),
                    trades: 3,
                    closed: false,
                },
            }
        }
        84..86 => MarketEvent::Connection {
            venue: VenueId::Binance,
            state: if rng.random_bool(0.7) {
                ConnState::Live
            } else {
                ConnState::Stale
            },
        },
        86..92 => {
            let keys = ['\t', 'j', 'k', 'm', '+', '-', 'i', '4', '6', '1', 'o', '?'];
            let c = keys[rng.random_range(0..keys.len())];
            let key = if c == '\t' { Key::Tab } else { Key::Char(c) };
            return Action::Key(KeyPress::new(key, false, false));
        }
        92..94 => return Action::Key(KeyPress::new(Key::Esc, false, false)),
        94..97 => return Action::Tick(NOW + t * 250),
        _ => return Action::Resize(rng.random_range(100..220), rng.random_range(30..60)),
    };
    Action::Market(ev)
}

fn full(s: &AppState) -> Buffer {
    let mut t = Terminal::new(TestBackend::new(s.size.0, s.size.1)).unwrap();
    t.draw(|f| speedtrade::ui::draw(f, s)).unwrap();
    t.backend().buffer().clone()
}

fn text(b: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..b.area.height {
        for x in 0..b.area.width {
            out.push_str(b[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

#[test]
fn incremental_frames_equal_full_redraws() {
    for seed in 0..4 {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut s = state();
        s.size = (200, 50);
        let mut screen = Screen::new(200, 50);
        let mut vt = vt100::Parser::new(50, 200, 0);
        let mut mid = 9_000_000;
        let mut sent = 0;
        for t in 0..400 {
            for _ in 0..rng.random_range(1..6) {
                update(&mut s, action(&mut rng, t, &mut mid));
            }
            if s.quit {
                break;
            }
            if screen.size() != s.size {
                screen.resize(s.size.0, s.size.1);
                vt.screen_mut().set_size(s.size.1, s.size.0);
            }
            let damage = s.damage.take();
            let bytes = screen.frame(&s, damage).to_vec();
            sent += bytes.len();
            vt.process(&bytes);
            let want = full(&s);
            let composed = screen.composed().clone();
            assert!(
                composed == want,
                "seed {seed} step {t}: composed differs from a full redraw\n{}\nwant\n{}",
                text(&composed),
                text(&want)
            );
            assert_eq!(
                shown_text(vt.screen()),
                text(&want),
                "seed {seed} step {t}: the terminal shows something else"
            );
        }
        assert!(sent > 0);
    }
}

/// The emulator's screen, cell by cell (the right half of a wide character left out, as a
/// buffer's text leaves out nothing but pads with the placeholder it keeps there).
fn shown_text(screen: &vt100::Screen) -> String {
    let (rows, cols) = screen.size();
    let mut out = String::new();
    for y in 0..rows {
        for x in 0..cols {
            let c = screen.cell(y, x).unwrap();
            match c.contents() {
                "" => out.push(' '),
                s => out.push_str(s),
            }
        }
        out.push('\n');
    }
    out
}

/// A chart of 200 one-minute candles ending in the current minute, for the selected symbol;
/// the newest closes at 9,000,000 cents.
fn history(s: &AppState, rng: &mut ChaCha8Rng) -> Action {
    let minute = NOW.div_euclid(60_000) * 60_000;
    let mut mid = 9_000_000;
    let candles = (0..200)
        .map(|i| {
            let open = mid;
            mid = if i == 199 {
                9_000_000
            } else {
                mid + rng.random_range(-400..=400)
            };
            Candle {
                open_time: minute - (199 - i) * 60_000,
                open: price(open),
                high: price(open.max(mid) + 300),
                low: price(open.min(mid) - 300),
                close: price(mid),
                volume: Qty::from_int(rng.random_range(1..500)),
                quote_volume: Default::default(),
                trades: 10,
                closed: i < 199,
            }
        })
        .collect();
    Action::Market(MarketEvent::History {
        symbol: s.selected.clone(),
        interval: s.chart.interval,
        candles,
    })
}

#[test]
fn a_trade_redraws_only_the_newest_candle_of_the_chart_and_it_matches_a_full_redraw() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut s = state();
    s.size = (200, 50);
    let backfill = history(&s, &mut rng);
    update(&mut s, backfill);
    for mode in ["candles", "line"] {
        if mode == "line" {
            update(
                &mut s,
                Action::Key(KeyPress::new(Key::Char('m'), false, false)),
            );
        }
        // Frames over one buffer that keeps what earlier frames drew, as the screen does.
        let mut t = Terminal::new(TestBackend::new(200, 50)).unwrap();
        let mut memo = speedtrade::ui::Memo::default();
        let chart = speedtrade::ui::layout::areas(t.get_frame().area())
            .unwrap()
            .chart;
        s.damage.take();
        speedtrade::ui::draw_parts(&mut t.get_frame(), &s, Damage::ALL, &mut memo);
        let (mut small, mut whole) = (0, 0);
        let mut last = 9_000_000;
        for i in 0..60 {
            // Inside the chart's range, but every tenth trade a new high.
            last += rng.random_range(-50..=50);
            let cents = if i % 10 == 9 {
                last + 5_000 * (i / 10 + 1) as i64
            } else {
                last
            };
            let trade = Trade {
                symbol: s.selected.clone(),
                id: 1_000 + i,
                price: price(cents),
                qty: Qty::from_units(rng.random_range(1..10_000_000)),
                taker_side: Side::Buy,
                time: NOW + i as i64,
            };
            update(&mut s, Action::Market(MarketEvent::Trade(trade)));
            let damage = s.damage.take();
            let drawn = speedtrade::ui::draw_parts(&mut t.get_frame(), &s, damage, &mut memo);
            let cells: u32 = drawn
                .areas
                .iter()
                .map(|r| r.intersection(chart).area())
                .sum();
            if cells < 800 {
                small += 1;
            } else {
                whole += 1;
            }
            let want = full(&s);
            let got = t.current_buffer_mut();
            assert!(
                *got == want,
                "{mode} trade {i}: differs from a full redraw\n{}\nwant\n{}",
                text(got),
                text(&want)
            );
        }
        // The chart is 4,300 cells; a trade inside the range redraws a few hundred of them.
        assert!(small >= 40, "{mode}: {small} small redraws, {whole} whole");
        assert!(whole >= 6, "{mode}: a new high or low rescales the chart");
    }
}
