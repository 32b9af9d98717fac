//! Tick-to-screen latency: from the oldest message a frame shows reaching its socket (or, for
//! a source that cannot tell, reaching the app loop) to the end of that frame, in a histogram
//! (0.1 ms steps up to 100 ms) the metrics endpoint reports as quantiles.

use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Buckets of 0.1 ms up to 100 ms (where frame budgets live), ...
const FINE_US: u64 = 100;
const FINE: usize = 1000;
/// ... then 2^(1/8) steps (9% resolution) up to about 100 s.
const COARSE: usize = 80;
const BUCKETS: usize = FINE + COARSE;

/// A latency histogram.
#[derive(Debug, Clone)]
pub struct Histogram {
    counts: Box<[u64; BUCKETS]>,
    total: u64,
    frames: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self {
            counts: Box::new([0; BUCKETS]),
            total: 0,
            frames: 0,
        }
    }
}

fn bucket(d: Duration) -> usize {
    let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
    let fine_end = FINE_US * FINE as u64;
    if us < fine_end {
        return (us / FINE_US) as usize;
    }
    let steps = ((us as f64 / fine_end as f64).log2() * 8.0).floor() as usize;
    FINE + steps.min(COARSE - 1)
}

fn upper_us(i: usize) -> f64 {
    if i < FINE {
        ((i + 1) as u64 * FINE_US) as f64
    } else {
        (FINE_US * FINE as u64) as f64 * 2f64.powf((i - FINE + 1) as f64 / 8.0)
    }
}

impl Histogram {
    /// Records one tick-to-screen delay.
    pub fn record(&mut self, d: Duration) {
        self.counts[bucket(d)] += 1;
        self.total += 1;
    }

    /// Counts a drawn frame.
    pub fn frame(&mut self) {
        self.frames += 1;
    }

    /// Frames drawn.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Samples recorded.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// The `q` quantile (0..=1) in microseconds (the bucket's upper bound); `None` when empty.
    pub fn quantile_us(&self, q: f64) -> Option<u64> {
        if self.total == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Some(upper_us(i).ceil() as u64);
            }
        }
        None
    }
}

/// A histogram shared between the app loop and the metrics endpoint.
pub type SharedHistogram = Arc<Mutex<Histogram>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_fall_in_the_right_bucket() {
        let mut h = Histogram::default();
        for ms in 1..=100 {
            h.record(Duration::from_millis(ms));
        }
        let p50 = h.quantile_us(0.5).unwrap();
        let p99 = h.quantile_us(0.99).unwrap();
        assert!((50_000..=60_000).contains(&p50), "{p50}");
        assert!((99_000..=120_000).contains(&p99), "{p99}");
        let mut h = Histogram::default();
        h.record(Duration::from_micros(33_350));
        assert_eq!(
            h.quantile_us(0.99),
            Some(33_400),
            "0.1 ms steps near a frame budget"
        );
        h.record(Duration::from_secs(3));
        assert!((3_000_000..=3_300_000).contains(&h.quantile_us(1.0).unwrap()));
        assert_eq!(Histogram::default().quantile_us(0.5), None);
    }
}
