//! Binance depth diffs: decode + apply to a synced book, against parse-only baselines.
//!
//! Input: `python3 tools/gen_depth.py 20000 42` (run by this bench from the repo; the script is
//! deterministic, ~800-byte combined frames, ~26 levels each, 1000-level snapshot first).
//! Quick run: `cargo bench --bench depth -- --quick`. Criterion's "thrpt" is messages/s.

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use rustix::time::{ClockId, clock_gettime};
use speedtrade::book::{BookSync, DepthDiff, DepthSnapshot, SnapshotOutcome};
use speedtrade::domain::Level;
use speedtrade::venue::binance::depth::{DepthFrame, decode_depth_update, decode_snapshot};
use speedtrade::venue::binance::parse::ParseError;
use speedtrade::venue::binance::wire::{BinanceCombined, BinanceDepthUpdate, decode_depth_serde};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::process::Command;
use std::time::Duration;

const MESSAGES: &str = "20000";
const SEED: &str = "42";

/// Thread CPU time instead of wall time: on a shared machine other processes stretch wall time,
/// not the CPU time this thread spends decoding.
struct ThreadCpu;

fn thread_cpu_now() -> Duration {
    let t = clock_gettime(ClockId::ThreadCPUTime);
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

static WALL: WallTime = WallTime;

impl Measurement for ThreadCpu {
    type Intermediate = Duration;
    type Value = Duration;
    fn start(&self) -> Duration {
        thread_cpu_now()
    }
    fn end(&self, i: Duration) -> Duration {
        thread_cpu_now().saturating_sub(i)
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, v: &Duration) -> f64 {
        v.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        WALL.formatter()
    }
}

/// Snapshot and frames from the generator script.
fn input() -> (DepthSnapshot, Vec<Vec<u8>>) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tools/gen_depth.py");
    let out = Command::new("python3")
        .args([script, MESSAGES, SEED])
        .output()
        .unwrap_or_else(|e| panic!("benches/depth.rs needs python3 to run {script}: {e}"));
    assert!(out.status.success(), "gen_depth.py failed");
    let mut lines = out.stdout.split(|&b| b == b'\n').filter(|l| !l.is_empty());
    let snap = decode_snapshot(lines.next().expect("snapshot line")).expect("snapshot");
    (snap, lines.map(<[u8]>::to_vec).collect())
}

/// A book synced to the snapshot, ready for the first frame.
fn synced(snap: &DepthSnapshot) -> BookSync {
    let mut sync = BookSync::new(5000, 10_000);
    sync.on_diff(&DepthDiff {
        first_id: snap.last_id + 1,
        last_id: snap.last_id,
        ..DepthDiff::default()
    });
    assert_eq!(sync.on_snapshot(snap), SnapshotOutcome::Synced);
    sync
}

/// The same book in two `BTreeMap`s, to compare with the sorted-`Vec` book.
#[derive(Clone, Default)]
struct TreeBook {
    bids: BTreeMap<i64, i64>,
    asks: BTreeMap<i64, i64>,
}

impl TreeBook {
    fn set(side: &mut BTreeMap<i64, i64>, l: &Level) {
        if l.qty.is_zero() {
            side.remove(&l.price.units());
        } else {
            side.insert(l.price.units(), l.qty.units());
        }
    }
    fn apply(&mut self, d: &DepthDiff) {
        d.bids.iter().for_each(|l| Self::set(&mut self.bids, l));
        d.asks.iter().for_each(|l| Self::set(&mut self.asks, l));
    }
}

type Group<'a> = criterion::BenchmarkGroup<'a, ThreadCpu>;

/// Baselines: serde_json into a `Value`, and into borrowed structs (no numbers converted).
fn parse_only(g: &mut Group, frames: &[Vec<u8>]) {
    g.bench_function("parse_only/serde_value", |b| {
        b.iter(|| {
            for f in frames {
                black_box(serde_json::from_slice::<serde_json::Value>(f).ok());
            }
        })
    });
    g.bench_function("parse_only/serde_borrowed", |b| {
        b.iter(|| {
            for f in frames {
                let v: Option<BinanceCombined<BinanceDepthUpdate>> = serde_json::from_slice(f).ok();
                black_box(v);
            }
        })
    });
}

