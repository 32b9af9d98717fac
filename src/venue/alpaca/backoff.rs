//! A minimal reconnect backoff for the Alpaca streams: exponential, jittered, reset on success.
//!
//! TODO(lead): switch to net::backoff once it merges; this private copy only exists so the
//! Alpaca streams can reconnect before that.

use rand::Rng;
use std::time::Duration;

/// Exponential backoff with "equal jitter": attempt n waits a random time in
/// `[d/2, d]` where `d = min(max, min_delay * 2^n)`.
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    min: Duration,
    max: Duration,
    attempt: u32,
}

impl Backoff {
    /// A backoff between `min` and `max` (`max` is raised to `min` if smaller; zero `min` is
    /// raised to 1 ms so a broken peer is never hammered in a tight loop).
    pub fn new(min: Duration, max: Duration) -> Self {
        let min = min.max(Duration::from_millis(1));
        Self {
            min,
            max: max.max(min),
            attempt: 0,
        }
    }

    /// The delay before the next attempt.
    pub fn next_delay(&mut self) -> Duration {
        let factor = 1u32.checked_shl(self.attempt.min(20)).unwrap_or(u32::MAX);
        let cap = self.min.saturating_mul(factor).min(self.max);
        self.attempt = self.attempt.saturating_add(1);
        let half = cap / 2;
        let jitter_ms = u64::try_from(half.as_millis()).unwrap_or(u64::MAX);
        let extra = if jitter_ms == 0 {
            0
        } else {
            rand::rng().random_range(0..=jitter_ms)
        };
        (cap - half) + Duration::from_millis(extra)
    }

    /// Back to the shortest delay (call once a connection is live).
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_caps_and_resets() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_secs(2));
        let first = b.next_delay();
        assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
        for _ in 0..30 {
            let d = b.next_delay();
            assert!(d <= Duration::from_secs(2), "{d:?}");
        }
        let late = b.next_delay();
        assert!(late >= Duration::from_secs(1), "{late:?}");
        b.reset();
        assert!(b.next_delay() <= Duration::from_millis(100));
        let mut z = Backoff::new(Duration::ZERO, Duration::ZERO);
        assert!(z.next_delay() <= Duration::from_millis(1));
    }
}
