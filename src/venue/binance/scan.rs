//! A small, allocation-free JSON scanner over a byte slice: enough to walk Binance frames
//! (objects, arrays, plain strings, integers) without building a tree. Every read is bounds
//! checked; malformed input returns [`ScanError`], never panics.

/// Why a frame could not be scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ScanError {
    /// Input ended inside a value.
    #[error("unexpected end of frame")]
    Eof,
    /// A byte that cannot start or continue the expected value.
    #[error("unexpected `{}` at byte {at}", char::from(*.found))]
    Unexpected {
        /// The byte found.
        found: u8,
        /// Its offset.
        at: usize,
    },
    /// A string with escapes where a plain one was needed (symbols, numbers, names).
    #[error("escaped string at byte {0}")]
    Escaped(usize),
    /// An integer that is not a plain run of digits or does not fit.
    #[error("bad integer at byte {0}")]
    Integer(usize),
    /// Nesting deeper than the scanner follows.
    #[error("nesting too deep")]
    TooDeep,
}

const MAX_DEPTH: u32 = 64;

/// `POW10[k] = 10^k`.
const POW10: [u64; 9] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
];

/// A decimal read by [`Scanner::decimal`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decimal8<'a> {
    /// The exact value in 1e-8 units.
    Units(i64),
    /// Not on the fast path: the raw string, for the exact parser.
    Other(&'a [u8]),
}

