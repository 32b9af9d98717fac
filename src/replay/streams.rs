//! Market stream connections of the replay server (`/stream?streams=`, `/ws`, `/ws/<streams>`):
//! Binance's control messages (the simulator's [`Subscriptions`]), server pings, and the
//! recorded frames of the subscribed streams, byte for byte when the name matches.

use super::state::{OutFrame, Shared};
use crate::sim::stream_control::Subscriptions;
use crate::sim::stream_names::{Kind, StreamSub};
use crate::sim::stream_routes::StreamHost;
use crate::store::FrameKind;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

type Tx = SplitSink<WebSocket, Message>;

/// Frames queued per connection before the replay waits for it.
const QUEUE: usize = 4096;
/// Server ping interval (keeps a quiet replay from looking dead to the client).
const PING_EVERY: Duration = Duration::from_secs(10);

impl StreamHost for Shared {
    fn symbol_index(&self, upper: &str) -> Option<usize> {
        self.sym(upper)
    }

    async fn serve(self: Arc<Self>, socket: WebSocket, subs: Subscriptions) {
        run(socket, self, subs).await
    }
}

/// The recorded kind a subscription carries, if any.
fn frame_kind(k: Kind) -> Option<FrameKind> {
    match k {
        Kind::Trade => Some(FrameKind::Trade),
        Kind::Depth => Some(FrameKind::Depth),
        _ => None,
    }
}

fn wants(subs: &Subscriptions) -> HashSet<(usize, FrameKind)> {
    subs.subs
        .iter()
        .filter_map(|s| Some((s.sym?, frame_kind(s.kind)?)))
        .collect()
}

async fn run(socket: WebSocket, sh: Arc<Shared>, mut subs: Subscriptions) {
    let (mut tx, mut rx) = socket.split();
    let (frames_tx, mut frames) = mpsc::channel::<Arc<OutFrame>>(QUEUE);
    let id = sh.add_conn(frames_tx);
    sh.set_wants(id, wants(&subs));
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + PING_EVERY, PING_EVERY);
    let mut shutdown = sh.shutdown.clone();
    let lookup = |s: &str| sh.sym(s);
    let mut batch: Vec<Arc<OutFrame>> = Vec::with_capacity(256);
    let shut = loop {
        tokio::select! {
            () = crate::sim::server::stopped(&mut shutdown) => break true,
            _ = ping.tick() => {
                if tx.send(Message::Ping("replay".into())).await.is_err() {
                    break false;
                }
            }
            msg = rx.next() => match msg {
                Some(Ok(Message::Text(t))) => {
                    let reply = subs.handle(t.as_str(), &lookup);
                    sh.set_wants(id, wants(&subs));
                    if tx.send(Message::Text(reply.into())).await.is_err() {
                        break false;
                    }
                }
                Some(Ok(Message::Close(_)) | Err(_)) | None => break false,
                Some(Ok(_)) => {}
            },
            n = frames.recv_many(&mut batch, 256) => {
                if n == 0 || send_frames(&mut tx, &subs, &batch).await.is_err() {
                    break false;
                }
                batch.clear();
            }
        }
    };
    sh.remove_conn(id);
    if shut {
        let ev = format!(
            "{{\"e\":\"serverShutdown\",\"E\":{}}}",
            crate::domain::now_ms()
        );
        let _ = tx.send(Message::Text(ev.into())).await;
        let frame = CloseFrame {
            code: 1001,
            reason: "Server shutting down".into(),
        };
        let _ = tx.send(Message::Close(Some(frame))).await;
    }
}

async fn send_frames(
    tx: &mut Tx,
    subs: &Subscriptions,
    batch: &[Arc<OutFrame>],
) -> Result<(), axum::Error> {
    let mut any = false;
    for f in batch {
        for sub in &subs.subs {
            if sub.sym != Some(f.sym) || frame_kind(sub.kind) != Some(f.kind) {
                continue;
            }
            tx.feed(Message::Text(render(f, sub, subs.combined)))
                .await?;
            any = true;
        }
    }
    if any {
        tx.flush().await?;
    }
    Ok(())
}

/// The frame for `sub`: the recorded text itself when it was recorded under the same name on a
/// combined stream, otherwise its payload (re)wrapped.
fn render(f: &OutFrame, sub: &StreamSub, combined: bool) -> Utf8Bytes {
    if combined && sub.name == f.stream {
        return f.text.clone();
    }
    let data = f.data();
    if !combined {
        return data.to_string().into();
    }
    let mut out = String::with_capacity(data.len() + sub.name.len() + 24);
    out.push_str("{\"stream\":\"");
    out.push_str(&sub.name);
    out.push_str("\",\"data\":");
    out.push_str(data);
    out.push('}');
    out.into()
}
