//! Chart overlays: SMA, EMA and rolling VWAP over candles, and the points where a fast SMA
//! crosses a slow one. Values are `f64` because they are only drawn; sums are exact (integer
//! units, `Decimal`) and crosses are decided exactly, so a marker never flickers on rounding.

use crate::domain::{Candle, TimeMs};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// Which overlays a chart shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndicatorConfig {
    /// SMA periods (in candles).
    pub sma: Vec<usize>,
    /// EMA periods.
    pub ema: Vec<usize>,
    /// Rolling VWAP periods (0 = from the first candle shown).
    pub vwap: Vec<usize>,
    /// `(fast, slow)` SMA periods whose crosses are marked.
    pub cross: Option<(usize, usize)>,
}

impl Default for IndicatorConfig {
    /// SMA 20, EMA 50, crosses of SMA 9 over SMA 21.
    fn default() -> Self {
        Self {
            sma: vec![20],
            ema: vec![50],
            vwap: vec![],
            cross: Some((9, 21)),
        }
    }
}

/// One line to draw: a value per candle (`None` until the indicator has enough data).
#[derive(Debug, Clone, PartialEq)]
pub struct Overlay {
    /// Legend text, e.g. `SMA 20`.
    pub label: String,
    /// Per candle, aligned with the input.
    pub values: Vec<Option<f64>>,
}

/// Direction of a cross.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrossKind {
    /// The fast average rose above the slow one.
    Up,
    /// The fast average fell below the slow one.
    Down,
}

/// A candle where the fast SMA crossed the slow one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cross {
    /// Index of the candle in the input.
    pub index: usize,
    /// Its open time.
    pub open_time: TimeMs,
    /// Direction.
    pub kind: CrossKind,
}

const UNIT: f64 = 100_000_000.0;

/// Rolling sums of closes (in 1e-8 units) over `period` candles; `None` until full.
fn close_sums(candles: &[Candle], period: usize) -> Vec<Option<i128>> {
    let mut out = Vec::with_capacity(candles.len());
    let mut sum: i128 = 0;
    for (i, c) in candles.iter().enumerate() {
        sum += i128::from(c.close.units());
        if i >= period {
            sum -= i128::from(candles[i - period].close.units());
        }
        out.push((period > 0 && i + 1 >= period).then_some(sum));
    }
    out
}

/// The average of a `period`-candle sum of closes in 1e-8 units.
fn mean(sum: i128, period: usize) -> f64 {
    sum as f64 / period as f64 / UNIT
}

/// Simple moving average of closes over `period` candles.
pub fn sma(candles: &[Candle], period: usize) -> Vec<Option<f64>> {
    sma_from(candles, period, 0)
}

/// [`sma`] with values only from index `from` on (`None` before it).
fn sma_from(candles: &[Candle], period: usize, from: usize) -> Vec<Option<f64>> {
    close_sums(candles, period)
        .into_iter()
        .enumerate()
        .map(|(i, s)| s.filter(|_| i >= from).map(|s| mean(s, period)))
        .collect()
}

/// Exponential moving average of closes (`alpha = 2 / (period + 1)`), seeded with the SMA of
/// the first `period` closes.
pub fn ema(candles: &[Candle], period: usize) -> Vec<Option<f64>> {
    ema_from(candles, period, 0)
}

/// [`ema`] with values only from index `from` on (the average still runs from the start).
fn ema_from(candles: &[Candle], period: usize, from: usize) -> Vec<Option<f64>> {
    let alpha = 2.0 / (period as f64 + 1.0);
    let mut out = Vec::with_capacity(candles.len());
    let mut prev: Option<f64> = None;
    for (i, (c, s)) in candles.iter().zip(close_sums(candles, period)).enumerate() {
        let close = c.close.to_f64_lossy();
        prev = match prev {
            Some(p) => Some(p + alpha * (close - p)),
            None => s.map(|s| mean(s, period)),
        };
        out.push(prev.filter(|_| i >= from));
    }
    out
}

/// Volume-weighted average price over the last `period` candles (Σ quote volume / Σ volume;
/// 0 = since the first candle). `None` while the window has no volume.
pub fn vwap(candles: &[Candle], period: usize) -> Vec<Option<f64>> {
    vwap_from(candles, period, 0)
}

/// [`vwap`] with values only from index `from` on (the sums still run from the start).
fn vwap_from(candles: &[Candle], period: usize, from: usize) -> Vec<Option<f64>> {
    let mut out = Vec::with_capacity(candles.len());
    let (mut quote, mut base) = (Decimal::ZERO, Decimal::ZERO);
    for (i, c) in candles.iter().enumerate() {
        quote += c.quote_volume;
        base += c.volume.to_decimal();
        if period > 0 && i >= period {
            let old = &candles[i - period];
            quote -= old.quote_volume;
            base -= old.volume.to_decimal();
        }
        let full = (period == 0 || i + 1 >= period) && i >= from;
        let v = (full && !base.is_zero())
            .then(|| quote.checked_div(base))
            .flatten();
        out.push(v.and_then(|d| d.to_f64()));
    }
    out
}

/// Candles where SMA(`fast`) crosses SMA(`slow`), compared exactly.
pub fn crosses(candles: &[Candle], fast: usize, slow: usize) -> Vec<Cross> {
    let (f, s) = (close_sums(candles, fast), close_sums(candles, slow));
    let (fp, sp) = (
        i128::try_from(fast).unwrap_or(1),
        i128::try_from(slow).unwrap_or(1),
    );
    let mut out = vec![];
    let mut side = 0i8;
    for (i, (f, s)) in f.iter().zip(&s).enumerate() {
        let (Some(f), Some(s)) = (f, s) else {
            continue;
        };
        // fast/fp vs slow/sp without division.
        let now = match (f * sp).cmp(&(s * fp)) {
            std::cmp::Ordering::Greater => 1,
            std::cmp::Ordering::Less => -1,
            std::cmp::Ordering::Equal => continue,
        };
        if side != 0 && now != side {
            let kind = if now > 0 {
                CrossKind::Up
            } else {
                CrossKind::Down
            };
            out.push(Cross {
                index: i,
                open_time: candles[i].open_time,
                kind,
            });
        }
        side = now;
    }
    out
}

/// Every overlay and cross marker `cfg` asks for.
pub fn overlays(candles: &[Candle], cfg: &IndicatorConfig) -> (Vec<Overlay>, Vec<Cross>) {
    overlays_from(candles, cfg, 0)
}

/// [`overlays`] with line values only from candle `from` on (`None` before it: a chart
/// computes what it shows, not the whole history, while every average still starts at the
/// first candle so values never depend on where the view starts).
pub fn overlays_from(
    candles: &[Candle],
    cfg: &IndicatorConfig,
    from: usize,
) -> (Vec<Overlay>, Vec<Cross>) {
    let mut lines = vec![];
    for &p in &cfg.sma {
        lines.push(Overlay {
            label: format!("SMA {p}"),
            values: sma_from(candles, p, from),
        });
    }
    for &p in &cfg.ema {
        lines.push(Overlay {
            label: format!("EMA {p}"),
            values: ema_from(candles, p, from),
        });
    }
    for &p in &cfg.vwap {
        let label = if p == 0 {
            "VWAP".to_string()
        } else {
            format!("VWAP {p}")
        };
        lines.push(Overlay {
            label,
            values: vwap_from(candles, p, from),
        });
    }
    let marks = cfg
        .cross
        .map(|(f, s)| crosses(candles, f, s))
        .unwrap_or_default();
    (lines, marks)
}
