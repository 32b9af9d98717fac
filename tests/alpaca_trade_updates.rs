//! The Alpaca `trade_updates` stream against a tokio-tungstenite server on 127.0.0.1 that
//! answers in binary frames like the paper endpoint: authenticate → listen, fill events become
//! order updates with their fills, refused keys stop the stream, drops reconnect.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

mod alpaca_support;

use alpaca_support::{SOON, recv_until, sample, wait_until};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use speedtrade::domain::{OrderStatus, Price, Qty};
use speedtrade::venue::alpaca::{
    AlpacaCredentials, AlpacaEndpoints, AlpacaStreamOptions, AlpacaTradingStream,
};
use speedtrade::venue::{BrokerEvent, ConnState, OrderUpdate};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

const KEY: &str = "PKTRADEKEY";
const SECRET: &str = "trade-secret";

enum Ctl {
    Send(Message),
    Drop,
    /// Stop reading and answering (pings go unanswered), keeping the socket open.
    Freeze,
}

/// One accepted connection: what the client sent, and a handle to push frames.
struct Conn {
    from_client: mpsc::UnboundedReceiver<Value>,
    to_client: mpsc::UnboundedSender<Ctl>,
}

impl Conn {
    async fn next_msg(&mut self) -> Value {
        tokio::time::timeout(SOON, self.from_client.recv())
            .await
            .expect("client message in time")
            .expect("connection open")
    }
    /// Pushes a frame the way the paper endpoint does: binary.
    fn push_binary(&self, json: String) {
        let _ = self
            .to_client
            .send(Ctl::Send(Message::binary(json.into_bytes())));
    }
}

fn ts(key: &str) -> String {
    sample(&["trading_stream", key, "body"])
}

fn bin(json: String) -> Message {
    Message::binary(json.into_bytes())
}

async fn serve_conn(stream: tokio::net::TcpStream, conns: mpsc::UnboundedSender<Conn>) {
    let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    let (seen, from_client) = mpsc::unbounded_channel();
    let (to_client, mut ctl) = mpsc::unbounded_channel();
    let _ = conns.send(Conn {
        from_client,
        to_client,
    });
    loop {
        tokio::select! {
            msg = ws.next() => {
                let text = match msg {
                    Some(Ok(Message::Text(t))) => t.to_string(),
                    Some(Ok(_)) => continue,
                    _ => return,
                };
                let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                let _ = seen.send(v.clone());
                match v["action"].as_str() {
                    Some("authenticate") => {
                        let ok = v["data"]["key_id"] == KEY && v["data"]["secret_key"] == SECRET;
                        let reply = if ok { ts("authorized") } else { ts("unauthorized") };
                        let _ = ws.send(bin(reply)).await;
                    }
                    Some("listen") => { let _ = ws.send(bin(ts("listening_ack"))).await; }
                    _ => {}
                }
            }
            c = ctl.recv() => match c {
                Some(Ctl::Send(m)) => { let _ = ws.send(m).await; }
                Some(Ctl::Drop) | None => return,
                Some(Ctl::Freeze) => {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    return;
                }
            },
        }
    }
}

async fn server() -> (String, mpsc::UnboundedReceiver<Conn>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            tokio::spawn(serve_conn(s, tx.clone()));
        }
    });
    (format!("ws://{addr}/stream"), rx)
}

fn start(url: &str, secret: &str) -> (AlpacaTradingStream, mpsc::Receiver<BrokerEvent>) {
    start_with(url, secret, AlpacaStreamOptions::default().ping_interval)
}

fn start_with(
    url: &str,
    secret: &str,
    ping_interval: Duration,
) -> (AlpacaTradingStream, mpsc::Receiver<BrokerEvent>) {
    let ep = AlpacaEndpoints {
        trading_ws_url: url.to_string(),
        ..AlpacaEndpoints::paper()
    };
    let opts = AlpacaStreamOptions {
        reconnect_min: Duration::from_millis(20),
        reconnect_max: Duration::from_millis(200),
        ping_interval,
        ..AlpacaStreamOptions::default()
    };
    let (tx, rx) = mpsc::channel(64);
    let creds = Some(AlpacaCredentials::new(KEY, secret));
    (
        AlpacaTradingStream::spawn(&ep, creds, opts, tx).unwrap(),
        rx,
    )
}

async fn until_state(
    rx: &mut mpsc::Receiver<BrokerEvent>,
    want: fn(&ConnState) -> bool,
) -> ConnState {
    recv_until(rx, SOON, |ev| match ev {
        BrokerEvent::Connection(s) if want(&s) => Some(s),
        _ => None,
    })
    .await
}

async fn next_order(rx: &mut mpsc::Receiver<BrokerEvent>) -> OrderUpdate {
    recv_until(rx, SOON, |ev| match ev {
        BrokerEvent::Order(u) => Some(u),
        _ => None,
    })
    .await
}

/// The docs' fill event turned into a partial fill of 790.86 of the 1790.86.
fn partial_fill() -> String {
    let mut v: Value = serde_json::from_str(&ts("trade_update_fill")).unwrap();
    v["data"]["event"] = json!("partial_fill");
    v["data"]["qty"] = json!("790.86");
    v["data"]["price"] = json!("105.89");
    v["data"]["execution_id"] = json!("exec-partial-1");
    v["data"]["order"]["status"] = json!("partially_filled");
    v["data"]["order"]["filled_qty"] = json!("790.86");
    v["data"]["order"]["filled_avg_price"] = json!("105.89");
    v.to_string()
}

