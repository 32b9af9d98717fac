//! One combined-stream connection task: owns a [`WsClient`], (re)subscribes its streams on every
//! open, turns frames into [`MarketEvent`]s, keeps its symbols' books in sync (REST snapshots
//! through the weight limiter), and drops the repeats a connection replacement produces.

use super::books::{Books, Next};
use super::{Shared, StreamSpec};
use crate::book::{DepthDiff, DepthSnapshot};
use crate::domain::{Symbol, Ticker24h, TimeMs};
use crate::net::{Arrival, WsClient, WsConfig, WsEvent};
use crate::venue::binance::depth::decode_depth_update;
use crate::venue::binance::market_rest::RestError;
use crate::venue::binance::parse::{ControlReply, MarketMessage, ParseError, parse_frame};
use crate::venue::binance::streams::{StreamKind, control_message};
use crate::venue::{ConnState, MarketEvent};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

/// Streams per SUBSCRIBE / UNSUBSCRIBE message.
const PER_CONTROL: usize = 200;

/// Orders from the feed handle.
#[derive(Debug)]
pub(crate) enum ConnCmd {
    /// Add streams.
    Subscribe(Vec<StreamSpec>),
    /// Remove streams.
    Unsubscribe(Vec<String>),
    /// Close and end.
    Shutdown,
}

/// The receiver of events went away: stop.
struct Stop;

type SnapResult = (Symbol, Result<DepthSnapshot, RestError>);

/// Starts the task for connection `id`.
pub(crate) fn spawn(shared: Arc<Shared>, id: usize, cmds: mpsc::UnboundedReceiver<ConnCmd>) {
    let o = &shared.opts;
    let cfg = WsConfig {
        stale_after: o.stale_after,
        dead_after: o.dead_after,
        max_lifetime: o.max_lifetime,
        replace_overlap: o.replace_overlap,
        backoff: o.backoff,
        stable_after: o.stable_after,
        max_sends_per_sec: o.max_control_per_sec,
        max_message_bytes: o.max_frame_bytes.saturating_mul(16).max(1 << 20),
        pace: o.pace.clone(),
        ..WsConfig::new(shared.endpoints.stream_url())
    };
    let ws = match WsClient::spawn(cfg) {
        Ok(ws) => ws,
        Err(e) => {
            let msg = format!("cannot start the Binance stream: {e}");
            tracing::error!("{msg}");
            let state = ConnState::Down(msg);
            if let Some(s) = shared.set_state(id, Some(state)) {
                let _ = shared.events.try_send((
                    MarketEvent::Connection {
                        venue: crate::domain::VenueId::Binance,
                        state: s,
                    },
                    None,
                ));
            }
            return;
        }
    };
    let (snap_tx, snap_rx) = mpsc::channel(64);
    let books = Books::new(
        o.depth,
        o.max_buffered_diffs,
        o.book_levels,
        o.snapshot_retry,
    );
    let task = Conn {
        id,
        shared,
        ws,
        desired: HashMap::new(),
        books,
        last_trade: HashMap::new(),
        last_time: HashMap::new(),
        next_control: 1,
        connected: false,
        opened: false,
        snap_tx,
        diff: DepthDiff::default(),
        arrived: Arrival::exact(Instant::now()),
    };
    tokio::spawn(task.run(cmds, snap_rx));
}

struct Conn {
    id: usize,
    shared: Arc<Shared>,
    ws: WsClient,
    /// Stream name → what it carries.
    desired: HashMap<String, StreamSpec>,
    books: Books,
    /// Last trade id per symbol (drops the repeats of a connection replacement).
    last_trade: HashMap<Symbol, Option<u64>>,
    /// Last event time per ticker / kline stream (same reason).
    last_time: HashMap<String, TimeMs>,
    next_control: u64,
    connected: bool,
    opened: bool,
    snap_tx: mpsc::Sender<SnapResult>,
    diff: DepthDiff,
    /// When the frame being handled reached the socket.
    arrived: Arrival,
}

