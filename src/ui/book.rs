//! The order-book ladder: asks above, bids below, spread and mid between, with the running
//! size (or each level's notional) and cumulative depth bars; levels optionally grouped by a
//! price step.

use super::border::PaneBorder;
use super::rows_memo::RowsMemo;
use super::theme::Theme;
use super::widgets::{compact_decimal, right, waiting_state};
use crate::app::view::group_levels;
use crate::app::{AppState, Pane};
use crate::config::BookTotal;
use crate::domain::{BookTop, Level, Qty};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use rust_decimal::Decimal;
use std::borrow::Cow;

/// A bar of `frac` (0..=1) of `width` cells in eighth-cell steps.
pub fn bar(frac: f64, width: usize) -> String {
    const EIGHTHS: [char; 8] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
    let eighths = (frac.clamp(0.0, 1.0) * width as f64 * 8.0).round() as usize;
    let mut s = "█".repeat(eighths / 8);
    if !eighths.is_multiple_of(8) {
        s.push(EIGHTHS[eighths % 8]);
    }
    s
}

/// The full scale of the depth bars: the deepest total rounded up to a step of about a quarter
/// (1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10ⁿ), so the bars keep their scale while the book
/// ticks and only the rows whose totals moved are sent to the terminal again.
pub fn bar_scale(max: Qty) -> Qty {
    const STEPS: [i64; 10] = [100, 125, 150, 200, 250, 300, 400, 500, 600, 800];
    let units = max.units();
    if units <= 0 {
        return max;
    }
    let mut decade: i64 = 1;
    while decade <= i64::MAX / 1000 {
        for step in STEPS {
            let scale = step * decade / 100;
            if scale >= units {
                return Qty::from_units(scale.max(1));
            }
        }
        decade *= 10;
    }
    max
}

/// Levels with their running total, best first.
fn cumulative(levels: &[Level], n: usize) -> Vec<(Level, Qty)> {
    let mut total = Qty::ZERO;
    levels
        .iter()
        .take(n)
        .map(|l| {
            total = total.saturating_add(l.qty);
            (*l, total)
        })
        .collect()
}

struct Cols {
    price: usize,
    size: usize,
    total: usize,
    bar: usize,
}

fn cols(w: usize, third: BookTotal) -> Cols {
    let price = (w * 2 / 5).max(8).min(w);
    let size = ((w - price) / 2).min(10);
    let total = match third {
        BookTotal::Sum if w >= 34 => 10,
        BookTotal::Notional if w >= 32 => 8,
        _ => 0,
    };
    let bar = w.saturating_sub(price + size + total + 1);
    Cols {
        price,
        size,
        total,
        bar,
    }
}

/// How one ladder row looks.
struct RowStyle {
    side: Style,
    bar: Style,
    price_dp: u32,
    qty_dp: u32,
    third: BookTotal,
}

/// The third column of a level: its notional in 4 significant characters, or the running size.
fn third_text(l: &Level, total: Qty, st: &RowStyle) -> String {
    match st.third {
        BookTotal::Notional => compact_decimal(l.price.to_decimal() * l.qty.to_decimal()),
        _ => total.fmt_dp(st.qty_dp),
    }
}

fn level_line(
    l: &Level,
    total: Qty,
    max: Qty,
    c: &Cols,
    st: &RowStyle,
    th: &Theme,
) -> Line<'static> {
    let mut spans = vec![
        right(l.price.fmt_dp(st.price_dp), c.price, st.side),
        right(l.qty.fmt_dp(st.qty_dp), c.size, th.text),
    ];
    if c.total > 0 {
        spans.push(right(third_text(l, total, st), c.total, th.muted));
    }
    if c.bar > 0 {
        let frac = if max.is_zero() {
            0.0
        } else {
            total.to_f64_lossy() / max.to_f64_lossy()
        };
        spans.push(Span::raw(" "));
        spans.push(Span::styled(bar(frac, c.bar), st.bar));
    }
    Line::from(spans)
}

fn middle_line(book: &BookTop, w: usize, th: &Theme) -> Line<'static> {
    let (Some(bid), Some(ask)) = (book.best_bid(), book.best_ask()) else {
        return Line::from(right("one-sided book".into(), w, th.muted));
    };
    let spread = ask.price.saturating_sub(bid.price);
    let mid = (bid.price.to_decimal() + ask.price.to_decimal()) / Decimal::TWO;
    let bps = if mid.is_zero() {
        Decimal::ZERO
    } else {
        spread.to_decimal() * Decimal::from(10_000) / mid
    };
    let mid = mid.normalize();
    let options = [
        format!("spread {spread} ({bps:.2}bp) · mid {mid}"),
        format!("spread {spread} · mid {mid}"),
        format!("spread {spread}"),
    ];
    let text = options
        .iter()
        .find(|t| t.chars().count() <= w)
        .unwrap_or(&options[2]);
    Line::from(Span::styled(format!("{text:^w$}"), th.muted))
}

/// Draws the whole ladder for the selected symbol.
pub fn draw(f: &mut Frame, area: Rect, s: &AppState, th: &Theme) {
    redraw(f, area, s, th, &mut RowsMemo::default());
}

