//! The books of one connection: a [`BookSync`] per symbol plus snapshot bookkeeping (one REST
//! snapshot in flight per symbol, a delay before refetching, a dead mark for unknown symbols,
//! and a snapshot for a book whose symbol is too quiet to send the diff that starts a sync).

use super::board::{Board, SharedBook, lock_book};
use super::stats::FeedStats;
use crate::book::{BookSync, DepthDiff, DepthSnapshot, DiffOutcome, SnapshotOutcome};
use crate::domain::Symbol;
use crate::net::Arrival;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// A book that saw no diff this long after (re)subscribing fetches its snapshot anyway: a
/// quiet symbol would otherwise stay stale until its book first changes. It stays exact: the
/// next diff must join the snapshot (step 6's `U`/`u` checks) or the book resyncs.
const QUIET_SNAPSHOT_AFTER: Duration = Duration::from_secs(2);

struct BookState {
    /// The book; the board copies its top when the receiver takes it.
    sync: SharedBook,
    in_flight: bool,
    retry_at: Option<Instant>,
    /// When to fetch a snapshot if no diff came by then.
    quiet_at: Option<Instant>,
    dead: bool,
}

/// What the connection should do after a book event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Next {
    /// Nothing.
    Idle,
    /// Fetch a snapshot for this symbol now.
    Fetch,
}

/// Books of one connection.
pub(super) struct Books {
    map: HashMap<Symbol, BookState>,
    depth: usize,
    max_buffer: usize,
    levels: usize,
    retry: Duration,
}

impl Books {
    pub(super) fn new(depth: usize, max_buffer: usize, levels: usize, retry: Duration) -> Self {
        Self {
            map: HashMap::new(),
            depth,
            max_buffer,
            levels,
            retry,
        }
    }

    /// Starts a (stale) book for `symbol` and shows it as syncing.
    pub(super) fn add(&mut self, symbol: &Symbol, board: &Board) {
        let (depth, max_buffer) = (self.depth, self.max_buffer);
        let state = self.map.entry(symbol.clone()).or_insert_with(|| BookState {
            sync: Arc::new(Mutex::new(BookSync::new(depth, max_buffer))),
            in_flight: false,
            retry_at: None,
            quiet_at: Some(Instant::now() + QUIET_SNAPSHOT_AFTER),
            dead: false,
        });
        board.attach(symbol, state.sync.clone(), self.levels);
    }

    /// Drops `symbol`'s book.
    pub(super) fn remove(&mut self, symbol: &Symbol, board: &Board) {
        self.map.remove(symbol);
        board.remove(symbol);
    }

    /// Symbols with a book.
    pub(super) fn symbols(&self) -> impl Iterator<Item = &Symbol> {
        self.map.keys()
    }

    /// After a lost connection: every book goes stale and will resync from the next diff.
    pub(super) fn reset_all(&mut self, stats: &FeedStats, board: &Board) {
        for (symbol, b) in &mut self.map {
            if lock_book(&b.sync).reset() {
                stats.on_resync();
            }
            b.retry_at = None;
            b.quiet_at = Some(Instant::now() + QUIET_SNAPSHOT_AFTER);
            board.changed(symbol);
        }
    }

    /// Applies a diff that reached the socket at `arrived`; publishes the new top when it
    /// changed.
    #[inline]
    pub(super) fn on_diff(
        &mut self,
        symbol: &Symbol,
        diff: &DepthDiff,
        stats: &FeedStats,
        board: &Board,
        arrived: Arrival,
    ) -> Next {
        let Some(b) = self.map.get_mut(symbol) else {
            return Next::Idle;
        };
        let outcome = lock_book(&b.sync).on_diff(diff);
        match outcome {
            DiffOutcome::Applied => {
                board.changed_at(symbol, Some(arrived));
                Next::Idle
            }
            DiffOutcome::Ignored => Next::Idle,
            DiffOutcome::Buffered => {
                b.quiet_at = None;
                b.fetch_now()
            }
            DiffOutcome::Gap { expected, got } => {
                tracing::info!(%symbol, expected, got, "order book gap; resyncing");
                stats.on_resync();
                b.retry_at = None;
                board.changed(symbol);
                b.fetch_now()
            }
        }
    }

    /// Marks a fetch as started.
    pub(super) fn fetching(&mut self, symbol: &Symbol) {
        if let Some(b) = self.map.get_mut(symbol) {
            b.in_flight = true;
            b.retry_at = None;
            b.quiet_at = None;
        }
    }

    /// Applies a fetched snapshot; returns `true` when the book became live.
    pub(super) fn on_snapshot(
        &mut self,
        symbol: &Symbol,
        snap: &DepthSnapshot,
        board: &Board,
    ) -> bool {
        let Some(b) = self.map.get_mut(symbol) else {
            return false;
        };
        b.in_flight = false;
        let outcome = lock_book(&b.sync).on_snapshot(snap);
        match outcome {
            SnapshotOutcome::Synced => {
                board.changed(symbol);
                true
            }
            SnapshotOutcome::TooOld => {
                b.retry_at = Some(Instant::now() + self.retry);
                false
            }
            SnapshotOutcome::Unneeded => false,
        }
    }

    /// A fetch failed: retry after `delay`, or never (`None`: the symbol does not exist).
    pub(super) fn on_fetch_failed(&mut self, symbol: &Symbol, delay: Option<Duration>) {
        if let Some(b) = self.map.get_mut(symbol) {
            b.in_flight = false;
            match delay {
                Some(d) if b.waits_first_diff() => b.quiet_at = Some(Instant::now() + d),
                Some(d) => b.retry_at = Some(Instant::now() + d),
                None => b.dead = true,
            }
        }
    }

    /// Symbols whose retry time has come.
    pub(super) fn due(&mut self, now: Instant) -> Vec<Symbol> {
        let mut out = vec![];
        for (symbol, b) in &mut self.map {
            if b.retry_at.is_some_and(|t| t <= now) {
                b.retry_at = None;
                if b.fetch_now() == Next::Fetch {
                    out.push(symbol.clone());
                }
            }
            if b.quiet_at.is_some_and(|t| t <= now) {
                b.quiet_at = None;
                if b.waits_first_diff() && !b.in_flight && !b.dead {
                    out.push(symbol.clone());
                }
            }
        }
        out
    }

    /// The earliest scheduled retry.
    pub(super) fn next_retry(&self) -> Option<Instant> {
        self.map
            .values()
            .flat_map(|b| [b.retry_at, b.quiet_at])
            .flatten()
            .min()
    }

    /// The snapshot depth to ask for.
    pub(super) fn depth(&self) -> usize {
        self.depth
    }
}

impl BookState {
    /// Stale with nothing buffered: (re)subscribed and no diff seen yet.
    fn waits_first_diff(&self) -> bool {
        let sync = lock_book(&self.sync);
        sync.is_stale() && !sync.wants_snapshot()
    }

    fn fetch_now(&self) -> Next {
        let wants = lock_book(&self.sync).wants_snapshot();
        if wants && !self.in_flight && self.retry_at.is_none() && !self.dead {
            Next::Fetch
        } else {
            Next::Idle
        }
    }
}
