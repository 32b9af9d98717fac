//! A loopback TCP proxy in front of the simulator's REST port that can cut the connection of
//! a new-order request (`POST /api/v3/order`) before or after the venue got it, or hold it.
//!
//! HTTP/1.1 clients (hyper) send the next request on a connection only after the previous
//! reply, so every request starts at a read boundary: a read that starts with
//! `POST /api/v3/order` is a new order. Everything else is forwarded byte for byte.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};

/// What to do with one new-order request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderFate {
    /// Forward it and its reply.
    Forward,
    /// Close the client's connection after it sent the request; the venue never sees it.
    DropBeforeVenue,
    /// Forward it; when the venue's reply comes, close the client's connection instead of
    /// passing the reply on (the order exists, the client does not know).
    DropAfterVenue,
    /// Keep the request and the connection, forward nothing, answer nothing.
    Hold,
}

#[derive(Default)]
struct State {
    script: Mutex<VecDeque<OrderFate>>,
    /// `METHOD /path` of every request seen.
    requests: Mutex<Vec<String>>,
    seen: AtomicUsize,
    forwarded: AtomicUsize,
}

/// A running proxy; it stops when the test's runtime ends.
pub struct Proxy {
    addr: SocketAddr,
    state: Arc<State>,
}

impl Proxy {
    /// Proxies `127.0.0.1:<new port>` to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy binds");
        let addr = listener.local_addr().expect("proxy address");
        let state = Arc::new(State::default());
        let st = state.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(serve(client, upstream, st.clone()));
            }
        });
        Proxy { addr, state }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The fates of the next new-order requests, in order (then: forward).
    pub fn script(&self, fates: impl IntoIterator<Item = OrderFate>) {
        self.state
            .script
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(fates);
    }

    /// New-order requests the client sent through the proxy.
    pub fn orders_seen(&self) -> usize {
        self.state.seen.load(Ordering::SeqCst)
    }

    /// Requests seen with this method and path, e.g. `GET /api/v3/order`.
    pub fn requests_to(&self, method_path: &str) -> usize {
        let seen = self
            .state
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        seen.iter().filter(|r| *r == method_path).count()
    }

    /// New-order requests passed on to the venue.
    pub fn orders_forwarded(&self) -> usize {
        self.state.forwarded.load(Ordering::SeqCst)
    }
}

/// Why a pump stopped (either way the connection is closed).
enum End {
    Eof,
    Cut,
}

async fn serve(client: TcpStream, upstream: SocketAddr, st: Arc<State>) {
    let Ok(up) = TcpStream::connect(upstream).await else {
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = up.set_nodelay(true);
    let (cr, cw) = client.into_split();
    let (ur, uw) = up.into_split();
    let cut_reply = Arc::new(AtomicBool::new(false));
    // Whichever pump ends first, returning drops every half: both connections close.
    let (End::Eof | End::Cut) = tokio::select! {
        e = requests(cr, uw, &st, cut_reply.clone()) => e,
        e = replies(ur, cw, cut_reply) => e,
    };
}

async fn requests(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    st: &State,
    cut_reply: Arc<AtomicBool>,
) -> End {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return End::Eof,
            Ok(n) => n,
        };
        let chunk = &buf[..n];
        note_request(st, chunk);
        if chunk.starts_with(b"POST /api/v3/order ") || chunk.starts_with(b"POST /api/v3/order?") {
            st.seen.fetch_add(1, Ordering::SeqCst);
            let fate = st
                .script
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .pop_front()
                .unwrap_or(OrderFate::Forward);
            match fate {
                OrderFate::DropBeforeVenue => return End::Cut,
                OrderFate::Hold => {
                    // Keeps both connections open (the reply pump waits too) and silent.
                    tokio::time::sleep(Duration::from_secs(600)).await;
                    return End::Eof;
                }
                OrderFate::DropAfterVenue => cut_reply.store(true, Ordering::SeqCst),
                OrderFate::Forward => {}
            }
            st.forwarded.fetch_add(1, Ordering::SeqCst);
        }
        if to.write_all(chunk).await.is_err() {
            return End::Eof;
        }
    }
}

/// Records `METHOD /path` when `chunk` starts a request.
fn note_request(st: &State, chunk: &[u8]) {
    const METHODS: [&[u8]; 4] = [b"GET ", b"POST ", b"DELETE ", b"PUT "];
    if !METHODS.iter().any(|m| chunk.starts_with(m)) {
        return;
    }
    let line = String::from_utf8_lossy(chunk.split(|b| *b == b'\r').next().unwrap_or_default());
    let mut parts = line.split_whitespace();
    if let (Some(method), Some(target)) = (parts.next(), parts.next()) {
        let path = target.split('?').next().unwrap_or(target);
        st.requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(format!("{method} {path}"));
    }
}

async fn replies(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    cut_reply: Arc<AtomicBool>,
) -> End {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return End::Eof,
            Ok(n) => n,
        };
        if cut_reply.load(Ordering::SeqCst) {
            return End::Cut;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return End::Eof;
        }
    }
}
