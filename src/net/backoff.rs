//! Exponential backoff with full jitter for reconnects: the ceiling grows by a factor per failed
//! attempt up to a maximum, each delay is uniform in `[0, ceiling]`, and a success resets it.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::time::Duration;

/// Backoff settings. Validated by [`Backoff::new`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackoffConfig {
    /// Ceiling of the first delay (must be > 0).
    pub initial: Duration,
    /// Largest ceiling (must be >= `initial`).
    pub max: Duration,
    /// Growth of the ceiling per attempt (2..=10).
    pub factor: u32,
}

impl Default for BackoffConfig {
    /// 500 ms, doubling, at most 30 s.
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(500),
            max: Duration::from_secs(30),
            factor: 2,
        }
    }
}

/// Why a [`BackoffConfig`] was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackoffError {
    /// `initial` is zero.
    #[error("backoff: the initial delay must be greater than zero")]
    ZeroInitial,
    /// `max < initial`.
    #[error("backoff: the maximum delay ({max:?}) is below the initial delay ({initial:?})")]
    MaxBelowInitial {
        /// Initial.
        initial: Duration,
        /// Maximum.
        max: Duration,
    },
    /// `factor` outside 2..=10.
    #[error("backoff: the factor must be between 2 and 10, not {0}")]
    Factor(u32),
}

/// Delay generator; see the module docs.
#[derive(Debug)]
pub struct Backoff {
    cfg: BackoffConfig,
    ceiling: Duration,
    attempts: u32,
    rng: StdRng,
}

impl Backoff {
    /// Checks the settings and starts at the initial ceiling.
    pub fn new(cfg: BackoffConfig) -> Result<Self, BackoffError> {
        Self::with_rng(cfg, StdRng::from_os_rng())
    }

    /// Like [`Backoff::new`] with a fixed seed (tests).
    pub fn seeded(cfg: BackoffConfig, seed: u64) -> Result<Self, BackoffError> {
        Self::with_rng(cfg, StdRng::seed_from_u64(seed))
    }

    fn with_rng(cfg: BackoffConfig, rng: StdRng) -> Result<Self, BackoffError> {
        if cfg.initial.is_zero() {
            return Err(BackoffError::ZeroInitial);
        }
        if cfg.max < cfg.initial {
            return Err(BackoffError::MaxBelowInitial {
                initial: cfg.initial,
                max: cfg.max,
            });
        }
        if !(2..=10).contains(&cfg.factor) {
            return Err(BackoffError::Factor(cfg.factor));
        }
        Ok(Self {
            cfg,
            ceiling: cfg.initial,
            attempts: 0,
            rng,
        })
    }

    /// The next delay, uniform in `[0, ceiling]`; then the ceiling grows.
    pub fn next_delay(&mut self) -> Duration {
        let ceiling_ms = u64::try_from(self.ceiling.as_millis()).unwrap_or(u64::MAX);
        let delay = Duration::from_millis(self.rng.random_range(0..=ceiling_ms));
        self.ceiling = self
            .ceiling
            .checked_mul(self.cfg.factor)
            .map_or(self.cfg.max, |c| c.min(self.cfg.max));
        self.attempts = self.attempts.saturating_add(1);
        delay
    }

    /// Back to the initial ceiling (call after a connection proved stable).
    pub fn reset(&mut self) {
        self.ceiling = self.cfg.initial;
        self.attempts = 0;
    }

    /// Failed attempts since the last reset.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The ceiling the next delay is drawn under.
    pub fn ceiling(&self) -> Duration {
        self.ceiling
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(initial: u64, max: u64, factor: u32) -> BackoffConfig {
        BackoffConfig {
            initial: Duration::from_millis(initial),
            max: Duration::from_millis(max),
            factor,
        }
    }

    #[test]
    fn ceiling_grows_to_the_cap_and_delays_stay_under_it() {
        let mut b = Backoff::seeded(cfg(100, 1000, 2), 7).unwrap();
        let mut ceilings = vec![];
        for _ in 0..8 {
            let c = b.ceiling();
            let d = b.next_delay();
            assert!(d <= c, "{d:?} > {c:?}");
            ceilings.push(c.as_millis());
        }
        assert_eq!(ceilings, [100, 200, 400, 800, 1000, 1000, 1000, 1000]);
        assert_eq!(b.attempts(), 8);
    }

    #[test]
    fn jitter_spreads_delays() {
        let mut b = Backoff::seeded(cfg(10_000, 10_000, 2), 1).unwrap();
        let delays: std::collections::HashSet<_> = (0..20).map(|_| b.next_delay()).collect();
        assert!(
            delays.len() > 10,
            "full jitter must spread delays: {delays:?}"
        );
    }

    #[test]
    fn reset_returns_to_the_initial_ceiling() {
        let mut b = Backoff::seeded(cfg(100, 10_000, 3), 2).unwrap();
        for _ in 0..5 {
            b.next_delay();
        }
        b.reset();
        assert_eq!(b.ceiling(), Duration::from_millis(100));
        assert_eq!(b.attempts(), 0);
    }

    #[test]
    fn bad_settings_are_refused() {
        assert_eq!(
            Backoff::new(cfg(0, 10, 2)).unwrap_err(),
            BackoffError::ZeroInitial
        );
        assert!(matches!(
            Backoff::new(cfg(10, 5, 2)),
            Err(BackoffError::MaxBelowInitial { .. })
        ));
        assert_eq!(
            Backoff::new(cfg(10, 50, 1)).unwrap_err(),
            BackoffError::Factor(1)
        );
        assert_eq!(
            Backoff::new(cfg(10, 50, 11)).unwrap_err(),
            BackoffError::Factor(11)
        );
    }
}
