//! Panes made of one-line rows, redrawn row by row: a pane whose border is as it was draws
//! again only the rows whose text or colours changed (a trade in one watchlist symbol is one
//! row, not the pane), and of a row that kept its shape only the spans that changed (a ladder
//! row whose running total moved is its total and bar, not its price and size).

use super::border::PaneBorder;
use super::widgets::{rows, span_at, span_cells};
use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Rect};
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
            if let (Some(new), Some(old)) = (new, old)
                && redraw_spans(buf, row, new, old, &mut changed)
            {
                continue;
            }
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

/// Redraws in `row` the spans of `new` that differ from `old` when both lines have the same
/// shape (left-aligned, same line style, same span widths, no text that needs segmenting);
/// adds the areas drawn to `changed`. `false`: the shapes differ, draw the whole row.
fn redraw_spans(
    buf: &mut Buffer,
    row: Rect,
    new: &Line,
    old: &Line,
    changed: &mut Vec<Rect>,
) -> bool {
    let left = |l: &Line| matches!(l.alignment, None | Some(Alignment::Left));
    if !left(new) || !left(old) || new.style != old.style || new.spans.len() != old.spans.len() {
        return false;
    }
    let mut widths = Vec::with_capacity(new.spans.len());
    for (n, o) in new.spans.iter().zip(&old.spans) {
        match (span_cells(n), span_cells(o)) {
            (Some(a), Some(b)) if a == b => widths.push(a),
            _ => return false,
        }
    }
    let mut x = row.x;
    for ((n, o), w) in new.spans.iter().zip(&old.spans).zip(widths) {
        if x >= row.right() {
            break;
        }
        if n != o {
            let area = Rect::new(x, row.y, w.min(row.right() - x), 1);
            // A style only sets what it names: start from blank cells, as a full draw does.
            super::clear(buf, area);
            span_at(buf, (x, row.y), area.right(), n, new.style);
            match changed.last_mut() {
                Some(prev) if prev.y == row.y && prev.right() == x => prev.width += area.width,
                _ => changed.push(area),
            }
        }
        x = x.saturating_add(w);
    }
    true
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
        assert_eq!(
            memo.draw(&mut buf, area, border(" W "), first.clone()),
            vec![area]
        );
        // One row's colour changes, a row goes away, one is added.
        let next = vec![
            line("BTC 1", Style::new()),
            line("ETH 2", Style::new().red()),
        ];
        let drawn = memo.draw(&mut buf, area, border(" W "), next.clone());
        assert_eq!(
            drawn,
            vec![Rect::new(2, 3, 5, 1)],
            "the one span, same width"
        );
        // And back to plain: no colour is left behind.
        let mut back = buf.clone();
        let mut memo_back = RowsMemo::default();
        memo_back.draw(&mut back, area, border(" W "), next.clone());
        memo_back.draw(&mut back, area, border(" W "), first.clone());
        let mut plain = Buffer::empty(buf.area);
        RowsMemo::default().draw(&mut plain, area, border(" W "), first.clone());
        assert_eq!(back, plain);
        let fewer = vec![line("BTC 30", Style::new())];
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

    fn ladder_row(price: &str, size: &str, total: &str, bar: &str) -> Line<'static> {
        Line::from(vec![
            Span::styled(format!(" {price:>9}"), Style::new().green()),
            Span::raw(format!(" {size:>5}")),
            Span::styled(format!(" {total:>5}"), Style::new().dark_gray()),
            Span::raw(" "),
            Span::styled(bar.to_string(), Style::new().blue()),
        ])
    }

    #[test]
    fn a_row_that_keeps_its_shape_redraws_only_its_changed_spans() {
        let th = Theme::new(ThemeName::Dark);
        let area = Rect::new(0, 0, 34, 5);
        let border = || PaneBorder::new(" Book ".to_string(), false, &th);
        let mut buf = Buffer::empty(area);
        let mut memo = RowsMemo::default();
        let first = vec![
            ladder_row("90000.10", "1.5", "1.5", "██▍"),
            ladder_row("90000.00", "2.0", "3.5", "█████▋"),
            ladder_row("89999.90", "0.1", "3.6", "█████▊"),
        ];
        memo.draw(&mut buf, area, border(), first);
        // The first level's size moves: its size, and every total and bar below it.
        let next = vec![
            ladder_row("90000.10", "1.7", "1.7", "██▋"),
            ladder_row("90000.00", "2.0", "3.7", "█████▊"),
            ladder_row("89999.90", "0.1", "3.8", "█████▊▏"),
        ];
        let drawn = memo.draw(&mut buf, area, border(), next.clone());
        assert_eq!(
            drawn,
            vec![
                // Size and total (side by side), then the bar: the space between is as it was.
                Rect::new(11, 1, 12, 1),
                Rect::new(24, 1, 3, 1),
                Rect::new(17, 2, 6, 1),
                Rect::new(24, 2, 6, 1),
                // A bar of another width: the whole row.
                Rect::new(1, 3, 32, 1),
            ]
        );
        let mut want = Buffer::empty(area);
        RowsMemo::default().draw(&mut want, area, border(), next);
        assert_eq!(buf, want, "the same cells as a full draw");
    }
}
