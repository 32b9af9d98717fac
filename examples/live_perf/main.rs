//! Live performance of the real client (issue 4): CPU, bytes written to the terminal,
//! tick-to-screen, keypress-to-screen and memory, with `speedtrade sim` in its own process
//! and the client in a 200×50 pseudo-terminal.
//!
//! ```text
//! cargo build --release --bin speedtrade
//! cargo run --release --example live_perf                  # everything, ~9 minutes
//! cargo run --release --example live_perf -- --only rates --rates 1000 --runs 1 --breakdown
//! cargo run --release --example live_perf -- --only pair --bin OLD --against NEW --rates 10,100
//! cargo run --release --example live_perf -- --only floor --runs 2   # what a wake-up costs
//! ```
//!
//! Per rate (depth diffs per second per symbol; the six default symbols, BTCUSDT selected) and
//! run, a fresh simulator and client: wait until the book, tape and chart show data, warm up,
//! then over the window read the client's utime+stime (/proc/PID/stat) → % of one core, the
//! bytes read from the pty master → KB/s, and the client's `--metrics` (messages received,
//! frames, tick-to-screen quantiles since start). Keypresses toggle the chart mode (`m`) and
//! time the write until the parsed screen shows the new title, with no data (venue
//! unreachable) and under a fast feed. Idle CPU is the client against an unreachable venue.

mod floor;
mod frames;
mod pair;
mod probe;
mod procs;

use clap::Parser;
use probe::Spread;
use procs::{Client, Sim, Venue};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Longest wait for the client to show live data.
const LIVE_WAIT: Duration = Duration::from_secs(60);

#[derive(Parser)]
#[command(about = "Live CPU, terminal bytes, latency and memory of the speedtrade client")]
struct Args {
    /// The client binary (build it first with `cargo build --release --bin speedtrade`).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/target/release/speedtrade"))]
    bin: PathBuf,
    /// The simulator binary, if not `--bin` (to compare clients against one simulator).
    #[arg(long)]
    sim_bin: Option<PathBuf>,
    /// Depth diffs per second per symbol to measure at.
    #[arg(long, value_delimiter = ',', default_value = "10,100,1000")]
    rates: Vec<u32>,
    /// Fresh simulator + client runs per rate (and idle runs).
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Seconds measured per run.
    #[arg(long, default_value_t = 20)]
    window: u64,
    /// Seconds between the client showing live data and the window.
    #[arg(long, default_value_t = 5)]
    warmup: u64,
    /// Keypresses per key→screen measurement.
    #[arg(long, default_value_t = 60)]
    keys: usize,
    /// Depth diffs per second of the loaded key→screen measurement (BTCUSDT only).
    #[arg(long, default_value_t = 10_000)]
    key_rate: u32,
    /// Seconds of the memory run.
    #[arg(long, default_value_t = 120)]
    memory: u64,
    /// Depth diffs per second during the memory run.
    #[arg(long, default_value_t = 1000)]
    memory_rate: u32,
    /// Parts to run: idle, rates, keys, memory; `floor` times a thread that only wakes 30
    /// times a second (what a wake-up costs on this machine); `hold` only starts a simulator at the first
    /// rate (0: none, the venue unreachable) and the client, prints the client's pid and
    /// waits `--window` seconds (for a profiler: `perf record -g -p PID`); `pair` compares
    /// `--bin` with `--against` side by side.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "floor,idle,rates,keys,memory"
    )]
    only: Vec<String>,
    /// Also count changed cells and bytes per pane (costs the harness CPU, not the client's).
    #[arg(long)]
    breakdown: bool,
    /// Extra lines for the client config's `[ui]` table, e.g. "fps = 60".
    #[arg(long, default_value = "")]
    extra_ui: String,
    /// A second client build for `--only pair`: run beside `--bin` at each rate, each with
    /// its own simulator, and report the ratio of their CPU over the same window.
    #[arg(long)]
    against: Option<PathBuf>,
}

impl Args {
    fn sim_bin(&self) -> &std::path::Path {
        self.sim_bin.as_deref().unwrap_or(&self.bin)
    }
}

const SIZE: (u16, u16) = (200, 50);

/// One line of the result table.
struct Row {
    what: String,
    value: String,
    target: String,
    pass: Option<bool>,
}

