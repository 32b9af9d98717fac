//! Where the bytes go: the client's output split into frames (a large one is a synchronized
//! update, `ESC[?2026h` … `ESC[?2026l`; a small one is what one read returns), every cell that changed and every byte written
//! attributed to the pane it lands in.

use ratatui::layout::Rect;
use speedtrade::ui::layout;

/// Start and end of a synchronized update: one large frame.
const FRAME_BEGIN: &[u8] = b"\x1b[?2026h";
const FRAME_END: &[u8] = b"\x1b[?2026l";

/// Per-pane counts over the frames seen.
pub struct Breakdown {
    panes: Vec<(&'static str, Rect)>,
    pending: Vec<u8>,
    prev: Option<vt100::Screen>,
    /// Frames seen.
    pub frames: u64,
    /// Bytes per pane, plus a last entry for bytes before any cursor move (sync markers,
    /// style resets).
    pub bytes: Vec<u64>,
    /// Cells that changed per pane (plus an unused last entry).
    pub cells: Vec<u64>,
}

impl Breakdown {
    /// Panes of the layout at `(cols, rows)`.
    pub fn new((cols, rows): (u16, u16)) -> Breakdown {
        let panes = match layout::areas(Rect::new(0, 0, cols, rows)) {
            Some(a) => vec![
                ("status", a.status),
                ("watchlist", a.watchlist),
                ("ticket", a.ticket),
                ("chart", a.chart),
                ("book", a.book),
                ("tape", a.tape),
                ("bottom", a.bottom),
            ],
            None => Vec::new(),
        };
        let n = panes.len() + 1;
        Breakdown {
            panes,
            pending: Vec::new(),
            prev: None,
            frames: 0,
            bytes: vec![0; n],
            cells: vec![0; n],
        }
    }

    /// Pane names, in the order of [`Breakdown::bytes`] and [`Breakdown::cells`].
    pub fn names(&self) -> Vec<&'static str> {
        let mut v: Vec<_> = self.panes.iter().map(|p| p.0).collect();
        v.push("other");
        v
    }

    fn pane_of(&self, row: u16, col: u16) -> usize {
        self.panes
            .iter()
            .position(|(_, r)| {
                col >= r.x && col < r.x + r.width && row >= r.y && row < r.y + r.height
            })
            .unwrap_or(self.panes.len())
    }

    /// Takes output bytes; complete frames are attributed and applied to `parser`. A large
    /// frame is a synchronized update (it may come in several reads: up to its end); a small
    /// one is one write, counted as what one read returns (two small frames read together
    /// count as one, so per-frame figures are approximate).
    pub fn feed(&mut self, chunk: &[u8], parser: &mut vt100::Parser) {
        self.pending.extend_from_slice(chunk);
        loop {
            let end = find(&self.pending, FRAME_END).map(|at| at + FRAME_END.len());
            let open = find(&self.pending, FRAME_BEGIN);
            let upto = match (open, end) {
                (Some(0), Some(end)) => end,
                (Some(0), None) => return,
                // Something before a synchronized frame: a small frame.
                (Some(begin), _) => begin,
                (None, _) => match held_back(&self.pending) {
                    0 => return,
                    n => n,
                },
            };
            let frame: Vec<u8> = self.pending.drain(..upto).collect();
            self.frame(&frame, parser);
        }
    }

    fn frame(&mut self, bytes: &[u8], parser: &mut vt100::Parser) {
        self.attribute(bytes);
        parser.process(bytes);
        let screen = parser.screen();
        if let Some(prev) = &self.prev {
            let (rows, cols) = screen.size();
            for row in 0..rows {
                for col in 0..cols {
                    if prev.cell(row, col) != screen.cell(row, col) {
                        let p = self.pane_of(row, col);
                        self.cells[p] += 1;
                    }
                }
            }
        }
        self.prev = Some(screen.clone());
        self.frames += 1;
    }

    /// Splits `bytes` at cursor moves (`ESC[row;colH`) and charges each run to its pane.
    fn attribute(&mut self, bytes: &[u8]) {
        let mut pane = self.panes.len();
        let mut start = 0;
        let mut i = 0;
        while i < bytes.len() {
            if let Some((row, col, len)) = cursor_move(&bytes[i..]) {
                self.bytes[pane] += (i - start) as u64;
                pane = self.pane_of(row.saturating_sub(1), col.saturating_sub(1));
                start = i;
                i += len;
            } else {
                i += 1;
            }
        }
        self.bytes[pane] += (bytes.len() - start) as u64;
    }
}

/// How much of `pending` (which holds no whole start marker) is a frame: all of it but a
/// tail that may be the start of a marker cut by a read.
fn held_back(pending: &[u8]) -> usize {
    let from = pending.len().saturating_sub(FRAME_BEGIN.len() - 1);
    (from..pending.len())
        .find(|&i| FRAME_BEGIN.starts_with(&pending[i..]))
        .unwrap_or(pending.len())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// `ESC [ row ; col H` at the start of `b`: (row, col, length), 1-based.
fn cursor_move(b: &[u8]) -> Option<(u16, u16, usize)> {
    let rest = b.strip_prefix(b"\x1b[")?;
    let mut nums = [0u16; 2];
    let mut k = 0;
    for (i, &c) in rest.iter().enumerate() {
        match c {
            b'0'..=b'9' => nums[k] = nums[k].saturating_mul(10) + u16::from(c - b'0'),
            b';' if k == 0 => k = 1,
            b'H' if k == 1 => return Some((nums[0], nums[1], i + 3)),
            _ => return None,
        }
    }
    None
}
