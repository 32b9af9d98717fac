//! The Alpaca broker: [`Broker`] over REST v2, plus symbol search, chart backfill and
//! cancel-all, named by intent on top of the raw client in `rest.rs`.
//!
//! Idempotency: the request's [`ClientOrderId`] is sent as Alpaca's `client_order_id`. Alpaca
//! refuses a reused id ("client_order_id must be unique") even after the first order was
//! cancelled, so a resend with the same id can never create a second order; after an unknown
//! outcome the order manager asks [`Broker::query`], which uses
//! `GET /v2/orders:by_client_order_id`. If a resend does reach Alpaca after the first one did,
//! [`Broker::submit`] turns the "must be unique" refusal into the existing order's state.

use super::data_options::AlpacaFeed;
use super::num::rfc3339;
use super::order_body::order_body;
use super::parse::{
    AlpacaParseError, CancelAllEntry, parse_account, parse_assets, parse_bars, parse_cancel_all,
    parse_order, parse_orders,
};
use super::rest::{AlpacaRest, BarsQuery, DEFAULT_TIMEOUT};
use super::{AlpacaCredentials, AlpacaEndpoints, AlpacaSetupError};
use crate::domain::{
    Candle, ClientOrderId, Instrument, Interval, OrderRequest, OrderStatus, Symbol, TimeMs,
    VenueId, now_ms,
};
use crate::venue::{AccountSnapshot, Broker, BrokerError, OrderUpdate};
use futures_util::future::BoxFuture;
use std::time::Duration;

/// Most bars one backfill fetches (Alpaca's page limit is 10,000).
const MAX_BARS: usize = 10_000;
/// Most pages one backfill follows.
const MAX_PAGES: usize = 20;

/// Orders, positions and account on Alpaca (paper or live, by the endpoints given).
#[derive(Clone)]
pub struct AlpacaBroker {
    rest: AlpacaRest,
    feed: Option<AlpacaFeed>,
}

fn bad_reply(what: &str, e: AlpacaParseError) -> BrokerError {
    BrokerError::Unknown(format!("could not read Alpaca's {what} reply: {e}"))
}

/// Alpaca's bar timeframe for an interval, if it has one.
fn timeframe(interval: Interval) -> Option<&'static str> {
    match interval {
        Interval::S1 | Interval::D3 => None,
        Interval::M1 => Some("1Min"),
        Interval::M3 => Some("3Min"),
        Interval::M5 => Some("5Min"),
        Interval::M15 => Some("15Min"),
        Interval::M30 => Some("30Min"),
        Interval::H1 => Some("1Hour"),
        Interval::H2 => Some("2Hour"),
        Interval::H4 => Some("4Hour"),
        Interval::H6 => Some("6Hour"),
        Interval::H8 => Some("8Hour"),
        Interval::H12 => Some("12Hour"),
        Interval::D1 => Some("1Day"),
        Interval::W1 => Some("1Week"),
        Interval::Mo1 => Some("1Month"),
    }
}

/// Alpaca's refusal of a client order id it has seen before (code 40010001).
fn is_duplicate_id(message: &str) -> bool {
    message
        .to_ascii_lowercase()
        .contains("client_order_id must be unique")
}

impl AlpacaBroker {
    /// A broker for `endpoints` with a 10 s timeout per request. `None` or empty keys give
    /// [`AlpacaSetupError::MissingKeys`], whose message tells the user how to add them.
    pub fn new(
        endpoints: &AlpacaEndpoints,
        creds: Option<AlpacaCredentials>,
    ) -> Result<Self, AlpacaSetupError> {
        Self::with_timeout(endpoints, creds, DEFAULT_TIMEOUT)
    }

    /// Like [`AlpacaBroker::new`] with a custom per-request timeout (after which the outcome of
    /// a submit or cancel is `Unknown`).
    pub fn with_timeout(
        endpoints: &AlpacaEndpoints,
        creds: Option<AlpacaCredentials>,
        timeout: Duration,
    ) -> Result<Self, AlpacaSetupError> {
        let creds = AlpacaCredentials::usable(creds)
            .ok_or(AlpacaSetupError::MissingKeys { what: "trading" })?;
        Ok(Self {
            rest: AlpacaRest::new(endpoints, &creds, timeout)?,
            feed: None,
        })
    }

