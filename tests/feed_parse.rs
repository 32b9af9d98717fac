//! Binance parsers on every real sample from the docs (tests/fixtures, copied from the protocol
//! digest), table-driven with one labelled case per sample, plus the fast depth decoder against
//! the serde one on generated and corrupted frames.

#![allow(clippy::unwrap_used)] // test helpers unwrap freely

use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::Value;
use speedtrade::book::DepthDiff;
use speedtrade::domain::{Interval, Price, Qty, Side, Symbol};
use speedtrade::venue::binance::depth::{decode_depth_update, decode_snapshot};
use speedtrade::venue::binance::market_rest::{parse_exchange_info, parse_klines};
use speedtrade::venue::binance::parse::{
    ControlReply, MAX_FRAME_BYTES, MarketMessage, ParseError, parse_api_error, parse_frame,
};
use speedtrade::venue::binance::streams::control_message;
use speedtrade::venue::binance::wire::decode_depth_serde;
use std::str::FromStr;

const WS: &str = include_str!("fixtures/binance_ws_samples.jsonl");
const REST: &str = include_str!("fixtures/binance_rest_samples.json");

fn p(s: &str) -> Price {
    Price::parse(s).unwrap()
}
fn q(s: &str) -> Qty {
    Qty::parse(s).unwrap()
}
fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// `Result` of [`parse_frame`], borrowed.
type Msg<'a> = Result<&'a MarketMessage, &'a ParseError>;

/// What each sample must parse to. Every sample in the file needs a case.
fn check(id: &str, payload: &str) {
    let frame = parse_frame(payload.as_bytes(), MAX_FRAME_BYTES);
    let msg = frame.as_ref().map(|f| &f.message);
    let handled = check_control(id, payload, msg)
        || check_trades_and_stats(id, msg)
        || check_books_and_prices(id, msg)
        || check_not_market_data(id, msg);
    assert!(handled, "no test case for sample `{id}`");
}

