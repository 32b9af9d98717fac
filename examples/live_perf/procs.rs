//! The two processes the harness runs: `speedtrade sim` (its own process, so its CPU is not
//! counted) and the client in a 200×50 pseudo-terminal whose output is counted and parsed.

use super::frames::Breakdown;
use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Endpoints of a running simulator.
pub struct Sim {
    child: std::process::Child,
    /// REST base URL.
    pub rest: String,
    /// Market streams base URL.
    pub ws: String,
    /// WebSocket API URL.
    pub ws_api: String,
}

impl Sim {
    /// Starts `bin sim --rate RATE [--symbols ..]` and reads its start-up line.
    pub fn start(bin: &Path, rate: u32, symbols: Option<&str>) -> anyhow::Result<Sim> {
        let mut cmd = Command::new(bin);
        cmd.args(["sim", "--seed", "1", "--rate", &rate.to_string()]);
        if let Some(s) = symbols {
            cmd.args(["--symbols", s]);
        }
        let mut child = cmd
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let out = child
            .stdout
            .take()
            .ok_or_else(|| anyhow::anyhow!("no sim stdout"))?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(out).lines();
            if let Some(Ok(first)) = lines.next() {
                let _ = tx.send(first);
            }
            // Keep draining so the simulator never blocks on a full pipe.
            for _ in lines {}
        });
        let line = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(l) => l,
            Err(_) => {
                let _ = child.kill();
                anyhow::bail!("speedtrade sim printed no start-up line");
            }
        };
        let v: serde_json::Value = serde_json::from_str(&line)?;
        let field = |k: &str| -> anyhow::Result<String> {
            v[k].as_str()
                .map(str::to_string)
                .ok_or_else(|| anyhow::anyhow!("no `{k}` in {line}"))
        };
        Ok(Sim {
            rest: field("rest")?,
            ws: field("ws")?,
            ws_api: field("ws_api")?,
            child,
        })
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the reader thread keeps.
struct Seen {
    parser: vt100::Parser,
    bytes: u64,
    breakdown: Option<Breakdown>,
}

type Shared = Arc<(Mutex<Seen>, Condvar)>;

/// The client running in a pseudo-terminal.
pub struct Client {
    child: Box<dyn Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    seen: Shared,
    _master: Box<dyn MasterPty + Send>,
    _dir: tempfile::TempDir,
    /// The `--metrics` port.
    pub metrics_port: u16,
    /// Process id.
    pub pid: u32,
}

/// Where the client's Binance venue points.
pub enum Venue<'a> {
    /// A running simulator.
    Sim(&'a Sim),
    /// Nothing listens there: no market data at all.
    Unreachable,
}

impl Client {
    /// Starts the client (`bin --metrics PORT`) in a `cols`×`rows` pty with a config pointing
    /// at `venue`; `extra_ui` lines are added to the config's `[ui]` table.
    pub fn start(
        bin: &Path,
        venue: Venue<'_>,
        extra_ui: &str,
        (cols, rows): (u16, u16),
    ) -> anyhow::Result<Client> {
        let dir = tempfile::tempdir()?;
        let (rest, ws, ws_api) = match venue {
            Venue::Sim(s) => (s.rest.clone(), s.ws.clone(), s.ws_api.clone()),
            Venue::Unreachable => (
                "http://127.0.0.1:9".into(),
                "ws://127.0.0.1:9".into(),
                "ws://127.0.0.1:9/ws-api/v3".into(),
            ),
        };
        let config = dir.path().join("config.toml");
        std::fs::write(
            &config,
            format!(
                "[ui]\nclock = \"utc\"\n{extra_ui}\n[venues.binance]\nrest_url = \"{rest}\"\n\
                 ws_url = \"{ws}\"\nws_api_url = \"{ws_api}\"\n"
            ),
        )?;
        let data: PathBuf = dir.path().join("data");
        let metrics_port = super::probe::free_port()?;
        let pair = native_pty_system().openpty(PtySize {
            rows,
            cols,
            pixel_width: 0,
            pixel_height: 0,
        })?;
        let mut cmd = CommandBuilder::new(bin);
        cmd.args(["--metrics", &metrics_port.to_string()]);
        cmd.env("TERM", "xterm-256color");
        cmd.env_remove("NO_COLOR");
        cmd.env_remove("RUST_LOG");
        cmd.env("SPEEDTRADE_CONFIG", &config);
        cmd.env("SPEEDTRADE_DATA_DIR", &data);
        let child = pair.slave.spawn_command(cmd)?;
        drop(pair.slave);
        let pid = child
            .process_id()
            .ok_or_else(|| anyhow::anyhow!("no client pid"))?;
        let seen: Shared = Arc::new((
            Mutex::new(Seen {
                parser: vt100::Parser::new(rows, cols, 0),
                bytes: 0,
                breakdown: None,
            }),
            Condvar::new(),
        ));
        let mut reader = pair.master.try_clone_reader()?;
        let shared = seen.clone();
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 64 * 1024];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let (lock, cv) = &*shared;
                let Ok(mut s) = lock.lock() else { return };
                let s = &mut *s;
                s.bytes += n as u64;
                match &mut s.breakdown {
                    Some(b) => b.feed(&buf[..n], &mut s.parser),
                    None => s.parser.process(&buf[..n]),
                }
                cv.notify_all();
            }
        });
        let writer = pair.master.take_writer()?;
        Ok(Client {
            child,
            writer,
            seen,
            _master: pair.master,
            _dir: dir,
            metrics_port,
            pid,
        })
    }

    /// Bytes the client wrote to the terminal so far.
    pub fn bytes(&self) -> u64 {
        self.seen.0.lock().map(|s| s.bytes).unwrap_or(0)
    }

    /// The visible text.
    pub fn screen(&self) -> String {
        self.seen
            .0
            .lock()
            .map(|s| s.parser.screen().contents())
            .unwrap_or_default()
    }

    /// Starts attributing frames to panes (see [`Breakdown`]).
    pub fn start_breakdown(&self, size: (u16, u16)) {
        if let Ok(mut s) = self.seen.0.lock() {
            s.breakdown = Some(Breakdown::new(size));
        }
    }

    /// Stops attributing and returns what was counted.
    pub fn take_breakdown(&self) -> Option<Breakdown> {
        self.seen.0.lock().ok().and_then(|mut s| s.breakdown.take())
    }

    /// Types bytes.
    pub fn send(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        self.writer.write_all(bytes)?;
        self.writer.flush()?;
        Ok(())
    }

    /// Waits until the screen satisfies `pred`; returns when it was first seen to.
    pub fn wait_for(
        &self,
        what: &str,
        timeout: Duration,
        pred: impl Fn(&str) -> bool,
    ) -> anyhow::Result<Instant> {
        let start = Instant::now();
        let (lock, cv) = &*self.seen;
        let mut s = lock
            .lock()
            .map_err(|_| anyhow::anyhow!("reader panicked"))?;
        loop {
            if pred(&s.parser.screen().contents()) {
                return Ok(Instant::now());
            }
            let left = timeout.saturating_sub(start.elapsed());
            if left.is_zero() {
                anyhow::bail!(
                    "timed out waiting for {what}; screen:\n{}",
                    s.parser.screen().contents()
                );
            }
            s = cv
                .wait_timeout(s, left)
                .map_err(|_| anyhow::anyhow!("reader panicked"))?
                .0;
        }
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.send(b"q");
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline && self.alive() {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
