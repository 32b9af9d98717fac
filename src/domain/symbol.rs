//! Instrument symbols and venue identities.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// A venue's instrument symbol in its canonical form (`BTCUSDT`, `AAPL`): upper case, no spaces.
///
/// Cheap to clone (shared string). Binance stream names use the lower-case form, see
/// [`Symbol::lower`].
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Symbol(Arc<str>);

/// A symbol the user or a venue gave us that cannot be one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a valid symbol (letters, digits, `.`, `/`, `-` or `_`, at most 32)")]
pub struct SymbolError(pub String);

impl Symbol {
    /// Upper-cases and checks `s`.
    pub fn new(s: &str) -> Result<Self, SymbolError> {
        let t = s.trim();
        let ok = !t.is_empty()
            && t.len() <= 32
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"./-_".contains(&b));
        if ok {
            Ok(Self(Arc::from(t.to_ascii_uppercase())))
        } else {
            Err(SymbolError(s.to_string()))
        }
    }
    /// The symbol text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Lower case, as Binance stream names want it.
    pub fn lower(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl TryFrom<String> for Symbol {
    type Error = SymbolError;
    fn try_from(s: String) -> Result<Self, SymbolError> {
        Self::new(&s)
    }
}

impl From<Symbol> for String {
    fn from(s: Symbol) -> String {
        s.0.to_string()
    }
}

impl std::str::FromStr for Symbol {
    type Err = SymbolError;
    fn from_str(s: &str) -> Result<Self, SymbolError> {
        Self::new(s)
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Symbol({})", self.0)
    }
}

/// The venues the client talks to. `Paper` is the in-process broker; the simulator speaks the
/// Binance protocol, so it is `Binance` pointed at loopback URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VenueId {
    /// Binance Spot (crypto), or anything speaking its protocol (testnet, the simulator).
    Binance,
    /// Alpaca (US stocks).
    Alpaca,
    /// The in-process paper broker.
    Paper,
}

impl VenueId {
    /// Every venue, in display order.
    pub const ALL: [VenueId; 3] = [VenueId::Binance, VenueId::Alpaca, VenueId::Paper];
    /// The lower-case name used in config, CLI and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            VenueId::Binance => "binance",
            VenueId::Alpaca => "alpaca",
            VenueId::Paper => "paper",
        }
    }
}

impl fmt::Display for VenueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for VenueId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "binance" => Ok(VenueId::Binance),
            "alpaca" => Ok(VenueId::Alpaca),
            "paper" => Ok(VenueId::Paper),
            other => Err(format!(
                "unknown venue `{other}` (binance, alpaca or paper)"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_are_normalised_and_checked() {
        assert_eq!(Symbol::new(" btcusdt ").unwrap().as_str(), "BTCUSDT");
        assert_eq!(Symbol::new("BRK.B").unwrap().lower(), "brk.b");
        assert!(Symbol::new("").is_err());
        assert!(Symbol::new("BTC USDT").is_err());
        assert!(Symbol::new("btc\"usdt").is_err());
    }
}
