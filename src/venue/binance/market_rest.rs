//! Binance public REST market data: exchangeInfo → [`Instrument`]s, depth snapshots, klines
//! (chart backfill) and 24 h tickers, each through the shared [`WeightLimiter`].
//!
//! See docs: <https://github.com/binance/binance-spot-api-docs/blob/master/rest-api.md>

use super::depth::decode_snapshot;
use super::limiter::{RateLimit, WeightLimiter};
use super::parse::{change_pct, decimal, parse_api_error, price, qty};
use crate::book::DepthSnapshot;
use crate::domain::{Candle, Instrument, Interval, Price, Qty, Symbol, Ticker24h, TimeMs, VenueId};
use rust_decimal::Decimal;
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;

/// Binance error code for a symbol that does not exist.
pub const BAD_SYMBOL: i64 = -1121;

/// Why a REST market-data call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RestError {
    /// Binance does not list this symbol (-1121).
    #[error("Binance has no symbol `{0}` (check the spelling, e.g. BTCUSDT)")]
    UnknownSymbol(String),
    /// 429 or 418: the limiter now holds every request for `retry_after`.
    #[error("rate limited by Binance{}; retrying in {}s", if *.banned { " (IP banned)" } else { "" }, .retry_after.as_secs())]
    RateLimited {
        /// The server's `Retry-After`.
        retry_after: Duration,
        /// `true` for a 418 ban.
        banned: bool,
    },
    /// Any other error status.
    #[error("Binance answered {status}: {message}")]
    Api {
        /// HTTP status.
        status: u16,
        /// Binance error code, if the body had one.
        code: Option<i64>,
        /// Message.
        message: String,
    },
    /// Connection, TLS or timeout trouble.
    #[error("could not reach Binance: {0}")]
    Transport(String),
    /// A body that does not parse.
    #[error("unexpected answer from Binance: {0}")]
    Decode(String),
}

impl RestError {
    /// `true` when trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            RestError::UnknownSymbol(_) | RestError::Decode(_) => false,
            RestError::Api { status, .. } => *status >= 500 || *status == 408,
            RestError::RateLimited { .. } | RestError::Transport(_) => true,
        }
    }
}

/// exchangeInfo, reduced to what the client uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangeInfo {
    /// Instruments with their filters.
    pub instruments: Vec<Instrument>,
    /// `REQUEST_WEIGHT` windows (already applied to the limiter).
    pub weight_limits: Vec<RateLimit>,
}

/// Request weight of `GET /api/v3/depth` for a `limit`.
pub fn depth_weight(limit: u32) -> u32 {
    match limit {
        0..=100 => 5,
        101..=500 => 25,
        501..=1000 => 50,
        _ => 250,
    }
}

/// Request weight of `GET /api/v3/ticker/24hr` for a number of symbols (0 = all).
pub fn ticker_weight(symbols: usize) -> u32 {
    match symbols {
        1..=20 => 2,
        21..=100 => 40,
        _ => 80,
    }
}

/// The public REST client. Cheap to clone.
#[derive(Debug, Clone)]
pub struct MarketRest {
    http: reqwest::Client,
    base: String,
    limiter: Arc<WeightLimiter>,
}

