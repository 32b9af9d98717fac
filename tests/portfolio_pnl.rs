//! Worked P&L examples (average cost): partial fills, fees in quote / base / a third asset,
//! buys and sells across zero, several symbols. Every figure is computed by hand in a comment.

use rust_decimal::Decimal;
use speedtrade::domain::{ClientOrderId, Fill, Price, Qty, Side, Symbol, VenueId};
use speedtrade::portfolio::{Applied, FillContext, Ledger, Pair, Position};

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn sym(s: &str) -> Symbol {
    Symbol::new(s).unwrap()
}

/// A fill: `side qty @ price`, fee `fee asset`, with a trade id and time.
fn fill(symbol: &str, side: Side, qty: &str, price: &str, fee: &str, asset: &str, id: u64) -> Fill {
    Fill {
        client_order_id: ClientOrderId::new("t").unwrap(),
        venue: VenueId::Binance,
        symbol: sym(symbol),
        side,
        price: Price::parse(price).unwrap(),
        qty: Qty::parse(qty).unwrap(),
        fee: d(fee),
        fee_asset: asset.to_string(),
        trade_id: id.to_string(),
        is_maker: false,
        time: 1_700_000_000_000 + id as i64 * 1000,
    }
}

fn pair(symbol: &str) -> Pair {
    match symbol {
        "BTCUSDT" => Pair::new("BTC", "USDT"),
        "ETHUSDT" => Pair::new("ETH", "USDT"),
        "SOLUSDT" => Pair::new("SOL", "USDT"),
        other => Pair::new(other, "USD"),
    }
}

fn run(fills: &[Fill]) -> Ledger {
    let mut l = Ledger::new();
    for f in fills {
        let ctx = FillContext::new(pair(f.symbol.as_str()));
        l.apply(f, &ctx).unwrap();
    }
    l
}

fn pos<'a>(l: &'a Ledger, symbol: &str) -> &'a Position {
    l.position(VenueId::Binance, &sym(symbol)).unwrap()
}

fn mark(s: &str) -> Price {
    Price::parse(s).unwrap()
}

#[test]
fn partial_fills_average_the_cost_and_a_partial_sell_realizes_against_it() {
    use Side::*;
    let l = run(&[
        fill("BTCUSDT", Buy, "0.5", "40000", "0", "USDT", 1),
        fill("BTCUSDT", Buy, "0.3", "42000", "0", "USDT", 2),
        fill("BTCUSDT", Buy, "0.2", "45000", "0", "USDT", 3),
        fill("BTCUSDT", Sell, "0.4", "44000", "0", "USDT", 4),
    ]);
    let p = pos(&l, "BTCUSDT");
    // cost = 0.5×40000 + 0.3×42000 + 0.2×45000 = 20000 + 12600 + 9000 = 41600 for 1 BTC.
    // Selling 0.4 removes 0.4 × 41600 = 16640 of cost for 0.4 × 44000 = 17600: realized 960.
    assert_eq!(p.qty, d("0.6"));
    assert_eq!(p.cost, d("24960"), "41600 − 16640");
    assert_eq!(
        p.avg_cost(),
        Some(d("41600")),
        "a sale does not move the average"
    );
    assert_eq!(p.realized, d("960"));
    // At 43000: value 0.6 × 43000 = 25800; unrealized 25800 − 24960 = 840.
    assert_eq!(p.market_value(mark("43000")), Some(d("25800")));
    assert_eq!(p.unrealized(mark("43000")), Some(d("840")));
    assert_eq!((p.bought, p.sold, p.fill_count), (d("1.0"), d("0.4"), 4));
    // Cash: −20000 −12600 −9000 +17600 = −24000.
    assert_eq!(l.cash_flow(VenueId::Binance, "USDT"), d("-24000"));
}

