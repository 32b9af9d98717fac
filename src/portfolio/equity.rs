//! The equity curve: snapshots of the totals and the sampler that decides when to take them.
//!
//! One snapshot per minute while the client runs, and a daily one: the first snapshot taken on
//! each day (UTC midnight, shifted by [`SamplerConfig::day_offset_ms`]) is marked
//! [`SnapshotKind::Daily`], so the store can keep daily points forever and thin out minute ones.
//! Time is injected (`poll(now)`), so the logic runs in tests without a clock.

use super::Totals;
use crate::domain::TimeMs;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One day in milliseconds.
pub const DAY_MS: i64 = 86_400_000;

/// Why a snapshot was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SnapshotKind {
    /// The periodic sample (every minute by default).
    Minute,
    /// The first sample of a day; also counts as that minute's sample.
    Daily,
}

impl SnapshotKind {
    /// Name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            SnapshotKind::Minute => "minute",
            SnapshotKind::Daily => "daily",
        }
    }
}

/// A point of the equity curve (a `portfolio_history` row).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EquitySnapshot {
    /// When it was taken.
    pub time: TimeMs,
    /// Minute or daily.
    pub kind: SnapshotKind,
    /// Currency of the amounts.
    pub currency: String,
    /// Cash + market value.
    pub equity: Decimal,
    /// Cash.
    pub cash: Decimal,
    /// Market value of the holdings.
    pub market_value: Decimal,
    /// Unrealized P&L.
    pub unrealized: Decimal,
    /// Realized P&L after fees.
    pub realized: Decimal,
    /// `false` when some holding or cash line could not be valued.
    pub complete: bool,
}

impl EquitySnapshot {
    /// A snapshot of `totals` at `time`.
    pub fn from_totals(time: TimeMs, kind: SnapshotKind, totals: &Totals) -> Self {
        Self {
            time,
            kind,
            currency: totals.currency.clone(),
            equity: totals.equity,
            cash: totals.cash,
            market_value: totals.market_value,
            unrealized: totals.unrealized,
            realized: totals.net_realized(),
            complete: totals.is_complete(),
        }
    }
}

/// When to sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SamplerConfig {
    /// Period of the regular samples (default one minute).
    pub every_ms: i64,
    /// Where a day starts, after UTC midnight (e.g. `-4 h` for New York in summer).
    pub day_offset_ms: i64,
}

impl Default for SamplerConfig {
    fn default() -> Self {
        Self {
            every_ms: 60_000,
            day_offset_ms: 0,
        }
    }
}

/// Decides, from the current time only, whether a snapshot is due.
///
/// A sample is due once per period slot (`floor(now / every)`), the first poll included. The
/// first sample on a new day is [`SnapshotKind::Daily`]. If the clock jumps back by more than a
/// slot (NTP step), sampling restarts from the new time instead of waiting for the old one;
/// a daily sample is only taken for a day later than the last daily one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EquitySampler {
    cfg: SamplerConfig,
    last_slot: Option<i64>,
    last_day: Option<i64>,
}

impl EquitySampler {
    /// A sampler that has taken nothing yet (the first poll samples, as daily).
    pub fn new(cfg: SamplerConfig) -> Self {
        Self {
            cfg: SamplerConfig {
                every_ms: cfg.every_ms.max(1),
                ..cfg
            },
            last_slot: None,
            last_day: None,
        }
    }

    /// A sampler that continues the stored history: `last` is the newest snapshot's time and
    /// `last_daily` the newest daily one's, so a restart does not take a second daily sample.
    pub fn resume(cfg: SamplerConfig, last: Option<TimeMs>, last_daily: Option<TimeMs>) -> Self {
        let mut s = Self::new(cfg);
        s.last_slot = last.map(|t| s.slot(t));
        s.last_day = last_daily.map(|t| s.day(t));
        s
    }

    fn slot(&self, t: TimeMs) -> i64 {
        t.div_euclid(self.cfg.every_ms)
    }

    fn day(&self, t: TimeMs) -> i64 {
        t.saturating_sub(self.cfg.day_offset_ms).div_euclid(DAY_MS)
    }

    /// Whether to take a snapshot at `now`, and which kind. Records the sample when it says so.
    pub fn poll(&mut self, now: TimeMs) -> Option<SnapshotKind> {
        let (slot, day) = (self.slot(now), self.day(now));
        let daily = self.last_day.is_none_or(|d| day > d);
        let minute = match self.last_slot {
            None => true,
            Some(last) => slot > last || slot < last - 1,
        };
        if !daily && !minute {
            return None;
        }
        self.last_slot = Some(slot);
        if daily {
            self.last_day = Some(day);
            Some(SnapshotKind::Daily)
        } else {
            Some(SnapshotKind::Minute)
        }
    }

    /// The next time a snapshot will be due (for a timer), given the current time.
    pub fn next_due(&self, now: TimeMs) -> TimeMs {
        match self.last_slot {
            Some(last) if self.slot(now) <= last => {
                let next_slot = (last + 1).saturating_mul(self.cfg.every_ms);
                let next_day = (self.day(now) + 1)
                    .saturating_mul(DAY_MS)
                    .saturating_add(self.cfg.day_offset_ms);
                next_slot.min(next_day)
            }
            _ => now,
        }
    }
}

/// The largest peak-to-trough fall of equity over `points` (oldest first), as
/// `(amount, percent of the peak)`; `None` with fewer than two points.
pub fn max_drawdown(points: &[EquitySnapshot]) -> Option<(Decimal, Decimal)> {
    if points.len() < 2 {
        return None;
    }
    let mut peak = points[0].equity;
    let mut worst = (Decimal::ZERO, Decimal::ZERO);
    for p in points {
        peak = peak.max(p.equity);
        let fall = peak.saturating_sub(p.equity);
        if fall > worst.0 {
            let pct = fall
                .checked_mul(Decimal::ONE_HUNDRED)
                .and_then(|x| x.checked_div(peak))
                .filter(|_| peak > Decimal::ZERO)
                .map_or(Decimal::ZERO, |x| x.round_dp(4));
            worst = (fall, pct);
        }
    }
    Some(worst)
}