impl MarketRest {
    /// A client for `rest_url` (e.g. `https://api.binance.com`), sharing `limiter`.
    pub fn new(rest_url: &str, limiter: Arc<WeightLimiter>) -> Result<Self, RestError> {
        crate::net::install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("speedtrade/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| RestError::Transport(e.to_string()))?;
        Ok(Self {
            http,
            base: rest_url.trim_end_matches('/').to_string(),
            limiter,
        })
    }

    /// The shared weight limiter.
    pub fn limiter(&self) -> &Arc<WeightLimiter> {
        &self.limiter
    }

    /// `GET path?query` with `weight`; returns the body of a 2xx answer.
    async fn get(&self, path: &str, query: &str, weight: u32) -> Result<bytes::Bytes, RestError> {
        self.limiter.acquire(weight).await;
        let url = if query.is_empty() {
            format!("{}{path}", self.base)
        } else {
            format!("{}{path}?{query}", self.base)
        };
        let resp = self
            .http
            .get(&url)
            .send()
            .await
            .map_err(|e| RestError::Transport(e.without_url().to_string()))?;
        self.observe_headers(resp.headers());
        let status = resp.status().as_u16();
        let retry_after = header_secs(resp.headers(), "retry-after");
        let body = resp
            .bytes()
            .await
            .map_err(|e| RestError::Transport(e.without_url().to_string()))?;
        if (200..300).contains(&status) {
            return Ok(body);
        }
        Err(self.error(status, retry_after, &body))
    }

    fn observe_headers(&self, headers: &reqwest::header::HeaderMap) {
        for (name, value) in headers {
            let Some(suffix) = name.as_str().strip_prefix("x-mbx-used-weight-") else {
                continue;
            };
            if let Some(used) = value.to_str().ok().and_then(|v| v.trim().parse().ok()) {
                self.limiter.observe_used(suffix, used);
            }
        }
    }

    fn error(&self, status: u16, retry_after: Option<u64>, body: &[u8]) -> RestError {
        if status == 429 || status == 418 {
            let retry_after = Duration::from_secs(retry_after.unwrap_or(60));
            self.limiter.block_for(retry_after);
            tracing::warn!(status, ?retry_after, "Binance rate limit hit");
            return RestError::RateLimited {
                retry_after,
                banned: status == 418,
            };
        }
        match parse_api_error(body) {
            Some((code, message)) => RestError::Api {
                status,
                code: Some(code),
                message,
            },
            None => RestError::Api {
                status,
                code: None,
                message: String::from_utf8_lossy(body).chars().take(200).collect(),
            },
        }
    }

    /// A book snapshot with up to `limit` levels a side (weight by limit, see [`depth_weight`]).
    pub async fn depth(&self, symbol: &Symbol, limit: u32) -> Result<DepthSnapshot, RestError> {
        self.depth_raw(symbol, limit)
            .await
            .map(|(_, snapshot)| snapshot)
    }

    /// The same snapshot with the response body exactly as received (the recorder keeps it).
    pub async fn depth_raw(
        &self,
        symbol: &Symbol,
        limit: u32,
    ) -> Result<(bytes::Bytes, DepthSnapshot), RestError> {
        let limit = limit.clamp(1, 5000);
        let query = format!("symbol={symbol}&limit={limit}");
        let body = self
            .get("/api/v3/depth", &query, depth_weight(limit))
            .await
            .map_err(|e| unknown_symbol(e, symbol))?;
        let snapshot = decode_snapshot(&body).map_err(|e| RestError::Decode(e.to_string()))?;
        Ok((body, snapshot))
    }

    /// Up to `limit` (≤ 1000) candles, oldest first, optionally bounded in time (weight 2).
    pub async fn klines(
        &self,
        symbol: &Symbol,
        interval: Interval,
        start: Option<TimeMs>,
        end: Option<TimeMs>,
        limit: u16,
    ) -> Result<Vec<Candle>, RestError> {
        let mut query = format!(
            "symbol={symbol}&interval={interval}&limit={}",
            limit.clamp(1, 1000)
        );
        if let Some(s) = start {
            query.push_str(&format!("&startTime={s}"));
        }
        if let Some(e) = end {
            query.push_str(&format!("&endTime={e}"));
        }
        let body = self
            .get("/api/v3/klines", &query, 2)
            .await
            .map_err(|e| unknown_symbol(e, symbol))?;
        parse_klines(&body, crate::domain::now_ms(), interval)
    }

    /// 24 h statistics for some symbols (all when empty; weight by count).
    pub async fn tickers_24h(&self, symbols: &[Symbol]) -> Result<Vec<Ticker24h>, RestError> {
        let query = match symbols {
            [] => String::new(),
            [one] => format!("symbol={one}"),
            many => {
                let list: Vec<String> = many.iter().map(|s| format!("\"{s}\"")).collect();
                format!(
                    "symbols={}",
                    percent_encode(&format!("[{}]", list.join(",")))
                )
            }
        };
        let body = self
            .get("/api/v3/ticker/24hr", &query, ticker_weight(symbols.len()))
            .await;
        let body = match (body, symbols) {
            (Err(e), [one]) => return Err(unknown_symbol(e, one)),
            (b, _) => b?,
        };
        parse_tickers(&body)
    }

    /// Instruments and rate limits (weight 20); the limiter adopts the published limits.
    pub async fn exchange_info(&self, symbols: &[Symbol]) -> Result<ExchangeInfo, RestError> {
        let query = match symbols {
            [] => String::new(),
            [one] => format!("symbol={one}"),
            many => {
                let list: Vec<String> = many.iter().map(|s| format!("\"{s}\"")).collect();
                format!(
                    "symbols={}",
                    percent_encode(&format!("[{}]", list.join(",")))
                )
            }
        };
        let body = self.get("/api/v3/exchangeInfo", &query, 20).await;
        let body = match (body, symbols) {
            (Err(e), [one]) => return Err(unknown_symbol(e, one)),
            (b, _) => b?,
        };
        let info = parse_exchange_info(&body)?;
        self.limiter.set_limits(&info.weight_limits);
        Ok(info)
    }
}

/// Turns -1121 into [`RestError::UnknownSymbol`].
fn unknown_symbol(e: RestError, symbol: &Symbol) -> RestError {
    match e {
        RestError::Api {
            code: Some(BAD_SYMBOL),
            ..
        } => RestError::UnknownSymbol(symbol.to_string()),
        other => other,
    }
}

fn header_secs(headers: &reqwest::header::HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// One REST kline: `[openTime, "o", "h", "l", "c", "v", closeTime, "q", trades, …]`.
#[derive(Deserialize)]
struct KlineRow<'a>(
    i64,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    i64,
    &'a str,
    u64,
    serde::de::IgnoredAny,
    serde::de::IgnoredAny,
    serde::de::IgnoredAny,
);

/// Parses a klines body; a candle whose close time is after `now` is still open.
pub fn parse_klines(
    body: &[u8],
    now: TimeMs,
    _interval: Interval,
) -> Result<Vec<Candle>, RestError> {
    let rows: Vec<KlineRow> =
        serde_json::from_slice(body).map_err(|e| RestError::Decode(e.to_string()))?;
    rows.into_iter()
        .map(|r| {
            Ok(Candle {
                open_time: r.0,
                open: price("open", r.1)?,
                high: price("high", r.2)?,
                low: price("low", r.3)?,
                close: price("close", r.4)?,
                volume: qty("volume", r.5)?,
                quote_volume: decimal("quote volume", r.7)?,
                trades: r.8,
                closed: r.6 < now,
            })
        })
        .collect::<Result<_, super::parse::ParseError>>()
        .map_err(|e| RestError::Decode(e.to_string()))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TickerRow<'a> {
    symbol: &'a str,
    price_change_percent: &'a str,
    last_price: &'a str,
    open_price: &'a str,
    high_price: &'a str,
    low_price: &'a str,
    volume: &'a str,
    quote_volume: &'a str,
    close_time: i64,
}

/// Parses `ticker/24hr` (one object or a list).
pub fn parse_tickers(body: &[u8]) -> Result<Vec<Ticker24h>, RestError> {
    let rows: Vec<TickerRow> = if body.trim_ascii_start().first() == Some(&b'[') {
        serde_json::from_slice(body)
    } else {
        serde_json::from_slice(body).map(|r| vec![r])
    }
    .map_err(|e| RestError::Decode(e.to_string()))?;
    rows.into_iter().map(ticker_row).collect()
}

fn ticker_row(r: TickerRow) -> Result<Ticker24h, RestError> {
    let conv = || -> Result<Ticker24h, super::parse::ParseError> {
        let (open, last) = (
            price("openPrice", r.open_price)?,
            price("lastPrice", r.last_price)?,
        );
        Ok(Ticker24h {
            symbol: Symbol::new(r.symbol)?,
            last,
            open,
            high: price("highPrice", r.high_price)?,
            low: price("lowPrice", r.low_price)?,
            volume: qty("volume", r.volume)?,
            quote_volume: decimal("quoteVolume", r.quote_volume)?,
            change_pct: decimal("priceChangePercent", r.price_change_percent)
                .unwrap_or_else(|_| change_pct(open, last)),
            time: r.close_time,
        })
    };
    conv().map_err(|e| RestError::Decode(e.to_string()))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InfoBody {
    #[serde(default)]
    rate_limits: Vec<RateLimitRow>,
    symbols: Vec<SymbolRow>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RateLimitRow {
    rate_limit_type: String,
    interval: String,
    interval_num: u32,
    limit: u32,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SymbolRow {
    symbol: String,
    status: String,
    base_asset: String,
    quote_asset: String,
    #[serde(default)]
    filters: Vec<serde_json::Value>,
}

/// Parses exchangeInfo into instruments and `REQUEST_WEIGHT` windows.
pub fn parse_exchange_info(body: &[u8]) -> Result<ExchangeInfo, RestError> {
    let info: InfoBody =
        serde_json::from_slice(body).map_err(|e| RestError::Decode(e.to_string()))?;
    let weight_limits = info
        .rate_limits
        .iter()
        .filter(|r| r.rate_limit_type == "REQUEST_WEIGHT")
        .filter_map(|r| RateLimit::from_exchange_info(&r.interval, r.interval_num, r.limit))
        .collect();
    let instruments = info
        .symbols
        .into_iter()
        .map(instrument)
        .collect::<Result<_, _>>()?;
    Ok(ExchangeInfo {
        instruments,
        weight_limits,
    })
}

fn instrument(row: SymbolRow) -> Result<Instrument, RestError> {
    let symbol = Symbol::new(&row.symbol).map_err(|e| RestError::Decode(e.to_string()))?;
    let mut ins = Instrument {
        venue: VenueId::Binance,
        symbol,
        base: row.base_asset,
        quote: row.quote_asset,
        tick_size: Price::ZERO,
        min_price: Price::ZERO,
        max_price: Price::ZERO,
        step_size: Qty::ZERO,
        min_qty: Qty::ZERO,
        max_qty: Qty::ZERO,
        min_notional: Decimal::ZERO,
        max_notional: None,
        trading: row.status == "TRADING",
    };
    for f in &row.filters {
        apply_filter(&mut ins, f).map_err(|e| RestError::Decode(format!("{}: {e}", ins.symbol)))?;
    }
    Ok(ins)
}

/// Applies one exchangeInfo filter; unknown filter types are ignored.
fn apply_filter(
    ins: &mut Instrument,
    f: &serde_json::Value,
) -> Result<(), super::parse::ParseError> {
    let s = |k: &'static str| f.get(k).and_then(|v| v.as_str());
    let p = |k: &'static str| s(k).map(|v| price(k, v)).transpose();
    let q = |k: &'static str| s(k).map(|v| qty(k, v)).transpose();
    let d = |k: &'static str| s(k).map(|v| decimal(k, v)).transpose();
    match s("filterType") {
        Some("PRICE_FILTER") => {
            ins.min_price = p("minPrice")?.unwrap_or_default();
            ins.max_price = p("maxPrice")?.unwrap_or_default();
            ins.tick_size = p("tickSize")?.unwrap_or_default();
        }
        Some("LOT_SIZE") => {
            ins.min_qty = q("minQty")?.unwrap_or_default();
            ins.max_qty = q("maxQty")?.unwrap_or_default();
            ins.step_size = q("stepSize")?.unwrap_or_default();
        }
        Some("NOTIONAL") => {
            ins.min_notional = d("minNotional")?.unwrap_or_default();
            ins.max_notional = d("maxNotional")?.filter(|m| !m.is_zero());
        }
        Some("MIN_NOTIONAL") => ins.min_notional = d("minNotional")?.unwrap_or_default(),
        _ => {}
    }
    Ok(())
}
