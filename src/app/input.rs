//! Text inputs: the `:` command line and the `/` symbol search — typing, editing, and running
//! what was entered.

use super::action::UserAction;
use super::command::Command;
use super::keymap::{Key, KeyPress};
use super::nav::select_symbol;
use super::state::{AppState, BottomTab, Level, Overlay, TextInput};
use super::update::on_user;
use crate::domain::{Interval, Symbol};

/// Whether the overlay captures typed text instead of the key map.
pub fn takes_text(o: &Overlay) -> bool {
    matches!(o, Overlay::CommandLine(_) | Overlay::Search { .. })
}

/// Edits `input` with `key`; returns `false` if the key is not an editing key.
pub fn edit(input: &mut TextInput, key: KeyPress) -> bool {
    let len = input.text.chars().count();
    match key.key {
        Key::Char(c) if !key.ctrl && !key.alt => {
            let at = byte_at(&input.text, input.cursor);
            input.text.insert(at, c);
            input.cursor += 1;
        }
        Key::Char('u') if key.ctrl => {
            input.text.clear();
            input.cursor = 0;
        }
        Key::Backspace if input.cursor > 0 => {
            input.cursor -= 1;
            let at = byte_at(&input.text, input.cursor);
            input.text.remove(at);
        }
        Key::Delete if input.cursor < len => {
            let at = byte_at(&input.text, input.cursor);
            input.text.remove(at);
        }
        Key::Left => input.cursor = input.cursor.saturating_sub(1),
        Key::Right => input.cursor = (input.cursor + 1).min(len),
        Key::Home => input.cursor = 0,
        Key::End => input.cursor = len,
        Key::Backspace | Key::Delete => {}
        _ => return false,
    }
    true
}

fn byte_at(s: &str, chars: usize) -> usize {
    s.char_indices().nth(chars).map_or(s.len(), |(i, _)| i)
}

/// A key while the command line or the search is open.
pub fn on_key(state: &mut AppState, key: KeyPress) -> Vec<Command> {
    match key.key {
        Key::Esc => {
            state.overlay = Overlay::None;
            return Vec::new();
        }
        Key::Enter => {
            let overlay = std::mem::take(&mut state.overlay);
            return match overlay {
                Overlay::CommandLine(input) => run_command(state, input.text.trim()),
                Overlay::Search { input, selected } => pick_search(state, &input.text, selected),
                _ => Vec::new(),
            };
        }
        _ => {}
    }
    match &mut state.overlay {
        Overlay::CommandLine(input) => {
            edit(input, key);
        }
        Overlay::Search { input, selected } => match key.key {
            Key::Up => *selected = selected.saturating_sub(1),
            Key::Down | Key::Tab => *selected += 1,
            _ => {
                if edit(input, key) {
                    *selected = 0;
                }
            }
        },
        _ => {}
    }
    Vec::new()
}

/// Text pasted while an input is open is typed into it (newlines dropped).
pub fn on_paste(state: &mut AppState, text: &str) -> Vec<Command> {
    let input = match &mut state.overlay {
        Overlay::CommandLine(input) | Overlay::Search { input, .. } => input,
        _ => return Vec::new(),
    };
    for c in text.chars().filter(|c| !c.is_control()) {
        edit(input, KeyPress::char(c));
    }
    Vec::new()
}

/// Results shown in the search.
pub const SEARCH_RESULTS: usize = 12;

/// Symbols matching a search query: the venue's instruments ranked by the symbol index (exact,
/// base asset, prefix, name, fuzzy) once it is loaded; until then the shown list's symbols
/// containing the query, prefix matches first.
pub fn search_results(state: &AppState, query: &str) -> Vec<Symbol> {
    if let Some(index) = state.symbol_index.as_deref()
        && !query.trim().is_empty()
    {
        return index
            .search(query, SEARCH_RESULTS)
            .into_iter()
            .map(|h| h.entry.symbol.clone())
            .collect();
    }
    let q = query.trim().to_ascii_uppercase();
    let mut hits: Vec<&Symbol> = state
        .watchlist()
        .iter()
        .filter(|s| s.as_str().contains(&q))
        .collect();
    hits.sort_by_key(|s| (!s.as_str().starts_with(&q), s.as_str().len()));
    hits.into_iter().cloned().collect()
}