impl Conn {
    async fn run(
        mut self,
        mut cmds: mpsc::UnboundedReceiver<ConnCmd>,
        mut snaps: mpsc::Receiver<SnapResult>,
    ) {
        loop {
            let retry = self.books.next_retry();
            let step = tokio::select! {
                cmd = cmds.recv() => match cmd {
                    None | Some(ConnCmd::Shutdown) => Err(Stop),
                    Some(ConnCmd::Subscribe(specs)) => {
                        self.subscribe(specs);
                        Ok(())
                    }
                    Some(ConnCmd::Unsubscribe(names)) => {
                        self.unsubscribe(names);
                        Ok(())
                    }
                },
                ev = self.ws.recv() => match ev {
                    Some(ev) => self.on_ws(ev).await,
                    None => Err(Stop),
                },
                Some((symbol, res)) = snaps.recv() => self.on_snapshot(symbol, res).await,
                () = sleep_opt(retry), if retry.is_some() => {
                    // While disconnected nothing is fetched: the reopen resets every book.
                    for symbol in self.books.due(Instant::now()) {
                        if self.connected {
                            self.fetch(symbol);
                        }
                    }
                    Ok(())
                }
            };
            if step.is_err() {
                break;
            }
        }
        self.ws.sender().close();
        let symbols: Vec<Symbol> = self.books.symbols().cloned().collect();
        for s in symbols {
            self.books.remove(&s, &self.shared.board);
        }
        if let Some(state) = self.shared.set_state(self.id, None) {
            let _ = self.shared.events.try_send((
                MarketEvent::Connection {
                    venue: crate::domain::VenueId::Binance,
                    state,
                },
                None,
            ));
        }
    }

    fn subscribe(&mut self, specs: Vec<StreamSpec>) {
        let names: Vec<String> = specs.iter().map(|s| s.name.clone()).collect();
        for spec in specs {
            if let StreamKind::Depth { .. } = spec.kind {
                self.books.add(&spec.symbol, &self.shared.board);
            }
            self.desired.insert(spec.name.clone(), spec);
        }
        if self.connected {
            self.control("SUBSCRIBE", &names);
        }
    }

    fn unsubscribe(&mut self, names: Vec<String>) {
        for name in &names {
            if let Some(spec) = self.desired.remove(name) {
                if let StreamKind::Depth { .. } = spec.kind {
                    self.books.remove(&spec.symbol, &self.shared.board);
                }
                self.last_time.remove(name);
            }
        }
        if self.connected {
            self.control("UNSUBSCRIBE", &names);
        }
    }

    /// Sends `method` for `names`, at most [`PER_CONTROL`] streams per message (the WebSocket
    /// task paces the messages to the venue's limit).
    fn control(&mut self, method: &str, names: &[String]) {
        for chunk in names.chunks(PER_CONTROL) {
            self.ws
                .send(control_message(method, chunk, self.next_control));
            self.next_control += 1;
        }
    }

    async fn on_ws(&mut self, ev: WsEvent) -> Result<(), Stop> {
        match ev {
            WsEvent::Text {
                text,
                received_ms,
                arrived,
                ..
            } => {
                self.arrived = arrived;
                self.on_frame(text.as_bytes(), received_ms).await
            }
            WsEvent::Binary { len, .. } => {
                let what = format!("unexpected binary message of {len} bytes");
                self.shared
                    .stats
                    .on_malformed(crate::domain::now_ms(), &what);
                Ok(())
            }
            WsEvent::Open { replacing, .. } => {
                self.on_open(replacing);
                Ok(())
            }
            WsEvent::State(state) => self.on_state(state).await,
        }
    }

