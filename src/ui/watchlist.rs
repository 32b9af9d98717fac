//! The watchlist pane: symbol, last price and 24 h change, the highlighted row selected.

use super::theme::Theme;
use super::widgets::{pane_block, right};
use crate::app::{AppState, Pane};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use rust_decimal::Decimal;

/// Draws the watchlist.
pub fn draw(f: &mut Frame, area: Rect, s: &AppState, th: &Theme) {
    let block = pane_block(" Watchlist ", s.focus == Pane::Watchlist, th);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let w = inner.width as usize;
    let sym_w = 9.min(w);
    let last_w = w.saturating_sub(sym_w + 8).min(12);
    let rows = inner.height as usize;
    let first = s.watch_cursor.saturating_sub(rows.saturating_sub(1));
    let mut lines = Vec::with_capacity(rows);
    for (i, sym) in s.watchlist.iter().enumerate().skip(first).take(rows) {
        let view = s.markets.get(sym);
        let last = view
            .and_then(|v| v.last)
            .map_or_else(|| "—".to_string(), |p| p.to_string());
        let change = view.and_then(|v| v.ticker.as_ref()).map(|t| t.change_pct);
        let (chg_text, chg_style) = match change {
            Some(c) if c > Decimal::ZERO => (format!("+{:.2}%", c), th.up),
            Some(c) if c < Decimal::ZERO => (format!("{:.2}%", c), th.down),
            Some(c) => (format!("{:.2}%", c), th.text),
            None => ("".to_string(), th.muted),
        };
        let mut line = Line::from(vec![
            Span::styled(
                format!("{:<sym_w$}", truncate(sym.as_str(), sym_w)),
                th.text,
            ),
            right(last, last_w, th.text),
            right(chg_text, w.saturating_sub(sym_w + last_w), chg_style),
        ]);
        if i == s.watch_cursor {
            line = line.style(th.selected);
        }
        lines.push(line);
    }
    f.render_widget(Paragraph::new(lines), inner);
}

/// Cuts `s` to at most `n` characters.
pub fn truncate(s: &str, n: usize) -> &str {
    s.char_indices().nth(n).map_or(s, |(i, _)| &s[..i])
}
