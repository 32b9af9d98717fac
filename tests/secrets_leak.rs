//! A session of the real binary at `--log-level trace` with known keys (the environment
//! override): orders placed, queried, cancelled and filled against the simulator. Afterwards no
//! file in the data dir (logs, SQLite file, WAL) and no output holds the secret or the API key;
//! a wrong secret or key is refused without being echoed.

#![allow(clippy::unwrap_used)]

mod support_sim;

use speedtrade::domain::Price;
use speedtrade::sim::SimHandle;
use std::path::{Path, PathBuf};
use std::process::Output;
use support_sim::cli::{Cli, json_line};
use support_sim::*;

/// Distinctive wrong credentials: nothing but this test ever spells them.
const WRONG_SECRET: &str = "wrongSecretZq7Xp3Kv9Lm2Nb8Rt4Yw6Hs1Jd5Gf0Qc";
const WRONG_KEY: &str = "wrongKeyPq4Vx8Rt2Mn6Bz1Lk9Hj3Gd7Fs5Aw0Ey";

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// The texts that must never be written: each credential, and its first 16 characters (a
/// truncated echo is still a leak).
fn needles(creds: &[&str]) -> Vec<String> {
    creds
        .iter()
        .flat_map(|c| [c.to_string(), c[..16].to_string()])
        .collect()
}

/// Asserts no data-dir file and no output contains any of `creds`; returns the files read.
fn assert_nowhere(cli: &Cli, outputs: &[Output], creds: &[&str]) -> Vec<PathBuf> {
    let files = files_under(&cli.data_dir());
    for needle in needles(creds) {
        for f in &files {
            let bytes = std::fs::read(f).unwrap();
            assert!(
                !contains(&bytes, &needle),
                "{} holds `{needle}`",
                f.display()
            );
        }
        for (i, out) in outputs.iter().enumerate() {
            assert!(
                !contains(&out.stdout, &needle),
                "stdout of run {i} holds `{needle}`"
            );
            assert!(
                !contains(&out.stderr, &needle),
                "stderr of run {i} holds `{needle}`"
            );
        }
    }
    files
}

fn place_args(price: Price) -> Vec<String> {
    let mut v: Vec<String> = [
        "--log-level",
        "trace",
        "order",
        "place",
        "--venue",
        "binance",
        "--symbol",
        SYMBOL,
        "--side",
        "buy",
        "--type",
        "limit",
        "--qty",
        "0.001",
        "--price",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.extend([price.to_string(), "--yes".to_string()]);
    v
}

async fn place(cli: &Cli, price: Price) -> Output {
    let args = place_args(price);
    cli.run(&args.iter().map(String::as_str).collect::<Vec<_>>())
        .await
}

fn cli_for(sim: &SimHandle, key: &str, secret: &str) -> Cli {
    let cli = Cli::new(key, secret);
    cli.endpoints(&sim.rest_url(), &sim.ws_url(), &sim.ws_api_url());
    cli
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trace_session_writes_neither_the_secret_nor_the_key() {
    let sim = start_sim(&[]).await;
    let cli = cli_for(&sim, sim.api_key(), sim.api_secret());
    let mut outputs = Vec::new();

    let rest = place(&cli, resting_price(&sim)).await;
    let id = json_line(&rest)["client_order_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        json_line(&rest)["status"],
        "new",
        "{}",
        String::from_utf8_lossy(&rest.stderr)
    );
    outputs.push(rest);
    for args in [
        ["--log-level", "trace", "order", "status", id.as_str()],
        ["--log-level", "trace", "order", "cancel", id.as_str()],
    ] {
        let out = cli.run(&args).await;
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        outputs.push(out);
    }
    assert_eq!(json_line(&outputs[2])["status"], "canceled");
    let fill = place(&cli, crossing_price(&sim)).await;
    assert_eq!(json_line(&fill)["status"], "filled");
    outputs.push(fill);
    outputs.push(cli.run(&["--log-level", "trace", "orders"]).await);
    // Says where the keys come from (the environment override) without showing them.
    let keys = cli
        .run(&["--log-level", "trace", "keys", "status", "binance"])
        .await;
    assert!(
        contains(&keys.stdout, "SPEEDTRADE_BINANCE_API_KEY") || !keys.status.success(),
        "{}",
        String::from_utf8_lossy(&keys.stdout)
    );
    outputs.push(keys);
    assert_eq!(sim.orders(Some(SYMBOL)).len(), 2);

    let files = assert_nowhere(&cli, &outputs, &[sim.api_secret(), sim.api_key()]);
    // The search looked at real content: trace logs of the signed calls, and the journal.
    let logs: Vec<u8> = files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "log"))
        .flat_map(|f| std::fs::read(f).unwrap())
        .collect();
    assert!(
        contains(&logs, "TRACE") && contains(&logs, "speedtrade::venue::binance::trade"),
        "trace logs of the signed calls were written"
    );
    let db: Vec<u8> = files
        .iter()
        .filter(|f| f.to_string_lossy().contains(".sqlite3"))
        .flat_map(|f| std::fs::read(f).unwrap())
        .collect();
    assert!(
        contains(&db, &id),
        "the database (or its WAL) holds the journal"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_are_refused_without_being_echoed() {
    let sim = start_sim(&[]).await;
    let mut outputs = Vec::new();
    let cases = [
        (
            sim.api_key(),
            WRONG_SECRET,
            "Signature for this request is not valid.",
        ),
        (
            WRONG_KEY,
            sim.api_secret(),
            "Invalid API-key, IP, or permissions for action",
        ),
    ];
    for (key, secret, said) in cases {
        let cli = cli_for(&sim, key, secret);
        let out = place(&cli, resting_price(&sim)).await;
        assert!(!out.status.success(), "a refused order fails the command");
        let shown = json_line(&out);
        assert_eq!(shown["status"], "rejected", "{shown}");
        let reason = shown["reason"].as_str().unwrap();
        assert!(
            reason.contains(said),
            "the venue's message is shown: {reason}"
        );
        outputs.push(out);
        assert_nowhere(&cli, &outputs, &[WRONG_SECRET, WRONG_KEY]);
    }
    assert!(sim.orders(None).is_empty(), "nothing was placed");
}
