//! The SQLite history store: one file, one writer thread, read-only connections for queries.
//!
//! - [`Store::open`] creates or opens the file (mode 0600, WAL, migrations by `user_version`).
//!   A damaged file, a foreign SQLite file or one from a newer speedtrade is refused with a
//!   clear [`StoreError`] and never written to. Opening reads only the schema page.
//! - Writes go to one writer thread over a channel. Market data (`record_trades`,
//!   `record_frames`, `save_candles`, `save_instruments`) returns at once and is batched into large
//!   transactions. Jobs ([`Store::write`], the order journal) overtake queued market data and
//!   their [`Pending`] resolves only after the transaction holding them has committed.
//! - The order journal ([`Store::journal_new_order`]) is a durable job: the caller is told only
//!   after its COMMIT returned (written to the WAL: survives SIGKILL; with
//!   [`StoreOptions::durable_journal`] also fsynced: survives a power cut). The order manager
//!   awaits it before it sends anything; see `orders`.
//! - A checkpointer thread copies the WAL into the main file on its own connection, so the
//!   writer never stalls on a checkpoint.
//!
//! ```no_run
//! # async fn demo() -> Result<(), speedtrade::store::StoreError> {
//! use speedtrade::store::{FILE_NAME, Store};
//! let store = Store::open(std::path::Path::new("/path/to/data").join(FILE_NAME))?;
//! store.set_setting("chart.interval", "5m").await?; // committed when this returns
//! let lists = store.watchlists()?; // read-only connection, never waits for the writer
//! store.flush().await?; // everything queued so far (trades included) is committed
//! # drop(lists); Ok(()) }
//! ```
//! - Reads ([`Store::read`] and the query methods) use a small pool of read-only connections
//!   and never wait for the writer (WAL readers see the last commit).

mod alerts;
mod checkpoint;
mod codec;
mod error;
mod export;
mod market;
mod open;
mod orders;
mod portfolio;
mod recording;
pub mod schema;
mod settings;
mod watchlists;
mod writer;

pub use alerts::{Alert, AlertEvent, AlertKind, AlertState, NewAlert};
pub use codec::Dec;
pub use error::{StoreError, StoreResult};
pub use export::{Cell, ColumnKind, ExportColumn, ExportTable};
pub use orders::{OrderEventKind, OrderEventRow, OrderFilter};
pub use portfolio::{PointKind, PortfolioPoint, PositionSnapshot};
pub use recording::{FrameKind, MAX_SEQ, NewRecording, RecordedFrame, Recording};
pub use watchlists::Watchlist;
pub use writer::{CHUNK_ROWS, WriterStats};

use rusqlite::Connection;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::oneshot;
use writer::{CommitResult, Counters, Job, Op, WriterConfig};

/// The file name used inside the data directory.
pub const FILE_NAME: &str = "speedtrade.sqlite3";

/// Tuning for [`Store::open_with`]. The defaults suit the app.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// fsync the WAL when the order journal commits (`synchronous = FULL` for that commit), so
    /// a journaled order survives a power cut, not only a crash of the process or the app.
    /// Default `false`: every commit (the journal included) is written to the WAL before it is
    /// acknowledged, which survives SIGKILL and panics; an fsync costs milliseconds on most
    /// disks, more than the whole order-entry latency budget.
    pub durable_journal: bool,
    /// How long a write waits for another process holding the file's write lock.
    pub busy_timeout: Duration,
    /// Commit a market-data batch once it holds this many rows.
    pub max_batch_rows: usize,
    /// Commit a market-data batch once it is this old.
    pub max_batch_age: Duration,
    /// Read-only connections kept open for queries.
    pub read_pool: usize,
    /// How often the checkpointer thread looks at the WAL's size.
    pub checkpoint_every: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            durable_journal: false,
            busy_timeout: Duration::from_secs(5),
            max_batch_rows: 100_000,
            max_batch_age: Duration::from_millis(250),
            read_pool: 4,
            checkpoint_every: Duration::from_secs(1),
        }
    }
}

/// A handle to the history file. Cheap to clone; the writer thread stops (after committing
/// everything queued) when the last handle is dropped.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    tx: Option<Sender<Op>>,
    thread: Option<std::thread::JoinHandle<()>>,
    checkpointer: Option<(Sender<()>, std::thread::JoinHandle<()>)>,
    counters: Arc<Counters>,
    readers: Mutex<Vec<Connection>>,
    opts: StoreOptions,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some((stop, t)) = self.checkpointer.take() {
            drop(stop);
            let _ = t.join();
        }
        drop(self.tx.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

/// A write that has been queued; resolves once it is committed (or failed).
#[must_use = "a write is only known to be saved once this resolves"]
pub struct Pending<T> {
    rx: oneshot::Receiver<StoreResult<T>>,
}

impl<T> Future for Pending<T> {
    type Output = StoreResult<T>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.rx).poll(cx).map(|r| {
            r.unwrap_or_else(|_| Err(StoreError::WriterStopped("the writer thread ended".into())))
        })
    }
}

impl<T> Pending<T> {
    /// Waits outside an async runtime (CLI tools, tests, the writer's callers on plain threads).
    pub fn wait(self) -> StoreResult<T> {
        self.rx
            .blocking_recv()
            .unwrap_or_else(|_| Err(StoreError::WriterStopped("the writer thread ended".into())))
    }
}

impl Store {
    /// Opens (or creates) the history file at `path` with default options.
    pub fn open(path: impl AsRef<Path>) -> StoreResult<Store> {
        Self::open_with(path, StoreOptions::default())
    }

