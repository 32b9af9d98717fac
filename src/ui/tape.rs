//! The trade tape: newest trades first, coloured by the taker's side.

use super::border::PaneBorder;
use super::status::clock_text;
use super::theme::Theme;
use super::widgets::{right, waiting_state};
use crate::app::{AppState, Pane};
use crate::domain::Side;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

/// Draws the tape for the selected symbol.
pub fn draw(f: &mut Frame, area: Rect, s: &AppState, th: &Theme) {
    let block = PaneBorder::new(" Trades ", s.focus == Pane::Tape, th);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let view = s.selected_market();
    let (price_dp, qty_dp) = view.map_or((2, 4), |v| (v.price_dp, v.qty_dp));
    let tape = view.map(|m| &m.tape).filter(|t| !t.is_empty());
    let Some(tape) = tape else {
        let msg = format!("{} trades stream here.", s.selected);
        waiting_state(f, inner, s, &[&msg], th);
        return;
    };
    let w = inner.width as usize;
    let time_w = 9;
    let price_w = (w.saturating_sub(time_w)) / 2;
    let qty_w = w.saturating_sub(time_w + price_w);
    let lines: Vec<Line> = tape
        .iter()
        .take(inner.height as usize)
        .map(|t| {
            let style = if t.taker_side == Side::Buy {
                th.up
            } else {
                th.down
            };
            let time: String = clock_text(t.time, s.settings.clock)
                .chars()
                .take(8)
                .collect();
            Line::from(vec![
                Span::styled(format!("{time:<time_w$}"), th.muted),
                right(t.price.fmt_dp(price_dp), price_w, style),
                right(t.qty.fmt_dp(qty_dp), qty_w, th.text),
            ])
        })
        .collect();
    super::widgets::rows(f.buffer_mut(), inner, &lines);
}
