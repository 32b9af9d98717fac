//! `update` driven by actions: keys in, state and commands out — no terminal, no network.

use speedtrade::app::{
    Action, AppState, BottomTab, Command, Key, KeyMap, KeyPress, Overlay, Pane, update,
};
use speedtrade::config;
use speedtrade::domain::{Interval, Symbol};

fn state() -> AppState {
    let c = config::parse_layered(None).unwrap();
    AppState::new(
        &c,
        KeyMap::from_table(&c.keys).unwrap(),
        false,
        1_700_000_000_000,
    )
}

fn press(s: &mut AppState, keys: &str) -> Vec<Command> {
    let mut out = Vec::new();
    for c in keys.chars() {
        out.extend(update(s, Action::Key(KeyPress::char(c))));
    }
    out
}

fn key(s: &mut AppState, k: Key) -> Vec<Command> {
    update(s, Action::Key(KeyPress::plain(k)))
}

fn sym(s: &str) -> Symbol {
    Symbol::new(s).unwrap()
}

#[test]
fn q_and_ctrl_c_quit() {
    let mut s = state();
    assert_eq!(press(&mut s, "q"), vec![Command::Quit]);
    assert!(s.quit);
    let mut s = state();
    press(&mut s, ":");
    assert_eq!(
        update(&mut s, Action::Key(KeyPress::ctrl('c'))),
        vec![Command::Quit],
        "even from an input"
    );
}

#[test]
fn help_opens_scrolls_and_closes() {
    let mut s = state();
    press(&mut s, "?");
    assert_eq!(s.overlay, Overlay::Help { scroll: 0 });
    press(&mut s, "jj");
    assert_eq!(s.overlay, Overlay::Help { scroll: 2 });
    key(&mut s, Key::Esc);
    assert_eq!(s.overlay, Overlay::None);
    press(&mut s, "??");
    assert_eq!(s.overlay, Overlay::None, "? toggles");
}

#[test]
fn tab_cycles_focus_through_every_pane_and_back() {
    let mut s = state();
    let mut seen = vec![s.focus];
    for _ in 0..Pane::ORDER.len() {
        key(&mut s, Key::Tab);
        seen.push(s.focus);
    }
    assert_eq!(seen[..6], Pane::ORDER);
    assert_eq!(s.focus, Pane::Watchlist);
    key(&mut s, Key::BackTab);
    assert_eq!(s.focus, Pane::Bottom);
}

#[test]
fn moving_in_the_watchlist_selects_the_symbol() {
    let mut s = state();
    assert_eq!(s.selected, sym("BTCUSDT"));
    let cmds = press(&mut s, "j");
    assert_eq!(s.selected, sym("ETHUSDT"));
    assert_eq!(
        cmds,
        vec![
            Command::SelectSymbol(sym("ETHUSDT")),
            Command::ChartInterval(sym("ETHUSDT"), Interval::M1)
        ]
    );
    press(&mut s, "G");
    assert_eq!(s.selected, sym("DOGEUSDT"));
    assert!(
        press(&mut s, "j").is_empty(),
        "bottom of the list: nothing changes"
    );
    key(&mut s, Key::Up);
    assert_eq!(s.selected, sym("XRPUSDT"), "arrows work like vim keys");
}

#[test]
fn command_line_runs_commands_and_reports_mistakes() {
    let mut s = state();
    press(&mut s, ":s solusdt");
    assert!(matches!(&s.overlay, Overlay::CommandLine(i) if i.text == "s solusdt"));
    let cmds = key(&mut s, Key::Enter);
    assert_eq!(s.selected, sym("SOLUSDT"));
    assert_eq!(cmds[0], Command::SelectSymbol(sym("SOLUSDT")));
    assert_eq!(s.overlay, Overlay::None);

    press(&mut s, ":interval 4h");
    key(&mut s, Key::Enter);
    assert_eq!(s.chart.interval, Interval::H4);

    press(&mut s, ":tab log");
    key(&mut s, Key::Enter);
    assert_eq!(s.bottom_tab, BottomTab::Log);

    press(&mut s, ":frobnicate");
    key(&mut s, Key::Enter);
    assert_eq!(
        s.flash.as_ref().unwrap().text,
        "unknown command `frobnicate`: try :help"
    );

    press(&mut s, ":i 7m");
    key(&mut s, Key::Enter);
    assert!(
        s.flash
            .as_ref()
            .unwrap()
            .text
            .contains("unknown interval `7m`")
    );
}

#[test]
fn typing_in_an_input_does_not_trigger_bindings() {
    let mut s = state();
    press(&mut s, ":qjk");
    assert!(!s.quit, "q typed into the command line is text");
    assert!(matches!(&s.overlay, Overlay::CommandLine(i) if i.text == "qjk" && i.cursor == 3));
    key(&mut s, Key::Backspace);
    key(&mut s, Key::Left);
    press(&mut s, "x");
    assert!(matches!(&s.overlay, Overlay::CommandLine(i) if i.text == "qxj"));
    key(&mut s, Key::Esc);
    assert_eq!(s.overlay, Overlay::None);
    assert!(!s.quit);
}

#[test]
fn search_picks_the_best_match() {
    let mut s = state();
    press(&mut s, "/eth");
    let cmds = key(&mut s, Key::Enter);
    assert_eq!(s.selected, sym("ETHUSDT"));
    assert!(!cmds.is_empty());
    press(&mut s, "/usdt");
    key(&mut s, Key::Down);
    key(&mut s, Key::Enter);
    assert_eq!(
        s.selected,
        sym("ETHUSDT"),
        "second result of an all-match query"
    );
    press(&mut s, "/bad sym");
    key(&mut s, Key::Enter);
    assert!(
        s.flash
            .as_ref()
            .unwrap()
            .text
            .contains("is not a valid symbol")
    );
}

