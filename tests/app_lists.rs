//! Watchlists: named lists switched, edited and reordered from the keyboard and the command
//! line, kept in SQLite; the screener filter; venue-wide screen results; the symbol search.

use speedtrade::app::lists::NamedList;
use speedtrade::app::{Action, AppState, Command, Key, KeyMap, KeyPress, Overlay, Pane, update};
use speedtrade::config;
use speedtrade::domain::*;
use speedtrade::store::Store;
use speedtrade::venue::MarketEvent;
use std::sync::Arc;

const NOW: i64 = 1_700_000_000_000;

fn state() -> AppState {
    let c = config::parse_layered(Some(("t.toml", "[ui]\nclock = \"utc\"\n"))).unwrap();
    AppState::new(&c, KeyMap::from_table(&c.keys).unwrap(), false, NOW)
}

fn sym(s: &str) -> Symbol {
    Symbol::new(s).unwrap()
}

fn command(s: &mut AppState, line: &str) -> Vec<Command> {
    update(s, Action::Key(KeyPress::char(':')));
    for c in line.chars() {
        update(s, Action::Key(KeyPress::char(c)));
    }
    update(s, Action::Key(KeyPress::plain(Key::Enter)))
}

fn keys(s: &mut AppState, text: &str) -> Vec<Command> {
    text.chars()
        .flat_map(|c| update(s, Action::Key(KeyPress::char(c))))
        .collect()
}

fn names(s: &AppState) -> Vec<String> {
    s.watch_rows().iter().map(|x| x.to_string()).collect()
}

fn ticker(symbol: &str, last: &str, change: &str) -> Ticker24h {
    let p = Price::parse(last).unwrap();
    Ticker24h {
        symbol: sym(symbol),
        last: p,
        open: p,
        high: p,
        low: p,
        volume: Qty::ONE,
        quote_volume: 1000.into(),
        change_pct: change.parse().unwrap(),
        time: NOW,
    }
}

#[test]
fn lists_are_created_edited_reordered_and_switched() {
    let mut s = state();
    let cmds = command(&mut s, "wl alts");
    assert_eq!(s.lists.shown().name, "alts");
    assert!(matches!(&cmds[0], Command::SaveLists(lists, 1) if lists.len() == 2));
    assert!(names(&s).is_empty());
    command(&mut s, "add solusdt dogeusdt");
    s.selected = sym("ETHUSDT");
    let cmds = keys(&mut s, "a");
    assert!(cmds.contains(&Command::WatchSymbols(vec![
        sym("SOLUSDT"),
        sym("DOGEUSDT"),
        sym("ETHUSDT")
    ])));
    assert_eq!(names(&s), ["SOLUSDT", "DOGEUSDT", "ETHUSDT"]);

    s.focus = Pane::Watchlist;
    s.watch_cursor = 0;
    keys(&mut s, "J");
    assert_eq!(
        names(&s),
        ["DOGEUSDT", "SOLUSDT", "ETHUSDT"],
        "J moves the row down"
    );
    assert_eq!(s.watch_cursor, 1, "the cursor moves with it");
    keys(&mut s, "x");
    assert_eq!(
        names(&s),
        ["DOGEUSDT", "ETHUSDT"],
        "x removes the highlighted row"
    );

    keys(&mut s, "}");
    assert_eq!(s.lists.shown().name, "main", "}} cycles the lists");
    command(&mut s, "wl rm alts");
    assert_eq!(s.lists.all.len(), 1);
    command(&mut s, "wl rm main");
    assert_eq!(
        s.flash.as_ref().unwrap().text,
        "the last list cannot be deleted"
    );
    command(&mut s, "add BTC USDT");
    assert!(
        s.flash
            .as_ref()
            .unwrap()
            .text
            .contains("is not a valid symbol")
            || names(&s).contains(&"BTC".to_string())
    );
}

