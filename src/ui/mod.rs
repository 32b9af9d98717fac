//! Drawing: `draw(frame, &AppState)` lays out the screen and calls one function per pane. The
//! UI reads state and never changes it.

pub mod alerts;
pub mod ascii;
pub mod blotter;
pub mod book;
pub mod border;
pub mod bottom;
pub mod chart;
pub mod help;
pub mod layout;
pub mod positions;
pub mod prompt;
pub mod rows_memo;
pub mod status;
pub mod tape;
pub mod theme;
pub mod ticket;
pub mod watchlist;
pub mod widgets;

use crate::app::{AppState, Damage, Overlay};
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};
use theme::Theme;

/// What one pass of [`draw_parts`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Drawn {
    /// The areas drawn again; cells outside them are as the previous pass left them.
    pub areas: Vec<Rect>,
    /// Where the text cursor goes (an input field has focus), if anywhere.
    pub cursor: Option<Position>,
}

/// What panes keep between frames to draw less: derived from what they drew, never state.
#[derive(Debug, Default)]
pub struct Memo {
    chart: chart::Memo,
    watchlist: rows_memo::RowsMemo,
    book: rows_memo::RowsMemo,
}

/// Draws the whole screen from the state.
pub fn draw(f: &mut Frame, s: &AppState) {
    if let Some(p) = draw_parts(f, s, Damage::ALL, &mut Memo::default()).cursor {
        f.set_cursor_position(p);
    }
}

/// Draws the parts of the screen in `damage` over what the frame's buffer already holds (the
/// previous pass, which `memo` remembers), clearing each part first. An open overlay or a
/// screen too small for the layout draws everything.
pub fn draw_parts(f: &mut Frame, s: &AppState, damage: Damage, memo: &mut Memo) -> Drawn {
    let area = f.area();
    let th = Theme::new(s.settings.theme);
    let layout = layout::areas(area);
    let Some(a) =
        layout.filter(|_| !damage.contains(Damage::ALL) && matches!(s.overlay, Overlay::None))
    else {
        f.buffer_mut().reset();
        *memo = Memo::default();
        let cursor = draw_panes(f, s, &th, memo);
        if !s.settings.unicode {
            ascii::downgrade(f.buffer_mut(), area);
        }
        return Drawn {
            areas: vec![area],
            cursor,
        };
    };
    let parts = [
        (Damage::STATUS, a.status),
        (Damage::WATCHLIST, a.watchlist),
        (Damage::TICKET, a.ticket),
        (Damage::CHART, a.chart),
        (Damage::BOOK, a.book),
        (Damage::TAPE, a.tape),
        (Damage::BOTTOM, a.bottom),
    ];
    let mut areas = Vec::new();
    for (part, rect) in parts {
        if !damage.intersects(part) {
            continue;
        }
        let drawn = redraw_part(f, part, rect, s, &th, memo);
        for rect in drawn {
            if !s.settings.unicode {
                ascii::downgrade(f.buffer_mut(), rect);
            }
            areas.push(rect);
        }
    }
    Drawn {
        areas,
        cursor: None,
    }
}

/// Draws one part again: the chart, ladder and watchlist only where they changed (see their
/// memos), the rest whole. Returns the areas drawn.
fn redraw_part(
    f: &mut Frame,
    part: Damage,
    rect: Rect,
    s: &AppState,
    th: &Theme,
    memo: &mut Memo,
) -> Vec<Rect> {
    let whole: fn(&mut Frame, Rect, &AppState, &Theme) = match part {
        Damage::CHART => return chart::redraw(f, rect, s, th, &mut memo.chart),
        Damage::BOOK => return book::redraw(f, rect, s, th, &mut memo.book),
        Damage::WATCHLIST => return watchlist::redraw(f, rect, s, th, &mut memo.watchlist),
        Damage::STATUS => status::draw,
        Damage::TICKET => ticket::draw,
        Damage::TAPE => tape::draw,
        _ => bottom::draw,
    };
    clear(f.buffer_mut(), rect);
    whole(f, rect, s, th);
    vec![rect]
}

/// Resets every cell of `area` (a pane draws only the cells it fills).
fn clear(buf: &mut Buffer, area: Rect) {
    let area = area.intersection(buf.area);
    for y in area.top()..area.bottom() {
        let start = buf.index_of(area.x, y);
        for cell in &mut buf.content[start..start + usize::from(area.width)] {
            cell.reset();
        }
    }
}

/// Every pane and the overlay; returns where the text cursor goes.
fn draw_panes(f: &mut Frame, s: &AppState, th: &Theme, memo: &mut Memo) -> Option<Position> {
    let area = f.area();
    let Some(a) = layout::areas(area) else {
        too_small(f, area, th);
        return None;
    };
    status::draw(f, a.status, s, th);
    watchlist::redraw(f, a.watchlist, s, th, &mut memo.watchlist);
    ticket::draw(f, a.ticket, s, th);
    chart::redraw(f, a.chart, s, th, &mut memo.chart);
    book::redraw(f, a.book, s, th, &mut memo.book);
    tape::draw(f, a.tape, s, th);
    bottom::draw(f, a.bottom, s, th);
    match &s.overlay {
        Overlay::None => None,
        Overlay::Help { scroll } => {
            help::draw(f, area, s, *scroll, th);
            None
        }
        Overlay::CommandLine(input) => Some(prompt::draw_command_line(f, area, input, th)),
        Overlay::Search { input, selected } => {
            Some(prompt::draw_search(f, area, s, input, *selected, th))
        }
        Overlay::Ticket(t) => ticket::draw_ticket(f, area, s, t, th),
        Overlay::Confirm(c) => {
            ticket::draw_confirm(f, area, s, c, th);
            None
        }
    }
}

fn too_small(f: &mut Frame, area: Rect, th: &Theme) {
    let (w, h) = layout::MIN_SIZE;
    let text = vec![
        Line::from("Terminal too small"),
        Line::from(format!(
            "{}×{}, need at least {w}×{h}",
            area.width, area.height
        )),
        Line::from("Enlarge the window, or press q to quit."),
    ];
    let y = area.height.saturating_sub(3) / 2;
    let rect = Rect {
        y: area.y + y,
        height: area.height.saturating_sub(y),
        ..area
    };
    f.render_widget(
        Paragraph::new(text)
            .style(th.warn)
            .alignment(ratatui::layout::Alignment::Center)
            .wrap(Wrap { trim: true }),
        rect,
    );
}
