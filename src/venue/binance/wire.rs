//! Binance market-stream and control payloads as they come off the wire, borrowed from the
//! frame (`&str` for every decimal, converted exactly in `parse.rs`). Nothing outside the
//! Binance folder sees these types.
//!
//! See docs: <https://github.com/binance/binance-spot-api-docs/blob/master/web-socket-streams.md>

use super::depth::{DepthFrame, level};
use super::parse::ParseError;
use crate::book::DepthDiff;
use crate::domain::Level;
use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// A combined-stream frame: `{"stream":"<name>","data":<payload>}`.
#[derive(Debug, Deserialize)]
pub struct BinanceCombined<'a, T> {
    /// Stream name.
    #[serde(borrow)]
    pub stream: &'a str,
    /// The raw payload.
    pub data: T,
}

/// `<symbol>@trade`.
/// `{"e":"trade","E":1672515782136,"s":"BNBBTC","t":12345,"p":"0.001","q":"100","T":1672515782136,"m":true,"M":true}`
#[derive(Debug, Deserialize)]
pub struct BinanceTrade<'a> {
    /// Symbol.
    #[serde(rename = "s")]
    pub symbol: &'a str,
    /// Trade id.
    #[serde(rename = "t")]
    pub id: u64,
    /// Price.
    #[serde(rename = "p")]
    pub price: &'a str,
    /// Quantity.
    #[serde(rename = "q")]
    pub qty: &'a str,
    /// Trade time.
    #[serde(rename = "T")]
    pub time: i64,
    /// Buyer is the maker (so the taker sold).
    #[serde(rename = "m")]
    pub buyer_maker: bool,
}

/// `<symbol>@aggTrade`.
/// `{"e":"aggTrade","E":1672515782136,"s":"BNBBTC","a":12345,"p":"0.001","q":"100","f":100,"l":105,"T":1672515782136,"m":true,"M":true}`
#[derive(Debug, Deserialize)]
pub struct BinanceAggTrade<'a> {
    /// Symbol.
    #[serde(rename = "s")]
    pub symbol: &'a str,
    /// Aggregate trade id.
    #[serde(rename = "a")]
    pub id: u64,
    /// Price.
    #[serde(rename = "p")]
    pub price: &'a str,
    /// Quantity.
    #[serde(rename = "q")]
    pub qty: &'a str,
    /// Trade time.
    #[serde(rename = "T")]
    pub time: i64,
    /// Buyer is the maker.
    #[serde(rename = "m")]
    pub buyer_maker: bool,
}

/// `<symbol>@depth`, parse-only form (the live path uses [`super::depth`]).
/// `{"e":"depthUpdate","E":1672515782136,"s":"BNBBTC","U":157,"u":160,"b":[["0.0024","10"]],"a":[["0.0026","100"]]}`
#[derive(Debug, Deserialize)]
pub struct BinanceDepthUpdate<'a> {
    /// Event type.
    pub e: &'a str,
    /// Event time.
    #[serde(rename = "E")]
    pub time: i64,
    /// Symbol.
    pub s: &'a str,
    /// First update id.
    #[serde(rename = "U")]
    pub first: u64,
    /// Last update id.
    pub u: u64,
    /// Bids `[price, qty]`.
    #[serde(borrow)]
    pub b: Vec<(&'a str, &'a str)>,
    /// Asks `[price, qty]`.
    #[serde(borrow)]
    pub a: Vec<(&'a str, &'a str)>,
}

/// `<symbol>@bookTicker` (no `e`, no `E`).
/// `{"u":400900217,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}`
#[derive(Debug, Deserialize)]
pub struct BinanceBookTicker<'a> {
    /// Order book update id.
    pub u: u64,
    /// Symbol.
    pub s: &'a str,
    /// Best bid price.
    pub b: &'a str,
    /// Best bid quantity.
    #[serde(rename = "B")]
    pub bid_qty: &'a str,
    /// Best ask price.
    pub a: &'a str,
    /// Best ask quantity.
    #[serde(rename = "A")]
    pub ask_qty: &'a str,
}

