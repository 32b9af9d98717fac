//! The Binance user data stream over the WebSocket API (`userDataStream.subscribe.signature`):
//! one task owns the socket, turns events into `BrokerEvent`s, and reconnects with backoff.

use super::sign::{HmacSigner, ServerClock};
use super::user_wire::{BinanceUserEvent, BinanceWsFrame, BinanceWsResponse, parse_ws_frame};
use crate::venue::{BrokerEvent, ConnState};
use futures_util::{SinkExt, StreamExt};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;

/// Longest wait honoured from a 418 ban (Binance bans last 2 min to 3 days).
const MAX_BAN_WAIT: Duration = Duration::from_secs(3 * 24 * 3600);

/// Settings of the user data stream task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserStreamConfig {
    /// WebSocket API URL, e.g. `wss://ws-api.binance.com:443/ws-api/v3`.
    pub ws_api_url: String,
    /// Optional `recvWindow` for the subscribe request.
    pub recv_window: Option<Duration>,
    /// Limit for opening the socket.
    pub connect_timeout: Duration,
    /// Limit for the reply to the subscribe request.
    pub subscribe_timeout: Duration,
    /// Reconnect when nothing (not even a ping) arrives for this long; the server pings every 20 s.
    pub stale_after: Duration,
    /// First reconnect delay.
    pub backoff_initial: Duration,
    /// Largest reconnect delay.
    pub backoff_max: Duration,
}

impl UserStreamConfig {
    /// Defaults for `ws_api_url`: 10 s timeouts, 70 s staleness, backoff 0.5 s .. 30 s.
    pub fn new(ws_api_url: impl Into<String>) -> Self {
        Self {
            ws_api_url: ws_api_url.into(),
            recv_window: None,
            connect_timeout: Duration::from_secs(10),
            subscribe_timeout: Duration::from_secs(10),
            stale_after: Duration::from_secs(70),
            backoff_initial: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
        }
    }
}

/// The running stream. Dropping it (or [`UserStreamHandle::stop`]) ends the task.
#[derive(Debug)]
pub struct UserStreamHandle {
    task: JoinHandle<()>,
}

impl UserStreamHandle {
    /// Ends the task.
    pub fn stop(self) {
        self.task.abort();
    }
    /// `true` once the task has ended (auth failure, receiver closed).
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }
}

impl Drop for UserStreamHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Who we are on the stream.
struct StreamAuth {
    api_key: Arc<str>,
    signer: HmacSigner,
    clock: ServerClock,
}

/// Spawns the stream task on the current Tokio runtime.
pub fn spawn_user_stream(
    cfg: UserStreamConfig,
    api_key: Arc<str>,
    signer: HmacSigner,
    clock: ServerClock,
    events: mpsc::Sender<BrokerEvent>,
) -> UserStreamHandle {
    super::trade::ensure_crypto_provider();
    let auth = StreamAuth {
        api_key,
        signer,
        clock,
    };
    UserStreamHandle {
        task: tokio::spawn(run(cfg, auth, events)),
    }
}

/// Why one connection ended.
#[derive(Debug)]
enum SessionEnd {
    /// Nobody listens any more: stop.
    ReceiverGone,
    /// Keys refused: stop and say so.
    Auth(String),
    /// Told to wait before reconnecting.
    RateLimited { wait: Duration, reason: String },
    /// Anything else: reconnect after the backoff delay.
    Retry(String),
}

async fn run(cfg: UserStreamConfig, auth: StreamAuth, tx: mpsc::Sender<BrokerEvent>) {
    let mut backoff = Backoff::new(cfg.backoff_initial, cfg.backoff_max);
    loop {
        if tx
            .send(BrokerEvent::Connection(ConnState::Connecting))
            .await
            .is_err()
        {
            return;
        }
        let (retry_in, reason) = match session(&cfg, &auth, &tx, &mut backoff).await {
            SessionEnd::ReceiverGone => return,
            SessionEnd::Auth(msg) => {
                tracing::error!("Binance user stream refused the API key: {msg}");
                let text = format!(
                    "Binance user stream: the API key was refused ({msg}); check it with `speedtrade keys status binance`"
                );
                let _ = tx
                    .send(BrokerEvent::Connection(ConnState::Down(text)))
                    .await;
                return;
            }
            SessionEnd::RateLimited { wait, reason } => (wait, reason),
            SessionEnd::Retry(reason) => (backoff.next_delay(), reason),
        };
        tracing::warn!(?retry_in, %reason, "Binance user stream disconnected");
        let state = ConnState::Reconnecting { retry_in, reason };
        if tx.send(BrokerEvent::Connection(state)).await.is_err() {
            return;
        }
        tokio::time::sleep(retry_in).await;
    }
}

