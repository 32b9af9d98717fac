//! The fast path for Binance depth: a hand-written scanner that decodes a `depthUpdate` frame
//! (raw or combined) straight into a reusable [`DepthDiff`], and REST / partial-depth snapshots
//! into a [`DepthSnapshot`], without allocating in steady state.
//!
//! Measured against serde in `benches/depth.rs`; [`super::wire::decode_depth_serde`] is the
//! serde equivalent and the tests check both agree.

use super::parse::ParseError;
use super::scan::{Decimal8, Scanner};
use crate::book::{DepthDiff, DepthSnapshot};
use crate::domain::{Level, Price, Qty};

/// Where a decoded depth diff came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DepthFrame<'a> {
    /// The combined-stream name (`btcusdt@depth@100ms`), `None` for a raw frame.
    pub stream: Option<&'a str>,
    /// The `s` field (`BTCUSDT`).
    pub symbol: &'a str,
}

#[derive(Default)]
struct Seen {
    e: bool,
    s: bool,
    first: bool,
    last: bool,
    b: bool,
    a: bool,
}

/// Decodes a `depthUpdate` (raw, or wrapped as `{"stream":..,"data":..}`) into `out`.
///
/// `out` is cleared first; its vectors keep their capacity, so a decoder loop that reuses one
/// diff does not allocate. Every field is checked: `e` must be `depthUpdate`, `U <= u`,
/// prices positive, quantities not negative.
pub fn decode_depth_update<'a>(
    frame: &'a [u8],
    out: &mut DepthDiff,
) -> Result<DepthFrame<'a>, ParseError> {
    out.clear();
    let mut sc = Scanner::new(frame);
    let mut stream = None;
    let mut symbol = None;
    let mut seen = Seen::default();
    let mut wrapped = false;
    if sc.open_object()? {
        loop {
            let key = sc.key()?;
            match key {
                b"stream" => stream = Some(sc.str()?),
                b"data" => {
                    wrapped = true;
                    symbol = Some(depth_object(&mut sc, out, &mut Seen::default())?);
                }
                _ => {
                    if let Some(s) = depth_member(key, &mut sc, out, &mut seen)? {
                        symbol = Some(s);
                    }
                }
            }
            if !sc.more(b'}')? {
                break;
            }
        }
    }
    sc.end()?;
    if !wrapped {
        check_depth(&seen, out)?;
    }
    let symbol = symbol.ok_or(ParseError::Missing("s"))?;
    Ok(DepthFrame { stream, symbol })
}

/// One `depthUpdate` object; returns its symbol.
fn depth_object<'a>(
    sc: &mut Scanner<'a>,
    out: &mut DepthDiff,
    seen: &mut Seen,
) -> Result<&'a str, ParseError> {
    let mut symbol = None;
    if sc.open_object()? {
        loop {
            let key = sc.key()?;
            if let Some(s) = depth_member(key, sc, out, seen)? {
                symbol = Some(s);
            }
            if !sc.more(b'}')? {
                break;
            }
        }
    }
    check_depth(seen, out)?;
    symbol.ok_or(ParseError::Missing("s"))
}

/// Every required member was present and `U <= u`.
fn check_depth(seen: &Seen, out: &DepthDiff) -> Result<(), ParseError> {
    let missing = [
        (seen.e, "e"),
        (seen.s, "s"),
        (seen.first, "U"),
        (seen.last, "u"),
        (seen.b, "b"),
        (seen.a, "a"),
    ];
    if let Some((_, name)) = missing.iter().find(|(ok, _)| !ok) {
        return Err(ParseError::Missing(name));
    }
    if out.first_id > out.last_id {
        return Err(ParseError::UpdateIds {
            first: out.first_id,
            last: out.last_id,
        });
    }
    Ok(())
}

/// One member of a `depthUpdate`; unknown keys are skipped. Returns the symbol for `s`.
#[inline]
fn depth_member<'a>(
    key: &[u8],
    sc: &mut Scanner<'a>,
    out: &mut DepthDiff,
    seen: &mut Seen,
) -> Result<Option<&'a str>, ParseError> {
    match key {
        b"e" => {
            let e = sc.str()?;
            if e != "depthUpdate" {
                return Err(ParseError::UnknownEvent(e.to_string()));
            }
            seen.e = true;
        }
        b"E" => out.time = sc.i64()?,
        b"s" => {
            seen.s = true;
            return Ok(Some(sc.str()?));
        }
        b"U" => {
            out.first_id = sc.u64()?;
            seen.first = true;
        }
        b"u" => {
            out.last_id = sc.u64()?;
            seen.last = true;
        }
        b"b" => {
            levels(sc, &mut out.bids)?;
            seen.b = true;
        }
        b"a" => {
            levels(sc, &mut out.asks)?;
            seen.a = true;
        }
        _ => sc.skip_value()?,
    }
    Ok(None)
}

/// `[["price","qty"], ...]` appended to `out`.
#[inline]
fn levels(sc: &mut Scanner<'_>, out: &mut Vec<Level>) -> Result<(), ParseError> {
    if !sc.open_array()? {
        return Ok(());
    }
    loop {
        match sc.pair_fast() {
            Some((p, q)) if p > 0 => out.push(Level {
                price: Price::from_units(p),
                qty: Qty::from_units(q),
            }),
            _ => out.push(level_slow(sc)?),
        }
        if !sc.more(b']')? {
            return Ok(());
        }
    }
}

