//! The order ticket: the docked pane (a hint while closed), the ticket popup with inline
//! validation and a preview, and the y/N confirmation.

use super::border::PaneBorder;
use super::help::centered;
use super::theme::Theme;
use super::widgets::empty_state;
use crate::app::entry::{describe, quote};
use crate::app::state::{Confirm, ConfirmKind};
use crate::app::ticket::{Field, Ticket, estimated_fee, far_from_last, validate};
use crate::app::{AppState, Pane, UserAction};
use crate::domain::Side;
use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

/// Draws the docked ticket pane (a hint how to open the ticket).
pub fn draw(f: &mut Frame, area: Rect, s: &AppState, th: &Theme) {
    let block = PaneBorder::new(" Ticket ", s.focus == Pane::Ticket, th);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let key = |a| {
        s.keymap
            .key_for(a)
            .map_or_else(|| "?".to_string(), |k| k.to_string())
    };
    let hint = format!(
        "{} buy · {} sell {}",
        key(UserAction::Buy),
        key(UserAction::Sell),
        s.selected
    );
    empty_state(f, inner, &[&hint], th);
}

fn label(field: Field) -> &'static str {
    match field {
        Field::Side => "Side",
        Field::Type => "Type",
        Field::Qty => "Quantity",
        Field::Price => "Price",
        Field::Stop => "Stop",
        Field::Tif => "Time in force",
    }
}

fn value(t: &Ticket, field: Field, base: &str, quote: &str) -> String {
    match field {
        Field::Side => format!("◀ {} ▶", t.side.as_str().to_uppercase()),
        Field::Type => format!("◀ {} ▶", t.order_type.as_str().replace('_', "-")),
        Field::Qty => {
            let unit = if t.quote_amount { quote } else { base };
            let toggle = if t.order_type == crate::domain::OrderType::Market {
                " (space: unit)"
            } else {
                ""
            };
            format!("{} {unit}{toggle}", t.qty.text)
        }
        Field::Price => format!("{} {quote}", t.price.text),
        Field::Stop => format!("{} {quote}", t.stop.text),
        Field::Tif => format!("◀ {} ▶", t.tif.as_str().to_uppercase()),
    }
}

/// The ticket popup; returns where the text cursor goes (in a text field).
pub fn draw_ticket(
    f: &mut Frame,
    area: Rect,
    s: &AppState,
    t: &Ticket,
    th: &Theme,
) -> Option<Position> {
    let inst = s.instruments.get(&t.symbol);
    let (base, quote_asset) = inst.map_or(("", ""), |i| (i.base.as_str(), i.quote.as_str()));
    let q = quote(s);
    let checked = validate(t, inst, q, &s.rules);
    let popup = centered(area, 66, 16);
    f.render_widget(Clear, popup);
    let side_style = if t.side == Side::Buy { th.up } else { th.down };
    let mode = super::status::badge(s, th);
    let title = Line::from(vec![
        Span::styled(
            format!(" {} {} ", t.side.as_str().to_uppercase(), t.symbol),
            side_style,
        ),
        Span::styled(format!("· {} ", t.venue), th.muted),
        mode,
        Span::raw(" "),
    ]);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_set(th.borders)
        .border_style(side_style)
        .title(title);
    let inner = block.inner(popup);
    f.render_widget(block, popup);
    let mut lines = Vec::new();
    let mut cursor = None;
    for (row, field) in t.fields().into_iter().enumerate() {
        let focused = field == t.field;
        let style = if focused { th.selected } else { th.text };
        let text = value(t, field, base, quote_asset);
        lines.push(Line::from(vec![
            Span::styled(format!(" {:<14}", label(field)), th.muted),
            Span::styled(text, style),
        ]));
        let input = match field {
            Field::Qty => Some(&t.qty),
            Field::Price => Some(&t.price),
            Field::Stop => Some(&t.stop),
            _ => None,
        };
        if focused && let Some(input) = input {
            cursor = Some(Position::new(
                inner.x + 15 + input.cursor as u16,
                inner.y + row as u16,
            ));
        }
    }
    lines.push(Line::from(""));
    lines.extend(status_lines(s, t, &checked, quote_asset, th));
    lines.push(Line::from(Span::styled(
        " tab next field · ↑↓ step · ←→ choose · enter send · esc close",
        th.muted,
    )));
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
    cursor
}

/// The preview (value, fee, distance from last) or the problems to fix.
fn status_lines(
    s: &AppState,
    _t: &Ticket,
    checked: &Result<crate::orders::OrderDraft, Vec<crate::app::ticket::Problem>>,
    quote_asset: &str,
    th: &Theme,
) -> Vec<Line<'static>> {
    match checked {
        Ok(d) => {
            let mut text = match d.notional() {
                Some(n) => format!(" ≈ {} {quote_asset}", n.round_dp(8).normalize()),
                None => " value unknown until the book arrives".to_string(),
            };
            if let Some(fee) = estimated_fee(d, &s.rules) {
                text.push_str(&format!(" · fee ≈ {fee} {quote_asset}"));
            }
            let mut out = vec![Line::from(Span::styled(text, th.text))];
            if let Some(pct) = far_from_last(d, quote(s), s.rules.far_price_pct) {
                out.push(Line::from(Span::styled(
                    format!(" price is {pct}% from the last trade"),
                    th.warn,
                )));
            }
            out.push(Line::from(Span::styled(
                format!(" ready: {}", describe(d)),
                th.up,
            )));
            out
        }
        Err(problems) => problems
            .iter()
            .map(|p| Line::from(Span::styled(format!(" ✗ {}", p.message), th.warn)))
            .collect(),
    }
}

/// The y/N question before sending.
pub fn draw_confirm(f: &mut Frame, area: Rect, s: &AppState, c: &Confirm, th: &Theme) {
    let popup = centered(area, 60, 8);
    f.render_widget(Clear, popup);
    let title = match c.kind {
        ConfirmKind::Live => Span::styled(" Send this LIVE order? ", th.live),
        ConfirmKind::FarPrice(_) => Span::styled(" Price far from the market ", th.warn),
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_set(th.borders)
        .border_style(th.error)
        .title(title);
    let inner = block.inner(popup);
    f.render_widget(block, popup);
    let quote_asset = s
        .instruments
        .get(&c.draft.symbol)
        .map_or("", |i| i.quote.as_str());
    let value = c.draft.notional().map_or_else(
        || "unknown".into(),
        |n| format!("{} {quote_asset}", n.round_dp(2).normalize()),
    );
    let mut lines = vec![
        Line::from(Span::styled(
            format!(" {}", describe(&c.draft).to_uppercase()),
            th.accent,
        )),
        Line::from(Span::styled(
            format!(" value ≈ {value} on {}", c.draft.venue),
            th.text,
        )),
    ];
    if let ConfirmKind::FarPrice(pct) = c.kind {
        let last = quote(s).last.map(|p| p.to_string()).unwrap_or_default();
        lines.push(Line::from(Span::styled(
            format!(" the price is {pct}% away from the last trade {last}"),
            th.warn,
        )));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        " y send · any other key: back to the ticket",
        th.muted,
    )));
    f.render_widget(Paragraph::new(lines), inner);
}
