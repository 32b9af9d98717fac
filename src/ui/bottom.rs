//! The bottom pane: tabs for open orders, fills, positions, alerts and the log.

use super::blotter;
use super::border::PaneBorder;
use super::status::clock_text;
use super::theme::Theme;
use super::widgets::empty_state;
use crate::app::{AppState, BottomTab, Level, Pane};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Tabs};

/// Draws the tab bar and the active tab.
pub fn draw(f: &mut Frame, area: Rect, s: &AppState, th: &Theme) {
    let block = PaneBorder::new(" Activity ", s.focus == Pane::Bottom, th);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let [bar, body] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(inner);
    let titles: Vec<Line> = BottomTab::ALL
        .iter()
        .enumerate()
        .map(|(i, t)| Line::from(format!("{} {}", i + 1, t.title())))
        .collect();
    let selected = BottomTab::ALL
        .iter()
        .position(|t| *t == s.bottom_tab)
        .unwrap_or(0);
    f.render_widget(
        Tabs::new(titles)
            .select(selected)
            .style(th.muted)
            .highlight_style(th.accent),
        bar,
    );
    let focused = s.focus == Pane::Bottom;
    match s.bottom_tab {
        BottomTab::Orders => blotter::draw_open(f, body, s, focused, th),
        BottomTab::History => blotter::draw_history(f, body, s, focused, th),
        BottomTab::Fills => blotter::draw_fills(f, body, s, focused, th),
        BottomTab::Positions => super::positions::draw(f, body, s, th),
        BottomTab::Alerts => super::alerts::draw(f, body, s, th),
        BottomTab::Log => draw_log(f, body, s, th),
    }
}

fn draw_log(f: &mut Frame, area: Rect, s: &AppState, th: &Theme) {
    if s.log.is_empty() {
        empty_state(
            f,
            area,
            &["Nothing logged yet. Connection changes and notices appear here."],
            th,
        );
        return;
    }
    let rows = area.height as usize;
    let lines: Vec<Line> = s
        .log
        .iter()
        .rev()
        .take(rows)
        .map(|l| {
            let style = match l.level {
                Level::Info => th.text,
                Level::Warn => th.warn,
                Level::Error => th.error,
            };
            Line::from(vec![
                Span::styled(
                    format!("{} ", clock_text(l.time, s.settings.clock)),
                    th.muted,
                ),
                Span::styled(l.text.clone(), style),
            ])
        })
        .collect();
    f.render_widget(Paragraph::new(lines), area);
}
