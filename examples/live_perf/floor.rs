//! The machine's cost of waking a thread (`--only floor`): a Tokio runtime thread that does
//! nothing but wake 30 times a second, once on Tokio's timer and once on the client's frame
//! timer (a timerfd), with its CPU and wake-ups read from its own schedstat. What is left of
//! a CPU target after this floor is what the client's work may cost.

use crate::probe::Spread;
use crate::{Args, Row};
use speedtrade::net::FrameTimer;
use std::time::Duration;
use tokio::time::Instant;

const EVERY: Duration = Duration::from_millis(33);

/// Run seconds and times scheduled in, of the calling thread.
fn schedstat() -> anyhow::Result<(f64, u64)> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat")?;
    let mut f = text.split_whitespace();
    let ns: u64 = f.next().unwrap_or("0").parse()?;
    let count: u64 = f.nth(1).unwrap_or("0").parse()?;
    Ok((ns as f64 / 1e9, count))
}

/// % of a core and wake-ups per second of a thread ticking every [`EVERY`] for `secs`.
fn tick(secs: u64, timerfd: bool) -> anyhow::Result<(f64, f64)> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let mut timer = FrameTimer::new();
        let mut interval = tokio::time::interval(EVERY);
        let (cpu0, n0) = schedstat()?;
        let start = Instant::now();
        let mut next = start;
        while start.elapsed() < Duration::from_secs(secs) {
            next += EVERY;
            match timerfd {
                true => timer.sleep_until(next).await,
                false => drop(interval.tick().await),
            }
        }
        let (cpu1, n1) = schedstat()?;
        let el = start.elapsed().as_secs_f64();
        Ok(((cpu1 - cpu0) / el * 100.0, (n1 - n0) as f64 / el))
    })
}

/// Both timers, `--runs` times each, `--window` seconds a run.
pub fn floor(args: &Args, rows: &mut Vec<Row>) -> anyhow::Result<()> {
    for (timerfd, name) in [(false, "Tokio's timer"), (true, "a timerfd (the client's)")] {
        let (mut cpu, mut wakes) = (Vec::new(), Vec::new());
        for _ in 0..args.runs {
            let (c, w) = std::thread::scope(|s| s.spawn(|| tick(args.window, timerfd)).join())
                .map_err(|_| anyhow::anyhow!("the ticking thread panicked"))??;
            println!("floor, {name}: {c:.3}% of a core, {w:.1} wake-ups/s");
            cpu.push(c);
            wakes.push(w);
        }
        rows.push(Row {
            what: format!("a thread waking 30 times a second on {name}, % of a core"),
            value: format!(
                "{} ({} wake-ups/s)",
                Spread::of(&cpu).show(3),
                Spread::of(&wakes).show(1)
            ),
            target: String::new(),
            pass: None,
        });
    }
    Ok(())
}
