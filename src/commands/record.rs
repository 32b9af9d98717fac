//! `speedtrade record SYMBOL... [--duration 10m]`: records trades and book diffs into the
//! history file until the duration passes or Ctrl-C, with progress on stderr.

use crate::cli::RecordArgs;
use crate::config::{Config, Paths};
use crate::domain::Symbol;
use crate::record::{RecordCounts, RecordOptions, Recorder};
use crate::runtime::market::binance_endpoints;
use crate::store::Store;
use anyhow::Context;
use serde_json::json;
use std::process::ExitCode;
use std::time::Duration;

/// Parses `--duration` (`90s`, `10m`, `1h30m`).
pub fn parse_duration(text: &str) -> anyhow::Result<Duration> {
    let ms = crate::alerts::parse_duration(text.trim()).map_err(|_| {
        anyhow::anyhow!("--duration wants a length like 90s, 10m or 1h30m, not `{text}`")
    })?;
    Ok(Duration::from_millis(u64::try_from(ms).unwrap_or(0)))
}

fn counts_json(c: &RecordCounts) -> serde_json::Value {
    json!({
        "frames": c.frames, "trades": c.trades, "diffs": c.diffs, "snapshots": c.snapshots,
        "reconnects": c.reconnects, "gaps": c.gaps, "repeats": c.repeats,
        "malformed": c.malformed, "bytes": c.bytes,
    })
}

/// `speedtrade record`.
pub async fn run(args: RecordArgs, config: &Config, paths: &Paths) -> anyhow::Result<ExitCode> {
    let symbols = args
        .symbols
        .iter()
        .map(|s| Symbol::new(s).map_err(anyhow::Error::msg))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let duration = args.duration.as_deref().map(parse_duration).transpose()?;
    let store = Store::open(paths.db_file()).context("opening the history file")?;
    let mut opts = RecordOptions::new(binance_endpoints(config), symbols.clone());
    opts.duration = duration;
    opts.snapshot_depth = args.snapshot_depth.clamp(1, 5000);
    let streams = opts.streams();
    let mut rec = Recorder::start(store, opts)
        .await
        .context("starting the recording")?;
    println!(
        "{}",
        json!({"event": "recording", "recording": rec.id(), "symbols": symbols,
               "streams": streams, "file": paths.db_file()})
    );
    let stopper = rec.stopper();
    let stats = rec.stats();
    let id = rec.id();
    let wait = rec.wait();
    tokio::pin!(wait);
    let mut progress = tokio::time::interval(Duration::from_secs(5));
    progress.tick().await;
    let summary = loop {
        tokio::select! {
            done = &mut wait => break done.context("recording")?,
            _ = tokio::signal::ctrl_c() => {
                eprintln!("stopping: saving what was received...");
                stopper.stop();
            }
            _ = progress.tick() => {
                let c = stats.counts();
                eprintln!(
                    "recording {id}: {} frames ({} trades, {} diffs, {} snapshots, {} reconnects)",
                    c.frames, c.trades, c.diffs, c.snapshots, c.reconnects
                );
            }
        }
    };
    let seconds = (summary.ended_at - summary.started_at) as f64 / 1000.0;
    println!(
        "{}",
        json!({"event": "recorded", "recording": summary.recording, "seconds": seconds,
               "counts": counts_json(&summary.counts)})
    );
    Ok(ExitCode::SUCCESS)
}
