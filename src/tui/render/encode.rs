//! Changed cells to escape sequences: cells grouped by pen so each colour is switched on once
//! a frame, the shortest cursor moves (absolute, relative, single control bytes, or unchanged
//! cells printed again), one SGR sequence per pen change holding only what changed, and a
//! space keeps whatever foreground the pen has.

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

/// What the terminal keeps between frames: its pen and where its (hidden) cursor is.
#[derive(Clone, Copy)]
pub(super) struct Carry {
    pen: Pen,
    at: Option<(u16, u16)>,
}

impl Default for Carry {
    /// Plain colours, cursor position unknown (after a clear, or at start).
    fn default() -> Self {
        Self {
            pen: PLAIN,
            at: None,
        }
    }
}

/// Turns changed cells into escape sequences, tracking the terminal's cursor and pen.
pub(super) struct Encoder<'a> {
    pub(super) out: &'a mut Vec<u8>,
    width: u16,
    pen: Pen,
    /// Where the next printed character lands, if known.
    at: Option<(u16, u16)>,
    /// Changed single-width cells `(x, y)` waiting to be sent grouped by pen.
    pending: Vec<(u16, u16)>,
}

fn is_skip(cell: &Cell) -> bool {
    matches!(cell.diff_option, CellDiffOption::Skip)
}

/// Attributes that make a space's foreground colour visible.
const SHOWS_FG: Modifier = Modifier::UNDERLINED
    .union(Modifier::REVERSED)
    .union(Modifier::CROSSED_OUT);

/// A space whose foreground colour cannot be seen: any pen with its background and
/// attributes draws it.
fn blank(cell: &Cell) -> bool {
    cell.symbol() == " " && !cell.modifier.intersects(SHOWS_FG)
}

/// Whether `a` on screen looks exactly like `b` (a blank's foreground does not count).
fn looks_same(a: &Cell, b: &Cell) -> bool {
    a == b
        || (blank(a)
            && blank(b)
            && a.bg == b.bg
            && a.modifier == b.modifier
            && a.diff_option == b.diff_option)
}

/// Whether printing `cell` with `pen` shows it as it should look.
fn pen_draws(pen: Pen, cell: &Cell) -> bool {
    let own = pen_of(cell);
    own == pen || (blank(cell) && own.bg == pen.bg && own.modifier == pen.modifier)
}

fn width_of(cell: &Cell) -> u16 {
    let sym = cell.symbol();
    if sym.len() == 1 { 1 } else { sym.cell_width() }
}

impl<'a> Encoder<'a> {
    /// An encoder that goes on from the terminal state `carry` the last frame left.
    pub(super) fn new(out: &'a mut Vec<u8>, width: u16, carry: Carry) -> Self {
        Self {
            out,
            width,
            pen: carry.pen,
            at: carry.at,
            pending: Vec::new(),
        }
    }

    /// The terminal state this frame leaves, for the next one.
    pub(super) fn carry(&self) -> Carry {
        Carry {
            pen: self.pen,
            at: self.at,
        }
    }

    /// Takes the cells of `area` that differ from `shown`. Rows whose changes are all single
    /// width wait for [`Encoder::flush`], which sends them grouped by pen (one colour switch
    /// for all the red prices of a ladder, not one per row); other rows are sent at once, left
    /// to right, as wide characters need.
    pub(super) fn area(&mut self, next: &Buffer, shown: &mut Buffer, area: Rect) {
        let area = area.intersection(next.area).intersection(shown.area);
        for y in area.top()..area.bottom() {
            let row = next.index_of(next.area.x, y);
            let queued = self.pending.len();
            let narrow = (area.left()..area.right()).all(|x| {
                let i = row + usize::from(x - next.area.x);
                let (cell, old) = (&next.content[i], &shown.content[i]);
                if is_skip(cell) || looks_same(cell, old) {
                    return true;
                }
                self.pending.push((x, y));
                width_of(cell) == 1 && width_of(old) == 1
            });
            if !narrow {
                self.pending.truncate(queued);
                self.row_in_order(next, shown, area, y);
            }
        }
    }

    /// Sends the waiting cells one pen after another (a space joins any pen with its
    /// background), each pen's cells top to bottom, left to right; records them as shown.
    pub(super) fn flush(&mut self, next: &Buffer, shown: &mut Buffer) {
        let mut pens: Vec<Pen> = Vec::new();
        let mut order: Vec<(usize, u16, u16)> = Vec::with_capacity(self.pending.len());
        for &(x, y) in &self.pending {
            let cell = &next[(x, y)];
            let found = pens.iter().position(|p| pen_draws(*p, cell));
            let group = found.unwrap_or_else(|| {
                pens.push(pen_of(cell));
                pens.len() - 1
            });
            order.push((group, y, x));
        }
        order.sort_unstable();
        self.pending.clear();
        for (_, y, x) in order {
            let i = next.index_of(x, y);
            // Sent already (a cell of overlapping areas, or one a wide character covered).
            if looks_same(&next.content[i], &shown.content[i]) {
                continue;
            }
            let gap_from = self.gap_from(x, y, i);
            self.put(x, y, &next.content[i], &shown.content[gap_from..i]);
            shown.content[i] = next.content[i].clone();
        }
    }

