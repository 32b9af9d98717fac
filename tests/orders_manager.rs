//! The order manager against a scripted venue and a real SQLite journal: journal before send,
//! query before resend, rate limits, rejects, fill dedup, illegal transitions, cancel.

#![allow(clippy::unwrap_used)]

mod orders_support;

use futures_util::future::BoxFuture;
use orders_support::*;
use rust_decimal::Decimal;
use speedtrade::domain::*;
use speedtrade::orders::{ManagerOptions, OrderError, OrderEvent};
use speedtrade::store::OrderEventKind;
use speedtrade::venue::{AccountSnapshot, Broker, BrokerError, BrokerEvent, OrderUpdate};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

#[tokio::test]
async fn the_order_is_committed_to_the_journal_before_it_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let broker = ScriptedBroker::new();
    let m = manager(dir.path(), &broker, fast());
    broker.venue.lock().unwrap().db_check = Some(m.store().path().to_path_buf());
    let o = m.place(&limit_buy("0.01", "43000")).await.unwrap();
    assert_eq!(o.status, OrderStatus::New);
    // The venue opened the database file itself, on its own connection, inside `submit`.
    let seen = broker.venue.lock().unwrap().seen_in_db.clone();
    assert_eq!(seen, vec![Some("pending_submit".to_string())]);
    let kinds: Vec<_> = m
        .store()
        .order_events(&o.request.client_order_id)
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds[..3],
        [
            OrderEventKind::Journaled,
            OrderEventKind::Sent,
            OrderEventKind::Status
        ]
    );
}

#[tokio::test]
async fn an_invalid_order_is_neither_journaled_nor_sent() {
    let dir = tempfile::tempdir().unwrap();
    let broker = ScriptedBroker::new();
    let opts = ManagerOptions {
        max_order_notional: Some(Decimal::from(1000)),
        ..fast()
    };
    let m = manager(dir.path(), &broker, opts);
    let cases = [
        (
            limit_buy("0.01", "43000.005"),
            "price 43000.005 is not a multiple of the tick 0.01: try 43000 or 43000.01",
        ),
        (
            limit_buy("0.0001", "43000"),
            "order value 4.3 USDT is below the minimum 5 USDT",
        ),
        (
            limit_buy("0.1", "43000"),
            "order value 4300 USDT is above your limit of 1000 USDT per order (trading.max_notional)",
        ),
    ];
    for (draft, msg) in cases {
        let err = m.place(&draft).await.unwrap_err();
        assert_eq!(err.to_string(), msg);
    }
    let mut unknown = limit_buy("0.01", "43000");
    unknown.symbol = Symbol::new("DOGEUSDT").unwrap();
    assert!(matches!(
        m.place(&unknown).await,
        Err(OrderError::UnknownInstrument { .. })
    ));
    assert!(broker.submits().is_empty());
    assert!(m.orders(&Default::default()).unwrap().is_empty());
}

#[tokio::test]
async fn a_lost_reply_is_settled_by_query_and_never_resent() {
    let dir = tempfile::tempdir().unwrap();
    let broker = ScriptedBroker::new();
    broker.script([Step::AcceptThenLose(BrokerError::Unknown("timeout".into()))]);
    let m = manager(dir.path(), &broker, fast());
    let o = m.place(&limit_buy("0.01", "43000")).await.unwrap();
    assert_eq!(o.status, OrderStatus::New);
    assert_eq!(
        broker.submits().len(),
        1,
        "a lost reply must not cause a resend"
    );
    assert_eq!(broker.at_venue(), 1);
    let journaled = m
        .store()
        .order(&o.request.client_order_id)
        .unwrap()
        .unwrap();
    assert_eq!(journaled.status, OrderStatus::New);
    let statuses: Vec<_> = m
        .store()
        .order_events(&o.request.client_order_id)
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == OrderEventKind::Status)
        .map(|e| e.status.unwrap())
        .collect();
    assert_eq!(statuses, [OrderStatus::Unknown, OrderStatus::New]);
}

#[tokio::test]
async fn an_order_the_venue_never_got_is_resent_with_the_same_id() {
    let dir = tempfile::tempdir().unwrap();
    let broker = ScriptedBroker::new();
    broker.script([
        Step::Refuse(BrokerError::Unknown("HTTP 502".into())),
        Step::Accept,
    ]);
    let m = manager(dir.path(), &broker, fast());
    let o = m.place(&limit_buy("0.01", "43000")).await.unwrap();
    assert_eq!(o.status, OrderStatus::New);
    let submits = broker.submits();
    assert_eq!(submits.len(), 2);
    assert!(submits.iter().all(|id| *id == o.request.client_order_id));
    assert_eq!(broker.at_venue(), 1, "exactly one order at the venue");
    assert!(
        broker.venue.lock().unwrap().queries >= 2,
        "NotFound must be confirmed before a resend"
    );
}

