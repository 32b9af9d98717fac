//! Tokens of the screener language, with character columns for error messages.

use super::{Op, ScreenError};
use rust_decimal::Decimal;

/// What a token is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Tok {
    /// A field name (or an unknown word).
    Word(String),
    /// A number, already scaled by its `k` / `m` / `b` suffix.
    Num {
        /// Exact value.
        value: Decimal,
        /// Written with a trailing `%`.
        percent: bool,
    },
    /// A comparison operator.
    Op(Op),
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `and`, `&&`
    And,
    /// `or`, `||`
    Or,
    /// `not`, `!`
    Not,
}

/// A token and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Token {
    pub tok: Tok,
    /// The text as typed.
    pub text: String,
    /// 0-based character column.
    pub column: usize,
    /// Length in characters.
    pub len: usize,
}

fn error(column: usize, len: usize, message: String) -> ScreenError {
    ScreenError {
        column,
        len: len.max(1),
        message,
    }
}

/// Splits `input` into tokens.
pub(super) fn lex(input: &str) -> Result<Vec<Token>, ScreenError> {
    let cs: Vec<char> = input.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        let next = cs.get(i + 1).copied();
        let start = i;
        let tok = match (c, next) {
            (c, _) if c.is_whitespace() => {
                i += 1;
                continue;
            }
            ('(', _) => single(&mut i, Tok::LParen),
            (')', _) => single(&mut i, Tok::RParen),
            ('<', Some('=')) => double(&mut i, Tok::Op(Op::Le)),
            ('<', Some('>')) => double(&mut i, Tok::Op(Op::Ne)),
            ('<', _) => single(&mut i, Tok::Op(Op::Lt)),
            ('>', Some('=')) => double(&mut i, Tok::Op(Op::Ge)),
            ('>', _) => single(&mut i, Tok::Op(Op::Gt)),
            ('=', Some('=')) => double(&mut i, Tok::Op(Op::Eq)),
            ('=', _) => single(&mut i, Tok::Op(Op::Eq)),
            ('!', Some('=')) => double(&mut i, Tok::Op(Op::Ne)),
            ('!', _) => single(&mut i, Tok::Not),
            ('&', Some('&')) => double(&mut i, Tok::And),
            ('|', Some('|')) => double(&mut i, Tok::Or),
            ('&' | '|', _) => {
                let msg = format!("`{c}` alone is not an operator: use `and` or `or`");
                return Err(error(i, 1, msg));
            }
            (c, n) if c.is_ascii_digit() || c == '.' || (c == '-' && n.is_some_and(num_start)) => {
                number(&cs, &mut i)?
            }
            (c, _) if c.is_alphabetic() || c == '_' => word(&cs, &mut i),
            (c, _) => return Err(error(i, 1, format!("unexpected `{c}`"))),
        };
        out.push(Token {
            tok,
            text: cs[start..i].iter().collect(),
            column: start,
            len: i - start,
        });
    }
    Ok(out)
}

fn num_start(c: char) -> bool {
    c.is_ascii_digit() || c == '.'
}

fn single(i: &mut usize, t: Tok) -> Tok {
    *i += 1;
    t
}

fn double(i: &mut usize, t: Tok) -> Tok {
    *i += 2;
    t
}

fn word(cs: &[char], i: &mut usize) -> Tok {
    let start = *i;
    while *i < cs.len() && (cs[*i].is_alphanumeric() || cs[*i] == '_' || cs[*i] == '%') {
        *i += 1;
    }
    let w: String = cs[start..*i].iter().collect();
    match w.to_ascii_lowercase().as_str() {
        "and" => Tok::And,
        "or" => Tok::Or,
        "not" => Tok::Not,
        _ => Tok::Word(w),
    }
}

fn number(cs: &[char], i: &mut usize) -> Result<Tok, ScreenError> {
    let start = *i;
    if cs[*i] == '-' {
        *i += 1;
    }
    while *i < cs.len() && (num_start(cs[*i]) || cs[*i] == '_') {
        *i += 1;
    }
    let digits: String = cs[start..*i].iter().filter(|c| **c != '_').collect();
    let suffix_start = *i;
    while *i < cs.len() && cs[*i].is_alphanumeric() {
        *i += 1;
    }
    let suffix: String = cs[suffix_start..*i].iter().collect();
    let percent = cs.get(*i) == Some(&'%');
    if percent {
        *i += 1;
    }
    let text: String = cs[start..*i].iter().collect();
    let bad = || error(start, *i - start, format!("`{text}` is not a number"));
    let scale: i64 = match suffix.to_ascii_lowercase().as_str() {
        "" => 1,
        "k" => 1_000,
        "m" => 1_000_000,
        "b" => 1_000_000_000,
        _ => return Err(bad()),
    };
    let value: Decimal = digits.parse().map_err(|_| bad())?;
    let value = value
        .checked_mul(Decimal::from(scale))
        .ok_or_else(bad)?
        .normalize();
    Ok(Tok::Num { value, percent })
}

/// Edit distance between two short words (for "did you mean").
pub(super) fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}
