//! User-data events as Binance sends them: `executionReport` and `outboundAccountPosition`
//! (the event objects; the WebSocket API wraps them with the subscription id).

use super::account::{Balance, d8};
use super::matching::FillInfo;
use super::orders::{SimOrder, side_str};
use super::symbols::SymbolSpec;
use crate::domain::notional;
use serde_json::json;

/// What an execution report says happened.
#[derive(Debug, Clone, Copy)]
pub struct Exec<'a> {
    /// Execution type `x`: NEW, TRADE, CANCELED, EXPIRED.
    pub kind: &'a str,
    /// The fill, for TRADE.
    pub fill: Option<&'a FillInfo>,
    /// The order was the maker of the fill.
    pub maker: bool,
    /// The cancel's client order id, for CANCELED.
    pub cancel_id: Option<&'a str>,
}

impl<'a> Exec<'a> {
    /// A report without a fill.
    pub fn plain(kind: &'a str) -> Exec<'a> {
        Exec {
            kind,
            fill: None,
            maker: false,
            cancel_id: None,
        }
    }
    /// A TRADE report.
    pub fn trade(fill: &'a FillInfo, maker: bool) -> Exec<'a> {
        Exec {
            kind: "TRADE",
            fill: Some(fill),
            maker,
            cancel_id: None,
        }
    }
    /// A CANCELED report.
    pub fn cancel(cancel_id: &'a str) -> Exec<'a> {
        Exec {
            kind: "CANCELED",
            fill: None,
            maker: false,
            cancel_id: Some(cancel_id),
        }
    }
}

/// Renders an `executionReport` for order `o` at `now`.
pub fn execution_report(
    now: i64,
    spec: &SymbolSpec,
    o: &SimOrder,
    exec: &Exec<'_>,
    exec_id: u64,
) -> String {
    let zero = "0.00000000";
    let (c, big_c) = match exec.cancel_id {
        Some(cid) => (cid, o.client_id.as_str()),
        None => (o.client_id.as_str(), ""),
    };
    let (l, last_px, n, big_n, t, y) = match exec.fill {
        Some(f) => (
            f.qty.fmt_dp(8),
            f.price.fmt_dp(8),
            d8(f.commission),
            json!(f.commission_asset),
            f.trade_id as i64,
            d8(notional(f.price, f.qty).unwrap_or_default()),
        ),
        None => (
            zero.into(),
            zero.into(),
            "0".into(),
            serde_json::Value::Null,
            -1,
            zero.into(),
        ),
    };
    let in_book = o.status.is_open() && o.is_working();
    json!({
        "e": "executionReport", "E": now, "s": spec.name, "c": c, "S": side_str(o.side),
        "o": o.kind.as_str(), "f": o.tif.as_str(), "q": o.orig_qty.fmt_dp(8),
        "p": o.price.fmt_dp(8), "P": o.stop.fmt_dp(8), "F": zero, "g": -1, "C": big_c,
        "x": exec.kind, "X": o.status.as_str(), "r": "NONE", "i": o.id, "l": l,
        "z": o.executed.fmt_dp(8), "L": last_px, "n": n, "N": big_n, "T": now, "t": t,
        "I": exec_id, "w": in_book, "m": exec.maker, "M": false, "O": o.time,
        "Z": d8(o.cum_quote), "Y": y, "Q": o.orig_quote.fmt_dp(8),
        "W": if o.working_time >= 0 { o.working_time } else { o.time }, "V": "NONE",
    })
    .to_string()
}

/// Renders an `outboundAccountPosition` with the changed balances.
pub fn account_position(now: i64, changed: &[(String, Balance)]) -> String {
    let balances: Vec<_> = changed
        .iter()
        .map(|(a, b)| json!({"a": a, "f": d8(b.free), "l": d8(b.locked)}))
        .collect();
    json!({"e": "outboundAccountPosition", "E": now, "u": now, "B": balances}).to_string()
}
