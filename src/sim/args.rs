//! The options of `speedtrade sim`: address, seed, symbols, message rate and fault injection.

use super::symbols::DEFAULT_SYMBOLS;
use clap::{Parser, ValueEnum};
use std::time::Duration;

/// Options of the exchange simulator. Every fault is off unless its flag is given.
#[derive(clap::Args, Debug, Clone, PartialEq, Eq)]
pub struct SimArgs {
    /// TCP port on 127.0.0.1 (0 picks a free one; the JSON line on stdout says which).
    #[arg(long, default_value_t = 0)]
    pub port: u16,

    /// Seed of the market generator: the same seed gives the same market, message for message.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Symbols to list and generate, comma separated. Well-known ones (BTCUSDT, ETHUSDT,
    /// SOLUSDT, BNBUSDT, XRPUSDT, DOGEUSDT, ADAUSDT) get realistic prices, ticks and steps;
    /// any other name gets a generic instrument around 100.
    #[arg(long, value_delimiter = ',', default_value = DEFAULT_SYMBOLS, value_parser = parse_symbol)]
    pub symbols: Vec<String>,

    /// Depth updates per second per symbol (one `depthUpdate` per generator step), 1 to 200000.
    #[arg(long, value_name = "MSGS_PER_S", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(1..=200_000))]
    pub rate: u32,

    /// Start of the simulated clock in ms since the epoch (default: now). Event times come
    /// from this clock, so two runs with the same seed and start time send identical bytes.
    #[arg(long, value_name = "MS")]
    pub start_time_ms: Option<i64>,

    /// Seconds between the server's WebSocket pings (Binance: 20). A connection that sends no
    /// pong for three intervals is closed.
    #[arg(long, value_name = "SECS", default_value = "20", value_parser = parse_secs)]
    pub ping_interval: Duration,

    /// Incoming messages per second a market-stream connection may send (pings, pongs and
    /// control messages count) before it is disconnected (Binance: 5).
    #[arg(long, default_value_t = 5)]
    pub ws_incoming_limit: u32,

    /// Fault: close every WebSocket connection (streams and WebSocket API) after SECS seconds
    /// of life, without a close frame, as a dropped network would.
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub fault_disconnect_every: Option<Duration>,

    /// Fault: on each stream connection, drop every Nth diff-depth message, so the client
    /// sees `U` jump past its last `u` and must resync from a snapshot.
    #[arg(long, value_name = "N")]
    pub fault_gap_every: Option<u64>,

    /// Fault: on each stream connection, send an extra malformed (truncated JSON) text frame
    /// after every Nth message.
    #[arg(long, value_name = "N")]
    pub fault_malformed_every: Option<u64>,

    /// Fault: on each stream connection, send an extra oversized text frame of
    /// --fault-oversized-bytes after every Nth message.
    #[arg(long, value_name = "N")]
    pub fault_oversized_every: Option<u64>,

    /// Size of the oversized frames in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 2 * 1024 * 1024)]
    pub fault_oversized_bytes: usize,

    /// Fault: REST request weight allowed per window (Binance: 6000 per minute). Past it every
    /// request gets 429 with Retry-After; a client that sends --fault-ban-after more requests
    /// while limited is banned with 418 for --fault-ban-secs.
    #[arg(long, value_name = "W")]
    pub fault_weight_limit: Option<u32>,

    /// Length of the request-weight window in seconds (the header stays X-MBX-USED-WEIGHT-1M).
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = parse_secs)]
    pub fault_weight_window: Duration,

    /// Requests answered 429 before the IP is banned with 418.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub fault_ban_after: u32,

    /// How long a 418 ban lasts.
    #[arg(long, value_name = "SECS", default_value = "120", value_parser = parse_secs)]
    pub fault_ban_secs: Duration,

    /// Fault: delay every REST response and WebSocket API reply by MS milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub fault_latency_ms: u64,

    /// Fault: probability (0..1, or a percentage like 25%) that a new order is placed in the
    /// engine but its reply is lost (see --fault-lose-reply-mode). A client that blindly
    /// retries doubles the order; one that queries by origClientOrderId finds it.
    #[arg(long, value_name = "P", default_value = "0", value_parser = parse_probability)]
    pub fault_lose_reply_rate: u32,

    /// How a lost reply looks to the client.
    #[arg(long, value_enum, default_value_t = LoseMode::Error5xx)]
    pub fault_lose_reply_mode: LoseMode,

    /// In `timeout` mode, how long the request is held (longer than any client timeout)
    /// before the simulator finally answers 503.
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = parse_secs)]
    pub fault_hold_secs: Duration,
}

