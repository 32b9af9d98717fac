//! Binance user data stream against a tokio-tungstenite server on 127.0.0.1:0: the subscribe
//! request's signature, events from the documented samples, pings, and reconnects.

#![allow(clippy::unwrap_used)] // test helpers may panic on broken fixtures

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use speedtrade::domain::{OrderStatus, Price, Qty, Side};
use speedtrade::secrets::Credentials;
use speedtrade::venue::binance::broker::{BinanceBroker, BinanceBrokerConfig};
use speedtrade::venue::binance::sign::{HmacSigner, ws_api_payload};
use speedtrade::venue::binance::user::{UserStreamConfig, UserStreamHandle};
use speedtrade::venue::{BrokerEvent, ConnState};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

const KEY: &str = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";
const SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
const WS_SAMPLES: &str = include_str!("fixtures/binance_ws_samples.jsonl");
/// Generous limit for "this should happen soon"; never reached when things work.
const WAIT: Duration = Duration::from_secs(10);

type Conn = WebSocketStream<TcpStream>;

fn ws_sample(id: &str) -> Value {
    WS_SAMPLES
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|v| v["id"] == id)
        .unwrap_or_else(|| panic!("sample {id}"))["payload"]
        .clone()
}

/// A fill, derived from the documented NEW report by changing the fill fields.
fn trade_report() -> Value {
    let mut v = ws_sample("executionReport");
    let e = &mut v["event"];
    for (k, val) in [
        ("x", json!("TRADE")),
        ("X", json!("PARTIALLY_FILLED")),
        ("l", json!("0.40000000")),
        ("z", json!("0.40000000")),
        ("L", json!("0.10264400")),
        ("n", json!("0.00000041")),
        ("N", json!("BTC")),
        ("t", json!(123456)),
        ("m", json!(true)),
        ("Z", json!("0.04105760")),
    ] {
        e[k] = val;
    }
    v
}

/// Accepts WebSocket connections and hands each to the test.
async fn ws_server() -> (String, mpsc::Receiver<Conn>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/ws-api/v3", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel(8);
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            if let Ok(ws) = tokio_tungstenite::accept_async(sock).await
                && tx.send(ws).await.is_err()
            {
                return;
            }
        }
    });
    (url, rx)
}

fn start(url: &str) -> (UserStreamHandle, mpsc::Receiver<BrokerEvent>) {
    let cfg = BinanceBrokerConfig::new("http://127.0.0.1:9", url);
    let broker = BinanceBroker::new(cfg, &Credentials::new(KEY, SECRET)).unwrap();
    let mut ucfg = UserStreamConfig::new(url);
    ucfg.backoff_initial = Duration::from_millis(20);
    ucfg.backoff_max = Duration::from_millis(100);
    let (tx, rx) = mpsc::channel(64);
    (broker.start_user_stream_with(ucfg, tx), rx)
}

async fn next_conn(conns: &mut mpsc::Receiver<Conn>) -> Conn {
    tokio::time::timeout(WAIT, conns.recv())
        .await
        .expect("client connects")
        .unwrap()
}

async fn next_text(conn: &mut Conn) -> Value {
    loop {
        let msg = tokio::time::timeout(WAIT, conn.next())
            .await
            .expect("client sends")
            .unwrap();
        if let Message::Text(t) = msg.unwrap() {
            return serde_json::from_str(t.as_str()).unwrap();
        }
    }
}

async fn send(conn: &mut Conn, v: &Value) {
    conn.send(Message::text(v.to_string())).await.unwrap();
}

/// Reads the subscribe request, checks it is signed by the WS-API rule, returns it.
async fn read_subscribe(conn: &mut Conn) -> Value {
    let req = next_text(conn).await;
    assert_eq!(req["method"], "userDataStream.subscribe.signature");
    let params = req["params"].as_object().unwrap();
    assert_eq!(params["apiKey"], KEY);
    let text: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.as_str().map_or_else(|| v.to_string(), str::to_string),
            )
        })
        .collect();
    let refs: Vec<(&str, &str)> = text.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let payload = ws_api_payload(&refs);
    assert!(
        payload.starts_with("apiKey=") && payload.contains("&timestamp="),
        "{payload}"
    );
    assert_eq!(
        params["signature"],
        HmacSigner::new(SECRET).sign(payload.as_bytes())
    );
    req
}

async fn accept_subscribe(conn: &mut Conn) -> Value {
    let req = read_subscribe(conn).await;
    send(
        conn,
        &json!({"id": req["id"], "status": 200, "result": {"subscriptionId": 0}}),
    )
    .await;
    req
}

/// The next event that is not a `Connecting` notice.
async fn next_event(rx: &mut mpsc::Receiver<BrokerEvent>) -> BrokerEvent {
    loop {
        let ev = tokio::time::timeout(WAIT, rx.recv())
            .await
            .expect("an event")
            .unwrap();
        if ev != BrokerEvent::Connection(ConnState::Connecting) {
            return ev;
        }
    }
}

