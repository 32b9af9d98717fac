//! Feed health counters for the status bar and the metrics endpoint: messages (total and per
//! second), feed latency (venue event time → local receive), reconnects, resyncs, malformed
//! frames. Updated by the connection tasks, read by anyone.

use crate::domain::TimeMs;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};

/// Live counters, shared by every connection of a feed.
#[derive(Debug, Default)]
pub struct FeedStats {
    messages: AtomicU64,
    reconnects: AtomicU64,
    resyncs: AtomicU64,
    malformed: AtomicU64,
    latency_ewma_us: AtomicI64,
    latency_last_ms: AtomicI64,
    per_sec: Mutex<SecondBucket>,
    last_malformed_log: AtomicI64,
}

#[derive(Debug, Default)]
struct SecondBucket {
    second: i64,
    count: u64,
    previous: u64,
}

/// A copy of the counters at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FeedStatsSnapshot {
    /// Messages received since start.
    pub messages_total: u64,
    /// Messages received in the last full second.
    pub messages_per_sec: u64,
    /// Feed latency, smoothed (ms; event time to local receive, includes clock offset).
    pub latency_ms: i64,
    /// Latency of the last event that carried a time (ms).
    pub latency_last_ms: i64,
    /// Reconnects after a lost connection (planned replacements are not counted).
    pub reconnects: u64,
    /// Book resyncs (gaps and reconnects of a live book).
    pub resyncs: u64,
    /// Frames that could not be parsed (counted, logged at most once a second, never fatal).
    pub malformed: u64,
    /// Open connections.
    pub connections: usize,
    /// Subscribed streams.
    pub streams: usize,
    /// REST weight used in the tightest window.
    pub rest_weight_used: u32,
    /// That window's limit.
    pub rest_weight_limit: u32,
}

impl FeedStats {
    /// Counts one received message at wall-clock `now`.
    pub fn on_message(&self, now: TimeMs) {
        self.messages.fetch_add(1, Relaxed);
        let second = now.div_euclid(1000);
        let mut b = self.per_sec.lock().unwrap_or_else(|p| p.into_inner());
        if b.second != second {
            b.previous = if second == b.second + 1 { b.count } else { 0 };
            b.second = second;
            b.count = 0;
        }
        b.count += 1;
    }

    /// Records the latency of one event (`received - event_time`, ms).
    pub fn on_latency(&self, ms: i64) {
        // Venue times are outside input: keep absurd values from poisoning the average.
        let ms = ms.clamp(-86_400_000, 86_400_000);
        self.latency_last_ms.store(ms, Relaxed);
        let us = ms * 1000;
        let old = self.latency_ewma_us.load(Relaxed);
        let new = if old == 0 { us } else { old + (us - old) / 16 };
        self.latency_ewma_us.store(new, Relaxed);
    }

    /// Counts a reconnect.
    pub fn on_reconnect(&self) {
        self.reconnects.fetch_add(1, Relaxed);
    }

    /// Counts a book resync.
    pub fn on_resync(&self) {
        self.resyncs.fetch_add(1, Relaxed);
    }

    /// Counts a malformed frame; logs it unless one was logged in the last second.
    pub fn on_malformed(&self, now: TimeMs, what: &dyn std::fmt::Display) {
        let n = self.malformed.fetch_add(1, Relaxed) + 1;
        let last = self.last_malformed_log.load(Relaxed);
        if now - last >= 1000
            && self
                .last_malformed_log
                .compare_exchange(last, now, Relaxed, Relaxed)
                .is_ok()
        {
            tracing::warn!(total = n, "malformed market data frame: {what}");
        }
    }

    /// The counters now (connection, stream and REST figures are filled in by the feed).
    pub fn snapshot(&self, now: TimeMs) -> FeedStatsSnapshot {
        let per_sec = {
            let b = self.per_sec.lock().unwrap_or_else(|p| p.into_inner());
            match now.div_euclid(1000) - b.second {
                0 => b.previous,
                1 => b.count,
                _ => 0,
            }
        };
        FeedStatsSnapshot {
            messages_total: self.messages.load(Relaxed),
            messages_per_sec: per_sec,
            latency_ms: self.latency_ewma_us.load(Relaxed) / 1000,
            latency_last_ms: self.latency_last_ms.load(Relaxed),
            reconnects: self.reconnects.load(Relaxed),
            resyncs: self.resyncs.load(Relaxed),
            malformed: self.malformed.load(Relaxed),
            ..FeedStatsSnapshot::default()
        }
    }
}

impl FeedStatsSnapshot {
    /// Prometheus text exposition of these figures, labelled with `venue`.
    pub fn prometheus_text(&self, venue: &str) -> String {
        let values = [
            self.messages_total as i64,
            self.messages_per_sec as i64,
            self.latency_ms,
            self.latency_last_ms,
            self.reconnects as i64,
            self.resyncs as i64,
            self.malformed as i64,
            self.connections as i64,
            self.streams as i64,
            i64::from(self.rest_weight_used),
            i64::from(self.rest_weight_limit),
        ];
        let mut out = String::new();
        for ((name, kind, help), value) in METRICS.iter().zip(values) {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            let _ = writeln!(out, "{name}{{venue=\"{venue}\"}} {value}");
        }
        out
    }
}

/// Name, type and help of each metric, in [`FeedStatsSnapshot::prometheus_text`]'s order.
const METRICS: [(&str, &str, &str); 11] = [
    (
        "speedtrade_feed_messages_total",
        "counter",
        "Market data messages received.",
    ),
    (
        "speedtrade_feed_messages_per_second",
        "gauge",
        "Messages received in the last second.",
    ),
    (
        "speedtrade_feed_latency_ms",
        "gauge",
        "Smoothed event-to-receive latency.",
    ),
    (
        "speedtrade_feed_latency_last_ms",
        "gauge",
        "Latency of the last timed event.",
    ),
    (
        "speedtrade_feed_reconnects_total",
        "counter",
        "Reconnects after a lost connection.",
    ),
    (
        "speedtrade_feed_resyncs_total",
        "counter",
        "Order book resyncs.",
    ),
    (
        "speedtrade_feed_malformed_total",
        "counter",
        "Frames that could not be parsed.",
    ),
    (
        "speedtrade_feed_connections",
        "gauge",
        "Open stream connections.",
    ),
    ("speedtrade_feed_streams", "gauge", "Subscribed streams."),
    (
        "speedtrade_rest_weight_used",
        "gauge",
        "REST weight used in the current window.",
    ),
    (
        "speedtrade_rest_weight_limit",
        "gauge",
        "REST weight limit of that window.",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_second_and_smooths_latency() {
        let s = FeedStats::default();
        for t in [1000, 1100, 1900, 2000] {
            s.on_message(t);
        }
        assert_eq!(s.snapshot(2500).messages_per_sec, 3);
        assert_eq!(s.snapshot(3100).messages_per_sec, 1);
        assert_eq!(s.snapshot(9000).messages_per_sec, 0);
        s.on_latency(100);
        s.on_latency(100);
        assert_eq!(s.snapshot(0).latency_ms, 100);
        let text = s.snapshot(0).prometheus_text("binance");
        assert!(text.contains("speedtrade_feed_messages_total{venue=\"binance\"} 4"));
    }
}
