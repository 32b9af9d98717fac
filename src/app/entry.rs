//! Order entry in `update`: opening the ticket (prefilled from the ladder), its keys, the
//! y/N confirmations, and cancel / cancel-all.

use super::command::Command;
use super::keymap::{Key, KeyPress};
use super::state::{AppState, BottomTab, Confirm, ConfirmKind, Level, Overlay, Pane};
use super::ticket::{Quote, Ticket, far_from_last, validate};
use super::view::group_levels;
use crate::domain::{Level as BookLevel, Price, Side};
use crate::orders::OrderDraft;

/// The ladder rows as drawn: (bids, asks), grouped when grouping is on.
pub fn ladder_rows(state: &AppState) -> (Vec<BookLevel>, Vec<BookLevel>) {
    let Some(view) = state.selected_market() else {
        return (Vec::new(), Vec::new());
    };
    match state.book_group {
        Some(step) => (
            group_levels(&view.book.bids, step, true),
            group_levels(&view.book.asks, step, false),
        ),
        None => (view.book.bids.clone(), view.book.asks.clone()),
    }
}

/// The price of the highlighted ladder row.
pub fn cursor_price(state: &AppState) -> Option<Price> {
    let k = state.book_cursor?;
    let (bids, asks) = ladder_rows(state);
    let level = if k >= 0 {
        bids.get(k as usize)
    } else {
        asks.get((-k - 1) as usize)
    };
    level.map(|l| l.price)
}

/// Moves the ladder cursor up (towards and through the asks) or down.
pub fn move_book_cursor(state: &mut AppState, up: bool) {
    let (bids, asks) = ladder_rows(state);
    let (lo, hi) = (-(asks.len() as i32), bids.len() as i32 - 1);
    state.book_cursor = Some(match (state.book_cursor, up) {
        (None, true) => -1,
        (None, false) => 0,
        (Some(k), true) => (k - 1).max(lo),
        (Some(k), false) => (k + 1).min(hi),
    });
}

/// The market around the selected symbol, for validation and stepping.
pub fn quote(state: &AppState) -> Quote {
    state
        .selected_market()
        .map_or_else(Quote::default, |m| Quote {
            last: m.last,
            bid: m.book.best_bid().map(|l| l.price),
            ask: m.book.best_ask().map(|l| l.price),
        })
}

/// `b` / `s`: opens a ticket for the selected symbol; from the ladder, the highlighted level
/// is the price.
pub fn open_ticket(state: &mut AppState, side: Side) -> Vec<Command> {
    let price = if state.focus == Pane::Book {
        cursor_price(state)
    } else {
        None
    };
    let dp = state.selected_market().map_or(2, |m| m.price_dp);
    let dp = state
        .instruments
        .get(&state.selected)
        .map_or(dp, |i| i.price_dp());
    let ticket = Ticket::new(
        state.selected.clone(),
        state.broker,
        side,
        price,
        state.default_tif,
        dp,
    );
    state.overlay = Overlay::Ticket(Box::new(ticket));
    Vec::new()
}

/// A key while the ticket is open.
pub fn on_ticket_key(state: &mut AppState, mut ticket: Ticket, key: KeyPress) -> Vec<Command> {
    let inst = state.instruments.get(&ticket.symbol).cloned();
    let q = quote(state);
    let dp = state
        .selected_market()
        .map_or((2, 4), |m| (m.price_dp, m.qty_dp));
    match key.key {
        Key::Esc => return Vec::new(),
        Key::Enter => return submit(state, ticket),
        Key::Tab => ticket.move_field(true),
        Key::BackTab => ticket.move_field(false),
        Key::Up | Key::Down if ticket.input_mut().is_some() => {
            ticket.step(key.key == Key::Up, inst.as_ref(), q, dp)
        }
        Key::Up => ticket.move_field(false),
        Key::Down => ticket.move_field(true),
        Key::Left | Key::Right if ticket.input_mut().is_none() => {
            ticket.cycle(key.key == Key::Right)
        }
        Key::Char(' ') => ticket.cycle(true),
        Key::Char(c) if ticket.input_mut().is_none() => match c {
            'b' => ticket.side = Side::Buy,
            's' => ticket.side = Side::Sell,
            _ => {}
        },
        _ => {
            if let Some(input) = ticket.input_mut() {
                let numeric = matches!(key.key, Key::Char(c) if c.is_ascii_digit() || c == '.');
                if numeric || !matches!(key.key, Key::Char(_)) || key.ctrl {
                    super::input::edit(input, key);
                }
            }
        }
    }
    state.overlay = Overlay::Ticket(Box::new(ticket));
    Vec::new()
}