/// Decoding into a reused [`DepthDiff`] (exact prices and quantities), serde vs the scanner.
fn decode(g: &mut Group, frames: &[Vec<u8>]) {
    let mut diff = DepthDiff::default();
    g.bench_function("decode/serde_seed", |b| {
        b.iter(|| {
            for f in frames {
                black_box(decode_depth_serde(f, &mut diff).ok());
            }
        })
    });
    g.bench_function("decode/scanner", |b| {
        b.iter(|| {
            for f in frames {
                black_box(decode_depth_update(f, &mut diff).ok());
            }
        })
    });
}

/// Decode plus `BookSync::on_diff` (sequence checks and the book update): the live path.
fn decode_apply(g: &mut Group, frames: &[Vec<u8>], start: &BookSync, tree: &TreeBook) {
    type Decoder = for<'a> fn(&'a [u8], &mut DepthDiff) -> Result<DepthFrame<'a>, ParseError>;
    let decoders: [(&str, Decoder); 2] = [
        ("decode_apply/serde_seed", decode_depth_serde),
        ("decode_apply/scanner", decode_depth_update),
    ];
    let mut diff = DepthDiff::default();
    for (name, decoder) in decoders {
        g.bench_function(name, |b| {
            b.iter_batched_ref(
                || start.clone(),
                |sync| {
                    for f in frames {
                        if decoder(f, &mut diff).is_ok() {
                            black_box(sync.on_diff(&diff));
                        }
                    }
                },
                BatchSize::LargeInput,
            )
        });
    }
    g.bench_function("decode_apply/scanner_btreemap", |b| {
        b.iter_batched_ref(
            || tree.clone(),
            |book| {
                for f in frames {
                    if decode_depth_update(f, &mut diff).is_ok() {
                        book.apply(&diff);
                    }
                }
            },
            BatchSize::LargeInput,
        )
    });
}

/// The book update alone, on pre-decoded diffs: this book vs two `BTreeMap`s.
fn apply_only(g: &mut Group, diffs: &[DepthDiff], start: &BookSync, tree: &TreeBook) {
    g.bench_function("apply_only/book", |b| {
        b.iter_batched_ref(
            || start.clone(),
            |sync| {
                for d in diffs {
                    black_box(sync.on_diff(d));
                }
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("apply_only/btreemap", |b| {
        b.iter_batched_ref(
            || tree.clone(),
            |book| diffs.iter().for_each(|d| book.apply(d)),
            BatchSize::LargeInput,
        )
    });
}

/// The figures only count if every frame applied cleanly, to the same book a model builds.
fn check(diffs: &[DepthDiff], start: &BookSync, tree: &TreeBook) {
    let (mut book, mut model) = (start.clone(), tree.clone());
    for d in diffs {
        book.on_diff(d);
        model.apply(d);
    }
    assert!(
        !book.is_stale(),
        "the generated stream applies without a gap"
    );
    let top = book.top(50);
    let units = |ls: &[Level]| -> Vec<(i64, i64)> {
        ls.iter()
            .map(|l| (l.price.units(), l.qty.units()))
            .collect()
    };
    let bids: Vec<(i64, i64)> = model
        .bids
        .iter()
        .rev()
        .take(50)
        .map(|(p, q)| (*p, *q))
        .collect();
    let asks: Vec<(i64, i64)> = model.asks.iter().take(50).map(|(p, q)| (*p, *q)).collect();
    assert_eq!(units(&top.bids), bids, "bids equal the BTreeMap model");
    assert_eq!(units(&top.asks), asks, "asks equal the BTreeMap model");
}

fn benches(c: &mut Criterion<ThreadCpu>) {
    let (snap, frames) = input();
    let diffs: Vec<DepthDiff> = frames
        .iter()
        .map(|f| {
            let mut d = DepthDiff::default();
            decode_depth_update(f, &mut d).expect("frame decodes");
            d
        })
        .collect();
    let start = synced(&snap);
    let mut tree = TreeBook::default();
    snap.bids
        .iter()
        .for_each(|l| TreeBook::set(&mut tree.bids, l));
    snap.asks
        .iter()
        .for_each(|l| TreeBook::set(&mut tree.asks, l));
    check(&diffs, &start, &tree);
    let mut g = c.benchmark_group("depth");
    g.throughput(Throughput::Elements(frames.len() as u64));
    g.sample_size(10);
    parse_only(&mut g, &frames);
    decode(&mut g, &frames);
    decode_apply(&mut g, &frames, &start, &tree);
    apply_only(&mut g, &diffs, &start, &tree);
    g.finish();
}

criterion_group! {
    name = depth;
    config = Criterion::default().with_measurement(ThreadCpu);
    targets = benches
}
criterion_main!(depth);