/// `<symbol>@kline_<interval>`.
/// `{"e":"kline","E":1672515782136,"s":"BNBBTC","k":{"t":1672515780000,"T":1672515839999,"s":"BNBBTC","i":"1m","f":100,"L":200,"o":"0.0010","c":"0.0020","h":"0.0025","l":"0.0015","v":"1000","n":100,"x":false,"q":"1.0000","V":"500","Q":"0.500","B":"123456"}}`
#[derive(Debug, Deserialize)]
pub struct BinanceKline<'a> {
    /// Event time.
    #[serde(rename = "E")]
    pub time: i64,
    /// Symbol.
    pub s: &'a str,
    /// The candle.
    #[serde(borrow)]
    pub k: BinanceKlineData<'a>,
}

/// The `k` object of a kline event.
#[derive(Debug, Deserialize)]
pub struct BinanceKlineData<'a> {
    /// Open time.
    pub t: i64,
    /// Interval (`1m`).
    pub i: &'a str,
    /// Open.
    pub o: &'a str,
    /// High.
    pub h: &'a str,
    /// Low.
    pub l: &'a str,
    /// Close.
    pub c: &'a str,
    /// Base volume.
    pub v: &'a str,
    /// Quote volume.
    pub q: &'a str,
    /// Number of trades.
    pub n: u64,
    /// Closed.
    pub x: bool,
}

/// `<symbol>@ticker` (`24hrTicker`), `<symbol>@miniTicker` (`24hrMiniTicker`) and
/// `<symbol>@ticker_<w>` (`1hTicker`, …): the fields they share, plus the change percent the
/// full tickers carry.
/// `{"e":"24hrMiniTicker","E":1672515782136,"s":"BNBBTC","c":"0.0025","o":"0.0010","h":"0.0025","l":"0.0010","v":"10000","q":"18"}`
#[derive(Debug, Deserialize)]
pub struct BinanceTicker<'a> {
    /// Event type.
    pub e: &'a str,
    /// Event time.
    #[serde(rename = "E")]
    pub time: i64,
    /// Symbol.
    pub s: &'a str,
    /// Change percent (full tickers only).
    #[serde(rename = "P")]
    pub change_pct: Option<&'a str>,
    /// Last price.
    pub c: &'a str,
    /// Open price.
    pub o: &'a str,
    /// High.
    pub h: &'a str,
    /// Low.
    pub l: &'a str,
    /// Base volume.
    pub v: &'a str,
    /// Quote volume.
    pub q: &'a str,
}

/// `<symbol>@avgPrice`.
/// `{"e":"avgPrice","E":1693907033000,"s":"BTCUSDT","i":"5m","w":"25776.86000000","T":1693907032213}`
#[derive(Debug, Deserialize)]
pub struct BinanceAvgPrice<'a> {
    /// Symbol.
    pub s: &'a str,
    /// Averaging window.
    pub i: &'a str,
    /// Average price.
    pub w: &'a str,
    /// Last trade time.
    #[serde(rename = "T")]
    pub time: i64,
}

/// `<symbol>@referencePrice`.
/// `{"e":"referencePrice","s":"BAZUSD","r":"1.00","t":1770313263917}`
#[derive(Debug, Deserialize)]
pub struct BinanceReferencePrice<'a> {
    /// Symbol.
    pub s: &'a str,
    /// Reference price.
    pub r: &'a str,
    /// Time.
    pub t: i64,
}

/// `serverShutdown` (raw, or on the `!serverShutdown` combined stream).
/// `{"e":"serverShutdown","E":1770123456789}`
#[derive(Debug, Deserialize)]
pub struct BinanceServerShutdown {
    /// Event time.
    #[serde(rename = "E")]
    pub time: i64,
}

/// A control reply or error: `{"result":null,"id":1}`, `{"code":2,"msg":"…","id":1}` or
/// `{"error":{"code":2,"msg":"…"},"id":1}`.
#[derive(Debug, Deserialize)]
pub struct BinanceControl {
    /// The request id (int, string or null).
    #[serde(default)]
    pub id: serde_json::Value,
    /// The result (null, a list of streams, or a property value).
    #[serde(default)]
    pub result: Option<serde_json::Value>,
    /// Error code (flat form).
    pub code: Option<i64>,
    /// Error message (flat form).
    pub msg: Option<String>,
    /// Error (nested form).
    pub error: Option<BinanceControlError>,
}

