//! Symbol search per keystroke on a full-size universe (3,000 Binance pairs + 10,000 stocks).
//! Run: `cargo bench --bench search`.

#[path = "../tests/search_support/mod.rs"]
mod search_support;

use criterion::{Criterion, criterion_group, criterion_main};
use speedtrade::search::SymbolIndex;
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let idx = SymbolIndex::new(search_support::universe());
    let mut g = c.benchmark_group("search_13k");
    // One letter (prefix ranks fill the limit), a base, a miss that runs the fuzzy matcher over
    // everything, and a multi-word name query.
    for q in ["b", "btc", "zqxj", "holdings in"] {
        g.bench_function(q, |b| b.iter(|| idx.search(black_box(q), 20).len()));
    }
    g.finish();
    c.bench_function("index_build_13k", |b| {
        b.iter(|| SymbolIndex::new(black_box(search_support::universe())).len())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
