//! The optional Prometheus text endpoint (`--metrics 127.0.0.1:PORT`, off by default): `GET
//! /metrics` on a loopback address only, serving the feed's health counters and the app's own.
//!
//! ```no_run
//! # async fn demo(feed: speedtrade::venue::binance::feed::BinanceFeed) -> anyhow::Result<()> {
//! use speedtrade::runtime::metrics::{self, Metric};
//! use std::sync::Arc;
//! let feed = Arc::new(feed);
//! let weak = Arc::downgrade(&feed); // the endpoint must not keep the feed alive
//! let addr = metrics::parse_listen_addr("127.0.0.1:9184").map_err(anyhow::Error::msg)?;
//! let handle = metrics::serve(addr, move || {
//!     let stats = weak.upgrade().map(|f| f.stats());
//!     let app = [Metric::counter("speedtrade_frames_drawn_total", "Frames drawn.", 42)];
//!     metrics::render(stats.as_ref().map(|s| ("binance", s)), &app)
//! })
//! .await?;
//! println!("metrics on http://{}/metrics", handle.local_addr());
//! # Ok(()) }
//! ```

use crate::venue::binance::feed::stats::FeedStatsSnapshot;
use axum::Router;
use axum::http::header::CONTENT_TYPE as CONTENT_TYPE_HEADER;
use axum::response::IntoResponse;
use axum::routing::get;
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The content type of Prometheus' text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Why the endpoint could not start.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    /// Only loopback addresses are served: the client runs on trading boxes, and the counters
    /// must never reach the network by accident.
    #[error(
        "the metrics endpoint listens on loopback only (e.g. 127.0.0.1:9184), not {0}; \
         use an SSH tunnel or a local agent to collect it from elsewhere"
    )]
    NotLoopback(SocketAddr),
    /// The address could not be bound (e.g. the port is taken).
    #[error("cannot listen for metrics on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
}

/// A running endpoint. Dropping it stops the server; [`MetricsHandle::shutdown`] waits.
#[derive(Debug)]
pub struct MetricsHandle {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl MetricsHandle {
    /// The bound address (the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting requests and waits for the server task to end.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for MetricsHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Serves `GET /metrics` on `addr` (loopback only) with the text `source` renders on each
/// request (see [`render`]). Call inside a Tokio runtime.
pub async fn serve(
    addr: SocketAddr,
    source: impl Fn() -> String + Send + Sync + 'static,
) -> Result<MetricsHandle, MetricsError> {
    if !addr.ip().is_loopback() {
        return Err(MetricsError::NotLoopback(addr));
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| MetricsError::Bind { addr, source })?;
    let bound = listener
        .local_addr()
        .map_err(|source| MetricsError::Bind { addr, source })?;
    let source = Arc::new(source);
    let app = Router::new().route(
        "/metrics",
        get(move || {
            let source = source.clone();
            async move { ([(CONTENT_TYPE_HEADER, CONTENT_TYPE)], source()).into_response() }
        }),
    );
    let (stop, stopped) = oneshot::channel::<()>();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        let _ = stopped.await;
    });
    let task = tokio::spawn(async move {
        if let Err(e) = server.await {
            tracing::warn!(error = %e, "metrics endpoint stopped with an error");
        }
    });
    tracing::info!(addr = %bound, "metrics endpoint listening");
    Ok(MetricsHandle {
        addr: bound,
        stop: Some(stop),
        task: Some(task),
    })
}

/// Parses the `--metrics` value: `HOST:PORT` with a loopback host (`127.0.0.1`, `[::1]`,
/// `localhost`) or a bare `PORT` (meaning `127.0.0.1:PORT`). Usable as a clap value parser.
pub fn parse_listen_addr(s: &str) -> Result<SocketAddr, String> {
    let s = s.trim();
    let addr = if let Ok(port) = s.parse::<u16>() {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port)
    } else if let Some(port) = s.strip_prefix("localhost:") {
        let port = port
            .parse::<u16>()
            .map_err(|_| format!("`{s}`: the port must be a number from 0 to 65535"))?;
        SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port)
    } else {
        s.parse::<SocketAddr>()
            .map_err(|_| format!("`{s}` is not an address like 127.0.0.1:9184"))?
    };
    if !addr.ip().is_loopback() {
        return Err(MetricsError::NotLoopback(addr).to_string());
    }
    Ok(addr)
}

/// Prometheus metric types used here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// Only goes up (resets when the process restarts).
    Counter,
    /// Goes up and down.
    Gauge,
}

