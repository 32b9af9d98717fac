//! The inside of [`super::ws::WsClient`]'s task: one open socket ([`Conn`]: paced outbox,
//! ping answers, silence clock) and the loop that drives it and its replacement ([`Drive`]).

use super::lowat;
use super::pace::{Arrival, SAMPLE_EVERY};
use super::timer::FrameTimer;
use super::ws::{WsCommand, WsConfig, WsEvent};
use super::ws_socket::{FromSocket, Watch, from_socket, socket};
use crate::domain::now_ms;
use crate::venue::ConnState;
use futures_util::{FutureExt, SinkExt, StreamExt};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Error as WsErr, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async_with_config};

/// An open client socket.
pub(super) type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

type Connecting = Pin<Box<dyn Future<Output = Result<Ws, String>> + Send>>;

/// Wait before retrying a failed replacement (the old connection keeps running meanwhile).
const REPLACE_RETRY: Duration = Duration::from_secs(5);

/// Most messages taken from the socket in one go before commands get a look.
const MAX_READ_BATCH: usize = 256;

/// How a drive ended.
pub(super) enum End {
    /// The owner closed the client (or went away).
    Closed,
    /// The connection was lost; reconnect.
    Lost(String),
}

/// Opens a socket with the configured limits and timeout.
pub(super) async fn connect(cfg: &WsConfig) -> Result<Ws, String> {
    super::install_crypto_provider();
    let limits = WebSocketConfig::default()
        .read_buffer_size(crate::net::READ_CHUNK)
        .max_message_size(Some(cfg.max_message_bytes))
        .max_frame_size(Some(cfg.max_message_bytes));
    let attempt = connect_async_with_config(cfg.url.as_str(), Some(limits), true);
    match tokio::time::timeout(cfg.connect_timeout, attempt).await {
        Ok(Ok((ws, _))) => Ok(ws),
        Ok(Err(e)) => Err(format!("connect failed: {e}")),
        Err(_) => Err(format!(
            "connect timed out after {}s",
            cfg.connect_timeout.as_secs()
        )),
    }
}

/// What one socket message means for the drive loop.
enum Step {
    /// Pass this on (or buffer it).
    Event(WsEvent),
    /// Control traffic; nothing to pass on.
    Quiet,
    /// The socket is gone.
    Closed(String),
}

/// One open socket.
struct Conn {
    id: u64,
    ws: Ws,
    opened: Instant,
    last_frame: Instant,
    outbox: VecDeque<String>,
    /// Send times within the last second (pongs included), for pacing.
    sent: VecDeque<Instant>,
}

impl Conn {
    fn new(id: u64, ws: Ws) -> Self {
        let now = Instant::now();
        Self {
            id,
            ws,
            opened: now,
            last_frame: now,
            outbox: VecDeque::new(),
            sent: VecDeque::new(),
        }
    }

    /// When the next queued message may go out, if any is queued.
    fn next_send_at(&mut self, per_sec: u32) -> Option<Instant> {
        if self.outbox.is_empty() {
            return None;
        }
        let now = Instant::now();
        while self
            .sent
            .front()
            .is_some_and(|t| now - *t >= Duration::from_secs(1))
        {
            self.sent.pop_front();
        }
        match self.sent.front() {
            Some(first) if self.sent.len() >= per_sec as usize => {
                Some(*first + Duration::from_secs(1))
            }
            _ => Some(now),
        }
    }

    /// Sends what the pace allows now.
    async fn flush_outbox(&mut self, per_sec: u32) -> Result<(), String> {
        while self
            .next_send_at(per_sec)
            .is_some_and(|t| t <= Instant::now())
        {
            let Some(text) = self.outbox.pop_front() else {
                break;
            };
            self.sent.push_back(Instant::now());
            self.ws
                .send(Message::Text(text.into()))
                .await
                .map_err(|e| format!("send failed: {e}"))?;
        }
        Ok(())
    }

