//! The HTTP side: the router (REST, market streams, WebSocket API), the weight/latency
//! middleware, and the public market-data endpoints.

use super::engine::Exchange;
use super::errors::ApiError;
use super::limits::rest_weight;
use super::params::Params;
use super::rest_wire;
use super::server::Shared;
use super::{rest_trade, stream_routes, wire, ws_api};
use crate::domain::{Interval, Side, now_ms};
use axum::extract::{RawQuery, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Instant;

/// Shared state as axum hands it to handlers.
pub type St = State<Arc<Shared>>;
/// Handler result: a response or a Binance error.
pub type ApiResult = Result<Response, ApiError>;

/// Every route of the simulator.
pub fn router(shared: Arc<Shared>) -> Router {
    let api = Router::new()
        .route("/api/v3/ping", get(ping))
        .route("/api/v3/time", get(time))
        .route("/api/v3/exchangeInfo", get(exchange_info))
        .route("/api/v3/depth", get(depth))
        .route("/api/v3/trades", get(trades))
        .route("/api/v3/aggTrades", get(agg_trades))
        .route("/api/v3/klines", get(klines))
        .route("/api/v3/uiKlines", get(klines))
        .route("/api/v3/avgPrice", get(avg_price))
        .route("/api/v3/ticker/24hr", get(ticker_24hr))
        .route("/api/v3/ticker/price", get(ticker_price))
        .route("/api/v3/ticker/bookTicker", get(book_ticker))
        .merge(rest_trade::routes())
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(shared.clone(), guard));
    Router::new()
        .route("/ws", get(stream_routes::ws_root::<Shared>))
        .route("/ws/{*streams}", get(stream_routes::ws_raw::<Shared>))
        .route("/stream", get(stream_routes::ws_combined::<Shared>))
        .route("/ws-api/v3", get(ws_api::handler))
        .merge(api)
        .with_state(shared)
}

/// Charges request weight (429/418 past the limit), adds `X-MBX-USED-WEIGHT-1M`, and applies
/// the latency fault.
async fn guard(State(sh): St, req: Request, next: Next) -> Response {
    let params = Params::from_urlencoded(req.uri().query().unwrap_or(""));
    let weight = rest_weight(req.method().as_str(), req.uri().path(), &params);
    let charged = sh.limits().charge(weight, Instant::now(), now_ms());
    let mut resp = match charged {
        Ok(_) => next.run(req).await,
        Err(e) => e.into_response(),
    };
    sh.faults.delay().await;
    let used = sh.limits().used(Instant::now());
    resp.headers_mut()
        .insert("x-mbx-used-weight-1m", HeaderValue::from(used));
    resp.headers_mut()
        .insert("x-mbx-used-weight", HeaderValue::from(used));
    resp
}

/// Binance answers an unknown path with an empty 404.
pub async fn not_found() -> Response {
    (axum::http::StatusCode::NOT_FOUND, "").into_response()
}

/// The symbol parameter, checked (-1102 missing, -1121 unknown).
pub fn symbol_of(ex: &Exchange, p: &Params) -> Result<usize, ApiError> {
    p.symbol(|s| ex.sym(s))
}

/// `symbol`, `symbols=["A","B"]`, or every symbol.
fn symbols_of(ex: &Exchange, p: &Params) -> Result<(Vec<usize>, bool), ApiError> {
    p.symbols(ex.markets.len(), |s| ex.sym(s))
}

fn params(q: Option<String>) -> Params {
    Params::from_urlencoded(q.as_deref().unwrap_or(""))
}

