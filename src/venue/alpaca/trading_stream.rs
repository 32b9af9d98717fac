//! The Alpaca `trade_updates` stream: one task authenticates, listens, turns order events into
//! [`BrokerEvent::Order`] (with the [`crate::domain::Fill`] for fills) and reconnects with
//! backoff. Paper accounts send binary frames, live text frames; both are JSON and both are
//! handled. After every reconnect ([`BrokerEvent::Connection`] with [`ConnState::Live`]) the
//! order manager should reconcile, since events sent while disconnected are not replayed.

use super::backoff::Backoff;
use super::data_state::Closed;
use super::parse_stream::{AlpacaStreamItem, parse_stream_message};
use super::reconnect::{self, End, Session};
use super::wire_stream::{
    AlpacaAuthenticateData, AlpacaAuthenticateMsg, AlpacaListenData, AlpacaListenMsg,
};
use super::ws::{self, BadFrames, Incoming, Ws};
use super::{AlpacaCredentials, AlpacaEndpoints, AlpacaSetupError, ensure_crypto_provider};
use crate::venue::{BrokerEvent, ConnState};
use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::{Bytes, Message};

/// Tuning for [`AlpacaTradingStream`]; the defaults suit the real service.
#[derive(Debug, Clone)]
pub struct AlpacaStreamOptions {
    /// First reconnect delay (default 500 ms).
    pub reconnect_min: Duration,
    /// Longest reconnect delay (default 30 s).
    pub reconnect_max: Duration,
    /// Ping period; no frame at all for 3 periods counts as a dead connection (default 20 s).
    pub ping_interval: Duration,
    /// Limit for connecting and for each handshake step (default 10 s).
    pub handshake_timeout: Duration,
}

impl Default for AlpacaStreamOptions {
    fn default() -> Self {
        Self {
            reconnect_min: Duration::from_millis(500),
            reconnect_max: Duration::from_secs(30),
            ping_interval: Duration::from_secs(20),
            handshake_timeout: Duration::from_secs(10),
        }
    }
}

/// A running `trade_updates` stream. Dropping it stops the task.
#[derive(Debug)]
pub struct AlpacaTradingStream {
    task: JoinHandle<()>,
}

impl AlpacaTradingStream {
    /// Starts the stream task (needs a Tokio runtime). Order events are never dropped: the task
    /// waits for room in `events`. Fails without keys, with a message that says how to add them.
    pub fn spawn(
        endpoints: &AlpacaEndpoints,
        creds: Option<AlpacaCredentials>,
        options: AlpacaStreamOptions,
        events: mpsc::Sender<BrokerEvent>,
    ) -> Result<Self, AlpacaSetupError> {
        let creds = AlpacaCredentials::usable(creds).ok_or(AlpacaSetupError::MissingKeys {
            what: "order updates",
        })?;
        creds.header_values()?;
        let url = ws::check_ws_url(&endpoints.trading_ws_url)?;
        ensure_crypto_provider();
        let task = StreamTask {
            url,
            backoff: Backoff::new(options.reconnect_min, options.reconnect_max),
            creds,
            options,
            events,
            bad: BadFrames::default(),
        };
        Ok(Self {
            task: tokio::spawn(reconnect::run(task)),
        })
    }

    /// `false` once the task has stopped (keys refused, or the event receiver was dropped).
    pub fn is_running(&self) -> bool {
        !self.task.is_finished()
    }
}

impl Drop for AlpacaTradingStream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct StreamTask {
    url: String,
    creds: AlpacaCredentials,
    options: AlpacaStreamOptions,
    events: mpsc::Sender<BrokerEvent>,
    backoff: Backoff,
    bad: BadFrames,
}

impl Session for StreamTask {
    const NAME: &'static str = "trade_updates";

    async fn conn(&self, state: ConnState) -> Result<(), Closed> {
        self.emit(BrokerEvent::Connection(state)).await
    }

    async fn session(&mut self) -> End {
        self.connect_and_stream().await
    }

    async fn pause(&mut self, delay: Duration) -> Result<(), Closed> {
        tokio::select! {
            _ = tokio::time::sleep(delay) => Ok(()),
            _ = self.events.closed() => Err(Closed),
        }
    }

    fn backoff(&mut self) -> &mut Backoff {
        &mut self.backoff
    }
}

impl StreamTask {
    async fn emit(&self, event: BrokerEvent) -> Result<(), Closed> {
        self.events.send(event).await.map_err(|_| Closed)
    }

