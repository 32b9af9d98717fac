//! Market data in the store: instruments, cached candles and the optional trade tape.

use super::Store;
use super::codec::Dec;
use super::error::StoreResult;
use super::writer::Op;
use crate::domain::{
    Candle, Instrument, Interval, Price, Qty, Side, Symbol, TimeMs, Trade, VenueId,
};
use rusqlite::{Connection, Row, params};

const INSERT_TRADE: &str = "INSERT OR IGNORE INTO trades (venue, symbol, trade_id, price, qty, \
                            taker_side, time) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

/// Inserts trades on the writer connection; returns how many rows were written.
pub(crate) fn insert_trades(
    conn: &Connection,
    venue: VenueId,
    trades: &[Trade],
) -> rusqlite::Result<usize> {
    let mut stmt = conn.prepare_cached(INSERT_TRADE)?;
    let mut n = 0;
    for t in trades {
        let Ok(id) = i64::try_from(t.id) else {
            tracing::warn!(id = t.id, "trade id does not fit the tape; skipped");
            continue;
        };
        stmt.execute(params![
            venue,
            t.symbol.as_str(),
            id,
            t.price,
            t.qty,
            t.taker_side,
            t.time
        ])?;
        n += 1;
    }
    Ok(n)
}

/// Inserts or replaces candles of one series.
pub(crate) fn upsert_candles(
    conn: &Connection,
    venue: VenueId,
    symbol: &Symbol,
    interval: Interval,
    candles: &[Candle],
) -> rusqlite::Result<usize> {
    let mut stmt = conn.prepare_cached(
        "INSERT OR REPLACE INTO candles (venue, symbol, interval, open_time, open, high, low, \
         close, volume, quote_volume, trades, closed) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?;
    for c in candles {
        stmt.execute(params![
            venue,
            symbol,
            interval,
            c.open_time,
            c.open,
            c.high,
            c.low,
            c.close,
            c.volume,
            Dec(c.quote_volume),
            i64::try_from(c.trades).unwrap_or(i64::MAX),
            c.closed
        ])?;
    }
    Ok(candles.len())
}

/// Inserts or replaces instruments.
pub(crate) fn upsert_instruments(
    conn: &Connection,
    list: &[Instrument],
) -> rusqlite::Result<usize> {
    let mut stmt = conn.prepare_cached(
        "INSERT OR REPLACE INTO instruments (venue, symbol, base, quote, tick_size, min_price, \
         max_price, step_size, min_qty, max_qty, min_notional, max_notional, trading, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?;
    let now = crate::domain::now_ms();
    for i in list {
        stmt.execute(params![
            i.venue,
            i.symbol,
            i.base,
            i.quote,
            i.tick_size,
            i.min_price,
            i.max_price,
            i.step_size,
            i.min_qty,
            i.max_qty,
            Dec(i.min_notional),
            i.max_notional.map(Dec),
            i.trading,
            now
        ])?;
    }
    Ok(list.len())
}

fn candle_from_row(r: &Row<'_>) -> rusqlite::Result<Candle> {
    Ok(Candle {
        open_time: r.get(0)?,
        open: r.get(1)?,
        high: r.get(2)?,
        low: r.get(3)?,
        close: r.get(4)?,
        volume: r.get(5)?,
        quote_volume: r.get::<_, Dec>(6)?.0,
        trades: u64::try_from(r.get::<_, i64>(7)?).unwrap_or(0),
        closed: r.get(8)?,
    })
}

fn instrument_from_row(r: &Row<'_>) -> rusqlite::Result<Instrument> {
    Ok(Instrument {
        venue: r.get(0)?,
        symbol: r.get(1)?,
        base: r.get(2)?,
        quote: r.get(3)?,
        tick_size: r.get(4)?,
        min_price: r.get(5)?,
        max_price: r.get(6)?,
        step_size: r.get(7)?,
        min_qty: r.get(8)?,
        max_qty: r.get(9)?,
        min_notional: r.get::<_, Dec>(10)?.0,
        max_notional: r.get::<_, Option<Dec>>(11)?.map(|d| d.0),
        trading: r.get(12)?,
    })
}

const INSTRUMENT_COLS: &str = "venue, symbol, base, quote, tick_size, min_price, max_price, \
                               step_size, min_qty, max_qty, min_notional, max_notional, trading";

impl Store {
    /// Queues public trades for the tape (batched; returns at once).
    pub fn record_trades(&self, venue: VenueId, trades: Vec<Trade>) {
        if !trades.is_empty() {
            self.send(Op::Trades(venue, trades));
        }
    }

    /// Queues candles for the chart cache (insert or replace by venue, symbol, interval, open
    /// time; batched; returns at once).
    pub fn save_candles(
        &self,
        venue: VenueId,
        symbol: Symbol,
        interval: Interval,
        candles: Vec<Candle>,
    ) {
        if !candles.is_empty() {
            self.send(Op::Candles(venue, symbol, interval, candles));
        }
    }

    /// Queues instruments (insert or replace; batched; returns at once).
    pub fn save_instruments(&self, list: Vec<Instrument>) {
        if !list.is_empty() {
            self.send(Op::Instruments(list));
        }
    }

    /// The newest `limit` cached candles at or after `since`, oldest first.
    pub fn candles(
        &self,
        venue: VenueId,
        symbol: &Symbol,
        interval: Interval,
        since: Option<TimeMs>,
        limit: usize,
    ) -> StoreResult<Vec<Candle>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT open_time, open, high, low, close, volume, quote_volume, trades, closed \
                 FROM candles WHERE venue = ?1 AND symbol = ?2 AND interval = ?3 \
                 AND open_time >= ?4 ORDER BY open_time DESC LIMIT ?5",
            )?;
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let rows = stmt.query_map(
                params![venue, symbol, interval, since.unwrap_or(i64::MIN), limit],
                candle_from_row,
            )?;
            let mut out = rows.collect::<rusqlite::Result<Vec<_>>>()?;
            out.reverse();
            Ok(out)
        })
    }

    /// Recorded trades of one symbol in `[from, to)`, by time, at most `limit`.
    pub fn trades(
        &self,
        venue: VenueId,
        symbol: &Symbol,
        from: TimeMs,
        to: TimeMs,
        limit: usize,
    ) -> StoreResult<Vec<Trade>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT symbol, trade_id, price, qty, taker_side, time FROM trades \
                 WHERE venue = ?1 AND symbol = ?2 AND time >= ?3 AND time < ?4 \
                 ORDER BY time, trade_id LIMIT ?5",
            )?;
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let rows = stmt.query_map(params![venue, symbol, from, to, limit], |r| {
                Ok(Trade {
                    symbol: r.get(0)?,
                    id: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
                    price: r.get::<_, Price>(2)?,
                    qty: r.get::<_, Qty>(3)?,
                    taker_side: r.get::<_, Side>(4)?,
                    time: r.get(5)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Number of recorded trades (counts every row: for diagnostics and tests).
    pub fn trade_count(&self) -> StoreResult<u64> {
        self.read(|c| {
            let n: i64 = c.query_row("SELECT count(*) FROM trades", [], |r| r.get(0))?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
    }

    /// Stored instruments, for one venue or all.
    pub fn instruments(&self, venue: Option<VenueId>) -> StoreResult<Vec<Instrument>> {
        self.read(|c| {
            let sql = format!(
                "SELECT {INSTRUMENT_COLS} FROM instruments WHERE ?1 IS NULL OR venue = ?1 \
                 ORDER BY venue, symbol"
            );
            let mut stmt = c.prepare_cached(&sql)?;
            let rows = stmt.query_map([venue], instrument_from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// One stored instrument.
    pub fn instrument(&self, venue: VenueId, symbol: &Symbol) -> StoreResult<Option<Instrument>> {
        self.read(|c| {
            let sql = format!(
                "SELECT {INSTRUMENT_COLS} FROM instruments WHERE venue = ?1 AND symbol = ?2"
            );
            let mut stmt = c.prepare_cached(&sql)?;
            let mut rows = stmt.query_map(params![venue, symbol], instrument_from_row)?;
            Ok(rows.next().transpose()?)
        })
    }
}
