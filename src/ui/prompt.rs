//! The `:` command line (bottom row) and the `/` symbol search popup.

use super::help::centered;
use super::theme::Theme;
use crate::app::AppState;
use crate::app::input::search_results;
use crate::app::state::TextInput;
use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

fn place_cursor(x: u16, y: u16, input: &TextInput, max_x: u16) -> Position {
    Position::new((x + input.cursor as u16).min(max_x), y)
}

/// Draws the command line over the last screen row; returns where the text cursor goes.
pub fn draw_command_line(f: &mut Frame, area: Rect, input: &TextInput, th: &Theme) -> Position {
    let row = Rect {
        y: area.bottom().saturating_sub(1),
        height: 1,
        ..area
    };
    f.render_widget(Clear, row);
    let line = Line::from(vec![
        Span::styled(":", th.accent),
        Span::styled(input.text.clone(), th.text),
    ]);
    f.render_widget(Paragraph::new(line).style(th.bar), row);
    place_cursor(row.x + 1, row.y, input, row.right().saturating_sub(1))
}

/// Draws the symbol search popup with its results; returns where the text cursor goes.
pub fn draw_search(
    f: &mut Frame,
    area: Rect,
    s: &AppState,
    input: &TextInput,
    selected: usize,
    th: &Theme,
) -> Position {
    let results = search_results(s, &input.text);
    let popup = centered(area, 40, 12);
    f.render_widget(Clear, popup);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_set(th.borders)
        .border_style(th.focus)
        .title(Span::styled(
            " Symbol · enter opens · esc closes ",
            th.accent,
        ));
    let inner = block.inner(popup);
    f.render_widget(block, popup);
    let mut lines = vec![Line::from(vec![
        Span::styled("/ ", th.accent),
        Span::styled(input.text.clone(), th.text),
    ])];
    if results.is_empty() {
        let hint = if input.text.is_empty() {
            "type a symbol"
        } else {
            "no match: enter opens it as typed"
        };
        lines.push(Line::from(Span::styled(hint, th.muted)));
    }
    let sel = selected.min(results.len().saturating_sub(1));
    for (i, sym) in results
        .iter()
        .take(inner.height.saturating_sub(1) as usize)
        .enumerate()
    {
        let style = if i == sel { th.selected } else { th.text };
        lines.push(Line::from(Span::styled(format!(" {sym}"), style)));
    }
    f.render_widget(Paragraph::new(lines), inner);
    place_cursor(inner.x + 2, inner.y, input, inner.right().saturating_sub(1))
}
