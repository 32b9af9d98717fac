//! The order journal in the store: orders, their event trail and fills.

use super::codec::Dec;
use super::error::{StoreError, StoreResult};
use super::{Pending, Store};
use crate::domain::{
    ClientOrderId, Fill, Order, OrderAmount, OrderRequest, OrderStatus, Qty, Symbol, TimeMs,
    VenueId,
};
use rusqlite::{Connection, OptionalExtension, Row, params};

/// What an entry of the order trail records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderEventKind {
    /// Written to the journal, before sending.
    Journaled,
    /// Handed to the broker (first send or a resend with the same id).
    Sent,
    /// The status changed.
    Status,
    /// A fill was recorded.
    Fill,
    /// Waiting before a retry (rate limit, not sent).
    Retry,
    /// A broker call failed.
    Error,
    /// An update that would have been an illegal transition, logged and not applied.
    Ignored,
    /// Brought up to date by reconciliation.
    Reconciled,
}

impl OrderEventKind {
    /// Every kind.
    pub const ALL: [OrderEventKind; 8] = [
        OrderEventKind::Journaled,
        OrderEventKind::Sent,
        OrderEventKind::Status,
        OrderEventKind::Fill,
        OrderEventKind::Retry,
        OrderEventKind::Error,
        OrderEventKind::Ignored,
        OrderEventKind::Reconciled,
    ];
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderEventKind::Journaled => "journaled",
            OrderEventKind::Sent => "sent",
            OrderEventKind::Status => "status",
            OrderEventKind::Fill => "fill",
            OrderEventKind::Retry => "retry",
            OrderEventKind::Error => "error",
            OrderEventKind::Ignored => "ignored",
            OrderEventKind::Reconciled => "reconciled",
        }
    }
}

impl std::str::FromStr for OrderEventKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown order event kind `{s}`"))
    }
}

/// One entry of an order's trail (the `order_events` table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderEventRow {
    /// The order.
    pub client_order_id: ClientOrderId,
    /// When.
    pub time: TimeMs,
    /// What happened.
    pub kind: OrderEventKind,
    /// Status after the event, if it concerns one.
    pub status: Option<OrderStatus>,
    /// Free text: the venue's message, the retry delay, the ignored transition.
    pub detail: Option<String>,
}

impl OrderEventRow {
    /// An event at the current time.
    pub fn now(
        id: &ClientOrderId,
        kind: OrderEventKind,
        status: Option<OrderStatus>,
        detail: Option<String>,
    ) -> Self {
        Self {
            client_order_id: id.clone(),
            time: crate::domain::now_ms(),
            kind,
            status,
            detail,
        }
    }
}

/// Which orders to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderFilter {
    /// Only this venue.
    pub venue: Option<VenueId>,
    /// Only this symbol.
    pub symbol: Option<Symbol>,
    /// Only orders that are not terminal.
    pub open_only: bool,
    /// Only orders journaled at or after this time.
    pub since: Option<TimeMs>,
    /// At most this many, newest first (0: no limit).
    pub limit: usize,
}

const ORDER_COLS: &str = "client_order_id, venue, symbol, side, order_type, amount_unit, amount, \
                          price, stop_price, tif, venue_order_id, status, filled_qty, \
                          filled_quote, reject_reason, created_at, updated_at";

fn order_from_row(r: &Row<'_>) -> rusqlite::Result<Order> {
    let unit: String = r.get(5)?;
    let amount: Qty = r.get(6)?;
    let amount = if unit == "quote" {
        OrderAmount::Quote(amount)
    } else {
        OrderAmount::Base(amount)
    };
    Ok(Order {
        request: OrderRequest {
            client_order_id: r.get(0)?,
            venue: r.get(1)?,
            symbol: r.get(2)?,
            side: r.get(3)?,
            order_type: r.get(4)?,
            amount,
            price: r.get(7)?,
            stop_price: r.get(8)?,
            tif: r.get(9)?,
        },
        venue_order_id: r.get(10)?,
        status: r.get(11)?,
        filled_qty: r.get(12)?,
        filled_quote: r.get::<_, Dec>(13)?.0,
        reject_reason: r.get(14)?,
        created_at: r.get(15)?,
        updated_at: r.get(16)?,
    })
}

fn fill_from_row(r: &Row<'_>) -> rusqlite::Result<Fill> {
    Ok(Fill {
        venue: r.get(0)?,
        symbol: r.get(1)?,
        trade_id: r.get(2)?,
        client_order_id: r.get(3)?,
        side: r.get(4)?,
        price: r.get(5)?,
        qty: r.get(6)?,
        fee: r.get::<_, Dec>(7)?.0,
        fee_asset: r.get(8)?,
        is_maker: r.get(9)?,
        time: r.get(10)?,
    })
}

