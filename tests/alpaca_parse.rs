//! Every relevant Alpaca sample from the venue's docs (tests/fixtures) parsed into domain types,
//! table-driven with a label per case.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

mod alpaca_support;

use alpaca_support::{elements, extra, sample};
use rust_decimal::Decimal;
use speedtrade::domain::{
    ClientOrderId, Interval, Level, OrderStatus, Price, Qty, Side, Symbol, VenueId,
};
use speedtrade::venue::alpaca::parse::{
    parse_account, parse_assets, parse_bars, parse_error_body, parse_order, parse_position,
};
use speedtrade::venue::alpaca::{
    AlpacaDataItem, AlpacaStreamItem, parse_data_frame, parse_stream_message,
};
use std::str::FromStr;

fn p(s: &str) -> Price {
    Price::parse(s).unwrap()
}
fn q(s: &str) -> Qty {
    Qty::parse(s).unwrap()
}
fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}
fn sym(s: &str) -> Symbol {
    Symbol::new(s).unwrap()
}
fn ms(rfc3339: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .timestamp_millis()
}

#[test]
fn rest_orders() {
    let cases = [
        ("rest.order (notional stock order)", "order", "AAPL"),
        ("rest.order_crypto", "order_crypto", "BTC/USD"),
    ];
    for (label, key, symbol) in cases {
        let u =
            parse_order(&sample(&["rest", key, "body"])).unwrap_or_else(|e| panic!("{label}: {e}"));
        assert_eq!(u.symbol, sym(symbol), "{label}");
        assert_eq!(u.status, OrderStatus::New, "{label}: accepted is working");
        assert_eq!(
            u.client_order_id,
            ClientOrderId::new("eb9e2aaa-f71a-4f51-b5b4-52a6c565dad4").unwrap(),
            "{label}"
        );
        assert_eq!(
            u.venue_order_id.as_deref(),
            Some("61e69015-8549-4bfd-b9c3-01e75843f47d")
        );
        assert_eq!(u.filled_qty, Qty::ZERO, "{label}");
        assert_eq!(u.filled_quote, Decimal::ZERO, "{label}");
        assert_eq!(u.fill, None, "{label}");
        assert_eq!(u.time, ms("2021-03-16T18:38:01.942282Z"), "{label}");
    }
}

#[test]
fn rest_positions_and_account() {
    let cases = [
        (
            "rest.position (symbol with a trailing space)",
            "position",
            "AAPL",
            "5",
            "100.0",
            "120.0",
        ),
        (
            "rest.position_crypto (16-decimal average)",
            "position_crypto",
            "BTCUSD",
            "2.61937",
            "19660.5738784516887649",
            "19444",
        ),
    ];
    for (label, key, symbol, qty, avg, last) in cases {
        let pos = parse_position(&sample(&["rest", key, "body"]))
            .unwrap_or_else(|e| panic!("{label}: {e}"));
        assert_eq!(pos.symbol, sym(symbol), "{label}");
        assert_eq!(pos.qty, d(qty), "{label}");
        assert_eq!(pos.avg_entry_price.to_string(), avg, "{label}: exact");
        assert_eq!(pos.current_price, Some(d(last)), "{label}");
    }
    let positions = format!(
        "[{},{}]",
        sample(&["rest", "position", "body"]),
        sample(&["rest", "position_crypto", "body"])
    );
    let snap = parse_account(&sample(&["rest", "account", "body"]), &positions).unwrap();
    assert_eq!(
        snap.cash,
        Some(d("-23140.2")),
        "rest.account: cash on margin"
    );
    assert_eq!(snap.equity, Some(d("103820.56")), "rest.account: equity");
    assert_eq!(snap.positions.len(), 2);
    assert!(snap.balances.is_empty());
}

#[test]
fn rest_error_body() {
    let (code, message) = parse_error_body(sample(&["rest", "error_body_422", "body"]).as_bytes());
    assert_eq!(code, Some(42210000));
    assert_eq!(
        message,
        "invalid limit_price 290.123. sub-penny increment does not fulfill minimum pricing criteria"
    );
}

#[test]
fn rest_assets_become_instruments() {
    let json = format!(
        "[{},{}]",
        extra(&["asset_us_equity", "body"]),
        extra(&["asset_crypto", "body"])
    );
    let inst = parse_assets(&json).unwrap();
    let cases = [
        // label, symbol, base, quote, tick, step, min qty
        (
            "asset_us_equity (fractionable stock)",
            "AAPL",
            "AAPL",
            "USD",
            "0.01",
            "0.00000001",
            "0.00000001",
        ),
        (
            "asset_crypto (own increments)",
            "BTCUSD",
            "BTCUSD",
            "USD",
            "1",
            "0.0001",
            "0.0001",
        ),
    ];
    assert_eq!(inst.len(), cases.len());
    for (i, (label, symbol, base, quote, tick, step, min)) in cases.into_iter().enumerate() {
        let x = &inst[i];
        assert_eq!(x.venue, VenueId::Alpaca, "{label}");
        assert_eq!(x.symbol, sym(symbol), "{label}");
        assert_eq!(
            (x.base.as_str(), x.quote.as_str()),
            (base, quote),
            "{label}"
        );
        assert_eq!(x.tick_size, p(tick), "{label}");
        assert_eq!(x.step_size, q(step), "{label}");
        assert_eq!(x.min_qty, q(min), "{label}");
        assert!(x.trading, "{label}");
    }
    // Sub-penny: the ticket's check catches what Alpaca would refuse with the 422 sample.
    let err = inst[0].check_price(p("290.123")).unwrap_err().to_string();
    assert!(err.contains("290.12 or 290.13"), "{err}");
}

