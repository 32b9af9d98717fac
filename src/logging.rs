//! Logging to a daily-rolling file in the data dir (text or JSON lines), never to the
//! terminal, through a non-blocking writer whose guard `main` holds.

use crate::config::LogFormat;
use std::path::Path;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Log files kept before the oldest is deleted.
const KEEP_FILES: usize = 14;

/// Crates whose debug output would include raw frames or headers.
const QUIET_TARGETS: [&str; 5] = [
    "tungstenite=info",
    "tokio_tungstenite=info",
    "hyper=info",
    "hyper_util=info",
    "reqwest=info",
];

/// Starts logging into `dir/speedtrade.YYYY-MM-DD.log`. `level` is a level or an `EnvFilter`
/// directive. Keep the returned guard alive until exit so buffered lines are flushed.
pub fn init(dir: &Path, level: &str, format: LogFormat) -> anyhow::Result<WorkerGuard> {
    use anyhow::Context;
    crate::config::create_private_dir(dir)
        .with_context(|| format!("creating the log directory {}", dir.display()))?;
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("speedtrade")
        .filename_suffix("log")
        .max_log_files(KEEP_FILES)
        .build(dir)
        .with_context(|| format!("opening a log file in {}", dir.display()))?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let mut filter = EnvFilter::try_new(level).with_context(|| {
        format!("`{level}` is not a log level (trace, debug, info, warn, error)")
    })?;
    // WebSocket and HTTP internals log whole frames at debug/trace, and some frames carry
    // credentials (Alpaca authenticates in-band): never let them below info.
    for quiet in QUIET_TARGETS {
        if let Ok(directive) = quiet.parse() {
            filter = filter.add_directive(directive);
        }
    }
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false);
    let result = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
    result.map_err(|e| anyhow::anyhow!("starting the logger: {e}"))?;
    Ok(guard)
}
