//! The checkpointer thread: copies the WAL back into the database file on its own
//! connection, so the writer thread (and an order journal commit waiting on it) never pays
//! for a checkpoint. The writer keeps SQLite's automatic checkpoint only as a far-off safety
//! net (`wal_autocheckpoint` = [`SAFETY_NET_PAGES`]).

use super::error::StoreResult;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

/// WAL size (pages) at which the writer checkpoints by itself if this thread falls behind.
pub(crate) const SAFETY_NET_PAGES: u32 = 16_384;
/// WAL size (bytes) from which this thread checkpoints.
const THRESHOLD_BYTES: u64 = 4 << 20;

/// Starts the thread; it stops when `stop` is dropped or signalled.
pub(crate) fn spawn(
    path: &Path,
    busy: Duration,
    every: Duration,
    stop: Receiver<()>,
) -> StoreResult<std::thread::JoinHandle<()>> {
    let conn = super::open::open_checkpointer(path, busy)?;
    let wal = wal_path(path);
    std::thread::Builder::new()
        .name("speedtrade-checkpoint".into())
        .spawn(move || {
            while let Err(RecvTimeoutError::Timeout) = stop.recv_timeout(every) {
                let size = std::fs::metadata(&wal).map_or(0, |m| m.len());
                if size < THRESHOLD_BYTES {
                    continue;
                }
                let done = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
                    Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
                });
                match done {
                    Ok((log, copied)) => tracing::debug!(log, copied, "history checkpoint"),
                    Err(e) => tracing::warn!(error = %e, "history checkpoint failed"),
                }
            }
        })
        .map_err(|source| super::StoreError::Io {
            what: "starting the checkpoint thread for",
            path: path.to_path_buf(),
            source,
        })
}

fn wal_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_os_string();
    s.push("-wal");
    PathBuf::from(s)
}
