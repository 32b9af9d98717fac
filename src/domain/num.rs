//! Exact fixed-point numbers for prices and quantities: 8 decimal places in an `i64`.
//!
//! Binance itself stores prices and quantities as integers of 1e-8 (its largest quantity is
//! `92233720368.54775807`, i.e. `i64::MAX / 1e8`), so this representation loses nothing on the
//! venues we support. Parsing is exact: a string with more than 8 decimals is an error, never
//! silently rounded. `f64` appears only in [`Price::to_f64_lossy`], which exists for charts.

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Number of decimal places every [`Price`] and [`Qty`] carries.
pub const DECIMALS: u32 = 8;
/// `10^DECIMALS`: the integer that represents `1`.
pub const SCALE: i64 = 100_000_000;

/// Why a decimal string could not be turned into a fixed-point number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumError {
    /// The text is empty or has a character that is not a digit, a sign or one dot.
    #[error("`{0}` is not a number")]
    Invalid(String),
    /// More fractional digits than the 8 this client carries (nothing is rounded).
    #[error("`{0}` has more than 8 decimal places")]
    TooPrecise(String),
    /// The value does not fit (larger than 92,233,720,368).
    #[error("`{0}` is too large")]
    Overflow(String),
}

/// Parses an ASCII decimal (`-12.5`, `0.00100000`, `7`) into units of 1e-8 without allocating.
///
/// Exponents, spaces and a bare `.` are rejected; trailing zeros past the 8th decimal are
/// accepted (`"1.000000000"`) because they do not change the value.
pub fn parse_units(bytes: &[u8]) -> Result<i64, NumError> {
    let err = |make: fn(String) -> NumError| make(String::from_utf8_lossy(bytes).into_owned());
    let (neg, digits) = match bytes.first() {
        Some(b'-') => (true, &bytes[1..]),
        Some(b'+') => (false, &bytes[1..]),
        _ => (false, bytes),
    };
    if digits.is_empty() {
        return Err(err(NumError::Invalid));
    }
    let mut int: i64 = 0;
    let mut frac: i64 = 0;
    let mut frac_digits: u32 = 0;
    let mut seen_dot = false;
    let mut any_digit = false;
    for &b in digits {
        match b {
            b'0'..=b'9' => {
                any_digit = true;
                let d = i64::from(b - b'0');
                if !seen_dot {
                    int = int
                        .checked_mul(10)
                        .and_then(|v| v.checked_add(d))
                        .ok_or_else(|| err(NumError::Overflow))?;
                } else if frac_digits < DECIMALS {
                    frac = frac * 10 + d;
                    frac_digits += 1;
                } else if d != 0 {
                    return Err(err(NumError::TooPrecise));
                }
            }
            b'.' if !seen_dot => seen_dot = true,
            _ => return Err(err(NumError::Invalid)),
        }
    }
    if !any_digit {
        return Err(err(NumError::Invalid));
    }
    let frac = frac * 10_i64.pow(DECIMALS - frac_digits);
    let units = int
        .checked_mul(SCALE)
        .and_then(|v| v.checked_add(frac))
        .ok_or_else(|| err(NumError::Overflow))?;
    Ok(if neg { -units } else { units })
}

/// Writes `units` (1e-8) as a decimal with exactly `dp` places (truncating finer digits).
pub fn write_units(f: &mut impl fmt::Write, units: i64, dp: u32) -> fmt::Result {
    let dp = dp.min(DECIMALS);
    let sign = if units < 0 { "-" } else { "" };
    let abs = units.unsigned_abs();
    let int = abs / SCALE as u64;
    if dp == 0 {
        return write!(f, "{sign}{int}");
    }
    let frac = (abs % SCALE as u64) / 10_u64.pow(DECIMALS - dp);
    write!(f, "{sign}{int}.{frac:0width$}", width = dp as usize)
}

/// The number of decimals needed to show `units` without trailing zeros.
pub fn natural_dp(units: i64) -> u32 {
    let mut frac = units.unsigned_abs() % SCALE as u64;
    if frac == 0 {
        return 0;
    }
    let mut dp = DECIMALS;
    while frac.is_multiple_of(10) {
        frac /= 10;
        dp -= 1;
    }
    dp
}

