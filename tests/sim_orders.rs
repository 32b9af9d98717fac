//! Signed order and account endpoints over real HTTP: lifecycle, fills, balances, response
//! shapes against Binance's samples, and every error code of the issue.
#![allow(clippy::unwrap_used)]

mod sim_common;

use rust_decimal::Decimal;
use serde_json::Value;
use sim_common::*;
use speedtrade::domain::{Price, Qty};
use speedtrade::sim::SimHandle;

fn best(h: &SimHandle) -> (Price, Price) {
    let b = h.book("BTCUSDT").unwrap();
    (b.bids[0].0, b.asks[0].0)
}

fn px(p: Price, ticks: i64) -> String {
    Price::from_units(p.units() + ticks * 1_000_000).fmt_dp(2)
}

fn dec(v: &Value) -> Decimal {
    v.as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn limit_orders_rest_and_answer_queries() {
    let h = start(args()).await;
    h.pause_market();
    let (bid, _) = best(&h);
    let price = px(bid, -100_000);
    let q =
        format!("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price={price}");
    let (s, placed) = call(
        &h,
        "POST",
        "/api/v3/order",
        &format!("{q}&newClientOrderId=t1&newOrderRespType=RESULT"),
    )
    .await;
    assert_eq!(s, 200, "{placed}");
    assert_same_keys(
        &placed,
        &rest_sample("POST /api/v3/order (newOrderRespType=RESULT)"),
        &[],
    );
    assert_eq!(
        (placed["status"].as_str(), placed["clientOrderId"].as_str()),
        (Some("NEW"), Some("t1"))
    );
    let (_, ack) = call(
        &h,
        "POST",
        "/api/v3/order",
        &format!("{q}&newOrderRespType=ACK"),
    )
    .await;
    assert_same_keys(
        &ack,
        &rest_sample("POST /api/v3/order (newOrderRespType=ACK)"),
        &[],
    );
    let (s, dup) = call(
        &h,
        "POST",
        "/api/v3/order",
        &format!("{q}&newClientOrderId=t1"),
    )
    .await;
    assert_eq!(
        (s, &dup["code"], &dup["msg"]),
        (
            400,
            &Value::from(-2010),
            &Value::from("Duplicate order sent.")
        )
    );

    let (_, got) = call(
        &h,
        "GET",
        "/api/v3/order",
        "symbol=BTCUSDT&origClientOrderId=t1",
    )
    .await;
    assert_same_keys(&got, &rest_sample("GET /api/v3/order"), &[]);
    assert_eq!(got["isWorking"], true);
    let (_, open) = call(&h, "GET", "/api/v3/openOrders", "symbol=BTCUSDT").await;
    assert_eq!(open.as_array().unwrap().len(), 2);
    assert_same_keys(&open[0], &rest_sample("GET /api/v3/openOrders")[0], &[]);
    let level = h
        .book("BTCUSDT")
        .unwrap()
        .bids
        .into_iter()
        .find(|(p, _)| p.fmt_dp(2) == price);
    assert!(
        level.is_some_and(|(_, q)| q >= Qty::parse("0.02").unwrap()),
        "orders rest in the public book"
    );
    let (_, locked) = h.balance("USDT");
    assert_eq!(
        locked,
        Price::parse(&price).unwrap().to_decimal() * Decimal::new(2, 2)
    );
}

#[tokio::test]
async fn cancel_releases_the_order_and_its_client_id() {
    let h = start(args()).await;
    h.pause_market();
    let (bid, _) = best(&h);
    let price = px(bid, -100_000);
    let q =
        format!("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price={price}");
    for id in ["t1", "t0"] {
        let (s, _) = call(
            &h,
            "POST",
            "/api/v3/order",
            &format!("{q}&newClientOrderId={id}"),
        )
        .await;
        assert_eq!(s, 200);
    }
    let (s, canceled) = call(
        &h,
        "DELETE",
        "/api/v3/order",
        "symbol=BTCUSDT&origClientOrderId=t1&newClientOrderId=c1",
    )
    .await;
    assert_eq!(s, 200, "{canceled}");
    assert_same_keys(&canceled, &rest_sample("DELETE /api/v3/order"), &[]);
    assert_eq!(
        (
            canceled["status"].as_str(),
            canceled["clientOrderId"].as_str()
        ),
        (Some("CANCELED"), Some("c1"))
    );
    assert_eq!(canceled["origClientOrderId"], "t1");
    let (_, again) = call(
        &h,
        "DELETE",
        "/api/v3/order",
        "symbol=BTCUSDT&origClientOrderId=t1",
    )
    .await;
    assert_eq!(again["code"], -2011);
    let (_, missing) = call(&h, "GET", "/api/v3/order", "symbol=BTCUSDT&orderId=987654").await;
    assert_eq!(
        (missing["code"].as_i64(), missing["msg"].as_str()),
        (Some(-2013), Some("Order does not exist."))
    );
    let (s, reused) = call(
        &h,
        "POST",
        "/api/v3/order",
        &format!("{q}&newClientOrderId=t1"),
    )
    .await;
    assert_eq!(
        (s, reused["status"].as_str()),
        (200, Some("NEW")),
        "a finished order's id may be reused"
    );
    let (_, all) = call(&h, "DELETE", "/api/v3/openOrders", "symbol=BTCUSDT").await;
    assert_eq!(all.as_array().unwrap().len(), 2);
    assert_eq!(h.balance("USDT").1, Decimal::ZERO, "nothing stays locked");
    let (_, history) = call(&h, "GET", "/api/v3/allOrders", "symbol=BTCUSDT").await;
    assert_eq!(history.as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn market_orders_fill_and_move_balances() {
    let h = start(args()).await;
    h.pause_market();
    let (_, ask) = best(&h);
    let btc_before = h.balance("BTC").0;
    let (s, full) = call(
        &h,
        "POST",
        "/api/v3/order",
        "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.5",
    )
    .await;
    assert_eq!(s, 200, "{full}");
    assert_same_keys(
        &full,
        &rest_sample("POST /api/v3/order (newOrderRespType=FULL)"),
        &[],
    );
    assert_eq!(full["status"], "FILLED");
    let fills = full["fills"].as_array().unwrap();
    let filled: Decimal = fills.iter().map(|f| dec(&f["qty"])).sum();
    assert_eq!(filled, Decimal::new(5, 1));
    assert_eq!(dec(&fills[0]["price"]), ask.to_decimal());
    let commission: Decimal = fills.iter().map(|f| dec(&f["commission"])).sum();
    assert_eq!(
        h.balance("BTC").0,
        btc_before + Decimal::new(5, 1) - commission
    );
    assert!(
        h.book("BTCUSDT").unwrap().asks[0].0 >= ask,
        "the taker ate the top of the book"
    );

    let (_, acct) = call(&h, "GET", "/api/v3/account", "").await;
    assert_same_keys(&acct, &rest_sample("GET /api/v3/account"), &[]);
    let (_, mine) = call(&h, "GET", "/api/v3/myTrades", "symbol=BTCUSDT").await;
    assert_eq!(mine.as_array().unwrap().len(), fills.len());
    assert_eq!(mine[0]["id"], fills[0]["tradeId"]);
    assert_eq!(mine[0]["isBuyer"], true);

    let (_, by_quote) = call(
        &h,
        "POST",
        "/api/v3/order",
        "symbol=BTCUSDT&side=BUY&type=MARKET&quoteOrderQty=100",
    )
    .await;
    assert_eq!(by_quote["status"], "FILLED", "{by_quote}");
    assert!(dec(&by_quote["cummulativeQuoteQty"]) <= Decimal::from(100));
    assert_eq!(by_quote["origQuoteOrderQty"], "100.00000000");
    let (_, sell) = call(
        &h,
        "POST",
        "/api/v3/order",
        "symbol=BTCUSDT&side=SELL&type=MARKET&quantity=0.1&newOrderRespType=RESULT",
    )
    .await;
    assert_eq!(sell["status"], "FILLED");
}

#[tokio::test]
async fn post_only_fok_and_ioc() {
    let h = start(args()).await;
    h.pause_market();
    let (_, ask) = best(&h);
    let book = h.book("BTCUSDT").unwrap();
    let top_qty = book.asks[0].1;
    let at_ask = ask.fmt_dp(2);
    let maker = format!("symbol=BTCUSDT&side=BUY&type=LIMIT_MAKER&quantity=0.01&price={at_ask}");
    let (_, e) = call(&h, "POST", "/api/v3/order", &maker).await;
    assert_eq!(
        (e["code"].as_i64(), e["msg"].as_str()),
        (Some(-2010), Some("Order would immediately match and take."))
    );
    let more = top_qty
        .saturating_add(Qty::parse("0.001").unwrap())
        .fmt_dp(5);
    let fok = format!(
        "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=FOK&quantity={more}&price={at_ask}"
    );
    let (_, f) = call(&h, "POST", "/api/v3/order", &fok).await;
    assert_eq!(
        (f["status"].as_str(), f["executedQty"].as_str()),
        (Some("EXPIRED"), Some("0.00000000"))
    );
    let ioc = fok.replace("FOK", "IOC");
    let (_, i) = call(&h, "POST", "/api/v3/order", &ioc).await;
    assert_eq!(i["status"], "EXPIRED");
    assert_eq!(
        dec(&i["executedQty"]),
        top_qty.to_decimal(),
        "IOC fills what is there"
    );
}

#[tokio::test]
async fn stop_limit_waits_for_the_last_price() {
    let h = start(args()).await;
    h.pause_market();
    let (bid, _) = best(&h);
    let last = Price::parse(
        get(&h, "/api/v3/ticker/price?symbol=BTCUSDT").await.1["price"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let stop_now = format!(
        "symbol=BTCUSDT&side=SELL&type=STOP_LOSS_LIMIT&timeInForce=GTC&quantity=0.01&price={}&stopPrice={}",
        px(bid, -1000),
        px(last, 100)
    );
    let (_, e) = call(&h, "POST", "/api/v3/order", &stop_now).await;
    assert_eq!(e["msg"], "Stop price would trigger immediately.");
    let (_, ask2) = best(&h);
    let stop = px(ask2.max(last), 1);
    let q = format!(
        "symbol=BTCUSDT&side=BUY&type=STOP_LOSS_LIMIT&timeInForce=GTC&quantity=0.01&price={}&stopPrice={stop}&newClientOrderId=stop1&newOrderRespType=RESULT",
        px(ask2, 100_000)
    );
    let (_, placed) = call(&h, "POST", "/api/v3/order", &q).await;
    assert_eq!(placed["status"], "NEW", "{placed}");
    let (_, got) = call(
        &h,
        "GET",
        "/api/v3/order",
        "symbol=BTCUSDT&origClientOrderId=stop1",
    )
    .await;
    assert_eq!(
        (got["isWorking"].as_bool(), got["stopPrice"].as_str()),
        (Some(false), Some(format!("{stop}000000").as_str()))
    );
    let (_, push) = call(
        &h,
        "POST",
        "/api/v3/order",
        "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.5",
    )
    .await;
    assert_eq!(push["status"], "FILLED");
    h.resume_market();
    let mut status = String::new();
    for _ in 0..250 {
        let (_, o) = call(
            &h,
            "GET",
            "/api/v3/order",
            "symbol=BTCUSDT&origClientOrderId=stop1",
        )
        .await;
        status = o["status"].as_str().unwrap().to_string();
        if status == "FILLED" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        status, "FILLED",
        "the stop triggered once the last price reached it"
    );
}

#[tokio::test]
async fn authentication_errors() {
    let h = start(args()).await;
    let c = http();
    let url = format!("{}/api/v3/account?{}", h.rest_url(), signed(""));
    let no_key = c.get(&url).send().await.unwrap();
    assert_eq!(no_key.status().as_u16(), 401);
    assert_eq!(no_key.json::<Value>().await.unwrap()["code"], -2014);
    let bad_key = c
        .get(&url)
        .header("X-MBX-APIKEY", "nope")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_key.json::<Value>().await.unwrap()["code"], -2015);

    let key = speedtrade::sim::DEMO_API_KEY;
    let send = |q: String| {
        let c = c.clone();
        let u = format!("{}/api/v3/account?{q}", h.rest_url());
        async move {
            c.get(u)
                .header("X-MBX-APIKEY", key)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let tampered = signed("recvWindow=5000").replace("recvWindow=5000", "recvWindow=6000");
    assert_eq!(send(tampered).await["code"], -1022);
    assert_eq!(send("recvWindow=5000".into()).await["code"], -1102);
    let no_sig = format!("timestamp={}", now_ms());
    assert_eq!(
        send(no_sig).await["msg"],
        "Mandatory parameter 'signature' was not sent, was empty/null, or malformed."
    );
    let sign = |p: String| {
        format!(
            "{p}&signature={}",
            speedtrade::sim::auth::sign(speedtrade::sim::DEMO_API_SECRET, &p)
        )
    };
    let old = send(sign(format!("timestamp={}", now_ms() - 10_000))).await;
    assert_eq!(
        (old["code"].as_i64(), old["msg"].as_str()),
        (
            Some(-1021),
            Some("Timestamp for this request is outside of the recvWindow.")
        )
    );
    let ahead = send(sign(format!("timestamp={}", now_ms() + 5_000))).await;
    assert_eq!(ahead["code"], -1021);
    let window = send(sign(format!("timestamp={}&recvWindow=60001", now_ms()))).await;
    assert_eq!(window["code"], -1131);
    let upper = signed("")
        .to_uppercase()
        .replace("TIMESTAMP", "timestamp")
        .replace("SIGNATURE", "signature");
    assert!(
        send(upper).await["balances"].is_array(),
        "HMAC signatures are case-insensitive"
    );
}

#[tokio::test]
async fn order_parameter_errors() {
    let h = start(args()).await;
    let order_errors = [
        ("symbol=NOPE&side=BUY&type=MARKET&quantity=1", -1121),
        (
            "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=0.01&price=100",
            -1102,
        ),
        (
            "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=100.001",
            -1013,
        ),
        (
            "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.000001&price=100",
            -1013,
        ),
        (
            "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&price=100",
            -1013,
        ),
        (
            "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=50&price=80000",
            -2010,
        ),
        (
            "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=1&newClientOrderId=bad!",
            -1100,
        ),
    ];
    for (q, code) in order_errors {
        let (s, body) = call(&h, "POST", "/api/v3/order", q).await;
        assert_eq!((s, body["code"].as_i64()), (400, Some(code)), "{q}: {body}");
    }
    let (_, e) = call(&h, "DELETE", "/api/v3/order", "symbol=BTCUSDT").await;
    assert_eq!(e["code"], -1102);
}

#[tokio::test]
async fn signature_vectors_and_mixed_query_and_body() {
    let v: Value =
        serde_json::from_str(include_str!("fixtures/binance_signature_vector.json")).unwrap();
    let secret = v["secretKey"].as_str().unwrap();
    for vec in v["vectors"].as_array().unwrap() {
        let got = speedtrade::sim::auth::sign(secret, vec["payload"].as_str().unwrap());
        assert_eq!(
            got,
            vec["expected_signature_hex"].as_str().unwrap(),
            "{}",
            vec["id"]
        );
    }
    let ws_params: serde_json::Map<String, Value> = serde_json::from_value(serde_json::json!({
        "symbol": "BTCUSDT", "side": "SELL", "type": "LIMIT", "timeInForce": "GTC",
        "quantity": "0.01000000", "price": "52000.00", "recvWindow": 100,
        "timestamp": 1645423376532u64, "apiKey": v["apiKey"], "signature": "x"
    }))
    .unwrap();
    let payload = speedtrade::sim::auth::ws_payload(&ws_params);
    assert_eq!(payload, v["vectors"][3]["payload"].as_str().unwrap());

    let h = start(args()).await;
    let query = "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC";
    let body = format!("quantity=0.01&price=1000.00&timestamp={}", now_ms());
    let sig =
        speedtrade::sim::auth::sign(speedtrade::sim::DEMO_API_SECRET, &format!("{query}{body}"));
    let resp = http()
        .post(format!("{}/api/v3/order?{query}", h.rest_url()))
        .header("X-MBX-APIKEY", speedtrade::sim::DEMO_API_KEY)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("{body}&signature={sig}"))
        .send()
        .await
        .unwrap();
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["status"], "NEW", "{v}");
}