/// One connection: connect, subscribe, forward events until something ends it.
async fn session(
    cfg: &UserStreamConfig,
    auth: &StreamAuth,
    tx: &mpsc::Sender<BrokerEvent>,
    backoff: &mut Backoff,
) -> SessionEnd {
    let connect = tokio_tungstenite::connect_async(cfg.ws_api_url.as_str());
    let mut ws = match timeout(cfg.connect_timeout, connect).await {
        Err(_) => return SessionEnd::Retry("connect timed out".into()),
        Ok(Err(e)) => return SessionEnd::Retry(format!("connect failed: {e}")),
        Ok(Ok((ws, _))) => ws,
    };
    let mut st = SessionState::default();
    if let Err(e) = ws.send(st.subscribe_message(cfg, auth)).await {
        return SessionEnd::Retry(format!("subscribe not sent: {e}"));
    }
    loop {
        let limit = if st.live {
            cfg.stale_after
        } else {
            cfg.subscribe_timeout
        };
        let msg = match timeout(limit, ws.next()).await {
            Err(_) if st.live => return SessionEnd::Retry(format!("no data for {limit:?}")),
            Err(_) => return SessionEnd::Retry("no reply to the subscribe request".into()),
            Ok(None) => return SessionEnd::Retry("connection closed".into()),
            Ok(Some(Err(e))) => return SessionEnd::Retry(format!("connection lost: {e}")),
            Ok(Some(Ok(m))) => m,
        };
        let text = match msg {
            Message::Text(t) => t,
            Message::Close(frame) => {
                let why = frame.map(|f| f.reason.to_string()).unwrap_or_default();
                return SessionEnd::Retry(format!("closed by the server {why}").trim().into());
            }
            // Pings are answered by tungstenite on the next read; pongs and binary are unused.
            _ => continue,
        };
        match st.on_text(text.as_str(), cfg, auth, tx).await {
            Step::Continue => {}
            Step::Send(m) => {
                if let Err(e) = ws.send(m).await {
                    return SessionEnd::Retry(format!("send failed: {e}"));
                }
            }
            Step::Live => {
                backoff.reset();
                if tx
                    .send(BrokerEvent::Connection(ConnState::Live))
                    .await
                    .is_err()
                {
                    return SessionEnd::ReceiverGone;
                }
            }
            Step::End(end) => return end,
        }
    }
}

/// What to do after one text frame.
enum Step {
    Continue,
    Send(Message),
    Live,
    End(SessionEnd),
}

/// Request bookkeeping for one connection.
#[derive(Default)]
struct SessionState {
    next_id: u64,
    subscribe_id: String,
    time_id: Option<(String, i64)>,
    resynced: bool,
    live: bool,
}

