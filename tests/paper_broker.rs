//! The paper broker: book walking, resting orders, time in force, post-only, stops, fees and
//! balances — all exact.

#![allow(clippy::unwrap_used)]

use rust_decimal::Decimal;
use speedtrade::domain::*;
use speedtrade::venue::paper::{PaperBroker, PaperConfig};
use speedtrade::venue::{Broker, BrokerError, BrokerEvent, OrderUpdate};
use tokio::sync::mpsc::UnboundedReceiver;

fn d(s: &str) -> Decimal {
    Decimal::from_str_exact(s).unwrap()
}
fn p(s: &str) -> Price {
    Price::parse(s).unwrap()
}
fn q(s: &str) -> Qty {
    Qty::parse(s).unwrap()
}
fn sym() -> Symbol {
    Symbol::new("BTCUSDT").unwrap()
}

fn level(price: &str, qty: &str) -> Level {
    Level {
        price: p(price),
        qty: q(qty),
    }
}

fn book(bids: &[(&str, &str)], asks: &[(&str, &str)]) -> BookTop {
    BookTop {
        update_id: 1,
        bids: bids.iter().map(|(a, b)| level(a, b)).collect(),
        asks: asks.iter().map(|(a, b)| level(a, b)).collect(),
        stale: false,
    }
}

/// A venue with 10,000 USDT and 1 BTC, 0.1 % maker and 0.2 % taker fees, and a book:
/// bids 99 × 1, 98 × 2; asks 100 × 0.5, 101 × 1, 102 × 2.
fn venue() -> (PaperBroker, UnboundedReceiver<BrokerEvent>) {
    let cfg = PaperConfig {
        balances: vec![("USDT".into(), d("10000")), ("BTC".into(), d("1"))],
        maker_fee: d("0.001"),
        taker_fee: d("0.002"),
    };
    let (b, rx) = PaperBroker::new(cfg);
    b.on_book(
        &sym(),
        &book(
            &[("99", "1"), ("98", "2")],
            &[("100", "0.5"), ("101", "1"), ("102", "2")],
        ),
    );
    (b, rx)
}

fn req(
    id: &str,
    side: Side,
    t: OrderType,
    qty: &str,
    price: Option<&str>,
    tif: TimeInForce,
) -> OrderRequest {
    OrderRequest {
        client_order_id: ClientOrderId::new(id).unwrap(),
        venue: VenueId::Paper,
        symbol: sym(),
        side,
        order_type: t,
        amount: OrderAmount::Base(q(qty)),
        price: price.map(p),
        stop_price: None,
        tif,
    }
}

fn balance(b: &PaperBroker, asset: &str) -> (Decimal, Decimal) {
    let bal = b.balances().into_iter().find(|x| x.asset == asset).unwrap();
    (bal.free, bal.locked)
}

