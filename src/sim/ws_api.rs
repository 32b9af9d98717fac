//! The WebSocket API at `/ws-api/v3`: request/response envelopes with `rateLimits`, the user
//! data stream through `userDataStream.subscribe.signature`, and the order methods.

use super::auth::verify_ws;
use super::errors::ApiError;
use super::faults::Lost;
use super::params::Params;
use super::rest_trade::{
    hold, op_account, op_cancel_order, op_new_order, op_open_orders, op_query_order,
};
use super::server::Shared;
use crate::domain::now_ms;
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::broadcast::{self, error::RecvError};

/// Upgrades `/ws-api/v3`.
pub async fn handler(ws: WebSocketUpgrade, State(sh): State<Arc<Shared>>) -> Response {
    ws.max_message_size(1024 * 1024)
        .on_upgrade(move |socket| async move { run(socket, sh).await })
}

/// User-data subscriptions of one connection.
#[derive(Default)]
struct Session {
    user: Option<broadcast::Receiver<Arc<str>>>,
    subs: Vec<u64>,
    next_sub: u64,
}

async fn run(socket: WebSocket, sh: Arc<Shared>) {
    let _ = sh.limits().charge(2, Instant::now(), now_ms());
    let (mut tx, mut rx) = socket.split();
    let every = sh.args.ping_interval.max(Duration::from_millis(10));
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    let die_at = sh
        .faults
        .disconnect_every
        .map(|d| tokio::time::Instant::now() + d);
    let mut shutdown = sh.shutdown.clone();
    let mut session = Session::default();
    loop {
        tokio::select! {
            _ = super::server::stopped(&mut shutdown) => {
                let frame = CloseFrame { code: 1001, reason: "Server shutting down".into() };
                let _ = tx.send(Message::Close(Some(frame))).await;
                break;
            }
            _ = sleep_until(die_at) => break,
            _ = ping.tick() => {
                if tx.send(Message::Ping("sim".into())).await.is_err() { break; }
            }
            msg = rx.next() => {
                let Some(Ok(msg)) = msg else { break };
                let Message::Text(text) = msg else { continue };
                if let Some(reply) = request(&sh, text.as_str(), &mut session).await {
                    sh.faults.delay().await;
                    if tx.send(Message::Text(reply.into())).await.is_err() { break; }
                }
            }
            ev = recv_user(&mut session.user) => match ev {
                Ok(ev) => {
                    for id in &session.subs {
                        let wrapped = format!("{{\"subscriptionId\":{id},\"event\":{ev}}}");
                        if tx.feed(Message::Text(wrapped.into())).await.is_err() { break; }
                    }
                    if tx.flush().await.is_err() { break; }
                }
                Err(RecvError::Lagged(_)) | Err(RecvError::Closed) => break,
            },
        }
    }
}

async fn recv_user(
    user: &mut Option<broadcast::Receiver<Arc<str>>>,
) -> Result<Arc<str>, RecvError> {
    match user {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

fn weight(method: &str) -> u32 {
    match method {
        "order.status" => 4,
        "openOrders.status" => 6,
        "account.status" => 20,
        "userDataStream.subscribe.signature" => 2,
        _ => 1,
    }
}

/// Handles one request; `None` means the reply is lost on purpose (timeout fault).
async fn request(sh: &Shared, text: &str, session: &mut Session) -> Option<String> {
    let v: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(_) => {
            return Some(reply_err(
                sh,
                &Value::Null,
                &ApiError::bad(-1100, "Invalid JSON."),
            ));
        }
    };
    let id = v.get("id").cloned().unwrap_or(Value::Null);
    let method = v.get("method").and_then(Value::as_str).unwrap_or("");
    let empty = Map::new();
    let params = v.get("params").and_then(Value::as_object).unwrap_or(&empty);
    if let Err(e) = sh.limits().charge(weight(method), Instant::now(), now_ms()) {
        return Some(reply_err(sh, &id, &e));
    }
    let result = match dispatch(sh, method, params, session) {
        Ok(r) => r,
        Err(e) => return Some(reply_err(sh, &id, &e)),
    };
    if method == "order.place" {
        match sh.faults.lose_reply() {
            None => {}
            Some(Lost::Error5xx) => return Some(reply_err(sh, &id, &ApiError::timeout())),
            Some(Lost::Timeout) => {
                hold(sh).await;
                return None;
            }
        }
    }
    Some(reply_ok(sh, &id, result))
}

fn dispatch(
    sh: &Shared,
    method: &str,
    params: &Map<String, Value>,
    session: &mut Session,
) -> Result<Value, ApiError> {
    let signed = || -> Result<Params, ApiError> { verify_ws(params, now_ms()) };
    match method {
        "ping" => Ok(json!({})),
        "time" => Ok(json!({ "serverTime": now_ms() })),
        "userDataStream.subscribe.signature" => {
            signed()?;
            let id = session.next_sub;
            session.next_sub += 1;
            session.subs.push(id);
            if session.user.is_none() {
                session.user = Some(sh.ex().subscribe_user());
            }
            Ok(json!({ "subscriptionId": id }))
        }
        "userDataStream.unsubscribe" => {
            match params.get("subscriptionId").and_then(Value::as_u64) {
                Some(id) => session.subs.retain(|s| *s != id),
                None => session.subs.clear(),
            }
            if session.subs.is_empty() {
                session.user = None;
            }
            Ok(json!({}))
        }
        "order.place" => op_new_order(sh, &signed()?),
        "order.status" => op_query_order(sh, &signed()?),
        "order.cancel" => op_cancel_order(sh, &signed()?),
        "openOrders.status" => op_open_orders(sh, &signed()?),
        "account.status" => op_account(sh, &signed()?),
        other => Err(ApiError::bad(-1100, format!("Unknown method '{other}'."))),
    }
}

fn rate_limits(sh: &Shared) -> Value {
    let mut l = sh.limits();
    let used = l.used(Instant::now());
    json!([{"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1,
        "limit": l.limit(), "count": used}])
}

fn reply_ok(sh: &Shared, id: &Value, result: Value) -> String {
    json!({"id": id, "status": 200, "result": result, "rateLimits": rate_limits(sh)}).to_string()
}

fn reply_err(sh: &Shared, id: &Value, e: &ApiError) -> String {
    let mut error = json!({"code": e.code, "msg": e.msg});
    if let Some(secs) = e.retry_after {
        let retry_at = now_ms() + i64::try_from(secs).unwrap_or(0) * 1000;
        error["data"] = json!({"serverTime": now_ms(), "retryAfter": retry_at});
    }
    json!({"id": id, "status": e.status, "error": error, "rateLimits": rate_limits(sh)}).to_string()
}
