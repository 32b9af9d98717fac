//! Snapshot tests of the whole screen drawn from a fixed state with `TestBackend`.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;
use speedtrade::app::{Action, AppState, KeyMap, KeyPress, update};
use speedtrade::config;
use speedtrade::domain::{BookTop, Level, Price, Qty, Side, Symbol, Trade, VenueId, notional};
use speedtrade::venue::{ConnState, MarketEvent};

/// 2023-11-14 22:13:20 UTC.
const NOW: i64 = 1_700_000_000_000;

fn state_with(extra: &str, no_color: bool) -> AppState {
    let text = format!("[ui]\nclock = \"utc\"\n{extra}");
    let c = config::parse_layered(Some(("test.toml", &text))).unwrap();
    AppState::new(&c, KeyMap::from_table(&c.keys).unwrap(), no_color, NOW)
}

fn render(s: &AppState, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| speedtrade::ui::draw(f, s)).unwrap();
    t
}

fn lv(p: &str, q: &str) -> Level {
    Level {
        price: Price::parse(p).unwrap(),
        qty: Qty::parse(q).unwrap(),
    }
}

/// A state with a live connection, a book and a few trades for BTCUSDT.
fn with_market() -> AppState {
    let mut s = state_with("", false);
    let btc = Symbol::new("BTCUSDT").unwrap();
    let events = [
        MarketEvent::Connection {
            venue: VenueId::Binance,
            state: ConnState::Live,
        },
        MarketEvent::Book {
            symbol: btc.clone(),
            top: BookTop {
                update_id: 42,
                bids: vec![
                    lv("90000.10", "0.5"),
                    lv("90000", "1.25"),
                    lv("89999.5", "3"),
                ],
                asks: vec![
                    lv("90000.2", "0.75"),
                    lv("90001", "2"),
                    lv("90002.5", "0.01"),
                ],
                stale: false,
            },
        },
    ];
    for e in events {
        update(&mut s, Action::Market(e));
    }
    for (i, (p, q, side)) in [
        ("90000.2", "0.01", Side::Buy),
        ("90000.1", "0.2", Side::Sell),
    ]
    .iter()
    .enumerate()
    {
        let t = Trade {
            symbol: btc.clone(),
            id: i as u64,
            price: Price::parse(p).unwrap(),
            qty: Qty::parse(q).unwrap(),
            taker_side: *side,
            time: NOW - 1000 * i as i64,
        };
        update(&mut s, Action::Market(MarketEvent::Trade(t)));
    }
    s.feed.latency_ms = Some(12);
    s
}

#[test]
fn empty_shell_80x24() {
    insta::assert_snapshot!(render(&state_with("", false), 80, 24).backend());
}

#[test]
fn empty_shell_200x50() {
    insta::assert_snapshot!(render(&state_with("", false), 200, 50).backend());
}

#[test]
fn shell_with_market_data_80x24() {
    insta::assert_snapshot!(render(&with_market(), 80, 24).backend());
}

#[test]
fn shell_with_market_data_200x50() {
    insta::assert_snapshot!(render(&with_market(), 200, 50).backend());
}

#[test]
fn help_overlay_80x24() {
    let mut s = state_with("", false);
    update(&mut s, Action::Key(KeyPress::char('?')));
    insta::assert_snapshot!(render(&s, 80, 24).backend());
}

#[test]
fn command_line_and_live_badge_80x24() {
    let mut s = state_with("[general]\nmode = \"live\"\nbroker = \"binance\"\n", false);
    for c in ":interval 5m".chars() {
        update(&mut s, Action::Key(KeyPress::char(c)));
    }
    let t = render(&s, 80, 24);
    let top: String = (0..80)
        .map(|x| t.backend().buffer()[(x, 0)].symbol().to_string())
        .collect();
    assert!(top.contains(" LIVE "), "{top}");
    let live_x = top[..top.find(" LIVE ").unwrap()].chars().count() as u16 + 1;
    let cell = &t.backend().buffer()[(live_x, 0)];
    assert_eq!((cell.symbol(), cell.bg), ("L", Color::Red), "LIVE is red");
    insta::assert_snapshot!(t.backend());
}

