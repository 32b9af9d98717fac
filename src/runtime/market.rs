//! Market data set-up from the config: Binance endpoints and feed options, the REST client
//! for instruments and snapshots, and instrument loading for the order manager.

use crate::book::OrderBook;
use crate::config::Config;
use crate::domain::{BookTop, Instrument, Symbol, VenueId};
use crate::orders::OrderManager;
use crate::venue::binance::BinanceEndpoints;
use crate::venue::binance::feed::FeedOptions;
use crate::venue::binance::limiter::WeightLimiter;
use crate::venue::binance::market_rest::MarketRest;
use anyhow::Context;
use std::sync::Arc;

/// The configured Binance market endpoints.
pub fn binance_endpoints(c: &Config) -> BinanceEndpoints {
    BinanceEndpoints {
        rest_url: c.venues.binance.rest_url.clone(),
        ws_url: c.venues.binance.ws_url.clone(),
    }
}

/// Feed options from the config.
pub fn feed_options(c: &Config) -> FeedOptions {
    FeedOptions {
        depth: c.venues.binance.book_depth as usize,
        book_levels: usize::from(c.ui.book_levels).max(50),
        ..FeedOptions::default()
    }
}

/// A Binance REST client for market data with its own weight limiter.
pub fn binance_rest(c: &Config) -> anyhow::Result<MarketRest> {
    MarketRest::new(
        &c.venues.binance.rest_url,
        Arc::new(WeightLimiter::default()),
    )
    .context("setting up the Binance REST client")
}

/// Loads the instruments of `symbols` (their filters) from the venue into the manager and
/// the store. Paper orders use the market venue's rules.
pub async fn load_instruments(
    c: &Config,
    manager: &OrderManager,
    venue: VenueId,
    symbols: &[Symbol],
) -> anyhow::Result<Vec<Instrument>> {
    let market = if venue == VenueId::Paper {
        c.general.market
    } else {
        venue
    };
    let list = match market {
        VenueId::Alpaca => {
            let broker = crate::venue::alpaca::AlpacaBroker::new(
                &super::brokers::alpaca_endpoints(c),
                super::brokers::alpaca_credentials(c).ok(),
            )
            .context("setting up the Alpaca client")?;
            let all = broker
                .instruments()
                .await
                .context("loading Alpaca's assets")?;
            all.into_iter()
                .filter(|i| symbols.contains(&i.symbol))
                .collect()
        }
        _ => {
            binance_rest(c)?
                .exchange_info(symbols)
                .await
                .context("loading Binance's exchangeInfo")?
                .instruments
        }
    };
    manager.set_instruments(list.clone());
    manager.store().save_instruments(list.clone());
    Ok(list)
}

/// The top of `symbol`'s book from a REST depth snapshot (Binance), for the paper broker.
pub async fn book_snapshot(c: &Config, symbol: &Symbol, levels: usize) -> anyhow::Result<BookTop> {
    let snap = binance_rest(c)?
        .depth(symbol, 100)
        .await
        .context("loading the order book")?;
    let mut book = OrderBook::new(100);
    book.load_snapshot(&snap);
    Ok(book.top(levels))
}