#[test]
fn quote_fees_reduce_realized_pnl_and_cash() {
    use Side::*;
    let l = run(&[
        fill("ETHUSDT", Buy, "2", "2500", "5", "USDT", 1),
        fill("ETHUSDT", Sell, "2", "2600", "5.2", "USDT", 2),
    ]);
    let p = pos(&l, "ETHUSDT");
    // Gross: 2 × (2600 − 2500) = 200. Fees 5 + 5.2 = 10.2. Net 189.8.
    assert!(p.is_flat());
    assert_eq!(p.cost, Decimal::ZERO);
    assert_eq!(p.realized, d("200"));
    assert_eq!(p.fees, d("10.2"));
    assert_eq!(p.net_realized(), d("189.8"));
    // Cash: −5000 − 5 + 5200 − 5.2 = 189.8, the same as net realized once flat.
    assert_eq!(l.cash_flow(VenueId::Binance, "USDT"), d("189.8"));
}

#[test]
fn base_fee_reduces_the_quantity_received_and_is_valued_at_the_fill_price() {
    use Side::*;
    let mut l = run(&[fill("BTCUSDT", Buy, "1", "50000", "0.001", "BTC", 1)]);
    let p = pos(&l, "BTCUSDT");
    // Bought 1 BTC, 0.001 BTC kept as fee: 0.999 BTC held, at 50000 each = 49950 cost.
    // The fee is 0.001 × 50000 = 50 USDT; cash paid 50000.
    assert_eq!(p.qty, d("0.999"));
    assert_eq!(p.cost, d("49950"));
    assert_eq!(p.avg_cost(), Some(d("50000")));
    assert_eq!(p.fees, d("50"));
    assert_eq!(l.cash_flow(VenueId::Binance, "USDT"), d("-50000"));
    // Sell all 0.999 at 51000, 0.1% fee in USDT = 50.949.
    let sell = fill("BTCUSDT", Sell, "0.999", "51000", "50.949", "USDT", 2);
    l.apply(&sell, &FillContext::new(pair("BTCUSDT"))).unwrap();
    let p = pos(&l, "BTCUSDT");
    // Realized 0.999 × 51000 − 49950 = 50949 − 49950 = 999; fees 50 + 50.949 = 100.949.
    assert!(p.is_flat());
    assert_eq!(p.realized, d("999"));
    assert_eq!(p.fees, d("100.949"));
    assert_eq!(p.net_realized(), d("898.051"));
    // Cash: −50000 + 50949 − 50.949 = 898.051: net realized equals the cash made.
    assert_eq!(l.cash_flow(VenueId::Binance, "USDT"), d("898.051"));
}

#[test]
fn base_fee_on_a_sell_gives_away_more_than_the_quantity_sold() {
    use Side::*;
    let l = run(&[
        fill("BTCUSDT", Buy, "1", "100", "0", "USDT", 1),
        fill("BTCUSDT", Sell, "0.5", "120", "0.01", "BTC", 2),
    ]);
    let p = pos(&l, "BTCUSDT");
    // 0.51 BTC leaves the position: realized 0.51 × (120 − 100) = 10.2; fee 0.01 × 120 = 1.2.
    assert_eq!(p.qty, d("0.49"));
    assert_eq!(p.cost, d("49"));
    assert_eq!(p.realized, d("10.2"));
    assert_eq!(p.fees, d("1.2"));
    // Cash: −100 + 0.5 × 120 = −40 (the fee was paid in BTC).
    assert_eq!(l.cash_flow(VenueId::Binance, "USDT"), d("-40"));
}

#[test]
fn third_asset_fee_converts_at_the_given_rate_or_is_kept_aside() {
    use Side::*;
    let buy = fill("SOLUSDT", Buy, "10", "150", "0.002", "BNB", 1);
    let mut with_rate = Ledger::new();
    let ctx = FillContext {
        pair: pair("SOLUSDT"),
        fee_rate: Some(d("600")),
    };
    with_rate.apply(&buy, &ctx).unwrap();
    let p = pos(&with_rate, "SOLUSDT");
    // 0.002 BNB × 600 USDT/BNB = 1.2 USDT of fees; the SOL quantity is untouched.
    assert_eq!((p.qty, p.cost, p.fees), (d("10"), d("1500"), d("1.2")));
    assert_eq!(with_rate.cash_flow(VenueId::Binance, "USDT"), d("-1500"));
    assert_eq!(with_rate.cash_flow(VenueId::Binance, "BNB"), d("-0.002"));

    let without = run(std::slice::from_ref(&buy));
    let p = pos(&without, "SOLUSDT");
    assert_eq!(p.fees, Decimal::ZERO, "no rate: not in P&L");
    assert_eq!(p.other_fees.get("BNB"), Some(&d("0.002")));
    assert_eq!(without.cash_flow(VenueId::Binance, "BNB"), d("-0.002"));
}

