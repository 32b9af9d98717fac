//! Screener: a small filter language over watchlist rows (`price < 100`,
//! `volume > 1m and (change% > 5 or change% < -5)`), exact decimals, errors with a column.
//!
//! ```text
//! filter     := or
//! or         := and (("or" | "||") and)*
//! and        := not (("and" | "&&") not)*
//! not        := ("not" | "!") not | "(" or ")" | comparison
//! comparison := FIELD ("<" | "<=" | ">" | ">=" | "=" | "==" | "!=" | "<>") NUMBER
//! NUMBER     := ["-"] digits ["." digits] ["k" | "m" | "b"] ["%"]      (1.5m = 1500000)
//! ```
//!
//! Fields: `price` (`last`), `change%` (`change`, `chg%`: 24 h percent change), `volume` (`vol`,
//! base), `quote_volume` (`qvol`, `turnover`), `open`, `high`, `low`, `spread` (ask − bid),
//! `spread%` (of the mid), `range%` ((high − low) / low). Words are case-insensitive. A comparison
//! on a value the row lacks (a spread without a book) is false.
//!
//! ```
//! use speedtrade::screener::{Filter, Row};
//! let f = Filter::parse("price < 100 and change% > 5").unwrap();
//! let err = Filter::parse("price < 100 and").unwrap_err();
//! assert_eq!(err.to_string(), "column 16: expected a condition after `and`");
//! ```

use crate::domain::{Price, Qty, Symbol, Ticker24h};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;

mod lex;

use lex::{Tok, Token, lex};

/// Deepest nesting of parentheses and `not` accepted (keeps the parser's stack small).
const MAX_DEPTH: usize = 64;

/// One watchlist row, filled from a [`Ticker24h`] (and the book for the spread).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    /// Instrument.
    pub symbol: Symbol,
    /// Last price.
    pub last: Price,
    /// Price 24 h ago.
    pub open: Price,
    /// 24 h high.
    pub high: Price,
    /// 24 h low.
    pub low: Price,
    /// 24 h base volume.
    pub volume: Qty,
    /// 24 h quote volume.
    pub quote_volume: Decimal,
    /// 24 h change in percent.
    pub change_pct: Decimal,
    /// Best bid, when a book is known.
    pub bid: Option<Price>,
    /// Best ask, when a book is known.
    pub ask: Option<Price>,
}

impl From<&Ticker24h> for Row {
    fn from(t: &Ticker24h) -> Self {
        Self {
            symbol: t.symbol.clone(),
            last: t.last,
            open: t.open,
            high: t.high,
            low: t.low,
            volume: t.volume,
            quote_volume: t.quote_volume,
            change_pct: t.change_pct,
            bid: None,
            ask: None,
        }
    }
}

/// A value a filter can compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// Last price.
    Price,
    /// 24 h change, percent.
    ChangePct,
    /// 24 h base volume.
    Volume,
    /// 24 h quote volume.
    QuoteVolume,
    /// 24 h open.
    Open,
    /// 24 h high.
    High,
    /// 24 h low.
    Low,
    /// Ask − bid.
    Spread,
    /// Spread as a percent of the mid.
    SpreadPct,
    /// (high − low) / low, percent.
    RangePct,
}

/// Names accepted for each field; the first is the canonical one.
const FIELDS: [(Field, &[&str]); 10] = [
    (Field::Price, &["price", "last", "px"]),
    (
        Field::ChangePct,
        &["change%", "change", "chg%", "chg", "change_pct"],
    ),
    (Field::Volume, &["volume", "vol"]),
    (
        Field::QuoteVolume,
        &["quote_volume", "qvol", "turnover", "quotevolume"],
    ),
    (Field::Open, &["open"]),
    (Field::High, &["high"]),
    (Field::Low, &["low"]),
    (Field::Spread, &["spread"]),
    (Field::SpreadPct, &["spread%"]),
    (Field::RangePct, &["range%"]),
];

impl Field {
    /// The field named `word` (case-insensitive, aliases included).
    pub fn from_name(word: &str) -> Option<Field> {
        let w = word.to_ascii_lowercase();
        FIELDS
            .iter()
            .find(|(_, names)| names.contains(&w.as_str()))
            .map(|(f, _)| *f)
    }
    /// Canonical name.
    pub fn name(self) -> &'static str {
        FIELDS
            .iter()
            .find(|(f, _)| *f == self)
            .map_or("?", |(_, names)| names[0])
    }
    /// `true` for fields measured in percent (they accept `5%`).
    pub fn is_percent(self) -> bool {
        matches!(self, Field::ChangePct | Field::SpreadPct | Field::RangePct)
    }
    /// The value in `row`, if the row has it.
    pub fn value(self, row: &Row) -> Option<Decimal> {
        let hundred = Decimal::ONE_HUNDRED;
        match self {
            Field::Price => Some(row.last.to_decimal()),
            Field::ChangePct => Some(row.change_pct),
            Field::Volume => Some(row.volume.to_decimal()),
            Field::QuoteVolume => Some(row.quote_volume),
            Field::Open => Some(row.open.to_decimal()),
            Field::High => Some(row.high.to_decimal()),
            Field::Low => Some(row.low.to_decimal()),
            Field::Spread => Some(row.ask?.to_decimal() - row.bid?.to_decimal()),
            Field::SpreadPct => {
                let (bid, ask) = (row.bid?.to_decimal(), row.ask?.to_decimal());
                let mid = (bid + ask) / Decimal::TWO;
                ((ask - bid) * hundred)
                    .checked_div(mid)
                    .filter(|_| mid > Decimal::ZERO)
            }
            Field::RangePct => {
                let low = row.low.to_decimal();
                let range = (row.high.to_decimal() - low) * hundred;
                range.checked_div(low).filter(|_| low > Decimal::ZERO)
            }
        }
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `=`
    Eq,
    /// `!=`
    Ne,
}

