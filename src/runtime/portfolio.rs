//! Portfolio persistence and broker polling for the UI: the equity curve to and from the
//! store, and the active broker's account snapshot.

use crate::app::{Action, Level};
use crate::domain::{TimeMs, now_ms};
use crate::portfolio::{EquitySnapshot, SnapshotKind};
use crate::store::{PointKind, PortfolioPoint, Store};
use crate::venue::Broker;
use std::sync::Arc;
use tokio::sync::mpsc;

/// Curve points are stored under this scope.
const SCOPE: &str = "all";

fn kind_of(k: SnapshotKind) -> PointKind {
    match k {
        SnapshotKind::Minute => PointKind::Minute,
        SnapshotKind::Daily => PointKind::Daily,
    }
}

/// A curve point as a store row.
pub fn to_point(s: &EquitySnapshot) -> PortfolioPoint {
    PortfolioPoint {
        scope: SCOPE.into(),
        kind: kind_of(s.kind),
        time: s.time,
        cash: s.cash,
        equity: s.equity,
        realized_pnl: s.realized,
        unrealized_pnl: s.unrealized,
    }
}

fn from_point(p: PortfolioPoint, currency: &str) -> EquitySnapshot {
    EquitySnapshot {
        time: p.time,
        kind: match p.kind {
            PointKind::Minute => SnapshotKind::Minute,
            PointKind::Daily => SnapshotKind::Daily,
        },
        currency: currency.to_string(),
        equity: p.equity,
        cash: p.cash,
        market_value: p.equity - p.cash,
        unrealized: p.unrealized_pnl,
        realized: p.realized_pnl,
        complete: true,
    }
}

/// The last day of minute points and the daily points, oldest first.
pub fn load_curve(store: &Store, currency: &str) -> anyhow::Result<Action> {
    let day_ago: TimeMs = now_ms() - crate::portfolio::DAY_MS;
    let mut points = store.portfolio_history(SCOPE, PointKind::Daily, 0)?;
    points.extend(store.portfolio_history(SCOPE, PointKind::Minute, day_ago)?);
    points.sort_by_key(|p| p.time);
    Ok(Action::EquityLoaded(
        points
            .into_iter()
            .map(|p| from_point(p, currency))
            .collect(),
    ))
}

/// Stores a curve point in the background.
pub fn save(store: &Store, point: &EquitySnapshot) {
    drop(store.save_portfolio_point(&to_point(point)));
}

/// Asks the broker for balances and positions; the answer comes back as an action.
pub fn refresh(broker: Arc<dyn Broker>, app: mpsc::UnboundedSender<Action>) {
    tokio::spawn(async move {
        let venue = broker.venue();
        match broker.account().await {
            Ok(snapshot) => {
                let _ = app.send(Action::Account(venue, snapshot));
            }
            Err(e) => {
                tracing::warn!(%venue, error = %e, "account refresh failed");
                let _ = app.send(Action::Notice(Level::Warn, format!("{venue} account: {e}")));
            }
        }
    });
}