fn order_events(rx: &mut UnboundedReceiver<BrokerEvent>) -> Vec<OrderUpdate> {
    std::iter::from_fn(|| rx.try_recv().ok())
        .filter_map(|e| match e {
            BrokerEvent::Order(u) => Some(u),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_market_buy_walks_the_book_and_pays_the_vwap_plus_taker_fee() {
    let (b, mut rx) = venue();
    let r = b
        .submit(&req(
            "st-m1",
            Side::Buy,
            OrderType::Market,
            "1",
            None,
            TimeInForce::Ioc,
        ))
        .await
        .unwrap();
    assert_eq!(r.status, OrderStatus::Filled);
    assert_eq!(r.filled_qty, q("1"));
    // 0.5 @ 100 + 0.5 @ 101 = 100.5 USDT; fee 0.2 % = 0.201.
    assert_eq!(r.filled_quote, d("100.5"));
    let events = order_events(&mut rx);
    let fills: Vec<_> = events.iter().filter_map(|u| u.fill.clone()).collect();
    assert_eq!(
        fills.iter().map(|f| (f.price, f.qty)).collect::<Vec<_>>(),
        [(p("100"), q("0.5")), (p("101"), q("0.5"))]
    );
    assert_eq!(fills.iter().map(|f| f.fee).sum::<Decimal>(), d("0.201"));
    assert!(fills.iter().all(|f| !f.is_maker && f.fee_asset == "USDT"));
    assert_eq!(events.first().unwrap().status, OrderStatus::New);
    assert_eq!(events.last().unwrap().status, OrderStatus::Filled);
    assert_eq!(balance(&b, "USDT"), (d("9899.299"), d("0")));
    assert_eq!(balance(&b, "BTC"), (d("2"), d("0")));
    assert_ne!(fills[0].trade_id, fills[1].trade_id);
}

#[tokio::test]
async fn a_market_order_on_a_thin_book_fills_what_is_there_and_expires_the_rest() {
    let (b, _rx) = venue();
    let r = b
        .submit(&req(
            "st-m2",
            Side::Sell,
            OrderType::Market,
            "0.9",
            None,
            TimeInForce::Ioc,
        ))
        .await;
    assert_eq!(r.unwrap().status, OrderStatus::Filled);
    let (b, _rx) = venue();
    b.on_book(&sym(), &book(&[("99", "0.25")], &[("100", "0.5")]));
    let r = b
        .submit(&req(
            "st-m3",
            Side::Sell,
            OrderType::Market,
            "0.4",
            None,
            TimeInForce::Ioc,
        ))
        .await
        .unwrap();
    assert_eq!((r.status, r.filled_qty), (OrderStatus::Expired, q("0.25")));
    assert_eq!(
        r.reason.as_deref(),
        Some("not enough liquidity in the book")
    );
    assert_eq!(balance(&b, "BTC"), (d("0.75"), d("0")));
}

#[tokio::test]
async fn a_quote_amount_market_buy_spends_at_most_that_amount() {
    let (b, _rx) = venue();
    let mut r = req(
        "st-m4",
        Side::Buy,
        OrderType::Market,
        "0",
        None,
        TimeInForce::Ioc,
    );
    r.amount = OrderAmount::Quote(q("75.75"));
    let u = b.submit(&r).await.unwrap();
    // 0.5 @ 100 = 50, then 25.75 / 101 = 0.25495049.. -> 0.25495049 BTC (1e-8 steps).
    assert_eq!(u.status, OrderStatus::Filled);
    assert_eq!(u.filled_qty, q("0.75495049"));
    assert!(u.filled_quote <= d("75.75"));
}

#[tokio::test]
async fn a_limit_order_takes_what_crosses_then_rests_and_fills_as_maker() {
    let (b, mut rx) = venue();
    let r = b
        .submit(&req(
            "st-l1",
            Side::Buy,
            OrderType::Limit,
            "1",
            Some("100"),
            TimeInForce::Gtc,
        ))
        .await
        .unwrap();
    assert_eq!(
        (r.status, r.filled_qty),
        (OrderStatus::PartiallyFilled, q("0.5"))
    );
    // The rest (0.5 at 100) is locked: 50 + 0.2 % worst-case fee.
    assert_eq!(balance(&b, "USDT").1, d("50.1"));
    order_events(&mut rx);
    // A seller hits 100 (the ask moves down through our bid): we fill as maker at our price.
    b.on_book(
        &sym(),
        &book(&[("99", "1")], &[("99.5", "0.2"), ("100", "5")]),
    );
    let ev = order_events(&mut rx);
    let fills: Vec<Fill> = ev.iter().filter_map(|u| u.fill.clone()).collect();
    assert!(
        fills.iter().all(|f| f.price == p("100") && f.is_maker),
        "{fills:?}"
    );
    assert_eq!(
        fills.iter().fold(Qty::ZERO, |a, f| a.saturating_add(f.qty)),
        q("0.5")
    );
    assert_eq!(fills.iter().map(|f| f.fee).sum::<Decimal>(), d("0.05"));
    assert_eq!(ev.last().unwrap().status, OrderStatus::Filled);
    assert_eq!(balance(&b, "USDT").1, d("0"), "nothing stays locked");
    // 50 + 0.1 taker fee for the first half, 50 + 0.05 maker fee for the second.
    assert_eq!(balance(&b, "USDT").0, d("9899.85"));
}

#[tokio::test]
async fn resting_orders_fill_on_trades_through_their_price_but_not_on_a_touch() {
    let (b, mut rx) = venue();
    b.submit(&req(
        "st-l2",
        Side::Sell,
        OrderType::Limit,
        "0.5",
        Some("105"),
        TimeInForce::Gtc,
    ))
    .await
    .unwrap();
    order_events(&mut rx);
    let trade = |price: &str, qty: &str| Trade {
        symbol: sym(),
        id: 1,
        price: p(price),
        qty: q(qty),
        taker_side: Side::Buy,
        time: 1,
    };
    b.on_trade(&trade("105", "10"));
    assert!(order_events(&mut rx).is_empty(), "a touch is not a fill");
    b.on_trade(&trade("105.5", "0.2"));
    let ev = order_events(&mut rx);
    assert_eq!(
        ev.last().unwrap().fill.as_ref().unwrap().qty,
        q("0.2"),
        "at most the trade's size"
    );
    assert_eq!(ev.last().unwrap().status, OrderStatus::PartiallyFilled);
    b.on_trade(&trade("106", "5"));
    assert_eq!(
        order_events(&mut rx).last().unwrap().status,
        OrderStatus::Filled
    );
}

#[tokio::test]
async fn ioc_fok_and_post_only() {
    let (b, _rx) = venue();
    let ioc = b
        .submit(&req(
            "st-t1",
            Side::Buy,
            OrderType::Limit,
            "2",
            Some("101"),
            TimeInForce::Ioc,
        ))
        .await
        .unwrap();
    assert_eq!(
        (ioc.status, ioc.filled_qty),
        (OrderStatus::Expired, q("1.5"))
    );
    let (b, _rx) = venue();
    let fok = b
        .submit(&req(
            "st-t2",
            Side::Buy,
            OrderType::Limit,
            "2",
            Some("101"),
            TimeInForce::Fok,
        ))
        .await
        .unwrap();
    assert_eq!((fok.status, fok.filled_qty), (OrderStatus::Expired, q("0")));
    let fok = b
        .submit(&req(
            "st-t3",
            Side::Buy,
            OrderType::Limit,
            "1.5",
            Some("101"),
            TimeInForce::Fok,
        ))
        .await
        .unwrap();
    assert_eq!(
        (fok.status, fok.filled_qty),
        (OrderStatus::Filled, q("1.5"))
    );
    let (b, _rx) = venue();
    let taking = b
        .submit(&req(
            "st-t4",
            Side::Buy,
            OrderType::PostOnly,
            "1",
            Some("100"),
            TimeInForce::Gtc,
        ))
        .await;
    assert!(matches!(taking, Err(BrokerError::Rejected { .. })));
    let resting = b
        .submit(&req(
            "st-t5",
            Side::Buy,
            OrderType::PostOnly,
            "1",
            Some("99.5"),
            TimeInForce::Gtc,
        ))
        .await;
    assert_eq!(resting.unwrap().status, OrderStatus::New);
    assert_eq!(b.open_orders(None).await.unwrap().len(), 1);
    assert_eq!(balance(&b, "USDT"), (d("9900.301"), d("99.699")));
}

#[tokio::test]
async fn a_stop_limit_waits_for_its_trigger() {
    let (b, mut rx) = venue();
    let mut r = req(
        "st-s1",
        Side::Buy,
        OrderType::StopLimit,
        "0.5",
        Some("101"),
        TimeInForce::Gtc,
    );
    r.stop_price = Some(p("100.5"));
    assert_eq!(b.submit(&r).await.unwrap().status, OrderStatus::New);
    b.on_book(
        &sym(),
        &book(&[("99", "1")], &[("100", "0.5"), ("101", "1")]),
    );
    assert!(
        order_events(&mut rx).iter().all(|u| u.fill.is_none()),
        "not triggered by the book"
    );
    let trade = Trade {
        symbol: sym(),
        id: 9,
        price: p("100.5"),
        qty: q("0.1"),
        taker_side: Side::Buy,
        time: 1,
    };
    b.on_trade(&trade);
    let ev = order_events(&mut rx);
    let fill = ev.iter().find_map(|u| u.fill.clone()).unwrap();
    assert_eq!(
        (fill.price, fill.qty, fill.is_maker),
        (p("100"), q("0.5"), false)
    );
    assert_eq!(ev.last().unwrap().status, OrderStatus::Filled);
}

#[tokio::test]
async fn refusals_cancels_and_queries() {
    let (b, _rx) = venue();
    let too_big = b
        .submit(&req(
            "st-r1",
            Side::Buy,
            OrderType::Limit,
            "200",
            Some("99"),
            TimeInForce::Gtc,
        ))
        .await;
    let Err(BrokerError::Rejected { message, .. }) = too_big else {
        panic!("{too_big:?}")
    };
    assert_eq!(
        message,
        "insufficient balance: needs 19839.6 USDT, 10000 USDT available"
    );
    let oversell = b
        .submit(&req(
            "st-r2",
            Side::Sell,
            OrderType::Market,
            "2",
            None,
            TimeInForce::Ioc,
        ))
        .await;
    assert!(matches!(oversell, Err(BrokerError::Rejected { .. })));

    let r = req(
        "st-r3",
        Side::Sell,
        OrderType::Limit,
        "0.4",
        Some("110"),
        TimeInForce::Gtc,
    );
    b.submit(&r).await.unwrap();
    assert_eq!(balance(&b, "BTC"), (d("0.6"), d("0.4")));
    let dup = b.submit(&r).await;
    assert!(matches!(
        dup,
        Err(BrokerError::Rejected {
            code: Some(-2010),
            ..
        })
    ));
    let c = b.cancel(&sym(), &r.client_order_id).await.unwrap();
    assert_eq!(c.status, OrderStatus::Canceled);
    assert_eq!(
        balance(&b, "BTC"),
        (d("1"), d("0")),
        "cancel releases the lock"
    );
    assert!(matches!(
        b.cancel(&sym(), &r.client_order_id).await,
        Err(BrokerError::Rejected { .. })
    ));
    assert_eq!(
        b.query(&sym(), &r.client_order_id).await.unwrap().status,
        OrderStatus::Canceled
    );
    let nobody = ClientOrderId::new("st-nobody").unwrap();
    assert_eq!(b.query(&sym(), &nobody).await, Err(BrokerError::NotFound));

    let (fresh, _rx) = PaperBroker::new(PaperConfig::default());
    let no_book = fresh
        .submit(&req(
            "st-r4",
            Side::Buy,
            OrderType::Market,
            "1",
            None,
            TimeInForce::Ioc,
        ))
        .await;
    let Err(BrokerError::Rejected { message, .. }) = no_book else {
        panic!()
    };
    assert_eq!(message, "no market data for BTCUSDT yet");
}
