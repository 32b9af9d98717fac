//! The Alpaca broker against a real HTTP server on 127.0.0.1 speaking Alpaca REST v2: auth
//! headers checked, order bodies captured, real sample bodies returned, and every error class
//! (401/403/404/422/429/5xx/207, timeouts, dropped and refused connections) classified.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

mod alpaca_support;

use alpaca_support::{extra, sample};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use speedtrade::domain::{
    ClientOrderId, Interval, OrderAmount, OrderRequest, OrderStatus, OrderType, Price, Qty, Side,
    Symbol, TimeInForce, VenueId,
};
use speedtrade::venue::alpaca::{AlpacaBroker, AlpacaCredentials, AlpacaEndpoints, AlpacaFeed};
use speedtrade::venue::{Broker, BrokerError};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const KEY: &str = "PKTESTKEY";
const SECRET: &str = "test-secret-value";
const OUR_ORDER_ID: &str = "61e69015-8549-4bfd-b9c3-01e75843f47d";

/// One request the server saw.
#[derive(Debug, Clone)]
struct Seen {
    method: Method,
    path: String,
    query: String,
    body: String,
}

#[derive(Default)]
struct Srv {
    seen: Mutex<Vec<Seen>>,
}

fn json_reply(status: u16, body: impl Into<String>) -> Response {
    let status = StatusCode::from_u16(status).unwrap();
    (status, [("content-type", "application/json")], body.into()).into_response()
}

fn error_reply(status: u16, code: i64, message: &str) -> Response {
    json_reply(
        status,
        json!({"code": code, "message": message}).to_string(),
    )
}

/// The docs' order sample with a few fields replaced.
fn order_json(client_order_id: &str, patch: &[(&str, Value)]) -> String {
    let mut v: Value = serde_json::from_str(&sample(&["rest", "order", "body"])).unwrap();
    v["client_order_id"] = json!(client_order_id);
    for (k, val) in patch {
        v[*k] = val.clone();
    }
    v.to_string()
}

fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

async fn handle(
    State(srv): State<Arc<Srv>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> Response {
    let path = uri.path().to_string();
    let query = uri.query().unwrap_or_default().to_string();
    let seen = Seen {
        method: method.clone(),
        path: path.clone(),
        query: query.clone(),
        body,
    };
    srv.seen.lock().unwrap().push(seen.clone());
    let header = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    };
    if header("apca-api-key-id") != KEY || header("apca-api-secret-key") != SECRET {
        return error_reply(401, 40110000, "request is not authorized");
    }
    route(&seen).await
}

async fn route(s: &Seen) -> Response {
    match (s.method.as_str(), s.path.as_str()) {
        ("GET", "/v2/account") => json_reply(200, sample(&["rest", "account", "body"])),
        ("GET", "/v2/positions") => json_reply(
            200,
            format!(
                "[{},{}]",
                sample(&["rest", "position", "body"]),
                sample(&["rest", "position_crypto", "body"])
            ),
        ),
        ("GET", "/v2/orders") => {
            let ours = order_json("st-open-1", &[("status", json!("new"))]);
            let foreign = order_json(&"x".repeat(40), &[]);
            json_reply(200, format!("[{ours},{foreign}]"))
        }
        ("POST", "/v2/orders") => submit(s).await,
        ("GET", "/v2/orders:by_client_order_id") => by_client_id(s),
        ("DELETE", "/v2/orders") => json_reply(
            207,
            format!(
                r#"[{{"id":"{OUR_ORDER_ID}","status":200,"body":{}}},{{"id":"other","status":500,"body":{{"code":50010000,"message":"failed"}}}}]"#,
                order_json("st-open-1", &[("status", json!("pending_cancel"))])
            ),
        ),
        ("DELETE", p) if p == format!("/v2/orders/{OUR_ORDER_ID}") => {
            StatusCode::NO_CONTENT.into_response()
        }
        ("DELETE", "/v2/orders/filled-order-id") => {
            error_reply(422, 42210000, "order is not cancelable")
        }
        ("GET", "/v2/assets") => json_reply(
            200,
            format!(
                "[{},{}]",
                extra(&["asset_us_equity", "body"]),
                extra(&["asset_crypto", "body"])
            ),
        ),
        ("GET", "/v2/stocks/AAPL/bars") => bars(s),
        _ => error_reply(404, 40410000, "endpoint not found"),
    }
}

