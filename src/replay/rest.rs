//! The replay server's REST side, in Binance's shapes: ping, time, exchangeInfo (the recorded
//! instruments), depth (the book at the current position, rebuilt from the recording),
//! klines and 24 h tickers (from the trades played so far).

use super::state::{Market, Phase, Shared};
use crate::book::MAX_DEPTH;
use crate::domain::{Instrument, Interval, Price, Qty, now_ms};
use crate::sim::errors::ApiError;
use crate::sim::params::Params;
use crate::sim::rest::{not_found, ping, time};
use crate::sim::stream_routes;
use crate::sim::wire;
use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

type St = State<Arc<Shared>>;
type ApiResult = Result<Response, ApiError>;

/// How long a depth request waits for the replay to reach a synced book.
const DEPTH_WAIT: Duration = Duration::from_secs(10);

/// Every route of the replay server.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/api/v3/ping", get(ping))
        .route("/api/v3/time", get(time))
        .route("/api/v3/exchangeInfo", get(exchange_info))
        .route("/api/v3/depth", get(depth))
        .route("/api/v3/klines", get(klines))
        .route("/api/v3/uiKlines", get(klines))
        .route("/api/v3/ticker/24hr", get(ticker_24hr))
        .route("/ws", get(stream_routes::ws_root::<Shared>))
        .route("/ws/{*streams}", get(stream_routes::ws_raw::<Shared>))
        .route("/stream", get(stream_routes::ws_combined::<Shared>))
        .fallback(not_found)
        .with_state(shared)
}

fn params(q: Option<String>) -> Params {
    Params::from_urlencoded(q.as_deref().unwrap_or(""))
}

fn symbol_of(sh: &Shared, p: &Params) -> Result<usize, ApiError> {
    p.symbol(|s| sh.sym(s))
}

/// `symbol`, `symbols=["A","B"]`, or every replayed symbol; `true` for the single form.
fn symbols_of(sh: &Shared, p: &Params) -> Result<(Vec<usize>, bool), ApiError> {
    p.symbols(sh.symbols.len(), |s| sh.sym(s))
}

fn one_or_many(mut list: Vec<Value>, single: bool) -> Response {
    if single {
        Json(list.pop().unwrap_or(Value::Null)).into_response()
    } else {
        Json(list).into_response()
    }
}

async fn exchange_info(State(sh): St, RawQuery(q): RawQuery) -> ApiResult {
    let (idx, _) = symbols_of(&sh, &params(q))?;
    let symbols: Vec<Value> = idx
        .iter()
        .map(|&i| symbol_info(&sh.instruments[i]))
        .collect();
    Ok(Json(json!({
        "timezone": "UTC", "serverTime": now_ms(),
        "rateLimits": [{"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE",
                        "intervalNum": 1, "limit": 6000}],
        "exchangeFilters": [], "symbols": symbols,
    }))
    .into_response())
}

fn symbol_info(i: &Instrument) -> Value {
    let d8 = |d: rust_decimal::Decimal| format!("{:.8}", d);
    json!({
        "symbol": i.symbol.as_str(),
        "status": if i.trading { "TRADING" } else { "BREAK" },
        "baseAsset": i.base, "baseAssetPrecision": 8,
        "quoteAsset": i.quote, "quotePrecision": 8, "quoteAssetPrecision": 8,
        "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"],
        "isSpotTradingAllowed": true,
        "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": i.min_price.fmt_dp(8),
             "maxPrice": i.max_price.fmt_dp(8), "tickSize": i.tick_size.fmt_dp(8)},
            {"filterType": "LOT_SIZE", "minQty": i.min_qty.fmt_dp(8),
             "maxQty": i.max_qty.fmt_dp(8), "stepSize": i.step_size.fmt_dp(8)},
            {"filterType": "NOTIONAL", "minNotional": d8(i.min_notional),
             "maxNotional": d8(i.max_notional.unwrap_or_default())},
        ],
        "permissions": [], "permissionSets": [["SPOT"]],
    })
}

/// The book at the current position. While the recording has no usable book for the symbol
/// yet (before its first snapshot, or between a gap and the next one) the request waits for
/// the replay to get there.
async fn depth(State(sh): St, RawQuery(q): RawQuery) -> ApiResult {
    let p = params(q);
    let limit = p.limit(100, MAX_DEPTH)?;
    let i = symbol_of(&sh, &p)?;
    let deadline = tokio::time::Instant::now() + DEPTH_WAIT;
    loop {
        let changed = sh.books_changed.notified();
        tokio::pin!(changed);
        changed.as_mut().enable();
        if let Some(body) = render_book(&sh.markets()[i], limit) {
            return Ok(raw_json(body));
        }
        let why = match sh.current_phase() {
            Phase::Finished => "the recording holds no complete book for this symbol",
            Phase::Waiting => "the replay has not started yet; subscribe to its streams",
            Phase::Playing => "the replay has not reached a book snapshot yet",
        };
        if sh.current_phase() == Phase::Finished || tokio::time::Instant::now() >= deadline {
            return Err(ApiError {
                status: 503,
                code: -1003,
                msg: why.into(),
                retry_after: Some(1),
            });
        }
        let _ = tokio::time::timeout_at(deadline, changed).await;
    }
}

