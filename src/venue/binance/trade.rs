//! Binance signed REST client, named after the endpoints: order place / query / cancel, open
//! orders, cancel-all, account, myTrades, server time; errors classified in `trade_error`.

use super::sign::{HmacSigner, RestParams, ServerClock};
use super::trade_error::{
    CallKind, Classified, classify, classify_transport, error_chain, snippet,
};
use super::trade_wire::{BinanceAccount, BinanceMyTrade, BinanceOrder, BinanceServerTime};
use crate::domain::{ClientOrderId, Symbol, TimeMs};
use crate::secrets::Credentials;
use crate::venue::BrokerError;
use bytes::Bytes;
use reqwest::header::{CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use std::time::Duration;

/// Header carrying the API key.
pub const API_KEY_HEADER: &str = "X-MBX-APIKEY";

/// How to reach Binance's signed REST API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BinanceRestConfig {
    /// Base URL without a trailing slash: `https://api.binance.com`, the testnet, or the sim.
    pub rest_url: String,
    /// `recvWindow` sent with every signed request (at most 60 s).
    pub recv_window: Duration,
    /// Whole-request timeout; a timeout after sending means the outcome is unknown.
    pub request_timeout: Duration,
    /// Connect timeout; a connect failure means nothing was sent.
    pub connect_timeout: Duration,
}

impl BinanceRestConfig {
    /// Defaults (5 s recvWindow, 10 s request, 3 s connect) for `rest_url`.
    pub fn new(rest_url: impl Into<String>) -> Self {
        Self {
            rest_url: rest_url.into(),
            recv_window: Duration::from_millis(5000),
            request_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(3),
        }
    }
}

/// Why a Binance client could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BinanceSetupError {
    /// A setting is out of range.
    #[error("invalid Binance setting: {0}")]
    Config(String),
    /// The API key cannot be sent in an HTTP header.
    #[error("the Binance API key contains characters that are not allowed in an HTTP header")]
    BadApiKey,
    /// The HTTP client could not be created.
    #[error("cannot create the HTTP client: {0}")]
    Http(String),
}

