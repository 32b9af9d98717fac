//! Shared by the `binance_broker_*` HTTP tests: an axum server on 127.0.0.1:0 that checks every
//! signature and API key header, captures requests, and answers with scripted sample bodies.

#![allow(dead_code)] // each test crate uses a different subset
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
    ClientOrderId, OrderAmount, OrderRequest, OrderType, Price, Qty, Side, Symbol, TimeInForce,
    VenueId,
};
use speedtrade::secrets::Credentials;
use speedtrade::venue::binance::broker::{BinanceBroker, BinanceBrokerConfig, BinanceRespType};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const KEY: &str = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";

pub const SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";

pub const SAMPLES: &str = include_str!("../fixtures/binance_rest_samples.json");

/// A scripted reply.
#[derive(Clone)]
pub enum Reply {
    Json(u16, Vec<(&'static str, String)>, String),
    /// Never answer (the client times out).
    Hang,
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Captured {
    pub method: String,
    pub path: String,
    pub query: String,
    pub body: String,
    pub api_key: Option<String>,
    pub signature_ok: bool,
}

impl Captured {
    /// The decoded parameters from query and body.
    pub fn params(&self) -> HashMap<String, String> {
        let all = format!("{}&{}", self.query, self.body);
        all.split('&')
            .filter(|kv| !kv.is_empty())
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }
}

#[derive(Default)]
pub struct Script {
    replies: HashMap<(String, String), VecDeque<Reply>>,
    captured: Vec<Captured>,
}

pub type Shared = Arc<Mutex<Script>>;

pub fn sample(name: &str) -> Value {
    let all: Value = serde_json::from_str(SAMPLES).unwrap();
    all["responses"][name]["body"].clone()
}

/// Strips `signature=<hex>` from a query or body; returns the rest and the signature.
pub fn split_signature(s: &str) -> (String, Option<String>) {
    match s.rfind("signature=") {
        Some(i) => {
            let rest = s[..i].trim_end_matches('&').to_string();
            (rest, Some(s[i + "signature=".len()..].to_string()))
        }
        None => (s.to_string(), None),
    }
}

/// The venue's rule: HMAC over query string + body (no separator), signature removed.
pub fn signature_ok(query: &str, body: &str) -> bool {
    let (q, qs) = split_signature(query);
    let (b, bs) = split_signature(body);
    let Some(sig) = qs.or(bs) else { return false };
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("{q}{b}").as_bytes());
    hex::encode(mac.finalize().into_bytes()).eq_ignore_ascii_case(&sig)
}

pub async fn handler(
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

pub struct Server {
    pub url: String,
    pub state: Shared,
}

impl Server {
    pub async fn start() -> Server {
        let state: Shared = Arc::default();
        let app = Router::new().fallback(handler).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Server { url, state }
    }

    pub fn script(&self, method: &str, path: &str, reply: Reply) {
        let mut s = self.state.lock().unwrap();
        let q = s.replies.entry((method.into(), path.into())).or_default();
        q.push_back(reply);
    }

    pub fn json(&self, method: &str, path: &str, status: u16, body: Value) {
        self.script(method, path, Reply::Json(status, vec![], body.to_string()));
    }

    pub fn captured(&self) -> Vec<Captured> {
        self.state.lock().unwrap().captured.clone()
    }

    pub fn broker(&self, resp_type: BinanceRespType) -> BinanceBroker {
        let mut cfg = BinanceBrokerConfig::new(self.url.clone(), "ws://127.0.0.1:9/unused");
        cfg.resp_type = resp_type;
        cfg.rest.request_timeout = Duration::from_millis(800);
        BinanceBroker::new(cfg, &Credentials::new(KEY, SECRET)).unwrap()
    }
}

pub fn sym(s: &str) -> Symbol {
    Symbol::new(s).unwrap()
}

pub fn limit_buy(id: &str) -> OrderRequest {
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
pub fn full_reply() -> String {
    let mut body = sample("POST /api/v3/order (newOrderRespType=FULL)");
    body["clientOrderId"] = "$CLIENT_ID".into();
    body.to_string()
}
