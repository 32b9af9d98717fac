//! The alert engine: alerts indexed by symbol, checked on every trade, returning triggers.

use super::model::{Alert, AlertId, AlertSpec, AlertStatus, AlertTrigger, Condition, MoveDir};
use super::model::{Repeat, fmt_duration};
use super::window::PriceWindow;
use crate::domain::{Price, Symbol, TimeMs, Trade};
use rust_decimal::Decimal;
use std::cmp::Ordering;
use std::collections::HashMap;

/// Which side of a level the last trade strictly away from it was on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Zone {
    Below,
    Above,
}

/// Per-alert state that is rebuilt from trades, not stored.
#[derive(Debug, Clone, Default)]
struct Runtime {
    /// Above / below: the price has been on the other side since the last fire (or never fired).
    armed: bool,
    /// Cross: the side the price comes from.
    from: Option<Zone>,
    /// Cross: a fire is allowed for the current `from`.
    pending: bool,
    /// Move: trades before this time are not part of the window (set by the first trade the
    /// alert sees, and by each fire so the next move is measured afresh).
    since: Option<TimeMs>,
}

#[derive(Debug, Clone)]
struct Entry {
    alert: Alert,
    rt: Runtime,
}

/// The alerts of one symbol and, if any watches a % move, the price window they share.
#[derive(Debug, Clone, Default)]
struct Book {
    entries: Vec<Entry>,
    window: PriceWindow,
    keep_ms: i64,
}

impl Book {
    fn refresh_keep(&mut self) {
        self.keep_ms = self
            .entries
            .iter()
            .filter_map(|e| match e.alert.condition {
                Condition::Move { window_ms, .. } => Some(window_ms),
                _ => None,
            })
            .max()
            .unwrap_or(0);
        if self.keep_ms == 0 {
            self.window = PriceWindow::new();
        }
    }
}

/// Holds every alert, indexed by symbol; [`AlertEngine::on_trade`] checks only that symbol's.
///
/// Re-arm rules (so a repeating alert does not fire on every trade while its condition holds):
/// - above / below: after firing, the price must trade back strictly on the other side of the
///   level before it can fire again;
/// - cross: fires when the price reaches the level from the side it was on; touching the level
///   fires once, going on through or bouncing back does not fire again until the price has
///   traded strictly away from the level;
/// - % move: after firing, the window restarts at the firing trade, so the next fire needs a
///   fresh move of the full size;
/// - and for every repeating alert, never twice within its cooldown (default one minute); a
///   level alert that re-armed during the cooldown fires at the first trade after it if the
///   condition still holds.
///
/// Times are trade times, so a replay behaves like live trading.
#[derive(Debug, Clone, Default)]
pub struct AlertEngine {
    books: HashMap<Symbol, Book>,
    symbol_of: HashMap<AlertId, Symbol>,
    next_id: AlertId,
}

impl AlertEngine {
    /// No alerts.
    pub fn new() -> Self {
        Self {
            next_id: 1,
            ..Self::default()
        }
    }

    /// An engine with stored alerts; new ids continue after the largest.
    pub fn load(alerts: impl IntoIterator<Item = Alert>) -> Self {
        let mut e = Self::new();
        for a in alerts {
            e.insert(a);
        }
        e
    }

    /// Creates an alert from a parsed command; returns its id.
    pub fn add(&mut self, spec: AlertSpec, now: TimeMs) -> AlertId {
        let id = self.next_id;
        self.insert(Alert {
            id,
            symbol: spec.symbol,
            condition: spec.condition,
            repeat: spec.repeat,
            status: AlertStatus::Active,
            created_at: now,
            last_fired: None,
            fire_count: 0,
        });
        id
    }

    /// Adds or replaces an alert by id (its trade-derived state starts afresh).
    pub fn insert(&mut self, alert: Alert) {
        self.remove(alert.id);
        self.next_id = self.next_id.max(alert.id.saturating_add(1));
        self.symbol_of.insert(alert.id, alert.symbol.clone());
        let book = self.books.entry(alert.symbol.clone()).or_default();
        let rt = Runtime {
            armed: true,
            ..Runtime::default()
        };
        book.entries.push(Entry { alert, rt });
        book.refresh_keep();
    }

    /// Deletes an alert.
    pub fn remove(&mut self, id: AlertId) -> Option<Alert> {
        let symbol = self.symbol_of.remove(&id)?;
        let book = self.books.get_mut(&symbol)?;
        let i = book.entries.iter().position(|e| e.alert.id == id)?;
        let entry = book.entries.swap_remove(i);
        if book.entries.is_empty() {
            self.books.remove(&symbol);
        } else {
            book.refresh_keep();
        }
        Some(entry.alert)
    }

    /// Switches an alert on (re-arming a one-shot that fired) or off. `false` if unknown.
    pub fn set_enabled(&mut self, id: AlertId, on: bool) -> bool {
        let Some(e) = self.entry_mut(id) else {
            return false;
        };
        e.alert.status = if on {
            AlertStatus::Active
        } else {
            AlertStatus::Disabled
        };
        e.rt = Runtime {
            armed: true,
            ..Runtime::default()
        };
        true
    }

    fn entry_mut(&mut self, id: AlertId) -> Option<&mut Entry> {
        let symbol = self.symbol_of.get(&id)?;
        let book = self.books.get_mut(symbol)?;
        book.entries.iter_mut().find(|e| e.alert.id == id)
    }

    /// One alert.
    pub fn get(&self, id: AlertId) -> Option<&Alert> {
        let book = self.books.get(self.symbol_of.get(&id)?)?;
        book.entries
            .iter()
            .find(|e| e.alert.id == id)
            .map(|e| &e.alert)
    }