#[test]
fn rest_bars_become_candles_with_exact_numbers() {
    let now = ms("2022-04-11T08:00:59Z");
    let (candles, next) = parse_bars(&extra(&["bars", "body"]), Interval::M1, now).unwrap();
    assert_eq!(
        next.as_deref(),
        Some("QUFQTHxNfDIwMjItMDQtMTFUMDg6MDA6MDAuMDAwMDAwMDAwWg==")
    );
    let c = &candles[0];
    assert_eq!(c.open_time, ms("2022-04-11T08:00:00Z"));
    assert_eq!(
        (c.open, c.high, c.low, c.close),
        (p("168.99"), p("169.81"), p("168.99"), p("169"))
    );
    assert_eq!(c.volume, q("7170"));
    assert_eq!(c.trades, 206);
    assert_eq!(c.quote_volume, d("169.233976") * d("7170"));
    assert!(!c.closed, "the minute is not over at 08:00:59");
    let (later, _) = parse_bars(
        &extra(&["bars", "body"]),
        Interval::M1,
        ms("2022-04-11T08:01:00Z"),
    )
    .unwrap();
    assert!(later[0].closed);
}

#[test]
fn trading_stream_control_messages() {
    let cases = [
        ("authorized", AlpacaStreamItem::Authorized),
        (
            "unauthorized",
            AlpacaStreamItem::Unauthorized {
                action: "authenticate".into(),
            },
        ),
        (
            "unauthorized_listen",
            AlpacaStreamItem::Unauthorized {
                action: "listen".into(),
            },
        ),
        (
            "listening_ack",
            AlpacaStreamItem::Listening(vec!["trade_updates".into()]),
        ),
    ];
    for (key, want) in cases {
        let raw = sample(&["trading_stream", key, "body"]);
        assert_eq!(parse_stream_message(raw.as_bytes()).unwrap(), want, "{key}");
    }
}

#[test]
fn trading_stream_fill_becomes_an_order_update_with_its_fill() {
    let raw = sample(&["trading_stream", "trade_update_fill", "body"]);
    let AlpacaStreamItem::Order(u) = parse_stream_message(raw.as_bytes()).unwrap() else {
        panic!("not an order update");
    };
    let id = ClientOrderId::new("4642fd68-d59a-47d7-a9ac-e22f536828d1").unwrap();
    assert_eq!(u.client_order_id, id);
    assert_eq!(
        u.venue_order_id.as_deref(),
        Some("a5be8f5e-fdfa-41f5-a644-7a74fe947a8f")
    );
    assert_eq!(u.symbol, sym("SOLUSD"));
    assert_eq!(u.status, OrderStatus::Filled);
    assert_eq!(u.filled_qty, q("1790.86"));
    assert_eq!(u.filled_quote, d("105.8988475") * d("1790.86"));
    assert_eq!(u.time, ms("2022-04-19T17:45:05.024916716Z"));
    let fill = u.fill.expect("a fill event carries its fill");
    assert_eq!(fill.client_order_id, id);
    assert_eq!(fill.venue, VenueId::Alpaca);
    assert_eq!(fill.side, Side::Sell);
    assert_eq!(fill.price, p("105.8988475"));
    assert_eq!(fill.qty, q("1790.86"));
    assert_eq!(fill.trade_id, "2f63ea93-423d-4169-b3f6-3fdafc10c418");
    assert_eq!(fill.time, u.time);
}

fn one(frame: &str) -> AlpacaDataItem {
    let mut items = parse_data_frame(frame.as_bytes()).unwrap();
    assert_eq!(items.len(), 1, "{frame}");
    items.remove(0).unwrap()
}

#[test]
fn market_data_control_messages_and_every_error_code() {
    let md = |k: &str| sample(&["market_data_stream", k, "body"]);
    assert_eq!(
        one(&md("connected")),
        AlpacaDataItem::Connected,
        "connected"
    );
    assert_eq!(
        one(&md("authenticated")),
        AlpacaDataItem::Authenticated,
        "authenticated"
    );
    let AlpacaDataItem::Subscription {
        trades,
        quotes,
        bars,
        daily_bars,
    } = one(&md("subscription_ack"))
    else {
        panic!("subscription_ack");
    };
    assert_eq!(
        (trades, quotes, bars),
        (
            vec!["AAPL".into()],
            vec!["AMD".into(), "CLDR".into()],
            vec!["IBM".into(), "AAPL".into(), "VOO".into()]
        )
    );
    assert!(daily_bars.is_empty());
    let codes = [
        ("400", "invalid syntax"),
        ("401", "not authenticated"),
        ("402", "auth failed"),
        ("403", "already authenticated"),
        ("404", "auth timeout"),
        ("405", "symbol limit exceeded"),
        ("406", "connection limit exceeded"),
        ("407", "slow client"),
        ("408", "v2 not enabled"),
        ("409", "insufficient subscription"),
        ("500", "internal error"),
    ];
    for (code, msg) in codes {
        let item = one(&sample(&["market_data_stream", "errors", code, "body"]));
        let want = AlpacaDataItem::Error {
            code: code.parse().unwrap(),
            message: msg.into(),
        };
        assert_eq!(item, want, "error {code}");
    }
}

