//! JSON bodies of the REST and WebSocket API replies (orders, account, trades, exchangeInfo,
//! tickers), with Binance's field names and decimal strings.

use super::account::{Account, d8};
use super::engine::{Exchange, MyTrade};
use super::events::TickerSnap;
use super::matching::{Canceled, FillInfo};
use super::orders::{OrdType, RespType, SimOrder, side_str};
use super::symbols::SymbolSpec;
use super::wire;
use serde_json::{Value, json};

fn stop_str(o: &SimOrder) -> String {
    o.stop.fmt_dp(8)
}

/// The reply to a new order in the requested shape.
pub fn new_order(
    spec: &SymbolSpec,
    o: &SimOrder,
    fills: &[FillInfo],
    resp: RespType,
    now: i64,
) -> Value {
    let mut v = json!({
        "symbol": spec.name, "orderId": o.id, "orderListId": -1,
        "clientOrderId": o.client_id, "transactTime": now,
    });
    if resp == RespType::Ack {
        return v;
    }
    let extra = json!({
        "price": o.price.fmt_dp(8), "origQty": o.orig_qty.fmt_dp(8),
        "executedQty": o.executed.fmt_dp(8), "origQuoteOrderQty": o.orig_quote.fmt_dp(8),
        "cummulativeQuoteQty": d8(o.cum_quote), "status": o.status.as_str(),
        "timeInForce": o.tif.as_str(), "type": o.kind.as_str(), "side": side_str(o.side),
        "workingTime": o.working_time, "selfTradePreventionMode": "NONE",
    });
    merge(&mut v, extra);
    if matches!(o.kind, OrdType::StopLossLimit | OrdType::TakeProfitLimit) {
        merge(&mut v, json!({ "stopPrice": stop_str(o) }));
    }
    if resp == RespType::Full {
        let fills: Vec<Value> = fills.iter().map(fill).collect();
        merge(&mut v, json!({ "fills": fills }));
    }
    v
}

fn fill(f: &FillInfo) -> Value {
    json!({
        "price": f.price.fmt_dp(8), "qty": f.qty.fmt_dp(8), "commission": d8(f.commission),
        "commissionAsset": f.commission_asset, "tradeId": f.trade_id,
    })
}

fn merge(v: &mut Value, extra: Value) {
    if let (Some(dst), Value::Object(src)) = (v.as_object_mut(), extra) {
        dst.extend(src);
    }
}

/// An order as `GET /api/v3/order` and `openOrders` return it.
pub fn order(spec: &SymbolSpec, o: &SimOrder) -> Value {
    json!({
        "symbol": spec.name, "orderId": o.id, "orderListId": -1, "clientOrderId": o.client_id,
        "price": o.price.fmt_dp(8), "origQty": o.orig_qty.fmt_dp(8),
        "executedQty": o.executed.fmt_dp(8), "cummulativeQuoteQty": d8(o.cum_quote),
        "status": o.status.as_str(), "timeInForce": o.tif.as_str(), "type": o.kind.as_str(),
        "side": side_str(o.side), "stopPrice": stop_str(o), "icebergQty": "0.00000000",
        "time": o.time, "updateTime": o.update_time,
        "isWorking": o.is_working(), "workingTime": o.working_time,
        "origQuoteOrderQty": o.orig_quote.fmt_dp(8), "selfTradePreventionMode": "NONE",
    })
}

/// The reply to a cancel.
pub fn canceled(spec: &SymbolSpec, c: &Canceled, now: i64) -> Value {
    let o = &c.order;
    json!({
        "symbol": spec.name, "origClientOrderId": o.client_id, "orderId": o.id,
        "orderListId": -1, "clientOrderId": c.cancel_id, "transactTime": now,
        "price": o.price.fmt_dp(8), "origQty": o.orig_qty.fmt_dp(8),
        "executedQty": o.executed.fmt_dp(8), "origQuoteOrderQty": o.orig_quote.fmt_dp(8),
        "cummulativeQuoteQty": d8(o.cum_quote), "status": o.status.as_str(),
        "timeInForce": o.tif.as_str(), "type": o.kind.as_str(), "side": side_str(o.side),
        "selfTradePreventionMode": "NONE",
    })
}

/// `GET /api/v3/account`.
pub fn account(acct: &Account, now: i64, omit_zero: bool) -> Value {
    let balances: Vec<Value> = acct
        .all()
        .filter(|(_, b)| !(omit_zero && b.free.is_zero() && b.locked.is_zero()))
        .map(|(a, b)| json!({"asset": a, "free": d8(b.free), "locked": d8(b.locked)}))
        .collect();
    json!({
        "makerCommission": 10, "takerCommission": 10, "buyerCommission": 0,
        "sellerCommission": 0,
        "commissionRates": {"maker": "0.00100000", "taker": "0.00100000",
            "buyer": "0.00000000", "seller": "0.00000000"},
        "canTrade": true, "canWithdraw": false, "canDeposit": false, "brokered": false,
        "requireSelfTradePrevention": false, "preventSor": false, "updateTime": now,
        "accountType": "SPOT", "balances": balances, "permissions": ["SPOT"], "uid": 1_000_001,
    })
}

