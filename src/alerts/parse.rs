//! The alert command: `alert BTCUSDT above 100000`, `alert ETHUSDT below 2500 repeat`,
//! `alert SOLUSDT cross 150`, `alert BTCUSDT move 5% 15m`, with errors that say what to type.
//!
//! Grammar (words are case-insensitive; the leading `alert` is optional):
//!
//! ```text
//! alert SYMBOL above|over|>|>= PRICE  [once | repeat [COOLDOWN]]
//! alert SYMBOL below|under|<|<= PRICE [once | repeat [COOLDOWN]]
//! alert SYMBOL cross|crosses|crossing PRICE [...]
//! alert SYMBOL move [+|-]PCT[%] [in|within] WINDOW [...]
//! ```
//!
//! `+5%` watches rises only, `-5%` falls only, `5%` both. Durations are whole numbers with a unit,
//! combinable: `30s`, `15m`, `4h`, `1d`, `1h30m`. `repeat` alone uses a one-minute cooldown.

use super::model::{AlertSpec, Condition, DEFAULT_COOLDOWN_MS, MoveDir, Repeat};
use crate::domain::{NumError, Price, Symbol, SymbolError};
use rust_decimal::Decimal;

const EXAMPLE: &str = "e.g. `alert BTCUSDT above 100000` or `alert BTCUSDT move 5% 15m`";

/// Why an alert command was refused, worded for the command line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlertParseError {
    /// Nothing after `alert`.
    #[error("which symbol and condition? {EXAMPLE}")]
    Empty,
    /// The symbol is not a valid symbol.
    #[error(transparent)]
    Symbol(#[from] SymbolError),
    /// The symbol is not followed by a condition.
    #[error("what should {0} do? add above, below, cross or move, {EXAMPLE}")]
    MissingKind(String),
    /// An unknown condition word.
    #[error("unknown condition `{0}`: use above, below, cross or move")]
    UnknownKind(String),
    /// A level condition without its price.
    #[error("`{0}` needs a price, e.g. `alert BTCUSDT {0} 100000`")]
    MissingPrice(&'static str),
    /// A price that is not an exact positive decimal.
    #[error("`{text}` is not a price: {reason}")]
    BadPrice {
        /// What was typed.
        text: String,
        /// Why.
        reason: String,
    },
    /// `move` without its percentage.
    #[error("`move` needs a percentage and a window, e.g. `move 5% 15m`")]
    MissingPercent,
    /// A percentage that is not a positive number.
    #[error("`{0}` is not a percentage above 0: write it like 5%, +2.5% or -3%")]
    BadPercent(String),
    /// `move` without its window.
    #[error("`move` needs a time window after the percentage, e.g. `move 5% 15m`")]
    MissingWindow,
    /// A duration that could not be read.
    #[error("`{0}` is not a duration: use a number and s, m, h or d, e.g. 30s, 15m, 4h, 1h30m")]
    BadDuration(String),
    /// Something after the condition other than `once` / `repeat [cooldown]`.
    #[error("unexpected `{0}`: only `once` or `repeat [cooldown]` may follow the condition")]
    Unexpected(String),
}

/// Parses an alert command into a spec (see the module docs for the grammar).
pub fn parse_alert(input: &str) -> Result<AlertSpec, AlertParseError> {
    let mut words = input.split_whitespace().peekable();
    if words
        .peek()
        .is_some_and(|w| w.eq_ignore_ascii_case("alert"))
    {
        words.next();
    }
    let symbol = Symbol::new(words.next().ok_or(AlertParseError::Empty)?)?;
    let kind = words
        .next()
        .ok_or_else(|| AlertParseError::MissingKind(symbol.to_string()))?;
    let condition = match kind.to_ascii_lowercase().as_str() {
        "above" | "over" | ">" | ">=" => Condition::Above {
            level: price(words.next(), "above")?,
        },
        "below" | "under" | "<" | "<=" => Condition::Below {
            level: price(words.next(), "below")?,
        },
        "cross" | "crosses" | "crossing" => Condition::Cross {
            level: price(words.next(), "cross")?,
        },
        "move" | "moves" => {
            let (pct, dir) = percent(words.next().ok_or(AlertParseError::MissingPercent)?)?;
            let mut w = words.next().ok_or(AlertParseError::MissingWindow)?;
            if w.eq_ignore_ascii_case("in") || w.eq_ignore_ascii_case("within") {
                w = words.next().ok_or(AlertParseError::MissingWindow)?;
            }
            Condition::Move {
                pct,
                window_ms: parse_duration(w)?,
                dir,
            }
        }
        other => return Err(AlertParseError::UnknownKind(other.to_string())),
    };
    let repeat = repeat(&mut words)?;
    Ok(AlertSpec {
        symbol,
        condition,
        repeat,
    })
}

fn price(word: Option<&str>, kind: &'static str) -> Result<Price, AlertParseError> {
    let text = word.ok_or(AlertParseError::MissingPrice(kind))?;
    let cleaned = text.trim_start_matches('$').replace(',', "");
    let bad = |reason: String| AlertParseError::BadPrice {
        text: text.to_string(),
        reason,
    };
    let p = Price::parse(&cleaned).map_err(|e: NumError| bad(e.to_string()))?;
    if p.is_positive() {
        Ok(p)
    } else {
        Err(bad("it must be above 0".to_string()))
    }
}

fn percent(word: &str) -> Result<(Decimal, MoveDir), AlertParseError> {
    let bad = || AlertParseError::BadPercent(word.to_string());
    let (dir, rest) = match word.as_bytes().first() {
        Some(b'+') => (MoveDir::Up, &word[1..]),
        Some(b'-') => (MoveDir::Down, &word[1..]),
        _ => (MoveDir::Either, word),
    };
    let digits = rest.strip_suffix('%').unwrap_or(rest);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(bad());
    }
    let pct: Decimal = digits.parse().map_err(|_| bad())?;
    if pct <= Decimal::ZERO || pct > Decimal::from(100_000) {
        return Err(bad());
    }
    Ok((pct.normalize(), dir))
}

