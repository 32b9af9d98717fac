//! Alert persistence for the UI: loading stored alerts and their triggers at start, and
//! running the alert commands `update` emits against the store.

use crate::alerts::persist::{event_of, from_stored, state_of, to_new};
use crate::alerts::{Alert, AlertStatus, AlertTrigger};
use crate::app::{Action, Command, Level};
use crate::domain::{VenueId, now_ms};
use crate::store::{AlertState, Store};
use std::collections::HashMap;
use tokio::sync::mpsc;

/// Triggers loaded for the alerts tab.
const LOG: usize = 100;

/// Stored alerts and recent triggers as the app's action.
pub fn load(store: &Store) -> anyhow::Result<Action> {
    let rows = store.alerts()?;
    let alerts: Vec<Alert> = rows.iter().filter_map(from_stored).collect();
    let symbols: HashMap<i64, _> = rows.iter().map(|r| (r.id, r.def.symbol.clone())).collect();
    let log = store
        .alert_events(LOG)?
        .into_iter()
        .filter_map(|e| {
            Some(AlertTrigger {
                alert_id: u64::try_from(e.alert_id).ok()?,
                symbol: symbols.get(&e.alert_id)?.clone(),
                price: e.price,
                time: e.time,
                message: e.message,
                done: false,
            })
        })
        .collect();
    Ok(Action::AlertsLoaded(alerts, log))
}

fn id(a: u64) -> i64 {
    i64::try_from(a).unwrap_or(i64::MAX)
}

/// Runs one alert command in the background; failures come back as notices.
pub fn perform(store: Store, venue: VenueId, cmd: Command, app: mpsc::UnboundedSender<Action>) {
    tokio::spawn(async move {
        let result = match cmd {
            Command::CreateAlert(spec) => match store.add_alert(&to_new(&spec, venue)).await {
                Ok(row) => {
                    let alert = Alert {
                        id: u64::try_from(row).unwrap_or_default(),
                        symbol: spec.symbol,
                        condition: spec.condition,
                        repeat: spec.repeat,
                        status: AlertStatus::Active,
                        created_at: now_ms(),
                        last_fired: None,
                        fire_count: 0,
                    };
                    let _ = app.send(Action::AlertSaved(alert));
                    Ok(())
                }
                Err(e) => Err(e),
            },
            Command::AlertFired(t, status) => {
                store
                    .record_alert_trigger(&event_of(&t), state_of(status))
                    .await
            }
            Command::DeleteAlert(a) => store.delete_alert(id(a)).await,
            Command::SetAlertEnabled(a, on) => {
                let state = if on {
                    AlertState::Armed
                } else {
                    AlertState::Disabled
                };
                store.set_alert_state(id(a), state).await
            }
            _ => Ok(()),
        };
        if let Err(e) = result {
            let _ = app.send(Action::Notice(
                Level::Error,
                format!("could not save the alert: {e}"),
            ));
        }
    });
}