/// Draws the ladder, only its changed rows if `memo` holds the rest; returns the areas drawn
/// (see [`RowsMemo::draw`]).
pub fn redraw(
    f: &mut Frame,
    area: Rect,
    s: &AppState,
    th: &Theme,
    memo: &mut RowsMemo,
) -> Vec<Rect> {
    let view = s.selected_market();
    let book = view.map(|m| &m.book);
    let stale = book.is_some_and(|b| b.stale);
    let group = s
        .book_group
        .map(|g| format!(" · step {g}"))
        .unwrap_or_default();
    let title = format!(
        " Book {}{group}{} ",
        s.selected,
        if stale { " · STALE" } else { "" }
    );
    let border = PaneBorder::new(title, s.focus == Pane::Book, th);
    let inner = border.inner(area);
    let Some(book) = book.filter(|b| !b.bids.is_empty() || !b.asks.is_empty()) else {
        memo.forget();
        border.draw_fresh(f.buffer_mut(), area);
        let msg = format!("Waiting for the {} order book…", s.selected);
        waiting_state(f, inner, s, &[&msg], th);
        return vec![area];
    };
    let (bids, asks): (Cow<[Level]>, Cow<[Level]>) = match s.book_group {
        Some(step) => (
            group_levels(&book.bids, step, true).into(),
            group_levels(&book.asks, step, false).into(),
        ),
        None => (book.bids.as_slice().into(), book.asks.as_slice().into()),
    };
    let w = inner.width as usize;
    let c = cols(w, s.settings.book_total);
    let half = (inner.height as usize).saturating_sub(1) / 2;
    let n = half.min(s.settings.book_levels as usize);
    let (asks, bids) = (cumulative(&asks, n), cumulative(&bids, n));
    let max = asks
        .last()
        .map(|x| x.1)
        .max(bids.last().map(|x| x.1))
        .unwrap_or(Qty::ZERO);
    let max = bar_scale(max);
    let mut lines: Vec<Line> = vec![Line::from(""); half.saturating_sub(asks.len())];
    let (price_dp, qty_dp) = view.map_or((2, 4), |v| (v.price_dp, v.qty_dp));
    let ask_style = RowStyle {
        side: if stale { th.muted } else { th.down },
        bar: th.ask_bar,
        price_dp,
        qty_dp,
        third: s.settings.book_total,
    };
    let bid_style = RowStyle {
        side: if stale { th.muted } else { th.up },
        bar: th.bid_bar,
        price_dp,
        qty_dp,
        third: s.settings.book_total,
    };
    let cursor = s.book_cursor.filter(|_| s.focus == Pane::Book);
    let mark = |line: Line<'static>, k: i32| {
        if cursor == Some(k) {
            line.style(th.selected)
        } else {
            line
        }
    };
    for (i, (l, t)) in asks.iter().enumerate().rev() {
        lines.push(mark(
            level_line(l, *t, max, &c, &ask_style, th),
            -(i as i32) - 1,
        ));
    }
    lines.push(middle_line(book, w, th));
    for (i, (l, t)) in bids.iter().enumerate() {
        lines.push(mark(level_line(l, *t, max, &c, &bid_style, th), i as i32));
    }
    memo.draw(f.buffer_mut(), area, border, lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_third_column_shows_the_running_size_or_the_level_notional() {
        let lvl = |p: &str, q: &str| Level {
            price: crate::domain::Price::parse(p).unwrap(),
            qty: Qty::parse(q).unwrap(),
        };
        let levels = [lvl("90000.1", "2"), lvl("90000.0", "0.5")];
        let rows = cumulative(&levels, 2);
        let style = |third| RowStyle {
            side: Style::new(),
            bar: Style::new(),
            price_dp: 1,
            qty_dp: 2,
            third,
        };
        let text = |third| -> Vec<String> {
            rows.iter()
                .map(|(l, t)| third_text(l, *t, &style(third)))
                .collect()
        };
        assert_eq!(text(BookTotal::Sum), ["2.00", "2.50"]);
        assert_eq!(text(BookTotal::Notional), ["180.0k", "45.0k"]);
        assert_eq!(cols(40, BookTotal::None).total, 0);
        assert!(cols(40, BookTotal::None).bar > cols(40, BookTotal::Sum).bar);
    }

    #[test]
    fn bars_have_eighth_cell_resolution() {
        assert_eq!(bar(1.0, 3), "███");
        assert_eq!(bar(0.5, 3), "█▌");
        assert_eq!(bar(0.0, 3), "");
        assert_eq!(bar(1.0 / 24.0, 3), "▏");
    }

    #[test]
    fn bar_scale_holds_while_depth_ticks_and_fills_most_of_the_width() {
        let q = |s: &str| Qty::parse(s).unwrap();
        assert_eq!(bar_scale(q("10.2")), q("12.5"));
        assert_eq!(bar_scale(q("12.4")), q("12.5"));
        assert_eq!(bar_scale(q("0.0031")), q("0.004"));
        assert_eq!(bar_scale(q("800")), q("800"));
        assert_eq!(bar_scale(Qty::ZERO), Qty::ZERO);
        for units in [1, 7, 99, 12_345, 987_654_321, 4_000_000_000_000] {
            let max = Qty::from_units(units);
            let scale = bar_scale(max);
            assert!(scale >= max, "{units}: the deepest bar fits");
            assert!(
                scale.units() * 4 <= units * 5 + 4,
                "{units}: at least 80% of the width"
            );
        }
    }
}
