//! Binance broker over real HTTP, the paths that succeed: signed order bodies for every order
//! type, FULL / RESULT replies with their fills, query, cancel, open orders and account.

#![allow(clippy::unwrap_used)] // test helpers may panic on broken fixtures

mod binance_broker_support;

use binance_broker_support::*;
use speedtrade::domain::{
    ClientOrderId, OrderAmount, OrderStatus, OrderType, Price, Qty, Side, TimeInForce,
};
use speedtrade::secrets::Credentials;
use speedtrade::venue::binance::broker::{BinanceBroker, BinanceBrokerConfig, BinanceRespType};
use speedtrade::venue::{Broker, BrokerError};

#[tokio::test]
async fn submit_signs_the_body_and_reads_every_fill_of_a_full_reply() {
    let srv = Server::start().await;
    srv.script(
        "POST",
        "/api/v3/order",
        Reply::Json(200, vec![], full_reply()),
    );
    let broker = srv.broker(BinanceRespType::Full);
    let (update, fills) = broker.submit_with_fills(&limit_buy("ord-1")).await.unwrap();

    let cap = &srv.captured()[0];
    assert!(cap.signature_ok, "signature of {cap:?}");
    assert_eq!(cap.api_key.as_deref(), Some(KEY));
    assert!(cap.query.is_empty(), "POST params travel in the body");
    let p = cap.params();
    for (k, v) in [
        ("symbol", "BTCUSDT"),
        ("side", "BUY"),
        ("type", "LIMIT"),
        ("timeInForce", "GTC"),
        ("quantity", "0.015"),
        ("price", "64000.1"),
        ("newClientOrderId", "ord-1"),
        ("newOrderRespType", "FULL"),
        ("recvWindow", "5000"),
    ] {
        assert_eq!(p.get(k).map(String::as_str), Some(v), "param {k}");
    }
    assert!(p["timestamp"].parse::<i64>().unwrap() > 1_600_000_000_000);

    assert_eq!(update.client_order_id.as_str(), "ord-1");
    assert_eq!(update.venue_order_id.as_deref(), Some("28"));
    assert_eq!(update.status, OrderStatus::Filled);
    assert_eq!(update.filled_qty, Qty::parse("10").unwrap());
    let ids: Vec<_> = fills.iter().map(|f| f.trade_id.as_str()).collect();
    assert_eq!(ids, ["56", "57", "58", "59", "60"]);
    assert_eq!(fills[1].price, Price::parse("3999").unwrap());
    assert_eq!(fills[1].qty, Qty::parse("5").unwrap());
    assert_eq!(fills[1].fee.to_string(), "19.99500000");
    assert_eq!(fills[1].fee_asset, "USDT");
    // The sample is a SELL reply; the reply's side wins over the request's.
    assert_eq!(fills[0].side, Side::Sell);
}

#[tokio::test]
async fn order_types_map_to_binance_params() {
    let srv = Server::start().await;
    let broker = srv.broker(BinanceRespType::Result);
    let result = sample("POST /api/v3/order (newOrderRespType=RESULT)").to_string();
    let mut market = limit_buy("m-1");
    market.order_type = OrderType::Market;
    market.amount = OrderAmount::Quote(Qty::parse("100").unwrap());
    market.price = None;
    let mut stop = limit_buy("s-1");
    stop.order_type = OrderType::StopLimit;
    stop.stop_price = Some(Price::parse("63000").unwrap());
    stop.tif = TimeInForce::Ioc;
    let mut post = limit_buy("p-1");
    post.order_type = OrderType::PostOnly;
    for req in [&market, &stop, &post] {
        srv.script(
            "POST",
            "/api/v3/order",
            Reply::Json(200, vec![], result.clone()),
        );
        let u = broker.submit(req).await.unwrap();
        assert_eq!(u.status, OrderStatus::Filled);
        assert_eq!(u.fill, None, "RESULT replies carry no fills");
    }
    let caps = srv.captured();
    let m = caps[0].params();
    assert_eq!(
        (m["type"].as_str(), m["quoteOrderQty"].as_str()),
        ("MARKET", "100")
    );
    assert!(!m.contains_key("timeInForce") && !m.contains_key("quantity"));
    assert_eq!(m["newOrderRespType"], "RESULT");
    let s = caps[1].params();
    assert_eq!(
        (
            s["type"].as_str(),
            s["stopPrice"].as_str(),
            s["timeInForce"].as_str()
        ),
        ("STOP_LOSS_LIMIT", "63000", "IOC")
    );
    let p = caps[2].params();
    assert_eq!(
        (p["type"].as_str(), p["price"].as_str()),
        ("LIMIT_MAKER", "64000.1")
    );
    assert!(!p.contains_key("timeInForce"));
    assert!(caps.iter().all(|c| c.signature_ok));
}