fn main() -> anyhow::Result<()> {
    let mut args = Args::parse();
    anyhow::ensure!(
        args.bin.exists(),
        "{} not found: cargo build --release --bin speedtrade",
        args.bin.display()
    );
    // The pty spawner looks relative names up in PATH.
    args.bin = std::fs::canonicalize(&args.bin)?;
    println!("machine: {}", probe::machine());
    println!("load average at start: {}", probe::loadavg());
    let fps = args
        .extra_ui
        .lines()
        .find_map(|l| l.trim().strip_prefix("fps = "))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .unwrap_or(30.0);
    let budget_ms = 1000.0 / fps + 2.0;
    let mut rows = Vec::new();
    let mut loads = vec![probe::loadavg()];
    if args.only.iter().any(|o| o == "floor") {
        floor::floor(&args, &mut rows)?;
    }
    if args.only.iter().any(|o| o == "idle") {
        idle(&args, &mut rows)?;
        loads.push(probe::loadavg());
    }
    if args.only.iter().any(|o| o == "rates") {
        for &rate in &args.rates {
            at_rate(&args, rate, budget_ms, &mut rows)?;
            loads.push(probe::loadavg());
        }
    }
    if args.only.iter().any(|o| o == "keys") {
        keys_under_load(&args, &mut rows)?;
        loads.push(probe::loadavg());
    }
    if args.only.iter().any(|o| o == "pair") {
        pair::paired(&args, &mut rows)?;
    }
    if args.only.iter().any(|o| o == "hold") {
        hold(&args)?;
    }
    if args.only.iter().any(|o| o == "memory") && args.memory > 0 {
        memory(&args, &mut rows)?;
        loads.push(probe::loadavg());
    }
    println!(
        "\nload averages (1/5/15 min) during the run: {}",
        loads.join(" | ")
    );
    println!("\n| measure | median (range) | target | |\n|---|---|---|---|");
    for r in &rows {
        let mark = match r.pass {
            Some(true) => "pass",
            Some(false) => "MISS",
            None => "",
        };
        println!("| {} | {} | {} | {mark} |", r.what, r.value, r.target);
    }
    Ok(())
}

/// Waits until the client shows a live feed with a book, trades and candles.
fn wait_live(c: &Client) -> anyhow::Result<()> {
    c.wait_for("live data on every pane", LIVE_WAIT, |s| {
        s.contains("● live")
            && s.contains("spread")
            && !s.contains("trades stream here")
            && !s.contains("candles appear here")
    })?;
    Ok(())
}

/// CPU % of one core and terminal KB/s of `c` over `secs`, plus metrics before and after.
struct Window {
    cpu_pct: f64,
    kb_s: f64,
    msgs_s: f64,
    frames_s: f64,
    end: std::collections::HashMap<String, f64>,
}

fn measure(c: &Client, secs: u64) -> anyhow::Result<Window> {
    let m0 = probe::scrape(c.metrics_port);
    let (cpu0, b0, t0) = (probe::cpu_seconds(c.pid)?, c.bytes(), Instant::now());
    std::thread::sleep(Duration::from_secs(secs));
    let (cpu1, b1, el) = (
        probe::cpu_seconds(c.pid)?,
        c.bytes(),
        t0.elapsed().as_secs_f64(),
    );
    let m1 = probe::scrape(c.metrics_port);
    let delta = |k: &str| m1.get(k).unwrap_or(&0.0) - m0.get(k).unwrap_or(&0.0);
    Ok(Window {
        cpu_pct: (cpu1 - cpu0) / el * 100.0,
        kb_s: (b1 - b0) as f64 / el / 1000.0,
        msgs_s: delta("speedtrade_feed_messages_total") / el,
        frames_s: delta("speedtrade_frames_total") / el,
        end: m1,
    })
}

fn idle(args: &Args, rows: &mut Vec<Row>) -> anyhow::Result<()> {
    let mut cpu = Vec::new();
    let mut kb = Vec::new();
    let mut key_ms = Vec::new();
    for run in 0..args.runs {
        let mut c = Client::start(&args.bin, Venue::Unreachable, &args.extra_ui, SIZE)?;
        c.wait_for("the status bar", LIVE_WAIT, |s| s.contains("PAPER"))?;
        probe::scrape_ready(c.metrics_port, LIVE_WAIT)?;
        std::thread::sleep(Duration::from_secs(args.warmup));
        let w = measure(&c, args.window)?;
        println!(
            "idle run {run}: cpu {:.3}% kb/s {:.2} frames/s {:.1}",
            w.cpu_pct, w.kb_s, w.frames_s
        );
        cpu.push(w.cpu_pct);
        kb.push(w.kb_s);
        if run == 0 {
            key_ms = key_latency(&mut c, args.keys)?;
        }
    }
    rows.push(Row {
        what: "idle CPU (no market data), % of a core".into(),
        value: Spread::of(&cpu).show(3),
        target: "≈ 0 (≤ 0.1)".into(),
        pass: Some(Spread::of(&cpu).median <= 0.1),
    });
    rows.push(Row {
        what: "idle terminal output, KB/s".into(),
        value: Spread::of(&kb).show(2),
        target: String::new(),
        pass: None,
    });
    push_keys(rows, "idle", &key_ms);
    Ok(())
}

