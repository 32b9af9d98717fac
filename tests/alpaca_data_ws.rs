//! The Alpaca market data feed against a tokio-tungstenite server on 127.0.0.1 that speaks the
//! v2 stream protocol: connected → auth → subscribe, data frames, error codes as notices,
//! reconnect + resubscribe after a drop, and a fatal stop on refused keys.
#![allow(clippy::unwrap_used, clippy::result_large_err)] // test helpers: a failed unwrap is a failed test

mod alpaca_support;

use alpaca_support::{SOON, recv_until, sample, wait_until};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use speedtrade::domain::{Interval, Level, Price, Qty, Side, Symbol};
use speedtrade::venue::alpaca::{
    AlpacaChannels, AlpacaCredentials, AlpacaDataFeed, AlpacaDataOptions, AlpacaEndpoints,
};
use speedtrade::venue::{ConnState, MarketEvent};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

const KEY: &str = "PKDATAKEY";
const SECRET: &str = "data-secret";

enum Ctl {
    Send(Message),
    Drop,
}

/// One accepted connection, as the test sees it.
struct Conn {
    path: String,
    from_client: mpsc::UnboundedReceiver<String>,
    to_client: mpsc::UnboundedSender<Ctl>,
}

impl Conn {
    async fn next_msg(&mut self) -> Value {
        let text = tokio::time::timeout(SOON, self.from_client.recv())
            .await
            .expect("client message in time")
            .expect("connection open");
        serde_json::from_str(&text).unwrap()
    }
    fn push(&self, frame: String) {
        let _ = self.to_client.send(Ctl::Send(Message::text(frame)));
    }
}

fn md(key: &str) -> String {
    sample(&["market_data_stream", key, "body"])
}

/// Alpaca's reply to (un)subscribe: the full current list.
fn subscription_frame(subs: &BTreeMap<String, BTreeSet<String>>) -> String {
    let list = |k: &str| {
        subs.get(k)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or(vec![])
    };
    let v = json!([{"T":"subscription","trades":list("trades"),"quotes":list("quotes"),
        "bars":list("bars"),"dailyBars":list("dailyBars")}]);
    v.to_string()
}

fn apply_subscription(subs: &mut BTreeMap<String, BTreeSet<String>>, msg: &Value) {
    let add = msg["action"] == "subscribe";
    for ch in ["trades", "quotes", "bars", "dailyBars"] {
        for s in msg[ch].as_array().into_iter().flatten() {
            let set = subs.entry(ch.to_string()).or_default();
            let s = s.as_str().unwrap_or_default().to_string();
            if add {
                set.insert(s);
            } else {
                set.remove(&s);
            }
        }
    }
}

async fn serve_conn(
    stream: tokio::net::TcpStream,
    conns: mpsc::UnboundedSender<Conn>,
    accept_keys: bool,
) {
    let path = Arc::new(Mutex::new(String::new()));
    let p2 = path.clone();
    let cb = move |req: &tokio_tungstenite::tungstenite::handshake::server::Request, resp| {
        *p2.lock().unwrap() = req.uri().path().to_string();
        Ok(resp)
    };
    let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(stream, cb).await else {
        return;
    };
    let (seen_tx, from_client) = mpsc::unbounded_channel();
    let (to_client, mut ctl) = mpsc::unbounded_channel();
    let path = path.lock().unwrap().clone();
    let _ = conns.send(Conn {
        path,
        from_client,
        to_client,
    });
    let _ = ws.send(Message::text(md("connected"))).await;
    let mut subs = BTreeMap::new();
    let mut authed = false;
    loop {
        tokio::select! {
            msg = ws.next() => {
                let Some(Ok(Message::Text(t))) = msg else {
                    if matches!(msg, Some(Ok(_))) { continue } else { return }
                };
                let _ = seen_tx.send(t.to_string());
                let v: Value = serde_json::from_str(&t).unwrap_or(Value::Null);
                if !authed {
                    let ok = accept_keys && v["key"] == KEY && v["secret"] == SECRET;
                    if !ok {
                        let _ = ws.send(Message::text(sample(&["market_data_stream", "errors", "402", "body"]))).await;
                        let _ = ws.close(None).await;
                        return;
                    }
                    authed = true;
                    let _ = ws.send(Message::text(md("authenticated"))).await;
                } else {
                    apply_subscription(&mut subs, &v);
                    let _ = ws.send(Message::text(subscription_frame(&subs))).await;
                }
            }
            c = ctl.recv() => match c {
                Some(Ctl::Send(m)) => { let _ = ws.send(m).await; }
                Some(Ctl::Drop) | None => return,
            },
        }
    }
}

