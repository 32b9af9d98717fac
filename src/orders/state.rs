//! The order state machine: which status changes are legal, and how one venue update moves an
//! order (pure functions; the manager journals and publishes the result).
//!
//! Rules:
//! - A transition not in [`can_transition`] is logged and ignored, never applied; the same
//!   status again is not a transition (it may still carry a new fill).
//! - Fills are facts: a fill not seen before (by venue, symbol and trade id) is recorded even
//!   when the update's status change is ignored (e.g. a late fill after a cancel).
//! - Cumulative filled quantity and quote amount never go backwards: the larger of what we had
//!   and what the venue says wins.

use crate::domain::{Fill, Order, OrderStatus, now_ms};
use crate::store::{OrderEventKind, OrderEventRow};
use crate::venue::OrderUpdate;

/// Whether an order may move from `from` to `to` (`from != to`).
pub fn can_transition(from: OrderStatus, to: OrderStatus) -> bool {
    use OrderStatus::*;
    match from {
        PendingSubmit => matches!(
            to,
            Unknown | New | PartiallyFilled | Filled | Canceled | Rejected | Expired
        ),
        Unknown => matches!(
            to,
            New | PartiallyFilled | Filled | Canceled | Rejected | Expired
        ),
        New => matches!(
            to,
            PartiallyFilled | Filled | PendingCancel | Canceled | Rejected | Expired
        ),
        PartiallyFilled => matches!(to, Filled | PendingCancel | Canceled | Expired),
        PendingCancel => matches!(to, New | PartiallyFilled | Filled | Canceled | Expired),
        Filled | Canceled | Rejected | Expired => false,
    }
}

/// What applying one update did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The order after the update.
    pub order: Order,
    /// Trail entries to journal (status change, fills, an ignored transition).
    pub events: Vec<OrderEventRow>,
    /// Fills not seen before, to journal and publish.
    pub new_fills: Vec<Fill>,
    /// Whether anything about the order changed.
    pub changed: bool,
}

/// Applies `u` to `order`. `seen` says whether a fill is already recorded.
pub fn apply_update(order: &Order, u: &OrderUpdate, seen: impl Fn(&Fill) -> bool) -> Applied {
    let id = &order.request.client_order_id;
    let mut next = order.clone();
    let mut events = Vec::new();
    let mut new_fills = Vec::new();
    if let Some(f) = u.fill.as_ref().filter(|f| !seen(f)) {
        let detail = format!("{} @ {} (trade {})", f.qty, f.price, f.trade_id);
        events.push(OrderEventRow::now(
            id,
            OrderEventKind::Fill,
            None,
            Some(detail),
        ));
        new_fills.push(f.clone());
    }
    next.filled_qty = next.filled_qty.max(u.filled_qty);
    next.filled_quote = next.filled_quote.max(u.filled_quote);
    if next.venue_order_id.is_none() {
        next.venue_order_id.clone_from(&u.venue_order_id);
    }
    if u.status != order.status {
        if can_transition(order.status, u.status) {
            next.status = u.status;
            if u.reason.is_some() {
                next.reject_reason.clone_from(&u.reason);
            }
            events.push(OrderEventRow::now(
                id,
                OrderEventKind::Status,
                Some(u.status),
                u.reason.clone(),
            ));
        } else {
            tracing::warn!(
                order = %id, from = %order.status, to = %u.status,
                "illegal order transition ignored"
            );
            let detail = format!("{} -> {} ignored", order.status, u.status);
            events.push(OrderEventRow::now(
                id,
                OrderEventKind::Ignored,
                Some(order.status),
                Some(detail),
            ));
        }
    }
    let changed = next != *order || !new_fills.is_empty();
    if changed {
        next.updated_at = now_ms().max(order.updated_at);
    }
    Applied {
        order: next,
        events,
        new_fills,
        changed,
    }
}
