//! The positions tab: holdings with average cost and P&L, cash, totals, and the equity curve.

use super::theme::Theme;
use super::widgets::empty_state;
use crate::app::AppState;
use crate::app::portfolio::view;
use crate::portfolio::{Agreement, PortfolioView, PositionRow};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Cell, Chart, Dataset, GraphType, Paragraph, Row, Table};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// Money with two decimals (quote units).
fn money(d: Decimal) -> String {
    format!("{:.2}", d.round_dp(2))
}

fn signed(d: Decimal, th: &Theme) -> Span<'static> {
    let style = if d > Decimal::ZERO {
        th.up
    } else if d < Decimal::ZERO {
        th.down
    } else {
        th.text
    };
    let sign = if d > Decimal::ZERO { "+" } else { "" };
    Span::styled(format!("{sign}{}", money(d)), style)
}

fn row(r: &PositionRow, th: &Theme) -> Row<'static> {
    let h = &r.holding;
    let opt = |d: Option<Decimal>| d.map(money).unwrap_or_else(|| "—".into());
    let flag = match &h.agreement {
        Agreement::Matched | Agreement::LocalOnly => String::new(),
        Agreement::BrokerOnly => "broker only".into(),
        Agreement::Mismatch { local, .. } => format!("local {}", local.normalize()),
    };
    let pnl = |d: Option<Decimal>| d.map_or_else(|| Cell::from("—"), |d| Cell::from(signed(d, th)));
    Row::new(vec![
        Cell::from(h.symbol.to_string()),
        Cell::from(h.qty.normalize().to_string()),
        Cell::from(opt(h.avg_cost())),
        Cell::from(opt(r.mark)),
        Cell::from(opt(r.market_value)),
        pnl(r.unrealized),
        pnl(Some(h.realized - h.fees)),
        Cell::from(
            r.allocation_pct
                .map(|a| format!("{}%", a.round_dp(1)))
                .unwrap_or_default(),
        ),
        Cell::from(flag).style(th.warn),
    ])
}

fn totals_line(v: &PortfolioView, th: &Theme) -> Line<'static> {
    let t = &v.totals;
    let mut spans = vec![
        Span::styled(
            format!(" Equity {} {}", money(t.equity), t.currency),
            th.accent,
        ),
        Span::styled(
            format!(
                " · cash {} · positions {} · unrealized ",
                money(t.cash),
                money(t.market_value)
            ),
            th.text,
        ),
        signed(t.unrealized, th),
        Span::styled(" · realized ", th.text),
        signed(t.net_realized(), th),
        Span::styled(
            format!(" (fees {}) · average cost", money(t.fees)),
            th.muted,
        ),
    ];
    if !t.unpriced.is_empty() {
        spans.push(Span::styled(
            format!(" · not valued: {}", t.unpriced.join(", ")),
            th.warn,
        ));
    }
    Line::from(spans)
}

fn curve(f: &mut Frame, area: Rect, s: &AppState, th: &Theme) {
    let points: Vec<(f64, f64)> = s
        .portfolio
        .curve
        .iter()
        .enumerate()
        .filter_map(|(i, p)| Some((i as f64, p.equity.to_f64()?)))
        .collect();
    if points.len() < 2 {
        empty_state(
            f,
            area,
            &["The equity curve grows a point a minute while speedtrade runs."],
            th,
        );
        return;
    }
    let (lo, hi) = points.iter().fold((f64::MAX, f64::MIN), |(l, h), (_, y)| {
        (l.min(*y), h.max(*y))
    });
    let pad = ((hi - lo) * 0.05).max(0.01);
    let data = [Dataset::default()
        .marker(Marker::Braille)
        .graph_type(GraphType::Line)
        .style(th.accent)
        .data(&points)];
    let labels = [format!("{:.2}", lo - pad), format!("{:.2}", hi + pad)];
    let chart = Chart::new(data.to_vec())
        .x_axis(Axis::default().bounds([0.0, (points.len() - 1) as f64]))
        .y_axis(
            Axis::default()
                .bounds([lo - pad, hi + pad])
                .labels(labels)
                .style(th.muted),
        );
    f.render_widget(chart, area);
}

/// Draws the positions tab.
pub fn draw(f: &mut Frame, area: Rect, s: &AppState, th: &Theme) {
    let v = view(s);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(70), Constraint::Percentage(30)]).areas(area);
    curve(f, right, s, th);
    let [table, cash, totals] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(left);
    let rows: Vec<Row> = v
        .rows
        .iter()
        .filter(|r| !r.holding.qty.is_zero() || !r.holding.realized.is_zero())
        .map(|r| row(r, th))
        .collect();
    if rows.is_empty() {
        empty_state(
            f,
            table,
            &["No positions yet. Fills of your orders build them here (average cost)."],
            th,
        );
    } else {
        let header = Row::new([
            "symbol",
            "qty",
            "avg cost",
            "mark",
            "value",
            "unrealized",
            "realized",
            "alloc",
            "",
        ])
        .style(th.muted);
        let widths = [10, 12, 11, 11, 11, 11, 10, 7, 12].map(Constraint::Length);
        f.render_widget(Table::new(rows, widths).header(header), table);
    }
    let cash_text: Vec<String> = v
        .cash
        .iter()
        .map(|c| {
            format!(
                "{} {} ({})",
                money(c.line.amount),
                c.line.asset,
                c.line.venue
            )
        })
        .collect();
    let cash_line = if cash_text.is_empty() {
        " cash: waiting for the broker".to_string()
    } else {
        format!(" cash: {}", cash_text.join(" · "))
    };
    f.render_widget(
        Paragraph::new(Span::styled(cash_line, Style::default().patch(th.text))),
        cash,
    );
    f.render_widget(Paragraph::new(totals_line(&v, th)), totals);
}
