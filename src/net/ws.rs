//! A reconnecting WebSocket client: one task owns the socket, answers pings with their payload,
//! paces what it sends, notices silence (stale, then reconnect), replaces the connection before
//! the venue's lifetime limit without a gap, and reconnects with backoff and jitter.
//!
//! The task knows nothing about the venue: the owner sends its subscriptions again on every
//! [`WsEvent::Open`] and asks for a [`WsSender::replace`] when the venue announces a shutdown.
//!
//! Replacement is make-before-break: a second socket opens, the owner subscribes on it, and for
//! [`WsConfig::replace_overlap`] frames still come from the old socket while the new one's are
//! buffered. Then the old socket closes and the buffered frames follow in order, so the owner
//! sees one stream in which a short stretch may repeat (it drops repeats by sequence number).

use super::backoff::{Backoff, BackoffConfig, BackoffError};
use super::pace::{Arrival, FramePace};
use super::ws_conn::{Drive, End, connect};
use crate::domain::TimeMs;
use crate::venue::ConnState;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Utf8Bytes;

/// Settings for one [`WsClient`].
#[derive(Debug, Clone)]
pub struct WsConfig {
    /// `ws://` or `wss://` URL.
    pub url: String,
    /// No frame (data, ping or pong) for this long: report [`ConnState::Stale`].
    pub stale_after: Duration,
    /// No frame for this long: drop the connection and reconnect.
    pub dead_after: Duration,
    /// Replace a connection once it is this old (Binance closes them at 24 h).
    pub max_lifetime: Duration,
    /// How long old and new connections run side by side during a replacement.
    pub replace_overlap: Duration,
    /// Give up on a connect attempt after this long.
    pub connect_timeout: Duration,
    /// Reconnect delays.
    pub backoff: BackoffConfig,
    /// A connection that lived this long resets the backoff.
    pub stable_after: Duration,
    /// Messages this client may send per second and connection, pongs included (Binance
    /// allows 5; the default 4 leaves room for pongs).
    pub max_sends_per_sec: u32,
    /// Largest message accepted; a larger one ends the connection (a memory guard; keep it
    /// well above what the parser refuses, so oversized frames are counted, not fatal).
    pub max_message_bytes: usize,
    /// Frames kept from the new connection during a replacement before cutting over early.
    pub max_buffered: usize,
    /// Capacity of the event channel to the owner.
    pub event_capacity: usize,
    /// The screen's frame clock, for a feed only a screen reads: while messages come faster
    /// than frames, the socket is read once a frame (see [`FramePace`]). `None`: read as data
    /// arrives.
    pub pace: Option<Arc<FramePace>>,
}

impl WsConfig {
    /// Defaults for `url`: stale after 30 s and dead after 60 s of silence (Binance pings every
    /// 20 s), replace after 23 h 30 min, 3 s overlap.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            stale_after: Duration::from_secs(30),
            dead_after: Duration::from_secs(60),
            max_lifetime: Duration::from_secs(23 * 3600 + 1800),
            replace_overlap: Duration::from_secs(3),
            connect_timeout: Duration::from_secs(10),
            backoff: BackoffConfig::default(),
            stable_after: Duration::from_secs(10),
            max_sends_per_sec: 4,
            max_message_bytes: 16 << 20,
            max_buffered: 100_000,
            event_capacity: 4096,
            pace: None,
        }
    }
}

/// What the client reports to its owner.
#[derive(Debug, Clone, PartialEq)]
pub enum WsEvent {
    /// Connection state for the status bar.
    State(ConnState),
    /// A socket is open: send subscriptions now. `replacing` is true for a planned replacement
    /// (the stream continues; nothing needs a resync), false after a loss.
    Open {
        /// Connection number (increasing).
        conn: u64,
        /// Planned replacement rather than a reconnect.
        replacing: bool,
    },
    /// A text message.
    Text {
        /// Connection it came from.
        conn: u64,
        /// The text.
        text: Utf8Bytes,
        /// Local wall-clock receive time.
        received_ms: TimeMs,
        /// When it reached the socket, for tick-to-screen: when it was read or, for a paced
        /// read, when the first data after the pause arrived — or only that it came after the
        /// reader paused (see [`Arrival`]).
        arrived: Arrival,
    },
    /// A binary message (not expected from the venues; counted by the owner).
    Binary {
        /// Connection it came from.
        conn: u64,
        /// Its length.
        len: usize,
    },
}

