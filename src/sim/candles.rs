//! Klines: live 1s/1m aggregates of the simulated trades, merged with the closed-form history
//! for times before the simulator started, for any Binance interval.

use super::history::PricePath;
use crate::domain::{Interval, Price, Qty};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// How long 1s aggregates are kept (older seconds fall back to flat candles).
const SECONDS_KEPT_MS: i64 = 6 * 3_600_000;

/// OHLCV of a stretch of time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agg {
    /// First price.
    pub open: Price,
    /// Highest price.
    pub high: Price,
    /// Lowest price.
    pub low: Price,
    /// Last price.
    pub close: Price,
    /// Base volume.
    pub volume: Qty,
    /// Quote volume.
    pub quote: Decimal,
    /// Base volume bought by takers.
    pub taker_volume: Qty,
    /// Quote volume bought by takers.
    pub taker_quote: Decimal,
    /// Number of trades.
    pub trades: u64,
    /// First trade id, -1 if none (history has no ids).
    pub first_id: i64,
    /// Last trade id, -1 if none.
    pub last_id: i64,
}

impl Agg {
    /// A candle with no trades at `price`.
    pub fn flat(price: Price) -> Agg {
        Agg {
            open: price,
            high: price,
            low: price,
            close: price,
            volume: Qty::ZERO,
            quote: Decimal::ZERO,
            taker_volume: Qty::ZERO,
            taker_quote: Decimal::ZERO,
            trades: 0,
            first_id: -1,
            last_id: -1,
        }
    }

    /// Adds one trade.
    pub fn add_trade(&mut self, id: i64, price: Price, qty: Qty, taker_buy: bool) {
        self.high = self.high.max(price);
        self.low = self.low.min(price);
        self.close = price;
        let quote = crate::domain::notional(price, qty).unwrap_or_default();
        self.volume = self.volume.saturating_add(qty);
        self.quote += quote;
        if taker_buy {
            self.taker_volume = self.taker_volume.saturating_add(qty);
            self.taker_quote += quote;
        }
        self.trades += 1;
        if self.first_id < 0 {
            self.first_id = id;
        }
        self.last_id = id;
    }

    /// `self` followed by `later`.
    pub fn merge(&mut self, later: &Agg) {
        if later.trades == 0 && later.volume.is_zero() {
            return;
        }
        self.high = self.high.max(later.high);
        self.low = self.low.min(later.low);
        self.close = later.close;
        self.volume = self.volume.saturating_add(later.volume);
        self.quote += later.quote;
        self.taker_volume = self.taker_volume.saturating_add(later.taker_volume);
        self.taker_quote += later.taker_quote;
        self.trades += later.trades;
        if self.first_id < 0 {
            self.first_id = later.first_id;
        }
        if later.last_id >= 0 {
            self.last_id = later.last_id;
        }
    }
}

/// One kline as served by REST and the kline stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kline {
    /// Interval.
    pub interval: Interval,
    /// Open time (ms).
    pub open_time: i64,
    /// Close time (ms, inclusive: next open − 1).
    pub close_time: i64,
    /// Prices, volumes and trade ids.
    pub agg: Agg,
    /// Whether the interval has ended.
    pub closed: bool,
}

/// Live aggregates per second and per minute of open time.
#[derive(Debug, Default)]
pub struct LiveCandles {
    seconds: BTreeMap<i64, Agg>,
    minutes: BTreeMap<i64, Agg>,
}

impl LiveCandles {
    /// Records a trade at time `t`.
    pub fn add_trade(&mut self, t: i64, id: i64, price: Price, qty: Qty, taker_buy: bool) {
        for (map, len) in [(&mut self.seconds, 1000), (&mut self.minutes, 60_000)] {
            let open = t.div_euclid(len) * len;
            map.entry(open)
                .or_insert_with(|| Agg::flat(price))
                .add_trade(id, price, qty, taker_buy);
        }
        let cutoff = t - SECONDS_KEPT_MS;
        while let Some((&k, _)) = self.seconds.first_key_value() {
            if k >= cutoff {
                break;
            }
            self.seconds.remove(&k);
        }
    }

    /// The last close at or before `t`, if any live trade happened by then.
    fn last_close_before(&self, t: i64) -> Option<Price> {
        self.minutes.range(..=t).next_back().map(|(_, a)| a.close)
    }

