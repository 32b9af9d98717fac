//! The watchlist pane: symbol, last price (briefly highlighted when it moves), 24 h change,
//! and on wider screens 24 h quote volume and a sparkline; the highlighted row is selected.

use super::border::PaneBorder;
use super::rows_memo::RowsMemo;
use super::theme::Theme;
use super::widgets::{compact_decimal, right, sparkline};
use crate::app::state::MarketView;
use crate::app::{AppState, Pane, PriceMove};
use crate::domain::Symbol;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use rust_decimal::Decimal;

/// Column widths: (symbol, last, change, volume, sparkline), 0 for a column left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cols {
    sym: usize,
    last: usize,
    chg: usize,
    vol: usize,
    spark: usize,
}

/// Fits the columns into `w` cells: symbol and last price always, then the change, the
/// volume and a sparkline as room allows.
fn columns(w: usize, sym: usize, last: usize) -> Cols {
    let sym = sym.min(w);
    let mut last = last.min(w - sym);
    let mut rest = w - sym - last;
    let chg = if rest >= 8 { 8 } else { 0 };
    rest -= chg;
    let vol = if chg > 0 && rest >= 7 { 7 } else { 0 };
    rest -= vol;
    let spark = if vol > 0 && rest >= 5 {
        (rest - 1).min(24)
    } else {
        0
    };
    rest -= if spark > 0 { spark + 1 } else { 0 };
    last += rest;
    Cols {
        sym,
        last,
        chg,
        vol,
        spark,
    }
}

fn change(view: Option<&MarketView>, th: &Theme) -> (String, Style) {
    match view.and_then(|v| v.ticker.as_ref()).map(|t| t.change_pct) {
        Some(c) if c > Decimal::ZERO => (format!("+{c:.2}%"), th.up),
        Some(c) if c < Decimal::ZERO => (format!("{c:.2}%"), th.down),
        Some(c) => (format!("{c:.2}%"), th.text),
        None => (String::new(), th.muted),
    }
}

/// The last price as shown.
fn last_text(view: Option<&MarketView>) -> String {
    view.and_then(|v| v.last.map(|p| p.fmt_dp(v.price_dp)))
        .unwrap_or_else(|| "—".into())
}

fn row(sym: &Symbol, view: Option<&MarketView>, c: Cols, th: &Theme) -> Line<'static> {
    let Cols {
        sym: sym_w,
        last: last_w,
        chg: chg_w,
        vol: vol_w,
        spark: spark_w,
    } = c;
    let last = last_text(view);
    let last_style = match view.and_then(|v| v.moved) {
        Some(PriceMove::Up) => th.up.patch(th.flash_up),
        Some(PriceMove::Down) => th.down.patch(th.flash_down),
        None => th.text,
    };
    let (chg, chg_style) = change(view, th);
    let mut spans = vec![
        Span::styled(
            format!("{:<sym_w$}", truncate(sym.as_str(), sym_w)),
            th.text,
        ),
        right(last, last_w, last_style),
    ];
    if chg_w > 0 {
        spans.push(right(chg, chg_w, chg_style));
    }
    if vol_w > 0 {
        let vol = view
            .and_then(|v| v.ticker.as_ref())
            .map(|t| compact_decimal(t.quote_volume));
        spans.push(right(vol.unwrap_or_default(), vol_w, th.muted));
    }
    if spark_w > 0 {
        let points: Vec<_> = view
            .map(|v| v.spark.iter().copied().collect())
            .unwrap_or_default();
        spans.push(Span::raw(" "));
        spans.push(Span::styled(sparkline(&points, spark_w), th.accent));
    }
    Line::from(spans)
}

/// Draws the whole watchlist.
pub fn draw(f: &mut Frame, area: Rect, s: &AppState, th: &Theme) {
    redraw(f, area, s, th, &mut RowsMemo::default());
}

/// Draws the watchlist, only its changed rows if `memo` holds the rest; returns the areas
/// drawn (see [`RowsMemo::draw`]).
pub fn redraw(
    f: &mut Frame,
    area: Rect,
    s: &AppState,
    th: &Theme,
    memo: &mut RowsMemo,
) -> Vec<Rect> {
    let mut title = format!(" {}", s.lists.shown().name);
    for part in [
        s.watch_sort.label().to_string(),
        s.lists
            .filter
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
    ] {
        if !part.is_empty() {
            title.push_str(&format!(" · {part}"));
        }
    }
    title.push(' ');
    let border = PaneBorder::new(title, s.focus == Pane::Watchlist, th);
    let inner = border.inner(area);
    let rows = inner.height as usize;
    let first = s.watch_cursor.saturating_sub(rows.saturating_sub(1));
    let list = s.watch_rows();
    let sym_w = list
        .iter()
        .map(|x| x.as_str().len())
        .max()
        .unwrap_or(8)
        .min(10);
    let last_w = list
        .iter()
        .map(|x| last_text(s.markets.get(*x)).chars().count())
        .max()
        .unwrap_or(1)
        + 1;
    let cols = columns(inner.width as usize, sym_w, last_w);
    if list.is_empty() {
        let hint = if s.lists.filter.is_some() {
            "Nothing passes the filter. :filter alone clears it."
        } else {
            "This list is empty. Add symbols with :add SYMBOL, or / to search and a to add."
        };
        memo.forget();
        border.draw_fresh(f.buffer_mut(), area);
        super::widgets::empty_state(f, inner, &[hint], th);
        return vec![area];
    }
    let lines: Vec<Line> = list
        .into_iter()
        .enumerate()
        .skip(first)
        .take(rows)
        .map(|(i, sym)| {
            let line = row(sym, s.markets.get(sym), cols, th);
            if i == s.watch_cursor {
                line.style(th.selected)
            } else {
                line
            }
        })
        .collect();
    memo.draw(f.buffer_mut(), area, border, lines)
}

/// Cuts `s` to at most `n` characters.
pub fn truncate(s: &str, n: usize) -> &str {
    s.char_indices().nth(n).map_or(s, |(i, _)| &s[..i])
}