fn render_book(m: &Market, limit: usize) -> Option<Vec<u8>> {
    if m.sync.is_stale() {
        return None;
    }
    let book = m.sync.book();
    let side = |it: &mut dyn Iterator<Item = crate::domain::Level>| -> Vec<(Price, Qty)> {
        it.take(limit).map(|l| (l.price, l.qty)).collect()
    };
    let bids = side(&mut book.bids());
    let asks = side(&mut book.asks());
    let mut buf = Vec::with_capacity(64 + (bids.len() + asks.len()) * 48);
    wire::depth_snapshot(&mut buf, book.update_id(), &bids, &asks);
    Some(buf)
}

fn raw_json(body: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn klines(State(sh): St, RawQuery(q): RawQuery) -> ApiResult {
    let p = params(q);
    let limit = p.limit(500, 1000)?;
    let interval: Interval = p
        .req("interval")?
        .parse()
        .map_err(|_| ApiError::bad(-1120, "Invalid interval."))?;
    let (start, end) = (p.int("startTime")?, p.int("endTime")?);
    let i = symbol_of(&sh, &p)?;
    let markets = sh.markets();
    let Some(series) = markets[i].candles.get(interval) else {
        return Ok(Json(Vec::<Value>::new()).into_response());
    };
    let picked: Vec<&crate::domain::Candle> = series
        .candles()
        .iter()
        .filter(|c| start.is_none_or(|s| c.open_time >= s) && end.is_none_or(|e| c.open_time <= e))
        .collect();
    let skip = picked.len().saturating_sub(limit);
    let rows: Vec<Value> = picked
        .into_iter()
        .skip(skip)
        .map(|c| {
            let close_time = next_open(interval, c.open_time) - 1;
            json!([
                c.open_time,
                c.open.fmt_dp(8),
                c.high.fmt_dp(8),
                c.low.fmt_dp(8),
                c.close.fmt_dp(8),
                c.volume.fmt_dp(8),
                close_time,
                format!("{:.8}", c.quote_volume),
                c.trades,
                "0.00000000",
                "0.00000000",
                "0"
            ])
        })
        .collect();
    Ok(Json(rows).into_response())
}

/// The open time of the candle after the one opening at `open` (months vary in length).
fn next_open(interval: Interval, open: i64) -> i64 {
    match interval {
        Interval::Mo1 => interval.open_time(open + 32 * Interval::D1.millis()),
        other => open + other.millis(),
    }
}

async fn ticker_24hr(State(sh): St, RawQuery(q): RawQuery) -> ApiResult {
    let (idx, single) = symbols_of(&sh, &params(q))?;
    let markets = sh.markets();
    let list = idx
        .iter()
        .map(|&i| ticker_json(sh.symbols[i].as_str(), &markets[i]))
        .collect();
    Ok(one_or_many(list, single))
}

fn ticker_json(symbol: &str, m: &Market) -> Value {
    let t = &m.ticker;
    let (open, first_id, open_time) = t.first.unwrap_or((Price::ZERO, 0, 0));
    let (last, last_qty, last_id, time) =
        t.last.as_ref().map_or((Price::ZERO, Qty::ZERO, 0, 0), |l| {
            (l.price, l.qty, l.id, l.time)
        });
    let change = last.units().saturating_sub(open.units());
    let top = m.sync.top(1);
    let bid = top
        .best_bid()
        .map_or((Price::ZERO, Qty::ZERO), |l| (l.price, l.qty));
    let ask = top
        .best_ask()
        .map_or((Price::ZERO, Qty::ZERO), |l| (l.price, l.qty));
    let weighted = if t.volume.is_zero() {
        last.to_decimal()
    } else {
        t.quote_volume / t.volume.to_decimal()
    };
    json!({
        "symbol": symbol,
        "priceChange": Price::from_units(change).fmt_dp(8),
        "priceChangePercent": format!("{:.3}", wire::percent(change, open)),
        "weightedAvgPrice": format!("{:.8}", weighted.round_dp(8)),
        "prevClosePrice": open.fmt_dp(8),
        "lastPrice": last.fmt_dp(8), "lastQty": last_qty.fmt_dp(8),
        "bidPrice": bid.0.fmt_dp(8), "bidQty": bid.1.fmt_dp(8),
        "askPrice": ask.0.fmt_dp(8), "askQty": ask.1.fmt_dp(8),
        "openPrice": open.fmt_dp(8), "highPrice": t.high.fmt_dp(8), "lowPrice": t.low.fmt_dp(8),
        "volume": t.volume.fmt_dp(8), "quoteVolume": format!("{:.8}", t.quote_volume.round_dp(8)),
        "openTime": open_time, "closeTime": time,
        "firstId": first_id, "lastId": last_id, "count": t.count,
    })
}
