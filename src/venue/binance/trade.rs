//! Binance signed REST client, named after the endpoints: order place / query / cancel, open
//! orders, cancel-all, account, myTrades, server time; with the error classes of protocols §1.7.

use super::sign::{HmacSigner, RestParams, ServerClock};
use super::trade_wire::{
    BinanceAccount, BinanceErrorBody, BinanceMyTrade, BinanceOrder, BinanceServerTime,
};
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
/// Wait assumed when a 429 has no `Retry-After` header.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(1);
/// Wait assumed when a 418 has no `Retry-After` header (the shortest documented ban).
const DEFAULT_BAN: Duration = Duration::from_secs(120);

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

/// Which call a reply belongs to: `-2013` means [`BrokerError::NotFound`] only for a query or
/// a cancel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    /// `POST /api/v3/order`.
    Place,
    /// `GET /api/v3/order`.
    Query,
    /// `DELETE /api/v3/order`.
    Cancel,
    /// Anything else.
    Other,
}

/// What a reply means for the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Classified {
    /// 2xx: read the body.
    Ok,
    /// -1021: the timestamp was refused before the engine saw it; resync and resend.
    BadTimestamp(BrokerError),
    /// Any other failure.
    Err(BrokerError),
}

/// Classifies an HTTP reply per protocols.md §1.7.
pub fn classify(status: u16, retry_after: Option<&str>, body: &[u8], kind: CallKind) -> Classified {
    let parsed: Option<BinanceErrorBody> = serde_json::from_slice(body).ok();
    let code = parsed.as_ref().map(|b| b.code);
    let message = match &parsed {
        Some(b) => b.msg.clone(),
        None => format!("HTTP {status}: {}", snippet(body)),
    };
    if (200..300).contains(&status) {
        return Classified::Ok;
    }
    if code == Some(-1007) || status >= 500 {
        let detail = match code {
            Some(c) => format!("HTTP {status}, code {c}: {message}"),
            None => message,
        };
        return Classified::Err(BrokerError::Unknown(detail));
    }
    if status == 429 || status == 418 {
        let banned = status == 418;
        let default = if banned {
            DEFAULT_BAN
        } else {
            DEFAULT_RETRY_AFTER
        };
        let retry_after = retry_after
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map_or(default, Duration::from_secs);
        return Classified::Err(BrokerError::RateLimited {
            retry_after,
            banned,
        });
    }
    match code {
        Some(-2014 | -2015 | -1022) => return Classified::Err(BrokerError::Auth(message)),
        Some(-2013) if matches!(kind, CallKind::Query | CallKind::Cancel) => {
            return Classified::Err(BrokerError::NotFound);
        }
        Some(-1021) => {
            return Classified::BadTimestamp(BrokerError::Rejected { code, message });
        }
        _ => {}
    }
    if status == 401 {
        return Classified::Err(BrokerError::Auth(message));
    }
    if (400..500).contains(&status) {
        return Classified::Err(BrokerError::Rejected { code, message });
    }
    // 1xx / 3xx: not a documented answer; assume the worst for the order.
    Classified::Err(BrokerError::Unknown(format!(
        "unexpected HTTP {status}: {message}"
    )))
}

/// At most 200 characters of a body, for error messages.
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut s: String = text.chars().take(200).collect();
    if text.chars().count() > 200 {
        s.push('…');
    }
    s
}

/// Classifies a transport failure: nothing was written when the connection never opened;
/// anything later (timeout, reset, truncated reply) leaves the outcome unknown.
pub fn classify_transport(e: &reqwest::Error, what: &str) -> BrokerError {
    let detail = error_chain(e);
    if e.is_connect() || e.is_builder() {
        BrokerError::NotSent(format!("{what}: {detail}"))
    } else if e.is_timeout() {
        BrokerError::Unknown(format!("{what}: timed out waiting for the reply"))
    } else {
        BrokerError::Unknown(format!("{what}: {detail}"))
    }
}

fn error_chain(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut out = String::from("request failed");
    let mut src = e.source();
    while let Some(s) = src {
        out.push_str(": ");
        out.push_str(&s.to_string());
        src = s.source();
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    fn err(status: u16, ra: Option<&str>, body: &str, kind: CallKind) -> BrokerError {
        match classify(status, ra, body.as_bytes(), kind) {
            Classified::Err(e) | Classified::BadTimestamp(e) => e,
            Classified::Ok => panic!("expected an error"),
        }
    }

    #[test]
    fn classification_table() {
        let cases: Vec<(&str, BrokerError)> = vec![
            ("5xx", err(503, None, "<html>", CallKind::Place)),
            (
                "-1007",
                err(
                    408,
                    None,
                    r#"{"code":-1007,"msg":"Timeout"}"#,
                    CallKind::Place,
                ),
            ),
            (
                "429",
                err(
                    429,
                    Some("7"),
                    r#"{"code":-1003,"msg":"x"}"#,
                    CallKind::Place,
                ),
            ),
            ("418", err(418, Some("300"), "", CallKind::Place)),
            ("429 no header", err(429, None, "", CallKind::Place)),
            (
                "-2013 query",
                err(
                    400,
                    None,
                    r#"{"code":-2013,"msg":"Order does not exist."}"#,
                    CallKind::Query,
                ),
            ),
            (
                "-2013 place",
                err(
                    400,
                    None,
                    r#"{"code":-2013,"msg":"Order does not exist."}"#,
                    CallKind::Place,
                ),
            ),
            (
                "-1022",
                err(
                    400,
                    None,
                    r#"{"code":-1022,"msg":"Signature bad"}"#,
                    CallKind::Place,
                ),
            ),
            (
                "-2015",
                err(
                    401,
                    None,
                    r#"{"code":-2015,"msg":"Invalid API-key"}"#,
                    CallKind::Other,
                ),
            ),
            ("403 waf", err(403, None, "blocked", CallKind::Place)),
        ];
        let expect = [
            BrokerError::Unknown("HTTP 503: <html>".into()),
            BrokerError::Unknown("HTTP 408, code -1007: Timeout".into()),
            BrokerError::RateLimited {
                retry_after: Duration::from_secs(7),
                banned: false,
            },
            BrokerError::RateLimited {
                retry_after: Duration::from_secs(300),
                banned: true,
            },
            BrokerError::RateLimited {
                retry_after: DEFAULT_RETRY_AFTER,
                banned: false,
            },
            BrokerError::NotFound,
            BrokerError::Rejected {
                code: Some(-2013),
                message: "Order does not exist.".into(),
            },
            BrokerError::Auth("Signature bad".into()),
            BrokerError::Auth("Invalid API-key".into()),
            BrokerError::Rejected {
                code: None,
                message: "HTTP 403: blocked".into(),
            },
        ];
        for ((label, got), want) in cases.into_iter().zip(expect) {
            assert_eq!(got, want, "{label}");
        }
        assert!(matches!(
            classify(
                400,
                None,
                br#"{"code":-1021,"msg":"late"}"#,
                CallKind::Place
            ),
            Classified::BadTimestamp(_)
        ));
        assert_eq!(classify(200, None, b"{}", CallKind::Place), Classified::Ok);
    }
}
