//! `update(&mut AppState, Action) -> Vec<Command>`: the only place state changes. Synchronous,
//! no I/O.

use super::action::{Action, UserAction};
use super::alerting;
use super::command::Command;
use super::damage::{self, Damage};
use super::entry;
use super::input;
use super::keymap::{Key, KeyPress};
use super::market;
use super::nav;
use super::state::{AppState, Level, Overlay};
use crate::domain::Side;
use crate::venue::MarketEvent;

/// Applies one action and returns the effects it asks for, and marks the parts of the screen
/// it changed in `state.damage`.
pub fn update(state: &mut AppState, action: Action) -> Vec<Command> {
    let mut damage = match &action {
        Action::Market(ev) => damage::of_market(state, ev),
        Action::FeedStats(_) => Damage::STATUS,
        Action::Tick(now) => damage::of_tick(state, *now),
        _ => Damage::ALL,
    };
    let decimals = |s: &AppState| s.selected_market().map(|v| (v.price_dp, v.qty_dp));
    let (before, flash) = (decimals(state), state.flash.is_some());
    let cmds = apply(state, action);
    // Wider decimals change every column of the selected symbol's panes; a fired alert shows
    // a banner and logs.
    if !cmds.is_empty() || decimals(state) != before || state.flash.is_some() != flash {
        damage = Damage::ALL;
    }
    state.damage.insert(damage);
    cmds
}

fn apply(state: &mut AppState, action: Action) -> Vec<Command> {
    match action {
        Action::Key(key) => on_key(state, key),
        Action::Paste(text) => input::on_paste(state, &text),
        Action::User(a) => on_user(state, a),
        Action::Tick(now) => {
            state.now = now;
            let counted = std::mem::take(&mut state.feed.msgs_this_s);
            if !state.feed.from_feed {
                state.feed.msgs_per_s = counted;
            }
            if state.flash.as_ref().is_some_and(|f| f.until <= now) {
                state.flash = None;
            }
            for view in state.markets.values_mut() {
                view.moved = None;
            }
            if let Some(view) = state.markets.get_mut(&state.selected)
                && let Some(series) = view.candles.get_mut(&state.chart.interval)
            {
                series.roll(now);
                series.as_slice();
            }
            super::portfolio::on_tick(state, now)
        }
        Action::Resize(w, h) => {
            state.size = (w, h);
            Vec::new()
        }
        Action::Market(MarketEvent::Trade(t)) => {
            let mut cmds = alerting::on_trade(state, &t);
            cmds.extend(market::on_market(state, MarketEvent::Trade(t)));
            cmds
        }
        Action::Market(ev) => market::on_market(state, ev),
        Action::BlotterLoaded(orders, fills) => {
            for o in orders {
                state.blotter.upsert(o);
            }
            super::portfolio::add_fills(state, &fills);
            for f in fills {
                state.blotter.add_fill(f);
            }
            Vec::new()
        }
        Action::Account(venue, snapshot) => {
            state.portfolio.accounts.insert(venue, snapshot);
            Vec::new()
        }
        Action::EquityLoaded(points) => {
            super::portfolio::curve_loaded(state, points);
            Vec::new()
        }
        Action::ListsLoaded(lists, active) => {
            if !lists.is_empty() {
                state.lists.all = lists;
                state.lists.active = active.min(state.lists.all.len() - 1);
            }
            vec![Command::WatchSymbols(state.watchlist().to_vec())]
        }
        Action::ScreenResults(text, tickers) => {
            let symbols = tickers.iter().map(|t| t.symbol.clone()).collect();
            for t in tickers {
                let symbol = t.symbol.clone();
                state.markets.entry(symbol).or_default().ticker = Some(t);
            }
            state.lists.screen = Some(super::lists::NamedList {
                name: format!("screen: {text}"),
                symbols,
            });
            state.watch_sort = super::view::WatchSort::Volume;
            state.watch_cursor = 0;
            vec![Command::WatchSymbols(state.watchlist().to_vec())]
        }
        Action::SymbolIndex(index) => {
            state.symbol_index = Some(index);
            Vec::new()
        }
        Action::AlertsLoaded(alerts, log) => alerting::loaded(state, alerts, log),
        Action::AlertSaved(alert) => alerting::saved(state, alert),
        Action::Order(order) => {
            state.blotter.upsert(*order);
            let open = state.blotter.open.len();
            state.bottom_cursor = state.bottom_cursor.min(open.saturating_sub(1));
            Vec::new()
        }
        Action::Fill(fill) => {
            if state.blotter.has_fill(&fill) {
                return Vec::new();
            }
            state.log(
                Level::Info,
                format!(
                    "filled {} {} {} @ {}",
                    fill.side, fill.qty, fill.symbol, fill.price
                ),
            );
            super::portfolio::add_fills(state, [&fill]);
            state.blotter.add_fill(fill);
            vec![Command::Bell, Command::RefreshAccount]
        }
        Action::Instruments(list) => {
            for i in list {
                let view = state.markets.entry(i.symbol.clone()).or_default();
                view.price_dp = view.price_dp.max(i.price_dp());
                view.qty_dp = view.qty_dp.max(i.qty_dp());
                state.instruments.insert(i.symbol.clone(), i);
            }
            Vec::new()
        }
        Action::FeedStats(r) => {
            let f = &mut state.feed;
            f.from_feed = true;
            f.msgs_per_s = r.msgs_per_s;
            f.latency_ms = Some(r.latency_ms);
            f.reconnects = r.reconnects;
            f.resyncs = r.resyncs;
            Vec::new()
        }
        Action::Notice(level, text) => {
            state.flash(level, text, 6);
            Vec::new()
        }
        Action::Signal(name) => {
            state.log(Level::Warn, format!("received {name}, leaving"));
            state.quit = true;
            vec![Command::Quit]
        }
    }
}

