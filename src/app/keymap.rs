//! Key presses in a terminal-neutral form, their text names (`"ctrl-c"`, `"G"`, `"pagedown"`)
//! and the configurable key map from key to user action.

use super::action::UserAction;
use std::collections::{BTreeMap, HashMap};
use std::fmt;

/// A key without modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    /// A printable character (case carries the shift).
    Char(char),
    /// Enter / Return.
    Enter,
    /// Escape.
    Esc,
    /// Tab.
    Tab,
    /// Shift-Tab.
    BackTab,
    /// Backspace.
    Backspace,
    /// Delete.
    Delete,
    /// Insert.
    Insert,
    /// Arrow up.
    Up,
    /// Arrow down.
    Down,
    /// Arrow left.
    Left,
    /// Arrow right.
    Right,
    /// Home.
    Home,
    /// End.
    End,
    /// Page up.
    PageUp,
    /// Page down.
    PageDown,
    /// Function key F1..F12.
    F(u8),
}

/// A key with its modifiers, normalised so that `G` and `shift-g` are the same press.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyPress {
    /// The key.
    pub key: Key,
    /// Control held.
    pub ctrl: bool,
    /// Alt / Meta held.
    pub alt: bool,
}

impl KeyPress {
    /// A plain key.
    pub const fn plain(key: Key) -> Self {
        Self {
            key,
            ctrl: false,
            alt: false,
        }
    }
    /// A plain character.
    pub const fn char(c: char) -> Self {
        Self::plain(Key::Char(c))
    }
    /// Control + a character.
    pub const fn ctrl(c: char) -> Self {
        Self {
            key: Key::Char(c),
            ctrl: true,
            alt: false,
        }
    }

    /// Parses `"ctrl-c"`, `"G"`, `"shift-tab"`, `"f5"`, `"-"`, `"alt-enter"`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut ctrl = false;
        let mut alt = false;
        let mut shift = false;
        let mut rest = text;
        loop {
            let lower = rest.to_ascii_lowercase();
            if rest.len() > 1 && lower.starts_with("ctrl-") {
                ctrl = true;
                rest = &rest[5..];
            } else if rest.len() > 1 && lower.starts_with("alt-") {
                alt = true;
                rest = &rest[4..];
            } else if rest.len() > 1 && lower.starts_with("shift-") {
                shift = true;
                rest = &rest[6..];
            } else {
                break;
            }
        }
        let key = named_key(rest).ok_or_else(|| format!("`{text}` is not a key"))?;
        let key = match (key, shift) {
            (Key::Tab, true) => Key::BackTab,
            (Key::Char(c), true) => Key::Char(c.to_ascii_uppercase()),
            (k, _) => k,
        };
        Ok(Self::new(key, ctrl, alt))
    }

    /// A key press, normalised: with Control held, letters are lower case (terminals cannot
    /// tell ctrl-c from ctrl-shift-c).
    pub fn new(key: Key, ctrl: bool, alt: bool) -> Self {
        let key = match key {
            Key::Char(c) if ctrl => Key::Char(c.to_ascii_lowercase()),
            k => k,
        };
        Self { key, ctrl, alt }
    }
}

fn named_key(s: &str) -> Option<Key> {
    let mut chars = s.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return (!c.is_control()).then_some(Key::Char(c));
    }
    let k = match s.to_ascii_lowercase().as_str() {
        "enter" | "return" => Key::Enter,
        "esc" | "escape" => Key::Esc,
        "tab" => Key::Tab,
        "backtab" => Key::BackTab,
        "backspace" => Key::Backspace,
        "delete" | "del" => Key::Delete,
        "insert" | "ins" => Key::Insert,
        "up" => Key::Up,
        "down" => Key::Down,
        "left" => Key::Left,
        "right" => Key::Right,
        "home" => Key::Home,
        "end" => Key::End,
        "pageup" | "pgup" => Key::PageUp,
        "pagedown" | "pgdn" => Key::PageDown,
        "space" => Key::Char(' '),
        "minus" => Key::Char('-'),
        "plus" => Key::Char('+'),
        f if f.starts_with('f') => match f[1..].parse::<u8>() {
            Ok(n @ 1..=12) => Key::F(n),
            _ => return None,
        },
        _ => return None,
    };
    Some(k)
}