#[tokio::test]
async fn a_resend_refused_as_a_duplicate_is_settled_by_query() {
    let dir = tempfile::tempdir().unwrap();
    let broker = ScriptedBroker::new();
    // The first send's reply is lost and the order is still in flight while the manager asks
    // twice (NotFound, NotFound); it lands just before the resend, which the venue refuses as
    // a duplicate. The manager asks again instead of believing the refusal.
    broker.script([Step::LostInFlight(2)]);
    let m = manager(dir.path(), &broker, fast());
    let o = m.place(&limit_buy("0.01", "43000")).await.unwrap();
    assert_eq!(o.status, OrderStatus::New);
    assert_eq!(broker.submits().len(), 2);
    assert_eq!(broker.at_venue(), 1, "exactly one order at the venue");
    let trail = m.store().order_events(&o.request.client_order_id).unwrap();
    let refused = trail.iter().any(|e| {
        e.kind == OrderEventKind::Ignored || e.detail.as_deref() == Some("Duplicate order sent.")
    });
    assert!(
        !refused,
        "the duplicate refusal must not reach the journal as a reject"
    );
    assert_eq!(
        broker.venue.lock().unwrap().queries,
        3,
        "NotFound twice, then found"
    );
}

#[tokio::test]
async fn unknown_that_cannot_be_confirmed_stays_unknown_and_is_followed_up() {
    let dir = tempfile::tempdir().unwrap();
    let broker = ScriptedBroker::new();
    broker.script([Step::AcceptThenLose(BrokerError::Unknown("timeout".into()))]);
    let m = manager(dir.path(), &broker, fast());
    // The venue has it, but it cannot be reached after the send: every query fails.
    let flaky = Arc::new(FlakyQuery {
        inner: broker.clone(),
        down: AtomicBool::new(true),
    });
    m.add_broker(flaky.clone(), "binance-test");
    let mut events = m.subscribe();
    let o = m.place(&limit_buy("0.01", "43000")).await.unwrap();
    assert_eq!(o.status, OrderStatus::Unknown);
    assert_eq!(broker.submits().len(), 1);
    let notice = std::iter::from_fn(|| events.try_recv().ok())
        .any(|ev| matches!(ev, OrderEvent::Notice { .. }));
    assert!(notice, "the user is told the order is unknown");
    // Once the venue answers again, the background re-check settles it, without a resend.
    flaky.down.store(false, Ordering::SeqCst);
    let id = o.request.client_order_id.clone();
    // The journal write follows the in-memory update; both must settle.
    wait_until("the re-check", || {
        m.order(&id).unwrap().unwrap().status == OrderStatus::New
            && m.store().order(&id).unwrap().unwrap().status == OrderStatus::New
    })
    .await;
    assert_eq!(broker.submits().len(), 1);
}

/// A broker whose queries fail with an unknown outcome while `down`.
struct FlakyQuery {
    inner: ScriptedBroker,
    down: AtomicBool,
}

impl Broker for FlakyQuery {
    fn venue(&self) -> VenueId {
        VenueId::Binance
    }
    fn submit<'a>(
        &'a self,
        r: &'a OrderRequest,
    ) -> BoxFuture<'a, Result<OrderUpdate, BrokerError>> {
        self.inner.submit(r)
    }
    fn cancel<'a>(
        &'a self,
        s: &'a Symbol,
        id: &'a ClientOrderId,
    ) -> BoxFuture<'a, Result<OrderUpdate, BrokerError>> {
        self.inner.cancel(s, id)
    }
    fn query<'a>(
        &'a self,
        s: &'a Symbol,
        id: &'a ClientOrderId,
    ) -> BoxFuture<'a, Result<OrderUpdate, BrokerError>> {
        if self.down.load(Ordering::SeqCst) {
            return Box::pin(async { Err(BrokerError::Unknown("connection reset".into())) });
        }
        self.inner.query(s, id)
    }
    fn open_orders<'a>(
        &'a self,
        s: Option<&'a Symbol>,
    ) -> BoxFuture<'a, Result<Vec<OrderUpdate>, BrokerError>> {
        self.inner.open_orders(s)
    }
    fn account(&self) -> BoxFuture<'_, Result<AccountSnapshot, BrokerError>> {
        self.inner.account()
    }
}