#[test]
fn market_data_trade_quote_bars_status() {
    let md = |k: &str| format!("[{}]", sample(&["market_data_stream", k, "body"]));
    let cases = [
        (
            "trade",
            AlpacaDataItem::Trade {
                symbol: sym("AAPL"),
                id: 96921,
                price: p("126.55"),
                qty: q("1"),
                time: ms("2021-02-22T15:51:44.208Z"),
            },
        ),
        (
            "quote",
            AlpacaDataItem::Quote {
                symbol: sym("AMD"),
                bid: Some(Level {
                    price: p("87.66"),
                    qty: q("1"),
                }),
                ask: Some(Level {
                    price: p("87.68"),
                    qty: q("4"),
                }),
                time: ms("2021-02-22T15:51:45.335689322Z"),
            },
        ),
        (
            "status",
            AlpacaDataItem::Status {
                symbol: sym("AAPL"),
                text: "Trading Halt: Trading Halted; For information requested by NASDAQ".into(),
            },
        ),
    ];
    for (key, want) in cases {
        assert_eq!(one(&md(key)), want, "{key}");
    }
    let bars = [("bar", "49378", true), ("daily_bar", "749378", false)];
    for (key, volume, minute) in bars {
        let (symbol, candle) = match one(&md(key)) {
            AlpacaDataItem::Bar { symbol, candle } if minute => (symbol, candle),
            AlpacaDataItem::DailyBar { symbol, candle } if !minute => (symbol, candle),
            other => panic!("{key}: {other:?}"),
        };
        assert_eq!(symbol, sym("SPY"), "{key}");
        assert_eq!(
            candle.open,
            p("388.985"),
            "{key}: exact from the JSON number"
        );
        assert_eq!(candle.high, p("389.13"), "{key}");
        assert_eq!(candle.low, p("388.975"), "{key}");
        assert_eq!(candle.close, p("389.12"), "{key}");
        assert_eq!(candle.volume, q(volume), "{key}");
        assert!(candle.closed, "{key}: both sample bars are in the past");
    }
}

#[test]
fn market_data_frames_from_the_streaming_example() {
    let frames = elements(&sample(&[
        "market_data_stream",
        "frames_from_streaming_example",
    ]));
    let sizes = [1, 3];
    assert_eq!(frames.len(), sizes.len());
    for (i, frame) in frames.iter().enumerate() {
        let body = alpaca_support::elements(&format!("[{frame}]"))[0].clone();
        let map: std::collections::BTreeMap<String, &serde_json::value::RawValue> =
            serde_json::from_str(&body).unwrap();
        let items = parse_data_frame(map["body"].get().as_bytes()).unwrap();
        assert_eq!(items.len(), sizes[i], "frame {i}");
        assert!(items.iter().all(Result::is_ok), "frame {i}: {items:?}");
    }
}

#[test]
fn malformed_and_unknown_input_is_an_error_or_ignored_never_a_panic() {
    let cases: [(&str, &[u8]); 6] = [
        ("not json", b"hello"),
        ("not an array", br#"{"T":"t"}"#),
        ("truncated", br#"[{"T":"t","S":"AAPL","p":1"#),
        ("binary junk", &[0xff, 0xfe, 0x00]),
        ("empty", b""),
        ("nested garbage", br#"[[[[[]]]]]"#),
    ];
    for (label, bytes) in cases {
        let r = parse_data_frame(bytes);
        assert!(
            r.is_err() || r.unwrap().iter().all(Result::is_err),
            "{label}"
        );
        assert!(parse_stream_message(bytes).is_err(), "{label}");
    }
    let mixed = br#"[{"T":"x","S":"AAPL"},{"T":"t","S":"AAPL","p":"abc","s":1,"t":"2021-02-22T15:51:44.208Z"},{"T":"t","S":"AAPL","i":1,"p":1.5,"s":2,"t":"2021-02-22T15:51:44.208Z"}]"#;
    let items = parse_data_frame(mixed).unwrap();
    assert_eq!(
        items[0],
        Ok(AlpacaDataItem::Ignored("x".into())),
        "unknown T is ignored"
    );
    assert!(items[1].is_err(), "a bad price fails only its element");
    assert!(matches!(items[2], Ok(AlpacaDataItem::Trade { .. })));
}
