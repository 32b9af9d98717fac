//! The positions tab from fills and a broker snapshot: average cost, unrealized and realized
//! P&L, cash and equity, and the equity curve's minute points.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use rust_decimal::Decimal;
use speedtrade::app::{Action, AppState, BottomTab, Command, KeyMap, update};
use speedtrade::config;
use speedtrade::domain::*;
use speedtrade::venue::{AccountSnapshot, Balance, MarketEvent};

const NOW: i64 = 1_700_000_000_000;

fn state() -> AppState {
    let c = config::parse_layered(Some(("t.toml", "[ui]\nclock = \"utc\"\n"))).unwrap();
    AppState::new(&c, KeyMap::from_table(&c.keys).unwrap(), false, NOW)
}

fn fill(id: &str, side: Side, price: &str, qty: &str, fee: &str) -> Fill {
    Fill {
        client_order_id: ClientOrderId::new("o1").unwrap(),
        venue: VenueId::Paper,
        symbol: Symbol::new("BTCUSDT").unwrap(),
        side,
        price: Price::parse(price).unwrap(),
        qty: Qty::parse(qty).unwrap(),
        fee: fee.parse().unwrap(),
        fee_asset: "USDT".into(),
        trade_id: id.into(),
        is_maker: false,
        time: NOW,
    }
}

fn last(price: &str) -> Action {
    Action::Market(MarketEvent::Trade(Trade {
        symbol: Symbol::new("BTCUSDT").unwrap(),
        id: 9,
        price: Price::parse(price).unwrap(),
        qty: Qty::ONE,
        taker_side: Side::Buy,
        time: NOW,
    }))
}

#[test]
fn fills_and_the_broker_make_the_positions_tab() {
    let mut s = state();
    // Buy 1 @ 90000 and 1 @ 92000 (avg 91000), sell 0.5 @ 93000: realized 0.5 × 2000 = 1000,
    // fees 9 + 9.2 + 4.65 = 22.85 → net realized 977.15.
    update(
        &mut s,
        Action::Fill(fill("1", Side::Buy, "90000", "1", "9")),
    );
    update(
        &mut s,
        Action::Fill(fill("2", Side::Buy, "92000", "1", "9.2")),
    );
    let cmds = update(
        &mut s,
        Action::Fill(fill("3", Side::Sell, "93000", "0.5", "4.65")),
    );
    assert!(
        cmds.contains(&Command::RefreshAccount),
        "a fill refreshes the broker's balances"
    );
    update(
        &mut s,
        Action::Fill(fill("3", Side::Sell, "93000", "0.5", "4.65")),
    );
    update(&mut s, last("94000"));
    let cash = Decimal::new(100_000, 0) - Decimal::new(182_000, 0) + Decimal::new(46_500, 0)
        - Decimal::new(2285, 2);
    let btc = Balance {
        asset: "BTC".into(),
        free: Decimal::new(15, 1),
        locked: Decimal::ZERO,
    };
    let usdt = Balance {
        asset: "USDT".into(),
        free: cash,
        locked: Decimal::ZERO,
    };
    update(
        &mut s,
        Action::Account(
            VenueId::Paper,
            AccountSnapshot {
                balances: vec![btc, usdt],
                ..Default::default()
            },
        ),
    );

    let v = speedtrade::app::portfolio::view(&s);
    let row = v
        .rows
        .iter()
        .find(|r| r.holding.symbol.as_str() == "BTCUSDT")
        .unwrap();
    assert_eq!(
        row.holding.qty,
        Decimal::new(15, 1),
        "the duplicate fill counted once"
    );
    assert_eq!(row.holding.avg_cost(), Some(Decimal::new(91_000, 0)));
    assert_eq!(
        row.unrealized,
        Some(Decimal::new(4_500, 0)),
        "1.5 × (94000 − 91000)"
    );
    assert_eq!(v.totals.net_realized(), Decimal::new(97715, 2));
    assert_eq!(
        v.totals.equity,
        cash + Decimal::new(141_000, 0),
        "cash + 1.5 × 94000"
    );

    s.bottom_tab = BottomTab::Positions;
    let mut term = Terminal::new(TestBackend::new(140, 30)).unwrap();
    term.draw(|f| speedtrade::ui::draw(f, &s)).unwrap();
    insta::assert_snapshot!(term.backend());
}

#[test]
fn the_clock_takes_an_equity_point_each_minute() {
    let mut s = state();
    let saved = |cmds: Vec<Command>| {
        cmds.iter()
            .filter(|c| matches!(c, Command::SaveEquity(_)))
            .count()
    };
    let mut total = 0;
    for sec in 0..181 {
        total += saved(update(&mut s, Action::Tick(NOW + sec * 1000)));
    }
    assert!(
        (3..=5).contains(&total),
        "about one point a minute (plus the daily one): {total}"
    );
    assert_eq!(s.portfolio.curve.len(), total);
}
