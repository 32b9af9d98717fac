//! Running the real `speedtrade` binary against the simulator: a temp config in live mode
//! with the simulator's URLs, a temp data dir, keys from the environment override, and
//! read-only looks into the SQLite file it writes.

use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_speedtrade");

/// Where the binary trades and as whom.
pub struct Cli {
    dir: tempfile::TempDir,
    /// API key for `SPEEDTRADE_BINANCE_API_KEY`.
    pub api_key: String,
    /// API secret for `SPEEDTRADE_BINANCE_API_SECRET`.
    pub api_secret: String,
}

impl Cli {
    /// A temp config (`mode = "live"`, `broker = "binance"`) and data dir.
    pub fn new(api_key: &str, api_secret: &str) -> Cli {
        let cli = Cli {
            dir: tempfile::tempdir().unwrap(),
            api_key: api_key.into(),
            api_secret: api_secret.into(),
        };
        std::fs::create_dir_all(cli.data_dir()).unwrap();
        cli
    }

    /// (Re)writes the config with these endpoints.
    pub fn endpoints(&self, rest_url: &str, ws_url: &str, ws_api_url: &str) {
        let text = format!(
            "[general]\nmode = \"live\"\nbroker = \"binance\"\n\n\
             [venues.binance]\nrest_url = \"{rest_url}\"\nws_url = \"{ws_url}\"\n\
             ws_api_url = \"{ws_api_url}\"\n"
        );
        std::fs::write(self.config_file(), text).unwrap();
    }

    /// The config file.
    pub fn config_file(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    /// The data dir (database and logs).
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The SQLite file.
    pub fn db_file(&self) -> PathBuf {
        self.data_dir().join(speedtrade::store::FILE_NAME)
    }

    /// `speedtrade <args>` with this config, data dir and keys; no other key variables.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args)
            .env("SPEEDTRADE_CONFIG", self.config_file())
            .env("SPEEDTRADE_DATA_DIR", self.data_dir())
            .env("SPEEDTRADE_BINANCE_API_KEY", &self.api_key)
            .env("SPEEDTRADE_BINANCE_API_SECRET", &self.api_secret)
            .env_remove("SPEEDTRADE_BINANCE_LIVE_API_KEY")
            .env_remove("SPEEDTRADE_BINANCE_LIVE_API_SECRET")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    }

    /// Spawns `speedtrade <args>`.
    pub fn spawn(&self, args: &[&str]) -> Child {
        self.command(args).spawn().expect("the binary starts")
    }

    /// Runs `speedtrade <args>` to the end (killed after 30 s), off the async runtime so an
    /// in-process simulator keeps serving.
    pub async fn run(&self, args: &[&str]) -> Output {
        let child = self.spawn(args);
        let pid = child.id();
        let waiting = tokio::task::spawn_blocking(move || child.wait_with_output());
        match tokio::time::timeout(Duration::from_secs(30), waiting).await {
            Ok(out) => out.unwrap().unwrap(),
            Err(_) => {
                kill(pid);
                panic!("speedtrade {args:?} did not finish within 30 s");
            }
        }
    }
}

/// SIGKILL to `pid`.
pub fn kill(pid: u32) {
    let pid = nix::unistd::Pid::from_raw(i32::try_from(pid).unwrap());
    let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
}

/// One journaled order as the SQLite file holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Client order id.
    pub id: String,
    /// Status name.
    pub status: String,
    /// Filled quantity as stored.
    pub filled_qty: String,
    /// Venue order id.
    pub venue_order_id: Option<String>,
}

/// The `orders` rows of the SQLite file at `db`, read through a read-only connection; empty
/// while the file or its tables do not exist yet.
pub fn journal(db: &Path) -> Vec<Row> {
    if !db.exists() {
        return Vec::new();
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let Ok(c) = Connection::open_with_flags(db, flags) else {
        return Vec::new();
    };
    let _ = c.busy_timeout(Duration::from_secs(2));
    let Ok(mut stmt) = c.prepare(
        "SELECT client_order_id, status, filled_qty, venue_order_id FROM orders ORDER BY created_at",
    ) else {
        return Vec::new();
    };
    stmt.query_map([], |r| {
        Ok(Row {
            id: r.get(0)?,
            status: r.get(1)?,
            filled_qty: r.get(2)?,
            venue_order_id: r.get(3)?,
        })
    })
    .map(|rows| rows.filter_map(Result::ok).collect())
    .unwrap_or_default()
}

/// The `kind` / `detail` trail of one order from the SQLite file.
pub fn trail(db: &Path, id: &str) -> Vec<(String, Option<String>)> {
    let c = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut stmt = c
        .prepare("SELECT kind, detail FROM order_events WHERE client_order_id = ?1 ORDER BY id")
        .unwrap();
    stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// The summed quantity of one order's journaled fills, from the SQLite file.
pub fn fill_qty(db: &Path, id: &str) -> speedtrade::domain::Qty {
    let c = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut stmt = c
        .prepare("SELECT qty FROM fills WHERE client_order_id = ?1")
        .unwrap();
    let units = stmt
        .query_map([id], |r| r.get::<_, String>(0))
        .unwrap()
        .map(|q| {
            q.unwrap()
                .parse::<speedtrade::domain::Qty>()
                .unwrap()
                .units()
        })
        .sum();
    speedtrade::domain::Qty::from_units(units)
}

/// The first line of `out`'s stdout as JSON.
pub fn json_line(out: &Output) -> serde_json::Value {
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().next().unwrap_or_else(|| {
        panic!(
            "no output; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
}