    /// Interprets one item from the socket, which reached it at `arrived` or later.
    async fn on_message(&mut self, msg: Option<Result<Message, WsErr>>, arrived: Arrival) -> Step {
        self.last_frame = Instant::now();
        match msg {
            Some(Ok(Message::Text(text))) => Step::Event(WsEvent::Text {
                conn: self.id,
                text,
                received_ms: now_ms(),
                arrived,
            }),
            Some(Ok(Message::Binary(b))) => Step::Event(WsEvent::Binary {
                conn: self.id,
                len: b.len(),
            }),
            Some(Ok(Message::Ping(_))) => {
                // Tungstenite queued a pong with the same payload; push it out now.
                self.sent.push_back(Instant::now());
                match self.ws.flush().await {
                    Ok(()) => Step::Quiet,
                    Err(e) => Step::Closed(format!("pong failed: {e}")),
                }
            }
            Some(Ok(Message::Pong(_) | Message::Frame(_))) => Step::Quiet,
            Some(Ok(Message::Close(frame))) => Step::Closed(match frame {
                Some(f) => format!("closed by server ({}: {})", f.code, f.reason),
                None => "closed by server".to_string(),
            }),
            Some(Err(e)) => Step::Closed(format!("connection error: {e}")),
            None => Step::Closed("connection ended".to_string()),
        }
    }

    /// Closes politely, without waiting long.
    async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(1), self.ws.close(None)).await;
    }
}

/// Drives one session: the current socket plus, during a replacement, the next one.
pub(super) struct Drive<'a> {
    cfg: &'a WsConfig,
    cmd_rx: &'a mut mpsc::UnboundedReceiver<WsCommand>,
    ev_tx: &'a mpsc::Sender<WsEvent>,
    next_id: &'a mut u64,
    next: Option<Conn>,
    buffer: Vec<WsEvent>,
    pending: Option<Connecting>,
    cutover_at: Option<Instant>,
    retry_at: Option<Instant>,
    stale: bool,
    /// Paced reading (see [`super::pace`]): the socket is left alone until then.
    paused_until: Option<Instant>,
    /// Wakes the paced reader (a timerfd: see [`FrameTimer`]); `None` if not paced.
    resume: Option<FrameTimer>,
    /// The stamp for the next read: no data waiting on the socket reached it before this (the
    /// reader paused then, or an earlier read left data behind), or it is when the first of it
    /// did (noted during the pause).
    unread_since: Option<Arrival>,
    /// Pauses so far; one in [`SAMPLE_EVERY`] notes its first arrival.
    pauses: u32,
    /// This pause watches for its first arrival.
    noting: bool,
    /// The socket's low-water mark is raised.
    raised: bool,
    /// When the socket was last read.
    last_read: Option<Instant>,
}

/// The owner went away.
struct Gone;

impl<'a> Drive<'a> {
    pub(super) fn new(
        cfg: &'a WsConfig,
        cmd_rx: &'a mut mpsc::UnboundedReceiver<WsCommand>,
        ev_tx: &'a mpsc::Sender<WsEvent>,
        next_id: &'a mut u64,
    ) -> Self {
        Self {
            cfg,
            cmd_rx,
            ev_tx,
            next_id,
            next: None,
            buffer: Vec::new(),
            pending: None,
            cutover_at: None,
            retry_at: None,
            stale: false,
            paused_until: None,
            resume: cfg.pace.is_some().then(FrameTimer::new),
            unread_since: None,
            pauses: 0,
            noting: false,
            raised: false,
            last_read: None,
        }
    }

