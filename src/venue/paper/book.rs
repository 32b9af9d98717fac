//! Paper matching primitives: walking a book side within a limit, exact fees, symbol splits.

use crate::domain::{Level, Price, Qty, Side, notional};
use rust_decimal::{Decimal, RoundingStrategy};

/// One execution to make: `qty` at `price`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Exec {
    /// Execution price.
    pub price: Price,
    /// Executed base quantity.
    pub qty: Qty,
}

/// How much an order wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Want {
    /// A base quantity.
    Base(Qty),
    /// A quote amount to spend (buy) or raise (sell).
    Quote(Decimal),
}

/// Whether `level_price` is acceptable for a `side` order limited at `limit`.
pub(crate) fn within(side: Side, level_price: Price, limit: Option<Price>) -> bool {
    match (side, limit) {
        (_, None) => true,
        (Side::Buy, Some(l)) => level_price <= l,
        (Side::Sell, Some(l)) => level_price >= l,
    }
}

/// Floors `q` to a multiple of `step` (1e-8 when the step is zero).
fn floor_qty(q: Decimal, step: Qty) -> Qty {
    let q = Qty::from_decimal(q.trunc_with_scale(8)).unwrap_or(Qty::MAX);
    q.floor_to(step)
}

/// Walks `levels` (the opposite side, best first) and returns the executions that fill as
/// much of `want` as the levels within `limit` allow. `used` is liquidity already taken from
/// these levels in the same pass (by price), which is skipped and updated.
pub(crate) fn walk(
    levels: &[Level],
    side: Side,
    limit: Option<Price>,
    want: Want,
    step: Qty,
    used: &mut Vec<(Price, Qty)>,
) -> Vec<Exec> {
    let mut out = Vec::new();
    let mut left = want;
    for level in levels.iter().take_while(|l| within(side, l.price, limit)) {
        let taken = used
            .iter()
            .find(|(p, _)| *p == level.price)
            .map_or(Qty::ZERO, |(_, q)| *q);
        let available = level.qty.saturating_sub(taken);
        let qty = match left {
            Want::Base(q) => q.min(available),
            Want::Quote(a) => {
                let affordable = a.checked_div(level.price.to_decimal()).unwrap_or_default();
                floor_qty(affordable, step).min(available)
            }
        };
        if !qty.is_positive() {
            if available.is_positive() {
                break; // what is left to fill is less than one step
            }
            continue; // this level was used up earlier in the pass
        }
        out.push(Exec {
            price: level.price,
            qty,
        });
        match used.iter_mut().find(|(p, _)| *p == level.price) {
            Some((_, q)) => *q = q.saturating_add(qty),
            None => used.push((level.price, qty)),
        }
        left = match left {
            Want::Base(q) => Want::Base(q.saturating_sub(qty)),
            Want::Quote(a) => Want::Quote(a - notional(level.price, qty).unwrap_or(a)),
        };
        if left == Want::Base(Qty::ZERO) {
            break;
        }
    }
    out
}

/// Total base quantity of some executions.
pub(crate) fn total_qty(execs: &[Exec]) -> Qty {
    execs.iter().fold(Qty::ZERO, |a, e| a.saturating_add(e.qty))
}

/// Total quote value of some executions.
pub(crate) fn total_quote(execs: &[Exec]) -> Decimal {
    execs
        .iter()
        .map(|e| notional(e.price, e.qty).unwrap_or(Decimal::ZERO))
        .sum()
}

/// `value × rate`, rounded to 8 decimals (half away from zero), as venues charge it.
pub(crate) fn fee(value: Decimal, rate: Decimal) -> Decimal {
    (value * rate).round_dp_with_strategy(8, RoundingStrategy::MidpointAwayFromZero)
}

/// Base and quote assets of a symbol when no instrument says: `BTC/USD` splits at the slash,
/// `BTCUSDT` at a known quote suffix, anything else is a stock priced in USD.
pub(crate) fn split_symbol(s: &str) -> (String, String) {
    if let Some((b, q)) = s.split_once('/') {
        return (b.to_string(), q.to_string());
    }
    const QUOTES: [&str; 10] = [
        "USDT", "USDC", "FDUSD", "BUSD", "TUSD", "BTC", "ETH", "BNB", "EUR", "USD",
    ];
    for q in QUOTES {
        if s.len() > q.len() && s.ends_with(q) {
            return (s[..s.len() - q.len()].to_string(), q.to_string());
        }
    }
    (s.to_string(), "USD".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lv(p: &str, q: &str) -> Level {
        Level {
            price: Price::parse(p).unwrap(),
            qty: Qty::parse(q).unwrap(),
        }
    }

    #[test]
    fn walks_levels_within_the_limit() {
        let asks = [lv("100", "1"), lv("101", "2"), lv("105", "5")];
        let mut used = Vec::new();
        let want = Want::Base(Qty::parse("2.5").unwrap());
        let ex = walk(
            &asks,
            Side::Buy,
            Some(Price::parse("101").unwrap()),
            want,
            Qty::ZERO,
            &mut used,
        );
        assert_eq!(ex.len(), 2);
        assert_eq!(total_qty(&ex).to_string(), "2.5");
        assert_eq!(total_quote(&ex).to_string(), "251.5");
        // The same pass cannot take the same liquidity twice.
        let again = walk(
            &asks,
            Side::Buy,
            Some(Price::parse("101").unwrap()),
            want,
            Qty::ZERO,
            &mut used,
        );
        assert_eq!(total_qty(&again).to_string(), "0.5");
    }

    #[test]
    fn quote_amounts_buy_whole_steps() {
        let asks = [lv("3", "10")];
        let ex = walk(
            &asks,
            Side::Buy,
            None,
            Want::Quote(Decimal::from(10)),
            Qty::parse("0.01").unwrap(),
            &mut Vec::new(),
        );
        assert_eq!(ex[0].qty.to_string(), "3.33");
        assert_eq!(
            fee(Decimal::new(999, 2), Decimal::new(1, 3)).to_string(),
            "0.00999"
        );
        assert_eq!(split_symbol("BTCUSDT"), ("BTC".into(), "USDT".into()));
        assert_eq!(split_symbol("AAPL"), ("AAPL".into(), "USD".into()));
        assert_eq!(split_symbol("ETH/BTC"), ("ETH".into(), "BTC".into()));
    }
}
