//! Fuzzy symbol search over the venues' instruments (Binance `exchangeInfo`, Alpaca assets).
//!
//! Ranking, best first:
//! 1. [`MatchKind::Exact`] — the symbol itself, ignoring case and separators (`btc/usdt`,
//!    `brk.b`);
//! 2. [`MatchKind::Base`] — the base asset (`btc` finds `BTCUSDT`, `BTCFDUSD`, `BTCEUR` …);
//! 3. [`MatchKind::Prefix`] — the symbol starts with the query (`btcd` → `BTCDOMUSDT`);
//! 4. [`MatchKind::Name`] — a word of the display name starts with the query (`apple` → `AAPL`);
//! 5. [`MatchKind::Fuzzy`] — `nucleo-matcher` over the symbol and name, by its score.
//!
//! Within a rank: trading instruments first, then higher [`Entry::popularity`] (fill it from
//! 24 h quote volume if you have it), then the preferred quotes (`USDT`, `USDC`, `FDUSD`, `USD`
//! …), then shorter symbols, then alphabetical. The cheap ranks are one pass of string compares;
//! the fuzzy matcher runs only when they did not fill the requested number of hits.

use crate::domain::{Instrument, Symbol, VenueId};
use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32String};
use std::cmp::Ordering;

/// Quotes ranked first when nothing else separates two hits.
pub const DEFAULT_QUOTES: [&str; 7] = ["USDT", "USDC", "FDUSD", "USD", "BTC", "EUR", "ETH"];

/// One searchable instrument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Venue.
    pub venue: VenueId,
    /// Symbol.
    pub symbol: Symbol,
    /// Base asset (`BTC`; the symbol for stocks).
    pub base: String,
    /// Quote asset.
    pub quote: String,
    /// Display name (`Apple Inc.`), when the venue gives one.
    pub name: Option<String>,
    /// Whether it trades now; halted or delisted ones rank lower.
    pub trading: bool,
    /// Higher ranks first among equals (e.g. 24 h quote volume, bucketed); 0 when unknown.
    pub popularity: u32,
}

impl Entry {
    /// An entry with no name or popularity.
    pub fn new(venue: VenueId, symbol: Symbol, base: &str, quote: &str) -> Self {
        Self {
            venue,
            symbol,
            base: base.to_string(),
            quote: quote.to_string(),
            name: None,
            trading: true,
            popularity: 0,
        }
    }
    /// Adds a display name.
    pub fn with_name(mut self, name: &str) -> Self {
        self.name = Some(name.to_string());
        self
    }
}

impl From<&Instrument> for Entry {
    fn from(i: &Instrument) -> Self {
        Self {
            trading: i.trading,
            ..Entry::new(i.venue, i.symbol.clone(), &i.base, &i.quote)
        }
    }
}

/// How a hit matched, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MatchKind {
    /// The symbol.
    Exact,
    /// The base asset.
    Base,
    /// A prefix of the symbol.
    Prefix,
    /// A word of the name starts with the query.
    Name,
    /// Fuzzy.
    Fuzzy,
}

/// One search result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit<'a> {
    /// The instrument.
    pub entry: &'a Entry,
    /// Its position in the index (stable for the index's lifetime).
    pub index: usize,
    /// How it matched.
    pub kind: MatchKind,
    /// The fuzzy score (0 for the other kinds).
    pub score: u32,
}

/// How much work a search did (for tests and the benchmark; counts, not times).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SearchStats {
    /// Entries looked at with string compares.
    pub scanned: usize,
    /// Entries scored by the fuzzy matcher.
    pub fuzzy_scored: usize,
    /// Matches found before the limit was applied.
    pub matched: usize,
}

/// Precomputed upper-case keys of one entry.
#[derive(Debug, Clone)]
struct Key {
    symbol: String,
    base: String,
    name_words: Vec<String>,
    hay: Utf32String,
    quote_rank: usize,
}

/// Instruments prepared for searching on every keystroke.
#[derive(Debug, Clone)]
pub struct SymbolIndex {
    entries: Vec<Entry>,
    keys: Vec<Key>,
}

impl SymbolIndex {
    /// Builds the index with [`DEFAULT_QUOTES`] as the preferred quotes.
    pub fn new(entries: Vec<Entry>) -> Self {
        Self::with_quotes(entries, &DEFAULT_QUOTES)
    }

    /// Builds the index; `quotes` are ranked first, in this order, among equal hits.
    pub fn with_quotes(entries: Vec<Entry>, quotes: &[&str]) -> Self {
        let keys = entries.iter().map(|e| key(e, quotes)).collect();
        Self { entries, keys }
    }

