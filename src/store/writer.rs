//! The writer thread: the only connection that writes. Market data is batched into large
//! transactions; jobs (the order journal, user data) overtake queued market data and are
//! committed before their callers hear back.
//!
//! Scheduling, in one loop:
//! 1. Everything queued on the channel is moved into local queues (cheap pointer moves).
//! 2. Jobs run first, in FIFO order, each inside a savepoint, then the transaction commits and
//!    only then are the callers answered. A durable job switches to `synchronous = FULL` for its
//!    commit, so the WAL is fsynced before the caller hears back.
//! 3. Otherwise at most [`CHUNK_ROWS`] market-data rows are inserted, then the loop goes back to
//!    step 1, so a job never waits behind more than one chunk.
//! 4. The open transaction commits when the queues run dry, when it holds
//!    `max_batch_rows`, or when it is older than `max_batch_age`.

use super::error::StoreError;
use crate::domain::{Candle, Instrument, Interval, Symbol, Trade, VenueId};
use rusqlite::Connection;
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::{Duration, Instant};

/// Rows inserted between two looks at the queue for jobs.
pub const CHUNK_ROWS: usize = 512;

/// Outcome of the commit a job was part of, handed to the job's completion.
pub(crate) type CommitResult = Result<(), String>;
/// Called after the commit with its outcome (or with the reason the job never ran).
pub(crate) type Done = Box<dyn FnOnce(CommitResult) + Send>;
/// Runs on the writer connection inside a savepoint; `false` rolls the savepoint back.
pub(crate) type Run = Box<dyn FnOnce(&Connection) -> bool + Send>;

/// A unit of work from a caller that wants to hear when it is committed.
pub(crate) struct Job {
    /// The writes.
    pub run: Run,
    /// Told the commit outcome.
    pub done: Done,
    /// Commit with an fsync of the WAL (the order journal).
    pub durable: bool,
}

/// A message to the writer thread.
pub(crate) enum Op {
    /// Record public trades (tape recording).
    Trades(VenueId, Vec<Trade>),
    /// Record raw market-data frames (`speedtrade record`).
    Frames(Vec<super::recording::RecordedFrame>),
    /// Insert or replace candles.
    Candles(VenueId, Symbol, Interval, Vec<Candle>),
    /// Insert or replace instruments.
    Instruments(Vec<Instrument>),
    /// Answered once everything queued before it is committed.
    Flush(Done),
    /// A job (overtakes queued market data).
    Job(Job),
}

/// Tuning for the writer.
#[derive(Debug, Clone)]
pub(crate) struct WriterConfig {
    pub max_batch_rows: usize,
    pub max_batch_age: Duration,
    pub durable_journal: bool,
}

/// Counters the writer keeps, readable from any thread.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub queued: AtomicU64,
    pub rows: AtomicU64,
    pub commits: AtomicU64,
    pub lost_rows: AtomicU64,
    pub jobs: AtomicU64,
}

/// A snapshot of the writer's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WriterStats {
    /// Messages sent to the writer and not processed yet.
    pub backlog: u64,
    /// Market-data rows written (committed or in the open transaction).
    pub rows_written: u64,
    /// Transactions committed.
    pub commits: u64,
    /// Market-data rows that could not be saved (failed insert or commit).
    pub lost_rows: u64,
    /// Jobs run (journal writes, user data).
    pub jobs: u64,
}

impl Counters {
    pub(crate) fn snapshot(&self) -> WriterStats {
        WriterStats {
            backlog: self.queued.load(Ordering::Relaxed),
            rows_written: self.rows.load(Ordering::Relaxed),
            commits: self.commits.load(Ordering::Relaxed),
            lost_rows: self.lost_rows.load(Ordering::Relaxed),
            jobs: self.jobs.load(Ordering::Relaxed),
        }
    }
}

/// State of the writer thread.
struct Writer {
    conn: Connection,
    cfg: WriterConfig,
    counters: Arc<Counters>,
    bulk: VecDeque<Op>,
    /// Rows of the front `Trades` op already written.
    front_done: usize,
    jobs: VecDeque<Job>,
    /// Flushes reached in the bulk queue, answered at the next commit.
    flushes: Vec<Done>,
    in_tx: bool,
    tx_rows: u64,
    tx_started: Instant,
    /// Set after the file turned out damaged: nothing more is written.
    stopped: Option<String>,
}

