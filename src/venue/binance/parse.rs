//! Binance market-stream frames → domain types. Dispatch is by stream name for combined frames
//! (bookTicker and partial depth have no `e`), else by `e`, else by shape. Every failure is a
//! typed [`ParseError`]; nothing here panics on input.

use super::depth::{decode_depth_update, decode_snapshot};
use super::scan::{ScanError, top_level_member};
use super::streams::{StreamKind, StreamName};
use super::wire::{
    BinanceAggTrade, BinanceAvgPrice, BinanceBookTicker, BinanceControl, BinanceKline,
    BinanceReferencePrice, BinanceServerShutdown, BinanceTicker, BinanceTrade,
};
use crate::book::{DepthDiff, DepthSnapshot};
use crate::domain::{
    Candle, Interval, Level, NumError, Price, Qty, Side, Symbol, SymbolError, Ticker24h, TimeMs,
    Trade,
};
use rust_decimal::Decimal;
use serde::Deserialize;
use std::str::FromStr;

/// Frames larger than this are refused before parsing (1 MiB; the largest stream payloads,
/// all-market ticker arrays, are a few hundred KB).
pub const MAX_FRAME_BYTES: usize = 1 << 20;

/// Why a frame could not be turned into a [`MarketMessage`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Larger than the configured limit.
    #[error("frame of {size} bytes exceeds the {limit}-byte limit")]
    TooLarge {
        /// Frame size.
        size: usize,
        /// Limit.
        limit: usize,
    },
    /// Not JSON, or JSON of the wrong shape for its stream.
    #[error("malformed frame: {0}")]
    Json(String),
    /// An `e` this client does not know.
    #[error("unknown event type `{0}`")]
    UnknownEvent(String),
    /// Neither a known stream, a known event nor a control reply.
    #[error("unrecognised message")]
    UnknownShape,
    /// A required field is absent.
    #[error("missing field `{0}`")]
    Missing(&'static str),
    /// A price or quantity that is not an exact decimal.
    #[error("bad {0}: {1}")]
    Number(&'static str, NumError),
    /// A negative quantity or a non-positive price.
    #[error("{0} out of range")]
    Negative(&'static str),
    /// `U > u` in a depth update.
    #[error("depth update ids out of order (U {first} > u {last})")]
    UpdateIds {
        /// `U`.
        first: u64,
        /// `u`.
        last: u64,
    },
    /// A symbol that cannot be one.
    #[error(transparent)]
    Symbol(#[from] SymbolError),
    /// An interval Binance does not have.
    #[error("unknown interval `{0}`")]
    Interval(String),
    /// A timestamp outside 1970 – 9999.
    #[error("`{0}` is not a plausible time")]
    Time(&'static str),
}

/// Latest timestamp accepted (year 9999, in ms).
const MAX_TIME_MS: TimeMs = 253_402_300_799_999;

/// Checks a venue timestamp (trade, candle and ticker times feed time arithmetic downstream).
fn time(field: &'static str, t: TimeMs) -> Result<TimeMs, ParseError> {
    if (0..=MAX_TIME_MS).contains(&t) {
        Ok(t)
    } else {
        Err(ParseError::Time(field))
    }
}

impl From<ScanError> for ParseError {
    fn from(e: ScanError) -> Self {
        ParseError::Json(e.to_string())
    }
}

impl From<serde_json::Error> for ParseError {
    fn from(e: serde_json::Error) -> Self {
        ParseError::Json(e.to_string())
    }
}

/// Best bid and ask from `@bookTicker`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookTicker {
    /// Instrument.
    pub symbol: Symbol,
    /// Book update id.
    pub update_id: u64,
    /// Best bid.
    pub bid: Level,
    /// Best ask.
    pub ask: Level,
}

/// A reply to SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS / SET_PROPERTY / GET_PROPERTY.
#[derive(Debug, Clone, PartialEq)]
pub enum ControlReply {
    /// Success; `result` is null for (UN)SUBSCRIBE, a list or a value otherwise.
    Ok {
        /// The request id as sent (`null` if none).
        id: serde_json::Value,
        /// The result.
        result: serde_json::Value,
    },
    /// Refused (codes 0–3).
    Err {
        /// The request id, if echoed.
        id: serde_json::Value,
        /// Error code.
        code: i64,
        /// Message.
        msg: String,
    },
}

/// One decoded market-stream frame, in domain types.
#[derive(Debug, Clone, PartialEq)]
pub enum MarketMessage {
    /// `@trade`.
    Trade(Trade),
    /// `@aggTrade` (the id is the aggregate trade id).
    AggTrade(Trade),
    /// `@blockTrade` (off-book; not for the tape by default).
    BlockTrade(Trade),
    /// `@depth` diff.
    Depth {
        /// Instrument.
        symbol: Symbol,
        /// The diff.
        diff: DepthDiff,
    },
    /// `@depth<N>` top levels. The payload has no symbol; it comes from the stream name.
    PartialDepth {
        /// Instrument, when the frame was combined.
        symbol: Option<Symbol>,
        /// The levels.
        snapshot: DepthSnapshot,
    },
    /// `@bookTicker`.
    BookTicker(BookTicker),
    /// `@kline_<i>`.
    Kline {
        /// Instrument.
        symbol: Symbol,
        /// Interval.
        interval: Interval,
        /// The candle (open or closed).
        candle: Candle,
        /// Event time.
        time: TimeMs,
    },
    /// `@ticker` or `@miniTicker` (one) or their `!…@arr` forms (many).
    Tickers(Vec<Ticker24h>),
    /// `@ticker_<1h|4h|1d>`: same fields over a shorter window.
    WindowTicker {
        /// `1h`, `4h` or `1d`.
        window: String,
        /// Statistics over the window.
        ticker: Ticker24h,
    },
    /// `@avgPrice`.
    AvgPrice {
        /// Instrument.
        symbol: Symbol,
        /// Average price.
        price: Price,
        /// Last trade time.
        time: TimeMs,
    },
    /// `@referencePrice`.
    ReferencePrice {
        /// Instrument.
        symbol: Symbol,
        /// Reference price.
        price: Price,
        /// Time.
        time: TimeMs,
    },
    /// The server will close this connection soon; reconnect.
    ServerShutdown {
        /// Event time.
        time: TimeMs,
    },
    /// A control reply.
    Control(ControlReply),
}

/// A frame: its stream name (combined frames) and what it carried.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame<'a> {
    /// Stream name, `None` for raw frames and control replies.
    pub stream: Option<&'a str>,
    /// Content.
    pub message: MarketMessage,
}

/// Parses one text frame from a market-stream connection (raw or combined).
pub fn parse_frame(frame: &[u8], limit: usize) -> Result<Frame<'_>, ParseError> {
    if frame.len() > limit {
        return Err(ParseError::TooLarge {
            size: frame.len(),
            limit,
        });
    }
    let stream = match top_level_member(frame, b"stream")? {
        Some(span) => Some(serde_json::from_slice::<&str>(span)?),
        None => None,
    };
    let data = match (stream, top_level_member(frame, b"data")?) {
        (Some(_), Some(data)) => data,
        (Some(_), None) => return Err(ParseError::Missing("data")),
        (None, _) => frame,
    };
    let kind = stream.map(StreamName::parse);
    let message = match kind.and_then(|k| k.kind) {
        Some(StreamKind::PartialDepth { .. }) => MarketMessage::PartialDepth {
            symbol: kind.and_then(|k| k.symbol).map(Symbol::new).transpose()?,
            snapshot: decode_snapshot(data)?,
        },
        Some(StreamKind::BookTicker) => book_ticker(data)?,
        Some(StreamKind::Depth { .. }) => depth(data)?,
        _ => by_event(data)?,
    };
    Ok(Frame { stream, message })
}

/// Dispatches on `e`, or on shape when there is none.
fn by_event(data: &[u8]) -> Result<MarketMessage, ParseError> {
    if data.first() == Some(&b'[') {
        return tickers(data);
    }
    let Some(e) = top_level_member(data, b"e")? else {
        return by_shape(data);
    };
    let e: &str = serde_json::from_slice(e)?;
    Ok(match e {
        "trade" => MarketMessage::Trade(trade(serde_json::from_slice(data)?)?),
        "aggTrade" => MarketMessage::AggTrade(agg_trade(serde_json::from_slice(data)?)?),
        "blockTrade" => MarketMessage::BlockTrade(trade(serde_json::from_slice(data)?)?),
        "depthUpdate" => depth(data)?,
        "kline" => kline(serde_json::from_slice(data)?)?,
        "24hrTicker" | "24hrMiniTicker" => {
            MarketMessage::Tickers(vec![ticker(serde_json::from_slice(data)?)?])
        }
        "1hTicker" | "4hTicker" | "1dTicker" => MarketMessage::WindowTicker {
            window: e.trim_end_matches("Ticker").to_string(),
            ticker: ticker(serde_json::from_slice(data)?)?,
        },
        "avgPrice" => {
            let w: BinanceAvgPrice = serde_json::from_slice(data)?;
            MarketMessage::AvgPrice {
                symbol: Symbol::new(w.s)?,
                price: price("w", w.w)?,
                time: w.time,
            }
        }
        "referencePrice" => {
            let w: BinanceReferencePrice = serde_json::from_slice(data)?;
            MarketMessage::ReferencePrice {
                symbol: Symbol::new(w.s)?,
                price: price("r", w.r)?,
                time: w.t,
            }
        }
        "serverShutdown" => {
            let w: BinanceServerShutdown = serde_json::from_slice(data)?;
            MarketMessage::ServerShutdown { time: w.time }
        }
        other => return Err(ParseError::UnknownEvent(other.to_string())),
    })
}

/// Raw frames without `e`: control replies, bookTicker, partial depth.
fn by_shape(data: &[u8]) -> Result<MarketMessage, ParseError> {
    let has = |k: &[u8]| top_level_member(data, k).map(|v| v.is_some());
    if has(b"lastUpdateId")? {
        return Ok(MarketMessage::PartialDepth {
            symbol: None,
            snapshot: decode_snapshot(data)?,
        });
    }
    if has(b"u")? && has(b"B")? && has(b"A")? {
        return book_ticker(data);
    }
    if has(b"result")? || has(b"code")? || has(b"error")? {
        return control(serde_json::from_slice(data)?);
    }
    Err(ParseError::UnknownShape)
}

fn control(w: BinanceControl) -> Result<MarketMessage, ParseError> {
    let reply = match (w.error, w.code, w.msg) {
        (Some(e), _, _) => ControlReply::Err {
            id: w.id,
            code: e.code,
            msg: e.msg,
        },
        (None, Some(code), msg) => ControlReply::Err {
            id: w.id,
            code,
            msg: msg.unwrap_or_default(),
        },
        (None, None, _) => ControlReply::Ok {
            id: w.id,
            result: w.result.unwrap_or(serde_json::Value::Null),
        },
    };
    Ok(MarketMessage::Control(reply))
}

fn depth(data: &[u8]) -> Result<MarketMessage, ParseError> {
    let mut diff = DepthDiff::default();
    let f = decode_depth_update(data, &mut diff)?;
    Ok(MarketMessage::Depth {
        symbol: Symbol::new(f.symbol)?,
        diff,
    })
}

fn book_ticker(data: &[u8]) -> Result<MarketMessage, ParseError> {
    let w: BinanceBookTicker = serde_json::from_slice(data)?;
    Ok(MarketMessage::BookTicker(BookTicker {
        symbol: Symbol::new(w.s)?,
        update_id: w.u,
        bid: Level {
            price: price("b", w.b)?,
            qty: qty("B", w.bid_qty)?,
        },
        ask: Level {
            price: price("a", w.a)?,
            qty: qty("A", w.ask_qty)?,
        },
    }))
}

fn tickers(data: &[u8]) -> Result<MarketMessage, ParseError> {
    let list: Vec<BinanceTicker> = serde_json::from_slice(data)?;
    let out = list.into_iter().map(ticker).collect::<Result<_, _>>()?;
    Ok(MarketMessage::Tickers(out))
}

/// Parses an exact price field.
pub(crate) fn price(field: &'static str, s: &str) -> Result<Price, ParseError> {
    Price::parse_bytes(s.as_bytes()).map_err(|e| ParseError::Number(field, e))
}

/// Parses an exact quantity field.
pub(crate) fn qty(field: &'static str, s: &str) -> Result<Qty, ParseError> {
    Qty::parse_bytes(s.as_bytes()).map_err(|e| ParseError::Number(field, e))
}

/// Parses a decimal that may need more range than a price (quote volumes, percentages).
pub(crate) fn decimal(field: &'static str, s: &str) -> Result<Decimal, ParseError> {
    Decimal::from_str(s).map_err(|_| ParseError::Number(field, NumError::Invalid(s.to_string())))
}

fn trade(w: BinanceTrade) -> Result<Trade, ParseError> {
    Ok(Trade {
        symbol: Symbol::new(w.symbol)?,
        id: w.id,
        price: price("p", w.price)?,
        qty: qty("q", w.qty)?,
        taker_side: taker_side(w.buyer_maker),
        time: time("T", w.time)?,
    })
}

fn agg_trade(w: BinanceAggTrade) -> Result<Trade, ParseError> {
    Ok(Trade {
        symbol: Symbol::new(w.symbol)?,
        id: w.id,
        price: price("p", w.price)?,
        qty: qty("q", w.qty)?,
        taker_side: taker_side(w.buyer_maker),
        time: time("T", w.time)?,
    })
}

/// `m` = the buyer is the maker, so the aggressor sold.
fn taker_side(buyer_maker: bool) -> Side {
    if buyer_maker { Side::Sell } else { Side::Buy }
}

fn kline(w: BinanceKline) -> Result<MarketMessage, ParseError> {
    let interval = Interval::from_str(w.k.i).map_err(|_| ParseError::Interval(w.k.i.into()))?;
    Ok(MarketMessage::Kline {
        symbol: Symbol::new(w.s)?,
        interval,
        candle: Candle {
            open_time: time("k.t", w.k.t)?,
            open: price("o", w.k.o)?,
            high: price("h", w.k.h)?,
            low: price("l", w.k.l)?,
            close: price("c", w.k.c)?,
            volume: qty("v", w.k.v)?,
            quote_volume: decimal("q", w.k.q)?,
            trades: w.k.n,
            closed: w.k.x,
        },
        time: time("E", w.time)?,
    })
}

fn ticker(w: BinanceTicker) -> Result<Ticker24h, ParseError> {
    let last = price("c", w.c)?;
    let open = price("o", w.o)?;
    let change_pct = match w.change_pct {
        Some(p) => decimal("P", p)?,
        None => change_pct(open, last),
    };
    Ok(Ticker24h {
        symbol: Symbol::new(w.s)?,
        last,
        open,
        high: price("h", w.h)?,
        low: price("l", w.l)?,
        volume: qty("v", w.v)?,
        quote_volume: decimal("q", w.q)?,
        change_pct,
        time: time("E", w.time)?,
    })
}

/// `(last − open) / open × 100`, rounded to 2 places like Binance's `P` (0 when open is 0).
pub fn change_pct(open: Price, last: Price) -> Decimal {
    if open.is_zero() {
        return Decimal::ZERO;
    }
    let diff = last.to_decimal() - open.to_decimal();
    (diff * Decimal::ONE_HUNDRED / open.to_decimal()).round_dp(2)
}

/// Parses a Binance JSON error body (`{"code":-1121,"msg":"Invalid symbol."}`).
pub fn parse_api_error(body: &[u8]) -> Option<(i64, String)> {
    #[derive(Deserialize)]
    struct E {
        code: i64,
        msg: String,
    }
    serde_json::from_slice::<E>(body)
        .ok()
        .map(|e| (e.code, e.msg))
}
