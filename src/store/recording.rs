//! Market-data recordings in the store: the `recordings` list and the raw `recorded_frames`
//! (stream text frames and REST depth snapshots exactly as received), written in batches by
//! the writer thread and read back in receive order for replay.

use super::error::{StoreError, StoreResult};
use super::writer::Op;
use super::{Pending, Store};
use crate::domain::{Symbol, TimeMs, VenueId};
use rusqlite::{Connection, OptionalExtension, Row, params};

/// Bits of a frame's key that hold its sequence number (the rest is the recording id).
pub const SEQ_BITS: u32 = 40;
/// The largest sequence number a recording can hold (about 10^12 frames).
pub const MAX_SEQ: u64 = (1 << SEQ_BITS) - 1;

/// What a recorded frame is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FrameKind {
    /// A `<symbol>@trade` stream frame.
    Trade,
    /// A `<symbol>@depth[@100ms]` stream frame (a diff).
    Depth,
    /// A REST `GET /api/v3/depth` body (a book snapshot).
    Snapshot,
}

impl FrameKind {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            FrameKind::Trade => "trade",
            FrameKind::Depth => "depth",
            FrameKind::Snapshot => "snapshot",
        }
    }
}

impl std::str::FromStr for FrameKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "trade" => Ok(FrameKind::Trade),
            "depth" => Ok(FrameKind::Depth),
            "snapshot" => Ok(FrameKind::Snapshot),
            other => Err(format!("unknown frame kind `{other}`")),
        }
    }
}

/// One recorded frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedFrame {
    /// The recording it belongs to.
    pub recording: i64,
    /// Position in the recording (receive order, from 0).
    pub seq: u64,
    /// Local wall-clock receive time.
    pub recv_ms: TimeMs,
    /// Stream connection number (a new one after every reconnect).
    pub conn: u64,
    /// Instrument.
    pub symbol: Symbol,
    /// What the body is.
    pub kind: FrameKind,
    /// The text exactly as received.
    pub body: String,
}

/// What a new recording is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRecording {
    /// Venue (Binance).
    pub venue: VenueId,
    /// Recorded symbols.
    pub symbols: Vec<Symbol>,
    /// Subscribed stream names.
    pub streams: Vec<String>,
    /// Market-stream base URL it was recorded from.
    pub ws_url: String,
    /// REST base URL the snapshots came from.
    pub rest_url: String,
    /// Start time.
    pub started_at: TimeMs,
}

/// A recording as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recording {
    /// Id.
    pub id: i64,
    /// Venue.
    pub venue: VenueId,
    /// Recorded symbols.
    pub symbols: Vec<Symbol>,
    /// Subscribed stream names.
    pub streams: Vec<String>,
    /// Market-stream base URL.
    pub ws_url: String,
    /// REST base URL.
    pub rest_url: String,
    /// Start time.
    pub started_at: TimeMs,
    /// End time (`None` while recording, or if the recorder was killed).
    pub ended_at: Option<TimeMs>,
    /// Frames written, as counted when the recording ended (0 while recording).
    pub frames: u64,
}

fn key(recording: i64, seq: u64) -> Option<i64> {
    if recording < 0 || seq > MAX_SEQ {
        return None;
    }
    let rec = u64::try_from(recording).ok()?;
    i64::try_from(rec.checked_mul(1 << SEQ_BITS)?.checked_add(seq)?).ok()
}

/// The key range `[first, last]` of a recording's frames.
fn key_range(recording: i64) -> StoreResult<(i64, i64)> {
    match (key(recording, 0), key(recording, MAX_SEQ)) {
        (Some(a), Some(b)) => Ok((a, b)),
        _ => Err(StoreError::NotFound(format!(
            "recording {recording} does not exist"
        ))),
    }
}

const INSERT_FRAME: &str = "INSERT OR IGNORE INTO recorded_frames (id, recv_ms, conn, symbol, \
                            kind, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

/// Inserts frames on the writer connection; returns how many rows were written.
pub(crate) fn insert_frames(
    conn: &Connection,
    frames: &[RecordedFrame],
) -> rusqlite::Result<usize> {
    let mut stmt = conn.prepare_cached(INSERT_FRAME)?;
    let mut n = 0;
    for f in frames {
        let Some(id) = key(f.recording, f.seq) else {
            tracing::warn!(
                recording = f.recording,
                seq = f.seq,
                "frame key out of range; skipped"
            );
            continue;
        };
        n += stmt.execute(params![
            id,
            f.recv_ms,
            i64::try_from(f.conn).unwrap_or(i64::MAX),
            f.symbol.as_str(),
            f.kind.as_str(),
            f.body
        ])?;
    }
    Ok(n)
}

fn list(text: &str) -> Vec<&str> {
    text.split(',').filter(|s| !s.is_empty()).collect()
}

