//! Symbol search: exact, base asset, prefix, name and fuzzy ranks on a hand-made list of real
//! symbols; venue filter; and the work done per keystroke on a full-size universe (counted).

mod search_support;

use speedtrade::domain::{Symbol, VenueId};
use speedtrade::search::{Entry, MatchKind, SymbolIndex};

fn pair(sym: &str, base: &str, quote: &str) -> Entry {
    Entry::new(VenueId::Binance, Symbol::new(sym).unwrap(), base, quote)
}

fn stock(sym: &str, name: &str) -> Entry {
    Entry::new(VenueId::Alpaca, Symbol::new(sym).unwrap(), sym, "USD").with_name(name)
}

fn index() -> SymbolIndex {
    let mut delisted = pair("BTCSTUSDT", "BTCST", "USDT");
    delisted.trading = false;
    SymbolIndex::new(vec![
        pair("ETHBTC", "ETH", "BTC"),
        pair("BTCTRY", "BTC", "TRY"),
        pair("BTCEUR", "BTC", "EUR"),
        pair("BTCFDUSD", "BTC", "FDUSD"),
        pair("BTCUSDC", "BTC", "USDC"),
        pair("BTCUSDT", "BTC", "USDT"),
        delisted,
        pair("BTCDOWNUSDT", "BTCDOWN", "USDT"),
        pair("WBTCUSDT", "WBTC", "USDT"),
        pair("BTTCUSDT", "BTTC", "USDT"),
        pair("ETHUSDT", "ETH", "USDT"),
        pair("ETCUSDT", "ETC", "USDT"),
        pair("ETHFIUSDT", "ETHFI", "USDT"),
        pair("SOLUSDT", "SOL", "USDT"),
        stock("AAPL", "Apple Inc."),
        stock("APLE", "Apple Hospitality REIT, Inc."),
        stock("BAC", "Bank of America Corporation"),
        stock("BRK.B", "Berkshire Hathaway Inc. Class B"),
        stock("ETH", "Ethan Allen Interiors Inc."),
        stock("SOLV", "Solventum Corporation"),
    ])
}

fn top(idx: &SymbolIndex, q: &str, n: usize) -> Vec<(String, MatchKind)> {
    idx.search(q, n)
        .iter()
        .map(|h| (h.entry.symbol.to_string(), h.kind))
        .collect()
}

fn names(idx: &SymbolIndex, q: &str, n: usize) -> Vec<String> {
    top(idx, q, n).into_iter().map(|(s, _)| s).collect()
}

#[test]
fn ranks_exact_then_base_then_prefix_then_name_then_fuzzy() {
    use MatchKind::*;
    let idx = index();
    // "btc": every BTC-base pair by preferred quote (USDT, USDC, FDUSD, …, EUR, then others),
    // then longer symbols starting with BTC (a delisted one last), then fuzzy (WBTC, ETHBTC…).
    let got = top(&idx, "btc", 9);
    let want = [
        ("BTCUSDT", Base),
        ("BTCUSDC", Base),
        ("BTCFDUSD", Base),
        ("BTCEUR", Base),
        ("BTCTRY", Base),
        ("BTCDOWNUSDT", Prefix),
        ("BTCSTUSDT", Prefix),
    ];
    let want: Vec<(String, MatchKind)> = want.iter().map(|(s, k)| (s.to_string(), *k)).collect();
    assert_eq!(got[..7], want[..]);
    assert!(got[7..].iter().all(|(_, k)| *k == Fuzzy), "{got:?}");
    let fuzzy: Vec<&str> = got[7..].iter().map(|(s, _)| s.as_str()).collect();
    assert!(fuzzy.contains(&"WBTCUSDT"), "{fuzzy:?}");
}

