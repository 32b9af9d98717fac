//! A paced WebSocket client (how the terminal UI reads its feed) against a tokio-tungstenite
//! server on 127.0.0.1 that sends far faster than frames: every message arrives once and in
//! order, the socket is read about once a frame instead of once a message, and each message
//! is stamped no later than it reached the socket, not when it was read (exactly on one pause
//! in eight).

#![allow(clippy::unwrap_used)] // test helpers unwrap freely

use futures_util::{SinkExt, StreamExt};
use speedtrade::net::{FramePace, WsClient, WsConfig, WsEvent};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

const MESSAGES: usize = 300;
const EVERY: Duration = Duration::from_millis(2);
const BUDGET: Duration = Duration::from_millis(20);
/// Quiet spells, each followed by `AFTER_QUIET` more messages: the first after each must be
/// stamped when it arrived, not with the reader's last pause (a few spells, so that one
/// follows a pause that did not watch for its first arrival).
const QUIET: Duration = Duration::from_millis(150);
const SPELLS: usize = 4;
const AFTER_QUIET: usize = 25;
const TOTAL: usize = MESSAGES + SPELLS * AFTER_QUIET;

/// A server that sends `MESSAGES` numbered texts, one every `EVERY`, then `SPELLS` times a
/// `QUIET` spell and `AFTER_QUIET` more, noting when each left.
async fn server(listener: TcpListener, sent: Arc<Mutex<Vec<Instant>>>) {
    let (tcp, _) = listener.accept().await.unwrap();
    tcp.set_nodelay(true).unwrap();
    let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
    let mut at = Instant::now();
    for i in 0..TOTAL {
        at += EVERY;
        if i >= MESSAGES && (i - MESSAGES).is_multiple_of(AFTER_QUIET) {
            at += QUIET;
        }
        tokio::time::sleep_until(at).await;
        sent.lock().unwrap().push(Instant::now());
        ws.send(Message::Text(i.to_string().into())).await.unwrap();
    }
    // Keep the socket open until the client has everything.
    while let Some(Ok(_)) = ws.next().await {}
}

/// A screen drawing once per `BUDGET`: publishes its next frame, forever.
async fn screen(pace: Arc<FramePace>) {
    let mut next = Instant::now() + BUDGET;
    loop {
        pace.frame_due(next);
        tokio::time::sleep_until(next).await;
        next += BUDGET;
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::test(flavor = "current_thread")]
async fn a_fast_feed_is_read_once_a_frame_with_nothing_lost_and_honest_arrival_times() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let sent = Arc::new(Mutex::new(Vec::new()));
    let server = tokio::spawn(server(listener, sent.clone()));
    let pace = Arc::new(FramePace::new(BUDGET));
    let screen = tokio::spawn(screen(pace.clone()));
    let mut client = WsClient::spawn(WsConfig {
        pace: Some(pace),
        ..WsConfig::new(format!("ws://{addr}"))
    })
    .unwrap();

    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while got.len() < TOTAL {
        let ev = tokio::time::timeout_at(deadline, client.recv()).await;
        match ev
            .expect("every message within 20 s")
            .expect("the client runs")
        {
            WsEvent::Text { text, arrived, .. } => {
                got.push((
                    text.as_str().parse::<usize>().unwrap(),
                    Instant::now(),
                    arrived.at,
                    arrived.exact,
                ));
            }
            _ => continue,
        }
    }
    screen.abort();
    server.abort();

    let seqs: Vec<usize> = got.iter().map(|g| g.0).collect();
    assert_eq!(seqs, (0..TOTAL).collect::<Vec<_>>(), "all, once, in order");

    // Reads: runs of messages received together (a gap of a few ms starts a new one). Sent
    // every 2 ms and read once a 20 ms frame, that is about ten messages a read.
    let reads = 1 + got
        .windows(2)
        .filter(|w| w[1].1 - w[0].1 > Duration::from_millis(5))
        .count();
    assert!(
        reads * 4 < TOTAL,
        "{reads} reads for {TOTAL} messages: not paced"
    );

    // Arrival stamps. Most paced reads are stamped with when the reader paused: never later
    // than the message reached the socket (a read time would be up to a frame later). One
    // pause in eight notes when its data first arrived: those stamps are arrival times, well
    // before the reads. None is more than a frame (plus a late timer) early.
    let sent = sent.lock().unwrap().clone();
    let loopback = Duration::from_millis(1);
    for (i, rx, at, exact) in &got {
        let slack = if *exact { BUDGET / 2 } else { loopback };
        assert!(
            *at <= sent[*i] + slack,
            "message {i} stamped {:?} after it was sent (read {:?} after)",
            *at - sent[*i],
            *rx - sent[*i]
        );
        assert!(
            *at + 2 * BUDGET >= sent[*i],
            "message {i} stamped {:?} before it was sent",
            sent[*i] - *at
        );
    }
    for i in (MESSAGES..TOTAL).step_by(AFTER_QUIET) {
        let (_, _, at, exact) = got[i];
        assert!(
            exact && at + loopback >= sent[i],
            "message {i}, after a quiet spell, stamped {:?} before it was sent",
            sent[i].saturating_duration_since(at)
        );
    }
    let exact: Vec<_> = got.iter().filter(|g| g.3).collect();
    assert!(
        !exact.is_empty() && exact.len() * 2 < got.len(),
        "{} of {} messages with exact stamps: not one pause in eight",
        exact.len(),
        got.len()
    );
    let stamped = median(
        exact
            .iter()
            .map(|(i, _, at, _)| at.saturating_duration_since(sent[*i]))
            .collect(),
    );
    let read = median(exact.iter().map(|(i, rx, ..)| *rx - sent[*i]).collect());
    assert!(
        stamped * 2 < read,
        "exact stamps {stamped:?} after sending, reads {read:?}: stamps are read times"
    );
    let waited = median(got.iter().map(|(i, rx, ..)| *rx - sent[*i]).collect());
    assert!(
        waited >= BUDGET / 4,
        "paced reads wait for the frame: {waited:?}"
    );
}
