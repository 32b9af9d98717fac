//! Market stream connections (`/ws`, `/ws/<streams>`, `/stream?streams=`): fan-out of the
//! subscribed events, control messages, server pings, the incoming-message limit, and the
//! stream faults.

use super::events::Batch;
use super::faults::{StreamFaults, malformed_frame, oversized_frame};
use super::server::Shared;
use super::stream_control::Subscriptions;
use super::stream_names::{Kind, StreamSub};
use super::stream_routes::StreamHost;
use super::wire;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::broadcast::error::RecvError;

type Tx = SplitSink<WebSocket, Message>;

impl StreamHost for Shared {
    fn symbol_index(&self, upper: &str) -> Option<usize> {
        self.ex().sym(upper)
    }

    async fn serve(self: Arc<Self>, socket: WebSocket, subs: Subscriptions) {
        run(socket, self, subs).await
    }
}

/// Counts incoming messages over the last second.
struct RateWindow {
    limit: usize,
    times: VecDeque<Instant>,
}

impl RateWindow {
    fn allow(&mut self, now: Instant) -> bool {
        while self
            .times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
        {
            self.times.pop_front();
        }
        self.times.push_back(now);
        self.times.len() <= self.limit
    }
}

/// Why a connection loop ended.
enum End {
    /// Close with a frame (code, reason).
    Close(u16, &'static str),
    /// Drop the TCP connection without a close frame.
    Drop,
    /// Server shutdown.
    Shutdown,
}

async fn run(socket: WebSocket, sh: Arc<Shared>, mut subs: Subscriptions) {
    let (mut tx, mut rx) = socket.split();
    let mut market = sh.ex().subscribe_market();
    let every = sh.args.ping_interval.max(Duration::from_millis(10));
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    let die_at = sh
        .faults
        .disconnect_every
        .map(|d| tokio::time::Instant::now() + d);
    let mut window = RateWindow {
        limit: sh.args.ws_incoming_limit as usize,
        times: VecDeque::new(),
    };
    let mut out = Renderer::default();
    let mut last_pong = Instant::now();
    let mut shutdown = sh.shutdown.clone();
    let lookup = |s: &str| sh.ex().sym(s);
    let end = loop {
        tokio::select! {
            _ = super::server::stopped(&mut shutdown) => break End::Shutdown,
            _ = sleep_until(die_at) => break End::Drop,
            _ = ping.tick() => {
                if last_pong.elapsed() > every * 3 {
                    break End::Close(1008, "Pong timeout");
                }
                if tx.send(Message::Ping("sim".into())).await.is_err() {
                    break End::Drop;
                }
            }
            msg = rx.next() => {
                let now = Instant::now();
                match incoming(msg, &mut window, &mut subs, &lookup, &mut tx).await {
                    Incoming::Pong => last_pong = now,
                    Incoming::Continue => {}
                    Incoming::End(end) => break end,
                }
            }
            b = market.recv() => match b {
                Ok(batch) => {
                    if out.send_batch(&batch, &subs, &sh, &mut tx).await.is_err() {
                        break End::Drop;
                    }
                }
                Err(RecvError::Lagged(n)) => {
                    tracing::warn!(skipped = n, "stream client too slow; disconnecting");
                    break End::Close(1008, "Client too slow");
                }
                Err(RecvError::Closed) => break End::Shutdown,
            },
        }
    };
    let now = sh.ex().now();
    finish(tx, end, now).await;
}

/// What one incoming frame leads to.
enum Incoming {
    Continue,
    Pong,
    End(End),
}

/// Counts an incoming frame against the limit and answers control messages.
async fn incoming(
    msg: Option<Result<Message, axum::Error>>,
    window: &mut RateWindow,
    subs: &mut Subscriptions,
    lookup: &(dyn Fn(&str) -> Option<usize> + Sync),
    tx: &mut Tx,
) -> Incoming {
    let Some(Ok(msg)) = msg else {
        return Incoming::End(End::Drop);
    };
    if !window.allow(Instant::now()) {
        return Incoming::End(End::Close(1008, "Too many requests"));
    }
    match msg {
        Message::Text(t) => {
            let reply = subs.handle(t.as_str(), lookup);
            if tx.send(Message::Text(reply.into())).await.is_err() {
                return Incoming::End(End::Drop);
            }
            Incoming::Continue
        }
        Message::Pong(_) => Incoming::Pong,
        Message::Close(_) => Incoming::End(End::Drop),
        _ => Incoming::Continue,
    }
}

async fn finish(mut tx: Tx, end: End, now: i64) {
    match end {
        End::Drop => {}
        End::Close(code, reason) => {
            let frame = CloseFrame {
                code,
                reason: reason.into(),
            };
            let _ = tx.send(Message::Close(Some(frame))).await;
        }
        End::Shutdown => {
            let ev = format!("{{\"e\":\"serverShutdown\",\"E\":{now}}}");
            let _ = tx.send(Message::Text(ev.into())).await;
            let frame = CloseFrame {
                code: 1001,
                reason: "Server shutting down".into(),
            };
            let _ = tx.send(Message::Close(Some(frame))).await;
        }
    }
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

/// Renders subscribed events into frames, applying the stream faults.
#[derive(Default)]
struct Renderer {
    payload: Vec<u8>,
    faults: StreamFaults,
}

impl Renderer {
    async fn send_batch(
        &mut self,
        batch: &Batch,
        subs: &Subscriptions,
        sh: &Shared,
        tx: &mut Tx,
    ) -> Result<(), axum::Error> {
        let mut any = false;
        for ev in batch.iter() {
            for sub in &subs.subs {
                self.payload.clear();
                if !sub.render(ev, &mut self.payload) {
                    continue;
                }
                let v = self.faults.next(&sh.faults, sub.kind == Kind::Depth);
                if v.drop {
                    continue;
                }
                tx.feed(Message::Text(frame(&self.payload, sub, subs.combined)))
                    .await?;
                if v.malformed {
                    tx.feed(Message::Text(malformed_frame(&self.payload).into()))
                        .await?;
                }
                if v.oversized {
                    let big = oversized_frame(sh.faults.oversized_bytes);
                    tx.feed(Message::Text(big.into())).await?;
                }
                any = true;
            }
        }
        if any {
            tx.flush().await?;
        }
        Ok(())
    }
}

fn frame(payload: &[u8], sub: &StreamSub, combined: bool) -> Utf8Bytes {
    let bytes = if combined {
        let mut out = Vec::with_capacity(payload.len() + sub.name.len() + 24);
        wire::combined(&mut out, &sub.name, payload);
        out
    } else {
        payload.to_vec()
    };
    String::from_utf8(bytes).unwrap_or_default().into()
}
