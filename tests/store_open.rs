//! Opening the history file: creation mode, migrations from every earlier version, and the
//! files that must be refused without being touched (damaged, foreign, newer).

#![allow(clippy::unwrap_used)] // test helpers: a failed setup should panic loudly

use rusqlite::Connection;
use speedtrade::domain::{Symbol, VenueId};
use speedtrade::store::schema::{self, LATEST_VERSION, MIGRATIONS};
use speedtrade::store::{Store, StoreError};
use std::path::Path;

fn schema_of(path: &Path) -> Vec<(String, String)> {
    let c = Connection::open(path).unwrap();
    let mut stmt = c
        .prepare("SELECT name, coalesce(sql, '') FROM sqlite_schema ORDER BY name")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn version_of(path: &Path) -> i64 {
    let c = Connection::open(path).unwrap();
    c.query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap()
}

#[cfg(unix)]
#[test]
fn new_file_and_its_wal_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let path = data.join("speedtrade.sqlite3");
    let store = Store::open(&path).unwrap();
    store.set_setting("theme", "dark").wait().unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&path), 0o600);
    for ext in ["sqlite3-wal", "sqlite3-shm"] {
        let p = path.with_extension(ext);
        assert!(p.exists(), "{ext} missing: not in WAL mode?");
        assert_eq!(mode(&p), 0o600, "{ext}");
    }
    assert_eq!(store.setting("theme").unwrap().as_deref(), Some("dark"));
}

#[cfg(unix)]
#[test]
fn an_existing_file_readable_by_others_is_made_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.sqlite3");
    drop(Store::open(&path).unwrap());
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    drop(Store::open(&path).unwrap());
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn migrates_from_empty_and_from_every_earlier_version() {
    let dir = tempfile::tempdir().unwrap();
    let fresh = dir.path().join("fresh.sqlite3");
    drop(Store::open(&fresh).unwrap());
    assert_eq!(version_of(&fresh), LATEST_VERSION);
    let want = schema_of(&fresh);
    assert!(
        MIGRATIONS
            .windows(2)
            .all(|w| w[1].version == w[0].version + 1)
    );

    for from in 0..LATEST_VERSION {
        let path = dir.path().join(format!("v{from}.sqlite3"));
        let c = Connection::open(&path).unwrap();
        schema::migrate_to(&c, from).unwrap();
        if from >= 1 {
            c.execute(
                "INSERT INTO settings (key, value, updated_at) VALUES ('kept', 'yes', 1)",
                [],
            )
            .unwrap();
        }
        drop(c);
        assert_eq!(version_of(&path), from);
        let store = Store::open(&path).unwrap();
        if from >= 1 {
            assert_eq!(store.setting("kept").unwrap().as_deref(), Some("yes"));
        }
        drop(store);
        assert_eq!(version_of(&path), LATEST_VERSION, "from v{from}");
        assert_eq!(
            schema_of(&path),
            want,
            "schema after migrating from v{from}"
        );
    }
}

#[test]
fn an_empty_file_is_initialised() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.sqlite3");
    std::fs::write(&path, b"").unwrap();
    let store = Store::open(&path).unwrap();
    let id = store.create_watchlist("main").wait().unwrap();
    let sym = Symbol::new("AAPL").unwrap();
    store
        .add_to_watchlist(id, VenueId::Alpaca, &sym)
        .wait()
        .unwrap();
    assert_eq!(
        store.watchlists().unwrap()[0].items,
        vec![(VenueId::Alpaca, sym)]
    );
}

/// Opens `path`, expects an error, and checks the file's bytes did not change.
fn refused_untouched(path: &Path) -> StoreError {
    let before = std::fs::read(path).unwrap();
    let err = Store::open(path).unwrap_err();
    assert_eq!(std::fs::read(path).unwrap(), before, "file was modified");
    err
}

#[test]
fn a_newer_file_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("newer.sqlite3");
    Store::open(&path).unwrap().close().unwrap();
    let c = Connection::open(&path).unwrap();
    c.execute_batch(&format!("PRAGMA user_version = {}", LATEST_VERSION + 1))
        .unwrap();
    drop(c);
    let err = refused_untouched(&path);
    assert!(
        matches!(err, StoreError::NewerVersion { found, .. } if found == LATEST_VERSION + 1),
        "{err:?}"
    );
    assert!(err.to_string().contains("upgrade speedtrade"), "{err}");
}

