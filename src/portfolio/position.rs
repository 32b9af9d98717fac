//! One position built from fills by the average-cost method, across zero, with fees.

use super::{FillContext, Pair, PortfolioError};
use crate::domain::{Fill, Price, Side, Symbol, TimeMs, VenueId};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Decimals kept when a partial close removes a share of the cost that does not divide exactly.
/// The residue stays in the open cost, so closing to flat is still exact.
const COST_DP: u32 = 12;

/// A position on one instrument at one venue, from local fills (average cost).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// Venue.
    pub venue: VenueId,
    /// Instrument.
    pub symbol: Symbol,
    /// Base and quote assets.
    pub pair: Pair,
    /// Signed base quantity: positive long, negative short, zero flat.
    pub qty: Decimal,
    /// Signed cost of the open quantity in quote (`qty × average price`; negative for a short).
    pub cost: Decimal,
    /// Realized trading P&L in quote, before fees.
    pub realized: Decimal,
    /// Fees paid, in quote (quote fees, base fees at the fill price, converted third-asset fees).
    pub fees: Decimal,
    /// Third-asset fees with no conversion rate, per asset (not in P&L).
    pub other_fees: BTreeMap<String, Decimal>,
    /// Base quantity bought, in total.
    pub bought: Decimal,
    /// Base quantity sold, in total.
    pub sold: Decimal,
    /// Number of fills applied.
    pub fill_count: u64,
    /// Time of the last fill applied.
    pub last_fill: TimeMs,
}

/// What one fill did, for the cash ledger and the UI.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FillEffect {
    /// Realized P&L added by the fill, before fees (quote).
    pub realized: Decimal,
    /// Fee charged, in quote (zero when it could not be converted).
    pub fee: Decimal,
    /// Change of the quote balance: `−notional` for a buy, `+notional` for a sell, minus a quote fee.
    pub quote_flow: Decimal,
    /// A third-asset fee as a balance change (`("BNB", −0.0001)`).
    pub other_flow: Option<(String, Decimal)>,
}

impl Position {
    /// A flat position.
    pub fn new(venue: VenueId, symbol: Symbol, pair: Pair) -> Self {
        Self {
            venue,
            symbol,
            pair,
            qty: Decimal::ZERO,
            cost: Decimal::ZERO,
            realized: Decimal::ZERO,
            fees: Decimal::ZERO,
            other_fees: BTreeMap::new(),
            bought: Decimal::ZERO,
            sold: Decimal::ZERO,
            fill_count: 0,
            last_fill: 0,
        }
    }

    /// `true` when nothing is open.
    pub fn is_flat(&self) -> bool {
        self.qty.is_zero()
    }

    /// Average price of the open quantity (`None` when flat).
    pub fn avg_cost(&self) -> Option<Decimal> {
        if self.qty.is_zero() {
            None
        } else {
            self.cost.checked_div(self.qty)
        }
    }

    /// Realized P&L after fees (quote).
    pub fn net_realized(&self) -> Decimal {
        self.realized - self.fees
    }

    /// Signed value of the open quantity at `mark` (negative for a short).
    pub fn market_value(&self, mark: Price) -> Option<Decimal> {
        self.qty.checked_mul(mark.to_decimal())
    }

    /// Unrealized P&L at `mark`: `qty × mark − cost` (zero when flat).
    pub fn unrealized(&self, mark: Price) -> Option<Decimal> {
        self.market_value(mark)?.checked_sub(self.cost)
    }

    /// Applies one fill. On error nothing changes.
    pub fn apply(&mut self, fill: &Fill, ctx: &FillContext) -> Result<FillEffect, PortfolioError> {
        if fill.symbol != self.symbol {
            return Err(PortfolioError::WrongSymbol {
                expected: self.symbol.clone(),
                got: fill.symbol.clone(),
            });
        }
        let mut next = self.clone();
        let effect = next
            .apply_inner(fill, ctx)
            .ok_or_else(|| PortfolioError::Overflow {
                symbol: fill.symbol.clone(),
                trade_id: fill.trade_id.clone(),
            })?;
        *self = next;
        Ok(effect)
    }

