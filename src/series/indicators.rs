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

/// The average of a `period`-candle sum of closes in 1e-8 units.
fn mean(sum: i128, period: usize) -> f64 {
    sum as f64 / period as f64 / UNIT
}

/// A rolling sum of the last `period` closes (1e-8 units).
#[derive(Debug, Clone)]
struct CloseSum {
    period: usize,
    sum: i128,
}

impl CloseSum {
    fn new(period: usize) -> Self {
        Self { period, sum: 0 }
    }

    /// Takes in candle `i`; the sum once `period` candles are in.
    fn step(&mut self, candles: &[Candle], i: usize) -> Option<i128> {
        self.sum += i128::from(candles[i].close.units());
        if i >= self.period {
            self.sum -= i128::from(candles[i - self.period].close.units());
        }
        (self.period > 0 && i + 1 >= self.period).then_some(self.sum)
    }
}

/// One overlay line part way through a series: what the next candle's value needs.
#[derive(Debug, Clone)]
enum Running {
    Sma(CloseSum),
    /// The sum seeds the average with the SMA of the first `period` closes; then each close
    /// moves it by `alpha` (the second field) of the difference.
    Ema(CloseSum, f64, Option<f64>),
    Vwap {
        period: usize,
        quote: Decimal,
        base: Decimal,
    },
}

impl Running {
    /// Takes in candle `i` (all before it taken in order) and returns its value if `want`
    /// (values before the view are not computed, only the sums and averages they need).
    fn step(&mut self, candles: &[Candle], i: usize, want: bool) -> Option<f64> {
        match self {
            Running::Sma(sum) => (sum.step(candles, i))
                .filter(|_| want)
                .map(|s| mean(s, sum.period)),
            Running::Ema(sum, alpha, prev) => {
                let full = sum.step(candles, i);
                let close = candles[i].close.to_f64_lossy();
                *prev = match *prev {
                    Some(p) => Some(p + *alpha * (close - p)),
                    None => full.map(|s| mean(s, sum.period)),
                };
                prev.filter(|_| want)
            }
            Running::Vwap {
                period,
                quote,
                base,
            } => {
                let c = &candles[i];
                *quote += c.quote_volume;
                *base += c.volume.to_decimal();
                if *period > 0 && i >= *period {
                    let old = &candles[i - *period];
                    *quote -= old.quote_volume;
                    *base -= old.volume.to_decimal();
                }
                let full = *period == 0 || i + 1 >= *period;
                (want && full && !base.is_zero())
                    .then(|| quote.checked_div(*base))
                    .flatten()
                    .and_then(|d| d.to_f64())
            }
        }
    }
}

/// Crosses part way through a series: both sums and the side the fast one was last on.
#[derive(Debug, Clone)]
struct CrossRun {
    fast: CloseSum,
    slow: CloseSum,
    side: i8,
}

impl CrossRun {
    fn new(fast: usize, slow: usize) -> Self {
        Self {
            fast: CloseSum::new(fast),
            slow: CloseSum::new(slow),
            side: 0,
        }
    }

    /// Takes in candle `i`; a cross if the fast SMA changed sides there.
    fn step(&mut self, candles: &[Candle], i: usize) -> Option<Cross> {
        let (f, s) = (self.fast.step(candles, i), self.slow.step(candles, i));
        let (f, s) = (f?, s?);
        let fp = i128::try_from(self.fast.period).unwrap_or(1);
        let sp = i128::try_from(self.slow.period).unwrap_or(1);
        // fast/fp vs slow/sp without division.
        let now = match (f * sp).cmp(&(s * fp)) {
            std::cmp::Ordering::Greater => 1,
            std::cmp::Ordering::Less => -1,
            std::cmp::Ordering::Equal => return None,
        };
        let was = std::mem::replace(&mut self.side, now);
        (was != 0 && now != was).then(|| Cross {
            index: i,
            open_time: candles[i].open_time,
            kind: if now > 0 {
                CrossKind::Up
            } else {
                CrossKind::Down
            },
        })
    }
}

/// Every value of one line over `candles`, `None` before index `from`.
fn line(candles: &[Candle], mut run: Running, from: usize) -> Vec<Option<f64>> {
    (0..candles.len())
        .map(|i| run.step(candles, i, i >= from))
        .collect()
}

/// Simple moving average of closes over `period` candles.
pub fn sma(candles: &[Candle], period: usize) -> Vec<Option<f64>> {
    line(candles, Running::Sma(CloseSum::new(period)), 0)
}

