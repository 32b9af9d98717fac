//! The chart pane: a stats header (24 h change, OHLC of the newest candle), the candle plot
//! with overlays and volume, and a time axis, for the selected symbol and interval.

pub mod plot;

use super::border::PaneBorder;
use super::status::clock_text;
use super::theme::Theme;
use super::widgets::{compact_decimal, rows, waiting_state};
use crate::app::{AppState, Pane, PriceMove};
use crate::config::{ClockZone, ThemeName};
use crate::domain::{Candle, Interval};
use crate::series::{CrossKind, IndicatorConfig, Overlays};
use plot::{CandleChart, PlotStyle};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use rust_decimal::Decimal;

/// The header: newest candle OHLCV and the 24 h change.
fn header(s: &AppState, candles: &[Candle], dp: u32, th: &Theme) -> Line<'static> {
    let mut spans = Vec::new();
    if let Some(c) = candles.last() {
        for (k, v) in [("O", c.open), ("H", c.high), ("L", c.low), ("C", c.close)] {
            spans.push(Span::styled(format!("{k} "), th.muted));
            spans.push(Span::styled(format!("{} ", v.fmt_dp(dp)), th.text));
        }
        spans.push(Span::styled("V ", th.muted));
        spans.push(Span::styled(format!("{} ", c.volume), th.text));
    }
    if let Some(t) = s.selected_market().and_then(|m| m.ticker.as_ref()) {
        let style = if t.change_pct >= Decimal::ZERO {
            th.up
        } else {
            th.down
        };
        spans.push(Span::styled("│ 24h ", th.muted));
        spans.push(Span::styled(format!("{:+.2}% ", t.change_pct), style));
        spans.push(Span::styled(
            format!("H {} L {} ", t.high.fmt_dp(dp), t.low.fmt_dp(dp)),
            th.text,
        ));
        spans.push(Span::styled(
            format!("Vol {}", compact_decimal(t.quote_volume)),
            th.text,
        ));
    }
    Line::from(spans)
}

/// Time labels every ~14 columns under the plot.
fn time_axis(candles: &[Candle], start: usize, per: u16, width: u16, s: &AppState) -> String {
    let mut out = String::new();
    let step = usize::from((14 / per.max(1)).max(1));
    let mut i = 0;
    while let Some(c) = candles.get(start + i) {
        let col = i * usize::from(per);
        if col + 6 > usize::from(width) {
            break;
        }
        let text = clock_text(c.open_time, s.settings.clock);
        let text = match s.chart.interval {
            Interval::S1 => text.chars().take(8).collect::<String>(),
            i if i.millis() >= Interval::D1.millis() => date_text(c.open_time),
            _ => text.chars().take(5).collect(),
        };
        out.push_str(&" ".repeat(col.saturating_sub(out.chars().count())));
        out.push_str(&text);
        i += step;
    }
    out
}

fn date_text(ms: i64) -> String {
    use chrono::{TimeZone, Utc};
    Utc.timestamp_millis_opt(ms)
        .single()
        .map_or_else(String::new, |t| t.format("%m-%d").to_string())
}

/// What the chart pane last drew everything for. When a frame's inputs match but for the
/// newest candle, only the header, that candle's columns and the price labels are drawn again
/// — a trade moves one candle, not the 4,000 cells of a chart.
#[derive(Debug, Default)]
pub struct Memo {
    key: Option<Key>,
    /// The overlays computed then, kept so that only the newest candle's values are computed
    /// again.
    overlays: Option<Overlays>,
}

/// Everything the chart's cells depend on besides the newest candle and the header.
#[derive(Debug, PartialEq)]
struct Key {
    area: Rect,
    title: String,
    focused: bool,
    theme: ThemeName,
    unicode: bool,
    clock: ClockZone,
    indicators: IndicatorConfig,
    zoom: u16,
    price_dp: u32,
    candles: usize,
    revision: u64,
    geometry: plot::Geometry,
}

/// Draws the whole chart pane.
pub fn draw(f: &mut Frame, area: Rect, s: &AppState, th: &Theme) {
    redraw(f, area, s, th, &mut Memo::default());
}

/// The pane's title: symbol, interval, mode and how far it is scrolled back.
fn title(s: &AppState) -> String {
    let mode = if s.chart.line_mode { "line" } else { "candles" };
    let back = if s.chart.offset > 0 {
        format!(" · -{}", s.chart.offset)
    } else {
        String::new()
    };
    format!(" {} · {} · {mode}{back} ", s.selected, s.chart.interval)
}

/// Cross markers as the plot draws them.
fn cross_marks(crosses: &[crate::series::Cross]) -> Vec<(usize, PriceMove)> {
    crosses
        .iter()
        .map(|c| {
            let dir = if c.kind == CrossKind::Up {
                PriceMove::Up
            } else {
                PriceMove::Down
            };
            (c.index, dir)
        })
        .collect()
}