#[test]
fn too_small_terminal_says_so() {
    let t = render(&state_with("", false), 50, 15);
    insta::assert_snapshot!(t.backend());
}

#[test]
fn no_color_draws_without_colours() {
    let t = render(&with_market(), 120, 40);
    assert!(
        t.backend()
            .buffer()
            .content()
            .iter()
            .any(|c| c.fg != Color::Reset),
        "colour theme uses colour"
    );
    let mut s = with_market();
    s.settings.theme = state_with("", true).settings.theme;
    let t = render(&s, 120, 40);
    for c in t.backend().buffer().content() {
        assert_eq!(
            (c.fg, c.bg),
            (Color::Reset, Color::Reset),
            "cell {c:?} has a colour under NO_COLOR"
        );
    }
}

#[test]
fn ascii_borders_when_unicode_is_off() {
    let t = render(&state_with("unicode = false\n", false), 80, 24);
    let all: String = t
        .backend()
        .buffer()
        .content()
        .iter()
        .map(|c| c.symbol().to_string())
        .collect();
    assert!(all.is_ascii(), "only ASCII is drawn: {all}");
    assert!(all.contains("+ main -") && all.contains('|'));
}

/// 120 one-minute candles on a deterministic zig-zag.
fn candles() -> Vec<speedtrade::domain::Candle> {
    let mut price: i64 = 9_000_000; // cents
    (0..120)
        .map(|i: i64| {
            let open = price;
            let step = [37, -52, 18, 64, -29, -41, 55, 12][(i % 8) as usize] * ((i % 5) + 1);
            price += step;
            let (hi, lo) = (open.max(price) + 23, open.min(price) - 17);
            let cents = |c: i64| Price::parse(&format!("{}.{:02}", c / 100, c % 100)).unwrap();
            speedtrade::domain::Candle {
                open_time: NOW - (120 - i) * 60_000,
                open: cents(open),
                high: cents(hi),
                low: cents(lo),
                close: cents(price),
                volume: Qty::parse(&format!("{}.5", 3 + (i * 7) % 11)).unwrap(),
                quote_volume: notional(
                    cents(price),
                    Qty::parse(&format!("{}.5", 3 + (i * 7) % 11)).unwrap(),
                )
                .unwrap(),
                trades: 10,
                closed: true,
            }
        })
        .collect()
}

fn with_candles() -> AppState {
    let mut s = with_market();
    let history = MarketEvent::History {
        symbol: Symbol::new("BTCUSDT").unwrap(),
        interval: speedtrade::domain::Interval::M1,
        candles: candles(),
    };
    update(&mut s, Action::Market(history));
    s
}

#[test]
fn chart_with_candles_120x40() {
    insta::assert_snapshot!(render(&with_candles(), 120, 40).backend());
}

#[test]
fn chart_line_mode_scrolled_back_120x40() {
    let mut s = with_candles();
    s.focus = speedtrade::app::Pane::Chart;
    for c in "mhhhhh".chars() {
        update(&mut s, Action::Key(KeyPress::char(c)));
    }
    assert_eq!(s.chart.offset, 5);
    insta::assert_snapshot!(render(&s, 120, 40).backend());
}

#[test]
fn panes_waiting_on_a_down_feed_say_why_100x30() {
    let mut s = state_with("[general]\nmarket = \"alpaca\"\n", false);
    let why = "Alpaca market data needs API keys: run `speedtrade keys set alpaca`";
    update(
        &mut s,
        Action::Market(MarketEvent::Connection {
            venue: VenueId::Alpaca,
            state: ConnState::Down(why.into()),
        }),
    );
    let t = render(&s, 100, 30);
    let screen = format!("{:?}", t.backend());
    // The book, the tape and the chart each say the feed is down, not just "waiting".
    assert!(screen.matches("ALPACA feed down").count() >= 3, "{screen}");
    insta::assert_snapshot!(t.backend());
}
