//! Reconciliation and the broker event pump.
//!
//! Every non-terminal journaled order that no task of this manager is sending is queried at
//! its venue and brought up to date: at start-up, after a push channel reconnects, or on
//! demand. When the venue does not know an order:
//! - `pending_submit` / `unknown` → `rejected` "never reached the venue". It is **not**
//!   resent: the user decided on old prices, and a resend after a restart would surprise them.
//! - acknowledged before (`new`, `partially_filled`, `pending_cancel`) → `expired` "the venue no
//!   longer knows this order" (venues purge cancelled orders without fills; the paper broker
//!   does not survive a restart).

use super::{Busy, OrderEvent, OrderManager};
use crate::domain::{ClientOrderId, Order, OrderStatus, VenueId};
use crate::store::{OrderEventKind, OrderEventRow};
use crate::venue::{Broker, BrokerError, BrokerEvent, ConnState, OrderUpdate};
use std::future::Future;
use std::sync::Arc;
use tokio::sync::mpsc;

/// What a reconciliation did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconcileReport {
    /// Orders queried.
    pub checked: usize,
    /// Orders whose state changed, as they are now.
    pub changed: Vec<Order>,
    /// Orders that could not be settled (venue unreachable, no broker), with the reason.
    pub unresolved: Vec<(ClientOrderId, String)>,
    /// Open orders left alone because they were placed through another profile.
    pub other_profiles: usize,
}

/// A source of broker push events ([`OrderManager::spawn_event_pump`]).
pub trait EventSource: Send + 'static {
    /// The next event; `None` when the broker is gone.
    fn next_event(&mut self) -> impl Future<Output = Option<BrokerEvent>> + Send;
}

impl EventSource for mpsc::UnboundedReceiver<BrokerEvent> {
    fn next_event(&mut self) -> impl Future<Output = Option<BrokerEvent>> + Send {
        self.recv()
    }
}

impl EventSource for mpsc::Receiver<BrokerEvent> {
    fn next_event(&mut self) -> impl Future<Output = Option<BrokerEvent>> + Send {
        self.recv()
    }
}

impl OrderManager {
    /// Reconciles every venue that has a broker.
    pub async fn reconcile(&self) -> ReconcileReport {
        let mut report = ReconcileReport::default();
        for (broker, _) in self.brokers() {
            let r = self.reconcile_venue(broker.venue()).await;
            report.checked += r.checked;
            report.changed.extend(r.changed);
            report.unresolved.extend(r.unresolved);
            report.other_profiles += r.other_profiles;
        }
        report
    }

