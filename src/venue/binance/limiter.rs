//! Binance REST request-weight budget: every request waits here until its weight fits under
//! every `REQUEST_WEIGHT` window (from exchangeInfo `rateLimits`, 6000/min by default) with some
//! headroom, the `X-MBX-USED-WEIGHT-*` headers correct the local count (the budget is per IP,
//! so other programs count too), and a 429/418 `Retry-After` stops everything until it passes.
//!
//! Windows are fixed and aligned to the wall clock (a `1M` window resets at each UTC minute),
//! as Binance counts them.

use crate::domain::now_ms;
use std::sync::Mutex;
use std::time::Duration;

/// One weight window, as exchangeInfo publishes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Window length.
    pub interval: Duration,
    /// Weight allowed per window.
    pub limit: u32,
}

impl RateLimit {
    /// Parses exchangeInfo's `interval` (`SECOND`, `MINUTE`, `HOUR`, `DAY`) and `intervalNum`.
    pub fn from_exchange_info(interval: &str, num: u32, limit: u32) -> Option<Self> {
        let unit = match interval {
            "SECOND" => 1,
            "MINUTE" => 60,
            "HOUR" => 3600,
            "DAY" => 86_400,
            _ => return None,
        };
        Some(Self {
            interval: Duration::from_secs(unit * u64::from(num.max(1))),
            limit,
        })
    }

    /// Parses a header suffix such as `1M` (from `X-MBX-USED-WEIGHT-1M`) into a window length.
    pub fn header_interval(suffix: &str) -> Option<Duration> {
        if !suffix.is_ascii() {
            return None;
        }
        let (num, unit) = suffix.split_at(suffix.len().checked_sub(1)?);
        let n: u64 = num.parse().ok()?;
        let secs = match unit.to_ascii_uppercase().as_str() {
            "S" => 1,
            "M" => 60,
            "H" => 3600,
            "D" => 86_400,
            _ => return None,
        };
        Some(Duration::from_secs(n * secs))
    }
}

#[derive(Debug, Clone)]
struct Window {
    limit: RateLimit,
    /// Window number (`now_ms / interval`) the count belongs to.
    epoch: i64,
    used: u32,
}

impl Window {
    fn ms(&self) -> i64 {
        i64::try_from(self.limit.interval.as_millis())
            .unwrap_or(i64::MAX)
            .max(1)
    }
    fn roll(&mut self, now: i64) {
        let epoch = now.div_euclid(self.ms());
        if epoch != self.epoch {
            self.epoch = epoch;
            self.used = 0;
        }
    }
    fn ends_at(&self) -> i64 {
        (self.epoch + 1).saturating_mul(self.ms())
    }
}

#[derive(Debug)]
struct State {
    windows: Vec<Window>,
    blocked_until: i64,
    headroom_pct: u32,
}

/// What the limiter currently knows, for the status bar and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimiterStatus {
    /// Weight used in the tightest window.
    pub used: u32,
    /// That window's limit.
    pub limit: u32,
    /// Wall-clock ms until which every request waits (429/418), 0 if none.
    pub blocked_until: i64,
}

/// The shared budget; see the module docs. Share it with `Arc`.
#[derive(Debug)]
pub struct WeightLimiter {
    state: Mutex<State>,
}

impl Default for WeightLimiter {
    /// Binance's documented default, 6000 per minute, with 10 % headroom.
    fn default() -> Self {
        Self::new(
            vec![RateLimit {
                interval: Duration::from_secs(60),
                limit: 6000,
            }],
            10,
        )
    }
}

