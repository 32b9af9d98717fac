//! Live market data for the UI: starts the configured venue's feed, keeps its subscriptions
//! in step with why each symbol is needed (watchlist, selected symbol, alerts), backfills
//! charts, and reports feed counters.

use super::market::{binance_endpoints, feed_options};
use crate::app::{Action, Level, state::FeedReport};
use crate::config::{AlpacaFeed as FeedChoice, Config};
use crate::domain::{Interval, Symbol, VenueId};
use crate::net::FramePace;
use crate::screener::{Filter, Row};
use crate::search::{Entry, SymbolIndex};
use crate::store::Store;
use crate::tui::MarketSource;
use crate::venue::alpaca::{
    AlpacaBroker, AlpacaChannels, AlpacaDataFeed, AlpacaDataOptions, AlpacaFeed,
};
use crate::venue::binance::feed::stats::FeedStatsSnapshot;
use crate::venue::binance::feed::{BinanceFeed, FeedOptions, Topics};
use crate::venue::{ConnState, MarketEvent};
use std::collections::BTreeSet;
use std::sync::Arc;
use tokio::sync::mpsc;

/// Most symbols a `:screen` lists.
const SCREEN_MAX: usize = 200;

/// Candles fetched when a chart opens.
const BACKFILL: u16 = 500;

/// The venue connection behind [`LiveMarket`].
pub enum Venue {
    /// Binance (or the simulator, or a replay).
    Binance(BinanceFeed),
    /// Alpaca's market data stream (and REST bars for backfill), if keys were found.
    Alpaca(Option<(AlpacaDataFeed, Arc<AlpacaBroker>)>),
}

/// The running feed of the market venue and why each symbol is streamed: the watchlist wants
/// tickers, the selected symbol everything its panes show, alerts want every trade.
pub struct LiveMarket {
    venue: Venue,
    watchlist: BTreeSet<Symbol>,
    selected: Symbol,
    interval: Interval,
    alerted: BTreeSet<Symbol>,
    /// The market venue, and the history file whose candle cache charts start from.
    market: VenueId,
    cache: Option<Store>,
}

impl LiveMarket {
    /// Starts the feed for `config.general.market`, watching the watchlist and the selected
    /// symbol. Problems (no Alpaca keys) are reported to the app, not fatal.
    pub fn start(
        config: &Config,
        cache: Option<Store>,
        watchlist: &[Symbol],
        selected: &Symbol,
        interval: Interval,
        app: &mpsc::UnboundedSender<Action>,
        pace: Option<Arc<FramePace>>,
    ) -> anyhow::Result<(Self, Box<dyn MarketSource>)> {
        let (venue, source): (Venue, Box<dyn MarketSource>) = match config.general.market {
            VenueId::Alpaca => start_alpaca(config, watchlist, app),
            _ => {
                let options = FeedOptions {
                    pace,
                    ..feed_options(config)
                };
                let (feed, rx) = BinanceFeed::start(binance_endpoints(config), options)?;
                (Venue::Binance(feed), Box::new(rx))
            }
        };
        let me = Self {
            venue,
            watchlist: watchlist.iter().cloned().collect(),
            selected: selected.clone(),
            interval,
            alerted: BTreeSet::new(),
            market: config.general.market,
            cache,
        };
        for s in me.watchlist.iter().chain([selected]) {
            me.refresh(s);
        }
        me.backfill(selected, interval, app);
        Ok((me, source))
    }

    /// What `symbol` is streamed for.
    fn topics(&self, symbol: &Symbol) -> Topics {
        if *symbol == self.selected {
            return Topics {
                trades: true,
                ticker: true,
                book: true,
                klines: [self.interval].into(),
            };
        }
        let alerted = self.alerted.contains(symbol);
        Topics {
            trades: alerted,
            ticker: alerted || self.watchlist.contains(symbol),
            ..Topics::default()
        }
    }

    /// Brings one symbol's subscription in line with its roles.
    fn refresh(&self, symbol: &Symbol) {
        let topics = self.topics(symbol);
        match &self.venue {
            Venue::Binance(feed) if topics.is_empty() => feed.unwatch(symbol),
            Venue::Binance(feed) => feed.watch(symbol.clone(), topics),
            Venue::Alpaca(Some((data, _))) if !topics.is_empty() => {
                data.subscribe(std::slice::from_ref(symbol), AlpacaChannels::default());
            }
            Venue::Alpaca(_) => {}
        }
    }

