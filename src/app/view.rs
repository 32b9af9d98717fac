//! Per-symbol market views (last price, ticker, book, tape, sparkline) and watchlist ordering.

use crate::domain::{BookTop, Candle, Interval, Price, Symbol, Ticker24h, TimeMs, Trade};
use crate::series::CandleSeries;
use std::collections::{HashMap, VecDeque};

/// Candles kept per symbol and interval.
pub const CANDLE_CAP: usize = 1500;

/// Sparkline points kept per symbol (one per minute).
pub const SPARK_POINTS: usize = 30;

/// Direction of the last price change, for the brief highlight in the watchlist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriceMove {
    /// The last price rose.
    Up,
    /// The last price fell.
    Down,
}

/// What the app knows about one symbol's market.
#[derive(Debug, Clone, Default)]
pub struct MarketView {
    /// Last trade price.
    pub last: Option<Price>,
    /// Set when the last price changed since the previous clock tick (cleared by the tick).
    pub moved: Option<PriceMove>,
    /// 24 h statistics.
    pub ticker: Option<Ticker24h>,
    /// Best levels of the book.
    pub book: BookTop,
    /// Recent trades, newest first, bounded by `Settings::tape_len`.
    pub tape: VecDeque<Trade>,
    /// One last price per minute, oldest first, at most [`SPARK_POINTS`].
    pub spark: VecDeque<Price>,
    /// The minute of the newest spark point.
    pub spark_minute: i64,
    /// Candle series per interval (created when a chart first asks for one), fed by the
    /// kline stream, REST backfill and every trade.
    pub candles: HashMap<Interval, CandleSeries>,
    /// Decimals to show prices with: the most seen so far (or the instrument's tick).
    pub price_dp: u32,
    /// Decimals to show quantities with.
    pub qty_dp: u32,
}

impl MarketView {
    /// The candles of `interval`, oldest first (empty until a chart asked for them).
    pub fn chart(&self, interval: Interval) -> &[Candle] {
        // `update` keeps every series contiguous, so the first slice is all of it.
        self.candles
            .get(&interval)
            .map_or(&[], |s| s.candles().as_slices().0)
    }

    /// The [`CandleSeries::past_revision`] of `interval`'s candles (0 before any).
    pub fn chart_revision(&self, interval: Interval) -> u64 {
        self.candles
            .get(&interval)
            .map_or(0, CandleSeries::past_revision)
    }

    /// The series of `interval`, created on first use.
    pub fn series(&mut self, interval: Interval) -> &mut CandleSeries {
        self.candles
            .entry(interval)
            .or_insert_with(|| CandleSeries::new(interval, CANDLE_CAP))
    }

    /// Widens the display decimals to fit `price` and `qty`.
    pub fn observe(&mut self, price: Price, qty: crate::domain::Qty) {
        self.price_dp = self.price_dp.max(price.natural_dp());
        self.qty_dp = self.qty_dp.max(qty.natural_dp());
    }

    /// Widens the display decimals to fit every level of the book.
    pub fn observe_book(&mut self) {
        let levels = self.book.bids.iter().chain(&self.book.asks);
        let (p, q) = levels.fold((self.price_dp, self.qty_dp), |(p, q), l| {
            (p.max(l.price.natural_dp()), q.max(l.qty.natural_dp()))
        });
        (self.price_dp, self.qty_dp) = (p, q);
    }

    /// Records a new last price: sets the highlight and extends the sparkline.
    pub fn set_last(&mut self, price: Price, time: TimeMs) {
        if let Some(prev) = self.last {
            if price > prev {
                self.moved = Some(PriceMove::Up);
            } else if price < prev {
                self.moved = Some(PriceMove::Down);
            }
        }
        self.last = Some(price);
        let minute = time.div_euclid(60_000);
        if minute != self.spark_minute || self.spark.is_empty() {
            if self.spark.len() == SPARK_POINTS {
                self.spark.pop_front();
            }
            self.spark.push_back(price);
            self.spark_minute = minute;
        } else if let Some(p) = self.spark.back_mut() {
            *p = price;
        }
    }
}

/// How the watchlist is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchSort {
    /// The user's order.
    Manual,
    /// Alphabetical.
    Symbol,
    /// Biggest 24 h gain first.
    Change,
    /// Biggest 24 h quote volume first.
    Volume,
}

