//! Trades to OHLCV candles for every interval, and SMA / EMA / VWAP indicators.
//!
//! [`CandleSeries`] keeps one symbol's candles at one interval (bounded, oldest dropped), built
//! from trades and corrected by the venue's kline stream and REST backfill without duplicates;
//! [`CandleSet`] keeps the chart intervals side by side. Prices in candles stay exact; the
//! indicators in [`indicators`] return `f64` because they exist only to be drawn (crosses are
//! decided exactly).

mod candles;
pub mod indicators;

pub use candles::{CandleSeries, CandleSet};
pub use indicators::{
    Cross, CrossKind, IndicatorConfig, Overlay, Overlays, crosses, ema, overlays, overlays_from,
    sma, vwap,
};
