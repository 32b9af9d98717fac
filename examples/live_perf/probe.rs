//! What the harness reads about a running process: CPU time and RSS from /proc, the client's
//! Prometheus text, and the small statistics the report prints.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::time::Duration;

/// Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ: 100 on every Linux
/// architecture the client runs on).
const USER_HZ: f64 = 100.0;

/// utime + stime of the whole process (every thread, living or exited), in seconds.
pub fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The command name may hold spaces: the fields after it start behind the last ')'.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, r)| r)
        .ok_or_else(|| anyhow::anyhow!("unexpected /proc/{pid}/stat: {stat}"))?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // Field 3 (state) is fields[0]; utime is field 14, stime field 15.
    let ticks = |i: usize| -> anyhow::Result<u64> {
        Ok(fields
            .get(i)
            .ok_or_else(|| anyhow::anyhow!("short /proc/{pid}/stat"))?
            .parse()?)
    };
    Ok((ticks(11)? + ticks(12)?) as f64 / USER_HZ)
}

/// Time on a CPU of every living thread of `pid`, in seconds (`/proc/PID/task/*/schedstat`:
/// nanoseconds, not the 10 ms ticks of `/proc/PID/stat`).
pub fn run_seconds(pid: u32) -> anyhow::Result<f64> {
    let mut ns: u64 = 0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))? {
        let path = task?.path().join("schedstat");
        // A thread that ended between the listing and the read counts as nothing.
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let first = text.split_whitespace().next().unwrap_or("0");
        ns += first.parse::<u64>()?;
    }
    Ok(ns as f64 / 1e9)
}

/// Resident set size in KiB (VmRSS of /proc/<pid>/status).
pub fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .ok_or_else(|| anyhow::anyhow!("no VmRSS in /proc/{pid}/status"))?;
    Ok(line
        .split_whitespace()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("bad VmRSS line: {line}"))?
        .parse()?)
}

/// The 1, 5 and 15 minute load averages.
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// The CPU model and the number of logical CPUs.
pub fn machine() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = info
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or("unknown CPU", |(_, m)| m.trim())
        .to_string();
    let cpus = info.lines().filter(|l| l.starts_with("processor")).count();
    format!("{model}, {cpus} logical CPUs")
}

/// `GET /metrics` from the client; metric name (labels dropped) → value. Empty until the
/// client published its first second.
pub fn scrape(port: u16) -> HashMap<String, f64> {
    let mut out = HashMap::new();
    let Ok(mut c) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return out;
    };
    let _ = c.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = c.write_all(b"GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n");
    let mut body = String::new();
    let _ = c.read_to_string(&mut body);
    for line in body.lines().filter(|l| !l.starts_with('#')) {
        let mut parts = line.split_whitespace();
        if let (Some(name), Some(value)) = (parts.next(), parts.next())
            && let Ok(v) = value.parse::<f64>()
        {
            let name = name.split('{').next().unwrap_or(name);
            out.insert(name.to_string(), v);
        }
    }
    out
}

/// Scrapes until the client has published its metrics (a second after start).
pub fn scrape_ready(port: u16, timeout: Duration) -> anyhow::Result<HashMap<String, f64>> {
    let start = std::time::Instant::now();
    loop {
        let m = scrape(port);
        if m.contains_key("speedtrade_uptime_seconds") {
            return Ok(m);
        }
        if start.elapsed() > timeout {
            anyhow::bail!("no metrics on port {port} after {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A free TCP port on loopback.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Median, minimum and maximum of some figures.
#[derive(Debug, Clone, Copy, Default)]
pub struct Spread {
    /// Median (mean of the middle two for an even count).
    pub median: f64,
    /// Smallest.
    pub min: f64,
    /// Largest.
    pub max: f64,
}

impl Spread {
    /// The spread of `v`; zeros when empty.
    pub fn of(v: &[f64]) -> Spread {
        if v.is_empty() {
            return Spread::default();
        }
        let mut s = v.to_vec();
        s.sort_by(f64::total_cmp);
        let n = s.len();
        let median = if n % 2 == 1 {
            s[n / 2]
        } else {
            (s[n / 2 - 1] + s[n / 2]) / 2.0
        };
        Spread {
            median,
            min: s[0],
            max: s[n - 1],
        }
    }

    /// `median (min–max)` with `dp` decimals.
    pub fn show(&self, dp: usize) -> String {
        format!("{:.dp$} ({:.dp$}–{:.dp$})", self.median, self.min, self.max)
    }
}

/// The `q` quantile (0..=1) of `v` by nearest rank.
pub fn quantile(v: &[f64], q: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let rank = ((q * s.len() as f64).ceil() as usize).clamp(1, s.len());
    s[rank - 1]
}
