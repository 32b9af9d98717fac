//! The status bar: venue and connection state, feed latency and rate, PAPER / LIVE, clock.

use super::theme::Theme;
use super::widgets::compact;
use crate::app::market::describe;
use crate::app::{AppState, Level, UserAction};
use crate::config::ClockZone;
use crate::venue::ConnState;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Formats the clock for the status bar.
pub fn clock_text(now_ms: i64, zone: ClockZone) -> String {
    use chrono::{Local, TimeZone, Utc};
    match zone {
        ClockZone::Utc => Utc
            .timestamp_millis_opt(now_ms)
            .single()
            .map_or_else(String::new, |t| t.format("%H:%M:%S UTC").to_string()),
        ClockZone::Local => Local
            .timestamp_millis_opt(now_ms)
            .single()
            .map_or_else(String::new, |t| t.format("%H:%M:%S").to_string()),
    }
}

/// The account badge: DEMO (the simulator) or REPLAY, LIVE (real money, red), or PAPER.
pub fn badge(s: &AppState, th: &Theme) -> Span<'static> {
    if let Some(label) = s.label {
        Span::styled(format!(" {label} "), th.paper)
    } else if s.is_live() {
        Span::styled(" LIVE ", th.live)
    } else {
        Span::styled(" PAPER ", th.paper)
    }
}

/// Draws the status bar into a one-line area.
pub fn draw(f: &mut Frame, area: Rect, s: &AppState, th: &Theme) {
    f.render_widget(Paragraph::new("").style(th.bar), area);
    let badge = badge(s, th);
    let clock = clock_text(s.now, s.settings.clock);
    let right_w = (badge.width() + clock.len() + 2) as u16;
    let [left, right] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Length(right_w)]).areas(area);

    let conn = s.connections.get(&s.market_venue);
    let (dot, conn_style, conn_text) = match conn {
        Some(ConnState::Live) => ("●", th.up, "live".to_string()),
        Some(c @ ConnState::Down(_)) => ("●", th.error, describe(c)),
        Some(c) => ("●", th.warn, describe(c)),
        None => ("○", th.muted, "not connected".to_string()),
    };
    let mut spans = vec![
        Span::styled(" speedtrade ", th.bar.patch(th.accent)),
        Span::styled(
            format!("│ {} ", s.market_venue.as_str().to_uppercase()),
            th.bar,
        ),
        Span::styled(format!("{dot} "), th.bar.patch(conn_style)),
        Span::styled(format!("{conn_text} "), th.bar),
    ];
    if let Some(lat) = s.feed.latency_ms {
        spans.push(Span::styled(format!("│ {lat} ms "), th.bar));
    }
    spans.push(Span::styled(
        format!("│ {} msg/s ", compact(u64::from(s.feed.msgs_per_s))),
        th.bar,
    ));
    if s.feed.reconnects + s.feed.resyncs > 0 {
        let text = format!(
            "│ {} reconn · {} resync ",
            s.feed.reconnects, s.feed.resyncs
        );
        spans.push(Span::styled(text, th.bar));
    }
    match &s.flash {
        Some(flash) => {
            let st = match flash.level {
                Level::Info => th.bar,
                Level::Warn => th.bar.patch(th.warn),
                Level::Error => th.bar.patch(th.error),
            };
            spans.push(Span::styled(format!("│ {} ", flash.text), st));
        }
        None => {
            if let Some(k) = s.keymap.key_for(UserAction::Help) {
                spans.push(Span::styled(format!("│ {k} help "), th.bar));
            }
        }
    }
    f.render_widget(Paragraph::new(Line::from(spans)).style(th.bar), left);
    let right_line = Line::from(vec![badge, Span::styled(format!(" {clock} "), th.bar)]);
    f.render_widget(Paragraph::new(right_line).style(th.bar), right);
}
