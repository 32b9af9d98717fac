//! End to end: the real binary in a pseudo-terminal — status bar, help, quit, terminal restored,
//! and a dropped SSH session (SIGHUP) ending the process promptly.

mod support;

use std::time::Duration;
use support::pty::PtyApp;

const WAIT: Duration = Duration::from_secs(20);

fn offline_env(dir: &tempfile::TempDir) -> (String, String) {
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "[ui]\nclock = \"utc\"\n[venues.binance]\nrest_url = \"http://127.0.0.1:9\"\nws_url = \"ws://127.0.0.1:9\"\n",
    )
    .unwrap();
    (
        config.display().to_string(),
        dir.path().join("data").display().to_string(),
    )
}

#[test]
fn status_bar_help_and_quit_restore_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let (config, data) = offline_env(&dir);
    let mut app = PtyApp::spawn(
        &[],
        &[
            ("SPEEDTRADE_CONFIG", &config),
            ("SPEEDTRADE_DATA_DIR", &data),
        ],
        100,
        30,
    );
    app.wait_for("the status bar", WAIT, |s| {
        s.contains("speedtrade") && s.contains("PAPER")
    });
    assert_eq!(
        app.terminal_modes(),
        (true, true),
        "alternate screen on, cursor hidden while running"
    );

    app.send(b"?");
    app.wait_for("the help overlay", WAIT, |s| {
        s.contains("Help") && s.contains("symbol search")
    });
    app.send(b"\x1b");
    app.wait_for("help to close", WAIT, |s| !s.contains("symbol search"));

    app.send(b"q");
    let status = app.wait_exit(WAIT).expect("q must end the program");
    assert!(status.success(), "exit status {status:?}");
    // Give the reader thread a moment to consume the final restore sequences.
    app.wait_for("the restored terminal", WAIT, |_| {
        app.terminal_modes() == (false, false)
    });
    let raw = app.raw();
    let has = |seq: &[u8]| raw.windows(seq.len()).any(|w| w == seq);
    assert!(
        has(b"\x1b[?2026h") && has(b"\x1b[?2026l"),
        "frames are drawn as synchronized updates"
    );
    assert!(has(b"\x1b[?1049l"), "left the alternate screen");
    assert!(has(b"\x1b[?25h"), "cursor shown again");
}

#[test]
fn sighup_ends_the_process_within_two_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let (config, data) = offline_env(&dir);
    let mut app = PtyApp::spawn(
        &[],
        &[
            ("SPEEDTRADE_CONFIG", &config),
            ("SPEEDTRADE_DATA_DIR", &data),
        ],
        80,
        24,
    );
    app.wait_for("the status bar", WAIT, |s| s.contains("PAPER"));
    let pid = app.child.process_id().expect("pid");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGHUP,
    )
    .unwrap();
    let status = app.wait_exit(Duration::from_secs(2));
    assert!(status.is_some(), "still running 2 s after SIGHUP");
}

#[test]
fn sigterm_restores_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let (config, data) = offline_env(&dir);
    let mut app = PtyApp::spawn(
        &[],
        &[
            ("SPEEDTRADE_CONFIG", &config),
            ("SPEEDTRADE_DATA_DIR", &data),
        ],
        80,
        24,
    );
    app.wait_for("the status bar", WAIT, |s| s.contains("PAPER"));
    let pid = app.child.process_id().expect("pid");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    app.wait_exit(WAIT).expect("SIGTERM ends the program");
    app.wait_for("the restored terminal", WAIT, |_| {
        app.terminal_modes() == (false, false)
    });
}

#[test]
fn too_small_terminal_shows_a_message_and_q_still_quits() {
    let dir = tempfile::tempdir().unwrap();
    let (config, data) = offline_env(&dir);
    let mut app = PtyApp::spawn(
        &[],
        &[
            ("SPEEDTRADE_CONFIG", &config),
            ("SPEEDTRADE_DATA_DIR", &data),
        ],
        40,
        12,
    );
    app.wait_for("the too-small message", WAIT, |s| {
        s.contains("Terminal too small")
    });
    app.send(b"q");
    app.wait_exit(WAIT).expect("q quits");
}
