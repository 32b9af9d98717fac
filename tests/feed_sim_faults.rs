//! The Binance feed against the in-process simulator with each stream fault on (disconnects,
//! sequence gaps, malformed frames, oversized frames, all at once): the counters see the
//! faults, every client book equals the simulator's book exactly once it caught up, trades
//! arrive in order without repeats, and nothing panics.

#![allow(clippy::unwrap_used)] // test helpers unwrap freely

mod support_feedsim;

use speedtrade::sim::SimArgs;
use speedtrade::venue::binance::BinanceEndpoints;
use speedtrade::venue::binance::feed::{FeedOptions, Topics};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use support_feedsim::{Harness, counting_proxy, feed_options};

/// Levels kept by the client book (the snapshot `limit`).
const DEPTH: usize = 1000;
/// Levels published per side and compared with the simulator. Smaller than [`DEPTH`]: a
/// bounded local book cannot know levels beyond its snapshot that no diff touched, so only
/// levels well inside it can be exact (Binance's docs say the same of their depth limit).
const LEVELS: usize = 100;
/// Longest wait for the faults of one round.
const ROUND: Duration = Duration::from_secs(20);

fn args() -> SimArgs {
    SimArgs {
        symbols: vec!["BTCUSDT".into(), "ETHUSDT".into(), "SOLUSDT".into()],
        rate: 100,
        seed: 11,
        ..SimArgs::default()
    }
}

async fn harness(args: SimArgs) -> Harness {
    Harness::start(args, feed_options(DEPTH, LEVELS)).await
}

