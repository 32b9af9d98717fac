//! Candle series: trades bucketed into OHLCV candles, venue candles (kline stream, REST
//! backfill) merged in by open time, at most `cap` candles kept.

use crate::domain::{Candle, Interval, Qty, TimeMs, Trade, notional};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, VecDeque};

/// One symbol's candles at one interval, oldest first.
///
/// Sources mix safely:
/// - trades build and extend candles (gaps without trades become flat zero-volume candles, as
///   Binance's klines do);
/// - a venue candle (kline stream or backfill) replaces the candle with the same open time;
/// - once the venue has sent a candle, later trades in it only move its close, high and low
///   (idempotent), never its volume or trade count, which the venue's next update brings. So a
///   trade is never counted twice.
#[derive(Debug, Clone)]
pub struct CandleSeries {
    interval: Interval,
    cap: usize,
    candles: VecDeque<Candle>,
    /// Open time of the newest candle the venue sent.
    venue_until: Option<TimeMs>,
    /// Counts changes to anything but the newest candle in place (a candle added, removed or
    /// replaced further back), so a chart knows when only its last candle moved.
    past_revision: u64,
}

impl CandleSeries {
    /// An empty series keeping at most `cap` candles (at least 1).
    pub fn new(interval: Interval, cap: usize) -> Self {
        Self {
            interval,
            cap: cap.max(1),
            candles: VecDeque::new(),
            venue_until: None,
            past_revision: 0,
        }
    }

    /// The interval.
    pub fn interval(&self) -> Interval {
        self.interval
    }

    /// Candles, oldest first.
    pub fn candles(&self) -> &VecDeque<Candle> {
        &self.candles
    }

    /// The candles as one contiguous slice (for indicators), oldest first.
    pub fn as_slice(&mut self) -> &[Candle] {
        self.candles.make_contiguous()
    }

    /// Changes so far to anything but the newest candle in place: equal revisions mean every
    /// candle but the newest is as it was.
    pub fn past_revision(&self) -> u64 {
        self.past_revision
    }

    /// The newest candle.
    pub fn last(&self) -> Option<&Candle> {
        self.candles.back()
    }

    /// Number of candles.
    pub fn len(&self) -> usize {
        self.candles.len()
    }

    /// `true` when there are none.
    pub fn is_empty(&self) -> bool {
        self.candles.is_empty()
    }

    /// Adds a trade to the candle of its interval.
    pub fn on_trade(&mut self, t: &Trade) {
        let open = self.interval.open_time(t.time);
        let venue = self.venue_until.is_some_and(|v| open <= v);
        match self.candles.back() {
            Some(last) if open > last.open_time => {
                self.close_all_before(open);
                self.fill_gap(open);
                self.push(fresh(open, t));
            }
            _ => match self.find(open) {
                Ok(i) => {
                    self.touch(i);
                    add_trade(&mut self.candles[i], t, !venue);
                }
                Err(i) => {
                    self.past_revision += 1;
                    self.candles.insert(i, fresh(open, t));
                    self.trim();
                }
            },
        }
    }

    /// Flat candles for intervals without trades between the last candle and `open`.
    fn fill_gap(&mut self, open: TimeMs) {
        let Some(last) = self.candles.back().cloned() else {
            return;
        };
        let mut t = self.next_open(last.open_time);
        let mut added = 0;
        while t < open && added < self.cap {
            self.push(Candle {
                open_time: t,
                open: last.close,
                high: last.close,
                low: last.close,
                close: last.close,
                volume: Qty::ZERO,
                quote_volume: Decimal::ZERO,
                trades: 0,
                closed: true,
            });
            t = self.next_open(t);
            added += 1;
        }
    }

    /// The open time of the candle after the one opening at `open`.
    fn next_open(&self, open: TimeMs) -> TimeMs {
        let step = self.interval.millis();
        // Months vary in length: step past the end, then snap back to the month's start.
        self.interval
            .open_time(open.saturating_add(step + step / 10))
    }

    /// Replaces (or inserts) a venue candle: a kline-stream update or one backfilled candle.
    pub fn on_candle(&mut self, c: Candle) {
        let open = c.open_time;
        self.venue_until = Some(self.venue_until.map_or(open, |v| v.max(open)));
        if self
            .candles
            .back()
            .is_some_and(|last| open > last.open_time)
        {
            self.close_all_before(open);
            self.push(c);
            return;
        }
        match self.find(open) {
            Ok(i) => {
                self.touch(i);
                self.candles[i] = c;
            }
            Err(i) => {
                self.past_revision += 1;
                self.candles.insert(i, c);
                self.trim();
            }
        }
    }

