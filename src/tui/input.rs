//! The input task: terminal events (keys, paste, resize) turned into actions.

use crate::app::{Action, Key, KeyPress};
use crossterm::event::{Event, EventStream, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use futures_util::StreamExt;
use tokio::sync::mpsc;

/// Converts a crossterm key event; `None` for releases and keys we do not use.
pub fn key_press(ev: &KeyEvent) -> Option<KeyPress> {
    if ev.kind == KeyEventKind::Release {
        return None;
    }
    let key = match ev.code {
        KeyCode::Char(c) => Key::Char(c),
        KeyCode::Enter => Key::Enter,
        KeyCode::Esc => Key::Esc,
        KeyCode::Tab if ev.modifiers.contains(KeyModifiers::SHIFT) => Key::BackTab,
        KeyCode::Tab => Key::Tab,
        KeyCode::BackTab => Key::BackTab,
        KeyCode::Backspace => Key::Backspace,
        KeyCode::Delete => Key::Delete,
        KeyCode::Insert => Key::Insert,
        KeyCode::Up => Key::Up,
        KeyCode::Down => Key::Down,
        KeyCode::Left => Key::Left,
        KeyCode::Right => Key::Right,
        KeyCode::Home => Key::Home,
        KeyCode::End => Key::End,
        KeyCode::PageUp => Key::PageUp,
        KeyCode::PageDown => Key::PageDown,
        KeyCode::F(n) => Key::F(n),
        _ => return None,
    };
    Some(KeyPress::new(
        key,
        ev.modifiers.contains(KeyModifiers::CONTROL),
        ev.modifiers.contains(KeyModifiers::ALT),
    ))
}

/// Reads terminal events until the terminal goes away, sending actions. Input is never
/// dropped: the channel is unbounded (a human types slowly), and the app loop serves it first.
pub async fn run(tx: mpsc::UnboundedSender<Action>) {
    let mut events = EventStream::new();
    while let Some(ev) = events.next().await {
        let action = match ev {
            Ok(Event::Key(k)) => key_press(&k).map(Action::Key),
            Ok(Event::Paste(text)) => Some(Action::Paste(text)),
            Ok(Event::Resize(w, h)) => Some(Action::Resize(w, h)),
            Ok(_) => None,
            Err(e) => {
                // The terminal is gone (e.g. the SSH session dropped): leave cleanly.
                tracing::warn!("terminal input failed: {e}");
                let _ = tx.send(Action::Signal("terminal input closed"));
                return;
            }
        };
        if let Some(a) = action
            && tx.send(a).is_err()
        {
            return;
        }
    }
    let _ = tx.send(Action::Signal("terminal input closed"));
}