/// Control replies and our own control requests.
fn check_control(id: &str, payload: &str, msg: Msg) -> bool {
    match id {
        "server_shutdown_raw" | "server_shutdown_combined" => {
            assert_eq!(
                msg,
                Ok(&MarketMessage::ServerShutdown {
                    time: 1770123456789
                })
            );
        }
        "subscribe_response" | "unsubscribe_response" | "set_property_response" => {
            let Ok(MarketMessage::Control(ControlReply::Ok { result, .. })) = msg else {
                panic!("{msg:?}");
            };
            assert_eq!(result, &Value::Null);
        }
        "list_subscriptions_response" => {
            let Ok(MarketMessage::Control(ControlReply::Ok { result, id })) = msg else {
                panic!("{msg:?}");
            };
            assert_eq!(
                (result, id),
                (
                    &serde_json::json!(["btcusdt@aggTrade"]),
                    &serde_json::json!(3)
                )
            );
        }
        "get_property_response" => {
            let Ok(MarketMessage::Control(ControlReply::Ok { result, .. })) = msg else {
                panic!("{msg:?}");
            };
            assert_eq!(result, &Value::Bool(true));
        }
        "subscribe_request"
        | "unsubscribe_request"
        | "list_subscriptions_request"
        | "set_property_request"
        | "get_property_request" => {
            // Client → server: not a stream frame; our own request writer must match it.
            assert_eq!(msg, Err(&ParseError::UnknownShape));
            let v: Value = serde_json::from_str(payload).unwrap();
            let params: Vec<String> = v["params"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            if v["params"]
                .as_array()
                .is_none_or(|a| a.iter().all(Value::is_string))
            {
                let ours = control_message(
                    v["method"].as_str().unwrap(),
                    &params,
                    v["id"].as_u64().unwrap(),
                );
                assert_eq!(serde_json::from_str::<Value>(&ours).unwrap(), v);
            }
        }
        _ => return false,
    }
    true
}

/// Trades, candles, tickers.
fn check_trades_and_stats(id: &str, msg: Msg) -> bool {
    match id {
        "referencePrice" => assert_eq!(
            msg,
            Ok(&MarketMessage::ReferencePrice {
                symbol: Symbol::new("BAZUSD").unwrap(),
                price: p("1.00"),
                time: 1770313263917
            })
        ),
        "aggTrade" | "trade" | "combined_trade_DERIVED" | "blockTrade" => check_trade(id, msg),
        "kline" => {
            let Ok(MarketMessage::Kline {
                symbol,
                interval,
                candle,
                time,
            }) = msg
            else {
                panic!("{msg:?}");
            };
            assert_eq!(
                (symbol.as_str(), *interval, *time),
                ("BNBBTC", Interval::M1, 1672515782136)
            );
            assert_eq!(candle.open_time, 1672515780000);
            assert_eq!(
                (candle.open, candle.high, candle.low, candle.close),
                (p("0.0010"), p("0.0025"), p("0.0015"), p("0.0020"))
            );
            assert_eq!(
                (
                    candle.volume,
                    candle.quote_volume,
                    candle.trades,
                    candle.closed
                ),
                (q("1000"), d("1.0000"), 100, false)
            );
        }
        "miniTicker" | "24hrTicker" => {
            let Ok(MarketMessage::Tickers(list)) = msg else {
                panic!("{msg:?}");
            };
            let t = &list[0];
            assert_eq!(
                (t.symbol.as_str(), t.last, t.open, t.high, t.low),
                ("BNBBTC", p("0.0025"), p("0.0010"), p("0.0025"), p("0.0010"))
            );
            assert_eq!(
                (t.volume, t.quote_volume, t.time),
                (q("10000"), d("18"), 1672515782136)
            );
            // The full ticker carries P; the mini ticker's is computed from open and last.
            let pct = if id == "miniTicker" {
                d("150.00")
            } else {
                d("250.00")
            };
            assert_eq!(t.change_pct, pct);
        }
        "1hTicker" => {
            let Ok(MarketMessage::WindowTicker { window, ticker }) = msg else {
                panic!("{msg:?}");
            };
            assert_eq!(
                (window.as_str(), ticker.last, ticker.change_pct),
                ("1h", p("0.0025"), d("250.00"))
            );
        }
        _ => return false,
    }
    true
}

/// Book streams and prices.
fn check_books_and_prices(id: &str, msg: Msg) -> bool {
    match id {
        "bookTicker" => {
            let Ok(MarketMessage::BookTicker(b)) = msg else {
                panic!("{msg:?}");
            };
            assert_eq!((b.symbol.as_str(), b.update_id), ("BNBUSDT", 400900217));
            assert_eq!(
                (b.bid.price, b.bid.qty, b.ask.price, b.ask.qty),
                (p("25.3519"), q("31.21"), p("25.3652"), q("40.66"))
            );
        }
        "avgPrice" => assert_eq!(
            msg,
            Ok(&MarketMessage::AvgPrice {
                symbol: Symbol::new("BTCUSDT").unwrap(),
                price: p("25776.86"),
                time: 1693907032213
            })
        ),
        "partialDepth" => {
            let Ok(MarketMessage::PartialDepth {
                symbol: None,
                snapshot,
            }) = msg
            else {
                panic!("{msg:?}");
            };
            assert_eq!(
                (
                    snapshot.last_id,
                    snapshot.bids[0].price,
                    snapshot.asks[0].qty
                ),
                (160, p("0.0024"), q("100"))
            );
        }
        "depthUpdate" => {
            let Ok(MarketMessage::Depth { symbol, diff }) = msg else {
                panic!("{msg:?}");
            };
            assert_eq!(
                (symbol.as_str(), diff.first_id, diff.last_id, diff.time),
                ("BNBBTC", 157, 160, 1672515782136)
            );
            assert_eq!(
                (diff.bids[0].price, diff.bids[0].qty, diff.asks[0].price),
                (p("0.0024"), q("10"), p("0.0026"))
            );
        }
        _ => return false,
    }
    true
}

/// WS-API and user-data samples are not market data: typed errors or control replies.
fn check_not_market_data(id: &str, msg: Msg) -> bool {
    match id {
        "wsapi_response_success" | "wsapi_userDataStream_subscribe_signature_response" => {
            assert!(
                matches!(msg, Ok(MarketMessage::Control(ControlReply::Ok { .. }))),
                "{msg:?}"
            );
        }
        "wsapi_response_error" | "wsapi_response_ip_banned_418" | "wsapi_session_revoked_401" => {
            assert!(
                matches!(msg, Ok(MarketMessage::Control(ControlReply::Err { .. }))),
                "{msg:?}"
            );
        }
        // User-data events belong to the user-stream parser; here they are typed errors.
        _ if id.starts_with("legacy_") => {
            assert!(
                matches!(msg, Err(ParseError::UnknownEvent(_))),
                "{id}: {msg:?}"
            );
        }
        "outboundAccountPosition"
        | "balanceUpdate"
        | "executionReport"
        | "listStatus"
        | "eventStreamTerminated"
        | "externalLockUpdate"
        | "wsapi_event_outboundAccountPosition"
        | "wsapi_request_order_place"
        | "wsapi_userDataStream_subscribe_signature_request" => {
            assert!(msg.is_err(), "{id}: {msg:?}");
        }
        _ => return false,
    }
    true
}

fn check_trade(id: &str, msg: Msg) {
    let t = match (id, msg) {
        ("aggTrade", Ok(MarketMessage::AggTrade(t))) => t,
        ("blockTrade", Ok(MarketMessage::BlockTrade(t))) => t,
        ("trade" | "combined_trade_DERIVED", Ok(MarketMessage::Trade(t))) => t,
        _ => panic!("{id}: {msg:?}"),
    };
    assert_eq!(t.symbol.as_str(), "BNBBTC");
    // `m: true` = the buyer was the maker, so the aggressor sold.
    assert_eq!(t.taker_side, Side::Sell);
    if id == "blockTrade" {
        assert_eq!(
            (t.id, t.price, t.qty, t.time),
            (582, p("0.052"), q("5838"), 1772506983321)
        );
    } else {
        assert_eq!(
            (t.id, t.price, t.qty, t.time),
            (12345, p("0.001"), q("100"), 1672515782136)
        );
    }
}

#[test]
fn every_ws_sample_parses_as_documented() {
    let mut n = 0;
    for line in WS.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line).unwrap();
        let id = v["id"].as_str().unwrap();
        let payload = v["payload"].to_string();
        check(id, &payload);
        // Market payloads also arrive wrapped in a combined frame named after their stream.
        if let Some(stream) = v["stream"].as_str().filter(|_| v["kind"] == "market_data") {
            let name = stream
                .replace("<symbol>", "bnbbtc")
                .replace("<interval>", "1m")
                .replace("<levels>[@100ms]", "5")
                .replace("[@100ms]", "")
                .replace("<window_size>", "1h");
            let wrapped = format!(r#"{{"stream":"{name}","data":{payload}}}"#);
            let f = parse_frame(wrapped.as_bytes(), MAX_FRAME_BYTES);
            let f = f.unwrap_or_else(|e| panic!("{id} wrapped as {name}: {e}"));
            assert_eq!(f.stream, Some(name.as_str()));
            if id != "partialDepth" {
                assert_eq!(
                    Ok(&f.message),
                    parse_frame(payload.as_bytes(), MAX_FRAME_BYTES)
                        .as_ref()
                        .map(|f| &f.message),
                    "{id}"
                );
            }
        }
        n += 1;
    }
    assert_eq!(n, 43, "the digest lists 43 samples");
}

