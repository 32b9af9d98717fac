//! Market streams over real WebSockets: payload shapes against Binance's samples, the local
//! order book procedure against the simulator's own book, control messages, pings, the
//! incoming-message limit, fills in the trade stream, and the shutdown event.
#![allow(clippy::unwrap_used)]

mod sim_common;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use sim_common::*;
use speedtrade::domain::{Price, Qty};
use speedtrade::sim::SimArgs;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

const STREAMS: [(&str, &str); 9] = [
    ("btcusdt@trade", "trade"),
    ("btcusdt@aggTrade", "aggTrade"),
    ("btcusdt@depth", "depthUpdate"),
    ("btcusdt@depth@100ms", "depthUpdate"),
    ("btcusdt@depth5@100ms", "partialDepth"),
    ("btcusdt@bookTicker", "bookTicker"),
    ("btcusdt@kline_1m", "kline"),
    ("btcusdt@ticker", "24hrTicker"),
    ("btcusdt@miniTicker", "miniTicker"),
];

#[tokio::test]
async fn every_stream_matches_its_sample() {
    let h = start(SimArgs { rate: 50, ..args() }).await;
    let names: Vec<&str> = STREAMS.iter().map(|(n, _)| *n).collect();
    let mut ws = ws(&format!(
        "{}/stream?streams={}",
        h.ws_url(),
        names.join("/")
    ))
    .await;
    let mut seen: HashMap<String, Value> = HashMap::new();
    while seen.len() < STREAMS.len() {
        let msg = next_json(&mut ws).await;
        let mut keys: Vec<&String> = msg.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(keys, ["data", "stream"], "combined wrapper");
        seen.entry(msg["stream"].as_str().unwrap().to_string())
            .or_insert(msg["data"].clone());
    }
    for (name, sample) in STREAMS {
        let data = &seen[name];
        let sample = ws_sample(sample);
        assert_same_keys(data, &sample, &[]);
        if name.ends_with("kline_1m") {
            assert_same_keys(&data["k"], &sample["k"], &[]);
        }
    }
    let mut raw = sim_common::ws(&format!("{}/ws/ethusdt@trade", h.ws_url())).await;
    let t = next_json(&mut raw).await;
    assert_eq!(
        (t["e"].as_str(), t["s"].as_str()),
        (Some("trade"), Some("ETHUSDT"))
    );
}

/// A local book kept by Binance's documented procedure.
#[derive(Default)]
struct LocalBook {
    id: u64,
    bids: BTreeMap<Price, Qty>,
    asks: BTreeMap<Price, Qty>,
}

impl LocalBook {
    fn set(side: &mut BTreeMap<Price, Qty>, levels: &Value) {
        for l in levels.as_array().unwrap() {
            let p = Price::parse(l[0].as_str().unwrap()).unwrap();
            let q = Qty::parse(l[1].as_str().unwrap()).unwrap();
            if q.is_zero() {
                side.remove(&p);
            } else {
                side.insert(p, q);
            }
        }
    }
    fn apply(&mut self, d: &Value) {
        let (first, last) = (d["U"].as_u64().unwrap(), d["u"].as_u64().unwrap());
        if last <= self.id {
            return;
        }
        assert!(first <= self.id + 1, "gap: U={first} after {}", self.id);
        Self::set(&mut self.bids, &d["b"]);
        Self::set(&mut self.asks, &d["a"]);
        self.id = last;
    }
}

#[tokio::test]
async fn diff_depth_rebuilds_the_simulator_book() {
    let h = start(SimArgs {
        rate: 200,
        ..args()
    })
    .await;
    let mut ws = ws(&format!("{}/ws/btcusdt@depth@100ms", h.ws_url())).await;
    let first = next_json(&mut ws).await;
    let (_, snap) = get(&h, "/api/v3/depth?symbol=BTCUSDT&limit=5000").await;
    let mut book = LocalBook {
        id: snap["lastUpdateId"].as_u64().unwrap(),
        ..Default::default()
    };
    assert!(
        book.id >= first["U"].as_u64().unwrap(),
        "snapshot newer than the first event"
    );
    LocalBook::set(&mut book.bids, &snap["bids"]);
    LocalBook::set(&mut book.asks, &snap["asks"]);
    book.apply(&first);
    let mut prev_u = first["u"].as_u64().unwrap();
    for _ in 0..300 {
        let d = next_json(&mut ws).await;
        assert_eq!(
            d["U"].as_u64().unwrap(),
            prev_u + 1,
            "U follows the previous u"
        );
        prev_u = d["u"].as_u64().unwrap();
        book.apply(&d);
    }
    h.pause_market();
    let target = h.book("BTCUSDT").unwrap().last_update_id;
    while book.id < target {
        let d = next_json(&mut ws).await;
        book.apply(&d);
    }
    let sim = h.book("BTCUSDT").unwrap();
    assert_eq!(book.id, sim.last_update_id);
    let local_bids: Vec<(Price, Qty)> = book
        .bids
        .iter()
        .rev()
        .take(1000)
        .map(|(p, q)| (*p, *q))
        .collect();
    let local_asks: Vec<(Price, Qty)> =
        book.asks.iter().take(1000).map(|(p, q)| (*p, *q)).collect();
    assert_eq!(local_bids, sim.bids[..1000].to_vec());
    assert_eq!(local_asks, sim.asks[..1000].to_vec());
}

