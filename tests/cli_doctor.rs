//! The real binary's `doctor`, `--help`, `--version` and not-yet-built subcommands.

use std::process::{Command, Output};

fn speedtrade(args: &[&str], config: &str, dir: &tempfile::TempDir) -> Output {
    let cfg = dir.path().join("config.toml");
    std::fs::write(&cfg, config).unwrap();
    Command::new(env!("CARGO_BIN_EXE_speedtrade"))
        .args(args)
        .env("SPEEDTRADE_CONFIG", &cfg)
        .env("SPEEDTRADE_DATA_DIR", dir.path().join("data"))
        .env_remove("NO_COLOR")
        .output()
        .unwrap()
}

/// An HTTP server on 127.0.0.1:0 answering Binance's ping; returns its base URL.
fn ping_server() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            listener.set_nonblocking(true).unwrap();
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let app =
                axum::Router::new().route("/api/v3/ping", axum::routing::get(|| async { "{}" }));
            axum::serve(listener, app).await.unwrap();
        });
    });
    format!("http://{addr}")
}

fn closed_port() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    drop(l);
    url
}

#[test]
fn doctor_passes_when_the_venue_answers() {
    let dir = tempfile::tempdir().unwrap();
    let url = ping_server();
    let out = speedtrade(
        &["doctor"],
        &format!("[venues.binance]\nrest_url = \"{url}\"\n"),
        &dir,
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("ok    binance") && l.contains("answered 200")),
        "{text}"
    );
    assert!(
        text.lines().any(|l| l.starts_with("ok    config")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("ok    data dir") && l.contains("MB free")),
        "{text}"
    );
}

#[test]
fn doctor_says_what_to_do_when_a_venue_is_unreachable() {
    let dir = tempfile::tempdir().unwrap();
    let url = closed_port();
    let out = speedtrade(
        &["doctor"],
        &format!("[venues.binance]\nrest_url = \"{url}\"\n"),
        &dir,
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let line = text
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some("binance"))
        .unwrap();
    assert!(
        line.starts_with("FAIL") && line.contains("unreachable"),
        "{line}"
    );
    assert!(
        line.contains("→ check the network, or point `venues.binance.rest_url`"),
        "{line}"
    );
}

#[test]
fn doctor_reports_a_bad_config_instead_of_crashing() {
    let dir = tempfile::tempdir().unwrap();
    let out = speedtrade(&["doctor"], "[ui]\nfps = 0\n", &dir);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text.lines()
            .any(|l| l.starts_with("FAIL  config") && l.contains("`ui.fps`")),
        "{text}"
    );
}

#[test]
fn a_bad_config_stops_the_tui_with_the_message() {
    let dir = tempfile::tempdir().unwrap();
    let out = speedtrade(&[], "[ui]\ncolour = \"red\"\n", &dir);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        err.contains("unknown key `ui.colour`") && err.contains("config.toml"),
        "{err}"
    );
}

#[test]
fn help_and_version_work_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["--help"][..],
        &["--version"],
        &["book", "--help"],
        &["order", "place", "--help"],
        &["keys", "set", "--help"],
    ] {
        let out = speedtrade(args, "", &dir);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!out.stdout.is_empty());
    }
    let out = speedtrade(&["book", "--version"], "", &dir);
    assert!(String::from_utf8_lossy(&out.stdout).contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn completions_are_generated() {
    let dir = tempfile::tempdir().unwrap();
    let out = speedtrade(&["completions", "bash"], "", &dir);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("speedtrade"));
}

#[test]
fn logs_go_to_a_daily_file_in_the_data_dir_as_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let out = speedtrade(
        &["doctor", "--log-level", "debug"],
        "[logging]\nformat = \"json\"\n",
        &dir,
    );
    assert!(out.status.code().is_some());
    let logs: Vec<_> = std::fs::read_dir(dir.path().join("data/logs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(logs.len(), 1, "{logs:?}");
    let name = logs[0].file_name().unwrap().to_string_lossy().to_string();
    assert!(
        name.starts_with("speedtrade.") && name.ends_with(".log"),
        "{name}"
    );
    let text = std::fs::read_to_string(&logs[0]).unwrap();
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(first["fields"]["message"], "speedtrade starting", "{text}");
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("speedtrade starting"),
        "logs never go to stdout"
    );
}
