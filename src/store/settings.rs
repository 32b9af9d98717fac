//! Key-value settings in the store (UI state that should survive a restart: selected
//! watchlist, chart interval, pane layout). Never secrets.

use super::error::StoreResult;
use super::{Pending, Store};
use rusqlite::{OptionalExtension, params};

impl Store {
    /// The value stored under `key`.
    pub fn setting(&self, key: &str) -> StoreResult<Option<String>> {
        self.read(|c| {
            Ok(
                c.prepare_cached("SELECT value FROM settings WHERE key = ?1")?
                    .query_row([key], |r| r.get(0))
                    .optional()?,
            )
        })
    }

    /// Stores `value` under `key` (replacing any previous value).
    pub fn set_setting(&self, key: &str, value: &str) -> Pending<()> {
        let (key, value) = (key.to_string(), value.to_string());
        self.write(move |c| {
            c.prepare_cached(
                "INSERT OR REPLACE INTO settings (key, value, updated_at) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![key, value, crate::domain::now_ms()])?;
            Ok(())
        })
    }

    /// Removes `key`.
    pub fn delete_setting(&self, key: &str) -> Pending<()> {
        let key = key.to_string();
        self.write(move |c| {
            c.execute("DELETE FROM settings WHERE key = ?1", [key])?;
            Ok(())
        })
    }
}
