//! How a market stream connection is opened (`/ws`, `/ws/<streams>`, `/stream?streams=`), for
//! the simulator and the replay server alike: the stream names parsed, too many refused, the
//! socket upgraded and handed to the server's own connection loop.

use super::stream_control::{MAX_STREAMS, Subscriptions};
use super::stream_names::{StreamSub, parse};
use axum::extract::ws::{WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

/// Largest control message a client may send.
const MAX_INCOMING: usize = 64 * 1024;

/// A server that streams market data over these routes.
pub trait StreamHost: Send + Sync + 'static {
    /// The index of an upper-case symbol the server knows.
    fn symbol_index(&self, upper: &str) -> Option<usize>;

    /// Serves one connection until it closes.
    fn serve(
        self: Arc<Self>,
        socket: WebSocket,
        subs: Subscriptions,
    ) -> impl Future<Output = ()> + Send;
}

/// `/ws` with no stream: subscribe later with SUBSCRIBE.
pub async fn ws_root<H: StreamHost>(ws: WebSocketUpgrade, State(h): State<Arc<H>>) -> Response {
    upgrade(ws, h, Vec::new(), false)
}

/// `/ws/<stream>[/<stream>..]`: raw payloads.
pub async fn ws_raw<H: StreamHost>(
    ws: WebSocketUpgrade,
    State(h): State<Arc<H>>,
    Path(streams): Path<String>,
) -> Response {
    match parse_all(&*h, &streams) {
        Ok(subs) => upgrade(ws, h, subs, false),
        Err(msg) => (StatusCode::BAD_REQUEST, msg).into_response(),
    }
}

/// `/stream?streams=a/b`: payloads wrapped as `{"stream":..,"data":..}`.
pub async fn ws_combined<H: StreamHost>(
    ws: WebSocketUpgrade,
    State(h): State<Arc<H>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let streams = q.get("streams").map(String::as_str).unwrap_or("");
    match parse_all(&*h, streams) {
        Ok(subs) => upgrade(ws, h, subs, true),
        Err(msg) => (StatusCode::BAD_REQUEST, msg).into_response(),
    }
}

/// Parses the streams of a connection URL. Like Binance, a path segment that is not a stream
/// name (a legacy listenKey, or the `/ws/0` some clients open before they SUBSCRIBE) is
/// accepted and carries nothing.
fn parse_all(h: &impl StreamHost, list: &str) -> Result<Vec<StreamSub>, String> {
    let mut subs: Vec<StreamSub> = Vec::new();
    for name in list.split('/').filter(|n| !n.is_empty()) {
        let Some(sub) = parse(name, |s| h.symbol_index(s)) else {
            tracing::debug!(name, "ignoring a path segment that is not a stream name");
            continue;
        };
        if !subs.iter().any(|s| s.name == sub.name) {
            subs.push(sub);
        }
    }
    if subs.len() > MAX_STREAMS {
        return Err("too many streams".into());
    }
    Ok(subs)
}

fn upgrade<H: StreamHost>(
    ws: WebSocketUpgrade,
    h: Arc<H>,
    subs: Vec<StreamSub>,
    combined: bool,
) -> Response {
    let subs = Subscriptions { subs, combined };
    ws.max_message_size(MAX_INCOMING)
        .on_upgrade(move |socket| h.serve(socket, subs))
}