    /// Sends the changed cells of row `y` of `area` left to right, wide characters whole.
    fn row_in_order(&mut self, next: &Buffer, shown: &mut Buffer, area: Rect, y: u16) {
        let row = next.index_of(next.area.x, y);
        let (mut x, end) = (area.left(), area.right());
        // Columns a replaced wide character covered (possibly past the area, where the
        // terminal blanked them): sent even if they look unchanged.
        let mut force_until = 0;
        while x < end || x < force_until.min(next.area.right()) {
            let i = row + usize::from(x - next.area.x);
            let cell = &next.content[i];
            let old = &shown.content[i];
            if is_skip(cell) || (looks_same(cell, old) && x >= force_until) {
                x += 1;
                continue;
            }
            let gap_from = self.gap_from(x, y, i);
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

    /// Prints `cell` at (x, y); `gap` holds the cells between the cursor and x on the same row
    /// (unchanged, as shown). Returns the columns the character takes.
    fn put(&mut self, x: u16, y: u16, cell: &Cell, gap: &[Cell]) -> u16 {
        if self.at != Some((x, y)) {
            let reprint = !gap.is_empty()
                && gap.len() < 3
                && gap
                    .iter()
                    .all(|c| c.symbol().len() == 1 && self.draws(c) && !is_skip(c));
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
        if !self.draws(cell) {
            let mut pen = pen_of(cell);
            if blank(cell) {
                pen.fg = self.pen.fg;
            }
            self.style(pen);
        }
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

    /// Whether the current pen draws `cell` as it should look.
    fn draws(&self, cell: &Cell) -> bool {
        pen_draws(self.pen, cell)
    }

    /// Index in the row of the first cell between the cursor and `x` on row `y` (`i` is x's
    /// index): the unchanged cells a move could print again instead.
    fn gap_from(&self, x: u16, y: u16, i: usize) -> usize {
        match self.at {
            Some((ax, ay)) if ay == y && ax < x => i - usize::from(x - ax),
            _ => i,
        }
    }

    /// Moves the cursor to `p` with the shortest sequence: absolute, or relative to where it
    /// is (up/down, then a column jump, carriage return or step back).
    pub(super) fn move_to(&mut self, p: Position) {
        let mut best = [0u8; 24];
        let mut len = absolute(p, &mut best);
        if let Some((ax, ay)) = self.at {
            let mut rel = [0u8; 24];
            let n = relative((ax, ay), p, &mut rel);
            if n < len {
                best = rel;
                len = n;
            }
        }
        self.out.extend_from_slice(&best[..len]);
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
}

/// Writes the absolute move to `p` into `out`; returns its length.
fn absolute(p: Position, out: &mut [u8; 24]) -> usize {
    let mut w = &mut out[..];
    let _ = if p.x == 0 {
        write!(w, "\x1b[{}H", p.y + 1)
    } else {
        write!(w, "\x1b[{};{}H", p.y + 1, p.x + 1)
    };
    24 - w.len()
}

/// Writes a move from `(ax, ay)` to `p` made of relative steps into `out`; returns its length.
/// Short steps use single control bytes: line feeds go straight down (raw mode, no carriage
/// return; they never scroll, as the cursor stays above the target row) and backspaces left.
fn relative((ax, ay): (u16, u16), p: Position, out: &mut [u8; 24]) -> usize {
    use std::cmp::Ordering::{Equal, Greater, Less};
    let mut w = &mut out[..];
    let step = |w: &mut &mut [u8], n: u16, code: char| {
        let _ = if n == 1 {
            write!(w, "\x1b[{code}")
        } else {
            write!(w, "\x1b[{n}{code}")
        };
    };
    let repeat = |w: &mut &mut [u8], n: u16, byte: u8| {
        for _ in 0..n {
            let _ = w.write_all(&[byte]);
        }
    };
    match p.y.cmp(&ay) {
        Greater if p.y - ay <= 3 => repeat(&mut w, p.y - ay, b'\n'),
        Greater => step(&mut w, p.y - ay, 'B'),
        Less => step(&mut w, ay - p.y, 'A'),
        Equal => {}
    }
    match p.x.cmp(&ax) {
        Greater => step(&mut w, p.x - ax, 'C'),
        Less if p.x == 0 => repeat(&mut w, 1, b'\r'),
        Less if ax - p.x <= 4 => repeat(&mut w, ax - p.x, 0x08),
        Less if ax - p.x < p.x => step(&mut w, ax - p.x, 'D'),
        Less => {
            let _ = write!(w, "\x1b[{}G", p.x + 1);
        }
        Equal => {}
    }
    24 - w.len()
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