macro_rules! fixed_point {
    ($name:ident, $what:literal) => {
        #[doc = concat!("An exact ", $what, " in units of 1e-8 (see the module docs).")]
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(i64);

        impl $name {
            /// Zero.
            pub const ZERO: Self = Self(0);
            /// One whole unit.
            pub const ONE: Self = Self(SCALE);
            /// The largest representable value.
            pub const MAX: Self = Self(i64::MAX);

            /// Wraps a count of 1e-8 units.
            pub const fn from_units(units: i64) -> Self {
                Self(units)
            }
            /// The count of 1e-8 units.
            pub const fn units(self) -> i64 {
                self.0
            }
            /// A whole number, e.g. `from_int(5)` is `5.00000000`.
            pub const fn from_int(v: i64) -> Self {
                Self(v * SCALE)
            }
            /// Parses a decimal string exactly (see [`parse_units`]).
            pub fn parse(s: &str) -> Result<Self, NumError> {
                parse_units(s.trim().as_bytes()).map(Self)
            }
            /// Parses ASCII bytes exactly, without allocating on success.
            pub fn parse_bytes(b: &[u8]) -> Result<Self, NumError> {
                parse_units(b).map(Self)
            }
            /// `true` for zero.
            pub const fn is_zero(self) -> bool {
                self.0 == 0
            }
            /// `true` below zero.
            pub const fn is_negative(self) -> bool {
                self.0 < 0
            }
            /// `true` above zero.
            pub const fn is_positive(self) -> bool {
                self.0 > 0
            }
            /// The absolute value.
            pub const fn abs(self) -> Self {
                Self(self.0.abs())
            }
            /// Addition that reports overflow.
            pub fn checked_add(self, o: Self) -> Option<Self> {
                self.0.checked_add(o.0).map(Self)
            }
            /// Subtraction that reports overflow.
            pub fn checked_sub(self, o: Self) -> Option<Self> {
                self.0.checked_sub(o.0).map(Self)
            }
            /// Addition that stops at the bounds.
            pub fn saturating_add(self, o: Self) -> Self {
                Self(self.0.saturating_add(o.0))
            }
            /// Subtraction that stops at the bounds.
            pub fn saturating_sub(self, o: Self) -> Self {
                Self(self.0.saturating_sub(o.0))
            }
            /// `true` when `self` is a whole multiple of `step` (a zero step accepts anything).
            pub fn is_multiple_of(self, step: Self) -> bool {
                step.0 == 0 || self.0 % step.0 == 0
            }
            /// Rounds towards zero to a multiple of `step` (a zero step changes nothing).
            pub fn floor_to(self, step: Self) -> Self {
                if step.0 == 0 {
                    self
                } else {
                    Self(self.0 - self.0 % step.0)
                }
            }
            /// The exact value as a `Decimal`.
            pub fn to_decimal(self) -> Decimal {
                Decimal::new(self.0, DECIMALS)
            }
            /// Converts an exact `Decimal`; fails if it has more than 8 decimals or is too large.
            pub fn from_decimal(d: Decimal) -> Result<Self, NumError> {
                let scaled = d * Decimal::from(SCALE);
                if scaled.fract() != Decimal::ZERO {
                    return Err(NumError::TooPrecise(d.to_string()));
                }
                i64::try_from(scaled)
                    .map(Self)
                    .map_err(|_| NumError::Overflow(d.to_string()))
            }
            /// An approximation for drawing charts. Never use it for money.
            pub fn to_f64_lossy(self) -> f64 {
                self.0 as f64 / SCALE as f64
            }
            /// Formats with exactly `dp` decimals (finer digits are cut, not rounded).
            pub fn fmt_dp(self, dp: u32) -> String {
                let mut s = String::with_capacity(24);
                let _ = write_units(&mut s, self.0, dp);
                s
            }
            /// Decimals needed to print this value without trailing zeros.
            pub fn natural_dp(self) -> u32 {
                natural_dp(self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match f.precision() {
                    Some(p) => write_units(f, self.0, p as u32),
                    None => write_units(f, self.0, natural_dp(self.0)),
                }
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self)
            }
        }

        impl std::str::FromStr for $name {
            type Err = NumError;
            fn from_str(s: &str) -> Result<Self, NumError> {
                Self::parse(s)
            }
        }

        impl std::ops::Neg for $name {
            type Output = Self;
            fn neg(self) -> Self {
                Self(-self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_any(FixedVisitor).map(Self)
            }
        }
    };
}

fixed_point!(Price, "price");
fixed_point!(Qty, "quantity");

/// Accepts a decimal string or an integer; floats are refused because they are not exact.
struct FixedVisitor;

impl serde::de::Visitor<'_> for FixedVisitor {
    type Value = i64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a decimal number written as a string, e.g. \"0.01\"")
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<i64, E> {
        parse_units(v.trim().as_bytes()).map_err(E::custom)
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<i64, E> {
        v.checked_mul(SCALE)
            .ok_or_else(|| E::custom(NumError::Overflow(v.to_string())))
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<i64, E> {
        i64::try_from(v)
            .ok()
            .and_then(|v| v.checked_mul(SCALE))
            .ok_or_else(|| E::custom(NumError::Overflow(v.to_string())))
    }
}

/// `price × qty` exactly (16 decimals before normalising), or `None` on overflow.
pub fn notional(price: Price, qty: Qty) -> Option<Decimal> {
    let raw = i128::from(price.0).checked_mul(i128::from(qty.0))?;
    Decimal::try_from_i128_with_scale(raw, 2 * DECIMALS)
        .ok()
        .map(|d| d.normalize())
}

impl Qty {
    /// Reinterprets a quantity as a price-like amount (e.g. a quote notional typed by the user).
    pub const fn as_price(self) -> Price {
        Price(self.0)
    }
}

impl Price {
    /// Reinterprets a price as a quantity of the quote asset.
    pub const fn as_qty(self) -> Qty {
        Qty(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exactly_what_was_typed() {
        let cases = [
            ("0.1", 10_000_000),
            ("0.10", 10_000_000),
            ("12345.67890123", 1_234_567_890_123),
            ("-2.5", -250_000_000),
            ("7", 700_000_000),
            (".5", 50_000_000),
            ("5.", 500_000_000),
            ("0.00000001", 1),
            ("1.000000000", SCALE),
            ("92233720368.54775807", i64::MAX),
        ];
        for (text, units) in cases {
            assert_eq!(Price::parse(text).map(Price::units), Ok(units), "{text}");
        }
    }

    #[test]
    fn refuses_what_it_cannot_hold_exactly() {
        assert!(matches!(
            Price::parse("0.000000001"),
            Err(NumError::TooPrecise(_))
        ));
        assert!(matches!(
            Price::parse("92233720368.54775808"),
            Err(NumError::Overflow(_))
        ));
        for bad in ["", "-", ".", "1e5", "1.2.3", "abc", "1 0", "0x10", "NaN"] {
            assert!(
                matches!(Qty::parse(bad), Err(NumError::Invalid(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn prints_without_noise_or_with_fixed_places() {
        let p = Price::parse("43250.10").unwrap();
        assert_eq!(p.to_string(), "43250.1");
        assert_eq!(p.fmt_dp(2), "43250.10");
        assert_eq!(format!("{p:.3}"), "43250.100");
        assert_eq!(Qty::parse("-0.00012").unwrap().to_string(), "-0.00012");
        assert_eq!(Qty::ZERO.to_string(), "0");
        assert_eq!(Qty::parse("1.23456789").unwrap().fmt_dp(4), "1.2345");
    }

    #[test]
    fn steps_and_notional_are_exact() {
        let tick = Price::parse("0.01").unwrap();
        assert!(Price::parse("100.25").unwrap().is_multiple_of(tick));
        assert!(!Price::parse("100.255").unwrap().is_multiple_of(tick));
        assert_eq!(
            Price::parse("100.259").unwrap().floor_to(tick).to_string(),
            "100.25"
        );
        let n = notional(Price::parse("0.1").unwrap(), Qty::parse("3").unwrap()).unwrap();
        assert_eq!(n.to_string(), "0.3");
        let d = Decimal::new(12345, 3);
        assert_eq!(Price::from_decimal(d).unwrap().to_string(), "12.345");
        assert!(Price::from_decimal(Decimal::new(1, 9)).is_err());
    }

    #[test]
    fn serde_uses_strings_and_refuses_floats() {
        let p: Price = serde_json::from_str("\"0.015\"").unwrap();
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"0.015\"");
        let q: Qty = serde_json::from_str("3").unwrap();
        assert_eq!(q, Qty::from_int(3));
        assert!(serde_json::from_str::<Qty>("0.1").is_err());
    }
}
