//! Frames for the terminal. The parts of the screen a frame changed are drawn into a buffer
//! that keeps everything else from the frames before; that buffer is compared, in those parts
//! only, with what the terminal shows, and only changed cells are sent — with the shortest
//! cursor moves and colour changes, in one write, inside a synchronized update when the frame
//! is large enough to reach the terminal in pieces.

use crate::app::{AppState, Damage};
use crate::ui::Drawn;
use encode::{Carry, Encoder};
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::{Frame, Terminal};

mod encode;
#[cfg(test)]
mod tests;

const BEGIN_SYNC: &[u8] = b"\x1b[?2026h";
const END_SYNC: &[u8] = b"\x1b[?2026l";

/// Frames of fewer bytes go without the synchronized-update markers: they reach the terminal
/// in one read (one SSH packet), so the terminal cannot show half of one, and the markers'
/// 16 bytes would be 3 % of what a book at 100 updates a second costs an SSH user.
const SYNC_FROM: usize = 1024;

/// The screen as drawn and as the terminal shows it.
pub struct Screen {
    /// Hands out frames over the buffer being composed; nothing is ever written to its backend.
    compose: Terminal<TestBackend>,
    /// What the terminal shows.
    shown: Buffer,
    /// The terminal may show anything: clear it and send every cell next frame.
    repaint: bool,
    cursor_visible: bool,
    /// The pen and cursor the last frame left the terminal with (kept, not reset, between
    /// frames; the terminal guard resets colours on the way out).
    carry: Carry,
    /// What the panes remember of the buffer being composed.
    memo: crate::ui::Memo,
    out: Vec<u8>,
}

impl Screen {
    /// A screen of `width` × `height` cells; the first frame clears the terminal and draws all.
    pub fn new(width: u16, height: u16) -> Self {
        let compose = match Terminal::new(TestBackend::new(width, height)) {
            Ok(t) => t,
            Err(never) => match never {},
        };
        Self {
            compose,
            shown: Buffer::empty(Rect::new(0, 0, width, height)),
            repaint: true,
            cursor_visible: false,
            carry: Carry::default(),
            memo: crate::ui::Memo::default(),
            out: Vec::with_capacity(64 * 1024),
        }
    }

    /// Columns and rows.
    pub fn size(&self) -> (u16, u16) {
        (self.shown.area.width, self.shown.area.height)
    }

    /// The terminal changed size: everything is drawn again.
    pub fn resize(&mut self, width: u16, height: u16) {
        if self.size() != (width, height) {
            *self = Self::new(width, height);
        }
    }

    /// The terminal may show anything (e.g. after Ctrl-L): the next frame redraws it all.
    pub fn repaint(&mut self) {
        self.repaint = true;
    }

    /// Draws the parts in `damage` and returns the bytes that bring the terminal up to date
    /// (empty when nothing visible changed).
    pub fn frame(&mut self, state: &AppState, damage: Damage) -> &[u8] {
        let mut memo = std::mem::take(&mut self.memo);
        self.frame_with(|f, all| {
            let damage = if all { Damage::ALL } else { damage };
            crate::ui::draw_parts(f, state, damage, &mut memo)
        });
        self.memo = memo;
        &self.out
    }

    /// Like [`Screen::frame`] with any drawing: `draw` gets the frame over the composed
    /// buffer and whether it must draw everything, and says which areas it drew.
    pub fn frame_with(&mut self, draw: impl FnOnce(&mut Frame, bool) -> Drawn) -> &[u8] {
        let drawn = draw(&mut self.compose.get_frame(), self.repaint);
        self.out.clear();
        self.out.extend_from_slice(BEGIN_SYNC);
        let start = self.out.len();
        let mut areas = drawn.areas;
        if std::mem::take(&mut self.repaint) {
            self.out.extend_from_slice(b"\x1b[0m\x1b[2J");
            self.carry = Carry::default();
            self.shown.reset();
            areas = vec![self.shown.area];
        }
        let next = self.compose.current_buffer_mut();
        let mut enc = Encoder::new(&mut self.out, next.area.width, self.carry);
        for area in areas {
            enc.area(next, &mut self.shown, area);
        }
        enc.flush(next, &mut self.shown);
        match (drawn.cursor, self.cursor_visible) {
            (Some(p), visible) => {
                enc.move_to(p);
                if !visible {
                    enc.out.extend_from_slice(b"\x1b[?25h");
                    self.cursor_visible = true;
                }
            }
            (None, true) => {
                enc.out.extend_from_slice(b"\x1b[?25l");
                self.cursor_visible = false;
            }
            (None, false) => {}
        }
        self.carry = enc.carry();
        match self.out.len() - start {
            0 => self.out.clear(),
            n if n < SYNC_FROM => drop(self.out.drain(..start)),
            _ => self.out.extend_from_slice(END_SYNC),
        }
        &self.out
    }

    /// The composed screen: every frame drawn so far, as the terminal will show it.
    pub fn composed(&mut self) -> &Buffer {
        self.compose.current_buffer_mut()
    }

    /// Draws a frame and writes it to stdout in one write; returns the bytes written.
    pub fn draw(&mut self, state: &AppState, damage: Damage) -> std::io::Result<usize> {
        let bytes = self.frame(state, damage);
        write_all(bytes)?;
        Ok(bytes.len())
    }
}

/// Writes `bytes` to the terminal straight to stdout's descriptor: std's stdout is line
/// buffered and splits a frame at its last line feed into two writes (and the encoder moves
/// down a row with a line feed). Everything else written to stdout is flushed at once, so
/// nothing is reordered.
fn write_all(mut bytes: &[u8]) -> std::io::Result<()> {
    let out = std::io::stdout();
    while !bytes.is_empty() {
        match nix::unistd::write(&out, bytes) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => bytes = &bytes[n..],
            Err(nix::errno::Errno::EINTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