/// Starts the server; returns the `data_ws_url` base and the stream of accepted connections.
async fn server(accept_keys: bool) -> (String, mpsc::UnboundedReceiver<Conn>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            tokio::spawn(serve_conn(s, tx.clone(), accept_keys));
        }
    });
    (format!("ws://{addr}/v2"), rx)
}

fn start(base: &str, secret: &str) -> (AlpacaDataFeed, mpsc::Receiver<MarketEvent>) {
    let ep = AlpacaEndpoints {
        data_ws_url: base.to_string(),
        ..AlpacaEndpoints::paper()
    };
    let opts = AlpacaDataOptions {
        reconnect_min: Duration::from_millis(20),
        reconnect_max: Duration::from_millis(200),
        ..AlpacaDataOptions::default()
    };
    let (tx, rx) = mpsc::channel(256);
    let creds = Some(AlpacaCredentials::new(KEY, secret));
    (AlpacaDataFeed::spawn(&ep, creds, opts, tx).unwrap(), rx)
}

fn syms(list: &[&str]) -> Vec<Symbol> {
    list.iter().map(|s| Symbol::new(s).unwrap()).collect()
}

const TRADES: AlpacaChannels = AlpacaChannels {
    trades: true,
    ..AlpacaChannels::NONE
};
const QUOTES: AlpacaChannels = AlpacaChannels {
    quotes: true,
    ..AlpacaChannels::NONE
};
const BARS: AlpacaChannels = AlpacaChannels {
    bars: true,
    ..AlpacaChannels::NONE
};

async fn until_state(
    rx: &mut mpsc::Receiver<MarketEvent>,
    want: fn(&ConnState) -> bool,
) -> ConnState {
    recv_until(rx, SOON, |ev| match ev {
        MarketEvent::Connection { state, .. } if want(&state) => Some(state),
        _ => None,
    })
    .await
}

async fn notice(rx: &mut mpsc::Receiver<MarketEvent>) -> String {
    recv_until(rx, SOON, |ev| match ev {
        MarketEvent::Notice { message, .. } => Some(message),
        _ => None,
    })
    .await
}

fn without_empty_lists(mut v: Value) -> Value {
    v.as_object_mut()
        .unwrap()
        .retain(|_, x| x.as_array().is_none_or(|a| !a.is_empty()));
    v
}

