//! Closed-form price history: a deterministic multi-scale value-noise path per symbol, so klines
//! for any past time can be computed on demand without storing rows. Integer arithmetic only.

use super::candles::Agg;
use super::symbols::SymbolSpec;
use crate::domain::{Price, Qty};

const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;
const DAY: i64 = 24 * HOUR;

/// (period in ms, amplitude in parts per million of the base price), slowest first.
const OCTAVES: [(i64, i64); 9] = [
    (30 * DAY, 80_000),
    (7 * DAY, 40_000),
    (DAY, 20_000),
    (4 * HOUR, 8_000),
    (HOUR, 4_000),
    (15 * MIN, 2_000),
    (3 * MIN, 1_000),
    (30_000, 400),
    (5_000, 150),
];

/// Samples taken inside one candle to find its high and low.
const SAMPLES: i64 = 48;

/// The history of one symbol: a pure function of the seed, the symbol and the time.
#[derive(Debug, Clone)]
pub struct PricePath {
    key: u64,
    base_ticks: i64,
    tick: i64,
    step: i64,
    /// Typical traded base volume per minute, in 1e-8 units.
    vol_per_min: i64,
}

/// SplitMix64: a small, value-stable integer hash.
pub fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// FNV-1a of a string: a stable per-symbol key.
pub fn name_hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl PricePath {
    /// The path of `spec` for `seed`.
    pub fn new(seed: u64, spec: &SymbolSpec) -> Self {
        let tick = spec.tick.units().max(1);
        PricePath {
            key: mix(seed ^ name_hash(&spec.name)),
            base_ticks: (spec.base_price.units() / tick).max(1),
            tick,
            step: spec.step.units().max(1),
            vol_per_min: spec.typical_qty.units().saturating_mul(300),
        }
    }

    /// A value in [-1e6, 1e6] for lattice point `n` of octave `k`.
    fn lattice(&self, k: usize, n: i64) -> i64 {
        let h = mix(self.key ^ ((k as u64) << 56) ^ (n as u64));
        (h % 2_000_001) as i64 - 1_000_000
    }

    /// Price in ticks at time `t` (ms).
    pub fn ticks_at(&self, t: i64) -> i64 {
        let mut sum: i128 = 0;
        for (k, (period, amp)) in OCTAVES.iter().enumerate() {
            let n = t.div_euclid(*period);
            let s = i128::from(t.rem_euclid(*period)) * 1_000_000 / i128::from(*period);
            let smooth = s * s / 1_000_000 * (3_000_000 - 2 * s) / 1_000_000;
            let v0 = i128::from(self.lattice(k, n));
            let v1 = i128::from(self.lattice(k, n + 1));
            let v = v0 + (v1 - v0) * smooth / 1_000_000;
            sum += i128::from(*amp) * v;
        }
        let base = i128::from(self.base_ticks);
        let ticks = base + base * sum / 1_000_000_000_000;
        i64::try_from(ticks).unwrap_or(self.base_ticks).max(1)
    }

    /// Price at time `t`.
    pub fn price_at(&self, t: i64) -> Price {
        Price::from_units(self.ticks_at(t).saturating_mul(self.tick))
    }

    /// The candle of the path over `[t0, t1)`: open at `t0`, close at `t1`, high/low sampled.
    pub fn summarize(&self, t0: i64, t1: i64) -> Agg {
        let span = (t1 - t0).max(1);
        let open = self.ticks_at(t0);
        let close = self.ticks_at(t1);
        let (mut hi, mut lo) = (open.max(close), open.min(close));
        let n = SAMPLES.min(span / 1000).max(1);
        for i in 1..n {
            let v = self.ticks_at(t0 + span * i / n);
            hi = hi.max(v);
            lo = lo.min(v);
        }
        let r = mix(self.key ^ (t0 as u64) ^ 0x5555);
        let wick = (hi - lo) / 8 + 1;
        hi += (r % 1000) as i64 * wick / 1000;
        lo = (lo - ((r >> 20) % 1000) as i64 * wick / 1000).max(1);
        let vol = self.volume(span, r);
        let taker_pct = 40 + (r >> 40) as i64 % 21;
        let mid = Price::from_units((open + close) / 2 * self.tick);
        let taker = Qty::from_units(vol / 100 * taker_pct / self.step * self.step);
        let vol = Qty::from_units(vol);
        Agg {
            open: Price::from_units(open * self.tick),
            high: Price::from_units(hi * self.tick),
            low: Price::from_units(lo * self.tick),
            close: Price::from_units(close * self.tick),
            volume: vol,
            quote: crate::domain::notional(mid, vol).unwrap_or_default(),
            taker_volume: taker,
            taker_quote: crate::domain::notional(mid, taker).unwrap_or_default(),
            trades: (vol.units() / (self.vol_per_min / 40).max(1)).max(1) as u64,
            first_id: -1,
            last_id: -1,
        }
    }

    /// Base volume traded over `span` ms, floored to the step, 50–150 % of typical.
    fn volume(&self, span: i64, r: u64) -> i64 {
        let pct = 50 + (r >> 8) as i64 % 101;
        let v = i128::from(self.vol_per_min) * i128::from(span) / i128::from(MIN) * i128::from(pct)
            / 100;
        let v = i64::try_from(v).unwrap_or(i64::MAX / 2);
        (v / self.step * self.step).max(self.step)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_is_deterministic_positive_and_continuous() {
        let spec = SymbolSpec::for_name("BTCUSDT");
        let a = PricePath::new(7, &spec);
        let b = PricePath::new(7, &spec);
        let t = 1_750_000_000_000;
        assert_eq!(a.ticks_at(t), b.ticks_at(t));
        assert_ne!(a.ticks_at(t), PricePath::new(8, &spec).ticks_at(t));
        let base = 9_000_000;
        for i in 0..500 {
            let v = a.ticks_at(t + i * 7 * HOUR);
            assert!(v > base / 2 && v < base * 2, "{v}");
        }
        let step = (a.ticks_at(t + 1000) - a.ticks_at(t)).abs();
        assert!(step < base / 500, "one second moves {step} ticks");
        let c = a.summarize(t, t + MIN);
        assert!(c.low <= c.open && c.open <= c.high && c.low <= c.close && c.close <= c.high);
        assert_eq!(c.close, a.summarize(t + MIN, t + 2 * MIN).open);
    }
}
