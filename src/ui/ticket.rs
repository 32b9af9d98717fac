//! The order ticket pane: side, type, quantity, price and a preview before sending.

use super::theme::Theme;
use super::widgets::{empty_state, pane_block};
use crate::app::{AppState, Pane, UserAction};
use ratatui::Frame;
use ratatui::layout::Rect;

/// Draws the ticket (closed: a hint how to open it).
pub fn draw(f: &mut Frame, area: Rect, s: &AppState, th: &Theme) {
    let block = pane_block(" Ticket ", s.focus == Pane::Ticket, th);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let key = |a| {
        s.keymap
            .key_for(a)
            .map_or_else(|| "?".to_string(), |k| k.to_string())
    };
    let hint = format!(
        "{} buy · {} sell {}",
        key(UserAction::Buy),
        key(UserAction::Sell),
        s.selected
    );
    empty_state(f, inner, &[&hint], th);
}