#[tokio::test]
async fn what_binance_cannot_express_is_refused_before_sending() {
    let srv = Server::start().await;
    let broker = srv.broker(BinanceRespType::Full);
    let mut day = limit_buy("d-1");
    day.tif = TimeInForce::Day;
    let mut quote_limit = limit_buy("q-1");
    quote_limit.amount = OrderAmount::Quote(Qty::parse("10").unwrap());
    for req in [day, quote_limit] {
        let err = broker.submit(&req).await.unwrap_err();
        assert!(
            matches!(err, BrokerError::Rejected { code: None, .. }),
            "{err:?}"
        );
    }
    assert!(srv.captured().is_empty());
}

#[tokio::test]
async fn query_cancel_open_orders_and_account_read_the_samples() {
    let srv = Server::start().await;
    srv.json("GET", "/api/v3/order", 200, sample("GET /api/v3/order"));
    srv.json(
        "DELETE",
        "/api/v3/order",
        200,
        sample("DELETE /api/v3/order"),
    );
    srv.json(
        "GET",
        "/api/v3/openOrders",
        200,
        sample("GET /api/v3/openOrders"),
    );
    srv.json("GET", "/api/v3/account", 200, sample("GET /api/v3/account"));
    let broker = srv.broker(BinanceRespType::Full);
    let id = ClientOrderId::new("myOrder1").unwrap();

    let q = broker.query(&sym("LTCBTC"), &id).await.unwrap();
    assert_eq!(
        (q.status, q.venue_order_id.as_deref()),
        (OrderStatus::New, Some("1"))
    );
    assert_eq!(q.filled_qty, Qty::ZERO);

    let c = broker.cancel(&sym("LTCBTC"), &id).await.unwrap();
    assert_eq!(c.status, OrderStatus::Canceled);
    assert_eq!(
        c.client_order_id, id,
        "the cancelled order's id, not the cancel's"
    );

    let open = broker.open_orders(Some(&sym("LTCBTC"))).await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].client_order_id, id);

    let acct = broker.account().await.unwrap();
    let assets: Vec<_> = acct.balances.iter().map(|b| b.asset.as_str()).collect();
    assert_eq!(assets, ["BTC", "LTC"]);
    assert_eq!(acct.balances[0].free.to_string(), "4723846.89208129");

    let caps = srv.captured();
    assert!(
        caps.iter()
            .all(|c| c.signature_ok && c.api_key.as_deref() == Some(KEY))
    );
    let p = caps[0].params();
    assert_eq!(p["origClientOrderId"], "myOrder1");
    assert_eq!(caps[1].method, "DELETE");
}

#[tokio::test]
async fn broker_debug_and_errors_never_show_the_secret() {
    let srv = Server::start().await;
    let broker = srv.broker(BinanceRespType::Full);
    let dbg = format!("{broker:?} {:?}", broker.client());
    assert!(!dbg.contains(SECRET) && !dbg.contains(KEY), "{dbg}");
    srv.json(
        "POST",
        "/api/v3/order",
        400,
        serde_json::json!({"code": -1022, "msg": "bad"}),
    );
    let err = broker.submit(&limit_buy("z-1")).await.unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(!text.contains(SECRET) && !text.contains(KEY), "{text}");
}

