//! The market generator of one symbol: a fair price that moves with calm, normal and burst
//! regimes, liquidity that is added and cancelled near the top, and takers that trade.
//! Everything is drawn from a `ChaCha8Rng` seeded from the simulator seed and the symbol name,
//! so a seed always produces the same market.

use super::book::{Book, Maker, MakerFill};
use super::candles::{Agg, KlineSource, LiveCandles};
use super::events::{
    AggTradeEv, BookTickerEv, DepthDiff, MarketEvent, Periodic, TickerSnap, TradeEv,
};
use super::history::{PricePath, name_hash};
use super::symbols::SymbolSpec;
use crate::domain::{Interval, Price, Qty, Side};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;
use std::sync::Arc;

/// Levels kept per side (a depth request may ask for 5000).
pub const LEVELS_PER_SIDE: usize = 5000;
/// Recent trades kept for `GET /api/v3/trades` and `aggTrades`.
const TRADES_KEPT: usize = 1000;
const MICRO: i64 = 1_000_000;
const DAY_MS: i64 = 86_400_000;
/// The fair price moves every 100 ms of simulated time.
const FAIR_MOVE_MS: i64 = 100;

/// Best level of one side, if any.
type Top = Option<(Price, Qty)>;
/// Changed levels of one side.
type Levels = Vec<(Price, Qty)>;

/// Market mood; it sets volatility, trade frequency and how busy the book is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Regime {
    Calm,
    Normal,
    Burst,
}

impl Regime {
    /// (volatility ppm per √s, trades per s, liquidity actions per step (min, max)).
    fn params(self) -> (i64, u64, (u32, u32)) {
        match self {
            Regime::Calm => (40, 2, (1, 2)),
            Regime::Normal => (120, 6, (1, 3)),
            Regime::Burst => (500, 40, (2, 6)),
        }
    }
}

/// A resting order of the demo account that a generated or user taker matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserMakerFill {
    /// The maker order.
    pub order_id: u64,
    /// Price.
    pub price: Price,
    /// Quantity.
    pub qty: Qty,
    /// Public trade id.
    pub trade_id: u64,
    /// Time.
    pub time: i64,
}

/// One symbol's book, trades and generator state.
pub struct Market {
    /// The instrument.
    pub spec: SymbolSpec,
    /// Closed-form history.
    pub path: PricePath,
    rng: ChaCha8Rng,
    /// The order book.
    pub book: Book,
    fair: i64,
    regime: Regime,
    steps_per_s: u32,
    next_move: i64,
    /// Last update id of the book.
    pub last_update_id: u64,
    next_trade_id: u64,
    next_agg_id: u64,
    /// Recent trades, oldest first.
    pub trades: VecDeque<TradeEv>,
    /// Recent aggregate trades, oldest first.
    pub aggs: VecDeque<AggTradeEv>,
    /// Live candles.
    pub live: LiveCandles,
    /// Last trade (price, qty).
    pub last_trade: Option<(Price, Qty)>,
    /// Start of the live market (ms).
    pub origin: i64,
    hist_minutes: Vec<(i64, Agg)>,
    last_top: (Top, Top),
    /// Fills of demo-account makers, drained by the engine.
    pub user_fills: Vec<UserMakerFill>,
}

impl Market {
    /// A market for `spec` with `steps_per_s` generator steps per second, live from `origin`.
    pub fn new(seed: u64, spec: SymbolSpec, steps_per_s: u32, origin: i64) -> Market {
        let path = PricePath::new(seed, &spec);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(name_hash(&spec.name));
        let origin_min = origin.div_euclid(60_000) * 60_000;
        let hist_minutes = (0..1440)
            .map(|i| {
                let t = origin_min - (1440 - i) * 60_000;
                (t, path.summarize(t, t + 60_000))
            })
            .collect();
        let mut m = Market {
            fair: path.ticks_at(origin).saturating_mul(MICRO) + MICRO / 2,
            path,
            spec,
            rng,
            book: Book::default(),
            regime: Regime::Normal,
            steps_per_s: steps_per_s.max(1),
            next_move: origin + FAIR_MOVE_MS,
            last_update_id: 1_000_000,
            next_trade_id: 100_000,
            next_agg_id: 50_000,
            trades: VecDeque::new(),
            aggs: VecDeque::new(),
            live: LiveCandles::default(),
            last_trade: None,
            origin,
            hist_minutes,
            last_top: (None, None),
            user_fills: Vec::new(),
        };
        m.build_initial_book();
        m
    }

