//! Price alerts in `update`: the `:alert` commands, evaluation on every trade, and what a
//! trigger does (banner, bell, log, alerts tab, persistence).

use super::command::Command;
use super::state::{AppState, BottomTab, Level};
use crate::alerts::{Alert, AlertId, AlertStatus, AlertTrigger, parse_alert};
use crate::domain::Trade;

/// Triggers kept for the alerts tab.
pub const TRIGGER_LOG: usize = 100;

/// `:alert ...`: create (`alert BTCUSDT above 100000 [repeat 1m]`), or `alert rm|off|on ID`.
pub fn command(state: &mut AppState, line: &str) -> Vec<Command> {
    let words: Vec<&str> = line.split_whitespace().collect();
    match words.as_slice() {
        [_] | [_, "list"] => {
            state.bottom_tab = BottomTab::Alerts;
            Vec::new()
        }
        [_, verb @ ("rm" | "off" | "on"), id] => match id.parse::<AlertId>() {
            Ok(id) if state.alerts.get(id).is_some() => manage(state, verb, id),
            _ => {
                state.flash(
                    Level::Error,
                    format!("no alert {id}: see the alerts tab (5)"),
                    5,
                );
                Vec::new()
            }
        },
        _ => match parse_alert(line) {
            Ok(spec) => {
                state.log(
                    Level::Info,
                    format!("adding alert: {} {}", spec.symbol, spec.condition),
                );
                vec![Command::CreateAlert(spec)]
            }
            Err(e) => {
                state.flash(Level::Error, e.to_string(), 6);
                Vec::new()
            }
        },
    }
}

fn manage(state: &mut AppState, verb: &str, id: AlertId) -> Vec<Command> {
    let cmd = match verb {
        "rm" => {
            state.alerts.remove(id);
            Command::DeleteAlert(id)
        }
        on => {
            let on = on == "on";
            state.alerts.set_enabled(id, on);
            Command::SetAlertEnabled(id, on)
        }
    };
    state.flash(Level::Info, format!("alert {id}: {verb}"), 3);
    vec![cmd, Command::AlertSymbols(state.alerts.watched_symbols())]
}

/// Checks the trade against every alert of its symbol.
pub fn on_trade(state: &mut AppState, t: &Trade) -> Vec<Command> {
    let mut fired = Vec::new();
    state.alerts.on_trade_into(t, &mut fired);
    let mut cmds = Vec::new();
    for trigger in fired {
        cmds.extend(on_trigger(state, trigger));
    }
    cmds
}

fn on_trigger(state: &mut AppState, trigger: AlertTrigger) -> Vec<Command> {
    state.flash(Level::Warn, format!("ALERT {}", trigger.message), 10);
    let status = state
        .alerts
        .get(trigger.alert_id)
        .map_or(AlertStatus::Done, |a| a.status);
    state.alert_log.push_front(trigger.clone());
    state.alert_log.truncate(TRIGGER_LOG);
    vec![Command::Bell, Command::AlertFired(trigger, status)]
}

/// Stored alerts and their past triggers, at start.
pub fn loaded(state: &mut AppState, alerts: Vec<Alert>, log: Vec<AlertTrigger>) -> Vec<Command> {
    state.alerts = crate::alerts::AlertEngine::load(alerts);
    state.alert_log = log.into();
    vec![Command::AlertSymbols(state.alerts.watched_symbols())]
}

/// An alert the store has given an id.
pub fn saved(state: &mut AppState, alert: Alert) -> Vec<Command> {
    state.flash(
        Level::Info,
        format!("alert {} set: {}", alert.id, alert.command()),
        4,
    );
    state.alerts.insert(alert);
    vec![Command::AlertSymbols(state.alerts.watched_symbols())]
}