    /// One connection: connect, authenticate, listen, stream.
    async fn connect_and_stream(&mut self) -> End {
        let mut ws = match ws::connect(&self.url, self.options.handshake_timeout).await {
            Ok(ws) => ws,
            Err(e) => return End::Lost(e),
        };
        if let Err(end) = self.handshake(&mut ws).await {
            return end;
        }
        self.backoff.reset();
        if let Err(e) = self.conn(ConnState::Live).await {
            return e.into();
        }
        self.stream(&mut ws).await
    }

    /// authenticate → authorized → listen → listening.
    async fn handshake(&mut self, ws: &mut Ws) -> Result<(), End> {
        let auth = AlpacaAuthenticateMsg {
            action: "authenticate",
            data: AlpacaAuthenticateData {
                key_id: self.creds.key_id(),
                secret_key: self.creds.secret(),
            },
        };
        let auth = serde_json::to_string(&auth).map_err(|e| End::Fatal(e.to_string()))?;
        ws::send_text(ws, auth).await.map_err(End::Lost)?;
        self.expect(ws, |item| matches!(item, AlpacaStreamItem::Authorized))
            .await?;
        let listen = AlpacaListenMsg {
            action: "listen",
            data: AlpacaListenData {
                streams: ["trade_updates"],
            },
        };
        let listen = serde_json::to_string(&listen).map_err(|e| End::Fatal(e.to_string()))?;
        ws::send_text(ws, listen).await.map_err(End::Lost)?;
        self.expect(ws, |item| {
            matches!(item, AlpacaStreamItem::Listening(s) if s.iter().any(|s| s == "trade_updates"))
        })
        .await
    }

    /// Reads until an item satisfies `done`; other items are handled as usual.
    async fn expect(
        &mut self,
        ws: &mut Ws,
        done: impl Fn(&AlpacaStreamItem) -> bool,
    ) -> Result<(), End> {
        let deadline = Instant::now() + self.options.handshake_timeout;
        loop {
            let bytes = ws::next_data(ws, deadline).await.map_err(End::Lost)?;
            match parse_stream_message(&bytes) {
                Ok(item) if done(&item) => return Ok(()),
                Ok(item) => self.item(item).await?,
                Err(e) => self.bad.record("trade_updates", &e),
            }
        }
    }

    async fn stream(&mut self, ws: &mut Ws) -> End {
        let period = self.options.ping_interval.max(Duration::from_millis(10));
        let mut ping = tokio::time::interval_at(Instant::now() + period, period);
        let mut last_rx = Instant::now();
        loop {
            let step = tokio::select! {
                item = ws.next() => match ws::incoming(item) {
                    Incoming::Data(bytes) => {
                        last_rx = Instant::now();
                        self.frame(&bytes).await
                    }
                    Incoming::Control => {
                        last_rx = Instant::now();
                        Ok(())
                    }
                    Incoming::Closed(why) => Err(End::Lost(why)),
                },
                _ = ping.tick() => {
                    if last_rx.elapsed() > period * 3 {
                        Err(End::Lost(format!("nothing from Alpaca for {:?}", period * 3)))
                    } else {
                        ws.send(Message::Ping(Bytes::new()))
                            .await
                            .map_err(|e| End::Lost(format!("ping failed: {e}")))
                    }
                }
                _ = self.events.closed() => Err(End::Shutdown),
            };
            if let Err(end) = step {
                return end;
            }
        }
    }

    async fn frame(&mut self, bytes: &[u8]) -> Result<(), End> {
        match parse_stream_message(bytes) {
            Ok(item) => self.item(item).await,
            Err(e) => {
                self.bad.record("trade_updates", &e);
                Ok(())
            }
        }
    }

    async fn item(&mut self, item: AlpacaStreamItem) -> Result<(), End> {
        match item {
            AlpacaStreamItem::Order(update) => self.emit(BrokerEvent::Order(update)).await?,
            AlpacaStreamItem::Unauthorized { action } => {
                return Err(End::Fatal(format!(
                    "Alpaca refused the API keys for order updates (on `{action}`); paper and \
                     live keys differ: check them with `speedtrade keys set alpaca`"
                )));
            }
            AlpacaStreamItem::Foreign { order_id } => {
                tracing::debug!(%order_id, "update for an order placed by another tool");
            }
            AlpacaStreamItem::Authorized | AlpacaStreamItem::Listening(_) => {}
            AlpacaStreamItem::Other(stream) => tracing::trace!(%stream, "alpaca stream ignored"),
        }
        Ok(())
    }
}
