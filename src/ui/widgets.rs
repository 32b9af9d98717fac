//! Small drawing helpers shared by the panes: empty-state text, plain rows, number formats.

use super::theme::Theme;
use crate::app::AppState;
use crate::app::market::feed_problem;
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

/// Centred, wrapped, muted text telling the user what will appear in an empty pane.
pub fn empty_state(f: &mut Frame, area: Rect, lines: &[&str], th: &Theme) {
    let text: Vec<Line> = lines
        .iter()
        .map(|l| Line::from(Span::styled(*l, th.muted)))
        .collect();
    let top_pad = area.height.saturating_sub(text.len() as u16) / 2;
    let inner = Rect {
        y: area.y + top_pad,
        height: area.height - top_pad,
        ..area
    };
    f.render_widget(
        Paragraph::new(text)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true }),
        inner,
    );
}

/// The empty state of a pane that waits on market data: its own lines, then why the feed is
/// not delivering when it is down or reconnecting.
pub fn waiting_state(f: &mut Frame, area: Rect, s: &AppState, lines: &[&str], th: &Theme) {
    let problem = feed_problem(s);
    let mut all = lines.to_vec();
    all.extend(problem.as_deref());
    empty_state(f, area, &all, th);
}

/// `12345` → `12.3k`, for counters in narrow places.
pub fn compact(n: u64) -> String {
    match n {
        0..=999 => n.to_string(),
        1_000..=999_999 => format!("{:.1}k", n as f64 / 1e3),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}

/// A decimal amount in 4 significant characters: `1234567.8` → `1.2M`.
pub fn compact_decimal(d: rust_decimal::Decimal) -> String {
    use rust_decimal::prelude::ToPrimitive;
    let v = d.to_f64().unwrap_or(0.0);
    match v.abs() {
        x if x >= 1e9 => format!("{:.1}B", v / 1e9),
        x if x >= 1e6 => format!("{:.1}M", v / 1e6),
        x if x >= 1e3 => format!("{:.1}k", v / 1e3),
        _ => format!("{v:.0}"),
    }
}

/// Eight-level block sparkline of `points` (newest last), right-aligned in `width` cells.
pub fn sparkline(points: &[crate::domain::Price], width: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let shown = &points[points.len().saturating_sub(width)..];
    let (Some(lo), Some(hi)) = (shown.iter().min(), shown.iter().max()) else {
        return " ".repeat(width);
    };
    let span = (hi.units() - lo.units()).max(1) as i128;
    let mut out = " ".repeat(width - shown.len());
    for p in shown {
        let level = (i128::from(p.units() - lo.units()) * 7 / span) as usize;
        out.push(if hi == lo {
            BARS[3]
        } else {
            BARS[level.min(7)]
        });
    }
    out
}

/// A span padded on the left to `width`, always with one leading space so that adjacent
/// columns never run together (numbers line up on the right).
pub fn right(mut text: String, width: usize, style: Style) -> Span<'static> {
    const SPACES: &str = "                                                                ";
    let pad = width.saturating_sub(1).saturating_sub(text.chars().count()) + 1;
    if pad <= SPACES.len() {
        // In place: the number's own buffer usually has room for its padding.
        text.insert_str(0, &SPACES[..pad]);
        return Span::styled(text, style);
    }
    let w = width.saturating_sub(1);
    Span::styled(format!(" {text:>w$}"), style)
}

/// Draws one-line `rows` into `area` top down, cell for cell as a `Paragraph` without wrapping
/// would (line style patched by span style, cut at the right edge, alignment honoured), but
/// ASCII and block-character text (see [`one_cell`]) skips grapheme segmentation: the ladder,
/// tape and watchlist draw tens of times a second.
pub fn rows(buf: &mut Buffer, area: Rect, rows: &[Line]) {
    let area = area.intersection(buf.area);
    for (line, y) in rows.iter().zip(area.top()..area.bottom()) {
        let width = usize::from(area.width);
        let x = match line.alignment {
            Some(Alignment::Center) => (width / 2).saturating_sub(line.width() / 2),
            Some(Alignment::Right) => width.saturating_sub(line.width()),
            _ => 0,
        };
        let mut x = area.left() + x as u16;
        for span in &line.spans {
            if x >= area.right() {
                break;
            }
            x = span_at(buf, (x, y), area.right(), span, line.style);
        }
    }
}

/// Draws `span` (its style patched over `line_style`) from `at` up to column `right`; returns
/// the column after it.
pub fn span_at(
    buf: &mut Buffer,
    at: (u16, u16),
    right: u16,
    span: &Span,
    line_style: Style,
) -> u16 {
    let (mut x, y) = at;
    let style = line_style.patch(span.style);
    let text: &str = &span.content;
    if !text.chars().all(one_cell) {
        let room = usize::from(right.saturating_sub(x));
        return buf.set_stringn(x, y, text, room, style).0;
    }
    for ch in text.chars().filter(|c| !c.is_ascii_control()) {
        if x >= right {
            break;
        }
        buf[(x, y)].set_char(ch).set_style(style);
        x += 1;
    }
    x
}

/// The cells `span` takes when every character is [`one_cell`] (as [`span_at`] draws it);
/// `None` for text that needs segmenting.
pub fn span_cells(span: &Span) -> Option<u16> {
    let mut n: u16 = 0;
    for c in span.content.chars() {
        if !one_cell(c) {
            return None;
        }
        if !c.is_ascii_control() {
            n = n.saturating_add(1);
        }
    }
    Some(n)
}

/// A character that is one cell on its own and never joins its neighbours: ASCII, and the
/// box-drawing and block characters of the depth bars and sparklines (U+2500–U+259F), the
/// middle dot and the ellipsis.
fn one_cell(c: char) -> bool {
    c.is_ascii() || ('\u{2500}'..='\u{259F}').contains(&c) || matches!(c, '·' | '…')
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::{Color, Modifier};
    use ratatui::widgets::Widget;

    #[test]
    fn right_pads_to_the_width_with_one_leading_space() {
        for (text, width) in [
            ("90000.10", 12),
            ("1.5", 1),
            ("", 3),
            ("wide text", 4),
            ("x", 80),
        ] {
            let w = width - 1;
            let want = format!(" {text:>w$}");
            assert_eq!(right(text.to_string(), width, Style::new()).content, want);
        }
        assert_eq!(right("7".into(), 0, Style::new()).content, " 7");
    }

    #[test]
    fn rows_draw_cell_for_cell_what_a_paragraph_draws() {
        let lines = vec![
            Line::from(vec![
                Span::styled(" 90000.10", Style::new().green()),
                Span::raw(" 1.5"),
                Span::styled("██▊", Style::new().fg(Color::Indexed(22))),
                Span::raw(" ▁▃█"),
            ]),
            Line::from(vec![
                Span::raw("BTCUSDT"),
                Span::styled(" -1.2%", Style::new().red()),
            ])
            .style(Style::new().bg(Color::Blue).add_modifier(Modifier::BOLD)),
            Line::from("spread 0.1 · mid 90000.15 and far too long to fit"),
            Line::from("centred").alignment(Alignment::Center),
            Line::from("tab\there"),
            Line::from("e\u{301}t\u{e9} 日本 ▌x"),
            Line::from("right").alignment(Alignment::Right),
            Line::from("one row too many"),
        ];
        let area = Rect::new(2, 1, 20, 7);
        let mut want = Buffer::empty(Rect::new(0, 0, 24, 9));
        let mut got = want.clone();
        Paragraph::new(lines.clone()).render(area, &mut want);
        rows(&mut got, area, &lines);
        assert_eq!(got, want);
    }
}