#[test]
fn a_file_that_is_not_sqlite_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("garbage.sqlite3");
    let junk: Vec<u8> = (0..8192u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&path, &junk).unwrap();
    let err = refused_untouched(&path);
    assert!(matches!(err, StoreError::Damaged { .. }), "{err:?}");
    assert!(err.to_string().contains("left untouched"), "{err}");

    std::fs::write(&path, b"SQLite").unwrap();
    assert!(matches!(
        refused_untouched(&path),
        StoreError::Damaged { .. }
    ));
}

#[test]
fn a_damaged_schema_page_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("damaged.sqlite3");
    Store::open(&path).unwrap().close().unwrap();
    // Checkpointed and closed: everything is in the main file. Scribble over page 1's
    // schema records (after the 100-byte header) but keep the magic.
    let mut bytes = std::fs::read(&path).unwrap();
    for b in &mut bytes[100..4096] {
        *b = 0xA5;
    }
    std::fs::write(&path, &bytes).unwrap();
    let err = refused_untouched(&path);
    assert!(matches!(err, StoreError::Damaged { .. }), "{err:?}");
}

#[test]
fn a_foreign_sqlite_file_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other-app.sqlite3");
    let c = Connection::open(&path).unwrap();
    c.execute_batch("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine');")
        .unwrap();
    drop(c);
    let err = refused_untouched(&path);
    assert!(matches!(err, StoreError::Foreign { .. }), "{err:?}");
}

#[test]
fn a_missing_table_at_the_latest_version_is_reported_as_damage() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("partial.sqlite3");
    Store::open(&path).unwrap().close().unwrap();
    let c = Connection::open(&path).unwrap();
    c.execute_batch("DROP TABLE alert_events").unwrap();
    drop(c);
    let err = refused_untouched(&path);
    assert!(err.to_string().contains("alert_events"), "{err}");
}

/// Builds a large history file (1 GB by default; `SPEEDTRADE_BIG_ROWS` trades) and reports how
/// long opening it takes, with the order manager's start-up read of open orders. Run with
/// `cargo test --test store_open -- --ignored --nocapture`; the figure goes to the report.
#[test]
#[ignore = "builds a 1 GB file; run by hand for the start-up figure"]
fn opening_a_large_file_is_fast() {
    let rows: u64 = std::env::var("SPEEDTRADE_BIG_ROWS").map_or(15_000_000, |v| v.parse().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.sqlite3");
    Store::open(&path).unwrap().close().unwrap();
    let c = Connection::open(&path).unwrap();
    c.execute_batch("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;")
        .unwrap();
    c.execute_batch(&format!(
        "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n LIMIT {rows}) \
         INSERT INTO trades SELECT 'binance', CASE x % 4 WHEN 0 THEN 'BTCUSDT' WHEN 1 THEN \
         'ETHUSDT' WHEN 2 THEN 'SOLUSDT' ELSE 'BNBUSDT' END, 1700000000000 + x, x, \
         '43250.' || (x % 100), '0.00' || (x % 1000), 'buy' FROM n;
         WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n LIMIT 100000) \
         INSERT INTO orders SELECT 'st-big-' || x, 'binance', 'BTCUSDT', 'buy', 'limit', 'base', \
         '0.01', '43000', NULL, 'gtc', NULL, CASE WHEN x % 10000 = 0 THEN 'new' ELSE 'filled' END, \
         '0', '0', NULL, x, x FROM n;"
    ))
    .unwrap();
    c.execute_batch("PRAGMA journal_mode = WAL;").unwrap();
    drop(c);
    let size = std::fs::metadata(&path).unwrap().len();
    let start = std::time::Instant::now();
    let store = Store::open(&path).unwrap();
    let opened = start.elapsed();
    let m = speedtrade::orders::OrderManager::new(store, Default::default()).unwrap();
    let total = start.elapsed();
    assert_eq!(m.open_orders().len(), 10);
    eprintln!(
        "start-up with a {:.2} GB file: Store::open {:?}, + OrderManager::new (open orders) {:?}",
        size as f64 / 1e9,
        opened,
        total
    );
}
