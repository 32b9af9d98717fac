//! The real binary: `speedtrade record` from a simulator, `speedtrade replay --list`, and
//! `speedtrade replay --headless --speed max` printing the recording back through the feed
//! with the simulator gone; clear errors for a bad speed and an empty history.

#![allow(clippy::unwrap_used)] // test helpers unwrap freely

mod replay_support;

use replay_support::start_sim;
use serde_json::Value;
use std::path::Path;
use std::process::Output;

async fn speedtrade(dir: &Path, config: &str, args: &[&str]) -> Output {
    let cfg = dir.join("config.toml");
    std::fs::write(&cfg, config).unwrap();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_speedtrade"));
    cmd.args(args)
        .env("SPEEDTRADE_CONFIG", &cfg)
        .env("SPEEDTRADE_DATA_DIR", dir.join("data"));
    // On a blocking thread, so the simulator on this runtime keeps serving meanwhile.
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

fn json_lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test]
async fn record_then_replay_headless_with_the_venue_gone() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start_sim(&["BTCUSDT", "ETHUSDT"], 40, |_| {}).await;
    let config = format!(
        "[venues.binance]\nrest_url = \"{}\"\nws_url = \"{}\"\n",
        sim.rest_url(),
        sim.ws_url()
    );
    let args = ["record", "btcusdt", "ETHUSDT", "--duration", "1500ms"];
    let out = speedtrade(dir.path(), &config, &args).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = json_lines(&out);
    assert_eq!(lines[0]["event"], "recording");
    assert_eq!(lines[0]["streams"][1], "btcusdt@depth@100ms");
    let counts = &lines[1]["counts"];
    assert_eq!(lines[1]["event"], "recorded");
    let trades = counts["trades"].as_u64().unwrap();
    assert!(
        trades > 0 && counts["snapshots"].as_u64().unwrap() >= 2,
        "{counts}"
    );
    sim.shutdown().await;

    let out = speedtrade(dir.path(), &config, &["replay", "--list"]).await;
    let list = json_lines(&out);
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["frames"], counts["frames"]);

    let args = ["replay", "--headless", "--speed", "max", "--depth", "3"];
    let out = speedtrade(dir.path(), &config, &args).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = json_lines(&out);
    let printed = lines.iter().filter(|l| l["event"] == "trade").count() as u64;
    assert_eq!(printed, trades, "every recorded trade printed once");
    for s in ["BTCUSDT", "ETHUSDT"] {
        let book = lines
            .iter()
            .rev()
            .find(|l| l["symbol"] == s && l["event"] != "trade")
            .unwrap();
        assert_eq!(book["bids"].as_array().unwrap().len(), 3, "{book}");
    }
}

#[tokio::test]
async fn bad_speed_and_empty_history_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let out = speedtrade(dir.path(), "", &["replay", "--speed", "fast"]).await;
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("speed must be a positive factor"), "{err}");
    let out = speedtrade(dir.path(), "", &["replay", "--headless"]).await;
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("speedtrade record"), "{err}");
    let out = speedtrade(dir.path(), "", &["record", "BTCUSDT", "--duration", "soon"]).await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--duration wants"));
}
