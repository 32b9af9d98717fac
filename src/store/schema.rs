//! Schema migrations, keyed by SQLite's `user_version`: one step per version, applied in order,
//! each in its own transaction.
//!
//! Rules for future steps: never edit a shipped step; append a new [`Migration`] whose `version`
//! is the previous one plus one; the migration tests then cover it from every earlier version.
//! Prices, quantities and money are exact decimal TEXT (never REAL); times are integer
//! milliseconds since the Unix epoch (UTC).

use super::error::{StoreError, StoreResult};
use rusqlite::Connection;

/// `PRAGMA application_id` of a speedtrade database (`"STRD"`), so a foreign SQLite file is
/// recognised and never migrated.
pub const APPLICATION_ID: i64 = 0x5354_5244;

/// One schema step.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// The `user_version` after this step.
    pub version: i64,
    /// What the step does, for logs.
    pub name: &'static str,
    /// The SQL it runs.
    pub sql: &'static str,
}

/// Every step, oldest first. The newest version is the last entry's.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial schema",
        sql: V1,
    },
    Migration {
        version: 2,
        name: "market data recordings",
        sql: V2,
    },
];

/// The schema version this build writes.
pub const LATEST_VERSION: i64 = MIGRATIONS[MIGRATIONS.len() - 1].version;

/// Tables every current database has (checked on open; cheap, reads only the schema page).
pub const TABLES: &[&str] = &[
    "settings",
    "instruments",
    "candles",
    "trades",
    "orders",
    "order_events",
    "fills",
    "position_snapshots",
    "portfolio_history",
    "watchlists",
    "watchlist_items",
    "alerts",
    "alert_events",
    "recordings",
    "recorded_frames",
];

const V1: &str = r#"
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE instruments (
    venue        TEXT NOT NULL,
    symbol       TEXT NOT NULL,
    base         TEXT NOT NULL,
    quote        TEXT NOT NULL,
    tick_size    TEXT NOT NULL,
    min_price    TEXT NOT NULL,
    max_price    TEXT NOT NULL,
    step_size    TEXT NOT NULL,
    min_qty      TEXT NOT NULL,
    max_qty      TEXT NOT NULL,
    min_notional TEXT NOT NULL,
    max_notional TEXT,
    trading      INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (venue, symbol)
) WITHOUT ROWID;

CREATE TABLE candles (
    venue        TEXT NOT NULL,
    symbol       TEXT NOT NULL,
    interval     TEXT NOT NULL,
    open_time    INTEGER NOT NULL,
    open         TEXT NOT NULL,
    high         TEXT NOT NULL,
    low          TEXT NOT NULL,
    close        TEXT NOT NULL,
    volume       TEXT NOT NULL,
    quote_volume TEXT NOT NULL,
    trades       INTEGER NOT NULL,
    closed       INTEGER NOT NULL,
    PRIMARY KEY (venue, symbol, interval, open_time)
) WITHOUT ROWID;

-- Optional tape recording. One B-tree keyed for replay (by symbol and time); a trade seen
-- twice (e.g. after a reconnect) is stored once.
CREATE TABLE trades (
    venue      TEXT NOT NULL,
    symbol     TEXT NOT NULL,
    time       INTEGER NOT NULL,
    trade_id   INTEGER NOT NULL,
    price      TEXT NOT NULL,
    qty        TEXT NOT NULL,
    taker_side TEXT NOT NULL,
    PRIMARY KEY (venue, symbol, time, trade_id)
) WITHOUT ROWID;

