//! Request weight: Binance's per-IP weight table, a fixed window, 429 past the limit with
//! `Retry-After`, and a 418 ban for a client that keeps going.

use super::errors::ApiError;
use super::params::Params;
use std::time::{Duration, Instant};

/// Binance's documented REQUEST_WEIGHT limit per minute.
pub const DEFAULT_WEIGHT_LIMIT: u32 = 6000;

/// Weight accounting for the single client IP (everything here is loopback).
#[derive(Debug)]
pub struct Limits {
    limit: u32,
    window: Duration,
    ban_after: u32,
    ban: Duration,
    window_start: Instant,
    used: u32,
    strikes: u32,
    banned_until: Option<Instant>,
}

impl Limits {
    /// `limit` weight per `window`; `ban_after` 429s before a `ban` of 418s.
    pub fn new(limit: u32, window: Duration, ban_after: u32, ban: Duration) -> Limits {
        Limits {
            limit,
            window: window.max(Duration::from_millis(100)),
            ban_after,
            ban,
            window_start: Instant::now(),
            used: 0,
            strikes: 0,
            banned_until: None,
        }
    }

    /// The configured limit.
    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// Weight used in the current window.
    pub fn used(&mut self, now: Instant) -> u32 {
        self.roll(now);
        self.used
    }

    fn roll(&mut self, now: Instant) {
        while now.duration_since(self.window_start) >= self.window {
            self.window_start += self.window;
            self.used = 0;
            self.strikes = 0;
        }
    }

    /// Charges `weight`; returns the weight used so far, or a 429/418 error.
    pub fn charge(&mut self, weight: u32, now: Instant, wall_ms: i64) -> Result<u32, ApiError> {
        if let Some(until) = self.banned_until {
            if now < until {
                return Err(self.banned(until - now, wall_ms));
            }
            self.banned_until = None;
        }
        self.roll(now);
        if self.used.saturating_add(weight) <= self.limit {
            self.used += weight;
            return Ok(self.used);
        }
        self.strikes += 1;
        if self.strikes > self.ban_after {
            self.banned_until = Some(now + self.ban);
            return Err(self.banned(self.ban, wall_ms));
        }
        let left = self
            .window
            .saturating_sub(now.duration_since(self.window_start));
        Err(ApiError {
            status: 429,
            code: -1003,
            msg: format!(
                "Too much request weight used; current limit is {} request weight per 1 \
                 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.",
                self.limit
            ),
            retry_after: Some(ceil_secs(left)),
        })
    }

    fn banned(&self, left: Duration, wall_ms: i64) -> ApiError {
        let until = wall_ms + i64::try_from(left.as_millis()).unwrap_or(0);
        ApiError {
            status: 418,
            code: -1003,
            msg: format!(
                "Way too much request weight used; IP banned until {until}. Please use \
                 WebSocket Streams for live updates to avoid bans."
            ),
            retry_after: Some(ceil_secs(left)),
        }
    }
}

fn ceil_secs(d: Duration) -> u64 {
    d.as_millis().div_ceil(1000).max(1) as u64
}

/// The weight Binance charges for a REST endpoint.
pub fn rest_weight(method: &str, path: &str, p: &Params) -> u32 {
    let has_symbol = p.get("symbol").is_some();
    match (method, path) {
        (_, "/api/v3/depth") => match p.int("limit").ok().flatten().unwrap_or(100) {
            ..=100 => 5,
            101..=500 => 25,
            501..=1000 => 50,
            _ => 250,
        },
        (_, "/api/v3/exchangeInfo") => 20,
        (_, "/api/v3/trades") => 25,
        (_, "/api/v3/historicalTrades") => 25,
        (_, "/api/v3/aggTrades" | "/api/v3/klines" | "/api/v3/uiKlines") => 2,
        (_, "/api/v3/ticker/24hr") => {
            if has_symbol {
                2
            } else {
                80
            }
        }
        (_, "/api/v3/ticker/price" | "/api/v3/ticker/bookTicker") => {
            if has_symbol {
                2
            } else {
                4
            }
        }
        ("GET", "/api/v3/order") => 4,
        ("GET", "/api/v3/openOrders") => {
            if has_symbol {
                6
            } else {
                80
            }
        }
        ("GET", "/api/v3/allOrders" | "/api/v3/account" | "/api/v3/myTrades") => 20,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_then_429_then_418() {
        let t0 = Instant::now();
        let mut l = Limits::new(10, Duration::from_secs(60), 2, Duration::from_secs(120));
        assert_eq!(l.charge(6, t0, 0).unwrap(), 6);
        let e = l.charge(6, t0, 0).unwrap_err();
        assert_eq!((e.status, e.code, e.retry_after), (429, -1003, Some(60)));
        assert_eq!(l.charge(6, t0, 0).unwrap_err().status, 429);
        let ban = l.charge(6, t0, 1000).unwrap_err();
        assert_eq!((ban.status, ban.retry_after), (418, Some(120)));
        assert!(ban.msg.contains("banned until 121000"));
        assert_eq!(
            l.charge(1, t0 + Duration::from_secs(61), 0)
                .unwrap_err()
                .status,
            418
        );
        assert_eq!(l.charge(1, t0 + Duration::from_secs(121), 0).unwrap(), 1);
        let q = Params::from_urlencoded("symbol=BTCUSDT&limit=5000");
        assert_eq!(rest_weight("GET", "/api/v3/depth", &q), 250);
    }
}