#[tokio::test]
async fn binary_fill_events_become_order_updates_with_fills_and_drops_reconnect() {
    let (url, mut conns) = server().await;
    let (_stream, mut rx) = start(&url, SECRET);
    let mut conn = tokio::time::timeout(SOON, conns.recv())
        .await
        .unwrap()
        .unwrap();

    let mut auth: Value = serde_json::from_str(&ts("authenticate_request")).unwrap();
    auth["data"]["key_id"] = json!(KEY);
    auth["data"]["secret_key"] = json!(SECRET);
    assert_eq!(conn.next_msg().await, auth, "authenticate as documented");
    let listen: Value = serde_json::from_str(&ts("listen_request")).unwrap();
    assert_eq!(conn.next_msg().await, listen, "listen as documented");
    until_state(&mut rx, |s| *s == ConnState::Live).await;

    conn.push_binary(partial_fill());
    let u = next_order(&mut rx).await;
    assert_eq!(u.status, OrderStatus::PartiallyFilled);
    let fill = u.fill.expect("partial fills carry their fill");
    assert_eq!(
        (fill.price, fill.qty),
        (
            Price::parse("105.89").unwrap(),
            Qty::parse("790.86").unwrap()
        )
    );
    assert_eq!(fill.trade_id, "exec-partial-1");

    conn.push_binary(ts("trade_update_fill"));
    let u = next_order(&mut rx).await;
    assert_eq!(u.status, OrderStatus::Filled);
    assert_eq!(u.filled_qty, Qty::parse("1790.86").unwrap());
    let fill = u.fill.expect("fill events carry their fill");
    assert_eq!(fill.trade_id, "2f63ea93-423d-4169-b3f6-3fdafc10c418");
    assert_eq!(fill.qty, Qty::parse("1790.86").unwrap());

    // Text frames work too; garbage and other tools' orders are skipped, never fatal.
    let _ = conn.to_client.send(Ctl::Send(Message::text("{not json")));
    let mut foreign: Value = serde_json::from_str(&ts("trade_update_fill")).unwrap();
    foreign["data"]["order"]["client_order_id"] = json!("has spaces, not ours");
    conn.push_binary(foreign.to_string());
    let mut canceled: Value = serde_json::from_str(&ts("trade_update_fill")).unwrap();
    canceled["data"]["event"] = json!("canceled");
    canceled["data"]["order"]["status"] = json!("canceled");
    let _ = conn
        .to_client
        .send(Ctl::Send(Message::text(canceled.to_string())));
    let u = next_order(&mut rx).await;
    assert_eq!((u.status, u.fill.is_none()), (OrderStatus::Canceled, true));

    let _ = conn.to_client.send(Ctl::Drop);
    until_state(&mut rx, |s| matches!(s, ConnState::Reconnecting { .. })).await;
    let mut again = tokio::time::timeout(SOON, conns.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.next_msg().await["action"], "authenticate");
    assert_eq!(again.next_msg().await["action"], "listen");
    until_state(&mut rx, |s| *s == ConnState::Live).await;
    again.push_binary(ts("trade_update_fill"));
    assert_eq!(next_order(&mut rx).await.status, OrderStatus::Filled);
}

#[tokio::test]
async fn refused_keys_stop_the_stream_and_say_what_to_do() {
    let (url, mut conns) = server().await;
    let (stream, mut rx) = start(&url, "wrong-secret");
    let _conn = tokio::time::timeout(SOON, conns.recv())
        .await
        .unwrap()
        .unwrap();
    let down = until_state(&mut rx, |s| matches!(s, ConnState::Down(_))).await;
    let ConnState::Down(msg) = down else {
        unreachable!()
    };
    assert!(
        msg.contains("refused the API keys") && msg.contains("speedtrade keys set alpaca"),
        "{msg}"
    );
    assert!(!msg.contains("wrong-secret"));
    wait_until(SOON, || {
        let r = stream.is_running();
        async move { !r }
    })
    .await;
    assert!(conns.try_recv().is_err(), "no retry with refused keys");
}

#[test]
fn without_keys_the_stream_is_not_built() {
    let (tx, _rx) = mpsc::channel(1);
    let err = AlpacaTradingStream::spawn(
        &AlpacaEndpoints::paper(),
        None,
        AlpacaStreamOptions::default(),
        tx,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("speedtrade keys set alpaca"), "{err}");
}

#[tokio::test]
async fn a_silent_connection_is_noticed_and_replaced() {
    let (url, mut conns) = server().await;
    let (_stream, mut rx) = start_with(&url, SECRET, Duration::from_millis(50));
    let conn = tokio::time::timeout(SOON, conns.recv())
        .await
        .unwrap()
        .unwrap();
    until_state(&mut rx, |s| *s == ConnState::Live).await;
    let _ = conn.to_client.send(Ctl::Freeze);
    let state = until_state(&mut rx, |s| matches!(s, ConnState::Reconnecting { .. })).await;
    assert!(
        matches!(&state, ConnState::Reconnecting { reason, .. } if reason.contains("nothing from Alpaca")),
        "{state:?}"
    );
    let _again = tokio::time::timeout(SOON, conns.recv())
        .await
        .unwrap()
        .unwrap();
    until_state(&mut rx, |s| *s == ConnState::Live).await;
}