    /// Every alert, by id.
    pub fn alerts(&self) -> Vec<&Alert> {
        let mut v: Vec<&Alert> = self
            .books
            .values()
            .flat_map(|b| b.entries.iter().map(|e| &e.alert))
            .collect();
        v.sort_by_key(|a| a.id);
        v
    }

    /// Symbols with at least one active alert (their trade streams must be subscribed).
    pub fn watched_symbols(&self) -> Vec<Symbol> {
        let mut v: Vec<Symbol> = self
            .books
            .iter()
            .filter(|(_, b)| {
                b.entries
                    .iter()
                    .any(|e| e.alert.status == AlertStatus::Active)
            })
            .map(|(s, _)| s.clone())
            .collect();
        v.sort();
        v
    }

    /// Checks `trade` against its symbol's alerts; returns what fired (usually nothing).
    pub fn on_trade(&mut self, trade: &Trade) -> Vec<AlertTrigger> {
        let mut out = Vec::new();
        self.on_trade_into(trade, &mut out);
        out
    }

    /// Like [`AlertEngine::on_trade`], appending to `out` (no allocation when nothing fires).
    pub fn on_trade_into(&mut self, trade: &Trade, out: &mut Vec<AlertTrigger>) {
        let Some(book) = self.books.get_mut(&trade.symbol) else {
            return;
        };
        if book.keep_ms > 0 {
            book.window.push(trade.time, trade.price, book.keep_ms);
        }
        let time = book.window.last_time().max(trade.time);
        for e in &mut book.entries {
            if e.alert.status != AlertStatus::Active {
                continue;
            }
            if let Some(message) = check(e, trade.price, time, &book.window) {
                e.alert.last_fired = Some(time);
                e.alert.fire_count = e.alert.fire_count.saturating_add(1);
                let done = e.alert.repeat == Repeat::Once;
                if done {
                    e.alert.status = AlertStatus::Done;
                }
                out.push(AlertTrigger {
                    alert_id: e.alert.id,
                    symbol: trade.symbol.clone(),
                    price: trade.price,
                    time,
                    message,
                    done,
                });
            }
        }
    }
}

/// Advances one alert's state on a trade; returns the message when it fires.
fn check(e: &mut Entry, p: Price, t: TimeMs, window: &PriceWindow) -> Option<String> {
    let cooling = match (e.alert.repeat, e.alert.last_fired) {
        (Repeat::Every { cooldown_ms }, Some(last)) => t.saturating_sub(last) < cooldown_ms,
        _ => false,
    };
    let sym = &e.alert.symbol;
    let rt = &mut e.rt;
    match &e.alert.condition {
        Condition::Above { level } | Condition::Below { level } => {
            let above = matches!(e.alert.condition, Condition::Above { .. });
            let holds = if above { p >= *level } else { p <= *level };
            if !holds {
                rt.armed = true;
                return None;
            }
            if !rt.armed || cooling {
                return None;
            }
            rt.armed = false;
            let word = if above { "above" } else { "below" };
            Some(format!("{sym} at {p}: {word} {level}"))
        }
        Condition::Cross { level } => {
            let from = cross_step(rt, p, *level)?;
            if cooling {
                return None;
            }
            let way = match from {
                Zone::Below => "upward",
                Zone::Above => "downward",
            };
            Some(format!("{sym} at {p}: crossed {level} {way}"))
        }
        Condition::Move {
            pct,
            window_ms,
            dir,
        } => {
            let since = *rt.since.get_or_insert(t);
            let start = t.saturating_sub(*window_ms).max(since);
            let msg = move_hit(p, *pct, *dir, window, start)?;
            if cooling {
                return None;
            }
            rt.since = Some(t);
            let w = fmt_duration(*window_ms);
            Some(format!("{sym} at {p}: {msg} in {w}"))
        }
    }
}

/// The cross state machine; returns the side the price came from when it reaches the level.
fn cross_step(rt: &mut Runtime, p: Price, level: Price) -> Option<Zone> {
    let zone = match p.cmp(&level) {
        Ordering::Less => Zone::Below,
        Ordering::Greater => Zone::Above,
        Ordering::Equal => {
            // Touching the level: fires once for the side we came from.
            let fired = rt.pending.then_some(rt.from).flatten();
            rt.pending = false;
            return fired;
        }
    };
    let fired = match rt.from {
        Some(from) if from != zone && rt.pending => Some(from),
        _ => None,
    };
    rt.from = Some(zone);
    rt.pending = true;
    fired
}

/// `up 5.12% (from 95000)` when `p` is `pct` above the window's low (or below its high).
fn move_hit(
    p: Price,
    pct: Decimal,
    dir: MoveDir,
    window: &PriceWindow,
    start: TimeMs,
) -> Option<String> {
    let hundred = Decimal::ONE_HUNDRED;
    let px = p.to_decimal();
    if matches!(dir, MoveDir::Up | MoveDir::Either)
        && let Some(lo) = window.min_since(start).map(Price::to_decimal)
        && lo > Decimal::ZERO
        && (px - lo).checked_mul(hundred)? >= pct.checked_mul(lo)?
    {
        let got = ((px - lo) * hundred / lo).round_dp(2);
        return Some(format!("up {got}% (from {})", lo.normalize()));
    }
    if matches!(dir, MoveDir::Down | MoveDir::Either)
        && let Some(hi) = window.max_since(start).map(Price::to_decimal)
        && hi > Decimal::ZERO
        && (hi - px).checked_mul(hundred)? >= pct.checked_mul(hi)?
    {
        let got = ((hi - px) * hundred / hi).round_dp(2);
        return Some(format!("down {got}% (from {})", hi.normalize()));
    }
    None
}