/// A cursor over one JSON text.
pub(crate) struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Scanner<'a> {
    /// A scanner at the start of `b`.
    pub(crate) fn new(b: &'a [u8]) -> Self {
        Self { b, i: 0 }
    }

    /// Skips whitespace and returns the next byte without consuming it.
    #[inline]
    pub(crate) fn peek(&mut self) -> Result<u8, ScanError> {
        while let Some(&c) = self.b.get(self.i) {
            if !matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
                return Ok(c);
            }
            self.i += 1;
        }
        Err(ScanError::Eof)
    }

    /// Consumes `c` (after whitespace) or fails.
    #[inline]
    pub(crate) fn expect(&mut self, c: u8) -> Result<(), ScanError> {
        // Compact JSON (what venues send) has no whitespace: try the next byte first.
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            return Ok(());
        }
        let found = self.peek()?;
        if found == c {
            self.i += 1;
            Ok(())
        } else {
            Err(ScanError::Unexpected { found, at: self.i })
        }
    }

    /// After a member or element: consumes `,` and returns `true`, or consumes `close` and
    /// returns `false`.
    #[inline]
    pub(crate) fn more(&mut self, close: u8) -> Result<bool, ScanError> {
        let found = match self.b.get(self.i) {
            Some(&c) if c == b',' || c == close => c,
            _ => self.peek()?,
        };
        self.i += 1;
        match found {
            b',' => Ok(true),
            c if c == close => Ok(false),
            _ => Err(ScanError::Unexpected {
                found,
                at: self.i - 1,
            }),
        }
    }

    /// Consumes `{` and returns `false` for an empty object (`{}`, consumed too).
    pub(crate) fn open_object(&mut self) -> Result<bool, ScanError> {
        self.expect(b'{')?;
        if self.peek()? == b'}' {
            self.i += 1;
            return Ok(false);
        }
        Ok(true)
    }

    /// Consumes `[` and returns `false` for an empty array (`[]`, consumed too).
    pub(crate) fn open_array(&mut self) -> Result<bool, ScanError> {
        self.expect(b'[')?;
        if self.peek()? == b']' {
            self.i += 1;
            return Ok(false);
        }
        Ok(true)
    }

    /// Reads an object key and its `:`.
    #[inline]
    pub(crate) fn key(&mut self) -> Result<&'a [u8], ScanError> {
        let k = self.raw_string()?;
        self.expect(b':')?;
        Ok(k)
    }

    /// Reads a string and returns its raw bytes between the quotes (escapes left as is).
    #[inline]
    pub(crate) fn raw_string(&mut self) -> Result<&'a [u8], ScanError> {
        self.expect(b'"')?;
        let start = self.i;
        loop {
            match self.b.get(self.i) {
                None => return Err(ScanError::Eof),
                Some(b'"') => break,
                Some(b'\\') => self.i += 2,
                Some(_) => self.i += 1,
            }
        }
        let s = self.b.get(start..self.i).ok_or(ScanError::Eof)?;
        self.i += 1;
        Ok(s)
    }

    /// Reads a string that must not contain escapes.
    #[inline]
    pub(crate) fn plain_string(&mut self) -> Result<&'a [u8], ScanError> {
        let at = self.i;
        let s = self.raw_string()?;
        if s.contains(&b'\\') {
            return Err(ScanError::Escaped(at));
        }
        Ok(s)
    }

    /// Reads a plain string as `&str`.
    pub(crate) fn str(&mut self) -> Result<&'a str, ScanError> {
        let at = self.i;
        let s = self.plain_string()?;
        std::str::from_utf8(s).map_err(|_| ScanError::Escaped(at))
    }

    /// Reads a quoted decimal (`"90000.01"`) as units of 1e-8 in one pass. Anything the fast
    /// path does not cover (whitespace, a sign, more than 11 integer digits, escapes, a bad
    /// character) comes back as [`Decimal8::Other`] with the string's bytes, for the exact slow
    /// parser to accept or refuse, so the result always equals `parse_units`.
    #[inline(always)]
    pub(crate) fn decimal(&mut self) -> Result<Decimal8<'a>, ScanError> {
        match self.decimal_fast() {
            Some(units) => Ok(Decimal8::Units(units)),
            None => self.decimal_slow(),
        }
    }

    /// The common case: `"<digits>[.<digits>]"` right at the cursor.
    #[inline(always)]
    fn decimal_fast(&mut self) -> Option<i64> {
        let b = self.b;
        if b.get(self.i) != Some(&b'"') {
            return None;
        }
        let start = self.i + 1;
        let (mut int, mut i) = (0u64, start);
        loop {
            let (v, n) = digits8(b, i);
            int = int.wrapping_mul(POW10[n]).wrapping_add(v);
            i += n;
            if n < 8 {
                break;
            }
        }
        let n_int = i - start;
        let (mut frac, mut n_frac) = (0u64, 0usize);
        if b.get(i) == Some(&b'.') {
            (frac, n_frac) = digits8(b, i + 1);
            i += 1 + n_frac;
        }
        // Anything else before the closing quote (a 9th decimal, a bad byte): slow path.
        let closed = b.get(i) == Some(&b'"');
        let units = int
            .wrapping_mul(100_000_000)
            .wrapping_add(frac * POW10[8 - n_frac]);
        let sized = n_int <= 11 && (n_int > 0 || n_frac > 0);
        if closed && sized && units <= i64::MAX as u64 {
            self.i = i + 1;
            return Some(units as i64);
        }
        None
    }

    /// A compact `["<decimal>","<decimal>"]` at the cursor, as units; on anything else the
    /// cursor stays where it was and `None` sends the caller to the general path.
    #[inline(always)]
    pub(crate) fn pair_fast(&mut self) -> Option<(i64, i64)> {
        let start = self.i;
        let pair = (|| {
            self.eat(b'[')?;
            let p = self.decimal_fast()?;
            self.eat(b',')?;
            let q = self.decimal_fast()?;
            self.eat(b']')?;
            Some((p, q))
        })();
        if pair.is_none() {
            self.i = start;
        }
        pair
    }

    /// Consumes `c` if it is the very next byte.
    #[inline(always)]
    fn eat(&mut self, c: u8) -> Option<()> {
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            Some(())
        } else {
            None
        }
    }

    #[cold]
    #[inline(never)]
    fn decimal_slow(&mut self) -> Result<Decimal8<'a>, ScanError> {
        self.peek()?;
        self.raw_string().map(Decimal8::Other)
    }

    /// Reads a non-negative integer.
    #[inline]
    pub(crate) fn u64(&mut self) -> Result<u64, ScanError> {
        self.peek()?;
        let start = self.i;
        let mut v: u64 = 0;
        while let Some(&c) = self.b.get(self.i) {
            if !c.is_ascii_digit() {
                break;
            }
            v = v
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(c - b'0')))
                .ok_or(ScanError::Integer(start))?;
            self.i += 1;
        }
        let end_ok = !matches!(self.b.get(self.i), Some(b'.' | b'e' | b'E'));
        if self.i == start || !end_ok {
            return Err(ScanError::Integer(start));
        }
        Ok(v)
    }

    /// Reads a signed integer.
    pub(crate) fn i64(&mut self) -> Result<i64, ScanError> {
        let neg = self.peek()? == b'-';
        let at = self.i;
        if neg {
            self.i += 1;
        }
        let v = i64::try_from(self.u64()?).map_err(|_| ScanError::Integer(at))?;
        Ok(if neg { -v } else { v })
    }

    /// Skips one value of any kind.
    pub(crate) fn skip_value(&mut self) -> Result<(), ScanError> {
        self.skip_nested(0)
    }

    /// Returns the raw bytes of the next value and skips it.
    pub(crate) fn value_span(&mut self) -> Result<&'a [u8], ScanError> {
        self.peek()?;
        let start = self.i;
        self.skip_value()?;
        self.b.get(start..self.i).ok_or(ScanError::Eof)
    }

    fn skip_nested(&mut self, depth: u32) -> Result<(), ScanError> {
        if depth > MAX_DEPTH {
            return Err(ScanError::TooDeep);
        }
        match self.peek()? {
            b'"' => self.raw_string().map(drop),
            b'{' => {
                if self.open_object()? {
                    loop {
                        self.key()?;
                        self.skip_nested(depth + 1)?;
                        if !self.more(b'}')? {
                            break;
                        }
                    }
                }
                Ok(())
            }
            b'[' => {
                if self.open_array()? {
                    loop {
                        self.skip_nested(depth + 1)?;
                        if !self.more(b']')? {
                            break;
                        }
                    }
                }
                Ok(())
            }
            _ => self.skip_scalar(),
        }
    }

    fn skip_scalar(&mut self) -> Result<(), ScanError> {
        let start = self.i;
        while let Some(&c) = self.b.get(self.i) {
            if !(c.is_ascii_alphanumeric() || matches!(c, b'-' | b'+' | b'.')) {
                break;
            }
            self.i += 1;
        }
        let word = self.b.get(start..self.i).unwrap_or_default();
        let ok = matches!(word, b"true" | b"false" | b"null")
            || word
                .first()
                .is_some_and(|c| c.is_ascii_digit() || *c == b'-');
        if ok {
            Ok(())
        } else {
            Err(ScanError::Unexpected {
                found: self.b.get(start).copied().unwrap_or(b' '),
                at: start,
            })
        }
    }

    /// Checks that only whitespace is left.
    pub(crate) fn end(&mut self) -> Result<(), ScanError> {
        match self.peek() {
            Err(ScanError::Eof) => Ok(()),
            Ok(found) => Err(ScanError::Unexpected { found, at: self.i }),
            Err(e) => Err(e),
        }
    }
}