#[tokio::test]
async fn connects_authenticates_subscribes_streams_and_resubscribes_after_a_drop() {
    let (base, mut conns) = server(true).await;
    let (feed, mut rx) = start(&base, SECRET);
    feed.subscribe(&syms(&["AAPL"]), TRADES);
    feed.subscribe(&syms(&["AMD", "CLDR"]), QUOTES);
    feed.subscribe(&syms(&["AAPL", "VOO"]), BARS);

    let mut conn = tokio::time::timeout(SOON, conns.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(conn.path, "/v2/iex", "feed from the options");
    let mut auth: Value = serde_json::from_str(&md("auth_request")).unwrap();
    auth["key"] = json!(KEY);
    auth["secret"] = json!(SECRET);
    assert_eq!(conn.next_msg().await, auth, "auth as documented");
    let documented: Value = serde_json::from_str(&md("subscribe_request")).unwrap();
    assert_eq!(
        conn.next_msg().await,
        documented,
        "one subscribe with everything asked so far"
    );
    until_state(&mut rx, |s| *s == ConnState::Live).await;

    for key in ["trade", "quote", "bar"] {
        conn.push(format!("[{}]", md(key)));
    }
    let trade = recv_until(&mut rx, SOON, |ev| match ev {
        MarketEvent::Trade(t) => Some(t),
        _ => None,
    })
    .await;
    assert_eq!(
        (trade.price, trade.qty, trade.id),
        (Price::parse("126.55").unwrap(), Qty::ONE, 96921)
    );
    assert_eq!(trade.taker_side, Side::Buy, "first trade, no quote yet");
    let (symbol, top) = recv_until(&mut rx, SOON, |ev| match ev {
        MarketEvent::Book { symbol, top } => Some((symbol, top)),
        _ => None,
    })
    .await;
    assert_eq!(symbol.as_str(), "AMD");
    let lvl = |p: &str, q: &str| Level {
        price: Price::parse(p).unwrap(),
        qty: Qty::parse(q).unwrap(),
    };
    assert_eq!(
        (top.bids, top.asks),
        (vec![lvl("87.66", "1")], vec![lvl("87.68", "4")])
    );
    let (symbol, interval, candle) = recv_until(&mut rx, SOON, |ev| match ev {
        MarketEvent::Candle {
            symbol,
            interval,
            candle,
        } => Some((symbol, interval, candle)),
        _ => None,
    })
    .await;
    assert_eq!((symbol.as_str(), interval), ("SPY", Interval::M1));
    assert_eq!(candle.open, Price::parse("388.985").unwrap());

    // Runtime changes send only the delta.
    feed.subscribe(&syms(&["VOO"]), TRADES);
    feed.subscribe(&syms(&["IBM"]), QUOTES);
    assert_eq!(
        conn.next_msg().await,
        json!({"action":"subscribe","trades":["VOO"]})
    );
    assert_eq!(
        conn.next_msg().await,
        json!({"action":"subscribe","quotes":["IBM"]})
    );
    feed.unsubscribe(
        &syms(&["VOO", "IBM"]),
        AlpacaChannels {
            trades: true,
            quotes: true,
            ..AlpacaChannels::NONE
        },
    );
    let documented: Value = serde_json::from_str(&md("unsubscribe_request")).unwrap();
    assert_eq!(conn.next_msg().await, without_empty_lists(documented));

    // The server drops the connection: back off, reconnect, resubscribe everything.
    let _ = conn.to_client.send(Ctl::Drop);
    let state = until_state(&mut rx, |s| matches!(s, ConnState::Reconnecting { .. })).await;
    assert!(
        matches!(state, ConnState::Reconnecting { retry_in, .. } if retry_in <= Duration::from_millis(200))
    );
    let mut again = tokio::time::timeout(SOON, conns.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.next_msg().await["action"], "auth");
    let documented: Value = serde_json::from_str(&md("subscribe_request")).unwrap();
    assert_eq!(
        again.next_msg().await,
        documented,
        "the same set as before the drop"
    );
    until_state(&mut rx, |s| *s == ConnState::Live).await;
    again.push(format!("[{}]", md("trade")));
    recv_until(&mut rx, SOON, |ev| {
        matches!(ev, MarketEvent::Trade(_)).then_some(())
    })
    .await;
}

#[tokio::test]
async fn error_codes_become_clear_notices_and_limits_reconnect() {
    let (base, mut conns) = server(true).await;
    let (_feed, mut rx) = start(&base, SECRET);
    let conn = tokio::time::timeout(SOON, conns.recv())
        .await
        .unwrap()
        .unwrap();
    until_state(&mut rx, |s| *s == ConnState::Live).await;
    // Codes that leave the connection up: a notice each, worded for the user.
    let cases = [
        ("405", "symbol limit"),
        ("400", "invalid syntax"),
        ("500", "internal error"),
    ];
    for (code, words) in cases {
        conn.push(sample(&["market_data_stream", "errors", code, "body"]));
        let msg = notice(&mut rx).await;
        assert!(msg.contains(words) && msg.contains(code), "{code}: {msg}");
    }
    // A malformed frame is skipped; the feed keeps going.
    conn.push("this is not json".into());
    let _ = conn
        .to_client
        .send(Ctl::Send(Message::binary(vec![0xff, 0x00])));
    conn.push(format!("[{}]", md("trade")));
    recv_until(&mut rx, SOON, |ev| {
        matches!(ev, MarketEvent::Trade(_)).then_some(())
    })
    .await;

    // 406 then the server closes: the reconnect reason says why.
    conn.push(sample(&["market_data_stream", "errors", "406", "body"]));
    let msg = notice(&mut rx).await;
    assert!(msg.contains("connection limit"), "{msg}");
    let _ = conn.to_client.send(Ctl::Drop);
    let state = until_state(&mut rx, |s| matches!(s, ConnState::Reconnecting { .. })).await;
    assert!(
        matches!(&state, ConnState::Reconnecting { reason, .. } if reason.contains("connection limit")),
        "{state:?}"
    );
    until_state(&mut rx, |s| *s == ConnState::Live).await;
}

#[tokio::test]
async fn refused_keys_stop_the_feed_with_a_message_that_says_what_to_do() {
    let (base, mut conns) = server(true).await;
    let (feed, mut rx) = start(&base, "wrong-secret");
    let mut conn = tokio::time::timeout(SOON, conns.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(conn.next_msg().await["action"], "auth");
    let notice = notice(&mut rx).await;
    assert!(
        notice.contains("refused the API keys") && notice.contains("402"),
        "{notice}"
    );
    let down = until_state(&mut rx, |s| matches!(s, ConnState::Down(_))).await;
    assert!(
        matches!(&down, ConnState::Down(m) if m.contains("speedtrade keys set alpaca")),
        "{down:?}"
    );
    assert!(!format!("{down:?} {notice}").contains("wrong-secret"));
    wait_until(SOON, || {
        let r = feed.is_running();
        async move { !r }
    })
    .await;
    assert!(conns.try_recv().is_err(), "no retry with refused keys");
}

#[tokio::test]
async fn without_keys_the_feed_is_not_built_and_says_how_to_add_them() {
    let (tx, _rx) = mpsc::channel(1);
    let err = AlpacaDataFeed::spawn(
        &AlpacaEndpoints::paper(),
        None,
        AlpacaDataOptions::default(),
        tx,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("speedtrade keys set alpaca"), "{err}");
    assert!(
        err.contains("SPEEDTRADE_ALPACA_API_KEY") && err.contains("SPEEDTRADE_ALPACA_API_SECRET")
    );
}

#[tokio::test]
async fn a_plan_without_the_feed_stops_instead_of_retrying_forever() {
    let (base, mut conns) = server(true).await;
    let (feed, mut rx) = start(&base, SECRET);
    let conn = tokio::time::timeout(SOON, conns.recv())
        .await
        .unwrap()
        .unwrap();
    until_state(&mut rx, |s| *s == ConnState::Live).await;
    conn.push(sample(&["market_data_stream", "errors", "409", "body"]));
    let msg = notice(&mut rx).await;
    assert!(
        msg.contains("`iex`"),
        "tells the user which feed works: {msg}"
    );
    until_state(
        &mut rx,
        |s| matches!(s, ConnState::Down(m) if m.contains("409")),
    )
    .await;
    wait_until(SOON, || {
        let r = feed.is_running();
        async move { !r }
    })
    .await;
    assert!(conns.try_recv().is_err());
}