#[test]
fn partial_depth_and_book_ticker_dispatch_by_stream_name() {
    let depth5 = r#"{"stream":"bnbbtc@depth5@100ms","data":{"lastUpdateId":160,"bids":[["0.0024","10"]],"asks":[["0.0026","100"]]}}"#;
    let Ok(f) = parse_frame(depth5.as_bytes(), MAX_FRAME_BYTES) else {
        panic!()
    };
    assert!(
        matches!(f.message, MarketMessage::PartialDepth { symbol: Some(s), .. } if s.as_str() == "BNBBTC")
    );
}

#[test]
fn bad_frames_are_typed_errors() {
    type Check = fn(&ParseError) -> bool;
    let cases: [(&str, Check); 7] = [
        ("", |e| matches!(e, ParseError::Json(_))),
        ("{", |e| matches!(e, ParseError::Json(_))),
        (
            r#"{"e":"somethingNew","E":1}"#,
            |e| matches!(e, ParseError::UnknownEvent(s) if s == "somethingNew"),
        ),
        (r#"{"hello":1}"#, |e| matches!(e, ParseError::UnknownShape)),
        (r#"{"stream":"x@trade"}"#, |e| {
            matches!(e, ParseError::Missing("data"))
        }),
        (
            r#"{"e":"trade","E":1,"s":"BNBBTC","t":1,"p":"1e5","q":"1","T":1,"m":true}"#,
            |e| matches!(e, ParseError::Number("p", _)),
        ),
        (
            r#"{"e":"kline","E":1,"s":"B","k":{"t":1,"i":"7m","o":"1","h":"1","l":"1","c":"1","v":"1","q":"1","n":1,"x":true}}"#,
            |e| matches!(e, ParseError::Interval(_)),
        ),
    ];
    for (text, ok) in cases {
        let e = parse_frame(text.as_bytes(), MAX_FRAME_BYTES).unwrap_err();
        assert!(ok(&e), "{text}: {e:?}");
    }
    let future = r#"{"e":"trade","E":1,"s":"BNBBTC","t":1,"p":"1","q":"1","T":9223372036854775807,"m":true}"#;
    assert_eq!(
        parse_frame(future.as_bytes(), MAX_FRAME_BYTES).unwrap_err(),
        ParseError::Time("T")
    );
    let big = "x".repeat(100);
    assert!(matches!(
        parse_frame(big.as_bytes(), 10),
        Err(ParseError::TooLarge {
            size: 100,
            limit: 10
        })
    ));
}