impl fmt::Display for KeyPress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("ctrl-")?;
        }
        if self.alt {
            f.write_str("alt-")?;
        }
        match self.key {
            Key::Char(' ') => f.write_str("space"),
            Key::Char(c) => write!(f, "{c}"),
            Key::F(n) => write!(f, "f{n}"),
            Key::PageUp => f.write_str("pageup"),
            Key::PageDown => f.write_str("pagedown"),
            Key::BackTab => f.write_str("shift-tab"),
            other => write!(f, "{}", format!("{other:?}").to_ascii_lowercase()),
        }
    }
}

/// Key → action, built from the `[keys]` config table.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeyMap {
    map: HashMap<KeyPress, UserAction>,
}

impl KeyMap {
    /// Builds the map; an entry bound to `"none"` removes the key. Errors name the entry.
    pub fn from_table(table: &BTreeMap<String, String>) -> Result<Self, (String, String)> {
        let mut map = HashMap::new();
        let mut unbound = Vec::new();
        for (key_text, action_text) in table {
            let entry = format!("keys.\"{key_text}\"");
            let key = KeyPress::parse(key_text).map_err(|e| (entry.clone(), e))?;
            if action_text == "none" {
                unbound.push(key);
                continue;
            }
            let action = UserAction::from_name(action_text).ok_or_else(|| {
                (
                    entry,
                    format!("unknown action `{action_text}` (see the list in config.example.toml)"),
                )
            })?;
            map.insert(key, action);
        }
        for key in unbound {
            map.remove(&key);
        }
        Ok(Self { map })
    }

    /// The action bound to a key press.
    pub fn get(&self, key: &KeyPress) -> Option<UserAction> {
        self.map.get(key).copied()
    }

    /// All bindings, grouped by action in the order of [`UserAction::ALL`], keys sorted.
    pub fn bindings(&self) -> Vec<(UserAction, Vec<KeyPress>)> {
        UserAction::ALL
            .iter()
            .filter_map(|&a| {
                let mut keys: Vec<KeyPress> = self
                    .map
                    .iter()
                    .filter(|(_, v)| **v == a)
                    .map(|(k, _)| *k)
                    .collect();
                keys.sort();
                (!keys.is_empty()).then_some((a, keys))
            })
            .collect()
    }

    /// The first key bound to an action, for hints such as "press ? for help".
    pub fn key_for(&self, action: UserAction) -> Option<KeyPress> {
        self.bindings()
            .into_iter()
            .find(|(a, _)| *a == action)
            .and_then(|(_, k)| k.first().copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_names_round_trip() {
        for text in [
            "q",
            "G",
            "ctrl-c",
            "alt-x",
            "enter",
            "f5",
            "pageup",
            "shift-tab",
            "-",
            "space",
        ] {
            let k = KeyPress::parse(text).unwrap();
            assert_eq!(KeyPress::parse(&k.to_string()).unwrap(), k, "{text}");
        }
        assert_eq!(KeyPress::parse("shift-g").unwrap(), KeyPress::char('G'));
        assert_eq!(KeyPress::parse("Ctrl-C").unwrap(), KeyPress::ctrl('c'));
        assert_eq!(KeyPress::parse("ctrl--").unwrap(), KeyPress::ctrl('-'));
        assert!(KeyPress::parse("hyper-x").is_err());
        assert!(KeyPress::parse("f13").is_err());
    }

    #[test]
    fn none_unbinds_and_bad_entries_are_named() {
        let mut t = BTreeMap::new();
        t.insert("q".to_string(), "quit".to_string());
        t.insert("x".to_string(), "help".to_string());
        let m = KeyMap::from_table(&t).unwrap();
        assert_eq!(m.get(&KeyPress::char('q')), Some(UserAction::Quit));
        t.insert("x".to_string(), "none".to_string());
        t.insert("ctrl-c".to_string(), "quit".to_string());
        t.insert("Ctrl-C".to_string(), "none".to_string());
        let m = KeyMap::from_table(&t).unwrap();
        assert_eq!(m.get(&KeyPress::char('x')), None);
        assert_eq!(
            m.get(&KeyPress::ctrl('c')),
            None,
            "none wins whatever the spelling"
        );
        t.insert("z".to_string(), "explode".to_string());
        let (entry, msg) = KeyMap::from_table(&t).unwrap_err();
        assert_eq!(entry, "keys.\"z\"");
        assert!(msg.contains("unknown action `explode`"), "{msg}");
    }
}