#[tokio::test]
async fn rate_limits_are_waited_out_and_announced() {
    let dir = tempfile::tempdir().unwrap();
    let broker = ScriptedBroker::new();
    let wait = Duration::from_millis(150);
    broker.script([
        Step::Refuse(BrokerError::RateLimited {
            retry_after: wait,
            banned: false,
        }),
        Step::Refuse(BrokerError::RateLimited {
            retry_after: wait,
            banned: true,
        }),
        Step::Accept,
    ]);
    let m = manager(dir.path(), &broker, fast());
    let mut events = m.subscribe();
    let o = m.place(&limit_buy("0.01", "43000")).await.unwrap();
    assert_eq!(o.status, OrderStatus::New);
    let times = broker.submit_times();
    assert_eq!(times.len(), 3);
    for pair in times.windows(2) {
        assert!(pair[1] - pair[0] >= wait, "resent before Retry-After");
    }
    let mut retries = Vec::new();
    while let Ok(ev) = events.try_recv() {
        if let OrderEvent::Retrying {
            retry_in, reason, ..
        } = ev
        {
            retries.push((retry_in, reason));
        }
    }
    assert_eq!(
        retries,
        [
            (wait, "rate limited (429)".to_string()),
            (wait, "IP banned (418)".to_string())
        ]
    );
    assert_eq!(broker.at_venue(), 1);
}

#[tokio::test]
async fn a_ban_longer_than_the_policy_rejects_locally() {
    let dir = tempfile::tempdir().unwrap();
    let broker = ScriptedBroker::new();
    let ban = Duration::from_secs(3600);
    broker.script([Step::Refuse(BrokerError::RateLimited {
        retry_after: ban,
        banned: true,
    })]);
    let m = manager(dir.path(), &broker, fast());
    let o = m.place(&limit_buy("0.01", "43000")).await.unwrap();
    assert_eq!(o.status, OrderStatus::Rejected);
    assert_eq!(
        o.reject_reason.as_deref(),
        Some("IP banned (418): the venue asks to wait 3600s; not sent")
    );
}

#[tokio::test]
async fn not_sent_is_retried_then_given_up() {
    let dir = tempfile::tempdir().unwrap();
    let broker = ScriptedBroker::new();
    let refused = || Step::Refuse(BrokerError::NotSent("connection refused".into()));
    broker.script([refused(), Step::Accept]);
    let m = manager(dir.path(), &broker, fast());
    assert_eq!(
        m.place(&limit_buy("0.01", "43000")).await.unwrap().status,
        OrderStatus::New
    );
    assert_eq!(broker.submits().len(), 2);

    broker.script([refused(), refused(), refused(), refused()]);
    let o = m.place(&limit_buy("0.01", "43000")).await.unwrap();
    assert_eq!(o.status, OrderStatus::Rejected);
    assert_eq!(
        o.reject_reason.as_deref(),
        Some("could not reach the venue: connection refused")
    );
    assert_eq!(broker.submits().len(), 6);
}

#[tokio::test]
async fn a_venue_reject_keeps_the_venues_words() {
    let dir = tempfile::tempdir().unwrap();
    let broker = ScriptedBroker::new();
    let msg = "Account has insufficient balance for requested action.";
    broker.script([Step::Refuse(BrokerError::Rejected {
        code: Some(-2010),
        message: msg.into(),
    })]);
    let m = manager(dir.path(), &broker, fast());
    let o = m.place(&limit_buy("0.01", "43000")).await.unwrap();
    assert_eq!(
        (o.status, o.reject_reason.as_deref()),
        (OrderStatus::Rejected, Some(msg))
    );
    assert_eq!(
        m.store()
            .order(&o.request.client_order_id)
            .unwrap()
            .unwrap(),
        o
    );
}

#[tokio::test]
async fn a_fill_seen_in_the_reply_and_the_stream_counts_once() {
    let dir = tempfile::tempdir().unwrap();
    let broker = ScriptedBroker::new();
    broker.script([Step::Fill("9001")]);
    let m = manager(dir.path(), &broker, fast());
    let mut events = m.subscribe();
    let o = m.place(&limit_buy("0.01", "43000")).await.unwrap();
    assert_eq!(o.status, OrderStatus::Filled);
    // The user stream reports the same execution, and a stale "new" arrives late.
    let stream_fill = full_fill(&o.request, "9001");
    m.handle_event(VenueId::Binance, BrokerEvent::Order(stream_fill))
        .await;
    m.handle_event(
        VenueId::Binance,
        BrokerEvent::Order(update(&o.request, OrderStatus::New)),
    )
    .await;
    let id = &o.request.client_order_id;
    assert_eq!(m.store().fills_for_order(id).unwrap().len(), 1);
    let fills = std::iter::from_fn(|| events.try_recv().ok())
        .filter(|e| matches!(e, OrderEvent::Fill(_)))
        .count();
    assert_eq!(fills, 1);
    let now = m.order(id).unwrap().unwrap();
    assert_eq!(
        (now.status, now.filled_qty),
        (OrderStatus::Filled, Qty::parse("0.01").unwrap())
    );
    let ignored = m
        .store()
        .order_events(id)
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == OrderEventKind::Ignored)
        .count();
    assert_eq!(ignored, 1, "filled -> new is logged and ignored");
}