async fn submit(s: &Seen) -> Response {
    let body: Value = serde_json::from_str(&s.body).unwrap_or(Value::Null);
    let id = body["client_order_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    match id.as_str() {
        "st-403" => error_reply(403, 40310000, "insufficient buying power"),
        "st-422" => json_reply(422, sample(&["rest", "error_body_422", "body"])),
        "st-429" => {
            let mut r = error_reply(429, 42910000, "rate limit exceeded");
            r.headers_mut().insert("retry-after", "7".parse().unwrap());
            r
        }
        "st-503" => error_reply(503, 50300000, "service unavailable"),
        "st-dup" | "st-known" => error_reply(422, 40010001, "client_order_id must be unique"),
        "st-garbage" => json_reply(200, "<html>ok</html>"),
        "st-slow" => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            json_reply(200, order_json(&id, &[]))
        }
        _ => json_reply(
            200,
            order_json(
                &id,
                &[("symbol", body["symbol"].clone()), ("status", json!("new"))],
            ),
        ),
    }
}

fn by_client_id(s: &Seen) -> Response {
    match query_param(&s.query, "client_order_id").as_deref() {
        Some("st-known") => json_reply(
            200,
            order_json(
                "st-known",
                &[
                    ("status", json!("partially_filled")),
                    ("filled_qty", json!("3")),
                    ("filled_avg_price", json!("190.25")),
                ],
            ),
        ),
        Some("st-filled") => json_reply(
            200,
            order_json(
                "st-filled",
                &[
                    ("id", json!("filled-order-id")),
                    ("status", json!("filled")),
                ],
            ),
        ),
        _ => error_reply(404, 40410000, "order not found"),
    }
}

fn bars(s: &Seen) -> Response {
    match query_param(&s.query, "page_token") {
        None => json_reply(200, extra(&["bars", "body"])),
        Some(_) => json_reply(
            200,
            r#"{"bars":[{"t":"2022-04-11T07:59:00Z","o":168.5,"h":168.6,"l":168.4,"c":168.55,"v":100,"n":3,"vw":168.5}],"symbol":"AAPL","next_page_token":null}"#,
        ),
    }
}

async fn server() -> (Arc<Srv>, AlpacaEndpoints) {
    let srv = Arc::new(Srv::default());
    let app = axum::Router::new().fallback(handle).with_state(srv.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let url = format!("http://{addr}");
    let endpoints = AlpacaEndpoints {
        trading_url: url.clone(),
        data_rest_url: url,
        ..AlpacaEndpoints::paper()
    };
    (srv, endpoints)
}

fn broker(endpoints: &AlpacaEndpoints) -> AlpacaBroker {
    let creds = AlpacaCredentials::new(KEY, SECRET);
    AlpacaBroker::with_timeout(endpoints, Some(creds), Duration::from_millis(800)).unwrap()
}

fn order(id: &str, order_type: OrderType, amount: OrderAmount, tif: TimeInForce) -> OrderRequest {
    OrderRequest {
        client_order_id: ClientOrderId::new(id).unwrap(),
        venue: VenueId::Alpaca,
        symbol: Symbol::new("SPY").unwrap(),
        side: Side::Buy,
        order_type,
        amount,
        price: Some(Price::parse("298.50").unwrap()),
        stop_price: None,
        tif,
    }
}

fn hundred() -> OrderAmount {
    OrderAmount::Base(Qty::from_int(100))
}

#[tokio::test]
async fn submit_sends_the_documented_body_and_reads_the_reply() {
    let (srv, ep) = server().await;
    let b = broker(&ep);
    let req = order("st-ok-1", OrderType::Market, hundred(), TimeInForce::Gtc);
    let u = b.submit(&req).await.unwrap();
    assert_eq!(u.client_order_id, req.client_order_id);
    assert_eq!(u.status, OrderStatus::New);
    assert_eq!(u.symbol, Symbol::new("SPY").unwrap());
    assert_eq!(u.venue_order_id.as_deref(), Some(OUR_ORDER_ID));

    // The docs' bracket body is our market order plus the bracket fields we do not send.
    let sent: Value = serde_json::from_str(&srv.seen.lock().unwrap()[0].body).unwrap();
    let mut want: Value =
        serde_json::from_str(&sample(&["order_request_bodies", "bracket", "body"])).unwrap();
    for k in ["order_class", "take_profit", "stop_loss"] {
        want.as_object_mut().unwrap().remove(k);
    }
    want["client_order_id"] = json!("st-ok-1");
    assert_eq!(sent, want);

    let limit = order("st-ok-2", OrderType::Limit, hundred(), TimeInForce::Day);
    b.submit(&limit).await.unwrap();
    let sent: Value = serde_json::from_str(&srv.seen.lock().unwrap()[1].body).unwrap();
    assert_eq!(sent["type"], "limit");
    assert_eq!(
        sent["limit_price"], "298.5",
        "decimal string, exactly the typed value"
    );
    assert_eq!(sent["time_in_force"], "day");
}

#[tokio::test]
async fn every_failure_is_classified_for_the_order_manager() {
    let (srv, ep) = server().await;
    let b = broker(&ep);
    type Check = fn(&BrokerError) -> bool;
    let cases: [(&str, Check); 7] = [
        (
            "st-403",
            |e| matches!(e, BrokerError::Rejected { code: Some(40310000), message } if message == "insufficient buying power"),
        ),
        (
            "st-422",
            |e| matches!(e, BrokerError::Rejected { code: Some(42210000), message } if message.contains("sub-penny")),
        ),
        (
            "st-dup",
            |e| matches!(e, BrokerError::Rejected { message, .. } if message.contains("must be unique")),
        ),
        ("st-429", |e| {
            *e == BrokerError::RateLimited {
                retry_after: Duration::from_secs(7),
                banned: false,
            }
        }),
        (
            "st-503",
            |e| matches!(e, BrokerError::Unknown(m) if m.contains("503")),
        ),
        (
            "st-garbage",
            |e| matches!(e, BrokerError::Unknown(m) if m.contains("query it")),
        ),
        ("st-slow", |e| matches!(e, BrokerError::Unknown(_))),
    ];
    for (id, check) in cases {
        let err = b
            .submit(&order(id, OrderType::Market, hundred(), TimeInForce::Day))
            .await
            .unwrap_err();
        assert!(check(&err), "{id}: {err:?}");
    }
    let seen = srv.seen.lock().unwrap().clone();
    let posts = seen.iter().filter(|s| s.method == Method::POST).count();
    assert_eq!(posts, cases.len(), "each sent exactly once");
    assert_eq!(
        seen.len(),
        cases.len() + 1,
        "plus one lookup for the duplicate id"
    );
}

#[tokio::test]
async fn a_resend_alpaca_already_has_reports_the_existing_order() {
    let (srv, ep) = server().await;
    let b = broker(&ep);
    let resend = order("st-known", OrderType::Market, hundred(), TimeInForce::Day);
    let u = b.submit(&resend).await.unwrap();
    assert_eq!(u.client_order_id, resend.client_order_id);
    assert_eq!(
        u.status,
        OrderStatus::PartiallyFilled,
        "the order that exists, not a rejection"
    );
    let seen = srv.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "one POST, one lookup");
    assert_eq!(seen[1].path, "/v2/orders:by_client_order_id");
}