/// One entry of `GET /api/v3/myTrades`.
pub fn my_trade(spec: &SymbolSpec, t: &MyTrade) -> Value {
    json!({
        "symbol": spec.name, "id": t.id, "orderId": t.order_id, "orderListId": -1,
        "price": t.price.fmt_dp(8), "qty": t.qty.fmt_dp(8), "quoteQty": d8(t.quote_qty),
        "commission": d8(t.commission), "commissionAsset": t.commission_asset, "time": t.time,
        "isBuyer": t.is_buyer, "isMaker": t.is_maker, "isBestMatch": true,
    })
}

/// `GET /api/v3/exchangeInfo` for the given markets.
pub fn exchange_info(ex: &Exchange, syms: &[usize], now: i64, weight_limit: u32) -> Value {
    let symbols: Vec<Value> = syms
        .iter()
        .map(|&i| symbol_info(&ex.markets[i].spec))
        .collect();
    json!({
        "timezone": "UTC", "serverTime": now,
        "rateLimits": [
            {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1,
             "limit": weight_limit},
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
            {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 200000},
            {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5,
             "limit": 61000},
        ],
        "exchangeFilters": [], "symbols": symbols,
    })
}

fn symbol_info(s: &SymbolSpec) -> Value {
    let types: Vec<&str> = OrdType::ALL.iter().map(|t| t.as_str()).collect();
    let lot = |kind: &str| {
        json!({"filterType": kind, "minQty": s.min_qty.fmt_dp(8),
               "maxQty": s.max_qty.fmt_dp(8), "stepSize": s.step.fmt_dp(8)})
    };
    json!({
        "symbol": s.name, "status": "TRADING", "baseAsset": s.base, "baseAssetPrecision": 8,
        "quoteAsset": s.quote, "quotePrecision": 8, "quoteAssetPrecision": 8,
        "baseCommissionPrecision": 8, "quoteCommissionPrecision": 8, "orderTypes": types,
        "icebergAllowed": false, "ocoAllowed": false, "otoAllowed": false,
        "quoteOrderQtyMarketAllowed": true, "allowTrailingStop": false,
        "cancelReplaceAllowed": false, "amendAllowed": false, "isSpotTradingAllowed": true,
        "isMarginTradingAllowed": false,
        "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": s.min_price.fmt_dp(8),
             "maxPrice": s.max_price.fmt_dp(8), "tickSize": s.tick.fmt_dp(8)},
            lot("LOT_SIZE"),
            lot("MARKET_LOT_SIZE"),
            {"filterType": "NOTIONAL", "minNotional": d8(s.min_notional),
             "applyMinToMarket": true, "maxNotional": d8(s.max_notional),
             "applyMaxToMarket": false, "avgPriceMins": 5},
        ],
        "permissions": [], "permissionSets": [["SPOT"]],
        "defaultSelfTradePreventionMode": "NONE", "allowedSelfTradePreventionModes": ["NONE"],
    })
}

/// `GET /api/v3/ticker/24hr` for one symbol.
pub fn ticker_24hr(spec: &SymbolSpec, t: &TickerSnap) -> Value {
    let change = t.last.units() - t.open.units();
    json!({
        "symbol": spec.name,
        "priceChange": crate::domain::Price::from_units(change).fmt_dp(8),
        "priceChangePercent": format!("{:.3}", wire::percent(change, t.open)),
        "weightedAvgPrice": d8(wire::weighted_avg(t)), "prevClosePrice": t.open.fmt_dp(8),
        "lastPrice": t.last.fmt_dp(8), "lastQty": t.last_qty.fmt_dp(8),
        "bidPrice": t.bid.0.fmt_dp(8), "bidQty": t.bid.1.fmt_dp(8),
        "askPrice": t.ask.0.fmt_dp(8), "askQty": t.ask.1.fmt_dp(8),
        "openPrice": t.open.fmt_dp(8), "highPrice": t.high.fmt_dp(8),
        "lowPrice": t.low.fmt_dp(8), "volume": t.volume.fmt_dp(8),
        "quoteVolume": d8(t.quote_volume), "openTime": t.open_time, "closeTime": t.time,
        "firstId": t.first_id, "lastId": t.last_id, "count": t.count,
    })
}