impl WatchSort {
    /// The next order in the cycle.
    pub fn next(self) -> Self {
        match self {
            WatchSort::Manual => WatchSort::Symbol,
            WatchSort::Symbol => WatchSort::Change,
            WatchSort::Change => WatchSort::Volume,
            WatchSort::Volume => WatchSort::Manual,
        }
    }
    /// Shown in the watchlist title.
    pub fn label(self) -> &'static str {
        match self {
            WatchSort::Manual => "",
            WatchSort::Symbol => "by name",
            WatchSort::Change => "by change",
            WatchSort::Volume => "by volume",
        }
    }
}

/// The watchlist in display order; symbols without data sort last.
pub fn sorted_rows<'a>(
    list: &'a [Symbol],
    markets: &HashMap<Symbol, MarketView>,
    sort: WatchSort,
) -> Vec<&'a Symbol> {
    let mut rows: Vec<&Symbol> = list.iter().collect();
    let ticker = |s: &Symbol| markets.get(s).and_then(|m| m.ticker.as_ref());
    match sort {
        WatchSort::Manual => {}
        WatchSort::Symbol => rows.sort(),
        WatchSort::Change => {
            rows.sort_by_key(|s| std::cmp::Reverse(ticker(s).map(|t| t.change_pct)))
        }
        WatchSort::Volume => {
            rows.sort_by_key(|s| std::cmp::Reverse(ticker(s).map(|t| t.quote_volume)))
        }
    }
    rows
}

/// Grouping steps offered for a book around `price`: four powers of ten, finest first
/// (90000 → 0.1, 1, 10, 100; 3000 → 0.01 … 10).
pub fn group_steps(price: Price) -> Vec<Price> {
    let units = price.units().max(1);
    // Digits of the integer part minus one = floor(log10(price)).
    let int_digits = (units / crate::domain::num::SCALE).max(1).ilog10() as i32;
    let frac_lead = if units < crate::domain::num::SCALE {
        // price < 1: count leading fractional zeros.
        -(8 - units.ilog10() as i32)
    } else {
        int_digits
    };
    let e0 = frac_lead - 4;
    (e0 - 1..=e0 + 2)
        .filter_map(|e| {
            let exp = e + 8;
            (0..=18)
                .contains(&exp)
                .then(|| Price::from_units(10_i64.pow(exp as u32)))
        })
        .collect()
}

/// Merges levels into buckets of `step`: bids round down, asks round up (so a bucket never
/// promises a better price than the book has). Input and output are best first.
pub fn group_levels(
    levels: &[crate::domain::Level],
    step: Price,
    bids: bool,
) -> Vec<crate::domain::Level> {
    let mut out: Vec<crate::domain::Level> = Vec::new();
    for l in levels {
        let floor = l.price.floor_to(step);
        let bucket = if bids || floor == l.price {
            floor
        } else {
            floor.saturating_add(step)
        };
        match out.last_mut() {
            Some(last) if last.price == bucket => last.qty = last.qty.saturating_add(l.qty),
            _ => out.push(crate::domain::Level {
                price: bucket,
                qty: l.qty,
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Level, Qty};

    fn p(s: &str) -> Price {
        Price::parse(s).unwrap()
    }

    #[test]
    fn group_steps_follow_the_price() {
        let show = |v: Vec<Price>| {
            v.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(show(group_steps(p("90000"))), "0.1 1 10 100");
        assert_eq!(show(group_steps(p("3000.5"))), "0.01 0.1 1 10");
        assert_eq!(
            show(group_steps(p("0.25"))),
            "0.000001 0.00001 0.0001 0.001"
        );
        assert_eq!(show(group_steps(p("0.00001234"))), "0.00000001 0.0000001");
    }

    #[test]
    fn grouping_rounds_away_from_the_spread_and_sums() {
        let lv = |pr: &str, q: &str| Level {
            price: p(pr),
            qty: Qty::parse(q).unwrap(),
        };
        let bids = [lv("100.9", "1"), lv("100.1", "2"), lv("99.5", "4")];
        let asks = [
            lv("101", "1"),
            lv("101.2", "2"),
            lv("101.9", "3"),
            lv("102.1", "5"),
        ];
        let g = |v: Vec<Level>| {
            v.iter()
                .map(|l| format!("{}@{}", l.qty, l.price))
                .collect::<Vec<_>>()
        };
        assert_eq!(g(group_levels(&bids, p("1"), true)), ["3@100", "4@99"]);
        assert_eq!(
            g(group_levels(&asks, p("1"), false)),
            ["1@101", "5@102", "5@103"]
        );
    }
}