#[test]
fn tabs_intervals_and_zoom() {
    let mut s = state();
    press(&mut s, "4");
    assert_eq!(s.bottom_tab, BottomTab::Positions);
    press(&mut s, "]]]");
    assert_eq!(s.bottom_tab, BottomTab::Orders, "wraps around");
    let cmds = press(&mut s, "i");
    assert_eq!(s.chart.interval, Interval::M5);
    assert_eq!(
        cmds,
        vec![Command::ChartInterval(sym("BTCUSDT"), Interval::M5)]
    );
    press(&mut s, "I");
    press(&mut s, "I");
    assert_eq!(s.chart.interval, Interval::S1);
    press(&mut s, "+++++++");
    assert_eq!(s.chart.zoom, 5, "zoom is bounded");
    press(&mut s, "m");
    assert!(s.chart.line_mode);
}

#[test]
fn signals_quit_and_the_clock_expires_messages() {
    let mut s = state();
    press(&mut s, ":nope");
    key(&mut s, Key::Enter);
    assert!(s.flash.is_some());
    let later = s.now + 10_000;
    update(&mut s, Action::Tick(later));
    assert!(s.flash.is_none());
    assert_eq!(
        update(&mut s, Action::Signal("SIGHUP")),
        vec![Command::Quit]
    );
    assert!(s.quit);
}

#[test]
fn a_user_key_map_replaces_the_defaults() {
    let c = config::parse_layered(Some((
        "test.toml",
        "[keys]\n\"x\" = \"quit\"\n\"q\" = \"none\"\n",
    )))
    .unwrap();
    let mut s = AppState::new(&c, KeyMap::from_table(&c.keys).unwrap(), false, 0);
    press(&mut s, "q");
    assert!(!s.quit);
    press(&mut s, "x");
    assert!(s.quit);
}

fn ticker(
    symbol: &str,
    last: &str,
    change: &str,
    quote_volume: i64,
) -> speedtrade::venue::MarketEvent {
    use speedtrade::domain::{Price, Qty, Ticker24h};
    let p = Price::parse(last).unwrap();
    speedtrade::venue::MarketEvent::Ticker(Ticker24h {
        symbol: sym(symbol),
        last: p,
        open: p,
        high: p,
        low: p,
        volume: Qty::from_int(1),
        quote_volume: quote_volume.into(),
        change_pct: change.parse().unwrap(),
        time: 0,
    })
}

#[test]
fn sorting_the_watchlist_keeps_the_selection() {
    let mut s = state();
    for (symbol, chg, vol) in [
        ("BTCUSDT", "1.5", 900),
        ("ETHUSDT", "-2", 500),
        ("SOLUSDT", "7.25", 100),
    ] {
        update(&mut s, Action::Market(ticker(symbol, "10", chg, vol)));
    }
    press(&mut s, "o");
    let names = |s: &AppState| {
        s.watch_rows()
            .iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&s)[..3], ["BNBUSDT", "BTCUSDT", "DOGEUSDT"]);
    press(&mut s, "o");
    assert_eq!(
        names(&s)[..3],
        ["SOLUSDT", "BTCUSDT", "ETHUSDT"],
        "by 24 h change, no data last"
    );
    assert_eq!(
        s.watch_rows()[s.watch_cursor],
        &sym("BTCUSDT"),
        "the cursor follows the selection"
    );
    press(&mut s, "k");
    assert_eq!(s.selected, sym("SOLUSDT"), "moving walks the sorted order");
    press(&mut s, "o");
    assert_eq!(
        names(&s)[..3],
        ["BTCUSDT", "ETHUSDT", "SOLUSDT"],
        "by quote volume"
    );
    press(&mut s, "o");
    assert_eq!(
        names(&s),
        [
            "BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT", "XRPUSDT", "DOGEUSDT"
        ]
    );
}

#[test]
fn left_and_right_in_the_book_change_the_grouping() {
    let mut s = state();
    update(
        &mut s,
        Action::Market(ticker("BTCUSDT", "90000.12", "0", 1)),
    );
    for _ in 0..2 {
        key(&mut s, Key::Tab);
    }
    assert_eq!(s.focus, Pane::Book);
    let group = |s: &AppState| s.book_group.map(|g| g.to_string());
    key(&mut s, Key::Right);
    assert_eq!(group(&s).as_deref(), Some("0.1"));
    press(&mut s, "llll");
    assert_eq!(
        group(&s).as_deref(),
        Some("100"),
        "stops at the coarsest step"
    );
    press(&mut s, "hhh");
    assert_eq!(group(&s).as_deref(), Some("0.1"));
    press(&mut s, "h");
    assert_eq!(group(&s), None, "finest is the raw book");
}

#[test]
fn a_price_move_highlights_until_the_next_tick() {
    use speedtrade::app::PriceMove;
    use speedtrade::domain::{Price, Qty, Side, Trade};
    let mut s = state();
    let trade = |p: &str| {
        Action::Market(speedtrade::venue::MarketEvent::Trade(Trade {
            symbol: sym("ETHUSDT"),
            id: 1,
            price: Price::parse(p).unwrap(),
            qty: Qty::from_int(1),
            taker_side: Side::Buy,
            time: 1_700_000_000_000,
        }))
    };
    update(&mut s, trade("3000"));
    update(&mut s, trade("3000.5"));
    assert_eq!(s.markets[&sym("ETHUSDT")].moved, Some(PriceMove::Up));
    update(&mut s, Action::Tick(1_700_000_001_000));
    assert_eq!(s.markets[&sym("ETHUSDT")].moved, None);
    update(&mut s, trade("2999"));
    assert_eq!(s.markets[&sym("ETHUSDT")].moved, Some(PriceMove::Down));
}
