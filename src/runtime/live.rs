//! Live market data for the UI: starts the configured venue's feed, keeps its subscriptions
//! in step with the watchlist, the selected symbol and the chart interval, backfills charts,
//! loads instruments, and reports feed counters.

use super::market::{binance_endpoints, feed_options};
use crate::app::{Action, Level, state::FeedReport};
use crate::config::{AlpacaFeed as FeedChoice, Config};
use crate::domain::{Interval, Symbol, VenueId};
use crate::tui::MarketSource;
use crate::venue::alpaca::{
    AlpacaBroker, AlpacaChannels, AlpacaDataFeed, AlpacaDataOptions, AlpacaFeed,
};
use crate::venue::binance::feed::{BinanceFeed, Topics};
use crate::venue::{ConnState, MarketEvent};
use std::sync::Arc;
use tokio::sync::mpsc;

/// Candles fetched when a chart opens.
const BACKFILL: u16 = 500;

/// The running feed of the market venue.
pub enum LiveMarket {
    /// Binance (or the simulator, or a replay).
    Binance(BinanceFeed),
    /// Alpaca's market data stream (and REST bars for backfill), if keys were found.
    Alpaca(Option<(AlpacaDataFeed, Arc<AlpacaBroker>)>),
}

/// Ticker only: what a watchlist row needs.
fn ticker_only() -> Topics {
    Topics {
        ticker: true,
        ..Topics::default()
    }
}

/// Everything the panes of the selected symbol need.
fn selected_topics(interval: Interval) -> Topics {
    Topics {
        trades: true,
        ticker: true,
        book: true,
        klines: [interval].into(),
    }
}

impl LiveMarket {
    /// Starts the feed for `config.general.market`, watching the watchlist and the selected
    /// symbol. Problems (no Alpaca keys) are reported to the app, not fatal.
    pub fn start(
        config: &Config,
        watchlist: &[Symbol],
        selected: &Symbol,
        interval: Interval,
        app: &mpsc::UnboundedSender<Action>,
    ) -> anyhow::Result<(Self, Box<dyn MarketSource>)> {
        match config.general.market {
            VenueId::Alpaca => Ok(start_alpaca(config, watchlist, app)),
            _ => {
                let (feed, rx) =
                    BinanceFeed::start(binance_endpoints(config), feed_options(config))?;
                feed.set_watchlist(watchlist.iter().map(|s| (s.clone(), ticker_only())));
                feed.watch(selected.clone(), selected_topics(interval));
                feed.backfill(selected.clone(), interval, BACKFILL);
                Ok((LiveMarket::Binance(feed), Box::new(rx)))
            }
        }
    }

    /// The selection moved from `prev` to `next`.
    pub fn select(
        &self,
        prev: &Symbol,
        next: &Symbol,
        watchlist: &[Symbol],
        interval: Interval,
        app: &mpsc::UnboundedSender<Action>,
    ) {
        match self {
            LiveMarket::Binance(feed) => {
                if watchlist.contains(prev) {
                    feed.watch(prev.clone(), ticker_only());
                } else {
                    feed.unwatch(prev);
                }
                feed.watch(next.clone(), selected_topics(interval));
                feed.backfill(next.clone(), interval, BACKFILL);
            }
            LiveMarket::Alpaca(Some((data, broker))) => {
                data.subscribe(std::slice::from_ref(next), AlpacaChannels::default());
                alpaca_backfill(broker.clone(), next.clone(), interval, app.clone());
            }
            LiveMarket::Alpaca(None) => {}
        }
    }

    /// The chart of `symbol` switched to `interval`.
    pub fn chart(&self, symbol: &Symbol, interval: Interval, app: &mpsc::UnboundedSender<Action>) {
        match self {
            LiveMarket::Binance(feed) => {
                feed.watch(symbol.clone(), selected_topics(interval));
                feed.backfill(symbol.clone(), interval, BACKFILL);
            }
            LiveMarket::Alpaca(Some((_, broker))) => {
                alpaca_backfill(broker.clone(), symbol.clone(), interval, app.clone())
            }
            LiveMarket::Alpaca(None) => {}
        }
    }

    /// The feed's counters for the status bar (Binance reports its own).
    pub fn report(&self) -> Option<FeedReport> {
        match self {
            LiveMarket::Binance(feed) => {
                let s = feed.stats();
                Some(FeedReport {
                    msgs_per_s: u32::try_from(s.messages_per_sec).unwrap_or(u32::MAX),
                    latency_ms: s.latency_ms,
                    reconnects: s.reconnects,
                    resyncs: s.resyncs,
                })
            }
            LiveMarket::Alpaca(_) => None,
        }
    }
}

/// Alpaca's stream for the watchlist; without keys the panes say how to add them.
fn start_alpaca(
    config: &Config,
    watchlist: &[Symbol],
    app: &mpsc::UnboundedSender<Action>,
) -> (LiveMarket, Box<dyn MarketSource>) {
    let (tx, rx) = mpsc::channel(4096);
    let endpoints = super::brokers::alpaca_endpoints(config);
    let creds = super::brokers::alpaca_credentials(config).ok();
    let options = AlpacaDataOptions {
        feed: match config.venues.alpaca.feed {
            FeedChoice::Iex => AlpacaFeed::Iex,
            FeedChoice::Sip => AlpacaFeed::Sip,
        },
        ..AlpacaDataOptions::default()
    };
    let started = AlpacaDataFeed::spawn(&endpoints, creds.clone(), options, tx)
        .and_then(|feed| Ok((feed, Arc::new(AlpacaBroker::new(&endpoints, creds)?))));
    match started {
        Ok((feed, broker)) => {
            feed.subscribe(watchlist, AlpacaChannels::default());
            (LiveMarket::Alpaca(Some((feed, broker))), Box::new(rx))
        }
        Err(e) => {
            let message = e.to_string();
            let down = MarketEvent::Connection {
                venue: VenueId::Alpaca,
                state: ConnState::Down(message.clone()),
            };
            let _ = app.send(Action::Market(down));
            let _ = app.send(Action::Notice(Level::Warn, message));
            (LiveMarket::Alpaca(None), Box::new(rx))
        }
    }
}

/// Fetches Alpaca bars for a chart in the background.
fn alpaca_backfill(
    broker: Arc<AlpacaBroker>,
    symbol: Symbol,
    interval: Interval,
    app: mpsc::UnboundedSender<Action>,
) {
    tokio::spawn(async move {
        match broker
            .candles(&symbol, interval, usize::from(BACKFILL), None)
            .await
        {
            Ok(candles) => {
                let _ = app.send(Action::Market(MarketEvent::History {
                    symbol,
                    interval,
                    candles,
                }));
            }
            Err(e) => {
                let _ = app.send(Action::Notice(
                    Level::Warn,
                    format!("{symbol} {interval} history: {e}"),
                ));
            }
        }
    });
}