#[test]
fn across_zero_splits_into_a_closing_and_an_opening_part() {
    use Side::*;
    // (label, fill, qty after, cost after, realized after)
    let steps = [
        (
            "open long 1 @ 100",
            fill("X", Buy, "1", "100", "0", "USD", 1),
            "1",
            "100",
            "0",
        ),
        // Close 1 at 110: +10. Open a short of 2 at 110: cost −220.
        (
            "sell 3 @ 110 flips",
            fill("X", Sell, "3", "110", "0", "USD", 2),
            "-2",
            "-220",
            "10",
        ),
        // Buy back 1 of the short: removes −220 × 1/2 = −110, pays 100: +10 → 20.
        (
            "cover 1 @ 100",
            fill("X", Buy, "1", "100", "0", "USD", 3),
            "-1",
            "-110",
            "20",
        ),
        // Cover the last 1 at 90: +20 → 40; open long 2 at 90: cost 180.
        (
            "buy 3 @ 90 flips",
            fill("X", Buy, "3", "90", "0", "USD", 4),
            "2",
            "180",
            "40",
        ),
        // Sell exactly 2 at 95: +10 → 50, flat with zero cost.
        (
            "sell 2 @ 95 to flat",
            fill("X", Sell, "2", "95", "0", "USD", 5),
            "0",
            "0",
            "50",
        ),
    ];
    let mut l = Ledger::new();
    for (label, f, qty, cost, realized) in steps {
        l.apply(&f, &FillContext::new(pair("X"))).unwrap();
        let p = pos(&l, "X");
        assert_eq!(
            (p.qty, p.cost, p.realized),
            (d(qty), d(cost), d(realized)),
            "{label}"
        );
    }
    // Σ sells − Σ buys = (330 + 190) − (100 + 100 + 270) = 50: the same as realized.
    assert_eq!(l.cash_flow(VenueId::Binance, "USD"), d("50"));
}

#[test]
fn a_short_has_a_positive_average_and_gains_when_the_price_falls() {
    use Side::*;
    let l = run(&[
        fill("X", Sell, "2", "110", "0", "USD", 1),
        fill("X", Sell, "2", "130", "0", "USD", 2),
    ]);
    let p = pos(&l, "X");
    // Short 4 for 220 + 260 = 480 received: avg 120. At 100: value −400, unrealized +80.
    assert_eq!(p.avg_cost(), Some(d("120")));
    assert_eq!(p.market_value(mark("100")), Some(d("-400")));
    assert_eq!(p.unrealized(mark("100")), Some(d("80")));
    assert_eq!(p.unrealized(mark("125")), Some(d("-20")));
}

#[test]
fn a_cost_that_does_not_divide_still_closes_to_the_exact_total() {
    use Side::*;
    let l = run(&[
        fill("X", Buy, "1", "10", "0", "USD", 1),
        fill("X", Buy, "2", "11", "0", "USD", 2),
        fill("X", Sell, "1", "12", "0", "USD", 3),
    ]);
    // Cost 10 + 22 = 32 for 3: one third is 10.666… kept to 12 decimals.
    let p = pos(&l, "X");
    assert_eq!(p.cost, d("21.333333333333"));
    assert_eq!(p.realized, d("1.333333333333"));
    let mut l = l;
    l.apply(
        &fill("X", Sell, "2", "12", "0", "USD", 4),
        &FillContext::new(pair("X")),
    )
    .unwrap();
    // Flat: realized is exactly 36 − 32 = 4, no residue.
    let p = pos(&l, "X");
    assert_eq!((p.qty, p.cost, p.realized), (d("0"), d("0"), d("4")));
}