    /// Opens (or creates) the history file at `path`.
    pub fn open_with(path: impl AsRef<Path>, opts: StoreOptions) -> StoreResult<Store> {
        let path = open::display_path(path.as_ref());
        open::prepare_file(&path)?;
        let conn = open::open_writer(&path, opts.busy_timeout)?;
        let reader = open::open_reader(&path, opts.busy_timeout)?;
        let (stop, stop_rx) = std::sync::mpsc::channel();
        let ckpt = checkpoint::spawn(&path, opts.busy_timeout, opts.checkpoint_every, stop_rx)?;
        let counters = Arc::new(Counters::default());
        let (tx, rx) = std::sync::mpsc::channel();
        let cfg = WriterConfig {
            max_batch_rows: opts.max_batch_rows.max(1),
            max_batch_age: opts.max_batch_age,
            durable_journal: opts.durable_journal,
        };
        let thread_counters = counters.clone();
        let thread = std::thread::Builder::new()
            .name("speedtrade-store".into())
            .spawn(move || writer::run(conn, rx, cfg, thread_counters))
            .map_err(|source| StoreError::Io {
                what: "starting the writer thread for",
                path: path.clone(),
                source,
            })?;
        Ok(Store {
            inner: Arc::new(Inner {
                path,
                tx: Some(tx),
                thread: Some(thread),
                checkpointer: Some((stop, ckpt)),
                counters,
                readers: Mutex::new(vec![reader]),
                opts,
            }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Writer counters (backlog, rows written, commits, lost rows).
    pub fn stats(&self) -> WriterStats {
        self.inner.counters.snapshot()
    }

    fn send(&self, op: Op) {
        let Some(tx) = &self.inner.tx else { return };
        self.inner
            .counters
            .queued
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if let Err(e) = tx.send(op) {
            self.inner
                .counters
                .queued
                .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
            // The only way to get here is a writer thread that panicked: its replies are dropped,
            // so callers awaiting a `Pending` hear `WriterStopped`.
            drop(e);
            tracing::error!("history writer is gone; a write was dropped");
        }
    }

    /// Queues `f` on the writer; the returned [`Pending`] resolves after the commit. Queued
    /// now, in call order, ahead of any queued market data.
    pub fn write<T, F>(&self, f: F) -> Pending<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        self.job(f, false)
    }

    /// Like [`Store::write`], but the commit fsyncs the WAL first (unless the store was
    /// opened with `durable_journal: false`).
    pub fn write_durable<T, F>(&self, f: F) -> Pending<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        self.job(f, true)
    }

    fn job<T, F>(&self, f: F, durable: bool) -> Pending<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let slot: Arc<Mutex<Option<StoreResult<T>>>> = Arc::new(Mutex::new(None));
        let run_slot = slot.clone();
        let path = self.inner.path.clone();
        let run = Box::new(move |conn: &Connection| {
            let result = f(conn).map_err(|e| match e {
                StoreError::Sqlite(e) => open::classify(&path, e),
                other => other,
            });
            let ok = result.is_ok();
            if let Ok(mut s) = run_slot.lock() {
                *s = Some(result);
            }
            ok
        });
        let done = Box::new(move |commit: CommitResult| {
            let result = slot.lock().ok().and_then(|mut s| s.take());
            let reply = match (result, commit) {
                (Some(Err(e)), _) => Err(e),
                (Some(Ok(v)), Ok(())) => Ok(v),
                (Some(Ok(_)), Err(msg)) => Err(StoreError::Commit(msg)),
                (None, Err(msg)) => Err(StoreError::WriterStopped(msg)),
                (None, Ok(())) => Err(StoreError::WriterStopped("the write never ran".into())),
            };
            let _ = tx.send(reply);
        });
        self.send(Op::Job(Job { run, done, durable }));
        Pending { rx }
    }

    /// Resolves once everything queued before it (market data included) is committed.
    pub fn flush(&self) -> Pending<()> {
        let (tx, rx) = oneshot::channel();
        self.send(Op::Flush(Box::new(move |commit: CommitResult| {
            let _ = tx.send(commit.map_err(StoreError::Commit));
        })));
        Pending { rx }
    }

    /// Runs `f` on a read-only connection (from a small pool). Reads never wait for the writer.
    /// They are synchronous: keep them small on async threads, or use `spawn_blocking`.
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
        let pooled = self.inner.readers.lock().ok().and_then(|mut v| v.pop());
        let conn = match pooled {
            Some(c) => c,
            None => open::open_reader(&self.inner.path, self.inner.opts.busy_timeout)?,
        };
        let result = f(&conn).map_err(|e| match e {
            StoreError::Sqlite(e) => open::classify(&self.inner.path, e),
            other => other,
        });
        if let Ok(mut v) = self.inner.readers.lock()
            && v.len() < self.inner.opts.read_pool
        {
            v.push(conn);
        }
        result
    }

    /// Full `PRAGMA integrity_check` (reads the whole file: for `doctor`, not for start-up).
    /// Returns the problems found; empty means the file is sound.
    pub fn integrity_check(&self) -> StoreResult<Vec<String>> {
        self.read(|c| {
            let mut stmt = c.prepare("PRAGMA integrity_check")?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            let found = rows.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(found.into_iter().filter(|s| s != "ok").collect())
        })
    }

    /// Commits everything queued and stops the writer thread, waiting for it.
    pub fn close(self) -> StoreResult<()> {
        let result = self.flush().wait();
        drop(self);
        result
    }
}