#[tokio::test]
async fn the_server_check_catches_a_wrong_secret() {
    let srv = Server::start().await;
    srv.script(
        "POST",
        "/api/v3/order",
        Reply::Json(200, vec![], full_reply()),
    );
    let cfg = BinanceBrokerConfig::new(srv.url.clone(), "ws://127.0.0.1:9/unused");
    let broker = BinanceBroker::new(cfg, &Credentials::new(KEY, "not-the-secret")).unwrap();
    broker.submit(&limit_buy("w-1")).await.unwrap();
    assert!(!srv.captured()[0].signature_ok);
}

#[tokio::test]
async fn a_single_fill_rides_on_the_update_and_cancel_all_skips_order_lists() {
    let srv = Server::start().await;
    let mut one = sample("POST /api/v3/order (newOrderRespType=FULL)");
    one["clientOrderId"] = "$CLIENT_ID".into();
    one["fills"] = serde_json::json!([one["fills"][0].clone()]);
    srv.script(
        "POST",
        "/api/v3/order",
        Reply::Json(200, vec![], one.to_string()),
    );
    let oco = serde_json::json!({"orderListId": 1929, "contingencyType": "OCO",
        "listStatusType": "ALL_DONE", "orders": [], "orderReports": []});
    let cancelled = serde_json::json!([sample("DELETE /api/v3/order"), oco]);
    srv.json("DELETE", "/api/v3/openOrders", 200, cancelled);
    let broker = srv.broker(BinanceRespType::Full);

    let u = broker.submit(&limit_buy("one-1")).await.unwrap();
    let fill = u.fill.expect("the only fill");
    assert_eq!(
        (fill.trade_id.as_str(), fill.client_order_id.as_str()),
        ("56", "one-1")
    );

    let done = broker.cancel_all(&sym("LTCBTC")).await.unwrap();
    assert_eq!(done.len(), 1);
    assert_eq!(
        (done[0].client_order_id.as_str(), done[0].status),
        ("myOrder1", OrderStatus::Canceled)
    );
    let caps = srv.captured();
    assert_eq!(
        (caps[1].method.as_str(), caps[1].params()["symbol"].as_str()),
        ("DELETE", "LTCBTC")
    );
    assert!(caps.iter().all(|c| c.signature_ok));
}

#[tokio::test]
async fn order_fills_come_from_my_trades() {
    let srv = Server::start().await;
    srv.json("GET", "/api/v3/order", 200, sample("GET /api/v3/order"));
    // Shape from the docs' "Account trade list" example.
    let trades = serde_json::json!([{"symbol": "LTCBTC", "id": 28457, "orderId": 1,
        "orderListId": -1, "price": "4.00000100", "qty": "12.00000000", "quoteQty": "48.000012",
        "commission": "10.10000000", "commissionAsset": "BNB", "time": 1499865549590u64,
        "isBuyer": true, "isMaker": false, "isBestMatch": true}]);
    srv.json("GET", "/api/v3/myTrades", 200, trades);
    let broker = srv.broker(BinanceRespType::Full);
    let id = ClientOrderId::new("myOrder1").unwrap();
    let fills = broker.order_fills(&sym("LTCBTC"), &id).await.unwrap();
    assert_eq!(fills.len(), 1);
    assert_eq!(
        (fills[0].trade_id.as_str(), fills[0].side, fills[0].is_maker),
        ("28457", Side::Buy, false)
    );
    assert_eq!(fills[0].price, Price::parse("4.000001").unwrap());
    assert_eq!(srv.captured()[1].params()["orderId"], "1");
}
