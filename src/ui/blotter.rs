//! The blotter tabs: open orders, order history and fills, as tables.

use super::status::clock_text;
use super::theme::Theme;
use super::widgets::empty_state;
use crate::app::AppState;
use crate::domain::{Order, OrderAmount, Side};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::widgets::{Cell, Row, Table, TableState};

fn side_style(side: Side, th: &Theme) -> Style {
    if side == Side::Buy { th.up } else { th.down }
}

fn order_row<'a>(o: &Order, s: &AppState, th: &Theme) -> Row<'a> {
    let r = &o.request;
    let qty = match r.amount {
        OrderAmount::Base(q) => q.to_string(),
        OrderAmount::Quote(q) => format!("{q} quote"),
    };
    let price = r
        .price
        .map(|p| p.to_string())
        .unwrap_or_else(|| "market".into());
    let avg = o
        .avg_price()
        .map(|a| a.round_dp(8).normalize().to_string())
        .unwrap_or_default();
    Row::new(vec![
        Cell::from(clock_text(o.created_at, s.settings.clock)),
        Cell::from(r.symbol.to_string()),
        Cell::from(r.side.as_str()).style(side_style(r.side, th)),
        Cell::from(r.order_type.as_str()),
        Cell::from(qty),
        Cell::from(price),
        Cell::from(o.filled_qty.to_string()),
        Cell::from(avg),
        Cell::from(o.status.as_str()),
        Cell::from(r.client_order_id.to_string()).style(th.muted),
    ])
}

const ORDER_HEADER: [&str; 10] = [
    "time", "symbol", "side", "type", "qty", "price", "filled", "avg", "status", "id",
];
const ORDER_WIDTHS: [Constraint; 10] = [
    Constraint::Length(8),
    Constraint::Length(10),
    Constraint::Length(4),
    Constraint::Length(10),
    Constraint::Length(12),
    Constraint::Length(12),
    Constraint::Length(12),
    Constraint::Length(12),
    Constraint::Length(16),
    Constraint::Fill(1),
];

fn table<'a>(
    rows: Vec<Row<'a>>,
    header: &[&'a str],
    widths: &[Constraint],
    th: &Theme,
) -> Table<'a> {
    Table::new(rows, widths.to_vec())
        .header(Row::new(header.to_vec()).style(th.muted))
        .row_highlight_style(th.selected)
}

fn render(f: &mut Frame, area: Rect, t: Table, cursor: usize, focused: bool) {
    let mut st = TableState::default().with_selected(focused.then_some(cursor));
    f.render_stateful_widget(t, area, &mut st);
}

/// Open orders; the highlighted row is what `c` cancels.
pub fn draw_open(f: &mut Frame, area: Rect, s: &AppState, focused: bool, th: &Theme) {
    if s.blotter.open.is_empty() {
        empty_state(
            f,
            area,
            &["No open orders. Orders you place appear here with their status as it changes."],
            th,
        );
        return;
    }
    let rows = s.blotter.open.iter().map(|o| order_row(o, s, th)).collect();
    render(
        f,
        area,
        table(rows, &ORDER_HEADER, &ORDER_WIDTHS, th),
        s.bottom_cursor,
        focused,
    );
}

/// Finished orders, newest first.
pub fn draw_history(f: &mut Frame, area: Rect, s: &AppState, focused: bool, th: &Theme) {
    if s.blotter.history.is_empty() {
        empty_state(
            f,
            area,
            &["No finished orders yet. Filled, cancelled and rejected orders are kept here."],
            th,
        );
        return;
    }
    let rows = s
        .blotter
        .history
        .iter()
        .map(|o| order_row(o, s, th))
        .collect();
    render(
        f,
        area,
        table(rows, &ORDER_HEADER, &ORDER_WIDTHS, th),
        s.bottom_cursor,
        focused,
    );
}

/// Fills, newest first.
pub fn draw_fills(f: &mut Frame, area: Rect, s: &AppState, focused: bool, th: &Theme) {
    if s.blotter.fills.is_empty() {
        empty_state(
            f,
            area,
            &["No fills yet. Executions of your orders are listed here."],
            th,
        );
        return;
    }
    let rows = s
        .blotter
        .fills
        .iter()
        .map(|x| {
            Row::new(vec![
                Cell::from(clock_text(x.time, s.settings.clock)),
                Cell::from(x.symbol.to_string()),
                Cell::from(x.side.as_str()).style(side_style(x.side, th)),
                Cell::from(x.qty.to_string()),
                Cell::from(x.price.to_string()),
                Cell::from(format!("{} {}", x.fee.normalize(), x.fee_asset)),
                Cell::from(if x.is_maker { "maker" } else { "taker" }),
                Cell::from(x.venue.as_str()),
                Cell::from(x.client_order_id.to_string()).style(th.muted),
            ])
        })
        .collect();
    let header = [
        "time", "symbol", "side", "qty", "price", "fee", "role", "venue", "order",
    ];
    let widths = [8, 10, 4, 12, 12, 16, 5, 7].map(Constraint::Length);
    let mut widths = widths.to_vec();
    widths.push(Constraint::Fill(1));
    render(
        f,
        area,
        table(rows, &header, &widths, th),
        s.bottom_cursor,
        focused,
    );
}
