//! The simulated instruments: presets with realistic price level, tick and step, and a generic
//! fallback for any other symbol name.

use crate::domain::{Price, Qty};
use rust_decimal::Decimal;

/// Symbols the simulator lists when `--symbols` is not given.
pub const DEFAULT_SYMBOLS: &str = "BTCUSDT,ETHUSDT,SOLUSDT,BNBUSDT,XRPUSDT,DOGEUSDT";

/// Quote assets recognised at the end of a symbol name, longest first.
const QUOTES: [&str; 6] = ["FDUSD", "USDT", "USDC", "BTC", "ETH", "EUR"];

/// One simulated instrument and the parameters of its generated market.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SymbolSpec {
    /// Upper-case symbol, e.g. `BTCUSDT`.
    pub name: String,
    /// Lower-case symbol as used in stream names.
    pub lower: String,
    /// Base asset.
    pub base: String,
    /// Quote asset.
    pub quote: String,
    /// PRICE_FILTER tick size.
    pub tick: Price,
    /// PRICE_FILTER bounds.
    pub min_price: Price,
    /// PRICE_FILTER upper bound.
    pub max_price: Price,
    /// LOT_SIZE step size.
    pub step: Qty,
    /// LOT_SIZE minimum quantity.
    pub min_qty: Qty,
    /// LOT_SIZE maximum quantity.
    pub max_qty: Qty,
    /// NOTIONAL minimum.
    pub min_notional: Decimal,
    /// NOTIONAL maximum.
    pub max_notional: Decimal,
    /// Price level the history and the live market start around.
    pub base_price: Price,
    /// A typical resting level / trade size.
    pub typical_qty: Qty,
}

impl SymbolSpec {
    /// The preset for a well-known symbol, or a generic instrument around 100 quote units.
    pub fn for_name(name: &str) -> SymbolSpec {
        let name = name.trim().to_ascii_uppercase();
        let (base, quote) = split_symbol(&name);
        let preset = match name.as_str() {
            "BTCUSDT" => Some(("90000", "0.01", "0.00001", "0.05")),
            "ETHUSDT" => Some(("3200", "0.01", "0.0001", "0.5")),
            "SOLUSDT" => Some(("150", "0.01", "0.001", "5")),
            "BNBUSDT" => Some(("650", "0.01", "0.001", "1")),
            "XRPUSDT" => Some(("2.2", "0.0001", "0.1", "500")),
            "DOGEUSDT" => Some(("0.16", "0.00001", "1", "5000")),
            "ADAUSDT" => Some(("0.7", "0.0001", "0.1", "1500")),
            _ => None,
        };
        let btc_quoted = matches!(quote.as_str(), "BTC" | "ETH");
        let (price, tick, step, typical) = match preset {
            Some(p) => p,
            None if btc_quoted => ("0.05", "0.000001", "0.01", "10"),
            None => ("100", "0.01", "0.001", "5"),
        };
        let min_notional = if btc_quoted {
            Decimal::new(1, 4)
        } else {
            Decimal::new(5, 0)
        };
        let tick = parse_price(tick);
        let step = parse_qty(step);
        SymbolSpec {
            lower: name.to_ascii_lowercase(),
            name,
            base,
            quote,
            tick,
            min_price: tick,
            max_price: Price::from_int(1_000_000),
            step,
            min_qty: step,
            max_qty: Qty::from_int(9_000_000),
            min_notional,
            max_notional: Decimal::new(9_000_000, 0),
            base_price: parse_price(price),
            typical_qty: parse_qty(typical),
        }
    }

    /// Price in whole ticks (prices in the book are multiples of the tick).
    pub fn ticks(&self, p: Price) -> i64 {
        p.units() / self.tick.units().max(1)
    }

    /// The price of `ticks` whole ticks.
    pub fn price_of(&self, ticks: i64) -> Price {
        Price::from_units(ticks.saturating_mul(self.tick.units()))
    }

    /// Floors a quantity in units to the step, at least one step.
    pub fn qty_of_units(&self, units: i64) -> Qty {
        let step = self.step.units().max(1);
        Qty::from_units((units / step).max(1) * step)
    }
}

/// Splits `BTCUSDT` into (`BTC`, `USDT`); unknown quotes fall back to the last 4 letters.
fn split_symbol(name: &str) -> (String, String) {
    for q in QUOTES {
        if name.len() > q.len() && name.ends_with(q) {
            return (name[..name.len() - q.len()].to_string(), q.to_string());
        }
    }
    let cut = name.len().saturating_sub(4).max(1).min(name.len());
    (name[..cut].to_string(), name[cut..].to_string())
}

fn parse_price(s: &str) -> Price {
    Price::parse(s).unwrap_or(Price::ONE)
}

fn parse_qty(s: &str) -> Qty {
    Qty::parse(s).unwrap_or(Qty::ONE)
}

/// Parses `BTCUSDT,ethusdt` into specs, dropping duplicates and blanks, keeping order.
pub fn parse_list(list: &[String]) -> Vec<SymbolSpec> {
    let mut out: Vec<SymbolSpec> = Vec::new();
    for name in list.iter().flat_map(|s| s.split(',')) {
        let name = name.trim();
        if name.is_empty() || out.iter().any(|s| s.name.eq_ignore_ascii_case(name)) {
            continue;
        }
        out.push(SymbolSpec::for_name(name));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_and_generic_symbols() {
        let btc = SymbolSpec::for_name("btcusdt");
        assert_eq!((btc.base.as_str(), btc.quote.as_str()), ("BTC", "USDT"));
        assert_eq!(btc.tick.to_string(), "0.01");
        assert_eq!(btc.step.to_string(), "0.00001");
        let foo = SymbolSpec::for_name("FOOBTC");
        assert_eq!((foo.base.as_str(), foo.quote.as_str()), ("FOO", "BTC"));
        let list = parse_list(&["BTCUSDT,ethusdt".into(), "BTCUSDT".into()]);
        assert_eq!(list.len(), 2);
        assert_eq!(btc.ticks(Price::parse("90000.01").unwrap()), 9_000_001);
    }
}