const FILL_COLS: &str = "venue, symbol, trade_id, client_order_id, side, price, qty, fee, \
                         fee_asset, is_maker, time";

/// Inserts a new order row (fails if the id is already journaled).
fn insert_order(c: &Connection, o: &Order, profile: &str) -> rusqlite::Result<()> {
    let q = &o.request;
    let (unit, amount) = match q.amount {
        OrderAmount::Base(a) => ("base", a),
        OrderAmount::Quote(a) => ("quote", a),
    };
    c.prepare_cached(&format!(
        "INSERT INTO orders ({ORDER_COLS}, profile) VALUES \
         (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)"
    ))?
    .execute(params![
        q.client_order_id,
        q.venue,
        q.symbol,
        q.side,
        q.order_type,
        unit,
        amount,
        q.price,
        q.stop_price,
        q.tif,
        o.venue_order_id,
        o.status,
        o.filled_qty,
        Dec(o.filled_quote),
        o.reject_reason,
        o.created_at,
        o.updated_at,
        profile
    ])?;
    Ok(())
}

/// Writes the mutable part of an order row; errors if the order was never journaled.
fn update_order(c: &Connection, o: &Order) -> StoreResult<()> {
    let n = c
        .prepare_cached(
            "UPDATE orders SET venue_order_id = ?2, status = ?3, filled_qty = ?4, \
             filled_quote = ?5, reject_reason = ?6, updated_at = ?7 WHERE client_order_id = ?1",
        )?
        .execute(params![
            o.request.client_order_id,
            o.venue_order_id,
            o.status,
            o.filled_qty,
            Dec(o.filled_quote),
            o.reject_reason,
            o.updated_at
        ])?;
    if n == 0 {
        return Err(StoreError::NotFound(format!(
            "order {} is not in the journal",
            o.request.client_order_id
        )));
    }
    Ok(())
}

fn insert_event(c: &Connection, e: &OrderEventRow) -> rusqlite::Result<()> {
    c.prepare_cached(
        "INSERT INTO order_events (client_order_id, time, kind, status, detail) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        e.client_order_id,
        e.time,
        e.kind.as_str(),
        e.status,
        e.detail
    ])?;
    Ok(())
}

/// Inserts a fill unless (venue, symbol, trade id) is already there; `true` if it was new.
fn insert_fill(c: &Connection, f: &Fill) -> rusqlite::Result<bool> {
    let n = c
        .prepare_cached(&format!(
            "INSERT OR IGNORE INTO fills ({FILL_COLS}) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
        ))?
        .execute(params![
            f.venue,
            f.symbol,
            f.trade_id,
            f.client_order_id,
            f.side,
            f.price,
            f.qty,
            Dec(f.fee),
            f.fee_asset,
            f.is_maker,
            f.time
        ])?;
    Ok(n == 1)
}

impl Store {
    /// Journals a new order (status `pending_submit`) with its first trail entry, under the
    /// broker profile it is sent with. The returned [`Pending`] resolves only after the commit
    /// (and, with `durable_journal`, the WAL fsync), so awaiting it before sending guarantees
    /// "journaled before sent".
    pub fn journal_new_order(&self, order: &Order, profile: &str) -> Pending<()> {
        let order = order.clone();
        let profile = profile.to_string();
        self.write_durable(move |c| {
            insert_order(c, &order, &profile)?;
            let event = OrderEventRow {
                client_order_id: order.request.client_order_id.clone(),
                time: order.created_at,
                kind: OrderEventKind::Journaled,
                status: Some(order.status),
                detail: None,
            };
            insert_event(c, &event)?;
            Ok(())
        })
    }

    /// Saves an order's new state with its trail entries and fills, in one transaction.
    /// Resolves, after the commit, to one flag per fill: `true` if it was new (not a duplicate
    /// of a fill already stored under the same venue, symbol and trade id).
    pub fn journal_update(
        &self,
        order: &Order,
        events: Vec<OrderEventRow>,
        fills: Vec<Fill>,
    ) -> Pending<Vec<bool>> {
        let order = order.clone();
        self.write(move |c| {
            update_order(c, &order)?;
            for e in &events {
                insert_event(c, e)?;
            }
            let mut new = Vec::with_capacity(fills.len());
            for f in &fills {
                new.push(insert_fill(c, f)?);
            }
            Ok(new)
        })
    }

    /// Appends trail entries without changing the order (retries, errors).
    pub fn journal_events(&self, events: Vec<OrderEventRow>) -> Pending<()> {
        self.write(move |c| {
            for e in &events {
                insert_event(c, e)?;
            }
            Ok(())
        })
    }

    /// One journaled order.
    pub fn order(&self, id: &ClientOrderId) -> StoreResult<Option<Order>> {
        self.read(|c| {
            let sql = format!("SELECT {ORDER_COLS} FROM orders WHERE client_order_id = ?1");
            Ok(c.prepare_cached(&sql)?
                .query_row([id], order_from_row)
                .optional()?)
        })
    }