    /// Runs a freshly opened socket until the session ends. The flag says whether the session
    /// lasted long enough to reset the backoff.
    pub(super) async fn run(mut self, ws: Ws) -> (End, bool) {
        let started = Instant::now();
        let mut cur = Conn::new(self.take_id(), ws);
        let open = WsEvent::Open {
            conn: cur.id,
            replacing: false,
        };
        let end = match self.emit(open).await {
            Ok(()) => match self.emit(WsEvent::State(ConnState::Live)).await {
                Ok(()) => self.drive(&mut cur).await,
                Err(Gone) => End::Closed,
            },
            Err(Gone) => End::Closed,
        };
        if let Some(n) = self.next.take() {
            n.close().await;
        }
        cur.close().await;
        (end, started.elapsed() >= self.cfg.stable_after)
    }

    fn take_id(&mut self) -> u64 {
        let id = *self.next_id;
        *self.next_id += 1;
        id
    }

    async fn emit(&mut self, ev: WsEvent) -> Result<(), Gone> {
        self.ev_tx.send(ev).await.map_err(|_| Gone)
    }

    /// The select loop; see the module docs of `ws.rs`.
    async fn drive(&mut self, cur: &mut Conn) -> End {
        let per_sec = self.cfg.max_sends_per_sec;
        loop {
            let stale_at = cur.last_frame + self.cfg.stale_after;
            let dead_at = cur.last_frame + self.cfg.dead_after;
            let idle = self.next.is_none() && self.pending.is_none();
            let replace_at =
                idle.then(|| self.retry_at.unwrap_or(cur.opened + self.cfg.max_lifetime));
            let next_send = self.next.as_mut().and_then(|n| n.next_send_at(per_sec));
            let send_at = [cur.next_send_at(per_sec), next_send]
                .into_iter()
                .flatten()
                .min();
            let paused = self.paused_until.is_some();
            let watch = self.watch();
            let result = tokio::select! {
                biased;
                cmd = self.cmd_rx.recv() => self.on_command(cur, cmd),
                got = from_socket(&mut cur.ws, watch) => match got {
                    FromSocket::Message(msg) => self.on_read(cur, msg).await,
                    FromSocket::Arrived(at) => {
                        // Noted; the rest of the frame's messages need not wake anyone.
                        self.unread_since = Some(at);
                        self.raise(cur);
                        Ok(())
                    }
                },
                () = resume_at(&mut self.resume, self.paused_until), if paused => {
                    self.resume(cur);
                    Ok(())
                }
                msg = next_message(&mut self.next), if self.next.is_some() => {
                    self.on_next(cur, msg).await
                }
                res = poll_pending(&mut self.pending), if self.pending.is_some() => {
                    self.on_connected(res).await
                }
                () = sleep_until(stale_at), if !self.stale => {
                    self.stale = true;
                    self.emit(WsEvent::State(ConnState::Stale)).await.map_err(|_| End::Closed)
                }
                () = sleep_until(dead_at) => self.on_dead(cur).await,
                () = sleep_opt(replace_at), if replace_at.is_some() => {
                    self.start_replace("connection lifetime");
                    Ok(())
                }
                () = sleep_opt(self.cutover_at), if self.cutover_at.is_some() => {
                    self.cutover(cur).await.map_err(|_| End::Closed)
                }
                () = sleep_opt(send_at), if send_at.is_some() => self.flush(cur).await,
            };
            if let Err(end) = result {
                return end;
            }
        }
    }

    fn on_command(&mut self, cur: &mut Conn, cmd: Option<WsCommand>) -> Result<(), End> {
        match cmd {
            None | Some(WsCommand::Close) => Err(End::Closed),
            Some(WsCommand::Send(text)) => {
                self.next.as_mut().unwrap_or(cur).outbox.push_back(text);
                Ok(())
            }
            Some(WsCommand::Replace(reason)) => {
                self.start_replace(&reason);
                Ok(())
            }
        }
    }

    fn start_replace(&mut self, reason: &str) {
        if self.next.is_none() && self.pending.is_none() {
            tracing::info!(url = %self.cfg.url, reason, "replacing websocket connection");
            let cfg = self.cfg.clone();
            self.pending = Some(Box::pin(async move { connect(&cfg).await }));
            self.retry_at = None;
        }
    }

