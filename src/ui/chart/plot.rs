//! The candle chart widget: candles or a close line, indicator overlays, cross markers,
//! volume bars and a price axis, drawn straight into the buffer.

use crate::app::PriceMove;
use crate::domain::{Candle, Qty};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

/// One indicator line, aligned with the candles (`None` where it is not defined yet).
pub struct Overlay<'a> {
    /// Values per candle.
    pub values: &'a [Option<f64>],
    /// Colour.
    pub style: Style,
}

/// Styles the plot uses.
#[derive(Clone, Copy)]
pub struct PlotStyle {
    /// Rising candles and volume.
    pub up: Style,
    /// Falling candles and volume.
    pub down: Style,
    /// Axis labels.
    pub axis: Style,
    /// The last-price label.
    pub last: Style,
}

/// Everything the plot draws.
pub struct CandleChart<'a> {
    /// Candles, oldest first.
    pub candles: &'a [Candle],
    /// Indicator lines (the price scale follows the candles; points outside it are skipped).
    pub overlays: &'a [Overlay<'a>],
    /// Fast/slow crosses: (candle index, direction).
    pub crosses: &'a [(usize, PriceMove)],
    /// Columns per candle (1-5).
    pub zoom: u16,
    /// Candles scrolled back from the newest.
    pub offset: usize,
    /// A close line instead of candles.
    pub line_mode: bool,
    /// Decimals for axis labels.
    pub price_dp: u32,
    /// Styles.
    pub style: PlotStyle,
}

/// Maps prices to rows of a panel.
struct Scale {
    lo: f64,
    hi: f64,
    top: u16,
    rows: u16,
}

impl Scale {
    fn row(&self, v: f64) -> u16 {
        let frac = if self.hi > self.lo {
            (self.hi - v) / (self.hi - self.lo)
        } else {
            0.5
        };
        self.top + (frac.clamp(0.0, 1.0) * f64::from(self.rows - 1)).round() as u16
    }
}

impl CandleChart<'_> {
    /// The visible slice: (index of the first visible candle, count).
    pub fn window(&self, plot_cols: u16) -> (usize, usize) {
        window(self.candles.len(), self.zoom, self.offset, plot_cols)
    }

    fn price_range(&self, start: usize, n: usize) -> (f64, f64) {
        let mut lo = f64::MAX;
        let mut hi = f64::MIN;
        for c in &self.candles[start..start + n] {
            let (l, h) = if self.line_mode {
                (c.close, c.close)
            } else {
                (c.low, c.high)
            };
            lo = lo.min(l.to_f64_lossy());
            hi = hi.max(h.to_f64_lossy());
        }
        (lo, hi)
    }
}

/// `(first, count)` of `len` candles that fit `plot_cols` columns at `zoom` columns a candle,
/// `offset` candles back from the newest.
pub fn window(len: usize, zoom: u16, offset: usize, plot_cols: u16) -> (usize, usize) {
    let per = usize::from(zoom.max(1));
    let n = (usize::from(plot_cols) / per).max(1);
    let end = len.saturating_sub(offset);
    let start = end.saturating_sub(n);
    (start, end - start)
}

fn put(buf: &mut Buffer, x: u16, y: u16, ch: char, style: Style) {
    if let Some(cell) = buf.cell_mut((x, y)) {
        cell.set_char(ch).set_style(style);
    }
}

fn is_blank(buf: &Buffer, x: u16, y: u16) -> bool {
    buf.cell((x, y))
        .is_none_or(|c| c.symbol() == " " || c.symbol() == "│")
}

/// Where the plot puts things in its area: what only the visible candles and the area decide.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Geometry {
    /// Columns of the price labels on the right.
    pub label_w: u16,
    /// Columns of the candles.
    pub plot_w: u16,
    /// Rows of the volume panel at the bottom (0: none).
    pub vol_rows: u16,
    /// Rows of the price panel.
    pub price_rows: u16,
    /// First visible candle.
    pub start: usize,
    /// Visible candles.
    pub n: usize,
    /// Price scale, bottom and top.
    pub lo: f64,
    /// Top of the price scale.
    pub hi: f64,
    /// The largest visible volume (a full bar).
    pub vol_max: Qty,
}