/// Exponential moving average of closes (`alpha = 2 / (period + 1)`), seeded with the SMA of
/// the first `period` closes.
pub fn ema(candles: &[Candle], period: usize) -> Vec<Option<f64>> {
    line(candles, ema_run(period), 0)
}

fn ema_run(period: usize) -> Running {
    Running::Ema(CloseSum::new(period), 2.0 / (period as f64 + 1.0), None)
}

/// Volume-weighted average price over the last `period` candles (Σ quote volume / Σ volume;
/// 0 = since the first candle). `None` while the window has no volume.
pub fn vwap(candles: &[Candle], period: usize) -> Vec<Option<f64>> {
    line(candles, vwap_run(period), 0)
}

fn vwap_run(period: usize) -> Running {
    Running::Vwap {
        period,
        quote: Decimal::ZERO,
        base: Decimal::ZERO,
    }
}

/// Candles where SMA(`fast`) crosses SMA(`slow`), compared exactly.
pub fn crosses(candles: &[Candle], fast: usize, slow: usize) -> Vec<Cross> {
    let mut run = CrossRun::new(fast, slow);
    (0..candles.len())
        .filter_map(|i| run.step(candles, i))
        .collect()
}

/// Every overlay and cross marker `cfg` asks for.
pub fn overlays(candles: &[Candle], cfg: &IndicatorConfig) -> (Vec<Overlay>, Vec<Cross>) {
    overlays_from(candles, cfg, 0)
}

/// [`overlays`] with values only from index `from` on (`None` before it); sums and averages
/// still run from the first candle, so a value never depends on `from`.
pub fn overlays_from(
    candles: &[Candle],
    cfg: &IndicatorConfig,
    from: usize,
) -> (Vec<Overlay>, Vec<Cross>) {
    let o = Overlays::new(candles, cfg, from);
    (o.lines, o.crosses)
}

/// The overlays and crosses of a series, with each line's running state before the newest
/// candle, so that after a change to that candle alone its values are computed again alone
/// (the same operations in the same order: the same values as computing everything).
#[derive(Debug, Clone)]
pub struct Overlays {
    /// Lines in `cfg` order: SMAs, EMAs, VWAPs.
    pub lines: Vec<Overlay>,
    /// Cross markers, oldest first.
    pub crosses: Vec<Cross>,
    before_newest: Vec<Running>,
    cross_before_newest: Option<CrossRun>,
    from: usize,
}

impl Overlays {
    /// Computes every line and cross `cfg` asks for over `candles` (values from `from` on).
    pub fn new(candles: &[Candle], cfg: &IndicatorConfig, from: usize) -> Self {
        let runs = (cfg
            .sma
            .iter()
            .map(|&p| (format!("SMA {p}"), Running::Sma(CloseSum::new(p)))))
        .chain(cfg.ema.iter().map(|&p| (format!("EMA {p}"), ema_run(p))))
        .chain(cfg.vwap.iter().map(|&p| {
            let label = if p == 0 {
                "VWAP".to_string()
            } else {
                format!("VWAP {p}")
            };
            (label, vwap_run(p))
        }));
        let older = candles.len().saturating_sub(1);
        let mut lines = Vec::new();
        let mut before_newest = Vec::new();
        for (label, mut run) in runs {
            let mut values: Vec<Option<f64>> = (0..older)
                .map(|i| run.step(candles, i, i >= from))
                .collect();
            before_newest.push(run.clone());
            if older < candles.len() {
                values.push(run.step(candles, older, older >= from));
            }
            lines.push(Overlay { label, values });
        }
        let mut crosses = Vec::new();
        let mut cross_before_newest = None;
        if let Some((fast, slow)) = cfg.cross {
            let mut run = CrossRun::new(fast, slow);
            crosses.extend((0..older).filter_map(|i| run.step(candles, i)));
            cross_before_newest = Some(run.clone());
            if older < candles.len() {
                crosses.extend(run.step(candles, older));
            }
        }
        Self {
            lines,
            crosses,
            before_newest,
            cross_before_newest,
            from,
        }
    }

    /// Computes the newest candle's values again. Only valid when every other candle, their
    /// count, the config and `from` are as when these overlays were computed.
    pub fn refresh_newest(&mut self, candles: &[Candle]) {
        let Some(newest) = candles.len().checked_sub(1) else {
            return;
        };
        for (line, run) in self.lines.iter_mut().zip(&self.before_newest) {
            let value = run.clone().step(candles, newest, newest >= self.from);
            if let Some(v) = line.values.last_mut() {
                *v = value;
            }
        }
        if let Some(run) = &self.cross_before_newest {
            self.crosses.retain(|c| c.index < newest);
            self.crosses.extend(run.clone().step(candles, newest));
        }
    }
}