    /// Cached candles first (the chart draws at once), then the venue's history.
    fn backfill(&self, symbol: &Symbol, interval: Interval, app: &mpsc::UnboundedSender<Action>) {
        if let Some(store) = &self.cache {
            match store.candles(self.market, symbol, interval, None, usize::from(BACKFILL)) {
                Ok(candles) if !candles.is_empty() => {
                    let ev = MarketEvent::History {
                        symbol: symbol.clone(),
                        interval,
                        candles,
                    };
                    let _ = app.send(Action::Market(ev));
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(%symbol, error = %e, "reading cached candles"),
            }
        }
        match &self.venue {
            Venue::Binance(feed) => feed.backfill(symbol.clone(), interval, BACKFILL),
            Venue::Alpaca(Some((_, broker))) => {
                alpaca_backfill(broker.clone(), symbol.clone(), interval, app.clone());
            }
            Venue::Alpaca(None) => {}
        }
    }

    /// The selection moved to `next`.
    pub fn select(&mut self, next: &Symbol, app: &mpsc::UnboundedSender<Action>) {
        let prev = std::mem::replace(&mut self.selected, next.clone());
        self.refresh(&prev);
        self.refresh(next);
        self.backfill(next, self.interval, app);
    }

    /// The chart of the selected symbol switched to `interval`.
    pub fn chart(&mut self, interval: Interval, app: &mpsc::UnboundedSender<Action>) {
        self.interval = interval;
        let selected = self.selected.clone();
        self.refresh(&selected);
        self.backfill(&selected, interval, app);
    }

    /// The shown list changed: stream tickers for these symbols.
    pub fn set_watchlist(&mut self, symbols: Vec<Symbol>) {
        let new: BTreeSet<Symbol> = symbols.into_iter().collect();
        let old = std::mem::replace(&mut self.watchlist, new);
        let changed: Vec<Symbol> = old.symmetric_difference(&self.watchlist).cloned().collect();
        for s in &changed {
            self.refresh(s);
        }
    }

    /// Screens every symbol of the venue (24 h tickers over REST) and sends the ones that
    /// pass, best volume first.
    pub fn screen(&self, filter: Filter, app: &mpsc::UnboundedSender<Action>) {
        let Venue::Binance(feed) = &self.venue else {
            let _ = app.send(Action::Notice(
                Level::Warn,
                "screening needs Binance market data".into(),
            ));
            return;
        };
        let rest = feed.rest().clone();
        let app = app.clone();
        tokio::spawn(async move {
            match rest.tickers_24h(&[]).await {
                Ok(all) => {
                    let mut hits: Vec<_> = all
                        .into_iter()
                        .filter(|t| filter.matches(&Row::from(t)))
                        .collect();
                    hits.sort_by_key(|t| std::cmp::Reverse(t.quote_volume));
                    hits.truncate(SCREEN_MAX);
                    let _ = app.send(Action::ScreenResults(filter.to_string(), hits));
                }
                Err(e) => {
                    let _ = app.send(Action::Notice(Level::Error, format!("screen: {e}")));
                }
            }
        });
    }

    /// Every instrument of the venue, for the search (Binance `exchangeInfo`, Alpaca assets).
    pub fn index_instruments(&self, app: &mpsc::UnboundedSender<Action>) {
        let app = app.clone();
        let list = match &self.venue {
            Venue::Binance(feed) => {
                let rest = feed.rest().clone();
                tokio::spawn(async move {
                    rest.exchange_info(&[])
                        .await
                        .map(|i| i.instruments)
                        .map_err(|e| e.to_string())
                })
            }
            Venue::Alpaca(Some((_, broker))) => {
                let broker = broker.clone();
                tokio::spawn(async move { broker.instruments().await.map_err(|e| e.to_string()) })
            }
            Venue::Alpaca(None) => return,
        };
        tokio::spawn(async move {
            match list.await {
                Ok(Ok(list)) => {
                    let entries = list.iter().map(Entry::from).collect();
                    let _ = app.send(Action::SymbolIndex(Arc::new(SymbolIndex::new(entries))));
                }
                Ok(Err(e)) => tracing::warn!("instrument list for the search: {e}"),
                Err(e) => tracing::warn!("instrument list task: {e}"),
            }
        });
    }

    /// The symbols that have alerts (their every trade is needed).
    pub fn set_alerted(&mut self, symbols: Vec<Symbol>) {
        let new: BTreeSet<Symbol> = symbols.into_iter().collect();
        let old = std::mem::replace(&mut self.alerted, new);
        let changed: Vec<Symbol> = old.symmetric_difference(&self.alerted).cloned().collect();
        for s in &changed {
            self.refresh(s);
        }
    }

    /// The feed's raw counters for the metrics endpoint.
    pub fn stats(&self) -> Option<FeedStatsSnapshot> {
        match &self.venue {
            Venue::Binance(feed) => Some(feed.stats()),
            Venue::Alpaca(_) => None,
        }
    }

    /// The feed's counters for the status bar (Binance reports its own).
    pub fn report(&self) -> Option<FeedReport> {
        match &self.venue {
            Venue::Binance(feed) => {
                let s = feed.stats();
                Some(FeedReport {
                    msgs_per_s: u32::try_from(s.messages_per_sec).unwrap_or(u32::MAX),
                    latency_ms: s.latency_ms,
                    reconnects: s.reconnects,
                    resyncs: s.resyncs,
                })
            }
            Venue::Alpaca(_) => None,
        }
    }
}

/// Alpaca's stream for the watchlist; without keys the panes say how to add them.
fn start_alpaca(
    config: &Config,
    watchlist: &[Symbol],
    app: &mpsc::UnboundedSender<Action>,
) -> (Venue, Box<dyn MarketSource>) {
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
            (Venue::Alpaca(Some((feed, broker))), Box::new(rx))
        }
        Err(e) => {
            let message = e.to_string();
            let down = MarketEvent::Connection {
                venue: VenueId::Alpaca,
                state: ConnState::Down(message.clone()),
            };
            let _ = app.send(Action::Market(down));
            let _ = app.send(Action::Notice(Level::Warn, message));
            (Venue::Alpaca(None), Box::new(rx))
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