impl CandleChart<'_> {
    /// The plot's geometry in `area`; `None` when there is nothing to draw or no room.
    pub fn geometry(&self, area: Rect) -> Option<Geometry> {
        if self.candles.is_empty() || area.width < 12 || area.height < 4 {
            return None;
        }
        // Prices share their decimals, so the highest is the widest label.
        let label_w = 2 + self
            .candles
            .iter()
            .map(|c| c.high)
            .max()
            .map_or(8, |h| h.fmt_dp(self.price_dp).len()) as u16;
        let plot_w = area.width.saturating_sub(label_w);
        let vol_rows = if area.height >= 12 {
            (area.height / 5).max(2)
        } else {
            0
        };
        let (start, n) = self.window(plot_w);
        let (lo, hi) = self.price_range(start, n);
        let vol_max = self.candles[start..start + n]
            .iter()
            .map(|c| c.volume)
            .max()
            .unwrap_or_default();
        Some(Geometry {
            label_w,
            plot_w,
            vol_rows,
            price_rows: area.height - vol_rows,
            start,
            n,
            lo,
            hi,
            vol_max,
        })
    }

    /// The parts of `area` that show the newest visible candle (its columns, volume bar
    /// included) and the price labels: all that a change to that candle alone can change
    /// while the geometry stays the same.
    pub fn newest_strips(&self, area: Rect, g: &Geometry) -> [Rect; 2] {
        let per = self.zoom.max(1);
        let x0 = area.x + (g.n.saturating_sub(1) as u16).saturating_mul(per);
        let candle = Rect::new(x0, area.y, per, area.height).intersection(area);
        let labels = Rect::new(area.x + g.plot_w, area.y, g.label_w, g.price_rows);
        [candle, labels.intersection(area)]
    }

    /// Draws the plot with its geometry `g` in `area`; with `newest_only`, only what
    /// [`CandleChart::newest_strips`] covers (the rest is left as an earlier draw with the same
    /// geometry made it).
    pub fn draw(&self, area: Rect, buf: &mut Buffer, g: &Geometry, newest_only: bool) {
        let scale = Scale {
            lo: g.lo,
            hi: g.hi,
            top: area.y,
            rows: g.price_rows,
        };
        let per = self.zoom.max(1);
        let from = if newest_only { g.n - 1 } else { 0 };
        let mut prev_row = (from > 0 && self.line_mode)
            .then(|| scale.row(self.candles[g.start + from - 1].close.to_f64_lossy()));
        for (i, c) in self.candles[g.start..g.start + g.n]
            .iter()
            .enumerate()
            .skip(from)
        {
            let x0 = area.x + i as u16 * per;
            let style = if c.close >= c.open {
                self.style.up
            } else {
                self.style.down
            };
            if self.line_mode {
                let row = scale.row(c.close.to_f64_lossy());
                draw_line_step(buf, x0, per, row, prev_row, style);
                prev_row = Some(row);
            } else {
                draw_candle(buf, &scale, c, x0, per, style);
            }
            let mid = x0 + (body_width(per) - 1) / 2;
            if g.vol_rows > 0 {
                let panel = Rect::new(mid, area.y + g.price_rows, 1, g.vol_rows);
                draw_volume(buf, c.volume, g.vol_max, panel, style);
            }
            self.marks(buf, &scale, g.start + i, mid);
        }
        draw_axis(
            buf,
            self,
            &scale,
            area.x + g.plot_w,
            g.label_w,
            g.start + g.n,
        );
    }

    /// Overlay points and cross markers of candle `index` in column `mid`.
    fn marks(&self, buf: &mut Buffer, scale: &Scale, index: usize, mid: u16) {
        for o in self.overlays {
            // The scale follows the candles; an overlay outside it is not drawn.
            if let Some(Some(v)) = o.values.get(index)
                && (scale.lo..=scale.hi).contains(v)
            {
                let y = scale.row(*v);
                if is_blank(buf, mid, y) {
                    put(buf, mid, y, '•', o.style);
                }
            }
        }
        let Some(c) = self.candles.get(index) else {
            return;
        };
        let bottom = scale.top + scale.rows - 1;
        for (_, dir) in self.crosses.iter().filter(|(idx, _)| *idx == index) {
            let (y, ch, style) = match dir {
                PriceMove::Up => {
                    let y = scale.row(c.low.to_f64_lossy()).saturating_add(1);
                    (y, '▲', self.style.up)
                }
                PriceMove::Down => {
                    let y = scale.row(c.high.to_f64_lossy()).saturating_sub(1);
                    (y, '▼', self.style.down)
                }
            };
            put(buf, mid, y.clamp(scale.top, bottom), ch, style);
        }
    }
}

