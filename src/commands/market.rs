//! `speedtrade book` and `speedtrade watch`: the feed and book code of the UI, printing JSON
//! lines.

use crate::cli::{BookArgs, WatchArgs};
use crate::config::Config;
use crate::domain::{Symbol, VenueId};
use crate::runtime::market::{binance_endpoints, feed_options};
use crate::venue::binance::headless::{BookCmdOptions, WatchCmdOptions, run_book, run_watch};
use std::process::ExitCode;

fn binance_only(venue: &str) -> anyhow::Result<()> {
    match venue.parse::<VenueId>().map_err(anyhow::Error::msg)? {
        VenueId::Binance => Ok(()),
        VenueId::Alpaca => {
            anyhow::bail!("Alpaca streams quotes, not an order book: use --venue binance")
        }
        VenueId::Paper => anyhow::bail!("the paper broker has no market data: use --venue binance"),
    }
}

fn symbol(text: &str) -> anyhow::Result<Symbol> {
    Symbol::new(text).map_err(anyhow::Error::msg)
}

/// `speedtrade book SYMBOL`.
pub async fn book(args: BookArgs, config: &Config) -> anyhow::Result<ExitCode> {
    binance_only(&args.venue)?;
    let mut feed = feed_options(config);
    feed.book_levels = feed.book_levels.max(args.depth);
    let opts = BookCmdOptions {
        endpoints: binance_endpoints(config),
        symbol: symbol(&args.symbol)?,
        depth: args.depth,
        max_events: args.max_events,
        feed,
    };
    run_book(opts, std::io::stdout().lock()).await?;
    Ok(ExitCode::SUCCESS)
}

/// `speedtrade watch SYMBOL...`.
pub async fn watch(args: WatchArgs, config: &Config) -> anyhow::Result<ExitCode> {
    binance_only(&args.venue)?;
    let symbols = args
        .symbols
        .iter()
        .map(|s| symbol(s))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let opts = WatchCmdOptions {
        endpoints: binance_endpoints(config),
        symbols,
        max_events: args.max_events,
        feed: feed_options(config),
    };
    run_watch(opts, std::io::stdout().lock()).await?;
    Ok(ExitCode::SUCCESS)
}