#[test]
fn rest_samples_parse() {
    let v: Value = serde_json::from_str(REST).unwrap();
    let r = &v["responses"];
    let snap = decode_snapshot(r["GET /api/v3/depth"]["body"].to_string().as_bytes()).unwrap();
    assert_eq!(
        (snap.last_id, snap.bids[0].price, snap.bids[0].qty),
        (1027024, p("4"), q("431"))
    );
    assert_eq!(snap.asks[0].price, p("4.000002"));
    let klines = parse_klines(
        r["GET /api/v3/klines"]["body"].to_string().as_bytes(),
        1_600_000_000_000,
        Interval::D1,
    )
    .unwrap();
    let k = &klines[0];
    assert_eq!(
        (k.open_time, k.open, k.high, k.low, k.close),
        (
            1499040000000,
            p("0.0163479"),
            p("0.8"),
            p("0.015758"),
            p("0.015771")
        )
    );
    assert_eq!(
        (k.volume, k.quote_volume, k.trades, k.closed),
        (q("148976.11427815"), d("2434.19055334"), 308, true)
    );
    for (name, code) in [
        ("generic_error_payload", -1121),
        ("cancel_invalid_cancelRestrictions_-1145", -1145),
    ] {
        let body = v["errors"][name]["body"].to_string();
        assert_eq!(parse_api_error(body.as_bytes()).map(|e| e.0), Some(code));
    }
    let f = &v["exchangeInfo_filters"];
    let filters: Vec<Value> = ["PRICE_FILTER", "LOT_SIZE", "NOTIONAL", "MARKET_LOT_SIZE"]
        .iter()
        .map(|k| f[k]["body"].clone())
        .collect();
    let info = serde_json::json!({"rateLimits":[{"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,"limit":6000},
        {"rateLimitType":"ORDERS","interval":"SECOND","intervalNum":10,"limit":50}],
        "symbols":[{"symbol":"ETHBTC","status":"TRADING","baseAsset":"ETH","quoteAsset":"BTC","filters":filters}]});
    let info = parse_exchange_info(info.to_string().as_bytes()).unwrap();
    assert_eq!(info.weight_limits.len(), 1);
    let i = &info.instruments[0];
    assert_eq!(
        (i.tick_size, i.min_price, i.max_price),
        (p("0.000001"), p("0.000001"), p("100000"))
    );
    assert_eq!(
        (i.step_size, i.min_qty, i.max_qty),
        (q("0.001"), q("0.001"), q("100000"))
    );
    assert_eq!(
        (i.min_notional, i.max_notional),
        (d("10.00000000"), Some(d("10000.00000000")))
    );
    assert!(i.trading && i.base == "ETH" && i.quote == "BTC");
}

/// A compact or spaced depthUpdate frame with these levels, keys in Binance's order or shuffled.
fn frame(levels: &[(u32, u64, bool)], spaced: bool, shuffled: bool) -> String {
    let fmt = |bid: bool| -> String {
        let v: Vec<String> = levels
            .iter()
            .filter(|l| l.2 == bid)
            .map(|(p, q, _)| {
                format!(
                    r#"["{}.{:02}","{}.{:08}"]"#,
                    p / 100 + 1,
                    p % 100,
                    q / 100_000_000,
                    q % 100_000_000
                )
            })
            .collect();
        format!("[{}]", v.join(","))
    };
    let mut members = [
        r#""e":"depthUpdate""#.to_string(),
        r#""E":1763700000000"#.into(),
        r#""s":"BTCUSDT""#.into(),
        r#""U":100"#.into(),
        r#""u":120"#.into(),
        format!(r#""b":{}"#, fmt(true)),
        format!(r#""a":{}"#, fmt(false)),
    ];
    if shuffled {
        members.reverse();
    }
    let sep = if spaced { ", " } else { "," };
    let data = format!("{{{}}}", members.join(sep));
    format!(r#"{{"stream":"btcusdt@depth@100ms","data":{data}}}"#)
}

proptest! {
    #[test]
    fn scanner_and_serde_decode_the_same(
        levels in prop::collection::vec((0u32..10_000_000, 0u64..10_000_000_000, any::<bool>()), 0..40),
        spaced in any::<bool>(), shuffled in any::<bool>(),
    ) {
        let text = frame(&levels, spaced, shuffled);
        let (mut a, mut b) = (DepthDiff::default(), DepthDiff::default());
        let fa = decode_depth_update(text.as_bytes(), &mut a).unwrap();
        let fb = decode_depth_serde(text.as_bytes(), &mut b).unwrap();
        prop_assert_eq!(fa, fb);
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(a.bids.len() + a.asks.len(), levels.len());
    }

    #[test]
    fn corrupted_frames_never_panic(
        levels in prop::collection::vec((0u32..10_000_000, 0u64..10_000_000_000, any::<bool>()), 0..10),
        cut in 0usize..400, flip in 0usize..400, byte in any::<u8>(),
    ) {
        let mut bytes = frame(&levels, false, false).into_bytes();
        if let Some(b) = bytes.get_mut(flip) {
            *b = byte;
        }
        bytes.truncate(cut.max(1));
        let mut diff = DepthDiff::default();
        let _ = decode_depth_update(&bytes, &mut diff);
        let _ = decode_depth_serde(&bytes, &mut diff);
        let _ = parse_frame(&bytes, MAX_FRAME_BYTES);
        let _ = decode_snapshot(&bytes);
    }
}
