//! The fake Binance server itself; see `mod.rs`.

use axum::Router;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State as AxState};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::{SinkExt, StreamExt};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use speedtrade::venue::binance::BinanceEndpoints;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// The best 20 levels a side as (tick of 0.01, qty in 1e-8): bids best first, asks best first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Top {
    pub bids: Vec<(i64, i64)>,
    pub asks: Vec<(i64, i64)>,
}

/// Faults and switches, changed by tests at any time.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Generate nothing.
    pub paused: bool,
    /// Send nothing at all (no data, no pings): a silent feed.
    pub silent: bool,
    /// Apply but do not send this many upcoming diffs (a sequence gap for the client).
    pub drop_diffs: u32,
    /// Send a garbage frame after every diff.
    pub garbage: bool,
    /// Answer the next REST request with 429 and `Retry-After: 1`.
    pub next_429: bool,
    /// REST weight allowed per window of this many seconds (like Binance's REQUEST_WEIGHT),
    /// advertised in exchangeInfo and enforced with 429s.
    pub weight_limit: Option<(u64, u32)>,
}

struct SimBook {
    bids: BTreeMap<i64, i64>,
    asks: BTreeMap<i64, i64>,
    last_id: u64,
    mid: i64,
    history: BTreeMap<u64, Top>,
}

/// `(U, u, bids, asks)` of one generated diff.
type Diff = (u64, u64, Vec<(i64, i64)>, Vec<(i64, i64)>);

struct ConnInfo {
    tx: mpsc::UnboundedSender<Message>,
    streams: BTreeSet<String>,
}

/// Everything the server knows.
pub struct State {
    books: BTreeMap<String, SimBook>,
    conns: HashMap<u64, ConnInfo>,
    next_conn: u64,
    rng: StdRng,
    trade_id: u64,
    /// (connection, method, params) of every control message, in order.
    pub controls: Vec<(u64, String, Vec<String>, Instant)>,
    pub faults: Faults,
    pub opened: u64,
    pub pongs: Vec<Vec<u8>>,
    pub got_429: u32,
    pub rest_calls: u32,
    weight: (u64, u32),
}

/// A running fake; dropping it stops the server.
pub struct Fake {
    pub addr: SocketAddr,
    pub state: Arc<Mutex<State>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.tasks.iter().for_each(|t| t.abort());
    }
}

impl Fake {
    /// Starts a server with books for `symbols`, generating a diff per symbol every `every`.
    pub async fn start(symbols: &[&str], every: Duration) -> Fake {
        let mut rng = StdRng::seed_from_u64(7);
        let books = symbols
            .iter()
            .map(|s| (s.to_string(), SimBook::new(&mut rng)))
            .collect();
        let state = Arc::new(Mutex::new(State {
            books,
            conns: HashMap::new(),
            next_conn: 1,
            rng,
            trade_id: 100,
            controls: vec![],
            faults: Faults::default(),
            opened: 0,
            pongs: vec![],
            got_429: 0,
            rest_calls: 0,
            weight: (0, 0),
        }));
        let app = Router::new()
            .route("/stream", get(ws_route))
            .route("/api/v3/depth", get(depth_route))
            .route("/api/v3/exchangeInfo", get(info_route))
            .route("/api/v3/ticker/24hr", get(ticker_route))
            .route("/api/v3/klines", get(klines_route))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let st = state.clone();
        let generator = tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                st.lock().unwrap().step_all();
            }
        });
        Fake {
            addr,
            state,
            tasks: vec![server, generator],
        }
    }

    pub fn endpoints(&self) -> BinanceEndpoints {
        BinanceEndpoints {
            rest_url: format!("http://{}", self.addr),
            ws_url: format!("ws://{}", self.addr),
        }
    }

    pub fn faults(&self, f: impl FnOnce(&mut Faults)) {
        f(&mut self.state.lock().unwrap().faults);
    }

    /// The server's top at update id `id`, if remembered.
    pub fn top_at(&self, symbol: &str, id: u64) -> Option<Top> {
        self.state
            .lock()
            .unwrap()
            .books
            .get(symbol)?
            .history
            .get(&id)
            .cloned()
    }

    /// Closes every client connection abruptly.
    pub fn disconnect_all(&self) {
        self.state.lock().unwrap().conns.clear();
    }

    /// Sends a raw text frame to every connection.
    pub fn send_all(&self, text: &str) {
        for c in self.state.lock().unwrap().conns.values() {
            let _ = c.tx.send(Message::Text(text.into()));
        }
    }

    /// Sends a ping with `payload` to every connection.
    pub fn ping_all(&self, payload: &[u8]) {
        for c in self.state.lock().unwrap().conns.values() {
            let _ = c.tx.send(Message::Ping(payload.to_vec().into()));
        }
    }

    pub fn live_connections(&self) -> usize {
        self.state.lock().unwrap().conns.len()
    }

    pub fn opened(&self) -> u64 {
        self.state.lock().unwrap().opened
    }

    /// Streams each live connection carries.
    pub fn streams(&self) -> Vec<BTreeSet<String>> {
        let st = self.state.lock().unwrap();
        st.conns.values().map(|c| c.streams.clone()).collect()
    }

    pub fn controls(&self) -> Vec<(u64, String, Vec<String>, Instant)> {
        self.state.lock().unwrap().controls.clone()
    }
}