/// A JSON body written by hand (the wire writers).
pub fn raw_json(body: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// `GET /api/v3/ping`.
pub async fn ping() -> Json<Value> {
    Json(json!({}))
}

/// `GET /api/v3/time`.
pub async fn time() -> Json<Value> {
    Json(json!({ "serverTime": now_ms() }))
}

async fn exchange_info(State(sh): St, RawQuery(q): RawQuery) -> ApiResult {
    let p = params(q);
    let limit = sh.limits().limit();
    let ex = sh.ex();
    let (syms, _) = symbols_of(&ex, &p)?;
    Ok(Json(rest_wire::exchange_info(&ex, &syms, now_ms(), limit)).into_response())
}

async fn depth(State(sh): St, RawQuery(q): RawQuery) -> ApiResult {
    let p = params(q);
    let limit = p.limit(100, 5000)?;
    let ex = sh.ex();
    let m = &ex.markets[symbol_of(&ex, &p)?];
    let mut buf = Vec::with_capacity(64 + limit * 48);
    wire::depth_snapshot(
        &mut buf,
        m.last_update_id,
        &m.book.top(Side::Buy, limit),
        &m.book.top(Side::Sell, limit),
    );
    Ok(raw_json(buf))
}

async fn trades(State(sh): St, RawQuery(q): RawQuery) -> ApiResult {
    let p = params(q);
    let limit = p.limit(500, 1000)?;
    let ex = sh.ex();
    let m = &ex.markets[symbol_of(&ex, &p)?];
    let skip = m.trades.len().saturating_sub(limit);
    let list: Vec<Value> = m
        .trades
        .iter()
        .skip(skip)
        .map(|t| {
            json!({"id": t.id, "price": t.price.fmt_dp(8), "qty": t.qty.fmt_dp(8),
                "quoteQty": super::account::d8(crate::domain::notional(t.price, t.qty).unwrap_or_default()),
                "time": t.time, "isBuyerMaker": t.buyer_maker, "isBestMatch": true})
        })
        .collect();
    Ok(Json(list).into_response())
}

async fn agg_trades(State(sh): St, RawQuery(q): RawQuery) -> ApiResult {
    let p = params(q);
    let limit = p.limit(500, 1000)?;
    let from_id = p.int("fromId")?;
    let (start, end) = (p.int("startTime")?, p.int("endTime")?);
    let ex = sh.ex();
    let m = &ex.markets[symbol_of(&ex, &p)?];
    let picked: Vec<&super::events::AggTradeEv> = m
        .aggs
        .iter()
        .filter(|a| from_id.is_none_or(|f| a.id as i64 >= f))
        .filter(|a| start.is_none_or(|s| a.time >= s) && end.is_none_or(|e| a.time <= e))
        .collect();
    let skip = if from_id.is_some() || start.is_some() {
        0
    } else {
        picked.len().saturating_sub(limit)
    };
    let list: Vec<Value> = picked
        .iter()
        .skip(skip)
        .take(limit)
        .map(|a| {
            json!({"a": a.id, "p": a.price.fmt_dp(8), "q": a.qty.fmt_dp(8), "f": a.first,
                "l": a.last, "T": a.time, "m": a.buyer_maker, "M": true})
        })
        .collect();
    Ok(Json(list).into_response())
}

async fn klines(State(sh): St, RawQuery(q): RawQuery) -> ApiResult {
    let p = params(q);
    let limit = p.limit(500, 1000)?;
    let interval: Interval = p
        .req("interval")?
        .parse()
        .map_err(|_| ApiError::bad(-1120, "Invalid interval."))?;
    let (start, end) = (p.int("startTime")?, p.int("endTime")?);
    let ex = sh.ex();
    let m = &ex.markets[symbol_of(&ex, &p)?];
    let list: Vec<Value> = m
        .kline_source(ex.now())
        .klines(interval, start, end, limit)
        .iter()
        .map(|k| {
            let a = &k.agg;
            json!([
                k.open_time,
                a.open.fmt_dp(8),
                a.high.fmt_dp(8),
                a.low.fmt_dp(8),
                a.close.fmt_dp(8),
                a.volume.fmt_dp(8),
                k.close_time,
                super::account::d8(a.quote),
                a.trades,
                a.taker_volume.fmt_dp(8),
                super::account::d8(a.taker_quote),
                "0"
            ])
        })
        .collect();
    Ok(Json(list).into_response())
}

async fn avg_price(State(sh): St, RawQuery(q): RawQuery) -> ApiResult {
    let p = params(q);
    let ex = sh.ex();
    let sym = symbol_of(&ex, &p)?;
    let now = ex.now();
    let k = ex.markets[sym]
        .kline_source(now)
        .kline(Interval::M5, Interval::M5.open_time(now));
    let avg = wire::weighted_avg_of(&k.agg);
    Ok(
        Json(json!({"mins": 5, "price": super::account::d8(avg), "closeTime": now}))
            .into_response(),
    )
}

async fn ticker_24hr(State(sh): St, RawQuery(q): RawQuery) -> ApiResult {
    let p = params(q);
    let ex = sh.ex();
    let (syms, single) = symbols_of(&ex, &p)?;
    let now = ex.now();
    let mut list: Vec<Value> = syms
        .iter()
        .map(|&i| rest_wire::ticker_24hr(&ex.markets[i].spec, &ex.markets[i].ticker(now)))
        .collect();
    Ok(one_or_many(&mut list, single))
}

async fn ticker_price(State(sh): St, RawQuery(q): RawQuery) -> ApiResult {
    let p = params(q);
    let ex = sh.ex();
    let (syms, single) = symbols_of(&ex, &p)?;
    let mut list: Vec<Value> = syms
        .iter()
        .map(|&i| json!({"symbol": ex.markets[i].spec.name, "price": ex.last_price(i).fmt_dp(8)}))
        .collect();
    Ok(one_or_many(&mut list, single))
}

async fn book_ticker(State(sh): St, RawQuery(q): RawQuery) -> ApiResult {
    let p = params(q);
    let ex = sh.ex();
    let (syms, single) = symbols_of(&ex, &p)?;
    let mut list: Vec<Value> = syms
        .iter()
        .map(|&i| {
            let m = &ex.markets[i];
            let (b, a) = (
                m.book.best(Side::Buy).unwrap_or_default(),
                m.book.best(Side::Sell).unwrap_or_default(),
            );
            json!({"symbol": m.spec.name, "bidPrice": b.0.fmt_dp(8), "bidQty": b.1.fmt_dp(8),
                "askPrice": a.0.fmt_dp(8), "askQty": a.1.fmt_dp(8)})
        })
        .collect();
    Ok(one_or_many(&mut list, single))
}

fn one_or_many(list: &mut Vec<Value>, single: bool) -> Response {
    if single {
        Json(list.pop().unwrap_or(Value::Null)).into_response()
    } else {
        Json(std::mem::take(list)).into_response()
    }
}
