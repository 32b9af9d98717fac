//! Navigation: focus cycling, cursors in the focused pane, bottom tabs and chart view keys.

use super::action::UserAction;
use super::command::Command;
use super::state::{AppState, BottomTab, Pane};
use super::view::group_steps;
use crate::domain::{Interval, Symbol};

/// Handles the actions that move focus, cursors, tabs and the chart view.
pub fn on_nav(state: &mut AppState, a: UserAction) -> Vec<Command> {
    use UserAction as U;
    match a {
        U::FocusNext => cycle_focus(state, 1),
        U::FocusPrev => cycle_focus(state, Pane::ORDER.len() - 1),
        U::NextTab => cycle_tab(state, 1),
        U::PrevTab => cycle_tab(state, BottomTab::ALL.len() - 1),
        U::Tab1 | U::Tab2 | U::Tab3 | U::Tab4 | U::Tab5 | U::Tab6 => {
            let i = [U::Tab1, U::Tab2, U::Tab3, U::Tab4, U::Tab5, U::Tab6]
                .iter()
                .position(|t| *t == a);
            state.bottom_tab = BottomTab::ALL[i.unwrap_or(0)];
            state.bottom_cursor = 0;
        }
        U::NextInterval => return step_interval(state, 1),
        U::PrevInterval => return step_interval(state, Interval::CHART.len() - 1),
        U::ZoomIn => state.chart.zoom = (state.chart.zoom + 1).min(5),
        U::ZoomOut => state.chart.zoom = state.chart.zoom.saturating_sub(1).max(1),
        U::ChartMode => state.chart.line_mode = !state.chart.line_mode,
        U::Sort => {
            state.watch_sort = state.watch_sort.next();
            follow_selection(state);
        }
        U::Up | U::Down | U::Top | U::Bottom | U::PageUp | U::PageDown | U::Left | U::Right => {
            return move_cursor(state, a);
        }
        U::Select if state.focus == Pane::Watchlist => return select_watch_row(state),
        _ => {}
    }
    Vec::new()
}

fn cycle_focus(state: &mut AppState, step: usize) {
    let i = Pane::ORDER
        .iter()
        .position(|p| *p == state.focus)
        .unwrap_or(0);
    state.focus = Pane::ORDER[(i + step) % Pane::ORDER.len()];
}

fn cycle_tab(state: &mut AppState, step: usize) {
    let i = BottomTab::ALL
        .iter()
        .position(|t| *t == state.bottom_tab)
        .unwrap_or(0);
    state.bottom_tab = BottomTab::ALL[(i + step) % BottomTab::ALL.len()];
    state.bottom_cursor = 0;
}

fn step_interval(state: &mut AppState, step: usize) -> Vec<Command> {
    let list = Interval::CHART;
    let i = list
        .iter()
        .position(|x| *x == state.chart.interval)
        .unwrap_or(0);
    state.chart.interval = list[(i + step) % list.len()];
    state.chart.offset = 0;
    vec![Command::ChartInterval(
        state.selected.clone(),
        state.chart.interval,
    )]
}

/// New index after a cursor move in a list of `len` rows.
fn moved(index: usize, len: usize, a: UserAction) -> usize {
    use UserAction as U;
    let last = len.saturating_sub(1);
    match a {
        U::Up => index.saturating_sub(1),
        U::Down => (index + 1).min(last),
        U::PageUp => index.saturating_sub(10),
        U::PageDown => (index + 10).min(last),
        U::Top => 0,
        U::Bottom => last,
        _ => index,
    }
}

fn move_cursor(state: &mut AppState, a: UserAction) -> Vec<Command> {
    use UserAction as U;
    match state.focus {
        Pane::Watchlist => {
            let before = state.watch_cursor;
            state.watch_cursor = moved(before, state.watch_rows().len(), a);
            if state.watch_cursor != before {
                return select_watch_row(state);
            }
        }
        Pane::Book => match a {
            U::Right => step_grouping(state, true),
            U::Left => step_grouping(state, false),
            U::Up | U::Down => super::entry::move_book_cursor(state, a == U::Up),
            U::Top | U::Bottom => state.book_cursor = None,
            _ => {}
        },
        Pane::Chart => match a {
            U::Left | U::PageUp => state.chart.offset += if a == U::Left { 1 } else { 20 },
            U::Right | U::PageDown => {
                let by = if a == U::Right { 1 } else { 20 };
                state.chart.offset = state.chart.offset.saturating_sub(by);
            }
            U::Bottom => state.chart.offset = 0,
            U::Up => state.chart.zoom = (state.chart.zoom + 1).min(5),
            U::Down => state.chart.zoom = state.chart.zoom.saturating_sub(1).max(1),
            _ => {}
        },
        Pane::Bottom => {
            let len = match state.bottom_tab {
                BottomTab::Orders => state.blotter.open.len(),
                BottomTab::History => state.blotter.history.len(),
                BottomTab::Fills => state.blotter.fills.len(),
                _ => state.log.len(),
            };
            state.bottom_cursor = moved(state.bottom_cursor, len.max(1), a);
        }
        Pane::Tape | Pane::Ticket => {}
    }
    Vec::new()
}

fn select_watch_row(state: &mut AppState) -> Vec<Command> {
    match state
        .watch_rows()
        .get(state.watch_cursor)
        .map(|s| (*s).clone())
    {
        Some(sym) => select_symbol(state, sym),
        None => Vec::new(),
    }
}

/// Puts the watchlist cursor on the selected symbol (after a re-sort).
fn follow_selection(state: &mut AppState) {
    if let Some(i) = state
        .watch_rows()
        .iter()
        .position(|s| **s == state.selected)
    {
        state.watch_cursor = i;
    }
}

/// Coarser (`true`) or finer ladder grouping; finer than the finest step is no grouping.
fn step_grouping(state: &mut AppState, coarser: bool) {
    let Some(mid) = state
        .selected_market()
        .and_then(|m| m.last.or(m.book.best_bid().map(|l| l.price)))
    else {
        return;
    };
    let steps = group_steps(mid);
    let now = state
        .book_group
        .and_then(|g| steps.iter().position(|s| *s == g));
    state.book_group = match (now, coarser) {
        (None, true) => steps.first().copied(),
        (None, false) => None,
        (Some(i), true) => steps.get(i + 1).or(steps.last()).copied(),
        (Some(0), false) => None,
        (Some(i), false) => steps.get(i - 1).copied(),
    };
}

/// Makes `sym` the selected symbol (chart, book, tape, ticket follow it).
pub fn select_symbol(state: &mut AppState, sym: Symbol) -> Vec<Command> {
    if state.selected == sym {
        follow_selection(state);
        return Vec::new();
    }
    state.selected = sym.clone();
    state.book_group = None;
    follow_selection(state);
    state.chart.offset = 0;
    vec![
        Command::SelectSymbol(sym.clone()),
        Command::ChartInterval(sym, state.chart.interval),
    ]
}
