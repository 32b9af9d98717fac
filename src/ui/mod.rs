//! Drawing: `draw(frame, &AppState)` lays out the screen and calls one function per pane. The
//! UI reads state and never changes it.

pub mod alerts;
pub mod ascii;
pub mod blotter;
pub mod book;
pub mod bottom;
pub mod chart;
pub mod help;
pub mod layout;
pub mod positions;
pub mod prompt;
pub mod status;
pub mod tape;
pub mod theme;
pub mod ticket;
pub mod watchlist;
pub mod widgets;

use crate::app::{AppState, Overlay};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};
use theme::Theme;

/// Draws the whole screen from the state.
pub fn draw(f: &mut Frame, s: &AppState) {
    draw_panes(f, s);
    if !s.settings.unicode {
        ascii::downgrade(f.buffer_mut());
    }
}

fn draw_panes(f: &mut Frame, s: &AppState) {
    let th = Theme::new(s.settings.theme);
    let area = f.area();
    let Some(a) = layout::areas(area) else {
        too_small(f, area, &th);
        return;
    };
    status::draw(f, a.status, s, &th);
    watchlist::draw(f, a.watchlist, s, &th);
    ticket::draw(f, a.ticket, s, &th);
    chart::draw(f, a.chart, s, &th);
    book::draw(f, a.book, s, &th);
    tape::draw(f, a.tape, s, &th);
    bottom::draw(f, a.bottom, s, &th);
    match &s.overlay {
        Overlay::None => {}
        Overlay::Help { scroll } => help::draw(f, area, s, *scroll, &th),
        Overlay::CommandLine(input) => prompt::draw_command_line(f, area, input, &th),
        Overlay::Search { input, selected } => {
            prompt::draw_search(f, area, s, input, *selected, &th)
        }
        Overlay::Ticket(t) => ticket::draw_ticket(f, area, s, t, &th),
        Overlay::Confirm(c) => ticket::draw_confirm(f, area, s, c, &th),
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
