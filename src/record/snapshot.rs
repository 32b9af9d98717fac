//! REST depth snapshots for the recorder: the body is kept exactly as received (it is what
//! gets recorded) and decoded once to check it and to follow the book.

use crate::book::DepthSnapshot;
use crate::domain::Symbol;
use crate::venue::binance::depth::decode_snapshot;
use crate::venue::binance::market_rest::{BAD_SYMBOL, RestError};
use crate::venue::binance::parse::parse_api_error;
use std::time::Duration;

/// A snapshot as received and as decoded.
#[derive(Debug, Clone)]
pub struct RawSnapshot {
    /// The response body, byte for byte.
    pub body: String,
    /// The decoded book.
    pub snapshot: DepthSnapshot,
}

/// A small HTTP client for `GET /api/v3/depth`.
#[derive(Debug, Clone)]
pub struct SnapshotClient {
    http: reqwest::Client,
    base: String,
}

impl SnapshotClient {
    /// A client for the REST base `rest_url`.
    pub fn new(rest_url: &str) -> Result<Self, RestError> {
        crate::net::install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("speedtrade/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| RestError::Transport(e.to_string()))?;
        Ok(Self {
            http,
            base: rest_url.trim_end_matches('/').to_string(),
        })
    }

    /// Fetches `symbol`'s book with up to `limit` levels a side.
    pub async fn fetch(&self, symbol: &Symbol, limit: u32) -> Result<RawSnapshot, RestError> {
        let url = format!(
            "{}/api/v3/depth?symbol={symbol}&limit={}",
            self.base,
            limit.clamp(1, 5000)
        );
        let transport = |e: reqwest::Error| RestError::Transport(e.without_url().to_string());
        let resp = self.http.get(&url).send().await.map_err(transport)?;
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let body = resp.text().await.map_err(transport)?;
        if status == 429 || status == 418 {
            return Err(RestError::RateLimited {
                retry_after: Duration::from_secs(retry_after.unwrap_or(60)),
                banned: status == 418,
            });
        }
        if !(200..300).contains(&status) {
            return Err(match parse_api_error(body.as_bytes()) {
                Some((BAD_SYMBOL, _)) => RestError::UnknownSymbol(symbol.to_string()),
                Some((code, message)) => RestError::Api {
                    status,
                    code: Some(code),
                    message,
                },
                None => RestError::Api {
                    status,
                    code: None,
                    message: body.chars().take(200).collect(),
                },
            });
        }
        let snapshot =
            decode_snapshot(body.as_bytes()).map_err(|e| RestError::Decode(e.to_string()))?;
        Ok(RawSnapshot { body, snapshot })
    }
}