fn reconnecting(ev: &BrokerEvent) -> (Duration, String) {
    match ev {
        BrokerEvent::Connection(ConnState::Reconnecting { retry_in, reason }) => {
            (*retry_in, reason.clone())
        }
        other => panic!("expected Reconnecting, got {other:?}"),
    }
}

#[tokio::test]
async fn subscribes_signed_forwards_events_answers_pings_and_reconnects() {
    let (url, mut conns) = ws_server().await;
    let (_handle, mut rx) = start(&url);
    let mut conn = next_conn(&mut conns).await;
    accept_subscribe(&mut conn).await;
    assert_eq!(
        next_event(&mut rx).await,
        BrokerEvent::Connection(ConnState::Live)
    );

    send(&mut conn, &ws_sample("executionReport")).await;
    let BrokerEvent::Order(new) = next_event(&mut rx).await else {
        panic!("order")
    };
    assert_eq!(new.client_order_id.as_str(), "mUvoqJxFIILMdfAW5iGSOW");
    assert_eq!((new.status, new.fill.clone()), (OrderStatus::New, None));
    assert_eq!(new.venue_order_id.as_deref(), Some("4293153"));

    send(&mut conn, &trade_report()).await;
    let BrokerEvent::Order(part) = next_event(&mut rx).await else {
        panic!("order")
    };
    assert_eq!(part.status, OrderStatus::PartiallyFilled);
    assert_eq!(part.filled_qty, Qty::parse("0.4").unwrap());
    let fill = part.fill.expect("a TRADE report carries its fill");
    assert_eq!(
        (fill.price, fill.qty),
        (
            Price::parse("0.102644").unwrap(),
            Qty::parse("0.4").unwrap()
        )
    );
    assert_eq!(
        (
            fill.trade_id.as_str(),
            fill.fee_asset.as_str(),
            fill.is_maker
        ),
        ("123456", "BTC", true)
    );
    assert_eq!(
        (fill.fee.to_string().as_str(), fill.side),
        ("0.00000041", Side::Buy)
    );

    send(&mut conn, &ws_sample("wsapi_event_outboundAccountPosition")).await;
    let BrokerEvent::Balances(b) = next_event(&mut rx).await else {
        panic!("balances")
    };
    assert_eq!(
        (b[1].asset.as_str(), b[1].locked.to_string().as_str()),
        ("USDT", "70.00000000")
    );

    conn.send(Message::Ping(b"hello".to_vec().into()))
        .await
        .unwrap();
    loop {
        let msg = tokio::time::timeout(WAIT, conn.next())
            .await
            .expect("a pong")
            .unwrap()
            .unwrap();
        if let Message::Pong(p) = msg {
            assert_eq!(&p[..], b"hello");
            break;
        }
    }

    drop(conn);
    let (_, reason) = reconnecting(&next_event(&mut rx).await);
    assert!(!reason.is_empty());
    let mut conn2 = next_conn(&mut conns).await;
    accept_subscribe(&mut conn2).await;
    assert_eq!(
        next_event(&mut rx).await,
        BrokerEvent::Connection(ConnState::Live)
    );
}

#[tokio::test]
async fn stream_terminated_and_unreadable_events_reconnect() {
    let (url, mut conns) = ws_server().await;
    let (_handle, mut rx) = start(&url);
    let mut conn = next_conn(&mut conns).await;
    accept_subscribe(&mut conn).await;
    assert_eq!(
        next_event(&mut rx).await,
        BrokerEvent::Connection(ConnState::Live)
    );
    send(&mut conn, &ws_sample("eventStreamTerminated")).await;
    let (_, reason) = reconnecting(&next_event(&mut rx).await);
    assert!(reason.contains("eventStreamTerminated"), "{reason}");

    let mut conn = next_conn(&mut conns).await;
    accept_subscribe(&mut conn).await;
    assert_eq!(
        next_event(&mut rx).await,
        BrokerEvent::Connection(ConnState::Live)
    );
    let mut broken = ws_sample("executionReport");
    broken["event"]["z"] = json!("not a number");
    send(&mut conn, &broken).await;
    let (_, reason) = reconnecting(&next_event(&mut rx).await);
    assert!(reason.contains("unreadable"), "{reason}");
    let mut conn = next_conn(&mut conns).await;
    accept_subscribe(&mut conn).await;
    assert_eq!(
        next_event(&mut rx).await,
        BrokerEvent::Connection(ConnState::Live)
    );
}