    fn fair_ticks(&self) -> i64 {
        self.fair.div_euclid(MICRO)
    }

    fn build_initial_book(&mut self) {
        let base = self.spec.ticks(self.spec.base_price).max(1);
        let fair = self.fair_ticks();
        for side in [Side::Buy, Side::Sell] {
            let mut px = fair;
            for i in 0..LEVELS_PER_SIDE as i64 {
                let spread = base / 100_000 + i * base / 100_000_000;
                px += match side {
                    Side::Buy => -(1 + self.rng.random_range(0..=spread)),
                    Side::Sell => 1 + self.rng.random_range(0..=spread),
                };
                if px <= 0 {
                    break;
                }
                let q = self.random_qty(200, 3000) * (1000 + i) / 1000;
                self.book
                    .add_anon(side, self.spec.price_of(px), self.spec.qty_of_units(q));
            }
        }
        self.book.drain_changes();
        self.last_top = (self.book.best(Side::Buy), self.book.best(Side::Sell));
    }

    /// Typical quantity × a factor drawn from `[lo, hi)` per mille, in 1e-8 units.
    fn random_qty(&mut self, lo: i64, hi: i64) -> i64 {
        let f = self.rng.random_range(lo..hi);
        self.spec.typical_qty.units() / 1000 * f
    }

    /// Converts a per-second probability (ppm) into this step's chance and draws once.
    fn draw_ppm(&mut self) -> u64 {
        self.rng.random_range(0..1_000_000u64) * u64::from(self.steps_per_s)
    }

    /// One generator step at simulated time `time`; events go to `out`.
    pub fn step(&mut self, time: i64, out: &mut Vec<MarketEvent>) {
        self.switch_regime();
        self.move_fair(time);
        self.sweep(time, out);
        self.random_takers(time, out);
        let (_, _, (lo, hi)) = self.regime.params();
        let actions = self.rng.random_range(lo..=hi);
        for _ in 0..actions {
            self.liquidity_action();
        }
        self.keep_book_healthy();
        if !self.book.has_changes() {
            self.liquidity_add(Side::Buy);
        }
        self.flush_depth(time, out);
    }

    /// Regime changes happen at a per-second rate: Normal→Burst 2.5 %, Normal→Calm 3.3 %,
    /// Burst→Normal 16 %, Calm→Normal 5 %.
    fn switch_regime(&mut self) {
        let r = self.draw_ppm();
        self.regime = match self.regime {
            Regime::Normal if r < 25_000 => Regime::Burst,
            Regime::Normal if r < 58_000 => Regime::Calm,
            Regime::Burst if r < 160_000 => Regime::Normal,
            Regime::Calm if r < 50_000 => Regime::Normal,
            other => other,
        };
    }

    /// Moves the fair price once per 100 ms of simulated time (so volatility and the volume
    /// it causes do not depend on the step rate), with a weak pull back to the base price.
    fn move_fair(&mut self, time: i64) {
        let (vol_ppm, _, _) = self.regime.params();
        let base = i128::from(self.spec.ticks(self.spec.base_price).max(1));
        let sigma = base * i128::from(vol_ppm) * 3162 / 10_000;
        while self.next_move <= time {
            self.next_move += FAIR_MOVE_MS;
            let z: i128 = (0..4)
                .map(|_| i128::from(self.rng.random_range(-1_000_000i64..=1_000_000)))
                .sum();
            let revert = (base * i128::from(MICRO) - i128::from(self.fair)) / (10 * 86_400 * 3);
            let next = i128::from(self.fair) + sigma * z / 1_154_700 + revert;
            self.fair = i64::try_from(next).unwrap_or(self.fair).max(MICRO);
        }
    }