    fn on_open(&mut self, replacing: bool) {
        self.connected = true;
        if !replacing {
            if self.opened {
                self.shared.stats.on_reconnect();
            }
            // "Also resync after any reconnect": diffs may have been missed while away.
            self.books.reset_all(&self.shared.stats, &self.shared.board);
        }
        self.opened = true;
        let mut names: Vec<String> = self.desired.keys().cloned().collect();
        names.sort();
        if !names.is_empty() {
            self.control("SUBSCRIBE", &names);
        }
    }

    async fn on_state(&mut self, state: ConnState) -> Result<(), Stop> {
        if matches!(state, ConnState::Reconnecting { .. } | ConnState::Down(_)) {
            self.connected = false;
            self.books.reset_all(&self.shared.stats, &self.shared.board);
        }
        match self.shared.set_state(self.id, Some(state)) {
            Some(state) => {
                let venue = crate::domain::VenueId::Binance;
                self.shared
                    .emit(MarketEvent::Connection { venue, state })
                    .await
                    .map_err(|_| Stop)
            }
            None => Ok(()),
        }
    }

    /// One text frame. Depth diffs for a known stream take the allocation-free path.
    async fn on_frame(&mut self, frame: &[u8], received: TimeMs) -> Result<(), Stop> {
        let stats = &self.shared.stats;
        stats.on_message(received);
        let limit = self.shared.opts.max_frame_bytes;
        if frame.len() > limit {
            let e = ParseError::TooLarge {
                size: frame.len(),
                limit,
            };
            stats.on_malformed(received, &e);
            return Ok(());
        }
        let depth_symbol = quick_stream(frame)
            .and_then(|name| self.desired.get(name))
            .filter(|spec| matches!(spec.kind, StreamKind::Depth { .. }))
            .map(|spec| spec.symbol.clone());
        if let Some(symbol) = depth_symbol {
            match decode_depth_update(frame, &mut self.diff) {
                Ok(_) => self.on_depth(&symbol, received),
                Err(e) => stats.on_malformed(received, &e),
            }
            return Ok(());
        }
        match parse_frame(frame, limit) {
            Ok(f) => {
                // Frames of streams no longer wanted (in flight during an UNSUBSCRIBE) are
                // dropped; connection-wide events (`!serverShutdown`) always count.
                let wanted = f.stream.is_none_or(|s| self.desired.contains_key(s))
                    || matches!(f.message, MarketMessage::ServerShutdown { .. });
                let stream = f.stream.map(str::to_string);
                if wanted {
                    self.on_message(stream, f.message, received).await?;
                }
            }
            Err(e) => stats.on_malformed(received, &e),
        }
        Ok(())
    }

    fn on_depth(&mut self, symbol: &Symbol, received: TimeMs) {
        let shared = &self.shared;
        if self.diff.time > 0 {
            shared
                .stats
                .on_latency(received.saturating_sub(self.diff.time));
        }
        let next = self.books.on_diff(
            symbol,
            &self.diff,
            &shared.stats,
            &shared.board,
            self.arrived,
        );
        if next == Next::Fetch {
            self.fetch(symbol.clone());
        }
    }

    async fn on_message(
        &mut self,
        stream: Option<String>,
        msg: MarketMessage,
        received: TimeMs,
    ) -> Result<(), Stop> {
        let ev = match msg {
            MarketMessage::Trade(t) => {
                if !self.is_new_trade(t.symbol.clone(), t.id) {
                    return Ok(());
                }
                self.shared
                    .stats
                    .on_latency(received.saturating_sub(t.time));
                MarketEvent::Trade(t)
            }
            MarketMessage::Tickers(list) => return self.on_tickers(stream, list).await,
            MarketMessage::Kline {
                symbol,
                interval,
                candle,
                time,
            } => {
                let key = stream.unwrap_or_else(|| format!("{symbol}@kline_{interval}"));
                if !self.is_new(key, time) {
                    return Ok(());
                }
                MarketEvent::Candle {
                    symbol,
                    interval,
                    candle,
                }
            }
            MarketMessage::Depth { symbol, diff } => {
                self.diff = diff;
                self.on_depth(&symbol, received);
                return Ok(());
            }
            MarketMessage::ServerShutdown { .. } => {
                tracing::info!(
                    conn = self.id,
                    "Binance announced a server shutdown; replacing the connection"
                );
                self.ws.sender().replace("serverShutdown");
                return Ok(());
            }
            MarketMessage::Control(ControlReply::Err { code, msg, .. }) => {
                tracing::warn!(code, %msg, "Binance refused a subscription request");
                Shared::notice(format!("Binance refused a stream request ({code}): {msg}"))
            }
            _ => return Ok(()),
        };
        self.shared
            .emit_at(ev, self.arrived)
            .await
            .map_err(|_| Stop)
    }