#[tokio::test]
async fn cancel_one_and_cancel_all() {
    let dir = tempfile::tempdir().unwrap();
    let broker = ScriptedBroker::new();
    let m = manager(dir.path(), &broker, fast());
    let a = m.place(&limit_buy("0.01", "43000")).await.unwrap();
    let b = m.place(&limit_buy("0.01", "42000")).await.unwrap();
    let c = m.place(&limit_buy("0.01", "41000")).await.unwrap();
    let done = m.cancel(&a.request.client_order_id).await.unwrap();
    assert_eq!(done.status, OrderStatus::Canceled);
    let again = m.cancel(&a.request.client_order_id).await.unwrap_err();
    assert!(matches!(
        again,
        OrderError::NotCancelable {
            status: OrderStatus::Canceled,
            ..
        }
    ));
    let all = m.cancel_all(VenueId::Binance, &b.request.symbol).await;
    assert_eq!(all.len(), 2);
    assert!(
        all.iter()
            .all(|(_, r)| r.as_ref().unwrap().status == OrderStatus::Canceled)
    );
    assert!(m.open_orders().is_empty());
    for id in [&b, &c].map(|o| &o.request.client_order_id) {
        assert_eq!(
            m.store().order(id).unwrap().unwrap().status,
            OrderStatus::Canceled
        );
    }
}

#[tokio::test]
async fn a_refused_cancel_brings_the_order_up_to_date() {
    let dir = tempfile::tempdir().unwrap();
    let broker = ScriptedBroker::new();
    let m = manager(dir.path(), &broker, fast());
    let o = m.place(&limit_buy("0.01", "43000")).await.unwrap();
    // It filled at the venue; the cancel is refused.
    broker.set(full_fill(&o.request, "77"));
    let after = m.cancel(&o.request.client_order_id).await.unwrap();
    assert_eq!(after.status, OrderStatus::Filled);
    // A cancel refused while the order is still working reverts pending_cancel.
    let p = m.place(&limit_buy("0.01", "43000")).await.unwrap();
    let refusal = BrokerError::Rejected {
        code: Some(-1021),
        message: "Timestamp outside recvWindow".into(),
    };
    broker
        .venue
        .lock()
        .unwrap()
        .cancel_script
        .push_back(refusal);
    let err = m.cancel(&p.request.client_order_id).await.unwrap_err();
    assert!(err.to_string().contains("recvWindow"), "{err}");
    assert_eq!(
        m.order(&p.request.client_order_id).unwrap().unwrap().status,
        OrderStatus::New
    );
}

#[tokio::test]
async fn a_pending_order_waiting_out_a_rate_limit_can_be_withdrawn() {
    let dir = tempfile::tempdir().unwrap();
    let broker = ScriptedBroker::new();
    let wait = Duration::from_secs(4);
    broker.script([Step::Refuse(BrokerError::RateLimited {
        retry_after: wait,
        banned: false,
    })]);
    let m = manager(dir.path(), &broker, fast());
    let mut events = m.subscribe();
    let placing = tokio::spawn({
        let m = m.clone();
        async move { m.place(&limit_buy("0.01", "43000")).await }
    });
    let id = loop {
        if let Some(OrderEvent::Retrying {
            client_order_id, ..
        }) = events.recv().await
        {
            break client_order_id;
        }
    };
    let withdrawn = m.cancel(&id).await.unwrap();
    assert_eq!(withdrawn.status, OrderStatus::Canceled);
    let placed = tokio::time::timeout(Duration::from_secs(2), placing).await;
    let o = placed
        .expect("the retry wait ends when the order is withdrawn")
        .unwrap()
        .unwrap();
    assert_eq!(o.status, OrderStatus::Canceled);
    assert_eq!(broker.submits().len(), 1, "a withdrawn order is not resent");
}
