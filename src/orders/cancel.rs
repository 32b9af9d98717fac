//! Cancelling orders: one, or every open order of a symbol.
//!
//! A cancel is idempotent at every venue, so unlike a submit it may be retried after an
//! unknown outcome. When the venue refuses it (already filled, unknown order), the order is
//! queried and brought up to date, so the caller sees what really happened.

use super::{Busy, OrderError, OrderManager};
use crate::domain::{ClientOrderId, Order, OrderStatus, Symbol, VenueId};
use crate::venue::{Broker, BrokerError, OrderUpdate};
use std::sync::Arc;

impl OrderManager {
    /// Cancels one order. `Ok` carries the order's state afterwards: `canceled`, or `filled` /
    /// `expired` if it finished before the cancel arrived. A `pending_submit` order that is
    /// waiting to retry is withdrawn locally (it never reached the venue).
    pub async fn cancel(&self, id: &ClientOrderId) -> Result<Order, OrderError> {
        let order = self
            .order(id)?
            .ok_or_else(|| OrderError::NotFound(id.clone()))?;
        if order.status.is_terminal() {
            return Err(OrderError::NotCancelable {
                id: id.clone(),
                status: order.status,
            });
        }
        if self.withdraw(id) {
            let reason = "withdrawn before it reached the venue".to_string();
            self.local(id, OrderStatus::Canceled, Some(reason)).await;
            self.inner.wake.notify_waiters();
            return self
                .order(id)?
                .ok_or_else(|| OrderError::NotFound(id.clone()));
        }
        if matches!(
            order.status,
            OrderStatus::PendingSubmit | OrderStatus::Unknown
        ) {
            return Err(OrderError::Busy(format!(
                "order {id} is not confirmed by the venue yet; cancel again once it is"
            )));
        }
        let broker = self.broker_for(&order)?;
        self.local(id, OrderStatus::PendingCancel, None).await;
        let result = {
            let _idle = self.idle_on_drop(id);
            self.cancel_loop(&broker, &order.request.symbol, id).await
        };
        self.settle_cancel(&broker, &order, result).await
    }

    /// Cancels every open order of `symbol` at `venue`; one result per order.
    pub async fn cancel_all(
        &self,
        venue: VenueId,
        symbol: &Symbol,
    ) -> Vec<(ClientOrderId, Result<Order, OrderError>)> {
        let ids: Vec<ClientOrderId> = self
            .open_orders()
            .into_iter()
            .filter(|o| o.request.venue == venue && &o.request.symbol == symbol)
            .map(|o| o.request.client_order_id)
            .collect();
        let jobs = ids.into_iter().map(|id| async move {
            let r = self.cancel(&id).await;
            (id, r)
        });
        futures_util::future::join_all(jobs).await
    }

    /// Marks a `pending_submit` order that is waiting to retry as withdrawn.
    fn withdraw(&self, id: &ClientOrderId) -> bool {
        let mut book = self.book();
        match book.orders.get_mut(id) {
            Some(t) if t.busy == Busy::Waiting && t.order.status == OrderStatus::PendingSubmit => {
                t.withdrawn = true;
                true
            }
            _ => false,
        }
    }

    /// Sends the cancel, retrying what may be retried.
    async fn cancel_loop(
        &self,
        broker: &Arc<dyn Broker>,
        symbol: &Symbol,
        id: &ClientOrderId,
    ) -> Result<OrderUpdate, BrokerError> {
        let p = self.inner.opts.retry.clone();
        let mut tries = 0;
        loop {
            let err = match broker.cancel(symbol, id).await {
                Ok(u) => return Ok(u),
                Err(e) => e,
            };
            tries += 1;
            let wait = match &err {
                BrokerError::RateLimited { retry_after, .. } => *retry_after,
                BrokerError::NotSent(_) | BrokerError::Unknown(_) => p.not_sent_backoff,
                _ => return Err(err),
            };
            if tries > p.not_sent_attempts || !self.wait_retry(id, wait, "cancel").await {
                return Err(err);
            }
        }
    }

    /// Applies the cancel's outcome; on failure queries the venue so the journal agrees.
    async fn settle_cancel(
        &self,
        broker: &Arc<dyn Broker>,
        order: &Order,
        result: Result<OrderUpdate, BrokerError>,
    ) -> Result<Order, OrderError> {
        let id = &order.request.client_order_id;
        let err = match result {
            Ok(u) => {
                self.apply(u).await;
                return self
                    .order(id)?
                    .ok_or_else(|| OrderError::NotFound(id.clone()));
            }
            Err(e) => e,
        };
        let _ = self.reconcile_one(broker, order).await;
        let now = self
            .order(id)?
            .ok_or_else(|| OrderError::NotFound(id.clone()))?;
        if now.status.is_terminal() {
            return Ok(now);
        }
        let definite = !matches!(err, BrokerError::Unknown(_));
        if now.status == OrderStatus::PendingCancel && definite {
            let back = if now.filled_qty.is_zero() {
                OrderStatus::New
            } else {
                OrderStatus::PartiallyFilled
            };
            self.local(id, back, None).await;
        }
        Err(OrderError::Broker(err))
    }
}
