//! Named watchlists in `update`: switching, adding and removing symbols, reordering, the
//! screener filter over the shown list, and venue-wide screen results as a temporary list.

use super::command::Command;
use super::state::{AppState, Level};
use crate::domain::Symbol;
use crate::screener::{Filter, Row};

/// One named list of symbols, in the user's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedList {
    /// Unique name.
    pub name: String,
    /// Symbols, in display order.
    pub symbols: Vec<Symbol>,
}

/// Every list, which one is shown, and an optional screener over it.
#[derive(Debug, Clone)]
pub struct Lists {
    /// The user's lists (never empty).
    pub all: Vec<NamedList>,
    /// Index of the shown list.
    pub active: usize,
    /// Results of a venue-wide `:screen`, shown instead of the list while set.
    pub screen: Option<NamedList>,
    /// A `:filter` applied to the shown rows.
    pub filter: Option<Filter>,
}

impl Lists {
    /// One list.
    pub fn new(name: &str, symbols: Vec<Symbol>) -> Self {
        Self {
            all: vec![NamedList {
                name: name.into(),
                symbols,
            }],
            active: 0,
            screen: None,
            filter: None,
        }
    }
    /// The list being shown (screen results first).
    pub fn shown(&self) -> &NamedList {
        self.screen.as_ref().unwrap_or(&self.all[self.active])
    }
    fn active_mut(&mut self) -> &mut NamedList {
        &mut self.all[self.active]
    }
}

/// Whether a symbol passes the `:filter` (no ticker yet: it stays, so a list never looks
/// empty only because data is late).
pub fn passes(state: &AppState, symbol: &Symbol) -> bool {
    let Some(filter) = &state.lists.filter else {
        return true;
    };
    match state.markets.get(symbol).and_then(|m| m.ticker.as_ref()) {
        Some(t) => filter.matches(&Row::from(t)),
        None => true,
    }
}

fn changed(state: &mut AppState) -> Vec<Command> {
    state.watch_cursor = state
        .watch_cursor
        .min(state.watchlist().len().saturating_sub(1));
    vec![
        Command::SaveLists(state.lists.all.clone(), state.lists.active),
        Command::WatchSymbols(state.watchlist().to_vec()),
    ]
}

/// `:wl [NAME | rm NAME | mv NEW]`, `:add SYM..`, `:rm [SYM..]`, `:filter [EXPR]`, `:screen [EXPR]`.
pub fn command(state: &mut AppState, cmd: &str, rest: &str) -> Vec<Command> {
    let words: Vec<&str> = rest.split_whitespace().collect();
    match (cmd, words.as_slice()) {
        ("wl", []) => {
            let names: Vec<String> = state
                .lists
                .all
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    if i == state.lists.active {
                        format!("{}*", l.name)
                    } else {
                        l.name.clone()
                    }
                })
                .collect();
            state.flash(Level::Info, format!("lists: {}", names.join(", ")), 6);
            Vec::new()
        }
        ("wl", ["rm", name]) => delete(state, name),
        ("wl", ["mv", name]) => {
            if state.lists.all.iter().any(|l| l.name == *name) {
                return fail(state, format!("a list named {name} exists"));
            }
            state.lists.active_mut().name = (*name).to_string();
            changed(state)
        }
        ("wl", [name]) => switch(state, name),
        ("add", syms) if !syms.is_empty() => add(state, syms),
        ("add", []) => add(state, &[state.selected.to_string().as_str()]),
        ("rm", syms) => remove(state, syms),
        ("filter", []) => {
            state.lists.filter = None;
            Vec::new()
        }
        ("filter", _) => match Filter::parse(rest) {
            Ok(f) => {
                state.lists.filter = Some(f);
                state.watch_cursor = 0;
                Vec::new()
            }
            Err(e) => fail(state, format!("filter: {e}")),
        },
        ("screen", []) => {
            state.lists.screen = None;
            changed(state)
        }
        ("screen", _) => match Filter::parse(rest) {
            Ok(f) => {
                state.flash(Level::Info, format!("screening every symbol for {f}…"), 4);
                vec![Command::Screen(f)]
            }
            Err(e) => fail(state, format!("screen: {e}")),
        },
        _ => fail(state, format!("unknown command `{cmd} {rest}`: try :help")),
    }
}

fn fail(state: &mut AppState, msg: String) -> Vec<Command> {
    state.flash(Level::Error, msg, 6);
    Vec::new()
}

/// Shows list `name`, creating it (empty) if it does not exist.
pub fn switch(state: &mut AppState, name: &str) -> Vec<Command> {
    let i = match state.lists.all.iter().position(|l| l.name == name) {
        Some(i) => i,
        None => {
            state.lists.all.push(NamedList {
                name: name.into(),
                symbols: Vec::new(),
            });
            state.flash(
                Level::Info,
                format!("new list {name}: add symbols with :add SYMBOL or a"),
                5,
            );
            state.lists.all.len() - 1
        }
    };
    state.lists.active = i;
    state.lists.screen = None;
    state.watch_cursor = 0;
    changed(state)
}

/// Cycles through the lists.
pub fn cycle(state: &mut AppState, forward: bool) -> Vec<Command> {
    let n = state.lists.all.len();
    let next = if forward {
        (state.lists.active + 1) % n
    } else {
        (state.lists.active + n - 1) % n
    };
    let name = state.lists.all[next].name.clone();
    switch(state, &name)
}

fn delete(state: &mut AppState, name: &str) -> Vec<Command> {
    if state.lists.all.len() == 1 {
        return fail(state, "the last list cannot be deleted".into());
    }
    let Some(i) = state.lists.all.iter().position(|l| l.name == name) else {
        return fail(state, format!("no list named {name}"));
    };
    state.lists.all.remove(i);
    state.lists.active = state.lists.active.min(state.lists.all.len() - 1);
    changed(state)
}

fn add(state: &mut AppState, syms: &[&str]) -> Vec<Command> {
    for text in syms {
        match Symbol::new(text) {
            Ok(s) if state.lists.active_mut().symbols.contains(&s) => {}
            Ok(s) => state.lists.active_mut().symbols.push(s),
            Err(e) => return fail(state, e.to_string()),
        }
    }
    state.lists.screen = None;
    changed(state)
}

/// Removes symbols (or the highlighted row) from the shown list.
pub fn remove(state: &mut AppState, syms: &[&str]) -> Vec<Command> {
    let targets: Vec<Symbol> = if syms.is_empty() {
        state
            .watch_rows()
            .get(state.watch_cursor)
            .map(|s| (*s).clone())
            .into_iter()
            .collect()
    } else {
        syms.iter().filter_map(|s| Symbol::new(s).ok()).collect()
    };
    state
        .lists
        .active_mut()
        .symbols
        .retain(|s| !targets.contains(s));
    changed(state)
}

/// Moves the highlighted row up or down in the user's order.
pub fn move_row(state: &mut AppState, down: bool) -> Vec<Command> {
    let Some(sym) = state
        .watch_rows()
        .get(state.watch_cursor)
        .map(|s| (*s).clone())
    else {
        return Vec::new();
    };
    let list = &mut state.lists.active_mut().symbols;
    let Some(i) = list.iter().position(|s| *s == sym) else {
        return Vec::new();
    };
    let j = if down {
        (i + 1).min(list.len() - 1)
    } else {
        i.saturating_sub(1)
    };
    list.swap(i, j);
    state.watch_sort = super::view::WatchSort::Manual;
    state.watch_cursor = j;
    changed(state)
}
