//! Opening the history file safely: create it private (0600), refuse damaged, foreign or newer
//! files without writing to them, migrate, and set the connection pragmas. Only the schema page
//! is read, so opening stays fast however large the file is.

use super::error::{StoreError, StoreResult};
use super::schema::{self, APPLICATION_ID, LATEST_VERSION, TABLES};
use rusqlite::{Connection, OpenFlags};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The first 16 bytes of every SQLite 3 database file.
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

fn io_err(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> StoreError {
    let path = path.to_path_buf();
    move |source| StoreError::Io { what, path, source }
}

fn damaged(path: &Path, detail: impl Into<String>) -> StoreError {
    StoreError::Damaged {
        path: path.to_path_buf(),
        detail: detail.into(),
    }
}

/// Maps SQLite's "corrupt" / "not a database" to [`StoreError::Damaged`].
pub(crate) fn classify(path: &Path, e: rusqlite::Error) -> StoreError {
    if StoreError::is_damage(&e) {
        damaged(path, e.to_string())
    } else {
        StoreError::Sqlite(e)
    }
}

/// Creates the data directory (0700) and the file (0600) if missing, tightens the mode of an
/// existing file, and checks an existing file's header without changing it.
pub(crate) fn prepare_file(path: &Path) -> StoreResult<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_private_dir(dir)?;
    }
    match std::fs::File::open(path) {
        Ok(mut f) => {
            let mut head = [0u8; 16];
            let n = read_up_to(&mut f, &mut head).map_err(io_err("reading", path))?;
            if n > 0 && (n < head.len() || &head != SQLITE_MAGIC) {
                return Err(damaged(path, "not a SQLite database (bad header)"));
            }
            restrict_mode(path)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create_private_file(path),
        Err(e) => Err(io_err("opening", path)(e)),
    }
}

fn read_up_to(f: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> StoreResult<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(io_err("creating the data directory", dir))
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> StoreResult<()> {
    std::fs::create_dir_all(dir).map_err(io_err("creating the data directory", dir))
}

#[cfg(unix)]
fn create_private_file(path: &Path) -> StoreResult<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let created = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path);
    match created {
        Ok(_) => Ok(()),
        // Another process created it between our check and now: fine, check it.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => restrict_mode(path),
        Err(e) => Err(io_err("creating", path)(e)),
    }
}

#[cfg(not(unix))]
fn create_private_file(path: &Path) -> StoreResult<()> {
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map(|_| ())
        .map_err(io_err("creating", path))
}

/// Makes the file readable by its owner only (SQLite gives the WAL and shm files the same
/// mode as the database file).
#[cfg(unix)]
fn restrict_mode(path: &Path) -> StoreResult<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).map_err(io_err("reading the mode of", path))?;
    if meta.permissions().mode() & 0o077 != 0 {
        tracing::warn!(path = %path.display(), "history file was readable by others; now 0600");
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(io_err("restricting the mode of", path))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn restrict_mode(_path: &Path) -> StoreResult<()> {
    Ok(())
}

/// What a read-only look at the file found.
struct Header {
    version: i64,
    app_id: i64,
    tables: Vec<String>,
}

fn read_header(path: &Path) -> StoreResult<Header> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| classify(path, e))?;
    let read = || -> rusqlite::Result<Header> {
        Ok(Header {
            version: schema::user_version(&conn)?,
            app_id: conn.query_row("PRAGMA application_id", [], |r| r.get(0))?,
            tables: schema::table_names(&conn)?,
        })
    };
    read().map_err(|e| classify(path, e))
}

/// Refuses files this build must not write to, before anything is written.
fn check_header(path: &Path, h: &Header) -> StoreResult<()> {
    let foreign = || StoreError::Foreign {
        path: path.to_path_buf(),
    };
    if h.app_id != 0 && h.app_id != APPLICATION_ID {
        return Err(foreign());
    }
    if h.version == 0 && !h.tables.is_empty() {
        return Err(foreign());
    }
    if h.version > 0 && h.app_id != APPLICATION_ID {
        return Err(foreign());
    }
    if h.version > LATEST_VERSION {
        return Err(StoreError::NewerVersion {
            path: path.to_path_buf(),
            found: h.version,
            supported: LATEST_VERSION,
        });
    }
    if h.version == LATEST_VERSION {
        check_tables(path, &h.tables)?;
    }
    Ok(())
}

fn check_tables(path: &Path, tables: &[String]) -> StoreResult<()> {
    match TABLES
        .iter()
        .find(|t| !tables.iter().any(|have| have == *t))
    {
        Some(missing) => Err(damaged(
            path,
            format!("schema version {LATEST_VERSION} but table `{missing}` is missing"),
        )),
        None => Ok(()),
    }
}

/// Opens the writer connection: checks, WAL, pragmas, migrations up to the latest version.
pub(crate) fn open_writer(path: &Path, busy: Duration) -> StoreResult<Connection> {
    check_header(path, &read_header(path)?)?;
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| classify(path, e))?;
    conn.busy_timeout(busy)?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(|e| classify(path, e))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(
            mode,
            "history file is not in WAL mode (network filesystem?)"
        );
    }
    conn.execute_batch(&format!(
        "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
         PRAGMA journal_size_limit = 67108864; PRAGMA temp_store = MEMORY; \
         PRAGMA wal_autocheckpoint = {};",
        super::checkpoint::SAFETY_NET_PAGES
    ))?;
    conn.set_prepared_statement_cache_capacity(64);
    schema::migrate_to(&conn, LATEST_VERSION).map_err(|e| match e {
        StoreError::Sqlite(e) => classify(path, e),
        other => other,
    })?;
    check_tables(path, &schema::table_names(&conn)?)?;
    Ok(conn)
}

/// Opens the checkpointer's connection (read-write, used only for checkpoints).
pub(crate) fn open_checkpointer(path: &Path, busy: Duration) -> StoreResult<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| classify(path, e))?;
    conn.busy_timeout(busy)?;
    conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0;")?;
    Ok(conn)
}

/// Opens a read-only connection for queries.
pub(crate) fn open_reader(path: &Path, busy: Duration) -> StoreResult<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| classify(path, e))?;
    conn.busy_timeout(busy)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// The absolute form of `path` for messages (falls back to the path as given).
pub(crate) fn display_path(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}