    /// When the fair price moved through the top of the book, a taker trades part of the
    /// first crossed level, makers pull the rest of the crossed liquidity, and the demo
    /// account's orders in the crossed range are filled (the price went through them).
    fn sweep(&mut self, time: i64, out: &mut Vec<MarketEvent>) {
        let tick = self.spec.tick.units().max(1);
        let fair = self.fair;
        let buy_limit = Price::from_units(fair.div_euclid(MICRO) * tick);
        let sell_limit = Price::from_units((fair + MICRO - 1).div_euclid(MICRO) * tick);
        for (taker, limit) in [(Side::Buy, buy_limit), (Side::Sell, sell_limit)] {
            let crossed = match taker {
                Side::Buy => self.book.best(Side::Sell).is_some_and(|(p, _)| p <= limit),
                Side::Sell => self.book.best(Side::Buy).is_some_and(|(p, _)| p >= limit),
            };
            if crossed {
                self.sweep_side(time, taker, limit, out);
            }
        }
    }

    fn sweep_side(&mut self, time: i64, taker: Side, limit: Price, out: &mut Vec<MarketEvent>) {
        let maker = taker.opposite();
        let units = self.random_qty(100, 1500);
        let mut want = self.spec.qty_of_units(units);
        let fills = self.book.take(taker, Some(limit), |_, avail| {
            let q = want.min(avail);
            want = want.saturating_sub(q);
            q
        });
        self.execute_taker(time, taker, &fills, out);
        while let Some((p, _)) = self.book.best(maker) {
            let inside = if taker == Side::Buy {
                p <= limit
            } else {
                p >= limit
            };
            let anon = self.book.anon_at(maker, p);
            if !inside || anon.is_zero() {
                break;
            }
            self.book.reduce_anon(maker, p, anon);
        }
        let fills = self.book.take(taker, Some(limit), |_, avail| avail);
        self.execute_taker(time, taker, &fills, out);
    }

    fn random_takers(&mut self, time: i64, out: &mut Vec<MarketEvent>) {
        let (_, per_s, _) = self.regime.params();
        let per_step_ppm = per_s * 1_000_000 / u64::from(self.steps_per_s);
        let mut n = per_step_ppm / 1_000_000;
        if self.rng.random_range(0..1_000_000u64) < per_step_ppm % 1_000_000 {
            n += 1;
        }
        for _ in 0..n.min(20) {
            let side = if self.rng.random_bool(0.5) {
                Side::Buy
            } else {
                Side::Sell
            };
            let f = self.rng.random_range(30i64..=1000);
            let units = self.spec.typical_qty.units() / 1000 * (f * f / 1000).max(1);
            let mut left = self.spec.qty_of_units(units);
            let fills = self.book.take(side, None, |_, avail| {
                let q = left.min(avail);
                left = left.saturating_sub(q);
                q
            });
            self.execute_taker(time, side, &fills, out);
        }
    }

    fn liquidity_action(&mut self) {
        let side = if self.rng.random_bool(0.5) {
            Side::Buy
        } else {
            Side::Sell
        };
        if self.rng.random_bool(0.5) {
            self.liquidity_add(side);
        } else {
            self.liquidity_cancel(side);
        }
    }

    fn liquidity_add(&mut self, side: Side) {
        let base = self.spec.ticks(self.spec.base_price).max(1);
        let width = (base / 2000).max(3);
        let u = self.rng.random_range(0..1000i64);
        let offset = 1 + width * u * u / 1_000_000 * u / 1000;
        let floor = self.fair_ticks();
        let ceil = (self.fair + MICRO - 1).div_euclid(MICRO);
        let ticks = match side {
            Side::Buy if ceil * MICRO - offset * MICRO < self.fair => ceil - offset,
            Side::Buy => ceil - offset - 1,
            Side::Sell if (floor + offset) * MICRO > self.fair => floor + offset,
            Side::Sell => floor + offset + 1,
        };
        if ticks <= 0 {
            return;
        }
        let q = self.random_qty(100, 2000);
        self.book
            .add_anon(side, self.spec.price_of(ticks), self.spec.qty_of_units(q));
    }