/// Commands to the client task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WsCommand {
    /// Send a text message on the newest connection (paced; dropped while disconnected, since
    /// the owner resends its state on the next [`WsEvent::Open`]).
    Send(String),
    /// Replace the connection now (e.g. the venue announced a shutdown).
    Replace(String),
    /// Close and end the task.
    Close,
}

/// Why a [`WsClient`] could not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WsError {
    /// Bad backoff settings.
    #[error(transparent)]
    Backoff(#[from] BackoffError),
    /// Bad timing settings.
    #[error("websocket: {0}")]
    Config(&'static str),
}

/// A cloneable handle that sends commands to a [`WsClient`]'s task.
#[derive(Debug, Clone)]
pub struct WsSender(mpsc::UnboundedSender<WsCommand>);

impl WsSender {
    /// Queues a text message (see [`WsCommand::Send`]).
    pub fn send(&self, text: impl Into<String>) {
        let _ = self.0.send(WsCommand::Send(text.into()));
    }
    /// Asks for a make-before-break replacement.
    pub fn replace(&self, reason: impl Into<String>) {
        let _ = self.0.send(WsCommand::Replace(reason.into()));
    }
    /// Closes the connection and ends the task.
    pub fn close(&self) {
        let _ = self.0.send(WsCommand::Close);
    }
}

/// The owner's end: events in, commands out. Dropping it ends the task.
#[derive(Debug)]
pub struct WsClient {
    sender: WsSender,
    events: mpsc::Receiver<WsEvent>,
    task: JoinHandle<()>,
}

impl WsClient {
    /// Validates `cfg` and starts the task (needs a Tokio runtime).
    pub fn spawn(cfg: WsConfig) -> Result<Self, WsError> {
        let backoff = Backoff::new(cfg.backoff)?;
        if cfg.dead_after < cfg.stale_after || cfg.stale_after.is_zero() {
            return Err(WsError::Config("dead_after must be >= stale_after > 0"));
        }
        if cfg.max_sends_per_sec == 0 || cfg.event_capacity == 0 {
            return Err(WsError::Config(
                "max_sends_per_sec and event_capacity must be > 0",
            ));
        }
        let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
        let (ev_tx, events) = mpsc::channel(cfg.event_capacity);
        let task = tokio::spawn(run(cfg, backoff, cmd_rx, ev_tx));
        Ok(Self {
            sender: WsSender(cmd_tx),
            events,
            task,
        })
    }

    /// A handle for sending commands.
    pub fn sender(&self) -> WsSender {
        self.sender.clone()
    }

    /// The next event; `None` once the task has ended.
    pub async fn recv(&mut self) -> Option<WsEvent> {
        self.events.recv().await
    }

    /// Queues a text message.
    pub fn send(&self, text: impl Into<String>) {
        self.sender.send(text);
    }
}

impl Drop for WsClient {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The task: connect, drive, back off, repeat.
async fn run(
    cfg: WsConfig,
    mut backoff: Backoff,
    mut cmd_rx: mpsc::UnboundedReceiver<WsCommand>,
    ev_tx: mpsc::Sender<WsEvent>,
) {
    let mut next_id = 1u64;
    loop {
        if ev_tx
            .send(WsEvent::State(ConnState::Connecting))
            .await
            .is_err()
        {
            return;
        }
        let reason = match connect(&cfg).await {
            Ok(ws) => {
                let drive = Drive::new(&cfg, &mut cmd_rx, &ev_tx, &mut next_id);
                let (end, stable) = drive.run(ws).await;
                if stable {
                    backoff.reset();
                }
                match end {
                    End::Closed => return,
                    End::Lost(reason) => reason,
                }
            }
            Err(e) => e,
        };
        let delay = backoff.next_delay();
        tracing::info!(url = %cfg.url, %reason, ?delay, "websocket lost; reconnecting");
        let state = ConnState::Reconnecting {
            retry_in: delay,
            reason,
        };
        if ev_tx.send(WsEvent::State(state)).await.is_err() {
            return;
        }
        if wait_or_close(delay, &mut cmd_rx).await {
            return;
        }
    }
}

/// Sleeps `delay` while draining commands; `true` if the owner asked to close.
async fn wait_or_close(delay: Duration, cmd_rx: &mut mpsc::UnboundedReceiver<WsCommand>) -> bool {
    let sleep = tokio::time::sleep(delay);
    tokio::pin!(sleep);
    loop {
        tokio::select! {
            () = &mut sleep => return false,
            cmd = cmd_rx.recv() => match cmd {
                None | Some(WsCommand::Close) => return true,
                // The owner resends its state on the next Open.
                Some(WsCommand::Send(_) | WsCommand::Replace(_)) => {}
            },
        }
    }
}
