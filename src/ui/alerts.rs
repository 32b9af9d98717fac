//! The alerts tab: every alert with its condition and state, and the latest triggers.

use super::status::clock_text;
use super::theme::Theme;
use super::widgets::empty_state;
use crate::alerts::{AlertStatus, Repeat};
use crate::app::AppState;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

/// `HH:MM:SS` in the configured clock.
fn hms(t: i64, s: &AppState) -> String {
    clock_text(t, s.settings.clock).chars().take(8).collect()
}

/// Draws the alerts table and, beside it, the trigger log.
pub fn draw(f: &mut Frame, area: Rect, s: &AppState, th: &Theme) {
    let alerts = s.alerts.alerts();
    if alerts.is_empty() && s.alert_log.is_empty() {
        empty_state(
            f,
            area,
            &[
                "No price alerts. Add one with :alert BTCUSDT above 100000 (or below, cross, move 5% 15m).",
            ],
            th,
        );
        return;
    }
    let [list, log] =
        Layout::horizontal([Constraint::Percentage(62), Constraint::Percentage(38)]).areas(area);
    let rows: Vec<Row> = alerts
        .iter()
        .map(|a| {
            let (status, style) = match a.status {
                AlertStatus::Active => ("armed", th.up),
                AlertStatus::Done => ("done", th.muted),
                AlertStatus::Disabled => ("off", th.muted),
            };
            let repeat = match a.repeat {
                Repeat::Once => "once".to_string(),
                Repeat::Every { cooldown_ms } => {
                    format!("every {}", crate::alerts::fmt_duration(cooldown_ms))
                }
            };
            let last = a.last_fired.map(|t| hms(t, s)).unwrap_or_default();
            Row::new(vec![
                Cell::from(a.id.to_string()),
                Cell::from(a.symbol.to_string()),
                Cell::from(a.condition.to_string()),
                Cell::from(repeat),
                Cell::from(status).style(style),
                Cell::from(a.fire_count.to_string()),
                Cell::from(last),
            ])
        })
        .collect();
    let widths = [3, 9, 17, 8, 5, 3, 8].map(Constraint::Length);
    let header = Row::new([
        "id",
        "symbol",
        "condition",
        "repeat",
        "state",
        "fired",
        "last",
    ])
    .style(th.muted);
    f.render_widget(Table::new(rows, widths).header(header), list);
    let lines: Vec<Line> = s
        .alert_log
        .iter()
        .take(log.height as usize)
        .map(|t| {
            Line::from(vec![
                Span::styled(format!("{} ", hms(t.time, s)), th.muted),
                Span::styled(t.message.clone(), th.warn),
            ])
        })
        .collect();
    f.render_widget(Paragraph::new(lines), log);
}