impl Op {
    fn holds(self, a: Decimal, b: Decimal) -> bool {
        match self {
            Op::Lt => a < b,
            Op::Le => a <= b,
            Op::Gt => a > b,
            Op::Ge => a >= b,
            Op::Eq => a == b,
            Op::Ne => a != b,
        }
    }
    fn as_str(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Eq => "=",
            Op::Ne => "!=",
        }
    }
}

/// A parsed filter expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// `field op value`.
    Cmp {
        /// What is compared.
        field: Field,
        /// How.
        op: Op,
        /// With what (percent fields in percent).
        value: Decimal,
    },
    /// Both hold.
    And(Box<Expr>, Box<Expr>),
    /// Either holds.
    Or(Box<Expr>, Box<Expr>),
    /// Does not hold.
    Not(Box<Expr>),
}

impl Expr {
    fn matches(&self, row: &Row) -> bool {
        match self {
            Expr::Cmp { field, op, value } => field.value(row).is_some_and(|v| op.holds(v, *value)),
            Expr::And(a, b) => a.matches(row) && b.matches(row),
            Expr::Or(a, b) => a.matches(row) || b.matches(row),
            Expr::Not(a) => !a.matches(row),
        }
    }
    fn fields(&self, out: &mut Vec<Field>) {
        match self {
            Expr::Cmp { field, .. } => {
                if !out.contains(field) {
                    out.push(*field);
                }
            }
            Expr::And(a, b) | Expr::Or(a, b) => {
                a.fields(out);
                b.fields(out);
            }
            Expr::Not(a) => a.fields(out),
        }
    }
    /// Writes the expression; `prec` is the binding of the context (0 top, 1 or, 2 and, 3 not).
    fn write(&self, f: &mut fmt::Formatter<'_>, prec: u8) -> fmt::Result {
        let (mine, open) = match self {
            Expr::Cmp { field, op, value } => {
                let pct = if field.is_percent() { "%" } else { "" };
                let v = value.normalize();
                return write!(f, "{} {} {v}{pct}", field.name(), op.as_str());
            }
            Expr::Or(..) => (1, prec > 1),
            Expr::And(..) => (2, prec > 2),
            Expr::Not(..) => (3, false),
        };
        if open {
            f.write_str("(")?;
        }
        match self {
            Expr::Or(a, b) | Expr::And(a, b) => {
                a.write(f, mine)?;
                f.write_str(if mine == 1 { " or " } else { " and " })?;
                b.write(f, mine + 1)?;
            }
            Expr::Not(a) => {
                f.write_str("not ")?;
                a.write(f, 3)?;
            }
            Expr::Cmp { .. } => {}
        }
        if open {
            f.write_str(")")?;
        }
        Ok(())
    }
}

/// A screener filter. Serializes as its canonical text (`price < 100 and change% > 5%`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Filter {
    expr: Expr,
}

/// A filter that could not be parsed: where (0-based character column) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column {}: {message}", .column + 1)]
pub struct ScreenError {
    /// 0-based character column of the problem.
    pub column: usize,
    /// Characters the problem spans (at least 1).
    pub len: usize,
    /// What is wrong and what would be right.
    pub message: String,
}

impl ScreenError {
    /// The input with a caret line under the problem, for the command line.
    pub fn caret(&self, input: &str) -> String {
        let pad = " ".repeat(self.column);
        format!("{input}\n{pad}{}", "^".repeat(self.len.max(1)))
    }
}

impl Filter {
    /// Parses a filter (see the module docs for the language).
    pub fn parse(input: &str) -> Result<Filter, ScreenError> {
        let toks = lex(input)?;
        let mut p = Parser {
            toks: &toks,
            i: 0,
            depth: 0,
        };
        if toks.is_empty() {
            return Err(p.err_at(0, 1, "empty filter: try `price < 100` or `change% > 5`"));
        }
        let expr = p.or()?;
        if let Some(t) = p.peek() {
            let msg = format!("expected `and`, `or` or the end, found `{}`", t.text);
            return Err(p.err(t, &msg));
        }
        Ok(Filter { expr })
    }
    /// `true` when `row` passes.
    pub fn matches(&self, row: &Row) -> bool {
        self.expr.matches(row)
    }
    /// The fields the filter reads (e.g. to know whether book data is needed for `spread`).
    pub fn fields(&self) -> Vec<Field> {
        let mut v = Vec::new();
        self.expr.fields(&mut v);
        v
    }
    /// The parsed expression.
    pub fn expr(&self) -> &Expr {
        &self.expr
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.expr.write(f, 0)
    }
}

