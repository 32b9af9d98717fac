//! Signed trading and account endpoints (`/api/v3/order`, `openOrders`, `allOrders`,
//! `account`, `myTrades`) and the operations behind them, shared with the WebSocket API.

use super::auth::verify_rest;
use super::errors::ApiError;
use super::faults::Lost;
use super::orders::parse_new_order;
use super::params::Params;
use super::rest::{ApiResult, St, symbol_of};
use super::rest_wire;
use super::server::Shared;
use crate::domain::now_ms;
use axum::Json;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::sync::Arc;

/// The signed routes.
pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route(
            "/api/v3/order",
            post(new_order).get(query_order).delete(cancel_order),
        )
        .route("/api/v3/order/test", post(test_order))
        .route(
            "/api/v3/openOrders",
            get(open_orders).delete(cancel_open_orders),
        )
        .route("/api/v3/allOrders", get(all_orders))
        .route("/api/v3/account", get(account))
        .route("/api/v3/myTrades", get(my_trades))
}

fn verify(headers: &HeaderMap, q: Option<String>, body: &str) -> Result<Params, ApiError> {
    let key = headers.get("x-mbx-apikey").and_then(|v| v.to_str().ok());
    verify_rest(key, q.as_deref().unwrap_or(""), body, now_ms())
}

macro_rules! signed_handler {
    ($name:ident, $op:ident) => {
        async fn $name(
            State(sh): St,
            headers: HeaderMap,
            RawQuery(q): RawQuery,
            body: String,
        ) -> ApiResult {
            let p = verify(&headers, q, &body)?;
            Ok(Json($op(&sh, &p)?).into_response())
        }
    };
}

signed_handler!(query_order, op_query_order);
signed_handler!(cancel_order, op_cancel_order);
signed_handler!(test_order, op_test_order);
signed_handler!(open_orders, op_open_orders);
signed_handler!(cancel_open_orders, op_cancel_open_orders);
signed_handler!(all_orders, op_all_orders);
signed_handler!(account, op_account);
signed_handler!(my_trades, op_my_trades);

async fn new_order(
    State(sh): St,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: String,
) -> ApiResult {
    let p = verify(&headers, q, &body)?;
    let reply = op_new_order(&sh, &p)?;
    match sh.faults.lose_reply() {
        None => Ok(Json(reply).into_response()),
        Some(Lost::Error5xx) => Err(ApiError::timeout()),
        Some(Lost::Timeout) => {
            hold(&sh).await;
            Err(ApiError::timeout())
        }
    }
}

/// Holds a lost reply for the configured time (or until shutdown).
pub async fn hold(sh: &Shared) {
    let mut stop = sh.shutdown.clone();
    tokio::select! {
        _ = tokio::time::sleep(sh.faults.hold) => {}
        _ = super::server::stopped(&mut stop) => {}
    }
}

/// Places an order and renders the reply in its `newOrderRespType`.
pub fn op_new_order(sh: &Shared, p: &Params) -> Result<Value, ApiError> {
    let mut ex = sh.ex();
    let sym = symbol_of(&ex, p)?;
    let new = parse_new_order(p, sym, &ex.markets[sym].spec, ex.last_price(sym))?;
    let resp = new.resp;
    let placed = ex.place(new)?;
    let now = ex.now();
    Ok(rest_wire::new_order(
        &ex.markets[sym].spec,
        &placed.order,
        &placed.fills,
        resp,
        now,
    ))
}

fn op_test_order(sh: &Shared, p: &Params) -> Result<Value, ApiError> {
    let ex = sh.ex();
    let sym = symbol_of(&ex, p)?;
    parse_new_order(p, sym, &ex.markets[sym].spec, ex.last_price(sym))?;
    if p.get("computeCommissionRates") == Some("true") {
        let rate = json!({"maker": "0.00100000", "taker": "0.00100000"});
        return Ok(json!({
            "standardCommissionForOrder": rate,
            "taxCommissionForOrder": {"maker": "0.00000000", "taker": "0.00000000"},
            "discount": {"enabledForAccount": false, "enabledForSymbol": false,
                "discountAsset": "BNB", "discount": "0.00000000"},
        }));
    }
    Ok(json!({}))
}

fn order_ids(p: &Params, client_key: &str) -> Result<(Option<u64>, Option<String>), ApiError> {
    let id = p
        .int("orderId")?
        .map(|i| u64::try_from(i).map_err(|_| ApiError::illegal("orderId", "^[0-9]{1,20}$")))
        .transpose()?;
    let client = p.get(client_key).map(str::to_string);
    if id.is_none() && client.is_none() {
        return Err(ApiError::bad(
            -1102,
            format!("Param '{client_key}' or 'orderId' must be sent, but both were empty/null!"),
        ));
    }
    Ok((id, client))
}

