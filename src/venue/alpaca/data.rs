//! The Alpaca market data stream v2 (`{data_ws_url}/{iex|sip|test}`): one task owns the socket,
//! authenticates, keeps the app's subscriptions (resent whole after every reconnect), and turns
//! trades, quotes and bars into [`MarketEvent`]s.
//!
//! Flow: connect → `[{"T":"success","msg":"connected"}]` → send `{"action":"auth",…}` →
//! `[{"T":"success","msg":"authenticated"}]` → send `subscribe` → data. Error codes become
//! [`MarketEvent::Notice`]s worded for the user; 402 (bad keys), 408, 409 (plan lacks the feed)
//! and 411 stop the feed with [`ConnState::Down`], everything else reconnects with backoff.
//! Quotes become one-level [`MarketEvent::Book`]s (conflated when the app is slow; `update_id` is
//! a per-feed counter), minute bars closed 1m candles, daily bars a [`MarketEvent::Ticker`]
//! (change % against today's open; Alpaca's stream has no previous close) plus a 1d candle.

use super::backoff::Backoff;
use super::data_options::{AlpacaChannels, AlpacaDataOptions};
use super::data_state::{BookOutbox, Closed, SideInference, SubCmd, Subscriptions};
use super::parse_stream::{AlpacaDataItem, describe_data_error, parse_data_frame};
use super::reconnect::{self, End, Session};
use super::wire_stream::AlpacaAuthMsg;
use super::ws::{self, BadFrames, Incoming, Ws};
use super::{AlpacaCredentials, AlpacaEndpoints, AlpacaSetupError, ensure_crypto_provider};
use crate::domain::{BookTop, Candle, Interval, Symbol, Ticker24h, Trade, VenueId, now_ms};
use crate::venue::{ConnState, MarketEvent};
use futures_util::{SinkExt, StreamExt};
use rust_decimal::Decimal;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::{Bytes, Message};

/// A running market data stream. Dropping it stops the task.
#[derive(Debug)]
pub struct AlpacaDataFeed {
    cmds: mpsc::UnboundedSender<SubCmd>,
    task: JoinHandle<()>,
}

impl AlpacaDataFeed {
    /// Starts the stream task (needs a Tokio runtime). Events go to `events`; trades, candles
    /// and notices wait for room, books are conflated. Fails without keys, with a message that
    /// says how to add them.
    pub fn spawn(
        endpoints: &AlpacaEndpoints,
        creds: Option<AlpacaCredentials>,
        options: AlpacaDataOptions,
        events: mpsc::Sender<MarketEvent>,
    ) -> Result<Self, AlpacaSetupError> {
        let creds = AlpacaCredentials::usable(creds).ok_or(AlpacaSetupError::MissingKeys {
            what: "market data",
        })?;
        creds.header_values()?;
        let base = ws::check_ws_url(&endpoints.data_ws_url)?;
        ensure_crypto_provider();
        let (cmds, rx) = mpsc::unbounded_channel();
        let task = DataTask {
            url: format!("{base}/{}", options.feed.as_str()),
            backoff: Backoff::new(options.reconnect_min, options.reconnect_max),
            creds,
            options,
            events,
            cmds: rx,
            subs: Subscriptions::default(),
            sides: SideInference::default(),
            outbox: BookOutbox::default(),
            bad: BadFrames::default(),
            quote_seq: 0,
            last_error: None,
        };
        Ok(Self {
            cmds,
            task: tokio::spawn(reconnect::run(task)),
        })
    }

    /// Adds symbols on the given channels (kept across reconnects).
    pub fn subscribe(&self, symbols: &[Symbol], channels: AlpacaChannels) {
        let _ = self
            .cmds
            .send(SubCmd::Subscribe(symbols.to_vec(), channels));
    }

    /// Removes symbols from the given channels.
    pub fn unsubscribe(&self, symbols: &[Symbol], channels: AlpacaChannels) {
        let _ = self
            .cmds
            .send(SubCmd::Unsubscribe(symbols.to_vec(), channels));
    }

    /// `false` once the task has stopped (fatal error, or the event receiver was dropped).
    pub fn is_running(&self) -> bool {
        !self.task.is_finished()
    }
}

impl Drop for AlpacaDataFeed {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What woke the session loop.
enum Wake {
    Socket(Incoming),
    Cmd(Option<SubCmd>),
    Ping,
    /// A conflated book was sent.
    Room,
}

struct DataTask {
    url: String,
    creds: AlpacaCredentials,
    options: AlpacaDataOptions,
    events: mpsc::Sender<MarketEvent>,
    cmds: mpsc::UnboundedReceiver<SubCmd>,
    subs: Subscriptions,
    sides: SideInference,
    outbox: BookOutbox,
    bad: BadFrames,
    backoff: Backoff,
    quote_seq: u64,
    last_error: Option<String>,
}

impl Session for DataTask {
    const NAME: &'static str = "market data";

    async fn conn(&self, state: ConnState) -> Result<(), Closed> {
        self.emit(MarketEvent::Connection {
            venue: VenueId::Alpaca,
            state,
        })
        .await
    }