/// How a lost order reply appears.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoseMode {
    /// HTTP 503 with `{"code":-1007,..}` (WebSocket API: status 503).
    #[value(name = "5xx")]
    Error5xx,
    /// No reply in time: the request is held for --fault-hold-secs, then answered 503.
    Timeout,
    /// Each lost reply picks 5xx or timeout at random.
    Mixed,
}

#[derive(Parser)]
struct Wrapper {
    #[command(flatten)]
    args: SimArgs,
}

impl Default for SimArgs {
    /// The same values as `speedtrade sim` with no flags.
    fn default() -> Self {
        match Wrapper::try_parse_from(["sim"]) {
            Ok(w) => w.args,
            Err(e) => unreachable!("built-in defaults parse: {e}"),
        }
    }
}

impl SimArgs {
    /// Parses flags as `speedtrade sim` would (the first item is the program name).
    pub fn try_parse_from<I, T>(it: I) -> Result<SimArgs, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        Wrapper::try_parse_from(it).map(|w| w.args)
    }
}

fn parse_symbol(s: &str) -> Result<String, String> {
    crate::domain::Symbol::new(s)
        .map(|s| s.as_str().to_string())
        .map_err(|e| e.to_string())
}

/// Parses `2`, `0.5` or `250ms` into a duration.
pub fn parse_secs(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, scale_ms) = match s.strip_suffix("ms") {
        Some(n) => (n, 1),
        None => (s.strip_suffix('s').unwrap_or(s), 1000),
    };
    let units = crate::domain::num::parse_units(num.as_bytes())
        .map_err(|_| format!("`{s}` is not a duration (e.g. 2, 0.5 or 250ms)"))?;
    if units < 0 {
        return Err(format!("`{s}` is negative"));
    }
    let ms = i128::from(units) * scale_ms / 100_000_000;
    Ok(Duration::from_millis(u64::try_from(ms).unwrap_or(u64::MAX)))
}

/// Parses `0.25` or `25%` into parts per million.
pub fn parse_probability(s: &str) -> Result<u32, String> {
    let s = s.trim();
    let (num, pct) = match s.strip_suffix('%') {
        Some(n) => (n, true),
        None => (s, false),
    };
    let units = crate::domain::num::parse_units(num.as_bytes())
        .map_err(|_| format!("`{s}` is not a probability (e.g. 0.25 or 25%)"))?;
    let ppm = if pct { units / 10_000 } else { units / 100 };
    if !(0..=1_000_000).contains(&ppm) {
        return Err(format!("`{s}` is not between 0 and 1"));
    }
    Ok(ppm as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_flags() {
        let d = SimArgs::default();
        assert_eq!((d.port, d.rate, d.fault_lose_reply_rate), (0, 10, 0));
        assert_eq!(d.symbols.len(), 6);
        assert_eq!(d.ping_interval, Duration::from_secs(20));
        let a = SimArgs::try_parse_from([
            "sim",
            "--symbols",
            "btcusdt,ETHUSDT",
            "--fault-lose-reply-rate",
            "25%",
            "--fault-disconnect-every",
            "250ms",
            "--fault-lose-reply-mode",
            "timeout",
        ])
        .unwrap();
        assert_eq!(a.symbols, ["BTCUSDT", "ETHUSDT"]);
        assert_eq!(a.fault_lose_reply_rate, 250_000);
        assert_eq!(a.fault_disconnect_every, Some(Duration::from_millis(250)));
        assert_eq!(a.fault_lose_reply_mode, LoseMode::Timeout);
        assert!(SimArgs::try_parse_from(["sim", "--rate", "0"]).is_err());
        assert!(SimArgs::try_parse_from(["sim", "--fault-lose-reply-rate", "2"]).is_err());
        assert_eq!(parse_secs("1.5").unwrap(), Duration::from_millis(1500));
    }
}
