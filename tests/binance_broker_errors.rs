//! Binance broker over real HTTP when things go wrong: 429 / 418 with Retry-After, 5xx, -1007,
//! -2010, -2013, -1022, -2015, a reply that never comes, a dropped connection, a refused
//! connection, a stale timestamp, and trace logs that never show the key or the secret.

#![allow(clippy::unwrap_used)] // test helpers may panic on broken fixtures

mod binance_broker_support;

use binance_broker_support::*;
use speedtrade::domain::{ClientOrderId, OrderStatus};
use speedtrade::secrets::Credentials;
use speedtrade::venue::binance::broker::{BinanceBroker, BinanceBrokerConfig, BinanceRespType};
use speedtrade::venue::{Broker, BrokerError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

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
