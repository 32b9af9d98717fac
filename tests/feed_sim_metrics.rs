//! The Prometheus endpoint over real HTTP while a feed runs against the simulator with gap and
//! garbage faults: the content type, the feed's counters present and rising, app metrics beside
//! them, non-loopback addresses refused, and the endpoint gone after shutdown.

#![allow(clippy::unwrap_used)] // test helpers unwrap freely

mod support_feedsim;

use speedtrade::runtime::metrics::{self, Metric, MetricsError, MetricsHandle};
use speedtrade::sim::{SimArgs, SimHandle};
use speedtrade::venue::binance::feed::{BinanceFeed, Topics};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;
use support_feedsim::{endpoints, feed_options, start_sim, sym, wait_until};

/// `name{labels} value` lines → value by series (comments skipped; every line must parse).
fn samples(text: &str) -> HashMap<String, i64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let (series, value) = l.rsplit_once(' ').unwrap_or_else(|| panic!("{l}"));
            (
                series.to_string(),
                value.parse().unwrap_or_else(|_| panic!("{l}")),
            )
        })
        .collect()
}

async fn scrape(client: &reqwest::Client, addr: SocketAddr) -> (String, HashMap<String, i64>) {
    let resp = client
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let ct = resp.headers()["content-type"].to_str().unwrap().to_string();
    let text = resp.text().await.unwrap();
    let parsed = samples(&text);
    (ct, parsed)
}

fn get(s: &HashMap<String, i64>, series: &str) -> i64 {
    *s.get(series)
        .unwrap_or_else(|| panic!("{series} missing from {s:?}"))
}

/// A feed on `sim` watching two symbols, and an endpoint serving its counters plus an app
/// counter of the scrapes served.
async fn feed_with_endpoint(sim: &SimHandle) -> (Arc<BinanceFeed>, MetricsHandle) {
    let (feed, mut rx) = BinanceFeed::start(endpoints(sim), feed_options(1000, 20)).unwrap();
    tokio::spawn(async move { while rx.recv().await.is_some() {} });
    feed.watch(sym("BTCUSDT"), Topics::all());
    feed.watch(sym("ETHUSDT"), Topics::all());
    let feed = Arc::new(feed);
    let weak = Arc::downgrade(&feed);
    let scrapes = AtomicI64::new(0);
    let handle = metrics::serve("127.0.0.1:0".parse().unwrap(), move || {
        let n = scrapes.fetch_add(1, Ordering::SeqCst) + 1;
        let app = [Metric::counter(
            "speedtrade_metrics_scrapes_total",
            "Scrapes served.",
            n,
        )];
        let stats = weak.upgrade().map(|f| f.stats());
        metrics::render(stats.as_ref().map(|s| ("binance", s)), &app)
    })
    .await
    .unwrap();
    (feed, handle)
}

fn series(name: &str) -> String {
    format!("{name}{{venue=\"binance\"}}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counters_are_served_and_rise_while_the_feed_runs() {
    let sim = start_sim(SimArgs {
        symbols: vec!["BTCUSDT".into(), "ETHUSDT".into()],
        rate: 50,
        fault_gap_every: Some(30),
        fault_malformed_every: Some(30),
        ..SimArgs::default()
    })
    .await;
    let (feed, handle) = feed_with_endpoint(&sim).await;
    let addr = handle.local_addr();
    assert!(addr.ip().is_loopback() && addr.port() != 0);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();

    let (ct, first) = scrape(&client, addr).await;
    assert_eq!(ct, "text/plain; version=0.0.4; charset=utf-8");
    assert_eq!(
        get(&first, &series("speedtrade_feed_streams")),
        8,
        "4 topics x 2 symbols"
    );
    let build = format!(
        "speedtrade_build_info{{version=\"{}\"}}",
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(get(&first, &build), 1);
    assert_eq!(get(&first, "speedtrade_metrics_scrapes_total"), 1);
    let limit = get(&first, &series("speedtrade_rest_weight_limit"));
    assert!(limit > 0, "the REST budget is shown: {first:?}");

    // Each scrape shows the feed moving on and the faults counted.
    let names = ["messages_total", "resyncs_total", "malformed_total"]
        .map(|n| series(&format!("speedtrade_feed_{n}")));
    let mut last = first;
    for _ in 0..3 {
        let before = names.clone().map(|n| get(&last, &n));
        let risen = wait_until(Duration::from_secs(15), || {
            let s = feed.stats();
            [s.messages_total, s.resyncs, s.malformed]
                .iter()
                .zip(before)
                .all(|(now, was)| *now as i64 > was)
        });
        assert!(risen.await, "the feed kept running: {:?}", feed.stats());
        let (_, now) = scrape(&client, addr).await;
        for (name, was) in names.iter().zip(before) {
            assert!(get(&now, name) > was, "{name} rises");
        }
        assert_eq!(get(&now, &series("speedtrade_feed_connections")), 1);
        last = now;
    }
    assert_eq!(get(&last, "speedtrade_metrics_scrapes_total"), 4);
    let figures = names.clone().map(|n| get(&last, &n));
    eprintln!("metrics after 4 scrapes: messages, resyncs, malformed = {figures:?}");

    let other = client.get(format!("http://{addr}/")).send().await.unwrap();
    assert_eq!(other.status(), 404);
    handle.shutdown().await;
    let gone = client.get(format!("http://{addr}/metrics")).send().await;
    assert!(gone.is_err(), "nothing listens after shutdown");
    drop(feed);
    sim.shutdown().await;
}

#[tokio::test]
async fn non_loopback_addresses_are_refused() {
    for addr in ["0.0.0.0:0", "[::]:0", "10.1.2.3:9184"] {
        let err = metrics::serve(addr.parse().unwrap(), String::new)
            .await
            .unwrap_err();
        assert!(matches!(err, MetricsError::NotLoopback(_)), "{addr}: {err}");
        assert!(err.to_string().contains("loopback only"), "{err}");
    }
    let taken = metrics::serve("127.0.0.1:0".parse().unwrap(), String::new)
        .await
        .unwrap();
    let err = metrics::serve(taken.local_addr(), String::new)
        .await
        .unwrap_err();
    assert!(matches!(err, MetricsError::Bind { .. }), "{err}");
    assert!(
        err.to_string()
            .starts_with("cannot listen for metrics on 127.0.0.1:")
    );
}