impl SimBook {
    fn new(rng: &mut StdRng) -> SimBook {
        let mid = 900_000;
        let mut b = SimBook {
            bids: (1..=200)
                .map(|i| (mid - i, rng.random_range(1..500_000_000)))
                .collect(),
            asks: (1..=200)
                .map(|i| (mid + i, rng.random_range(1..500_000_000)))
                .collect(),
            last_id: 1000,
            mid,
            history: BTreeMap::new(),
        };
        b.remember();
        b
    }

    fn remember(&mut self) {
        let top = Top {
            bids: self
                .bids
                .iter()
                .rev()
                .take(20)
                .map(|(p, q)| (*p, *q))
                .collect(),
            asks: self.asks.iter().take(20).map(|(p, q)| (*p, *q)).collect(),
        };
        self.history.insert(self.last_id, top);
        while self.history.len() > 20_000 {
            self.history.pop_first();
        }
    }

    /// One random diff: (U, u, bids, asks) with absolute quantities (0 removes).
    fn step(&mut self, rng: &mut StdRng) -> Diff {
        self.mid += rng.random_range(-3..=3);
        let (mut b, mut a) = (vec![], vec![]);
        let crossed_b: Vec<i64> = self.bids.range(self.mid..).map(|(p, _)| *p).collect();
        crossed_b.into_iter().for_each(|p| b.push((p, 0)));
        let crossed_a: Vec<i64> = self.asks.range(..=self.mid).map(|(p, _)| *p).collect();
        crossed_a.into_iter().for_each(|p| a.push((p, 0)));
        for _ in 0..rng.random_range(1..8) {
            let p = self.mid - rng.random_range(1..40);
            let q = if rng.random_bool(0.3) {
                0
            } else {
                rng.random_range(1..500_000_000)
            };
            b.retain(|l| l.0 != p);
            b.push((p, q));
        }
        for _ in 0..rng.random_range(1..8) {
            let p = self.mid + rng.random_range(1..40);
            let q = if rng.random_bool(0.3) {
                0
            } else {
                rng.random_range(1..500_000_000)
            };
            a.retain(|l| l.0 != p);
            a.push((p, q));
        }
        for &(p, q) in &b {
            set(&mut self.bids, p, q);
        }
        for &(p, q) in &a {
            set(&mut self.asks, p, q);
        }
        let first = self.last_id + 1;
        self.last_id = first + rng.random_range(0..3);
        self.remember();
        (first, self.last_id, b, a)
    }
}

fn set(side: &mut BTreeMap<i64, i64>, p: i64, q: i64) {
    if q == 0 {
        side.remove(&p);
    } else {
        side.insert(p, q);
    }
}

fn px(tick: i64) -> String {
    format!("{}.{:02}", tick / 100, tick % 100)
}

fn qt(units: i64) -> String {
    format!("{}.{:08}", units / 100_000_000, units % 100_000_000)
}

fn levels(v: &[(i64, i64)]) -> Value {
    Value::Array(v.iter().map(|(p, q)| json!([px(*p), qt(*q)])).collect())
}

fn now_ms() -> i64 {
    speedtrade::domain::now_ms()
}