impl WeightLimiter {
    /// A limiter for these windows, keeping `headroom_pct` percent of each unused (for other
    /// programs on the same IP and for requests in flight).
    pub fn new(limits: Vec<RateLimit>, headroom_pct: u32) -> Self {
        Self {
            state: Mutex::new(State {
                windows: limits.into_iter().map(window).collect(),
                blocked_until: 0,
                headroom_pct: headroom_pct.min(90),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Replaces the windows (from exchangeInfo `rateLimits`), keeping counts where the
    /// interval is unchanged. An empty list is ignored.
    pub fn set_limits(&self, limits: &[RateLimit]) {
        if limits.is_empty() {
            return;
        }
        let mut st = self.lock();
        let old = std::mem::take(&mut st.windows);
        st.windows = limits
            .iter()
            .map(|l| {
                let mut w = window(*l);
                if let Some(o) = old.iter().find(|o| o.limit.interval == l.interval) {
                    (w.epoch, w.used) = (o.epoch, o.used);
                }
                w
            })
            .collect();
    }

    /// Waits until `weight` fits in every window and nothing blocks, then reserves it.
    pub async fn acquire(&self, weight: u32) {
        loop {
            let wait_ms = self.try_acquire(weight, now_ms());
            match wait_ms {
                None => return,
                Some(ms) => tokio::time::sleep(Duration::from_millis(ms.clamp(1, 60_000))).await,
            }
        }
    }

    /// Reserves `weight` at wall-clock `now` and returns `None`, or returns how many ms to wait.
    pub fn try_acquire(&self, weight: u32, now: i64) -> Option<u64> {
        let mut st = self.lock();
        if st.blocked_until > now {
            return Some((st.blocked_until - now).unsigned_abs());
        }
        let headroom = st.headroom_pct;
        let mut wait = 0i64;
        for w in &mut st.windows {
            w.roll(now);
            let budget = w.limit.limit - w.limit.limit * headroom / 100;
            // A request heavier than the whole budget may go alone in an empty window.
            let fits = w.used == 0 || w.used.saturating_add(weight) <= budget;
            if !fits {
                wait = wait.max(w.ends_at() - now);
            }
        }
        if wait > 0 {
            return Some(wait.unsigned_abs());
        }
        st.windows
            .iter_mut()
            .for_each(|w| w.used = w.used.saturating_add(weight));
        None
    }

    /// Applies an `X-MBX-USED-WEIGHT-<suffix>` header: the server's count wins when higher.
    pub fn observe_used(&self, suffix: &str, used: u32) {
        let Some(interval) = RateLimit::header_interval(suffix) else {
            return;
        };
        let now = now_ms();
        let mut st = self.lock();
        if let Some(w) = st.windows.iter_mut().find(|w| w.limit.interval == interval) {
            w.roll(now);
            w.used = w.used.max(used);
        }
    }

    /// A 429 or 418 asked us to wait `retry_after`: every request waits that long.
    pub fn block_for(&self, retry_after: Duration) {
        let until =
            now_ms().saturating_add(i64::try_from(retry_after.as_millis()).unwrap_or(i64::MAX));
        let mut st = self.lock();
        st.blocked_until = st.blocked_until.max(until);
    }

    /// Current use of the tightest window.
    pub fn status(&self) -> LimiterStatus {
        let now = now_ms();
        let mut st = self.lock();
        let blocked_until = if st.blocked_until > now {
            st.blocked_until
        } else {
            0
        };
        let tightest = st
            .windows
            .iter_mut()
            .map(|w| {
                w.roll(now);
                (w.used, w.limit.limit)
            })
            .max_by_key(|(u, l)| u64::from(*u) * 1000 / u64::from((*l).max(1)));
        let (used, limit) = tightest.unwrap_or((0, 0));
        LimiterStatus {
            used,
            limit,
            blocked_until,
        }
    }
}

fn window(limit: RateLimit) -> Window {
    Window {
        limit,
        epoch: i64::MIN,
        used: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn per_minute(limit: u32) -> WeightLimiter {
        WeightLimiter::new(
            vec![RateLimit {
                interval: Duration::from_secs(60),
                limit,
            }],
            10,
        )
    }

    #[test]
    fn waits_for_the_next_window_when_the_budget_is_spent() {
        let l = per_minute(100);
        let t = 60_000 * 1000 + 5_000; // 5 s into a minute
        for _ in 0..9 {
            assert_eq!(l.try_acquire(10, t), None);
        }
        // 90 used of a 90 budget (10 % headroom): the next waits until the minute ends.
        assert_eq!(l.try_acquire(10, t), Some(55_000));
        assert_eq!(l.try_acquire(10, t + 55_000), None);
    }

    #[test]
    fn server_count_and_retry_after_win() {
        let l = per_minute(6000);
        l.observe_used("1m", 5500);
        assert!(l.try_acquire(250, now_ms()).is_some());
        assert_eq!(l.status().used, 5500);
        let l = per_minute(6000);
        l.block_for(Duration::from_secs(120));
        let wait = l.try_acquire(1, now_ms()).unwrap_or(0);
        assert!(wait > 100_000, "{wait}");
    }

    #[test]
    fn parses_exchange_info_and_header_intervals() {
        let r = RateLimit::from_exchange_info("MINUTE", 1, 6000).unwrap();
        assert_eq!(r.interval, Duration::from_secs(60));
        assert_eq!(
            RateLimit::header_interval("1M"),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            RateLimit::header_interval("10S"),
            Some(Duration::from_secs(10))
        );
        assert_eq!(RateLimit::header_interval("M"), None);
        assert_eq!(RateLimit::header_interval(""), None);
        assert!(RateLimit::from_exchange_info("WEEK", 1, 1).is_none());
    }
}
