//! Placing orders: journal first, then send, and after an unknown outcome query by client
//! order id before any resend (which reuses the same id).
//!
//! | broker answer        | what the manager does                                              |
//! |----------------------|--------------------------------------------------------------------|
//! | `Ok(update)`         | applied through the state machine                                  |
//! | `Rejected`/`Auth`    | `rejected` with the venue's message (after a resend: query first,  |
//! |                      | since a duplicate-id reject may mean the first send did arrive)    |
//! | `RateLimited`        | waits `retry_after` (published as [`OrderEvent::Retrying`]), resends |
//! | `NotSent`            | backs off and resends; after the limit, `rejected` "not sent"       |
//! | `Unknown`            | `unknown`; queries until the venue knows it, or confirms (twice)   |
//! |                      | that it never got it, then resends with the same id                |

use super::{Busy, OrderError, OrderEvent, OrderManager, Tracked};
use crate::domain::{ClientOrderId, Order, OrderRequest, OrderStatus, Qty, now_ms};
use crate::store::OrderEventKind;
use crate::venue::{Broker, BrokerError};
use rust_decimal::Decimal;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// Where an order with an unknown outcome stands after querying.
enum Resolution {
    /// The venue told us its state (or the user stream did).
    Known,
    /// The venue confirmed it never received it: safe to resend with the same id.
    NotAtVenue,
    /// Still unknown; reconciliation will settle it.
    StillUnknown,
}

impl OrderManager {
    /// Validates, journals (committed before anything is sent), sends and follows up one
    /// order. `Err` means nothing was journaled or sent; `Ok` is the order's state once the
    /// venue answered (possibly `rejected`, or `unknown` if it could not be settled yet).
    pub async fn place(&self, draft: &super::OrderDraft) -> Result<Order, OrderError> {
        let (order, broker) = self.journal_busy(draft).await?;
        let id = &order.request.client_order_id;
        let _idle = self.idle_on_drop(id);
        self.send_loop(&broker, &order.request).await;
        self.finish(id)
    }

    /// Validates and journals an order as `pending_submit` without sending it (for tools and
    /// crash tests; send it with [`OrderManager::send`]). Until it is sent, a reconciliation
    /// would find it unknown at the venue and mark it rejected ("never reached the venue").
    pub async fn journal_order(&self, draft: &super::OrderDraft) -> Result<Order, OrderError> {
        let (order, _) = self.journal_busy(draft).await?;
        self.set_busy(&order.request.client_order_id, Busy::Idle);
        Ok(order)
    }

    /// Journals an order under its venue's broker profile and leaves it marked as being sent,
    /// so reconciliation skips it. Returns the order and the broker to send it with.
    async fn journal_busy(
        &self,
        draft: &super::OrderDraft,
    ) -> Result<(Order, Arc<dyn Broker>), OrderError> {
        let (broker, profile) = self.broker(draft.venue)?;
        let req = self.validate(draft)?;
        let now = now_ms();
        let order = Order {
            request: req,
            venue_order_id: None,
            status: OrderStatus::PendingSubmit,
            filled_qty: Qty::ZERO,
            filled_quote: Decimal::ZERO,
            reject_reason: None,
            created_at: now,
            updated_at: now,
        };
        let id = order.request.client_order_id.clone();
        let pending = {
            let mut book = self.book();
            let mut tracked = Tracked::idle(order.clone());
            tracked.busy = Busy::Sending;
            book.orders.insert(id.clone(), tracked);
            self.inner.store.journal_new_order(&order, &profile)
        };
        // If this future is dropped while the journal write is pending, the order must not stay
        // marked as being sent (reconciliation would skip it for the life of the process).
        let idle = self.idle_on_drop(&id);
        let journaled = pending.await;
        idle.disarm();
        match journaled {
            Ok(()) => {
                self.emit(OrderEvent::Order(order.clone()));
                Ok((order, broker))
            }
            Err(e) => {
                self.book().orders.remove(&id);
                Err(OrderError::Journal(e))
            }
        }
    }