    /// Number of instruments.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// `true` with no instruments.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// All instruments, in the order given.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The best `limit` hits for `query` on every venue (empty query: no hits).
    pub fn search(&self, query: &str, limit: usize) -> Vec<Hit<'_>> {
        self.search_with_stats(query, None, limit).0
    }

    /// The best `limit` hits for `query`, on one venue or all, with the work done.
    pub fn search_with_stats(
        &self,
        query: &str,
        venue: Option<VenueId>,
        limit: usize,
    ) -> (Vec<Hit<'_>>, SearchStats) {
        let mut stats = SearchStats::default();
        let q = query.trim();
        let norm = normalize(q);
        if norm.is_empty() || limit == 0 {
            return (Vec::new(), stats);
        }
        let upper = q.to_uppercase();
        let mut hits = Vec::new();
        let mut rest = Vec::new();
        for (i, (e, k)) in self.entries.iter().zip(&self.keys).enumerate() {
            if venue.is_some_and(|v| v != e.venue) {
                continue;
            }
            stats.scanned += 1;
            match cheap_kind(k, &norm, &upper) {
                Some(kind) => hits.push(self.hit(i, kind, 0)),
                None => rest.push(i),
            }
        }
        if hits.len() < limit {
            let pattern = Pattern::parse(q, CaseMatching::Ignore, Normalization::Smart);
            let mut matcher = Matcher::new(Config::DEFAULT);
            for i in rest {
                stats.fuzzy_scored += 1;
                if let Some(s) = pattern.score(self.keys[i].hay.slice(..), &mut matcher) {
                    hits.push(self.hit(i, MatchKind::Fuzzy, s));
                }
            }
        }
        stats.matched = hits.len();
        let cmp = |a: &Hit, b: &Hit| self.order(a, b);
        if hits.len() > limit {
            hits.select_nth_unstable_by(limit - 1, cmp);
            hits.truncate(limit);
        }
        hits.sort_unstable_by(cmp);
        (hits, stats)
    }

    fn hit(&self, index: usize, kind: MatchKind, score: u32) -> Hit<'_> {
        Hit {
            entry: &self.entries[index],
            index,
            kind,
            score,
        }
    }

    fn order(&self, a: &Hit, b: &Hit) -> Ordering {
        let (ka, kb) = (&self.keys[a.index], &self.keys[b.index]);
        a.kind
            .cmp(&b.kind)
            .then(b.score.cmp(&a.score))
            .then(b.entry.trading.cmp(&a.entry.trading))
            .then(b.entry.popularity.cmp(&a.entry.popularity))
            .then(ka.quote_rank.cmp(&kb.quote_rank))
            .then(ka.symbol.len().cmp(&kb.symbol.len()))
            .then(ka.symbol.cmp(&kb.symbol))
            .then(a.entry.venue.cmp(&b.entry.venue))
    }
}

/// Upper case without separators: `btc/usdt` → `BTCUSDT`, `brk.b` → `BRKB`.
fn normalize(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect()
}

fn key(e: &Entry, quotes: &[&str]) -> Key {
    let name = e.name.as_deref().unwrap_or("");
    let name_words = name
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_uppercase)
        .collect();
    let quote_rank = quotes
        .iter()
        .position(|q| q.eq_ignore_ascii_case(&e.quote))
        .unwrap_or(quotes.len());
    Key {
        symbol: normalize(e.symbol.as_str()),
        base: normalize(&e.base),
        name_words,
        hay: Utf32String::from(format!("{} {name}", e.symbol).as_str()),
        quote_rank,
    }
}

/// The string-compare ranks (exact, base, prefix, name); `None` leaves it to the fuzzy matcher.
fn cheap_kind(k: &Key, norm: &str, upper: &str) -> Option<MatchKind> {
    if k.symbol == norm {
        Some(MatchKind::Exact)
    } else if k.base == norm {
        Some(MatchKind::Base)
    } else if k.symbol.starts_with(norm) {
        Some(MatchKind::Prefix)
    } else if name_matches(&k.name_words, upper) {
        Some(MatchKind::Name)
    } else {
        None
    }
}

/// Every word of the query starts a word of the name, in order (`apple`, `bank of am`).
fn name_matches(words: &[String], query: &str) -> bool {
    let mut rest = words.iter();
    query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .all(|qw| rest.any(|w| w.starts_with(qw)))
}
