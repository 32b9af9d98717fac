//! Market stream payloads written straight into a reused byte buffer (itoa and hand-written
//! fixed-point formatting; no JSON trees), in Binance's field names and types.

use super::candles::Kline;
use super::events::{AggTradeEv, BookTickerEv, DepthDiff, Periodic, TickerSnap, TradeEv};
use crate::domain::{Price, Qty};
use rust_decimal::Decimal;
use std::io::Write;

/// Appends `units` of 1e-8 as a decimal with exactly 8 places.
pub fn push_units(buf: &mut Vec<u8>, units: i64) {
    if units < 0 {
        buf.push(b'-');
    }
    let abs = units.unsigned_abs();
    let mut ib = itoa::Buffer::new();
    buf.extend_from_slice(ib.format(abs / 100_000_000).as_bytes());
    buf.push(b'.');
    let frac = abs % 100_000_000;
    let mut digits = [b'0'; 8];
    let mut f = frac;
    for d in digits.iter_mut().rev() {
        *d = b'0' + (f % 10) as u8;
        f /= 10;
    }
    buf.extend_from_slice(&digits);
}

fn push_int(buf: &mut Vec<u8>, v: i64) {
    buf.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

fn push_uint(buf: &mut Vec<u8>, v: u64) {
    buf.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

fn push_str_units(buf: &mut Vec<u8>, units: i64) {
    buf.push(b'"');
    push_units(buf, units);
    buf.push(b'"');
}

fn price(buf: &mut Vec<u8>, key: &[u8], p: Price) {
    buf.extend_from_slice(key);
    push_str_units(buf, p.units());
}

fn qty(buf: &mut Vec<u8>, key: &[u8], q: Qty) {
    buf.extend_from_slice(key);
    push_str_units(buf, q.units());
}

fn dec(buf: &mut Vec<u8>, key: &[u8], d: Decimal) {
    buf.extend_from_slice(key);
    let _ = write!(buf, "\"{:.8}\"", super::account::trunc8(d));
}

fn int(buf: &mut Vec<u8>, key: &[u8], v: i64) {
    buf.extend_from_slice(key);
    push_int(buf, v);
}

fn uint(buf: &mut Vec<u8>, key: &[u8], v: u64) {
    buf.extend_from_slice(key);
    push_uint(buf, v);
}

fn sym(buf: &mut Vec<u8>, s: &str) {
    buf.extend_from_slice(b",\"s\":\"");
    buf.extend_from_slice(s.as_bytes());
    buf.push(b'"');
}

fn levels(buf: &mut Vec<u8>, key: &[u8], lv: &[(Price, Qty)]) {
    buf.extend_from_slice(key);
    buf.push(b'[');
    for (i, (p, q)) in lv.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        buf.push(b'[');
        push_str_units(buf, p.units());
        buf.push(b',');
        push_str_units(buf, q.units());
        buf.push(b']');
    }
    buf.push(b']');
}

/// `depthUpdate`.
pub fn depth(buf: &mut Vec<u8>, s: &str, d: &DepthDiff) {
    buf.extend_from_slice(b"{\"e\":\"depthUpdate\"");
    int(buf, b",\"E\":", d.time);
    sym(buf, s);
    uint(buf, b",\"U\":", d.first);
    uint(buf, b",\"u\":", d.last);
    levels(buf, b",\"b\":", &d.bids);
    levels(buf, b",\"a\":", &d.asks);
    buf.push(b'}');
}

/// `trade`.
pub fn trade(buf: &mut Vec<u8>, s: &str, t: &TradeEv) {
    buf.extend_from_slice(b"{\"e\":\"trade\"");
    int(buf, b",\"E\":", t.time);
    sym(buf, s);
    uint(buf, b",\"t\":", t.id);
    price(buf, b",\"p\":", t.price);
    qty(buf, b",\"q\":", t.qty);
    int(buf, b",\"T\":", t.time);
    buf.extend_from_slice(if t.buyer_maker {
        b",\"m\":true"
    } else {
        b",\"m\":false"
    });
    buf.extend_from_slice(b",\"M\":true}");
}

/// `aggTrade`.
pub fn agg_trade(buf: &mut Vec<u8>, s: &str, a: &AggTradeEv) {
    buf.extend_from_slice(b"{\"e\":\"aggTrade\"");
    int(buf, b",\"E\":", a.time);
    sym(buf, s);
    uint(buf, b",\"a\":", a.id);
    price(buf, b",\"p\":", a.price);
    qty(buf, b",\"q\":", a.qty);
    uint(buf, b",\"f\":", a.first);
    uint(buf, b",\"l\":", a.last);
    int(buf, b",\"T\":", a.time);
    buf.extend_from_slice(if a.buyer_maker {
        b",\"m\":true"
    } else {
        b",\"m\":false"
    });
    buf.extend_from_slice(b",\"M\":true}");
}

/// `bookTicker` (no event type or time, like Binance).
pub fn book_ticker(buf: &mut Vec<u8>, s: &str, b: &BookTickerEv) {
    uint(buf, b"{\"u\":", b.update_id);
    sym(buf, s);
    price(buf, b",\"b\":", b.bid.0);
    qty(buf, b",\"B\":", b.bid.1);
    price(buf, b",\"a\":", b.ask.0);
    qty(buf, b",\"A\":", b.ask.1);
    buf.push(b'}');
}

/// Partial depth `{lastUpdateId,bids,asks}` with the top `n` levels.
pub fn partial_depth(buf: &mut Vec<u8>, p: &Periodic, n: usize) {
    let (b, a) = (
        &p.bids[..n.min(p.bids.len())],
        &p.asks[..n.min(p.asks.len())],
    );
    depth_snapshot(buf, p.last_update_id, b, a);
}

/// A depth snapshot `{"lastUpdateId":..,"bids":[[p,q]..],"asks":[..]}` (REST and partial).
pub fn depth_snapshot(
    buf: &mut Vec<u8>,
    last_id: u64,
    bids: &[(Price, Qty)],
    asks: &[(Price, Qty)],
) {
    uint(buf, b"{\"lastUpdateId\":", last_id);
    levels(buf, b",\"bids\":", bids);
    levels(buf, b",\"asks\":", asks);
    buf.push(b'}');
}

/// `kline` event for `k` at event time `time`.
pub fn kline(buf: &mut Vec<u8>, s: &str, time: i64, k: &Kline) {
    buf.extend_from_slice(b"{\"e\":\"kline\"");
    int(buf, b",\"E\":", time);
    sym(buf, s);
    int(buf, b",\"k\":{\"t\":", k.open_time);
    int(buf, b",\"T\":", k.close_time);
    sym(buf, s);
    buf.extend_from_slice(b",\"i\":\"");
    buf.extend_from_slice(k.interval.as_str().as_bytes());
    buf.push(b'"');
    let a = &k.agg;
    int(buf, b",\"f\":", a.first_id);
    int(buf, b",\"L\":", a.last_id);
    price(buf, b",\"o\":", a.open);
    price(buf, b",\"c\":", a.close);
    price(buf, b",\"h\":", a.high);
    price(buf, b",\"l\":", a.low);
    qty(buf, b",\"v\":", a.volume);
    uint(buf, b",\"n\":", a.trades);
    buf.extend_from_slice(if k.closed {
        b",\"x\":true"
    } else {
        b",\"x\":false"
    });
    dec(buf, b",\"q\":", a.quote);
    qty(buf, b",\"V\":", a.taker_volume);
    dec(buf, b",\"Q\":", a.taker_quote);
    buf.extend_from_slice(b",\"B\":\"0\"}}");
}

/// `24hrMiniTicker`.
pub fn mini_ticker(buf: &mut Vec<u8>, s: &str, t: &TickerSnap) {
    buf.extend_from_slice(b"{\"e\":\"24hrMiniTicker\"");
    int(buf, b",\"E\":", t.time);
    sym(buf, s);
    price(buf, b",\"c\":", t.last);
    price(buf, b",\"o\":", t.open);
    price(buf, b",\"h\":", t.high);
    price(buf, b",\"l\":", t.low);
    qty(buf, b",\"v\":", t.volume);
    dec(buf, b",\"q\":", t.quote_volume);
    buf.push(b'}');
}

/// `24hrTicker`.
pub fn ticker(buf: &mut Vec<u8>, s: &str, t: &TickerSnap) {
    let change = t.last.units() - t.open.units();
    buf.extend_from_slice(b"{\"e\":\"24hrTicker\"");
    int(buf, b",\"E\":", t.time);
    sym(buf, s);
    buf.extend_from_slice(b",\"p\":");
    push_str_units(buf, change);
    let _ = write!(buf, ",\"P\":\"{:.3}\"", percent(change, t.open));
    dec(buf, b",\"w\":", weighted_avg(t));
    price(buf, b",\"x\":", t.open);
    price(buf, b",\"c\":", t.last);
    qty(buf, b",\"Q\":", t.last_qty);
    price(buf, b",\"b\":", t.bid.0);
    qty(buf, b",\"B\":", t.bid.1);
    price(buf, b",\"a\":", t.ask.0);
    qty(buf, b",\"A\":", t.ask.1);
    price(buf, b",\"o\":", t.open);
    price(buf, b",\"h\":", t.high);
    price(buf, b",\"l\":", t.low);
    qty(buf, b",\"v\":", t.volume);
    dec(buf, b",\"q\":", t.quote_volume);
    int(buf, b",\"O\":", t.open_time);
    int(buf, b",\"C\":", t.time);
    int(buf, b",\"F\":", t.first_id);
    int(buf, b",\"L\":", t.last_id);
    uint(buf, b",\"n\":", t.count);
    buf.push(b'}');
}

/// Price change in percent of `open`, 3 decimals.
pub fn percent(change_units: i64, open: Price) -> Decimal {
    if open.is_zero() {
        return Decimal::ZERO;
    }
    (Decimal::from(change_units) * Decimal::from(100) / Decimal::from(open.units())).round_dp(3)
}

/// Quote volume / base volume (or the last price when nothing traded).
pub fn weighted_avg(t: &TickerSnap) -> Decimal {
    if t.volume.is_zero() {
        return t.last.to_decimal();
    }
    t.quote_volume / t.volume.to_decimal()
}

/// Volume-weighted price of a candle (its close when nothing traded).
pub fn weighted_avg_of(a: &super::candles::Agg) -> Decimal {
    if a.volume.is_zero() {
        return a.close.to_decimal();
    }
    a.quote / a.volume.to_decimal()
}

/// Wraps a payload for a combined stream: `{"stream":..,"data":..}`.
pub fn combined(out: &mut Vec<u8>, stream: &str, payload: &[u8]) {
    out.extend_from_slice(b"{\"stream\":\"");
    out.extend_from_slice(stream.as_bytes());
    out.extend_from_slice(b"\",\"data\":");
    out.extend_from_slice(payload);
    out.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_have_eight_places() {
        let mut b = Vec::new();
        push_units(&mut b, 2_535_190_000);
        b.push(b' ');
        push_units(&mut b, -1);
        b.push(b' ');
        push_units(&mut b, 0);
        assert_eq!(
            String::from_utf8(b).unwrap(),
            "25.35190000 -0.00000001 0.00000000"
        );
        let d = DepthDiff {
            time: 5,
            first: 157,
            last: 160,
            bids: vec![(Price::parse("0.0024").unwrap(), Qty::from_int(10))],
            asks: vec![],
        };
        let mut b = Vec::new();
        depth(&mut b, "BNBBTC", &d);
        let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
        assert_eq!(v["b"][0][0], "0.00240000");
        assert_eq!(v["U"], 157);
    }
}