    /// Sends a journaled `pending_submit` order and follows it up (see the module docs).
    pub async fn send(&self, id: &ClientOrderId) -> Result<Order, OrderError> {
        let order = self
            .order(id)?
            .ok_or_else(|| OrderError::NotFound(id.clone()))?;
        let broker = self.broker_for(&order)?;
        let req = {
            let mut book = self.book();
            let t = book
                .orders
                .get_mut(id)
                .ok_or_else(|| OrderError::NotFound(id.clone()))?;
            if t.order.status != OrderStatus::PendingSubmit || t.busy != Busy::Idle {
                return Err(OrderError::Busy(format!(
                    "order {id} is {} and cannot be sent again",
                    t.order.status
                )));
            }
            t.busy = Busy::Sending;
            t.order.request.clone()
        };
        let _idle = self.idle_on_drop(id);
        self.send_loop(&broker, &req).await;
        self.finish(id)
    }

    /// Ends a send: returns the order's state.
    fn finish(&self, id: &ClientOrderId) -> Result<Order, OrderError> {
        self.order(id)?
            .ok_or_else(|| OrderError::NotFound(id.clone()))
    }

    async fn send_loop(&self, broker: &Arc<dyn Broker>, req: &OrderRequest) {
        let id = &req.client_order_id;
        let p = self.inner.opts.retry.clone();
        let (mut not_sent, mut resends, mut attempt) = (0u32, 0u32, 0u32);
        while self.begin_attempt(id) {
            attempt += 1;
            self.trail(id, OrderEventKind::Sent, format!("attempt {attempt}"));
            let refusal = match broker.submit(req).await {
                Ok(u) => {
                    self.apply(u).await;
                    return;
                }
                Err(BrokerError::RateLimited {
                    retry_after,
                    banned,
                }) => {
                    if self.rate_limited(id, retry_after, banned).await {
                        continue;
                    }
                    return;
                }
                Err(BrokerError::NotSent(msg)) => {
                    not_sent += 1;
                    if self.not_sent(id, not_sent, &msg).await {
                        continue;
                    }
                    return;
                }
                Err(BrokerError::Unknown(msg)) => {
                    self.local(id, OrderStatus::Unknown, Some(msg.clone()))
                        .await;
                    match self.resolve_unknown(broker, req).await {
                        Resolution::Known => return,
                        Resolution::NotAtVenue if resends < p.max_resends => resends += 1,
                        _ => return self.left_unknown(broker, id, &msg),
                    }
                    continue;
                }
                Err(e) => e,
            };
            // Rejected, Auth, NotFound: the venue refused it. After a resend a refusal may be
            // "duplicate id" for an order that did arrive: ask first.
            if resends == 0 || !self.query_once(broker, req).await {
                let reason = reject_text(&refusal);
                self.local(id, OrderStatus::Rejected, Some(reason)).await;
            }
            return;
        }
    }

    /// Waits out a 429 / 418; `false` (and the order rejected locally) if the wait is longer
    /// than the policy allows.
    async fn rate_limited(&self, id: &ClientOrderId, retry_after: Duration, banned: bool) -> bool {
        let why = if banned {
            "IP banned (418)"
        } else {
            "rate limited (429)"
        };
        if self.wait_retry(id, retry_after, why).await {
            return true;
        }
        let secs = retry_after.as_secs();
        let msg = format!("{why}: the venue asks to wait {secs}s; not sent");
        self.local(id, OrderStatus::Rejected, Some(msg)).await;
        false
    }

    /// Backs off after the `n`th `NotSent`; `false` (and the order rejected locally) once the
    /// attempts are used up.
    async fn not_sent(&self, id: &ClientOrderId, n: u32, msg: &str) -> bool {
        let p = &self.inner.opts.retry;
        let wait = p.not_sent_backoff.saturating_mul(1 << (n - 1).min(16));
        if n <= p.not_sent_attempts && self.wait_retry(id, wait, &format!("not sent: {msg}")).await
        {
            return true;
        }
        let reason = format!("could not reach the venue: {msg}");
        self.local(id, OrderStatus::Rejected, Some(reason)).await;
        false
    }

    /// Marks the start of an attempt; `false` if the user withdrew the order meanwhile.
    fn begin_attempt(&self, id: &ClientOrderId) -> bool {
        match self.book().orders.get_mut(id) {
            Some(t) if !t.withdrawn => {
                t.busy = Busy::Sending;
                true
            }
            _ => false,
        }
    }