/// The nested error object of a control reply.
#[derive(Debug, Deserialize)]
pub struct BinanceControlError {
    /// Code 0–3.
    pub code: i64,
    /// Message.
    pub msg: String,
}

/// Decodes a `depthUpdate` frame with serde (borrowed strings, levels parsed straight into
/// `out` without intermediate vectors). Same contract as
/// [`super::depth::decode_depth_update`]; kept as its reference and benchmark rival.
pub fn decode_depth_serde<'a>(
    frame: &'a [u8],
    out: &mut DepthDiff,
) -> Result<DepthFrame<'a>, ParseError> {
    out.clear();
    let mut de = serde_json::Deserializer::from_slice(frame);
    let (stream, symbol) = de
        .deserialize_map(FrameVisitor { out })
        .map_err(|e| ParseError::Json(e.to_string()))?;
    de.end().map_err(|e| ParseError::Json(e.to_string()))?;
    if out.first_id > out.last_id {
        return Err(ParseError::UpdateIds {
            first: out.first_id,
            last: out.last_id,
        });
    }
    Ok(DepthFrame { stream, symbol })
}

struct FrameVisitor<'o> {
    out: &'o mut DepthDiff,
}

impl<'de> Visitor<'de> for FrameVisitor<'_> {
    type Value = (Option<&'de str>, &'de str);
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a depthUpdate object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        use serde::de::Error;
        let (mut stream, mut symbol, mut e_ok) = (None, None, false);
        let mut seen = 0u8;
        while let Some(key) = map.next_key::<&'de str>()? {
            match key {
                "stream" => stream = Some(map.next_value::<&'de str>()?),
                "data" => {
                    let (_, s) = map.next_value_seed(DataSeed { out: self.out })?;
                    return finish(map, stream, s);
                }
                "e" => e_ok = map.next_value::<&'de str>()? == "depthUpdate",
                "E" => self.out.time = map.next_value()?,
                "s" => symbol = Some(map.next_value::<&'de str>()?),
                "U" => (self.out.first_id, seen) = (map.next_value()?, seen | 1),
                "u" => (self.out.last_id, seen) = (map.next_value()?, seen | 2),
                "b" => {
                    seen |= map
                        .next_value_seed(LevelsSeed(&mut self.out.bids))
                        .map(|_| 4)?
                }
                "a" => {
                    seen |= map
                        .next_value_seed(LevelsSeed(&mut self.out.asks))
                        .map(|_| 8)?
                }
                _ => drop(map.next_value::<IgnoredAny>()?),
            }
        }
        if !e_ok || seen != 15 {
            return Err(A::Error::custom("not a complete depthUpdate"));
        }
        let symbol = symbol.ok_or_else(|| A::Error::missing_field("s"))?;
        Ok((stream, symbol))
    }
}

fn finish<'de, A: MapAccess<'de>>(
    mut map: A,
    mut stream: Option<&'de str>,
    symbol: &'de str,
) -> Result<(Option<&'de str>, &'de str), A::Error> {
    while let Some(key) = map.next_key::<&'de str>()? {
        if key == "stream" {
            stream = Some(map.next_value()?);
        } else {
            map.next_value::<IgnoredAny>()?;
        }
    }
    Ok((stream, symbol))
}

struct DataSeed<'o> {
    out: &'o mut DepthDiff,
}

impl<'de> DeserializeSeed<'de> for DataSeed<'_> {
    type Value = (Option<&'de str>, &'de str);
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(FrameVisitor { out: self.out })
    }
}

struct LevelsSeed<'o>(&'o mut Vec<Level>);

impl<'de> DeserializeSeed<'de> for LevelsSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for LevelsSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of [price, qty] pairs")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some((p, q)) = seq.next_element::<(&'de str, &'de str)>()? {
            let l = level(p.as_bytes(), q.as_bytes()).map_err(serde::de::Error::custom)?;
            self.0.push(l);
        }
        Ok(())
    }
}
