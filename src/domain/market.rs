//! Market data in domain form: trades, candles, intervals, tickers and book levels.

use super::num::{Price, Qty};
use super::symbol::Symbol;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Milliseconds since the Unix epoch (UTC), the unit every venue timestamp is converted to.
pub type TimeMs = i64;

/// Buy or sell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// Buy.
    Buy,
    /// Sell.
    Sell,
}

impl Side {
    /// The other side.
    pub fn opposite(self) -> Side {
        match self {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
        }
    }
    /// `"buy"` or `"sell"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Buy => "buy",
            Side::Sell => "sell",
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Side {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "buy" | "b" => Ok(Side::Buy),
            "sell" | "s" => Ok(Side::Sell),
            other => Err(format!("side must be buy or sell, not `{other}`")),
        }
    }
}

/// One public trade on a venue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trade {
    /// Instrument.
    pub symbol: Symbol,
    /// Venue trade id (monotonic per symbol on Binance).
    pub id: u64,
    /// Execution price.
    pub price: Price,
    /// Executed quantity in base units.
    pub qty: Qty,
    /// The side of the taker (the aggressor).
    pub taker_side: Side,
    /// Trade time.
    pub time: TimeMs,
}

/// Candle intervals, as Binance names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Interval {
    /// 1 second.
    #[serde(rename = "1s")]
    S1,
    /// 1 minute.
    #[serde(rename = "1m")]
    M1,
    /// 3 minutes.
    #[serde(rename = "3m")]
    M3,
    /// 5 minutes.
    #[serde(rename = "5m")]
    M5,
    /// 15 minutes.
    #[serde(rename = "15m")]
    M15,
    /// 30 minutes.
    #[serde(rename = "30m")]
    M30,
    /// 1 hour.
    #[serde(rename = "1h")]
    H1,
    /// 2 hours.
    #[serde(rename = "2h")]
    H2,
    /// 4 hours.
    #[serde(rename = "4h")]
    H4,
    /// 6 hours.
    #[serde(rename = "6h")]
    H6,
    /// 8 hours.
    #[serde(rename = "8h")]
    H8,
    /// 12 hours.
    #[serde(rename = "12h")]
    H12,
    /// 1 day.
    #[serde(rename = "1d")]
    D1,
    /// 3 days.
    #[serde(rename = "3d")]
    D3,
    /// 1 week (Binance weeks start on Monday).
    #[serde(rename = "1w")]
    W1,
    /// 1 calendar month (variable length).
    #[serde(rename = "1M")]
    Mo1,
}

impl Interval {
    /// Every interval, shortest first.
    pub const ALL: [Interval; 16] = [
        Interval::S1,
        Interval::M1,
        Interval::M3,
        Interval::M5,
        Interval::M15,
        Interval::M30,
        Interval::H1,
        Interval::H2,
        Interval::H4,
        Interval::H6,
        Interval::H8,
        Interval::H12,
        Interval::D1,
        Interval::D3,
        Interval::W1,
        Interval::Mo1,
    ];
    /// The intervals the chart cycles through.
    pub const CHART: [Interval; 7] = [
        Interval::S1,
        Interval::M1,
        Interval::M5,
        Interval::M15,
        Interval::H1,
        Interval::H4,
        Interval::D1,
    ];

