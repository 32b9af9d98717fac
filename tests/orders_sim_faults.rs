//! The real order manager and Binance broker against the simulator with its faults on: a lost
//! reply (5xx, every time or at random), a reply that never comes (client timeout), a dropped
//! connection (before and after the venue got the order), and 429 then 418 while submitting.
//! Every time: exactly one order at the simulator per client order id, and the journal agrees.

#![allow(clippy::unwrap_used)]

mod support_sim;

use speedtrade::domain::OrderStatus;
use speedtrade::orders::OrderEvent;
use speedtrade::sim::SimHandle;
use std::time::Duration;
use support_sim::proxy::{OrderFate, Proxy};
use support_sim::*;

const TIMEOUT: Duration = Duration::from_secs(5);

/// Places a resting and a crossing order; each must end known, once at the simulator, with the
/// journal in agreement. Returns how many of them went through `unknown`.
async fn place_pair(sim: &SimHandle, r: &Rig) -> usize {
    let mut unknown = 0;
    for (price, crosses) in [(resting_price(sim), false), (crossing_price(sim), true)] {
        let order = within(20, "place", r.manager.place(&buy(price)))
            .await
            .unwrap();
        let id = &order.request.client_order_id;
        assert!(
            !matches!(order.status, OrderStatus::Unknown | OrderStatus::Rejected),
            "{id} settled: {order:?}"
        );
        if r.stream.is_some() {
            // Execution reports still in flight may move the journal on after `place`.
            let store = r.manager.store();
            wait_until(10, "the journal catches up with the venue", || {
                let venue = at_sim(sim, id.as_str());
                let journal = store.order(id).unwrap().unwrap();
                venue.iter().any(|v| {
                    journal_status(v.status) == journal.status.as_str()
                        && v.executed_qty == journal.filled_qty
                })
            })
            .await;
        }
        let venue = assert_one_and_agrees(sim, r.manager.store(), id).await;
        if crosses {
            assert!(!venue.executed_qty.is_zero(), "the crossing order traded");
        }
        unknown += usize::from(went_unknown(r.manager.store(), id));
    }
    unknown
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_reply_lost_as_503_is_queried_not_resent() {
    let sim = start_sim(&[
        "--fault-lose-reply-rate",
        "1",
        "--fault-lose-reply-mode",
        "5xx",
    ])
    .await;
    let proxy = Proxy::start(sim.addr()).await;
    let r = rig(&sim, &proxy.url(), TIMEOUT).await;
    assert_eq!(place_pair(&sim, &r).await, 2, "both replies were lost");
    assert_eq!(
        proxy.orders_seen(),
        2,
        "one POST per order: found by query, never resent"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_lost_at_random_over_several_orders() {
    let sim = start_sim(&[
        "--fault-lose-reply-rate",
        "0.5",
        "--fault-lose-reply-mode",
        "5xx",
    ])
    .await;
    let proxy = Proxy::start(sim.addr()).await;
    let r = rig(&sim, &proxy.url(), TIMEOUT).await;
    let mut lost = 0;
    for _ in 0..3 {
        lost += place_pair(&sim, &r).await;
    }
    // The simulator's draw is seeded (--seed 7): some replies are lost and some are not.
    assert!((1..6).contains(&lost), "{lost} of 6 replies lost");
    assert_eq!(proxy.orders_seen(), 6);
    assert_eq!(sim.orders(Some(SYMBOL)).len(), 6, "no order doubled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_replies_with_the_user_stream_on_as_in_a_session() {
    // Execution reports may settle the order before the query does; either way: one order,
    // and every fill journaled once.
    let sim = start_sim(&[
        "--fault-lose-reply-rate",
        "1",
        "--fault-lose-reply-mode",
        "5xx",
    ])
    .await;
    let proxy = Proxy::start(sim.addr()).await;
    let r = rig(&sim, &proxy.url(), TIMEOUT)
        .await
        .with_user_stream()
        .await;
    place_pair(&sim, &r).await;
    assert_eq!(proxy.orders_seen(), 2, "never resent");
    let store = r.manager.store();
    for venue in sim.orders(Some(SYMBOL)) {
        let id = speedtrade::domain::ClientOrderId::new(&venue.client_order_id).unwrap();
        wait_until(10, "the fills journaled", || {
            journaled_fill_qty(store, &id) == venue.executed_qty
        })
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_that_never_comes_times_out_and_is_queried() {
    let sim = start_sim(&[
        "--fault-lose-reply-rate",
        "1",
        "--fault-lose-reply-mode",
        "timeout",
        "--fault-hold-secs",
        "60",
    ])
    .await;
    let proxy = Proxy::start(sim.addr()).await;
    let r = rig(&sim, &proxy.url(), Duration::from_millis(700)).await;
    assert_eq!(place_pair(&sim, &r).await, 2, "both replies timed out");
    assert_eq!(proxy.orders_seen(), 2, "never resent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_dropped_after_the_venue_got_the_order() {
    let sim = start_sim(&[]).await;
    let proxy = Proxy::start(sim.addr()).await;
    proxy.script([OrderFate::DropAfterVenue, OrderFate::DropAfterVenue]);
    let r = rig(&sim, &proxy.url(), TIMEOUT).await;
    assert_eq!(place_pair(&sim, &r).await, 2, "both connections were cut");
    assert_eq!(proxy.orders_seen(), 2, "found by query, never resent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_dropped_before_the_venue_got_the_order_is_resent_with_the_same_id() {
    let sim = start_sim(&[]).await;
    let proxy = Proxy::start(sim.addr()).await;
    proxy.script([OrderFate::DropBeforeVenue]);
    let r = rig(&sim, &proxy.url(), TIMEOUT).await;
    let order = r.manager.place(&buy(resting_price(&sim))).await.unwrap();
    let id = &order.request.client_order_id;
    assert_eq!(order.status, OrderStatus::New);
    assert!(went_unknown(r.manager.store(), id));
    assert_eq!(
        (proxy.orders_seen(), proxy.orders_forwarded()),
        (2, 1),
        "sent twice, the venue got it once (after two not-found answers)"
    );
    assert_one_and_agrees(&sim, r.manager.store(), id).await;
}

/// Charges pings until the simulator says the window's weight is used up.
async fn use_up_weight(sim: &SimHandle, limit: u64) {
    let url = format!("{}/api/v3/ping", sim.rest_url());
    let client = reqwest::Client::new();
    for _ in 0..=limit {
        let resp = client.get(&url).send().await.unwrap();
        assert_eq!(resp.status(), 200, "ping within the limit");
        let used: u64 = resp.headers()["x-mbx-used-weight-1m"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        if used >= limit {
            return;
        }
    }
    panic!("weight never reached {limit}");
}

/// The next `Retrying` event of the order manager.
async fn next_retry(
    events: &mut tokio::sync::mpsc::UnboundedReceiver<OrderEvent>,
) -> (Duration, String) {
    loop {
        match within(15, "a retry", events.recv()).await.unwrap() {
            OrderEvent::Retrying {
                retry_in, reason, ..
            } => return (retry_in, reason),
            _ => continue,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limited_then_banned_while_submitting() {
    // 40 weight per 2 s window; the second 429 in a window bans the IP for 4 s.
    let sim = start_sim(&[
        "--fault-weight-limit",
        "40",
        "--fault-weight-window",
        "2",
        "--fault-ban-after",
        "1",
        "--fault-ban-secs",
        "4",
    ])
    .await;
    let proxy = Proxy::start(sim.addr()).await;
    let r = rig(&sim, &proxy.url(), TIMEOUT).await;
    let mut events = r.manager.subscribe();
    let price = resting_price(&sim);
    use_up_weight(&sim, 40).await;
    let manager = r.manager.clone();
    let placing = tokio::spawn(async move { manager.place(&buy(price)).await });

    let (wait_429, why) = next_retry(&mut events).await;
    assert!(why.contains("429"), "{why}");
    assert!(
        wait_429 >= Duration::from_secs(1),
        "Retry-After honoured: {wait_429:?}"
    );
    // Another client on the same IP keeps going while limited: the IP gets banned.
    let ping = reqwest::get(format!("{}/api/v3/ping", sim.rest_url()))
        .await
        .unwrap();
    assert_eq!(
        ping.status(),
        418,
        "the neighbour's request triggers the ban"
    );
    let (wait_418, why) = next_retry(&mut events).await;
    assert!(why.contains("418"), "{why}");
    assert!(
        wait_418 >= Duration::from_secs(1),
        "ban's Retry-After honoured: {wait_418:?}"
    );

    let order = within(20, "the order after the ban", placing)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(order.status, OrderStatus::New, "{order:?}");
    assert_eq!(
        (proxy.orders_seen(), proxy.orders_forwarded()),
        (3, 3),
        "429, 418, then accepted: three sends of the same order"
    );
    let id = &order.request.client_order_id;
    let mine = at_sim(&sim, id.as_str());
    assert_eq!(mine.len(), 1, "exactly one order at the simulator");
    let journal = r.manager.store().order(id).unwrap().unwrap();
    assert_eq!(journal.status.as_str(), journal_status(mine[0].status));
    assert_eq!(journal.filled_qty, mine[0].executed_qty);
    assert_eq!(
        sim.orders(Some(SYMBOL)).len(),
        1,
        "rate-limited sends were not executed"
    );
}
