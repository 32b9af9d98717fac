//! Reading whole history tables for `speedtrade export`: the columns of each export and a
//! streaming row visitor that hands out every value exactly as stored (decimal TEXT untouched).

use super::Store;
use super::error::StoreError;
use crate::domain::TimeMs;
use rusqlite::types::ValueRef;

/// What can be exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExportTable {
    /// The order journal (`orders`), oldest first.
    Orders,
    /// Executions (`fills`), oldest first.
    Fills,
    /// Cached candles, by venue, symbol, interval and time.
    Candles,
    /// The equity curve (`portfolio_history`), oldest first.
    Portfolio,
}

/// How a column's values are to be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ColumnKind {
    /// Text (exact decimals included): written as stored.
    Text,
    /// An integer count.
    Int,
    /// 0 / 1, written as `false` / `true`.
    Bool,
    /// Milliseconds since the epoch (UTC).
    Time,
}

/// One exported column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportColumn {
    /// Column name (also the CSV header and JSON key).
    pub name: &'static str,
    /// How to write it.
    pub kind: ColumnKind,
}

/// One value as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell<'a> {
    /// SQL NULL (an optional field that is not set).
    Null,
    /// An INTEGER.
    Int(i64),
    /// A TEXT, byte for byte.
    Text(&'a str),
}

const fn col(name: &'static str, kind: ColumnKind) -> ExportColumn {
    ExportColumn { name, kind }
}

use ColumnKind::{Bool, Int, Text, Time};

const ORDERS: &[ExportColumn] = &[
    col("created_at", Time),
    col("client_order_id", Text),
    col("venue", Text),
    col("profile", Text),
    col("symbol", Text),
    col("side", Text),
    col("order_type", Text),
    col("amount_unit", Text),
    col("amount", Text),
    col("price", Text),
    col("stop_price", Text),
    col("tif", Text),
    col("status", Text),
    col("filled_qty", Text),
    col("filled_quote", Text),
    col("venue_order_id", Text),
    col("reject_reason", Text),
    col("updated_at", Time),
];

const FILLS: &[ExportColumn] = &[
    col("time", Time),
    col("venue", Text),
    col("symbol", Text),
    col("trade_id", Text),
    col("client_order_id", Text),
    col("side", Text),
    col("price", Text),
    col("qty", Text),
    col("fee", Text),
    col("fee_asset", Text),
    col("is_maker", Bool),
];

const CANDLES: &[ExportColumn] = &[
    col("venue", Text),
    col("symbol", Text),
    col("interval", Text),
    col("open_time", Time),
    col("open", Text),
    col("high", Text),
    col("low", Text),
    col("close", Text),
    col("volume", Text),
    col("quote_volume", Text),
    col("trades", Int),
    col("closed", Bool),
];

const PORTFOLIO: &[ExportColumn] = &[
    col("time", Time),
    col("scope", Text),
    col("kind", Text),
    col("cash", Text),
    col("equity", Text),
    col("realized_pnl", Text),
    col("unrealized_pnl", Text),
];

impl ExportTable {
    /// The columns written, in order.
    pub fn columns(self) -> &'static [ExportColumn] {
        match self {
            ExportTable::Orders => ORDERS,
            ExportTable::Fills => FILLS,
            ExportTable::Candles => CANDLES,
            ExportTable::Portfolio => PORTFOLIO,
        }
    }

    /// (table, time column the `since` filter applies to, ORDER BY).
    fn source(self) -> (&'static str, &'static str, &'static str) {
        match self {
            ExportTable::Orders => ("orders", "created_at", "created_at, rowid"),
            ExportTable::Fills => ("fills", "time", "time, venue, symbol, trade_id"),
            ExportTable::Candles => ("candles", "open_time", "venue, symbol, interval, open_time"),
            ExportTable::Portfolio => ("portfolio_history", "time", "time, scope, kind"),
        }
    }

    fn sql(self) -> String {
        let (table, time, order) = self.source();
        let cols: Vec<&str> = self.columns().iter().map(|c| c.name).collect();
        format!(
            "SELECT {} FROM {table} WHERE {time} >= ?1 ORDER BY {order}",
            cols.join(", ")
        )
    }
}

fn cell<'a>(
    table: ExportTable,
    column: &'static str,
    v: ValueRef<'a>,
) -> Result<Cell<'a>, StoreError> {
    let bad = |detail: String| StoreError::Decode {
        table: table.source().0,
        column,
        detail,
    };
    match v {
        ValueRef::Null => Ok(Cell::Null),
        ValueRef::Integer(i) => Ok(Cell::Int(i)),
        ValueRef::Text(t) => std::str::from_utf8(t)
            .map(Cell::Text)
            .map_err(|e| bad(format!("not UTF-8 text ({e})"))),
        ValueRef::Real(_) => Err(bad("a floating-point value where none belongs".into())),
        ValueRef::Blob(_) => Err(bad("a binary value where text belongs".into())),
    }
}

impl Store {
    /// Calls `visit` with every row of `table` at or after `since`, in the table's export order
    /// ([`ExportTable::columns`] gives the columns), and returns the number of rows visited.
    /// Rows are streamed from one read-only connection; a `visit` error stops the export and
    /// is returned as is.
    pub fn export_rows<E>(
        &self,
        table: ExportTable,
        since: Option<TimeMs>,
        mut visit: impl FnMut(&[Cell<'_>]) -> Result<(), E>,
    ) -> Result<u64, E>
    where
        E: From<StoreError>,
    {
        let columns = table.columns();
        let mut failed: Option<E> = None;
        let mut count = 0u64;
        let done = self.read(|c| {
            let mut stmt = c.prepare(&table.sql())?;
            let mut rows = stmt.query([since.unwrap_or(TimeMs::MIN)])?;
            while let Some(row) = rows.next()? {
                let mut cells = Vec::with_capacity(columns.len());
                for (i, column) in columns.iter().enumerate() {
                    cells.push(cell(table, column.name, row.get_ref(i)?)?);
                }
                if let Err(e) = visit(&cells) {
                    failed = Some(e);
                    break;
                }
                count += 1;
            }
            Ok(())
        });
        if let Some(e) = failed {
            return Err(e);
        }
        done.map_err(E::from)?;
        Ok(count)
    }
}
