//! Panes made of one-line rows, redrawn row by row: a pane whose border is as it was draws
//! again only the rows whose text or colours changed (a trade in one watchlist symbol is one
//! row, not the pane).

use super::border::PaneBorder;
use super::widgets::rows;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;

/// What a pane of rows drew last.
#[derive(Debug, Default)]
pub struct RowsMemo {
    drawn: Option<(Rect, PaneBorder<'static>)>,
    lines: Vec<Line<'static>>,
}

impl RowsMemo {
    /// Forgets what was drawn: the next [`RowsMemo::draw`] draws everything.
    pub fn forget(&mut self) {
        self.drawn = None;
        self.lines.clear();
    }

    /// Draws `border` around `lines` in `area`; if the area and border are as last time, only
    /// the rows whose line changed. Clears what it draws first and returns those areas.
    pub fn draw(
        &mut self,
        buf: &mut Buffer,
        area: Rect,
        border: PaneBorder<'static>,
        lines: Vec<Line<'static>>,
    ) -> Vec<Rect> {
        let inner = border.inner(area);
        let same = self
            .drawn
            .as_ref()
            .is_some_and(|(a, b)| *a == area && *b == border);
        if !same {
            border.draw_fresh(buf, area);
            rows(buf, inner, &lines);
            self.drawn = Some((area, border));
            self.lines = lines;
            return vec![area];
        }
        let mut changed = Vec::new();
        for (i, y) in (inner.top()..inner.bottom()).enumerate() {
            let (new, old) = (lines.get(i), self.lines.get(i));
            if new == old {
                continue;
            }
            let row = Rect::new(inner.x, y, inner.width, 1);
            super::clear(buf, row);
            if let Some(line) = new {
                rows(buf, row, std::slice::from_ref(line));
            }
            changed.push(row);
        }
        self.lines = lines;
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ThemeName;
    use crate::ui::theme::Theme;
    use ratatui::style::Style;
    use ratatui::text::Span;

    fn line(text: &str, style: Style) -> Line<'static> {
        Line::from(Span::styled(text.to_string(), style))
    }

    #[test]
    fn only_changed_rows_are_drawn_and_the_result_equals_a_full_draw() {
        let th = Theme::new(ThemeName::Dark);
        let area = Rect::new(1, 1, 20, 6);
        let border = |t: &str| PaneBorder::new(t.to_string(), false, &th);
        let mut buf = Buffer::empty(Rect::new(0, 0, 24, 8));
        let mut memo = RowsMemo::default();
        let first = vec![line("BTC 1", Style::new()), line("ETH 2", Style::new())];
        assert_eq!(memo.draw(&mut buf, area, border(" W "), first), vec![area]);
        // One row's colour changes, a row goes away, one is added.
        let next = vec![
            line("BTC 1", Style::new()),
            line("ETH 2", Style::new().red()),
        ];
        let drawn = memo.draw(&mut buf, area, border(" W "), next.clone());
        assert_eq!(drawn, vec![Rect::new(2, 3, 18, 1)]);
        let fewer = vec![line("BTC 3", Style::new())];
        let drawn = memo.draw(&mut buf, area, border(" W "), fewer.clone());
        assert_eq!(drawn, vec![Rect::new(2, 2, 18, 1), Rect::new(2, 3, 18, 1)]);
        let mut want = Buffer::empty(buf.area);
        RowsMemo::default().draw(&mut want, area, border(" W "), fewer.clone());
        assert_eq!(buf, want);
        // A new title draws it all again.
        assert_eq!(memo.draw(&mut buf, area, border(" X "), fewer), vec![area]);
        memo.forget();
        assert_eq!(memo.draw(&mut buf, area, border(" X "), next), vec![area]);
    }
}
