//! The recording loop: one task owns the stream connection, follows each symbol's book with
//! the same sync procedure as the feed (so it knows when a snapshot is needed and that it
//! joined the stream), drops repeats, and hands frames to the store writer in batches.

use super::snapshot::{RawSnapshot, SnapshotClient};
use super::{RecordError, RecordOptions, RecordStats, RecordSummary};
use crate::book::{BookSync, DepthDiff, DiffOutcome, SnapshotOutcome};
use crate::domain::{Symbol, TimeMs, now_ms};
use crate::net::{WsClient, WsConfig, WsEvent};
use crate::store::{FrameKind, RecordedFrame, Store};
use crate::venue::ConnState;
use crate::venue::binance::depth::decode_depth_update;
use crate::venue::binance::market_rest::RestError;
use crate::venue::binance::parse::{MAX_FRAME_BYTES, MarketMessage, parse_frame};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, sleep_until};

/// Streams per SUBSCRIBE message.
const PER_CONTROL: usize = 200;
/// Diffs buffered per book while a snapshot is on its way.
const MAX_BUFFERED: usize = 100_000;

/// One recorded symbol.
struct Sym {
    sync: BookSync,
    fetching: bool,
    retry_at: Option<Instant>,
    last_trade: Option<u64>,
    last_update: Option<u64>,
}

type SnapResult = (Symbol, Result<RawSnapshot, RestError>);

pub(super) struct Session {
    store: Store,
    opts: RecordOptions,
    id: i64,
    stats: Arc<RecordStats>,
    rest: SnapshotClient,
    ws: WsClient,
    /// Stream name → (symbol, kind).
    streams: HashMap<String, (Symbol, FrameKind)>,
    syms: BTreeMap<Symbol, Sym>,
    batch: Vec<RecordedFrame>,
    seq: u64,
    conn: u64,
    opened: bool,
    diff: DepthDiff,
    snap_tx: mpsc::Sender<SnapResult>,
    snap_rx: mpsc::Receiver<SnapResult>,
}

impl Session {
    pub(super) fn new(
        store: Store,
        opts: RecordOptions,
        id: i64,
        stats: Arc<RecordStats>,
        rest: SnapshotClient,
    ) -> Result<Self, RecordError> {
        let cfg = WsConfig {
            backoff: opts.backoff,
            ..WsConfig::new(opts.endpoints.stream_url())
        };
        let ws = WsClient::spawn(cfg)?;
        let streams = opts
            .symbols
            .iter()
            .flat_map(|s| {
                opts.streams_of(s)
                    .map(|(name, kind)| (name, (s.clone(), kind)))
            })
            .collect();
        let depth = usize::try_from(opts.snapshot_depth).unwrap_or(crate::book::MAX_DEPTH);
        let syms = opts
            .symbols
            .iter()
            .map(|s| {
                let sym = Sym {
                    sync: BookSync::new(depth.clamp(1, crate::book::MAX_DEPTH), MAX_BUFFERED),
                    fetching: false,
                    retry_at: None,
                    last_trade: None,
                    last_update: None,
                };
                (s.clone(), sym)
            })
            .collect();
        let (snap_tx, snap_rx) = mpsc::channel(64);
        Ok(Self {
            store,
            batch: Vec::with_capacity(opts.max_batch),
            opts,
            id,
            stats,
            rest,
            ws,
            streams,
            syms,
            seq: 0,
            conn: 0,
            opened: false,
            diff: DepthDiff::default(),
            snap_tx,
            snap_rx,
        })
    }