/// One `["price","qty"]` the fast path did not take (spaces, odd numbers, errors).
#[cold]
fn level_slow(sc: &mut Scanner<'_>) -> Result<Level, ParseError> {
    sc.expect(b'[')?;
    let price = sc.decimal()?;
    sc.expect(b',')?;
    let qty = sc.decimal()?;
    sc.expect(b']')?;
    fast_level(price, qty)
}

/// Checks one level read by the scanner; strings off the fast path go through `parse_bytes`.
#[inline(always)]
fn fast_level(price: Decimal8<'_>, qty: Decimal8<'_>) -> Result<Level, ParseError> {
    match (price, qty) {
        (Decimal8::Units(p), Decimal8::Units(q)) if p > 0 => Ok(Level {
            price: Price::from_units(p),
            qty: Qty::from_units(q),
        }),
        (Decimal8::Units(0), Decimal8::Units(_)) => Err(ParseError::Negative("price")),
        (p, q) => level(&raw(p), &raw(q)),
    }
}

/// The text of a scanned decimal (only for the rare slow path).
fn raw(d: Decimal8<'_>) -> std::borrow::Cow<'_, [u8]> {
    match d {
        Decimal8::Units(u) => Price::from_units(u).to_string().into_bytes().into(),
        Decimal8::Other(b) => b.into(),
    }
}

/// Parses and checks one level: price > 0, qty >= 0.
#[cold]
pub(crate) fn level(price: &[u8], qty: &[u8]) -> Result<Level, ParseError> {
    let price = Price::parse_bytes(price).map_err(|e| ParseError::Number("price", e))?;
    let qty = Qty::parse_bytes(qty).map_err(|e| ParseError::Number("qty", e))?;
    if !price.is_positive() {
        return Err(ParseError::Negative("price"));
    }
    if qty.is_negative() {
        return Err(ParseError::Negative("qty"));
    }
    Ok(Level { price, qty })
}

/// Decodes a book snapshot: REST `GET /api/v3/depth` or a partial-depth stream payload
/// (`{"lastUpdateId":..,"bids":[..],"asks":[..]}`), raw or wrapped in a combined frame.
pub fn decode_snapshot(body: &[u8]) -> Result<DepthSnapshot, ParseError> {
    let mut snap = DepthSnapshot::default();
    let mut sc = Scanner::new(body);
    let (mut id, mut bids, mut asks) = (false, false, false);
    if sc.open_object()? {
        loop {
            match sc.key()? {
                b"lastUpdateId" => {
                    snap.last_id = sc.u64()?;
                    id = true;
                }
                b"bids" => {
                    levels(&mut sc, &mut snap.bids)?;
                    bids = true;
                }
                b"asks" => {
                    levels(&mut sc, &mut snap.asks)?;
                    asks = true;
                }
                b"data" => return decode_snapshot(sc.value_span()?),
                _ => sc.skip_value()?,
            }
            if !sc.more(b'}')? {
                break;
            }
        }
    }
    sc.end()?;
    match (id, bids, asks) {
        (false, _, _) => Err(ParseError::Missing("lastUpdateId")),
        (_, false, _) => Err(ParseError::Missing("bids")),
        (_, _, false) => Err(ParseError::Missing("asks")),
        _ => Ok(snap),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{"e":"depthUpdate","E":1672515782136,"s":"BNBBTC","U":157,"u":160,"b":[["0.0024","10"]],"a":[["0.0026","100"]]}"#;

    #[test]
    fn decodes_raw_and_combined() {
        let mut d = DepthDiff::default();
        let f = decode_depth_update(DOC.as_bytes(), &mut d).unwrap();
        assert_eq!(f.symbol, "BNBBTC");
        assert_eq!(f.stream, None);
        assert_eq!((d.first_id, d.last_id, d.time), (157, 160, 1672515782136));
        assert_eq!(d.bids[0].price.to_string(), "0.0024");
        assert_eq!(d.asks[0].qty.to_string(), "100");
        let combined = format!(r#"{{"stream":"bnbbtc@depth","data":{DOC}}}"#);
        let mut d2 = DepthDiff::default();
        let f = decode_depth_update(combined.as_bytes(), &mut d2).unwrap();
        assert_eq!(f.stream, Some("bnbbtc@depth"));
        assert_eq!(d, d2);
    }

    #[test]
    fn rejects_bad_depth_frames() {
        let mut d = DepthDiff::default();
        let bad = [
            DOC.replace("depthUpdate", "trade"),
            DOC.replace(r#""U":157"#, r#""U":161"#),
            DOC.replace("0.0024", "-1"),
            DOC.replace(r#""10""#, r#""-10""#),
            DOC.replace("0.0024", "abc"),
            DOC.replace(r#","s":"BNBBTC""#, ""),
            DOC.replace(r#"["0.0024","10"]"#, r#"["0.0024"]"#),
            DOC[..DOC.len() - 1].to_string(),
            format!("{DOC}x"),
        ];
        for b in bad {
            assert!(decode_depth_update(b.as_bytes(), &mut d).is_err(), "{b}");
        }
    }

    #[test]
    fn decodes_snapshots() {
        let rest = r#"{"lastUpdateId":1027024,"bids":[["4.00000000","431.00000000"]],"asks":[["4.00000200","12.00000000"]]}"#;
        let s = decode_snapshot(rest.as_bytes()).unwrap();
        assert_eq!(s.last_id, 1027024);
        assert_eq!(s.asks[0].price.to_string(), "4.000002");
        let wrapped = format!(r#"{{"stream":"x@depth5","data":{rest}}}"#);
        assert_eq!(decode_snapshot(wrapped.as_bytes()).unwrap(), s);
        assert!(decode_snapshot(br#"{"bids":[],"asks":[]}"#).is_err());
    }
}