    /// Merges REST history (any order); candles already present are replaced, none doubled.
    pub fn backfill(&mut self, candles: impl IntoIterator<Item = Candle>) {
        let mut list: Vec<Candle> = candles.into_iter().collect();
        list.sort_by_key(|c| c.open_time);
        for c in list {
            self.on_candle(c);
        }
    }

    /// Marks candles whose interval ended before `now` as closed.
    pub fn roll(&mut self, now: TimeMs) {
        let current = self.interval.open_time(now);
        self.close_all_before(current);
    }

    /// Counts a change to candle `i` unless it is the newest.
    fn touch(&mut self, i: usize) {
        if i + 1 < self.candles.len() {
            self.past_revision += 1;
        }
    }

    fn close_all_before(&mut self, open: TimeMs) {
        let newest = self.candles.len().saturating_sub(1);
        for (i, c) in self.candles.iter_mut().enumerate().rev() {
            if c.open_time < open {
                if c.closed {
                    break;
                }
                c.closed = true;
                if i < newest {
                    self.past_revision += 1;
                }
            }
        }
    }

    fn find(&self, open: TimeMs) -> Result<usize, usize> {
        self.candles.binary_search_by_key(&open, |c| c.open_time)
    }

    fn push(&mut self, c: Candle) {
        self.past_revision += 1;
        self.candles.push_back(c);
        self.trim();
    }

    fn trim(&mut self) {
        while self.candles.len() > self.cap {
            self.candles.pop_front();
        }
    }
}

/// A new candle from its first trade.
fn fresh(open: TimeMs, t: &Trade) -> Candle {
    Candle {
        open_time: open,
        open: t.price,
        high: t.price,
        low: t.price,
        close: t.price,
        volume: t.qty,
        quote_volume: notional(t.price, t.qty).unwrap_or_default(),
        trades: 1,
        closed: false,
    }
}

/// Adds a trade to a candle; `count` false moves only the prices (the venue owns the volume).
fn add_trade(c: &mut Candle, t: &Trade, count: bool) {
    if count && c.trades == 0 {
        // A flat gap candle: its first real trade opens it.
        let closed = c.closed;
        *c = fresh(c.open_time, t);
        c.closed = closed;
        return;
    }
    c.high = c.high.max(t.price);
    c.low = c.low.min(t.price);
    c.close = t.price;
    if count {
        c.volume = c.volume.saturating_add(t.qty);
        c.quote_volume += notional(t.price, t.qty).unwrap_or_default();
        c.trades += 1;
    }
}

/// The chart intervals of one symbol side by side; every trade feeds all of them.
#[derive(Debug, Clone)]
pub struct CandleSet {
    series: BTreeMap<Interval, CandleSeries>,
}

impl CandleSet {
    /// Series for `intervals`, each keeping at most `cap` candles.
    pub fn new(intervals: &[Interval], cap: usize) -> Self {
        Self {
            series: intervals
                .iter()
                .map(|i| (*i, CandleSeries::new(*i, cap)))
                .collect(),
        }
    }

    /// 1s, 1m, 5m, 15m, 1h, 4h and 1d ([`Interval::CHART`]).
    pub fn chart(cap: usize) -> Self {
        Self::new(&Interval::CHART, cap)
    }

    /// Feeds a trade to every interval.
    pub fn on_trade(&mut self, t: &Trade) {
        self.series.values_mut().for_each(|s| s.on_trade(t));
    }

    /// A venue candle for one interval (ignored for intervals not kept).
    pub fn on_candle(&mut self, interval: Interval, c: Candle) {
        if let Some(s) = self.series.get_mut(&interval) {
            s.on_candle(c);
        }
    }

    /// REST history for one interval.
    pub fn backfill(&mut self, interval: Interval, candles: impl IntoIterator<Item = Candle>) {
        if let Some(s) = self.series.get_mut(&interval) {
            s.backfill(candles);
        }
    }

    /// Closes finished candles in every interval.
    pub fn roll(&mut self, now: TimeMs) {
        self.series.values_mut().for_each(|s| s.roll(now));
    }

    /// One interval's series.
    pub fn get(&self, interval: Interval) -> Option<&CandleSeries> {
        self.series.get(&interval)
    }

    /// One interval's series, mutable (for [`CandleSeries::as_slice`]).
    pub fn get_mut(&mut self, interval: Interval) -> Option<&mut CandleSeries> {
        self.series.get_mut(&interval)
    }
}
