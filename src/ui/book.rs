//! The order-book ladder: asks above, bids below, the spread between.

use super::theme::Theme;
use super::widgets::{empty_state, pane_block, right};
use crate::app::{AppState, Pane};
use crate::domain::Level;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

fn level_line(l: &Level, price_w: usize, qty_w: usize, style: Style, th: &Theme) -> Line<'static> {
    Line::from(vec![
        right(l.price.to_string(), price_w, style),
        right(l.qty.to_string(), qty_w, th.text),
    ])
}

/// Draws the ladder for the selected symbol.
pub fn draw(f: &mut Frame, area: Rect, s: &AppState, th: &Theme) {
    let book = s.selected_market().map(|m| &m.book);
    let stale = book.is_some_and(|b| b.stale);
    let title = format!(
        " Book {}{} ",
        s.selected,
        if stale { " · STALE" } else { "" }
    );
    let block = pane_block(title, s.focus == Pane::Book, th);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let Some(book) = book.filter(|b| !b.bids.is_empty() || !b.asks.is_empty()) else {
        let msg = format!("Waiting for the {} order book…", s.selected);
        empty_state(f, inner, &[&msg], th);
        return;
    };
    let w = inner.width as usize;
    let price_w = w / 2;
    let qty_w = w - price_w;
    let half = (inner.height as usize).saturating_sub(1) / 2;
    let levels = half.min(s.settings.book_levels as usize);
    let mut lines: Vec<Line> = Vec::with_capacity(inner.height as usize);
    for _ in levels.min(book.asks.len())..half {
        lines.push(Line::from(""));
    }
    for l in book.asks.iter().take(levels).rev() {
        lines.push(level_line(l, price_w, qty_w, th.down, th));
    }
    let spread = book
        .spread()
        .map_or_else(|| "—".to_string(), |p| p.to_string());
    lines.push(Line::from(right(format!("spread {spread}"), w, th.muted)));
    for l in book.bids.iter().take(levels) {
        lines.push(level_line(l, price_w, qty_w, th.up, th));
    }
    f.render_widget(Paragraph::new(lines), inner);
}
