//! The blotter: our orders (open and finished) and fills, as the order manager reports them.

use crate::domain::{ClientOrderId, Fill, Order};
use std::collections::{HashSet, VecDeque};

/// Finished orders and fills kept for the history and fills tabs.
pub const HISTORY_CAP: usize = 500;

/// Orders and fills for the bottom tabs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Blotter {
    /// Orders that can still change, oldest first.
    pub open: Vec<Order>,
    /// Finished orders, newest first.
    pub history: VecDeque<Order>,
    /// Fills, newest first.
    pub fills: VecDeque<Fill>,
    seen_fills: HashSet<String>,
}

impl Blotter {
    /// Applies the latest snapshot of an order: open orders are updated in place, a finished
    /// one moves to the history.
    pub fn upsert(&mut self, order: Order) {
        let id = order.request.client_order_id.clone();
        self.open.retain(|o| o.request.client_order_id != id);
        if order.status.is_open() {
            self.open.push(order);
            self.open.sort_by_key(|o| o.created_at);
        } else {
            self.history.retain(|o| o.request.client_order_id != id);
            self.history.push_front(order);
            self.history.truncate(HISTORY_CAP);
        }
    }

    /// Adds a fill once, however many times it is reported; `false` if it was already there.
    pub fn add_fill(&mut self, fill: Fill) -> bool {
        if !self.seen_fills.insert(fill_key(&fill)) {
            return false;
        }
        self.fills.push_front(fill);
        if self.fills.len() > HISTORY_CAP
            && let Some(old) = self.fills.pop_back()
        {
            self.seen_fills.remove(&fill_key(&old));
        }
        true
    }

    /// Whether this fill was already reported.
    pub fn has_fill(&self, fill: &Fill) -> bool {
        self.seen_fills.contains(&fill_key(fill))
    }

    /// The open order at a row of the orders tab.
    pub fn open_at(&self, row: usize) -> Option<&Order> {
        self.open.get(row)
    }

    /// Whether an order id is open.
    pub fn is_open(&self, id: &ClientOrderId) -> bool {
        self.open.iter().any(|o| &o.request.client_order_id == id)
    }
}

/// Fills are unique per venue, symbol and venue trade id.
fn fill_key(f: &Fill) -> String {
    format!("{}:{}:{}", f.venue, f.symbol, f.trade_id)
}
