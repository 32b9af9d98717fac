//! The order ticket driven by keys: opening, editing, stepping, validation messages (each one
//! as a screen snapshot), confirmations and cancels.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use rust_decimal::Decimal;
use speedtrade::app::{Action, AppState, Command, Key, KeyMap, KeyPress, Overlay, Pane, update};
use speedtrade::config;
use speedtrade::domain::*;
use speedtrade::venue::MarketEvent;

const NOW: i64 = 1_700_000_000_000;

fn sym(s: &str) -> Symbol {
    Symbol::new(s).unwrap()
}

fn btc() -> Instrument {
    Instrument {
        venue: VenueId::Binance,
        symbol: sym("BTCUSDT"),
        base: "BTC".into(),
        quote: "USDT".into(),
        tick_size: Price::parse("0.01").unwrap(),
        min_price: Price::parse("0.01").unwrap(),
        max_price: Price::parse("1000000").unwrap(),
        step_size: Qty::parse("0.00001").unwrap(),
        min_qty: Qty::parse("0.00001").unwrap(),
        max_qty: Qty::parse("9000").unwrap(),
        min_notional: Decimal::new(5, 0),
        max_notional: Some(Decimal::new(9_000_000, 0)),
        trading: true,
    }
}

fn lv(p: &str, q: &str) -> speedtrade::domain::Level {
    speedtrade::domain::Level {
        price: Price::parse(p).unwrap(),
        qty: Qty::parse(q).unwrap(),
    }
}

fn state_with(extra: &str) -> AppState {
    let text = format!("[ui]\nclock = \"utc\"\n{extra}");
    let c = config::parse_layered(Some(("test.toml", &text))).unwrap();
    let mut s = AppState::new(&c, KeyMap::from_table(&c.keys).unwrap(), false, NOW);
    update(&mut s, Action::Instruments(vec![btc()]));
    let top = BookTop {
        update_id: 1,
        bids: vec![lv("90000.00", "1"), lv("89999.50", "2")],
        asks: vec![lv("90000.10", "1"), lv("90001.00", "2")],
        stale: false,
    };
    update(
        &mut s,
        Action::Market(MarketEvent::Book {
            symbol: sym("BTCUSDT"),
            top,
        }),
    );
    let trade = Trade {
        symbol: sym("BTCUSDT"),
        id: 1,
        price: Price::parse("90000.05").unwrap(),
        qty: Qty::ONE,
        taker_side: Side::Buy,
        time: NOW,
    };
    update(&mut s, Action::Market(MarketEvent::Trade(trade)));
    s
}

fn paper() -> AppState {
    state_with("")
}

fn live() -> AppState {
    state_with("[general]\nmode = \"live\"\nbroker = \"binance\"\n")
}

fn keys(s: &mut AppState, text: &str) -> Vec<Command> {
    text.chars()
        .flat_map(|c| update(s, Action::Key(KeyPress::char(c))))
        .collect()
}

fn key(s: &mut AppState, k: Key) -> Vec<Command> {
    update(s, Action::Key(KeyPress::plain(k)))
}

fn ticket(s: &AppState) -> &speedtrade::app::ticket::Ticket {
    match &s.overlay {
        Overlay::Ticket(t) => t,
        other => panic!("no ticket open: {other:?}"),
    }
}

/// Opens a buy ticket and types quantity then price.
fn fill_buy(s: &mut AppState, qty: &str, price: &str) {
    keys(s, "b");
    keys(s, qty);
    key(s, Key::Tab);
    keys(s, price);
}

#[test]
fn a_paper_limit_order_is_sent_on_enter() {
    let mut s = paper();
    fill_buy(&mut s, "0.01", "89000");
    let cmds = key(&mut s, Key::Enter);
    let [Command::PlaceOrder(d)] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    assert_eq!(
        (d.venue, d.side, d.order_type, d.tif),
        (
            VenueId::Paper,
            Side::Buy,
            OrderType::Limit,
            TimeInForce::Gtc
        )
    );
    assert_eq!(d.amount, OrderAmount::Base(Qty::parse("0.01").unwrap()));
    assert_eq!(
        d.price.unwrap().to_string(),
        "89000",
        "what the user typed is what is sent"
    );
    assert_eq!(d.notional(), Some(Decimal::new(890, 0)));
    assert_eq!(s.overlay, Overlay::None);
}

#[test]
fn letters_never_reach_a_number_field_and_esc_closes() {
    let mut s = paper();
    keys(&mut s, "b0.0x1q");
    assert_eq!(ticket(&s).qty.text, "0.01");
    assert!(!s.quit, "q inside the ticket does not quit");
    key(&mut s, Key::Esc);
    assert_eq!(s.overlay, Overlay::None);
}