impl State {
    fn step_all(&mut self) {
        if self.faults.paused {
            return;
        }
        let symbols: Vec<String> = self.books.keys().cloned().collect();
        for sym in symbols {
            let (first, last, b, a) = {
                let book = self.books.get_mut(&sym).unwrap();
                book.step(&mut self.rng)
            };
            let lower = sym.to_lowercase();
            let data = json!({"e":"depthUpdate","E":now_ms(),"s":sym,"U":first,"u":last,
                "b":levels(&b),"a":levels(&a)});
            if self.faults.drop_diffs > 0 {
                self.faults.drop_diffs -= 1;
            } else {
                self.publish(&format!("{lower}@depth@100ms"), &data);
            }
            self.trade_id += 1;
            let price = self.books[&sym].mid;
            let trade = json!({"e":"trade","E":now_ms(),"s":sym,"t":self.trade_id,"p":px(price),
                "q":"0.01000000","T":now_ms(),"m":self.trade_id.is_multiple_of(2),"M":true});
            self.publish(&format!("{lower}@trade"), &trade);
            let ticker_stream = format!("{lower}@ticker");
            if self
                .conns
                .values()
                .any(|c| c.streams.contains(&ticker_stream))
            {
                let p = px(price);
                let t = json!({"e":"24hrTicker","E":now_ms(),"s":sym,"p":"0","P":"1.25","w":p,
                    "c":p,"Q":"1","b":p,"B":"1","a":p,"A":"1","o":p,"h":p,"l":p,"v":"100","q":"1000",
                    "O":0,"C":1,"F":0,"L":1,"n":1});
                self.publish(&ticker_stream, &t);
            }
            if self.faults.garbage {
                self.broadcast("{\"stream\":\"x\",\"data\":{garbage");
            }
        }
    }

    fn publish(&self, stream: &str, data: &Value) {
        if self.faults.silent {
            return;
        }
        let frame = json!({"stream": stream, "data": data}).to_string();
        for c in self.conns.values().filter(|c| c.streams.contains(stream)) {
            let _ = c.tx.send(Message::Text(frame.clone().into()));
        }
    }

    fn broadcast(&self, text: &str) {
        if self.faults.silent {
            return;
        }
        for c in self.conns.values() {
            let _ = c.tx.send(Message::Text(text.into()));
        }
    }

    /// Counts REST weight; `Err` is the 429 to send.
    #[allow(clippy::result_large_err)]
    fn charge(&mut self, weight: u32) -> Result<HeaderMap, Response> {
        self.rest_calls += 1;
        let secs = self.faults.weight_limit.map_or(60, |l| l.0);
        let window = (now_ms() as u64) / (1000 * secs);
        if self.weight.0 != window {
            self.weight = (window, 0);
        }
        self.weight.1 += weight;
        let over = self
            .faults
            .weight_limit
            .is_some_and(|l| self.weight.1 > l.1);
        if self.faults.next_429 || over {
            self.faults.next_429 = false;
            self.got_429 += 1;
            let mut h = HeaderMap::new();
            h.insert("retry-after", HeaderValue::from_static("1"));
            let body = json!({"code":-1003,"msg":"Too much request weight used"}).to_string();
            return Err((StatusCode::TOO_MANY_REQUESTS, h, body).into_response());
        }
        let mut h = HeaderMap::new();
        let name = if secs == 60 {
            "x-mbx-used-weight-1m".to_string()
        } else {
            format!("x-mbx-used-weight-{secs}s")
        };
        let name = axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap();
        h.insert(name, HeaderValue::from(self.weight.1));
        Ok(h)
    }
}

fn bad_symbol() -> Response {
    let body = json!({"code":-1121,"msg":"Invalid symbol."}).to_string();
    (StatusCode::BAD_REQUEST, body).into_response()
}

type Shared = AxState<Arc<Mutex<State>>>;

async fn depth_route(AxState(st): Shared, Query(q): Query<HashMap<String, String>>) -> Response {
    let limit: usize = q.get("limit").and_then(|l| l.parse().ok()).unwrap_or(100);
    let weight = match limit {
        0..=100 => 5,
        101..=500 => 25,
        501..=1000 => 50,
        _ => 250,
    };
    let mut st = st.lock().unwrap();
    let headers = match st.charge(weight) {
        Ok(h) => h,
        Err(r) => return r,
    };
    let Some(book) = q.get("symbol").and_then(|s| st.books.get(s)) else {
        return bad_symbol();
    };
    let bids: Vec<(i64, i64)> = book
        .bids
        .iter()
        .rev()
        .take(limit)
        .map(|(p, q)| (*p, *q))
        .collect();
    let asks: Vec<(i64, i64)> = book
        .asks
        .iter()
        .take(limit)
        .map(|(p, q)| (*p, *q))
        .collect();
    let body = json!({"lastUpdateId": book.last_id, "bids": levels(&bids), "asks": levels(&asks)});
    (headers, body.to_string()).into_response()
}

