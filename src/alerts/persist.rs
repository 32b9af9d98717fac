//! Alerts to and from the store's rows: the store owns the ids; the exact condition is kept
//! as the command text in the row's note and parsed back on load.

use super::model::{Alert, AlertSpec, AlertStatus, AlertTrigger, Condition, MoveDir, Repeat};
use super::parse::parse_alert;
use crate::domain::{Price, VenueId};
use crate::store::Alert as StoredAlert;
use crate::store::{AlertEvent, AlertKind, AlertState, NewAlert};

/// The row for a new alert on `venue`.
pub fn to_new(spec: &AlertSpec, venue: VenueId) -> NewAlert {
    let (kind, threshold, window_ms) = match &spec.condition {
        Condition::Above { level } => (AlertKind::Above, level.to_decimal(), None),
        Condition::Below { level } => (AlertKind::Below, level.to_decimal(), None),
        Condition::Cross { level } => (AlertKind::Crossing, level.to_decimal(), None),
        Condition::Move { pct, window_ms, .. } => (AlertKind::MovePct, *pct, Some(*window_ms)),
    };
    let (repeat, cooldown_ms) = match spec.repeat {
        Repeat::Once => (false, 0),
        Repeat::Every { cooldown_ms } => (true, cooldown_ms),
    };
    let mut command = format!("alert {} {}", spec.symbol, spec.condition);
    if repeat {
        command.push_str(&format!(
            " repeat {}",
            super::model::fmt_duration(cooldown_ms)
        ));
    }
    NewAlert {
        venue,
        symbol: spec.symbol.clone(),
        kind,
        threshold,
        window_ms,
        repeat,
        cooldown_ms,
        note: Some(command),
    }
}

/// The engine's alert for a stored row (`None` if the row cannot be understood).
pub fn from_stored(row: &StoredAlert) -> Option<Alert> {
    let d = &row.def;
    let condition = match d.note.as_deref().map(parse_alert) {
        Some(Ok(spec)) if spec.symbol == d.symbol => spec.condition,
        _ => {
            let level = || Price::from_decimal(d.threshold).ok();
            match d.kind {
                AlertKind::Above => Condition::Above { level: level()? },
                AlertKind::Below => Condition::Below { level: level()? },
                AlertKind::Crossing => Condition::Cross { level: level()? },
                AlertKind::MovePct => Condition::Move {
                    pct: d.threshold,
                    window_ms: d.window_ms?,
                    dir: MoveDir::Either,
                },
            }
        }
    };
    Some(Alert {
        id: u64::try_from(row.id).ok()?,
        symbol: d.symbol.clone(),
        condition,
        repeat: if d.repeat {
            Repeat::Every {
                cooldown_ms: d.cooldown_ms,
            }
        } else {
            Repeat::Once
        },
        status: match row.state {
            AlertState::Armed => AlertStatus::Active,
            AlertState::Triggered => AlertStatus::Done,
            AlertState::Disabled => AlertStatus::Disabled,
        },
        created_at: row.created_at,
        last_fired: row.last_triggered_at,
        fire_count: u32::try_from(row.trigger_count).unwrap_or(u32::MAX),
    })
}

/// The store's state for an engine status.
pub fn state_of(status: AlertStatus) -> AlertState {
    match status {
        AlertStatus::Active => AlertState::Armed,
        AlertStatus::Done => AlertState::Triggered,
        AlertStatus::Disabled => AlertState::Disabled,
    }
}

/// The trigger log row for a firing.
pub fn event_of(t: &AlertTrigger) -> AlertEvent {
    AlertEvent {
        alert_id: i64::try_from(t.alert_id).unwrap_or(i64::MAX),
        time: t.time,
        price: t.price,
        message: t.message.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_alert_comes_back_exactly() {
        for cmd in [
            "alert BTCUSDT above 100000",
            "alert ETHUSDT move -5% 15m repeat 2m",
            "alert SOLUSDT cross 150.5",
        ] {
            let spec = parse_alert(cmd).unwrap();
            let row = StoredAlert {
                id: 7,
                def: to_new(&spec, VenueId::Binance),
                state: AlertState::Armed,
                last_price: None,
                trigger_count: 2,
                last_triggered_at: Some(5),
                created_at: 1,
            };
            let back = from_stored(&row).unwrap();
            assert_eq!(
                (back.id, &back.symbol, &back.condition, back.repeat),
                (7, &spec.symbol, &spec.condition, spec.repeat),
                "{cmd}"
            );
            assert_eq!(back.command(), cmd);
            assert_eq!(back.fire_count, 2);
        }
    }
}
