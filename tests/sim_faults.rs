//! Every fault flag of the simulator, observed by a plain client over real sockets.
#![allow(clippy::unwrap_used)]

mod sim_common;

use futures_util::StreamExt;
use serde_json::{Value, json};
use sim_common::*;
use speedtrade::sim::{LoseMode, SimArgs};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// Reads frames until the connection ends; returns how it ended.
async fn until_closed(ws: &mut Ws) -> &'static str {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("ends within 10 s")
        {
            None => return "eof",
            Some(Err(_)) => return "error",
            Some(Ok(Message::Close(_))) => return "close frame",
            Some(Ok(_)) => {}
        }
    }
}

#[tokio::test]
async fn disconnect_every_drops_streams_and_ws_api() {
    let h = start(SimArgs {
        fault_disconnect_every: Some(Duration::from_millis(300)),
        ..args()
    })
    .await;
    let mut s = ws(&format!("{}/ws/btcusdt@depth", h.ws_url())).await;
    let mut api = ws(&h.ws_api_url()).await;
    assert_ne!(
        until_closed(&mut s).await,
        "close frame",
        "dropped without a close frame"
    );
    assert_ne!(until_closed(&mut api).await, "close frame");
    let mut again = ws(&format!("{}/ws/btcusdt@depth", h.ws_url())).await;
    assert_eq!(
        next_json(&mut again).await["e"],
        "depthUpdate",
        "reconnecting works"
    );
}

#[tokio::test]
async fn gap_every_skips_update_ids() {
    let h = start(SimArgs {
        fault_gap_every: Some(4),
        rate: 100,
        ..args()
    })
    .await;
    let mut ws = ws(&format!("{}/ws/btcusdt@depth", h.ws_url())).await;
    let mut prev = next_json(&mut ws).await["u"].as_u64().unwrap();
    let mut gaps = Vec::new();
    for i in 1..=12 {
        let d = next_json(&mut ws).await;
        if d["U"].as_u64().unwrap() != prev + 1 {
            gaps.push(i);
        }
        prev = d["u"].as_u64().unwrap();
    }
    assert_eq!(gaps, [3, 6, 9, 12], "every 4th diff is missing");
}

#[tokio::test]
async fn malformed_and_oversized_frames() {
    let h = start(SimArgs {
        fault_malformed_every: Some(3),
        fault_oversized_every: Some(5),
        fault_oversized_bytes: 200_000,
        rate: 100,
        ..args()
    })
    .await;
    let mut ws = ws(&format!("{}/ws/btcusdt@depth", h.ws_url())).await;
    let (mut bad, mut big, mut good) = (0, 0, Vec::new());
    while good.len() < 15 {
        let Some(Ok(Message::Text(t))) = ws.next().await else {
            continue;
        };
        if t.len() >= 200_000 {
            big += 1;
        } else if let Ok(v) = serde_json::from_str::<Value>(t.as_str()) {
            good.push(v);
        } else {
            bad += 1;
        }
    }
    assert!(bad >= 4 && big >= 2, "bad {bad} big {big}");
    for w in good.windows(2) {
        assert_eq!(
            w[1]["U"].as_u64().unwrap(),
            w[0]["u"].as_u64().unwrap() + 1,
            "no data lost"
        );
    }
    let cfg = WebSocketConfig::default().max_message_size(Some(64 * 1024));
    let url = format!("{}/ws/btcusdt@depth", h.ws_url());
    let (mut strict, _) = tokio_tungstenite::connect_async_with_config(url, Some(cfg), false)
        .await
        .unwrap();
    assert_eq!(
        until_closed(&mut strict).await,
        "error",
        "a size-limited client rejects the frame"
    );
}

#[tokio::test]
async fn weight_limit_gives_429_then_418() {
    let h = start(SimArgs {
        fault_weight_limit: Some(30),
        fault_ban_after: 2,
        ..args()
    })
    .await;
    let c = http();
    let url = format!("{}/api/v3/depth?symbol=BTCUSDT&limit=10", h.rest_url());
    let mut statuses = Vec::new();
    let mut last = None;
    for _ in 0..10 {
        let r = c.get(&url).send().await.unwrap();
        statuses.push(r.status().as_u16());
        last = Some(r);
    }
    assert_eq!(statuses, [200, 200, 200, 200, 200, 200, 429, 429, 418, 418]);
    let r = last.unwrap();
    assert!(r.headers().contains_key("x-mbx-used-weight-1m"));
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 60, "banned for about 2 minutes, got {retry}");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], -1003);
    assert!(body["msg"].as_str().unwrap().contains("banned until"));
}

