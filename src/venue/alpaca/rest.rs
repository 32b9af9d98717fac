//! The raw Alpaca REST client: one method per endpoint, returning the reply body text. Auth is
//! the `APCA-API-KEY-ID` / `APCA-API-SECRET-KEY` header pair (no signing); failures are
//! classified in `errors.rs`. `broker.rs` wraps this by intent.

use super::errors::{CallKind, classify_send_error, classify_status};
use super::order_body::AlpacaOrderBody;
use super::{AlpacaCredentials, AlpacaEndpoints, AlpacaSetupError, ensure_crypto_provider};
use crate::venue::BrokerError;
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use std::time::{Duration, Instant};

/// How long a REST call may take before its outcome counts as unknown.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The raw trading + market-data REST client.
#[derive(Clone)]
pub(crate) struct AlpacaRest {
    http: reqwest::Client,
    trading_url: String,
    data_url: String,
}

/// Query parameters for `GET /v2/stocks/{symbol}/bars`.
#[derive(Debug, Clone, Default)]
pub(crate) struct BarsQuery<'a> {
    pub timeframe: &'a str,
    pub start: Option<String>,
    pub end: Option<String>,
    pub limit: u32,
    pub feed: Option<&'a str>,
    pub descending: bool,
    pub page_token: Option<String>,
}

/// Percent-encodes a query value or path segment (everything but RFC 3986 unreserved bytes).
pub(crate) fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn base_url(url: &str) -> Result<String, AlpacaSetupError> {
    let trimmed = url.trim().trim_end_matches('/');
    if trimmed.starts_with("http://") || trimmed.starts_with("https://") {
        Ok(trimmed.to_string())
    } else {
        Err(AlpacaSetupError::BadUrl {
            url: url.to_string(),
            reason: "must start with https:// (or http:// for a local test server)".into(),
        })
    }
}

impl AlpacaRest {
    /// A client for `endpoints` authenticated with `creds`; each call times out after `timeout`.
    pub fn new(
        endpoints: &AlpacaEndpoints,
        creds: &AlpacaCredentials,
        timeout: Duration,
    ) -> Result<Self, AlpacaSetupError> {
        ensure_crypto_provider();
        let (key, secret) = creds.header_values()?;
        let mut headers = HeaderMap::new();
        headers.insert("APCA-API-KEY-ID", key);
        headers.insert("APCA-API-SECRET-KEY", secret);
        headers.insert("accept", HeaderValue::from_static("application/json"));
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("speedtrade/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| AlpacaSetupError::Http(e.to_string()))?;
        Ok(Self {
            http,
            trading_url: base_url(&endpoints.trading_url)?,
            data_url: base_url(&endpoints.data_rest_url)?,
        })
    }

    /// Sends one request and returns the status and body of a 2xx reply.
    async fn call(
        &self,
        method: Method,
        url: String,
        body: Option<Vec<u8>>,
        kind: CallKind,
    ) -> Result<(StatusCode, String), BrokerError> {
        let started = Instant::now();
        let mut req = self.http.request(method.clone(), &url);
        if let Some(body) = body {
            req = req.header("content-type", "application/json").body(body);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| classify_send_error(&e, kind))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| classify_send_error(&e, kind))?;
        tracing::debug!(
            %method,
            path = url.split('?').next().unwrap_or_default(),
            status = status.as_u16(),
            ms = started.elapsed().as_millis() as u64,
            "alpaca rest"
        );
        if !status.is_success() {
            return Err(classify_status(status, &headers, &bytes, kind));
        }
        let text = String::from_utf8(bytes.to_vec()).map_err(|_| {
            BrokerError::Unknown(format!(
                "Alpaca replied {status} with a body that is not UTF-8"
            ))
        })?;
        Ok((status, text))
    }

    async fn get(&self, url: String) -> Result<String, BrokerError> {
        self.call(Method::GET, url, None, CallKind::Query)
            .await
            .map(|(_, body)| body)
    }

    /// `GET /v2/account`.
    pub async fn get_account(&self) -> Result<String, BrokerError> {
        self.get(format!("{}/v2/account", self.trading_url)).await
    }

