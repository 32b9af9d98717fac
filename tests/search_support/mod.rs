//! A deterministic instrument universe the size of the real one: ~3,000 Binance pairs and
//! ~10,000 Alpaca stocks with names (shared by the search tests and `benches/search.rs`).

use speedtrade::domain::{Symbol, VenueId};
use speedtrade::search::Entry;

/// 3,000 Binance-like pairs (750 bases × USDT, USDC, FDUSD, BTC) and 10,000 stock tickers.
pub fn universe() -> Vec<Entry> {
    let mut seed: u64 = 0x5eed;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize
    };
    let mut word = |len: usize| -> String {
        (0..len)
            .map(|_| (b'A' + (next() % 26) as u8) as char)
            .collect()
    };
    let mut out = Vec::with_capacity(13_000);
    let mut bases = std::collections::BTreeSet::new();
    // The length follows the attempt count, not the set size, so a full length cannot stall.
    let mut attempt = 0;
    while bases.len() < 750 {
        attempt += 1;
        bases.insert(word(3 + attempt % 3));
    }
    for base in &bases {
        for quote in ["USDT", "USDC", "FDUSD", "BTC"] {
            let sym = Symbol::new(&format!("{base}{quote}")).unwrap();
            out.push(Entry::new(VenueId::Binance, sym, base, quote));
        }
    }
    let mut tickers = std::collections::BTreeSet::new();
    while tickers.len() < 10_000 {
        attempt += 1;
        tickers.insert(word(1 + attempt % 5));
    }
    for (i, t) in tickers.iter().enumerate() {
        let name = format!("{} {} Holdings Inc.", word(6), word(4 + i % 4));
        let e = Entry::new(VenueId::Alpaca, Symbol::new(t).unwrap(), t, "USD");
        out.push(e.with_name(&name));
    }
    out
}