/// Prints the figures a test saw (visible with `--nocapture`).
fn report(name: &str, h: &Harness, started: Instant, ids: &[u64]) {
    let s = h.feed.stats();
    eprintln!(
        "{name}: {:.1}s, messages {}, reconnects {}, resyncs {}, malformed {}, last compared ids {ids:?}",
        started.elapsed().as_secs_f64(),
        s.messages_total,
        s.reconnects,
        s.resyncs,
        s.malformed,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnects_reconnect_resync_and_books_match() {
    let started = Instant::now();
    let h = harness(SimArgs {
        fault_disconnect_every: Some(Duration::from_millis(1200)),
        ..args()
    })
    .await;
    let mut ids = vec![];
    for round in 1..=2 {
        h.run_until("reconnects", ROUND, |s| s.reconnects >= 2 * round)
            .await;
        ids = h.assert_books_equal().await;
    }
    let s = h.feed.stats();
    assert!(
        s.resyncs >= s.reconnects,
        "every reconnect resyncs the live books: {s:?}"
    );
    assert_eq!(s.malformed, 0, "{s:?}");
    report("disconnects", &h, started, &ids);
    let seen = h.finish().await;
    assert!(seen.disconnects >= 4, "the app saw each loss: {seen:?}");
    let jumps: u64 = seen.trades.values().map(|t| t.gaps_across_disconnect).sum();
    eprintln!(
        "disconnects: trades {:?}, jumps across a disconnect {jumps}",
        count(&seen)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gaps_resync_and_books_match() {
    let started = Instant::now();
    let h = harness(SimArgs {
        fault_gap_every: Some(80),
        ..args()
    })
    .await;
    let mut ids = vec![];
    for round in 1..=2 {
        h.run_until("resyncs", ROUND, |s| s.resyncs >= 10 * round)
            .await;
        ids = h.assert_books_equal().await;
    }
    let s = h.feed.stats();
    assert_eq!((s.reconnects, s.malformed), (0, 0), "{s:?}");
    report("gaps", &h, started, &ids);
    let seen = h.finish().await;
    assert!(
        seen.stale_books > 0,
        "books are marked stale while they resync"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_frames_are_counted_and_cost_nothing() {
    let started = Instant::now();
    let h = harness(SimArgs {
        fault_malformed_every: Some(50),
        ..args()
    })
    .await;
    h.run_until("malformed frames", ROUND, |s| s.malformed >= 30)
        .await;
    let ids = h.assert_books_equal().await;
    let s = h.feed.stats();
    assert_eq!(
        (s.reconnects, s.resyncs),
        (0, 0),
        "garbage is skipped, never a reason to reconnect or resync: {s:?}"
    );
    report("malformed", &h, started, &ids);
    h.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_frames_are_counted_and_cost_nothing() {
    let started = Instant::now();
    let h = harness(SimArgs {
        fault_oversized_every: Some(200),
        fault_oversized_bytes: 1_500_000,
        ..args()
    })
    .await;
    h.run_until("oversized frames", ROUND, |s| s.malformed >= 4)
        .await;
    let ids = h.assert_books_equal().await;
    let s = h.feed.stats();
    assert_eq!((s.reconnects, s.resyncs), (0, 0), "{s:?}");
    report("oversized", &h, started, &ids);
    h.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_faults_at_once_and_books_match() {
    let started = Instant::now();
    let h = harness(SimArgs {
        fault_disconnect_every: Some(Duration::from_millis(1500)),
        fault_gap_every: Some(120),
        fault_malformed_every: Some(80),
        fault_oversized_every: Some(600),
        fault_oversized_bytes: 1_500_000,
        fault_latency_ms: 200,
        ..args()
    })
    .await;
    let mut ids = vec![];
    for round in 1..=3 {
        h.run_until("every fault", ROUND, |s| {
            s.reconnects >= round && s.resyncs >= 6 * round && s.malformed >= 10 * round
        })
        .await;
        ids = h.assert_books_equal().await;
        if round == 1 {
            // The watch list changes while the faults go on: ETHUSDT leaves and comes back.
            let eth = support_feedsim::sym("ETHUSDT");
            h.seen.lock().unwrap().allow_jump(&eth);
            h.feed.unwatch(&eth);
            let gone = support_feedsim::wait_until(ROUND, || h.feed.book(&eth).is_none());
            assert!(gone.await, "an unwatched book is dropped");
            h.sim.resume_market();
            h.feed.watch(eth, Topics::all());
        }
    }
    report("all faults", &h, started, &ids);
    let seen = h.finish().await;
    eprintln!(
        "all faults: trades {:?}, live book events {}, stale {}, notices {:?}",
        count(&seen),
        seen.live_books,
        seen.stale_books,
        seen.notices
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planned_replacements_lose_and_repeat_nothing() {
    let started = Instant::now();
    let opts = FeedOptions {
        max_lifetime: Duration::from_millis(1500),
        replace_overlap: Duration::from_millis(300),
        ..feed_options(DEPTH, LEVELS)
    };
    let a = args();
    let symbols = a.symbols.iter().map(|s| support_feedsim::sym(s)).collect();
    let sim = support_feedsim::start_sim(a).await;
    let (proxy, opened) = counting_proxy(sim.addr()).await;
    let ends = BinanceEndpoints {
        ws_url: format!("ws://{proxy}"),
        ..support_feedsim::endpoints(&sim)
    };
    let h = Harness::on(sim, symbols, ends, opts);
    let mut ids = vec![];
    for round in 1..=2 {
        h.sim.resume_market();
        let ok =
            support_feedsim::wait_until(ROUND, || opened.load(Ordering::SeqCst) > 2 * round).await;
        assert!(ok, "the connection was replaced");
        ids = h.assert_books_equal().await;
    }
    let s = h.feed.stats();
    assert_eq!(
        (s.reconnects, s.resyncs, s.malformed),
        (0, 0, 0),
        "a planned replacement is neither a reconnect nor a reason to resync: {s:?}"
    );
    report("replacements", &h, started, &ids);
    let sockets = opened.load(Ordering::SeqCst);
    let seen = h.finish().await;
    let jumps: u64 = seen.trades.values().map(|t| t.gaps_across_disconnect).sum();
    assert_eq!((seen.disconnects, jumps), (0, 0), "no trade lost: {seen:?}");
    eprintln!("replacements: {sockets} sockets, trades {:?}", count(&seen));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quiet_market_gets_a_live_book_and_keeps_it_across_reconnects() {
    let started = Instant::now();
    let a = SimArgs {
        fault_disconnect_every: Some(Duration::from_millis(3000)),
        ..args()
    };
    let symbols = a.symbols.iter().map(|s| support_feedsim::sym(s)).collect();
    let sim = support_feedsim::start_sim(a).await;
    // Nothing changes: no diff will ever come to start the usual buffer-then-snapshot sync.
    sim.pause_market();
    let ends = support_feedsim::endpoints(&sim);
    let h = Harness::on(sim, symbols, ends, feed_options(DEPTH, LEVELS));
    let mut ids = vec![];
    for round in 1..=2 {
        // The connection drops every 3 s; each time the books resync without any diff.
        let ok = support_feedsim::wait_until(ROUND, || h.feed.stats().reconnects >= round).await;
        assert!(ok, "reconnected: {:?}", h.feed.stats());
        ids = h.assert_quiet_books_equal().await;
    }
    // When the market moves again the books follow it exactly.
    h.run_until("diffs", ROUND, |s| {
        s.reconnects >= 3 && s.messages_total > 500
    })
    .await;
    ids.extend(h.assert_books_equal().await);
    report("quiet market", &h, started, &ids);
    h.finish().await;
}

fn count(seen: &support_feedsim::Collected) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = seen
        .trades
        .iter()
        .map(|(s, t)| (s.to_string(), t.count))
        .collect();
    v.sort();
    v
}