#[tokio::test]
async fn retry_after_is_enough_to_recover() {
    let c = http();
    let h = start(SimArgs {
        fault_weight_limit: Some(10),
        fault_weight_window: Duration::from_secs(1),
        fault_ban_after: 100,
        ..args()
    })
    .await;
    let url = format!("{}/api/v3/depth?symbol=BTCUSDT", h.rest_url());
    let (a, b, limited) = (
        c.get(&url).send().await.unwrap(),
        c.get(&url).send().await.unwrap(),
        c.get(&url).send().await.unwrap(),
    );
    assert_eq!(
        (
            a.status().as_u16(),
            b.status().as_u16(),
            limited.status().as_u16()
        ),
        (200, 200, 429)
    );
    let retry: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(retry, 1);
    tokio::time::sleep(Duration::from_secs(retry)).await;
    assert_eq!(
        c.get(&url).send().await.unwrap().status().as_u16(),
        200,
        "after Retry-After it works again"
    );
}

#[tokio::test]
async fn latency_delays_rest_and_ws_api_replies() {
    let h = start(SimArgs {
        fault_latency_ms: 300,
        ..args()
    })
    .await;
    let t = Instant::now();
    let (s, _) = get(&h, "/api/v3/ping").await;
    assert_eq!(s, 200);
    assert!(t.elapsed() >= Duration::from_millis(300));
    let mut api = ws(&h.ws_api_url()).await;
    let t = Instant::now();
    send_json(&mut api, &json!({"id": 1, "method": "ping"})).await;
    next_json(&mut api).await;
    assert!(t.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn lost_reply_5xx_places_the_order_anyway() {
    let h = start(SimArgs {
        fault_lose_reply_rate: 1_000_000,
        ..args()
    })
    .await;
    let q = "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=1000&newClientOrderId=lost1";
    let (s, body) = call(&h, "POST", "/api/v3/order", q).await;
    assert_eq!((s, body["code"].as_i64()), (503, Some(-1007)));
    let (s, found) = call(
        &h,
        "GET",
        "/api/v3/order",
        "symbol=BTCUSDT&origClientOrderId=lost1",
    )
    .await;
    assert_eq!(
        (s, found["status"].as_str()),
        (200, Some("NEW")),
        "querying finds the order"
    );
    let (_, retry) = call(&h, "POST", "/api/v3/order", q).await;
    assert_eq!(
        retry["code"], -2010,
        "a resend with the same id is refused while it is open"
    );
    let blind = q.replace("lost1", "lost2");
    call(&h, "POST", "/api/v3/order", &blind).await;
    assert_eq!(
        h.orders(Some("BTCUSDT")).len(),
        2,
        "a blind retry with a new id doubles the order"
    );

    let mut api = ws(&h.ws_api_url()).await;
    let mut p: serde_json::Map<String, Value> = serde_json::from_value(json!({"symbol": "BTCUSDT",
        "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.01", "price": "1000",
        "apiKey": speedtrade::sim::DEMO_API_KEY, "timestamp": now_ms()}))
    .unwrap();
    let sig = speedtrade::sim::auth::sign(
        speedtrade::sim::DEMO_API_SECRET,
        &speedtrade::sim::auth::ws_payload(&p),
    );
    p.insert("signature".into(), json!(sig));
    send_json(
        &mut api,
        &json!({"id": "o", "method": "order.place", "params": p}),
    )
    .await;
    let r = next_json(&mut api).await;
    assert_eq!(
        (r["status"].as_u64(), r["error"]["code"].as_i64()),
        (Some(503), Some(-1007))
    );
    assert_eq!(h.orders(None).len(), 3);
}

#[tokio::test]
async fn lost_reply_timeout_holds_the_request() {
    let h = start(SimArgs {
        fault_lose_reply_rate: 1_000_000,
        fault_lose_reply_mode: LoseMode::Timeout,
        fault_hold_secs: Duration::from_secs(5),
        ..args()
    })
    .await;
    let body = signed("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001&newClientOrderId=held");
    let c = reqwest::Client::builder()
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let r = c
        .post(format!("{}/api/v3/order", h.rest_url()))
        .header("X-MBX-APIKEY", speedtrade::sim::DEMO_API_KEY)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await;
    assert!(r.unwrap_err().is_timeout(), "the client times out");
    let (_, o) = call(
        &h,
        "GET",
        "/api/v3/order",
        "symbol=BTCUSDT&origClientOrderId=held",
    )
    .await;
    assert_eq!(o["status"], "FILLED", "the order was executed all the same");
}
