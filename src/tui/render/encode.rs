//! Changed cells to escape sequences: the shortest cursor moves (a forward jump, or the
//! unchanged cells printed again when that is shorter) and one SGR sequence per style change
//! holding only what changed.

use ratatui::buffer::{Buffer, Cell, CellDiffOption, CellWidth};
use ratatui::layout::{Position, Rect};
use ratatui::style::{Color, Modifier};
use std::io::Write as _;

/// Colours and attributes the terminal currently draws with.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Pen {
    fg: Color,
    bg: Color,
    modifier: Modifier,
}

const PLAIN: Pen = Pen {
    fg: Color::Reset,
    bg: Color::Reset,
    modifier: Modifier::empty(),
};

/// Turns changed cells into escape sequences, tracking the terminal's cursor and pen.
pub(super) struct Encoder<'a> {
    pub(super) out: &'a mut Vec<u8>,
    width: u16,
    pen: Pen,
    /// Where the next printed character lands, if known.
    at: Option<(u16, u16)>,
}

fn is_skip(cell: &Cell) -> bool {
    matches!(cell.diff_option, CellDiffOption::Skip)
}

fn width_of(cell: &Cell) -> u16 {
    let sym = cell.symbol();
    if sym.len() == 1 { 1 } else { sym.cell_width() }
}

impl<'a> Encoder<'a> {
    pub(super) fn new(out: &'a mut Vec<u8>, width: u16) -> Self {
        Self {
            out,
            width,
            pen: PLAIN,
            at: None,
        }
    }

    /// Sends the cells of `area` that differ from `shown`, and records them as shown.
    pub(super) fn area(&mut self, next: &Buffer, shown: &mut Buffer, area: Rect) {
        let area = area.intersection(next.area).intersection(shown.area);
        for y in area.top()..area.bottom() {
            let row = next.index_of(next.area.x, y);
            let (mut x, end) = (area.left(), area.right());
            // Columns a replaced wide character covered (possibly past the area, where the
            // terminal blanked them): sent even if they look unchanged.
            let mut force_until = 0;
            while x < end || x < force_until.min(next.area.right()) {
                let i = row + usize::from(x - next.area.x);
                let cell = &next.content[i];
                let old = &shown.content[i];
                if is_skip(cell) || (cell == old && x >= force_until) {
                    x += 1;
                    continue;
                }
                let gap_from = match self.at {
                    Some((ax, ay)) if ay == y && ax < x => i - usize::from(x - ax),
                    _ => i,
                };
                let w = self.put(x, y, cell, &shown.content[gap_from..i]);
                // A wide character covers the cells after it; they are shown as drawn.
                let covered = w.max(1).min(next.area.right() - x);
                for k in 0..covered {
                    // An old wide character under what was printed is blanked whole.
                    let old_w = width_of(&shown.content[i + usize::from(k)]);
                    if old_w > 1 {
                        force_until = force_until.max(x + k + old_w);
                    }
                }
                let covered = usize::from(covered);
                shown.content[i..i + covered].clone_from_slice(&next.content[i..i + covered]);
                x += w.max(1);
            }
        }
    }

    /// Prints `cell` at (x, y); `gap` holds the cells between the cursor and x on the same row
    /// (unchanged, as shown). Returns the columns the character takes.
    fn put(&mut self, x: u16, y: u16, cell: &Cell, gap: &[Cell]) -> u16 {
        if self.at != Some((x, y)) {
            let reprint = !gap.is_empty()
                && gap.len() < 3
                && gap
                    .iter()
                    .all(|c| c.symbol().len() == 1 && pen_of(c) == self.pen && !is_skip(c));
            if reprint {
                for c in gap {
                    self.out.extend_from_slice(c.symbol().as_bytes());
                }
            } else if !gap.is_empty() {
                let _ = write!(self.out, "\x1b[{}C", gap.len());
            } else {
                self.move_to(Position::new(x, y));
            }
        }
        self.style(pen_of(cell));
        let sym = cell.symbol();
        let w = width_of(cell);
        if sym.is_empty() || w == 0 {
            self.out.push(b' ');
            self.at = next_at(x, 1, y, self.width);
            return 1;
        }
        self.out.extend_from_slice(sym.as_bytes());
        self.at = next_at(x, w, y, self.width);
        w
    }

