//! Broker snapshots joined with local fills, then valued: which quantity and cost each row shows,
//! the flags on disagreements, cash, equity and allocation (figures worked by hand).

use rust_decimal::Decimal;
use speedtrade::domain::{ClientOrderId, Fill, Price, Qty, Side, Symbol, VenueId};
use speedtrade::portfolio::{
    Agreement, CostSource, FillContext, Holding, JoinOptions, Ledger, Marks, Pair, Valuation, join,
    value,
};
use speedtrade::venue::{AccountSnapshot, Balance, BrokerPosition};
use std::collections::BTreeMap;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn sym(s: &str) -> Symbol {
    Symbol::new(s).unwrap()
}

fn fill(venue: VenueId, symbol: &str, side: Side, qty: &str, price: &str, id: u64) -> Fill {
    Fill {
        client_order_id: ClientOrderId::new("t").unwrap(),
        venue,
        symbol: sym(symbol),
        side,
        price: Price::parse(price).unwrap(),
        qty: Qty::parse(qty).unwrap(),
        fee: Decimal::ZERO,
        fee_asset: String::new(),
        trade_id: id.to_string(),
        is_maker: true,
        time: id as i64,
    }
}

fn pair_of(symbol: &str) -> Pair {
    for quote in ["USDT", "FDUSD"] {
        if let Some(base) = symbol.strip_suffix(quote) {
            return Pair::new(base, quote);
        }
    }
    Pair::stock(&sym(symbol))
}

fn ledger(fills: &[Fill]) -> Ledger {
    let (l, skipped) = Ledger::rebuild(fills, |f| {
        Some(FillContext::new(pair_of(f.symbol.as_str())))
    });
    assert!(skipped.is_empty());
    l
}

fn bal(asset: &str, free: &str, locked: &str) -> Balance {
    Balance {
        asset: asset.into(),
        free: d(free),
        locked: d(locked),
    }
}

fn row<'a>(hs: &'a [Holding], symbol: &str) -> &'a Holding {
    hs.iter().find(|h| h.symbol.as_str() == symbol).unwrap()
}

fn binance_case() -> (Ledger, BTreeMap<VenueId, AccountSnapshot>) {
    use Side::*;
    let b = VenueId::Binance;
    let l = ledger(&[
        fill(b, "BTCUSDT", Buy, "0.6", "50000", 1),
        fill(b, "ETHUSDT", Buy, "2", "2000", 2),
        fill(b, "SOLUSDT", Buy, "10", "100", 3),
        fill(b, "SOLUSDT", Sell, "10", "110", 4),
    ]);
    let snap = AccountSnapshot {
        balances: vec![
            bal("BTC", "0.5", "0.1"),
            bal("ETH", "1.5", "0"),
            bal("BNB", "0.05", "0"),
            bal("USDT", "10000", "500"),
        ],
        ..AccountSnapshot::default()
    };
    (l, BTreeMap::from([(b, snap)]))
}

#[test]
fn binance_balances_join_local_fills_and_flag_what_disagrees() {
    let (l, accounts) = binance_case();
    let j = join(&l, &accounts, &JoinOptions::default());
    let names: Vec<&str> = j.holdings.iter().map(|h| h.symbol.as_str()).collect();
    assert_eq!(names, ["BNBUSDT", "BTCUSDT", "ETHUSDT", "SOLUSDT"]);
    // (label, symbol, qty shown, cost, cost source, agreement)
    let cases = [
        (
            "free + locked matches",
            "BTCUSDT",
            "0.6",
            Some("30000"),
            CostSource::LocalFills,
            Agreement::Matched,
        ),
        (
            "broker quantity wins, local average (2000) costs it",
            "ETHUSDT",
            "1.5",
            Some("3000"),
            CostSource::LocalFills,
            Agreement::Mismatch {
                local: d("2"),
                broker: d("1.5"),
            },
        ),
        (
            "fee asset nobody traded",
            "BNBUSDT",
            "0.05",
            None,
            CostSource::Unknown,
            Agreement::BrokerOnly,
        ),
        (
            "flat and absent agree",
            "SOLUSDT",
            "0",
            Some("0"),
            CostSource::LocalFills,
            Agreement::Matched,
        ),
    ];
    for (label, symbol, qty, cost, source, agreement) in cases {
        let h = row(&j.holdings, symbol);
        assert_eq!(h.qty, d(qty), "{label}");
        assert_eq!(h.cost, cost.map(d), "{label}");
        assert_eq!(h.cost_source, source, "{label}");
        assert_eq!(h.agreement, agreement, "{label}");
    }
    assert_eq!(
        row(&j.holdings, "SOLUSDT").realized,
        d("100"),
        "closed trades keep their P&L"
    );
    assert_eq!(j.cash.len(), 1);
    assert_eq!(
        (j.cash[0].asset.as_str(), j.cash[0].amount, j.cash[0].locked),
        ("USDT", d("10500"), d("500"))
    );
}

