//! The portfolio in `update`: the ledger of our fills (average cost), the brokers' latest
//! account snapshots, the valuation the positions tab shows, and the equity-curve sampler.

use super::command::Command;
use super::state::AppState;
use crate::domain::{Fill, Instrument, Symbol, TimeMs, VenueId};
use crate::portfolio::{
    EquitySampler, EquitySnapshot, FillContext, JoinOptions, Ledger, Marks, Pair, PortfolioView,
    SamplerConfig, Valuation, join, value,
};
use crate::venue::AccountSnapshot;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap, VecDeque};

/// Equity points kept for the curve (a day of minutes).
pub const CURVE_POINTS: usize = 1440;

/// Quote assets recognised in a symbol when no instrument is loaded.
const QUOTES: [&str; 8] = ["FDUSD", "USDT", "USDC", "TUSD", "BUSD", "BTC", "ETH", "EUR"];

/// Everything the positions tab is computed from.
#[derive(Debug, Clone)]
pub struct PortfolioState {
    /// Positions from our fills.
    pub ledger: Ledger,
    /// Latest broker snapshot per venue.
    pub accounts: BTreeMap<VenueId, AccountSnapshot>,
    /// Equity curve, oldest first.
    pub curve: VecDeque<EquitySnapshot>,
    /// When the next curve point is due.
    pub sampler: EquitySampler,
    /// Reporting currency.
    pub currency: String,
}

impl PortfolioState {
    /// An empty portfolio reported in `currency`.
    pub fn new(currency: &str) -> Self {
        Self {
            ledger: Ledger::new(),
            accounts: BTreeMap::new(),
            curve: VecDeque::new(),
            sampler: EquitySampler::new(SamplerConfig::default()),
            currency: currency.to_string(),
        }
    }
}

/// The assets of `symbol` on `venue`: from its instrument, else guessed from a known quote
/// suffix (crypto), else a US stock.
pub fn pair_of(venue: VenueId, symbol: &Symbol, instruments: &HashMap<Symbol, Instrument>) -> Pair {
    if let Some(i) = instruments.get(symbol) {
        return Pair::from(i);
    }
    let s = symbol.as_str();
    match QUOTES.iter().find(|q| s.len() > q.len() && s.ends_with(*q)) {
        Some(q) if venue != VenueId::Alpaca => Pair::new(&s[..s.len() - q.len()], q),
        _ => Pair::stock(symbol),
    }
}

/// Adds fills to the ledger (duplicates are ignored by the ledger).
pub fn add_fills<'a>(state: &mut AppState, fills: impl IntoIterator<Item = &'a Fill>) {
    for f in fills {
        let ctx = FillContext::new(pair_of(f.venue, &f.symbol, &state.instruments));
        if let Err(e) = state.portfolio.ledger.apply(f, &ctx) {
            state.log(super::state::Level::Error, format!("portfolio: {e}"));
        }
    }
}

/// Stablecoins count as the reporting currency one for one.
fn valuation(currency: &str) -> Valuation {
    ["USDT", "USDC", "FDUSD", "TUSD", "BUSD", "USD"]
        .into_iter()
        .fold(Valuation::new(currency), |v, a| {
            v.with_rate(a, Decimal::ONE)
        })
}

/// The positions tab's rows and totals, valued at the last prices.
pub fn view(state: &AppState) -> PortfolioView {
    let p = &state.portfolio;
    let joined = join(&p.ledger, &p.accounts, &JoinOptions::default());
    let mut marks = Marks::new();
    for h in &joined.holdings {
        if let Some(last) = state.markets.get(&h.symbol).and_then(|m| m.last) {
            marks.set(h.venue, h.symbol.clone(), last);
        }
    }
    value(&joined, &marks, &valuation(&p.currency))
}

/// On the clock: takes an equity point when one is due.
pub fn on_tick(state: &mut AppState, now: TimeMs) -> Vec<Command> {
    let Some(kind) = state.portfolio.sampler.poll(now) else {
        return Vec::new();
    };
    let totals = view(state).totals;
    let point = EquitySnapshot::from_totals(now, kind, &totals);
    push_point(state, point.clone());
    vec![Command::SaveEquity(point)]
}

fn push_point(state: &mut AppState, point: EquitySnapshot) {
    let curve = &mut state.portfolio.curve;
    curve.push_back(point);
    while curve.len() > CURVE_POINTS {
        curve.pop_front();
    }
}

/// Stored curve points at start; the sampler resumes after the last ones.
pub fn curve_loaded(state: &mut AppState, points: Vec<EquitySnapshot>) {
    let last = points.iter().map(|p| p.time).max();
    let last_daily = points
        .iter()
        .filter(|p| p.kind == crate::portfolio::SnapshotKind::Daily)
        .map(|p| p.time)
        .max();
    state.portfolio.sampler = EquitySampler::resume(SamplerConfig::default(), last, last_daily);
    for p in points {
        push_point(state, p);
    }
}