async fn info_route(AxState(st): Shared, Query(q): Query<HashMap<String, String>>) -> Response {
    let mut st = st.lock().unwrap();
    let headers = match st.charge(20) {
        Ok(h) => h,
        Err(r) => return r,
    };
    if let Some(s) = q.get("symbol")
        && !st.books.contains_key(s)
    {
        return bad_symbol();
    }
    let symbols: Vec<Value> = st
        .books
        .keys()
        .map(|s| {
            json!({"symbol": s, "status": "TRADING", "baseAsset": &s[..3], "quoteAsset": &s[3..],
                "filters": [
                    {"filterType":"PRICE_FILTER","minPrice":"0.01000000","maxPrice":"1000000.00000000","tickSize":"0.01000000"},
                    {"filterType":"LOT_SIZE","minQty":"0.00001000","maxQty":"9000.00000000","stepSize":"0.00001000"},
                    {"filterType":"NOTIONAL","minNotional":"5.00000000","applyMinToMarket":true,"maxNotional":"9000000.00000000","applyMaxToMarket":false,"avgPriceMins":5}
                ]})
        })
        .collect();
    let limits = match st.faults.weight_limit {
        Some((secs, l)) => {
            json!([{"rateLimitType":"REQUEST_WEIGHT","interval":"SECOND","intervalNum":secs,"limit":l}])
        }
        None => {
            json!([{"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,"limit":6000}])
        }
    };
    let body =
        json!({"timezone":"UTC","serverTime":now_ms(),"rateLimits":limits,"symbols":symbols});
    (headers, body.to_string()).into_response()
}

async fn ticker_route(AxState(st): Shared, Query(q): Query<HashMap<String, String>>) -> Response {
    let mut st = st.lock().unwrap();
    let headers = match st.charge(2) {
        Ok(h) => h,
        Err(r) => return r,
    };
    let Some((sym, book)) = q.get("symbol").and_then(|s| st.books.get_key_value(s)) else {
        return bad_symbol();
    };
    let p = px(book.mid);
    let body = json!({"symbol": sym, "priceChangePercent": "1.50", "lastPrice": p, "openPrice": p,
        "highPrice": p, "lowPrice": p, "volume": "10.00000000", "quoteVolume": "1000.00",
        "closeTime": now_ms()});
    (headers, body.to_string()).into_response()
}

async fn klines_route(AxState(st): Shared, Query(q): Query<HashMap<String, String>>) -> Response {
    let mut st = st.lock().unwrap();
    let headers = match st.charge(2) {
        Ok(h) => h,
        Err(r) => return r,
    };
    if !q.get("symbol").is_some_and(|s| st.books.contains_key(s)) {
        return bad_symbol();
    }
    let start: i64 = q
        .get("startTime")
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_700_000_000_000);
    let rows: Vec<Value> = (0..3)
        .map(|i| {
            let t = start + i * 60_000;
            json!([
                t,
                "100.00",
                "110.00",
                "90.00",
                "105.00",
                "2.50000000",
                t + 59_999,
                "262.5",
                7,
                "1",
                "100",
                "0"
            ])
        })
        .collect();
    (headers, Value::Array(rows).to_string()).into_response()
}

async fn ws_route(AxState(st): Shared, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| serve_ws(socket, st))
}

async fn serve_ws(socket: WebSocket, st: Arc<Mutex<State>>) {
    let (mut sink, mut stream) = socket.split();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let id = {
        let mut s = st.lock().unwrap();
        let id = s.next_conn;
        s.next_conn += 1;
        s.opened += 1;
        s.conns.insert(
            id,
            ConnInfo {
                tx,
                streams: BTreeSet::new(),
            },
        );
        id
    };
    let writer = tokio::spawn(async move {
        while let Some(m) = rx.recv().await {
            if sink.send(m).await.is_err() {
                break;
            }
        }
        let _ = sink.close().await;
    });
    while let Some(Ok(msg)) = stream.next().await {
        match msg {
            Message::Text(t) => control(&st, id, t.as_str()),
            Message::Pong(p) => st.lock().unwrap().pongs.push(p.to_vec()),
            Message::Close(_) => break,
            _ => {}
        }
        if !st.lock().unwrap().conns.contains_key(&id) {
            break;
        }
    }
    st.lock().unwrap().conns.remove(&id);
    writer.abort();
}

fn control(st: &Arc<Mutex<State>>, id: u64, text: &str) {
    let Ok(v) = serde_json::from_str::<Value>(text) else {
        return;
    };
    let method = v["method"].as_str().unwrap_or("").to_string();
    let params: Vec<String> = v["params"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| p.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    let mut s = st.lock().unwrap();
    s.controls
        .push((id, method.clone(), params.clone(), Instant::now()));
    let Some(c) = s.conns.get_mut(&id) else {
        return;
    };
    match method.as_str() {
        "SUBSCRIBE" => c.streams.extend(params),
        "UNSUBSCRIBE" => params.iter().for_each(|p| {
            c.streams.remove(p);
        }),
        _ => {}
    }
    let reply = json!({"result": null, "id": v["id"]}).to_string();
    let _ = c.tx.send(Message::Text(reply.into()));
}