    fn liquidity_cancel(&mut self, side: Side) {
        let u = self.rng.random_range(0..1000usize);
        let i = 20 * u * u / 1_000_000;
        let Some(price) = self.book.nth_price(side, i) else {
            return;
        };
        let anon = self.book.anon_at(side, price);
        let pct = self.rng.random_range(30..=100i64);
        let cut = self.spec.qty_of_units(anon.units() / 100 * pct);
        self.book.reduce_anon(side, price, cut.min(anon));
    }

    fn keep_book_healthy(&mut self) {
        for side in [Side::Buy, Side::Sell] {
            while self.book.len(side) > LEVELS_PER_SIDE + 50 {
                let Some(worst) = self.book.worst(side) else {
                    break;
                };
                let anon = self.book.anon_at(side, worst);
                if anon.is_zero() {
                    break;
                }
                self.book.reduce_anon(side, worst, anon);
            }
            if self.book.len(side) < 200 {
                for _ in 0..5 {
                    self.liquidity_add(side);
                }
            }
        }
    }

    /// Turns a taker's maker fills into public trades (and aggregate trades per price),
    /// records candles and demo-account maker fills; returns one trade id per fill.
    pub fn execute_taker(
        &mut self,
        time: i64,
        taker: Side,
        fills: &[MakerFill],
        out: &mut Vec<MarketEvent>,
    ) -> Vec<u64> {
        let mut ids = Vec::with_capacity(fills.len());
        let buyer_maker = taker == Side::Sell;
        let mut i = 0;
        while i < fills.len() {
            let price = fills[i].price;
            let first = self.next_trade_id;
            let mut total = Qty::ZERO;
            while i < fills.len() && fills[i].price == price {
                let f = fills[i];
                let id = self.record_trade(time, f, buyer_maker, out);
                if let Maker::User(order_id) = f.maker {
                    self.user_fills.push(UserMakerFill {
                        order_id,
                        price,
                        qty: f.qty,
                        trade_id: id,
                        time,
                    });
                }
                ids.push(id);
                total = total.saturating_add(f.qty);
                i += 1;
            }
            let agg = AggTradeEv {
                time,
                id: self.next_agg_id,
                price,
                qty: total,
                first,
                last: self.next_trade_id - 1,
                buyer_maker,
            };
            self.next_agg_id += 1;
            push_capped(&mut self.aggs, agg.clone());
            out.push(MarketEvent::AggTrade(agg));
        }
        ids
    }

    fn record_trade(
        &mut self,
        time: i64,
        f: MakerFill,
        buyer_maker: bool,
        out: &mut Vec<MarketEvent>,
    ) -> u64 {
        let id = self.next_trade_id;
        self.next_trade_id += 1;
        let ev = TradeEv {
            time,
            id,
            price: f.price,
            qty: f.qty,
            buyer_maker,
        };
        let tid = i64::try_from(id).unwrap_or(i64::MAX);
        self.live.add_trade(time, tid, f.price, f.qty, !buyer_maker);
        self.last_trade = Some((f.price, f.qty));
        push_capped(&mut self.trades, ev.clone());
        out.push(MarketEvent::Trade(ev));
        id
    }

    /// Publishes the book changes since the last flush as one depth diff (and a book ticker
    /// if the top changed). Update ids count every change.
    pub fn flush_depth(&mut self, time: i64, out: &mut Vec<MarketEvent>) {
        let changes = self.book.drain_changes();
        if changes.is_empty() {
            return;
        }
        let first = self.last_update_id + 1;
        self.last_update_id += changes.len() as u64;
        let (mut bids, mut asks): (Levels, Levels) = (vec![], vec![]);
        for (side, price, qty) in changes {
            let list = if side == Side::Buy {
                &mut bids
            } else {
                &mut asks
            };
            match list.iter_mut().find(|(p, _)| *p == price) {
                Some(l) => l.1 = qty,
                None => list.push((price, qty)),
            }
        }
        out.push(MarketEvent::Depth(DepthDiff {
            time,
            first,
            last: self.last_update_id,
            bids,
            asks,
        }));
        let top = (self.book.best(Side::Buy), self.book.best(Side::Sell));
        if top != self.last_top {
            self.last_top = top;
            out.push(MarketEvent::BookTicker(BookTickerEv {
                update_id: self.last_update_id,
                bid: top.0.unwrap_or_default(),
                ask: top.1.unwrap_or_default(),
            }));
        }
    }

