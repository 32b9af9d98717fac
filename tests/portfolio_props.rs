//! Properties of the average-cost ledger over random fill sequences (quote and base fees, both
//! sides, across zero): the books always balance exactly against the cash that moved.

use proptest::prelude::*;
use rust_decimal::Decimal;
use speedtrade::domain::{ClientOrderId, Fill, Price, Qty, Side, Symbol, VenueId};
use speedtrade::portfolio::{FillContext, Ledger, Pair};

/// (buy?, qty in 0.001 units, price in cents, fee kind 0 none / 1 quote / 2 base, fee units)
type Step = (bool, i64, i64, u8, i64);

fn fills(steps: &[Step]) -> Vec<Fill> {
    steps
        .iter()
        .enumerate()
        .map(|(i, &(buy, q, p, fee_kind, fee))| Fill {
            client_order_id: ClientOrderId::new("p").unwrap(),
            venue: VenueId::Paper,
            symbol: Symbol::new("BTCUSDT").unwrap(),
            side: if buy { Side::Buy } else { Side::Sell },
            price: Price::from_units(p * 1_000_000),
            qty: Qty::from_units(q * 100_000),
            fee: match fee_kind {
                0 => Decimal::ZERO,
                _ => Decimal::new(fee, 6),
            },
            fee_asset: match fee_kind {
                1 => "USDT".into(),
                2 => "BTC".into(),
                _ => String::new(),
            },
            trade_id: i.to_string(),
            is_maker: false,
            time: i as i64,
        })
        .collect()
}

fn step() -> impl Strategy<Value = Step> {
    (
        any::<bool>(),
        1..5_000_i64,
        1..10_000_000_i64,
        0..3_u8,
        0..1_000_i64,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// After every fill: quote cash moved = net realized − open cost (nothing lost to rounding).
    #[test]
    fn cash_equals_net_realized_minus_open_cost(steps in prop::collection::vec(step(), 1..40)) {
        let ctx = FillContext::new(Pair::new("BTC", "USDT"));
        let mut l = Ledger::new();
        for f in fills(&steps) {
            l.apply(&f, &ctx).unwrap();
            let p = l.position(VenueId::Paper, &f.symbol).unwrap();
            let cash = l.cash_flow(VenueId::Paper, "USDT");
            prop_assert_eq!(cash, p.net_realized() - p.cost);
            if p.qty.is_zero() {
                prop_assert!(p.cost.is_zero(), "flat leaves no cost behind");
            }
        }
    }

    /// Without fees, closing to flat realizes exactly Σ sells − Σ buys.
    #[test]
    fn flat_realizes_the_exact_round_trip(steps in prop::collection::vec(step(), 1..30)) {
        let ctx = FillContext::new(Pair::new("BTC", "USDT"));
        let mut fs = fills(&steps);
        for f in &mut fs {
            f.fee = Decimal::ZERO;
        }
        let mut l = Ledger::new();
        for f in &fs {
            l.apply(f, &ctx).unwrap();
        }
        let open = l.positions().next().unwrap().qty;
        if !open.is_zero() {
            let mut close = fs[0].clone();
            close.trade_id = "close".into();
            close.side = if open.is_sign_positive() { Side::Sell } else { Side::Buy };
            close.qty = Qty::from_decimal(open.abs()).unwrap();
            l.apply(&close, &ctx).unwrap();
            fs.push(close);
        }
        let p = l.positions().next().unwrap();
        let signed: Decimal = fs
            .iter()
            .map(|f| {
                let n = f.price.to_decimal() * f.qty.to_decimal();
                if f.side == Side::Sell { n } else { -n }
            })
            .sum();
        prop_assert!(p.qty.is_zero() && p.cost.is_zero());
        prop_assert_eq!(p.realized, signed);
    }
}