    fn left_unknown(&self, broker: &Arc<dyn Broker>, id: &ClientOrderId, msg: &str) {
        let message = format!(
            "order {id}: the venue's answer was lost ({msg}) and it could not be confirmed yet; \
             it stays unknown and will be reconciled, never resent blindly"
        );
        tracing::warn!("{message}");
        self.emit(OrderEvent::Notice {
            client_order_id: Some(id.clone()),
            message,
        });
        self.follow_up_unknown(broker.clone(), id.clone());
    }

    /// Re-checks an order left `unknown` in the background, with a growing delay, until the
    /// venue settles it (reconciliation rules apply: never resent).
    fn follow_up_unknown(&self, broker: Arc<dyn Broker>, id: ClientOrderId) {
        let me = self.clone();
        let mut wait = self.inner.opts.retry.unknown_recheck;
        tokio::spawn(async move {
            for _ in 0..10 {
                tokio::time::sleep(wait).await;
                wait = wait.saturating_mul(2).min(Duration::from_secs(300));
                let Ok(Some(order)) = me.order(&id) else {
                    return;
                };
                if order.status != OrderStatus::Unknown {
                    return;
                }
                if let Some(order) = me.claim(&order) {
                    let _idle = me.idle_on_drop(&id);
                    let _ = me.reconcile_one(&broker, &order).await;
                }
            }
        });
    }

    /// Waits `wait` before a retry, publishing it; `false` if the wait is longer than the
    /// policy allows. Returns early (`true`) if the order is withdrawn.
    pub(super) async fn wait_retry(&self, id: &ClientOrderId, wait: Duration, why: &str) -> bool {
        if wait > self.inner.opts.retry.max_rate_limit_wait {
            return false;
        }
        self.set_busy(id, Busy::Waiting);
        self.trail(
            id,
            OrderEventKind::Retry,
            format!("{why}; retry in {}ms", wait.as_millis()),
        );
        self.emit(OrderEvent::Retrying {
            client_order_id: id.clone(),
            retry_in: wait,
            reason: why.to_string(),
        });
        let deadline = Instant::now() + wait;
        loop {
            let woken = self.inner.wake.notified();
            if self.book().orders.get(id).is_none_or(|t| t.withdrawn) {
                break;
            }
            tokio::select! {
                () = tokio::time::sleep_until(deadline) => break,
                () = woken => {}
            }
        }
        self.set_busy(id, Busy::Sending);
        true
    }

    /// Queries an order whose submit outcome is unknown (see [`Resolution`]).
    async fn resolve_unknown(&self, broker: &Arc<dyn Broker>, req: &OrderRequest) -> Resolution {
        let p = self.inner.opts.retry.clone();
        let id = &req.client_order_id;
        tokio::time::sleep(p.unknown_first_query).await;
        let mut not_found = 0;
        for _ in 0..p.unknown_query_attempts {
            if self.status(id) != Some(OrderStatus::Unknown) {
                return Resolution::Known;
            }
            match broker.query(&req.symbol, id).await {
                Ok(u) => {
                    self.apply(u).await;
                    self.backfill_fills(broker, id).await;
                    return Resolution::Known;
                }
                Err(BrokerError::NotFound) => {
                    not_found += 1;
                    if not_found >= p.not_found_confirmations {
                        return Resolution::NotAtVenue;
                    }
                }
                Err(BrokerError::RateLimited { retry_after, .. }) => {
                    if self.wait_retry(id, retry_after, "query rate limited").await {
                        continue;
                    }
                    return Resolution::StillUnknown;
                }
                Err(e) => self.trail(id, OrderEventKind::Error, format!("query: {e}")),
            }
            tokio::time::sleep(p.query_backoff).await;
        }
        Resolution::StillUnknown
    }

    /// One query; applies and returns `true` if the venue knows the order.
    async fn query_once(&self, broker: &Arc<dyn Broker>, req: &OrderRequest) -> bool {
        match broker.query(&req.symbol, &req.client_order_id).await {
            Ok(u) => {
                self.apply(u).await;
                self.backfill_fills(broker, &req.client_order_id).await;
                true
            }
            Err(_) => false,
        }
    }
}

/// The text stored as the reject reason.
fn reject_text(e: &BrokerError) -> String {
    match e {
        BrokerError::Rejected { message, .. } => message.clone(),
        other => other.to_string(),
    }
}