impl SessionState {
    fn fresh_id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}-{}", self.next_id)
    }

    /// `userDataStream.subscribe.signature` with params signed by the WS-API rule.
    fn subscribe_message(&mut self, cfg: &UserStreamConfig, auth: &StreamAuth) -> Message {
        self.subscribe_id = self.fresh_id("sub");
        let ts = auth.clock.now_ms();
        let rw = cfg
            .recv_window
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(60_000));
        let (ts_text, rw_text) = (ts.to_string(), rw.map(|v| v.to_string()));
        let mut signed = vec![("apiKey", &*auth.api_key), ("timestamp", ts_text.as_str())];
        if let Some(rw) = &rw_text {
            signed.push(("recvWindow", rw.as_str()));
        }
        let signature = auth.signer.sign_ws_api(&signed);
        let mut p = serde_json::Map::new();
        p.insert("apiKey".into(), auth.api_key.to_string().into());
        p.insert("timestamp".into(), ts.into());
        if let Some(rw) = rw {
            p.insert("recvWindow".into(), rw.into());
        }
        p.insert("signature".into(), signature.into());
        let req = serde_json::json!({
            "id": self.subscribe_id,
            "method": "userDataStream.subscribe.signature",
            "params": p,
        });
        Message::text(req.to_string())
    }

    async fn on_text(
        &mut self,
        text: &str,
        cfg: &UserStreamConfig,
        auth: &StreamAuth,
        tx: &mpsc::Sender<BrokerEvent>,
    ) -> Step {
        match parse_ws_frame(text) {
            Ok(BinanceWsFrame::Event(ev)) => on_event(ev, tx).await,
            Ok(BinanceWsFrame::Response(resp)) => self.on_response(&resp, cfg, auth),
            // A user-data event we cannot read may be a lost fill: reconnect so the order
            // manager reconciles from REST.
            Err(e) if text.contains("\"event\"") => {
                SessionEnd::Retry(format!("unreadable user-data event: {e}")).into()
            }
            Err(e) => {
                tracing::warn!("ignoring an unreadable WS API frame: {e}");
                Step::Continue
            }
        }
    }

    fn on_response(
        &mut self,
        resp: &BinanceWsResponse,
        cfg: &UserStreamConfig,
        auth: &StreamAuth,
    ) -> Step {
        let id = resp.id_str();
        if let (Some(id), Some((time_id, sent))) = (id, &self.time_id)
            && id == time_id
        {
            let server = resp.result.as_ref().and_then(|r| r["serverTime"].as_i64());
            if let Some(server) = server {
                auth.clock.observe(server, *sent, crate::domain::now_ms());
            }
            self.time_id = None;
            return Step::Send(self.subscribe_message(cfg, auth));
        }
        if id.is_some() && id != Some(self.subscribe_id.as_str()) {
            return Step::Continue;
        }
        if resp.status == 200 {
            self.live = true;
            return Step::Live;
        }
        self.on_error(resp, auth)
    }

    fn on_error(&mut self, resp: &BinanceWsResponse, auth: &StreamAuth) -> Step {
        let (code, msg) = resp
            .error
            .as_ref()
            .map_or((None, String::new()), |e| (Some(e.code), e.msg.clone()));
        let reason = format!("subscribe refused (HTTP {}, {code:?}): {msg}", resp.status);
        if resp.status == 429 || resp.status == 418 {
            let until = resp
                .error
                .as_ref()
                .and_then(|e| e.data.as_ref()?.retry_after);
            let wait = until.map_or(Duration::from_secs(1), |t| {
                let ms = u64::try_from(t.saturating_sub(auth.clock.now_ms())).unwrap_or(0);
                Duration::from_millis(ms).clamp(Duration::from_secs(1), MAX_BAN_WAIT)
            });
            return SessionEnd::RateLimited { wait, reason }.into();
        }
        match code {
            Some(-2014 | -2015 | -1022) => SessionEnd::Auth(msg).into(),
            _ if resp.status == 401 => SessionEnd::Auth(msg).into(),
            Some(-1021) if !self.resynced => {
                self.resynced = true;
                let id = self.fresh_id("time");
                self.time_id = Some((id.clone(), crate::domain::now_ms()));
                let req = serde_json::json!({"id": id, "method": "time"});
                Step::Send(Message::text(req.to_string()))
            }
            _ => SessionEnd::Retry(reason).into(),
        }
    }
}

impl From<SessionEnd> for Step {
    fn from(end: SessionEnd) -> Step {
        Step::End(end)
    }
}

/// Forwards one event; order events are never dropped (the send waits for room).
async fn on_event(ev: BinanceUserEvent, tx: &mpsc::Sender<BrokerEvent>) -> Step {
    let out = match ev {
        BinanceUserEvent::ExecutionReport(r) => match r.to_update() {
            Ok(u) => BrokerEvent::Order(u),
            Err(e) => {
                tracing::warn!(order_id = r.order_id, "skipping an execution report: {e}");
                return Step::Continue;
            }
        },
        BinanceUserEvent::AccountPosition(p) => BrokerEvent::Balances(p.to_balances()),
        BinanceUserEvent::StreamTerminated => {
            return SessionEnd::Retry("the venue ended the stream (eventStreamTerminated)".into())
                .into();
        }
        BinanceUserEvent::BalanceUpdate
        | BinanceUserEvent::ListStatus
        | BinanceUserEvent::ExternalLockUpdate
        | BinanceUserEvent::Other => return Step::Continue,
    };
    if tx.send(out).await.is_err() {
        return SessionEnd::ReceiverGone.into();
    }
    Step::Continue
}

// TODO(lead): switch to net::backoff
/// Exponential backoff with ±20 % jitter, reset after a successful subscribe.
struct Backoff {
    initial: Duration,
    max: Duration,
    attempt: u32,
}

impl Backoff {
    fn new(initial: Duration, max: Duration) -> Self {
        let initial = initial.max(Duration::from_millis(1));
        Self {
            initial,
            max: max.max(initial),
            attempt: 0,
        }
    }

    fn next_delay(&mut self) -> Duration {
        use rand::Rng;
        let base = self
            .initial
            .saturating_mul(1u32 << self.attempt.min(16))
            .min(self.max);
        self.attempt = self.attempt.saturating_add(1);
        let jitter = rand::rng().random_range(0.8..=1.2);
        base.mul_f64(jitter).min(self.max)
    }

    fn reset(&mut self) {
        self.attempt = 0;
    }
}