    /// Live trades in `[t0, t1)` merged into one aggregate, from the 1s buckets when `fine`,
    /// else from the 1m buckets (live trades all happen after the origin, so a bucket that
    /// straddles it holds only live trades).
    fn aggregate(&self, t0: i64, t1: i64, fine: bool) -> Option<Agg> {
        let (map, t0) = if fine {
            (&self.seconds, t0)
        } else {
            (&self.minutes, t0.div_euclid(60_000) * 60_000)
        };
        let mut out: Option<Agg> = None;
        for (_, a) in map.range(t0..t1) {
            match out.as_mut() {
                Some(o) => o.merge(a),
                None => out = Some(a.clone()),
            }
        }
        out
    }
}

/// Computes klines from history (before `origin`) and live trades (after).
pub struct KlineSource<'a> {
    /// Closed-form history.
    pub path: &'a PricePath,
    /// Live aggregates.
    pub live: &'a LiveCandles,
    /// When the live market started (ms).
    pub origin: i64,
    /// The current simulated time (ms).
    pub now: i64,
}

impl KlineSource<'_> {
    /// The kline of `interval` that opens at `open` (which must be an interval boundary).
    pub fn kline(&self, interval: Interval, open: i64) -> Kline {
        let next = next_open(interval, open);
        let hist = (open < self.origin).then(|| self.path.summarize(open, next.min(self.origin)));
        let live_from = open.max(self.origin);
        let live = (next > self.origin)
            .then(|| {
                self.live
                    .aggregate(live_from, next, interval == Interval::S1)
            })
            .flatten();
        let agg = match (hist, live) {
            (Some(mut h), Some(l)) => {
                h.merge(&l);
                h
            }
            (Some(h), None) => h,
            (None, Some(l)) => l,
            (None, None) => {
                let close = self
                    .live
                    .last_close_before(open)
                    .unwrap_or_else(|| self.path.price_at(self.origin));
                Agg::flat(close)
            }
        };
        Kline {
            interval,
            open_time: open,
            close_time: next - 1,
            agg,
            closed: next <= self.now,
        }
    }

    /// Up to `limit` klines, oldest first, opening in `[start, end]`; without `start` the most
    /// recent ones ending with the current candle.
    pub fn klines(
        &self,
        interval: Interval,
        start: Option<i64>,
        end: Option<i64>,
        limit: usize,
    ) -> Vec<Kline> {
        let end = end.unwrap_or(self.now).min(self.now);
        let mut opens = Vec::with_capacity(limit);
        match start {
            Some(s) => {
                let mut t = interval.open_time(s);
                if t < s {
                    t = next_open(interval, t);
                }
                while t <= end && opens.len() < limit {
                    opens.push(t);
                    t = next_open(interval, t);
                }
            }
            None => {
                let mut t = interval.open_time(end);
                while opens.len() < limit {
                    opens.push(t);
                    t = interval.open_time(t - 1);
                }
                opens.reverse();
            }
        }
        opens.into_iter().map(|o| self.kline(interval, o)).collect()
    }
}

/// The open time of the candle after the one opening at `open`.
pub fn next_open(interval: Interval, open: i64) -> i64 {
    match interval {
        Interval::Mo1 => interval.open_time(open + 32 * 86_400_000),
        other => open + other.millis(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::symbols::SymbolSpec;

    #[test]
    fn history_and_live_join_in_one_candle() {
        let spec = SymbolSpec::for_name("ETHUSDT");
        let path = PricePath::new(1, &spec);
        let origin = 1_750_000_030_000;
        let mut live = LiveCandles::default();
        let px = Price::from_int(5000);
        live.add_trade(origin + 1000, 42, px, Qty::ONE, true);
        let src = KlineSource {
            path: &path,
            live: &live,
            origin,
            now: origin + 5000,
        };
        let ks = src.klines(Interval::M1, None, None, 3);
        assert_eq!(ks.len(), 3);
        let cur = &ks[2];
        assert!(!cur.closed && ks[1].closed);
        assert_eq!(cur.agg.close, px);
        assert_eq!((cur.agg.first_id, cur.agg.last_id), (42, 42));
        assert!(cur.agg.high >= px);
        assert_eq!(ks[1].close_time + 1, cur.open_time);
        let month = src.klines(Interval::Mo1, None, None, 2);
        assert_eq!(month[1].open_time, Interval::Mo1.open_time(origin));
    }
}
