//! The trading session behind the UI and the headless commands: the store, the order
//! manager, the brokers (paper always; Binance or Alpaca when configured) with their push
//! streams, and the effects layer that runs `update`'s order commands.

pub mod alerts;
mod brokers;
pub mod lists;
pub mod live;
pub mod market;
pub mod metrics;
pub mod portfolio;

pub use brokers::BinanceAccess;

use crate::app::{Action, Command, Level};
use crate::config::{Config, Mode, Paths};
use crate::domain::VenueId;
use crate::orders::{ManagerOptions, OrderEvent, OrderManager};
use crate::store::Store;
use crate::venue::paper::{PaperBroker, PaperConfig};
use crate::venue::{Broker, MarketEvent};
use anyhow::Context;
use std::sync::Arc;
use tokio::sync::mpsc;

/// An open trading session. Dropping it stops the brokers' push streams.
pub struct Session {
    /// The order manager (journal, brokers, reconciliation).
    pub manager: OrderManager,
    /// The in-process paper broker (always present).
    pub paper: Arc<PaperBroker>,
    /// Where orders from the ticket go.
    pub broker: VenueId,
    /// That broker, for balances and positions.
    pub account: Arc<dyn Broker>,
    /// The market venue (recorded trades are filed under it).
    market: VenueId,
    /// Symbols whose trades are recorded.
    recording: std::sync::Mutex<Option<std::collections::HashSet<crate::domain::Symbol>>>,
    /// Push-stream tasks and handles kept alive for the session (in a mutex only so that a
    /// shared session is `Sync`; nothing locks it).
    _keep: std::sync::Mutex<Vec<Box<dyn std::any::Any + Send>>>,
}

impl Session {
    /// Opens the store and the manager, adds the paper broker, the broker `broker` names (for
    /// Binance: `binance`, e.g. the demo simulator, or the configured account), and starts
    /// their push streams.
    pub async fn open(
        config: &Config,
        paths: &Paths,
        broker: VenueId,
        binance: Option<BinanceAccess>,
    ) -> anyhow::Result<Self> {
        let store_opts = crate::store::StoreOptions {
            durable_journal: config.storage.durable_journal,
            ..Default::default()
        };
        let store = Store::open_with(paths.db_file(), store_opts)
            .with_context(|| format!("opening the history file {}", paths.db_file().display()))?;
        let opts = ManagerOptions {
            max_order_notional: Some(config.trading.max_notional),
            ..Default::default()
        };
        let manager = OrderManager::new(store, opts).context("loading the order journal")?;
        let (paper, paper_events) = PaperBroker::new(paper_config(config));
        let paper = Arc::new(paper);
        manager.add_broker(paper.clone(), "paper");
        let mut keep: Vec<Box<dyn std::any::Any + Send>> = vec![Box::new(
            manager.spawn_event_pump(VenueId::Paper, paper_events),
        )];
        let binance = match binance {
            Some(access) => Some(access),
            None if broker == VenueId::Binance => Some(BinanceAccess::from_config(config)?),
            None => None,
        };
        let mut account: Arc<dyn Broker> = paper.clone();
        let mut add = |added: brokers::Added| {
            if added.broker.venue() == broker {
                account = added.broker;
            }
            keep.extend(added.keep);
        };
        if let Some(access) = binance {
            add(brokers::add_binance(&manager, access)?);
        }
        if broker == VenueId::Alpaca {
            add(brokers::add_alpaca(&manager, config)?);
        }
        Ok(Self {
            manager,
            paper,
            broker,
            account,
            market: config.general.market,
            recording: std::sync::Mutex::new(None),
            _keep: std::sync::Mutex::new(keep),
        })
    }

    /// Brings every open journaled order up to date with its venue (start-up rule).
    pub async fn reconcile(&self) {
        let report = self.manager.reconcile().await;
        tracing::info!(?report, "start-up reconciliation");
    }

    /// Forwards order changes to the app as actions until the app goes away.
    pub fn forward_events(&self, tx: mpsc::UnboundedSender<Action>) -> tokio::task::JoinHandle<()> {
        let mut rx = self.manager.subscribe();
        tokio::spawn(async move {
            while let Some(ev) = rx.recv().await {
                if let Some(action) = to_action(ev)
                    && tx.send(action).is_err()
                {
                    return;
                }
            }
        })
    }

