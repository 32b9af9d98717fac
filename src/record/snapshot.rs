//! REST depth snapshots for the recorder: the body is kept exactly as received (it is what
//! gets recorded) and decoded once to check it and to follow the book; requests go through
//! the market REST client and its weight limiter.

use crate::book::DepthSnapshot;
use crate::domain::Symbol;
use crate::venue::binance::limiter::WeightLimiter;
use crate::venue::binance::market_rest::{MarketRest, RestError};
use std::sync::Arc;

/// A snapshot as received and as decoded.
#[derive(Debug, Clone)]
pub struct RawSnapshot {
    /// The response body, byte for byte.
    pub body: String,
    /// The decoded book.
    pub snapshot: DepthSnapshot,
}

/// Depth snapshots through the market REST client (and its request-weight limiter).
#[derive(Debug, Clone)]
pub struct SnapshotClient {
    rest: MarketRest,
}

impl SnapshotClient {
    /// A client for the REST base `rest_url`.
    pub fn new(rest_url: &str) -> Result<Self, RestError> {
        Ok(Self {
            rest: MarketRest::new(rest_url, Arc::new(WeightLimiter::default()))?,
        })
    }

    /// Fetches `symbol`'s book with up to `limit` levels a side.
    pub async fn fetch(&self, symbol: &Symbol, limit: u32) -> Result<RawSnapshot, RestError> {
        let (body, snapshot) = self.rest.depth_raw(symbol, limit).await?;
        let body =
            String::from_utf8(body.to_vec()).map_err(|e| RestError::Decode(e.to_string()))?;
        Ok(RawSnapshot { body, snapshot })
    }
}
