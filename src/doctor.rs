//! `speedtrade doctor`: one line per health check — config, data dir, keyring, terminal,
//! venues — each failure with what to do about it.

use crate::config::{Config, ConfigError, Paths};
use crate::domain::VenueId;
use std::fmt;
use std::time::Duration;

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Fine.
    Ok,
    /// Works, but worth a look.
    Warn,
    /// Broken; the hint says what to do.
    Fail,
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// Outcome.
    pub outcome: Outcome,
    /// What was checked.
    pub name: String,
    /// What was found.
    pub detail: String,
    /// What to do (empty when ok).
    pub hint: String,
}

impl Check {
    fn new(
        outcome: Outcome,
        name: &str,
        detail: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        Self {
            outcome,
            name: name.to_string(),
            detail: detail.into(),
            hint: hint.into(),
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tag = match self.outcome {
            Outcome::Ok => "ok  ",
            Outcome::Warn => "warn",
            Outcome::Fail => "FAIL",
        };
        write!(f, "{tag}  {:<16} {}", self.name, self.detail)?;
        if !self.hint.is_empty() {
            write!(f, " → {}", self.hint)?;
        }
        Ok(())
    }
}

/// Checks the loaded config (or reports why it did not load).
pub fn check_config(paths: &Paths, config: &Result<Config, ConfigError>) -> Check {
    let source = paths.config_file.as_ref().map_or_else(
        || "built-in defaults (no config file)".to_string(),
        |p| p.display().to_string(),
    );
    match config {
        Ok(c) => {
            let mode = match c.general.mode {
                crate::config::Mode::Paper => "paper",
                crate::config::Mode::Live => "LIVE",
            };
            Check::new(
                Outcome::Ok,
                "config",
                format!("{source}, {mode} mode, market {}", c.general.market),
                "",
            )
        }
        Err(e) => Check::new(
            Outcome::Fail,
            "config",
            e.to_string(),
            "fix the key named above",
        ),
    }
}

/// Checks the data dir is writable and has room.
pub fn check_data_dir(paths: &Paths) -> Check {
    let dir = &paths.data_dir;
    if let Err(e) = crate::config::create_private_dir(dir) {
        let hint = "pass --data-dir PATH or set SPEEDTRADE_DATA_DIR to a writable place";
        return Check::new(
            Outcome::Fail,
            "data dir",
            format!("{}: {e}", dir.display()),
            hint,
        );
    }
    let probe = dir.join(".doctor-write-test");
    let writable = std::fs::write(&probe, b"ok").and_then(|()| std::fs::remove_file(&probe));
    if let Err(e) = writable {
        let hint = "fix the directory's permissions or choose another with --data-dir";
        return Check::new(
            Outcome::Fail,
            "data dir",
            format!("{} is not writable: {e}", dir.display()),
            hint,
        );
    }
    match nix::sys::statvfs::statvfs(dir) {
        Ok(st) => {
            let free = st.blocks_available() * st.fragment_size();
            let mb = free / (1024 * 1024);
            let detail = format!("{} writable, {mb} MB free", dir.display());
            if mb < 100 {
                Check::new(
                    Outcome::Warn,
                    "data dir",
                    detail,
                    "free some disk space: history and logs grow",
                )
            } else {
                Check::new(Outcome::Ok, "data dir", detail, "")
            }
        }
        Err(e) => Check::new(
            Outcome::Warn,
            "data dir",
            format!("free space unknown: {e}"),
            "",
        ),
    }
}

/// Checks which keyring store is usable and what it holds.
pub fn check_keyring() -> Vec<Check> {
    use crate::secrets::{CredentialStore, open_os_store};
    let store = match open_os_store() {
        Ok(store) => store,
        Err(e) => {
            let hint = "set SPEEDTRADE_<VENUE>_API_KEY / _API_SECRET in the environment instead";
            return vec![Check::new(
                Outcome::Warn,
                "keyring",
                format!("no usable keyring: {e}"),
                hint,
            )];
        }
    };
    let loc = store.location();
    let reboot = if loc.survives_reboot {
        "survives a reboot"
    } else {
        "lost at reboot"
    };
    let mut out = vec![Check::new(
        Outcome::Ok,
        "keyring",
        format!("{} ({reboot})", loc.store),
        "",
    )];
    let secrets = crate::secrets::Secrets::new(
        crate::secrets::EnvOverride::from_process(),
        Ok(Box::new(store)),
    );
    let found: Vec<String> = secrets
        .status_all()
        .into_iter()
        .filter(|s| s.source.is_some())
        .map(|s| format!("{} ({})", s.venue, s.profile))
        .collect();
    out.push(if found.is_empty() {
        Check::new(
            Outcome::Ok,
            "api keys",
            "none stored (paper trading needs none)",
            "",
        )
    } else {
        Check::new(
            Outcome::Ok,
            "api keys",
            format!("found for {}", found.join(", ")),
            "",
        )
    });
    out
}

/// Checks the terminal: size, colours, Unicode.
pub fn check_terminal() -> Vec<Check> {
    let mut out = Vec::new();
    let (min_w, min_h) = crate::ui::layout::MIN_SIZE;
    out.push(match crossterm::terminal::size() {
        Ok((w, h)) if w >= min_w && h >= min_h => {
            Check::new(Outcome::Ok, "terminal size", format!("{w}×{h}"), "")
        }
        Ok((w, h)) => Check::new(
            Outcome::Warn,
            "terminal size",
            format!("{w}×{h}"),
            format!("enlarge to at least {min_w}×{min_h}"),
        ),
        Err(_) => Check::new(
            Outcome::Warn,
            "terminal size",
            "not a terminal",
            "run it in a terminal for the UI",
        ),
    });
    let env = |k: &str| std::env::var(k).unwrap_or_default();
    let (term, colorterm) = (env("TERM"), env("COLORTERM"));
    out.push(
        if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            Check::new(Outcome::Ok, "colours", "NO_COLOR set: monochrome", "")
        } else if colorterm.contains("truecolor") || colorterm.contains("24bit") {
            Check::new(Outcome::Ok, "colours", "24-bit colour", "")
        } else if term.contains("256color") {
            Check::new(Outcome::Ok, "colours", format!("256 colours ({term})"), "")
        } else {
            let hint = "set TERM=xterm-256color (or tmux-256color in tmux) for full colours";
            Check::new(Outcome::Warn, "colours", format!("TERM={term}"), hint)
        },
    );
    let locale = [env("LC_ALL"), env("LC_CTYPE"), env("LANG")]
        .into_iter()
        .find(|v| !v.is_empty())
        .unwrap_or_default();
    let utf8 = locale
        .to_ascii_uppercase()
        .replace('-', "")
        .contains("UTF8");
    out.push(if utf8 {
        Check::new(Outcome::Ok, "unicode", format!("locale {locale}"), "")
    } else {
        let hint = "use a UTF-8 locale (LANG=C.UTF-8) or set [ui] unicode = false";
        Check::new(
            Outcome::Warn,
            "unicode",
            format!("locale `{locale}` is not UTF-8"),
            hint,
        )
    });
    out
}

