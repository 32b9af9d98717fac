//! Building the Binance and Alpaca brokers from the config and the keyring, with their push
//! streams pumped into the order manager.

use crate::config::{Config, Mode};
use crate::domain::VenueId;
use crate::orders::OrderManager;
use crate::secrets::{Credentials, Profile, Secrets};
use crate::venue::Broker;
use crate::venue::alpaca::{
    AlpacaBroker, AlpacaCredentials, AlpacaEndpoints, AlpacaStreamOptions, AlpacaTradingStream,
};
use crate::venue::binance::broker::{BinanceBroker, BinanceBrokerConfig};
use anyhow::Context;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

type Keep = Vec<Box<dyn std::any::Any + Send>>;

/// A broker added to the manager, and the handles that keep its push stream running.
pub struct Added {
    /// The broker.
    pub broker: Arc<dyn Broker>,
    /// Stream handle and pump task.
    pub keep: Keep,
}

/// Where and as whom to trade on Binance (or anything speaking its protocol).
pub struct BinanceAccess {
    /// REST base URL.
    pub rest_url: String,
    /// WebSocket API URL (user data stream).
    pub ws_api_url: String,
    /// API key and secret.
    pub creds: Credentials,
    /// The journal's name for this account (`binance-live`, `sim`, ...).
    pub profile: String,
    /// recvWindow for signed requests.
    pub recv_window: Duration,
}

impl BinanceAccess {
    /// The configured endpoints with the live keys from the keyring (or the env override).
    pub fn from_config(c: &Config) -> anyhow::Result<Self> {
        let b = &c.venues.binance;
        let creds = resolve(VenueId::Binance, Profile::Live)?;
        let host = reqwest::Url::parse(&b.rest_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string));
        let profile = match host.as_deref() {
            Some("api.binance.com") => "binance-live".to_string(),
            Some(h) => format!("binance@{h}"),
            None => "binance".to_string(),
        };
        Ok(Self {
            rest_url: b.rest_url.clone(),
            ws_api_url: b.ws_api_url.clone(),
            creds,
            profile,
            recv_window: Duration::from_millis(u64::from(b.recv_window_ms)),
        })
    }
}

/// Keys from the keyring or the environment, with a message that says how to add them.
fn resolve(venue: VenueId, profile: Profile) -> anyhow::Result<Credentials> {
    Secrets::from_system()
        .resolve(venue, profile)
        .map(|r| r.creds)
        .with_context(|| format!("{venue} needs API keys for live trading"))
}

/// Adds the Binance broker and starts its user data stream.
pub fn add_binance(manager: &OrderManager, access: BinanceAccess) -> anyhow::Result<Added> {
    let mut cfg = BinanceBrokerConfig::new(&access.rest_url, &access.ws_api_url);
    cfg.rest.recv_window = access.recv_window;
    let broker =
        Arc::new(BinanceBroker::new(cfg, &access.creds).context("setting up the Binance broker")?);
    manager.add_broker(broker.clone(), &access.profile);
    let (tx, rx) = mpsc::channel(256);
    let stream = broker.start_user_stream(tx);
    let pump = manager.spawn_event_pump(VenueId::Binance, rx);
    Ok(Added {
        broker,
        keep: vec![Box::new(stream), Box::new(pump)],
    })
}

/// The configured Alpaca endpoints for the configured key profile.
pub fn alpaca_endpoints(c: &Config) -> AlpacaEndpoints {
    let a = &c.venues.alpaca;
    let trading = match a.profile {
        Mode::Paper => &a.paper_trading_url,
        Mode::Live => &a.live_trading_url,
    };
    let ws = trading
        .replacen("https://", "wss://", 1)
        .replacen("http://", "ws://", 1);
    AlpacaEndpoints {
        trading_url: trading.clone(),
        data_ws_url: a.data_ws_url.clone(),
        trading_ws_url: format!("{}/stream", ws.trim_end_matches('/')),
        data_rest_url: a.data_rest_url.clone(),
    }
}

/// Alpaca keys for the configured profile.
pub fn alpaca_credentials(c: &Config) -> anyhow::Result<AlpacaCredentials> {
    let profile = match c.venues.alpaca.profile {
        Mode::Paper => Profile::Paper,
        Mode::Live => Profile::Live,
    };
    let creds = resolve(VenueId::Alpaca, profile)?;
    Ok(AlpacaCredentials::new(creds.api_key, creds.api_secret))
}

/// Adds the Alpaca broker and starts its `trade_updates` stream.
pub fn add_alpaca(manager: &OrderManager, c: &Config) -> anyhow::Result<Added> {
    let endpoints = alpaca_endpoints(c);
    let creds = alpaca_credentials(c)?;
    let broker = AlpacaBroker::new(&endpoints, Some(creds.clone()))
        .context("setting up the Alpaca broker")?;
    let profile = match c.venues.alpaca.profile {
        Mode::Paper => "alpaca-paper",
        Mode::Live => "alpaca-live",
    };
    let broker: Arc<dyn Broker> = Arc::new(broker);
    manager.add_broker(broker.clone(), profile);
    let (tx, rx) = mpsc::channel(256);
    let stream =
        AlpacaTradingStream::spawn(&endpoints, Some(creds), AlpacaStreamOptions::default(), tx)
            .context("starting Alpaca's trade_updates stream")?;
    let pump = manager.spawn_event_pump(VenueId::Alpaca, rx);
    Ok(Added {
        broker,
        keep: vec![Box::new(stream), Box::new(pump)],
    })
}