#[tokio::test]
async fn what_alpaca_cannot_take_never_leaves_the_process() {
    let (srv, ep) = server().await;
    let b = broker(&ep);
    let notional = OrderAmount::Quote(Qty::from_int(500));
    let refused = [
        order("st-po", OrderType::PostOnly, hundred(), TimeInForce::Gtc),
        order("st-nl", OrderType::Limit, notional, TimeInForce::Day),
        order("st-ng", OrderType::Market, notional, TimeInForce::Gtc),
    ];
    for req in &refused {
        let err = b.submit(req).await.unwrap_err();
        assert!(
            matches!(&err, BrokerError::Rejected { code: None, message } if message.contains("not sent")),
            "{err:?}"
        );
    }
    assert!(srv.seen.lock().unwrap().is_empty());
    b.submit(&order(
        "st-nd",
        OrderType::Market,
        notional,
        TimeInForce::Day,
    ))
    .await
    .unwrap();
    let sent: Value = serde_json::from_str(&srv.seen.lock().unwrap()[0].body).unwrap();
    assert_eq!(sent["notional"], "500");
    assert!(sent.get("qty").is_none());
}

#[tokio::test]
async fn wrong_keys_are_an_auth_error() {
    let (_srv, ep) = server().await;
    let b = AlpacaBroker::new(&ep, Some(AlpacaCredentials::new(KEY, "wrong"))).unwrap();
    let err = b.account().await.unwrap_err();
    assert!(
        matches!(&err, BrokerError::Auth(m) if m.contains("speedtrade keys set alpaca")),
        "{err:?}"
    );
    assert!(
        !format!("{err:?}").contains("wrong"),
        "the secret never appears in errors"
    );
}

#[tokio::test]
async fn query_and_cancel_go_through_the_client_order_id() {
    let (srv, ep) = server().await;
    let b = broker(&ep);
    let spy = Symbol::new("SPY").unwrap();
    let known = ClientOrderId::new("st-known").unwrap();
    let u = b.query(&spy, &known).await.unwrap();
    assert_eq!(u.status, OrderStatus::PartiallyFilled);
    assert_eq!(u.filled_qty, Qty::from_int(3));
    assert_eq!(u.filled_quote, Decimal::from_str("570.75").unwrap());
    let missing = ClientOrderId::new("st-never-sent").unwrap();
    assert_eq!(
        b.query(&spy, &missing).await.unwrap_err(),
        BrokerError::NotFound
    );

    let c = b.cancel(&spy, &known).await.unwrap();
    assert_eq!(
        c.status,
        OrderStatus::PendingCancel,
        "204: accepted, not yet confirmed"
    );
    let last = srv.seen.lock().unwrap().last().cloned().unwrap();
    assert_eq!(
        (last.method, last.path),
        (Method::DELETE, format!("/v2/orders/{OUR_ORDER_ID}"))
    );

    let filled = ClientOrderId::new("st-filled").unwrap();
    let err = b.cancel(&spy, &filled).await.unwrap_err();
    assert!(
        matches!(&err, BrokerError::Rejected { message, .. } if message == "order is not cancelable")
    );
    assert_eq!(
        b.cancel(&spy, &missing).await.unwrap_err(),
        BrokerError::NotFound
    );
}

