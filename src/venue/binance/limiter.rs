//! Binance REST request-weight budget: every request waits here until its weight fits under
//! every `REQUEST_WEIGHT` window (from exchangeInfo `rateLimits`, 6000/min by default) with some
//! headroom, the `X-MBX-USED-WEIGHT-*` headers correct the local count (the budget is per IP,
//! so other programs count too), and a 429/418 `Retry-After` stops everything until it passes.
//!
//! Windows are fixed and aligned to the clock (a `1M` window resets at each UTC minute), as
//! Binance counts them. The server's clock and the request's trip make the window a request
//! lands in uncertain near a boundary, so a request sent within a guard (a quarter of the
//! window, 250 ms – 2 s) of a boundary is charged to both windows.

use crate::domain::now_ms;
use std::collections::VecDeque;
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
    /// Weight per window number (`server time / interval`), for the few windows still open.
    counts: VecDeque<(i64, u32)>,
}

impl Window {
    fn ms(&self) -> i64 {
        i64::try_from(self.limit.interval.as_millis())
            .unwrap_or(i64::MAX)
            .max(1)
    }

    /// How far the server's clock (plus the request's trip) may be from ours: a quarter of the
    /// window, between 250 ms and 2 s.
    fn guard(&self) -> i64 {
        (self.ms() / 4).clamp(250, 2000)
    }

    /// The windows a request sent at `now` may be counted in on the server: those overlapping
    /// `[now - guard, now + guard]` (one, or two near a boundary).
    fn epochs(&self, now: i64) -> std::ops::RangeInclusive<i64> {
        let g = self.guard();
        (now - g).div_euclid(self.ms())..=(now + g).div_euclid(self.ms())
    }

    fn used(&self, epoch: i64) -> u32 {
        self.counts
            .iter()
            .find(|(e, _)| *e == epoch)
            .map_or(0, |(_, u)| *u)
    }

    fn used_mut(&mut self, epoch: i64) -> &mut u32 {
        let i = match self.counts.iter().position(|(e, _)| *e == epoch) {
            Some(i) => i,
            None => {
                self.counts.push_back((epoch, 0));
                self.counts.make_contiguous().sort_by_key(|(e, _)| *e);
                self.counts
                    .iter()
                    .position(|(e, _)| *e == epoch)
                    .unwrap_or(0)
            }
        };
        &mut self.counts[i].1
    }

    /// Forgets windows that can no longer be charged.
    fn prune(&mut self, now: i64) {
        let oldest = *self.epochs(now).start();
        while self.counts.front().is_some_and(|(e, _)| *e < oldest) {
            self.counts.pop_front();
        }
    }

    /// `None` if `weight` fits in every window it may land in, else ms to wait.
    fn wait_for(&self, weight: u32, now: i64, budget: u32) -> Option<i64> {
        let blocked = self.epochs(now).rev().find(|e| {
            let used = self.used(*e);
            // A request heavier than the whole budget may go alone into an empty window.
            used != 0 && used.saturating_add(weight) > budget
        })?;
        // Wait until that window is surely over on the server too.
        Some((blocked + 1) * self.ms() + self.guard() - now)
    }

    fn charge(&mut self, weight: u32, now: i64) {
        for e in self.epochs(now) {
            let u = self.used_mut(e);
            *u = u.saturating_add(weight);
        }
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
    /// interval is unchanged; a new window starts with the highest count any old window has
    /// now (what was just spent must still count). An empty list is ignored.
    pub fn set_limits(&self, limits: &[RateLimit]) {
        if limits.is_empty() {
            return;
        }
        let now = now_ms();
        let mut st = self.lock();
        let old = std::mem::take(&mut st.windows);
        let spent = old
            .iter()
            .map(|o| o.used(now.div_euclid(o.ms())))
            .max()
            .unwrap_or(0);
        st.windows = limits
            .iter()
            .map(|l| {
                let mut w = window(*l);
                match old.iter().find(|o| o.limit.interval == l.interval) {
                    Some(o) => w.counts.clone_from(&o.counts),
                    None => w.charge(spent, now),
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
            w.prune(now);
            let budget = w.limit.limit - w.limit.limit * headroom / 100;
            if let Some(ms) = w.wait_for(weight, now, budget) {
                wait = wait.max(ms.max(1));
            }
        }
        if wait > 0 {
            return Some(wait.unsigned_abs());
        }
        st.windows.iter_mut().for_each(|w| w.charge(weight, now));
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
            w.prune(now);
            let u = w.used_mut(now.div_euclid(w.ms()));
            *u = (*u).max(used);
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
                w.prune(now);
                (w.used(now.div_euclid(w.ms())), w.limit.limit)
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
        counts: VecDeque::new(),
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
        // 90 used of a 90 budget (10 % headroom): wait until the minute is surely over
        // (55 s to its end plus the 2 s guard).
        assert_eq!(l.try_acquire(10, t), Some(57_000));
        assert_eq!(l.try_acquire(10, t + 57_000), None);
    }

    #[test]
    fn requests_near_a_boundary_count_in_both_windows() {
        let l = per_minute(100);
        let late = 60_000 * 1000 + 59_000; // 1 s before the minute ends
        for _ in 0..5 {
            assert_eq!(l.try_acquire(10, late), None);
        }
        // Those 50 may land in the next minute: only 40 more fit there.
        let next = late + 4_000;
        for _ in 0..4 {
            assert_eq!(l.try_acquire(10, next), None);
        }
        assert!(l.try_acquire(10, next).is_some());
        // And early in a window, the previous window's budget still matters.
        let l = per_minute(100);
        let t = 60_000 * 1000 + 50_000;
        for _ in 0..9 {
            assert_eq!(l.try_acquire(10, t), None);
        }
        assert!(l.try_acquire(10, 60_000 * 1001 + 500).is_some());
        assert_eq!(l.try_acquire(10, 60_000 * 1001 + 2_500), None);
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