/// The pane without candles: what will appear and the keys that move the chart.
fn draw_waiting(
    f: &mut Frame,
    area: Rect,
    border: PaneBorder<'_>,
    s: &AppState,
    th: &Theme,
) -> Vec<Rect> {
    let inner = border.inner(area);
    border.draw_fresh(f.buffer_mut(), area);
    let msg = format!(
        "{} {} candles appear here once market data arrives.",
        s.selected, s.chart.interval
    );
    let keys = "i / I interval · + / - zoom · h / l scroll · m line";
    waiting_state(f, inner, s, &[&msg, keys], th);
    vec![area]
}

/// Clears the header and the newest candle's strips of the plot in `body` (geometry `g`) and
/// draws them again; returns those areas.
fn redraw_newest(
    f: &mut Frame,
    head: Rect,
    head_line: Line<'static>,
    chart: &CandleChart<'_>,
    body: Rect,
    g: &plot::Geometry,
) -> Vec<Rect> {
    let [candle, labels] = chart.newest_strips(body, g);
    let parts = vec![head, candle, labels];
    for r in &parts {
        super::clear(f.buffer_mut(), *r);
    }
    rows(f.buffer_mut(), head, std::slice::from_ref(&head_line));
    chart.draw(body, f.buffer_mut(), g, true);
    parts
}

/// The plot of `candles` with these overlays and markers.
fn plot_of<'a>(
    s: &AppState,
    th: &Theme,
    candles: &'a [Candle],
    dp: u32,
    overlays: &'a [plot::Overlay<'a>],
    crosses: &'a [(usize, PriceMove)],
) -> CandleChart<'a> {
    CandleChart {
        candles,
        overlays,
        crosses,
        zoom: s.chart.zoom,
        offset: s.chart.offset,
        line_mode: s.chart.line_mode,
        price_dp: dp,
        style: PlotStyle {
            up: th.up,
            down: th.down,
            axis: th.muted,
            last: th.selected,
        },
    }
}

/// Draws the chart pane, or only the parts of it the newest candle changed if `memo` shows
/// that nothing else changed since it drew everything; clears what it draws first and
/// returns those areas.
pub fn redraw(f: &mut Frame, area: Rect, s: &AppState, th: &Theme, memo: &mut Memo) -> Vec<Rect> {
    let title = title(s);
    let focused = s.focus == Pane::Chart;
    let border = PaneBorder::new(title.clone(), focused, th);
    let view = s.selected_market();
    let candles: &[Candle] = view.map_or(&[], |v| v.chart(s.chart.interval));
    if candles.is_empty() {
        *memo = Memo::default();
        return draw_waiting(f, area, border, s, th);
    }
    let dp = view.map_or(2, |v| v.price_dp);
    let [head, body, axis] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(border.inner(area));
    let geometry = plot_of(s, th, candles, dp, &[], &[]).geometry(body);
    let key = geometry.map(|geometry| Key {
        area,
        title,
        focused,
        theme: s.settings.theme,
        unicode: s.settings.unicode,
        clock: s.settings.clock,
        indicators: s.settings.indicators.clone(),
        zoom: s.chart.zoom,
        price_dp: dp,
        candles: candles.len(),
        revision: view.map_or(0, |v| v.chart_revision(s.chart.interval)),
        geometry,
    });
    let same = key.is_some() && memo.key == key;
    let overlays = match memo.overlays.take() {
        Some(mut o) if same => {
            o.refresh_newest(candles);
            o
        }
        _ => {
            let (from, _) = plot::window(candles.len(), s.chart.zoom, s.chart.offset, body.width);
            Overlays::new(candles, &s.settings.indicators, from)
        }
    };
    let drawn = {
        let styles = th.overlays.iter().cycle();
        let plotted: Vec<plot::Overlay> = (overlays.lines.iter().zip(styles.clone()))
            .map(|(o, style)| plot::Overlay {
                values: &o.values,
                style: *style,
            })
            .collect();
        let crosses = cross_marks(&overlays.crosses);
        let chart = plot_of(s, th, candles, dp, &plotted, &crosses);
        let (start, n) = chart.window(body.width);
        let mut head_line = header(s, &candles[..start + n], dp, th);
        for (o, style) in overlays.lines.iter().zip(styles) {
            let legend = Span::styled(format!(" • {}", o.label), *style);
            head_line.spans.push(legend);
        }
        match geometry.filter(|_| same) {
            Some(g) => redraw_newest(f, head, head_line, &chart, body, &g),
            None => {
                border.draw_fresh(f.buffer_mut(), area);
                rows(f.buffer_mut(), head, std::slice::from_ref(&head_line));
                let axis_text = time_axis(candles, start, s.chart.zoom, body.width, s);
                if let Some(g) = &geometry {
                    chart.draw(body, f.buffer_mut(), g, false);
                }
                f.render_widget(Paragraph::new(Span::styled(axis_text, th.muted)), axis);
                vec![area]
            }
        }
    };
    memo.key = key;
    memo.overlays = Some(overlays);
    drawn
}
