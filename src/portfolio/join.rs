//! Joins broker-reported balances and positions with the local ledger, flagging disagreements.
//!
//! Rules (per venue):
//! - **No account snapshot** for the venue (not connected, no keys): local positions are shown
//!   as they are ([`Agreement::LocalOnly`]); the venue has no cash lines.
//! - **Broker positions** (Alpaca): matched by symbol. Equal quantities: [`Agreement::Matched`],
//!   local cost basis. Different: the broker's quantity is shown, costed at the broker's average
//!   entry price when it gives one (else the local average), flagged [`Agreement::Mismatch`].
//! - **Balances** (Binance, paper): assets in [`JoinOptions::cash_assets`] are cash; any other
//!   asset is a holding matched to local positions with that base asset. One local symbol: as
//!   above (broker quantity wins, local average cost). Several symbols share the base
//!   (`BTCUSDT` and `BTCFDUSD`): the balance cannot be split between them, so each row keeps its
//!   local quantity and all are flagged if the sum disagrees with the balance.
//! - A local position the broker does not report: the broker's zero wins, flagged.
//! - A broker holding with no local fills: [`Agreement::BrokerOnly`], shown on
//!   `asset + default quote` (`BTC` → `BTCUSDT`), cost from the broker or unknown.
//!
//! Realized P&L and fees always come from local fills (brokers do not report them).

use super::{Ledger, Pair, Position};
use crate::domain::{Symbol, VenueId};
use crate::venue::{AccountSnapshot, BrokerPosition};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How [`join`] classifies assets and compares quantities.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinOptions {
    /// Assets counted as cash rather than holdings.
    pub cash_assets: Vec<String>,
    /// Quote a broker-only balance is shown against, per venue (`BTC` → `BTCUSDT`).
    pub default_quote: BTreeMap<VenueId, String>,
    /// Asset of a broker's `cash` figure (Alpaca reports USD).
    pub account_currency: String,
    /// Quantities closer than this count as equal (zero: exact).
    pub tolerance: Decimal,
}

impl Default for JoinOptions {
    fn default() -> Self {
        let cash = ["USD", "USDT", "USDC", "FDUSD", "EUR"];
        Self {
            cash_assets: cash.iter().map(|s| s.to_string()).collect(),
            default_quote: BTreeMap::from([
                (VenueId::Binance, "USDT".to_string()),
                (VenueId::Alpaca, "USD".to_string()),
                (VenueId::Paper, "USDT".to_string()),
            ]),
            account_currency: "USD".to_string(),
            tolerance: Decimal::ZERO,
        }
    }
}

/// Whether the broker and the local fills agree on a holding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Agreement {
    /// Both report the same quantity.
    Matched,
    /// Only local fills are known (no broker snapshot for the venue).
    LocalOnly,
    /// Only the broker reports it (deposit, trades made elsewhere).
    BrokerOnly,
    /// They differ: the broker's quantity is shown; `local` and `broker` are the two figures.
    Mismatch {
        /// Quantity from local fills (summed over symbols sharing the base asset).
        local: Decimal,
        /// Quantity the broker reports.
        broker: Decimal,
    },
}

/// Where a holding's cost basis comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CostSource {
    /// Local fills, average cost.
    LocalFills,
    /// The broker's average entry price.
    Broker,
    /// Not known: no local fills and the broker gives no cost.
    Unknown,
}

/// One row of the positions pane before valuation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holding {
    /// Venue.
    pub venue: VenueId,
    /// Instrument the holding is valued on.
    pub symbol: Symbol,
    /// Base and quote assets.
    pub pair: Pair,
    /// Quantity shown (the broker's when it reports one).
    pub qty: Decimal,
    /// Cost basis of `qty` in quote, when known.
    pub cost: Option<Decimal>,
    /// Where `cost` comes from.
    pub cost_source: CostSource,
    /// Realized P&L from local fills, before fees (quote).
    pub realized: Decimal,
    /// Fees from local fills (quote).
    pub fees: Decimal,
    /// Agreement between broker and local fills.
    pub agreement: Agreement,
    /// The broker's last price, a fallback mark (Alpaca).
    pub broker_price: Option<Decimal>,
}