/// `GET /api/v3/order`.
pub fn op_query_order(sh: &Shared, p: &Params) -> Result<Value, ApiError> {
    let ex = sh.ex();
    let sym = symbol_of(&ex, p)?;
    let (id, client) = order_ids(p, "origClientOrderId")?;
    let o = ex
        .find_order(sym, id, client.as_deref())
        .ok_or_else(ApiError::no_such_order)?;
    Ok(rest_wire::order(&ex.markets[sym].spec, o))
}

/// `DELETE /api/v3/order`.
pub fn op_cancel_order(sh: &Shared, p: &Params) -> Result<Value, ApiError> {
    let mut ex = sh.ex();
    let sym = symbol_of(&ex, p)?;
    let (id, client) = order_ids(p, "origClientOrderId")?;
    let cancel_id = p.get("newClientOrderId").map(str::to_string);
    if let Some(c) = &cancel_id {
        super::orders::check_client_id("newClientOrderId", c)?;
    }
    let done = ex.cancel(sym, id, client.as_deref(), cancel_id)?;
    let now = ex.now();
    Ok(rest_wire::canceled(&ex.markets[sym].spec, &done, now))
}

/// `GET /api/v3/openOrders` (one symbol or all).
pub fn op_open_orders(sh: &Shared, p: &Params) -> Result<Value, ApiError> {
    let ex = sh.ex();
    let sym = p.get("symbol").map(|_| symbol_of(&ex, p)).transpose()?;
    let list: Vec<Value> = ex
        .orders_where(sym, |o| o.status.is_open())
        .iter()
        .map(|o| rest_wire::order(&ex.markets[o.sym].spec, o))
        .collect();
    Ok(Value::Array(list))
}

fn op_cancel_open_orders(sh: &Shared, p: &Params) -> Result<Value, ApiError> {
    let mut ex = sh.ex();
    let sym = symbol_of(&ex, p)?;
    let open = ex.orders_where(Some(sym), |o| o.status.is_open());
    if open.is_empty() {
        return Err(ApiError::cancel_rejected());
    }
    let mut out = Vec::new();
    for o in open {
        let done = ex.cancel(sym, Some(o.id), None, None)?;
        let now = ex.now();
        out.push(rest_wire::canceled(&ex.markets[sym].spec, &done, now));
    }
    Ok(Value::Array(out))
}

fn op_all_orders(sh: &Shared, p: &Params) -> Result<Value, ApiError> {
    let limit = p.limit(500, 1000)?;
    let from = p.int("orderId")?.unwrap_or(0);
    let (start, end) = (p.int("startTime")?, p.int("endTime")?);
    let ex = sh.ex();
    let sym = symbol_of(&ex, p)?;
    let list = ex.orders_where(Some(sym), |o| {
        o.id as i64 >= from && start.is_none_or(|s| o.time >= s) && end.is_none_or(|e| o.time <= e)
    });
    let skip = if p.get("orderId").is_some() {
        0
    } else {
        list.len().saturating_sub(limit)
    };
    let out = list
        .iter()
        .skip(skip)
        .take(limit)
        .map(|o| rest_wire::order(&ex.markets[sym].spec, o))
        .collect();
    Ok(Value::Array(out))
}

/// `GET /api/v3/account`.
pub fn op_account(sh: &Shared, p: &Params) -> Result<Value, ApiError> {
    let ex = sh.ex();
    let omit = p.get("omitZeroBalances") == Some("true");
    Ok(rest_wire::account(&ex.account, ex.now(), omit))
}

fn op_my_trades(sh: &Shared, p: &Params) -> Result<Value, ApiError> {
    let limit = p.limit(500, 1000)?;
    let order_id = p.int("orderId")?;
    let from_id = p.int("fromId")?;
    let (start, end) = (p.int("startTime")?, p.int("endTime")?);
    let ex = sh.ex();
    let sym = symbol_of(&ex, p)?;
    let list: Vec<_> = ex
        .my_trades
        .iter()
        .filter(|t| t.sym == sym)
        .filter(|t| order_id.is_none_or(|o| t.order_id as i64 == o))
        .filter(|t| from_id.is_none_or(|f| t.id as i64 >= f))
        .filter(|t| start.is_none_or(|s| t.time >= s) && end.is_none_or(|e| t.time <= e))
        .collect();
    let skip = if from_id.is_some() {
        0
    } else {
        list.len().saturating_sub(limit)
    };
    let out = list
        .iter()
        .skip(skip)
        .take(limit)
        .map(|t| rest_wire::my_trade(&ex.markets[sym].spec, t))
        .collect();
    Ok(Value::Array(out))
}