/// Installs rustls's ring provider for the process; a second call is a no-op.
pub fn ensure_crypto_provider() {
    // `Err` only means a provider is already installed, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The raw signed REST client. Cheap to share behind an `Arc`; all methods take `&self`.
#[derive(Debug)]
pub struct BinanceTradeClient {
    http: reqwest::Client,
    base: String,
    api_key: HeaderValue,
    signer: HmacSigner,
    recv_window_ms: u64,
    clock: ServerClock,
}

impl BinanceTradeClient {
    /// Builds a client for `cfg` signing with `creds`; `clock` is shared with the user stream.
    pub fn new(
        cfg: &BinanceRestConfig,
        creds: &Credentials,
        clock: ServerClock,
    ) -> Result<Self, BinanceSetupError> {
        let recv_window_ms = u64::try_from(cfg.recv_window.as_millis()).unwrap_or(u64::MAX);
        if recv_window_ms == 0 || recv_window_ms > 60_000 {
            return Err(BinanceSetupError::Config(format!(
                "recv_window must be 1..=60000 ms, got {recv_window_ms}"
            )));
        }
        let mut api_key =
            HeaderValue::from_str(&creds.api_key).map_err(|_| BinanceSetupError::BadApiKey)?;
        api_key.set_sensitive(true);
        ensure_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(cfg.request_timeout)
            .connect_timeout(cfg.connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| BinanceSetupError::Http(e.without_url().to_string()))?;
        Ok(Self {
            http,
            base: cfg.rest_url.trim_end_matches('/').to_string(),
            api_key,
            signer: HmacSigner::new(&creds.api_secret),
            recv_window_ms,
            clock,
        })
    }

    /// The clock that stamps requests.
    pub fn clock(&self) -> &ServerClock {
        &self.clock
    }

    /// `POST /api/v3/order` with prepared order params (see `broker::new_order_params`).
    pub async fn post_order(&self, params: &RestParams) -> Result<BinanceOrder, BrokerError> {
        self.signed(Method::POST, "/api/v3/order", params, CallKind::Place)
            .await
    }

    /// `GET /api/v3/order?symbol=&origClientOrderId=`.
    pub async fn get_order(
        &self,
        symbol: &Symbol,
        id: &ClientOrderId,
    ) -> Result<BinanceOrder, BrokerError> {
        let mut p = RestParams::new();
        p.push("symbol", symbol).push("origClientOrderId", id);
        self.signed(Method::GET, "/api/v3/order", &p, CallKind::Query)
            .await
    }

    /// `DELETE /api/v3/order?symbol=&origClientOrderId=`.
    pub async fn delete_order(
        &self,
        symbol: &Symbol,
        id: &ClientOrderId,
    ) -> Result<BinanceOrder, BrokerError> {
        let mut p = RestParams::new();
        p.push("symbol", symbol).push("origClientOrderId", id);
        self.signed(Method::DELETE, "/api/v3/order", &p, CallKind::Cancel)
            .await
    }

    /// `GET /api/v3/openOrders`, for one symbol (weight 6) or all (weight 80).
    pub async fn get_open_orders(
        &self,
        symbol: Option<&Symbol>,
    ) -> Result<Vec<BinanceOrder>, BrokerError> {
        let mut p = RestParams::new();
        p.push_opt("symbol", symbol);
        self.signed(Method::GET, "/api/v3/openOrders", &p, CallKind::Other)
            .await
    }

    /// `DELETE /api/v3/openOrders?symbol=`: cancels every open order of a symbol. Order-list
    /// (OCO) entries in the reply are returned as raw JSON.
    pub async fn delete_open_orders(
        &self,
        symbol: &Symbol,
    ) -> Result<Vec<CancelAllItem>, BrokerError> {
        let mut p = RestParams::new();
        p.push("symbol", symbol);
        self.signed(Method::DELETE, "/api/v3/openOrders", &p, CallKind::Other)
            .await
    }

    /// `GET /api/v3/account?omitZeroBalances=true`.
    pub async fn get_account(&self) -> Result<BinanceAccount, BrokerError> {
        let mut p = RestParams::new();
        p.push("omitZeroBalances", "true");
        self.signed(Method::GET, "/api/v3/account", &p, CallKind::Other)
            .await
    }

    /// `GET /api/v3/myTrades?symbol=[&orderId=]`.
    pub async fn get_my_trades(
        &self,
        symbol: &Symbol,
        order_id: Option<i64>,
    ) -> Result<Vec<BinanceMyTrade>, BrokerError> {
        let mut p = RestParams::new();
        p.push("symbol", symbol).push_opt("orderId", order_id);
        self.signed(Method::GET, "/api/v3/myTrades", &p, CallKind::Other)
            .await
    }

    /// `GET /api/v3/time` (unsigned): the server's clock in ms.
    pub async fn get_time(&self) -> Result<TimeMs, BrokerError> {
        let url = format!("{}/api/v3/time", self.base);
        let what = "GET /api/v3/time";
        let resp = self.http.get(url).send().await;
        let resp = resp.map_err(|e| classify_transport(&e, what))?;
        let body: BinanceServerTime = self.read(resp, CallKind::Other, what).await?;
        Ok(body.server_time)
    }

    /// Measures the offset to the server clock and stores it in the shared clock.
    pub async fn sync_time(&self) -> Result<i64, BrokerError> {
        let sent = crate::domain::now_ms();
        let server = self.get_time().await?;
        let offset = self.clock.observe(server, sent, crate::domain::now_ms());
        tracing::info!(
            offset_ms = offset,
            "synchronised with the Binance server clock"
        );
        Ok(offset)
    }

    /// Sends a signed request and decodes the reply; on -1021 resyncs the clock and resends
    /// once (the venue refused the stale timestamp before the engine saw the request).
    async fn signed<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &'static str,
        params: &RestParams,
        kind: CallKind,
    ) -> Result<T, BrokerError> {
        let what = format!("{method} {path}");
        let mut resynced = false;
        loop {
            let resp = self.send_once(&method, path, params, &what).await?;
            match self.read_classified(resp, kind, &what).await? {
                Ok(value) => return Ok(value),
                Err(refused) if resynced => return Err(refused),
                Err(refused) => {
                    tracing::warn!(%what, "timestamp refused (-1021); resynchronising the clock");
                    if self.sync_time().await.is_err() {
                        return Err(refused);
                    }
                    resynced = true;
                }
            }
        }
    }

    /// Signs and sends one attempt (params in the body for POST, in the query otherwise).
    async fn send_once(
        &self,
        method: &Method,
        path: &str,
        params: &RestParams,
        what: &str,
    ) -> Result<reqwest::Response, BrokerError> {
        let mut p = params.clone();
        p.push("recvWindow", self.recv_window_ms)
            .push("timestamp", self.clock.now_ms());
        let signed = p.signed(&self.signer);
        let url = format!("{}{}", self.base, path);
        let req = if *method == Method::POST {
            self.http
                .post(url)
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(signed)
        } else {
            self.http.request(method.clone(), format!("{url}?{signed}"))
        };
        req.header(API_KEY_HEADER, self.api_key.clone())
            .send()
            .await
            .map_err(|e| classify_transport(&e, what))
    }

    /// Reads a reply; `Ok(Err(_))` is a -1021 the caller may retry.
    async fn read_classified<T: DeserializeOwned>(
        &self,
        resp: reqwest::Response,
        kind: CallKind,
        what: &str,
    ) -> Result<Result<T, BrokerError>, BrokerError> {
        let status = resp.status();
        let retry_after = header_str(&resp, RETRY_AFTER);
        log_weight(&resp);
        let body = read_body(resp, what).await?;
        match classify(status.as_u16(), retry_after.as_deref(), &body, kind) {
            Classified::Ok => decode(&body, what).map(Ok),
            Classified::BadTimestamp(e) => Ok(Err(e)),
            Classified::Err(e) => Err(e),
        }
    }

    /// Reads and decodes a reply that may not be retried.
    async fn read<T: DeserializeOwned>(
        &self,
        resp: reqwest::Response,
        kind: CallKind,
        what: &str,
    ) -> Result<T, BrokerError> {
        self.read_classified(resp, kind, what).await?
    }
}

/// One entry of the cancel-all reply: an order, or an order list kept as raw JSON.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(untagged)]
pub enum CancelAllItem {
    /// A cancelled order.
    Order(BinanceOrder),
    /// A cancelled order list (OCO / OTO), not interpreted.
    List(serde_json::Value),
}

fn header_str(resp: &reqwest::Response, name: reqwest::header::HeaderName) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn log_weight(resp: &reqwest::Response) {
    if let Some(w) = resp.headers().get("x-mbx-used-weight-1m") {
        tracing::debug!(used_weight_1m = ?w, status = %resp.status(), "binance reply");
    }
}

async fn read_body(resp: reqwest::Response, what: &str) -> Result<Bytes, BrokerError> {
    let status: StatusCode = resp.status();
    resp.bytes().await.map_err(|e| {
        BrokerError::Unknown(format!(
            "{what}: reply ({status}) cut off: {}",
            error_chain(&e)
        ))
    })
}

fn decode<T: DeserializeOwned>(body: &[u8], what: &str) -> Result<T, BrokerError> {
    serde_json::from_slice(body).map_err(|e| {
        BrokerError::Unknown(format!("{what}: unreadable reply ({e}): {}", snippet(body)))
    })
}
