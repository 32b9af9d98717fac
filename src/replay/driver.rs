//! The replay clock: reads the recording in pages on a blocking thread, fast-forwards silently
//! to the start position, waits for the clients, then plays every frame in receive order,
//! re-timed by the speed: first into the server's state (books, statistics), then out to the
//! stream connections that subscribed to it (waiting for slow ones: nothing is dropped).

use super::state::{OutFrame, Phase, Shared};
use super::{Speed, StartWhen};
use crate::book::DepthDiff;
use crate::domain::TimeMs;
use crate::store::{FrameKind, RecordedFrame, Store};
use crate::venue::binance::depth::{decode_depth_update, decode_snapshot};
use crate::venue::binance::parse::{MAX_FRAME_BYTES, MarketMessage, parse_frame};
use serde_json::value::RawValue;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// How the driver runs.
#[derive(Debug, Clone)]
pub(crate) struct DriverConfig {
    pub recording: i64,
    pub speed: Speed,
    /// Frames received before this are applied silently (`None`: play from the first).
    pub from_ms: Option<TimeMs>,
    pub start: StartWhen,
    pub page_rows: usize,
}

/// Reads the recording's frames of the replayed symbols in order, a page at a time.
fn spawn_reader(
    store: Store,
    shared: Arc<Shared>,
    recording: i64,
    page_rows: usize,
) -> mpsc::Receiver<Vec<RecordedFrame>> {
    let (tx, rx) = mpsc::channel(4);
    std::thread::spawn(move || {
        let mut from = 0u64;
        loop {
            let page = match store.recorded_frames(recording, from, page_rows.max(1)) {
                Ok(p) => p,
                Err(e) => {
                    tracing::error!(error = %e, "replay: reading the recording failed");
                    return;
                }
            };
            let Some(last) = page.last() else { return };
            from = last.seq + 1;
            let full = page.len() >= page_rows.max(1);
            let mine: Vec<RecordedFrame> = page
                .into_iter()
                .filter(|f| shared.sym(f.symbol.as_str()).is_some())
                .collect();
            if !mine.is_empty() && tx.blocking_send(mine).is_err() {
                return;
            }
            if !full {
                return;
            }
        }
    });
    rx
}

/// Plays the recording; returns when every frame was played or the server shuts down.
pub(crate) async fn run(store: Store, shared: Arc<Shared>, cfg: DriverConfig) {
    let mut pages = spawn_reader(store, shared.clone(), cfg.recording, cfg.page_rows);
    let mut player = Player::new(shared.clone(), cfg.speed);
    let mut pending: Option<std::vec::IntoIter<RecordedFrame>> = None;
    // Fast-forward: everything before `from` shapes the state but is not sent.
    if let Some(from) = cfg.from_ms {
        'ff: while let Some(page) = pages.recv().await {
            let mut it = page.into_iter();
            while let Some(f) = it.as_slice().first() {
                if f.recv_ms >= from {
                    pending = Some(it);
                    break 'ff;
                }
                if let Some(f) = it.next() {
                    player.apply(&f);
                }
            }
        }
    }
    if !wait_for_start(&shared, &cfg.start).await {
        return;
    }
    shared.set_phase(Phase::Playing);
    tracing::info!("replay playing");
    let mut shutdown = shared.shutdown.clone();
    loop {
        let page = match pending.take() {
            Some(p) => p,
            None => match pages.recv().await {
                Some(p) => p.into_iter(),
                None => break,
            },
        };
        for f in page {
            tokio::select! {
                biased;
                () = crate::sim::server::stopped(&mut shutdown) => return,
                () = player.play(f) => {}
            }
        }
    }
    shared.set_phase(Phase::Finished);
    tracing::info!(
        frames = shared.counters.frames.load(Ordering::Relaxed),
        "replay finished"
    );
}

/// Waits until playing may start; `false` on shutdown.
async fn wait_for_start(shared: &Shared, start: &StartWhen) -> bool {
    let mut shutdown = shared.shutdown.clone();
    loop {
        let woken = shared.wake.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        if shared.play_now.load(Ordering::SeqCst) {
            return true;
        }
        let deadline = match start {
            StartWhen::Now => return true,
            StartWhen::Manual => None,
            StartWhen::Subscribed { grace } => {
                if shared.covered() {
                    return true;
                }
                let first = *shared
                    .first_subscription
                    .lock()
                    .unwrap_or_else(|e| e.into_inner());
                first.map(|t| t + *grace)
            }
        };
        tokio::select! {
            () = crate::sim::server::stopped(&mut shutdown) => return false,
            () = &mut woken => {}
            () = sleep_opt(deadline) => return true,
        }
    }
}