#[test]
fn table_of_queries() {
    use MatchKind::*;
    let idx = index();
    // (label, query, first hit, how)
    let cases = [
        ("exact symbol", "btcusdt", "BTCUSDT", Exact),
        ("separators ignored", "btc/usdt", "BTCUSDT", Exact),
        ("dash and spaces", " eth-btc ", "ETHBTC", Exact),
        ("class share", "brk.b", "BRK.B", Exact),
        ("class share typed plain", "brkb", "BRK.B", Exact),
        ("stock exact beats crypto base", "eth", "ETH", Exact),
        ("base asset", "sol", "SOLUSDT", Base),
        ("prefix", "btcd", "BTCDOWNUSDT", Prefix),
        ("name word", "apple", "AAPL", Name),
        ("name words in order", "bank of am", "BAC", Name),
        ("name inner word", "hathaway", "BRK.B", Name),
        ("fuzzy symbol", "btusdt", "BTCUSDT", Fuzzy),
        ("fuzzy name", "brkshire", "BRK.B", Fuzzy),
    ];
    for (label, q, first, kind) in cases {
        let hits = top(&idx, q, 5);
        assert_eq!(
            hits.first(),
            Some(&(first.to_string(), kind)),
            "{label}: {q} → {hits:?}"
        );
    }
}

#[test]
fn the_second_stock_named_apple_follows_and_sol_finds_both_kinds() {
    let idx = index();
    assert_eq!(names(&idx, "apple", 5), ["AAPL", "APLE"]);
    // SOLUSDT by base; SOLV by prefix.
    assert_eq!(names(&idx, "sol", 2), ["SOLUSDT", "SOLV"]);
}

#[test]
fn nothing_for_an_empty_query_or_zero_limit_and_the_limit_holds() {
    let idx = index();
    assert!(idx.search("", 10).is_empty());
    assert!(idx.search("  / ", 10).is_empty());
    assert!(idx.search("btc", 0).is_empty());
    assert_eq!(idx.search("btc", 3).len(), 3);
    assert!(idx.search("qqqqqq", 10).is_empty());
}

#[test]
fn venue_filter_and_popularity() {
    let idx = index();
    let (hits, _) = idx.search_with_stats("eth", Some(VenueId::Binance), 3);
    let got: Vec<&str> = hits.iter().map(|h| h.entry.symbol.as_str()).collect();
    assert_eq!(got, ["ETHUSDT", "ETHBTC", "ETHFIUSDT"]);
    // Popularity lifts a pair above the preferred quote order.
    let mut entries = index().entries().to_vec();
    for e in &mut entries {
        if e.symbol.as_str() == "BTCEUR" {
            e.popularity = 10;
        }
    }
    let idx = SymbolIndex::new(entries);
    assert_eq!(names(&idx, "btc", 2), ["BTCEUR", "BTCUSDT"]);
}

#[test]
fn a_keystroke_on_the_full_universe_does_bounded_work() {
    let idx = SymbolIndex::new(search_support::universe());
    assert_eq!(idx.len(), 13_000);
    // (label, query, fuzzy matcher runs?)
    let cases = [
        ("one letter fills the limit with prefixes", "a", false),
        ("a base asset", "b", false),
        ("an odd string falls back to fuzzy", "zqxj", true),
        ("a slash pair", "zz/usdt", true),
    ];
    for (label, q, fuzzy) in cases {
        let (hits, stats) = idx.search_with_stats(q, None, 20);
        assert_eq!(
            stats.scanned, 13_000,
            "{label}: one cheap pass over everything"
        );
        if fuzzy {
            assert!(
                stats.fuzzy_scored <= 13_000 && stats.fuzzy_scored > 0,
                "{label}: {stats:?}"
            );
        } else {
            assert_eq!(
                stats.fuzzy_scored, 0,
                "{label}: no fuzzy pass when the cheap ranks fill 20"
            );
            assert_eq!(hits.len(), 20, "{label}");
        }
    }
    let (_, stats) = idx.search_with_stats("a", Some(VenueId::Binance), 20);
    assert_eq!(stats.scanned, 3_000, "a venue filter skips the others");
}