    pub(super) fn move_to(&mut self, p: Position) {
        if p.x == 0 {
            let _ = write!(self.out, "\x1b[{}H", p.y + 1);
        } else {
            let _ = write!(self.out, "\x1b[{};{}H", p.y + 1, p.x + 1);
        }
        self.at = Some((p.x, p.y));
    }

    /// Switches the pen to `to` with one SGR sequence holding only what changed.
    fn style(&mut self, to: Pen) {
        if to == self.pen {
            return;
        }
        let mut codes: Vec<u16> = Vec::with_capacity(8);
        let (from, want) = (self.pen.modifier, to.modifier);
        if from != want {
            let removed = from - want;
            let mut added = want - from;
            let intensity = Modifier::BOLD | Modifier::DIM;
            if removed.intersects(intensity) {
                codes.push(22);
                added |= want & intensity;
            }
            let blink = Modifier::SLOW_BLINK | Modifier::RAPID_BLINK;
            if removed.intersects(blink) {
                codes.push(25);
                added |= want & blink;
            }
            for (m, off) in [
                (Modifier::ITALIC, 23),
                (Modifier::UNDERLINED, 24),
                (Modifier::REVERSED, 27),
                (Modifier::HIDDEN, 28),
                (Modifier::CROSSED_OUT, 29),
            ] {
                if removed.contains(m) {
                    codes.push(off);
                }
            }
            for (m, on) in [
                (Modifier::BOLD, 1),
                (Modifier::DIM, 2),
                (Modifier::ITALIC, 3),
                (Modifier::UNDERLINED, 4),
                (Modifier::SLOW_BLINK, 5),
                (Modifier::RAPID_BLINK, 6),
                (Modifier::REVERSED, 7),
                (Modifier::HIDDEN, 8),
                (Modifier::CROSSED_OUT, 9),
            ] {
                if added.contains(m) {
                    codes.push(on);
                }
            }
        }
        if to.fg != self.pen.fg {
            color_codes(to.fg, 0, &mut codes);
        }
        if to.bg != self.pen.bg {
            color_codes(to.bg, 10, &mut codes);
        }
        self.out.extend_from_slice(b"\x1b[");
        for (k, c) in codes.iter().enumerate() {
            if k > 0 {
                self.out.push(b';');
            }
            let _ = write!(self.out, "{c}");
        }
        self.out.push(b'm');
        self.pen = to;
    }

    /// Leaves the terminal with plain colours for anything printed outside frames.
    pub(super) fn finish(&mut self) {
        if self.pen != PLAIN {
            self.out.extend_from_slice(b"\x1b[0m");
            self.pen = PLAIN;
        }
    }
}

fn pen_of(c: &Cell) -> Pen {
    Pen {
        fg: c.fg,
        bg: c.bg,
        modifier: c.modifier,
    }
}

fn next_at(x: u16, w: u16, y: u16, width: u16) -> Option<(u16, u16)> {
    // Past the last column the terminal waits to wrap: the position is unknown.
    (x + w < width).then_some((x + w, y))
}

/// SGR parameters for a foreground colour (`base` 0) or background (`base` 10).
fn color_codes(c: Color, base: u16, codes: &mut Vec<u16>) {
    let named = |n: u16| base + n;
    match c {
        Color::Reset => codes.push(named(39)),
        Color::Black => codes.push(named(30)),
        Color::Red => codes.push(named(31)),
        Color::Green => codes.push(named(32)),
        Color::Yellow => codes.push(named(33)),
        Color::Blue => codes.push(named(34)),
        Color::Magenta => codes.push(named(35)),
        Color::Cyan => codes.push(named(36)),
        Color::Gray => codes.push(named(37)),
        Color::DarkGray => codes.push(named(90)),
        Color::LightRed => codes.push(named(91)),
        Color::LightGreen => codes.push(named(92)),
        Color::LightYellow => codes.push(named(93)),
        Color::LightBlue => codes.push(named(94)),
        Color::LightMagenta => codes.push(named(95)),
        Color::LightCyan => codes.push(named(96)),
        Color::White => codes.push(named(97)),
        Color::Indexed(i) => codes.extend([base + 38, 5, u16::from(i)]),
        Color::Rgb(r, g, b) => codes.extend([base + 38, 2, r.into(), g.into(), b.into()]),
    }
}
