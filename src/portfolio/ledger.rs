//! The ledger: every position and the cash flows of local fills, with duplicate fills ignored.

use super::position::FillEffect;
use super::{FillContext, PortfolioError, Position};
use crate::domain::{Fill, Symbol, VenueId};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashSet};

/// Positions per (venue, symbol) and cash flows per (venue, asset), built from fills.
///
/// Apply fills in execution order (average cost depends on it); [`Ledger::rebuild`] sorts them.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    positions: BTreeMap<(VenueId, Symbol), Position>,
    flows: BTreeMap<(VenueId, String), Decimal>,
    seen: HashSet<(VenueId, Symbol, String)>,
}

/// The outcome of [`Ledger::apply`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// The fill changed the position.
    New {
        /// Realized P&L added, before fees (quote).
        realized: Decimal,
        /// Fee charged, in quote.
        fee: Decimal,
    },
    /// The same venue, symbol and trade id was applied before; nothing changed.
    Duplicate,
}

impl Ledger {
    /// An empty ledger.
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds a ledger from stored fills, in execution order (time, then trade id).
    /// `ctx` gives each fill's assets and fee rate; fills it returns `None` for are skipped and
    /// returned, as are fills that overflow.
    pub fn rebuild<'a>(
        fills: impl IntoIterator<Item = &'a Fill>,
        mut ctx: impl FnMut(&Fill) -> Option<FillContext>,
    ) -> (Self, Vec<&'a Fill>) {
        let mut sorted: Vec<&Fill> = fills.into_iter().collect();
        sorted.sort_by(|a, b| {
            a.time
                .cmp(&b.time)
                .then_with(|| a.trade_id.cmp(&b.trade_id))
        });
        let mut ledger = Self::new();
        let mut skipped = Vec::new();
        for fill in sorted {
            let applied = ctx(fill).map(|c| ledger.apply(fill, &c));
            if !matches!(applied, Some(Ok(_))) {
                skipped.push(fill);
            }
        }
        (ledger, skipped)
    }

    /// Applies one fill (once: a repeated trade id is reported as [`Applied::Duplicate`]).
    pub fn apply(&mut self, fill: &Fill, ctx: &FillContext) -> Result<Applied, PortfolioError> {
        let key = (fill.venue, fill.symbol.clone(), fill.trade_id.clone());
        if !fill.trade_id.is_empty() && self.seen.contains(&key) {
            return Ok(Applied::Duplicate);
        }
        let pos_key = (fill.venue, fill.symbol.clone());
        let mut pos =
            self.positions.get(&pos_key).cloned().unwrap_or_else(|| {
                Position::new(fill.venue, fill.symbol.clone(), ctx.pair.clone())
            });
        let effect = pos.apply(fill, ctx)?;
        let flows = self
            .flows_after(fill.venue, &pos.pair.quote, &effect)
            .ok_or_else(|| PortfolioError::Overflow {
                symbol: fill.symbol.clone(),
                trade_id: fill.trade_id.clone(),
            })?;
        for (k, v) in flows {
            self.flows.insert(k, v);
        }
        self.positions.insert(pos_key, pos);
        if !fill.trade_id.is_empty() {
            self.seen.insert(key);
        }
        Ok(Applied::New {
            realized: effect.realized,
            fee: effect.fee,
        })
    }

    /// The new values of the flows a fill touches (computed first so a failure changes nothing).
    fn flows_after(
        &self,
        venue: VenueId,
        quote: &str,
        effect: &FillEffect,
    ) -> Option<Vec<((VenueId, String), Decimal)>> {
        let after = |asset: &str, delta: Decimal| {
            let key = (venue, asset.to_string());
            let before = self.flows.get(&key).copied().unwrap_or_default();
            before.checked_add(delta).map(|v| (key, v))
        };
        // A third-asset fee is never in the quote asset (that is a quote fee), so keys differ.
        let mut out = vec![after(quote, effect.quote_flow)?];
        if let Some((asset, delta)) = &effect.other_flow {
            out.push(after(asset, *delta)?);
        }
        Some(out)
    }

    /// The position on `symbol` at `venue`, if any fill touched it.
    pub fn position(&self, venue: VenueId, symbol: &Symbol) -> Option<&Position> {
        self.positions.get(&(venue, symbol.clone()))
    }

    /// Every position, flat ones included (they carry realized P&L), by venue then symbol.
    pub fn positions(&self) -> impl Iterator<Item = &Position> {
        self.positions.values()
    }

    /// Open (non-flat) positions, by venue then symbol.
    pub fn open_positions(&self) -> impl Iterator<Item = &Position> {
        self.positions.values().filter(|p| !p.is_flat())
    }

    /// Net change of each asset's balance caused by local fills: quote paid and received, fees.
    /// Base assets are in the positions, not here. Useful with a known starting balance (paper).
    pub fn cash_flows(&self) -> impl Iterator<Item = (VenueId, &str, Decimal)> {
        self.flows.iter().map(|((v, a), d)| (*v, a.as_str(), *d))
    }

    /// The net cash flow of one asset at one venue.
    pub fn cash_flow(&self, venue: VenueId, asset: &str) -> Decimal {
        self.flows
            .get(&(venue, asset.to_string()))
            .copied()
            .unwrap_or_default()
    }
}