/// Enter on the ticket: validate, then confirm (live), confirm a far price, or send.
fn submit(state: &mut AppState, ticket: Ticket) -> Vec<Command> {
    let inst = state.instruments.get(&ticket.symbol).cloned();
    match validate(&ticket, inst.as_ref(), quote(state), &state.rules) {
        Err(problems) => {
            if let Some(p) = problems.first() {
                state.flash(Level::Warn, p.message.clone(), 5);
            }
            state.overlay = Overlay::Ticket(Box::new(ticket));
            Vec::new()
        }
        Ok(draft) if state.is_live() && state.rules.confirm_live => {
            state.overlay = Overlay::Confirm(Box::new(Confirm {
                kind: ConfirmKind::Live,
                draft,
                ticket,
            }));
            Vec::new()
        }
        Ok(draft) => after_live_check(state, draft, ticket),
    }
}

/// The far-price question (live orders only; paper shows it in the preview), then send.
fn after_live_check(state: &mut AppState, draft: OrderDraft, ticket: Ticket) -> Vec<Command> {
    if state.is_live()
        && let Some(pct) = far_from_last(&draft, quote(state), state.rules.far_price_pct)
    {
        state.overlay = Overlay::Confirm(Box::new(Confirm {
            kind: ConfirmKind::FarPrice(pct),
            draft,
            ticket,
        }));
        return Vec::new();
    }
    send(state, draft)
}

fn send(state: &mut AppState, draft: OrderDraft) -> Vec<Command> {
    state.overlay = Overlay::None;
    state.bottom_tab = BottomTab::Orders;
    state.log(Level::Info, format!("sending {}", describe(&draft)));
    vec![Command::PlaceOrder(draft)]
}

/// `buy 0.01 BTCUSDT limit @ 90000.00`.
pub fn describe(d: &OrderDraft) -> String {
    let amount = match d.amount {
        crate::domain::OrderAmount::Base(q) => q.to_string(),
        crate::domain::OrderAmount::Quote(q) => format!("{q} (quote)"),
    };
    let price = d.price.map(|p| format!(" @ {p}")).unwrap_or_default();
    let stop = d
        .stop_price
        .map(|p| format!(" stop {p}"))
        .unwrap_or_default();
    format!(
        "{} {amount} {} {}{price}{stop}",
        d.side, d.symbol, d.order_type
    )
}

/// `y` sends (or asks the next question), anything else returns to the ticket.
pub fn on_confirm_key(state: &mut AppState, confirm: Confirm, key: KeyPress) -> Vec<Command> {
    if matches!(key.key, Key::Char('y') | Key::Char('Y')) {
        return match confirm.kind {
            ConfirmKind::Live => after_live_check(state, confirm.draft, confirm.ticket),
            ConfirmKind::FarPrice(_) => send(state, confirm.draft),
        };
    }
    state.flash(Level::Info, "not sent", 3);
    state.overlay = Overlay::Ticket(Box::new(confirm.ticket));
    Vec::new()
}

/// `c`: cancels the highlighted open order (orders tab).
pub fn cancel_selected(state: &mut AppState) -> Vec<Command> {
    if state.bottom_tab != BottomTab::Orders {
        state.flash(
            Level::Warn,
            "pick an order in the Orders tab (1) to cancel it",
            4,
        );
        return Vec::new();
    }
    let Some(o) = state.blotter.open_at(state.bottom_cursor) else {
        state.flash(Level::Warn, "no open order to cancel", 3);
        return Vec::new();
    };
    let r = &o.request;
    let cmd = Command::CancelOrder {
        venue: r.venue,
        symbol: r.symbol.clone(),
        id: r.client_order_id.clone(),
    };
    state.log(Level::Info, format!("cancelling {}", r.client_order_id));
    vec![cmd]
}

/// `C`: cancels every open order for the selected symbol.
pub fn cancel_all(state: &mut AppState) -> Vec<Command> {
    let n = state
        .blotter
        .open
        .iter()
        .filter(|o| o.request.symbol == state.selected)
        .count();
    if n == 0 {
        state.flash(
            Level::Info,
            format!("no open orders for {}", state.selected),
            3,
        );
        return Vec::new();
    }
    state.log(
        Level::Info,
        format!("cancelling {n} open orders for {}", state.selected),
    );
    vec![Command::CancelAll {
        venue: state.broker,
        symbol: state.selected.clone(),
    }]
}