#[tokio::test]
async fn rate_limits_wait_until_retry_after() {
    let (url, mut conns) = ws_server().await;
    let (handle, mut rx) = start(&url);
    let mut conn = next_conn(&mut conns).await;
    let req = read_subscribe(&mut conn).await;
    let mut banned = ws_sample("wsapi_response_ip_banned_418");
    banned["id"] = req["id"].clone();
    let until = speedtrade::domain::now_ms() + 600_000;
    banned["error"]["data"]["retryAfter"] = json!(until);
    send(&mut conn, &banned).await;
    let (wait, reason) = reconnecting(&next_event(&mut rx).await);
    assert!(wait >= Duration::from_secs(590), "{wait:?}");
    assert!(reason.contains("418"), "{reason}");
    handle.stop();

    let (handle, mut rx) = start(&url);
    let mut conn = next_conn(&mut conns).await;
    let req = read_subscribe(&mut conn).await;
    let until = speedtrade::domain::now_ms() + 1_000;
    let limited = json!({"id": req["id"], "status": 429, "error": {"code": -1003,
        "msg": "Too much request weight used.", "data": {"retryAfter": until}}});
    send(&mut conn, &limited).await;
    let (wait, _) = reconnecting(&next_event(&mut rx).await);
    assert!(
        wait >= Duration::from_millis(500) && wait <= Duration::from_secs(2),
        "{wait:?}"
    );
    let mut conn = next_conn(&mut conns).await;
    accept_subscribe(&mut conn).await;
    assert_eq!(
        next_event(&mut rx).await,
        BrokerEvent::Connection(ConnState::Live)
    );
    drop(handle);
}

#[tokio::test]
async fn a_refused_key_stops_the_stream_with_a_message() {
    let (url, mut conns) = ws_server().await;
    let (handle, mut rx) = start(&url);
    let mut conn = next_conn(&mut conns).await;
    let req = read_subscribe(&mut conn).await;
    let refused = json!({"id": req["id"], "status": 401,
        "error": {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."}});
    send(&mut conn, &refused).await;
    match next_event(&mut rx).await {
        BrokerEvent::Connection(ConnState::Down(msg)) => {
            assert!(
                msg.contains("API key") && msg.contains("keys status"),
                "{msg}"
            );
            assert!(!msg.contains(SECRET) && !msg.contains(KEY));
        }
        other => panic!("expected Down, got {other:?}"),
    }
    assert_eq!(
        tokio::time::timeout(WAIT, rx.recv()).await.unwrap(),
        None,
        "task ended"
    );
    let deadline = tokio::time::Instant::now() + WAIT;
    while !handle.is_finished() {
        assert!(tokio::time::Instant::now() < deadline, "the task ends");
        tokio::task::yield_now().await;
    }
}

#[tokio::test]
async fn a_stale_timestamp_asks_the_server_time_and_resubscribes() {
    let (url, mut conns) = ws_server().await;
    let (_handle, mut rx) = start(&url);
    let mut conn = next_conn(&mut conns).await;
    let first = read_subscribe(&mut conn).await;
    let late = json!({"id": first["id"], "status": 400,
        "error": {"code": -1021, "msg": "Timestamp for this request is outside of the recvWindow."}});
    send(&mut conn, &late).await;
    let time_req = next_text(&mut conn).await;
    assert_eq!(time_req["method"], "time");
    let server = speedtrade::domain::now_ms() + 120_000;
    send(
        &mut conn,
        &json!({"id": time_req["id"], "status": 200, "result": {"serverTime": server}}),
    )
    .await;
    let second = accept_subscribe(&mut conn).await;
    let ts = |v: &Value| v["params"]["timestamp"].as_i64().unwrap();
    assert!(
        ts(&second) - ts(&first) >= 100_000,
        "resubscribed with the server clock"
    );
    assert_eq!(
        next_event(&mut rx).await,
        BrokerEvent::Connection(ConnState::Live)
    );
}

#[test]
fn every_documented_user_data_and_ws_api_sample_parses() {
    use speedtrade::venue::binance::user_wire::{BinanceUserEvent, BinanceWsFrame, parse_ws_frame};
    let mut seen = 0;
    for line in WS_SAMPLES.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let (id, kind) = (v["id"].as_str().unwrap(), v["kind"].as_str().unwrap());
        if !matches!(kind, "user_data" | "wsapi_event" | "wsapi_response") {
            continue;
        }
        seen += 1;
        let frame =
            parse_ws_frame(&v["payload"].to_string()).unwrap_or_else(|e| panic!("{id}: {e}"));
        match (id, frame) {
            ("executionReport", BinanceWsFrame::Event(BinanceUserEvent::ExecutionReport(r))) => {
                assert!(r.to_update().is_ok(), "{id}");
            }
            (_, BinanceWsFrame::Event(BinanceUserEvent::AccountPosition(p))) => {
                assert!(!p.to_balances().is_empty(), "{id}");
            }
            (
                "eventStreamTerminated",
                BinanceWsFrame::Event(BinanceUserEvent::StreamTerminated),
            )
            | ("balanceUpdate", BinanceWsFrame::Event(BinanceUserEvent::BalanceUpdate))
            | ("listStatus", BinanceWsFrame::Event(BinanceUserEvent::ListStatus))
            | ("externalLockUpdate", BinanceWsFrame::Event(BinanceUserEvent::ExternalLockUpdate)) =>
                {}
            (_, BinanceWsFrame::Response(r)) => {
                assert_eq!(kind, "wsapi_response", "{id}");
                assert!(r.status == 200 || r.error.is_some(), "{id}");
            }
            (id, other) => panic!("{id} parsed as {other:?}"),
        }
    }
    assert_eq!(seen, 12, "user-data and WS-API samples in the fixture");
}