/// Columns of a candle's body at `per` columns a candle (one column between candles).
fn body_width(per: u16) -> u16 {
    if per > 1 { per - 1 } else { 1 }
}

fn draw_candle(buf: &mut Buffer, scale: &Scale, c: &Candle, x0: u16, per: u16, style: Style) {
    let body_w = body_width(per);
    let mid = x0 + (body_w - 1) / 2;
    let (hi_y, lo_y) = (
        scale.row(c.high.to_f64_lossy()),
        scale.row(c.low.to_f64_lossy()),
    );
    let (o_y, c_y) = (
        scale.row(c.open.to_f64_lossy()),
        scale.row(c.close.to_f64_lossy()),
    );
    for y in hi_y..=lo_y {
        put(buf, mid, y, '│', style);
    }
    for y in o_y.min(c_y)..=o_y.max(c_y) {
        for x in x0..x0 + body_w {
            put(buf, x, y, if body_w == 1 { '┃' } else { '█' }, style);
        }
    }
}

fn draw_line_step(buf: &mut Buffer, x0: u16, per: u16, row: u16, prev: Option<u16>, style: Style) {
    if let Some(p) = prev {
        for y in p.min(row)..=p.max(row) {
            put(buf, x0, y, '│', style);
        }
    }
    for x in x0..x0 + per {
        put(buf, x, row, '─', style);
    }
}

/// The volume bar of one candle, `volume` of `max` filling the one-column `panel`.
fn draw_volume(buf: &mut Buffer, volume: Qty, max: Qty, panel: Rect, style: Style) {
    const EIGHTHS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    if max.is_zero() {
        return;
    }
    let frac = volume.to_f64_lossy() / max.to_f64_lossy();
    let mut eighths = (frac * f64::from(panel.height) * 8.0).round() as u16;
    for y in (panel.top()..panel.bottom()).rev() {
        let e = eighths.min(8);
        if e > 0 {
            put(buf, panel.x, y, EIGHTHS[usize::from(e)], style);
        }
        eighths = eighths.saturating_sub(8);
    }
}

fn draw_axis(buf: &mut Buffer, chart: &CandleChart<'_>, scale: &Scale, x: u16, w: u16, end: usize) {
    let rows = [
        scale.top,
        scale.top + scale.rows / 2,
        scale.top + scale.rows - 1,
    ];
    for y in rows {
        let frac = f64::from(y - scale.top) / f64::from((scale.rows - 1).max(1));
        let v = scale.hi - frac * (scale.hi - scale.lo);
        buf.set_string(
            x + 1,
            y,
            format!("{v:.*}", chart.price_dp as usize),
            chart.style.axis,
        );
    }
    if let Some(last) = chart.candles.get(end.saturating_sub(1)) {
        let y = scale.row(last.close.to_f64_lossy());
        let text = format!(
            "{:<width$}",
            last.close.fmt_dp(chart.price_dp),
            width = usize::from(w - 1)
        );
        buf.set_string(x + 1, y, text, chart.style.last);
    }
}