    /// `GET /v2/positions`.
    pub async fn get_positions(&self) -> Result<String, BrokerError> {
        self.get(format!("{}/v2/positions", self.trading_url)).await
    }

    /// `GET /v2/orders?status=…&limit=…[&symbols=…]`, newest first.
    pub async fn get_orders(
        &self,
        status: &str,
        symbols: Option<&str>,
        limit: u32,
    ) -> Result<String, BrokerError> {
        let mut url = format!(
            "{}/v2/orders?status={}&limit={limit}&direction=desc&nested=false",
            self.trading_url,
            enc(status)
        );
        if let Some(s) = symbols {
            url.push_str(&format!("&symbols={}", enc(s)));
        }
        self.get(url).await
    }

    /// `GET /v2/orders:by_client_order_id?client_order_id=…` (404 → `NotFound`).
    pub async fn get_order_by_client_order_id(&self, id: &str) -> Result<String, BrokerError> {
        self.get(format!(
            "{}/v2/orders:by_client_order_id?client_order_id={}",
            self.trading_url,
            enc(id)
        ))
        .await
    }

    /// `POST /v2/orders`.
    pub async fn post_order(&self, body: &AlpacaOrderBody<'_>) -> Result<String, BrokerError> {
        let json = serde_json::to_vec(body)
            .map_err(|e| BrokerError::NotSent(format!("could not encode the order: {e}")))?;
        let url = format!("{}/v2/orders", self.trading_url);
        let (_, text) = self
            .call(Method::POST, url, Some(json), CallKind::Submit)
            .await?;
        Ok(text)
    }

    /// `DELETE /v2/orders/{order_id}`: 204 = cancel accepted, 422 = not cancelable, 404 =
    /// unknown.
    pub async fn delete_order(&self, order_id: &str) -> Result<(), BrokerError> {
        let url = format!("{}/v2/orders/{}", self.trading_url, enc(order_id));
        self.call(Method::DELETE, url, None, CallKind::Cancel)
            .await?;
        Ok(())
    }

    /// `DELETE /v2/orders` (cancel every open order): the 207 multi-status body.
    pub async fn delete_orders(&self) -> Result<String, BrokerError> {
        let url = format!("{}/v2/orders", self.trading_url);
        let (_, text) = self
            .call(Method::DELETE, url, None, CallKind::Cancel)
            .await?;
        Ok(text)
    }

    /// `GET /v2/assets?status=active[&asset_class=…]`.
    pub async fn get_assets(&self, asset_class: Option<&str>) -> Result<String, BrokerError> {
        let mut url = format!("{}/v2/assets?status=active", self.trading_url);
        if let Some(c) = asset_class {
            url.push_str(&format!("&asset_class={}", enc(c)));
        }
        self.get(url).await
    }

    /// `GET {data}/v2/stocks/{symbol}/bars?…` (one page).
    pub async fn get_bars(&self, symbol: &str, q: &BarsQuery<'_>) -> Result<String, BrokerError> {
        let mut url = format!(
            "{}/v2/stocks/{}/bars?timeframe={}&limit={}&adjustment=raw&sort={}",
            self.data_url,
            enc(symbol),
            enc(q.timeframe),
            q.limit,
            if q.descending { "desc" } else { "asc" }
        );
        let params = [
            ("start", q.start.as_deref()),
            ("end", q.end.as_deref()),
            ("feed", q.feed),
            ("page_token", q.page_token.as_deref()),
        ];
        for (name, value) in params {
            if let Some(v) = value {
                url.push_str(&format!("&{name}={}", enc(v)));
            }
        }
        self.get(url).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(enc("BRK.B"), "BRK.B");
        assert_eq!(enc("BTC/USD"), "BTC%2FUSD");
        assert_eq!(
            enc("2024-01-03T00:00:00+01:00"),
            "2024-01-03T00%3A00%3A00%2B01%3A00"
        );
    }

    #[test]
    fn urls_must_be_http() {
        assert_eq!(base_url("https://x.test/").unwrap(), "https://x.test");
        assert!(base_url("paper-api.alpaca.markets").is_err());
    }
}
