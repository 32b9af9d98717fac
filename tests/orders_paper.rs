//! End to end: the order manager, the paper broker and its event stream, and the SQLite
//! journal — replies and stream events for the same fills, counted once.

#![allow(clippy::unwrap_used)]

mod orders_support;

use orders_support::wait_until;
use rust_decimal::Decimal;
use speedtrade::domain::*;
use speedtrade::orders::{ManagerOptions, OrderDraft, OrderEvent, OrderManager};
use speedtrade::store::Store;
use speedtrade::venue::Broker;
use speedtrade::venue::paper::{PaperBroker, PaperConfig};
use std::sync::Arc;

fn instrument() -> Instrument {
    Instrument {
        venue: VenueId::Paper,
        symbol: Symbol::new("ETHUSDT").unwrap(),
        base: "ETH".into(),
        quote: "USDT".into(),
        tick_size: Price::parse("0.01").unwrap(),
        min_price: Price::parse("0.01").unwrap(),
        max_price: Price::parse("100000").unwrap(),
        step_size: Qty::parse("0.0001").unwrap(),
        min_qty: Qty::parse("0.0001").unwrap(),
        max_qty: Qty::parse("10000").unwrap(),
        min_notional: Decimal::new(5, 0),
        max_notional: None,
        trading: true,
    }
}

fn book(bid: &str, asks: &[(&str, &str)]) -> BookTop {
    let l = |p: &str, q: &str| Level {
        price: Price::parse(p).unwrap(),
        qty: Qty::parse(q).unwrap(),
    };
    BookTop {
        update_id: 7,
        bids: vec![l(bid, "10")],
        asks: asks.iter().map(|(p, q)| l(p, q)).collect(),
        stale: false,
    }
}

fn draft(t: OrderType, side: Side, qty: &str, price: Option<&str>) -> OrderDraft {
    OrderDraft {
        venue: VenueId::Paper,
        symbol: Symbol::new("ETHUSDT").unwrap(),
        side,
        order_type: t,
        amount: OrderAmount::Base(Qty::parse(qty).unwrap()),
        price: price.map(|p| Price::parse(p).unwrap()),
        stop_price: None,
        tif: TimeInForce::Gtc,
        reference_price: Some(Price::parse("2000").unwrap()),
    }
}

#[tokio::test]
async fn paper_trading_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("h.sqlite3")).unwrap();
    let m = OrderManager::new(store, ManagerOptions::default()).unwrap();
    let (paper, events) = PaperBroker::new(PaperConfig::default());
    let paper = Arc::new(paper);
    paper.set_instrument(&instrument());
    m.add_broker(paper.clone(), "paper");
    m.set_instruments([instrument()]);
    let mut sub = m.subscribe();
    let pump = m.spawn_event_pump(VenueId::Paper, events);
    let eth = Symbol::new("ETHUSDT").unwrap();
    paper.on_book(&eth, &book("1999.5", &[("2000", "0.3"), ("2000.5", "1")]));

    // A market buy walks two levels: two fills, reported by the reply and by the stream.
    let mkt = draft(OrderType::Market, Side::Buy, "0.5", None);
    let o = m
        .place(&OrderDraft {
            tif: TimeInForce::Ioc,
            ..mkt
        })
        .await
        .unwrap();
    assert_eq!(o.status, OrderStatus::Filled);
    let id = o.request.client_order_id.clone();
    wait_until("both fills journaled", || m.fills(&id).unwrap().len() == 2).await;
    let fills = m.fills(&id).unwrap();
    let vwap = fills
        .iter()
        .map(|f| notional(f.price, f.qty).unwrap())
        .sum::<Decimal>();
    assert_eq!(vwap, Decimal::from_str_exact("1000.1").unwrap()); // 0.3 × 2000 + 0.2 × 2000.5
    assert_eq!(m.order(&id).unwrap().unwrap().filled_quote, vwap);

    // A resting limit order fills later through the stream, as the book crosses it.
    let lmt = m
        .place(&draft(OrderType::Limit, Side::Buy, "1", Some("1990")))
        .await
        .unwrap();
    assert_eq!(lmt.status, OrderStatus::New);
    paper.on_book(&eth, &book("1985", &[("1990", "5")]));
    let lid = lmt.request.client_order_id.clone();
    wait_until("the resting order fills", || {
        m.order(&lid).unwrap().unwrap().status == OrderStatus::Filled
    })
    .await;
    let journaled = m.store().order(&lid).unwrap().unwrap();
    assert_eq!(
        (journaled.status, journaled.filled_qty),
        (OrderStatus::Filled, Qty::ONE)
    );

    // Cancel all: two resting sells.
    for price in ["2100", "2200"] {
        m.place(&draft(OrderType::Limit, Side::Sell, "0.1", Some(price)))
            .await
            .unwrap();
    }
    let canceled = m.cancel_all(VenueId::Paper, &eth).await;
    assert_eq!(canceled.len(), 2);
    assert!(
        canceled
            .iter()
            .all(|(_, r)| r.as_ref().unwrap().status == OrderStatus::Canceled)
    );
    assert!(paper.open_orders(None).await.unwrap().is_empty());

    // Every fill was published exactly once; balances came through the same channel.
    wait_until("events drained", || !sub.is_empty()).await;
    let mut fill_events = Vec::new();
    let mut balances = 0;
    while let Ok(ev) = sub.try_recv() {
        match ev {
            OrderEvent::Fill(f) => fill_events.push(f.trade_id),
            OrderEvent::Balances { .. } => balances += 1,
            _ => {}
        }
    }
    let journal_fills = m.store().fills_since(0).unwrap().len();
    assert_eq!(fill_events.len(), journal_fills);
    let mut unique = fill_events.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), fill_events.len());
    assert!(balances > 0);
    drop(m);
    pump.abort();
}

#[tokio::test]
async fn paper_orders_are_checked_against_the_live_venues_rules() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("h.sqlite3")).unwrap();
    // Only Binance's rules are known (e.g. from exchangeInfo, saved in the store).
    let binance = Instrument {
        venue: VenueId::Binance,
        ..instrument()
    };
    store.save_instruments(vec![binance]);
    store.flush().await.unwrap();
    let m = OrderManager::new(store, ManagerOptions::default()).unwrap();
    assert!(
        m.check(&draft(OrderType::Limit, Side::Buy, "0.01", Some("2000")))
            .is_ok()
    );
    let err = m
        .check(&draft(
            OrderType::Limit,
            Side::Buy,
            "0.01",
            Some("2000.001"),
        ))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "price 2000.001 is not a multiple of the tick 0.01: try 2000 or 2000.01"
    );
}
