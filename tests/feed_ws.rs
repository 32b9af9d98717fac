//! The reconnecting WebSocket client against tokio-tungstenite servers on 127.0.0.1: pings
//! answered with their payload, backoff while the server is away and reset after a stable
//! connection, paced sends, and make-before-break replacement with no gap in the data.

#![allow(clippy::unwrap_used)] // test helpers unwrap freely

use futures_util::{SinkExt, StreamExt};
use speedtrade::net::{BackoffConfig, WsClient, WsConfig, WsEvent};
use speedtrade::venue::ConnState;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

const T: Duration = Duration::from_secs(10);

fn config(addr: &str) -> WsConfig {
    WsConfig {
        backoff: BackoffConfig {
            initial: Duration::from_millis(50),
            max: Duration::from_millis(400),
            factor: 2,
        },
        stable_after: Duration::from_millis(300),
        ..WsConfig::new(format!("ws://{addr}"))
    }
}

/// Next event matching `pred`, or `None` after the timeout.
async fn next(c: &mut WsClient, mut pred: impl FnMut(&WsEvent) -> bool) -> Option<WsEvent> {
    let end = tokio::time::Instant::now() + T;
    loop {
        let left = end.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(left, c.recv()).await {
            Ok(Some(ev)) if pred(&ev) => return Some(ev),
            Ok(Some(_)) => {}
            _ => return None,
        }
    }
}

#[tokio::test]
async fn pings_are_answered_with_their_payload() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
        ws.send(Message::Ping(b"payload-42".to_vec().into()))
            .await
            .unwrap();
        loop {
            match ws.next().await {
                Some(Ok(Message::Pong(p))) => return p.to_vec(),
                Some(Ok(_)) => {}
                _ => return vec![],
            }
        }
    });
    let mut client = WsClient::spawn(config(&addr)).unwrap();
    assert!(
        next(&mut client, |e| matches!(e, WsEvent::Open { .. }))
            .await
            .is_some()
    );
    let pong = tokio::time::timeout(T, server).await.unwrap().unwrap();
    assert_eq!(pong, b"payload-42");
}

#[tokio::test]
async fn backs_off_while_the_server_is_away_and_resets_after_a_stable_connection() {
    let probe = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = probe.local_addr().unwrap();
    drop(probe);
    let mut client = WsClient::spawn(config(&addr.to_string())).unwrap();
    let mut delays = vec![];
    while delays.len() < 4 {
        match next(&mut client, |e| {
            matches!(e, WsEvent::State(ConnState::Reconnecting { .. }))
        })
        .await
        {
            Some(WsEvent::State(ConnState::Reconnecting { retry_in, .. })) => delays.push(retry_in),
            _ => panic!("no reconnect attempt"),
        }
    }
    assert!(
        delays.iter().all(|d| *d <= Duration::from_millis(400)),
        "{delays:?}"
    );
    // The server comes up: the client connects, stays, then loses it.
    let listener = TcpListener::bind(addr).await.unwrap();
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        let _ = ws.close(None).await;
    });
    assert!(
        next(&mut client, |e| matches!(
            e,
            WsEvent::State(ConnState::Live)
        ))
        .await
        .is_some()
    );
    let lost = next(&mut client, |e| {
        matches!(e, WsEvent::State(ConnState::Reconnecting { .. }))
    })
    .await;
    let Some(WsEvent::State(ConnState::Reconnecting { retry_in, reason })) = lost else {
        panic!("no reconnect after the close");
    };
    assert!(reason.contains("closed"), "{reason}");
    assert!(
        retry_in <= Duration::from_millis(50),
        "backoff must reset after a stable connection: {retry_in:?}"
    );
}

#[tokio::test]
async fn sends_are_paced_to_the_limit() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let times = Arc::new(Mutex::new(vec![]));
    let t2 = times.clone();
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
        while let Some(Ok(m)) = ws.next().await {
            if m.is_text() {
                t2.lock().unwrap().push(Instant::now());
            }
        }
    });
    let mut client = WsClient::spawn(config(&addr)).unwrap();
    assert!(
        next(&mut client, |e| matches!(e, WsEvent::Open { .. }))
            .await
            .is_some()
    );
    for i in 0..10 {
        client.send(format!("{{\"id\":{i}}}"));
    }
    let deadline = Instant::now() + T;
    while times.lock().unwrap().len() < 10 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let times = times.lock().unwrap().clone();
    assert_eq!(times.len(), 10);
    for w in times.windows(5) {
        assert!(
            w[4] - w[0] >= Duration::from_millis(990),
            "5 sends within {:?}",
            w[4] - w[0]
        );
    }
}

#[tokio::test]
async fn replaces_the_connection_before_its_lifetime_without_a_gap() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    // Every connection streams the same global counter, like a market stream.
    let counter = Arc::new(AtomicU64::new(0));
    let c2 = counter.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(2)).await;
            c2.fetch_add(1, Ordering::SeqCst);
        }
    });
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else {
                    return;
                };
                let mut last = counter.load(Ordering::SeqCst);
                loop {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    let now = counter.load(Ordering::SeqCst);
                    for n in last + 1..=now {
                        if ws.send(Message::Text(n.to_string().into())).await.is_err() {
                            return;
                        }
                    }
                    last = now;
                }
            });
        }
    });
    let cfg = WsConfig {
        max_lifetime: Duration::from_millis(400),
        replace_overlap: Duration::from_millis(100),
        ..config(&addr)
    };
    let mut client = WsClient::spawn(cfg).unwrap();
    let mut seen = BTreeSet::new();
    let (mut replacements, mut first) = (0, None);
    let end = Instant::now() + Duration::from_millis(1600);
    while Instant::now() < end {
        match tokio::time::timeout(T, client.recv())
            .await
            .unwrap()
            .unwrap()
        {
            WsEvent::Text { text, .. } => {
                let n: u64 = text.as_str().parse().unwrap();
                first.get_or_insert(n);
                seen.insert(n);
            }
            WsEvent::Open {
                replacing: true, ..
            } => replacements += 1,
            WsEvent::State(ConnState::Reconnecting { reason, .. }) => panic!("lost: {reason}"),
            _ => {}
        }
    }
    assert!(replacements >= 2, "{replacements}");
    let (lo, hi) = (first.unwrap(), *seen.last().unwrap());
    let missing: Vec<u64> = (lo..=hi).filter(|n| !seen.contains(n)).collect();
    assert!(missing.is_empty(), "gap in the data: {missing:?}");
}
