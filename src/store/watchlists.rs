//! Watchlists in the store: named, ordered lists of symbols, themselves ordered.

use super::error::{StoreError, StoreResult};
use super::{Pending, Store};
use crate::domain::{Symbol, VenueId, now_ms};
use rusqlite::{Connection, params};

/// A named list of symbols, in the user's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watchlist {
    /// Row id.
    pub id: i64,
    /// Unique name.
    pub name: String,
    /// Items, in display order.
    pub items: Vec<(VenueId, Symbol)>,
}

fn next_position(c: &Connection, sql: &str, id: Option<i64>) -> rusqlite::Result<i64> {
    match id {
        Some(id) => c.query_row(sql, [id], |r| r.get(0)),
        None => c.query_row(sql, [], |r| r.get(0)),
    }
}

fn check_changed(n: usize, what: impl FnOnce() -> String) -> StoreResult<()> {
    if n == 0 {
        Err(StoreError::NotFound(what()))
    } else {
        Ok(())
    }
}

impl Store {
    /// Every watchlist with its items, in display order.
    pub fn watchlists(&self) -> StoreResult<Vec<Watchlist>> {
        self.read(|c| {
            let mut lists =
                c.prepare_cached("SELECT id, name FROM watchlists ORDER BY position, id")?;
            let mut out: Vec<Watchlist> = lists
                .query_map([], |r| {
                    Ok(Watchlist {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        items: Vec::new(),
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            let mut items = c.prepare_cached(
                "SELECT venue, symbol FROM watchlist_items WHERE watchlist_id = ?1 \
                 ORDER BY position, added_at",
            )?;
            for list in &mut out {
                list.items = items
                    .query_map([list.id], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<rusqlite::Result<_>>()?;
            }
            Ok(out)
        })
    }

    /// Creates an empty list at the end; resolves to its id.
    pub fn create_watchlist(&self, name: &str) -> Pending<i64> {
        let name = name.to_string();
        self.write(move |c| {
            let pos = next_position(
                c,
                "SELECT coalesce(max(position) + 1, 0) FROM watchlists",
                None,
            )?;
            c.execute(
                "INSERT INTO watchlists (name, position, created_at) VALUES (?1, ?2, ?3)",
                params![name, pos, now_ms()],
            )?;
            Ok(c.last_insert_rowid())
        })
    }

    /// Renames a list.
    pub fn rename_watchlist(&self, id: i64, name: &str) -> Pending<()> {
        let name = name.to_string();
        self.write(move |c| {
            let n = c.execute(
                "UPDATE watchlists SET name = ?2 WHERE id = ?1",
                params![id, name],
            )?;
            check_changed(n, || format!("no watchlist {id}"))
        })
    }

    /// Deletes a list and its items.
    pub fn delete_watchlist(&self, id: i64) -> Pending<()> {
        self.write(move |c| {
            c.execute("DELETE FROM watchlist_items WHERE watchlist_id = ?1", [id])?;
            let n = c.execute("DELETE FROM watchlists WHERE id = ?1", [id])?;
            check_changed(n, || format!("no watchlist {id}"))
        })
    }

    /// Puts the lists in the given order (ids not given keep their place after these).
    pub fn reorder_watchlists(&self, ids: Vec<i64>) -> Pending<()> {
        self.write(move |c| {
            let mut stmt = c.prepare_cached("UPDATE watchlists SET position = ?2 WHERE id = ?1")?;
            for (pos, id) in ids.iter().enumerate() {
                stmt.execute(params![id, i64::try_from(pos).unwrap_or(i64::MAX)])?;
            }
            Ok(())
        })
    }

    /// Appends a symbol to a list (no change if it is already there).
    pub fn add_to_watchlist(&self, id: i64, venue: VenueId, symbol: &Symbol) -> Pending<()> {
        let symbol = symbol.clone();
        self.write(move |c| {
            let pos = next_position(
                c,
                "SELECT coalesce(max(position) + 1, 0) FROM watchlist_items WHERE watchlist_id = ?1",
                Some(id),
            )?;
            c.execute(
                "INSERT OR IGNORE INTO watchlist_items (watchlist_id, venue, symbol, position, \
                 added_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![id, venue, symbol, pos, now_ms()],
            )?;
            Ok(())
        })
    }

    /// Removes a symbol from a list.
    pub fn remove_from_watchlist(&self, id: i64, venue: VenueId, symbol: &Symbol) -> Pending<()> {
        let symbol = symbol.clone();
        self.write(move |c| {
            c.execute(
                "DELETE FROM watchlist_items WHERE watchlist_id = ?1 AND venue = ?2 AND symbol = ?3",
                params![id, venue, symbol],
            )?;
            Ok(())
        })
    }

    /// Puts a list's items in the given order.
    pub fn reorder_watchlist(&self, id: i64, items: Vec<(VenueId, Symbol)>) -> Pending<()> {
        self.write(move |c| {
            let mut stmt = c.prepare_cached(
                "UPDATE watchlist_items SET position = ?4 \
                 WHERE watchlist_id = ?1 AND venue = ?2 AND symbol = ?3",
            )?;
            for (pos, (venue, symbol)) in items.iter().enumerate() {
                let pos = i64::try_from(pos).unwrap_or(i64::MAX);
                stmt.execute(params![id, venue, symbol, pos])?;
            }
            Ok(())
        })
    }
}