fn pick_search(state: &mut AppState, query: &str, selected: usize) -> Vec<Command> {
    let hits = search_results(state, query);
    if let Some(sym) = hits
        .get(selected.min(hits.len().saturating_sub(1)))
        .cloned()
    {
        return select_symbol(state, sym);
    }
    match Symbol::new(query) {
        Ok(sym) => select_symbol(state, sym),
        Err(e) => {
            state.flash(Level::Error, e.to_string(), 5);
            Vec::new()
        }
    }
}

/// Command-line commands, for `:help` and the README.
pub const COMMANDS: [(&str, &str); 13] = [
    ("q, quit", "leave speedtrade"),
    ("help", "show the key help"),
    ("s, symbol SYMBOL", "show a symbol"),
    ("i, interval 1s|1m|5m|15m|1h|4h|1d", "chart interval"),
    (
        "tab orders|fills|positions|alerts|log",
        "switch the bottom tab",
    ),
    (
        "alert SYM above|below|cross PRICE [repeat 1m]",
        "price alert",
    ),
    (
        "alert SYM move [+|-]5% 15m | alert rm|off|on ID",
        "% move alert; manage",
    ),
    (
        "wl [NAME] | wl rm NAME | wl mv NEW",
        "show, switch to or create, delete, rename lists",
    ),
    (
        "add [SYM..] | rm [SYM..]",
        "add to / remove from the list (default: selected)",
    ),
    (
        "filter EXPR",
        "filter the list, e.g. price < 100 and change% > 5",
    ),
    (
        "screen EXPR",
        "screen every symbol of the venue (:screen to go back)",
    ),
    ("record on|off", "record the tape of the shown symbols"),
    ("clear", "clear the log tab"),
];

/// Runs a `:` command.
pub fn run_command(state: &mut AppState, line: &str) -> Vec<Command> {
    let mut words = line.split_whitespace();
    let (cmd, arg) = (words.next().unwrap_or(""), words.next());
    let rest = line.trim_start().get(cmd.len()..).unwrap_or("").trim();
    match (cmd, arg) {
        ("", _) => Vec::new(),
        ("wl" | "add" | "rm" | "filter" | "screen", _) => super::lists::command(state, cmd, rest),
        ("record", Some("on")) => {
            state.flash(Level::Info, "recording the tape of the shown symbols", 4);
            vec![Command::Record(Some(state.watchlist().to_vec()))]
        }
        ("record", Some("off")) => {
            state.flash(Level::Info, "recording stopped", 3);
            vec![Command::Record(None)]
        }
        ("q" | "quit" | "q!" | "quit!", _) => on_user(state, UserAction::Quit),
        ("help" | "h", _) => on_user(state, UserAction::Help),
        ("s" | "symbol", Some(s)) => match Symbol::new(s) {
            Ok(sym) => select_symbol(state, sym),
            Err(e) => fail(state, e.to_string()),
        },
        ("i" | "interval", Some(i)) => match i.parse::<Interval>() {
            Ok(iv) if Interval::CHART.contains(&iv) => {
                state.chart.interval = iv;
                state.chart.offset = 0;
                vec![Command::ChartInterval(state.selected.clone(), iv)]
            }
            Ok(iv) => fail(
                state,
                format!("the chart shows 1s 1m 5m 15m 1h 4h 1d, not {iv}"),
            ),
            Err(e) => fail(state, e),
        },
        ("tab", Some(t)) => match BottomTab::from_name(t) {
            Some(tab) => {
                state.bottom_tab = tab;
                Vec::new()
            }
            None => fail(
                state,
                format!("no tab `{t}` (orders, fills, positions, alerts, log)"),
            ),
        },
        ("alert" | "alerts", _) => super::alerting::command(state, line),
        ("clear", _) => {
            state.log.clear();
            Vec::new()
        }
        (c, _) => fail(state, format!("unknown command `{c}`: try :help")),
    }
}

fn fail(state: &mut AppState, msg: String) -> Vec<Command> {
    state.flash(Level::Error, msg, 5);
    Vec::new()
}