    fn apply_inner(&mut self, fill: &Fill, ctx: &FillContext) -> Option<FillEffect> {
        let price = fill.price.to_decimal();
        let qty = fill.qty.to_decimal();
        let notional = qty.checked_mul(price)?;
        let mut dq = match fill.side {
            Side::Buy => qty,
            Side::Sell => -qty,
        };
        let mut effect = FillEffect {
            quote_flow: match fill.side {
                Side::Buy => -notional,
                Side::Sell => notional,
            },
            ..FillEffect::default()
        };
        let fee = fill.fee;
        let asset = fill.fee_asset.as_str();
        if !fee.is_zero() {
            if asset.is_empty() || asset.eq_ignore_ascii_case(&ctx.pair.quote) {
                effect.fee = fee;
                effect.quote_flow = effect.quote_flow.checked_sub(fee)?;
            } else if asset.eq_ignore_ascii_case(&ctx.pair.base) {
                // Received less (buy) or gave away more (sell): the fee leaves the position.
                dq = dq.checked_sub(fee)?;
                effect.fee = fee.checked_mul(price)?;
            } else {
                effect.other_flow = Some((asset.to_string(), -fee));
                match ctx.fee_rate {
                    Some(rate) => effect.fee = fee.checked_mul(rate)?,
                    None => {
                        let slot = self.other_fees.entry(asset.to_string()).or_default();
                        *slot = slot.checked_add(fee)?;
                    }
                }
            }
        }
        effect.realized = self.trade(dq, price)?;
        self.realized = self.realized.checked_add(effect.realized)?;
        self.fees = self.fees.checked_add(effect.fee)?;
        match fill.side {
            Side::Buy => self.bought = self.bought.checked_add(qty)?,
            Side::Sell => self.sold = self.sold.checked_add(qty)?,
        }
        self.fill_count += 1;
        self.last_fill = self.last_fill.max(fill.time);
        self.normalize();
        Some(effect)
    }

    /// Drops trailing zeros so stored and displayed values stay short (`0.24975`, not
    /// `0.24975000`); the values are unchanged.
    fn normalize(&mut self) {
        for v in [
            &mut self.qty,
            &mut self.cost,
            &mut self.realized,
            &mut self.fees,
            &mut self.bought,
            &mut self.sold,
        ] {
            *v = v.normalize();
        }
    }

    /// Moves the position by the signed quantity `dq` at `price`; returns the realized P&L.
    fn trade(&mut self, dq: Decimal, price: Decimal) -> Option<Decimal> {
        if dq.is_zero() {
            return Some(Decimal::ZERO);
        }
        let same_way = self.qty.is_zero() || self.qty.is_sign_negative() == dq.is_sign_negative();
        if same_way {
            self.qty = self.qty.checked_add(dq)?;
            self.cost = self.cost.checked_add(dq.checked_mul(price)?)?;
            return Some(Decimal::ZERO);
        }
        // Reducing: the closing part is at most the open quantity, with the sign of `dq`.
        let open = self.qty.abs();
        let closing = dq.abs().min(open);
        let removed = if closing == open {
            self.cost
        } else {
            self.cost
                .checked_mul(closing)?
                .checked_div(open)?
                .round_dp(COST_DP)
        };
        let closing_signed = if dq.is_sign_negative() {
            -closing
        } else {
            closing
        };
        // Selling `c` of a long brings in `c × price`; buying back a short pays it.
        let proceeds = (-closing_signed).checked_mul(price)?;
        let realized = proceeds.checked_sub(removed)?;
        self.qty = self.qty.checked_add(closing_signed)?;
        self.cost = self.cost.checked_sub(removed)?;
        let rest = dq.checked_sub(closing_signed)?;
        if !rest.is_zero() {
            // Across zero: the remainder opens the other way at the fill price.
            self.qty = rest;
            self.cost = rest.checked_mul(price)?;
        }
        Some(realized)
    }
}
