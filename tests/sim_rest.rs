//! The simulator's public REST endpoints over real HTTP, checked against Binance's samples.
#![allow(clippy::unwrap_used)]

mod sim_common;

use serde_json::Value;
use sim_common::*;

#[tokio::test]
async fn public_endpoints_match_the_documented_shapes() {
    let h = start(args()).await;
    let (s, ping) = get(&h, "/api/v3/ping").await;
    assert_eq!((s, ping), (200, rest_sample("GET /api/v3/ping")));
    let (_, time) = get(&h, "/api/v3/time").await;
    assert_same_keys(&time, &rest_sample("GET /api/v3/time"), &[]);
    assert!((time["serverTime"].as_i64().unwrap() - now_ms()).abs() < 5000);

    let (_, depth) = get(&h, "/api/v3/depth?symbol=BTCUSDT&limit=5000").await;
    assert_same_keys(&depth, &rest_sample("GET /api/v3/depth"), &[]);
    assert_eq!(depth["bids"].as_array().unwrap().len(), 5000);
    let best_bid = depth["bids"][0][0]
        .as_str()
        .unwrap()
        .parse::<f64>()
        .unwrap();
    let best_ask = depth["asks"][0][0]
        .as_str()
        .unwrap()
        .parse::<f64>()
        .unwrap();
    assert!(
        best_bid < best_ask && best_bid > 40_000.0,
        "{best_bid} {best_ask}"
    );

    let (_, trades) = wait_trades(&h).await;
    assert_shape(&trades, &rest_sample("GET /api/v3/trades"), "$", &[]);
    assert_same_keys(&trades[0], &rest_sample("GET /api/v3/trades")[0], &[]);

    let (_, klines) = get(&h, "/api/v3/klines?symbol=ETHUSDT&interval=1h&limit=200").await;
    let klines = klines.as_array().unwrap();
    assert_eq!(
        klines.len(),
        200,
        "200 hours of history to backfill a chart"
    );
    assert_shape(
        &Value::Array(klines.clone()),
        &rest_sample("GET /api/v3/klines"),
        "$",
        &[],
    );
    for w in klines.windows(2) {
        assert_eq!(w[0][6].as_i64().unwrap() + 1, w[1][0].as_i64().unwrap());
    }
    let (_, days) = get(&h, "/api/v3/klines?symbol=BTCUSDT&interval=1d&limit=1000").await;
    assert_eq!(days.as_array().unwrap().len(), 1000);
}

async fn wait_trades(h: &speedtrade::sim::SimHandle) -> (u16, Value) {
    for _ in 0..200 {
        let (s, t) = get(h, "/api/v3/trades?symbol=BTCUSDT&limit=5").await;
        if t.as_array().is_some_and(|a| !a.is_empty()) {
            return (s, t);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no trades after 10 s");
}

#[tokio::test]
async fn exchange_info_lists_filters_in_binance_format() {
    let h = start(args()).await;
    let (_, info) = get(&h, "/api/v3/exchangeInfo").await;
    let syms = info["symbols"].as_array().unwrap();
    assert_eq!(syms.len(), 2);
    let btc = &syms[0];
    assert_eq!(btc["symbol"], "BTCUSDT");
    let samples = rest_samples()["exchangeInfo_filters"].clone();
    for f in btc["filters"].as_array().unwrap() {
        let kind = f["filterType"].as_str().unwrap();
        assert_same_keys(f, &samples[kind]["body"], &[]);
    }
    let price = btc["filters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["filterType"] == "PRICE_FILTER")
        .unwrap();
    assert_eq!(price["tickSize"], "0.01000000");
    let (_, one) = get(&h, "/api/v3/exchangeInfo?symbol=ETHUSDT").await;
    assert_eq!(one["symbols"].as_array().unwrap().len(), 1);
    let (_, two) = get(
        &h,
        "/api/v3/exchangeInfo?symbols=%5B%22ETHUSDT%22,%22BTCUSDT%22%5D",
    )
    .await;
    assert_eq!(two["symbols"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn tickers_and_prices() {
    let h = start(args()).await;
    let (_, t) = get(&h, "/api/v3/ticker/24hr?symbol=BTCUSDT").await;
    for key in [
        "lastPrice",
        "openPrice",
        "highPrice",
        "lowPrice",
        "volume",
        "quoteVolume",
    ] {
        let v = t[key].as_str().unwrap();
        assert!(speedtrade::domain::Price::parse(v).is_ok(), "{key}={v}");
    }
    assert!(t["count"].as_u64().unwrap() > 0);
    let (_, all) = get(&h, "/api/v3/ticker/24hr").await;
    assert_eq!(all.as_array().unwrap().len(), 2);
    let (_, p) = get(&h, "/api/v3/ticker/price?symbol=ETHUSDT").await;
    assert_eq!(p["symbol"], "ETHUSDT");
    let (_, b) = get(&h, "/api/v3/ticker/bookTicker?symbol=ETHUSDT").await;
    assert!(b["bidPrice"].as_str().unwrap() < b["askPrice"].as_str().unwrap());
    let (_, a) = get(&h, "/api/v3/avgPrice?symbol=ETHUSDT").await;
    assert_eq!(a["mins"], 5);
}

#[tokio::test]
async fn errors_use_binance_codes_and_the_weight_header() {
    let h = start(args()).await;
    let cases = [
        ("/api/v3/depth?symbol=NOPE", -1121),
        ("/api/v3/depth", -1102),
        ("/api/v3/depth?symbol=BTCUSDT&limit=abc", -1100),
        ("/api/v3/klines?symbol=BTCUSDT&interval=7m", -1120),
        ("/api/v3/klines?symbol=BTCUSDT", -1102),
    ];
    for (path, code) in cases {
        let (status, body) = get(&h, path).await;
        assert_eq!(status, 400, "{path}");
        assert_eq!(body["code"], code, "{path}: {body}");
        assert_same_keys(
            &body,
            &rest_samples()["errors"]["generic_error_payload"]["body"],
            &[],
        );
    }
    let resp = http()
        .get(format!(
            "{}/api/v3/depth?symbol=BTCUSDT&limit=1000",
            h.rest_url()
        ))
        .send()
        .await
        .unwrap();
    let used: u32 = resp.headers()["x-mbx-used-weight-1m"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(used >= 50, "depth limit=1000 weighs 50, used {used}");
}
