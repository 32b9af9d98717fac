//! Dev runner for the exchange simulator until `speedtrade sim` is wired:
//! `cargo run --example sim_server -- --seed 7 --rate 100`. Prints the JSON line, runs until
//! SIGINT/SIGTERM. Logs go to stderr (`RUST_LOG=debug` for more).

use clap::Parser;
use speedtrade::sim::SimArgs;

#[derive(Parser)]
#[command(name = "sim_server", about = "Binance Spot simulator on 127.0.0.1")]
struct Cli {
    #[command(flatten)]
    sim: SimArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    speedtrade::sim::run(Cli::parse().sim).await?;
    tracing::debug!("main returns");
    Ok(())
}