    /// Reconciles the open orders of one venue that were placed through its current broker's
    /// profile.
    ///
    /// Passes run one at a time: a pass started while another runs (e.g. `order status` while
    /// the push channel's reconnect pass is under way) waits for it, so it never skips an order
    /// only because the other pass holds it.
    pub async fn reconcile_venue(&self, venue: VenueId) -> ReconcileReport {
        let _one_pass = self.inner.reconciling.lock().await;
        let mut report = ReconcileReport::default();
        let (broker, profile) = match self.broker(venue) {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(venue = %venue, error = %e, "reconcile: no broker");
                return report;
            }
        };
        let store = &self.inner.store;
        let (mine, all) = match (
            store.open_orders_in(Some(venue), Some(&profile)),
            store.open_orders(Some(venue)),
        ) {
            (Ok(mine), Ok(all)) => (mine, all.len()),
            (Err(e), _) | (_, Err(e)) => {
                tracing::error!(error = %e, "reconcile: could not read the journal");
                return report;
            }
        };
        report.other_profiles = all.saturating_sub(mine.len());
        for stored in mine {
            let id = stored.request.client_order_id.clone();
            let Some(order) = self.claim(&stored) else {
                continue;
            };
            report.checked += 1;
            let idle = self.idle_on_drop(&id);
            let outcome = self.reconcile_one(&broker, &order).await;
            drop(idle);
            match outcome {
                Ok(Some(now)) if now != order => report.changed.push(now),
                Ok(_) => {}
                Err(why) => report.unresolved.push((id, why)),
            }
        }
        if !report.unresolved.is_empty() {
            tracing::warn!(venue = %venue, n = report.unresolved.len(), "orders left unreconciled");
        }
        report
    }

    /// Marks an idle open order as busy for reconciliation; `None` if a task owns it.
    pub(super) fn claim(&self, stored: &Order) -> Option<Order> {
        let id = &stored.request.client_order_id;
        let mut book = self.book();
        let t = book
            .orders
            .entry(id.clone())
            .or_insert_with(|| super::Tracked::idle(stored.clone()));
        if t.busy != Busy::Idle || t.order.status.is_terminal() {
            return None;
        }
        t.busy = Busy::Sending;
        Some(t.order.clone())
    }

    /// Queries one order and applies the answer (see the module docs for `NotFound`).
    pub(super) async fn reconcile_one(
        &self,
        broker: &Arc<dyn Broker>,
        order: &Order,
    ) -> Result<Option<Order>, String> {
        let id = &order.request.client_order_id;
        let note = |detail: &str| {
            OrderEventRow::now(
                id,
                OrderEventKind::Reconciled,
                None,
                Some(detail.to_string()),
            )
        };
        let mut answer = broker.query(&order.request.symbol, id).await;
        if let Err(BrokerError::RateLimited { retry_after, .. }) = &answer {
            if !self.wait_retry(id, *retry_after, "reconcile query").await {
                return Err(format!("rate limited for {}s", retry_after.as_secs()));
            }
            answer = broker.query(&order.request.symbol, id).await;
        }
        match answer {
            Ok(u) => {
                let now = self.apply_noted(u, Some(note("queried"))).await;
                self.backfill_fills(broker, id).await;
                Ok(now.and_then(|_| self.order(id).ok().flatten()))
            }
            Err(BrokerError::NotFound) => {
                let (status, reason) = match order.status {
                    OrderStatus::PendingSubmit | OrderStatus::Unknown => {
                        (OrderStatus::Rejected, "never reached the venue")
                    }
                    _ => (OrderStatus::Expired, "the venue no longer knows this order"),
                };
                self.local(id, status, Some(reason.to_string())).await;
                Ok(self.order(id).ok().flatten())
            }
            Err(e) => Err(e.to_string()),
        }
    }

    /// Journals the fills of an order whose venue-reported filled quantity is more than its
    /// journaled fills add up to (its trade reports were never seen: a lost reply, a restart).
    /// Fills already journaled are skipped by trade id; a failure is noted in the trail.
    pub(super) async fn backfill_fills(&self, broker: &Arc<dyn Broker>, id: &ClientOrderId) {
        let Ok(Some(order)) = self.order(id) else {
            return;
        };
        let journaled: i64 = match self.inner.store.fills_for_order(id) {
            Ok(fills) => fills.iter().map(|f| f.qty.units()).sum(),
            Err(_) => return,
        };
        if order.filled_qty.units() <= journaled {
            return;
        }
        let fills = match broker.fills(&order.request.symbol, id).await {
            Ok(fills) => fills,
            Err(e) => return self.trail(id, OrderEventKind::Error, format!("fills: {e}")),
        };
        for fill in fills.into_iter().filter(|f| &f.client_order_id == id) {
            let Ok(Some(now)) = self.order(id) else {
                return;
            };
            let time = fill.time;
            self.apply(OrderUpdate {
                client_order_id: id.clone(),
                venue_order_id: now.venue_order_id,
                symbol: now.request.symbol,
                status: now.status,
                filled_qty: now.filled_qty,
                filled_quote: now.filled_quote,
                fill: Some(fill),
                reason: None,
                time,
            })
            .await;
        }
    }

    /// Handles one push event from a broker: order updates go through the state machine;
    /// a push channel that comes back (`Live`) triggers a reconciliation of its venue.
    pub async fn handle_event(&self, venue: VenueId, ev: BrokerEvent) {
        match ev {
            BrokerEvent::Order(u) => {
                self.apply(u).await;
            }
            BrokerEvent::Balances(balances) => self.emit(OrderEvent::Balances { venue, balances }),
            BrokerEvent::Connection(state) => {
                let live = state == ConnState::Live;
                self.emit(OrderEvent::Connection { venue, state });
                if live {
                    let me = self.clone();
                    tokio::spawn(async move {
                        me.reconcile_venue(venue).await;
                    });
                }
            }
        }
    }

    /// Spawns a task that feeds a broker's push events to [`OrderManager::handle_event`], in
    /// order, until the source ends. Needs a Tokio runtime.
    pub fn spawn_event_pump(
        &self,
        venue: VenueId,
        mut source: impl EventSource,
    ) -> tokio::task::JoinHandle<()> {
        let me = self.clone();
        tokio::spawn(async move {
            while let Some(ev) = source.next_event().await {
                me.handle_event(venue, ev).await;
            }
        })
    }
}