/// Reads up to 8 ASCII digits at `b[i..]`: `(value, count)`. Eight bytes at a time with SWAR
/// arithmetic when they are available, else byte by byte.
#[inline(always)]
fn digits8(b: &[u8], i: usize) -> (u64, usize) {
    let Some(chunk) = b.get(i..i + 8).and_then(|c| <[u8; 8]>::try_from(c).ok()) else {
        return digits_tail(b, i);
    };
    const LO: u64 = 0x0F0F_0F0F_0F0F_0F0F;
    const HI: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    let v = u64::from_le_bytes(chunk);
    // A byte is a digit when its high nibble is 3 and its low nibble + 6 does not reach 16;
    // neither test carries into the next byte.
    let bad = ((v & HI) ^ 0x3030_3030_3030_3030) | (((v & LO) + 0x0606_0606_0606_0606) & HI);
    let nonzero =
        (((bad & 0x7F7F_7F7F_7F7F_7F7F) + 0x7F7F_7F7F_7F7F_7F7F) | bad) & 0x8080_8080_8080_8080;
    let n = (nonzero.trailing_zeros() / 8) as usize;
    if n == 0 {
        return (0, 0);
    }
    // Keep the n digit bytes (the first character is the lowest byte), right-aligned as the
    // last n of eight digits.
    (swar8((v & LO) << (8 * (8 - n))), n)
}

/// Eight digit bytes (already `& 0x0F`, first character in the lowest byte, most significant)
/// combined into their value: pairs, quads, then the two halves.
#[inline(always)]
fn swar8(d: u64) -> u64 {
    let d = (d.wrapping_mul(10) + (d >> 8)) & 0x00FF_00FF_00FF_00FF;
    let d = (d.wrapping_mul(100) + (d >> 16)) & 0x0000_FFFF_0000_FFFF;
    (d.wrapping_mul(10_000) + (d >> 32)) & 0xFFFF_FFFF
}

/// [`digits8`] near the end of the input, byte by byte.
#[cold]
fn digits_tail(b: &[u8], i: usize) -> (u64, usize) {
    let mut v = 0u64;
    let mut n = 0;
    while let Some(&c) = b.get(i + n).filter(|c| c.is_ascii_digit() && n < 8) {
        v = v * 10 + u64::from(c - b'0');
        n += 1;
    }
    (v, n)
}