#[tokio::test]
async fn open_orders_account_and_cancel_all() {
    let (srv, ep) = server().await;
    let b = broker(&ep);
    let aapl = Symbol::new("AAPL").unwrap();
    let open = b.open_orders(Some(&aapl)).await.unwrap();
    assert_eq!(
        open.len(),
        1,
        "the order placed by another tool is left out"
    );
    assert_eq!(open[0].client_order_id.as_str(), "st-open-1");
    let q = srv.seen.lock().unwrap()[0].query.clone();
    assert!(
        q.contains("status=open") && q.contains("symbols=AAPL"),
        "{q}"
    );

    let acct = b.account().await.unwrap();
    assert_eq!(acct.cash, Some(Decimal::from_str("-23140.2").unwrap()));
    assert_eq!(acct.positions.len(), 2);

    let all = b.cancel_all().await.unwrap();
    assert_eq!(all.len(), 2);
    assert!(all[0].accepted());
    assert_eq!(
        all[0].update.as_ref().unwrap().status,
        OrderStatus::PendingCancel
    );
    assert!(!all[1].accepted());
    assert!(all[1].update.is_none());

    let per_symbol = b.cancel_symbol(&aapl).await.unwrap();
    assert_eq!(per_symbol.len(), 1);
    assert!(per_symbol[0].1.is_ok());
}

#[tokio::test]
async fn symbol_search_and_chart_backfill() {
    let (srv, ep) = server().await;
    let b = broker(&ep).with_feed(AlpacaFeed::Iex);
    let inst = b.instruments().await.unwrap();
    assert_eq!(inst.len(), 2);
    assert!(
        srv.seen.lock().unwrap()[0]
            .query
            .contains("asset_class=us_equity")
    );

    let aapl = Symbol::new("AAPL").unwrap();
    let candles = b.candles(&aapl, Interval::M1, 5, None).await.unwrap();
    assert_eq!(candles.len(), 2, "two pages followed");
    assert!(candles[0].open_time < candles[1].open_time, "oldest first");
    assert_eq!(candles[1].open, Price::parse("168.99").unwrap());
    let seen = srv.seen.lock().unwrap().clone();
    let first = &seen[1].query;
    for part in [
        "timeframe=1Min",
        "feed=iex",
        "sort=desc",
        "limit=5",
        "start=",
        "end=",
    ] {
        assert!(first.contains(part), "{part} in {first}");
    }
    assert!(seen[2].query.contains("page_token="));
    let err = b.candles(&aapl, Interval::S1, 5, None).await.unwrap_err();
    assert!(matches!(err, BrokerError::Rejected { .. }));
}

#[tokio::test]
async fn connection_failures_are_not_sent_or_unknown() {
    // Nothing listens: the request never left.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let ep = AlpacaEndpoints {
        trading_url: dead,
        ..AlpacaEndpoints::paper()
    };
    let err = broker(&ep)
        .submit(&order(
            "st-x",
            OrderType::Market,
            hundred(),
            TimeInForce::Day,
        ))
        .await
        .unwrap_err();
    assert!(matches!(err, BrokerError::NotSent(_)), "{err:?}");

    // The server reads the order, then drops the connection: outcome unknown.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        use tokio::io::AsyncReadExt;
        while let Ok((mut sock, _)) = listener.accept().await {
            let mut buf = vec![0u8; 4096];
            let _ = sock.read(&mut buf).await;
            drop(sock);
        }
    });
    let ep = AlpacaEndpoints {
        trading_url: url,
        ..AlpacaEndpoints::paper()
    };
    let err = broker(&ep)
        .submit(&order(
            "st-y",
            OrderType::Market,
            hundred(),
            TimeInForce::Day,
        ))
        .await
        .unwrap_err();
    assert!(matches!(err, BrokerError::Unknown(_)), "{err:?}");
}

#[test]
fn no_keys_is_a_setup_error_that_says_how_to_add_them() {
    let err = AlpacaBroker::new(
        &AlpacaEndpoints::paper(),
        Some(AlpacaCredentials::new("", "")),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(err.contains("speedtrade keys set alpaca"), "{err}");
}