fn at_rate(args: &Args, rate: u32, budget_ms: f64, rows: &mut Vec<Row>) -> anyhow::Result<()> {
    let (mut cpu, mut kb, mut p99, mut msgs, mut frames, mut p50) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    for run in 0..args.runs {
        let sim = Sim::start(args.sim_bin(), rate, None)?;
        let c = Client::start(&args.bin, Venue::Sim(&sim), &args.extra_ui, SIZE)?;
        wait_live(&c)?;
        probe::scrape_ready(c.metrics_port, LIVE_WAIT)?;
        std::thread::sleep(Duration::from_secs(args.warmup));
        if args.breakdown {
            c.start_breakdown(SIZE);
        }
        let w = measure(&c, args.window)?;
        let q = |k: &str| w.end.get(k).copied().unwrap_or(f64::NAN) / 1000.0;
        let (t50, t99, t999) = (
            q("speedtrade_tick_to_screen_p50_microseconds"),
            q("speedtrade_tick_to_screen_p99_microseconds"),
            q("speedtrade_tick_to_screen_p999_microseconds"),
        );
        println!(
            "rate {rate} run {run}: cpu {:.3}% kb/s {:.2} client msgs/s {:.0} frames/s {:.1} \
             tick-to-screen p50 {t50:.1} ms p99 {t99:.1} ms p999 {t999:.1} ms",
            w.cpu_pct, w.kb_s, w.msgs_s, w.frames_s
        );
        if let Some(b) = c.take_breakdown() {
            print_breakdown(&b, args.window as f64);
        }
        cpu.push(w.cpu_pct);
        kb.push(w.kb_s);
        msgs.push(w.msgs_s);
        frames.push(w.frames_s);
        p50.push(t50);
        p99.push(t99);
    }
    let (cpu_max, kb_max) = match rate {
        r if r <= 10 => (0.3, 5.0),
        r if r <= 100 => (0.5, 15.0),
        _ => (2.0, 30.0),
    };
    let at = format!("{rate} msg/s");
    rows.push(Row {
        what: format!("CPU at {at}, % of a core"),
        value: Spread::of(&cpu).show(2),
        target: format!("≤ {cpu_max}"),
        pass: Some(Spread::of(&cpu).median <= cpu_max),
    });
    rows.push(Row {
        what: format!("terminal output at {at}, KB/s"),
        value: Spread::of(&kb).show(1),
        target: format!("≤ {kb_max}"),
        pass: Some(Spread::of(&kb).median <= kb_max),
    });
    rows.push(Row {
        what: format!(
            "tick-to-screen p99 at {at}, ms (p50 {})",
            Spread::of(&p50).show(1)
        ),
        value: Spread::of(&p99).show(1),
        target: format!("≤ {budget_ms:.1}"),
        pass: Some(Spread::of(&p99).median <= budget_ms),
    });
    rows.push(Row {
        what: format!("  messages received / frames drawn per s at {at}"),
        value: format!(
            "{} / {}",
            Spread::of(&msgs).show(0),
            Spread::of(&frames).show(1)
        ),
        target: String::new(),
        pass: None,
    });
    Ok(())
}

fn print_breakdown(b: &frames::Breakdown, secs: f64) {
    let frames = b.frames.max(1) as f64;
    println!("  {} frames ({:.1}/s)", b.frames, b.frames as f64 / secs);
    for (i, name) in b.names().iter().enumerate() {
        println!(
            "  {name:<10} {:>8.2} KB/s {:>8.1} B/frame {:>7.1} cells/frame",
            b.bytes[i] as f64 / secs / 1000.0,
            b.bytes[i] as f64 / frames,
            b.cells[i] as f64 / frames
        );
    }
}

