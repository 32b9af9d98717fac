//! The WebSocket API over a real socket: the signed user-data subscription delivering
//! `executionReport` and `outboundAccountPosition`, order methods, and signature errors.
#![allow(clippy::unwrap_used)]

mod sim_common;

use serde_json::{Map, Value, json};
use sim_common::*;
use speedtrade::domain::Price;
use speedtrade::sim::{DEMO_API_KEY, DEMO_API_SECRET, SimArgs, auth};
use std::time::Duration;

/// A signed WebSocket API request.
fn request(id: &str, method: &str, params: Value) -> Value {
    let mut p: Map<String, Value> = serde_json::from_value(params).unwrap();
    p.insert("apiKey".into(), json!(DEMO_API_KEY));
    p.insert("timestamp".into(), json!(now_ms()));
    let sig = auth::sign(DEMO_API_SECRET, &auth::ws_payload(&p));
    p.insert("signature".into(), json!(sig));
    json!({"id": id, "method": method, "params": p})
}

async fn reply(ws: &mut Ws, id: &str) -> Value {
    next_matching(ws, |v| v["id"] == id).await
}

#[tokio::test]
async fn user_data_stream_delivers_wrapped_events() {
    let h = start(args()).await;
    let mut ws = ws(&h.ws_api_url()).await;
    send_json(
        &mut ws,
        &request("s1", "userDataStream.subscribe.signature", json!({})),
    )
    .await;
    let sub = reply(&mut ws, "s1").await;
    assert_same_keys(
        &sub,
        &ws_sample("wsapi_userDataStream_subscribe_signature_response"),
        &["rateLimits"],
    );
    assert_eq!(sub["result"]["subscriptionId"], 0);

    h.pause_market();
    let (_, order) = call(
        &h,
        "POST",
        "/api/v3/order",
        "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01&newClientOrderId=ud1",
    )
    .await;
    assert_eq!(order["status"], "FILLED");
    let new = next_matching(&mut ws, |v| v["event"]["X"] == "NEW").await;
    assert_same_keys(&new, &ws_sample("executionReport"), &["v"]);
    assert_same_keys(
        &new["event"],
        &ws_sample("executionReport")["event"],
        &["v"],
    );
    assert_eq!(
        (new["subscriptionId"].as_u64(), new["event"]["c"].as_str()),
        (Some(0), Some("ud1"))
    );
    let trade = next_matching(&mut ws, |v| v["event"]["x"] == "TRADE").await;
    assert_eq!(trade["event"]["t"], order["fills"][0]["tradeId"]);
    assert!(trade["event"]["N"].is_string());
    let pos = next_matching(&mut ws, |v| v["event"]["e"] == "outboundAccountPosition").await;
    assert_same_keys(&pos, &ws_sample("outboundAccountPosition"), &[]);
    assert_same_keys(
        &pos["event"]["B"][0],
        &ws_sample("outboundAccountPosition")["event"]["B"][0],
        &[],
    );
    let assets: Vec<&str> = pos["event"]["B"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["a"].as_str().unwrap())
        .collect();
    assert_eq!(assets, ["BTC", "USDT"]);
}

#[tokio::test]
async fn resting_orders_fill_when_the_market_trades_through_them() {
    let h = start(SimArgs { rate: 50, ..args() }).await;
    let mut ws = ws(&h.ws_api_url()).await;
    send_json(
        &mut ws,
        &request("s", "userDataStream.subscribe.signature", json!({})),
    )
    .await;
    reply(&mut ws, "s").await;
    let book = h.book("BTCUSDT").unwrap();
    let price = Price::from_units(book.asks[0].0.units() - 1_000_000).fmt_dp(2);
    let q =
        format!("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&price={price}");
    let (_, placed) = call(&h, "POST", "/api/v3/order", &q).await;
    assert!(
        placed["status"] == "NEW" || placed["status"] == "FILLED",
        "{placed}"
    );
    if placed["status"] == "NEW" {
        let fill = tokio::time::timeout(
            Duration::from_secs(60),
            next_matching(&mut ws, |v| v["event"]["x"] == "TRADE"),
        )
        .await
        .expect("a seller hits the order within a minute");
        assert_eq!(fill["event"]["m"], true, "the resting order was the maker");
        assert_eq!(fill["event"]["i"], placed["orderId"]);
    }
}

#[tokio::test]
async fn order_methods() {
    let h = start(args()).await;
    let mut ws = ws(&h.ws_api_url()).await;
    let place = json!({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
        "quantity": "0.01", "price": "1000.00", "newClientOrderId": "w1", "newOrderRespType": "RESULT"});
    send_json(&mut ws, &request("p", "order.place", place)).await;
    let placed = reply(&mut ws, "p").await;
    assert_same_keys(&placed, &ws_sample("wsapi_response_success"), &[]);
    assert_same_keys(
        &placed["result"],
        &ws_sample("wsapi_response_success")["result"],
        &[],
    );
    send_json(
        &mut ws,
        &request(
            "q",
            "order.status",
            json!({"symbol": "BTCUSDT", "origClientOrderId": "w1"}),
        ),
    )
    .await;
    assert_eq!(reply(&mut ws, "q").await["result"]["status"], "NEW");
    send_json(
        &mut ws,
        &request("o", "openOrders.status", json!({"symbol": "BTCUSDT"})),
    )
    .await;
    assert_eq!(
        reply(&mut ws, "o").await["result"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    send_json(
        &mut ws,
        &request(
            "c",
            "order.cancel",
            json!({"symbol": "BTCUSDT", "origClientOrderId": "w1"}),
        ),
    )
    .await;
    assert_eq!(reply(&mut ws, "c").await["result"]["status"], "CANCELED");
    send_json(&mut ws, &request("a", "account.status", json!({}))).await;
    assert!(reply(&mut ws, "a").await["result"]["balances"].is_array());
}

#[tokio::test]
async fn signature_errors() {
    let h = start(args()).await;
    let mut ws = ws(&h.ws_api_url()).await;
    let mut bad = request("b", "userDataStream.subscribe.signature", json!({}));
    bad["params"]["signature"] = json!("00");
    send_json(&mut ws, &bad).await;
    let e = reply(&mut ws, "b").await;
    assert_same_keys(&e, &ws_sample("wsapi_response_error"), &[]);
    assert_eq!(
        (e["status"].as_u64(), e["error"]["code"].as_i64()),
        (Some(400), Some(-1022))
    );
    let mut old = request("t", "userDataStream.subscribe.signature", json!({}));
    old["params"]["timestamp"] = json!(now_ms() - 60_000);
    let p: Map<String, Value> = serde_json::from_value(old["params"].clone()).unwrap();
    old["params"]["signature"] = json!(auth::sign(DEMO_API_SECRET, &auth::ws_payload(&p)));
    send_json(&mut ws, &old).await;
    assert_eq!(reply(&mut ws, "t").await["error"]["code"], -1021);
    send_json(
        &mut ws,
        &json!({"id": "k", "method": "userDataStream.subscribe.signature",
        "params": {"apiKey": "other", "timestamp": now_ms(), "signature": "00"}}),
    )
    .await;
    let e = reply(&mut ws, "k").await;
    assert_eq!(
        (e["status"].as_u64(), e["error"]["code"].as_i64()),
        (Some(401), Some(-2015))
    );
    send_json(&mut ws, &json!({"id": "x", "method": "ping"})).await;
    assert_eq!(reply(&mut ws, "x").await["result"], json!({}));
}
