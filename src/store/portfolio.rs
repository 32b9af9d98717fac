//! Portfolio history in the store: the equity curve and position snapshots.

use super::codec::Dec;
use super::error::StoreResult;
use super::{Pending, Store};
use crate::domain::{Symbol, TimeMs, VenueId};
use rusqlite::{Row, params};
use rust_decimal::Decimal;

/// How often a point of the equity curve is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PointKind {
    /// Each minute while running.
    Minute,
    /// Once a day.
    Daily,
}

impl PointKind {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            PointKind::Minute => "minute",
            PointKind::Daily => "daily",
        }
    }
}

/// One point of the equity curve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortfolioPoint {
    /// `"all"` or a venue name.
    pub scope: String,
    /// Minute or daily.
    pub kind: PointKind,
    /// When.
    pub time: TimeMs,
    /// Cash.
    pub cash: Decimal,
    /// Cash plus market value.
    pub equity: Decimal,
    /// Realized P&L to date.
    pub realized_pnl: Decimal,
    /// Unrealized P&L at this time.
    pub unrealized_pnl: Decimal,
}

/// One position at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PositionSnapshot {
    /// When.
    pub time: TimeMs,
    /// Venue.
    pub venue: VenueId,
    /// Instrument.
    pub symbol: Symbol,
    /// Signed quantity.
    pub qty: Decimal,
    /// Average cost per unit.
    pub avg_cost: Decimal,
    /// Last price used.
    pub last_price: Option<Decimal>,
    /// Quantity × last price.
    pub market_value: Option<Decimal>,
    /// Unrealized P&L.
    pub unrealized_pnl: Option<Decimal>,
    /// Realized P&L.
    pub realized_pnl: Option<Decimal>,
    /// Where it came from (`broker`, `fills`).
    pub source: String,
}

fn point_from_row(r: &Row<'_>) -> rusqlite::Result<PortfolioPoint> {
    let kind: String = r.get(1)?;
    Ok(PortfolioPoint {
        scope: r.get(0)?,
        kind: if kind == "daily" {
            PointKind::Daily
        } else {
            PointKind::Minute
        },
        time: r.get(2)?,
        cash: r.get::<_, Dec>(3)?.0,
        equity: r.get::<_, Dec>(4)?.0,
        realized_pnl: r.get::<_, Dec>(5)?.0,
        unrealized_pnl: r.get::<_, Dec>(6)?.0,
    })
}

fn position_from_row(r: &Row<'_>) -> rusqlite::Result<PositionSnapshot> {
    let opt = |i: usize| r.get::<_, Option<Dec>>(i).map(|d| d.map(|d| d.0));
    Ok(PositionSnapshot {
        time: r.get(0)?,
        venue: r.get(1)?,
        symbol: r.get(2)?,
        qty: r.get::<_, Dec>(3)?.0,
        avg_cost: r.get::<_, Dec>(4)?.0,
        last_price: opt(5)?,
        market_value: opt(6)?,
        unrealized_pnl: opt(7)?,
        realized_pnl: opt(8)?,
        source: r.get(9)?,
    })
}

impl Store {
    /// Saves a point of the equity curve (replacing one at the same scope, kind and time).
    pub fn save_portfolio_point(&self, p: &PortfolioPoint) -> Pending<()> {
        let p = p.clone();
        self.write(move |c| {
            c.prepare_cached(
                "INSERT OR REPLACE INTO portfolio_history (scope, kind, time, cash, equity, \
                 realized_pnl, unrealized_pnl) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                p.scope,
                p.kind.as_str(),
                p.time,
                Dec(p.cash),
                Dec(p.equity),
                Dec(p.realized_pnl),
                Dec(p.unrealized_pnl)
            ])?;
            Ok(())
        })
    }

    /// The equity curve of one scope and kind from `since`, oldest first.
    pub fn portfolio_history(
        &self,
        scope: &str,
        kind: PointKind,
        since: TimeMs,
    ) -> StoreResult<Vec<PortfolioPoint>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT scope, kind, time, cash, equity, realized_pnl, unrealized_pnl \
                 FROM portfolio_history WHERE scope = ?1 AND kind = ?2 AND time >= ?3 \
                 ORDER BY time",
            )?;
            let rows = stmt.query_map(params![scope, kind.as_str(), since], point_from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Saves a set of position snapshots taken at the same moment.
    pub fn save_position_snapshots(&self, list: Vec<PositionSnapshot>) -> Pending<()> {
        self.write(move |c| {
            let mut stmt = c.prepare_cached(
                "INSERT INTO position_snapshots (time, venue, symbol, qty, avg_cost, last_price, \
                 market_value, unrealized_pnl, realized_pnl, source) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?;
            for p in &list {
                stmt.execute(params![
                    p.time,
                    p.venue,
                    p.symbol,
                    Dec(p.qty),
                    Dec(p.avg_cost),
                    p.last_price.map(Dec),
                    p.market_value.map(Dec),
                    p.unrealized_pnl.map(Dec),
                    p.realized_pnl.map(Dec),
                    p.source
                ])?;
            }
            Ok(())
        })
    }

    /// The most recent snapshot of every position.
    pub fn latest_positions(&self) -> StoreResult<Vec<PositionSnapshot>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT p.time, p.venue, p.symbol, p.qty, p.avg_cost, p.last_price, \
                 p.market_value, p.unrealized_pnl, p.realized_pnl, p.source \
                 FROM position_snapshots p JOIN (SELECT venue, symbol, max(time) AS t \
                 FROM position_snapshots GROUP BY venue, symbol) m \
                 ON p.venue = m.venue AND p.symbol = m.symbol AND p.time = m.t \
                 ORDER BY p.venue, p.symbol",
            )?;
            let rows = stmt.query_map([], position_from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }
}
