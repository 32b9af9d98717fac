//! Valuation: marks, market value, unrealized P&L, cash, equity and allocation in one currency.

use super::{CashLine, Holding, Joined};
use crate::domain::{Price, Symbol, VenueId};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// Decimals kept in allocation percentages.
const PCT_DP: u32 = 4;

/// Last prices per (venue, symbol), used to mark holdings.
#[derive(Debug, Clone, Default)]
pub struct Marks(HashMap<(VenueId, Symbol), Price>);

impl Marks {
    /// No prices.
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets the mark of `symbol` at `venue` (the last trade price, or mid).
    pub fn set(&mut self, venue: VenueId, symbol: Symbol, price: Price) {
        self.0.insert((venue, symbol), price);
    }
    /// The mark, if known.
    pub fn get(&self, venue: VenueId, symbol: &Symbol) -> Option<Price> {
        self.0.get(&(venue, symbol.clone())).copied()
    }
}

/// The currency totals are shown in, with conversion rates for other assets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Valuation {
    /// Reporting currency (`USD`).
    pub currency: String,
    /// Units of `currency` per unit of an asset (`USDT` → 1, `EUR` → 1.08).
    pub rates: BTreeMap<String, Decimal>,
}

impl Valuation {
    /// Totals in `currency`; only `currency` itself converts until rates are added.
    pub fn new(currency: &str) -> Self {
        Self {
            currency: currency.to_string(),
            rates: BTreeMap::new(),
        }
    }
    /// Adds a conversion rate.
    pub fn with_rate(mut self, asset: &str, rate: Decimal) -> Self {
        self.rates.insert(asset.to_string(), rate);
        self
    }
    /// Units of the reporting currency per unit of `asset`.
    pub fn rate(&self, asset: &str) -> Option<Decimal> {
        if asset == self.currency {
            Some(Decimal::ONE)
        } else {
            self.rates.get(asset).copied()
        }
    }
    fn convert(&self, asset: &str, amount: Decimal) -> Option<Decimal> {
        amount.checked_mul(self.rate(asset)?)
    }
}

/// A holding with its mark, market value, unrealized P&L and allocation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PositionRow {
    /// The joined holding.
    pub holding: Holding,
    /// Price used (the local mark, else the broker's last price).
    pub mark: Option<Decimal>,
    /// Signed `qty × mark` in quote.
    pub market_value: Option<Decimal>,
    /// `market_value − cost` in quote.
    pub unrealized: Option<Decimal>,
    /// Market value in the reporting currency.
    pub value: Option<Decimal>,
    /// `value / equity × 100` (negative for a short).
    pub allocation_pct: Option<Decimal>,
}

/// A cash line with its value in the reporting currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CashRow {
    /// The balance.
    pub line: CashLine,
    /// Its value in the reporting currency.
    pub value: Option<Decimal>,
}

/// Portfolio totals in the reporting currency. Parts without a mark or rate are left out and
/// named in `unpriced`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Totals {
    /// Reporting currency.
    pub currency: String,
    /// Cash + market value.
    pub equity: Decimal,
    /// Cash.
    pub cash: Decimal,
    /// Signed market value of the holdings.
    pub market_value: Decimal,
    /// Unrealized P&L of holdings with a known cost.
    pub unrealized: Decimal,
    /// Realized P&L before fees.
    pub realized: Decimal,
    /// Fees.
    pub fees: Decimal,
    /// What could not be valued (`"BTCUSDT: no price"`, `"FDUSD: no rate"`).
    pub unpriced: Vec<String>,
}

impl Totals {
    /// Realized P&L after fees.
    pub fn net_realized(&self) -> Decimal {
        self.realized - self.fees
    }
    /// `true` when everything could be valued.
    pub fn is_complete(&self) -> bool {
        self.unpriced.is_empty()
    }
}

/// Everything the portfolio pane shows.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PortfolioView {
    /// One row per holding.
    pub rows: Vec<PositionRow>,
    /// Cash per venue and asset.
    pub cash: Vec<CashRow>,
    /// Totals.
    pub totals: Totals,
    /// Equity as each broker reports it.
    pub broker_equity: BTreeMap<VenueId, Decimal>,
}

/// Values the joined holdings and cash with `marks`, in `val`'s currency.
pub fn value(joined: &Joined, marks: &Marks, val: &Valuation) -> PortfolioView {
    let mut t = Totals {
        currency: val.currency.clone(),
        ..Totals::default()
    };
    let mut cash = Vec::with_capacity(joined.cash.len());
    for line in &joined.cash {
        let v = val.convert(&line.asset, line.amount);
        match v {
            Some(v) => t.cash = t.cash.saturating_add(v),
            None => t.unpriced.push(format!("{}: no rate", line.asset)),
        }
        cash.push(CashRow {
            line: line.clone(),
            value: v,
        });
    }
    let mut rows: Vec<PositionRow> = joined
        .holdings
        .iter()
        .map(|h| row(h, marks, val, &mut t))
        .collect();
    t.equity = t.cash.saturating_add(t.market_value);
    for r in &mut rows {
        r.allocation_pct = allocation(r.value, t.equity);
    }
    t.unpriced.sort();
    t.unpriced.dedup();
    PortfolioView {
        rows,
        cash,
        totals: t,
        broker_equity: joined.broker_equity.clone(),
    }
}

fn row(h: &Holding, marks: &Marks, val: &Valuation, t: &mut Totals) -> PositionRow {
    let quote = h.pair.quote.as_str();
    let mark = marks
        .get(h.venue, &h.symbol)
        .map(Price::to_decimal)
        .or(h.broker_price);
    let market_value = if h.qty.is_zero() {
        Some(Decimal::ZERO)
    } else {
        mark.and_then(|m| h.qty.checked_mul(m))
    };
    let unrealized = market_value
        .zip(h.cost)
        .and_then(|(mv, c)| mv.checked_sub(c));
    let value = market_value.and_then(|mv| val.convert(quote, mv));
    if market_value.is_none() {
        t.unpriced.push(format!("{}: no price", h.symbol));
    }
    if val.rate(quote).is_none() && !(h.qty.is_zero() && h.realized.is_zero()) {
        t.unpriced.push(format!("{quote}: no rate"));
    }
    if let Some(v) = value {
        t.market_value = t.market_value.saturating_add(v);
    }
    if let Some(u) = unrealized.and_then(|u| val.convert(quote, u)) {
        t.unrealized = t.unrealized.saturating_add(u);
    }
    let realized = val.convert(quote, h.realized).unwrap_or_default();
    t.realized = t.realized.saturating_add(realized);
    let fees = val.convert(quote, h.fees).unwrap_or_default();
    t.fees = t.fees.saturating_add(fees);
    PositionRow {
        holding: h.clone(),
        mark,
        market_value,
        unrealized,
        value,
        allocation_pct: None,
    }
}

fn allocation(value: Option<Decimal>, equity: Decimal) -> Option<Decimal> {
    if equity <= Decimal::ZERO {
        return None;
    }
    let pct = value?
        .checked_mul(Decimal::ONE_HUNDRED)?
        .checked_div(equity)?;
    Some(pct.round_dp(PCT_DP))
}
