//! Binance broker over real HTTP: an axum server on 127.0.0.1:0 that checks every signature and
//! API key header, captures order bodies, and answers with the documented sample bodies.

#![allow(clippy::unwrap_used)] // test helpers may panic on broken fixtures

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;
use speedtrade::domain::{
    ClientOrderId, OrderAmount, OrderRequest, OrderStatus, OrderType, Price, Qty, Side, Symbol,
    TimeInForce, VenueId,
};
use speedtrade::secrets::Credentials;
use speedtrade::venue::binance::broker::{BinanceBroker, BinanceBrokerConfig, BinanceRespType};
use speedtrade::venue::{Broker, BrokerError};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const KEY: &str = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";
const SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
const SAMPLES: &str = include_str!("fixtures/binance_rest_samples.json");

/// A scripted reply.
#[derive(Clone)]
enum Reply {
    Json(u16, Vec<(&'static str, String)>, String),
    /// Never answer (the client times out).
    Hang,
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
struct Captured {
    method: String,
    path: String,
    query: String,
    body: String,
    api_key: Option<String>,
    signature_ok: bool,
}

impl Captured {
    /// The decoded parameters from query and body.
    fn params(&self) -> HashMap<String, String> {
        let all = format!("{}&{}", self.query, self.body);
        all.split('&')
            .filter(|kv| !kv.is_empty())
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }
}

#[derive(Default)]
struct Script {
    replies: HashMap<(String, String), VecDeque<Reply>>,
    captured: Vec<Captured>,
}

type Shared = Arc<Mutex<Script>>;

fn sample(name: &str) -> Value {
    let all: Value = serde_json::from_str(SAMPLES).unwrap();
    all["responses"][name]["body"].clone()
}

/// Strips `signature=<hex>` from a query or body; returns the rest and the signature.
fn split_signature(s: &str) -> (String, Option<String>) {
    match s.rfind("signature=") {
        Some(i) => {
            let rest = s[..i].trim_end_matches('&').to_string();
            (rest, Some(s[i + "signature=".len()..].to_string()))
        }
        None => (s.to_string(), None),
    }
}

/// The venue's rule: HMAC over query string + body (no separator), signature removed.
fn signature_ok(query: &str, body: &str) -> bool {
    let (q, qs) = split_signature(query);
    let (b, bs) = split_signature(body);
    let Some(sig) = qs.or(bs) else { return false };
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("{q}{b}").as_bytes());
    hex::encode(mac.finalize().into_bytes()).eq_ignore_ascii_case(&sig)
}

async fn handler(
    State(st): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let query = uri.query().unwrap_or("").to_string();
    let body = String::from_utf8_lossy(&body).into_owned();
    let cap = Captured {
        method: method.to_string(),
        path: uri.path().to_string(),
        signature_ok: signature_ok(&query, &body),
        query,
        body,
        api_key: headers
            .get("x-mbx-apikey")
            .map(|v| v.to_str().unwrap().to_string()),
    };
    let reply = {
        let mut s = st.lock().unwrap();
        s.captured.push(cap.clone());
        let key = (cap.method.clone(), cap.path.clone());
        s.replies.get_mut(&key).and_then(VecDeque::pop_front)
    };
    match reply {
        Some(Reply::Json(status, hdrs, body)) => {
            let body = body.replace(
                "$CLIENT_ID",
                cap.params().get("newClientOrderId").map_or("", |s| s),
            );
            let mut resp = (StatusCode::from_u16(status).unwrap(), body).into_response();
            for (k, v) in hdrs {
                resp.headers_mut().insert(k, v.parse().unwrap());
            }
            resp
        }
        Some(Reply::Hang) => std::future::pending().await,
        None => (StatusCode::NOT_FOUND, "no script").into_response(),
    }
}

struct Server {
    url: String,
    state: Shared,
}

impl Server {
    async fn start() -> Server {
        let state: Shared = Arc::default();
        let app = Router::new().fallback(handler).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Server { url, state }
    }

    fn script(&self, method: &str, path: &str, reply: Reply) {
        let mut s = self.state.lock().unwrap();
        let q = s.replies.entry((method.into(), path.into())).or_default();
        q.push_back(reply);
    }

    fn json(&self, method: &str, path: &str, status: u16, body: Value) {
        self.script(method, path, Reply::Json(status, vec![], body.to_string()));
    }

    fn captured(&self) -> Vec<Captured> {
        self.state.lock().unwrap().captured.clone()
    }

    fn broker(&self, resp_type: BinanceRespType) -> BinanceBroker {
        let mut cfg = BinanceBrokerConfig::new(self.url.clone(), "ws://127.0.0.1:9/unused");
        cfg.resp_type = resp_type;
        cfg.rest.request_timeout = Duration::from_millis(800);
        BinanceBroker::new(cfg, &Credentials::new(KEY, SECRET)).unwrap()
    }
}

fn sym(s: &str) -> Symbol {
    Symbol::new(s).unwrap()
}

fn limit_buy(id: &str) -> OrderRequest {
    OrderRequest {
        client_order_id: ClientOrderId::new(id).unwrap(),
        venue: VenueId::Binance,
        symbol: sym("BTCUSDT"),
        side: Side::Buy,
        order_type: OrderType::Limit,
        amount: OrderAmount::Base(Qty::parse("0.015").unwrap()),
        price: Some(Price::parse("64000.1").unwrap()),
        stop_price: None,
        tif: TimeInForce::Gtc,
    }
}

/// The FULL sample with the request's client id, as a real venue would echo it.
fn full_reply() -> String {
    let mut body = sample("POST /api/v3/order (newOrderRespType=FULL)");
    body["clientOrderId"] = "$CLIENT_ID".into();
    body.to_string()
}

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

/// Scripts `status` + `body` for a submit and returns the error.
async fn submit_error(
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: &str,
) -> BrokerError {
    let srv = Server::start().await;
    srv.script(
        "POST",
        "/api/v3/order",
        Reply::Json(status, headers, body.into()),
    );
    srv.broker(BinanceRespType::Full)
        .submit(&limit_buy("e-1"))
        .await
        .unwrap_err()
}

#[tokio::test]
async fn http_errors_map_to_broker_error_classes() {
    let ra = |s: &str| vec![("retry-after", s.to_string())];
    let limit = r#"{"code":-1003,"msg":"Too much request weight used"}"#;
    assert_eq!(
        submit_error(429, ra("7"), limit).await,
        BrokerError::RateLimited {
            retry_after: Duration::from_secs(7),
            banned: false
        }
    );
    assert_eq!(
        submit_error(418, ra("360"), limit).await,
        BrokerError::RateLimited {
            retry_after: Duration::from_secs(360),
            banned: true
        }
    );
    assert!(matches!(
        submit_error(502, vec![], "<html>bad gateway</html>").await,
        BrokerError::Unknown(_)
    ));
    let timeout = r#"{"code":-1007,"msg":"Timeout waiting for response from backend server."}"#;
    assert!(matches!(
        submit_error(408, vec![], timeout).await,
        BrokerError::Unknown(_)
    ));
    let dup = r#"{"code":-2010,"msg":"Duplicate order sent."}"#;
    assert_eq!(
        submit_error(400, vec![], dup).await,
        BrokerError::Rejected {
            code: Some(-2010),
            message: "Duplicate order sent.".into()
        }
    );
    let sig = r#"{"code":-1022,"msg":"Signature for this request is not valid."}"#;
    assert!(
        matches!(submit_error(400, vec![], sig).await, BrokerError::Auth(m) if m.contains("Signature"))
    );
    let key = r#"{"code":-2015,"msg":"Invalid API-key, IP, or permissions for action."}"#;
    assert!(matches!(
        submit_error(401, vec![], key).await,
        BrokerError::Auth(_)
    ));
    let sym = r#"{"code":-1121,"msg":"Invalid symbol."}"#;
    assert_eq!(
        submit_error(400, vec![], sym).await,
        BrokerError::Rejected {
            code: Some(-1121),
            message: "Invalid symbol.".into()
        }
    );
    // A 200 whose body cannot be read: the order may exist.
    assert!(matches!(
        submit_error(200, vec![], "{\"truncated").await,
        BrokerError::Unknown(_)
    ));
}

#[tokio::test]
async fn an_unknown_order_is_not_found_on_query_and_cancel() {
    let srv = Server::start().await;
    let missing = serde_json::json!({"code": -2013, "msg": "Order does not exist."});
    srv.json("GET", "/api/v3/order", 400, missing.clone());
    srv.json("DELETE", "/api/v3/order", 400, missing);
    let broker = srv.broker(BinanceRespType::Full);
    let id = ClientOrderId::new("never-sent").unwrap();
    assert_eq!(
        broker.query(&sym("BTCUSDT"), &id).await,
        Err(BrokerError::NotFound)
    );
    assert_eq!(
        broker.cancel(&sym("BTCUSDT"), &id).await,
        Err(BrokerError::NotFound)
    );
}

#[tokio::test]
async fn a_reply_that_never_comes_is_unknown() {
    let srv = Server::start().await;
    srv.script("POST", "/api/v3/order", Reply::Hang);
    let err = srv
        .broker(BinanceRespType::Full)
        .submit(&limit_buy("t-1"))
        .await
        .unwrap_err();
    assert!(matches!(err, BrokerError::Unknown(_)), "{err:?}");
    assert_eq!(srv.captured().len(), 1, "the request reached the venue");
}

#[tokio::test]
async fn a_connection_dropped_after_the_request_is_unknown() {
    use tokio::io::AsyncReadExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (seen_tx, seen_rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 8192];
        let mut got = Vec::new();
        // Read the whole request (headers + form body), then hang up without a reply.
        while !String::from_utf8_lossy(&got).contains("signature=") {
            let n = sock.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        let _ = seen_tx.send(String::from_utf8_lossy(&got).into_owned());
        drop(sock);
    });
    let cfg = BinanceBrokerConfig::new(url, "ws://127.0.0.1:9/unused");
    let broker = BinanceBroker::new(cfg, &Credentials::new(KEY, SECRET)).unwrap();
    let err = broker.submit(&limit_buy("x-1")).await.unwrap_err();
    assert!(matches!(err, BrokerError::Unknown(_)), "{err:?}");
    assert!(seen_rx.await.unwrap().contains("newClientOrderId=x-1"));
}

#[tokio::test]
async fn a_refused_connection_is_not_sent() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let cfg = BinanceBrokerConfig::new(url, "ws://127.0.0.1:9/unused");
    let broker = BinanceBroker::new(cfg, &Credentials::new(KEY, SECRET)).unwrap();
    let err = broker.submit(&limit_buy("r-1")).await.unwrap_err();
    assert!(matches!(err, BrokerError::NotSent(_)), "{err:?}");
}