fn keys_under_load(args: &Args, rows: &mut Vec<Row>) -> anyhow::Result<()> {
    // One symbol, so the simulator's own CPU stays modest at this rate.
    let sim = Sim::start(args.sim_bin(), args.key_rate, Some("BTCUSDT"))?;
    let mut c = Client::start(&args.bin, Venue::Sim(&sim), &args.extra_ui, SIZE)?;
    wait_live(&c)?;
    probe::scrape_ready(c.metrics_port, LIVE_WAIT)?;
    std::thread::sleep(Duration::from_secs(args.warmup));
    let w = measure(&c, args.window.min(10))?;
    println!(
        "load {}: cpu {:.2}% kb/s {:.1} client msgs/s {:.0} frames/s {:.1}",
        args.key_rate, w.cpu_pct, w.kb_s, w.msgs_s, w.frames_s
    );
    let ms = key_latency(&mut c, args.keys)?;
    push_keys(rows, &format!("{:.0} msg/s", w.msgs_s), &ms);
    rows.push(Row {
        what: format!("  client CPU / output at {:.0} msg/s", w.msgs_s),
        value: format!("{:.2} % / {:.1} KB/s", w.cpu_pct, w.kb_s),
        target: String::new(),
        pass: None,
    });
    Ok(())
}

fn push_keys(rows: &mut Vec<Row>, when: &str, ms: &[f64]) {
    rows.push(Row {
        what: format!("keypress-to-screen, {when}, ms ({} presses)", ms.len()),
        value: format!(
            "p50 {:.1} · p99 {:.1} · max {:.1}",
            probe::quantile(ms, 0.5),
            probe::quantile(ms, 0.99),
            probe::quantile(ms, 1.0)
        ),
        target: "flat: same idle and under load".into(),
        pass: None,
    });
}

/// Times `n` presses of `m` (chart mode) until the chart title shows the new mode.
fn key_latency(c: &mut Client, n: usize) -> anyhow::Result<Vec<f64>> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let want_line = !c.screen().contains("· line ");
        // Irregular gaps, so presses land at every phase of the frame timer.
        std::thread::sleep(Duration::from_millis(60 + (i as u64 * 37) % 80));
        let t0 = Instant::now();
        c.send(b"m")?;
        let seen = c.wait_for("the chart mode to toggle", Duration::from_secs(5), |s| {
            if want_line {
                s.contains("· line ")
            } else {
                s.contains("· candles ")
            }
        })?;
        out.push(seen.duration_since(t0).as_secs_f64() * 1000.0);
    }
    Ok(out)
}

fn memory(args: &Args, rows: &mut Vec<Row>) -> anyhow::Result<()> {
    let sim = Sim::start(args.sim_bin(), args.memory_rate, None)?;
    let c = Client::start(&args.bin, Venue::Sim(&sim), &args.extra_ui, SIZE)?;
    wait_live(&c)?;
    std::thread::sleep(Duration::from_secs(args.warmup));
    let start = probe::rss_kib(c.pid)?;
    let mut samples = vec![start];
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(args.memory) {
        std::thread::sleep(Duration::from_secs(10));
        samples.push(probe::rss_kib(c.pid)?);
    }
    let end = *samples.last().unwrap_or(&start);
    let max = samples.iter().copied().max().unwrap_or(start);
    // Flat: the second half grows by less than 2% of the start.
    let mid = samples[samples.len() / 2];
    let growth = end.saturating_sub(mid) as f64 / start as f64 * 100.0;
    println!("rss samples (KiB, every 10 s): {samples:?}");
    rows.push(Row {
        what: format!(
            "RSS over {} s at {} msg/s, MiB (start → end, max)",
            args.memory, args.memory_rate
        ),
        value: format!(
            "{:.1} → {:.1} (max {:.1}); second half +{growth:.1}%",
            start as f64 / 1024.0,
            end as f64 / 1024.0,
            max as f64 / 1024.0
        ),
        target: "flat (second half < +2%)".into(),
        pass: Some(growth < 2.0),
    });
    Ok(())
}

fn hold(args: &Args) -> anyhow::Result<()> {
    let rate = args.rates.first().copied().unwrap_or(100);
    // Rate 0: no simulator, the venue unreachable (the idle client).
    let sim = (rate > 0)
        .then(|| Sim::start(args.sim_bin(), rate, None))
        .transpose()?;
    let venue = sim.as_ref().map_or(Venue::Unreachable, Venue::Sim);
    let c = Client::start(&args.bin, venue, &args.extra_ui, SIZE)?;
    if sim.is_some() {
        wait_live(&c)?;
    } else {
        c.wait_for("the status bar", LIVE_WAIT, |s| s.contains("PAPER"))?;
    }
    println!(
        "client pid {} live at {rate} msg/s; holding {} s",
        c.pid, args.window
    );
    std::thread::sleep(Duration::from_secs(args.window));
    Ok(())
}