    /// What to watch the current socket for.
    fn watch(&self) -> Watch {
        match (
            self.paused_until,
            self.noting,
            self.unread_since,
            self.last_read,
        ) {
            (None, ..) => Watch::Read,
            (Some(_), true, None, Some(at)) => Watch::Arrival(at),
            _ => Watch::Nothing,
        }
    }

    /// Raises the socket's low-water mark: arrivals stop waking the thread.
    fn raise(&mut self, cur: &Conn) {
        if let Some(fd) = socket(&cur.ws) {
            self.raised = lowat::set(fd, lowat::WAITING);
        }
    }

    /// The pause is over: the socket is readable again at its first byte, and if nothing
    /// came meanwhile, the next data stamps itself when it arrives.
    fn resume(&mut self, cur: &Conn) {
        self.paused_until = None;
        self.noting = false;
        let Some(fd) = socket(&cur.ws) else {
            return;
        };
        if std::mem::take(&mut self.raised) {
            lowat::set(fd, 1);
        }
        if self.unread_since.is_some() && !lowat::pending(fd) {
            self.unread_since = None;
        }
    }

    /// Forgets a pause of the socket that is going away (a new one is read as it arrives).
    fn end_pause(&mut self) {
        self.paused_until = None;
        self.noting = false;
        self.raised = false;
        self.unread_since = None;
    }

    /// The current socket had something: takes it and whatever else is waiting, then, if the
    /// feed runs faster than the screen draws, leaves the socket until the next frame.
    async fn on_read(
        &mut self,
        cur: &mut Conn,
        msg: Option<Result<Message, WsErr>>,
    ) -> Result<(), End> {
        let now = Instant::now();
        let arrived = self.unread_since.take().unwrap_or(Arrival::exact(now));
        let step = cur.on_message(msg, arrived).await;
        self.on_current(cur, step).await?;
        let mut drained = false;
        // When the socket was last found empty: what comes after arrived after this.
        let mut polled = now;
        for _ in 1..MAX_READ_BATCH {
            polled = Instant::now();
            let Some(msg) = cur.ws.next().now_or_never() else {
                drained = true;
                break;
            };
            let step = cur.on_message(msg, arrived).await;
            self.on_current(cur, step).await?;
        }
        let Some(pace) = self.cfg.pace.as_deref() else {
            return Ok(());
        };
        if !drained {
            // More is waiting: read on (after a look at the commands). It is stamped with
            // this batch's arrival, which overstates its wait rather than hiding any.
            self.unread_since = Some(arrived);
            return Ok(());
        }
        let now = polled;
        if pace.worth_pacing(self.last_read, now) {
            self.paused_until = pace.resume_at(now);
            if self.paused_until.is_some() {
                self.pauses = self.pauses.wrapping_add(1);
                self.noting = self.pauses.is_multiple_of(SAMPLE_EVERY);
                if !self.noting {
                    // Everything read, so what the next read finds came after now: stamped
                    // with now, it never looks younger than it is, and not waking to note its
                    // arrival saves a wake-up a frame.
                    self.unread_since = Some(Arrival::after(now));
                    self.raise(cur);
                }
            }
        }
        self.last_read = Some(now);
        Ok(())
    }

    async fn on_current(&mut self, cur: &mut Conn, step: Step) -> Result<(), End> {
        if self.stale {
            self.stale = false;
            self.emit(WsEvent::State(ConnState::Live))
                .await
                .map_err(|_| End::Closed)?;
        }
        match step {
            Step::Event(ev) => self.emit(ev).await.map_err(|_| End::Closed),
            Step::Quiet => Ok(()),
            Step::Closed(reason) if self.next.is_some() => {
                tracing::info!(%reason, "old websocket ended during replacement; cutting over");
                self.cutover(cur).await.map_err(|_| End::Closed)
            }
            Step::Closed(reason) => Err(End::Lost(reason)),
        }
    }