    /// The Binance name (`1m`, `4h`, `1M`).
    pub fn as_str(self) -> &'static str {
        match self {
            Interval::S1 => "1s",
            Interval::M1 => "1m",
            Interval::M3 => "3m",
            Interval::M5 => "5m",
            Interval::M15 => "15m",
            Interval::M30 => "30m",
            Interval::H1 => "1h",
            Interval::H2 => "2h",
            Interval::H4 => "4h",
            Interval::H6 => "6h",
            Interval::H8 => "8h",
            Interval::H12 => "12h",
            Interval::D1 => "1d",
            Interval::D3 => "3d",
            Interval::W1 => "1w",
            Interval::Mo1 => "1M",
        }
    }

    /// Nominal length in milliseconds (a month counts as 30 days; use
    /// [`Interval::open_time`] to bucket).
    pub fn millis(self) -> i64 {
        const S: i64 = 1000;
        const M: i64 = 60 * S;
        const H: i64 = 60 * M;
        const D: i64 = 24 * H;
        match self {
            Interval::S1 => S,
            Interval::M1 => M,
            Interval::M3 => 3 * M,
            Interval::M5 => 5 * M,
            Interval::M15 => 15 * M,
            Interval::M30 => 30 * M,
            Interval::H1 => H,
            Interval::H2 => 2 * H,
            Interval::H4 => 4 * H,
            Interval::H6 => 6 * H,
            Interval::H8 => 8 * H,
            Interval::H12 => 12 * H,
            Interval::D1 => D,
            Interval::D3 => 3 * D,
            Interval::W1 => 7 * D,
            Interval::Mo1 => 30 * D,
        }
    }

    /// The open time of the candle that contains `t` (UTC; weeks start Monday, months on the 1st).
    pub fn open_time(self, t: TimeMs) -> TimeMs {
        use chrono::{Datelike, TimeZone, Utc};
        match self {
            // 1970-01-01 was a Thursday; Binance weeks open on Monday 00:00 UTC.
            Interval::W1 => {
                let monday_offset = 4 * Interval::D1.millis();
                let w = Interval::W1.millis();
                (t - monday_offset).div_euclid(w) * w + monday_offset
            }
            Interval::Mo1 => match Utc.timestamp_millis_opt(t).single() {
                Some(dt) => Utc
                    .with_ymd_and_hms(dt.year(), dt.month(), 1, 0, 0, 0)
                    .single()
                    .map_or(t, |m| m.timestamp_millis()),
                None => t,
            },
            other => t.div_euclid(other.millis()) * other.millis(),
        }
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Interval {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Interval::ALL
            .into_iter()
            .find(|i| i.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown interval `{s}` (1s 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w 1M)"
                )
            })
    }
}

/// One OHLCV candle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candle {
    /// Start of the interval.
    pub open_time: TimeMs,
    /// First trade price.
    pub open: Price,
    /// Highest trade price.
    pub high: Price,
    /// Lowest trade price.
    pub low: Price,
    /// Last trade price.
    pub close: Price,
    /// Base-asset volume.
    pub volume: Qty,
    /// Quote-asset volume (sum of price × qty), for VWAP.
    pub quote_volume: rust_decimal::Decimal,
    /// Number of trades.
    pub trades: u64,
    /// `true` once the interval is over and the candle will not change.
    pub closed: bool,
}

/// Rolling 24-hour statistics for one symbol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticker24h {
    /// Instrument.
    pub symbol: Symbol,
    /// Last trade price.
    pub last: Price,
    /// Price 24 h ago.
    pub open: Price,
    /// 24 h high.
    pub high: Price,
    /// 24 h low.
    pub low: Price,
    /// Base volume over 24 h.
    pub volume: Qty,
    /// Quote volume over 24 h.
    pub quote_volume: rust_decimal::Decimal,
    /// Percent change over 24 h, as the venue reports it.
    pub change_pct: rust_decimal::Decimal,
    /// Event time.
    pub time: TimeMs,
}

/// One price level of an order book.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Level {
    /// Level price.
    pub price: Price,
    /// Total quantity resting at the price.
    pub qty: Qty,
}

/// The best levels of a book, as the UI and headless commands see it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BookTop {
    /// Venue update id of the last applied change.
    pub update_id: u64,
    /// Bids, best (highest) first.
    pub bids: Vec<Level>,
    /// Asks, best (lowest) first.
    pub asks: Vec<Level>,
    /// `true` while the book is resyncing and must not be trusted.
    pub stale: bool,
}

impl BookTop {
    /// Best bid.
    pub fn best_bid(&self) -> Option<Level> {
        self.bids.first().copied()
    }
    /// Best ask.
    pub fn best_ask(&self) -> Option<Level> {
        self.asks.first().copied()
    }
    /// Best ask − best bid.
    pub fn spread(&self) -> Option<Price> {
        Some(
            self.best_ask()?
                .price
                .saturating_sub(self.best_bid()?.price),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candles_bucket_like_binance() {
        // 2024-01-03 (Wednesday) 12:34:56.789 UTC
        let t = 1_704_285_296_789;
        assert_eq!(Interval::M1.open_time(t), 1_704_285_240_000);
        assert_eq!(Interval::H4.open_time(t), 1_704_283_200_000);
        assert_eq!(Interval::D1.open_time(t), 1_704_240_000_000);
        // Monday 2024-01-01 00:00 UTC
        assert_eq!(Interval::W1.open_time(t), 1_704_067_200_000);
        assert_eq!(Interval::Mo1.open_time(t), 1_704_067_200_000);
        for i in Interval::ALL {
            assert_eq!(i.as_str().parse::<Interval>(), Ok(i));
        }
    }
}
