//! Two client builds side by side (`--only pair --against B`): each with its own simulator,
//! both live at once, CPU read over the same window, so the machine's drift between runs (a
//! quarter on a shared VM) cancels out of the ratio.

use crate::probe::{self, Spread};
use crate::procs::{Client, Sim, Venue};
use crate::{Args, Row, SIZE, wait_live};
use std::path::Path;
use std::time::{Duration, Instant};

fn start(args: &Args, bin: &Path, sim: &Sim) -> anyhow::Result<Client> {
    Client::start(bin, Venue::Sim(sim), &args.extra_ui, SIZE)
}

/// Per rate and run: both clients' CPU over one window, and B's over A's.
pub fn paired(args: &Args, rows: &mut Vec<Row>) -> anyhow::Result<()> {
    let Some(b_bin) = args.against.as_deref() else {
        anyhow::bail!("--only pair needs --against BINARY (the build to compare with --bin)");
    };
    for &rate in &args.rates {
        let mut ratios = Vec::new();
        for run in 0..args.runs {
            let (sim_a, sim_b) = (
                Sim::start(args.sim_bin(), rate, None)?,
                Sim::start(args.sim_bin(), rate, None)?,
            );
            let (a, b) = (start(args, &args.bin, &sim_a)?, start(args, b_bin, &sim_b)?);
            wait_live(&a)?;
            wait_live(&b)?;
            std::thread::sleep(Duration::from_secs(args.warmup));
            let t0 = Instant::now();
            let (a0, b0) = (probe::run_seconds(a.pid)?, probe::run_seconds(b.pid)?);
            std::thread::sleep(Duration::from_secs(args.window));
            let (a1, b1) = (probe::run_seconds(a.pid)?, probe::run_seconds(b.pid)?);
            let el = t0.elapsed().as_secs_f64();
            let (pa, pb) = ((a1 - a0) / el * 100.0, (b1 - b0) / el * 100.0);
            println!(
                "pair rate {rate} run {run}: --bin {pa:.3}% --against {pb:.3}% ratio {:.3}",
                pb / pa
            );
            ratios.push(pb / pa);
        }
        rows.push(Row {
            what: format!("CPU of --against over --bin at {rate} msg/s, side by side"),
            value: Spread::of(&ratios).show(3),
            target: "< 1: --against uses less".into(),
            pass: None,
        });
        println!("load average: {}", probe::loadavg());
    }
    Ok(())
}