impl TryFrom<String> for Filter {
    type Error = ScreenError;
    fn try_from(s: String) -> Result<Self, ScreenError> {
        Filter::parse(&s)
    }
}

impl From<Filter> for String {
    fn from(f: Filter) -> String {
        f.to_string()
    }
}

struct Parser<'a> {
    toks: &'a [Token],
    i: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.toks.get(self.i)
    }
    fn end_col(&self) -> usize {
        self.toks.last().map_or(0, |t| t.column + t.len)
    }
    fn err_at(&self, column: usize, len: usize, msg: &str) -> ScreenError {
        ScreenError {
            column,
            len,
            message: msg.to_string(),
        }
    }
    fn err(&self, t: &Token, msg: &str) -> ScreenError {
        self.err_at(t.column, t.len, msg)
    }
    /// The next token, or an error at the end of the input saying what was expected.
    fn next(&mut self, expected: &str) -> Result<Token, ScreenError> {
        let t = self
            .peek()
            .cloned()
            .ok_or_else(|| self.err_at(self.end_col(), 1, expected))?;
        self.i += 1;
        Ok(t)
    }
    fn or(&mut self) -> Result<Expr, ScreenError> {
        let mut left = self.and()?;
        while let Some(t) = self.peek().filter(|t| t.tok == Tok::Or).cloned() {
            self.i += 1;
            self.expect_more(&t)?;
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }
    fn and(&mut self) -> Result<Expr, ScreenError> {
        let mut left = self.not()?;
        while let Some(t) = self.peek().filter(|t| t.tok == Tok::And).cloned() {
            self.i += 1;
            self.expect_more(&t)?;
            left = Expr::And(Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }
    fn expect_more(&self, after: &Token) -> Result<(), ScreenError> {
        match self.peek() {
            Some(t) if !matches!(t.tok, Tok::And | Tok::Or | Tok::RParen) => Ok(()),
            Some(t) => Err(self.err(t, &format!("expected a condition after `{}`", after.text))),
            None => Err(self.err_at(
                self.end_col(),
                1,
                &format!("expected a condition after `{}`", after.text),
            )),
        }
    }
    fn not(&mut self) -> Result<Expr, ScreenError> {
        let t = self.next("expected a condition such as `price < 100`")?;
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err(&t, "too deeply nested"));
        }
        let e = match &t.tok {
            Tok::Not => {
                self.expect_more(&t)?;
                Expr::Not(Box::new(self.not()?))
            }
            Tok::LParen => {
                let inner = self.or()?;
                match self.peek() {
                    Some(c) if c.tok == Tok::RParen => self.i += 1,
                    _ => return Err(self.err(&t, "this `(` is never closed")),
                }
                inner
            }
            Tok::Word(w) => self.comparison(&t, w)?,
            Tok::RParen => return Err(self.err(&t, "unmatched `)`")),
            _ => {
                let msg = format!(
                    "expected a field such as `price` or `change%`, found `{}`",
                    t.text
                );
                return Err(self.err(&t, &msg));
            }
        };
        self.depth -= 1;
        Ok(e)
    }
    fn comparison(&mut self, t: &Token, word: &str) -> Result<Expr, ScreenError> {
        let field = Field::from_name(word).ok_or_else(|| self.err(t, &unknown_field(word)))?;
        let what = format!(
            "expected an operator (<, <=, >, >=, =, !=) after `{}`",
            t.text
        );
        let op_tok = self.next(&what)?;
        let Tok::Op(op) = op_tok.tok else {
            return Err(self.err(&op_tok, &what));
        };
        let what = format!("expected a number after `{}`", op_tok.text);
        let n = self.next(&what)?;
        let Tok::Num { value, percent } = n.tok else {
            return Err(self.err(&n, &what));
        };
        if percent && !field.is_percent() {
            let msg = format!(
                "`%` does not apply to `{}` (only change%, spread%, range%)",
                t.text
            );
            return Err(self.err(&n, &msg));
        }
        Ok(Expr::Cmp { field, op, value })
    }
}

/// `unknown field `volum`: did you mean `volume`? (fields: price, change%, ...)`.
fn unknown_field(word: &str) -> String {
    let w = word.to_ascii_lowercase();
    let close = FIELDS
        .iter()
        .flat_map(|(f, names)| names.iter().map(move |n| (*f, *n)))
        .map(|(f, n)| (lex::distance(&w, n), f))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d);
    let all: Vec<&str> = FIELDS.iter().map(|(_, n)| n[0]).collect();
    match close {
        Some((_, f)) => format!("unknown field `{word}`: did you mean `{}`?", f.name()),
        None => format!("unknown field `{word}` (fields: {})", all.join(", ")),
    }
}
