//! Helpers shared by the simulator's integration tests: starting it, signed requests, WebSocket
//! reads with timeouts, wait-until, and comparing JSON shapes with Binance's sample messages.
#![allow(dead_code, clippy::unwrap_used)]

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use speedtrade::sim::{self, SimArgs, SimHandle};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

/// A WebSocket client stream.
pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Starts a simulator with `args`.
pub async fn start(args: SimArgs) -> SimHandle {
    let _ = rustls::crypto::ring::default_provider().install_default();
    sim::start(args).await.expect("simulator starts")
}

/// Default args with a few overrides applied by the caller.
pub fn args() -> SimArgs {
    SimArgs {
        symbols: vec!["BTCUSDT".into(), "ETHUSDT".into()],
        rate: 20,
        ..SimArgs::default()
    }
}

/// A plain HTTP client.
pub fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    speedtrade::domain::now_ms()
}

/// `params` plus `timestamp` and `signature`, signed with the demo secret.
pub fn signed(params: &str) -> String {
    let base = if params.is_empty() {
        format!("timestamp={}", now_ms())
    } else {
        format!("{params}&timestamp={}", now_ms())
    };
    let sig = sim::auth::sign(sim::DEMO_API_SECRET, &base);
    format!("{base}&signature={sig}")
}

/// Sends a signed request (`params` in the query string for GET/DELETE, in the body for POST).
pub async fn call(h: &SimHandle, method: &str, path: &str, params: &str) -> (u16, Value) {
    let q = signed(params);
    let c = http();
    let url = format!("{}{path}", h.rest_url());
    let req = match method {
        "POST" => c
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(q),
        "DELETE" => c.delete(format!("{url}?{q}")),
        _ => c.get(format!("{url}?{q}")),
    };
    let resp = req
        .header("X-MBX-APIKEY", sim::DEMO_API_KEY)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let body = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&body).unwrap_or(Value::String(body)),
    )
}

/// A public GET returning (status, JSON).
pub async fn get(h: &SimHandle, path_and_query: &str) -> (u16, Value) {
    let resp = http()
        .get(format!("{}{path_and_query}", h.rest_url()))
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// Opens a WebSocket.
pub async fn ws(url: &str) -> Ws {
    tokio_tungstenite::connect_async(url)
        .await
        .expect("ws connects")
        .0
}

/// Next text frame as JSON (pings are answered by tungstenite); panics after 10 s.
pub async fn next_json(ws: &mut Ws) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let msg = tokio::time::timeout(left, ws.next())
            .await
            .expect("a message within 10 s")
            .expect("stream open")
            .expect("no ws error");
        if let Message::Text(t) = msg {
            return serde_json::from_str(t.as_str()).expect("valid JSON");
        }
    }
}

/// Next message whose JSON satisfies `pred`.
pub async fn next_matching(ws: &mut Ws, pred: impl Fn(&Value) -> bool) -> Value {
    loop {
        let v = next_json(ws).await;
        if pred(&v) {
            return v;
        }
    }
}

/// Sends a JSON text frame.
pub async fn send_json(ws: &mut Ws, v: &Value) {
    ws.send(Message::Text(v.to_string().into())).await.unwrap();
}

/// Polls `cond` every 20 ms until it holds; panics after `secs`.
pub async fn wait_until(secs: u64, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The REST sample bodies.
pub fn rest_samples() -> Value {
    serde_json::from_str(include_str!("../fixtures/binance_rest_samples.json")).unwrap()
}

/// The WebSocket sample payload with `id`.
pub fn ws_sample(id: &str) -> Value {
    include_str!("../fixtures/binance_ws_samples.jsonl")
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|v| v["id"] == id)
        .unwrap_or_else(|| panic!("sample {id}"))["payload"]
        .clone()
}

/// The REST sample body for `key`.
pub fn rest_sample(key: &str) -> Value {
    rest_samples()["responses"][key]["body"].clone()
}

fn is_decimal(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
        && speedtrade::domain::Price::parse(s).is_ok()
}

/// Asserts that `actual` has the sample's fields with the same JSON types; decimal strings in
/// the sample must be decimal strings here too. `optional` keys of the sample may be absent.
pub fn assert_shape(actual: &Value, sample: &Value, path: &str, optional: &[&str]) {
    match (actual, sample) {
        (Value::Object(a), Value::Object(s)) => {
            for (k, sv) in s {
                match a.get(k) {
                    Some(av) => assert_shape(av, sv, &format!("{path}.{k}"), optional),
                    None if optional.contains(&k.as_str()) => {}
                    None => panic!("{path}: missing field `{k}` in {actual}"),
                }
            }
        }
        (Value::Array(a), Value::Array(s)) => {
            let Some(first) = s.first() else { return };
            for (i, item) in a.iter().enumerate().take(20) {
                let sv = if s.len() == a.len() { &s[i] } else { first };
                assert_shape(item, sv, &format!("{path}[{i}]"), optional);
            }
        }
        (Value::String(a), Value::String(s)) => {
            if is_decimal(s) {
                assert!(is_decimal(a), "{path}: `{a}` is not a decimal string");
            }
        }
        (Value::Number(a), Value::Number(s)) => {
            assert_eq!(a.is_f64(), s.is_f64(), "{path}: number kind {a} vs {s}");
        }
        (Value::Null, Value::Null) | (Value::Bool(_), Value::Bool(_)) => {}
        (Value::String(_), Value::Null) | (Value::Null, Value::String(_)) => {}
        (a, s) => panic!("{path}: {a} has another JSON type than the sample's {s}"),
    }
}

/// Asserts the key sets are equal (both ways), besides `optional`.
pub fn assert_same_keys(actual: &Value, sample: &Value, optional: &[&str]) {
    let keys = |v: &Value| -> Vec<String> {
        let mut k: Vec<String> = v
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| !optional.contains(&k.as_str()))
            .cloned()
            .collect();
        k.sort();
        k
    };
    assert_eq!(keys(actual), keys(sample), "field names differ");
    assert_shape(actual, sample, "$", optional);
}
