//! Request parameters (query string, form body or WebSocket API `params`) with Binance's
//! parsing rules and error codes for missing or malformed values.

use super::errors::ApiError;
use crate::domain::{NumError, Price, Qty};
use std::collections::BTreeMap;

/// The legal form of decimal parameters, quoted in -1100 errors.
const DECIMAL_RANGE: &str = r"^([0-9]{1,20})(\.[0-9]{1,20})?$";

/// Decoded request parameters by name (the query string wins over the body).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(pub BTreeMap<String, String>);

impl Params {
    /// Parses `a=1&b=2` (percent-decoded, `+` as space); later duplicates do not override.
    pub fn from_urlencoded(raw: &str) -> Params {
        let mut map = BTreeMap::new();
        for (k, v) in form_pairs(raw) {
            map.entry(k).or_insert(v);
        }
        Params(map)
    }

    /// Query parameters over body parameters: a name in both keeps the query's value.
    pub fn merged(query: &str, body: &str) -> Params {
        let mut p = Params::from_urlencoded(body);
        for (k, v) in Params::from_urlencoded(query).0 {
            p.0.insert(k, v);
        }
        p
    }

    /// The `symbol` parameter, upper-cased and looked up with `index` (-1102 missing, -1121
    /// unknown).
    pub fn symbol(&self, index: impl Fn(&str) -> Option<usize>) -> Result<usize, ApiError> {
        let s = self.req("symbol")?;
        index(&s.to_ascii_uppercase()).ok_or_else(ApiError::bad_symbol)
    }

    /// `symbol`, `symbols=["A","B"]`, or all `count` symbols; `true` for the single form.
    pub fn symbols(
        &self,
        count: usize,
        index: impl Fn(&str) -> Option<usize>,
    ) -> Result<(Vec<usize>, bool), ApiError> {
        if self.get("symbol").is_some() {
            return Ok((vec![self.symbol(index)?], true));
        }
        let Some(list) = self.get("symbols") else {
            return Ok(((0..count).collect(), false));
        };
        let names: Vec<String> = serde_json::from_str(list).map_err(|_| {
            ApiError::illegal(
                "symbols",
                r#"^\[("[A-Z0-9-_.]{1,20}"(,"[A-Z0-9-_.]{1,20}"){0,}){0,1}\]$"#,
            )
        })?;
        let found = names
            .iter()
            .map(|n| index(&n.to_ascii_uppercase()).ok_or_else(ApiError::bad_symbol))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((found, false))
    }

    /// The raw value, if present and not empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// The value, or -1102.
    pub fn req(&self, name: &str) -> Result<&str, ApiError> {
        self.get(name).ok_or_else(|| ApiError::missing(name))
    }

    /// An optional integer; malformed gives -1100.
    pub fn int(&self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => v
                .parse::<i64>()
                .map(Some)
                .map_err(|_| ApiError::illegal(name, "^[0-9]{1,20}$")),
        }
    }

    /// An optional price-like decimal; malformed gives -1100, too precise -1111.
    pub fn price(&self, name: &str) -> Result<Option<Price>, ApiError> {
        self.get(name).map(|v| decimal(name, v)).transpose()
    }

    /// An optional quantity.
    pub fn qty(&self, name: &str) -> Result<Option<Qty>, ApiError> {
        Ok(self.price(name)?.map(Price::as_qty))
    }

    /// An optional `limit` clamped to `max`, defaulting to `default`.
    pub fn limit(&self, default: usize, max: usize) -> Result<usize, ApiError> {
        let n = self.int("limit")?.unwrap_or(default as i64);
        Ok(usize::try_from(n).unwrap_or(default).clamp(1, max))
    }
}

fn decimal(name: &str, v: &str) -> Result<Price, ApiError> {
    if v.starts_with('-') || v.starts_with('+') {
        return Err(ApiError::illegal(name, DECIMAL_RANGE));
    }
    Price::parse_bytes(v.as_bytes()).map_err(|e| match e {
        NumError::TooPrecise(_) => ApiError::bad(
            -1111,
            "Precision is over the maximum defined for this asset.",
        ),
        _ => ApiError::illegal(name, DECIMAL_RANGE),
    })
}

/// Splits and percent-decodes `application/x-www-form-urlencoded` text.
pub fn form_pairs(raw: &str) -> impl Iterator<Item = (String, String)> + '_ {
    raw.split('&').filter(|s| !s.is_empty()).map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode(k), percent_decode(v))
    })
}

/// Decodes `%XX` and `+`; invalid escapes are kept as they are.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match (hex_val(b[i + 1]), hex_val(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_wins_and_values_are_decoded() {
        let p = Params::merged(
            "symbol=BTCUSDT&x=%EF%BC%91",
            "symbol=ETHUSDT&price=1.5&a=b+c",
        );
        assert_eq!(p.get("symbol"), Some("BTCUSDT"));
        assert_eq!(p.get("x"), Some("１"));
        assert_eq!(p.get("a"), Some("b c"));
        assert_eq!(
            p.price("price").unwrap(),
            Some(Price::parse("1.5").unwrap())
        );
        assert_eq!(p.req("nope").unwrap_err().code, -1102);
        let bad = Params::from_urlencoded("q=1e5&r=0.000000001&s=%");
        assert_eq!(bad.qty("q").unwrap_err().code, -1100);
        assert_eq!(bad.qty("r").unwrap_err().code, -1111);
        assert_eq!(bad.get("s"), Some("%"));
    }
}