#[tokio::test]
async fn a_stale_timestamp_resyncs_the_clock_and_resends_once() {
    let srv = Server::start().await;
    let late = serde_json::json!({"code": -1021, "msg": "Timestamp for this request was 1000ms ahead of the server's time."});
    srv.json("POST", "/api/v3/order", 400, late);
    let server_ahead = speedtrade::domain::now_ms() + 60_000;
    srv.json(
        "GET",
        "/api/v3/time",
        200,
        serde_json::json!({"serverTime": server_ahead}),
    );
    srv.script(
        "POST",
        "/api/v3/order",
        Reply::Json(200, vec![], full_reply()),
    );
    let broker = srv.broker(BinanceRespType::Full);
    let u = broker.submit(&limit_buy("c-1")).await.unwrap();
    assert_eq!(u.status, OrderStatus::Filled);
    let caps = srv.captured();
    let paths: Vec<_> = caps.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(paths, ["/api/v3/order", "/api/v3/time", "/api/v3/order"]);
    let ts = |c: &Captured| c.params()["timestamp"].parse::<i64>().unwrap();
    assert!(
        ts(&caps[2]) - ts(&caps[0]) >= 50_000,
        "resent with the server's clock"
    );
    assert_eq!(
        caps[0].params()["newClientOrderId"],
        caps[2].params()["newClientOrderId"]
    );
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

/// Collects everything `tracing` writes, at every level.
#[derive(Clone, Default)]
struct LogBuf(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogBuf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn trace_logs_of_a_trading_session_never_contain_the_key_or_secret() {
    let logs = LogBuf::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let srv = Server::start().await;
    let late = serde_json::json!({"code": -1021, "msg": "late"});
    srv.json("POST", "/api/v3/order", 400, late);
    srv.json(
        "GET",
        "/api/v3/time",
        200,
        serde_json::json!({"serverTime": 1}),
    );
    srv.script(
        "POST",
        "/api/v3/order",
        Reply::Json(200, vec![], full_reply()),
    );
    srv.json(
        "GET",
        "/api/v3/openOrders",
        200,
        sample("GET /api/v3/openOrders"),
    );
    srv.json(
        "GET",
        "/api/v3/account",
        400,
        serde_json::json!({"code": -2015, "msg": "no"}),
    );
    let broker = srv.broker(BinanceRespType::Full);
    tracing::info!(?broker, "broker ready");
    broker.submit(&limit_buy("l-1")).await.unwrap();
    broker.open_orders(None).await.unwrap();
    let err = broker.account().await.unwrap_err();
    tracing::warn!(%err, ?err, "account failed");

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.contains("resynchronising"),
        "logs were captured: {text}"
    );
    assert!(!text.contains(SECRET) && !text.contains(KEY), "{text}");
}
