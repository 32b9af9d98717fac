//! The order state machine, table-driven: every legal and every illegal transition, fills as
//! facts, and cumulative quantities that never go backwards.

#![allow(clippy::unwrap_used)]

use OrderStatus::*;
use rust_decimal::Decimal;
use speedtrade::domain::*;
use speedtrade::orders::{apply_update, can_transition};
use speedtrade::store::OrderEventKind;
use speedtrade::venue::OrderUpdate;

/// The allowed moves, written out independently of the implementation.
const LEGAL: &[(OrderStatus, &[OrderStatus])] = &[
    (
        PendingSubmit,
        &[
            Unknown,
            New,
            PartiallyFilled,
            Filled,
            Canceled,
            Rejected,
            Expired,
        ],
    ),
    (
        Unknown,
        &[New, PartiallyFilled, Filled, Canceled, Rejected, Expired],
    ),
    (
        New,
        &[
            PartiallyFilled,
            Filled,
            PendingCancel,
            Canceled,
            Rejected,
            Expired,
        ],
    ),
    (PartiallyFilled, &[Filled, PendingCancel, Canceled, Expired]),
    (
        PendingCancel,
        &[New, PartiallyFilled, Filled, Canceled, Expired],
    ),
    (Filled, &[]),
    (Canceled, &[]),
    (Rejected, &[]),
    (Expired, &[]),
];

fn order(status: OrderStatus, filled: &str) -> Order {
    Order {
        request: OrderRequest {
            client_order_id: ClientOrderId::new("st-sm-1").unwrap(),
            venue: VenueId::Binance,
            symbol: Symbol::new("BTCUSDT").unwrap(),
            side: Side::Buy,
            order_type: OrderType::Limit,
            amount: OrderAmount::Base(Qty::parse("1").unwrap()),
            price: Some(Price::parse("100").unwrap()),
            stop_price: None,
            tif: TimeInForce::Gtc,
        },
        venue_order_id: Some("42".into()),
        status,
        filled_qty: Qty::parse(filled).unwrap(),
        filled_quote: Decimal::from_str_exact(filled).unwrap() * Decimal::from(100),
        reject_reason: None,
        created_at: 1,
        updated_at: 1,
    }
}

fn upd(status: OrderStatus, filled: &str, fill: Option<Fill>) -> OrderUpdate {
    OrderUpdate {
        client_order_id: ClientOrderId::new("st-sm-1").unwrap(),
        venue_order_id: Some("42".into()),
        symbol: Symbol::new("BTCUSDT").unwrap(),
        status,
        filled_qty: Qty::parse(filled).unwrap(),
        filled_quote: Decimal::from_str_exact(filled).unwrap() * Decimal::from(100),
        fill,
        reason: Some("venue says so".into()),
        time: 2,
    }
}

fn fill(trade_id: &str, qty: &str) -> Fill {
    Fill {
        client_order_id: ClientOrderId::new("st-sm-1").unwrap(),
        venue: VenueId::Binance,
        symbol: Symbol::new("BTCUSDT").unwrap(),
        side: Side::Buy,
        price: Price::parse("100").unwrap(),
        qty: Qty::parse(qty).unwrap(),
        fee: Decimal::ZERO,
        fee_asset: "USDT".into(),
        trade_id: trade_id.into(),
        is_maker: true,
        time: 2,
    }
}

#[test]
fn every_transition_is_legal_or_illegal_as_the_table_says() {
    let mut legal = 0;
    for from in OrderStatus::ALL {
        let allowed = LEGAL.iter().find(|(f, _)| *f == from).unwrap().1;
        for to in OrderStatus::ALL.into_iter().filter(|to| *to != from) {
            let expect = allowed.contains(&to);
            assert_eq!(can_transition(from, to), expect, "{from} -> {to}");
            let applied = apply_update(&order(from, "0"), &upd(to, "0", None), |_| false);
            let kinds: Vec<_> = applied.events.iter().map(|e| e.kind).collect();
            if expect {
                legal += 1;
                assert_eq!(applied.order.status, to, "{from} -> {to} applied");
                assert_eq!(kinds, [OrderEventKind::Status], "{from} -> {to}");
                assert_eq!(
                    applied.order.reject_reason.as_deref(),
                    Some("venue says so")
                );
            } else {
                assert_eq!(applied.order.status, from, "{from} -> {to} must be ignored");
                assert_eq!(kinds, [OrderEventKind::Ignored], "{from} -> {to} is logged");
            }
        }
    }
    assert_eq!(legal, 28);
    for t in [Filled, Canceled, Rejected, Expired] {
        assert!(t.is_terminal());
    }
}

#[test]
fn the_same_status_again_is_not_a_transition() {
    let o = order(New, "0");
    let applied = apply_update(&o, &upd(New, "0", None), |_| false);
    assert!(!applied.changed);
    assert!(applied.events.is_empty());
}

#[test]
fn cumulative_fills_never_go_backwards() {
    let o = order(PartiallyFilled, "0.6");
    // A stale update (older fill count) arrives after a newer one.
    let applied = apply_update(&o, &upd(PartiallyFilled, "0.4", None), |_| false);
    assert_eq!(applied.order.filled_qty, Qty::parse("0.6").unwrap());
    assert_eq!(applied.order.filled_quote, Decimal::from(60));
    let more = apply_update(&o, &upd(PartiallyFilled, "0.9", None), |_| false);
    assert_eq!(more.order.filled_qty, Qty::parse("0.9").unwrap());
}

#[test]
fn a_fill_counts_once_and_is_kept_even_when_the_status_is_not() {
    let o = order(PartiallyFilled, "0.5");
    let f = fill("1001", "0.5");
    let first = apply_update(&o, &upd(Filled, "1", Some(f.clone())), |_| false);
    assert_eq!(first.new_fills, vec![f.clone()]);
    assert_eq!(first.order.status, Filled);
    let dup = apply_update(&first.order, &upd(Filled, "1", Some(f.clone())), |x| {
        *x == f
    });
    assert!(dup.new_fills.is_empty());
    assert!(!dup.changed);
    // A late fill after a cancel: the status stays canceled, the fill is recorded.
    let canceled = order(Canceled, "0.5");
    let late = fill("1002", "0.1");
    let applied = apply_update(
        &canceled,
        &upd(PartiallyFilled, "0.6", Some(late.clone())),
        |_| false,
    );
    assert_eq!(applied.order.status, Canceled);
    assert_eq!(applied.new_fills, vec![late]);
    assert_eq!(applied.order.filled_qty, Qty::parse("0.6").unwrap());
    let kinds: Vec<_> = applied.events.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [OrderEventKind::Fill, OrderEventKind::Ignored]);
}