    /// Records the trades of these symbols into the history file from now on (`None` stops).
    pub fn record(&self, symbols: Option<Vec<crate::domain::Symbol>>) {
        if let Ok(mut r) = self.recording.lock() {
            *r = symbols.map(|s| s.into_iter().collect());
        }
    }

    /// Feeds market data to the paper broker (it fills against the live book) and the tape
    /// recorder.
    pub fn on_market(&self, ev: &MarketEvent) {
        match ev {
            MarketEvent::Trade(t) => {
                self.paper.on_trade(t);
                let recording = self
                    .recording
                    .lock()
                    .is_ok_and(|r| r.as_ref().is_some_and(|s| s.contains(&t.symbol)));
                if recording {
                    self.manager
                        .store()
                        .record_trades(self.market, vec![t.clone()]);
                }
            }
            MarketEvent::Book { symbol, top } if !top.stale => self.paper.on_book(symbol, top),
            // The chart cache: history and closed candles go to the file (batched, no wait).
            MarketEvent::History {
                symbol,
                interval,
                candles,
            } => {
                self.manager.store().save_candles(
                    self.market,
                    symbol.clone(),
                    *interval,
                    candles.clone(),
                );
            }
            MarketEvent::Candle {
                symbol,
                interval,
                candle,
            } if candle.closed => {
                self.manager.store().save_candles(
                    self.market,
                    symbol.clone(),
                    *interval,
                    vec![candle.clone()],
                );
            }
            _ => {}
        }
    }

    /// Runs an order command in the background; failures come back as notices.
    pub fn perform(&self, cmd: Command, tx: mpsc::UnboundedSender<Action>) {
        let manager = self.manager.clone();
        tokio::spawn(async move {
            let result: Result<(), String> = match cmd {
                Command::PlaceOrder(draft) => manager
                    .place(&draft)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string()),
                Command::CancelOrder { id, .. } => manager
                    .cancel(&id)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string()),
                Command::CancelAll { venue, symbol } => {
                    let failed: Vec<String> = manager
                        .cancel_all(venue, &symbol)
                        .await
                        .into_iter()
                        .filter_map(|(id, r)| r.err().map(|e| format!("{id}: {e}")))
                        .collect();
                    if failed.is_empty() {
                        Ok(())
                    } else {
                        Err(failed.join("; "))
                    }
                }
                _ => Ok(()),
            };
            if let Err(e) = result {
                let _ = tx.send(Action::Notice(Level::Error, e.to_string()));
            }
        });
    }
}

/// Where the ticket's orders go for a config: the paper broker unless `mode = "live"`.
pub fn configured_broker(c: &Config) -> VenueId {
    match c.general.mode {
        Mode::Paper => VenueId::Paper,
        Mode::Live => c.general.broker,
    }
}

/// The paper broker's account from the config.
fn paper_config(c: &Config) -> PaperConfig {
    PaperConfig {
        balances: vec![(c.paper.quote_asset.clone(), c.paper.starting_cash)],
        maker_fee: c.paper.maker_fee,
        taker_fee: c.paper.taker_fee,
    }
}

/// The app's view of an order event.
fn to_action(ev: OrderEvent) -> Option<Action> {
    Some(match ev {
        OrderEvent::Order(o) => Action::Order(Box::new(o)),
        OrderEvent::Fill(f) => Action::Fill(f),
        OrderEvent::Retrying {
            client_order_id,
            retry_in,
            reason,
        } => Action::Notice(
            Level::Warn,
            format!(
                "order {client_order_id}: {reason}; retrying in {}s",
                retry_in.as_secs().max(1)
            ),
        ),
        OrderEvent::Notice { message, .. } => Action::Notice(Level::Warn, message),
        OrderEvent::Connection { venue, state } => Action::Notice(
            Level::Info,
            format!("{venue} orders: {}", crate::app::market::describe(&state)),
        ),
        OrderEvent::Balances { .. } => return None,
    })
}