    /// Which market data feed bar requests name (`iex` for free plans). Without it Alpaca picks
    /// its default for the plan.
    pub fn with_feed(mut self, feed: AlpacaFeed) -> Self {
        self.feed = Some(feed);
        self
    }

    /// Every active US stock as an [`Instrument`], for symbol search (tick and lot rules in
    /// [`super::parse`]; use [`super::stock_tick_size`] for stocks under $1).
    pub async fn instruments(&self) -> Result<Vec<Instrument>, BrokerError> {
        let body = self.rest.get_assets(Some("us_equity")).await?;
        parse_assets(&body).map_err(|e| bad_reply("assets", e))
    }

    /// Up to `limit` most recent candles ending at `end` (default now), oldest first, from the
    /// stock bars endpoint. `1s` and `3d` have no Alpaca timeframe and are refused.
    pub async fn candles(
        &self,
        symbol: &Symbol,
        interval: Interval,
        limit: usize,
        end: Option<TimeMs>,
    ) -> Result<Vec<Candle>, BrokerError> {
        let tf = timeframe(interval).ok_or_else(|| BrokerError::Rejected {
            code: None,
            message: format!("Alpaca has no {interval} bars; pick another interval"),
        })?;
        let limit = limit.clamp(1, MAX_BARS);
        let now = now_ms();
        let end = end.unwrap_or(now);
        // Markets are open a fraction of the week: look back generously, newest first.
        let span = interval
            .millis()
            .saturating_mul(limit as i64)
            .saturating_mul(4);
        let start = end.saturating_sub(span.saturating_add(4 * Interval::D1.millis()));
        let mut query = BarsQuery {
            timeframe: tf,
            start: Some(rfc3339(start)),
            end: Some(rfc3339(end)),
            limit: limit as u32,
            feed: self.feed.map(AlpacaFeed::as_str),
            descending: true,
            page_token: None,
        };
        let mut candles = Vec::new();
        for _ in 0..MAX_PAGES {
            let body = self.rest.get_bars(symbol.as_str(), &query).await?;
            let (page, next) =
                parse_bars(&body, interval, now).map_err(|e| bad_reply("bars", e))?;
            candles.extend(page);
            match next {
                Some(token) if candles.len() < limit => query.page_token = Some(token),
                _ => break,
            }
        }
        candles.sort_by_key(|c| std::cmp::Reverse(c.open_time));
        candles.dedup_by_key(|c| c.open_time);
        candles.truncate(limit);
        candles.reverse();
        Ok(candles)
    }

    /// Cancels every open order on the account (`DELETE /v2/orders`), one entry per order.
    pub async fn cancel_all(&self) -> Result<Vec<CancelAllEntry>, BrokerError> {
        let body = self.rest.delete_orders().await?;
        parse_cancel_all(&body).map_err(|e| bad_reply("cancel-all", e))
    }

    /// Cancels every open order of ours for one symbol, each on its own; the result per order.
    pub async fn cancel_symbol(
        &self,
        symbol: &Symbol,
    ) -> Result<Vec<(ClientOrderId, Result<OrderUpdate, BrokerError>)>, BrokerError> {
        let open = self.fetch_open(Some(symbol)).await?;
        let mut out = Vec::with_capacity(open.len());
        for order in open {
            let result = self.cancel_known(order.clone()).await;
            out.push((order.client_order_id, result));
        }
        Ok(out)
    }

    async fn submit_order(&self, req: &OrderRequest) -> Result<OrderUpdate, BrokerError> {
        if req.venue != VenueId::Alpaca {
            return Err(BrokerError::Rejected {
                code: None,
                message: format!("this order is for {}, not Alpaca (not sent)", req.venue),
            });
        }
        let body = order_body(req)?;
        let reply = match self.rest.post_order(&body).await {
            Ok(reply) => reply,
            Err(BrokerError::Rejected { code, message }) if is_duplicate_id(&message) => {
                // A resend of an order Alpaca already has (the first reply was lost): report
                // that order instead of a rejection, so a safe retry can never look refused.
                tracing::info!(id = %req.client_order_id, "alpaca already has this order");
                return match self.query_order(&req.client_order_id).await {
                    Err(BrokerError::NotFound) => Err(BrokerError::Rejected { code, message }),
                    other => other,
                };
            }
            Err(e) => return Err(e),
        };
        parse_order(&reply).map_err(|e| {
            BrokerError::Unknown(format!(
                "Alpaca accepted the order but its reply could not be read ({e}); query it by \
                 client order id"
            ))
        })
    }