fn on_key(state: &mut AppState, key: KeyPress) -> Vec<Command> {
    // Ctrl-C always leaves, whatever has focus, so a stuck input can never trap the user.
    if key == KeyPress::ctrl('c') {
        return on_user(state, UserAction::Quit);
    }
    if input::takes_text(&state.overlay) {
        return input::on_key(state, key);
    }
    match std::mem::take(&mut state.overlay) {
        Overlay::Ticket(t) => return entry::on_ticket_key(state, *t, key),
        Overlay::Confirm(c) => return entry::on_confirm_key(state, *c, key),
        other => state.overlay = other,
    }
    if matches!(state.overlay, Overlay::Help { .. }) && key.key == Key::Esc {
        state.overlay = Overlay::None;
        return Vec::new();
    }
    match state.keymap.get(&key) {
        Some(a) => on_user(state, a),
        None => Vec::new(),
    }
}

/// Runs a user action (from the key map, the command line or a test).
pub fn on_user(state: &mut AppState, a: UserAction) -> Vec<Command> {
    use UserAction as U;
    if let Overlay::Help { scroll } = &mut state.overlay {
        match a {
            U::Down => *scroll = scroll.saturating_add(1),
            U::Up => *scroll = scroll.saturating_sub(1),
            U::PageDown => *scroll = scroll.saturating_add(10),
            U::PageUp => *scroll = scroll.saturating_sub(10),
            U::Top => *scroll = 0,
            U::Help | U::Back | U::Select => state.overlay = Overlay::None,
            U::Quit => return quit(state),
            _ => {}
        }
        return Vec::new();
    }
    match a {
        U::Quit => quit(state),
        U::Help => {
            state.overlay = Overlay::Help { scroll: 0 };
            Vec::new()
        }
        U::CommandLine => {
            state.overlay = Overlay::CommandLine(Default::default());
            Vec::new()
        }
        U::Search => {
            state.overlay = Overlay::Search {
                input: Default::default(),
                selected: 0,
            };
            Vec::new()
        }
        U::Back => {
            state.overlay = Overlay::None;
            Vec::new()
        }
        U::Redraw => vec![Command::ClearScreen],
        U::WatchAdd => super::lists::command(state, "add", ""),
        U::WatchRemove if state.focus == super::state::Pane::Watchlist => {
            super::lists::remove(state, &[])
        }
        U::MoveUp | U::MoveDown if state.focus == super::state::Pane::Watchlist => {
            super::lists::move_row(state, a == U::MoveDown)
        }
        U::NextList | U::PrevList => super::lists::cycle(state, a == U::NextList),
        U::Buy => entry::open_ticket(state, Side::Buy),
        U::Sell => entry::open_ticket(state, Side::Sell),
        U::Cancel => entry::cancel_selected(state),
        U::CancelAll => entry::cancel_all(state),
        other => nav::on_nav(state, other),
    }
}

fn quit(state: &mut AppState) -> Vec<Command> {
    state.quit = true;
    vec![Command::Quit]
}