    pub(super) async fn run(
        mut self,
        mut stop: watch::Receiver<bool>,
        started_at: TimeMs,
    ) -> Result<RecordSummary, RecordError> {
        let deadline = self.opts.duration.map(|d| Instant::now() + d);
        let mut flush = tokio::time::interval(self.opts.flush_every.max(Duration::from_millis(1)));
        flush.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let retry = self.next_retry();
            tokio::select! {
                () = crate::sim::server::stopped(&mut stop) => break,
                () = sleep_opt(deadline) => break,
                ev = self.ws.recv() => match ev {
                    Some(ev) => self.on_ws(ev),
                    None => break,
                },
                Some((symbol, res)) = self.snap_rx.recv() => self.on_snapshot(symbol, res),
                () = sleep_opt(retry), if retry.is_some() => self.fetch_due(),
                _ = flush.tick() => self.flush(),
            }
        }
        self.ws.sender().close();
        self.flush();
        let ended_at = now_ms();
        let counts = self.stats.counts();
        self.store
            .finish_recording(self.id, ended_at, counts.frames)
            .await?;
        tracing::info!(
            recording = self.id,
            frames = counts.frames,
            "recording ended"
        );
        let books = self
            .syms
            .iter()
            .map(|(s, sym)| (s.clone(), sym.sync.top(10)))
            .collect();
        Ok(RecordSummary {
            recording: self.id,
            started_at,
            ended_at,
            counts,
            books,
        })
    }

    fn next_retry(&self) -> Option<Instant> {
        self.syms.values().filter_map(|s| s.retry_at).min()
    }

    fn flush(&mut self) {
        if !self.batch.is_empty() {
            let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(self.opts.max_batch));
            self.store.record_frames(batch);
        }
    }

    fn push(&mut self, symbol: &Symbol, kind: FrameKind, body: String, recv_ms: TimeMs) {
        RecordStats::add(&self.stats.bytes, body.len() as u64);
        RecordStats::add(&self.stats.frames, 1);
        let counter = match kind {
            FrameKind::Trade => &self.stats.trades,
            FrameKind::Depth => &self.stats.diffs,
            FrameKind::Snapshot => &self.stats.snapshots,
        };
        RecordStats::add(counter, 1);
        self.batch.push(RecordedFrame {
            recording: self.id,
            seq: self.seq,
            recv_ms,
            conn: self.conn,
            symbol: symbol.clone(),
            kind,
            body,
        });
        self.seq += 1;
        if self.batch.len() >= self.opts.max_batch {
            self.flush();
        }
    }

    fn on_ws(&mut self, ev: WsEvent) {
        match ev {
            WsEvent::Text {
                text, received_ms, ..
            } => self.on_frame(text.as_str(), received_ms),
            WsEvent::Open { conn, replacing } => {
                if !replacing {
                    if self.opened {
                        RecordStats::add(&self.stats.reconnects, 1);
                    }
                    self.conn = conn;
                    // Diffs may have been missed while away: every book resyncs.
                    self.reset_books();
                    self.forget_last_ids();
                }
                self.opened = true;
                let names = self.opts.streams();
                for (chunk, id) in names.chunks(PER_CONTROL).zip(1u64..) {
                    let msg = serde_json::json!({"method": "SUBSCRIBE", "params": chunk, "id": id});
                    self.ws.send(msg.to_string());
                }
            }
            WsEvent::State(state) => {
                if matches!(state, ConnState::Reconnecting { .. } | ConnState::Down(_)) {
                    tracing::warn!(?state, "recording: stream connection lost");
                    self.reset_books();
                }
            }
            WsEvent::Binary { len, .. } => {
                tracing::debug!(len, "recording: ignoring a binary frame");
            }
        }
    }

    fn reset_books(&mut self) {
        for s in self.syms.values_mut() {
            s.sync.reset();
        }
    }

    /// After a loss (not a planned replacement) nothing can repeat: forget the last ids, so a
    /// venue that restarted its sequences is still recorded.
    fn forget_last_ids(&mut self) {
        for s in self.syms.values_mut() {
            s.last_trade = None;
            s.last_update = None;
        }
    }

    fn on_frame(&mut self, text: &str, recv_ms: TimeMs) {
        let Some((symbol, kind)) = stream_of(text).and_then(|n| self.streams.get(n)).cloned()
        else {
            log_other(text);
            return;
        };
        let fresh = match kind {
            FrameKind::Depth => self.on_diff(&symbol, text),
            _ => self.on_trade(&symbol, text),
        };
        if fresh {
            self.push(&symbol, kind, text.to_string(), recv_ms);
        }
        if kind == FrameKind::Depth {
            self.fetch_if_needed(&symbol);
        }
    }

    /// Follows the book; `false` for a frame not to record (malformed or a repeat).
    fn on_diff(&mut self, symbol: &Symbol, text: &str) -> bool {
        if let Err(e) = decode_depth_update(text.as_bytes(), &mut self.diff) {
            RecordStats::add(&self.stats.malformed, 1);
            tracing::warn!(%symbol, error = %e, "recording: malformed depth frame skipped");
            return false;
        }
        let Some(sym) = self.syms.get_mut(symbol) else {
            return false;
        };
        if sym.last_update.is_some_and(|u| self.diff.last_id <= u) {
            RecordStats::add(&self.stats.repeats, 1);
            return false;
        }
        sym.last_update = Some(self.diff.last_id);
        if let DiffOutcome::Gap { expected, got } = sym.sync.on_diff(&self.diff) {
            RecordStats::add(&self.stats.gaps, 1);
            tracing::warn!(%symbol, expected, got, "recording: gap in the depth stream; resyncing");
        }
        true
    }

    /// `false` for a frame not to record (malformed or a repeat).
    fn on_trade(&mut self, symbol: &Symbol, text: &str) -> bool {
        let id = match parse_frame(text.as_bytes(), MAX_FRAME_BYTES).map(|f| f.message) {
            Ok(MarketMessage::Trade(t)) => t.id,
            other => {
                RecordStats::add(&self.stats.malformed, 1);
                tracing::warn!(%symbol, ?other, "recording: unexpected trade frame skipped");
                return false;
            }
        };
        let Some(sym) = self.syms.get_mut(symbol) else {
            return false;
        };
        if sym.last_trade.is_some_and(|l| id <= l) {
            RecordStats::add(&self.stats.repeats, 1);
            return false;
        }
        sym.last_trade = Some(id);
        true
    }

    fn fetch_if_needed(&mut self, symbol: &Symbol) {
        let Some(sym) = self.syms.get_mut(symbol) else {
            return;
        };
        if !sym.sync.wants_snapshot() || sym.fetching || sym.retry_at.is_some() {
            return;
        }
        sym.fetching = true;
        let (rest, tx, symbol) = (self.rest.clone(), self.snap_tx.clone(), symbol.clone());
        let limit = self.opts.snapshot_depth;
        tokio::spawn(async move {
            let res = rest.fetch(&symbol, limit).await;
            let _ = tx.send((symbol, res)).await;
        });
    }

    fn fetch_due(&mut self) {
        let now = Instant::now();
        let due: Vec<Symbol> = self
            .syms
            .iter_mut()
            .filter(|(_, s)| s.retry_at.is_some_and(|t| t <= now))
            .map(|(k, s)| {
                s.retry_at = None;
                k.clone()
            })
            .collect();
        for s in due {
            self.fetch_if_needed(&s);
        }
    }

    fn on_snapshot(&mut self, symbol: Symbol, res: Result<RawSnapshot, RestError>) {
        let retry = self.opts.snapshot_retry;
        let Some(sym) = self.syms.get_mut(&symbol) else {
            return;
        };
        sym.fetching = false;
        let raw = match res {
            Ok(raw) => raw,
            Err(e) => {
                tracing::warn!(%symbol, error = %e, "recording: depth snapshot failed; retrying");
                let delay = match e {
                    RestError::RateLimited { retry_after, .. } => retry_after.max(retry),
                    _ => retry,
                };
                sym.retry_at = Some(Instant::now() + delay);
                return;
            }
        };
        let outcome = sym.sync.on_snapshot(&raw.snapshot);
        if outcome == SnapshotOutcome::TooOld {
            tracing::debug!(%symbol, "recording: snapshot did not join the stream; refetching");
            sym.retry_at = Some(Instant::now() + retry);
        }
        // Recorded whatever the outcome: replay feeds the same sequence to the same procedure.
        self.push(&symbol, FrameKind::Snapshot, raw.body, now_ms());
    }
}

/// The stream name of a combined frame, read without parsing (`{"stream":"<name>",…`).
fn stream_of(frame: &str) -> Option<&str> {
    let rest = frame.strip_prefix(r#"{"stream":""#)?;
    let end = rest.find('"')?;
    rest.get(..end)
}

fn log_other(text: &str) {
    let head: String = text.chars().take(120).collect();
    if text.contains("\"code\"") {
        tracing::warn!(reply = %head, "recording: the venue refused a request");
    } else {
        tracing::debug!(frame = %head, "recording: frame of no recorded stream ignored");
    }
}

async fn sleep_opt(at: Option<Instant>) {
    match at {
        Some(t) => sleep_until(t).await,
        None => std::future::pending().await,
    }
}