#[test]
fn arrows_step_price_by_tick_and_quantity_by_lot() {
    let mut s = paper();
    keys(&mut s, "b");
    key(&mut s, Key::Up);
    assert_eq!(
        ticket(&s).qty.text,
        "0.00001",
        "an empty quantity starts at one lot"
    );
    key(&mut s, Key::Up);
    assert_eq!(ticket(&s).qty.text, "0.00002", "up adds one lot");
    key(&mut s, Key::Down);
    key(&mut s, Key::Down);
    assert_eq!(ticket(&s).qty.text, "0.00001", "never below one lot");
    key(&mut s, Key::Tab);
    key(&mut s, Key::Up);
    assert_eq!(
        ticket(&s).price.text,
        "90000.00",
        "empty price starts at the best bid for a buy"
    );
    key(&mut s, Key::Up);
    assert_eq!(ticket(&s).price.text, "90000.01");
    key(&mut s, Key::Tab);
    key(&mut s, Key::Right);
    assert_eq!(
        ticket(&s).tif,
        TimeInForce::Ioc,
        "left/right cycle choice fields"
    );
}

#[test]
fn the_ladder_row_prefills_the_price() {
    let mut s = paper();
    s.focus = Pane::Book;
    keys(&mut s, "kk");
    assert_eq!(s.book_cursor, Some(-2));
    keys(&mut s, "s");
    let t = ticket(&s);
    assert_eq!((t.side, t.price.text.as_str()), (Side::Sell, "90001.00"));
}

#[test]
fn market_orders_can_be_sized_in_quote() {
    let mut s = paper();
    keys(&mut s, "b");
    key(&mut s, Key::BackTab);
    key(&mut s, Key::Left);
    assert_eq!(ticket(&s).order_type, OrderType::Market);
    key(&mut s, Key::Tab);
    keys(&mut s, "100 ");
    assert!(
        ticket(&s).quote_amount,
        "space on a market quantity switches to a quote amount"
    );
    assert_eq!(ticket(&s).qty.text, "100");
    let cmds = key(&mut s, Key::Enter);
    let [Command::PlaceOrder(d)] = cmds.as_slice() else {
        panic!("{cmds:?} {:?}", s.flash)
    };
    assert_eq!(
        d.amount,
        OrderAmount::Quote(Qty::from_int(100)),
        "spend 100 USDT"
    );
    assert!(d.price.is_none());
    assert_eq!(d.notional(), Some(Decimal::new(100, 0)));
}

#[test]
fn live_orders_ask_first_and_a_far_price_asks_again() {
    let mut s = live();
    fill_buy(&mut s, "0.01", "80000");
    assert!(key(&mut s, Key::Enter).is_empty());
    assert!(
        matches!(&s.overlay, Overlay::Confirm(c) if c.kind == speedtrade::app::state::ConfirmKind::Live)
    );
    keys(&mut s, "n");
    assert!(
        matches!(s.overlay, Overlay::Ticket(_)),
        "no goes back to the ticket, nothing sent"
    );
    key(&mut s, Key::Enter);
    assert!(keys(&mut s, "y").is_empty(), "the far price asks again");
    assert!(
        matches!(&s.overlay, Overlay::Confirm(c) if matches!(c.kind, speedtrade::app::state::ConfirmKind::FarPrice(_)))
    );
    let cmds = keys(&mut s, "y");
    assert!(matches!(cmds.as_slice(), [Command::PlaceOrder(d)] if d.venue == VenueId::Binance));
}

#[test]
fn a_near_live_order_asks_once() {
    let mut s = live();
    fill_buy(&mut s, "0.01", "89999");
    key(&mut s, Key::Enter);
    assert_eq!(keys(&mut s, "y").len(), 1);
}

fn order(id: &str, status: OrderStatus) -> Order {
    Order {
        request: OrderRequest {
            client_order_id: ClientOrderId::new(id).unwrap(),
            venue: VenueId::Paper,
            symbol: sym("BTCUSDT"),
            side: Side::Buy,
            order_type: OrderType::Limit,
            amount: OrderAmount::Base(Qty::ONE),
            price: Some(Price::from_int(80000)),
            stop_price: None,
            tif: TimeInForce::Gtc,
        },
        venue_order_id: None,
        status,
        filled_qty: Qty::ZERO,
        filled_quote: Decimal::ZERO,
        reject_reason: None,
        created_at: NOW,
        updated_at: NOW,
    }
}

#[test]
fn c_cancels_the_highlighted_order_and_shift_c_cancels_the_symbol() {
    let mut s = paper();
    for id in ["a1", "a2"] {
        update(&mut s, Action::Order(Box::new(order(id, OrderStatus::New))));
    }
    update(
        &mut s,
        Action::Order(Box::new(order("a3", OrderStatus::Filled))),
    );
    assert_eq!(s.blotter.open.len(), 2);
    assert_eq!(s.blotter.history.len(), 1);
    s.focus = Pane::Bottom;
    keys(&mut s, "j");
    let cmds = keys(&mut s, "c");
    assert!(matches!(cmds.as_slice(), [Command::CancelOrder { id, .. }] if id.as_str() == "a2"));
    let cmds = keys(&mut s, "C");
    assert_eq!(
        cmds,
        vec![Command::CancelAll {
            venue: VenueId::Paper,
            symbol: sym("BTCUSDT")
        }]
    );
    update(
        &mut s,
        Action::Order(Box::new(order("a2", OrderStatus::Canceled))),
    );
    assert_eq!(s.blotter.open.len(), 1);
    assert_eq!(s.bottom_cursor, 0, "cursor stays on a row");
}