#[test]
fn valuation_gives_market_value_unrealized_equity_and_allocation() {
    let (l, accounts) = binance_case();
    let j = join(&l, &accounts, &JoinOptions::default());
    let mut marks = Marks::new();
    for (s, p) in [
        ("BTCUSDT", "60000"),
        ("ETHUSDT", "2500"),
        ("BNBUSDT", "600"),
        ("SOLUSDT", "120"),
    ] {
        marks.set(VenueId::Binance, sym(s), Price::parse(p).unwrap());
    }
    let v = value(
        &j,
        &marks,
        &Valuation::new("USD").with_rate("USDT", Decimal::ONE),
    );
    // (symbol, market value, unrealized, allocation %)
    // Values: BTC 0.6×60000 = 36000, ETH 1.5×2500 = 3750, BNB 0.05×600 = 30, SOL 0.
    // Equity = cash 10500 + 39780 = 50280. Allocation = value / 50280 × 100 (4 dp).
    let cases = [
        ("BTCUSDT", "36000", Some("6000"), "71.5990"),
        ("ETHUSDT", "3750", Some("750"), "7.4582"),
        ("BNBUSDT", "30", None, "0.0597"),
        ("SOLUSDT", "0", Some("0"), "0"),
    ];
    for (symbol, mv, unrealized, alloc) in cases {
        let r = v
            .rows
            .iter()
            .find(|r| r.holding.symbol.as_str() == symbol)
            .unwrap();
        assert_eq!(r.market_value, Some(d(mv)), "{symbol}");
        assert_eq!(r.unrealized, unrealized.map(d), "{symbol}");
        assert_eq!(r.allocation_pct, Some(d(alloc)), "{symbol}");
    }
    let t = &v.totals;
    assert_eq!(
        (t.cash, t.market_value, t.equity),
        (d("10500"), d("39780"), d("50280"))
    );
    assert_eq!(t.unrealized, d("6750"), "6000 + 750; BNB has no cost");
    assert_eq!(t.net_realized(), d("100"));
    assert!(t.is_complete(), "{:?}", t.unpriced);
}

#[test]
fn alpaca_positions_use_local_cost_when_they_agree_and_the_broker_cost_when_not() {
    use Side::*;
    let a = VenueId::Alpaca;
    let l = ledger(&[
        fill(a, "AAPL", Buy, "10", "190", 1),
        fill(a, "MSFT", Buy, "5", "400", 2),
    ]);
    let bp = |s: &str, q: &str, avg: &str, px: Option<&str>| BrokerPosition {
        symbol: sym(s),
        qty: d(q),
        avg_entry_price: d(avg),
        current_price: px.map(d),
    };
    let snap = AccountSnapshot {
        positions: vec![
            bp("AAPL", "10", "190.5", Some("200")),
            bp("MSFT", "8", "410", None),
            bp("TSLA", "-3", "250", Some("240")),
        ],
        cash: Some(d("5000")),
        equity: Some(d("9999")),
        ..AccountSnapshot::default()
    };
    let j = join(&l, &BTreeMap::from([(a, snap)]), &JoinOptions::default());
    let aapl = row(&j.holdings, "AAPL");
    assert_eq!(
        (aapl.qty, aapl.cost, aapl.agreement.clone()),
        (d("10"), Some(d("1900")), Agreement::Matched)
    );
    let msft = row(&j.holdings, "MSFT");
    // 8 shares at the broker's 410 = 3280.
    assert_eq!(
        (msft.qty, msft.cost, msft.cost_source),
        (d("8"), Some(d("3280")), CostSource::Broker)
    );
    assert_eq!(
        msft.agreement,
        Agreement::Mismatch {
            local: d("5"),
            broker: d("8")
        }
    );
    let tsla = row(&j.holdings, "TSLA");
    assert_eq!(
        (tsla.qty, tsla.cost, tsla.agreement.clone()),
        (d("-3"), Some(d("-750")), Agreement::BrokerOnly)
    );
    assert_eq!(tsla.pair, Pair::new("TSLA", "USD"));
    assert_eq!(j.broker_equity.get(&a), Some(&d("9999")));

    // No local marks: the broker's prices are used. AAPL 10×200 = 2000 (unrealized +100);
    // TSLA −3×240 = −720 (unrealized −720 + 750 = +30); MSFT has no price at all.
    let v = value(&j, &Marks::new(), &Valuation::new("USD"));
    let t = &v.totals;
    assert_eq!(
        (t.cash, t.market_value, t.equity),
        (d("5000"), d("1280"), d("6280"))
    );
    assert_eq!(t.unrealized, d("130"));
    assert_eq!(t.unpriced, ["MSFT: no price"]);
    let tsla = v
        .rows
        .iter()
        .find(|r| r.holding.symbol.as_str() == "TSLA")
        .unwrap();
    // A short's allocation is negative: −720 / 6280 × 100 = −11.4650 (4 dp).
    assert_eq!(tsla.allocation_pct, Some(d("-11.4650")));
}

