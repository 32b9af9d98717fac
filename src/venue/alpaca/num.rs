//! Exact conversions of Alpaca values: decimal strings, raw JSON number tokens, RFC 3339 times.
//!
//! Rules (documented for the lead):
//! - Trading API decimals are strings and are parsed exactly into `Decimal` / `Price` / `Qty`.
//! - Venue prices (fill prices) are exact when they fit 8 decimals; an averaged price with more
//!   is rounded half-even to 8 (logged) rather than losing the whole order event.
//! - Order *quantities* from the venue (filled qty, fill qty) are cut to 8 decimals towards zero:
//!   Alpaca's fractional step is 1e-9 (notional orders fill in such amounts), finer than our 8
//!   decimals. The money side stays exact, because `filled_quote` is computed in `Decimal` from
//!   the untruncated strings; only the displayed share count can be short by < 1e-8.
//! - Market data numbers (display only, never used for orders) are exact when they fit 8
//!   decimals, and otherwise rounded half-even to 8.

use super::parse::AlpacaParseError;
use crate::domain::{NumError, Price, Qty, TimeMs};
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::value::RawValue;

/// The text of a raw JSON value: the number token itself, or a string's content.
pub(crate) fn raw_text(raw: &RawValue) -> &str {
    let t = raw.get().trim();
    t.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(t)
}

fn number_err(field: &'static str, value: &str) -> AlpacaParseError {
    AlpacaParseError::Number {
        field,
        value: value.chars().take(64).collect(),
    }
}

/// Parses a decimal (plain or with an exponent, as JSON allows) exactly.
pub(crate) fn decimal(field: &'static str, s: &str) -> Result<Decimal, AlpacaParseError> {
    let s = s.trim();
    let parsed = if s.contains(['e', 'E']) {
        Decimal::from_scientific(s)
    } else {
        Decimal::from_str_exact(s)
    };
    parsed.map_err(|_| number_err(field, s))
}

/// An optional decimal string (`null` → `None`).
pub(crate) fn opt_decimal(
    field: &'static str,
    s: Option<&str>,
) -> Result<Option<Decimal>, AlpacaParseError> {
    s.map(|s| decimal(field, s)).transpose()
}

/// A venue-reported order quantity, cut to 8 decimals towards zero (see the module docs).
pub(crate) fn qty_floor(field: &'static str, s: &str) -> Result<Qty, AlpacaParseError> {
    match Qty::parse(s) {
        Ok(q) => Ok(q),
        Err(NumError::TooPrecise(_)) => {
            let d = decimal(field, s)?.round_dp_with_strategy(8, RoundingStrategy::ToZero);
            tracing::debug!(field, value = s, "alpaca quantity cut to 8 decimals");
            Qty::from_decimal(d).map_err(|_| number_err(field, s))
        }
        Err(_) => Err(number_err(field, s)),
    }
}

/// A market-data value in units of 1e-8: exact if it fits, else rounded half-even.
fn market_units(field: &'static str, s: &str) -> Result<i64, AlpacaParseError> {
    match Price::parse_bytes(s.as_bytes()) {
        Ok(p) => Ok(p.units()),
        Err(NumError::Overflow(_)) => Err(number_err(field, s)),
        Err(NumError::TooPrecise(_) | NumError::Invalid(_)) => {
            let d = decimal(field, s)?.round_dp(8);
            Price::from_decimal(d)
                .map(Price::units)
                .map_err(|_| number_err(field, s))
        }
    }
}

/// A venue price that should be exact; more than 8 decimals (an averaged fill price, crypto) is
/// rounded half-even to 8 with a log line rather than dropping the whole message.
pub(crate) fn price_rounded(field: &'static str, s: &str) -> Result<Price, AlpacaParseError> {
    let units = market_units(field, s)?;
    if Price::parse(s).is_err() {
        tracing::debug!(field, value = s, "alpaca price rounded to 8 decimals");
    }
    Ok(Price::from_units(units))
}

/// A market-data price from a raw JSON number token (never through `f64`).
pub(crate) fn market_price(field: &'static str, raw: &RawValue) -> Result<Price, AlpacaParseError> {
    market_units(field, raw_text(raw)).map(Price::from_units)
}

/// A market-data size or volume from a raw JSON number token.
pub(crate) fn market_qty(field: &'static str, raw: &RawValue) -> Result<Qty, AlpacaParseError> {
    market_units(field, raw_text(raw)).map(Qty::from_units)
}

/// A raw JSON number token as an exact `Decimal` (e.g. a bar's VWAP).
pub(crate) fn raw_decimal(
    field: &'static str,
    raw: &RawValue,
) -> Result<Decimal, AlpacaParseError> {
    decimal(field, raw_text(raw))
}

/// RFC 3339 (any offset, up to nanoseconds) → milliseconds since the epoch, rounded down.
pub(crate) fn time_ms(field: &'static str, s: &str) -> Result<TimeMs, AlpacaParseError> {
    chrono::DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.timestamp_millis())
        .map_err(|_| AlpacaParseError::Time {
            field,
            value: s.chars().take(64).collect(),
        })
}

/// Milliseconds → RFC 3339 with a `Z` suffix, for query parameters.
pub(crate) fn rfc3339(ms: TimeMs) -> String {
    use chrono::TimeZone;
    chrono::Utc
        .timestamp_millis_opt(ms)
        .single()
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(s: &str) -> Box<RawValue> {
        RawValue::from_string(s.to_string()).unwrap()
    }

    #[test]
    fn raw_numbers_are_read_from_their_text() {
        let cases = [
            ("126.55", "126.55"),
            ("1", "1"),
            ("\"87.66\"", "87.66"),
            ("388.985", "388.985"),
            ("5e-7", "0.0000005"),
            ("169.2339761234567", "169.23397612"),
            ("0.123456785", "0.12345678"),
        ];
        for (json, want) in cases {
            let p = market_price("p", &raw(json)).unwrap();
            assert_eq!(p.to_string(), want, "{json}");
        }
        assert!(market_price("p", &raw("\"abc\"")).is_err());
        assert!(market_price("p", &raw("1e30")).is_err());
        assert_eq!(
            raw_decimal("vw", &raw("169.233976")).unwrap().to_string(),
            "169.233976"
        );
    }

    #[test]
    fn quantities_beyond_8_decimals_are_cut_not_refused() {
        assert_eq!(
            qty_floor("q", "4.721487659").unwrap().to_string(),
            "4.72148765"
        );
        assert_eq!(qty_floor("q", "1790.86").unwrap().to_string(), "1790.86");
        assert!(qty_floor("q", "x").is_err());
        assert_eq!(
            price_rounded("p", "105.8988475").unwrap().to_string(),
            "105.8988475"
        );
        assert_eq!(
            price_rounded("p", "1.123456789").unwrap().to_string(),
            "1.12345679"
        );
    }

    #[test]
    fn times_keep_milliseconds_across_offsets() {
        let a = time_ms("t", "2022-04-19T17:45:05.024916716Z").unwrap();
        let b = time_ms("t", "2022-04-19T13:45:05.024999999-04:00").unwrap();
        assert_eq!(a, 1_650_390_305_024);
        assert_eq!(a, b);
        assert_eq!(
            time_ms("t", "2021-02-22T19:15:00Z").unwrap(),
            1_614_021_300_000
        );
        assert!(time_ms("t", "yesterday").is_err());
        assert_eq!(rfc3339(1_614_021_300_000), "2021-02-22T19:15:00Z");
    }
}