    async fn session(&mut self) -> End {
        self.connect_and_stream().await
    }

    /// Waits out a backoff while still taking subscription changes.
    async fn pause(&mut self, delay: Duration) -> Result<(), Closed> {
        let until = Instant::now() + delay;
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(until) => return Ok(()),
                cmd = self.cmds.recv() => match cmd {
                    Some(cmd) => self.apply(&cmd),
                    None => return Err(Closed),
                },
            };
        }
    }

    fn backoff(&mut self) -> &mut Backoff {
        &mut self.backoff
    }

    fn lost_reason(&mut self, reason: String) -> String {
        self.last_error.take().unwrap_or(reason)
    }
}

impl DataTask {
    async fn emit(&self, event: MarketEvent) -> Result<(), Closed> {
        self.events.send(event).await.map_err(|_| Closed)
    }

    async fn notice(&self, message: String) -> Result<(), Closed> {
        self.emit(MarketEvent::Notice {
            venue: VenueId::Alpaca,
            message,
        })
        .await
    }

    /// Records a subscription change; returns what to send if connected.
    fn apply(&mut self, cmd: &SubCmd) -> Option<String> {
        let msg = self.subs.apply(cmd);
        if let SubCmd::Unsubscribe(symbols, _) = cmd {
            for s in symbols.iter().filter(|s| !self.subs.wants_ticks(s)) {
                self.sides.forget(s);
            }
        }
        msg
    }

    /// One connection from connect to loss.
    async fn connect_and_stream(&mut self) -> End {
        self.last_error = None;
        let mut ws = match ws::connect(&self.url, self.options.handshake_timeout).await {
            Ok(ws) => ws,
            Err(e) => return End::Lost(e),
        };
        if let Err(end) = self.handshake(&mut ws).await {
            return end;
        }
        self.backoff.reset();
        if let Err(end) = self.conn(ConnState::Live).await {
            return end.into();
        }
        self.stream(&mut ws).await
    }

    /// connected → auth → authenticated → subscribe.
    async fn handshake(&mut self, ws: &mut Ws) -> Result<(), End> {
        self.expect(ws, AlpacaDataItem::Connected).await?;
        let auth = AlpacaAuthMsg {
            action: "auth",
            key: self.creds.key_id(),
            secret: self.creds.secret(),
        };
        let auth = serde_json::to_string(&auth).map_err(|e| End::Fatal(e.to_string()))?;
        ws::send_text(ws, auth).await.map_err(End::Lost)?;
        self.expect(ws, AlpacaDataItem::Authenticated).await?;
        // Changes asked while connecting go out in the one full subscribe below.
        while let Ok(cmd) = self.cmds.try_recv() {
            self.apply(&cmd);
        }
        if let Some(sub) = self.subs.full() {
            ws::send_text(ws, sub).await.map_err(End::Lost)?;
        }
        Ok(())
    }

    /// Reads until `want` arrives; anything else is handled as usual.
    async fn expect(&mut self, ws: &mut Ws, want: AlpacaDataItem) -> Result<(), End> {
        let deadline = Instant::now() + self.options.handshake_timeout;
        loop {
            let bytes = ws::next_data(ws, deadline).await.map_err(End::Lost)?;
            if self.frame(&bytes, Some(&want)).await? {
                return Ok(());
            }
        }
    }

    /// Handles one frame; `true` if it contained `want`.
    async fn frame(&mut self, bytes: &[u8], want: Option<&AlpacaDataItem>) -> Result<bool, End> {
        let items = match parse_data_frame(bytes) {
            Ok(items) => items,
            Err(e) => {
                self.bad.record("frame", &e);
                return Ok(false);
            }
        };
        let mut found = false;
        for item in items {
            match item {
                Ok(item) if Some(&item) == want => found = true,
                Ok(item) => self.item(item).await?,
                Err(e) => self.bad.record("element", &e),
            }
        }
        Ok(found)
    }

    /// The data loop of a live connection.
    async fn stream(&mut self, ws: &mut Ws) -> End {
        let period = self.options.ping_interval.max(Duration::from_millis(10));
        let mut ping = tokio::time::interval_at(Instant::now() + period, period);
        let mut last_rx = Instant::now();
        loop {
            let wake = self.wait(ws, &mut ping).await;
            let step = match wake {
                Wake::Socket(Incoming::Data(b)) => {
                    last_rx = Instant::now();
                    self.frame(&b, None).await.map(|_| ())
                }
                Wake::Socket(Incoming::Control) => {
                    last_rx = Instant::now();
                    Ok(())
                }
                Wake::Socket(Incoming::Closed(why)) => Err(End::Lost(why)),
                Wake::Cmd(None) => Err(End::Shutdown),
                Wake::Cmd(Some(cmd)) => match self.apply(&cmd) {
                    Some(msg) => ws::send_text(ws, msg).await.map_err(End::Lost),
                    None => Ok(()),
                },
                Wake::Ping if last_rx.elapsed() > period * 3 => Err(End::Lost(format!(
                    "nothing from Alpaca for {:?}",
                    period * 3
                ))),
                Wake::Ping => ws
                    .send(Message::Ping(Bytes::new()))
                    .await
                    .map_err(|e| End::Lost(format!("ping failed: {e}"))),
                Wake::Room => Ok(()),
            };
            if let Err(end) = step {
                return end;
            }
        }
    }