fn repeat<'a>(words: &mut impl Iterator<Item = &'a str>) -> Result<Repeat, AlertParseError> {
    let Some(w) = words.next() else {
        return Ok(Repeat::Once);
    };
    let repeat = match w.to_ascii_lowercase().as_str() {
        "once" => Repeat::Once,
        "repeat" | "repeating" | "every" => {
            let cooldown_ms = match words.next() {
                Some(d) => parse_duration(d)?,
                None => DEFAULT_COOLDOWN_MS,
            };
            Repeat::Every { cooldown_ms }
        }
        _ => return Err(AlertParseError::Unexpected(w.to_string())),
    };
    match words.next() {
        Some(extra) => Err(AlertParseError::Unexpected(extra.to_string())),
        None => Ok(repeat),
    }
}

/// Parses `30s`, `15m`, `4h`, `1d`, `250ms` or combinations (`1h30m`) into milliseconds.
pub fn parse_duration(text: &str) -> Result<i64, AlertParseError> {
    let bad = || AlertParseError::BadDuration(text.to_string());
    let s = text.to_ascii_lowercase();
    let mut rest = s.as_str();
    let mut total: i64 = 0;
    while !rest.is_empty() {
        let n_end = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        let n: i64 = rest[..n_end].parse().map_err(|_| bad())?;
        rest = &rest[n_end..];
        let u_end = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = match &rest[..u_end] {
            "ms" => 1,
            "s" | "sec" => 1000,
            "m" | "min" => 60_000,
            "h" | "hr" => 3_600_000,
            "d" | "day" => 86_400_000,
            _ => return Err(bad()),
        };
        rest = &rest[u_end..];
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
    }
    if total > 0 { Ok(total) } else { Err(bad()) }
}