    async fn query_order(&self, id: &ClientOrderId) -> Result<OrderUpdate, BrokerError> {
        let body = self.rest.get_order_by_client_order_id(id.as_str()).await?;
        parse_order(&body).map_err(|e| bad_reply("order", e))
    }

    /// Sends the DELETE for an order we already looked up.
    async fn cancel_known(&self, mut order: OrderUpdate) -> Result<OrderUpdate, BrokerError> {
        let venue_id = order.venue_order_id.clone().ok_or(BrokerError::NotFound)?;
        self.rest.delete_order(&venue_id).await?;
        if !order.status.is_terminal() {
            order.status = OrderStatus::PendingCancel;
        }
        order.fill = None;
        order.time = now_ms();
        Ok(order)
    }

    async fn fetch_open(&self, symbol: Option<&Symbol>) -> Result<Vec<OrderUpdate>, BrokerError> {
        let body = self
            .rest
            .get_orders("open", symbol.map(Symbol::as_str), 500)
            .await?;
        parse_orders(&body).map_err(|e| bad_reply("orders", e))
    }

    async fn fetch_account(&self) -> Result<AccountSnapshot, BrokerError> {
        let (account, positions) =
            futures_util::future::try_join(self.rest.get_account(), self.rest.get_positions())
                .await?;
        parse_account(&account, &positions).map_err(|e| bad_reply("account", e))
    }
}

impl Broker for AlpacaBroker {
    fn venue(&self) -> VenueId {
        VenueId::Alpaca
    }

    /// `POST /v2/orders`. Post-only orders and dollar amounts outside market + DAY are refused
    /// before sending.
    fn submit<'a>(
        &'a self,
        req: &'a OrderRequest,
    ) -> BoxFuture<'a, Result<OrderUpdate, BrokerError>> {
        Box::pin(self.submit_order(req))
    }

    /// Looks the order up by client order id, then `DELETE /v2/orders/{id}`. Returns the order
    /// as `PendingCancel`: the final `canceled` arrives on `trade_updates`. 422 (no longer
    /// cancelable, e.g. filled) is `Rejected`; an unknown id is `NotFound`.
    fn cancel<'a>(
        &'a self,
        _symbol: &'a Symbol,
        id: &'a ClientOrderId,
    ) -> BoxFuture<'a, Result<OrderUpdate, BrokerError>> {
        Box::pin(async move {
            let order = self.query_order(id).await?;
            self.cancel_known(order).await
        })
    }

    /// `GET /v2/orders:by_client_order_id`.
    fn query<'a>(
        &'a self,
        _symbol: &'a Symbol,
        id: &'a ClientOrderId,
    ) -> BoxFuture<'a, Result<OrderUpdate, BrokerError>> {
        Box::pin(self.query_order(id))
    }

    /// `GET /v2/orders?status=open` (up to 500, newest first); orders placed by other tools are
    /// left out.
    fn open_orders<'a>(
        &'a self,
        symbol: Option<&'a Symbol>,
    ) -> BoxFuture<'a, Result<Vec<OrderUpdate>, BrokerError>> {
        Box::pin(self.fetch_open(symbol))
    }

    /// `GET /v2/account` and `GET /v2/positions`: cash, equity and positions.
    fn account(&self) -> BoxFuture<'_, Result<AccountSnapshot, BrokerError>> {
        Box::pin(self.fetch_account())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_interval_has_an_explicit_timeframe_answer() {
        let none: Vec<_> = Interval::ALL
            .into_iter()
            .filter(|i| timeframe(*i).is_none())
            .collect();
        assert_eq!(none, [Interval::S1, Interval::D3]);
        assert_eq!(timeframe(Interval::H4), Some("4Hour"));
    }

    #[test]
    fn construction_without_keys_says_how_to_add_them() {
        let err = AlpacaBroker::new(&AlpacaEndpoints::paper(), None)
            .err()
            .unwrap();
        assert!(err.to_string().contains("speedtrade keys set alpaca"));
    }
}
