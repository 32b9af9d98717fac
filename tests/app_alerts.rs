//! Price alerts end to end in the app: the `:alert` command, the store giving the id, a
//! trade firing it (banner, bell, log, tab), and the alert coming back after a restart.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use speedtrade::alerts::AlertStatus;
use speedtrade::app::{Action, AppState, BottomTab, Command, Key, KeyMap, KeyPress, update};
use speedtrade::config;
use speedtrade::domain::{Price, Qty, Side, Symbol, Trade, VenueId};
use speedtrade::store::Store;
use speedtrade::venue::MarketEvent;

const NOW: i64 = 1_700_000_000_000;

fn state() -> AppState {
    let c = config::parse_layered(Some(("t.toml", "[ui]\nclock = \"utc\"\n"))).unwrap();
    AppState::new(&c, KeyMap::from_table(&c.keys).unwrap(), false, NOW)
}

fn command(s: &mut AppState, line: &str) -> Vec<Command> {
    update(s, Action::Key(KeyPress::char(':')));
    for c in line.chars() {
        update(s, Action::Key(KeyPress::char(c)));
    }
    update(s, Action::Key(KeyPress::plain(Key::Enter)))
}

fn trade(price: &str, ms: i64) -> Action {
    Action::Market(MarketEvent::Trade(Trade {
        symbol: Symbol::new("BTCUSDT").unwrap(),
        id: ms as u64,
        price: Price::parse(price).unwrap(),
        qty: Qty::ONE,
        taker_side: Side::Buy,
        time: NOW + ms,
    }))
}

/// Runs a command the way the UI's effects layer does and returns the action it sends back.
fn persist(store: &Store, cmd: Command) -> Option<Action> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        speedtrade::runtime::alerts::perform(store.clone(), VenueId::Binance, cmd, tx);
        tokio::time::timeout(std::time::Duration::from_secs(5), rx.recv())
            .await
            .ok()
            .flatten()
    })
}

#[test]
fn an_alert_is_stored_fires_once_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("st.sqlite3")).unwrap();
    let mut s = state();
    let cmds = command(&mut s, "alert BTCUSDT above 100000");
    let [Command::CreateAlert(spec)] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    let saved = persist(&store, Command::CreateAlert(spec.clone())).expect("the store answers");
    assert_eq!(
        update(&mut s, saved),
        vec![Command::AlertSymbols(vec![Symbol::new("BTCUSDT").unwrap()])]
    );

    assert!(
        update(&mut s, trade("99999.99", 1)).is_empty(),
        "below the level: nothing"
    );
    let cmds = update(&mut s, trade("100000.5", 2));
    let Some(Command::AlertFired(t, status)) =
        cmds.iter().find(|c| matches!(c, Command::AlertFired(..)))
    else {
        panic!("{cmds:?}")
    };
    assert!(cmds.contains(&Command::Bell));
    assert_eq!(*status, AlertStatus::Done, "one-shot");
    assert_eq!(
        s.flash.as_ref().unwrap().text,
        format!("ALERT {}", t.message)
    );
    assert!(
        update(&mut s, trade("100100", 3))
            .iter()
            .all(|c| !matches!(c, Command::AlertFired(..))),
        "fires once"
    );
    persist(&store, Command::AlertFired(t.clone(), *status));

    // A restart: the alert and its trigger come back from the file.
    let action = speedtrade::runtime::alerts::load(&store).unwrap();
    let mut again = state();
    update(&mut again, action);
    let alert = again.alerts.alerts()[0].clone();
    assert_eq!(
        (alert.command().as_str(), alert.status, alert.fire_count),
        ("alert BTCUSDT above 100000", AlertStatus::Done, 1)
    );
    assert_eq!(again.alert_log.len(), 1);
    assert_eq!(again.alert_log[0].message, t.message);

    again.bottom_tab = BottomTab::Alerts;
    let mut term = Terminal::new(TestBackend::new(100, 30)).unwrap();
    term.draw(|f| speedtrade::ui::draw(f, &again)).unwrap();
    insta::assert_snapshot!(term.backend());
}

#[test]
fn alert_commands_explain_mistakes_and_manage_alerts() {
    let mut s = state();
    assert!(command(&mut s, "alert BTCUSDT sideways 5").is_empty());
    assert!(
        s.flash.as_ref().unwrap().text.contains("sideways"),
        "{:?}",
        s.flash
    );
    assert!(command(&mut s, "alert rm 9").is_empty());
    assert_eq!(
        s.flash.as_ref().unwrap().text,
        "no alert 9: see the alerts tab (5)"
    );
    let spec = speedtrade::alerts::parse_alert("alert ETHUSDT move 5% 15m repeat").unwrap();
    let alert = speedtrade::alerts::Alert {
        id: 4,
        symbol: spec.symbol,
        condition: spec.condition,
        repeat: spec.repeat,
        status: AlertStatus::Active,
        created_at: NOW,
        last_fired: None,
        fire_count: 0,
    };
    update(&mut s, Action::AlertSaved(alert));
    assert_eq!(
        command(&mut s, "alert off 4")[0],
        Command::SetAlertEnabled(4, false)
    );
    assert_eq!(s.alerts.get(4).unwrap().status, AlertStatus::Disabled);
    assert_eq!(command(&mut s, "alert rm 4")[0], Command::DeleteAlert(4));
    assert!(s.alerts.get(4).is_none());
    command(&mut s, "alerts");
    assert_eq!(s.bottom_tab, BottomTab::Alerts);
}