/// The innermost cause of an error: reqwest's outer messages only repeat the URL.
fn root_cause(e: &dyn std::error::Error) -> String {
    let mut last = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        last = c.to_string();
        cause = c.source();
    }
    last
}

/// Reaches an HTTP endpoint with a short timeout; any HTTP answer counts as reachable. A
/// venue the config does not use only warns.
async fn reach(client: &reqwest::Client, name: &str, url: &str, key: &str, in_use: bool) -> Check {
    match client.get(url).send().await {
        Ok(resp) => {
            let detail = format!("{url} answered {}", resp.status().as_u16());
            Check::new(Outcome::Ok, name, detail, "")
        }
        Err(e) => {
            let why = if e.is_timeout() {
                "timed out".to_string()
            } else {
                root_cause(&e)
            };
            let (outcome, hint) = if in_use {
                (
                    Outcome::Fail,
                    format!("check the network, or point `{key}` at a reachable URL"),
                )
            } else {
                (Outcome::Warn, "not used by this config".to_string())
            };
            Check::new(outcome, name, format!("{url} unreachable: {why}"), hint)
        }
    }
}

/// Reaches each configured venue.
pub async fn check_venues(c: &Config, timeout: Duration) -> Vec<Check> {
    let client = match reqwest::Client::builder().timeout(timeout).build() {
        Ok(c) => c,
        Err(e) => return vec![Check::new(Outcome::Fail, "network", e.to_string(), "")],
    };
    let b = &c.venues.binance;
    let a = &c.venues.alpaca;
    let (trading, trading_key) = match a.profile {
        crate::config::Mode::Paper => (&a.paper_trading_url, "venues.alpaca.paper_trading_url"),
        crate::config::Mode::Live => (&a.live_trading_url, "venues.alpaca.live_trading_url"),
    };
    let uses = |v: VenueId| c.general.market == v || c.general.broker == v;
    let ping = format!("{}/api/v3/ping", b.rest_url.trim_end_matches('/'));
    let (binance, alpaca) = tokio::join!(
        reach(
            &client,
            "binance",
            &ping,
            "venues.binance.rest_url",
            uses(VenueId::Binance)
        ),
        reach(
            &client,
            "alpaca",
            trading,
            trading_key,
            uses(VenueId::Alpaca)
        ),
    );
    vec![binance, alpaca]
}

/// Runs every check and prints one line each; returns `false` if any failed.
pub async fn run(paths: &Paths, config: &Result<Config, ConfigError>) -> bool {
    let mut checks = vec![check_config(paths, config), check_data_dir(paths)];
    checks.extend(check_keyring());
    checks.extend(check_terminal());
    if let Ok(c) = config {
        checks.extend(check_venues(c, Duration::from_secs(3)).await);
    }
    for c in &checks {
        println!("{c}");
    }
    checks.iter().all(|c| c.outcome != Outcome::Fail)
}