impl Holding {
    /// Average cost (`cost / qty`), when known and not flat.
    pub fn avg_cost(&self) -> Option<Decimal> {
        if self.qty.is_zero() {
            return None;
        }
        self.cost?.checked_div(self.qty)
    }
}

/// A cash balance at a venue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CashLine {
    /// Venue.
    pub venue: VenueId,
    /// Asset (`USDT`, `USD`).
    pub asset: String,
    /// Total (free + locked).
    pub amount: Decimal,
    /// Part locked in open orders.
    pub locked: Decimal,
}

/// Holdings and cash after the join.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Joined {
    /// Holdings by venue then symbol (flat local positions included: they carry realized P&L).
    pub holdings: Vec<Holding>,
    /// Cash lines by venue then asset.
    pub cash: Vec<CashLine>,
    /// Equity as each broker reports it, to compare with the computed one.
    pub broker_equity: BTreeMap<VenueId, Decimal>,
}

/// Joins the ledger with the latest account snapshot of each venue (see the module docs).
pub fn join(
    ledger: &Ledger,
    accounts: &BTreeMap<VenueId, AccountSnapshot>,
    opts: &JoinOptions,
) -> Joined {
    let mut out = Joined::default();
    let mut by_venue: BTreeMap<VenueId, Vec<&Position>> = BTreeMap::new();
    for p in ledger.positions() {
        by_venue.entry(p.venue).or_default().push(p);
    }
    for venue in VenueId::ALL {
        let local = by_venue.remove(&venue).unwrap_or_default();
        match accounts.get(&venue) {
            None => out.holdings.extend(local.into_iter().map(local_only)),
            Some(snap) => join_venue(venue, &local, snap, opts, &mut out),
        }
    }
    out.holdings
        .sort_by(|a, b| (a.venue, &a.symbol).cmp(&(b.venue, &b.symbol)));
    out.cash
        .sort_by(|a, b| (a.venue, &a.asset).cmp(&(b.venue, &b.asset)));
    out
}

fn local_only(p: &Position) -> Holding {
    holding(p, p.qty, Some(p.cost), Agreement::LocalOnly)
}

fn holding(p: &Position, qty: Decimal, cost: Option<Decimal>, agreement: Agreement) -> Holding {
    Holding {
        venue: p.venue,
        symbol: p.symbol.clone(),
        pair: p.pair.clone(),
        qty,
        cost_source: if cost.is_some() {
            CostSource::LocalFills
        } else {
            CostSource::Unknown
        },
        cost,
        realized: p.realized,
        fees: p.fees,
        agreement,
        broker_price: None,
    }
}

fn same(a: Decimal, b: Decimal, tol: Decimal) -> bool {
    a.checked_sub(b).is_some_and(|d| d.abs() <= tol)
}

/// `p`'s average cost applied to `qty` shares (for a broker quantity that differs).
fn scaled_cost(p: &Position, qty: Decimal) -> Option<Decimal> {
    if qty.is_zero() {
        return Some(Decimal::ZERO);
    }
    p.avg_cost()?.checked_mul(qty)
}

fn join_venue(
    venue: VenueId,
    local: &[&Position],
    snap: &AccountSnapshot,
    opts: &JoinOptions,
    out: &mut Joined,
) {
    if let Some(e) = snap.equity {
        out.broker_equity.insert(venue, e);
    }
    let mut used = vec![false; local.len()];
    for bp in &snap.positions {
        let i = local.iter().position(|p| p.symbol == bp.symbol);
        if let Some(i) = i {
            used[i] = true;
        }
        out.holdings
            .push(broker_position(venue, i.map(|i| local[i]), bp, opts));
    }
    for b in &snap.balances {
        let amount = b.free.saturating_add(b.locked);
        if opts.cash_assets.iter().any(|c| c == &b.asset) {
            out.cash.push(CashLine {
                venue,
                asset: b.asset.clone(),
                amount,
                locked: b.locked,
            });
            continue;
        }
        let idx: Vec<usize> = (0..local.len())
            .filter(|&i| !used[i] && local[i].pair.base == b.asset)
            .collect();
        idx.iter().for_each(|&i| used[i] = true);
        let group: Vec<&Position> = idx.iter().map(|&i| local[i]).collect();
        balance_rows(venue, &b.asset, amount, &group, opts, out);
    }
    if let Some(cash) = snap.cash
        && !out
            .cash
            .iter()
            .any(|c| c.venue == venue && c.asset == opts.account_currency)
    {
        out.cash.push(CashLine {
            venue,
            asset: opts.account_currency.clone(),
            amount: cash,
            locked: Decimal::ZERO,
        });
    }
    for (i, p) in local.iter().enumerate() {
        if !used[i] {
            // The broker reports nothing: its zero wins.
            out.holdings.push(absent_at_broker(p, opts.tolerance));
        }
    }
}