    /// Waits for the socket, a command, the ping timer, or room for a conflated book (which it
    /// sends right away).
    async fn wait(&mut self, ws: &mut Ws, ping: &mut tokio::time::Interval) -> Wake {
        let pending = self.outbox.has_pending();
        tokio::select! {
            item = ws.next() => Wake::Socket(ws::incoming(item)),
            cmd = self.cmds.recv() => Wake::Cmd(cmd),
            _ = ping.tick() => Wake::Ping,
            _ = self.events.closed() => Wake::Cmd(None),
            permit = self.events.reserve(), if pending => match permit {
                Ok(p) => {
                    if let Some(ev) = self.outbox.pop() {
                        p.send(ev);
                    }
                    Wake::Room
                }
                Err(_) => Wake::Cmd(None),
            },
        }
    }

    /// Turns one parsed element into events.
    async fn item(&mut self, item: AlpacaDataItem) -> Result<(), End> {
        match item {
            AlpacaDataItem::Trade {
                symbol,
                id,
                price,
                qty,
                time,
            } => {
                let taker_side = self.sides.side(&symbol, price);
                let trade = Trade {
                    symbol,
                    id,
                    price,
                    qty,
                    taker_side,
                    time,
                };
                self.emit(MarketEvent::Trade(trade)).await?;
            }
            AlpacaDataItem::Quote {
                symbol, bid, ask, ..
            } => {
                self.sides
                    .on_quote(&symbol, bid.map(|l| l.price), ask.map(|l| l.price));
                self.quote_seq += 1;
                let top = BookTop {
                    update_id: self.quote_seq,
                    bids: bid.into_iter().collect(),
                    asks: ask.into_iter().collect(),
                    stale: false,
                };
                self.outbox.offer(&self.events, symbol, top)?;
            }
            AlpacaDataItem::Bar { symbol, candle } => {
                let interval = Interval::M1;
                self.emit(MarketEvent::Candle {
                    symbol,
                    interval,
                    candle,
                })
                .await?;
            }
            AlpacaDataItem::DailyBar { symbol, candle } => {
                self.emit(MarketEvent::Ticker(ticker(&symbol, &candle)))
                    .await?;
                let interval = Interval::D1;
                self.emit(MarketEvent::Candle {
                    symbol,
                    interval,
                    candle,
                })
                .await?;
            }
            AlpacaDataItem::Status { symbol, text } => {
                self.notice(format!("{symbol}: {text}")).await?;
            }
            AlpacaDataItem::Error { code, message } => return self.error(code, &message).await,
            AlpacaDataItem::Subscription {
                trades,
                quotes,
                bars,
                daily_bars,
            } => {
                tracing::debug!(?trades, ?quotes, ?bars, ?daily_bars, "alpaca subscription");
            }
            AlpacaDataItem::Connected | AlpacaDataItem::Authenticated => {}
            AlpacaDataItem::Ignored(kind) => tracing::trace!(%kind, "alpaca message ignored"),
        }
        Ok(())
    }

    /// An error message: tell the user; stop if retrying cannot help.
    async fn error(&mut self, code: i64, message: &str) -> Result<(), End> {
        let (text, retry) = describe_data_error(code, message);
        tracing::warn!(code, %message, "alpaca market data error");
        self.notice(text.clone()).await?;
        if !retry {
            return Err(End::Fatal(text));
        }
        // These come right before Alpaca closes the socket: they explain the coming drop.
        if matches!(code, 401 | 404 | 406 | 407) {
            self.last_error = Some(text);
        }
        Ok(())
    }
}

/// Day statistics from a daily bar. Change % is against today's open (the stream carries no
/// previous close), rounded to 2 decimals.
fn ticker(symbol: &Symbol, c: &Candle) -> Ticker24h {
    let open = c.open.to_decimal();
    let change_pct = if open.is_zero() {
        Decimal::ZERO
    } else {
        ((c.close.to_decimal() - open) * Decimal::ONE_HUNDRED / open).round_dp(2)
    };
    Ticker24h {
        symbol: symbol.clone(),
        last: c.close,
        open: c.open,
        high: c.high,
        low: c.low,
        volume: c.volume,
        quote_volume: c.quote_volume,
        change_pct,
        time: now_ms(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Price, Qty};

    #[test]
    fn daily_bars_give_the_change_against_the_open() {
        let p = |s| Price::parse(s).unwrap();
        let c = Candle {
            open_time: 0,
            open: p("388.985"),
            high: p("389.13"),
            low: p("388.975"),
            close: p("389.12"),
            volume: Qty::from_int(749_378),
            quote_volume: Decimal::ZERO,
            trades: 0,
            closed: false,
        };
        let t = ticker(&Symbol::new("SPY").unwrap(), &c);
        assert_eq!(t.change_pct.to_string(), "0.03");
        assert_eq!(t.last, p("389.12"));
    }
}