    async fn on_dead(&mut self, cur: &mut Conn) -> Result<(), End> {
        let reason = format!("no data for {}s", self.cfg.dead_after.as_secs());
        if self.next.is_some() {
            return self.cutover(cur).await.map_err(|_| End::Closed);
        }
        Err(End::Lost(reason))
    }

    async fn on_next(
        &mut self,
        cur: &mut Conn,
        msg: Option<Result<Message, WsErr>>,
    ) -> Result<(), End> {
        let Some(next) = self.next.as_mut() else {
            return Ok(());
        };
        match next.on_message(msg, Arrival::exact(Instant::now())).await {
            Step::Event(ev) => {
                self.buffer.push(ev);
                if self.buffer.len() >= self.cfg.max_buffered {
                    return self.cutover(cur).await.map_err(|_| End::Closed);
                }
            }
            Step::Quiet => {}
            Step::Closed(reason) => {
                tracing::warn!(%reason, "replacement websocket failed; keeping the old one");
                self.next = None;
                self.buffer.clear();
                self.cutover_at = None;
                self.retry_at = Some(Instant::now() + REPLACE_RETRY);
            }
        }
        Ok(())
    }

    async fn on_connected(&mut self, res: Result<Ws, String>) -> Result<(), End> {
        self.pending = None;
        match res {
            Ok(ws) => {
                let conn = Conn::new(self.take_id(), ws);
                let open = WsEvent::Open {
                    conn: conn.id,
                    replacing: true,
                };
                self.next = Some(conn);
                self.cutover_at = Some(Instant::now() + self.cfg.replace_overlap);
                self.emit(open).await.map_err(|_| End::Closed)
            }
            Err(reason) => {
                tracing::warn!(%reason, "replacement websocket did not connect; retrying later");
                self.retry_at = Some(Instant::now() + REPLACE_RETRY);
                Ok(())
            }
        }
    }

    /// Swaps in the next socket, closes the old one and releases the buffered frames.
    async fn cutover(&mut self, cur: &mut Conn) -> Result<(), Gone> {
        self.cutover_at = None;
        let Some(next) = self.next.take() else {
            return Ok(());
        };
        let old = std::mem::replace(cur, next);
        self.end_pause();
        tokio::spawn(old.close());
        for ev in std::mem::take(&mut self.buffer) {
            self.emit(ev).await?;
        }
        Ok(())
    }

    async fn flush(&mut self, cur: &mut Conn) -> Result<(), End> {
        let per_sec = self.cfg.max_sends_per_sec;
        cur.flush_outbox(per_sec).await.map_err(End::Lost)?;
        if let Some(next) = self.next.as_mut()
            && let Err(reason) = next.flush_outbox(per_sec).await
        {
            tracing::warn!(%reason, "replacement websocket failed while sending");
            self.next = None;
            self.buffer.clear();
            self.retry_at = Some(Instant::now() + REPLACE_RETRY);
        }
        Ok(())
    }
}

async fn next_message(next: &mut Option<Conn>) -> Option<Result<Message, WsErr>> {
    match next {
        Some(c) => c.ws.next().await,
        None => std::future::pending().await,
    }
}

async fn poll_pending(pending: &mut Option<Connecting>) -> Result<Ws, String> {
    match pending {
        Some(fut) => fut.await,
        None => std::future::pending().await,
    }
}

/// Waits on the paced reader's timer until `at` (forever without a deadline).
async fn resume_at(timer: &mut Option<FrameTimer>, at: Option<Instant>) {
    match (timer, at) {
        (Some(timer), Some(at)) => timer.sleep_until(at).await,
        (None, at) => sleep_opt(at).await,
        (Some(_), None) => std::future::pending().await,
    }
}

async fn sleep_opt(at: Option<Instant>) {
    match at {
        Some(t) => sleep_until(t).await,
        None => std::future::pending().await,
    }
}