/// Runs the writer until every sender is gone and the queues are empty.
pub(crate) fn run(conn: Connection, rx: Receiver<Op>, cfg: WriterConfig, counters: Arc<Counters>) {
    let mut w = Writer {
        conn,
        cfg,
        counters,
        bulk: VecDeque::new(),
        front_done: 0,
        jobs: VecDeque::new(),
        flushes: Vec::new(),
        in_tx: false,
        tx_rows: 0,
        tx_started: Instant::now(),
        stopped: None,
    };
    let mut open = true;
    loop {
        if w.bulk.is_empty() && w.jobs.is_empty() {
            let _ = w.commit();
            if !open {
                break;
            }
            match rx.recv() {
                Ok(op) => w.take(op),
                Err(_) => break,
            }
        }
        open = w.drain(&rx) && open;
        if !w.jobs.is_empty() {
            w.run_jobs();
        } else {
            w.run_chunk();
            let old = w.tx_started.elapsed() >= w.cfg.max_batch_age;
            if w.tx_rows >= w.cfg.max_batch_rows as u64 || (w.in_tx && old) {
                let _ = w.commit();
            }
        }
    }
    let _ = w.commit();
}

impl Writer {
    /// Moves queued messages into the local queues; `false` once every sender is gone.
    fn drain(&mut self, rx: &Receiver<Op>) -> bool {
        // Bounded, so a producer faster than the disk cannot keep us from writing.
        for _ in 0..65_536 {
            match rx.try_recv() {
                Ok(op) => self.take(op),
                Err(TryRecvError::Empty) => return true,
                Err(TryRecvError::Disconnected) => return false,
            }
        }
        true
    }

    fn take(&mut self, op: Op) {
        self.counters.queued.fetch_sub(1, Ordering::Relaxed);
        match op {
            Op::Job(job) => self.jobs.push_back(job),
            other => self.bulk.push_back(other),
        }
    }

    fn begin(&mut self) -> rusqlite::Result<()> {
        if !self.in_tx {
            self.conn.execute_batch("BEGIN IMMEDIATE")?;
            self.in_tx = true;
            self.tx_rows = 0;
            self.tx_started = Instant::now();
        }
        Ok(())
    }

    /// Commits the open transaction (if any) and answers the flushes waiting for it.
    fn commit(&mut self) -> CommitResult {
        let result = if self.in_tx {
            match self.conn.execute_batch("COMMIT") {
                Ok(()) => {
                    self.in_tx = false;
                    self.counters.commits.fetch_add(1, Ordering::Relaxed);
                    Ok(())
                }
                Err(e) => Err(self.fail("commit", &e)),
            }
        } else {
            self.stopped.clone().map_or(Ok(()), Err)
        };
        self.tx_rows = 0;
        for f in self.flushes.drain(..) {
            f(result.clone());
        }
        result
    }

    /// Logs a failure, rolls back (counting the market-data rows lost with the transaction),
    /// and stops the writer for good if the file is damaged.
    fn fail(&mut self, what: &str, e: &rusqlite::Error) -> String {
        let msg = format!("{what} failed: {e}");
        tracing::error!(error = %e, "history writer: {what} failed");
        if !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        if self.in_tx {
            self.counters
                .lost_rows
                .fetch_add(self.tx_rows, Ordering::Relaxed);
            self.counters
                .rows
                .fetch_sub(self.tx_rows, Ordering::Relaxed);
        }
        self.in_tx = false;
        self.tx_rows = 0;
        if StoreError::is_damage(e) && self.stopped.is_none() {
            tracing::error!("history file is damaged; the writer stops and leaves it untouched");
            self.stopped = Some(format!("the history file is damaged ({e})"));
        }
        msg
    }

    /// Runs every queued job in one transaction and answers them after the commit.
    fn run_jobs(&mut self) {
        let jobs: Vec<Job> = self.jobs.drain(..).collect();
        self.counters
            .jobs
            .fetch_add(jobs.len() as u64, Ordering::Relaxed);
        if let Some(msg) = self.stopped.clone() {
            jobs.into_iter().for_each(|j| (j.done)(Err(msg.clone())));
            return;
        }
        let durable = self.cfg.durable_journal && jobs.iter().any(|j| j.durable);
        if durable {
            // `synchronous` cannot change inside a transaction: commit queued market data first.
            let _ = self.commit();
            let _ = self.conn.execute_batch("PRAGMA synchronous = FULL");
        }
        let mut dones = Vec::with_capacity(jobs.len());
        let mut committed = self.begin().map_err(|e| self.fail("begin", &e));
        for job in jobs {
            if committed.is_ok()
                && let Err(msg) = self.run_one(job.run)
            {
                committed = Err(msg);
            }
            dones.push(job.done);
        }
        let committed = committed.and_then(|()| self.commit());
        if durable {
            let _ = self.conn.execute_batch("PRAGMA synchronous = NORMAL");
        }
        for done in dones {
            done(committed.clone());
        }
    }

