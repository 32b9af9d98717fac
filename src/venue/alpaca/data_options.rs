//! Options of the Alpaca market data stream: which feed, which channels, reconnect tuning.

use std::time::Duration;

/// Which Alpaca market data feed to stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlpacaFeed {
    /// IEX only (free plan).
    Iex,
    /// All US exchanges (paid plan).
    Sip,
    /// The always-on test stream (symbol `FAKEPACA`).
    Test,
}

impl AlpacaFeed {
    /// The path segment / query value.
    pub fn as_str(self) -> &'static str {
        match self {
            AlpacaFeed::Iex => "iex",
            AlpacaFeed::Sip => "sip",
            AlpacaFeed::Test => "test",
        }
    }
}

impl std::str::FromStr for AlpacaFeed {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "iex" => Ok(AlpacaFeed::Iex),
            "sip" => Ok(AlpacaFeed::Sip),
            "test" => Ok(AlpacaFeed::Test),
            other => Err(format!("unknown Alpaca feed `{other}` (iex, sip or test)")),
        }
    }
}

/// Which channels a (un)subscribe applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AlpacaChannels {
    /// Trades → [`MarketEvent::Trade`].
    pub trades: bool,
    /// Quotes → [`MarketEvent::Book`] (one level).
    pub quotes: bool,
    /// Minute bars → [`MarketEvent::Candle`] (1m).
    pub bars: bool,
    /// Daily bars → [`MarketEvent::Ticker`] and a 1d candle.
    pub daily_bars: bool,
}

impl AlpacaChannels {
    /// No channel.
    pub const NONE: Self = Self {
        trades: false,
        quotes: false,
        bars: false,
        daily_bars: false,
    };
    /// Every channel.
    pub const ALL: Self = Self {
        trades: true,
        quotes: true,
        bars: true,
        daily_bars: true,
    };
}

impl Default for AlpacaChannels {
    /// Trades, quotes and minute bars (what the watchlist, ladder and chart need).
    fn default() -> Self {
        Self {
            daily_bars: false,
            ..Self::ALL
        }
    }
}

/// Tuning for [`AlpacaDataFeed`]; the defaults suit the real service.
#[derive(Debug, Clone)]
pub struct AlpacaDataOptions {
    /// Feed to stream (default IEX, the free plan).
    pub feed: AlpacaFeed,
    /// First reconnect delay (default 500 ms).
    pub reconnect_min: Duration,
    /// Longest reconnect delay (default 30 s).
    pub reconnect_max: Duration,
    /// Ping period; no frame at all for 3 periods counts as a dead connection (default 20 s).
    pub ping_interval: Duration,
    /// Limit for connecting and for each handshake step (default 10 s).
    pub handshake_timeout: Duration,
}

impl Default for AlpacaDataOptions {
    fn default() -> Self {
        Self {
            feed: AlpacaFeed::Iex,
            reconnect_min: Duration::from_millis(500),
            reconnect_max: Duration::from_secs(30),
            ping_interval: Duration::from_secs(20),
            handshake_timeout: Duration::from_secs(10),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feeds_parse_from_config_names() {
        assert_eq!("sip".parse::<AlpacaFeed>(), Ok(AlpacaFeed::Sip));
        assert_eq!("IEX".parse::<AlpacaFeed>(), Ok(AlpacaFeed::Iex));
        assert!("nasdaq".parse::<AlpacaFeed>().is_err());
        assert_eq!(AlpacaDataOptions::default().feed, AlpacaFeed::Iex);
        assert!(!AlpacaChannels::default().daily_bars);
    }
}
