//! The demo account's balances (free and locked per asset), exact decimals.

use super::symbols::SymbolSpec;
use crate::domain::Price;
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::{BTreeMap, BTreeSet};

/// Quote value of each non-quote asset the demo account starts with.
const START_VALUE: i64 = 20_000;
/// Quote assets the demo account starts with.
const START_QUOTE: [(&str, i64); 3] = [("USDT", 100_000), ("USDC", 50_000), ("FDUSD", 10_000)];

/// Maker and taker commission rate: 0.1 %.
pub fn commission_rate() -> Decimal {
    Decimal::new(1, 3)
}

/// Truncates to 8 decimals (what Binance stores).
pub fn trunc8(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(8, RoundingStrategy::ToZero)
}

/// Formats with exactly 8 decimals, e.g. `"10.50000000"`.
pub fn d8(d: Decimal) -> String {
    format!("{:.8}", trunc8(d))
}

/// One asset's balance.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Balance {
    /// Available.
    pub free: Decimal,
    /// Held by open orders.
    pub locked: Decimal,
}

/// Balances by asset plus the set of assets changed since the last drain.
#[derive(Debug, Clone, Default)]
pub struct Account {
    balances: BTreeMap<String, Balance>,
    changed: BTreeSet<String>,
}

/// Not enough free balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Insufficient;

impl Account {
    /// The demo account: quote assets plus about 20,000 quote units of every base asset.
    pub fn new(specs: &[SymbolSpec]) -> Account {
        let mut balances = BTreeMap::new();
        for (a, v) in START_QUOTE {
            balances.insert(a.to_string(), free(Decimal::from(v)));
        }
        for s in specs {
            let price = s.base_price.to_decimal();
            let quote_value = match s.quote.as_str() {
                "BTC" => Decimal::new(2, 1),
                "ETH" => Decimal::from(6),
                _ => Decimal::from(START_VALUE),
            };
            let qty = (quote_value / price.max(Decimal::new(1, 8))).floor();
            balances
                .entry(s.base.clone())
                .or_insert_with(|| free(qty.max(Decimal::ONE)));
            balances
                .entry(s.quote.clone())
                .or_insert_with(|| free(quote_value));
        }
        Account {
            balances,
            changed: BTreeSet::new(),
        }
    }

    /// The balance of `asset` (zero if never held).
    pub fn get(&self, asset: &str) -> Balance {
        self.balances.get(asset).copied().unwrap_or_default()
    }

    /// Every balance, by asset name.
    pub fn all(&self) -> impl Iterator<Item = (&String, &Balance)> {
        self.balances.iter()
    }

    fn entry(&mut self, asset: &str) -> &mut Balance {
        self.changed.insert(asset.to_string());
        self.balances.entry(asset.to_string()).or_default()
    }

    /// Moves `amount` from free to locked.
    pub fn lock(&mut self, asset: &str, amount: Decimal) -> Result<(), Insufficient> {
        if self.get(asset).free < amount {
            return Err(Insufficient);
        }
        let b = self.entry(asset);
        b.free -= amount;
        b.locked += amount;
        Ok(())
    }

    /// Moves `amount` from locked back to free.
    pub fn unlock(&mut self, asset: &str, amount: Decimal) {
        let b = self.entry(asset);
        let a = amount.min(b.locked);
        b.locked -= a;
        b.free += a;
    }

    /// Removes `amount` from locked (it was spent).
    pub fn take_locked(&mut self, asset: &str, amount: Decimal) {
        let b = self.entry(asset);
        b.locked = (b.locked - amount).max(Decimal::ZERO);
    }

    /// Removes `amount` from free.
    pub fn take_free(&mut self, asset: &str, amount: Decimal) -> Result<(), Insufficient> {
        if self.get(asset).free < amount {
            return Err(Insufficient);
        }
        self.entry(asset).free -= amount;
        Ok(())
    }

    /// Adds `amount` to free.
    pub fn credit(&mut self, asset: &str, amount: Decimal) {
        self.entry(asset).free += amount;
    }

    /// The assets changed since the last call, with their balances.
    pub fn drain_changed(&mut self) -> Vec<(String, Balance)> {
        let changed = std::mem::take(&mut self.changed);
        changed
            .into_iter()
            .map(|a| {
                let b = self.get(&a);
                (a, b)
            })
            .collect()
    }

    /// Total quote value needed to buy at `price` (for locks).
    pub fn cost(price: Price, qty: crate::domain::Qty) -> Decimal {
        crate::domain::notional(price, qty).unwrap_or(Decimal::MAX)
    }
}

fn free(v: Decimal) -> Balance {
    Balance {
        free: v,
        locked: Decimal::ZERO,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_and_credits_are_exact() {
        let mut a = Account::new(&[SymbolSpec::for_name("BTCUSDT")]);
        assert_eq!(a.get("USDT").free, Decimal::from(100_000));
        assert_eq!(
            a.get("BTC").free,
            Decimal::ZERO + Decimal::ONE.max(a.get("BTC").free)
        );
        a.lock("USDT", Decimal::new(1005, 1)).unwrap();
        assert_eq!(a.get("USDT").locked, Decimal::new(1005, 1));
        assert!(a.lock("USDT", Decimal::from(1_000_000)).is_err());
        a.unlock("USDT", Decimal::new(5, 1));
        a.take_locked("USDT", Decimal::from(100));
        assert_eq!(a.get("USDT").locked, Decimal::ZERO);
        assert_eq!(d8(a.get("USDT").free), "99900.00000000");
        assert_eq!(a.drain_changed().len(), 1);
        assert_eq!(d8(Decimal::new(123_456_789_123, 11)), "1.23456789");
    }
}
