//! The `Broker` implementation for Binance Spot, named by intent (submit / cancel / query /
//! open orders / account), wrapping the endpoint-named REST client and starting the user stream.

use super::sign::{HmacSigner, RestParams, ServerClock};
use super::trade::{BinanceRestConfig, BinanceSetupError, BinanceTradeClient, CancelAllItem};
use super::trade_wire::BinanceOrder;
use super::user::{UserStreamConfig, UserStreamHandle, spawn_user_stream};
use crate::domain::{
    ClientOrderId, Fill, OrderAmount, OrderRequest, OrderType, Side, Symbol, TimeInForce, VenueId,
};
use crate::secrets::Credentials;
use crate::venue::{AccountSnapshot, Broker, BrokerError, BrokerEvent, OrderUpdate};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use std::sync::Arc;
use tokio::sync::mpsc;

/// How much the new-order reply says (`newOrderRespType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BinanceRespType {
    /// Status and cumulative quantities.
    Result,
    /// `Result` plus every fill that happened on arrival.
    #[default]
    Full,
}

impl BinanceRespType {
    fn as_str(self) -> &'static str {
        match self {
            BinanceRespType::Result => "RESULT",
            BinanceRespType::Full => "FULL",
        }
    }
}

/// Everything needed to trade on Binance (or the testnet, or the simulator).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BinanceBrokerConfig {
    /// Signed REST settings (base URL, recvWindow, timeouts).
    pub rest: BinanceRestConfig,
    /// WebSocket API URL for the user data stream, e.g. `wss://ws-api.binance.com:443/ws-api/v3`.
    pub ws_api_url: String,
    /// Reply detail for new orders.
    pub resp_type: BinanceRespType,
}

impl BinanceBrokerConfig {
    /// Defaults for the two URLs.
    pub fn new(rest_url: impl Into<String>, ws_api_url: impl Into<String>) -> Self {
        Self {
            rest: BinanceRestConfig::new(rest_url),
            ws_api_url: ws_api_url.into(),
            resp_type: BinanceRespType::default(),
        }
    }
}

/// Binance Spot as a [`Broker`]. `Debug` shows the URLs, never the key or the secret.
#[derive(Clone)]
pub struct BinanceBroker {
    client: Arc<BinanceTradeClient>,
    config: BinanceBrokerConfig,
    api_key: Arc<str>,
    signer: HmacSigner,
}

impl std::fmt::Debug for BinanceBroker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BinanceBroker")
            .field("rest_url", &self.config.rest.rest_url)
            .field("ws_api_url", &self.config.ws_api_url)
            .field("api_key", &"***")
            .finish_non_exhaustive()
    }
}

impl BinanceBroker {
    /// Builds the broker; nothing is sent until the first call.
    pub fn new(
        config: BinanceBrokerConfig,
        creds: &Credentials,
    ) -> Result<Self, BinanceSetupError> {
        let client = BinanceTradeClient::new(&config.rest, creds, ServerClock::new())?;
        Ok(Self {
            client: Arc::new(client),
            config,
            api_key: Arc::from(creds.api_key.as_str()),
            signer: HmacSigner::new(&creds.api_secret),
        })
    }

    /// The endpoint-named REST client underneath.
    pub fn client(&self) -> &BinanceTradeClient {
        &self.client
    }

    /// Starts the user data stream task: order updates, balances and connection changes go to
    /// `events` until the handle is dropped or the receiver closes.
    pub fn start_user_stream(&self, events: mpsc::Sender<BrokerEvent>) -> UserStreamHandle {
        let cfg = UserStreamConfig::new(self.config.ws_api_url.clone());
        self.start_user_stream_with(cfg, events)
    }

    /// [`Self::start_user_stream`] with explicit stream settings (backoff, staleness).
    pub fn start_user_stream_with(
        &self,
        cfg: UserStreamConfig,
        events: mpsc::Sender<BrokerEvent>,
    ) -> UserStreamHandle {
        let clock = self.client.clock().clone();
        spawn_user_stream(
            cfg,
            self.api_key.clone(),
            self.signer.clone(),
            clock,
            events,
        )
    }

    /// Sends a new order and returns the reply with *every* fill it carried (FULL replies).
    pub async fn submit_with_fills(
        &self,
        req: &OrderRequest,
    ) -> Result<(OrderUpdate, Vec<Fill>), BrokerError> {
        let params = new_order_params(req, self.config.resp_type)?;
        let reply = self.client.post_order(&params).await?;
        let (update, fills) = to_update(&reply, Some(req.side))?;
        if update.client_order_id != req.client_order_id {
            tracing::warn!(
                sent = %req.client_order_id,
                got = %update.client_order_id,
                "Binance answered a new order with another client order id"
            );
        }
        Ok((update, fills))
    }

    /// Cancels every open order of `symbol`; returns the cancelled orders (order lists skipped).
    pub async fn cancel_all(&self, symbol: &Symbol) -> Result<Vec<OrderUpdate>, BrokerError> {
        let items = self.client.delete_open_orders(symbol).await?;
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            match item {
                CancelAllItem::Order(o) => out.push(to_update(&o, None)?.0),
                CancelAllItem::List(_) => tracing::info!(%symbol, "cancelled an order list"),
            }
        }
        Ok(out)
    }

    /// Every fill of one order (query for the venue id, then `myTrades`), for reconciliation.
    pub async fn order_fills(
        &self,
        symbol: &Symbol,
        id: &ClientOrderId,
    ) -> Result<Vec<Fill>, BrokerError> {
        let order = self.client.get_order(symbol, id).await?;
        let trades = self
            .client
            .get_my_trades(symbol, Some(order.order_id))
            .await?;
        trades
            .iter()
            .map(|t| {
                t.to_fill(id)
                    .map_err(|e| BrokerError::Unknown(e.to_string()))
            })
            .collect()
    }
}

