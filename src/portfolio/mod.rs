//! Portfolio: positions from fills (average cost), realized / unrealized P&L, the join with what
//! brokers report, valuation (cash, equity, allocation) and the equity-curve sampler.
//!
//! Everything here is pure: no I/O, no clock, no SQL. The store persists the serde structs
//! ([`Position`], [`EquitySnapshot`]); the app feeds fills, account snapshots and marks in.
//!
//! # Decisions
//!
//! - **Cost method: average cost**, everywhere. A position carries its signed quantity and the
//!   signed cost of that quantity (`cost / qty` is the average price). Adding to a position adds
//!   `qty × price` to the cost; reducing it removes the proportional share of the cost and
//!   realizes `proceeds − removed cost`. Closing the whole position removes the whole cost, so a
//!   round trip to flat realizes exactly `Σ sells − Σ buys` with no rounding residue.
//! - **Across zero**: a fill bigger than the open position is split: the closing part realizes
//!   P&L against the average cost, the rest opens a new position at the fill price.
//! - **Fees are expensed**, never folded into the average cost: [`Position::realized`] is gross
//!   trading P&L, [`Position::fees`] the fees in quote, [`Position::net_realized`] the difference.
//!   - fee in the **quote** asset: added to `fees` as is;
//!   - fee in the **base** asset (Binance charges the asset you receive): the traded quantity is
//!     reduced by the fee (a buy of 1 BTC with 0.001 BTC fee leaves 0.999 BTC; a sell that also
//!     pays a base fee gives away `qty + fee`), and the fee is valued at the fill price into
//!     `fees`. The cost of what was bought stays at the fill price;
//!   - fee in a **third asset** (BNB): converted into quote with the rate the caller gives in
//!     [`FillContext::fee_rate`] (quote per unit of the fee asset); with no rate it is kept in
//!     [`Position::other_fees`] and left out of P&L. The BNB spent shows in the venue's cash flows,
//!     not in a BNB position (the broker's balance is the truth for that, see [`join`]).
//! - **Duplicates**: a fill seen twice (REST reply and user stream) is applied once, keyed by
//!   venue, symbol and trade id.
//! - **Broker vs local**: the broker's quantity wins; local fills give the cost basis and the
//!   realized P&L. Disagreements are flagged per row ([`Agreement`]); see [`join`].

mod equity;
mod join;
mod ledger;
mod position;
mod value;

pub use equity::{
    DAY_MS, EquitySampler, EquitySnapshot, SamplerConfig, SnapshotKind, max_drawdown,
};
pub use join::{Agreement, CashLine, CostSource, Holding, JoinOptions, Joined, join};
pub use ledger::{Applied, Ledger};
pub use position::{FillEffect, Position};
pub use value::{CashRow, Marks, PortfolioView, PositionRow, Totals, Valuation, value};

use crate::domain::{Instrument, Symbol};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Why a fill could not be applied. Nothing is changed when this is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PortfolioError {
    /// An amount left the range of exact decimals (about 7.9e28).
    #[error("amount out of range while applying fill {trade_id} on {symbol}")]
    Overflow {
        /// Instrument.
        symbol: Symbol,
        /// The fill's trade id.
        trade_id: String,
    },
    /// The fill is for a different instrument than the position it was applied to.
    #[error("fill for {got} applied to position {expected}")]
    WrongSymbol {
        /// The position's symbol.
        expected: Symbol,
        /// The fill's symbol.
        got: Symbol,
    },
}

/// The base and quote assets of an instrument (`BTC` / `USDT`; `AAPL` / `USD`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Pair {
    /// Asset bought and sold.
    pub base: String,
    /// Asset prices are quoted in; P&L is in this asset.
    pub quote: String,
}

impl Pair {
    /// A pair from its two asset names.
    pub fn new(base: &str, quote: &str) -> Self {
        Self {
            base: base.to_string(),
            quote: quote.to_string(),
        }
    }
    /// A US stock: the base is the symbol, the quote is `USD`.
    pub fn stock(symbol: &Symbol) -> Self {
        Self::new(symbol.as_str(), "USD")
    }
}

impl From<&Instrument> for Pair {
    fn from(i: &Instrument) -> Self {
        Self::new(&i.base, &i.quote)
    }
}

/// What applying a fill needs besides the fill itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FillContext {
    /// The instrument's assets (decides whether the fee is in base, quote or a third asset).
    pub pair: Pair,
    /// Quote per unit of the fee asset, for a fee in a third asset (BNB); `None` keeps that fee
    /// out of P&L (in [`Position::other_fees`]).
    pub fee_rate: Option<Decimal>,
}

impl FillContext {
    /// A context with no third-asset fee rate.
    pub fn new(pair: Pair) -> Self {
        Self {
            pair,
            fee_rate: None,
        }
    }
}
