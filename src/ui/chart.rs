//! The chart pane: candles with volume and overlays for the selected symbol and interval.

use super::theme::Theme;
use super::widgets::{empty_state, pane_block};
use crate::app::{AppState, Pane};
use ratatui::Frame;
use ratatui::layout::Rect;

/// Draws the chart pane.
pub fn draw(f: &mut Frame, area: Rect, s: &AppState, th: &Theme) {
    let mode = if s.chart.line_mode { "line" } else { "candles" };
    let title = format!(" {} · {} · {mode} ", s.selected, s.chart.interval);
    let block = pane_block(title, s.focus == Pane::Chart, th);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let msg = format!(
        "{} {} candles appear here once market data arrives.",
        s.selected, s.chart.interval
    );
    empty_state(
        f,
        inner,
        &[&msg, "i / I interval · + / - zoom · h / l scroll · m line"],
        th,
    );
}