/// Reply → update; a reply we cannot read leaves the order's state unknown.
fn to_update(
    o: &BinanceOrder,
    side: Option<Side>,
) -> Result<(OrderUpdate, Vec<Fill>), BrokerError> {
    o.to_update(side)
        .map_err(|e| BrokerError::Unknown(e.to_string()))
}

/// The `POST /api/v3/order` params for a request, or a local rejection for what Binance has no
/// way to express (DAY orders, quote amounts on limit orders, missing prices).
pub fn new_order_params(
    req: &OrderRequest,
    resp: BinanceRespType,
) -> Result<RestParams, BrokerError> {
    let reject = |message: &str| BrokerError::Rejected {
        code: None,
        message: message.into(),
    };
    let mut p = RestParams::new();
    p.push("symbol", &req.symbol).push(
        "side",
        match req.side {
            Side::Buy => "BUY",
            Side::Sell => "SELL",
        },
    );
    let wire_type = match req.order_type {
        OrderType::Market => "MARKET",
        OrderType::Limit => "LIMIT",
        OrderType::StopLimit => "STOP_LOSS_LIMIT",
        OrderType::PostOnly => "LIMIT_MAKER",
    };
    p.push("type", wire_type);
    if matches!(req.order_type, OrderType::Limit | OrderType::StopLimit) {
        let tif = match req.tif {
            TimeInForce::Gtc => "GTC",
            TimeInForce::Ioc => "IOC",
            TimeInForce::Fok => "FOK",
            TimeInForce::Day => {
                return Err(reject("Binance has no DAY orders: use GTC, IOC or FOK"));
            }
        };
        p.push("timeInForce", tif);
    }
    match (req.order_type, req.amount) {
        (_, OrderAmount::Base(q)) => p.push("quantity", q),
        (OrderType::Market, OrderAmount::Quote(q)) => p.push("quoteOrderQty", q),
        (_, OrderAmount::Quote(_)) => {
            return Err(reject("only market orders can be sized in the quote asset"));
        }
    };
    if req.order_type.needs_price() {
        let price = req
            .price
            .ok_or_else(|| reject("this order type needs a limit price"))?;
        p.push("price", price);
    }
    if req.order_type.needs_stop() {
        let stop = req
            .stop_price
            .ok_or_else(|| reject("a stop-limit order needs a stop price"))?;
        p.push("stopPrice", stop);
    }
    p.push("newClientOrderId", &req.client_order_id)
        .push("newOrderRespType", resp.as_str());
    Ok(p)
}

impl Broker for BinanceBroker {
    fn venue(&self) -> VenueId {
        VenueId::Binance
    }

    /// Sends the order. `fill` carries the reply's fill when there was exactly one; with more,
    /// use [`BinanceBroker::submit_with_fills`] or take them from the user stream (one
    /// executionReport per trade).
    fn submit<'a>(
        &'a self,
        req: &'a OrderRequest,
    ) -> BoxFuture<'a, Result<OrderUpdate, BrokerError>> {
        async move {
            let (mut update, mut fills) = self.submit_with_fills(req).await?;
            if fills.len() == 1 {
                update.fill = fills.pop();
            }
            Ok(update)
        }
        .boxed()
    }

    fn cancel<'a>(
        &'a self,
        symbol: &'a Symbol,
        id: &'a ClientOrderId,
    ) -> BoxFuture<'a, Result<OrderUpdate, BrokerError>> {
        async move {
            let reply = self.client.delete_order(symbol, id).await?;
            Ok(to_update(&reply, None)?.0)
        }
        .boxed()
    }

    fn query<'a>(
        &'a self,
        symbol: &'a Symbol,
        id: &'a ClientOrderId,
    ) -> BoxFuture<'a, Result<OrderUpdate, BrokerError>> {
        async move {
            let reply = self.client.get_order(symbol, id).await?;
            Ok(to_update(&reply, None)?.0)
        }
        .boxed()
    }

    fn open_orders<'a>(
        &'a self,
        symbol: Option<&'a Symbol>,
    ) -> BoxFuture<'a, Result<Vec<OrderUpdate>, BrokerError>> {
        async move {
            let orders = self.client.get_open_orders(symbol).await?;
            let mut out = Vec::with_capacity(orders.len());
            for o in &orders {
                // An order placed elsewhere may carry an id this client would never generate.
                match o.to_update(None) {
                    Ok((u, _)) => out.push(u),
                    Err(e) => tracing::warn!(order_id = o.order_id, "skipping open order: {e}"),
                }
            }
            Ok(out)
        }
        .boxed()
    }

    fn account(&self) -> BoxFuture<'_, Result<AccountSnapshot, BrokerError>> {
        async move { Ok(self.client.get_account().await?.to_snapshot()) }.boxed()
    }

    fn fills<'a>(
        &'a self,
        symbol: &'a Symbol,
        id: &'a ClientOrderId,
    ) -> BoxFuture<'a, Result<Vec<Fill>, BrokerError>> {
        self.order_fills(symbol, id).boxed()
    }
}
