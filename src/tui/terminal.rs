//! Terminal setup and restore: raw mode, alternate screen, bracketed paste, hidden cursor —
//! undone on drop, on panic, and before any signal-driven exit.

use crossterm::{cursor, event, execute, style, terminal};
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether the terminal is currently in TUI mode (so restore runs exactly once).
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// The terminal in TUI mode; dropping it restores the terminal.
pub struct TerminalGuard {
    _private: (),
}

impl TerminalGuard {
    /// Enters raw mode and the alternate screen and installs the panic hook.
    pub fn enter() -> io::Result<Self> {
        install_panic_hook();
        terminal::enable_raw_mode()?;
        ACTIVE.store(true, Ordering::SeqCst);
        let mut out = io::stdout();
        execute!(
            out,
            terminal::EnterAlternateScreen,
            event::EnableBracketedPaste,
            cursor::Hide
        )?;
        Ok(Self { _private: () })
    }

    /// Columns and rows of the terminal.
    pub fn size(&self) -> io::Result<(u16, u16)> {
        terminal::size()
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Puts the terminal back: main screen, cooked mode, cursor visible. Safe to call twice, and
/// errors are ignored (after SIGHUP the terminal may be gone).
pub fn restore() {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    let mut out = io::stdout();
    let _ = execute!(
        out,
        terminal::EndSynchronizedUpdate,
        event::DisableBracketedPaste,
        style::SetAttribute(style::Attribute::Reset),
        terminal::LeaveAlternateScreen,
        cursor::Show
    );
    let _ = terminal::disable_raw_mode();
    let _ = out.flush();
}

fn install_panic_hook() {
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    if INSTALLED.swap(true, Ordering::SeqCst) {
        return;
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        tracing::error!(target: "panic", "{info}");
        previous(info);
    }));
}