-- The order journal: one row per order, written before the order is sent. `profile` names
-- the account / endpoint the order went to (e.g. binance-live, binance-testnet, sim,
-- alpaca-paper): orders are reconciled only against a broker of the same profile.
CREATE TABLE orders (
    client_order_id TEXT PRIMARY KEY,
    venue           TEXT NOT NULL,
    profile         TEXT NOT NULL,
    symbol          TEXT NOT NULL,
    side            TEXT NOT NULL,
    order_type      TEXT NOT NULL,
    amount_unit     TEXT NOT NULL CHECK (amount_unit IN ('base', 'quote')),
    amount          TEXT NOT NULL,
    price           TEXT,
    stop_price      TEXT,
    tif             TEXT NOT NULL,
    venue_order_id  TEXT,
    status          TEXT NOT NULL,
    filled_qty      TEXT NOT NULL,
    filled_quote    TEXT NOT NULL,
    reject_reason   TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX orders_open ON orders (venue, profile, status)
    WHERE status NOT IN ('filled', 'canceled', 'rejected', 'expired');
CREATE INDEX orders_by_created ON orders (created_at);

-- Audit trail: every status change, fill, retry, error and ignored transition.
CREATE TABLE order_events (
    id              INTEGER PRIMARY KEY,
    client_order_id TEXT NOT NULL REFERENCES orders (client_order_id),
    time            INTEGER NOT NULL,
    kind            TEXT NOT NULL,
    status          TEXT,
    detail          TEXT
);
CREATE INDEX order_events_by_order ON order_events (client_order_id, id);

-- Executions, deduplicated by the venue's trade id.
CREATE TABLE fills (
    venue           TEXT NOT NULL,
    symbol          TEXT NOT NULL,
    trade_id        TEXT NOT NULL,
    client_order_id TEXT NOT NULL,
    side            TEXT NOT NULL,
    price           TEXT NOT NULL,
    qty             TEXT NOT NULL,
    fee             TEXT NOT NULL,
    fee_asset       TEXT NOT NULL,
    is_maker        INTEGER NOT NULL,
    time            INTEGER NOT NULL,
    PRIMARY KEY (venue, symbol, trade_id)
) WITHOUT ROWID;
CREATE INDEX fills_by_order ON fills (client_order_id);
CREATE INDEX fills_by_time ON fills (time);

CREATE TABLE position_snapshots (
    id             INTEGER PRIMARY KEY,
    time           INTEGER NOT NULL,
    venue          TEXT NOT NULL,
    symbol         TEXT NOT NULL,
    qty            TEXT NOT NULL,
    avg_cost       TEXT NOT NULL,
    last_price     TEXT,
    market_value   TEXT,
    unrealized_pnl TEXT,
    realized_pnl   TEXT,
    source         TEXT NOT NULL
);
CREATE INDEX position_snapshots_by_time ON position_snapshots (time);

-- Equity curve: one row per scope ('all' or a venue), kind ('minute' / 'daily') and time.
CREATE TABLE portfolio_history (
    scope          TEXT NOT NULL,
    kind           TEXT NOT NULL,
    time           INTEGER NOT NULL,
    cash           TEXT NOT NULL,
    equity         TEXT NOT NULL,
    realized_pnl   TEXT NOT NULL,
    unrealized_pnl TEXT NOT NULL,
    PRIMARY KEY (scope, kind, time)
) WITHOUT ROWID;

CREATE TABLE watchlists (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    position   INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE watchlist_items (
    watchlist_id INTEGER NOT NULL REFERENCES watchlists (id) ON DELETE CASCADE,
    venue        TEXT NOT NULL,
    symbol       TEXT NOT NULL,
    position     INTEGER NOT NULL,
    added_at     INTEGER NOT NULL,
    PRIMARY KEY (watchlist_id, venue, symbol)
) WITHOUT ROWID;

CREATE TABLE alerts (
    id                INTEGER PRIMARY KEY,
    venue             TEXT NOT NULL,
    symbol            TEXT NOT NULL,
    kind              TEXT NOT NULL CHECK (kind IN ('above', 'below', 'crossing', 'move_pct')),
    threshold         TEXT NOT NULL,
    window_ms         INTEGER,
    repeat            INTEGER NOT NULL,
    cooldown_ms       INTEGER NOT NULL DEFAULT 0,
    state             TEXT NOT NULL CHECK (state IN ('armed', 'triggered', 'disabled')),
    note              TEXT,
    last_price        TEXT,
    trigger_count     INTEGER NOT NULL DEFAULT 0,
    last_triggered_at INTEGER,
    created_at        INTEGER NOT NULL
);
CREATE INDEX alerts_by_symbol ON alerts (venue, symbol);

CREATE TABLE alert_events (
    id       INTEGER PRIMARY KEY,
    alert_id INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    time     INTEGER NOT NULL,
    price    TEXT NOT NULL,
    message  TEXT NOT NULL
);
CREATE INDEX alert_events_by_time ON alert_events (time);
"#;

/// Recordings for `speedtrade record` / `speedtrade replay`: raw stream frames and REST depth
/// snapshots exactly as received, in receive order.
const V2: &str = r#"
CREATE TABLE recordings (
    id         INTEGER PRIMARY KEY,
    venue      TEXT NOT NULL,
    symbols    TEXT NOT NULL,
    streams    TEXT NOT NULL,
    ws_url     TEXT NOT NULL,
    rest_url   TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    ended_at   INTEGER,
    frames     INTEGER NOT NULL DEFAULT 0
);

-- One row per recorded frame. `id` = recording id * 2^40 + sequence number, so each
-- recording is one contiguous, ordered range of the table's own key: appends stay at the end
-- of the B-tree and replay reads a range scan, with no second index to maintain.
-- `kind` is 'trade' or 'depth' (a stream text frame) or 'snapshot' (a REST depth body);
-- `conn` counts stream connections (a new one after every reconnect).
CREATE TABLE recorded_frames (
    id      INTEGER PRIMARY KEY,
    recv_ms INTEGER NOT NULL,
    conn    INTEGER NOT NULL,
    symbol  TEXT NOT NULL,
    kind    TEXT NOT NULL,
    body    TEXT NOT NULL
);
"#;

/// Reads `user_version`.
pub fn user_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

/// Applies every step above the file's version up to `target`, each in its own transaction.
pub fn migrate_to(conn: &Connection, target: i64) -> StoreResult<()> {
    let current = user_version(conn)?;
    for step in MIGRATIONS
        .iter()
        .filter(|m| m.version > current && m.version <= target)
    {
        tracing::info!(
            version = step.version,
            name = step.name,
            "migrating the history file"
        );
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let applied = conn.execute_batch(step.sql).and_then(|()| {
            conn.execute_batch(&format!(
                "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {};",
                step.version
            ))
        });
        match applied {
            Ok(()) => conn.execute_batch("COMMIT")?,
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                return Err(StoreError::Sqlite(e));
            }
        }
    }
    Ok(())
}

/// Names of the tables in the file (reads only `sqlite_schema`).
pub fn table_names(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'")?;
    let names = stmt.query_map([], |r| r.get(0))?;
    names.collect()
}