    async fn on_tickers(
        &mut self,
        stream: Option<String>,
        list: Vec<Ticker24h>,
    ) -> Result<(), Stop> {
        for t in list {
            let key = stream
                .clone()
                .unwrap_or_else(|| format!("{}@ticker", t.symbol));
            if self.is_new(key, t.time) {
                self.shared
                    .emit_at(MarketEvent::Ticker(t), self.arrived)
                    .await
                    .map_err(|_| Stop)?;
            }
        }
        Ok(())
    }

    /// `true` (and remembered) for a trade id above the last one of `symbol` (a connection
    /// replacement repeats a few).
    fn is_new_trade(&mut self, symbol: Symbol, id: u64) -> bool {
        let last = self.last_trade.entry(symbol).or_insert(None);
        if last.is_some_and(|l| id <= l) {
            return false;
        }
        *last = Some(id);
        true
    }

    /// `true` (and remembered) when `time` is not older than the last event of `key`.
    fn is_new(&mut self, key: String, time: TimeMs) -> bool {
        let last = self.last_time.entry(key).or_insert(TimeMs::MIN);
        if time < *last {
            return false;
        }
        *last = time;
        true
    }

    /// Fetches a snapshot in the background; the result comes back on the snapshot channel.
    fn fetch(&mut self, symbol: Symbol) {
        self.books.fetching(&symbol);
        let rest = self.shared.rest.clone();
        let tx = self.snap_tx.clone();
        let limit = u32::try_from(self.books.depth()).unwrap_or(5000);
        tokio::spawn(async move {
            let res = rest.depth(&symbol, limit).await;
            let _ = tx.send((symbol, res)).await;
        });
    }

    async fn on_snapshot(
        &mut self,
        symbol: Symbol,
        res: Result<DepthSnapshot, RestError>,
    ) -> Result<(), Stop> {
        let retry = self.shared.opts.snapshot_retry;
        match res {
            Ok(snap) => {
                if self.books.on_snapshot(&symbol, &snap, &self.shared.board) {
                    tracing::debug!(%symbol, id = snap.last_id, "order book synced");
                }
                Ok(())
            }
            Err(e @ RestError::UnknownSymbol(_)) => {
                self.books.on_fetch_failed(&symbol, None);
                self.shared
                    .emit(Shared::notice(e.to_string()))
                    .await
                    .map_err(|_| Stop)
            }
            Err(e) => {
                tracing::warn!(%symbol, error = %e, "order book snapshot failed; retrying");
                let delay = match e {
                    RestError::RateLimited { .. } => retry,
                    _ if e.is_retryable() => retry * 2,
                    _ => retry * 10,
                };
                self.books.on_fetch_failed(&symbol, Some(delay));
                Ok(())
            }
        }
    }
}

/// The stream name of a combined frame, read without parsing (`{"stream":"<name>",…`).
fn quick_stream(frame: &[u8]) -> Option<&str> {
    let rest = frame.strip_prefix(br#"{"stream":""#)?;
    let end = memchr::memchr(b'"', rest)?;
    std::str::from_utf8(rest.get(..end)?).ok()
}

async fn sleep_opt(at: Option<Instant>) {
    match at {
        Some(t) => sleep_until(t).await,
        None => std::future::pending().await,
    }
}
