//! Pane borders and titles drawn straight into the buffer: what ratatui's bordered `Block`
//! draws for a pane, without its pass over every cell inside (panes are redrawn tens of times
//! a second, and that pass was a tenth of a frame).

use super::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::symbols::border;
use ratatui::text::Line;
use ratatui::widgets::Widget;

/// A pane's border with its title at the top left.
#[derive(Debug, Clone, PartialEq)]
pub struct PaneBorder<'a> {
    title: Line<'a>,
    set: border::Set<'static>,
    border: Style,
    title_style: Style,
}

impl<'a> PaneBorder<'a> {
    /// The border of a pane; the focused pane gets the focus colour.
    pub fn new(title: impl Into<Line<'a>>, focused: bool, th: &Theme) -> Self {
        Self {
            title: title.into(),
            set: th.borders,
            border: if focused { th.focus } else { th.border },
            title_style: if focused { th.accent } else { th.text },
        }
    }

    /// The area inside the border.
    pub fn inner(&self, area: Rect) -> Rect {
        Rect {
            x: area.x.saturating_add(1),
            y: area.y.saturating_add(1),
            width: area.width.saturating_sub(2),
            height: area.height.saturating_sub(2),
        }
    }
}

impl PaneBorder<'_> {
    /// Clears the whole pane and draws the border: the start of drawing a pane again.
    pub fn draw_fresh(&self, buf: &mut Buffer, area: Rect) {
        super::clear(buf, area);
        self.clone().render(area, buf);
    }
}

impl Widget for PaneBorder<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        if area.is_empty() {
            return;
        }
        let (left, top) = (area.left(), area.top());
        let (right, bottom) = (area.right() - 1, area.bottom() - 1);
        let mut put = |x: u16, y: u16, symbol: &str| {
            buf[(x, y)].set_symbol(symbol).set_style(self.border);
        };
        for y in top..=bottom {
            put(left, y, self.set.vertical_left);
            put(right, y, self.set.vertical_right);
        }
        for x in left..=right {
            put(x, top, self.set.horizontal_top);
            put(x, bottom, self.set.horizontal_bottom);
        }
        put(right, bottom, self.set.bottom_right);
        put(right, top, self.set.top_right);
        put(left, bottom, self.set.bottom_left);
        put(left, top, self.set.top_left);
        let room = Rect::new(left.saturating_add(1), top, area.width.saturating_sub(2), 1);
        if room.is_empty() {
            return;
        }
        let width = u16::try_from(self.title.width()).unwrap_or(u16::MAX);
        let title_area = Rect {
            width: width.min(room.width),
            ..room
        };
        buf.set_style(title_area, self.title_style);
        self.title.render(title_area, buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ThemeName;
    use ratatui::text::Span;
    use ratatui::widgets::{Block, Borders};

    fn block<'a>(title: Line<'a>, focused: bool, th: &Theme) -> Block<'a> {
        Block::default()
            .borders(Borders::ALL)
            .border_set(th.borders)
            .border_style(if focused { th.focus } else { th.border })
            .title(title)
            .title_style(if focused { th.accent } else { th.text })
    }

    #[test]
    fn borders_draw_cell_for_cell_what_a_block_draws() {
        let titles = [
            Line::from(" BTCUSDT · 1m · candles "),
            Line::from(vec![
                Span::raw(" Book "),
                Span::styled("stale", Style::new().red()),
            ]),
            Line::from(" a title far too long to fit in the narrow pane "),
            Line::from(""),
        ];
        for name in [ThemeName::Dark, ThemeName::Light, ThemeName::Mono] {
            let th = Theme::new(name);
            for (w, h) in [(30, 8), (12, 3), (2, 2), (1, 5), (5, 1), (3, 1)] {
                for (title, focused) in titles.iter().zip([true, false].into_iter().cycle()) {
                    let area = Rect::new(1, 2, w, h);
                    let mut want = Buffer::empty(Rect::new(0, 0, 34, 12));
                    let mut got = want.clone();
                    block(title.clone(), focused, &th).render(area, &mut want);
                    let pane = PaneBorder::new(title.clone(), focused, &th);
                    assert_eq!(pane.inner(area), Block::bordered().inner(area), "{w}x{h}");
                    pane.render(area, &mut got);
                    assert_eq!(got, want, "{w}x{h} {title:?}");
                }
            }
        }
    }
}