/// The raw bytes of top-level member `name` of a JSON object, if present.
pub(crate) fn top_level_member<'a>(
    b: &'a [u8],
    name: &[u8],
) -> Result<Option<&'a [u8]>, ScanError> {
    let mut sc = Scanner::new(b);
    if !sc.open_object()? {
        return Ok(None);
    }
    loop {
        let k = sc.key()?;
        if k == name {
            return sc.value_span().map(Some);
        }
        sc.skip_value()?;
        if !sc.more(b'}')? {
            return Ok(None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_objects_and_arrays() {
        let text = br#" {"a": [1, -2, "x\"y", {"b": null}], "c": true, "d": 12} "#;
        assert_eq!(top_level_member(text, b"d"), Ok(Some(&b"12"[..])));
        assert_eq!(top_level_member(text, b"zz"), Ok(None));
        let mut sc = Scanner::new(text);
        sc.skip_value().unwrap();
        sc.end().unwrap();
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let cases: [&[u8]; 10] = [
            b"",
            b"{",
            b"{\"a\"",
            b"{\"a\":",
            b"{\"a\":[1,",
            b"{\"a\":\"x",
            b"{\"a\":tru}",
            b"]",
            b"{\"a\":1}}",
            b"\"\\",
        ];
        for c in cases {
            let mut sc = Scanner::new(c);
            let r = sc.skip_value().and_then(|_| sc.end());
            assert!(r.is_err(), "{:?}", String::from_utf8_lossy(c));
        }
        let deep = "[".repeat(1000);
        assert_eq!(
            Scanner::new(deep.as_bytes()).skip_value(),
            Err(ScanError::TooDeep)
        );
    }

    /// The scanner's reading of `text` as a quoted decimal, with nothing after it (the short
    /// path) and with a frame's usual tail after it (the 16-byte path); both must agree.
    fn fast_then_exact(text: &str) -> Result<i64, ()> {
        let read = |framed: &str| -> Result<i64, ()> {
            let mut sc = Scanner::new(framed.as_bytes());
            let v = match sc.decimal() {
                Ok(Decimal8::Units(u)) => Ok(u),
                Ok(Decimal8::Other(b)) => crate::domain::num::parse_units(b).map_err(drop),
                Err(_) => Err(()),
            };
            if v.is_ok() {
                assert_eq!(
                    sc.expect(b'#'),
                    Ok(()),
                    "cursor after the closing quote: {framed}"
                );
            }
            v
        };
        let short = read(&format!("\"{text}\"#"));
        let long = read(&format!("\"{text}\"#],[\"1.5\",\"2\"]]}}}}"));
        assert_eq!(short, long, "{text}");
        short
    }

    proptest::proptest! {
        #[test]
        fn fast_decimals_equal_the_exact_parser(
            text in "[+-]?[0-9]{0,13}(\\.[0-9]{0,11})?|[0-9.eE+ x-]{0,12}"
        ) {
            let exact = crate::domain::num::parse_units(text.as_bytes()).map_err(drop);
            proptest::prop_assert_eq!(fast_then_exact(&text), exact);
        }
    }

    #[test]
    fn swar_digits_match_a_plain_loop() {
        for t in [
            "",
            "1",
            "12345678",
            "123456789",
            "0000000012",
            "98765432",
            "1.5",
            "9x",
            "00",
        ] {
            let padded = format!("{t}\"xxxxxxxxx");
            let n = t.bytes().take(8).take_while(u8::is_ascii_digit).count();
            let v = t[..n].parse::<u64>().unwrap_or(0);
            assert_eq!(digits8(padded.as_bytes(), 0), (v, n), "{t}");
            assert_eq!(digits8(t.as_bytes(), 0), (v, n), "short {t}");
        }
    }

    #[test]
    fn decimal_edge_cases() {
        for t in [
            "0",
            "0.00000000",
            "92233720368.54775807",
            "92233720368.54775808",
            "99999999999",
            "1.000000001",
            "1.0000000010",
            ".5",
            "5.",
            ".",
            "",
            "007.50",
            "12345678901",
            "123456789012",
            "90000.01",
            "0.01234567",
            "1.",
            "1..2",
            "1.2.3",
        ] {
            let exact = crate::domain::num::parse_units(t.as_bytes()).map_err(drop);
            assert_eq!(fast_then_exact(t), exact, "{t}");
        }
    }

    #[test]
    fn integers_are_exact_and_checked() {
        assert_eq!(Scanner::new(b"18446744073709551615").u64(), Ok(u64::MAX));
        assert!(Scanner::new(b"18446744073709551616").u64().is_err());
        assert!(Scanner::new(b"1.5").u64().is_err());
        assert_eq!(Scanner::new(b"-42").i64(), Ok(-42));
    }
}
