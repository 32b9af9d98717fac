//! `speedtrade export orders|fills|candles|portfolio --format csv|json [--since DATE]`: history
//! from the SQLite file to stdout, decimals exactly as stored, times as RFC 3339 UTC plus the
//! raw milliseconds.

use crate::cli::{ExportArgs, ExportFormat, ExportWhat};
use crate::config::Paths;
use crate::domain::TimeMs;
use crate::store::{Cell, ColumnKind, ExportColumn, ExportTable, Store, StoreError};
use anyhow::Context;
use chrono::{DateTime, NaiveDate, SecondsFormat};
use std::io::Write;
use std::process::ExitCode;

/// Why an export stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Reading the history file failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Writing the output failed (e.g. a closed pipe).
    #[error("cannot write the export: {0}")]
    Io(#[from] std::io::Error),
}

/// `speedtrade export`.
pub fn run(args: &ExportArgs, paths: &Paths) -> anyhow::Result<ExitCode> {
    let since = args.since.as_deref().map(parse_since).transpose()?;
    let path = paths.db_file();
    if !path.exists() {
        anyhow::bail!(
            "no history file at {} yet: nothing to export (run speedtrade first)",
            path.display()
        );
    }
    let store = Store::open(&path).context("opening the history file")?;
    let out = std::io::stdout().lock();
    let mut out = std::io::BufWriter::new(out);
    match export(&store, table(args.what), args.format, since, &mut out) {
        Ok(_) => {}
        // `speedtrade export ... | head` closes the pipe early: not an error.
        Err(ExportError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => return Err(e.into()),
    }
    match out.flush() {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(ExportError::Io(e).into()),
        _ => Ok(ExitCode::SUCCESS),
    }
}

/// The store table behind an export choice.
pub fn table(what: ExportWhat) -> ExportTable {
    match what {
        ExportWhat::Orders => ExportTable::Orders,
        ExportWhat::Fills => ExportTable::Fills,
        ExportWhat::Candles => ExportTable::Candles,
        ExportWhat::Portfolio => ExportTable::Portfolio,
    }
}

/// Parses `--since YYYY-MM-DD` as midnight UTC of that day, in milliseconds.
pub fn parse_since(text: &str) -> anyhow::Result<TimeMs> {
    let date = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|e| {
        anyhow::anyhow!("--since wants a date like 2024-05-31 (YYYY-MM-DD, UTC), not `{text}`: {e}")
    })?;
    let midnight = date
        .and_hms_opt(0, 0, 0)
        .ok_or_else(|| anyhow::anyhow!("--since `{text}` has no midnight"))?;
    Ok(midnight.and_utc().timestamp_millis())
}

/// Writes every row of `table` at or after `since` to `out`; returns the number of rows.
pub fn export(
    store: &Store,
    table: ExportTable,
    format: ExportFormat,
    since: Option<TimeMs>,
    out: &mut impl Write,
) -> Result<u64, ExportError> {
    let columns = table.columns();
    if format == ExportFormat::Csv {
        write_csv_header(columns, out)?;
    }
    let mut line = String::with_capacity(256);
    store.export_rows(table, since, |cells| {
        line.clear();
        match format {
            ExportFormat::Csv => csv_row(columns, cells, &mut line),
            ExportFormat::Json => json_row(columns, cells, &mut line),
        }
        line.push('\n');
        out.write_all(line.as_bytes()).map_err(ExportError::Io)
    })
}

/// RFC 3339 in UTC with milliseconds (`2024-05-31T12:00:00.123Z`); the raw number if out of
/// chrono's range.
pub fn rfc3339(ms: TimeMs) -> String {
    DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
        .unwrap_or_else(|| ms.to_string())
}

fn write_csv_header(columns: &[ExportColumn], out: &mut impl Write) -> std::io::Result<()> {
    let mut names = Vec::with_capacity(columns.len() + 2);
    for c in columns {
        names.push(c.name.to_string());
        if c.kind == ColumnKind::Time {
            names.push(format!("{}_ms", c.name));
        }
    }
    writeln!(out, "{}", names.join(","))
}

/// Appends `field` to `line`, quoted (RFC 4180) if it holds a comma, a quote, a line break or
/// leading / trailing spaces.
pub fn csv_field(field: &str, line: &mut String) {
    let needs_quotes =
        field.contains([',', '"', '\n', '\r']) || field.starts_with(' ') || field.ends_with(' ');
    if needs_quotes {
        line.push('"');
        line.push_str(&field.replace('"', "\"\""));
        line.push('"');
    } else {
        line.push_str(field);
    }
}

fn csv_row(columns: &[ExportColumn], cells: &[Cell<'_>], line: &mut String) {
    for (i, (c, v)) in columns.iter().zip(cells).enumerate() {
        if i > 0 {
            line.push(',');
        }
        match (c.kind, v) {
            (ColumnKind::Time, Cell::Null) => line.push(','),
            (ColumnKind::Time, Cell::Text(t)) => {
                csv_field(t, line);
                line.push(',');
            }
            (ColumnKind::Time, Cell::Int(ms)) => {
                line.push_str(&rfc3339(*ms));
                line.push(',');
                line.push_str(&ms.to_string());
            }
            (_, Cell::Null) => {}
            (ColumnKind::Bool, Cell::Int(b)) => {
                line.push_str(if *b != 0 { "true" } else { "false" })
            }
            (_, Cell::Int(n)) => line.push_str(&n.to_string()),
            (_, Cell::Text(t)) => csv_field(t, line),
        }
    }
}

fn json_row(columns: &[ExportColumn], cells: &[Cell<'_>], line: &mut String) {
    use serde_json::Value;
    let mut obj = serde_json::Map::with_capacity(columns.len() + 2);
    for (c, v) in columns.iter().zip(cells) {
        if c.kind == ColumnKind::Time {
            let (text, ms) = match v {
                Cell::Int(ms) => (Value::String(rfc3339(*ms)), Value::from(*ms)),
                Cell::Text(t) => (Value::String((*t).to_string()), Value::Null),
                Cell::Null => (Value::Null, Value::Null),
            };
            obj.insert(c.name.to_string(), text);
            obj.insert(format!("{}_ms", c.name), ms);
            continue;
        }
        let value = match (c.kind, v) {
            (_, Cell::Null) => Value::Null,
            (ColumnKind::Bool, Cell::Int(b)) => Value::Bool(*b != 0),
            (_, Cell::Int(n)) => Value::from(*n),
            (_, Cell::Text(t)) => Value::String((*t).to_string()),
        };
        obj.insert(c.name.to_string(), value);
    }
    line.push_str(&Value::Object(obj).to_string());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_only_what_needs_it() {
        let mut s = String::new();
        for f in ["plain", "a,b", "say \"hi\"", "two\nlines", " pad"] {
            csv_field(f, &mut s);
            s.push('|');
        }
        assert_eq!(
            s,
            "plain|\"a,b\"|\"say \"\"hi\"\"\"|\"two\nlines\"|\" pad\"|"
        );
    }

    #[test]
    fn dates_and_times() {
        assert_eq!(parse_since("2024-05-31").unwrap(), 1_717_113_600_000);
        for bad in ["2024-13-01", "31/05/2024", "yesterday", "2024-02-30", ""] {
            let e = parse_since(bad).unwrap_err().to_string();
            assert!(e.contains("YYYY-MM-DD") && e.contains(bad), "{e}");
        }
        assert_eq!(rfc3339(1_717_113_600_123), "2024-05-31T00:00:00.123Z");
    }
}