fn recording_from_row(r: &Row<'_>) -> rusqlite::Result<Recording> {
    let symbols: String = r.get(2)?;
    let streams: String = r.get(3)?;
    let symbols = list(&symbols)
        .into_iter()
        .map(Symbol::new)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, Box::new(e))
        })?;
    Ok(Recording {
        id: r.get(0)?,
        venue: r.get(1)?,
        symbols,
        streams: list(&streams).into_iter().map(String::from).collect(),
        ws_url: r.get(4)?,
        rest_url: r.get(5)?,
        started_at: r.get(6)?,
        ended_at: r.get(7)?,
        frames: u64::try_from(r.get::<_, i64>(8)?).unwrap_or(0),
    })
}

fn frame_from_row(r: &Row<'_>) -> rusqlite::Result<RecordedFrame> {
    let id: i64 = r.get(0)?;
    let kind: String = r.get(4)?;
    let kind = kind.parse::<FrameKind>().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(4, rusqlite::types::Type::Text, e.into())
    })?;
    Ok(RecordedFrame {
        recording: id >> SEQ_BITS,
        seq: u64::try_from(id).unwrap_or(0) & MAX_SEQ,
        recv_ms: r.get(1)?,
        conn: u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
        symbol: r.get(3)?,
        kind,
        body: r.get(5)?,
    })
}

const RECORDING_COLS: &str =
    "id, venue, symbols, streams, ws_url, rest_url, started_at, ended_at, frames";

impl Store {
    /// Registers a new recording; resolves to its id once committed.
    pub fn start_recording(&self, r: &NewRecording) -> Pending<i64> {
        let r = r.clone();
        self.write(move |c| {
            let symbols: Vec<&str> = r.symbols.iter().map(Symbol::as_str).collect();
            c.prepare_cached(
                "INSERT INTO recordings (venue, symbols, streams, ws_url, rest_url, started_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                r.venue,
                symbols.join(","),
                r.streams.join(","),
                r.ws_url,
                r.rest_url,
                r.started_at
            ])?;
            Ok(c.last_insert_rowid())
        })
    }

    /// Queues recorded frames (batched into large transactions; returns at once).
    pub fn record_frames(&self, frames: Vec<RecordedFrame>) {
        if !frames.is_empty() {
            self.send(Op::Frames(frames));
        }
    }

    /// Marks a recording as ended with its frame count, after every frame queued before this
    /// call has been committed.
    pub async fn finish_recording(
        &self,
        id: i64,
        ended_at: TimeMs,
        frames: u64,
    ) -> StoreResult<()> {
        self.flush().await?;
        self.write(move |c| {
            c.execute(
                "UPDATE recordings SET ended_at = ?2, frames = ?3 WHERE id = ?1",
                params![id, ended_at, i64::try_from(frames).unwrap_or(i64::MAX)],
            )?;
            Ok(())
        })
        .await
    }

    /// Every recording, newest first.
    pub fn recordings(&self) -> StoreResult<Vec<Recording>> {
        self.read(|c| {
            let sql = format!("SELECT {RECORDING_COLS} FROM recordings ORDER BY id DESC");
            let mut stmt = c.prepare_cached(&sql)?;
            let rows = stmt.query_map([], recording_from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// One recording.
    pub fn recording(&self, id: i64) -> StoreResult<Option<Recording>> {
        self.read(|c| {
            let sql = format!("SELECT {RECORDING_COLS} FROM recordings WHERE id = ?1");
            Ok(c.prepare_cached(&sql)?
                .query_row([id], recording_from_row)
                .optional()?)
        })
    }

    /// Up to `limit` frames of a recording with a sequence number of at least `from_seq`, in
    /// receive order.
    pub fn recorded_frames(
        &self,
        recording: i64,
        from_seq: u64,
        limit: usize,
    ) -> StoreResult<Vec<RecordedFrame>> {
        let (first, last) = key_range(recording)?;
        let from = key(recording, from_seq.min(MAX_SEQ)).unwrap_or(first);
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, recv_ms, conn, symbol, kind, body FROM recorded_frames \
                 WHERE id >= ?1 AND id <= ?2 ORDER BY id LIMIT ?3",
            )?;
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let rows = stmt.query_map(params![from.max(first), last, limit], frame_from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Number of frames stored for a recording (counts rows: for tests and summaries).
    pub fn recorded_frame_count(&self, recording: i64) -> StoreResult<u64> {
        let (first, last) = key_range(recording)?;
        self.read(|c| {
            let n: i64 = c.query_row(
                "SELECT count(*) FROM recorded_frames WHERE id >= ?1 AND id <= ?2",
                params![first, last],
                |r| r.get(0),
            )?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_keep_recordings_apart_and_in_order() {
        assert_eq!(key(1, 0), Some(1 << 40));
        assert!(key(1, MAX_SEQ) < key(2, 0));
        assert_eq!(key(1, MAX_SEQ + 1), None);
        assert_eq!(key(-1, 0), None);
        assert_eq!(key(1 << 23, 0), None);
    }
}