#[test]
fn a_fill_is_listed_once_however_often_it_is_reported() {
    let mut s = paper();
    let fill = Fill {
        client_order_id: ClientOrderId::new("a1").unwrap(),
        venue: VenueId::Paper,
        symbol: sym("BTCUSDT"),
        side: Side::Buy,
        price: Price::from_int(90000),
        qty: Qty::ONE,
        fee: Decimal::new(9, 0),
        fee_asset: "USDT".into(),
        trade_id: "7".into(),
        is_maker: false,
        time: NOW,
    };
    assert_eq!(
        update(&mut s, Action::Fill(fill.clone())),
        vec![Command::Bell, Command::RefreshAccount]
    );
    assert!(
        update(&mut s, Action::Fill(fill)).is_empty(),
        "no second bell"
    );
    assert_eq!(s.blotter.fills.len(), 1);
}

fn snapshot(s: &AppState) -> String {
    let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
    t.draw(|f| speedtrade::ui::draw(f, s)).unwrap();
    format!("{}", t.backend())
}

/// Every validation message the ticket can show, each as a screen.
#[test]
fn every_validation_message_snapshot() {
    let cases: &[(&str, &str, &str, &str)] = &[
        ("empty", "", "", "enter a quantity"),
        (
            "not_a_number",
            "1.2.3",
            "90000",
            "quantity: `1.2.3` is not a number",
        ),
        (
            "too_precise",
            "0.000000001",
            "90000",
            "more than 8 decimal places",
        ),
        (
            "price_tick",
            "0.01",
            "90000.005",
            "not a multiple of the tick 0.01: try 90000 or 90000.01",
        ),
        (
            "lot_step",
            "0.000015",
            "90000",
            "not a multiple of the lot 0.00001: try 0.00001 or 0.00002",
        ),
        (
            "min_notional",
            "0.00001",
            "90000",
            "order value 0.9 USDT is below the minimum 5 USDT",
        ),
        (
            "max_qty",
            "9001",
            "1",
            "quantity 9001 is above the maximum 9000",
        ),
        (
            "price_range",
            "1",
            "2000000",
            "price 2000000 is outside 0.01 – 1000000",
        ),
        (
            "user_limit",
            "1",
            "90000",
            "order value 90000 USDT is above your limit of 10000 USDT per order (trading.max_notional)",
        ),
        ("no_price", "0.01", "", "enter a price"),
    ];
    for (label, qty, price, expected) in cases {
        let mut s = paper();
        fill_buy(&mut s, qty, price);
        let screen = snapshot(&s);
        assert!(
            screen.contains(&expected[..expected.len().min(24)]),
            "{label}: {expected}\n{screen}"
        );
        assert!(
            key(&mut s, Key::Enter).is_empty(),
            "{label}: nothing is sent"
        );
        assert!(
            s.flash.as_ref().is_some_and(|f| f.text.contains(expected)),
            "{label}: {:?}",
            s.flash
        );
        insta::assert_snapshot!(format!("ticket_{label}"), screen);
    }
}

#[test]
fn stop_direction_and_halted_instruments_are_explained() {
    let mut s = paper();
    keys(&mut s, "b");
    key(&mut s, Key::BackTab);
    keys(&mut s, " ");
    assert_eq!(ticket(&s).order_type, OrderType::StopLimit);
    key(&mut s, Key::Tab);
    keys(&mut s, "0.01");
    key(&mut s, Key::Tab);
    keys(&mut s, "89000");
    key(&mut s, Key::Tab);
    keys(&mut s, "89500");
    key(&mut s, Key::Enter);
    assert_eq!(
        s.flash.as_ref().unwrap().text,
        "a buy stop must be above the last price 90000.05"
    );
    insta::assert_snapshot!("ticket_stop_direction", snapshot(&s));

    let mut s = paper();
    let mut halted = btc();
    halted.trading = false;
    update(&mut s, Action::Instruments(vec![halted]));
    fill_buy(&mut s, "0.01", "90000");
    key(&mut s, Key::Enter);
    assert_eq!(s.flash.as_ref().unwrap().text, "BTCUSDT is not trading now");
}

#[test]
fn a_valid_ticket_shows_its_preview() {
    let mut s = paper();
    fill_buy(&mut s, "0.01", "90000");
    let screen = snapshot(&s);
    assert!(screen.contains("≈ 900 USDT · fee ≈ 0.9 USDT"), "{screen}");
    insta::assert_snapshot!("ticket_preview", screen);
}
