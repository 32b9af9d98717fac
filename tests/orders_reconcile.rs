//! Reconciliation: a restart with orders in the journal that the venue knows, changed, or
//! never received; and a push channel that reconnects.

#![allow(clippy::unwrap_used)]

mod orders_support;

use orders_support::*;
use speedtrade::domain::*;
use speedtrade::orders::OrderManager;
use speedtrade::store::Store;
use speedtrade::venue::{BrokerEvent, ConnState};
use std::sync::Arc;
use std::time::Duration;

fn reopen(dir: &std::path::Path, broker: &ScriptedBroker) -> OrderManager {
    let store = Store::open(dir.join("h.sqlite3")).unwrap();
    let m = OrderManager::new(store, fast()).unwrap();
    m.add_broker(Arc::new(broker.clone()), "binance-test");
    m.set_instruments([btcusdt()]);
    m
}

#[tokio::test]
async fn a_restart_reconciles_every_open_order() {
    let dir = tempfile::tempdir().unwrap();
    let broker = ScriptedBroker::new();
    let (sent, never_sent, filled_meanwhile, acked);
    {
        let m = manager(dir.path(), &broker, fast());
        // 1. Sent, reached the venue, then the process died before the reply.
        broker.script([Step::Hang]);
        let placing = tokio::spawn({
            let m = m.clone();
            async move { m.place(&limit_buy("0.01", "43000")).await }
        });
        wait_until("the hanging submit", || broker.submits().len() == 1).await;
        placing.abort();
        sent = broker.submits()[0].clone();
        // 2. Journaled, never sent.
        never_sent = m.journal_order(&limit_buy("0.02", "43000")).await.unwrap();
        // 3. Acknowledged, then filled at the venue while we were away.
        filled_meanwhile = m.place(&limit_buy("0.03", "43000")).await.unwrap();
        // 4. Acknowledged and still working.
        acked = m.place(&limit_buy("0.04", "43000")).await.unwrap();
        let m_store = m.store().clone();
        drop(m);
        m_store.flush().await.unwrap();
    }
    broker.set(full_fill(&filled_meanwhile.request, "555"));

    let m = reopen(dir.path(), &broker);
    let before: Vec<_> = m.open_orders().into_iter().map(|o| o.status).collect();
    assert_eq!(
        before.len(),
        4,
        "the journal keeps every open order across the restart"
    );
    let report = m.reconcile().await;
    assert_eq!(report.checked, 4);
    assert!(report.unresolved.is_empty(), "{:?}", report.unresolved);
    let status = |id: &ClientOrderId| m.order(id).unwrap().unwrap();
    assert_eq!(status(&sent).status, OrderStatus::New);
    let ns = status(&never_sent.request.client_order_id);
    assert_eq!(
        (ns.status, ns.reject_reason.as_deref()),
        (OrderStatus::Rejected, Some("never reached the venue"))
    );
    let fm = status(&filled_meanwhile.request.client_order_id);
    assert_eq!(
        (fm.status, fm.filled_qty),
        (OrderStatus::Filled, Qty::parse("0.03").unwrap())
    );
    assert_eq!(
        status(&acked.request.client_order_id).status,
        OrderStatus::New
    );
    assert_eq!(broker.submits().len(), 3, "reconciliation never sends");
    assert_eq!(m.open_orders().len(), 2);
}

#[tokio::test]
async fn an_order_the_venue_forgot_expires() {
    let dir = tempfile::tempdir().unwrap();
    let broker = ScriptedBroker::new();
    let m = manager(dir.path(), &broker, fast());
    let o = m.place(&limit_buy("0.01", "43000")).await.unwrap();
    broker.venue.lock().unwrap().orders.clear();
    m.reconcile().await;
    let now = m.order(&o.request.client_order_id).unwrap().unwrap();
    assert_eq!(now.status, OrderStatus::Expired);
    assert_eq!(
        now.reject_reason.as_deref(),
        Some("the venue no longer knows this order")
    );
}

#[tokio::test]
async fn a_reconnected_push_channel_triggers_reconciliation() {
    let dir = tempfile::tempdir().unwrap();
    let broker = ScriptedBroker::new();
    let m = manager(dir.path(), &broker, fast());
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let pump = m.spawn_event_pump(VenueId::Binance, rx);
    let o = m.place(&limit_buy("0.01", "43000")).await.unwrap();
    // While the stream was down the order filled; the fill event was lost with the connection.
    broker.set(full_fill(&o.request, "808"));
    let down = ConnState::Reconnecting {
        retry_in: Duration::from_millis(10),
        reason: "eof".into(),
    };
    tx.send(BrokerEvent::Connection(down)).unwrap();
    tx.send(BrokerEvent::Connection(ConnState::Live)).unwrap();
    let id = o.request.client_order_id.clone();
    wait_until("reconciliation after reconnect", || {
        m.order(&id).unwrap().unwrap().status == OrderStatus::Filled
    })
    .await;
    drop(tx);
    pump.await.unwrap();
    assert_eq!(
        m.store().order(&id).unwrap().unwrap().status,
        OrderStatus::Filled
    );
}

#[tokio::test]
async fn an_order_placed_by_another_process_is_followed_from_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let broker = ScriptedBroker::new();
    let tui = manager(dir.path(), &broker, fast());
    // The CLI (another manager on the same file) places an order.
    let cli = reopen(dir.path(), &broker);
    let o = cli.place(&limit_buy("0.01", "43000")).await.unwrap();
    // The TUI's user stream reports its fill: the TUI loads it from the journal.
    let mut events = tui.subscribe();
    tui.handle_event(
        VenueId::Binance,
        BrokerEvent::Order(full_fill(&o.request, "31337")),
    )
    .await;
    let now = tui.order(&o.request.client_order_id).unwrap().unwrap();
    assert_eq!(now.status, OrderStatus::Filled);
    assert!(matches!(
        events.try_recv().unwrap(),
        speedtrade::orders::OrderEvent::Order(_)
    ));
    assert_eq!(
        cli.store()
            .fills_for_order(&o.request.client_order_id)
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn orders_of_another_profile_are_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let broker = ScriptedBroker::new();
    let m = manager(dir.path(), &broker, fast());
    let o = m.place(&limit_buy("0.01", "43000")).await.unwrap();
    // Next session the Binance venue points elsewhere (say, the simulator), where this order
    // does not exist. It must not be "reconciled" into a reject, nor cancelled there.
    let sim = ScriptedBroker::new();
    m.add_broker(Arc::new(sim.clone()), "sim");
    let report = m.reconcile().await;
    assert_eq!((report.checked, report.other_profiles), (0, 1));
    assert_eq!(sim.venue.lock().unwrap().queries, 0);
    let id = &o.request.client_order_id;
    assert_eq!(m.order(id).unwrap().unwrap().status, OrderStatus::New);
    let err = m.cancel(id).await.unwrap_err();
    assert!(
        err.to_string().contains("switch back to `binance-test`"),
        "{err}"
    );
    assert_eq!(sim.venue.lock().unwrap().cancels, 0);
    // Back on the original profile, it is followed again.
    m.add_broker(Arc::new(broker.clone()), "binance-test");
    assert_eq!(m.cancel(id).await.unwrap().status, OrderStatus::Canceled);
}
