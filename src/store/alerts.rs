//! Price alerts in the store: definitions with their trigger state, and the trigger log.

use super::codec::Dec;
use super::error::{StoreError, StoreResult};
use super::{Pending, Store};
use crate::domain::{Price, Symbol, TimeMs, VenueId, now_ms};
use rusqlite::{Row, params};
use rust_decimal::Decimal;

/// What an alert watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlertKind {
    /// Price at or above the threshold.
    Above,
    /// Price at or below the threshold.
    Below,
    /// Price crosses the threshold in either direction.
    Crossing,
    /// Price moves by at least the threshold percent within the window.
    MovePct,
}

/// Where an alert stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlertState {
    /// Waiting for its condition.
    Armed,
    /// Fired (a one-shot alert stays here).
    Triggered,
    /// Turned off by the user.
    Disabled,
}

macro_rules! names {
    ($ty:ty { $($v:ident = $s:literal),* }) => {
        impl $ty {
            /// Stored name.
            pub fn as_str(self) -> &'static str {
                match self { $(<$ty>::$v => $s),* }
            }
        }
        impl std::str::FromStr for $ty {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s { $($s => Ok(<$ty>::$v),)* other => Err(format!("unknown value `{other}`")) }
            }
        }
    };
}

names!(AlertKind { Above = "above", Below = "below", Crossing = "crossing", MovePct = "move_pct" });
names!(AlertState { Armed = "armed", Triggered = "triggered", Disabled = "disabled" });

/// A new alert, as the user defines it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAlert {
    /// Venue.
    pub venue: VenueId,
    /// Instrument.
    pub symbol: Symbol,
    /// Condition.
    pub kind: AlertKind,
    /// A price for above / below / crossing; a percent for `MovePct`.
    pub threshold: Decimal,
    /// Window for `MovePct`, in milliseconds.
    pub window_ms: Option<i64>,
    /// Re-arms after firing (else one-shot).
    pub repeat: bool,
    /// Minimum time between two firings of a repeating alert.
    pub cooldown_ms: i64,
    /// The user's note, shown in the banner.
    pub note: Option<String>,
}

/// A stored alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// Row id.
    pub id: i64,
    /// The definition.
    pub def: NewAlert,
    /// Current state.
    pub state: AlertState,
    /// The last price seen (crossing detection across restarts).
    pub last_price: Option<Price>,
    /// Times fired.
    pub trigger_count: u64,
    /// Last firing.
    pub last_triggered_at: Option<TimeMs>,
    /// Creation time.
    pub created_at: TimeMs,
}

/// One firing of an alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertEvent {
    /// The alert.
    pub alert_id: i64,
    /// When.
    pub time: TimeMs,
    /// The price that fired it.
    pub price: Price,
    /// The text shown.
    pub message: String,
}

fn parse_col<T: std::str::FromStr<Err = String>>(r: &Row<'_>, i: usize) -> rusqlite::Result<T> {
    let s: String = r.get(i)?;
    s.parse().map_err(|e: String| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e.into())
    })
}

fn alert_from_row(r: &Row<'_>) -> rusqlite::Result<Alert> {
    Ok(Alert {
        id: r.get(0)?,
        def: NewAlert {
            venue: r.get(1)?,
            symbol: r.get(2)?,
            kind: parse_col(r, 3)?,
            threshold: r.get::<_, Dec>(4)?.0,
            window_ms: r.get(5)?,
            repeat: r.get(6)?,
            cooldown_ms: r.get(7)?,
            note: r.get(10)?,
        },
        state: parse_col(r, 8)?,
        last_price: r.get(9)?,
        trigger_count: u64::try_from(r.get::<_, i64>(11)?).unwrap_or(0),
        last_triggered_at: r.get(12)?,
        created_at: r.get(13)?,
    })
}

impl Store {
    /// Stores a new armed alert; resolves to its id.
    pub fn add_alert(&self, a: &NewAlert) -> Pending<i64> {
        let a = a.clone();
        self.write(move |c| {
            c.execute(
                "INSERT INTO alerts (venue, symbol, kind, threshold, window_ms, repeat, \
                 cooldown_ms, state, note, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'armed', ?8, ?9)",
                params![
                    a.venue,
                    a.symbol,
                    a.kind.as_str(),
                    Dec(a.threshold),
                    a.window_ms,
                    a.repeat,
                    a.cooldown_ms,
                    a.note,
                    now_ms()
                ],
            )?;
            Ok(c.last_insert_rowid())
        })
    }

    /// Every alert, oldest first.
    pub fn alerts(&self) -> StoreResult<Vec<Alert>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, venue, symbol, kind, threshold, window_ms, repeat, cooldown_ms, \
                 state, last_price, note, trigger_count, last_triggered_at, created_at \
                 FROM alerts ORDER BY id",
            )?;
            let rows = stmt.query_map([], alert_from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Arms, disables or marks an alert triggered.
    pub fn set_alert_state(&self, id: i64, state: AlertState) -> Pending<()> {
        self.write(move |c| {
            let n = c.execute(
                "UPDATE alerts SET state = ?2 WHERE id = ?1",
                params![id, state.as_str()],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("no alert {id}")));
            }
            Ok(())
        })
    }

    /// Deletes an alert and its log.
    pub fn delete_alert(&self, id: i64) -> Pending<()> {
        self.write(move |c| {
            c.execute("DELETE FROM alert_events WHERE alert_id = ?1", [id])?;
            c.execute("DELETE FROM alerts WHERE id = ?1", [id])?;
            Ok(())
        })
    }

    /// Remembers the last price an alert saw (for crossings after a restart).
    pub fn save_alert_price(&self, id: i64, price: Price) -> Pending<()> {
        self.write(move |c| {
            c.execute(
                "UPDATE alerts SET last_price = ?2 WHERE id = ?1",
                params![id, price],
            )?;
            Ok(())
        })
    }

    /// Logs a firing and moves the alert to `new_state`.
    pub fn record_alert_trigger(&self, ev: &AlertEvent, new_state: AlertState) -> Pending<()> {
        let ev = ev.clone();
        self.write(move |c| {
            c.execute(
                "INSERT INTO alert_events (alert_id, time, price, message) VALUES (?1, ?2, ?3, ?4)",
                params![ev.alert_id, ev.time, ev.price, ev.message],
            )?;
            c.execute(
                "UPDATE alerts SET state = ?2, trigger_count = trigger_count + 1, \
                 last_triggered_at = ?3, last_price = ?4 WHERE id = ?1",
                params![ev.alert_id, new_state.as_str(), ev.time, ev.price],
            )?;
            Ok(())
        })
    }

    /// The newest `limit` firings, newest first.
    pub fn alert_events(&self, limit: usize) -> StoreResult<Vec<AlertEvent>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT alert_id, time, price, message FROM alert_events \
                 ORDER BY time DESC, id DESC LIMIT ?1",
            )?;
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let rows = stmt.query_map([limit], |r| {
                Ok(AlertEvent {
                    alert_id: r.get(0)?,
                    time: r.get(1)?,
                    price: r.get(2)?,
                    message: r.get(3)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }
}