#[tokio::test]
async fn control_messages_and_their_errors() {
    let h = start(SimArgs {
        ws_incoming_limit: 100,
        ..args()
    })
    .await;
    let mut ws = ws(&format!("{}/ws", h.ws_url())).await;
    send_json(&mut ws, &ws_sample("subscribe_request")).await;
    let reply = next_matching(&mut ws, |v| v.get("id").is_some()).await;
    assert_eq!(reply, ws_sample("subscribe_response"));
    send_json(&mut ws, &ws_sample("unsubscribe_request")).await;
    assert_eq!(
        next_matching(&mut ws, |v| v.get("id").is_some()).await,
        ws_sample("unsubscribe_response")
    );
    send_json(&mut ws, &ws_sample("list_subscriptions_request")).await;
    assert_eq!(
        next_matching(&mut ws, |v| v.get("id").is_some()).await,
        ws_sample("list_subscriptions_response")
    );
    let agg = next_matching(&mut ws, |v| v["e"] == "aggTrade").await;
    assert_eq!(agg["s"], "BTCUSDT");
    send_json(&mut ws, &ws_sample("set_property_request")).await;
    assert_eq!(
        next_matching(&mut ws, |v| v.get("id").is_some()).await,
        ws_sample("set_property_response")
    );
    send_json(&mut ws, &ws_sample("get_property_request")).await;
    assert_eq!(
        next_matching(&mut ws, |v| v.get("id").is_some()).await,
        ws_sample("get_property_response")
    );
    let wrapped = next_matching(&mut ws, |v| v.get("stream").is_some()).await;
    assert_eq!(wrapped["stream"], "btcusdt@aggTrade");
    let errors = [
        (json!("not json {"), 3),
        (json!({"method": "SUBSCRIB", "params": [], "id": 9}), 2),
        (
            json!({"method": "SET_PROPERTY", "params": ["combined", 1], "id": 9}),
            1,
        ),
        (
            json!({"method": "SET_PROPERTY", "params": ["colour", true], "id": 9}),
            0,
        ),
        (
            json!({"method": "SUBSCRIBE", "params": ["btcusdt@nothing"], "id": 9}),
            2,
        ),
        (json!({"params": [], "id": 9}), 2),
    ];
    for (req, code) in errors {
        match req.as_str() {
            Some(text) => ws
                .send(Message::Text(text.to_string().into()))
                .await
                .unwrap(),
            None => send_json(&mut ws, &req).await,
        }
        let e = next_matching(&mut ws, |v| v.get("code").is_some()).await;
        assert_eq!(e["code"], code, "{req}: {e}");
        assert!(e["msg"].as_str().unwrap().len() > 5);
    }
}

#[tokio::test]
async fn server_pings_and_the_incoming_message_limit() {
    let h = start(SimArgs {
        ping_interval: Duration::from_millis(200),
        ..args()
    })
    .await;
    let mut ws = ws(&format!("{}/ws", h.ws_url())).await;
    let mut pings = 0;
    while pings < 2 {
        let m = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        if matches!(m, Message::Ping(_)) {
            pings += 1;
        }
    }
    for i in 0..6 {
        let _ = ws.send(Message::Ping(vec![i].into())).await;
    }
    let closed = loop {
        match tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .unwrap()
        {
            Some(Ok(Message::Close(frame))) => break frame,
            Some(Ok(_)) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    };
    assert_eq!(
        closed.unwrap().code,
        1008.into(),
        "more than 5 messages a second disconnects"
    );
}

#[tokio::test]
async fn own_fills_appear_in_the_public_trade_stream() {
    let h = start(args()).await;
    let mut ws = ws(&format!("{}/ws/btcusdt@trade", h.ws_url())).await;
    h.pause_market();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (_, order) = call(
        &h,
        "POST",
        "/api/v3/order",
        "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.2",
    )
    .await;
    let ids: Vec<u64> = order["fills"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["tradeId"].as_u64().unwrap())
        .collect();
    for id in &ids {
        let t = next_matching(&mut ws, |v| v["t"].as_u64() == Some(*id)).await;
        assert_eq!(t["m"], false, "the buyer was the taker");
    }
}

#[tokio::test]
async fn shutdown_warns_stream_clients() {
    let h = start(args()).await;
    let mut ws = ws(&format!("{}/ws/btcusdt@trade", h.ws_url())).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    h.shutdown().await;
    let ev = next_matching(&mut ws, |v| v["e"] == "serverShutdown").await;
    assert_same_keys(&ev, &ws_sample("server_shutdown_raw"), &[]);
}