#[test]
fn without_a_broker_snapshot_local_fills_are_shown_as_they_are() {
    let p = VenueId::Paper;
    let l = ledger(&[fill(p, "BTCUSDT", Side::Buy, "1", "100", 1)]);
    let j = join(&l, &BTreeMap::new(), &JoinOptions::default());
    assert_eq!(j.holdings.len(), 1);
    let h = &j.holdings[0];
    assert_eq!(
        (h.qty, h.cost, h.agreement.clone()),
        (d("1"), Some(d("100")), Agreement::LocalOnly)
    );
    assert!(j.cash.is_empty());
}

#[test]
fn a_position_the_broker_no_longer_has_shows_zero_and_is_flagged() {
    let a = VenueId::Alpaca;
    let l = ledger(&[fill(a, "NVDA", Side::Buy, "5", "100", 1)]);
    let snap = AccountSnapshot {
        cash: Some(d("1")),
        ..AccountSnapshot::default()
    };
    let j = join(&l, &BTreeMap::from([(a, snap)]), &JoinOptions::default());
    let h = row(&j.holdings, "NVDA");
    assert_eq!(h.qty, Decimal::ZERO);
    assert_eq!(
        h.agreement,
        Agreement::Mismatch {
            local: d("5"),
            broker: d("0")
        }
    );
}

#[test]
fn symbols_sharing_a_base_asset_are_compared_by_their_sum() {
    use Side::*;
    let b = VenueId::Binance;
    let l = ledger(&[
        fill(b, "BTCUSDT", Buy, "0.4", "100", 1),
        fill(b, "BTCFDUSD", Buy, "0.2", "100", 2),
    ]);
    for (label, held, expect) in [
        ("sum agrees", "0.6", Agreement::Matched),
        (
            "sum differs",
            "0.7",
            Agreement::Mismatch {
                local: d("0.6"),
                broker: d("0.7"),
            },
        ),
    ] {
        let snap = AccountSnapshot {
            balances: vec![bal("BTC", held, "0")],
            ..AccountSnapshot::default()
        };
        let j = join(&l, &BTreeMap::from([(b, snap)]), &JoinOptions::default());
        assert_eq!(j.holdings.len(), 2, "{label}");
        for h in &j.holdings {
            assert_eq!(h.agreement, expect, "{label} {}", h.symbol);
        }
        assert_eq!(
            row(&j.holdings, "BTCFDUSD").qty,
            d("0.2"),
            "{label}: local quantity kept"
        );
    }
}

#[test]
fn a_quote_without_a_rate_is_named_and_left_out_of_equity() {
    let b = VenueId::Binance;
    let l = ledger(&[fill(b, "BTCFDUSD", Side::Buy, "1", "100", 1)]);
    let j = join(&l, &BTreeMap::new(), &JoinOptions::default());
    let mut marks = Marks::new();
    marks.set(b, sym("BTCFDUSD"), Price::from_int(110));
    let v = value(&j, &marks, &Valuation::new("USD"));
    assert_eq!(v.totals.unpriced, ["FDUSD: no rate"]);
    assert_eq!(v.totals.equity, Decimal::ZERO);
    assert_eq!(
        v.rows[0].market_value,
        Some(d("110")),
        "still valued in its own quote"
    );
    assert_eq!(v.rows[0].unrealized, Some(d("10")));
}
