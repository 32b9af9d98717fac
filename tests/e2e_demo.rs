//! End to end: `speedtrade demo` in a pseudo-terminal — the simulator's market data on screen,
//! an order placed from the ticket, seen working, cancelled with `c`, and in the journal.

mod support;

use std::time::Duration;
use support::pty::PtyApp;

const WAIT: Duration = Duration::from_secs(30);

#[test]
fn demo_streams_prices_and_trades_through_the_whole_path() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "[ui]\nclock = \"utc\"\n").unwrap();
    let data = dir.path().join("data");
    let env = [
        ("SPEEDTRADE_CONFIG", config.to_str().unwrap()),
        ("SPEEDTRADE_DATA_DIR", data.to_str().unwrap()),
    ];
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port().to_string()
    };
    let mut app = PtyApp::spawn(&["--metrics", &port, "demo"], &env, 160, 45);
    app.wait_for("the DEMO badge and a live feed", WAIT, |s| {
        s.contains("DEMO") && s.contains("● live")
    });
    app.wait_for("a book with a spread", WAIT, |s| s.contains("spread"));
    app.wait_for("a BTCUSDT price in the watchlist", WAIT, |s| {
        s.lines()
            .any(|l| l.contains("│BTCUSDT") && l.chars().filter(char::is_ascii_digit).count() > 6)
    });
    app.wait_for("trades on the tape", WAIT, |s| {
        !s.contains("trades stream here")
    });
    app.wait_for("candles on the chart", WAIT, |s| {
        !s.contains("candles appear here")
    });
    let metrics = scrape(&port);
    assert!(metrics.contains("speedtrade_uptime_seconds"), "{metrics}");
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("speedtrade_feed_messages_total")),
        "{metrics}"
    );

    // A buy 5% under the market rests at the simulator.
    app.send(b"b");
    app.wait_for("the ticket", WAIT, |s| s.contains("BUY BTCUSDT"));
    app.send(b"0.01\t");
    app.send(b"\x1b[A"); // up: the best bid
    app.wait_for("a price", WAIT, |s| {
        s.contains("ready: buy 0.01 BTCUSDT limit @")
    });
    for _ in 0..12 {
        app.send(b"\x7f"); // clear the price
    }
    app.send(b"1000\r");
    app.wait_for("the order working", WAIT, |s| {
        s.contains("BTCUSDT    buy  limit") && s.contains(" new ")
    });

    app.send(b"c");
    app.wait_for("the order cancelled", WAIT, |s| {
        s.contains("No open orders")
    });
    app.send(b"2");
    app.wait_for("the history row", WAIT, |s| s.contains("canceled"));
    app.send(b"q");
    let status = app.wait_exit(WAIT).expect("q quits the demo");
    assert!(status.success());

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_speedtrade"))
        .args(["orders"])
        .env("SPEEDTRADE_CONFIG", &config)
        .env("SPEEDTRADE_DATA_DIR", &data)
        .output()
        .unwrap();
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines.len(),
        1,
        "exactly one order in the journal: {lines:?}"
    );
    assert_eq!(lines[0]["status"], "canceled");
    assert_eq!(lines[0]["venue"], "binance");
    assert_eq!(lines[0]["price"], "1000");
}

/// `GET /metrics` over a plain socket, retried until the first second's numbers exist.
fn scrape(port: &str) -> String {
    use std::io::{Read, Write};
    for _ in 0..100 {
        if let Ok(mut c) = std::net::TcpStream::connect(format!("127.0.0.1:{port}")) {
            let _ = c.write_all(b"GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n");
            let mut body = String::new();
            let _ = c.read_to_string(&mut body);
            if body.contains("speedtrade_uptime_seconds") {
                return body;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    String::new()
}
