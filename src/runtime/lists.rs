//! Watchlists in the history file: loading them at start (seeded from the config the first
//! time) and saving the app's lists by bringing the stored ones in line.

use crate::app::lists::NamedList;
use crate::app::{Action, Level};
use crate::domain::VenueId;
use crate::store::Store;
use tokio::sync::mpsc;

/// Setting that remembers the shown list.
const ACTIVE: &str = "ui.active_watchlist";

/// The stored lists and the shown one; `None` when nothing is stored yet.
pub fn load(store: &Store) -> anyhow::Result<Option<Action>> {
    let stored = store.watchlists()?;
    if stored.is_empty() {
        return Ok(None);
    }
    let lists: Vec<NamedList> = stored
        .into_iter()
        .map(|w| NamedList {
            name: w.name,
            symbols: w.items.into_iter().map(|(_, s)| s).collect(),
        })
        .collect();
    let active = store
        .setting(ACTIVE)?
        .and_then(|name| lists.iter().position(|l| l.name == name))
        .unwrap_or(0);
    Ok(Some(Action::ListsLoaded(lists, active)))
}

/// Makes the stored lists equal `lists` (names, items, order) and remembers the shown one.
pub fn save(
    store: Store,
    venue: VenueId,
    lists: Vec<NamedList>,
    active: usize,
    app: mpsc::UnboundedSender<Action>,
) {
    tokio::spawn(async move {
        if let Err(e) = sync(&store, venue, &lists, active).await {
            let _ = app.send(Action::Notice(
                Level::Error,
                format!("could not save the watchlists: {e}"),
            ));
        }
    });
}

async fn sync(
    store: &Store,
    venue: VenueId,
    lists: &[NamedList],
    active: usize,
) -> anyhow::Result<()> {
    let stored = store.watchlists()?;
    for w in stored
        .iter()
        .filter(|w| !lists.iter().any(|l| l.name == w.name))
    {
        store.delete_watchlist(w.id).await?;
    }
    let mut ids = Vec::with_capacity(lists.len());
    for list in lists {
        let existing = stored.iter().find(|w| w.name == list.name);
        let id = match existing {
            Some(w) => w.id,
            None => store.create_watchlist(&list.name).await?,
        };
        let had: Vec<_> = existing
            .map(|w| w.items.iter().map(|(_, s)| s.clone()).collect())
            .unwrap_or_default();
        for s in had.iter().filter(|s| !list.symbols.contains(s)) {
            store.remove_from_watchlist(id, venue, s).await?;
        }
        for s in list.symbols.iter().filter(|s| !had.contains(s)) {
            store.add_to_watchlist(id, venue, s).await?;
        }
        store
            .reorder_watchlist(
                id,
                list.symbols.iter().map(|s| (venue, s.clone())).collect(),
            )
            .await?;
        ids.push(id);
    }
    store.reorder_watchlists(ids).await?;
    if let Some(list) = lists.get(active) {
        store.set_setting(ACTIVE, &list.name).await?;
    }
    Ok(())
}
