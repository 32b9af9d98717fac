//! Where each pane goes for a given terminal size (pure, so it can be tested without drawing).

use crate::app::Pane;
use ratatui::layout::{Constraint, Layout, Rect};

/// The smallest terminal the layout works in.
pub const MIN_SIZE: (u16, u16) = (60, 18);

/// Rectangles of the status bar and every pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    /// Top line.
    pub status: Rect,
    /// Left column, top.
    pub watchlist: Rect,
    /// Left column, bottom.
    pub ticket: Rect,
    /// Centre.
    pub chart: Rect,
    /// Right column, top.
    pub book: Rect,
    /// Right column, bottom.
    pub tape: Rect,
    /// Bottom tabs.
    pub bottom: Rect,
}

impl Areas {
    /// The rectangle of a pane.
    pub fn of(&self, pane: Pane) -> Rect {
        match pane {
            Pane::Watchlist => self.watchlist,
            Pane::Chart => self.chart,
            Pane::Book => self.book,
            Pane::Tape => self.tape,
            Pane::Ticket => self.ticket,
            Pane::Bottom => self.bottom,
        }
    }
}

/// Splits the screen; `None` when it is smaller than [`MIN_SIZE`].
pub fn areas(area: Rect) -> Option<Areas> {
    if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
        return None;
    }
    let bottom_h = (area.height / 4).clamp(6, 14);
    let [status, middle, bottom] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(bottom_h),
    ])
    .areas(area);
    let side_w = (area.width / 5).clamp(24, 44);
    let right_w = (area.width / 4).clamp(26, 44);
    let [left, chart, right] = Layout::horizontal([
        Constraint::Length(side_w),
        Constraint::Fill(1),
        Constraint::Length(right_w),
    ])
    .areas(middle);
    let ticket_h = if left.height >= 24 { 11 } else { 3 };
    let [watchlist, ticket] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(ticket_h)]).areas(left);
    let [book, tape] =
        Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(right);
    Some(Areas {
        status,
        watchlist,
        ticket,
        chart,
        book,
        tape,
        bottom,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panes_tile_the_screen_without_overlap() {
        for (w, h) in [(60, 18), (80, 24), (120, 40), (200, 50), (300, 90)] {
            let a = areas(Rect::new(0, 0, w, h)).unwrap();
            let all = [
                a.status,
                a.watchlist,
                a.ticket,
                a.chart,
                a.book,
                a.tape,
                a.bottom,
            ];
            let total: u32 = all
                .iter()
                .map(|r| u32::from(r.width) * u32::from(r.height))
                .sum();
            assert_eq!(total, u32::from(w) * u32::from(h), "{w}x{h}");
            for (i, r) in all.iter().enumerate() {
                assert!(r.width > 0 && r.height > 0, "{w}x{h} pane {i} is empty");
                for other in &all[i + 1..] {
                    assert!(!r.intersects(*other), "{w}x{h}: {r:?} overlaps {other:?}");
                }
            }
        }
        assert!(areas(Rect::new(0, 0, 59, 24)).is_none());
        assert!(areas(Rect::new(0, 0, 80, 17)).is_none());
    }
}