/// One figure of the app (orders placed, frames drawn, ...), rendered beside the feed's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metric {
    /// Metric name, `[a-zA-Z_:][a-zA-Z0-9_:]*`, by convention `speedtrade_..`; counters end
    /// in `_total`. Metrics with invalid names are left out.
    pub name: String,
    /// One line of help text.
    pub help: String,
    /// Counter or gauge.
    pub kind: MetricKind,
    /// The value.
    pub value: i64,
}

impl Metric {
    /// A counter.
    pub fn counter(name: impl Into<String>, help: impl Into<String>, value: i64) -> Self {
        Self {
            name: name.into(),
            help: help.into(),
            kind: MetricKind::Counter,
            value,
        }
    }

    /// A gauge.
    pub fn gauge(name: impl Into<String>, help: impl Into<String>, value: i64) -> Self {
        Self {
            name: name.into(),
            help: help.into(),
            kind: MetricKind::Gauge,
            value,
        }
    }
}

/// The exposition text: `speedtrade_build_info`, the feed's counters labelled with its venue
/// (from [`FeedStatsSnapshot::prometheus_text`]) when given, then `app`'s metrics.
pub fn render(feed: Option<(&str, &FeedStatsSnapshot)>, app: &[Metric]) -> String {
    let mut out = String::with_capacity(2048);
    let _ = writeln!(
        out,
        "# HELP speedtrade_build_info The running version.\n\
         # TYPE speedtrade_build_info gauge\n\
         speedtrade_build_info{{version=\"{}\"}} 1",
        env!("CARGO_PKG_VERSION")
    );
    if let Some((venue, stats)) = feed {
        out.push_str(&stats.prometheus_text(&escape_label(venue)));
    }
    for m in app {
        if !valid_name(&m.name) || out.contains(&format!("\n# TYPE {} ", m.name)) {
            tracing::debug!(name = %m.name, "metric left out: invalid or duplicate name");
            continue;
        }
        let kind = match m.kind {
            MetricKind::Counter => "counter",
            MetricKind::Gauge => "gauge",
        };
        let help = escape_help(&m.help);
        let _ = writeln!(out, "# HELP {} {help}", m.name);
        let _ = writeln!(out, "# TYPE {} {kind}\n{} {}", m.name, m.name, m.value);
    }
    out
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// Help text: backslash and line feed escaped.
fn escape_help(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\n', "\\n")
}

/// Label values: backslash, double quote and line feed escaped.
fn escape_label(s: &str) -> String {
    escape_help(s).replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_feed_and_app_metrics_once_each() {
        let stats = FeedStatsSnapshot {
            reconnects: 3,
            ..FeedStatsSnapshot::default()
        };
        let app = [
            Metric::counter("speedtrade_orders_placed_total", "Orders\nplaced.", 7),
            Metric::gauge("bad name", "left out", 1),
            Metric::gauge("speedtrade_feed_streams", "duplicate of the feed's", 1),
        ];
        let text = render(Some(("binance", &stats)), &app);
        assert!(text.contains("speedtrade_feed_reconnects_total{venue=\"binance\"} 3\n"));
        assert!(text.contains("# HELP speedtrade_orders_placed_total Orders\\nplaced.\n"));
        assert!(text.contains("# TYPE speedtrade_orders_placed_total counter\n"));
        assert!(text.contains("\nspeedtrade_orders_placed_total 7\n"));
        assert!(!text.contains("bad name"));
        assert_eq!(text.matches("# TYPE speedtrade_feed_streams ").count(), 1);
        assert!(text.starts_with("# HELP speedtrade_build_info"));
        assert!(render(None, &[]).contains("speedtrade_build_info{version="));
    }

    #[test]
    fn the_listen_address_must_be_loopback() {
        assert_eq!(
            parse_listen_addr("9184"),
            Ok("127.0.0.1:9184".parse().unwrap())
        );
        assert_eq!(
            parse_listen_addr("localhost:9"),
            Ok("127.0.0.1:9".parse().unwrap())
        );
        assert_eq!(parse_listen_addr("[::1]:9"), Ok("[::1]:9".parse().unwrap()));
        let e = parse_listen_addr("0.0.0.0:9184").unwrap_err();
        assert!(
            e.contains("loopback only") && e.contains("0.0.0.0:9184"),
            "{e}"
        );
        assert!(parse_listen_addr("192.168.1.5:80").is_err());
        assert!(parse_listen_addr("[::]:80").is_err());
        assert!(
            parse_listen_addr("nonsense")
                .unwrap_err()
                .contains("not an address")
        );
    }
}