    /// Journaled orders, newest first.
    pub fn orders(&self, f: &OrderFilter) -> StoreResult<Vec<Order>> {
        if f.open_only {
            let mut list = self.open_orders(f.venue)?;
            list.retain(|o| {
                f.symbol.as_ref().is_none_or(|s| *s == o.request.symbol)
                    && f.since.is_none_or(|t| o.created_at >= t)
            });
            list.reverse();
            if f.limit > 0 {
                list.truncate(f.limit);
            }
            return Ok(list);
        }
        let sql = format!(
            "SELECT {ORDER_COLS} FROM orders WHERE (?1 IS NULL OR venue = ?1) \
             AND (?2 IS NULL OR symbol = ?2) AND created_at >= ?3 \
             ORDER BY created_at DESC, rowid DESC LIMIT ?4"
        );
        let limit = if f.limit == 0 {
            -1
        } else {
            i64::try_from(f.limit).unwrap_or(-1)
        };
        self.read(|c| {
            let mut stmt = c.prepare_cached(&sql)?;
            let since = f.since.unwrap_or(i64::MIN);
            let rows = stmt.query_map(params![f.venue, f.symbol, since, limit], order_from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Every order that is not terminal, of every profile, oldest first. Reads only the
    /// partial index of open orders, however long the history.
    pub fn open_orders(&self, venue: Option<VenueId>) -> StoreResult<Vec<Order>> {
        self.open_orders_in(venue, None)
    }

    /// Open orders of one broker profile (for reconciliation), oldest first.
    pub fn open_orders_in(
        &self,
        venue: Option<VenueId>,
        profile: Option<&str>,
    ) -> StoreResult<Vec<Order>> {
        let sql = format!(
            "SELECT {ORDER_COLS} FROM orders INDEXED BY orders_open \
             WHERE status NOT IN ('filled', 'canceled', 'rejected', 'expired') \
             AND (?1 IS NULL OR venue = ?1) AND (?2 IS NULL OR profile = ?2)"
        );
        let mut list = self.read(|c| {
            let mut stmt = c.prepare_cached(&sql)?;
            let rows = stmt.query_map(params![venue, profile], order_from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })?;
        list.sort_by(|a, b| {
            (a.created_at, &a.request.client_order_id)
                .cmp(&(b.created_at, &b.request.client_order_id))
        });
        Ok(list)
    }

    /// The broker profile an order was journaled under.
    pub fn order_profile(&self, id: &ClientOrderId) -> StoreResult<Option<String>> {
        self.read(|c| {
            Ok(
                c.prepare_cached("SELECT profile FROM orders WHERE client_order_id = ?1")?
                    .query_row([id], |r| r.get(0))
                    .optional()?,
            )
        })
    }

    /// An order's trail, oldest first.
    pub fn order_events(&self, id: &ClientOrderId) -> StoreResult<Vec<OrderEventRow>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT client_order_id, time, kind, status, detail FROM order_events \
                 WHERE client_order_id = ?1 ORDER BY id",
            )?;
            let rows = stmt.query_map([id], |r| {
                let kind: String = r.get(2)?;
                Ok(OrderEventRow {
                    client_order_id: r.get(0)?,
                    time: r.get(1)?,
                    kind: kind.parse().unwrap_or(OrderEventKind::Error),
                    status: r.get(3)?,
                    detail: r.get(4)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Fills of one order, oldest first.
    pub fn fills_for_order(&self, id: &ClientOrderId) -> StoreResult<Vec<Fill>> {
        self.read(|c| {
            let sql = format!(
                "SELECT {FILL_COLS} FROM fills WHERE client_order_id = ?1 ORDER BY time, trade_id"
            );
            let mut stmt = c.prepare_cached(&sql)?;
            let rows = stmt.query_map([id], fill_from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Fills at or after `since`, oldest first (P&L, export).
    pub fn fills_since(&self, since: TimeMs) -> StoreResult<Vec<Fill>> {
        self.read(|c| {
            let sql =
                format!("SELECT {FILL_COLS} FROM fills WHERE time >= ?1 ORDER BY time, trade_id");
            let mut stmt = c.prepare_cached(&sql)?;
            let rows = stmt.query_map([since], fill_from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Whether a fill with this venue, symbol and trade id is stored.
    pub fn fill_exists(
        &self,
        venue: VenueId,
        symbol: &Symbol,
        trade_id: &str,
    ) -> StoreResult<bool> {
        self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT 1 FROM fills WHERE venue = ?1 AND symbol = ?2 AND trade_id = ?3",
            )?
            .exists(params![venue, symbol, trade_id])?)
        })
    }
}
