//! The `?` help overlay: every active key binding and the `:` commands.

use super::theme::Theme;
use crate::app::AppState;
use crate::app::input::COMMANDS;
use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

/// Key bindings as (keys, description), in help order.
pub fn key_rows(s: &AppState) -> Vec<(String, &'static str)> {
    s.keymap
        .bindings()
        .into_iter()
        .map(|(action, keys)| {
            let keys: Vec<String> = keys.iter().map(ToString::to_string).collect();
            (keys.join(" "), action.description())
        })
        .collect()
}

/// A rectangle of at most `w` × `h` centred in `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(h.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(w.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    cell
}

fn section<'a>(title: &'a str, rows: &[(String, &'a str)], th: &Theme) -> Vec<Line<'a>> {
    let width = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    let mut lines = vec![Line::from(Span::styled(format!(" {title}"), th.muted))];
    lines.extend(rows.iter().map(|(k, d)| {
        Line::from(vec![
            Span::styled(format!(" {k:<width$}  "), th.accent),
            Span::styled(*d, th.text),
        ])
    }));
    lines
}

/// Draws the help overlay scrolled by `scroll` lines.
pub fn draw(f: &mut Frame, area: Rect, s: &AppState, scroll: u16, th: &Theme) {
    let keys = key_rows(s);
    let commands: Vec<(String, &str)> = COMMANDS
        .iter()
        .map(|(c, d)| (format!(":{c}"), *d))
        .collect();
    let mut text = section("Keys", &keys, th);
    text.push(Line::from(""));
    text.extend(section("Commands", &commands, th));
    let width = text.iter().map(Line::width).max().unwrap_or(40) as u16 + 3;
    let popup = centered(area, width.max(40), text.len() as u16 + 2);
    f.render_widget(Clear, popup);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_set(th.borders)
        .border_style(th.focus)
        .title(Span::styled(" Help · esc closes · j/k scroll ", th.accent));
    f.render_widget(Paragraph::new(text).block(block).scroll((scroll, 0)), popup);
}
