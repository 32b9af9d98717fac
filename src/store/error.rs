//! Errors of the SQLite store, worded for the user who has to act on them.

use std::path::PathBuf;

/// Why the store could not open, read or write.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file is not a SQLite database, or its contents are damaged. It was left untouched.
    #[error(
        "the history file {path} is damaged ({detail}); it was left untouched: move it aside \
         (or restore a backup) and start again"
    )]
    Damaged {
        /// The database file.
        path: PathBuf,
        /// What SQLite or the schema check reported.
        detail: String,
    },
    /// The file is a SQLite database, but not one speedtrade made.
    #[error(
        "{path} is a SQLite database that speedtrade did not create; it was left untouched: \
         choose another data directory"
    )]
    Foreign {
        /// The database file.
        path: PathBuf,
    },
    /// The file was written by a newer speedtrade. It was left untouched.
    #[error(
        "the history file {path} was written by a newer speedtrade (schema version {found}, this \
         build knows up to {supported}); it was left untouched: upgrade speedtrade"
    )]
    NewerVersion {
        /// The database file.
        path: PathBuf,
        /// The file's `user_version`.
        found: i64,
        /// The newest version this build can read.
        supported: i64,
    },
    /// A filesystem operation failed (creating the data directory, permissions).
    #[error("{what} {path}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// SQLite reported an error.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A stored value could not be read back (e.g. a price that is not a decimal).
    #[error("bad value in {table}.{column}: {detail}")]
    Decode {
        /// Table.
        table: &'static str,
        /// Column.
        column: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// A transaction could not be committed (disk full, I/O error); its writes are lost.
    #[error("could not save to the history file: {0}")]
    Commit(String),
    /// The writer thread stopped (after a fatal error or at shutdown); nothing more is written.
    #[error("the history writer has stopped: {0}")]
    WriterStopped(String),
    /// A caller asked for something that is not there.
    #[error("{0}")]
    NotFound(String),
}

impl StoreError {
    /// `true` when SQLite says the file is corrupt or not a database.
    pub fn is_damage(err: &rusqlite::Error) -> bool {
        use rusqlite::ErrorCode;
        matches!(
            err.sqlite_error_code(),
            Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase)
        )
    }
}

/// Result alias for store operations.
pub type StoreResult<T> = Result<T, StoreError>;