fn absent_at_broker(p: &Position, tol: Decimal) -> Holding {
    if same(p.qty, Decimal::ZERO, tol) {
        holding(p, Decimal::ZERO, Some(Decimal::ZERO), Agreement::Matched)
    } else {
        let flag = Agreement::Mismatch {
            local: p.qty,
            broker: Decimal::ZERO,
        };
        holding(p, Decimal::ZERO, Some(Decimal::ZERO), flag)
    }
}

fn broker_position(
    venue: VenueId,
    local: Option<&Position>,
    bp: &BrokerPosition,
    opts: &JoinOptions,
) -> Holding {
    let broker_cost = (!bp.avg_entry_price.is_zero())
        .then(|| bp.avg_entry_price.checked_mul(bp.qty))
        .flatten();
    let mut h = match local {
        Some(p) if same(p.qty, bp.qty, opts.tolerance) => {
            holding(p, bp.qty, Some(p.cost), Agreement::Matched)
        }
        Some(p) => {
            let flag = Agreement::Mismatch {
                local: p.qty,
                broker: bp.qty,
            };
            let mut h = holding(p, bp.qty, scaled_cost(p, bp.qty), flag);
            if broker_cost.is_some() {
                h.cost = broker_cost;
                h.cost_source = CostSource::Broker;
            }
            h
        }
        None => {
            let quote = opts.account_currency.as_str();
            let p = Position::new(
                venue,
                bp.symbol.clone(),
                Pair::new(bp.symbol.as_str(), quote),
            );
            let mut h = holding(&p, bp.qty, broker_cost, Agreement::BrokerOnly);
            if broker_cost.is_some() {
                h.cost_source = CostSource::Broker;
            }
            h
        }
    };
    h.broker_price = bp.current_price;
    h
}

fn balance_rows(
    venue: VenueId,
    asset: &str,
    amount: Decimal,
    group: &[&Position],
    opts: &JoinOptions,
    out: &mut Joined,
) {
    let local_sum = group
        .iter()
        .fold(Decimal::ZERO, |acc, p| acc.saturating_add(p.qty));
    let agree = same(local_sum, amount, opts.tolerance);
    match group {
        [] if amount.is_zero() => {}
        [] => {
            let Some(quote) = opts.default_quote.get(&venue) else {
                tracing::debug!(%venue, asset, "no default quote to show a broker balance on");
                return;
            };
            let Ok(symbol) = Symbol::new(&format!("{asset}{quote}")) else {
                tracing::debug!(%venue, asset, "balance asset cannot form a symbol");
                return;
            };
            let p = Position::new(venue, symbol, Pair::new(asset, quote));
            out.holdings
                .push(holding(&p, amount, None, Agreement::BrokerOnly));
        }
        [p] if agree => out
            .holdings
            .push(holding(p, amount, Some(p.cost), Agreement::Matched)),
        [p] if p.qty.is_zero() => {
            // Flat locally, yet held: nothing local explains it (keep the realized P&L row).
            out.holdings
                .push(holding(p, amount, None, Agreement::BrokerOnly));
        }
        [p] => {
            let flag = Agreement::Mismatch {
                local: p.qty,
                broker: amount,
            };
            out.holdings
                .push(holding(p, amount, scaled_cost(p, amount), flag));
        }
        many => {
            for p in many {
                let flag = if agree {
                    Agreement::Matched
                } else {
                    Agreement::Mismatch {
                        local: local_sum,
                        broker: amount,
                    }
                };
                out.holdings.push(holding(p, p.qty, Some(p.cost), flag));
            }
        }
    }
}