    /// Runs one job inside a savepoint; an error here aborts the whole transaction.
    fn run_one(&mut self, run: Run) -> CommitResult {
        if let Err(e) = self.conn.execute_batch("SAVEPOINT job") {
            return Err(self.fail("savepoint", &e));
        }
        // A panicking job must not take the writer (and every later write) down with it.
        let conn = &self.conn;
        let ok = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(conn)));
        let end = if ok.unwrap_or(false) {
            "RELEASE job"
        } else {
            "ROLLBACK TO job; RELEASE job"
        };
        self.conn
            .execute_batch(end)
            .map_err(|e| self.fail("savepoint release", &e))
    }

    /// Inserts up to [`CHUNK_ROWS`] rows from the bulk queue.
    fn run_chunk(&mut self) {
        if let Some(msg) = self.stopped.clone() {
            self.discard_bulk(&msg);
            return;
        }
        if let Err(e) = self.begin() {
            self.fail("begin", &e);
            return;
        }
        let mut budget = CHUNK_ROWS;
        while budget > 0 {
            let Some(op) = self.bulk.pop_front() else {
                break;
            };
            let written = match op {
                Op::Flush(done) => {
                    self.flushes.push(done);
                    let _ = self.commit();
                    return;
                }
                Op::Trades(venue, trades) => {
                    let start = self.front_done;
                    let end = (start + budget).min(trades.len());
                    let n = self.insert_trades(venue, &trades[start..end]);
                    if end < trades.len() {
                        self.front_done = end;
                        self.bulk.push_front(Op::Trades(venue, trades));
                    } else {
                        self.front_done = 0;
                    }
                    n
                }
                Op::Frames(frames) => {
                    let start = self.front_done;
                    let end = (start + budget).min(frames.len());
                    let n = self.insert_frames(&frames[start..end]);
                    if end < frames.len() {
                        self.front_done = end;
                        self.bulk.push_front(Op::Frames(frames));
                    } else {
                        self.front_done = 0;
                    }
                    n
                }
                Op::Candles(v, s, i, candles) => self.upsert_candles(v, &s, i, &candles),
                Op::Instruments(list) => self.upsert_instruments(&list),
                Op::Job(job) => {
                    self.jobs.push_back(job);
                    0
                }
            };
            budget = budget.saturating_sub(written.max(1));
            if !self.in_tx {
                return; // an insert failed and rolled back: start a fresh transaction
            }
        }
    }

    /// Drops queued market data after the writer stopped; flushes hear why.
    fn discard_bulk(&mut self, msg: &str) {
        for op in self.bulk.drain(..) {
            match op {
                Op::Flush(done) => done(Err(msg.to_string())),
                Op::Trades(_, t) => {
                    self.counters
                        .lost_rows
                        .fetch_add(t.len() as u64, Ordering::Relaxed);
                }
                Op::Frames(f) => {
                    self.counters
                        .lost_rows
                        .fetch_add(f.len() as u64, Ordering::Relaxed);
                }
                _ => {}
            }
        }
        self.front_done = 0;
    }

    /// Inserts trades; returns how many rows were consumed (failed rows are counted as lost).
    fn insert_trades(&mut self, venue: VenueId, trades: &[Trade]) -> usize {
        let result = super::market::insert_trades(&self.conn, venue, trades);
        self.count_rows(trades.len(), result)
    }

    /// Inserts recorded frames; returns how many rows were consumed.
    fn insert_frames(&mut self, frames: &[super::recording::RecordedFrame]) -> usize {
        let result = super::recording::insert_frames(&self.conn, frames);
        self.count_rows(frames.len(), result)
    }

    fn upsert_candles(&mut self, v: VenueId, s: &Symbol, i: Interval, c: &[Candle]) -> usize {
        let result = super::market::upsert_candles(&self.conn, v, s, i, c);
        self.count_rows(c.len(), result)
    }

    fn upsert_instruments(&mut self, list: &[Instrument]) -> usize {
        let result = super::market::upsert_instruments(&self.conn, list);
        self.count_rows(list.len(), result)
    }

    /// Accounts for `n` rows handed to an insert that wrote `result` of them; returns `n`
    /// (the rows consumed from the queue).
    fn count_rows(&mut self, n: usize, result: rusqlite::Result<usize>) -> usize {
        match result {
            Ok(ok) => {
                let ok = ok.min(n);
                self.tx_rows += ok as u64;
                self.counters.rows.fetch_add(ok as u64, Ordering::Relaxed);
                self.counters
                    .lost_rows
                    .fetch_add((n - ok) as u64, Ordering::Relaxed);
            }
            Err(e) => {
                self.counters
                    .lost_rows
                    .fetch_add(n as u64, Ordering::Relaxed);
                self.fail("insert", &e);
            }
        }
        n
    }
}