#[test]
fn the_filter_and_the_screen_narrow_what_is_shown() {
    let mut s = state();
    for (sy, last, chg) in [
        ("BTCUSDT", "90000", "1.2"),
        ("XRPUSDT", "2.2", "6.5"),
        ("DOGEUSDT", "0.16", "-3"),
    ] {
        update(
            &mut s,
            Action::Market(MarketEvent::Ticker(ticker(sy, last, chg))),
        );
    }
    command(&mut s, "filter price < 100 and change% > 5");
    assert_eq!(
        names(&s),
        ["ETHUSDT", "SOLUSDT", "BNBUSDT", "XRPUSDT"],
        "no ticker yet: kept; others filtered"
    );
    command(&mut s, "filter price <");
    assert!(
        s.flash.as_ref().unwrap().text.starts_with("filter:"),
        "{:?}",
        s.flash
    );
    command(&mut s, "filter");
    assert_eq!(names(&s).len(), 6);

    let cmds = command(&mut s, "screen price < 1");
    assert!(matches!(cmds.as_slice(), [Command::Screen(_)]));
    let hits = vec![
        ticker("DOGEUSDT", "0.16", "-3"),
        ticker("PEPEUSDT", "0.00001", "2"),
    ];
    let cmds = update(&mut s, Action::ScreenResults("price < 1".into(), hits));
    assert_eq!(s.lists.shown().name, "screen: price < 1");
    assert_eq!(
        cmds,
        vec![Command::WatchSymbols(vec![
            sym("DOGEUSDT"),
            sym("PEPEUSDT")
        ])]
    );
    command(&mut s, "screen");
    assert_eq!(s.lists.shown().name, "main");
}

#[test]
fn search_ranks_every_instrument_of_the_venue() {
    let mut s = state();
    let inst = |symbol: &str, base: &str, quote: &str| {
        speedtrade::search::Entry::new(VenueId::Binance, sym(symbol), base, quote)
    };
    let index = speedtrade::search::SymbolIndex::new(vec![
        inst("ETHBTC", "ETH", "BTC"),
        inst("ETHUSDT", "ETH", "USDT"),
        inst("SETHUSDT", "SETH", "USDT"),
        inst("ETCUSDT", "ETC", "USDT"),
    ]);
    update(&mut s, Action::SymbolIndex(Arc::new(index)));
    keys(&mut s, "/eth");
    let Overlay::Search { input, .. } = &s.overlay else {
        panic!()
    };
    let hits = speedtrade::app::input::search_results(&s, &input.text);
    assert_eq!(
        hits[0],
        sym("ETHUSDT"),
        "base asset match, preferred quote first: {hits:?}"
    );
    update(&mut s, Action::Key(KeyPress::plain(Key::Enter)));
    assert_eq!(s.selected, sym("ETHUSDT"));
}

#[test]
fn lists_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("st.sqlite3")).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    assert!(
        speedtrade::runtime::lists::load(&store).unwrap().is_none(),
        "nothing stored at first"
    );
    let lists = vec![
        NamedList {
            name: "main".into(),
            symbols: vec![sym("BTCUSDT"), sym("ETHUSDT")],
        },
        NamedList {
            name: "memes".into(),
            symbols: vec![sym("DOGEUSDT"), sym("PEPEUSDT")],
        },
    ];
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    for round in [
        lists.clone(),
        vec![
            lists[1].clone(),
            NamedList {
                name: "main".into(),
                symbols: vec![sym("ETHUSDT")],
            },
        ],
    ] {
        rt.block_on(async {
            speedtrade::runtime::lists::save(
                store.clone(),
                VenueId::Binance,
                round.clone(),
                1,
                tx.clone(),
            );
            for _ in 0..200 {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                if let Ok(Some(Action::ListsLoaded(got, 1))) =
                    speedtrade::runtime::lists::load(&store)
                    && got == round
                {
                    return;
                }
            }
            panic!("the store never held {round:?}");
        });
    }
    let mut s = state();
    update(
        &mut s,
        speedtrade::runtime::lists::load(&store).unwrap().unwrap(),
    );
    assert_eq!(s.lists.shown().name, "main");
    assert_eq!(names(&s), ["ETHUSDT"]);
}
