//! Tick-to-screen latency: from a market batch reaching the app loop to the end of the frame
//! that shows it, in a log-scale histogram the metrics endpoint reports as quantiles.

use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Buckets of 2^(i/4) microseconds: about 19% resolution from 1 µs to over 10 s.
const BUCKETS: usize = 96;

/// A latency histogram.
#[derive(Debug, Clone)]
pub struct Histogram {
    counts: [u64; BUCKETS],
    total: u64,
    frames: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self {
            counts: [0; BUCKETS],
            total: 0,
            frames: 0,
        }
    }
}

fn bucket(d: Duration) -> usize {
    let us = d.as_micros().max(1) as f64;
    ((us.log2() * 4.0).floor() as usize).min(BUCKETS - 1)
}

fn upper_us(i: usize) -> f64 {
    2f64.powf((i + 1) as f64 / 4.0)
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
        assert_eq!(Histogram::default().quantile_us(0.5), None);
    }
}