#[test]
fn several_symbols_are_kept_apart_with_realized_and_unrealized() {
    use Side::*;
    let l = run(&[
        fill("BTCUSDT", Buy, "0.1", "60000", "0", "USDT", 1),
        fill("ETHUSDT", Buy, "3", "3000", "0", "USDT", 2),
        fill("BTCUSDT", Sell, "0.05", "62000", "0", "USDT", 3),
        fill("ETHUSDT", Sell, "1", "2900", "0", "USDT", 4),
    ]);
    let btc = pos(&l, "BTCUSDT");
    // BTC: realized 0.05 × 2000 = 100; left 0.05 at 60000 (cost 3000); at 61000 unrealized 50.
    assert_eq!((btc.qty, btc.realized), (d("0.05"), d("100")));
    assert_eq!(btc.unrealized(mark("61000")), Some(d("50")));
    let eth = pos(&l, "ETHUSDT");
    // ETH: realized 1 × (2900 − 3000) = −100; left 2 (cost 6000); at 3100 unrealized 200.
    assert_eq!((eth.qty, eth.realized), (d("2"), d("-100")));
    assert_eq!(eth.unrealized(mark("3100")), Some(d("200")));
    assert_eq!(l.open_positions().count(), 2);
    // Cash: −6000 − 9000 + 3100 + 2900 = −9000.
    assert_eq!(l.cash_flow(VenueId::Binance, "USDT"), d("-9000"));
}

#[test]
fn the_same_fill_twice_counts_once() {
    use Side::*;
    let f = fill("BTCUSDT", Buy, "1", "100", "0.1", "USDT", 7);
    let mut l = Ledger::new();
    let ctx = FillContext::new(pair("BTCUSDT"));
    let first = l.apply(&f, &ctx).unwrap();
    assert_eq!(
        first,
        Applied::New {
            realized: d("0"),
            fee: d("0.1")
        }
    );
    assert_eq!(l.apply(&f, &ctx).unwrap(), Applied::Duplicate);
    assert_eq!(pos(&l, "BTCUSDT").qty, d("1"));
    assert_eq!(l.cash_flow(VenueId::Binance, "USDT"), d("-100.1"));
}

#[test]
fn rebuild_orders_fills_by_time_and_reports_what_it_skipped() {
    use Side::*;
    let buy = fill("X", Buy, "1", "100", "0", "USD", 1);
    let sell = fill("X", Sell, "1", "150", "0", "USD", 2);
    let unknown = fill("Y", Buy, "1", "1", "0", "USD", 3);
    // Stored out of order: a sell first would open a short and realize nothing.
    let fills = [sell, unknown.clone(), buy];
    let (l, skipped) = Ledger::rebuild(&fills, |f| {
        (f.symbol.as_str() == "X").then(|| FillContext::new(pair("X")))
    });
    assert_eq!(pos(&l, "X").realized, d("50"));
    assert_eq!(skipped, vec![&unknown]);
}

#[test]
fn an_absurd_fee_is_refused_and_changes_nothing() {
    use Side::*;
    let mut l = run(&[fill("X", Buy, "1", "100", "0", "USD", 1)]);
    let before = pos(&l, "X").clone();
    let mut bad = fill("X", Buy, "1", "100", "0", "USD", 2);
    bad.fee = Decimal::MAX;
    bad.fee_asset = "X".into();
    assert!(l.apply(&bad, &FillContext::new(pair("X"))).is_err());
    assert_eq!(pos(&l, "X"), &before);
    assert_eq!(l.cash_flow(VenueId::Binance, "USD"), d("-100"));
}

#[test]
fn positions_round_trip_through_serde_for_the_store() {
    let l = run(&[fill(
        "BTCUSDT",
        Side::Buy,
        "0.25",
        "64000.5",
        "0.00025",
        "BTC",
        1,
    )]);
    let p = pos(&l, "BTCUSDT");
    let json = serde_json::to_string(p).unwrap();
    assert!(json.contains("\"qty\":\"0.24975\""), "{json}");
    let back: Position = serde_json::from_str(&json).unwrap();
    assert_eq!(&back, p);
}