async fn sleep_opt(at: Option<Instant>) {
    match at {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

/// Applies frames to the state and sends them out on time.
struct Player {
    shared: Arc<Shared>,
    speed: Speed,
    /// (wall-clock start, receive time of the first frame played).
    origin: Option<(Instant, TimeMs)>,
    diff: DepthDiff,
    /// The connections, refreshed when they change.
    slots: Vec<super::state::ConnSlot>,
    version: u64,
}

impl Player {
    fn new(shared: Arc<Shared>, speed: Speed) -> Self {
        Self {
            shared,
            speed,
            origin: None,
            diff: DepthDiff::default(),
            slots: Vec::new(),
            version: u64::MAX,
        }
    }

    /// Updates the server's state with one frame (nothing is sent).
    fn apply(&mut self, f: &RecordedFrame) {
        let Some(i) = self.shared.sym(f.symbol.as_str()) else {
            return;
        };
        let c = &self.shared.counters;
        c.frames.fetch_add(1, Ordering::Relaxed);
        c.position_ms
            .store(u64::try_from(f.recv_ms).unwrap_or(0), Ordering::Relaxed);
        match f.kind {
            FrameKind::Depth => match decode_depth_update(f.body.as_bytes(), &mut self.diff) {
                Ok(_) => self.shared.markets()[i].on_diff(&self.diff),
                Err(e) => tracing::warn!(seq = f.seq, error = %e, "replay: bad recorded diff"),
            },
            FrameKind::Snapshot => match decode_snapshot(f.body.as_bytes()) {
                Ok(s) => {
                    self.shared.markets()[i].on_snapshot(&s);
                    self.shared.books_changed.notify_waiters();
                }
                Err(e) => tracing::warn!(seq = f.seq, error = %e, "replay: bad recorded snapshot"),
            },
            FrameKind::Trade => match parse_frame(f.body.as_bytes(), MAX_FRAME_BYTES) {
                Ok(fr) => {
                    if let MarketMessage::Trade(t) = fr.message {
                        c.trades.fetch_add(1, Ordering::Relaxed);
                        self.shared.markets()[i].on_trade(&t);
                    }
                }
                Err(e) => tracing::warn!(seq = f.seq, error = %e, "replay: bad recorded trade"),
            },
        }
    }

    /// Waits until `f` is due, applies it and sends it to the connections that want it.
    async fn play(&mut self, f: RecordedFrame) {
        self.wait_due(f.recv_ms).await;
        self.apply(&f);
        if f.kind == FrameKind::Snapshot {
            return;
        }
        let Some(sym) = self.shared.sym(f.symbol.as_str()) else {
            return;
        };
        self.refresh_slots();
        let key = (sym, f.kind);
        if !self.slots.iter().any(|s| s.wants.contains(&key)) {
            return;
        }
        if f.kind == FrameKind::Trade {
            self.shared.markets()[sym].trades_sent += 1;
        }
        let Some(out) = out_frame(sym, f) else {
            return;
        };
        let out = Arc::new(out);
        for slot in self.slots.iter().filter(|s| s.wants.contains(&key)) {
            // A closed connection is simply skipped; a slow one makes the replay wait.
            let _ = slot.tx.send(out.clone()).await;
        }
    }

    fn refresh_slots(&mut self) {
        let v = self.shared.conns_version.load(Ordering::SeqCst);
        if v != self.version {
            self.slots = self.shared.conn_slots();
            self.version = v;
        }
    }

    async fn wait_due(&mut self, recv_ms: TimeMs) {
        let Speed::Times(speed) = self.speed else {
            return;
        };
        let (start, first) = *self.origin.get_or_insert((Instant::now(), recv_ms));
        let offset_ms = recv_ms.saturating_sub(first).max(0) as f64 / speed;
        let due = start + Duration::from_secs_f64((offset_ms / 1000.0).min(1.0e9));
        if due > Instant::now() {
            tokio::time::sleep_until(due).await;
        }
    }
}

/// The stream frame to send for a recorded frame: the text as is, with where its payload is.
fn out_frame(sym: usize, f: RecordedFrame) -> Option<OutFrame> {
    #[derive(serde::Deserialize)]
    struct Wrapped<'a> {
        stream: &'a str,
        #[serde(borrow)]
        data: &'a RawValue,
    }
    let (stream, data) = match serde_json::from_str::<Wrapped<'_>>(&f.body) {
        Ok(w) => {
            let start = (w.data.get().as_ptr() as usize).checked_sub(f.body.as_ptr() as usize)?;
            (w.stream.to_string(), start..start + w.data.get().len())
        }
        // A raw (unwrapped) frame: the whole text is the payload.
        Err(_) => (String::new(), 0..f.body.len()),
    };
    Some(OutFrame {
        sym,
        kind: f.kind,
        stream,
        text: f.body.into(),
        data,
    })
}