    /// The state for the periodic streams at the 100 ms boundary `time`.
    pub fn periodic(&self, time: i64) -> Arc<Periodic> {
        let whole_second = time.rem_euclid(1000) == 0;
        let mut klines = Vec::new();
        if whole_second {
            let src = self.kline_source(time);
            for iv in Interval::ALL {
                if iv == Interval::S1 || time.rem_euclid(2000) == 0 {
                    klines.push(src.kline(iv, iv.open_time(time - 1)));
                }
            }
        }
        Arc::new(Periodic {
            time,
            whole_second,
            last_update_id: self.last_update_id,
            bids: self.book.top(Side::Buy, 20),
            asks: self.book.top(Side::Sell, 20),
            ticker: whole_second.then(|| self.ticker(time)),
            klines,
        })
    }

    /// Klines of this market as of `now`.
    pub fn kline_source(&self, now: i64) -> KlineSource<'_> {
        KlineSource {
            path: &self.path,
            live: &self.live,
            origin: self.origin,
            now,
        }
    }

    /// Rolling 24 h statistics as of `now`.
    pub fn ticker(&self, now: i64) -> TickerSnap {
        let from = now - DAY_MS;
        let mut agg: Option<Agg> = None;
        let hist = self.hist_minutes.iter().filter(|(t, _)| *t >= from);
        let src = self.kline_source(now);
        let live_start = self.origin.max(from).div_euclid(60_000) * 60_000;
        let live = (0..)
            .map(|i| live_start + i * 60_000)
            .take_while(|t| *t <= now)
            .map(|t| src.kline(Interval::M1, t).agg);
        for a in hist.map(|(_, a)| a.clone()).chain(live) {
            match agg.as_mut() {
                Some(x) => x.merge(&a),
                None => agg = Some(a),
            }
        }
        let agg = agg.unwrap_or_else(|| Agg::flat(self.path.price_at(now)));
        let (last, last_qty) = self.last_trade.unwrap_or((agg.close, Qty::ZERO));
        TickerSnap {
            time: now,
            open_time: from,
            open: agg.open,
            high: agg.high.max(last),
            low: agg.low.min(last),
            last,
            last_qty,
            volume: agg.volume,
            quote_volume: agg.quote,
            first_id: agg.first_id.max(0),
            last_id: agg.last_id,
            count: agg.trades,
            bid: self.book.best(Side::Buy).unwrap_or_default(),
            ask: self.book.best(Side::Sell).unwrap_or_default(),
        }
    }
}

fn push_capped<T>(q: &mut VecDeque<T>, v: T) {
    if q.len() == TRADES_KEPT {
        q.pop_front();
    }
    q.push_back(v);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_keep_the_book_sane_and_ids_contiguous() {
        let spec = SymbolSpec::for_name("SOLUSDT");
        let mut m = Market::new(3, spec, 100, 1_767_225_600_000);
        let mut last = m.last_update_id;
        let mut trades = 0;
        for i in 1..=3000 {
            let mut out = Vec::new();
            m.step(1_767_225_600_000 + i * 10, &mut out);
            let depths: Vec<&DepthDiff> = out
                .iter()
                .filter_map(|e| match e {
                    MarketEvent::Depth(d) => Some(d),
                    _ => None,
                })
                .collect();
            assert_eq!(depths.len(), 1, "one diff per step");
            assert_eq!(depths[0].first, last + 1);
            last = depths[0].last;
            trades += out
                .iter()
                .filter(|e| matches!(e, MarketEvent::Trade(_)))
                .count();
            let (bid, ask) = (
                m.book.best(Side::Buy).unwrap(),
                m.book.best(Side::Sell).unwrap(),
            );
            assert!(bid.0 < ask.0, "crossed at step {i}: {bid:?} {ask:?}");
            assert!(m.book.len(Side::Buy) <= LEVELS_PER_SIDE + 50);
        }
        assert!(trades > 50, "the market trades ({trades})");
    }
}
